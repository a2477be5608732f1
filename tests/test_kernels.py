"""Tests of the runner's warm kernels: one kernel per worker, reset between notebooks, replaced after a failure."""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest

from analysis.runner import kernels as kernels
from analysis.runner.kernels import WarmKernel, execute_notebook, notebook_imports
from tests.helpers import copy_fixture_notebooks

LEAVES_STATE = "isolation_1_leaves_state"
CHECKS_CLEAN = "isolation_2_checks_clean"


def parameters(**changes) -> dict:
    values = {"study": "data/example", "place": "north", "phase": "before", "audience": "internal",
              "figures_dir": ""}
    values.update(changes)
    return values


def printed(path: Path, key: str) -> list[str]:
    """Values of the ``key <value>`` lines a notebook printed, in order."""
    nb = nbformat.read(str(path), as_version=4)
    values = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream":
                values += [line.split(" ", 1)[1] for line in out["text"].splitlines() if line.startswith(key + " ")]
    return values


def stream_text(path: Path) -> str:
    nb = nbformat.read(str(path), as_version=4)
    return "".join(out["text"] for c in nb.cells for out in c.get("outputs", []) if out.get("output_type") == "stream")


def execution_counts(path: Path) -> list:
    nb = nbformat.read(str(path), as_version=4)
    return [c.execution_count for c in nb.cells if c.cell_type == "code"]


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a killed child not yet reaped is a zombie: as good as gone
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return True


@pytest.fixture
def kernel():
    k = WarmKernel(["pandas", "matplotlib.pyplot"])
    yield k
    k.discard()


# ---------------------------------------------------------------------------------------------
# What to warm (no kernel)


def test_notebook_imports_lists_modules_and_possible_submodules(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("import numpy as np, scipy.stats\nfrom analysis.style import show_figure"),
        nbformat.v4.new_code_cell("%matplotlib inline\nfrom . import nothing\nimport networkx"),
        nbformat.v4.new_markdown_cell("import not_code"),
        nbformat.v4.new_code_cell("def broken(:"),
    ])
    nbformat.write(nb, str(tmp_path / "a.ipynb"))
    assert notebook_imports([tmp_path / "a.ipynb", tmp_path / "missing.ipynb"]) == [
        "analysis.style", "analysis.style.show_figure", "networkx", "numpy", "scipy.stats"]


def test_code_sent_to_the_kernel_binds_no_name_in_the_notebook_namespace():
    """The runner's calls into the kernel leave the user's namespace as they found it."""
    namespace: dict = {}
    exec(kernels._call("warm_up", []), namespace)  # warm_up of nothing: imports nothing, returns []
    assert set(namespace) == {"__builtins__"}


# ---------------------------------------------------------------------------------------------
# On a real kernel


@pytest.mark.slow
def test_next_notebook_on_the_same_kernel_sees_none_of_the_last_ones_state(kernel, tmp_path):
    nbs = copy_fixture_notebooks(tmp_path / "nbs", LEAVES_STATE, CHECKS_CLEAN)
    first, second = tmp_path / "first.ipynb", tmp_path / "second.ipynb"
    assert execute_notebook(kernel, str(nbs / f"{LEAVES_STATE}.ipynb"), first, parameters(), 60) == ("ok", "")
    status = execute_notebook(kernel, str(nbs / f"{CHECKS_CLEAN}.ipynb"), second, parameters(), 60)
    assert status == ("ok", ""), status
    assert "clean" in stream_text(second)
    # the same kernel process ran both, so it really was kept warm
    assert printed(first, "kernel") == printed(second, "kernel")
    assert kernel.notebooks_run == 2
    # each ran in its notebook's folder, though the first changed to / before it ended
    assert printed(first, "cwd") == printed(second, "cwd") == [str(nbs)]


@pytest.mark.slow
def test_execution_counts_start_at_1_on_a_warm_kernel(kernel, tmp_path):
    nbs = copy_fixture_notebooks(tmp_path / "nbs", LEAVES_STATE)
    for name in ("one", "two"):
        assert execute_notebook(kernel, str(nbs / f"{LEAVES_STATE}.ipynb"), tmp_path / f"{name}.ipynb",
                                parameters(), 60) == ("ok", "")
    # parameters cell, injected parameters, then the notebook's three cells
    assert execution_counts(tmp_path / "one.ipynb") == [1, 2, 3, 4, 5]
    assert execution_counts(tmp_path / "two.ipynb") == [1, 2, 3, 4, 5]
    assert kernel.notebooks_run == 2


@pytest.mark.slow
def test_after_a_timeout_the_next_notebook_runs_on_a_fresh_kernel(kernel, tmp_path):
    nbs = copy_fixture_notebooks(tmp_path / "nbs", LEAVES_STATE, "sleeps")
    assert execute_notebook(kernel, str(nbs / f"{LEAVES_STATE}.ipynb"), tmp_path / "a.ipynb", parameters(),
                            60) == ("ok", "")
    old_pid = int(printed(tmp_path / "a.ipynb", "kernel")[0])
    status, error = execute_notebook(kernel, str(nbs / "sleeps.ipynb"), tmp_path / "s.ipynb", parameters(), 2)
    assert status == "timeout" and "ran past the timeout" in error
    # the kernel whose cell was still sleeping is gone, not left running
    assert kernel.km is None and not pid_alive(old_pid)
    assert execute_notebook(kernel, str(nbs / f"{LEAVES_STATE}.ipynb"), tmp_path / "b.ipynb", parameters(),
                            60) == ("ok", "")
    new_pid = int(printed(tmp_path / "b.ipynb", "kernel")[0])
    assert new_pid != old_pid and kernel.notebooks_run == 1
    assert execution_counts(tmp_path / "b.ipynb") == [1, 2, 3, 4, 5]


