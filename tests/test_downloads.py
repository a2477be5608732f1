"""The data behind every table and figure: "Download the data (CSV)" links inside the page, holding
what the page shows for its audience, formula cells neutralised, and covered by the leak check."""

from __future__ import annotations

import base64
import csv
import html
import io
import re
from pathlib import Path
from urllib.parse import quote

import pandas as pd
import pytest

from analysis import load_study, runner
from analysis.disclosure import for_audience
from analysis.downloads import DOWNLOAD_TEXT, download_link, matrix_table, network_table
from analysis.files import restore_cell
from analysis.leakcheck import check_rendered
from tests.helpers import copy_fixture_notebooks

CHROMIUM = Path("/usr/bin/chromium")
CSV_HREF = "data:text/csv;charset=utf-8;base64,"
TABLE = re.compile(r'<table class="cip-table"[^>]*>.*?</table>', re.S)  # styled inline: analysis.look

# A tiny study whose numbers are worked out by hand below. One place, one phase, k = 2.
# Ties (level 2+) with their trust (mean of reliability, mission, openness):
#   VCSE One -> Council 3.0, VCSE Two -> Council 4.0, VCSE Three -> Council 2.0,
#   Health -> Council 3.0, Council -> VCSE One 4.0.
# Trust received: Council 3.0 from 4 ratings (shown); VCSE One 4.0 from 1 (suppressed, 1 < 2);
# the others receive none (suppressed: no ratings, never 0).
ORGS = [("GB-LAE-NTH", "Northtown Borough Council", "local_authority"),
        ("GB-NHS-N01", "North Riding Health Trust", "health"),
        ("GB-CHC-1000001", "Northtown Food Larder", "vcse"),
        ("GB-CHC-1000002", "Riverside Youth Project", "vcse"),
        ("GB-CHC-1000003", "Hillside Advice Centre", "vcse")]
TIES = [("GB-CHC-1000001", "GB-LAE-NTH", 3), ("GB-CHC-1000002", "GB-LAE-NTH", 4),
        ("GB-CHC-1000003", "GB-LAE-NTH", 2), ("GB-NHS-N01", "GB-LAE-NTH", 3), ("GB-LAE-NTH", "GB-CHC-1000001", 4)]


def write_tiny_network_study(folder: Path) -> Path:
    """The study above, as CSVs."""
    folder.mkdir(parents=True)
    (folder / "study.yml").write_text("name: Downloads test\nillustrative: true\ndisclosure_threshold: 2\n")
    (folder / "places.csv").write_text("place_id,name\nnorth,Northtown\n")
    (folder / "phases.csv").write_text("phase_id,label,start_date,end_date\nspring,Spring,2020-03-01,2020-05-31\n")
    (folder / "organisations.csv").write_text(
        "org_id,name,place_id,sector\n" + "".join(f"{i},{n},north,{s}\n" for i, n, s in ORGS))
    (folder / "relationships.csv").write_text(
        "phase_id,org_id,partner_id,level,reliability,mission,openness\n"
        + "".join(f"spring,{a},{b},3,{t},{t},{t}\n" for a, b, t in TIES))
    return folder


@pytest.fixture(scope="session")
def downloads_site(tmp_path_factory):
    """The fixture notebook ``downloads`` rendered for stakeholders; returns (page text, study folder)."""
    tmp = tmp_path_factory.mktemp("downloads")
    study = write_tiny_network_study(tmp / "tinynet")
    nbs = copy_fixture_notebooks(tmp / "nbs", "downloads")
    report = runner.run(study=str(study), notebooks=str(nbs), out=str(tmp / "out"), jobs=1)
    assert report.exit_status == 0, report.summary()  # the leak check passed, CSVs included
    page = tmp / "out" / "tinynet" / "stakeholder" / "spring" / "north" / "downloads.html"
    return page, study


def _links(text: str) -> list[dict]:
    """Every download link of a page: file name, base64 data, accessible name, text (in any attribute order,
    as nbconvert's sanitiser may sort them)."""
    out = []
    for tag in re.finditer(r"<a\b([^>]*)>([^<]*)</a>", text):
        attrs = dict(re.findall(r'([\w-]+)="([^"]*)"', tag[1]))
        if "download" in attrs:
            assert attrs["href"].startswith(CSV_HREF)
            out.append({"name": attrs["download"], "data": attrs["href"][len(CSV_HREF):],
                        "label": attrs.get("aria-label", ""), "text": tag[2], "at": tag.start()})
    return out


