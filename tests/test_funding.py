"""Tests for analysis.funding: measures, the funder-recipient network, sentences; postcode districts.

Reading 360Giving files is tested in test_grants_360giving.py.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from analysis import study_from_tables
from analysis.funding import (
    funder_overlap,
    funding_measures,
    funding_network,
    postcode_district,
    recipient_label,
    speed_sentence,
)
from tests.helpers import tiny_tables

# ----------------------------------------------------------------- places


def test_postcode_district():
    got = postcode_district(pd.Series(["CV21 3XX", "CV1 5QP", "sm1 1ea", "SW1A 1AA", "CV13HW", "02211", ""]))
    assert got.tolist() == ["CV21", "CV1", "SM1", "SW1A", "CV1", pd.NA, pd.NA]


# ----------------------------------------------------------------- measures, worked by hand


@pytest.fixture
def small_grants() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Six grants in one place over two phases (see the hand working in each test)."""
    grants = pd.DataFrame(
        [["g1", "p", "e1", "f1", "a", "GBP", 100.0, 10.0, "open_call"],
         ["g2", "p", "e1", "f1", "b", "GBP", 300.0, 30.0, "open_call"],
         ["g3", "p", "e2", "f1", "a", "GBP", 1000.0, 2.0, "fast_track"],
         ["g4", "p", "e2", "f2", "c", "GBP", 500.0, np.nan, "fast_track"],
         ["g5", "p", "e2", "f2", "a", "GBP", 200.0, 4.0, None],
         ["g6", "p", "e2", "f3", "d", "USD", 999.0, 6.0, "invited"]],
        columns=["Identifier", "place_id", "phase_id", "Funding Org:Identifier", "Recipient Org:Identifier",
                 "Currency", "Amount Awarded", "days_to_award", "Award Process"],
    )
    orgs = pd.DataFrame({"org_id": ["a", "b", "c"], "name": ["Org A", "Org B", "Org C"],
                         "size": ["micro", "large", "small"]})
    return grants, orgs


def test_measures_by_hand(small_grants):
    grants, orgs = small_grants
    m = funding_measures(grants, orgs, phase_order=["e1", "e2"]).set_index("phase_id")
    e1, e2 = m.loc["e1"], m.loc["e2"]
    # e1: £100 and £300 from f1 to a and b; 10 and 30 days; both open call; a micro, b large.
    assert (e1["grants"], e1["value"], e1["funders"], e1["recipients"]) == (2, 400.0, 1, 2)
    assert (e1["amount_q1"], e1["amount_median"], e1["amount_q3"]) == (150.0, 200.0, 250.0)
    assert (e1["days_median"], e1["days_known"]) == (20.0, 2)
    assert e1["share_open_call"] == 1.0 and e1["share_fast_track"] == 0.0
    assert (e1["size_known"], e1["small_share"], e1["small_value_share"]) == (2, 0.5, 0.25)
    assert (e1["new_recipients"], e1["new_recipient_share"]) == (2, 1.0)
    # e2: GBP £1000, £500, £200 (the USD grant is counted, never summed); funders f1, f2, f3.
    assert (e2["grants"], e2["value"], e2["non_gbp_grants"], e2["funders"], e2["recipients"]) == (4, 1700.0, 1, 3, 3)
    assert (e2["amount_q1"], e2["amount_median"], e2["amount_q3"]) == (350.0, 500.0, 750.0)
    assert (e2["days_median"], e2["days_known"]) == (4.0, 3)  # 2, 4, 6 days
    assert e2["process_known"] == 3
    assert e2["share_fast_track"] == pytest.approx(2 / 3) and e2["share_invited"] == pytest.approx(1 / 3)
    # sizes known for g3 (a micro), g4 (c small), g5 (a micro): all small; d is outside the study
    assert (e2["size_known"], e2["small_share"], e2["small_value_share"]) == (3, 1.0, 1.0)
    # a was funded in e1; c and d are new
    assert e2["new_recipients"] == 2 and e2["new_recipient_share"] == pytest.approx(2 / 3)


