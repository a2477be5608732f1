"""Funding flows: 360Giving grants read, attributed to places and phases, measured, described and drawn.

- ``threesixtygiving``: reading 360Giving files (JSON package, CSV, Excel) into the grants table's columns.
- ``attribution``: which place and phase a grant belongs to, and the import files the importer writes.
- ``importing``: the import plan (checked exactly as the loader checks), its report, and writing it.
- ``measures``: volume, speed, reach and newly funded per place and phase; the funder-recipient network.
- ``text``: sentences and tables for pages.
- ``figures``: awards over time, grant sizes, the funder-recipient map.
"""

from analysis.funding import attribution, figures, importing, measures, text, threesixtygiving
from analysis.funding.attribution import *
from analysis.funding.figures import *
from analysis.funding.importing import *
from analysis.funding.measures import *
from analysis.funding.text import *
from analysis.funding.threesixtygiving import *

__all__ = [*threesixtygiving.__all__, *attribution.__all__, *importing.__all__, *measures.__all__, *text.__all__,
           *figures.__all__]
