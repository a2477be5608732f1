"""Outputs that cannot collide or go stale: one study per outputs folder, one run at a time, signals, the key."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import nbformat
import pytest

from analysis import paths
from analysis.runner import runner
from analysis.runner.jobs import RunError
from analysis.runner.outputs import RunLock, claim_outputs
from tests.helpers import copy_fixture_notebooks

ROOT = Path(__file__).resolve().parents[1]


def _study(folder: Path, org: str = "Larkspur Advice Shop") -> Path:
    folder.mkdir(parents=True)
    (folder / "study.yml").write_text("name: Safety test\ndescription: outputs safety\nillustrative: true\n")
    (folder / "places.csv").write_text("place_id,name\nmoor,Moor\n")
    (folder / "phases.csv").write_text("phase_id,label,start_date,end_date\nonly,Only phase,2021-01-01,2021-12-31\n")
    (folder / "organisations.csv").write_text(f"org_id,name,place_id,sector\nGB-CHC-7770001,{org},moor,vcse\n")
    return folder


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    monkeypatch.setattr(runner, "code_hash", lambda: "code-under-test")
    monkeypatch.setattr(paths, "KEYS_DIR", tmp_path / "keys")


def _run(study, nbs, out, **kw):
    kw.setdefault("timeout", 60)
    kw.setdefault("jobs", 1)
    return runner.run(study=str(study), notebooks=str(nbs), out=str(out), **kw)


# ---------------------------------------------------------------------------------------------
# Two studies whose folders share a name


def test_a_folder_holding_another_study_is_refused_with_its_path(tmp_path):
    a, b = _study(tmp_path / "a" / "tiny"), _study(tmp_path / "b" / "tiny", org="Other Org Ltd")
    out = tmp_path / "out" / "tiny"
    claim_outputs(out, a)
    with pytest.raises(RunError) as err:
        claim_outputs(out, b)
    assert str(a.resolve()) in str(err.value) and "--name" in str(err.value)
    assert claim_outputs(out, a)["study"] == str(a.resolve())  # the same study again is fine


@pytest.mark.slow
def test_same_named_studies_keep_separate_pages_and_keys(tmp_path):
    a, b = _study(tmp_path / "a" / "tiny"), _study(tmp_path / "b" / "tiny", org="Other Org Ltd")
    nbs = copy_fixture_notebooks(tmp_path / "nbs", "overview")
    out = tmp_path / "out"
    assert _run(a, nbs, out).exit_status == 0
    page = out / "tiny" / "stakeholder" / "only" / "all-places" / "overview.html"
    before = page.read_bytes()
    with pytest.raises(RunError, match=str(a.resolve())):
        _run(b, nbs, out)
    assert page.read_bytes() == before
    assert _run(b, nbs, out, name="tiny-b").exit_status == 0
    assert (out / "tiny-b" / "stakeholder" / "only" / "all-places" / "overview.html").exists()
    assert page.read_bytes() == before
    # each outputs folder has its own key: pages of the two studies do not share pseudonyms
    assert (tmp_path / "keys" / "tiny.key").read_bytes() != (tmp_path / "keys" / "tiny-b.key").read_bytes()

    def key_hash(name):
        m = json.loads((out / name / "stakeholder" / "only" / "manifest.json").read_text())
        return m["entries"]["all-places/overview"]["hashes"]["key"]

    assert key_hash("tiny") != key_hash("tiny-b")


@pytest.mark.parametrize("bad", ["../up", ".hidden", "a/b", ""])
def test_a_name_that_is_not_a_plain_folder_name_is_refused(tmp_path, bad):
    study = _study(tmp_path / "s")
    nbs = copy_fixture_notebooks(tmp_path / "nbs", "overview")
    with pytest.raises(RunError, match="--name"):
        _run(study, nbs, tmp_path / "out", name=bad or " ")


# ---------------------------------------------------------------------------------------------
# Two runs at once

_HOLD = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from analysis.runner.outputs import RunLock
    with RunLock(Path(sys.argv[1])):
        print("locked", flush=True)
        time.sleep(float(sys.argv[2]))
""")


def _holder(study_out: Path, seconds: float) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-c", _HOLD, str(study_out), str(seconds)], stdout=subprocess.PIPE,
                            text=True)
    assert proc.stdout.readline().strip() == "locked"
    return proc


def test_a_second_run_on_the_same_outputs_is_refused_naming_the_first(tmp_path):
    study = _study(tmp_path / "s")
    nbs = copy_fixture_notebooks(tmp_path / "nbs", "overview")
    holder = _holder(tmp_path / "out" / "s", 30)
    try:
        with pytest.raises(RunError, match=rf"another run \(pid {holder.pid}\)"):
            _run(study, nbs, tmp_path / "out")
    finally:
        holder.kill()
        holder.wait()
    # the lock goes with the process that held it
    with RunLock(tmp_path / "out" / "s"):
        pass


def test_wait_starts_when_the_other_run_has_finished(tmp_path):
    holder = _holder(tmp_path / "out" / "s", 2)
    start = time.monotonic()
    with RunLock(tmp_path / "out" / "s", wait=True):
        waited = time.monotonic() - start
    holder.wait()
    assert waited > 1.0  # it held the lock for 2 s after saying so


