"""The project's set-up files agree with each other."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib

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
    assert {_name(d): d.replace(" ", "") for d in pyproject["project"]["dependencies"]} == {
        _name(d): d.replace(" ", "") for d in conda
    }
    assert "python=3.11" in env["dependencies"]


def test_console_script_and_module_entry_point():
    pyproject = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())
    assert pyproject["project"]["scripts"]["coordination"] == "analysis.cli:main"
    out = subprocess.run([sys.executable, "-m", "analysis", "--help"], capture_output=True, text=True, cwd=PROJECT_ROOT)
    assert out.returncode == 0 and "validate" in out.stdout


def test_notebooks_are_committed_without_outputs():
    files = subprocess.run(["git", "ls-files", "*.ipynb"], capture_output=True, text=True, cwd=PROJECT_ROOT).stdout.split()
    for f in files:
        nb = json.loads((PROJECT_ROOT / f).read_text(encoding="utf-8"))
        for cell in nb["cells"]:
            if cell["cell_type"] == "code":
                assert not cell.get("outputs") and not cell.get("execution_count"), f


def test_readme_commands_are_make_targets():
    readme = (PROJECT_ROOT / "README.md").read_text()
    makefile = (PROJECT_ROOT / "Makefile").read_text()
    for target in ("report", "test"):
        assert f"make {target}" in readme
        assert re.search(rf"^{target}:", makefile, re.M)
    assert "make test" in (PROJECT_ROOT / ".ci" / "run").read_text()
