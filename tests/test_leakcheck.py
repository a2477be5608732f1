"""Tests for analysis.leakcheck: names and respondent ids found in pages, notebooks, figures."""

from __future__ import annotations

import base64
import io

import matplotlib.pyplot as plt
import nbformat
import pandas as pd
import pytest
from PIL import Image, PngImagePlugin

from analysis import style
from analysis.disclosure import for_audience, html_table
from analysis.leakcheck import (
    ALLOWED,
    Finding,
    check_rendered,
    check_text,
    format_findings,
    leak_terms,
    png_text_chunks,
    searchable,
)
from analysis.study import study_from_tables

KEY = b"leak check key"
LEAKED = "North Food Bank & Pantry"
SCRIPT = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def study():
    return study_from_tables(
        {
            "places": pd.DataFrame({"place_id": ["north"], "name": ["Northtown"]}),
            "phases": pd.DataFrame({"phase_id": ["during"], "label": ["During"],
                                    "start_date": ["2020-03-16"], "end_date": ["2020-06-30"]}),
            "organisations": pd.DataFrame(
                [["GB-LAE-NTH", "Northtown Council", "local_authority"],
                 ["GB-CHC-7", LEAKED, "vcse"],
                 ["GB-CHC-8", "Age UK", "vcse"],
                 ["GB-CHC-9", "Age UK Northtown", "vcse"],
                 ["GB-CHC-10", "Hub", "community_group"],
                 ["GB-CHC-12", "Northtown Council Food Fund", "vcse"],
                 ["GB-CHC-11", "Community", "community_group"],
                 ["007", SCRIPT, "community_group"]],
                columns=["org_id", "name", "sector"]).assign(place_id="north"),
            "themes": pd.DataFrame({"theme_id": ["trust"], "label": ["Trust"], "dimension": ["attitudes"]}),
            "survey_items": pd.DataFrame({"item_id": ["Q1"], "text": ["I trust partners"], "theme_id": ["trust"]}),
            "survey_responses": pd.DataFrame(
                [["during", "R001", "GB-CHC-7", "Q1", "4"], ["during", "R2", "GB-CHC-8", "Q1", "3"]],
                columns=["phase_id", "respondent_id", "org_id", "item_id", "score"]),
            "grants": pd.DataFrame(
                [["360G-1", "Advice", "GBP", "500", "2020-04-01", "GB-CHC-99", "Elsewhere Trust",
                  "GB-LAE-NTH", "Northtown Council"]],
                columns=["Identifier", "Title", "Currency", "Amount Awarded", "Award Date",
                         "Recipient Org:Identifier", "Recipient Org:Name", "Funding Org:Identifier",
                         "Funding Org:Name"]),
        },
        settings={"nameable": ["GB-LAE-NTH", "GB-CHC-9"]},
        name="leak-test",
    )


def _never_reveals(findings, *strings):
    text = format_findings(findings) + repr(findings) + "".join(str(f) for f in findings)
    for s in strings:
        assert s.lower() not in text.lower()


def _figure(title: str):
    fig, ax = style.new_figure(title, f"Bar chart of trust received by {title}")
    ax.bar(["a", "b"], [1, 2])
    return fig


# -- what is searched for -------------------------------------------------------------------

def test_leak_terms(study):
    terms = leak_terms(study)
    # Not nameable, long enough, not generic; grant parties outside the study included.
    assert terms["organisation name"] == sorted([LEAKED, "Age UK", SCRIPT, "Elsewhere Trust",
                                                 "Northtown Council Food Fund"])
    assert terms["organisation identifier"] == sorted(["GB-CHC-7", "GB-CHC-8", "GB-CHC-10", "GB-CHC-11",
                                                       "GB-CHC-12", "GB-CHC-99"])  # "007" too short; 99: a recipient
    assert "organisation identifier" not in {k for k, v in leak_terms(study, identifiers=False).items() if v}
    assert terms["respondent id"] == ["R001"]  # "R2" is too short to search for
    assert terms[ALLOWED] == ["Age UK Northtown", "Northtown Council"]


@pytest.mark.parametrize("term, ok", [("Hub", False), ("Community", False), ("  council ", False),
                                      ("R2", False), ("R001", True), ("Age UK", True), (SCRIPT, True)])
def test_searchable_rule(term, ok):
    assert searchable(term) is ok


# -- a name in a figure title ---------------------------------------------------------------

