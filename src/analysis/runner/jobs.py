"""What the runner runs: a study's facts, one job per notebook, place and phase, and the folders they land in."""

from __future__ import annotations

import dataclasses

from analysis.keys import AUDIENCES

__all__ = [
    "AUDIENCES",
    "AUDIENCE_LABELS",
    "REQUIRED_PARAMETERS",
    "OPTIONAL_PARAMETERS",
    "CROSS_PLACE_DIR",
    "FAILED_DIR",
    "RunError",
    "StudyInfo",
    "Job",
    "NoProgress",
]

#: How index pages name each audience.
AUDIENCE_LABELS = {"stakeholder": "Stakeholder", "internal": "Internal (research team)"}
#: Parameters every notebook must declare: the runner always sets them.
REQUIRED_PARAMETERS = ("study", "phase", "audience")
#: Set when the notebook declares them: `place` makes a notebook per place.
OPTIONAL_PARAMETERS = ("place", "figures_dir")
#: The folder of a phase that holds the cross-place pages (so no place may have this id).
CROSS_PLACE_DIR = "all-places"
#: The folder of a study's outputs that keeps executed notebooks that failed (or were withheld by the
#: leak check), with their errors, by audience: inside ``.internal/``, which is never published.
FAILED_DIR = ".internal/failed"


class RunError(Exception):
    """A problem with what was asked (bad study, phase, place or notebook): exit status 2."""


@dataclasses.dataclass(frozen=True)
class StudyInfo:
    """What the runner needs to know of a study, cached so a rerun need not load it again."""

    path: str
    slug: str
    name: str
    illustrative: bool
    fingerprint: str
    place_ids: list
    place_names: dict
    phase_ids: list
    phase_labels: dict


@dataclasses.dataclass(frozen=True)
class Job:
    """One notebook to execute for one place (or all places) and one phase."""

    notebook: str            # path of the source notebook
    stem: str                # its name without .ipynb
    place: str | None        # None: a cross-place notebook
    phase: str
    audience: str
    parameters: dict         # what the notebook receives (figures_dir: the final folder)
    out_dir: str             # outputs/<study>/<audience>/<phase>/<place or all-places>
    hashes: dict

    @property
    def key(self) -> str:
        return f"{self.place or CROSS_PLACE_DIR}/{self.stem}"


class NoProgress:
    """The progress display when none is asked for: every call does nothing."""

    def update(self, n: int = 1) -> None:
        pass

    def write(self, message: str) -> None:
        pass

    def close(self) -> None:
        pass
