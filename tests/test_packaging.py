"""The project's set-up files agree with each other."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from analysis.paths import PROJECT_ROOT


def _name(spec: str) -> str:
    return re.split(r"[<>=!~ \[]", spec, maxsplit=1)[0].strip().lower().replace("_", "-")


#: conda-forge names of packages that PyPI names otherwise (conda-forge's "igraph" is the C library)
CONDA_NAMES = {"python-igraph": "igraph"}


def test_environment_yml_has_the_same_runtime_dependencies_as_pyproject():
    pyproject = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())
    env = yaml.safe_load((PROJECT_ROOT / "environment.yml").read_text())
    conda = [d for d in env["dependencies"] if isinstance(d, str) and _name(d) not in ("python", "pip")]
    conda = [CONDA_NAMES[_name(d)] + d[len(_name(d)):] if _name(d) in CONDA_NAMES else d for d in conda]
    wanted = pyproject["project"]["dependencies"] + pyproject["project"]["optional-dependencies"]["lab"]
    assert {_name(d): d.replace(" ", "") for d in wanted} == {
        _name(d): d.replace(" ", "") for d in conda
    }
    assert "python=3.11" in env["dependencies"]


def test_console_script_and_module_entry_point():
    pyproject = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())
    assert pyproject["project"]["scripts"]["coordination"] == "analysis.cli:main"
    out = subprocess.run([sys.executable, "-m", "analysis", "--help"], capture_output=True, text=True, cwd=PROJECT_ROOT)
    assert out.returncode == 0 and "validate" in out.stdout


def _git(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True)


def committed_notebooks(root: Path) -> dict[str, str] | str:
    """Each notebook under ``root`` as git's index holds it (what a commit contains), by path.

    Returns the reason instead when ``root`` is not in a git work tree (a release archive, a copy):
    there, nothing is committed, and a researcher's working files may rightly hold outputs.
    """
    if shutil.which("git") is None:
        return "git is not installed"
    inside = _git("rev-parse", "--is-inside-work-tree", cwd=root)
    if inside.returncode != 0 or inside.stdout.strip() != "true":
        return f"{root} is not a git work tree ({inside.stderr.strip() or inside.stdout.strip()})"
    files = [f for f in _git("ls-files", "-z", "--", "*.ipynb", cwd=root).stdout.split("\0") if f]
    return {f: _git("show", f":./{f}", cwd=root).stdout for f in files}


def output_problems(path: str, text: str) -> list[str]:
    """Code cells of the notebook ``text`` that hold outputs or an execution count."""
    problems = []
    for i, cell in enumerate(json.loads(text)["cells"]):
        if cell["cell_type"] == "code" and (cell.get("outputs") or cell.get("execution_count")):
            problems.append(f"{path}, cell {i}: {len(cell.get('outputs') or [])} outputs, "
                            f"execution count {cell.get('execution_count')}")
    return problems


def test_notebooks_are_committed_without_outputs():
    """What git holds (the index) is clean; a researcher's saved working file may keep its outputs."""
    notebooks = committed_notebooks(PROJECT_ROOT)
    if isinstance(notebooks, str):
        pytest.skip(f"nothing committed to check: {notebooks}")
    assert any(f.startswith("notebooks/") for f in notebooks), sorted(notebooks)
    assert [p for f, text in notebooks.items() for p in output_problems(f, text)] == []


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("git") is None or shutil.which("make") is None, reason="needs git and make")
def test_a_saved_executed_notebook_is_stripped_on_commit(tmp_path):
    """In a clone set up by the Makefile, outputs stay in the working file and never reach git."""
    import nbformat
    from nbclient import NotebookClient

    repo = tmp_path / "clone"
    (repo / "notebooks").mkdir(parents=True)
    for name in ("Makefile", ".gitattributes", "pyproject.toml", "notebooks/place_report.ipynb"):
        shutil.copy(PROJECT_ROOT / name, repo / name)
    for args in (("init", "-q"), ("config", "user.email", "t@example.org"), ("config", "user.name", "t"),
                 ("config", "commit.gpgsign", "false"), ("add", "-A"), ("commit", "-qm", "clean notebook")):
        assert _git(*args, cwd=repo).returncode == 0, args
    # As on a fresh CI clone: the filter is not configured, and what git holds is clean.
    assert _git("config", "filter.nbstripout.clean", cwd=repo).stdout == ""

    setup = subprocess.run(["make", "--no-print-directory", "git-filter", f"VENV={sys.prefix}"], cwd=repo,
                           capture_output=True, text=True)
    assert setup.returncode == 0, setup.stderr
    assert "-m nbstripout --keep-id" in _git("config", "filter.nbstripout.clean", cwd=repo).stdout
    assert (repo / ".gitattributes").read_text() == (PROJECT_ROOT / ".gitattributes").read_text()

    # Run the notebook and save it, outputs and all, into the working file (as Ctrl+S in the lab does).
    working = repo / "notebooks" / "place_report.ipynb"
    nb = nbformat.read(working, as_version=4)
    client = NotebookClient(nb, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(working.parent)}})
    client.execute()
    nbformat.write(nb, working)
    saved = working.read_text(encoding="utf-8")
    assert output_problems("place_report", saved), "the executed notebook should hold outputs"
    assert "image/png" in saved or "data:image/png" in saved
    assert set(json.loads(saved)["metadata"]["language_info"]) > {"name"}

    # What git holds is still clean, and the working file is not even a change once filtered...
    assert [p for f, text in committed_notebooks(repo).items() for p in output_problems(f, text)] == []
    assert _git("diff", "--quiet", "--", "notebooks", cwd=repo).returncode == 0
    # ... and `git add` through the filter stores the clean notebook, identical to the commit.
    assert _git("add", "notebooks/place_report.ipynb", cwd=repo).returncode == 0
    staged = committed_notebooks(repo)["notebooks/place_report.ipynb"]
    assert output_problems("place_report", staged) == []
    assert staged == _git("show", "HEAD:notebooks/place_report.ipynb", cwd=repo).stdout
    assert working.read_text(encoding="utf-8") == saved  # the researcher keeps the outputs


def test_readme_commands_are_make_targets():
    readme = (PROJECT_ROOT / "README.md").read_text()
    makefile = (PROJECT_ROOT / "Makefile").read_text()
    for target in ("report", "test"):
        assert f"make {target}" in readme
        assert re.search(rf"^{target}:", makefile, re.M)
    assert "make test" in (PROJECT_ROOT / ".ci" / "run").read_text()