def _csv_rows(data: str) -> list[list[str]]:
    text = base64.b64decode(data).decode("utf-8-sig")
    return [[restore_cell(c) for c in row] for row in csv.reader(io.StringIO(text))]


def _table_rows(table_html: str) -> list[list[str]]:
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", table_html, re.S)
    return [[html.unescape(c) for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", r, re.S)] for r in rows]


def _pseudonyms(study: Path) -> dict[str, str]:
    s = for_audience(load_study(study), "stakeholder")
    return dict(zip(s.organisations["org_id"], s.organisations["name"], strict=True))


def test_table_link_holds_the_table_as_shown_suppressed_cells_included(downloads_site):
    page, study = downloads_site
    text = page.read_text(encoding="utf-8")
    tables = TABLE.findall(text)
    assert len(tables) == 1
    end = text.index(tables[0]) + len(tables[0])
    link = min((m for m in _links(text) if m["at"] > end), key=lambda m: m["at"])  # the next link after it
    assert text[end:link["at"]] == '<p class="cip-download">'
    assert link and link["name"] == "trust-each-organisation-receives.csv" and link["text"] == DOWNLOAD_TEXT
    assert _csv_rows(link["data"]) == _table_rows(tables[0])  # cell for cell, headings included
    # and those cells are the hand-worked ones: council shown, every other cell suppressed
    names = _pseudonyms(study)
    rows = {r[0]: r[1:] for r in _csv_rows(link["data"])[1:]}
    assert rows[names["GB-LAE-NTH"]] == ["3.0", "4"]
    assert rows[names["GB-CHC-1000001"]] == ["fewer than 2 ratings"] * 2  # 4.0 from one rating: hidden
    assert all(rows[names[o]] == ["fewer than 2 ratings"] * 2 for o in ("GB-NHS-N01", "GB-CHC-1000002"))
    assert len(rows) == 5


def test_network_map_link_lists_each_organisation_by_pseudonym(downloads_site):
    page, study = downloads_site
    links = {m["name"]: m for m in _links(page.read_text(encoding="utf-8"))}
    rows = _csv_rows(links["who-works-with-whom-northtown-spring.csv"]["data"])
    names = _pseudonyms(study)
    assert rows[0] == ["organisation", "sector", "ties_in", "ties_out"]
    assert sorted(rows[1:]) == sorted([
        [names["GB-LAE-NTH"], "Council", "4", "1"], [names["GB-NHS-N01"], "NHS and health", "0", "1"],
        [names["GB-CHC-1000001"], "VCSE", "1", "1"], [names["GB-CHC-1000002"], "VCSE", "0", "1"],
        [names["GB-CHC-1000003"], "VCSE", "0", "1"]])
    assert all(not n.startswith(("Northtown", "Riverside", "Hillside", "North Riding")) for n, *_ in rows[1:])


def test_heatmap_link_is_the_matrix_as_shown_with_hidden_cells_blank_and_marked(downloads_site):
    page, _ = downloads_site
    links = {m["name"]: m for m in _links(page.read_text(encoding="utf-8"))}
    name = next(n for n in links if n.startswith("how-much-each-sector-trusts-the-others"))
    rows = _csv_rows(links[name]["data"])
    assert rows[0] == ["rating_sector", "rated_sector", "mean_trust", "n", "note"]
    cells = {(r[0], r[1]): r[2:] for r in rows[1:]}
    assert len(cells) == 9  # council, health, VCSE: 3 x 3
    # VCSE -> council: 3 ratings of 3, 4 and 2: mean 3.0, shown
    assert cells[("VCSE", "Council")] == ["3.0", "3", ""]
    # council -> VCSE (4.0, one rating) and health -> council (3.0, one rating): hidden, never the value
    hidden = ["", "", "fewer than 2 ratings"]
    assert cells[("Council", "VCSE")] == hidden and cells[("NHS and health", "Council")] == hidden
    assert cells[("VCSE", "VCSE")] == ["", "0", "no ties"]


def test_every_link_of_the_page_is_named_and_readable(downloads_site):
    page, _ = downloads_site
    links = _links(page.read_text(encoding="utf-8"))
    assert len(links) == 3  # one table, two figures
    for m in links:
        assert html.unescape(m["label"]).startswith(f"{DOWNLOAD_TEXT}: ")
        assert m["name"].endswith(".csv") and re.fullmatch(r"[a-z0-9-]+\.csv", m["name"])


def test_formula_cells_are_neutralised_in_the_csv():
    frame = pd.DataFrame({"title": ["=HYPERLINK(\"http://x\")", "+1+2", "-x", "@SUM(A1)", "\tTab", "Plain", "-5"]})
    data = _links(download_link(frame, "Formulae"))[0]["data"]
    raw = base64.b64decode(data).decode("utf-8-sig").splitlines()[1:]
    assert [next(csv.reader([line]))[0] for line in raw[:4]] == [
        "'=HYPERLINK(\"http://x\")", "'+1+2", "'-x", "'@SUM(A1)"]
    assert raw[-2:] == ["Plain", "-5"]  # text and plain numbers as they were


@pytest.mark.parametrize("disguise", ["North\u00adFood Bank", "NORTH FOOD BANK", "North F\u043eod Bank"])
def test_a_disguised_name_in_a_csv_download_is_found_by_the_leak_check(tiny, tmp_path, disguise):
    # soft hyphen; capitals; Cyrillic "o": the tiny study's "North Food Bank" each time
    link = download_link(pd.DataFrame({"organisation": ["VCSE 01", disguise], "n": [5, 6]}), "Partners")
    (tmp_path / "page.html").write_text(f"<html><body><p>Partners</p>\n{link}\n</body></html>")
    findings = check_rendered(tiny, tmp_path)
    assert [(f.kind, f.where) for f in findings] == [("organisation name", "CSV download embedded in HTML")]
    # the same CSV percent-encoded rather than in base64
    encoded = quote(base64.b64decode(_links(link)[0]["data"]).decode("utf-8-sig"))
    (tmp_path / "page.html").write_text(f'<a download="x.csv" href="data:text/csv;charset=utf-8,{encoded}">x</a>')
    assert [f.kind for f in check_rendered(tiny, tmp_path)] == ["organisation name"]
    # and a pseudonymised CSV is clean
    (tmp_path / "page.html").write_text(download_link(pd.DataFrame({"organisation": ["VCSE 01"]}), "Partners"))
    assert check_rendered(tiny, tmp_path) == []


def test_matrix_and_network_tables_by_hand():
    import networkx as nx
    import numpy as np

    t = matrix_table(["A", "B"], ["X", "Y"], np.array([[1.26, np.nan], [np.nan, 2.0]]),
                     hidden=np.array([[False, False], [True, False]]), counts=np.array([[7, 0], [1, 9]]),
                     message="fewer than 5 ratings", empty="no ties", decimals=1)
    assert t.values.tolist() == [["A", "X", 1.3, 7, ""], ["A", "Y", None, 0, "no ties"],
                                 ["B", "X", None, None, "fewer than 5 ratings"], ["B", "Y", 2.0, 9, ""]]
    # a cell hidden to protect another says so, as the heatmap does
    notes = matrix_table(["A"], ["X", "Y"], np.array([[2.0, 3.0]]), hidden=np.array([[True, True]]),
                         message=np.array([["fewer than 5 ratings", "not shown: protects a small cell"]]))["note"]
    assert notes.tolist() == ["fewer than 5 ratings", "not shown: protects a small cell"]
    G = nx.DiGraph()
    G.add_node(1, name="=cmd", sector_group="funder")
    G.add_node(2, name="VCSE 02", sector_group="vcse")
    G.add_node(3, name="Lonely", sector_group=None)
    G.add_edges_from([(1, 2), (2, 1), (1, 3)])
    assert network_table(G).values.tolist() == [["=cmd", "Funder", 1, 2], ["VCSE 02", "VCSE", 1, 1],
                                                ["Lonely", "", 1, 0]]


@pytest.mark.browser
def test_links_pass_axe_wcag_22_aa(downloads_site):
    if not CHROMIUM.exists():
        pytest.skip("/usr/bin/chromium is missing (Debian's chromium package; .ci/run installs it)")
    sync_api = pytest.importorskip("playwright.sync_api")
    axe_module = pytest.importorskip("axe_playwright_python.sync_playwright")
    page_path, _ = downloads_site
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                     args=["--headless", "--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page()
            page.goto(page_path.as_uri())
            results = axe_module.Axe().run(page, options={
                "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]},
                "resultTypes": ["violations"]})
            violations = [(v["id"], [n["target"] for n in v["nodes"][:2]]) for v in results.response["violations"]]
            names = page.eval_on_selector_all("a[download]", "els => els.map(e => [e.textContent, "
                                                             "getComputedStyle(e).color])")
        finally:
            browser.close()
    assert violations == []
    assert [t for t, _ in names] == [DOWNLOAD_TEXT] * 3
