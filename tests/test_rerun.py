"""A rerun with nothing changed is cheap (no study load, no heavy import, nothing rewritten); a change renders."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import nbformat
import pytest

from analysis.runner import manifest as manifest_module
from analysis.runner import runner
from analysis.runner.manifest import FileHashes, file_hash
from tests.helpers import TINY_SETTINGS, copy_fixture_notebooks, tiny_tables, write_study


def LATER() -> int:
    """A clock a minute ahead: every file a test writes counts as settled."""
    return time.time_ns() + 60 * 10**9


HEAVY = ("pandas", "numpy", "nbconvert", "papermill", "nbformat", "matplotlib", "networkx", "seaborn",
         "jupyter_client", "dask", "distributed", "scipy", "igraph", "pandera", "tqdm")


class CountingHash:
    """``manifest.file_hash``, counting the files it reads."""

    def __init__(self):
        self.read = []

    def __call__(self, path):
        self.read.append(os.path.basename(path))
        return file_hash(path)


@pytest.fixture
def counted(monkeypatch):
    counter = CountingHash()
    monkeypatch.setattr(manifest_module, "file_hash", counter)
    return counter


# ---------------------------------------------------------------------------------------------
# FileHashes: the stat-keyed memory of file hashes


def test_an_unchanged_settled_file_is_not_read_again(tmp_path, counted):
    path = tmp_path / "relationships.csv"
    path.write_text("phase_id,level\nbefore,3\n")
    first = FileHashes(now=LATER)
    digest = first(path)
    second = FileHashes(first.seen, now=LATER)
    assert second(path) == digest == file_hash(path)
    assert counted.read == ["relationships.csv"]  # read by the first only
    assert second.seen == first.seen


def test_a_rating_changed_in_place_is_read_again(tmp_path, counted):
    path = tmp_path / "relationships.csv"
    path.write_text("phase_id,level\nbefore,3\n")
    first = FileHashes(now=LATER)
    before = first(path)
    path.write_text("phase_id,level\nbefore,2\n")  # the same size
    after = FileHashes(first.seen, now=LATER)(path)
    assert after != before and after == file_hash(path)
    assert counted.read == ["relationships.csv", "relationships.csv"]


def test_a_file_put_back_with_its_old_size_and_time_is_read_again(tmp_path, counted):
    """``cp -p`` or ``touch -d`` can set a file's modification time back; its change time moves all the same."""
    path = tmp_path / "relationships.csv"
    path.write_text("phase_id,level\nbefore,3\n")
    old = os.stat(path)
    first = FileHashes(now=LATER)
    before = first(path)
    time.sleep(0.01)
    path.write_text("phase_id,level\nbefore,4\n")
    os.utime(path, ns=(old.st_atime_ns, old.st_mtime_ns))
    assert os.stat(path).st_mtime_ns == old.st_mtime_ns and os.stat(path).st_size == old.st_size
    after = FileHashes(first.seen, now=LATER)(path)
    assert after != before and after == file_hash(path)


def test_a_file_changed_just_now_is_not_remembered(tmp_path):
    """Within two seconds of a change a second write could leave the file's times as they were (coarse clocks)."""
    path = tmp_path / "study.yml"
    path.write_text("name: x\n")
    hashes = FileHashes()  # the real clock: the file was written a moment ago
    assert hashes(path) == file_hash(path)
    assert hashes.seen == {}
    st = os.stat(path)
    settled = FileHashes(now=lambda: max(st.st_mtime_ns, st.st_ctime_ns) + FileHashes.SETTLED_NS + 1)
    settled(path)
    assert list(settled.seen) == [str(path)]


def test_damaged_memory_is_ignored(tmp_path):
    path = tmp_path / "places.csv"
    path.write_text("place_id,name\nnorth,North\n")
    remembered = {str(path): ["not", "a", "status"], "x": 3}
    assert FileHashes(remembered, now=LATER)(path) == file_hash(path)
    assert FileHashes("nonsense", now=LATER)(path) == file_hash(path)


# ---------------------------------------------------------------------------------------------
# Runs: what renders again and what does not


def _tiny_study(folder):
    return write_study(folder, {k: v for k, v in tiny_tables().items()
                                if k in ("places", "phases", "organisations", "relationships")}, TINY_SETTINGS)


def _run(study, nbs, out, **kwargs):
    kwargs.setdefault("timeout", 60)
    kwargs.setdefault("jobs", 2)
    report = runner.run(study=str(study), notebooks=str(nbs), out=str(out), **kwargs)
    return report.exit_status, report.summary()


