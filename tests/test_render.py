"""Tests of the HTML pages: self-contained, code hidden, every study string escaped."""

from __future__ import annotations

import base64
import re

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from analysis.runner.render import external_references, href, index_page, notebook_title, render_notebook

XSS = "<script>alert(1)</script>"
# a 1x1 transparent PNG
PNG = base64.b64encode(bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c6360000002"
    "000154a24f5d0000000049454e44ae426082")).decode()


def context(**changes) -> dict:
    ctx = {
        "study_name": "Study & co", "phase_label": "Interim", "place_label": "Coventry", "page_label": "Coventry",
        "notebook_label": "Trust network", "audience": "stakeholder", "audience_label": "Stakeholder",
        "fingerprint": "0123456789ab", "package_version": "0.1.0", "rendered_at": "2026-01-02T03:04:05+00:00",
        "rendered_at_label": "2 January 2026, 03:04 UTC", "illustrative": True, "study_index": "../../../index.html",
        "audience_index": "../../index.html", "phase_index": "../index.html", "title": "Trust network · Coventry",
    }
    ctx.update(changes)
    return ctx


@pytest.fixture
def executed():
    code = new_code_cell("secret_source_line = compute_something()\nprint('hello')", execution_count=3)
    code.outputs = [
        new_output("stream", name="stdout", text="printed for readers\n"),
        new_output("stream", name="stderr", text="a warning for analysts\n"),
        new_output("display_data", data={"image/png": PNG, "text/plain": "<Figure>"}),
        new_output("display_data", data={"application/javascript": "document.title='x'",
                                         "text/plain": "js"}),
        new_output("execute_result", data={"text/html": "<table><tr><td>&lt;script&gt;</td></tr></table>",
                                           "text/plain": "table"}, execution_count=3),
    ]
    return new_notebook(cells=[new_markdown_cell("# Trust network\n\nWho trusts whom."), code],
                        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})


def test_page_hides_code_and_prompts(executed):
    page = render_notebook(executed, context())
    assert "secret_source_line" not in page and "compute_something" not in page
    assert "In&nbsp;[" not in page and "Out[" not in page
    assert "printed for readers" in page
    assert "a warning for analysts" not in page  # stderr is left off stakeholder pages
    assert "a warning for analysts" in render_notebook(executed, context(audience="internal"))


def test_page_is_self_contained(executed):
    page = render_notebook(executed, context())
    assert external_references(page) == []
    assert "<script" not in page.lower()  # no require.js, MathJax, widgets, nor the javascript output
    assert "document.title" not in page
    assert "http://" not in page and "https://" not in page
    assert re.search(r'<img\b[^>]*src="data:image/png;base64,', page)
    assert "<style>" in page and "--accent" in page  # the suite's stylesheet, inlined


def test_header_states_what_the_page_is(executed):
    page = render_notebook(executed, context())
    for dt, dd in [("Study", "Study &amp; co"), ("Phase", "Interim"), ("Place", "Coventry"),
                   ("Audience", "Stakeholder"), ("Data fingerprint", "<code>0123456789ab</code>"),
                   ("Package version", "0.1.0")]:
        assert f"<dt>{dt}</dt><dd>{dd}</dd>" in page
    assert '<time datetime="2026-01-02T03:04:05+00:00">' in page
    assert 'href="../index.html"' in page and 'href="../../../index.html"' in page


def test_banner_only_when_illustrative(executed):
    assert 'class="cip-banner"' in render_notebook(executed, context(illustrative=True))
    assert 'class="cip-banner"' not in render_notebook(executed, context(illustrative=False))


def test_study_strings_in_the_header_are_escaped(executed):
    page = render_notebook(executed, context(study_name=XSS, place_label=XSS, page_label=XSS, phase_label=XSS,
                                             title=XSS, notebook_label=XSS))
    assert "<script" not in page.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_index_page_escapes_every_string():
    page = index_page(
        title=XSS, heading=XSS, study_name=XSS, study_index="index.html", fingerprint="f", package_version="0",
        rendered_at="", rendered_at_label="", lede=XSS, phase_label=XSS,
        crumbs=[{"label": XSS, "href": ""}],
        places=[{"name": XSS, "pages": [{"href": "x/y.html", "label": XSS, "status": "", "status_class": ""}],
                 "indicators": [(XSS, XSS)]}],
        cross_pages=[{"href": 'a"onmouseover="alert(1)', "label": "c", "status": "", "status_class": ""}],
    )
    assert "<script" not in page.lower()
    assert page.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 6
    assert 'href="a&#34;onmouseover=&#34;alert(1)"' in page


def test_external_references_finds_fetches_not_links():
    assert external_references('<a href="https://example.org">a link a reader may follow</a>') == []
    assert external_references('<script src="https://cdn.jsdelivr.net/x.js"></script>') == ["https://cdn.jsdelivr.net/x.js"]
    assert external_references("<img src='//host/x.png'>") == ["//host/x.png"]
    assert external_references('<style>@import url("https://fonts.example/css");</style>')


def test_notebook_title_falls_back_to_first_heading():
    nb = nbformat.v4.new_notebook(cells=[new_markdown_cell("Intro"), new_markdown_cell("## Sub\n# Main *title*")])
    assert notebook_title(nb) == "Main title"
    nb.metadata["title"] = "Given"
    assert notebook_title(nb) == "Given"
    assert notebook_title(nbformat.v4.new_notebook()) == ""


def test_href_encodes_each_segment():
    assert href("..", "a b", "c#d.html") == "../a%20b/c%23d.html"


def test_phase_index_lists_a_places_report_first(tmp_path):
    from analysis.runner import StudyInfo
    from analysis.runner.manifest import Manifest
    from analysis.runner.render import write_indexes

    info = StudyInfo(path="s", slug="s", name="S", illustrative=True, fingerprint="f" * 12, place_ids=["north"],
                     place_names={"north": "North"}, phase_ids=["before"], phase_labels={"before": "Before"})
    phase_dir = tmp_path / "s" / "stakeholder" / "before"
    manifest = Manifest.load(phase_dir / "manifest.json")
    pages = {"north/funding_flows": "Funding flows", "north/trust_network": "Trust network",
             "north/place_report": "Place report", "north/zz_extra": "Extra page",
             "all-places/compare_places": "Comparing places", "all-places/a_overview": "Overview"}
    for key, label in pages.items():
        manifest.record(key, {"status": "ok", "label": label})
        page = phase_dir / f"{key}.html"
        page.parent.mkdir(parents=True, exist_ok=True)
        page.write_text("<p>page</p>")
    manifest.save()
    write_indexes(info, tmp_path / "s", "stakeholder", ["before"], "0.1.0")
    index = (phase_dir / "index.html").read_text()
    order = [index.index(f'href="{key}.html"') for key in
             ("north/place_report", "north/trust_network", "north/funding_flows", "north/zz_extra")]
    assert order == sorted(order)
    # cross-place pages in name order, as before
    assert index.index('href="all-places/a_overview.html"') < index.index('href="all-places/compare_places.html"')
