"""Content hashes and the per-phase manifest that lets a run skip unchanged work."""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable
from pathlib import Path

from analysis.files import atomic_write_text

__all__ = [
    "file_hash",
    "files_hash",
    "code_hash",
    "study_files_hash",
    "parameters_hash",
    "FileHashes",
    "Manifest",
]

#: The package's root, ``src/analysis`` (this module is in its ``runner`` subpackage).
_PACKAGE_DIR = Path(__file__).resolve().parent.parent
#: Folders whose every file is part of the code (page templates, shipped tables such as the ONS lookups).
_CODE_DATA_FOLDERS = {"templates", "resources"}
#: Study files that make up a study's data (the loader reads nothing else).
_STUDY_SUFFIXES = {".csv", ".xlsx", ".yml", ".yaml"}


def file_hash(path: str | os.PathLike) -> str:
    """SHA-256 of a file's bytes, as 64 hex characters.

    Examples
    --------
    >>> import tempfile, os
    >>> with tempfile.NamedTemporaryFile(delete=False) as fh:
    ...     _ = fh.write(b"abc")
    >>> file_hash(fh.name)[:12]
    'ba7816bf8f01'
    >>> os.unlink(fh.name)
    """
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class FileHashes:
    """:func:`file_hash`, remembered with each file's status, so that an unchanged file is not read again.

    A file's hash is taken again unless its size, modification and change times (in
    nanoseconds), inode and device are all those remembered. The change time (``st_ctime``)
    is set by the system on every write and cannot be set back, so a file replaced by another
    of the same size and modification time (``cp -p``, ``rsync``, ``touch -d``) is read again.
    A file changed less than :attr:`SETTLED_NS` before it is hashed is not remembered: on a
    file system whose times are coarse, a second write in the same tick would leave its status
    as it was (git's "racily clean" files).

    Parameters
    ----------
    remembered : dict, optional
        What an earlier instance's :attr:`seen` held (kept by the runner in its cache).
    now : callable, optional
        The clock, in nanoseconds (default :func:`time.time_ns`).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "ratings.csv"
    >>> _ = path.write_text("level\\n2\\n")
    >>> later = lambda: time.time_ns() + 10**10  # ten seconds on: the file has settled
    >>> first = FileHashes(now=later)
    >>> first(path) == file_hash(path)
    True
    >>> _ = path.write_text("level\\n3\\n")  # one rating changed, same size
    >>> FileHashes(first.seen, now=later)(path) == file_hash(path)
    True
    """

    #: How long after its last change a file's status is trusted to stand for its bytes (2 s, as FAT's times).
    SETTLED_NS = 2_000_000_000

    def __init__(self, remembered: dict | None = None, now: Callable[[], int] = time.time_ns):
        self.remembered = remembered if isinstance(remembered, dict) else {}
        #: ``path -> [size, mtime_ns, ctime_ns, inode, device, hash]`` of every settled file hashed.
        self.seen: dict[str, list] = {}
        self.now = now

    def __call__(self, path: str | os.PathLike) -> str:
        key = os.path.abspath(path)
        st = os.stat(key)
        status = [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev]
        old = self.remembered.get(key)
        if isinstance(old, list) and len(old) == 6 and old[:5] == status and isinstance(old[5], str):
            digest = old[5]
        else:
            digest = file_hash(key)
        if self.now() - max(st.st_mtime_ns, st.st_ctime_ns) > self.SETTLED_NS:
            self.seen[key] = [*status, digest]
        return digest


def files_hash(paths, root: str | os.PathLike, hasher: Callable[[Path], str] = file_hash) -> str:
    """One SHA-256 over several files: each file's path relative to ``root`` and its bytes.

    Renaming, adding or removing a file changes the hash as much as editing one does.
    ``hasher`` hashes one file (a :class:`FileHashes` to skip reading unchanged ones).
    """
    digest = hashlib.sha256()
    root = Path(root)
    for path in sorted(Path(p) for p in paths):
        digest.update(path.relative_to(root).as_posix().encode("utf-8") + b"\0")
        digest.update(hasher(path).encode("ascii") + b"\n")
    return digest.hexdigest()


