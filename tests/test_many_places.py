"""Many places: standing among all places, ranked tables, places like this one, distributions (hand-worked)."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis import study_from_tables
from analysis.shifts import distribution_table, indicator_distributions, place_standing, places_like, ranked_table

PLACES = ["a", "b", "c", "d", "e"]


def table(values_p1, values_p2, direction="up is good", unit="%", indicator="density"):
    rows = []
    for phase, values in (("p1", values_p1), ("p2", values_p2)):
        for place, v in zip(PLACES, values, strict=True):
            rows.append({"place_id": place, "phase_id": phase, "indicator": indicator, "label": "Density",
                         "unit": unit, "direction": direction, "family": "network", "value": v, "n": 10,
                         "suppressed": False})
    return pd.DataFrame(rows)


@pytest.fixture
def study():
    tables = {
        "places": pd.DataFrame({"place_id": PLACES, "name": [p.upper() + "-town" for p in PLACES],
                                "region": ["North", "North", "South", "South", ""],
                                "population": ["1000", "1100", "100000", "1000", "50000"]}),
        "phases": pd.DataFrame({"phase_id": ["p1", "p2"], "label": ["One", "Two"],
                                "start_date": ["2020-01-01", "2020-06-01"], "end_date": ["2020-05-31", "2020-12-31"]}),
        "organisations": pd.DataFrame({"org_id": ["o1"], "name": ["Org"], "place_id": ["a"], "sector": ["vcse"]}),
    }
    return study_from_tables(tables)


def test_standing_is_direction_aware_and_ties_share_the_better_rank():
    t = table([10, 40, 40, 20, 30], [1, 2, 3, 4, 5])
    # up is good: b and c tie at 40 -> rank 1; e (30) rank 3; a (10) last, rank 5 of 5
    assert place_standing(t, "c", "p1", "density")["rank"] == 1
    assert place_standing(t, "e", "p1", "density") == {"rank": 3, "of": 5, "quarter": "second quarter", "value": 30.0}
    assert place_standing(t, "a", "p1", "density")["quarter"] == "bottom quarter"
    down = table([10, 40, 40, 20, 30], [1, 2, 3, 4, 5], direction="down is good")
    assert place_standing(down, "a", "p1", "density")["rank"] == 1  # fewest is best


def test_standing_needs_four_places_measured():
    t = table([10, None, None, 20, 30], [1, 2, 3, 4, 5])
    assert place_standing(t, "a", "p1", "density") is None


def test_ranked_table_orders_best_first_with_region_and_change(study):
    t = table([10, 40, 30, 20, None], [15, 35, 30, 40, 5])
    out = ranked_table(study, t, "p2", "density", previous="p1")
    assert out["Place"].tolist() == ["D-town", "B-town", "C-town", "A-town", "E-town"]
    assert out["Region"].tolist() == ["South", "North", "South", "North", ""]
    assert out["Value"].tolist() == ["40%", "35%", "30%", "15%", "5%"]
    # change since p1 in percentage points; E had no value in p1
    assert out["Change"].iloc[0] == "+20 pts" and out["Change"].iloc[-1] == "–"


def test_places_like_finds_the_place_with_the_nearest_profile(study):
    # a: 10% with 1,000 people. d: 12% with 1,000 -> nearest; c: 11% but 100,000 people -> further
    t = table([10, 50, 11, 12, 90], [0, 0, 0, 0, 0])
    out = places_like(study, t, "a", "p1", nearest=2)
    assert out["Place"].tolist() == ["D-town", "B-town"]
    assert float(out["Distance"].iloc[0]) < float(out["Distance"].iloc[1])


def test_distribution_table_gives_quartiles_and_the_median_change():
    t = table([10, 20, 30, 40, 50], [20, 20, 40, 40, 70])
    d = distribution_table(t, "density", ["p1", "p2"]).set_index("phase_id")
    assert d.loc["p1", "median"] == 30 and d.loc["p1", "q1"] == 20 and d.loc["p1", "q3"] == 40
    # per-place changes: +10, 0, +10, 0, +20 -> median +10
    assert d.loc["p2", "median_change"] == 10


def test_distribution_figure_is_absent_when_nothing_is_measured(study):
    t = table([None] * 5, [None] * 5)
    assert indicator_distributions(study, table=t, indicators=["density"]) is None
    fig = indicator_distributions(study, table=table([10, 20, 30, 40, 50], [20, 20, 40, 40, 70]),
                                  indicators=["density"], place="a")
    assert "5 places" in fig.alt_text and "A-town is the black diamond" in fig.alt_text