@pytest.mark.slow
@pytest.mark.parametrize("name, status", [("raises", "error"), ("dies", "kernel died")])
def test_any_failure_discards_the_kernel(kernel, tmp_path, name, status):
    nbs = copy_fixture_notebooks(tmp_path / "nbs", LEAVES_STATE, name)
    execute_notebook(kernel, str(nbs / f"{LEAVES_STATE}.ipynb"), tmp_path / "a.ipynb", parameters(), 60)
    old_pid = int(printed(tmp_path / "a.ipynb", "kernel")[0])
    assert execute_notebook(kernel, str(nbs / f"{name}.ipynb"), tmp_path / "f.ipynb", parameters(), 60)[0] == status
    assert kernel.km is None and not pid_alive(old_pid)


@pytest.mark.slow
def test_a_kernel_that_fails_to_start_is_tried_once_more(kernel, tmp_path, monkeypatch):
    nbs = copy_fixture_notebooks(tmp_path / "nbs", LEAVES_STATE)
    calls = []
    real = kernels._call

    def warm_up_fails_once(function, *args):
        calls.append(function)
        if function == "warm_up" and calls.count("warm_up") == 1:
            return "raise RuntimeError('no warm-up this time')"
        return real(function, *args)

    monkeypatch.setattr(kernels, "_call", warm_up_fails_once)
    assert execute_notebook(kernel, str(nbs / f"{LEAVES_STATE}.ipynb"), tmp_path / "a.ipynb", parameters(),
                            60) == ("ok", "")
    assert calls == ["warm_up", "warm_up", "reset_for_notebook"]


@pytest.mark.slow
def test_a_kernel_that_never_starts_is_reported(kernel, tmp_path, monkeypatch):
    nbs = copy_fixture_notebooks(tmp_path / "nbs", LEAVES_STATE)
    monkeypatch.setattr(kernels, "_call", lambda function, *args: "raise RuntimeError('broken kernel')")
    status, error = execute_notebook(kernel, str(nbs / f"{LEAVES_STATE}.ipynb"), tmp_path / "a.ipynb",
                                     parameters(), 60)
    assert status == "kernel start failed"
    assert "RuntimeError: broken kernel" in error
    assert kernel.km is None


def test_restoring_pandas_options_sets_only_what_changed():
    """Setting every option (reset_option("all")) would register pandas' date converters with matplotlib."""
    import matplotlib.units
    import pandas as pd

    baseline = kernels._pandas_options()
    assert baseline["display.max_rows"] == 60
    registry = dict(matplotlib.units.registry)
    pd.set_option("display.max_rows", 3)
    try:
        kernels._restore_pandas_options(baseline)
        assert pd.get_option("display.max_rows") == 60
        assert dict(matplotlib.units.registry) == registry
    finally:
        pd.reset_option("display.max_rows")


def cell_states(path: Path) -> list:
    """Each code cell's papermill status, and its outputs without times."""
    nb = nbformat.read(str(path), as_version=4)
    return [(c.metadata.papermill["status"], c.metadata.papermill["exception"],
             [(o.output_type, o.get("ename"), o.get("name")) for o in c.outputs])
            for c in nb.cells if c.cell_type == "code"]


@pytest.mark.slow
@pytest.mark.parametrize("name, status", [(LEAVES_STATE, "ok"), ("raises", "error"), ("sleeps", "timeout")])
def test_the_executed_notebook_is_written_when_execution_ends_not_per_cell(kernel, tmp_path, monkeypatch, name,
                                                                           status):
    """papermill's engine writes the notebook twice per cell; ours writes it once, however execution ends,
    and what it writes is what papermill's engine leaves in the file."""
    from papermill import engines

    nbs = copy_fixture_notebooks(tmp_path / "nbs", name)
    writes = []
    real = engines.write_ipynb
    monkeypatch.setattr(engines, "write_ipynb", lambda nb, path: writes.append(path) or real(nb, path))
    ours, theirs = tmp_path / "ours.ipynb", tmp_path / "theirs.ipynb"
    assert execute_notebook(kernel, str(nbs / f"{name}.ipynb"), ours, parameters(), 3)[0] == status
    assert writes == [str(ours)]
    kernel.discard()  # both from a fresh kernel
    monkeypatch.setattr(kernels, "ENGINE_NAME", "nbclient")  # papermill's own engine
    assert execute_notebook(kernel, str(nbs / f"{name}.ipynb"), theirs, parameters(), 3)[0] == status
    assert len(writes) > 1 + 2 * len(cell_states(theirs))
    assert cell_states(ours) == cell_states(theirs)
    if status == "error":
        assert any(state[2] == [("error", "ValueError", None)] for state in cell_states(ours))
