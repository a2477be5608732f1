"""`coordination run --pdf`: a PDF beside each page for board papers, printed by headless Chromium,
linked from the index, leak-checked for stakeholders; without Chromium, one sentence and the pages."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from analysis import runner
from analysis.cli import main as cli_main
from analysis.leakcheck import check_rendered
from analysis.runner import pdf
from tests.helpers import copy_fixture_notebooks
from tests.test_downloads import write_tiny_network_study

pypdf = pytest.importorskip("pypdf", reason="pypdf reads the PDFs back (pip install -e '.[test]')")

A4_POINTS = (595.28, 841.89)  # 210 x 297 mm at 72 points to the inch (Chromium rounds to whole CSS pixels)


def _chromium_or_skip():
    reason = pdf.pdf_unavailable()
    if reason:
        pytest.skip(reason)


@pytest.fixture(scope="session")
def printed(tmp_path_factory):
    """The tiny network study rendered for stakeholders with --pdf: (report, phase folder, study folder)."""
    _chromium_or_skip()
    tmp = tmp_path_factory.mktemp("pdf")
    study = write_tiny_network_study(tmp / "tinynet")
    nbs = copy_fixture_notebooks(tmp / "nbs", "downloads", "overview")
    report = runner.run(study=str(study), notebooks=str(nbs), out=str(tmp / "out"), jobs=1, pdf=True)
    assert report.exit_status == 0, report.summary()
    return report, tmp / "out" / "tinynet" / "stakeholder" / "spring", study


def _text(path: Path) -> list[str]:
    return [p.extract_text() for p in pypdf.PdfReader(str(path)).pages]


def test_a_pdf_beside_each_page_on_a4_with_page_numbers(printed):
    report, phase_dir, _ = printed
    pdfs = sorted(p.relative_to(phase_dir).as_posix() for p in phase_dir.rglob("*.pdf"))
    assert pdfs == ["all-places/overview.pdf", "north/downloads.pdf"]
    assert sorted(report.pdfs) == sorted(phase_dir / p for p in pdfs)
    reader = pypdf.PdfReader(str(phase_dir / "north" / "downloads.pdf"))
    n = len(reader.pages)
    assert n >= 2  # a table and two figures do not fit one A4 page
    for i, page in enumerate(reader.pages, start=1):
        box = page.mediabox
        assert (float(box.width), float(box.height)) == pytest.approx(A4_POINTS, abs=1.5)
        assert f"Page {i} of {n}" in page.extract_text()


def test_the_first_page_has_the_banner_and_the_header_block_and_no_navigation_or_download_links(printed):
    _, phase_dir, _ = printed
    pages = _text(phase_dir / "north" / "downloads.pdf")
    first = " ".join(pages[0].split()).lower()  # the facts' headings are in capitals on the page
    assert "illustrative data." in first
    for fact in ("study", "downloads test", "phase", "spring", "place", "northtown", "data fingerprint"):
        assert fact in first, fact
    everything = " ".join(" ".join(p.split()) for p in pages)
    assert "Download the data" not in everything and "Skip to main content" not in everything
    assert "Trust each organisation receives" in everything  # the table's caption
    assert len(re.findall(r"Illustrative data\.", everything)) == 1  # on the first page only


def test_the_index_links_each_pdf(printed):
    _, phase_dir, _ = printed
    index = (phase_dir / "index.html").read_text(encoding="utf-8")
    assert '<a class="cip-pdf" href="north/downloads.pdf"' in index
    assert '<a class="cip-pdf" href="all-places/overview.pdf"' in index


def test_stakeholder_pdfs_pass_the_leak_check_and_a_leaking_pdf_is_not_published(printed, tmp_path):
    from analysis import load_study
    from analysis.leakcheck import leak_terms
    from analysis.runner.gate import PublicationGate

    _, phase_dir, study = printed
    original = load_study(study)
    assert check_rendered(original, list(phase_dir.rglob("*.pdf"))) == []
    # the publication gate stops a stakeholder page that names an organisation: its PDF is not published
    folder = tmp_path / "stakeholder" / "spring" / "north"
    folder.mkdir(parents=True)
    page = folder / "named.html"
    page.write_text("<!DOCTYPE html><html lang='en'><body><p>Thanks to Riverside Youth Project</p></body></html>")
    (folder / "named.pdf").write_bytes(b"an old PDF")
    gate = PublicationGate(tmp_path, lambda: leak_terms(original))
    problems = pdf.print_pdfs([page], publish=pdf.through_gate(gate))
    assert not (folder / "named.pdf").exists()
    assert problems[page] == "named.pdf: not published, the leak check found what a stakeholder PDF may not show"
    assert [(r.path, r.kind) for r in gate.refused] == [("stakeholder/spring/north/named.pdf", "organisation name")]
    assert gate.refused[0].where.startswith("PDF page 1")
    assert not [p for p in (tmp_path / ".internal").rglob("*.pdf")]  # nothing left behind


def test_print_stylesheet_keeps_figures_whole_and_writes_links_out():
    from analysis.runner.render import stylesheet

    css = stylesheet()
    print_css = css[css.index("@media print"):]
    assert "size: A4" in print_css and "break-inside: avoid" in print_css
    assert 'a[href^="http"]::after { content: " (" attr(href) ")"' in print_css
    assert re.search(r"\.cip-download[^{]*\{ display: none", print_css)


def test_without_chromium_run_says_so_in_one_sentence_and_renders_the_pages(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("COORDINATION_CHROMIUM", str(tmp_path / "no-chromium"))
    study = write_tiny_network_study(tmp_path / "tinynet")
    nbs = copy_fixture_notebooks(tmp_path / "nbs", "ok")
    status = cli_main(["run", "--study", str(study), "--notebooks", str(nbs), "--out", str(tmp_path / "out"),
                       "--jobs", "1", "--pdf", "--quiet"])
    err = capsys.readouterr().err
    assert status == 0
    assert err.strip() == (f"coordination run: no PDF written: Chromium was not found at {tmp_path / 'no-chromium'} "
                           "(install Debian's chromium package).")
    out = tmp_path / "out" / "tinynet" / "stakeholder" / "spring" / "north"
    assert (out / "ok.html").exists() and not list(out.glob("*.pdf"))


def test_a_run_without_pdf_removes_a_pdf_older_than_its_page(tmp_path):
    class Job:
        out_dir, stem = str(tmp_path), "report"

    page, old = tmp_path / "report.html", tmp_path / "report.pdf"
    old.write_bytes(b"%PDF old")
    page.write_text("<p>new</p>")
    import os

    os.utime(old, (1, 1))  # printed long before the page was rendered again
    pdf.remove_stale_pdfs([Job()])
    assert not old.exists()
    old.write_bytes(b"%PDF current")  # newer than the page: kept
    pdf.remove_stale_pdfs([Job()])
    assert old.exists()


def test_an_unreadable_pdf_is_a_finding(tmp_path):
    (tmp_path / "broken.pdf").write_bytes(b"%PDF-1.7 not really")
    findings = check_rendered(None, tmp_path, terms={"organisation name": ["Riverside Youth Project"]})
    assert [f.kind for f in findings] == ["unreadable PDF"]


def test_pdf_path_is_beside_the_page():
    assert pdf.pdf_path(Path("a/b/place_report.html")) == Path("a/b/place_report.pdf")
