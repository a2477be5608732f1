"""Tests of analysis.shifts.text: change sentences agree with the numbers; values and changes in their units.

The scorecard, headline indicators and indicator sentences of the hand-worked study are
tested in test_shifts.py, beside the indicator table they read.
"""

from __future__ import annotations

import pytest

from analysis.shifts.text import change_sentence, format_change


def test_the_issue_example_sentence():
    s = change_sentence("Trust between the council and VCSE organisations", 58, 74, "% of max")
    assert s == "Trust between the council and VCSE organisations rose from 58% to 74% of the maximum."


# Each expected sentence worked out by hand from the unit's rounding: a change is described only
# when the two values differ as shown (58.2 and 57.9 both show as 58%, so the measure "stayed").
@pytest.mark.parametrize("before, after, unit, expected", [
    (58.0, 74.0, "% of max", "The measure rose from 58% to 74% of the maximum."),
    (74.0, 58.0, "% of max", "The measure fell from 74% to 58% of the maximum."),
    (58.2, 57.9, "% of max", "The measure stayed at 58% of the maximum."),
    (30.0, 12.0, "days", "The measure fell from 30 to 12 days."),
    (12.0, 30.0, "days", "The measure rose from 12 to 30 days."),
    (3, 3, "count", "The measure stayed at 3."),
    (0, 2, "count", "The measure rose from 0 to 2."),
    (1.234, 1.236, "£ per head", "The measure rose from £1.23 to £1.24."),
    (2.0, 0.5, "£ per head", "The measure fell from £2.00 to £0.50."),
    (3.61, 3.64, "score (1-5)", "The measure stayed at 3.6."),
    (25.0, 50.0, "%", "The measure rose from 25% to 50%."),
    (50.0, 25.0, "%", "The measure fell from 50% to 25%."),
    (0.42, 0.10, "points", "The measure fell from 0.42 to 0.10 points."),
])
def test_sentence_agrees_with_numbers(before, after, unit, expected):
    assert change_sentence("The measure", before, after, unit) == expected


def test_sentence_first_phase_and_missing():
    s = change_sentence("Density", None, 12.0, "%", after_label="Baseline")
    assert "no earlier figure" in s and "12%" in s
    assert change_sentence("Density", 12.0, float("nan"), "%", after_label="Final") == \
        "There is no figure for density in Final."


@pytest.mark.parametrize("change, unit, expected", [
    (16.4, "% of max", "+16 pts"), (-7.0, "days", "\u22127 days"), (0.2, "%", "0 pts"),
    (0.0, "count", "0"), (0.4, "£ per head", "+£0.40"), (-0.25, "score (1-5)", "\u22120.2"),
])
def test_format_change(change, unit, expected):
    assert format_change(change, unit) == expected
