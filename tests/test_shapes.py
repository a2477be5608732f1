"""Every shape of study renders every page, honestly (issue 12, points 1 to 3).

The studies of tests/shapes.py are rendered once per session, in both audiences, by the real
runner; the tests read the pages it wrote. A measure that cannot be computed must be absent
with its plain sentence, never 0, NaN or an empty figure.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from analysis.runner.jobs import AUDIENCES, FAILED_DIR
from analysis.runner.runner import run
from tests.shapes import LONG_NAME, NON_LATIN, SHAPES, write_shapes

pytestmark = pytest.mark.slow

#: Pages each study's run must render, worked out by hand: (place notebooks x places rendered
#: + 1 cross-place page) x phases. Three notebooks have a place parameter; compare_places has not.
EXPECTED_PAGES = {"bare": (3 * 1 + 1) * 2, "grants": (3 * 1 + 1) * 2, "network": (3 * 2 + 1) * 2,
                  "survey": (3 * 2 + 1) * 2, "evidence": (3 * 1 + 1) * 2, "single": (3 * 2 + 1) * 1}
#: Sections that are explanation only, with no figure or sentence computed from the data.
TEXT_ONLY_SECTIONS = ("How these figures are made", "About these numbers", "In words")


@pytest.fixture(scope="session")
def rendered(tmp_path_factory):
    """Write every shape and render it in both audiences: {(study, audience): RunReport}, and the output folder."""
    root = tmp_path_factory.mktemp("shapes")
    studies = write_shapes(root / "studies")
    out = root / "out"
    reports = {}
    for shape in SHAPES:
        for audience in AUDIENCES:
            reports[(shape.name, audience)] = run(study=str(studies[shape.name]), out=str(out), jobs=2, timeout=300,
                                                  audience=audience, places=list(shape.places) or None)
    return reports, out


def _pages(out: Path, study: str, audience: str) -> list[Path]:
    return sorted(p for p in (out / study / audience).glob("*/*/*.html"))


def _soup(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def _main(path: Path):
    return _soup(path).find("main")


def _text(node) -> str:
    return " ".join(node.get_text(" ").split())


def _computed(path: Path) -> str:
    """The text a page computed from the data: its cells' outputs, not the notebook's prose."""
    return " ".join(_text(o) for o in _main(path).find_all(class_="jp-OutputArea-output"))


# ------------------------------------------------------------------------------------------- 1


@pytest.mark.parametrize("audience", AUDIENCES)
@pytest.mark.parametrize("study", [s.name for s in SHAPES])
def test_every_page_of_every_shape_renders(rendered, study, audience):
    reports, out = rendered
    report = reports[(study, audience)]
    assert [(f["notebook"], f["place"], f["phase"], f["error"]) for f in report.failures] == []
    assert len(report.results) == EXPECTED_PAGES[study]
    assert len(_pages(out, study, audience)) == EXPECTED_PAGES[study]


# ------------------------------------------------------------------------------------------- 2

_BAD_WORDS = [
    (re.compile(r"\bnan\b", re.IGNORECASE), "nan"),
    (re.compile(r"\bNone\b"), "None"),
    (re.compile(r"not available of"), "not available of"),
    (re.compile(r"\b1 (organisations|grants|sources|ties|working ties|recipients|funders|respondents|ratings)\b"),
     "a plural after 1"),
    (re.compile(r"\b(from|to) –"), "a change from or to a missing value"),
]
_EMPTY_FIGURE = re.compile(r"\b(0|no) (organisations|themes|indicators|small line charts|places)\b")


def page_problems(path: Path) -> list[str]:
    """What a reader should never see on a page: nan, None, ungrammatical counts, empty figures, bare sections."""
    main = _main(path)
    problems = []
    for p in main.find_all(["p", "li", "h2", "h3", "figcaption"]):
        text = _text(p)
        for pattern, what in _BAD_WORDS:
            if pattern.search(text):
                problems.append(f"{what}: {text[:160]!r}")
        if "not available" in text and p.name in ("p", "li"):
            problems.append(f"'not available' inside a sentence: {text[:160]!r}")
    for cell in main.find_all("td"):
        if re.fullmatch(r"(?i)nan|none", _text(cell)):
            problems.append(f"a table cell reads {_text(cell)!r}")
    for img in main.find_all("img"):
        alt = img.get("alt") or ""
        if not alt.strip():
            problems.append("an image without alt text")
        if _EMPTY_FIGURE.search(alt) or re.search(r"\bnan\b", alt):
            problems.append(f"an image of nothing: {alt[:160]!r}")
    problems += _bare_sections(main)
    return problems


def _bare_sections(main) -> list[str]:
    """Sections (a markdown ## heading) followed by no output before the next heading or the end."""
    out, open_section = [], None
    for cell in main.find_all("div", class_="jp-Cell", recursive=True):
        classes = cell.get("class", [])
        if "jp-MarkdownCell" in classes:
            h2 = cell.find("h2")
            if h2 is not None:
                if open_section:
                    out.append(f"section {open_section!r} has neither content nor its plain sentence")
                title = _text(h2)
                open_section = None if title.startswith(TEXT_ONLY_SECTIONS) else title
        elif "jp-CodeCell" in classes:
            output = cell.find(class_="jp-OutputArea-output")
            if output is not None and (_text(output) or output.find("img")):
                open_section = None
    if open_section:
        out.append(f"section {open_section!r} has neither content nor its plain sentence")
    return out


@pytest.mark.parametrize("audience", AUDIENCES)
@pytest.mark.parametrize("study", [s.name for s in SHAPES])
def test_no_page_shows_nan_none_empty_figures_or_bare_sections(rendered, study, audience):
    _, out = rendered
    found = {}
    for page in _pages(out, study, audience):
        if page.stem == "funding_flows":
            continue  # the funding pages are being rewritten for 360Giving files (issue 12, point 6)
        problems = page_problems(page)
        if problems:
            found[str(page.relative_to(out))] = problems
    assert found == {}


def test_the_checker_finds_what_it_must(tmp_path):
    page = tmp_path / "p.html"
    page.write_text(
        '<main><div class="jp-Cell jp-MarkdownCell"><h2>Trust</h2></div>'
        '<div class="jp-Cell jp-CodeCell"><div class="jp-OutputArea-output"><p>Density was nan.</p>'
        '<p>1 organisations reported 0 ties. That is not available of all ties.</p>'
        '<img alt="Heatmaps of the number of coded observations for 0 themes"></div></div>'
        '<div class="jp-Cell jp-MarkdownCell"><h2>Brokers</h2></div>'
        '<div class="jp-Cell jp-CodeCell"></div></main>', encoding="utf-8")
    problems = page_problems(page)
    assert any(p.startswith("nan") for p in problems)
    assert any(p.startswith("a plural after 1") for p in problems)
    assert any(p.startswith("not available of") for p in problems)
    assert any(p.startswith("an image of nothing") for p in problems)
    assert "section 'Brokers' has neither content nor its plain sentence" in problems


def _page(out, study, audience, phase, place, notebook) -> Path:
    return out / study / audience / phase / place / f"{notebook}.html"


def test_a_place_without_ratings_says_so_instead_of_a_density_of_zero(rendered):
    _, out = rendered
    page = _main(_page(out, "network", "internal", "second", "coventry", "trust_network"))
    text = _text(page)
    sentence = "No network survey has been entered for Coventry in Second wave: add ratings to relationships.csv."
    assert sentence in text
    assert "0%" not in text and "density 0" not in text.lower()
    # the only figure is the phases side by side: the first wave has a network to draw
    assert len(page.find_all("img")) == 1


def test_one_organisation_in_a_place_is_not_a_network(rendered):
    _, out = rendered
    text = _text(_main(_page(out, "network", "internal", "first", "sutton", "trust_network")))
    assert ("Sutton has 1 organisation in the study, and a network needs at least two: add its partners to "
            "organisations.csv.") in text
    assert not _main(_page(out, "network", "internal", "first", "sutton", "trust_network")).find_all("img")


def test_a_measured_network_is_described_with_its_numbers(rendered):
    _, out = rendered
    text = _text(_main(_page(out, "network", "internal", "first", "coventry", "trust_network")))
    # three organisations; ties at level 2 or above: council -> larder, larder -> council,
    # health -> council (council -> health is level 1, not a tie): 3 of 3 x 2 = 6 possible
    assert "In Coventry (First wave), 3 organisations reported 3 working ties between them." in text
    assert "That is 50% of all the ties there could be" in text


def test_no_change_is_described_against_a_phase_without_a_network(rendered):
    _, out = rendered
    text = _computed(_page(out, "network", "internal", "second", "coventry", "trust_network"))
    assert "No change since First wave can be described: no network survey has been entered" in text
    assert "ties were formed" not in text


def test_two_organisations_without_ratings_have_no_measured_density(rendered):
    _, out = rendered
    for notebook in ("trust_network", "place_report"):
        text = _computed(_page(out, "bare", "stakeholder", "first", "coventry", notebook))
        assert "No network survey has been entered for Coventry in First wave: add ratings to relationships.csv." \
            in text
        assert "density" not in text.lower() and "0%" not in text


def test_a_study_of_councils_only_says_what_would_fill_each_section(rendered):
    _, out = rendered
    main = _main(_page(out, "bare", "stakeholder", "second", "coventry", "place_report"))
    text = _text(main)
    assert not main.find_all("img")
    assert "The study has no survey: add questions to survey_items.csv and answers to survey_responses.csv." in text
    assert "No coded evidence has been entered for Coventry in Second wave: add observations to evidence.csv" in text
    assert "No data has been entered for Coventry in Second wave yet" in text


def test_a_place_with_no_answers_in_one_phase(rendered):
    _, out = rendered
    text = _text(_main(_page(out, "survey", "internal", "second", "sutton", "place_report")))
    assert "No survey answers have been entered for Sutton in Second wave: add them to survey_responses.csv." in text
    text = _text(_main(_page(out, "survey", "internal", "second", "coventry", "place_report")))
    assert "No survey answers" not in text


def test_threats_are_counted_only_where_evidence_was_coded(rendered):
    _, out = rendered
    table = _main(_page(out, "evidence", "internal", "second", "all-places", "compare_places"))
    rows = [[_text(td) for td in tr.find_all("td")] for tr in table.find_all("tr")]
    # the second wave has one coded threat (E2) and no mitigation
    assert ["Coventry", "1", "0", "Speed of funding"] in rows


def test_twelve_places_and_names_in_any_script(rendered):
    _, out = rendered
    main = _main(_page(out, "single", "internal", "only", "all-places", "compare_places"))
    headers = [_text(th) for th in main.find("table").find_all("th", scope="col")]
    assert headers[0] == "Indicator" and len(headers) == 13
    assert NON_LATIN["place"] in headers and LONG_NAME in headers
    internal = _text(_main(_page(out, "single", "internal", "only", "p01", "trust_network")))
    assert NON_LATIN["vcse"] in internal or NON_LATIN["council"] in internal
    stakeholder = _page(out, "single", "stakeholder", "only", "p01", "trust_network").read_text(encoding="utf-8")
    assert NON_LATIN["vcse"] not in stakeholder and NON_LATIN["arabic"] not in stakeholder


def test_single_phase_says_there_is_nothing_to_compare_with(rendered):
    _, out = rendered
    text = _computed(_page(out, "single", "stakeholder", "only", "p02", "place_report"))
    assert "The only phase is the first phase of the study, so there is no earlier phase to compare" in text
    assert "rose" not in text and "fell" not in text


# ------------------------------------------------------------------------------------------- 3


def _index(out, study, audience, phase):
    return _soup(out / study / audience / phase / "index.html")


def test_the_index_lists_every_page_of_every_place(rendered):
    _, out = rendered
    soup = _index(out, "single", "internal", "only")
    cards = {_text(card.find("h3")): card for card in soup.select("li.cip-card")}
    assert len(cards) == 12
    # two places were rendered, the place report first; the other ten list their three pages as not rendered yet
    assert [a["href"] for a in cards[LONG_NAME].find_all("a")] == [
        "p02/place_report.html", "p02/trust_network.html", "p02/funding_flows.html"]
    assert _text(cards["Place 12"]).count("not rendered yet") == 3
    assert not cards["Place 12"].find_all("a")
    assert "30 pages have not been rendered yet." in _text(soup)


def test_the_index_says_which_pages_have_no_data_yet(rendered):
    _, out = rendered
    soup = _index(out, "network", "stakeholder", "second")
    cards = {_text(card.find("h3")): card for card in soup.select("li.cip-card")}
    coventry = _text(cards["Coventry"])
    assert ("Trust network no data yet No network survey has been entered for Coventry in Second wave: "
            "add ratings to relationships.csv.") in coventry
    assert "Funding flows no data yet No grants have been recorded for Coventry in Second wave" in coventry
    # the headline figure: no network was measured in the second wave, so no density (not 0%)
    assert "Network density –" in coventry and "0%" not in coventry
    # nobody entered anything in the second wave: all three pages of both places, and the comparison
    assert _text(soup).count("no data yet") == 7
    first = _text(_index(out, "network", "stakeholder", "first"))
    assert "No network survey has been entered for Coventry" not in first


def test_a_failed_page_is_marked_and_counted_on_the_index(tmp_path):
    from tests.helpers import copy_fixture_notebooks

    study = write_shapes(tmp_path / "studies")["bare"]
    nbs = copy_fixture_notebooks(tmp_path / "nbs", "ok", "raises")
    out = tmp_path / "out"
    for audience in AUDIENCES:
        report = run(study=str(study), notebooks=str(nbs), out=str(out), jobs=2, timeout=120, audience=audience)
        assert report.exit_status == 1
    internal = _index(out, "bare", "internal", "first")
    text = _text(internal)
    assert "1 of 2 pages failed in this phase" in text
    assert text.index("1 of 2 pages failed") < text.index("Each place")  # at the top, before the pages
    failed = internal.select("li.cip-page-failed")
    assert len(failed) == 1 and "failed" in _text(failed[0])
    link = failed[0].find("a", string=re.compile("executed notebook"))
    target = (out / "bare" / "internal" / "first" / link["href"]).resolve()
    assert target == (out / "bare" / FAILED_DIR / "internal" / "first" / "coventry" / "raises.ipynb").resolve()
    assert target.exists()
    stakeholder = _index(out, "bare", "stakeholder", "first")
    assert "1 of 2 pages failed in this phase" in _text(stakeholder)
    assert not stakeholder.find("a", string=re.compile("executed notebook"))
    assert "Error" not in _text(stakeholder.select("li.cip-page-failed")[0])