def code_hash(package_dir: str | os.PathLike | None = None) -> str:
    """Hash of the package's code: every ``*.py`` under ``src/analysis`` (subpackages included) and
    every file of its ``templates`` and ``resources`` folders.

    A change to any of them (a metric, the loader, the page template, a shipped lookup table)
    renders pages again.
    """
    root = Path(package_dir) if package_dir else _PACKAGE_DIR
    paths = [p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts
             and (p.suffix == ".py" or _CODE_DATA_FOLDERS & set(p.relative_to(root).parts[:-1]))]
    return files_hash(set(paths), root)


def study_files_hash(study_path: str | os.PathLike, hasher: Callable[[Path], str] = file_hash) -> str:
    """Hash of a study's raw files (study.yml, CSV, XLSX, ``imports/*.csv``), without loading it.

    The runner uses it to recognise a study it has already loaded, so that a rerun with
    nothing changed never has to parse and validate the tables again; with a
    :class:`FileHashes` as ``hasher`` it does not even read the files that have not changed.
    """
    root = Path(study_path)
    if root.is_file():  # a single study.xlsx
        return files_hash([root], root.parent, hasher)
    paths = [
        p for p in root.rglob("*")
        if p.is_file() and p.suffix.lower() in _STUDY_SUFFIXES and not p.name.startswith((".", "~$"))
    ]
    return files_hash(paths, root, hasher)


def parameters_hash(parameters: dict) -> str:
    """Hash of a notebook's parameters (keys sorted; values as JSON).

    Examples
    --------
    >>> parameters_hash({"a": "1", "b": "x"}) == parameters_hash({"b": "x", "a": "1"})
    True
    """
    text = json.dumps(parameters, sort_keys=True, default=str, ensure_ascii=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class Manifest:
    """The record of one phase's renders: ``outputs/<study>/<audience>/<phase>/manifest.json``.

    ``entries`` maps a key ``"<place or all-places>/<notebook>"`` to what was run (notebook,
    place, phase, parameters), its content hashes, status, seconds, error, the files it
    produced and when. Only a successful entry whose hashes all match lets a run skip.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "manifest.json"
    >>> m = Manifest.load(path)
    >>> m.record("coventry/report", {"status": "ok", "hashes": {"notebook": "a"}})
    >>> m.save(package_version="0.1.0")  # True: written (a gate may refuse a stakeholder manifest)
    True
    >>> Manifest.load(path).is_current("coventry/report", {"notebook": "a"})
    True
    >>> Manifest.load(path).is_current("coventry/report", {"notebook": "b"})
    False
    """

    def __init__(self, path: Path, data: dict | None = None):
        self.path = Path(path)
        self.data = data or {}
        self.entries: dict = self.data.get("entries", {})

    @classmethod
    def load(cls, path: str | os.PathLike) -> Manifest:
        """Read a manifest; a missing or unreadable one is empty (everything renders)."""
        path = Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(data, dict) or not isinstance(data.get("entries", {}), dict):
                data = {}
        except (OSError, ValueError):
            data = {}
        return cls(path, data)

    def is_current(self, key: str, hashes: dict) -> bool:
        """True when ``key`` last rendered successfully with exactly these ``hashes``."""
        entry = self.entries.get(key)
        return bool(entry) and entry.get("status") == "ok" and entry.get("hashes") == hashes

    def record(self, key: str, entry: dict) -> None:
        """Store the outcome of one notebook run."""
        self.entries[key] = entry

    def save(self, write=None, **fields) -> bool:
        """Write the manifest atomically, with ``fields`` (study, audience, package_version, ...).

        ``write(path, data)``, when given, writes instead (the runner's publication gate,
        which may refuse: then False is returned and the file on disk is left as it was).
        """
        self.data.update(fields)
        self.data["entries"] = {k: self.entries[k] for k in sorted(self.entries)}
        if write is not None:
            return bool(write(self.path, self.data))
        atomic_write_text(self.path, json.dumps(self.data, indent=2, sort_keys=True, default=str) + "\n")
        return True
