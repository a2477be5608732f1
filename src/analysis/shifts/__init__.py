"""Shift indicators: did partnership working, trust, VCSE voice and funding speed shift, and did it last?

- ``indicators``: what each indicator measures and one tidy table of them per place and phase, with changes.
- ``text``: the scorecard, values and changes in their units, sentences and tables for pages.
- ``figures``: the scorecard heatmap, small multiples over phases, the themes heatmap, survey theme plots.
"""

from analysis.shifts import figures, indicators, text
from analysis.shifts.figures import *
from analysis.shifts.indicators import *
from analysis.shifts.text import *

__all__ = [*indicators.__all__, *text.__all__, *figures.__all__]