def test_measures_on_a_loaded_study():
    """The loader's typing (categoricals, string ids, derived columns) goes through the measures."""
    study = study_from_tables(tiny_tables())
    m = funding_measures(study.grants, study.organisations, phase_order=study.phase_ids)
    # 360G-x-1: north (recipient GB-CHC-0000007, small), during, £1,250.50, 6 Apr -> 20 Apr = 14 days
    # 360G-x-2: south (beneficiary code E09000029), before, £5,000, no application date
    assert m[["place_id", "phase_id", "grants", "value"]].to_dict("records") == [
        {"place_id": "north", "phase_id": "during", "grants": 1, "value": 1250.5},
        {"place_id": "south", "phase_id": "before", "grants": 1, "value": 5000.0},
    ]
    north = m.set_index("place_id").loc["north"]
    assert north["days_median"] == 14.0 and north["small_share"] == 1.0 and north["share_fast_track"] == 1.0
    row = m.set_index("place_id").loc["south"]
    assert row["days_known"] == 0 and np.isnan(row["days_median"]) and row["share_open_call"] == 1.0
    assert row["size_known"] == 0 and np.isnan(row["small_share"])  # GB-CHC-9999999 is outside the study


def test_funding_network_bipartite_by_hand(small_grants):
    grants, orgs = small_grants
    B = funding_network(grants, orgs)
    funders = {n for n, d in B.nodes(data=True) if d["bipartite"] == 0}
    assert funders == {("funder", "f1"), ("funder", "f2"), ("funder", "f3")}
    assert nx.bipartite.is_bipartite_node_set(B, funders)
    assert B.number_of_edges() == 5  # f1-a, f1-b, f2-c, f2-a, f3-d
    assert B.edges[("funder", "f1"), ("recipient", "a")] == {"grants": 2, "value": 1100.0}
    assert B.edges[("funder", "f3"), ("recipient", "d")]["value"] == 0.0  # USD: not in pounds
    assert B.nodes[("recipient", "a")]["name"] == "Org A"
    assert B.nodes[("recipient", "d")]["in_study"] is False and B.nodes[("recipient", "d")]["name"] is None


def test_funder_overlap_by_hand(small_grants):
    grants, _ = small_grants
    overlap = funder_overlap(grants)
    # f1 funds {a, b}, f2 {a, c}, f3 {d}: f1 and f2 share a, Jaccard 1 / |{a, b, c}|
    assert overlap.to_dict("records") == [{"funder_a": "f1", "funder_b": "f2", "shared_recipients": 1,
                                           "jaccard": pytest.approx(1 / 3)}]


def test_recipient_label_never_uses_grant_names(small_grants):
    _, orgs = small_grants
    assert recipient_label("a", orgs) == "Org A"
    assert recipient_label("zz", orgs) == "an organisation outside the study"


def test_speed_sentence_against_previous_phase():
    s = speed_sentence({"days_median": 9.0, "days_known": 5}, {"days_median": 41.0, "days_known": 3},
                       phase_label="emergency", previous_label="baseline")
    assert s == ("In the emergency phase, half of grants were awarded within 9 days of application, "
                 "against 41 days in the baseline phase.")


def test_figures_carry_alt_text_and_survive_empty_input(small_grants):
    from analysis.funding import figures as ff

    grants, orgs = small_grants
    grants = grants.assign(**{"Award Date": pd.to_datetime(["2020-01-10", "2020-02-10", "2020-04-01", "2020-04-02",
                                                            "2020-04-03", "2020-05-01"])})
    phases = pd.DataFrame({"phase_id": ["e1", "e2"], "label": ["Before", "Emergency"],
                           "start_date": pd.to_datetime(["2020-01-01", "2020-03-16"]),
                           "end_date": pd.to_datetime(["2020-03-15", "2020-06-30"])})
    fig = ff.awards_over_time(grants, phases, place_name="<Town>")
    assert "6 grants" in fig.alt_text and "<Town>" in fig.title_text
    fig = ff.grant_size_distribution(grants, ["e1", "e2"], {"e1": "Before", "e2": "Emergency"}, place_name="X")
    assert "Emergency: median £500" in fig.alt_text and "1 grant in other currencies is not shown" in fig.alt_text
    fig = ff.funder_recipient_map(funding_network(grants, orgs), orgs, place_name="X", phase_label="Emergency")
    assert "Network diagram of 3 funders on the left" in fig.alt_text
    assert "3 funders and 1 recipient are outside the study" in fig.alt_text
    empty = grants.iloc[0:0]
    empty_map = ff.funder_recipient_map(funding_network(empty, orgs), orgs, place_name="X", phase_label="Y")
    assert "0 funders" not in getattr(empty_map, "alt_text", "")  # nothing to draw: absent, not a map of nothing
    sizes = ff.grant_size_distribution(empty, ["e1"], {"e1": "Before"}, place_name="X")
    assert "median" not in getattr(sizes, "alt_text", "")
