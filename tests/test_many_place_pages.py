"""The pages of a study of many places, rendered: compare_places, a place report and the phase index.

A national study of 16 places (``analysis.national``) is rendered once for this module, one phase,
with only compare_places and place_report (for one place), by the real runner. The figures the
pages show are checked against the network densities worked out here from the study's CSV rows,
not by the package: ties are distinct pairs rated at cooperation or closer between two
organisations of the same place, over every possible directed pair of the place's organisations.
"""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest
from bs4 import BeautifulSoup

from analysis.example import write_study
from analysis.national import generate_national
from analysis.paths import NOTEBOOKS_DIR
from analysis.runner.render import external_references
from analysis.runner.runner import run

pytestmark = pytest.mark.slow

N = 16
PHASE, PREVIOUS = "interim", "emergency"
PLACE = "hartlepool"
QUARTERS = ["top quarter", "second quarter", "third quarter", "bottom quarter"]


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """The 16-place study's tables and its rendered pages: (tables, {page: BeautifulSoup})."""
    root = tmp_path_factory.mktemp("many")
    tables, settings = generate_national(N, seed=2020)
    folder = write_study(root / "national16", tables, settings, 2020)
    notebooks = root / "notebooks"
    notebooks.mkdir()
    for name in ("compare_places", "place_report"):
        shutil.copy(NOTEBOOKS_DIR / f"{name}.ipynb", notebooks / f"{name}.ipynb")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("COORDINATION_KEY_DIR", str(root / "keys"))
        report = run(study=str(folder), out=str(root / "out"), notebooks=str(notebooks), phases=[PHASE],
                     places=[PLACE], jobs=2, timeout=900)
    assert report.exit_status == 0, report.summary()
    phase_dir = root / "out" / "national16" / "stakeholder" / PHASE
    pages = {key: (phase_dir / path).read_text(encoding="utf-8") for key, path in
             {"compare": "all-places/compare_places.html", "report": f"{PLACE}/place_report.html",
              "index": "index.html"}.items()}
    return tables, pages


def densities(tables, phase: str) -> pd.Series:
    """Each place's network density in ``phase`` (per cent), from the study's rows."""
    orgs = tables["organisations"].set_index("org_id")["place_id"]
    rel = tables["relationships"]
    rel = rel[(rel["phase_id"] == phase) & (pd.to_numeric(rel["level"]) >= 2) & (rel["org_id"] != rel["partner_id"])]
    rel = rel.assign(a=rel["org_id"].map(orgs), b=rel["partner_id"].map(orgs))
    rel = rel[rel["a"] == rel["b"]].drop_duplicates(["org_id", "partner_id"])
    ties = rel.groupby("a").size()
    n = orgs.value_counts()
    places = tables["places"]["place_id"]
    return pd.Series({p: 100.0 * ties.get(p, 0) / (n[p] * (n[p] - 1)) for p in places})


def names(tables) -> dict:
    return dict(zip(tables["places"]["place_id"], tables["places"]["name"], strict=True))


def regions(tables) -> dict:
    return dict(zip(tables["places"]["place_id"], tables["places"]["region"], strict=True))


def rows_of(table) -> list[list[str]]:
    return [[c.get_text(" ", strip=True) for c in tr.find_all(["th", "td"])] for tr in table.select("tbody tr")]


def pts(change: float) -> str:
    """A change in percentage points as a page writes it: whole points, a real minus sign, no sign on 0."""
    magnitude = f"{abs(change):.0f}"
    return "0 pts" if magnitude == "0" else ("+" if change > 0 else "\u2212") + magnitude + " pts"


def test_the_pages_are_self_contained_and_have_no_scripts(rendered):
    _, pages = rendered
    for page in pages.values():
        assert "<script" not in page.lower() and external_references(page) == []


def test_compare_places_shows_spread_not_a_column_per_place(rendered):
    tables, pages = rendered
    soup = BeautifulSoup(pages["compare"], "html.parser")
    headings = [h.get_text(" ", strip=True) for h in soup.find_all("h2")]
    assert "How the places spread" in headings and "Places ranked on each measure" in headings
    assert "Places like each other" in headings
    assert "The scorecard" not in headings and "In words" not in headings  # the few-place sections
    labels = dict(zip(tables["phases"]["phase_id"], tables["phases"]["label"], strict=True))
    alts = [img.get("alt", "") for img in soup.find_all("img")]
    spread = [a for a in alts if a.startswith("12 small charts")]
    assert len(spread) == 1, alts
    # the phases up to this one, and no later phase
    assert f"how the {N} places spread in every phase ({labels['baseline']}, {labels['emergency']}, " \
           f"{labels['interim']})" in spread[0]
    assert labels["final"] not in spread[0]


