"""Coordination in place: analysis suite for place-based research."""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

__all__ = ["Study", "StudyValidationError", "load_study", "study_from_tables", "__version__"]

#: Names re-exported from analysis.study, imported on first use (PEP 562): the command line and the
#: runner's up-to-date check start without pandas and the validation schemas.
_FROM_STUDY = ("Study", "StudyValidationError", "load_study", "study_from_tables")


def __getattr__(name: str):
    if name in _FROM_STUDY:
        value = getattr(importlib.import_module("analysis.study"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'analysis' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
