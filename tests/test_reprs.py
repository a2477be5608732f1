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
