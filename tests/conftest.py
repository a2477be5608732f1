"""Shared fixtures: the tiny study (tables, folder, Study), the example study, the real public data."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from analysis import load_study, study_from_tables
from analysis.paths import SHARED_DATA_DIR
from tests.helpers import EXAMPLE_DIR, tiny_tables, write_study


@pytest.fixture
def tiny():
    """The tiny study (tests/helpers.py ``tiny_tables``) as a Study; ties at cooperation (2) or above."""
    return study_from_tables(tiny_tables(), {"tie_min_level": 2})


@pytest.fixture(scope="session")
def example():
    """The bundled example study, loaded once for the session (data/example is committed)."""
    return load_study(EXAMPLE_DIR)


@pytest.fixture
def tiny_dir(tmp_path) -> Path:
    return write_study(tmp_path / "tiny", tiny_tables())


@pytest.fixture
def example_copy(tmp_path) -> Path:
    if not EXAMPLE_DIR.is_dir():
        pytest.skip("data/example is not generated")
    dest = tmp_path / "example"
    shutil.copytree(EXAMPLE_DIR, dest, ignore=shutil.ignore_patterns("imports"))
    return dest


@pytest.fixture
def shared_data() -> Path:
    if not SHARED_DATA_DIR.is_dir():
        pytest.skip(f"the real public data folder {SHARED_DATA_DIR} is absent")
    return SHARED_DATA_DIR