def _published(folder):
    """Modification times of the files a run publishes (all but ``.internal/``: its lock, cache and logs)."""
    return {p.relative_to(folder).as_posix(): p.stat().st_mtime_ns for p in folder.rglob("*")
            if p.is_file() and ".internal" not in p.relative_to(folder).parts}


@pytest.mark.slow
def test_each_kind_of_change_renders_again_and_nothing_else_does(tmp_path, monkeypatch):
    """A changed rating, notebook or code version renders every page again; with none, nothing is
    loaded, leak-checked or written."""
    code = {"version": "code-1"}
    monkeypatch.setattr(runner, "code_hash", lambda: code["version"])
    monkeypatch.setattr("analysis.paths.KEYS_DIR", tmp_path / "keys")
    study = _tiny_study(tmp_path / "tiny")
    nbs = copy_fixture_notebooks(tmp_path / "nbs", "overview")
    out = tmp_path / "out"
    status, printed = _run(study, nbs, out)
    assert status == 0 and "2 rendered, 0 failed, 0 up to date" in printed, printed

    # nothing changed: the study is not loaded, the leak check's terms are not built, no file is written
    def refuse(*args, **kwargs):
        raise AssertionError("loaded the study on a rerun with nothing changed")

    before = _published(out / "tiny")
    assert "index.html" in before and "stakeholder/during/manifest.json" in before
    with monkeypatch.context() as mp:
        mp.setattr(runner, "_leak_terms", refuse)
        mp.setattr("analysis.load_study", refuse)
        status, printed = _run(study, nbs, out)
    assert status == 0 and "0 rendered, 0 failed, 2 up to date" in printed, printed
    assert _published(out / "tiny") == before

    # one rating changed in place (level 3 -> 2: the file keeps its size)
    ratings = study / "relationships.csv"
    text = ratings.read_text()
    changed = text.replace("during,GB-LAE-NTH,GB-CHC-0000007,3,", "during,GB-LAE-NTH,GB-CHC-0000007,2,")
    assert changed != text and len(changed) == len(text)
    ratings.write_text(changed)
    status, printed = _run(study, nbs, out)
    assert "2 rendered, 0 failed, 0 up to date" in printed, printed
    fingerprints = {json.loads((out / "tiny" / "stakeholder" / ph / "manifest.json").read_text())["fingerprint"]
                    for ph in ("before", "during")}
    assert len(fingerprints) == 1
    assert _run(study, nbs, out)[1].count("2 up to date") == 1

    # the notebook changed (one more markdown cell)
    nb = nbformat.read(str(nbs / "overview.ipynb"), as_version=4)
    nb.cells.append(nbformat.v4.new_markdown_cell("One more sentence."))
    nbformat.write(nb, str(nbs / "overview.ipynb"))
    status, printed = _run(study, nbs, out)
    assert "2 rendered, 0 failed, 0 up to date" in printed, printed
    page = out / "tiny" / "stakeholder" / "during" / "all-places" / "overview.html"
    assert "One more sentence." in page.read_text()

    # a new version of the package's code
    code["version"] = "code-2"
    status, printed = _run(study, nbs, out)
    assert "2 rendered, 0 failed, 0 up to date" in printed, printed
    assert "0 rendered, 0 failed, 2 up to date" in _run(study, nbs, out)[1]


@pytest.mark.slow
def test_a_rerun_with_nothing_changed_imports_nothing_heavy(tmp_path):
    """The command itself, in a fresh process: no pandas, notebook machinery, plotting or network library."""
    study = _tiny_study(tmp_path / "tiny")
    nbs = copy_fixture_notebooks(tmp_path / "nbs", "overview")
    args = ["run", "--study", str(study), "--notebooks", str(nbs), "--out", str(tmp_path / "out"), "--jobs", "2",
            "--quiet"]
    script = ("import json, sys\nfrom analysis.cli import main\n"
              f"status = main({args!r})\n"
              f"print(json.dumps([status, sorted(m for m in {HEAVY!r} if m in sys.modules)]))\n")
    env = dict(os.environ, COORDINATION_KEY_DIR=str(tmp_path / "keys"))

    def command():
        done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=300)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout.strip().splitlines()[-1])

    status, heavy = command()
    assert status == 0 and "pandas" in heavy  # the first run loads the study
    assert command() == [0, []]
