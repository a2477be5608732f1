"""PDFs of the rendered pages for board papers, printed by headless Chromium.

`coordination run --pdf` prints each page it rendered to ``<page>.pdf`` beside it. Chromium
(Debian's ``/usr/bin/chromium``, driven through Playwright's ``page.pdf``) prints the page
as a browser would, with the print stylesheet of ``templates/cip/cip.css`` (A4, no
navigation or download links, figures kept whole, web links written out) and a footer giving
the page number. A stakeholder PDF is leak-checked like the page before it is put in place.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from analysis.files import atomic_write_bytes

__all__ = [
    "CHROMIUM",
    "CHROMIUM_ARGS",
    "FOOTER_TEMPLATE",
    "chromium_executable",
    "pdf_unavailable",
    "print_pdfs",
    "pdf_path",
    "publish_pdfs",
    "through_gate",
    "remove_stale_pdfs",
]

#: Debian's Chromium; ``COORDINATION_CHROMIUM`` names another executable.
CHROMIUM = Path("/usr/bin/chromium")
#: Chromium without a sandbox (a container has none to give), GPU or background network traffic.
CHROMIUM_ARGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run")
#: Chromium's footer on every printed page: "Page 2 of 5" (Chromium fills the two spans).
FOOTER_TEMPLATE = ('<div style="width:100%;font-size:8pt;color:#4a5468;text-align:center;'
                   'font-family:DejaVu Sans,Arial,sans-serif">Page <span class="pageNumber"></span> of '
                   '<span class="totalPages"></span></div>')
_MARGIN = {"top": "14mm", "bottom": "18mm", "left": "14mm", "right": "14mm"}


def chromium_executable() -> Path | None:
    """The Chromium to print with: ``$COORDINATION_CHROMIUM``, else /usr/bin/chromium, else ``chromium`` on
    the PATH; None when there is none."""
    named = os.environ.get("COORDINATION_CHROMIUM")
    if named:
        return Path(named) if Path(named).is_file() else None
    if CHROMIUM.is_file():
        return CHROMIUM
    found = shutil.which("chromium")
    return Path(found) if found else None


def pdf_unavailable() -> str | None:
    """Why PDFs cannot be printed here, in one sentence; None when they can.

    Examples
    --------
    >>> os.environ["COORDINATION_CHROMIUM"] = "/nowhere/chromium"
    >>> print(pdf_unavailable())
    no PDF written: Chromium was not found at /nowhere/chromium (install Debian's chromium package).
    >>> del os.environ["COORDINATION_CHROMIUM"]
    """
    if chromium_executable() is None:
        where = os.environ.get("COORDINATION_CHROMIUM") or str(CHROMIUM)
        return f"no PDF written: Chromium was not found at {where} (install Debian's chromium package)."
    try:
        import playwright.sync_api  # noqa: F401 -- only whether it is there
    except ImportError:
        return ("no PDF written: the Python package playwright is not installed "
                "(pip install 'coordination-in-place[pdf]').")
    return None


def pdf_path(page: str | os.PathLike) -> Path:
    """Where the PDF of a page goes: beside it, same name, ``.pdf``.

    Examples
    --------
    >>> pdf_path("out/s/stakeholder/p1/north/place_report.html").as_posix()
    'out/s/stakeholder/p1/north/place_report.pdf'
    """
    return Path(page).with_suffix(".pdf")


def print_pdfs(pages, *, publish=None, timeout: float = 60.0) -> dict:
    """Print each page to a PDF beside it, in one Chromium; return ``{page: problem or ''}``.

    Each PDF is printed into memory and handed to ``publish``; a page whose PDF is not
    published or cannot be printed gets no PDF (an older one is removed, so none is out of
    step with its page), and its problem is returned in a sentence.

    Parameters
    ----------
    pages : iterable of path
        Rendered HTML pages.
    publish : callable, optional
        ``publish(pdf_path, pdf_bytes) -> problem or ''``: writes the PDF, or says why it did
        not (the runner passes its publication gate, :func:`through_gate`). By default the
        PDF is written atomically.
    timeout : float
        Seconds to load and print one page.

    Raises
    ------
    RuntimeError
        When PDFs cannot be printed here (:func:`pdf_unavailable` says why).
    """
    reason = pdf_unavailable()
    if reason:
        raise RuntimeError(reason)
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    def write(target: Path, data: bytes) -> str:
        atomic_write_bytes(target, data)
        return ""

    publish = publish or write
    results: dict = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(chromium_executable()), args=list(CHROMIUM_ARGS),
                                     headless=True)
        try:
            context = browser.new_context(java_script_enabled=False)
            # the pages fetch nothing; a request beyond file:// would be a fault, and is refused
            context.route("**/*", lambda route: route.continue_() if route.request.url.startswith(("file:", "data:"))
                          else route.abort())
            tab = context.new_page()
            for page in map(Path, pages):
                target = pdf_path(page)
                try:
                    tab.goto(page.resolve().as_uri(), wait_until="load", timeout=timeout * 1000)
                    data = tab.pdf(format="A4", print_background=True, display_header_footer=True,
                                   header_template="<span></span>", footer_template=FOOTER_TEMPLATE, margin=_MARGIN,
                                   outline=True, tagged=True)
                except PlaywrightError as exc:
                    problem = f"{page}: the PDF could not be printed ({str(exc).splitlines()[0][:160]})"
                else:
                    problem = publish(target, data)
                if problem:
                    target.unlink(missing_ok=True)
                results[page] = problem
        finally:
            browser.close()
    return results


def _out_of_date(page: Path) -> bool:
    pdf = pdf_path(page)
    return not pdf.exists() or pdf.stat().st_mtime < page.stat().st_mtime


def through_gate(gate):
    """``publish`` for :func:`print_pdfs`: the PDF goes through the runner's publication gate
    (:class:`~analysis.runner.gate.PublicationGate`), so a stakeholder PDF is leak-checked as the
    pages are (its text and metadata, read with pypdf) and a refused
    one is recorded, kind and place only, on ``gate.refused``."""
    import tempfile

    def publish(target: Path, data: bytes) -> str:
        gate.internal_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=gate.internal_dir, prefix="pdf-") as staging:
            (Path(staging) / target.name).write_bytes(data)
            if gate.publish(staging, target.parent):
                return ""
        return f"{target.name}: not published, the leak check found what a stakeholder PDF may not show"

    return publish


def publish_pdfs(jobs, *, gate=None) -> tuple[list[Path], list[str]]:
    """Print the PDF of every job's page that has none or an older one than the page.

    With ``gate`` (the runner's publication gate), each PDF is published through it, so
    stakeholder PDFs pass the leak check of the pages. Returns the PDFs written and the
    problems (one sentence each).
    """
    pages = [p for p in dict.fromkeys(Path(j.out_dir) / f"{j.stem}.html" for j in jobs)
             if p.exists() and _out_of_date(p)]
    if not pages:
        return [], []
    results = print_pdfs(pages, publish=through_gate(gate) if gate is not None else None)
    return [pdf_path(p) for p, problem in results.items() if not problem], [p for p in results.values() if p]


def remove_stale_pdfs(jobs) -> None:
    """Remove the PDF of each job's page that was rendered again since it was printed (a run without
    ``--pdf``): a PDF beside a page always shows what the page shows."""
    for j in jobs:
        page = Path(j.out_dir) / f"{j.stem}.html"
        if page.exists() and pdf_path(page).exists() and _out_of_date(page):
            pdf_path(page).unlink(missing_ok=True)
