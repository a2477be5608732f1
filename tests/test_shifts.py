"""Tests of analysis.shifts: indicator values worked out by hand, changes, headlines, sentences."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from analysis import study_from_tables
from analysis.disclosure import for_audience
from analysis.shifts import (
    INDICATOR_DIRECTIONS,
    headline_indicators,
    indicator_changes,
    indicator_sentences,
    indicator_table,
    scorecard,
)


def hand_tables() -> dict[str, pd.DataFrame]:
    """Two places, three phases; every number the tests assert is worked out in comments."""
    D = pd.DataFrame
    return {
        "places": D({"place_id": ["north", "south"], "name": ["Northtown", "Southville"],
                     "population": [1000, 2000]}),
        "phases": D({"phase_id": ["p1", "p2", "p3"], "label": ["Before", "During", "After"],
                     "start_date": ["2020-01-01", "2020-03-01", "2020-06-01"],
                     "end_date": ["2020-02-28", "2020-05-31", "2020-12-31"]}),
        "organisations": D({
            "org_id": ["C", "H", "V1", "V2", "S", "W"],
            "name": ["North Council", "North Health", "Food Bank", "Youth Club", "South Council", "South Advice"],
            "place_id": ["north"] * 4 + ["south"] * 2,
            "sector": ["local_authority", "health", "vcse", "community_group", "local_authority", "vcse"],
            "size": ["major", "major", "small", "micro", "major", "medium"]}),
        # north p1: ties C->V1 (trust 3), V1->C (trust 2); H->V2 is level 1, not a tie.
        #   density 2 / (4 * 3) = 16.7%; mean trust 2.5 = 62.5% of max; cross-sector 2/2 = 100%;
        #   council->VCSE 3 vs VCSE->council 2: gap 1.0.
        # north p2: C->V1 (4), V1->C (4), H->V2 (3), V1->V2 (2).
        #   density 4/12 = 33.3%; mean trust 13/4 = 3.25 = 81.25%; cross-sector 3/4 = 75%; gap 0.
        "relationships": D({
            "phase_id": ["p1", "p1", "p1", "p2", "p2", "p2", "p2"],
            "org_id": ["C", "V1", "H", "C", "V1", "H", "V1"],
            "partner_id": ["V1", "C", "V2", "V1", "C", "V2", "V2"],
            "level": [2, 3, 1, 4, 4, 2, 2],
            "reliability": [3, 2, None, 4, 4, 3, 2],
            "mission": [3, 2, None, 4, 4, 3, 2],
            "openness": [3, 2, None, 4, 4, 3, 2]}),
        # north p1: A: C chair, H member, V1 member; B: C chair, V2 observer.
        #   seats (chair + member) 4, VCSE 1 -> 25%; chairs 2, VCSE 0 -> 0%.
        # north p2: A: V1 chair, C, H, V2 members -> seats 4, VCSE 2 -> 50%; chairs 1, VCSE 1 -> 100%.
        "boards": D({
            "phase_id": ["p1"] * 5 + ["p2"] * 4,
            "place_id": ["north"] * 9,
            "board": ["A", "A", "A", "B", "B", "A", "A", "A", "A"],
            "org_id": ["C", "H", "V1", "C", "V2", "V1", "C", "H", "V2"],
            "role": ["chair", "member", "member", "chair", "observer", "chair", "member", "member", "member"]}),
        "themes": D({"theme_id": ["trust", "capacity"], "label": ["Trust", "Capacity"],
                     "dimension": ["attitudes", "ways_of_working"]}),
        # north p1: 1 shift; p2: 2 threats (capacity), 1 mitigation (capacity); p3: 3 threats.
        "evidence": D({
            "evidence_id": [f"e{i}" for i in range(1, 8)],
            "place_id": ["north"] * 7,
            "phase_id": ["p1", "p2", "p2", "p2", "p3", "p3", "p3"],
            "source": ["interview-01"] * 7,
            "kind": ["shift", "threat", "threat", "mitigation", "threat", "threat", "threat"],
            "theme_id": ["trust", "capacity", "capacity", "capacity", "capacity", "trust", "trust"],
            "status": ["emerging", "at_risk", "at_risk", "established", None, None, None],
            "summary": ["s"] * 7}),
        "survey_items": D({"item_id": ["q1", "q2"], "text": ["I trust partners", "I doubt partners"],
                           "theme_id": ["trust", "trust"], "reverse": [False, True]}),
        # north p2, theme trust, q2 reversed (6 - score):
        #   r1 (5, 1->5) 5; r2 (4, 2->4) 4; r3 (4, blank) 4; r4 (3, 3) 3; r5 (2, 4->2) 2.
        #   mean 18/5 = 3.6; sd = sqrt(5.2/4) = 1.1402; t(0.975, 4) = 2.7764;
        #   half-width 2.7764 * 1.1402 / sqrt(5) = 1.4157 -> (2.1843, 5.0157).
        # north p1: r1 and r2 only: 2 respondents, suppressed.
        "survey_responses": D({
            "phase_id": ["p2"] * 10 + ["p1"] * 4,
            "respondent_id": ["r1", "r1", "r2", "r2", "r3", "r3", "r4", "r4", "r5", "r5", "r1", "r1", "r2", "r2"],
            "org_id": ["V1", "V1", "C", "C", "H", "H", "V2", "V2", "V1", "V1", "V1", "V1", "C", "C"],
            "item_id": ["q1", "q2"] * 7,
            "score": [5, 1, 4, 2, 4, None, 3, 3, 2, 4, 5, 1, 4, 2]}),
        # north p2: 10 and 30 days, £500 + £1,500 = £2,000 over 1,000 people = £2.00 a head;
        # median 20 days. north p3: one grant, 60 days. Both p2 grants to small/micro recipients.
        "grants": D({
            "Identifier": ["g1", "g2", "g3"], "Title": ["a", "b", "c"], "Currency": ["GBP"] * 3,
            "Amount Awarded": [500, 1500, 100],
            "Award Date": ["2020-03-11", "2020-03-31", "2020-07-30"],
            "Application Date": ["2020-03-01", "2020-03-01", "2020-05-31"],
            "Recipient Org:Identifier": ["V1", "V2", "V1"], "Recipient Org:Name": ["x", "y", "x"],
            "Funding Org:Identifier": ["F", "F", "F"], "Funding Org:Name": ["Fund"] * 3,
            "Award Process": ["fast_track", "open_call", "open_call"]}),
    }


@pytest.fixture(scope="module")
def hand():
    return study_from_tables(hand_tables())


@pytest.fixture(scope="module")
def table(hand):
    return indicator_table(hand)


def value(table, indicator, place="north", phase="p2"):
    row = table[(table.indicator == indicator) & (table.place_id == place) & (table.phase_id == phase)]
    assert len(row) == 1, (indicator, place, phase)
    return row.iloc[0]


@pytest.mark.parametrize("indicator, phase, expected, n", [
    ("network_density", "p1", 100 * 2 / 12, 2),
    ("network_density", "p2", 100 * 4 / 12, 4),
    ("mean_trust", "p1", 62.5, 2),
    ("mean_trust", "p2", 81.25, 4),
    ("cross_sector_share", "p1", 100.0, 2),
    ("cross_sector_share", "p2", 75.0, 4),
    ("council_vcse_asymmetry", "p1", 1.0, 1),
    ("council_vcse_asymmetry", "p2", 0.0, 1),
    ("vcse_seat_share", "p1", 25.0, 4),
    ("vcse_seat_share", "p2", 50.0, 4),
    ("vcse_chair_share", "p1", 0.0, 2),
    ("vcse_chair_share", "p2", 100.0, 1),
    ("survey:trust", "p2", 3.6, 5),
    ("evidence_shift", "p1", 1, 1),
    ("evidence_threat", "p2", 2, 2),
    ("evidence_threat", "p3", 3, 3),
    ("evidence_mitigation", "p2", 1, 1),
    ("evidence_threat:capacity", "p2", 2, 2),
    ("evidence_threat:trust", "p3", 2, 2),
    ("median_days_to_award", "p2", 20.0, 2),
    ("median_days_to_award", "p3", 60.0, 1),
    ("grant_value_per_head", "p2", 2.0, 2),
    ("grants_awarded", "p2", 2, 2),
    ("small_recipient_share", "p2", 100.0, 2),
    ("award_process:fast_track", "p2", 50.0, 2),
])
def test_indicator_values_by_hand(table, indicator, phase, expected, n):
    row = value(table, indicator, phase=phase)
    assert row["value"] == pytest.approx(expected)
    assert row["n"] == n


def test_every_indicator_has_label_unit_and_documented_direction(table):
    assert set(table["direction"]) <= set(INDICATOR_DIRECTIONS)
    assert table["label"].str.len().gt(0).all()
    assert value(table, "median_days_to_award")["direction"] == "down is good"
    assert value(table, "evidence_threat")["direction"] == "down is good"
    assert value(table, "mean_trust")["direction"] == "up is good"
    assert value(table, "award_process:open_call")["direction"] == "neutral"


def test_table_is_tidy_over_every_place_and_phase(table, hand):
    per = table.groupby("indicator").size()
    assert (per == len(hand.place_ids) * len(hand.phase_ids)).all()
    # a place with no board seats has no share (NaN), never 0
    assert math.isnan(value(table, "vcse_seat_share", place="south", phase="p1")["value"])
    # nothing was coded about south in p1 (nobody was interviewed there): no count, not 0 (issue 12)
    assert math.isnan(value(table, "evidence_threat", place="south", phase="p1")["value"])


def test_small_survey_cell_is_suppressed_not_zero(table):
    row = value(table, "survey:trust", phase="p1")
    assert math.isnan(row["value"]) and bool(row["suppressed"])
    assert not bool(value(table, "survey:trust", phase="p2")["suppressed"])


def test_changes_in_own_units(table, hand):
    changes = indicator_changes(table, hand)
    here = (changes.indicator == "mean_trust") & (changes.place_id == "north") & (changes.phase_id == "p2")
    row = changes[here].iloc[0]
    assert row["previous_phase_id"] == "p1"
    assert row["change_from_previous"] == pytest.approx(81.25 - 62.5)  # percentage points
    days = changes[(changes.indicator == "median_days_to_award") & (changes.place_id == "north")].set_index("phase_id")
    assert days.loc["p3", "change_from_previous"] == pytest.approx(40.0)  # 60 - 20 days
    assert math.isnan(days.loc["p3", "change_from_first"])  # no figure in p1
    threats = changes[(changes.indicator == "evidence_threat") & (changes.place_id == "north")].set_index("phase_id")
    assert threats.loc["p3", "change_from_first"] == 3
    assert threats.loc["p3", "change_from_previous"] == 1
    assert changes[changes.phase_id == "p1"]["change_from_previous"].isna().all()


def test_scorecard_flips_sign_for_down_is_good(hand, table):
    card = scorecard(hand, "p3", table=table).set_index(["place_id", "indicator"])
    assert card.loc[("north", "median_days_to_award"), "improvement"] == pytest.approx(-40.0)  # slower: worse
    assert card.loc[("north", "evidence_threat"), "improvement"] == -1
    card2 = scorecard(hand, "p2", table=table).set_index(["place_id", "indicator"])
    assert card2.loc[("north", "mean_trust"), "improvement"] == pytest.approx(18.75)
    assert card2.loc[("north", "mean_trust"), "change_text"] == "+19 pts"


def test_scorecard_unknown_phase(hand):
    with pytest.raises(KeyError, match="not a phase"):
        scorecard(hand, "later")
    with pytest.raises(KeyError, match="not a phase"):
        headline_indicators(hand, "later")


def test_headline_indicators(hand, table):
    head = headline_indicators(hand, "p2", table=table)
    assert list(head.index) == ["north", "south"]
    assert head.loc["north", "Network density"] == "33%"
    assert head.loc["north", "Mean trust (% of max)"] == "81%"
    assert head.loc["north", "VCSE share of board seats"] == "50%"
    assert head.loc["north", "Median days to award"] == "20 days"
    assert head.loc["south", "VCSE share of board seats"] == "–"
    assert all(isinstance(v, str) for v in head.to_numpy().ravel())


def test_stakeholder_suppresses_means_of_few_ratings(hand):
    stake = for_audience(hand, "stakeholder", key=b"test key")
    t = indicator_table(stake)
    row = value(t, "mean_trust", phase="p2")  # 4 ratings < 5
    assert math.isnan(row["value"]) and bool(row["suppressed"])
    assert value(t, "network_density", phase="p2")["value"] == pytest.approx(100 / 3)  # not a rating


# -- sentences on the hand-worked study (sentences alone: test_shift_text.py) -----------------

def test_indicator_sentences_match_table(hand, table):
    sentences = indicator_sentences(hand, "north", "p2", table=table,
                                    indicators=["mean_trust", "vcse_seat_share", "network_density"])
    assert sentences[0] == "Trust between partners rose from 62% to 81% of the maximum between Before and During."
    assert sentences[1] == "The VCSE share of board seats rose from 25% to 50% between Before and During."
    first = indicator_sentences(hand, "north", "p1", table=table, indicators=["network_density"])
    assert first == ["The density of the partnership network was 17%."]
    days = indicator_sentences(hand, "north", "p3", table=table, indicators=["median_days_to_award"])
    assert days == ["The median time from application to award rose from 20 to 60 days between During and After."]


# -- the example study's planted signals ---------------------------------------------------

@pytest.fixture(scope="module")
def example_with_table(example):
    return example, indicator_table(example)


def series(table, indicator, place):
    return table[(table.indicator == indicator) & (table.place_id == place)].set_index("phase_id")["value"]


def test_example_buckinghamshire_vcse_board_share_rises(example_with_table):
    study, table = example_with_table
    share = series(table, "vcse_seat_share", "buckinghamshire").reindex(study.phase_ids)
    assert share.iloc[-1] > share.iloc[0]


def test_example_sutton_days_to_award_fall_then_rise(example_with_table):
    study, table = example_with_table
    days = series(table, "median_days_to_award", "sutton")
    assert days["emergency"] < days["baseline"]
    assert days["final"] > days["emergency"]


def test_example_threats_grow_in_final_phase(example_with_table):
    study, table = example_with_table
    for place in study.place_ids:
        threats = series(table, "evidence_threat", place)
        assert threats["final"] > threats[study.previous_phase("final")], place


def test_example_density_rises_in_emergency(example_with_table):
    study, table = example_with_table
    for place in study.place_ids:
        density = series(table, "network_density", place)
        assert density["emergency"] > density["baseline"], place
