"""A study's outputs folder: which study it holds, one run at a time, and the pseudonym key its pages were made with."""

from __future__ import annotations

import errno
import fcntl
import json
import os
import re
import time
from pathlib import Path

from analysis.files import atomic_write_text
from analysis.runner.gate import INTERNAL_DIR
from analysis.runner.jobs import RunError

__all__ = [
    "RECORD_NAME",
    "LOCK_NAME",
    "LEGACY_CACHE_NAME",
    "check_outputs_name",
    "read_record",
    "claim_outputs",
    "RunLock",
    "stakeholder_pages_exist",
    "prepare_key",
]

#: In ``outputs/<name>/.internal/``: which study the folder holds, and the fingerprint of its key.
RECORD_NAME = "study.json"
#: In ``outputs/<name>/.internal/``: the lock a run holds (its pid written inside).
LOCK_NAME = "run.lock"
#: Where earlier versions kept the runner's cache: in the outputs folder itself, published with it.
LEGACY_CACHE_NAME = ".runner-cache.json"

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")


def check_outputs_name(name: str) -> str:
    """The name of a study's outputs folder (``--name``), checked: letters, digits, ``_ . -``.

    Examples
    --------
    >>> check_outputs_name("tiny-b")
    'tiny-b'
    >>> check_outputs_name("../elsewhere")
    Traceback (most recent call last):
    ...
    analysis.runner.jobs.RunError: --name '../elsewhere' must be letters, digits, '_', '.' or '-' (up to 100) ...
    """
    if not isinstance(name, str) or not _NAME.match(name) or name in (".", ".."):
        raise RunError(f"--name {name!r} must be letters, digits, '_', '.' or '-' (up to 100) and start with a "
                       "letter or digit")
    return name


def read_record(study_out: Path) -> dict:
    """The folder's record (``.internal/study.json``): {} when there is none or it is unreadable."""
    try:
        data = json.loads((study_out / INTERNAL_DIR / RECORD_NAME).read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _write_record(study_out: Path, record: dict) -> None:
    atomic_write_text(study_out / INTERNAL_DIR / RECORD_NAME, json.dumps(record, indent=1, sort_keys=True) + "\n")


def _legacy_study_path(study_out: Path) -> str | None:
    try:
        data = json.loads((study_out / LEGACY_CACHE_NAME).read_text(encoding="utf-8"))
        return str(data["study"]["path"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def claim_outputs(study_out: Path, study_path: Path) -> dict:
    """Make sure ``study_out`` holds the study at ``study_path`` (or nothing yet); record it.

    The outputs folder of a study is named after the study's folder unless ``--name`` says
    otherwise, so two studies in folders of the same name (``a/tiny``, ``b/tiny``) would
    share it: their pages would overwrite each other's. The folder records the resolved
    path of the study it holds; a run of another study into it is refused.

    Returns
    -------
    dict
        The record (``study``: the resolved path; ``key_fingerprint`` once stakeholder
        pages were made).

    Raises
    ------
    RunError
        Naming the other study's path, when the folder holds a different study.
    """
    study = str(Path(study_path).resolve())
    record = read_record(study_out)
    other = record.get("study") or _legacy_study_path(study_out)
    if other and other != study:
        raise RunError(f"the outputs folder {study_out} already holds the study at {other}, not {study}; "
                       f"give this study its own outputs with --name NAME (or --out DIR)")
    legacy = study_out / LEGACY_CACHE_NAME
    if legacy.exists():  # it was published with the pages: it now lives in .internal/
        legacy.unlink()
    if record.get("study") != study:
        record = dict(record, study=study, name=study_out.name)
        _write_record(study_out, record)
    return record


class RunLock:
    """An exclusive lock on a study's outputs folder for the length of a run (``fcntl.flock``).

    The lock file ``.internal/run.lock`` holds the pid of the run that has it. The lock
    goes with the process: a run that dies, however it dies, releases it. Worker processes
    and kernels do not inherit it.

    Parameters
    ----------
    study_out : path
    wait : bool
        Wait for the other run to finish instead of refusing.
    """

    def __init__(self, study_out: Path, wait: bool = False):
        self.path = Path(study_out) / INTERNAL_DIR / LOCK_NAME
        self.wait = wait
        self.fd: int | None = None

    def _holder(self) -> str:
        try:
            return self.path.read_text(encoding="ascii").strip() or "unknown"
        except OSError:
            return "unknown"

    def acquire(self) -> RunLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                os.close(fd)
                raise
            if not self.wait:
                os.close(fd)
                raise RunError(f"another run (pid {self._holder()}) is writing {self.path.parent.parent}; "
                               "wait for it to finish, or pass --wait to start when it has") from None
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
            except BaseException:
                os.close(fd)
                raise
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode("ascii"))
        self.fd = fd
        return self

    def release(self) -> None:
        if self.fd is not None:
            try:
                os.ftruncate(self.fd, 0)
            finally:
                os.close(self.fd)  # closing the descriptor releases the lock
                self.fd = None

    def __enter__(self) -> RunLock:
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()


def stakeholder_pages_exist(study_out: Path) -> bool:
    """Whether stakeholder pages were rendered into ``study_out`` (any stakeholder manifest)."""
    return any((study_out / "stakeholder").glob("*/manifest.json"))


def prepare_key(study_out: Path, record: dict, key_path: Path, *, new_key: bool = False) -> str:
    """Make sure the pseudonym key of a stakeholder run is the one its pages were made with; return its fingerprint.

    - No pages yet: the key is created if missing.
    - Pages exist and the key is missing, or is not the one recorded: refused (pseudonyms
      would change silently, and pages of one report set would disagree).
    - ``new_key``: a key already there is set aside (renamed ``<name>.key.replaced-<time>``)
      and a new one made; its new fingerprint renders every page again.

    Raises
    ------
    RunError
        When the key is missing or differs while pages exist, naming the key file and the
        way out (restore it, or ``--new-key``).
    """
    from analysis.keys import key_fingerprint, read_key

    if new_key and key_path.exists():
        os.replace(key_path, key_path.with_name(f"{key_path.name}.replaced-{time.strftime('%Y%m%dT%H%M%S')}"))
    recorded = record.get("key_fingerprint")
    if not key_path.exists() and not new_key and (recorded or stakeholder_pages_exist(study_out)):
        raise RunError(f"the pseudonym key {key_path} is missing, but the stakeholder pages in {study_out} were "
                       "made with one: restore it from a backup to keep every pseudonym, or pass --new-key to "
                       "start afresh (every page is rendered again, with new pseudonyms)")
    try:
        fingerprint = key_fingerprint(read_key(key_path, create=True))
    except ValueError as exc:
        raise RunError(str(exc)) from None
    if recorded and recorded != fingerprint and not new_key:
        raise RunError(f"the pseudonym key {key_path} is not the one the stakeholder pages in {study_out} were made "
                       "with (it was replaced): restore the old key, or pass --new-key to start afresh (every page "
                       "is rendered again, with new pseudonyms)")
    if recorded != fingerprint:
        _write_record(study_out, dict(record, key_fingerprint=fingerprint, key_file=str(key_path)))
    return fingerprint
