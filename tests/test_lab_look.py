"""The pages' look inside JupyterLab: tables keep text left and numbers right, and figures stay readable.

JupyterLab right-aligns every table cell and centres tables; a rendered page left-aligns text.
The package's tables carry the page's look as inline styles when displayed
(:func:`analysis.look.inline_look`). Headless Chromium checks the computed styles under
JupyterLab's own table rules and under the page stylesheet; figures are measured in points as a
592-px notebook cell (a 1024-px window with the file browser open) would show them.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import matplotlib
import networkx as nx
import pandas as pd
import pytest
from matplotlib.text import Text

from analysis import evidence, funding, networks, shifts, survey
from analysis.absence import Absent
from analysis.funding import figures as funding_figures
from analysis.look import inline_look
from analysis.networks import figures as network_figures
from analysis.page import Html, join, paragraph, table
from analysis.shifts import figures as shift_figures
from analysis.style import figure_bbox, use_style
from analysis.suppression import html_table
from tests.test_lab import lab  # noqa: F401 -- the JupyterLab server fixture, shared with the lab's browser test

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402 -- after the backend is chosen

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu"]
CSS = Path(__file__).parents[1] / "src" / "analysis" / "runner" / "templates" / "cip" / "cip.css"

#: JupyterLab 4's rules for tables in rendered HTML (packages/rendermime/style/base.css), the ones
#: that decide alignment, spacing and row colours; copied as they are.
JUPYTERLAB_TABLE_CSS = """
:root { --jp-ui-font-color1: rgba(0,0,0,0.87); --jp-ui-font-size1: 13px; --jp-layout-color0: white;
        --jp-rendermime-table-row-background: #f5f5f5; --jp-rendermime-table-row-hover-background: #e1f5fe;
        --jp-border-width: 1px; --jp-border-color1: #bdbdbd; }
.jp-RenderedHTMLCommon table { border-collapse: collapse; border-spacing: 0; border: none;
  color: var(--jp-ui-font-color1); font-size: var(--jp-ui-font-size1); table-layout: fixed;
  margin-left: auto; margin-bottom: 1em; margin-right: auto; }
.jp-RenderedHTMLCommon thead { border-bottom: var(--jp-border-width) solid var(--jp-border-color1);
  vertical-align: bottom; }
.jp-RenderedHTMLCommon td, .jp-RenderedHTMLCommon th, .jp-RenderedHTMLCommon tr { vertical-align: middle;
  padding: 0.5em; line-height: normal; white-space: normal; max-width: none; border: none; }
:not(.jp-RenderedMarkdown).jp-RenderedHTMLCommon td, :not(.jp-RenderedMarkdown).jp-RenderedHTMLCommon th,
:not(.jp-RenderedMarkdown).jp-RenderedHTMLCommon tr { text-align: right; }
.jp-RenderedHTMLCommon th { font-weight: bold; }
.jp-RenderedHTMLCommon tbody tr:nth-child(odd) { background: var(--jp-layout-color0); }
.jp-RenderedHTMLCommon tbody tr:nth-child(even) { background: var(--jp-rendermime-table-row-background); }
.jp-RenderedHTMLCommon tbody tr:hover { background: var(--jp-rendermime-table-row-hover-background); }
.jp-RenderedHTMLCommon ul:not(.list-inline) { padding-left: 2em; }
.jp-OutputArea-output.jp-RenderedHTMLCommon table { margin-left: 0; margin-right: 0; }
"""

STYLES_JS = """() => [...document.querySelectorAll('#out table, #out caption, #out tr, #out th, #out td')].map(e => {
    const s = getComputedStyle(e);
    return {tag: e.tagName, cls: e.className, text: e.innerText.trim().slice(0, 30), align: s.textAlign,
            valign: s.verticalAlign, background: s.backgroundColor, padding: s.paddingLeft,
            weight: s.fontWeight, top: s.borderTopWidth, bottom: s.borderBottomWidth, marginLeft: s.marginLeft,
            marginRight: s.marginRight, lineHeight: s.lineHeight, fontSize: s.fontSize, color: s.color};
})"""


def _pieces() -> list[str]:
    """Markup of each kind the notebooks show: an html_table, a page table, the threats table, an absent sentence."""
    frame = pd.DataFrame({"Organisation": ["North <b>Larder</b>", "South & Co", "East"],
                          "Ties": [12, 3, 7], "Trust": ["3.2", "fewer than 5 ratings", "2.9"]})
    threats = pd.DataFrame({"theme": ["Capacity <i>and</i> burnout"], "threats": [2], "mitigations": [1],
                            "threat_summaries": [["Staff are tired & leaving.", "Funding ends in March."]],
                            "mitigation_summaries": [["A <shared> rota."]]})
    return [
        html_table(frame, caption="Ties <and> trust", download=False)._repr_html_(),
        table(frame, caption="The same, as a page piece", download=False)._repr_html_(),
        evidence.threats_and_mitigations_html(threats)._repr_html_(),
        join(paragraph("Text."), Absent("No grants: add them to <grants.csv>."))._repr_html_(),
        networks.network_summary(nx.DiGraph([(1, 2), (2, 1), (2, 3)]))._repr_html_(),
    ]


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip("/usr/bin/chromium is missing (Debian's chromium package; .ci/run installs it)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright (python) is not installed")
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        yield b
        b.close()


def _styles(browser, css: str, body: str) -> list[dict]:
    page = browser.new_page(viewport={"width": 1024, "height": 768})
    try:
        page.set_content(f"<!DOCTYPE html><html><head><style>{css}</style></head><body>{body}</body></html>")
        return page.evaluate(STYLES_JS)
    finally:
        page.close()


def _lab(markup: str) -> str:
    return f'<div id="out" class="jp-OutputArea-output jp-RenderedHTMLCommon jp-RenderedHTML">{markup}</div>'


def _page(markup: str) -> str:
    output = f'<div id="out" class="jp-RenderedHTMLCommon jp-OutputArea-output">{markup}</div>'
    return f'<main class="cip-main">{output}</main>'


@pytest.mark.browser
def test_in_jupyterlab_text_is_left_numbers_right_rows_striped(browser):
    cells = _styles(browser, JUPYTERLAB_TABLE_CSS, _lab("".join(_pieces())))
    tds = [c for c in cells if c["tag"] in ("TD", "TH")]
    assert len(tds) > 30
    numbers = [c for c in tds if "cip-number" in c["cls"]]
    texts = [c["text"] for c in numbers]
    assert [texts.count(x) for x in ("12", "7", "0.500", "value")] == [2, 2, 1, 1]  # Ties twice; the summary's
    assert {c["align"] for c in numbers} == {"right"}
    assert {c["align"] for c in tds if c not in numbers} == {"left"}  # names, sentences, headings, suppressed
    assert {c["valign"] for c in tds} == {"top"} and {c["padding"] for c in tds} == {"12px"}  # 0.75rem
    assert {c["marginLeft"] for c in cells if c["tag"] == "TABLE"} == {"0px"}  # not centred
    assert {c["top"] for c in cells if c["tag"] == "TABLE"} == {"2px"}
    assert {c["align"] for c in cells if c["tag"] == "CAPTION"} == {"left"}
    rows = [c for c in cells if c["tag"] == "TR"]
    body = [r for r in rows if r["background"] != "rgba(0, 0, 0, 0)"]
    assert body and all(r["background"] == "rgb(245, 245, 245)" for r in body)  # the lab's own zebra colour
    # the threats table: its theme, its sentences and their bullets on the left
    threat = next(c for c in tds if c["text"].startswith("Staff are tired"))
    assert threat["align"] == "left"


@pytest.mark.browser
def test_on_a_page_the_inline_look_changes_nothing_but_numbers_now_right(browser):
    """Under the page stylesheet, every table element computes as the bare markup does, but a number's cell.

    Before, html_table marked numbers ``cip-number`` while cip.css right-aligned ``td.num``; both now say
    ``cip-number``, so the bare markup is right-aligned too: the inline styles add nothing a page shows.
    """
    css = CSS.read_text(encoding="utf-8")
    bare = "".join(str(p) for p in (html_table(pd.DataFrame({"A": ["x y", "z"], "n": [1, 22]}), caption="C",
                                               download=False),))
    threats = pd.DataFrame({"theme": ["T"], "threats": [1], "mitigations": [0], "threat_summaries": [["a", "b"]],
                            "mitigation_summaries": [[]]})
    bare += str(evidence.threats_and_mitigations_html(threats))
    styled = inline_look(bare)
    assert styled != bare
    before, after = _styles(browser, css, _page(bare)), _styles(browser, css, _page(styled))
    assert before == after
    assert [c["align"] for c in after if c["tag"] == "TD" and c["text"] in ("1", "22")] == ["right", "right"]


def test_inline_look_reads_tags_only_and_applies_once():
    frame = pd.DataFrame({"Name": ['<td class="cip-number" style="x">', "a > b"], "n": [1, 2]})
    bare = str(html_table(frame, download=False))
    styled = inline_look(bare)
    assert "&lt;td class=&quot;cip-number&quot; style=&quot;x&quot;&gt;" in styled  # escaped text left alone
    cells = len(re.findall(r"<t[hd][ >]", bare))
    assert cells == 6 and styled.count("text-align:left") == cells  # every cell, once; the numbers then right
    assert styled.count("text-align:right") == 2
    assert inline_look(styled) == styled
    assert Html(bare)._repr_html_() == styled and str(Html(bare)) == bare  # the text stays the bare markup
    # a table not of the suite keeps JupyterLab's look; a table already styled keeps its own
    assert inline_look("<table><tr><td>1</td></tr></table>") == "<table><tr><td>1</td></tr></table>"
    own = '<table class="cip-table" style="color:red"><tr><td>1</td></tr></table>'
    assert inline_look(own) == own


def test_one_name_for_numbers_in_the_tables_and_the_stylesheet():
    css = CSS.read_text(encoding="utf-8")
    assert "td.cip-number" in css and "td.num" not in css
    assert 'class="cip-number">7<' in str(html_table(pd.DataFrame({"n": [7]}), download=False))


# ------------------------------------------------------------------------------------------ figures

#: A notebook cell's output width in CSS pixels in a 1024-px window with the file browser open, as
#: measured in JupyterLab 4 (test_scorecard_and_threats_table_left_aligned_in_jupyterlab measures it again).
CELL_PX = 592
#: The smallest text a reader should get, in points, once a figure is shrunk to that cell.
MIN_POINTS = 7.0


def _figures(s) -> dict:
    place, phase = "coventry", "interim"
    G = networks.trust_network(s, place, phase)
    pos = network_figures.place_layout(s, place, seed=1)
    t = shifts.indicator_table(s)
    grants = s.grants[s.grants["place_id"] == place]
    labels = dict(zip(s.phases["phase_id"], s.phases["label"], strict=True))
    scores = survey.theme_scores(s)
    return {
        "network_map": lambda: network_figures.network_map(G, pos),
        "phase_small_multiples": lambda: network_figures.phase_small_multiples(s, place, pos, highlight=phase),
        "trust_heatmap": lambda: network_figures.trust_heatmap(G, threshold=5),
        "trust_received_chart": lambda: network_figures.trust_received_chart(G, threshold=5),
        "scorecard_heatmap": lambda: shift_figures.scorecard_heatmap(s, phase, table=t),
        "indicator_small_multiples": lambda: shift_figures.indicator_small_multiples(s, table=t, phase=phase),
        "themes_heatmap": lambda: shift_figures.themes_heatmap(s, phase=phase),
        "themes_heatmap (one place)": lambda: shift_figures.themes_heatmap(s, phase=phase, place=place),
        "survey_theme_plot": lambda: shift_figures.survey_theme_plot(s, phase, scores=scores),
        "indicator_distributions": lambda: shift_figures.indicator_distributions(s, table=t),
        "awards_over_time": lambda: funding_figures.awards_over_time(grants, s.phases, place_name="Coventry",
                                                                     highlight=phase),
        "grant_size_distribution": lambda: funding_figures.grant_size_distribution(grants, s.phase_ids, labels,
                                                                                   place_name="Coventry"),
        "funder_recipient_map": lambda: funding_figures.funder_recipient_map(
            funding.funding_network(grants[grants["phase_id"] == phase], s.organisations), s.organisations,
            place_name="Coventry", phase_label="Interim"),
    }


def test_every_figure_function_is_measured(example):
    assert list(_figures(example)) == FIGURES
    figures = {name.split(" ")[0] for name in FIGURES}
    public = {n for m in (network_figures, shift_figures, funding_figures) for n in m.__all__}
    helpers = {"TieArtist", "place_layout", "network_layout", "draw_network", "group_trust_table"}
    assert figures == public - helpers


def effective_points(fig, cell_px: int = CELL_PX) -> list[tuple[float, str]]:
    """Each visible text's size in points as a cell ``cell_px`` wide shows the figure's PNG.

    The page's PNG is drawn at ``savefig.dpi`` over the figure's tight box; a browser shows it at
    one CSS pixel per image pixel (96 to the inch), shrunk to the cell when wider. A 9-pt label
    of a 12-inch figure drawn at 150 dpi is 1,800 px wide, shown at 700: 9 x 700 / 1,800 x 150 / 96
    = 5.5 pt.
    """
    dpi = plt.rcParams["savefig.dpi"]
    dpi = fig.dpi if dpi == "figure" else dpi
    box = figure_bbox(fig)
    scale = min(1.0, cell_px / (box.width * dpi))
    renderer = fig.canvas.get_renderer()
    return sorted((t.get_fontsize() * dpi / 96 * scale, t.get_text())
                  for t in fig.findobj(Text)
                  if t.get_visible() and t.get_text().strip() and t.get_window_extent(renderer).width > 0)


def test_effective_points_worked_by_hand():
    """9-pt text across a 12-inch figure: drawn at 150 dpi about 1,800 px wide, shown in 700 px, about 5.5 pt."""
    use_style()  # savefig.dpi 150
    fig = plt.figure(figsize=(12, 2))
    fig.text(0.01, 0.5, "left", fontsize=9)
    fig.text(0.99, 0.5, "right", fontsize=9, ha="right")
    fig.text(0.5, 0.5, "hidden", fontsize=4, visible=False)
    try:
        width = figure_bbox(fig).width
        assert 11.8 < width < 12.2
        assert [t for _, t in effective_points(fig, cell_px=700)] == ["left", "right"]
        expected = 9 * 700 / (width * 150) * 150 / 96  # shrunk from width x 150 px to 700, at 96 px to 72 pt
        assert {round(p, 6) for p, _ in effective_points(fig, cell_px=700)} == {round(expected, 6)}
        assert 5.3 < effective_points(fig, cell_px=700)[0][0] < 5.6
        assert effective_points(fig, cell_px=3000)[0][0] == pytest.approx(9 * 150 / 96)  # not shrunk: 14 pt
    finally:
        plt.close(fig)


FIGURES = ["network_map", "phase_small_multiples", "trust_heatmap", "trust_received_chart", "scorecard_heatmap",
           "indicator_small_multiples", "themes_heatmap", "themes_heatmap (one place)", "survey_theme_plot",
           "indicator_distributions", "awards_over_time", "grant_size_distribution", "funder_recipient_map"]


@pytest.mark.parametrize("name", FIGURES)
def test_figure_text_is_readable_in_the_narrowest_cell(example, name):
    fig = _figures(example)[name]()
    assert hasattr(fig, "savefig"), f"{name} drew nothing for the example study: {fig}"
    try:
        sizes = effective_points(fig)
        assert sizes, name
        small = [(round(p, 1), text) for p, text in sizes if p < MIN_POINTS]
        assert small == [], f"{name}: text under {MIN_POINTS} pt at a {CELL_PX}-px cell"
    finally:
        plt.close(fig)


# ------------------------------------------------------------------------------------------ in the lab


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.parametrize("name", ["place_report", "compare_places"])
def test_scorecard_and_threats_table_left_aligned_in_jupyterlab(lab, browser, name):  # noqa: F811 -- lab: test_lab
    """Run the notebook in JupyterLab at 1024 x 768 with the file browser open; its tables' text is left."""
    from tests.test_lab import _run_all, _shut_down_kernels, _wait_for_kernel

    url, token, tmp = lab
    shots = os.environ.get("LAB_SCREENSHOTS")
    context = browser.new_context(viewport={"width": 1024, "height": 768})
    page = context.new_page()
    try:
        page.goto(f"{url}/lab/tree/{name}.ipynb?token={token}&reset")
        page.wait_for_selector(".jp-NotebookPanel .jp-Notebook .jp-CodeCell", timeout=60_000)
        if not page.locator(".jp-FileBrowser").first.is_visible():  # the file browser open, as a researcher has it
            page.keyboard.press("Control+Shift+f")
        _wait_for_kernel(page, url, token, name)
        _run_all(page, previous=0)
        cell_px = page.evaluate("() => document.querySelector('.jp-OutputArea-output').clientWidth")
        captions = {"place_report": ("Scorecard of", None), "compare_places": ("The scorecard as a table",
                                                                                "Threats and mitigations")}[name]
        found = {}
        for table_el in page.locator(".jp-OutputArea-output table.cip-table").all():
            caption = table_el.locator("caption").all_inner_texts()
            key = "threats" if "cip-threats" in (table_el.get_attribute("class") or "") else (caption or [""])[0]
            found[key] = table_el.evaluate("""t => [...t.querySelectorAll('td, th')].map(c => [c.className,
                getComputedStyle(c).textAlign, c.innerText.trim()])""")
            if shots and (key == "threats" or any(key.startswith(c or "\0") for c in captions)):
                table_el.scroll_into_view_if_needed()
                label = "threats" if key == "threats" or key.startswith("Threats") else "scorecard"
                page.screenshot(path=f"{shots}/lab-{name}-{label}.png")
        wanted = [k for k in found if any(c and k.startswith(c) for c in captions)]
        wanted += ["threats"] if name == "place_report" else []
        assert len(wanted) == 2, (name, list(found))
        for key in wanted:
            cells = found[key]
            text = [align for cls, align, t in cells if "cip-number" not in cls and t]
            assert text and set(text) == {"left"}, (name, key, cells[:6])
        assert cell_px >= CELL_PX, cell_px  # the figures' sizes were chosen for this width or wider
        if shots:
            (Path(shots) / f"lab-{name}-cell.json").write_text(json.dumps({"cell_px": cell_px}))
    finally:
        context.close()
        _shut_down_kernels(url, token)
