"""Tests of analysis.shifts.text: change sentences agree with the numbers; values and changes in their units.

The scorecard, headline indicators and indicator sentences of the hand-worked study are
tested in test_shifts.py, beside the indicator table they read.
"""

from __future__ import annotations

import pytest

from analysis.shifts.text import change_sentence, format_change, format_value


def test_the_issue_example_sentence():
    s = change_sentence("Trust between the council and VCSE organisations", 58, 74, "% of max")
    assert s == "Trust between the council and VCSE organisations rose from 58% to 74% of the maximum."


@pytest.mark.parametrize("before, after, unit", [
    (58.0, 74.0, "% of max"), (74.0, 58.0, "% of max"), (58.2, 57.9, "% of max"),
    (30.0, 12.0, "days"), (12.0, 30.0, "days"), (3, 3, "count"), (0, 2, "count"),
    (1.234, 1.236, "£ per head"), (2.0, 0.5, "£ per head"), (3.61, 3.64, "score (1-5)"),
    (25.0, 50.0, "%"), (50.0, 25.0, "%"), (0.42, 0.10, "points"),
])
def test_sentence_agrees_with_numbers(before, after, unit):
    s = change_sentence("The measure", before, after, unit)
    shown_before, shown_after = format_value(before, unit, short=True), format_value(after, unit, short=True)
    if shown_before == shown_after:
        assert " stayed at " in s and " rose " not in s and " fell " not in s
        assert shown_after.split(" ")[0] in s
    else:
        word = "rose" if after > before else "fell"
        assert f" {word} from " in s
        # both numbers appear as formatted, before first
        b, a = shown_before.split(" ")[0], shown_after.split(" ")[0]
        assert s.index(b) < s.rindex(a)
    assert s.endswith(".")


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
