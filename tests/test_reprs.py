"""How a Study shows itself in a notebook: short plain-text lines and a small escaped HTML table."""

from __future__ import annotations

import re

import lxml.html
import pandas as pd
import pytest

from analysis import study_from_tables
from analysis.schema import TABLES


@pytest.fixture
def study():
    """Two places (one named with markup), two phases, two organisations in each, no other rows."""
    return study_from_tables({
        "places": pd.DataFrame({"place_id": ["north", "south"], "name": ["<script>alert(1)</script>", "South & Co"]}),
        "phases": pd.DataFrame({"phase_id": ["before", "during"], "label": ["Before <i>", "During"],
                                "start_date": ["2020-01-01", "2020-04-01"], "end_date": ["2020-03-31", "2020-06-30"]}),
        "organisations": pd.DataFrame({"org_id": ["o1", "o2", "o3", "o4"], "name": ["A", "B", "C", "D"],
                                       "place_id": ["north", "north", "south", "south"], "sector": ["vcse"] * 4}),
    }, settings={"illustrative": True}, name="Tiny <b>study</b>")


@pytest.fixture
def big(study):
    """The same study with 1,234,567 survey responses (only their number matters here)."""
    return study.replace(survey_responses=pd.DataFrame({"score": range(1_234_567)}))


def test_plain_repr_lists_every_table_with_a_whole_count_per_line(big):
    lines = repr(big).splitlines()
    assert lines[0] == "<Study 'Tiny <b>study</b>' (illustrative)"
    assert lines[1] == "  places: <script>alert(1)</script>, South & Co"
    assert lines[2] == "  phases: before -> during"
    counts = {m.group(1): m.group(2) for m in (re.fullmatch(r" +(\w+) ([\d,]+)", line) for line in lines) if m}
    assert counts == {"places": "2", "phases": "2", "organisations": "4", "relationships": "0", "boards": "0",
                      "themes": "0", "evidence": "0", "survey_items": "0", "survey_responses": "1,234,567",
                      "grants": "0"}
    assert "    survey_responses 1,234,567" in lines
    assert "              places 2" in lines  # names right-aligned, so counts start in one column
    assert lines[-1] == f"  fingerprint: {big.fingerprint}>"
    assert max(len(line) for line in lines) <= 76


def test_long_lists_wrap_between_names_never_inside_a_name_or_number(study):
    names = [f"Place number {i:,} of 1,000" for i in range(1, 13)]
    places = pd.DataFrame({"place_id": [f"p{i}" for i in range(12)], "name": names})
    lines = repr(study.replace(places=places)).splitlines()
    place_lines = lines[1:lines.index("  phases: before -> during")]
    # "Place number 1 of 1,000," is 24 characters: after the 9-character label or the 10-space indent
    # two fit in 76 (10 + 24 + 1 + 24 = 59) and a third does not (59 + 1 + 24 = 84), so 12 names take 6 lines.
    assert len(place_lines) == 6
    assert all(len(line) <= 76 for line in place_lines)
    assert place_lines[0].startswith("  places: Place number 1 of 1,000, ")
    assert all(line.startswith(" " * 10 + "Place") for line in place_lines[1:])
    joined = " ".join(line.strip() for line in place_lines)
    assert joined == "places: " + ", ".join(names)
    assert all(sum(name in line for line in place_lines) == 1 for name in names)


def test_warnings_on_load_are_counted(study):
    warned = study.replace(warnings=pd.DataFrame({"reason": ["one", "two"]}))
    assert "  warnings on load: 2 (see .warnings)" in repr(warned).splitlines()
    assert "2 warnings on load" in warned._repr_html_()
    assert "warnings" not in repr(study)


