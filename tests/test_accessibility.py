"""Accessibility of the rendered pages: axe-core's WCAG 2.2 A and AA rules in headless Chromium,
alt text that says what a figure shows, focus that can be seen, heatmap text that can be read."""

from __future__ import annotations

import html
import re
from pathlib import Path

import matplotlib
import numpy as np
import pytest

from analysis import paths, runner
from analysis.style import contrast_ratio, text_colour_on

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run"]
EXAMPLE = paths.DATA_DIR / "example"
#: axe-core's tags for WCAG 2.0, 2.1 and 2.2 at levels A and AA (WCAG 2.2 added only AA rules).
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
FOCUS_YELLOW = "rgb(255, 191, 71)"  # --focus in cip.css


# ---------------------------------------------------------------------------------------------
# Contrast arithmetic (no browser needed)


@pytest.mark.parametrize("foreground, background, expected", [
    # WCAG's own end points, and greys whose ratios are published (WebAIM contrast checker)
    ("#000000", "#FFFFFF", 21.0), ("#FFFFFF", "#FFFFFF", 1.0), ("#767676", "#FFFFFF", 4.54),
    ("#777777", "#FFFFFF", 4.48), ("#0072B2", "#FFFFFF", 5.19), ("#FFFFFF", "#0072B2", 5.19),
])
def test_contrast_ratio_matches_published_values(foreground, background, expected):
    assert contrast_ratio(foreground, background) == pytest.approx(expected, abs=0.01)


@pytest.mark.parametrize("cmap", ["cividis", "cividis_r", "RdBu", "viridis", "Greys"])
def test_text_colour_on_any_cell_colour_reaches_aa(cmap):
    colours = matplotlib.colormaps[cmap](np.linspace(0, 1, 257))
    ratios = [contrast_ratio(text_colour_on(c), c) for c in colours]
    assert min(ratios) >= 4.5
    # and it picks the better of the two: white on the darkest cividis blue, black on its yellow
    if cmap == "cividis":
        assert text_colour_on(colours[0]) == "#FFFFFF" and text_colour_on(colours[-1]) == "#000000"


def _annotation_contrasts(fig) -> list[tuple[str, float]]:
    """(text, contrast against the cell under it) for every annotation on a heatmap's image."""
    out = []
    for ax in fig.axes:
        if not ax.images:
            continue
        image = ax.images[0]
        data = image.get_array()
        for text in ax.texts:
            x, y = text.get_position()
            r, c = int(round(y)), int(round(x))
            cell = ax.get_facecolor() if np.ma.is_masked(data[r, c]) else image.to_rgba(data[r, c])
            for patch in ax.patches:  # a grey square drawn over a hidden cell
                if patch.contains_point(ax.transData.transform((x, y))):
                    cell = patch.get_facecolor()
            out.append((text.get_text(), contrast_ratio(text.get_color(), cell)))
    return out


@pytest.fixture(scope="module")
def example_study():
    if not (EXAMPLE / "study.yml").is_file():
        pytest.skip("data/example is not generated")
    from analysis import load_study
    from analysis.disclosure import for_audience

    return for_audience(load_study(EXAMPLE), "stakeholder")


def test_scorecard_heatmap_text_is_readable_on_every_cell(example_study):
    import matplotlib.pyplot as plt

    from analysis.shifts import figures as shift_figures

    for phase in example_study.phase_ids:
        fig = shift_figures.scorecard_heatmap(example_study, phase)
        contrasts = _annotation_contrasts(fig)
        plt.close(fig)
        n_cells = len(example_study.place_ids) * len(fig.axes[0].get_yticks())
        assert len(contrasts) == n_cells  # every cell annotated, none missed by the check
        assert min(ratio for _, ratio in contrasts) >= 4.5, (phase, sorted(contrasts, key=lambda t: t[1])[:3])


def test_trust_and_theme_heatmaps_text_is_readable(example_study):
    import matplotlib.pyplot as plt

    from analysis import networks
    from analysis.networks.figures import trust_heatmap
    from analysis.shifts import figures as shift_figures

    figs = [trust_heatmap(networks.trust_network(example_study, place, "interim"), threshold=5)
            for place in example_study.place_ids]
    figs.append(shift_figures.themes_heatmap(example_study, phase="interim"))
    for fig in figs:
        contrasts = _annotation_contrasts(fig)
        plt.close(fig)
        assert contrasts
        assert min(ratio for _, ratio in contrasts) >= 4.5, sorted(contrasts, key=lambda t: t[1])[:3]