def test_name_in_figure_title_found_in_svg_png_and_html(study, tmp_path):
    fig = _figure(f"Trust received by {LEAKED}")
    svg, png = style.save_figure(fig, tmp_path / "figs", "trust")
    page = tmp_path / "page.html"
    page.write_text(f"<html><body>{style.figure_html(fig, caption='Trust received')}</body></html>")
    plt.close(fig)

    findings = check_rendered(study, [tmp_path])
    where = {(f.path.rsplit("/", 1)[-1], f.where) for f in findings}
    assert ("trust.svg", "SVG text") in where  # the drawn title
    assert ("trust.svg", "SVG metadata") in where  # dc:title
    assert ("trust.png", "PNG tEXt chunk 'Title'") in where
    assert ("page.html", "PNG embedded in HTML tEXt chunk 'Title'") in where
    assert any(f.path.endswith("page.html") and f.where.startswith("HTML text, line") for f in findings)  # alt
    assert {f.kind for f in findings} == {"organisation name"}
    _never_reveals(findings, LEAKED, "food bank")


def test_name_in_inline_svg_in_html(study, tmp_path):
    fig = _figure(f"Trust received by {LEAKED}")
    svg = style.figure_bytes(fig, "svg").decode()
    plt.close(fig)
    page = tmp_path / "page.html"
    page.write_text(f"<html><body>\n<p>Intro</p>\n{svg[svg.index('<svg'):]}\n</body></html>")
    wheres = {f.where for f in check_rendered(study, page)}
    assert "SVG embedded in HTML text" in wheres and "SVG embedded in HTML metadata" in wheres


def test_base64_svg_image_in_html(study, tmp_path):
    svg = f'<svg xmlns="http://www.w3.org/2000/svg"><text>{LEAKED.replace("&", "&amp;")}</text></svg>'
    data = base64.b64encode(svg.encode()).decode()
    page = tmp_path / "page.html"
    page.write_text(f'<img src="data:image/svg+xml;base64,{data}" alt="chart">')
    assert [f.where for f in check_rendered(study, page)] == ["SVG embedded in HTML text"]


# -- a name in a table ----------------------------------------------------------------------

def test_name_in_html_table_found_and_pseudonymised_table_clean(study, tmp_path):
    internal = html_table(study.organisations[["name", "sector"]], caption="Partners")
    (tmp_path / "internal.html").write_text(f"<html><body>\n{internal}\n</body></html>")
    findings = check_rendered(study, tmp_path / "internal.html")
    # the table's text, and the CSV of its "Download the data" link (analysis.downloads)
    assert findings and {f.where for f in findings} == {"HTML text, line 2", "CSV download embedded in HTML"}
    assert {f.kind for f in findings} == {"organisation name"}
    _never_reveals(findings, LEAKED, "Age UK", "alert(1)", "Elsewhere")

    s = for_audience(study, "stakeholder", key=KEY)
    out = tmp_path / "stakeholder"
    out.mkdir()
    (out / "page.html").write_text(
        f"<html><body>\n{html_table(s.organisations[['name', 'sector']])}\n"
        f"{html_table(s.survey_responses[['respondent_id', 'score']])}\n"
        f"{html_table(s.grants[['Recipient Org:Name', 'Funding Org:Name']])}\n</body></html>")
    fig = _figure(f"Trust received by {s.organisations['name'].iloc[1]}")
    style.save_figure(fig, out, "trust")
    (out / "fig.html").write_text(style.figure_html(fig, caption="Trust"))
    plt.close(fig)
    assert check_rendered(study, out) == []  # no false positive: nameable "Age UK Northtown" shown


def test_entity_and_case_insensitive_matching(study):
    for text in ("<td>north food bank &amp; pantry</td>", "<td>NORTH FOOD BANK &#38; PANTRY</td>",
                 "<td>North Food\n  Bank &amp;<br>Pantry</td>", "<p>North <b>Food Bank</b> &amp; Pantry</p>"):
        assert [f.kind for f in check_text(study, text, kind="html")] == ["organisation name"], text
    # Inside a longer word it is not a hit; nor is a nameable name containing a shorter one.
    assert check_text(study, "Age UKraine; Age UK Northtown helps") == []
    assert [f.kind for f in check_text(study, "Age UK helps")] == ["organisation name"]


def test_name_containing_a_nameable_name_is_found(study):
    assert check_text(study, "Northtown Council met today") == []
    assert [f.kind for f in check_text(study, "The Northtown Council Food Fund met")] == ["organisation name"]


def test_organisation_identifier_found(study):
    found = check_text(study, "<td>gb-chc-7</td>", kind="html")
    assert [f.kind for f in found] == ["organisation identifier"]
    assert check_text(study, "GB-CHC-77 and GB-LAE-NTH") == []  # another id; a nameable one


def test_stakeholder_copy_refused(study, tmp_path):
    with pytest.raises(ValueError, match="original study"):
        check_rendered(for_audience(study, "stakeholder", key=KEY), tmp_path)


def test_short_and_generic_names_not_flagged(study):
    assert check_text(study, "The Hub of the Community; R2-D2") == []


# -- executed notebooks ---------------------------------------------------------------------

def _notebook(path, cells):
    nb = nbformat.v4.new_notebook()
    nb.cells = cells
    nbformat.write(nb, path)


