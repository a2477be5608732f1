"""Shift indicators: did partnership working, trust, VCSE voice and funding speed shift, and did it last?

- ``indicators``: what each indicator measures and one tidy table of them per place and phase, with changes.
- ``text``: the scorecard, values and changes in their units, sentences and tables for pages.
- ``figures``: the scorecard heatmap, small multiples over phases, the themes heatmap, survey theme plots.
"""

from analysis.shifts import figures, indicators, text
from analysis.shifts.figures import *  # noqa: F403 -- star imports re-export each module's __all__
from analysis.shifts.indicators import *  # noqa: F403
from analysis.shifts.text import *  # noqa: F403

__all__ = [*indicators.__all__, *text.__all__, *figures.__all__]
