"""The researcher's home: `make lab` starts, and every notebook runs in JupyterLab driven by headless Chromium.

One JupyterLab server serves a temporary copy of the notebooks (never the repository's own) on
127.0.0.1 with a throwaway token; Playwright opens each notebook, waits for its kernel, runs all
cells from the Run menu, and checks there is no error and that every figure cell shows an image;
then it edits the parameters cell to another study path, place and phase and runs again. Set
LAB_SCREENSHOTS to a folder to keep a screenshot of each notebook after each run.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from analysis.paths import DATA_DIR, NOTEBOOKS_DIR, PROJECT_ROOT

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run"]
NOTEBOOKS = ["place_report", "trust_network", "funding_flows", "compare_places"]
#: The second parameter set: another place and phase (each has a phase before it, so every figure draws).
SECOND = {"place": "sutton", "phase": "final"}
SECOND_LABEL = "Final"
#: JupyterLab settings for the test: start the notebook's kernel without asking, attach every cell
#: to the page (so every output can be checked), fetch no news.
SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"autoStartDefaultKernel": True,
                                                                  "windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false",
                                                                       "checkForUpdates": False},
}
ERRORS_JS = """() => [...document.querySelectorAll(
    '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')].map(e => e.innerText)"""
PROMPTS_JS = "() => [...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')].map(e => e.textContent.trim())"
DONE_JS = """previous => {
    const ps = [...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')].map(e => e.textContent.trim());
    const first = /^\\[(\\d+)\\]:$/.exec(ps[0] || '');
    return ps.length > 0 && !ps.includes('[*]:') && first !== null && Number(first[1]) > previous;
}"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as err:
        return err.code, b""
    except (urllib.error.URLError, OSError):
        return 0, b""


def _processes_using(path: Path) -> list[int]:
    """Process ids whose command line mentions ``path`` (the kernels of our server, by connection file)."""
    found = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                if str(path) in (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace"):
                    found.append(int(proc.name))
            except OSError:
                continue
    return found


def _stop(proc: subprocess.Popen, runtime: Path) -> None:
    """Stop the server's process group (it shuts its kernels down), then any kernel it left behind."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
    for pid in _processes_using(runtime):  # kernels run in their own process groups
        os.kill(pid, signal.SIGKILL)


needs_make = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


@needs_make
@pytest.mark.parametrize("uid", [0, 1000])
def test_make_lab_adds_allow_root_only_for_root_and_passes_lab_args(tmp_path, uid):
    """`make -n` prints the command `make lab` runs; an `id` on PATH plays root or a user."""
    (tmp_path / "id").write_text(f"#!/bin/sh\necho {uid}\n")
    (tmp_path / "id").chmod(0o755)
    stamp = tmp_path / "stamp"
    stamp.touch()  # newer than pyproject.toml: nothing to install
    out = subprocess.run(["make", "-n", "--no-print-directory", "lab", f"STAMP={stamp}", "VENV=/v",
                          "LAB_ARGS=--port 8890 --ip 0.0.0.0 --IdentityProvider.token=t"],
                         cwd=PROJECT_ROOT, capture_output=True, text=True,
                         env=dict(os.environ, PATH=f"{tmp_path}:{os.environ['PATH']}"))
    assert out.returncode == 0, out.stderr
    root = ["--allow-root"] if uid == 0 else []
    assert len(out.stdout.strip().splitlines()) == 1, out.stdout
    assert out.stdout.split() == ["/v/bin/jupyter", "lab", *root, "--port", "8890", "--ip", "0.0.0.0",
                                  "--IdentityProvider.token=t", "notebooks/"]


@pytest.mark.slow
@needs_make
@pytest.mark.skipif(importlib.util.find_spec("jupyterlab") is None, reason="jupyterlab is not installed")
def test_make_lab_starts_as_the_current_user(tmp_path):
    """The real `make lab` (as root here when the tests run as root) serves the notebooks, then stops."""
    stamp = tmp_path / "stamp"
    stamp.touch()
    port, token = _free_port(), secrets.token_hex(16)
    env = dict(os.environ, JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"), JUPYTER_CONFIG_DIR=str(tmp_path / "config"),
               JUPYTERLAB_WORKSPACES_DIR=str(tmp_path / "workspaces"))
    args = f"--no-browser --ip=127.0.0.1 --port={port} --IdentityProvider.token={token}"
    log = (tmp_path / "lab.log").open("w")
    proc = subprocess.Popen(["make", "--no-print-directory", "lab", f"STAMP={stamp}", f"VENV={sys.prefix}",
                             f"LAB_ARGS={args}"], cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 90
        while (answer := _get(f"http://127.0.0.1:{port}/api/contents?token={token}"))[0] != 200:
            assert proc.poll() is None, (tmp_path / "lab.log").read_text()
            assert time.monotonic() < deadline, (tmp_path / "lab.log").read_text()
            time.sleep(0.5)
        served = {item["name"] for item in json.loads(answer[1])["content"]}
        assert {f"{name}.ipynb" for name in NOTEBOOKS} <= served
        assert _get(f"http://127.0.0.1:{port}/api/contents?token=wrong")[0] == 403
    finally:
        _stop(proc, tmp_path / "runtime")
        log.close()


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A JupyterLab server on a copy of the notebooks and the example study: yields (url, token, folder)."""
    pytest.importorskip("jupyterlab", reason="jupyterlab is not installed (it is in the test extra)")
    tmp = tmp_path_factory.mktemp("lab")
    notebooks = tmp / "notebooks"
    notebooks.mkdir()
    for name in NOTEBOOKS:
        shutil.copy(NOTEBOOKS_DIR / f"{name}.ipynb", notebooks / f"{name}.ipynb")
    shutil.copytree(DATA_DIR / "example", tmp / "study" / "example")
    settings = tmp / "settings"
    for name, values in SETTINGS.items():
        (settings / name).parent.mkdir(parents=True, exist_ok=True)
        (settings / name).write_text(json.dumps(values))
    runtime = tmp / "runtime"
    env = dict(os.environ, JUPYTERLAB_SETTINGS_DIR=str(settings), JUPYTERLAB_WORKSPACES_DIR=str(tmp / "workspaces"),
               JUPYTER_RUNTIME_DIR=str(runtime), JUPYTER_CONFIG_DIR=str(tmp / "config"),
               COORDINATION_KEY_DIR=str(tmp / "keys"), MPLCONFIGDIR=str(tmp / "matplotlib"))
    port, token = _free_port(), secrets.token_hex(16)
    command = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
               f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={notebooks}"]
    if os.getuid() == 0:
        command.append("--allow-root")
    log = (tmp / "server.log").open("w")
    proc = subprocess.Popen(command, cwd=tmp, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 90
        while _get(f"{url}/api/status?token={token}")[0] != 200:
            assert proc.poll() is None, (tmp / "server.log").read_text()
            assert time.monotonic() < deadline, "JupyterLab did not start in 90 s:\n" + (tmp / "server.log").read_text()
            time.sleep(0.5)
        yield url, token, tmp
    finally:
        _stop(proc, runtime)
        log.close()
    assert _processes_using(runtime) == []


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip("/usr/bin/chromium is missing (Debian's chromium package; .ci/run installs it)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright (python) is not installed")
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        yield b
        b.close()


def _figure_cells(path: Path) -> list[int]:
    """Positions, among the code cells, of the cells that draw a figure."""
    cells = [c for c in json.loads(path.read_text(encoding="utf-8"))["cells"] if c["cell_type"] == "code"]
    calls = ("show_figure(", "page.figure(")
    return [i for i, c in enumerate(cells) if any(call in "".join(c["source"]) for call in calls)]


def _parameters(path: Path, study: Path) -> str:
    """The notebook's parameters cell pointed at ``study`` and the second place and phase."""
    cell = next(c for c in json.loads(path.read_text(encoding="utf-8"))["cells"]
                if "parameters" in c.get("metadata", {}).get("tags", []))
    source = "".join(cell["source"])
    assert 'study = "data/example"' in source and 'phase = "interim"' in source, source
    source = source.replace('study = "data/example"', f"study = {str(study)!r}")
    for name, value in SECOND.items():
        source = re.sub(rf'^{name} = ".*"$', f'{name} = "{value}"', source, flags=re.M)
    return source


def _run_all(page, previous: int, timeout_s: float = 240) -> int:
    """Run every cell from the Run menu; wait until the last one has finished; return the last count."""
    page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
    page.locator(".lm-Menu-item:not(.lm-mod-disabled) .lm-Menu-itemLabel", has_text="Run All Cells").first.click()
    page.wait_for_function(DONE_JS, arg=previous, timeout=timeout_s * 1000, polling=250)
    prompts = page.evaluate(PROMPTS_JS)
    counts = [int(p[1:-2]) for p in prompts if re.fullmatch(r"\[\d+\]:", p)]
    errors = [e for e in page.evaluate(ERRORS_JS) if "Error" in e or "Traceback" in e]
    assert errors == [], "\n\n".join(errors)
    assert len(counts) == len(prompts) and min(counts) > previous, prompts  # every cell ran, in this run
    return max(counts)


def _check_figures(page, figure_cells: list[int], name: str) -> None:
    images = page.evaluate("""() => [...document.querySelectorAll('.jp-CodeCell')].map(cell =>
        [...cell.querySelectorAll('.jp-OutputArea img')].filter(i => i.complete && i.naturalWidth > 0).length)""")
    assert figure_cells, name
    assert [i for i in figure_cells if images[i] == 0] == [], (name, images)


def _strip_as_git_does(text: str) -> str:
    """``text`` as the Makefile's git filter (nbstripout with its options) would commit it."""
    make = (PROJECT_ROOT / "Makefile").read_text()
    keys = re.search(r"^NBSTRIPOUT_KEYS = ((?:.*\\\n)*.*)$", make, re.M).group(1).replace("\\\n", " ").split()
    out = subprocess.run([sys.executable, "-m", "nbstripout", "--keep-id", "--extra-keys", " ".join(keys)],
                         input=text, capture_output=True, text=True, cwd=tempfile.gettempdir())
    assert out.returncode == 0, out.stderr
    return out.stdout


def _wait_for_kernel(page, url: str, token: str, name: str) -> None:
    """The notebook's session exists on the server and its kernel is idle, as the page shows it."""
    deadline = time.monotonic() + 90
    while True:
        status, body = _get(f"{url}/api/sessions?token={token}")
        sessions = json.loads(body) if status == 200 else []
        if any(s["path"] == f"{name}.ipynb" and s["kernel"]["execution_state"] == "idle" for s in sessions):
            break
        assert time.monotonic() < deadline, f"no idle kernel for {name}: {sessions}"
        time.sleep(0.25)
    page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=60_000)


def _shut_down_kernels(url: str, token: str) -> None:
    _, body = _get(f"{url}/api/sessions?token={token}")
    for session in json.loads(body or b"[]"):
        request = urllib.request.Request(f"{url}/api/sessions/{session['id']}?token={token}", method="DELETE")
        urllib.request.urlopen(request, timeout=30).close()


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_runs_in_jupyterlab_with_two_parameter_sets(lab, browser, name):
    url, token, tmp = lab
    path = tmp / "notebooks" / f"{name}.ipynb"
    figure_cells = _figure_cells(path)
    shots = os.environ.get("LAB_SCREENSHOTS")
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    outside, console = [], []
    page = context.new_page()
    local = (url, url.replace("http://", "ws://"), "data:", "blob:")
    page.on("request", lambda r: None if r.url.startswith(local) else outside.append(r.url))
    page.on("console", lambda m: console.append(f"{m.type}: {m.text}") if m.type == "error" else None)
    try:
        page.goto(f"{url}/lab/tree/{name}.ipynb?token={token}&reset")
        page.wait_for_selector(".jp-NotebookPanel .jp-Notebook .jp-CodeCell", timeout=60_000)
        _wait_for_kernel(page, url, token, name)

        # 1. As it opens: the default parameters (the example study, Coventry, interim).
        last = _run_all(page, previous=0)
        _check_figures(page, figure_cells, name)
        if shots:
            page.screenshot(path=f"{shots}/{name}-default.png", full_page=False)

        # Saving (Ctrl+S) keeps the outputs in the working file; the commit filter gives back the
        # notebook exactly as it is in the repository: no outputs, and the same kernel and language.
        before = path.stat().st_mtime_ns
        page.keyboard.press("Control+s")
        page.wait_for_function("() => !document.querySelector('.jp-mod-dirty')", timeout=30_000)
        deadline = time.monotonic() + 30
        while path.stat().st_mtime_ns == before and time.monotonic() < deadline:
            time.sleep(0.1)
        saved = path.read_text(encoding="utf-8")
        assert '"outputs": []' in (NOTEBOOKS_DIR / f"{name}.ipynb").read_text(encoding="utf-8")
        assert "image/png" in saved and '"execution_count": 1' in saved
        assert _strip_as_git_does(saved) == (NOTEBOOKS_DIR / f"{name}.ipynb").read_text(encoding="utf-8")

        # 2. Another study path, place and phase, typed into the parameters cell.
        editor = page.locator(".jp-CodeCell", has_text="# Parameters").locator(".cm-content")
        editor.click()
        page.keyboard.press("Control+a")
        page.keyboard.insert_text(_parameters(path, tmp / "study" / "example"))
        page.keyboard.press("Escape")
        _run_all(page, previous=last)
        _check_figures(page, figure_cells, name)
        outputs = "\n".join(page.locator(".jp-OutputArea").all_inner_texts())
        assert SECOND_LABEL in outputs
        if name != "compare_places":
            assert "Sutton" in outputs and "Coventry" not in outputs
        if shots:
            page.screenshot(path=f"{shots}/{name}-second.png", full_page=False)
        assert outside == []
    except Exception:
        page.screenshot(path=str(tmp / f"{name}-failed.png"))  # kept with the server log for a look
        print("\n".join(console))
        raise
    finally:
        context.close()
        _shut_down_kernels(url, token)