# ---------------------------------------------------------------------------------------------
# SIGTERM, and a worker left behind


def _descendants(pid: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(entry))
    found, todo = set(), [pid]
    while todo:
        for c in children.get(todo.pop(), []):
            if c not in found:
                found.add(c)
                todo.append(c)
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _sleeper(folder: Path, seconds: float) -> Path:
    """A cross-place notebook that sleeps, then finishes and would be published."""
    folder.mkdir(parents=True, exist_ok=True)
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# Fixture that sleeps, then finishes"),
        nbformat.v4.new_code_cell('study = ""\nphase = ""\naudience = "stakeholder"',
                                  metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell(f"import time\ntime.sleep({seconds})\nprint('done')"),
    ])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, str(folder / "nap.ipynb"))
    return folder


def _start_run(tmp_path, nbs) -> tuple[subprocess.Popen, Path]:
    study = _study(tmp_path / "s")
    out = tmp_path / "out"
    env = dict(os.environ, COORDINATION_KEY_DIR=str(tmp_path / "keys"))
    log = open(tmp_path / "run.log", "wb")  # not a pipe: a process left behind would hold it open
    proc = subprocess.Popen([sys.executable, "-m", "analysis", "run", "--study", str(study), "--notebooks", str(nbs),
                             "--out", str(out), "--jobs", "1", "--quiet", "--timeout", "120"],
                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    log.close()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:  # until the kernel runs the notebook
        if any("ipykernel" in _cmdline(p) for p in _descendants(proc.pid)):
            break
        if proc.poll() is not None:
            pytest.fail(f"the run ended early: {(tmp_path / 'run.log').read_text()}")
        time.sleep(0.2)
    else:
        proc.kill()
        pytest.fail("no kernel started within 120 s")
    time.sleep(2)  # the kernel is in the sleeping cell
    return proc, out / "s"


def _published(study_out: Path) -> list[str]:
    return sorted(str(p.relative_to(study_out)) for p in (study_out / "stakeholder").rglob("*") if p.is_file())


@pytest.mark.slow
def test_sigterm_stops_workers_and_kernels_and_nothing_is_published_after(tmp_path):
    nbs = _sleeper(tmp_path / "nbs", 8)
    proc, study_out = _start_run(tmp_path, nbs)
    family = _descendants(proc.pid)
    assert family
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        pytest.fail("the run did not stop within 60 s of SIGTERM")
    assert proc.returncode == 130, (tmp_path / "run.log").read_text()
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and any(_alive(p) for p in family):
        time.sleep(0.2)
    survivors = [(p, _cmdline(p)) for p in family if _alive(p)]
    for p, _ in survivors:  # do not leave them running, whatever the test says
        os.kill(p, signal.SIGKILL)
    assert survivors == []
    time.sleep(10)  # longer than the notebook had left to run
    assert not (study_out / "stakeholder" / "only" / "all-places" / "nap.html").exists()


@pytest.mark.slow
def test_a_worker_left_running_by_a_killed_run_publishes_nothing(tmp_path):
    nbs = _sleeper(tmp_path / "nbs", 6)
    proc, study_out = _start_run(tmp_path, nbs)
    family = _descendants(proc.pid)
    before = _published(study_out) if (study_out / "stakeholder").exists() else []
    proc.kill()  # SIGKILL: the run cannot stop anything; its worker finishes the notebook alone
    proc.wait()
    try:
        time.sleep(15)
        after = _published(study_out) if (study_out / "stakeholder").exists() else []
        assert after == before
        assert not any(name.endswith("nap.html") for name in after)
        # and the worker, finding its run gone, stops its kernel and exits
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and any(_alive(p) for p in family):
            time.sleep(0.5)
        assert [_cmdline(p) for p in family if _alive(p)] == []
    finally:
        for p in family:
            if _alive(p):
                os.kill(p, signal.SIGKILL)


# ---------------------------------------------------------------------------------------------
# The pseudonym key


@pytest.mark.slow
def test_a_deleted_key_is_an_error_until_new_key_which_renders_every_page(tmp_path):
    study = _study(tmp_path / "s")
    nbs = copy_fixture_notebooks(tmp_path / "nbs", "overview")
    out = tmp_path / "out"
    assert _run(study, nbs, out).exit_status == 0
    key = tmp_path / "keys" / "s.key"
    old = key.read_bytes()
    assert _run(study, nbs, out).skipped == 1  # up to date with the same key

    key.unlink()
    with pytest.raises(RunError, match=r"pseudonym key .*s\.key is missing.*--new-key"):
        _run(study, nbs, out)
    assert not key.exists()  # the refused run made no new key

    key.write_bytes(b"x" * 32)  # a different key put in its place
    with pytest.raises(RunError, match="not the one"):
        _run(study, nbs, out)

    report = _run(study, nbs, out, new_key=True)
    assert report.exit_status == 0 and report.skipped == 0 and len(report.results) == 1
    assert key.read_bytes() not in (old, b"x" * 32)
    assert list((tmp_path / "keys").glob("s.key.replaced-*"))  # the key it replaced is kept aside
    assert _run(study, nbs, out).skipped == 1
