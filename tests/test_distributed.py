"""`coordination run --scheduler local`: the notebook jobs on a Dask LocalCluster of two worker processes.

The same fixture notebooks as tests/test_runner.py, and the same expectations: the pages, the
manifest, the failed notebooks kept with their errors, the summary table and the exit code are
those of a run on local worker processes.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path

import nbformat
import pytest

pytest.importorskip("distributed")

from analysis.cli import main  # noqa: E402 -- after the skip: these tests need Dask
from analysis.paths import DATA_DIR, NOTEBOOKS_DIR  # noqa: E402 -- after the skip
from analysis.runner import distributed as dask_runner  # noqa: E402 -- after the skip
from analysis.runner import runner  # noqa: E402 -- after the skip
from tests.helpers import copy_fixture_notebooks  # noqa: E402 -- after the skip
from tests.test_runner import write_study  # noqa: E402 -- after the skip

TIMEOUT = 30  # seconds per cell, as in tests/test_runner.py: the sleeping fixture sleeps 600 s


class Progress:
    """A progress bar that counts: how many notebooks it was told of, and how many landed."""

    def __init__(self, total):
        self.total, self.done, self.closed = total, 0, False

    def update(self, n=1):
        self.done += n

    def write(self, message):
        pass

    def close(self):
        self.closed = True


@pytest.fixture(autouse=True)
def fixed_code_hash(monkeypatch):
    monkeypatch.setattr(runner, "code_hash", lambda: "code-under-test")


@pytest.fixture(scope="module")
def dask_run(tmp_path_factory):
    """One `--scheduler local --jobs 2` run of ok, overview, raises, sleeps and dies for one phase, both places."""
    tmp = tmp_path_factory.mktemp("dask")
    study = write_study(tmp / "tiny")
    nbs = copy_fixture_notebooks(tmp / "nbs", "ok", "overview", "raises", "sleeps", "dies")
    bars = []
    mp = pytest.MonkeyPatch()
    mp.setattr(runner, "code_hash", lambda: "code-under-test")
    try:
        report = runner.run(study=str(study), notebooks=str(nbs), out=str(tmp / "out"), phases=["before"],
                            timeout=TIMEOUT, jobs=2, scheduler="local",
                            progress=lambda total: bars.append(Progress(total)) or bars[-1])
    finally:
        mp.undo()
    return {"report": report, "printed": report.summary(), "out": tmp / "out" / "tiny", "bars": bars}


@pytest.mark.slow
def test_summary_table_and_exit_status_are_those_of_local_workers(dask_run):
    report, printed = dask_run["report"], dask_run["printed"]
    assert report.exit_status == 1 and not report.interrupted
    rows = {}
    for line in printed.splitlines():
        parts = line.split()
        if parts and parts[0] in {"ok", "overview", "raises", "sleeps", "dies"} and len(parts) > 3:
            rows[(parts[0], parts[1])] = line
    for place in ("north", "south"):
        assert " ok " in rows[("ok", place)]
        # a stakeholder run prints the error's kind and cell; its message stays in the internal log
        assert re.search(r"\berror\b.*cell \d+: ValueError$", rows[("raises", place)])
        assert re.search(r"\btimeout\b.*ran past the 30 s timeout", rows[("sleeps", place)])
        assert "kernel died" in rows[("dies", place)]
    assert " ok " in rows[("overview", "all-places")]
    assert "3 rendered, 6 failed, 0 up to date" in printed
    assert f"Executed notebooks with their errors are kept in {report.failed_dir}" in printed
    assert report.failed_dir == dask_run["out"] / ".internal" / "failed" / "stakeholder"
    log = (dask_run["out"] / ".internal" / "errors.jsonl").read_text()
    assert log.count("ValueError: deliberate failure") == 2
    # the progress bar was told of the nine notebooks, moved once for each, and closed
    [bar] = dask_run["bars"]
    assert (bar.total, bar.done, bar.closed) == (9, 9, True)


@pytest.mark.slow
@pytest.mark.parametrize("name, ename", [("raises", "ValueError"), ("sleeps", "CellTimeoutError"),
                                         ("dies", "DeadKernelError")])
def test_failed_notebook_comes_back_and_is_kept_with_its_error(dask_run, name, ename):
    kept = dask_run["out"] / ".internal" / "failed" / "stakeholder" / "before" / "north" / f"{name}.ipynb"
    nb = nbformat.read(str(kept), as_version=4)
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert [e.ename for e in errors] == [ename]
    assert not (dask_run["out"] / "stakeholder" / "before" / "north" / f"{name}.html").exists()
    row = next(r for r in dask_run["report"].results if r["notebook"] == name and r["place"] == "north")
    assert row["failed_notebook"] == str(kept)


@pytest.mark.slow
def test_manifest_records_every_outcome(dask_run):
    m = json.loads((dask_run["out"] / "stakeholder" / "before" / "manifest.json").read_text())
    statuses = {k: e["status"] for k, e in m["entries"].items()}
    assert statuses == {"all-places/overview": "ok", "north/ok": "ok", "south/ok": "ok", "north/raises": "error",
                        "south/raises": "error", "north/sleeps": "timeout", "south/sleeps": "timeout",
                        "north/dies": "kernel died", "south/dies": "kernel died"}
    entry = m["entries"]["north/ok"]
    assert set(entry["hashes"]) == {"notebook", "parameters", "study", "code", "key"}
    assert entry["seconds"] > 0
    assert sorted(entry["outputs"]) == ["ok.html", "ok.ipynb", "organisations-by-sector.png",
                                        "organisations-by-sector.svg"]


@pytest.mark.slow
def test_pages_come_back_as_files_in_the_outputs_folder(dask_run):
    folder = dask_run["out"] / "stakeholder" / "before" / "north"
    page = (folder / "ok.html").read_text()
    assert 'src="data:image/png;base64,' in page and "North &lt;b&gt;Town&lt;/b&gt;" in page
    assert (folder / "organisations-by-sector.png").read_bytes()[:4] == b"\x89PNG"
    # the executed notebook names the folder its figures are in, not the worker's scratch folder
    executed = (folder / "ok.ipynb").read_text()
    assert json.dumps(str(folder))[1:-1] in executed and "cip-dask-" not in executed
    # nothing is left behind: no staging folder, no temporary file beside the pages
    assert not (dask_run["out"] / ".staging").exists()
    assert sorted(p.name for p in folder.iterdir()) == ["ok.html", "ok.ipynb", "organisations-by-sector.png",
                                                        "organisations-by-sector.svg"]
    assert (dask_run["out"] / "stakeholder" / "before" / "index.html").exists()


@pytest.mark.slow
def test_each_worker_keeps_one_warm_kernel_and_stops_it_at_the_end(tmp_path):
    """One worker runs four notebooks on one kernel (the plugin's); the kernel is gone when the run ends."""
    study = write_study(tmp_path / "tiny")
    nbs = copy_fixture_notebooks(tmp_path / "nbs", "isolation_1_leaves_state", "isolation_2_checks_clean")
    scratch_before = set(Path(tempfile.gettempdir()).glob("cip-dask-worker-*"))
    report = runner.run(study=str(study), notebooks=str(nbs), out=str(tmp_path / "out"), phases=["before"],
                        jobs=1, audience="internal", timeout=TIMEOUT, scheduler="local")
    assert report.exit_status == 0, report.summary()
    pids = set()
    for place in ("north", "south"):
        for name in ("isolation_1_leaves_state", "isolation_2_checks_clean"):
            nb = nbformat.read(str(tmp_path / "out" / "tiny" / "internal" / "before" / place / f"{name}.ipynb"),
                               as_version=4)
            text = "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []))
            pids.update(int(line.split()[1]) for line in text.splitlines() if line.startswith("kernel "))
    assert len(pids) == 1  # the same kernel process ran all four (the second found none of the first's state)
    with pytest.raises(ProcessLookupError):
        os.kill(pids.pop(), 0)  # the plugin's teardown shut it down
    # and removed the worker's scratch folder
    assert set(Path(tempfile.gettempdir()).glob("cip-dask-worker-*")) - scratch_before == set()


def test_cli_refuses_a_scheduler_it_cannot_reach(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(dask_runner, "_CONNECT_TIMEOUT", 2)
    study = write_study(tmp_path / "tiny")
    nbs = copy_fixture_notebooks(tmp_path / "nbs", "ok")
    status = main(["run", "--study", str(study), "--notebooks", str(nbs), "--out", str(tmp_path / "out"),
                   "--scheduler", "tcp://127.0.0.1:9", "--quiet"])
    err = capsys.readouterr().err
    assert status == 2
    assert err.startswith("coordination run: cannot reach the Dask scheduler at tcp://127.0.0.1:9")
    assert "Traceback" not in err


def test_a_job_whose_study_is_not_on_the_worker_fails_with_a_plain_reason(tmp_path):
    job = runner.Job(str(tmp_path / "nb.ipynb"), "nb", "north", "before", "internal",
                     {"study": str(tmp_path / "absent")}, str(tmp_path / "out"), {})
    import analysis

    res = dask_runner.execute_job_remote(job, {}, 10, analysis.__version__)
    assert res["status"] == "error" and res["files"] == [] and res["failed"] is None
    assert res["error"] == (f"the study {tmp_path / 'absent'} is not on worker this machine: the study, notebooks "
                            "and key must be at the same path on every worker (docs/scaling.md)")
    other = dask_runner.execute_job_remote(job, {}, 10, "0.0.0-other")
    assert other["error"].endswith("the run 0.0.0-other: install the same version on every worker")


def test_what_a_worker_sends_back_is_staged_for_the_gate_and_names_checked(tmp_path):
    job = runner.Job("nb.ipynb", "nb", "north", "before", "internal", {}, str(tmp_path / "page"), {})
    sent = {"key": "north/nb", "status": "staged", "error": "", "label": "Nb", "seconds": 1.0, "outputs": [],
            "files": [("fig.png", b"png"), ("nb.ipynb", b"{}"), ("nb.html", b"<p>page</p>")], "failed": None}
    res = dask_runner._receive(job, dict(sent), tmp_path / "staging", tmp_path / "failed")
    staged = Path(res["staging"])
    assert res["status"] == "staged" and staged.parent == tmp_path / "staging"
    assert {p.name: p.read_bytes() for p in staged.iterdir()} == {"fig.png": b"png", "nb.ipynb": b"{}",
                                                                  "nb.html": b"<p>page</p>"}
    assert "files" not in res and "failed" not in res
    assert not (tmp_path / "page").exists()  # publishing is the gate's, not this step's
    for bad in ("../escape.html", ".hidden", "sub/x.png"):
        res = dask_runner._receive(job, dict(sent, files=[(bad, b"x")]), tmp_path / "staging", tmp_path / "failed")
        assert res["status"] == "error" and res["error"] == f"worker sent a file named {bad!r}"
    failed = dict(sent, status="error", error="cell 2: ValueError", files=[], failed=b'{"cells": []}')
    res = dask_runner._receive(job, failed, tmp_path / "staging", tmp_path / "failed")
    kept = tmp_path / "failed" / "before" / "north" / "nb.ipynb"
    assert res["failed_notebook"] == str(kept) and kept.read_bytes() == b'{"cells": []}'


def _visible_text(path: Path) -> str:
    """A page's text as a reader sees it, with the time of rendering masked."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
    for tag in soup(["style", "script", "time"]):
        tag.decompose()
    text = soup.get_text(" ", strip=True)
    return re.sub(r"rendered \d{1,2} \w+ \d{4}, \d\d:\d\d \S+", "rendered <time>", text)


@pytest.mark.slow
@pytest.mark.skipif(not (DATA_DIR / "example" / "study.yml").exists() or not list(NOTEBOOKS_DIR.glob("*.ipynb")),
                    reason="needs data/example and the notebooks in notebooks/")
def test_local_cluster_renders_the_same_pages_as_two_local_workers(tmp_path, monkeypatch):
    """The example study's interim phase for one place, through `--scheduler local` and through `--jobs 2`."""
    # a fixed string-hash seed in every kernel (inherited from here by both kinds of worker): some sums run in
    # set order, and a mean of exactly 0.375 prints as 0.37 or 0.38 from one process to the next
    monkeypatch.setenv("PYTHONHASHSEED", "0")
    trees = {}
    for how, extra in (("jobs", []), ("dask", ["--scheduler", "local"])):
        out = tmp_path / how
        status = main(["run", "--study", "data/example", "--out", str(out), "--phase", "interim", "--place",
                       "coventry", "--jobs", "2", "--quiet", *extra])
        assert status == 0, how
        trees[how] = out / "example"
    # every file but the study cache (.cache/, kept on disk only where the kernels can reach the outputs folder:
    # local workers; a Dask worker keeps it in its kernel's memory)
    names = {how: sorted(p.relative_to(root).as_posix() for p in root.rglob("*")
                         if p.is_file() and p.relative_to(root).parts[0] != ".cache") for how, root in trees.items()}
    assert names["dask"] == names["jobs"]
    pages = [n for n in names["jobs"] if n.endswith(".html")]
    # three per-place pages, the cross-place page and the three index pages
    assert {"stakeholder/interim/coventry/place_report.html", "stakeholder/interim/coventry/trust_network.html",
            "stakeholder/interim/coventry/funding_flows.html", "stakeholder/interim/all-places/compare_places.html",
            "stakeholder/interim/index.html", "stakeholder/index.html", "index.html"} <= set(pages)
    for name in pages:
        assert _visible_text(trees["dask"] / name) == _visible_text(trees["jobs"] / name), name
