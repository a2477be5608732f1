"""Generate the bundled illustrative study (data/example) from a seed, with planted signals.

The example study is invented data about three real places (Buckinghamshire, Coventry and
Sutton, with their real ONS codes and mid-2020 populations) through four phases of the
Covid-19 response. No organisation, person or grant in it is real apart from the three
councils' names. It exists so every notebook has something to show, and it plants the
interim findings of the first study as signals an analysis should find; each is described
in ``data/example/README.md`` and checked in ``tests/test_example.py``.

The design (places, phases, codebook) is in :mod:`.design`; each table has its module
(organisations, relationships, boards, evidence, survey, grants); :mod:`.generate` puts them
together. Run it with ``coordination make-example [--out data/example] [--seed 2020]``. The same
seed always writes byte-identical files.
"""

from analysis.example import design, generate
from analysis.example.design import *
from analysis.example.generate import *

__all__ = [*design.__all__, *generate.__all__]