def test_respondent_id_in_notebook_output(study, tmp_path):
    cells = [
        nbformat.v4.new_code_cell("s = 1", outputs=[]),
        nbformat.v4.new_code_cell("print(x)", outputs=[nbformat.v4.new_output("stream", text="answer by r001\n")]),
        nbformat.v4.new_code_cell("t", outputs=[nbformat.v4.new_output(
            "display_data", data={"text/html": "<p>Age UK</p>", "text/plain": "Age UK"})]),
        nbformat.v4.new_code_cell("fail()", outputs=[nbformat.v4.new_output(
            "error", ename="KeyError", evalue="'Elsewhere Trust'",
            traceback=["\x1b[31mKeyError\x1b[0m: 'Elsewhere Trust'"])]),
        nbformat.v4.new_markdown_cell(f"About {LEAKED}"),
    ]
    _notebook(tmp_path / "run.ipynb", cells)
    found = {(f.kind, f.where) for f in check_rendered(study, tmp_path / "run.ipynb")}
    assert ("respondent id", "notebook cell 2 output") in found
    assert ("organisation name", "HTML in notebook cell 3 output text, line 1") in found
    assert ("organisation name", "notebook cell 3 output (text/plain)") in found
    assert ("organisation name", "notebook cell 4 output (error)") in found
    assert ("organisation name", "notebook cell 5 source") in found
    assert not any("cell 1" in w for _, w in found)


def test_png_output_metadata_in_notebook(study, tmp_path):
    fig = _figure(f"About {LEAKED}")
    png = base64.b64encode(style.figure_bytes(fig, "png")).decode()
    plt.close(fig)
    _notebook(tmp_path / "nb.ipynb", [nbformat.v4.new_code_cell("f", outputs=[nbformat.v4.new_output(
        "display_data", data={"image/png": png, "text/plain": "<Figure>"})])])
    wheres = {f.where for f in check_rendered(study, tmp_path / "nb.ipynb")}
    assert "PNG in notebook cell 1 output tEXt chunk 'Title'" in wheres


def test_notebook_metadata_parameters(study, tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.metadata["papermill"] = {"parameters": {"respondent": "R001"}}
    nbformat.write(nb, tmp_path / "nb.ipynb")
    assert [(f.kind, f.where) for f in check_rendered(study, tmp_path / "nb.ipynb")] == [
        ("respondent id", "notebook metadata")]


# -- PNG chunks -----------------------------------------------------------------------------

def test_png_ztxt_and_itxt_chunks(study, tmp_path):
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", f"made for {LEAKED}", zip=True)  # zTXt
    info.add_itxt("Description", "answers of R001", lang="en", zip=True)  # compressed iTXt
    buf = io.BytesIO()
    Image.new("RGB", (2, 2)).save(buf, "PNG", pnginfo=info)
    (tmp_path / "x.png").write_bytes(buf.getvalue())
    chunks = list(png_text_chunks(buf.getvalue()))
    assert [c[:2] for c in chunks] == [("zTXt", "Comment"), ("iTXt", "Description")]
    found = {(f.kind, f.where) for f in check_rendered(study, tmp_path / "x.png")}
    assert found == {("organisation name", "PNG zTXt chunk 'Comment'"),
                     ("respondent id", "PNG iTXt chunk 'Description'")}


def test_not_a_png_yields_nothing():
    assert list(png_text_chunks(b"GIF89a...")) == []


# -- reporting and failure paths ------------------------------------------------------------

def test_format_findings_counts_and_never_prints_strings(study):
    findings = check_text(study, f"{LEAKED} and R001", path="out/p.html")
    report = format_findings(findings)
    assert report.startswith("Leak check: 2 findings (not published):")
    assert "organisation name found in out/p.html (text)" in report
    assert "respondent id found in out/p.html (text)" in report
    _never_reveals(findings, LEAKED, "R001")
    assert format_findings([]) == "Leak check: nothing found."
    f = Finding("respondent id", "a.html", "HTML text, line 1")
    assert f.location == "a.html (HTML text, line 1)"


def test_missing_path_is_an_error(study, tmp_path):
    with pytest.raises(FileNotFoundError):
        check_rendered(study, [tmp_path / "nope.html"])


def test_hidden_and_nested_files(study, tmp_path):
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "b" / "deep.svg").write_text(f"<svg><text>{SCRIPT.replace('<', '&lt;')}</text></svg>")
    (tmp_path / ".fig.svg.tmp").write_text(f"made for {LEAKED}")  # a leftover temporary file
    found = sorted((f.path.rsplit("/", 1)[-1], f.where) for f in check_rendered(study, tmp_path))
    assert found == [(".fig.svg.tmp", "text, line 1"), ("deep.svg", "SVG text")]


def test_no_terms_no_findings(tmp_path):
    (tmp_path / "p.html").write_text("<p>anything</p>")
    assert check_rendered(None, tmp_path, terms={"organisation name": [], "respondent id": []}) == []