def test_html_repr_is_an_escaped_table_with_counts_right_and_text_left(big):
    markup = big._repr_html_()
    assert "<script>" not in markup and "<b>study" not in markup and "<i>" not in markup
    table = lxml.html.fragment_fromstring(markup)
    assert table.tag == "table" and "cip-table" in table.get("class")
    assert table.find("caption").text_content() == "Tiny <b>study</b> (illustrative)"
    assert [th.text_content() for th in table.findall("thead/tr/th")] == ["table", "rows", ""]
    rows = table.findall("tbody/tr")
    assert [r.find("th").text_content() for r in rows] == list(TABLES)
    got = {r.find("th").text_content(): [td.text_content() for td in r.findall("td")] for r in rows}
    assert got["places"] == ["2", "<script>alert(1)</script>, South & Co"]
    assert got["phases"] == ["2", "Before <i> \u2192 During"]
    assert got["organisations"] == ["4", ""]
    assert got["survey_responses"] == ["1,234,567", ""]
    for row in rows:
        count, text = row.findall("td")
        assert "text-align:right" in count.get("style") and "white-space:nowrap" in count.get("style")
        assert "text-align:left" in text.get("style") and "text-align:left" in row.find("th").get("style")
    shaded = [i for i, r in enumerate(rows) if "background" in (r.get("style") or "")]
    assert shaded == [1, 3, 5, 7, 9]  # zebra rows
    assert table.find("tfoot").text_content() == f"data fingerprint {big.fingerprint}"


def test_counts_are_integers(study):
    assert all(type(n) is int for _, n in study._row_counts())
    shown = lxml.html.fragment_fromstring(study._repr_html_()).text_content()
    assert not re.search(r"\d\.\d", repr(study)) and not re.search(r"\d\.\d", shown)


# ---------------------------------------------------------------- network summaries, indicator tables, comparisons

def _cells(markup: str) -> list[list[tuple[str, str, str]]]:
    """Rows of (tag, text, inline style) of the first table in ``markup``."""
    table = lxml.html.fragment_fromstring(markup, create_parent="div").find(".//table")
    return [[(c.tag, c.text_content(), c.get("style") or "") for c in row if c.tag in ("th", "td")]
            for row in table.iter("tr")]


@pytest.fixture
def three_ties():
    """1 <-> 2 and 2 -> 3: 3 organisations, 3 ties of the 6 possible (density 0.5), 2 of 3 returned."""
    import networkx as nx

    G = nx.DiGraph([(1, 2), (2, 1), (2, 3)])
    G.graph["phase"] = "<b>spring</b>"
    return G


def test_network_summary_counts_are_ints_and_lines_short(three_ties):
    from analysis.networks import network_summary

    s = network_summary(three_ties)
    assert [type(s[k]) for k in ("organisations", "respondents", "ties", "trust_n", "communities")] == [int] * 5
    assert (s["organisations"], s["ties"], s["density"]) == (3, 3, 0.5)
    lines = repr(s).splitlines()
    assert lines[0] == "<NetworkSummary of '<b>spring</b>'"
    assert "  ties" in lines[3] and lines[3].split()[-1] == "3" and "3.0" not in repr(s)
    assert lines[4].split() == ["density", "0.500"] and lines[5].split() == ["reciprocity", "0.667"]
    assert lines[7].split() == ["mean_trust", "not", "available"]  # no trust ratings: said, not NaN
    assert max(len(line) for line in lines) <= 76
    assert type(s.copy()) is type(s) and s.copy()._repr_html_() == s._repr_html_()


def test_network_summary_html_escaped_numbers_right(three_ties):
    from analysis.networks import network_summary

    markup = network_summary(three_ties)._repr_html_()
    assert "<b>spring" not in markup and "&lt;b&gt;spring&lt;/b&gt;" in markup
    rows = {r[0][1]: r for r in _cells(markup)[1:]}
    assert rows["ties"][1][1] == "3" and "text-align:right" in rows["ties"][1][2]
    assert rows["density"][1][1] == "0.500" and rows["ties"][2][1] == "Working ties reported"
    assert "text-align:left" in rows["ties"][2][2] and "text-align:left" in rows["ties"][0][2]


def test_network_summary_callers_read_it_as_before(three_ties):
    """Text functions, the disclosure plan's patching and compare_phases' arithmetic give what a float Series gave."""
    from analysis.networks import describe_network, measures_table, network_summary

    s = network_summary(three_ties)
    as_floats = pd.Series({k: float(v) for k, v in s.items()})
    assert describe_network(s, "Town") == describe_network(as_floats, "Town")
    assert measures_table(s).equals(measures_table(as_floats))
    assert measures_table(s).set_index("Measure").loc["Working ties reported", "Value"] == "3"
    patched = s.copy()
    patched["trust_n"] = 0  # what TrustPagePlan.summary does
    assert patched["trust_n"] == 0 and patched["ties"] == 3
    both = pd.DataFrame({"before": s, "after": s})
    assert (both["after"] - both["before"])["ties"] == 0


