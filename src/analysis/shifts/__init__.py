"""Shift indicators: did partnership working, trust, VCSE voice and funding speed shift, and did it last?

- ``indicators``: what each indicator measures and one tidy table of them per place and phase, with changes.
- ``text``: the scorecard, values and changes in their units, sentences and tables for pages.
- ``many``: many places at once: standing among all places, ranked tables, places like this one.
- ``many_pages``: the blocks of the pages for many places (spread, ranks, places alike, a place's standing).
- ``figures``: the scorecard heatmap, small multiples over phases, the themes heatmap, survey theme plots.
"""

from analysis.shifts import figures, indicators, many, many_pages, text
from analysis.shifts.figures import *
from analysis.shifts.indicators import *
from analysis.shifts.many import *
from analysis.shifts.many_pages import *
from analysis.shifts.text import *

__all__ = [*indicators.__all__, *text.__all__, *many.__all__, *many_pages.__all__, *figures.__all__]
