"""Open the rendered pages in headless Chromium: links work, images load, nothing is fetched."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from urllib.parse import urldefrag

import pytest
from playwright import sync_api

from analysis import runner

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
FIXTURES = Path(__file__).parent / "fixtures" / "notebooks"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run"]

if not CHROMIUM.exists():
    if os.environ.get("CI"):  # CI installs it (.ci/run): missing there is a failure, not a skip
        pytest.fail("/usr/bin/chromium is missing: .ci/run should have installed Debian's chromium")
    pytest.skip("/usr/bin/chromium is missing (Debian's chromium package; .ci/run installs it)",
                allow_module_level=True)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """The fixture notebooks rendered for a tiny study: returns the study's index page."""
    tmp = tmp_path_factory.mktemp("browser")
    study = tmp / "tiny"
    study.mkdir()
    (study / "study.yml").write_text("name: Tiny & test study\nillustrative: true\n")
    (study / "places.csv").write_text("place_id,name\nnorth,North <b>Town</b>\nsouth,South & Sons\n")
    (study / "phases.csv").write_text("phase_id,label,start_date,end_date\nbefore,Before,2020-01-01,2020-03-31\n")
    (study / "organisations.csv").write_text("org_id,name,place_id,sector\nGB-1,<script>alert(1)</script>,north,vcse\n"
                                             "GB-2,Northfield Community Larder,north,local_authority\n"
                                             "GB-3,Southbank Advice Centre,south,vcse\n")
    nbs = tmp / "nbs"
    nbs.mkdir()
    for name in ("ok", "overview"):
        shutil.copy(FIXTURES / f"{name}.ipynb", nbs / f"{name}.ipynb")
    report = runner.run(study=str(study), notebooks=str(nbs), out=str(tmp / "out"), phases=["before"], jobs=2)
    assert report.exit_status == 0, report.summary()
    return tmp / "out" / "tiny" / "index.html"


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        yield b
        b.close()


def test_pages_open_offline_with_everything_showing(rendered, browser):
    context = browser.new_context(java_script_enabled=True)
    outside, errors = [], []

    def guard(route):
        url = route.request.url
        if url.startswith(("file://", "data:")):
            route.continue_()
        else:
            outside.append(url)
            route.abort()

    context.route("**/*", guard)
    page = context.new_page()
    page.on("console", lambda msg: errors.append(f"{msg.type}: {msg.text}") if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(f"pageerror: {exc}"))
    page.on("request", lambda req: None if req.url.startswith(("file://", "data:")) else outside.append(req.url))

    start = rendered.as_uri()
    seen, todo, images = set(), [start], 0
    while todo:
        url = todo.pop()
        if url in seen:
            continue
        seen.add(url)
        response = page.goto(url)
        assert response is None or response.ok, url
        page.wait_for_load_state("load")
        assert page.title(), f"{url} has no title"
        widths = page.eval_on_selector_all("img", "imgs => imgs.map(i => [i.complete, i.naturalWidth])")
        assert all(done and width > 0 for done, width in widths), (url, widths)
        images += len(widths)
        for link in page.eval_on_selector_all("a[href]", "as => as.map(a => a.href)"):
            link = urldefrag(link).url
            assert link.startswith("file://"), (url, link)
            path = Path(sync_api_unquote(link[len("file://"):]))
            assert path.exists(), (url, link)
            if link not in seen:
                todo.append(link)
    context.close()
    assert len(seen) >= 6  # study, audience and phase indexes; two place pages and the overview
    assert images >= 2
    assert errors == []
    assert outside == []


def sync_api_unquote(path: str) -> str:
    from urllib.parse import unquote

    return unquote(path)