def test_indicator_table_shows_units_and_whole_counts():
    from analysis.boards import _tiny_study
    from analysis.shifts import indicator_table

    t = indicator_table(_tiny_study())
    # by name: the doctests (import-mode importlib) import a second copy of the module, whose table the cache may hold
    assert type(t).__name__ == type(t[t["place_id"] == t["place_id"].iloc[0]]).__name__ == "IndicatorTable"
    assert type(t[["value", "n"]]) is pd.DataFrame  # without its columns it is a plain frame again
    seats = next(line for line in repr(t).splitlines() if "VCSE share of board seats" in line)
    assert seats.split()[-2:] == ["25.0%", "4"]  # 1 VCSE seat of 4, worked in analysis.boards' doctest
    assert max(len(line) for line in repr(t).splitlines()) <= 76


def test_indicator_table_html_escapes_labels_and_counts_whole():
    from analysis.shifts import IndicatorTable

    t = IndicatorTable({"place_id": ["north", "north"], "phase_id": ["a", "a"],
                        "indicator": ["evidence_threat", "survey:x"],
                        "label": ["Threats recorded", "Survey: <script>alert(1)</script>"],
                        "unit": ["count", "score (1-5)"], "value": [2.0, float("nan")], "n": [2, 3],
                        "suppressed": [False, True]})
    markup = t._repr_html_()
    assert "<script>" not in markup and "&lt;script&gt;" in markup
    rows = _cells(markup)
    assert [c[1] for c in rows[1]][:5] == ["north", "a", "Threats recorded", "2", "2"]
    assert rows[2][3][1] == "" and "suppressed" in rows[2][-1][1]
    assert "text-align:right" in rows[1][3][2] and "text-align:left" in rows[1][2][2]
    six = IndicatorTable(pd.concat([t, t, t], ignore_index=True))
    with pd.option_context("display.max_rows", 4, "display.min_rows", 2):  # as pandas: the first and the last
        assert "  ... 4 rows not shown ..." in repr(six).splitlines()
        assert "4 rows not shown" in six._repr_html_() and len(_cells(six._repr_html_())) == 1 + 3  # with the gap
    assert "rows not shown" not in repr(six)


def test_phase_comparison_counts_ties_formed_kept_lost(three_ties):
    import networkx as nx

    from analysis.networks import network_summary
    from analysis.networks.change import (
        PhaseComparison,
        QAPResult,
        density_change_bootstrap,
        trust_change_on_kept_ties,
    )

    before, after = three_ties, nx.DiGraph([(1, 2), (3, 1)])  # kept 1->2; lost 2->1, 2->3; formed 3->1
    summary = pd.DataFrame({"before": network_summary(before), "after": network_summary(after)})
    summary["change"] = summary["after"] - summary["before"]
    nan = float("nan")
    c = PhaseComparison("north", "North <Town>", "a", "b", "Spring", "Summer", summary, 1, 1, 2, 0.25,
                        trust_change_on_kept_ties(before, after), QAPResult(nan, nan, nan, nan, 10, 3, 0),
                        density_change_bootstrap(before, after, n_boot=20, seed=1))
    lines = repr(c).splitlines()
    assert lines[0] == "<PhaseComparison 'North <Town>': 'Spring' -> 'Summer'"
    assert lines[1:5] == ["  ties formed: 1", "  ties kept: 1", "  ties lost: 2", "  Jaccard overlap of ties: 0.250"]
    ties = next(line for line in lines if line.split()[:1] == ["ties"] and ":" not in line)
    assert ties.split() == ["ties", "3", "2", "-1"]
    assert max(len(line) for line in lines) <= 76
    markup = c._repr_html_()
    assert "North <Town>" not in markup and "North &lt;Town&gt;" in markup
    facts = {r[0][1]: r[1] for r in _cells(markup)[1:]}
    assert facts["ties lost"][1] == "2" and "text-align:right" in facts["ties lost"][2]
