"""Trust networks: who works with whom in a place and phase, how much they trust each other, how that changed.

- ``build``: a place's network in one phase (``trust_network``, ``respondents``).
- ``backend``: igraph for what is costly on large networks (exact betweenness, seeded Louvain communities).
- ``measures``: density, reciprocity, Freeman centralisation, tie trust and value, brokers, communities.
- ``sectors``: how sectors mix (E-I index and its permutation test, Gould-Fernandez brokerage roles,
  council-VCSE asymmetry, cross-sector share).
- ``change``: change between two phases (ties formed, kept and lost, QAP, bootstrap of density change).
- ``text``: what pages say about a network (sentences and tables).
- ``figures``: network maps, small multiples, the sector trust heatmap, trust received.
- ``svg``: the network map as an inline SVG whose dots and arrows carry their details (no script).
- ``export``: a network written for Gephi (GraphML, GEXF) or Kumu (.xlsx), pseudonymised for stakeholders.
"""

from analysis.networks import build, change, export, figures, measures, sectors, svg, text
from analysis.networks.build import *
from analysis.networks.change import *
from analysis.networks.export import *
from analysis.networks.figures import *
from analysis.networks.measures import *
from analysis.networks.sectors import *
from analysis.networks.svg import *
from analysis.networks.text import *

__all__ = [*build.__all__, *measures.__all__, *sectors.__all__, *change.__all__, *text.__all__, *figures.__all__,
           *export.__all__, *svg.__all__]