def test_network_map_finding_names_the_centre_from_the_ties():
    import networkx as nx

    from analysis.figure_text import network_map_finding

    G = nx.DiGraph()
    for v, name, group in [("c", "Coventry City Council", "council"), ("a", "VCSE 01", "vcse"),
                           ("b", "VCSE 02", "vcse"), ("h", "Health 07", "health"), ("f", "<Funder & co>", "funder")]:
        G.add_node(v, name=name, sector_group=group)
    # named by: council 4 (a, b, h, f); health 2 (c, a); VCSE 01 1 (b); VCSE 02 1 (c); funder 0
    G.add_edges_from([("a", "c"), ("b", "c"), ("h", "c"), ("f", "c"), ("c", "h"), ("a", "h"), ("b", "a"),
                      ("c", "b")])
    assert network_map_finding(G) == (
        "Coventry City Council (Council) sits at the centre, named as a partner by 4 of the other 4 organisations; "
        "next come Health 07 (NHS and health, named by 2), VCSE 01 (VCSE, named by 1) and "
        "VCSE 02 (VCSE, named by 1).")
    G.add_edges_from([("f", "h"), ("b", "h")])  # health is now named by 4 too: two share the centre
    assert network_map_finding(G, top=1) == (
        "2 organisations share the centre, each named as a partner by 4 of the other 4: "
        "Coventry City Council (Council), Health 07 (NHS and health).")
    assert network_map_finding(nx.DiGraph([("a", "b")])).startswith("b (sector not recorded) sits at the centre")
    lonely = nx.DiGraph()
    lonely.add_nodes_from(["a", "b"])
    assert network_map_finding(lonely) == "No organisation named a partner, so no one sits at the centre."


def test_scorecard_finding_counts_better_and_worse_by_place(monkeypatch):
    import pandas as pd

    from analysis import figure_text
    from analysis.shifts import text as shift_text

    # Coventry: two better (0.5, 2.0), one worse, one unchanged, one suppressed (not counted);
    # Sutton: one worse, one not measured in both phases (NaN: neither)
    card = pd.DataFrame({"place_id": ["cov"] * 5 + ["sut"] * 2, "indicator": list("abcde") + list("ab"),
                         "improvement": [0.5, 2.0, -1.0, 0.0, 3.0, -0.2, np.nan],
                         "suppressed": [False, False, False, False, True, False, False]})

    class Study:
        place_ids = ["cov", "sut"]
        previous = "emergency"

        def previous_phase(self, phase):
            return self.previous

        def phase_label(self, phase):
            return phase.title()

        def place_name(self, place):
            return {"cov": "Coventry", "sut": "Sutton"}[place]

    monkeypatch.setattr(shift_text, "scorecard", lambda study, phase, table=None: card)
    assert figure_text.scorecard_finding(Study(), "interim") == (
        "Since Emergency, of 5 indicators: Coventry improved on 2 and worsened on 1; "
        "Sutton improved on 0 and worsened on 1.")
    first = Study()
    first.previous = None
    assert figure_text.scorecard_finding(first, "baseline") == ""


# ---------------------------------------------------------------------------------------------
# Every page of the example study in headless Chromium


def _browser_tools():
    if not CHROMIUM.exists():
        pytest.skip("/usr/bin/chromium is missing (Debian's chromium package; .ci/run installs it)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright (python) is not installed")
    axe = pytest.importorskip("axe_playwright_python.sync_playwright",
                              reason="axe-playwright-python (axe-core for Playwright) is not installed")
    return sync_api, axe


@pytest.fixture(scope="session")
def example_site(tmp_path_factory) -> Path:
    """Every page of the example study for stakeholders, rendered once for the session."""
    if not (EXAMPLE / "study.yml").is_file():
        pytest.skip("data/example is not generated")
    out = tmp_path_factory.mktemp("example-site")
    report = runner.run(study=str(EXAMPLE), out=str(out), jobs=2)
    assert report.exit_status == 0, report.failures
    return out / "example"


@pytest.fixture(scope="module")
def page():
    sync_api, _ = _browser_tools()
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        # nothing but the page and what it embeds: a fetch from anywhere else fails the page
        context.route("**/*", lambda route: route.continue_() if route.request.url.startswith(("file://", "data:"))
                      else route.abort())
        yield context.new_page()
        browser.close()


def _pages(site: Path) -> list[Path]:
    return sorted(p for p in site.rglob("*.html") if ".staging" not in p.parts)


