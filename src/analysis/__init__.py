"""Coordination in place: analysis suite for place-based research."""

from analysis.study import Study, StudyValidationError, load_study, study_from_tables

__version__ = "0.1.0"

__all__ = ["Study", "StudyValidationError", "load_study", "study_from_tables", "__version__"]