def test_the_spread_table_gives_the_median_and_the_moves_worked_out_here(rendered):
    tables, pages = rendered
    soup = BeautifulSoup(pages["compare"], "html.parser")
    table = next(t for t in soup.find_all("table") if t.caption and t.caption.get_text().startswith("The spread"))
    row = next(r for r in rows_of(table) if r[0] == "Network density")
    now, before = densities(tables, PHASE), densities(tables, PREVIOUS)
    change = now - before
    assert row[1] == str(N) and row[2] == f"{np.median(now):.0f}%"
    moved = [pts(c) for c in change]
    better, worse = sum(m.startswith("+") for m in moved), sum(m.startswith("\u2212") for m in moved)
    assert row[4] == pts(float(np.median(change)))
    assert row[5] == f"{better}, {worse}, {N - better - worse}"


def test_the_ranked_table_is_sorted_best_first_with_region_and_change(rendered):
    tables, pages = rendered
    soup = BeautifulSoup(pages["compare"], "html.parser")
    details = next(d for d in soup.find_all("details") if "ranked on network density" in d.summary.get_text())
    rows = rows_of(details.find("table"))
    now, before = densities(tables, PHASE), densities(tables, PREVIOUS)
    assert now.nunique() == N  # no ties, so the order is the one below
    order = now.sort_values(ascending=False).index
    assert [r[1] for r in rows] == [names(tables)[p] for p in order]
    assert [r[0] for r in rows] == [str(i) for i in range(1, N + 1)]
    assert [r[2] for r in rows] == [regions(tables)[p] for p in order]
    assert [r[3] for r in rows] == [f"{now[p]:.0f}%" for p in order]
    assert [r[4] for r in rows] == [pts(now[p] - before[p]) for p in order]
    # the sentence above it names the best and the worst three
    best = ", ".join(f"{names(tables)[p]} ({now[p]:.0f}%)" for p in order[:3])
    assert f"Best: {best}." in details.find_previous("p").get_text()


def test_places_like_each_other_lists_every_place_with_three_others(rendered):
    tables, pages = rendered
    soup = BeautifulSoup(pages["compare"], "html.parser")
    table = next(t for t in soup.find_all("table") if t.caption and "most like it" in t.caption.get_text())
    rows = rows_of(table)
    assert len(rows) == N
    assert [(r[0], r[1]) for r in rows] == sorted((r[0], r[1]) for r in rows)  # by region, then place
    all_names = set(names(tables).values())
    for region, place, population, alike in rows:
        others = [a.rsplit(" (", 1)[0] for a in alike.split("; ")]
        assert len(others) == 3 and place not in others and set(others) <= all_names
        pid = next(p for p, n in names(tables).items() if n == place)
        assert region == regions(tables)[pid]
        assert population == f"{int(tables['places'].set_index('place_id').at[pid, 'population']):,}"


def test_the_place_report_says_where_the_place_stands(rendered):
    tables, pages = rendered
    soup = BeautifulSoup(pages["report"], "html.parser")
    heading = soup.find("h2", string=f"Where {names(tables)[PLACE]} stands among all places")
    assert heading is not None
    said = [li.get_text() for li in heading.find_next("ul").find_all("li")]
    now = densities(tables, PHASE)
    rank = 1 + int((now > now[PLACE]).sum())  # higher is better; no ties (checked above)
    quarter = QUARTERS[(rank - 1) * 4 // N]
    suffix = "th" if rank in (11, 12, 13) else {1: "st", 2: "nd", 3: "rd"}.get(rank % 10, "th")
    where = "highest" if rank == 1 else f"{rank}{suffix} highest"
    assert (f"Network density ({now[PLACE]:.0f}%) is in the {quarter} of the {N} places in this phase "
            f"({where} of {N}).") in said
    alike = heading.find_next("table")
    assert "most like" in alike.caption.get_text() and len(rows_of(alike)) == 5
    assert names(tables)[PLACE] not in [r[0] for r in rows_of(alike)]


def test_the_index_groups_places_by_region_and_sorts_them_without_scripts(rendered):
    tables, pages = rendered
    soup = BeautifulSoup(pages["index"], "html.parser")
    counts = pd.Series(regions(tables)).value_counts()
    groups = [h.get_text(" ", strip=True) for h in soup.select("#by-region h3")]
    assert groups == [f"{r} ({counts[r]} place{'s' if counts[r] > 1 else ''})" for r in sorted(counts.index)]
    targets = [a["href"] for a in soup.select("nav.cip-sort a")]
    assert targets[:3] == ["#by-region", "#by-name", "#by-network-density"]
    assert all(soup.find(id=t[1:]) is not None for t in targets)
    rows = rows_of(soup.find(id="by-network-density").find("table"))
    now = densities(tables, PHASE)
    order = now.sort_values(ascending=False).index
    assert [r[1] for r in rows] == [names(tables)[p] for p in order]
    assert [r[3] for r in rows] == [f"{now[p]:.0f}%" for p in order]
    # the rendered place report is linked; the others say they are not rendered yet
    report = soup.find(id="by-name").find("a", string=names(tables)[PLACE])
    assert report["href"] == f"{PLACE}/place_report.html"