@pytest.mark.slow
@pytest.mark.browser
def test_every_page_passes_axe_wcag_22_aa(example_site, page):
    _, axe_module = _browser_tools()
    axe = axe_module.Axe()
    pages = _pages(example_site)
    # study, audience and 4 phase indexes; 3 places x 3 notebooks and 1 cross-place page per phase
    assert len(pages) >= 2 + 4 + 4 * (3 * 3 + 1)
    found = {}
    for path in pages:
        page.goto(path.as_uri())
        results = axe.run(page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS},
                                         "resultTypes": ["violations"]})
        for v in results.response["violations"]:
            where = [", ".join(map(str, n["target"])) for n in v["nodes"][:3]]
            found.setdefault(str(path.relative_to(example_site)), []).append(f"{v['id']}: {v['help']} at {where}")
    assert found == {}


@pytest.mark.slow
@pytest.mark.browser
def test_focus_is_visible_and_the_first_tab_skips_to_the_content(example_site, page):
    report = example_site / "stakeholder" / "interim" / "coventry" / "trust_network.html"
    page.goto(report.as_uri())
    page.keyboard.press("Tab")
    skip = page.evaluate("""() => { const a = document.activeElement, r = a.getBoundingClientRect();
        return {text: a.textContent, href: a.getAttribute('href'), top: r.top, height: r.height,
                background: getComputedStyle(a).backgroundColor}; }""")
    assert skip["text"] == "Skip to main content" and skip["href"] == "#main"
    assert skip["top"] >= 0 and skip["height"] > 0  # shown on screen once focused
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#main"
    page.goto(report.as_uri())
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")  # the study's name in the navigation bar, white on dark ink
    focused = page.evaluate("""() => { const s = getComputedStyle(document.activeElement);
        return {background: s.backgroundColor, colour: s.color, shadow: s.boxShadow}; }""")
    assert focused["background"] == FOCUS_YELLOW and focused["shadow"] != "none"
    assert focused["colour"] == "rgb(11, 12, 12)"


@pytest.mark.slow
@pytest.mark.browser
def test_a_wide_table_scrolls_in_a_box_the_keyboard_reaches(example_site, page):
    page.set_viewport_size({"width": 420, "height": 900})  # a phone: tables are wider than the card
    try:
        page.goto((example_site / "stakeholder" / "interim" / "coventry" / "funding_flows.html").as_uri())
        boxes = page.eval_on_selector_all(".cip-scroll", """els => els.map(e => [e.scrollWidth > e.clientWidth,
            e.tabIndex, e.getAttribute('aria-label')])""")
        assert any(scrolls for scrolls, _, _ in boxes)
        assert all(tab == 0 and label for _, tab, label in boxes)
        assert ("Grants to organisations in Coventry, phase by phase") in [label for _, _, label in boxes]
    finally:
        page.set_viewport_size({"width": 1280, "height": 900})


@pytest.mark.slow
def test_every_page_has_its_language_and_one_main_landmark(example_site):
    for path in _pages(example_site):
        text = path.read_text(encoding="utf-8")
        assert '<html lang="en-GB">' in text, path
        assert len(re.findall(r"<main\b", text)) == 1, path
        assert re.search(r"<nav\b[^>]*aria-label=", text) and "<header" in text, path


@pytest.mark.slow
def test_alt_text_says_what_each_figure_shows(example_site):
    checked = 0
    for path in _pages(example_site):
        text = path.read_text(encoding="utf-8")
        for tag in re.findall(r"<img\b[^>]*>", text):
            alt = html.unescape(re.search(r'\balt="([^"]*)"', tag).group(1))
            # a description with numbers from the data, not a title of a few words
            assert len(alt) >= 80 and re.search(r"\d", alt), (path, alt)
            checked += 1
        for desc in re.findall(r"<desc\b[^>]*>([^<]*)</desc>", text):  # a figure drawn as inline SVG (the map)
            assert len(html.unescape(desc)) >= 80 and re.search(r"\d", desc), (path, desc)
            checked += 1
    assert checked >= 4 * 30
    network = (example_site / "stakeholder" / "interim" / "coventry" / "trust_network.html").read_text()
    alts = [html.unescape(a) for a in re.findall(r'<img\b[^>]*\balt="([^"]*)"', network)]
    alts += [html.unescape(d) for d in re.findall(r"<desc\b[^>]*>([^<]*)</desc>", network)]
    centre = [a for a in alts if a.startswith("Network map of Coventry, Interim")]
    assert len(centre) == 1
    assert re.search(r"\) sits at the centre, named as a partner by \d+ of the other \d+ organisations", centre[0]) or \
        "share the centre" in centre[0], centre[0]
