"""Paths: a study that cannot be found is reported with tidy, de-duplicated candidates."""

from __future__ import annotations

import re

import pytest

from analysis.paths import DATA_DIR, NOTEBOOKS_DIR, PROJECT_ROOT, resolve_study_path


def _looked(message: str) -> list[str]:
    where = message.split("looked for the folder ", 1)[1]
    return re.split(r", | and ", where)


def test_a_relative_path_from_notebooks_lists_each_resolved_folder_once(monkeypatch):
    # From notebooks/, "../data/nope" means <root>/data/nope (from the working directory and,
    # again, from data/); from the project root it means the folder beside the project.
    monkeypatch.chdir(NOTEBOOKS_DIR)
    with pytest.raises(FileNotFoundError) as err:
        resolve_study_path("../data/nope")
    message = str(err.value)
    assert all(".." not in p for p in _looked(message))
    assert message.startswith("study '../data/nope' not found: ")
    assert _looked(message) == [str(PROJECT_ROOT / "data" / "nope"), str(PROJECT_ROOT.parent / "data" / "nope")]


def test_an_absolute_path_is_listed_once(tmp_path):
    missing = tmp_path / "sub" / ".." / "missing"
    with pytest.raises(FileNotFoundError) as err:
        resolve_study_path(missing)
    assert _looked(str(err.value)) == [str(tmp_path / "missing")]


def test_a_bare_name_lists_three_folders(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(FileNotFoundError) as err:
        resolve_study_path("nope")
    assert _looked(str(err.value)) == [str(tmp_path.resolve() / "nope"), str(PROJECT_ROOT / "nope"),
                                       str(DATA_DIR / "nope")]


def test_found_study_is_resolved(monkeypatch):
    monkeypatch.chdir(NOTEBOOKS_DIR)
    assert resolve_study_path("../data/example") == (DATA_DIR / "example").resolve()
