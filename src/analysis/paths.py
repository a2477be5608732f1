"""Where things live: every path of the project is built here, from the project root."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["PROJECT_ROOT", "DATA_DIR", "OUTPUTS_DIR", "NOTEBOOKS_DIR", "KEYS_DIR", "SHARED_DATA_DIR",
           "resolve_study_path"]

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DATA_DIR = PROJECT_ROOT / "data"
OUTPUTS_DIR = PROJECT_ROOT / "outputs"
NOTEBOOKS_DIR = PROJECT_ROOT / "notebooks"
#: Secret pseudonym keys live here: outside outputs/ and git-ignored. Override with
#: the environment variable COORDINATION_KEY_DIR.
KEYS_DIR = Path(os.environ.get("COORDINATION_KEY_DIR", PROJECT_ROOT / ".keys"))
#: Real public data beside the project (tests skip where it is absent).
SHARED_DATA_DIR = PROJECT_ROOT.parent / "shared" / "data"


def resolve_study_path(study: str | os.PathLike) -> Path:
    """Find a study folder from a path or a bare name.

    A path that exists (relative to the working directory) is used as it is; otherwise it
    is tried relative to the project root, then as a name under ``data/``. So a notebook
    run from ``notebooks/`` finds ``"data/example"`` and ``"example"`` alike.

    Raises
    ------
    FileNotFoundError
        When no candidate exists; the message lists each place looked in once, as an
        absolute path with ``..`` resolved.

    Examples
    --------
    >>> resolve_study_path("example").name
    'example'
    """
    p = Path(study)
    candidates = (p, PROJECT_ROOT / p, DATA_DIR / p)
    for candidate in candidates:
        if candidate.is_dir() or (candidate.is_file() and candidate.suffix == ".xlsx"):
            return candidate.resolve()
    looked = list(dict.fromkeys(str(c.resolve()) for c in candidates))
    where = looked[0] if len(looked) == 1 else ", ".join(looked[:-1]) + " and " + looked[-1]
    raise FileNotFoundError(f"study {str(study)!r} not found: looked for the folder {where}")
