"""Coded interviews from REFI-QDA (.qdpx) projects exported by NVivo, ATLAS.ti, MAXQDA or QualCoder.

A ``.qdpx`` file is a zip holding one ``*.qde`` XML document and the sources in ``Sources/``
(NVivo) or ``sources/`` (MAXQDA, ATLAS.ti, QualCoder). docs/qdpx.md is the researcher's guide.

- ``reader``: read and schema-check a .qdpx into a :class:`Project` (codebook, cases, sources, selections).
- ``positions``: how each program counts character positions, and the text a selection covers.
- ``mapping``: the mapping file from codes, variables and sets to evidence kinds, themes, places and phases.
- ``importer``: coded text selections to rows of the study's ``evidence`` table, written to ``imports/``.
- ``summary``: a table of a project's codes and a summary for the terminal.
"""

from analysis.qdpx import importer, mapping, positions, reader, summary
from analysis.qdpx.importer import *
from analysis.qdpx.mapping import *
from analysis.qdpx.positions import *
from analysis.qdpx.reader import *
from analysis.qdpx.summary import *

__all__ = [*reader.__all__, *positions.__all__, *mapping.__all__, *importer.__all__, *summary.__all__]
