"""Many places, the pieces of the pages: standing sentences, spread, places alike, the sorted index (hand-worked)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis import study_from_tables
from analysis.shifts import (
    MANY_PLACES,
    has_many_places,
    nearest_places,
    places_like,
    spread_table,
    standing_sentence,
    standing_sentences,
)


def table(values: dict, *, phase="p2", indicator="network_density", label="Network density", unit="%",
          direction="up is good") -> pd.DataFrame:
    """An indicator table of one indicator: ``{place: value}`` (None: not measured) in ``phase``."""
    return pd.DataFrame([{"place_id": p, "phase_id": phase, "indicator": indicator, "label": label, "unit": unit,
                          "direction": direction, "family": "network", "value": np.nan if v is None else float(v),
                          "n": 10, "suppressed": False} for p, v in values.items()])


def places(n: int, regions=None) -> pd.DataFrame:
    ids = [f"p{i:02d}" for i in range(n)]
    return pd.DataFrame({"place_id": ids, "name": [f"Town {i}" for i in range(n)],
                         "region": regions or [""] * n, "population": ["10000"] * n})


def study_of(n: int, regions=None):
    return study_from_tables({
        "places": places(n, regions),
        "phases": pd.DataFrame({"phase_id": ["p1", "p2"], "label": ["One", "Two"],
                                "start_date": ["2020-01-01", "2020-06-01"], "end_date": ["2020-05-31", "2020-12-31"]}),
        "organisations": pd.DataFrame({"org_id": ["o1"], "name": ["Org"], "place_id": ["p00"], "sector": ["vcse"]}),
    })


# ------------------------------------------------------------------------------- standing sentences

def test_quarters_among_eight_places_or_more():
    # 16 places with densities 1..16%: 16% is 1st; 12% is 5th (5-1)*4//16 = 1 -> second quarter; 1% is 16th
    t = table({f"p{i:02d}": i + 1 for i in range(16)})
    assert standing_sentence(t, "p15", "p2", "network_density") == (
        "Network density (16%) is in the top quarter of the 16 places in this phase (highest of 16).")
    assert standing_sentence(t, "p11", "p2", "network_density") == (
        "Network density (12%) is in the second quarter of the 16 places in this phase (5th highest of 16).")
    assert standing_sentence(t, "p00", "p2", "network_density") == (
        "Network density (1%) is in the bottom quarter of the 16 places in this phase (16th highest of 16).")


def test_lower_is_better_and_places_not_measured():
    # days to award of 9 places (one not measured): 10 days is the fewest; 40 days ranks 4th of 8 -> (4-1)*4//8 = 1
    days = {"a": 10, "b": 20, "c": 30, "d": 40, "e": 50, "f": 60, "g": 70, "h": 80, "i": None}
    t = table(days, indicator="median_days_to_award", label="Median days to award", unit="days",
              direction="down is good")
    assert standing_sentence(t, "a", "p2", "median_days_to_award", places_total=9) == (
        "Median days to award (10 days) is in the top quarter of the 8 places measured in this phase "
        "(fewest of 8; fewer is better).")
    assert standing_sentence(t, "d", "p2", "median_days_to_award", places_total=9).startswith(
        "Median days to award (40 days) is in the second quarter of the 8 places measured")
    assert standing_sentence(t, "i", "p2", "median_days_to_award", places_total=9) is None


def test_below_eight_places_the_rank_is_said_plainly_and_below_four_nothing():
    five = table({"a": 30, "b": 20, "c": 50, "d": 10, "e": 40})
    assert standing_sentence(five, "b", "p2", "network_density") == (
        "Network density (20%) is the 4th highest of the 5 places in this phase.")
    assert standing_sentence(five, "c", "p2", "network_density") == (
        "Network density (50%) is the highest of the 5 places in this phase.")
    three = table({"a": 30, "b": 20, "c": 50})
    assert standing_sentence(three, "c", "p2", "network_density") is None


def test_ties_share_the_better_rank_and_a_tie_across_quarters_gives_ranks():
    # 8 places: 60, 50, 50, 50, 40, 30, 20, 10. The three at 50 rank 2 to 4: quarters 0 and 1 -> no quarter named
    t = table(dict(zip("abcdefgh", [60, 50, 50, 50, 40, 30, 20, 10], strict=True)))
    assert standing_sentence(t, "c", "p2", "network_density") == (
        "Network density (50%) is shared by 3 of the 8 places in this phase, ranked 2nd to 4th highest of 8.")
    # two at 10 share the 7th rank, both in the bottom quarter ((7-1)*4//8 = 3, (8-1)*4//8 = 3)
    t2 = table(dict(zip("abcdefgh", [60, 50, 45, 40, 35, 30, 10, 10], strict=True)))
    assert standing_sentence(t2, "h", "p2", "network_density") == (
        "Network density (10%) is in the bottom quarter of the 8 places in this phase "
        "(7th highest of 8, tied with 1 other place).")
    same = table(dict.fromkeys("abcdefgh", 0))
    assert standing_sentence(same, "a", "p2", "network_density") == (
        "Network density (0%) is the same in all 8 places in this phase.")


def test_a_hidden_figure_has_no_standing_and_counts_among_no_places():
    # as the place report's disclosure plan leaves it: the hidden value is NaN and marked suppressed
    values = {f"p{i:02d}": 10.0 * (i + 1) for i in range(14)}
    t = table(values, indicator="mean_trust", label="Mean trust (% of max)", unit="% of max")
    hidden = t.copy()
    hidden.loc[hidden["place_id"] == "p05", ["value", "suppressed"]] = [np.nan, True]
    s = study_of(14)
    assert standing_sentences(s, hidden, "p05", "p2", indicators=["mean_trust"]) == []
    # another place's standing is among the 13 shown: p13 (140) is 1st of 13, p12 (130) 2nd
    assert standing_sentences(s, hidden, "p12", "p2", indicators=["mean_trust"]) == [
        "Mean trust (130% of the maximum) is in the top quarter of the 13 places measured in this phase "
        "(2nd highest of 13)."]


def test_standing_is_said_only_for_many_places():
    assert MANY_PLACES == 12
    t = table({f"p{i:02d}": i for i in range(12)})
    assert not has_many_places(study_of(12)) and standing_sentences(study_of(12), t, "p03", "p2") == []
    t13 = table({f"p{i:02d}": i for i in range(13)})
    assert has_many_places(study_of(13)) and len(standing_sentences(study_of(13), t13, "p03", "p2")) == 1


# ------------------------------------------------------------------------------- spread and places alike

def test_spread_counts_places_that_moved_each_way():
    before = table({"a": 10, "b": 20, "c": 30, "d": 40, "e": 50}, phase="p1")
    after = table({"a": 12, "b": 20.2, "c": 25, "d": 41, "e": None})
    s = study_of(5)
    t = pd.concat([before, after], ignore_index=True).replace({"p00": "a"})
    s = study_from_tables({"places": pd.DataFrame({"place_id": list("abcde"), "name": list("ABCDE")}),
                           "phases": s.phases, "organisations": s.organisations.assign(place_id="a")})
    row = spread_table(s, t, "p2", ["network_density"]).iloc[0].to_dict()
    # after: 12, 20.2, 25, 41 -> median 22.6 -> "23%"; quartiles (linear) 18.15 and 29 -> "18%" and "29%"
    # changes +2, +0.2 (shows as 0 pts: the same), -5, +1 -> median +0.6 -> "+1 pts"; better 2, worse 1, same 1
    assert row == {"Measure": "Network density", "Places measured": "4", "Median": "23%", "Middle half": "18% to 29%",
                   "Median change": "+1 pts", "Better, worse, same": "2, 1, 1"}


def test_nearest_places_agree_with_places_like_and_a_hand_worked_distance():
    # one indicator, equal populations (log population has no spread: left out): distance = |z_a - z_b|
    values = {"a": 10, "b": 12, "c": 30, "d": 31, "e": 70}
    s = study_from_tables({"places": pd.DataFrame({"place_id": list("abcde"), "name": list("ABCDE"),
                                                   "population": ["500"] * 5}),
                           "phases": study_of(1).phases, "organisations": study_of(1).organisations.assign(
                               place_id="a")})
    t = table(values)
    near = nearest_places(s, t, "p2", nearest=2)
    assert near.loc["a", "nearest"] == ["b", "c"] and near.loc["e", "nearest"] == ["d", "c"]
    sd = np.std([10, 12, 30, 31, 70])  # population standard deviation, as the z-scores use
    assert near.loc["a", "distance"][0] == pytest.approx(2 / sd)
    for place in values:
        alike = places_like(s, t, place, "p2", nearest=2)
        assert alike["Place"].tolist() == [s.place_name(q) for q in near.loc[place, "nearest"]]


def test_evidence_themes_count_places_not_observations():
    from analysis.shifts import evidence_themes_table

    s = study_from_tables({
        "places": pd.DataFrame({"place_id": ["x", "y"], "name": ["X", "Y"]}),
        "phases": study_of(1).phases,
        "organisations": pd.DataFrame({"org_id": ["o"], "name": ["O"], "place_id": ["x"], "sector": ["vcse"]}),
        "themes": pd.DataFrame({"theme_id": ["cap", "fund"], "label": ["Capacity", "Funding"],
                                "dimension": ["ways_of_working", "funding"]}),
        "evidence": pd.DataFrame({
            "evidence_id": ["e1", "e2", "e3", "e4"], "place_id": ["x", "x", "y", "y"], "phase_id": ["p2"] * 4,
            "source": ["i1"] * 4, "kind": ["threat", "threat", "threat", "shift"],
            "theme_id": ["cap", "cap", "cap", "fund"], "summary": ["s"] * 4}),
    })
    # two threats about capacity in x and one in y: 2 places, not 3 observations
    assert evidence_themes_table(s, "p2").values.tolist() == [["Capacity", "0", "0", "2", "0"],
                                                              ["Funding", "1", "0", "0", "0"]]
    assert evidence_themes_table(s, "p1").empty


# ------------------------------------------------------------------------------- the index of many places

def _index(tmp_path, n: int, ordering: dict | None):
    from analysis.runner import StudyInfo
    from analysis.runner.manifest import Manifest
    from analysis.runner.render import write_indexes

    ids = [f"p{i:02d}" for i in range(n)]
    info = StudyInfo(path="s", slug="s", name="S", illustrative=False, fingerprint="f" * 12, place_ids=ids,
                     place_names={p: f"Town <{i}>" for i, p in enumerate(ids)}, phase_ids=["two"],
                     phase_labels={"two": "Two"})
    phase_dir = tmp_path / "s" / "stakeholder" / "two"
    manifest = Manifest.load(phase_dir / "manifest.json")
    for p in ids:
        manifest.record(f"{p}/place_report", {"status": "ok", "label": "Place report"})
        (phase_dir / p).mkdir(parents=True, exist_ok=True)
        (phase_dir / p / "place_report.html").write_text("x")
    manifest.save()
    figures = {"two": {p: [("Network density", f"{i}%")] for i, p in enumerate(ids)}}
    write_indexes(info, tmp_path / "s", "stakeholder", ["two"], "0", indicators=(figures, "", {}, ordering or {}))
    from bs4 import BeautifulSoup

    return BeautifulSoup((phase_dir / "index.html").read_text(encoding="utf-8"), "html.parser")


def test_the_index_of_a_few_places_keeps_its_cards(tmp_path):
    page = _index(tmp_path, 3, None)
    assert len(page.select("li.cip-card")) == 3 and page.find(id="by-region") is None


def test_the_index_of_many_places_groups_by_region_and_is_sorted_without_scripts(tmp_path):
    from analysis.runner.render import external_references

    n = 14
    regions = {f"p{i:02d}": ["North", "South", ""][i % 3] for i in range(n)}
    # density i% for place i; rank 1 is the highest; p00 (0%) has no figure in the ranking
    ranks = {f"p{i:02d}": n - i for i in range(1, n)}
    ordering = {"regions": regions, "orders": {"two": [
        {"label": "Network density", "hint": "highest first: higher is better", "ranks": ranks}]}}
    page = _index(tmp_path, n, ordering)
    html = str(page)
    assert page.find("script") is None and external_references(html) == []
    # every order is an anchor on the page, reached from the list at the top
    targets = [a["href"] for a in page.select("nav.cip-sort a")]
    assert targets == ["#by-region", "#by-name", "#by-network-density"]
    assert all(page.find(id=t[1:]) is not None for t in targets)
    # regions in name order, places without a region last; the names escaped
    groups = [h.get_text(" ", strip=True) for h in page.select("#by-region h3")]
    assert groups == ["North (5 places)", "South (5 places)", "No region given (4 places)"]
    north = [th.get_text() for th in page.find(id="region-north").find_next("table").select("tbody th")]
    assert north == ["Town <0>", "Town <3>", "Town <6>", "Town <9>", "Town <12>"]
    assert "Town &lt;0&gt;" in html
    # the ranked table: best first, p00 left out and said so
    section = page.find(id="by-network-density")
    rows = [[c.get_text(strip=True) for c in tr.find_all(["th", "td"])] for tr in section.select("tbody tr")]
    assert [r[1] for r in rows] == [f"Town <{i}>" for i in range(13, 0, -1)]
    assert rows[0][:4] == ["1", "Town <13>", "South", "13%"] and rows[-1][0] == "13"
    assert "1 place has no figure and is left out" in section.get_text(" ", strip=True)
    assert section.find("th", attrs={"aria-sort": "descending"}).get_text() == "Network density"
    # each table (its region's, by name, by density) links the place's report twice: its name and the page's own link
    assert len(page.select('a[href="p05/place_report.html"]')) == 3 * 2
