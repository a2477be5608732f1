"""Tests of analysis.survey: reverse scoring, per-respondent theme means, t-intervals, suppression."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from analysis import study_from_tables
from analysis.survey import respondent_theme_scores, scored_responses, suppressed_label, theme_scores


def make_study(n_respondents: int, threshold: int = 5):
    """n respondents in place a answering q1 (trust) and q2 (trust, reverse-scored)."""
    D = pd.DataFrame
    rows = []
    scores = [(5, 1), (4, 2), (4, None), (3, 3), (2, 4), (1, 5), (5, 5)]
    for i in range(n_respondents):
        q1, q2 = scores[i]
        rows.append(("p1", f"r{i}", "o1" if i % 2 else "o2", "q1", q1))
        rows.append(("p1", f"r{i}", "o1" if i % 2 else "o2", "q2", q2))
    return study_from_tables({
        "places": D({"place_id": ["a"], "name": ["A"]}),
        "phases": D({"phase_id": ["p1"], "label": ["One"], "start_date": ["2020-01-01"], "end_date": ["2020-02-01"]}),
        "organisations": D({"org_id": ["o1", "o2"], "name": ["O1", "O2"], "place_id": ["a", "a"],
                            "sector": ["vcse", "local_authority"]}),
        "themes": D({"theme_id": ["trust"], "label": ["Trust"], "dimension": ["attitudes"]}),
        "survey_items": D({"item_id": ["q1", "q2"], "text": ["I trust", "I doubt"], "theme_id": ["trust", "trust"],
                           "reverse": [False, True]}),
        "survey_responses": D(rows, columns=["phase_id", "respondent_id", "org_id", "item_id", "score"]),
    }, settings={"disclosure_threshold": threshold})


@pytest.mark.parametrize("raw, expected", [(1, 5), (2, 4), (3, 3), (4, 2), (5, 1)])
def test_reverse_scoring_is_six_minus_score(raw, expected):
    s = make_study(7)
    scored = scored_responses(s)
    reversed_ = scored[scored["item_id"] == "q2"]
    row = reversed_[reversed_["raw_score"] == raw].iloc[0]
    assert row["score"] == expected


def test_blank_answers_dropped_and_respondent_mean():
    s = make_study(5)
    per = respondent_theme_scores(s).set_index("respondent_id")
    # r0 (5, 1->5) 5; r1 (4, 2->4) 4; r2 (4, blank) 4 from one item; r3 (3, 3) 3; r4 (2, 4->2) 2
    assert per["score"].to_dict() == {"r0": 5.0, "r1": 4.0, "r2": 4.0, "r3": 3.0, "r4": 2.0}
    assert per.loc["r2", "items"] == 1


def test_mean_and_t_interval_by_hand():
    row = theme_scores(make_study(5)).iloc[0]
    # mean 18/5 = 3.6; sd sqrt(5.2/4) = 1.140175; t(0.975, 4) = 2.776445; half 2.776445 * 1.140175 / sqrt(5) = 1.415715
    assert row["n"] == 5
    assert row["mean"] == pytest.approx(3.6)
    assert row["lower"] == pytest.approx(3.6 - 1.415715, abs=1e-5)
    assert row["upper"] == pytest.approx(3.6 + 1.415715, abs=1e-5)
    assert row["label"] == "3.6 (2.2 to 5.0), n = 5"
    assert not row["suppressed"]


@pytest.mark.parametrize("n", [1, 2, 4])
def test_small_cells_suppressed_never_zero(n):
    row = theme_scores(make_study(n)).iloc[0]
    assert bool(row["suppressed"])
    assert math.isnan(row["mean"]) and math.isnan(row["lower"]) and math.isnan(row["upper"])
    assert row["label"] == "fewer than 5 respondents"
    assert "0" not in row["label"]


def test_threshold_from_study_settings():
    assert not bool(theme_scores(make_study(3, threshold=3)).iloc[0]["suppressed"])
    assert bool(theme_scores(make_study(3, threshold=4)).iloc[0]["suppressed"])
    assert theme_scores(make_study(3, threshold=4)).iloc[0]["label"] == "fewer than 4 respondents"


def test_suppressed_label():
    assert suppressed_label(10) == "fewer than 10 respondents"
