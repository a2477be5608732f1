"""Work done once per study and code version, not once per page.

Several pages of a run compute the same things for the same study: the study load, the
indicator table, each place's fixed network layout. This module keeps them

- in memory, for the life of the process (the runner's warm kernel runs many pages in one
  process, so the second page of a run finds what the first computed), and
- on disk, across runs, under the folder named by the environment variable
  ``COORDINATION_CACHE_DIR`` (the runner sets it to ``outputs/<study>/.cache/``, beside the
  audience folders, never inside one). Unset, nothing is written to disk.

Every entry is keyed by a digest of the study's *content* (:func:`study_digest`: every
table and setting, so a copy made by ``Study.replace`` or ``for_audience`` has its own) and
by the package's code hash (:func:`analysis.runner.manifest.code_hash`), so nothing is ever
served for different data or different code. Disk entries are pickles written atomically;
a missing, partial or unreadable entry is computed again.

What may be on disk: only what :func:`cached` is asked to store, the indicator table
(values per place, phase and indicator: no names) and place layouts (organisation ids and
positions: no names). The study itself, and each place's trust network in each phase
(``disk=False``), are cached in memory only, since they hold names.

Examples
--------
>>> calls = []
>>> from analysis.boards import _tiny_study
>>> s = _tiny_study()
>>> cached(s, "doctest-answer", lambda: calls.append(1) or 42), cached(s, "doctest-answer", lambda: 0)
(42, 42)
>>> len(calls)
1
"""

from __future__ import annotations

import collections
import copy
import hashlib
import json
import os
import pickle
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from analysis.files import atomic_write_bytes

__all__ = [
    "CACHE_DIR_ENV",
    "MEMORY_ENTRIES",
    "cache_dir",
    "code_version",
    "study_digest",
    "cached",
    "cached_study",
    "study_files_digest",
    "RACY_SECONDS",
    "copy_study",
    "clear_memory",
]

#: The environment variable naming the on-disk cache folder (unset: memory only).
CACHE_DIR_ENV = "COORDINATION_CACHE_DIR"
#: How many results the memory keeps (least recently used go first).
MEMORY_ENTRIES = 64

_MEMORY: collections.OrderedDict = collections.OrderedDict()
_LOCK = threading.Lock()
_CODE: list[str] = []
_DIGEST_ATTRIBUTE = "_cache_digest"


def code_version() -> str:
    """The package's code hash, taken once per process (the code a process runs does not change)."""
    if not _CODE:
        from analysis.runner.manifest import code_hash

        _CODE.append(code_hash())
    return _CODE[0]


def cache_dir() -> Path | None:
    """The on-disk cache folder (``$COORDINATION_CACHE_DIR``), or None: memory only."""
    folder = os.environ.get(CACHE_DIR_ENV, "").strip()
    return Path(folder) if folder else None


def _hash_frame(h, frame: pd.DataFrame) -> None:
    h.update(json.dumps([str(c) for c in frame.columns]).encode())
    h.update(json.dumps([str(t) for t in frame.dtypes]).encode())
    if len(frame):
        h.update(pd.util.hash_pandas_object(frame, index=True, categorize=True).to_numpy().tobytes())
    h.update(b"\0")


def study_digest(study) -> str:
    """A digest of everything a study holds: each table's columns, types and values, and its settings.

    Worked out once per Study object and remembered on it (a Study is immutable by
    convention: a changed table makes a new Study, with ``Study.replace``, and a new digest).

    Examples
    --------
    >>> from analysis.boards import _tiny_study
    >>> s = _tiny_study()
    >>> study_digest(s) == study_digest(s.replace(settings=dict(s.settings)))
    True
    >>> study_digest(s) == study_digest(s.replace(boards=s.boards.head(1)))
    False
    """
    known = study.__dict__.get(_DIGEST_ATTRIBUTE)
    if known:
        return known
    from analysis.schema import TABLES

    h = hashlib.sha256()
    h.update(json.dumps(study.settings, sort_keys=True, default=str).encode())
    for name in TABLES:
        h.update(name.encode())
        _hash_frame(h, getattr(study, name))
    digest = h.hexdigest()
    object.__setattr__(study, _DIGEST_ATTRIBUTE, digest)
    return digest


def _remember(key: str, value) -> None:
    with _LOCK:
        _MEMORY[key] = value
        _MEMORY.move_to_end(key)
        while len(_MEMORY) > MEMORY_ENTRIES:
            _MEMORY.popitem(last=False)


def _recall(key: str):
    with _LOCK:
        if key in _MEMORY:
            _MEMORY.move_to_end(key)
            return True, _MEMORY[key]
    return False, None


def cached(study, name: str, compute: Callable[[], Any], *, parts: tuple = (), disk: bool = True,
           copy_with: Callable[[Any], Any] = copy.deepcopy) -> Any:
    """``compute()``, or the result it gave before for the same study content, code and ``parts``.

    Parameters
    ----------
    study : Study
        The study the result is computed from (its :func:`study_digest` is in the key).
    name : str
        What is computed (a plain name: it names the file on disk).
    compute : callable
        Called without arguments when there is no entry.
    parts : tuple
        Anything else the result depends on (a place, a seed), as values with a stable ``repr``.
    disk : bool
        Also keep the result on disk (when :func:`cache_dir` names a folder). False for
        anything that holds names: it is then kept in this process's memory only.
    copy_with : callable
        How a caller's copy is made (default ``copy.deepcopy``); a cheaper copy that still
        shares nothing the caller could change, such as ``networkx.DiGraph.copy`` for a graph
        whose attributes are numbers and strings.

    Returns
    -------
    object
        A copy of the cached result, so a caller that changes it changes nobody else's.
    """
    key = hashlib.sha256(
        json.dumps([name, study_digest(study), code_version(), repr(parts)]).encode()
    ).hexdigest()[:32]
    found, value = _recall(key)
    if found:
        return copy_with(value)
    folder = cache_dir() if disk else None
    path = folder / f"{name}-{key}.pickle" if folder else None
    if path is not None and path.is_file():
        try:
            value = pickle.loads(path.read_bytes())
            found = True
        except Exception:  # noqa: BLE001 -- a partial or foreign file is computed again
            found = False
    if not found:
        value = compute()
        if path is not None:
            try:
                atomic_write_bytes(path, pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
            except OSError:
                pass  # a read-only or full disk only costs the next run the work again
    _remember(key, value)
    return copy_with(value)


def copy_study(study):
    """A copy of ``study`` whose tables and settings the caller may change freely; same digest."""
    from analysis.schema import TABLES

    fresh = study.replace(settings=copy.deepcopy(study.settings),
                          **{t: getattr(study, t).copy() for t in TABLES})
    object.__setattr__(fresh, _DIGEST_ATTRIBUTE, study_digest(study))
    return fresh


#: How long after a file's last change its size and times alone may vouch for its content (see
#: :func:`study_files_digest`): a file changed within this of being looked at is read again.
RACY_SECONDS = 2.0
_FILES: dict = {}


def _file_stats(root: Path) -> tuple:
    """(path, size, mtime, ctime, inode) of every study file under ``root`` (the files the runner hashes)."""
    from analysis.runner.manifest import _STUDY_SUFFIXES

    if root.is_file():
        paths = [root]
    else:
        paths = [p for p in root.rglob("*")
                 if p.suffix.lower() in _STUDY_SUFFIXES and not p.name.startswith((".", "~$")) and p.is_file()]
    out = []
    for p in sorted(paths):
        st = p.stat()
        out.append((str(p), st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino))
    return tuple(out)


def study_files_digest(path) -> str:
    """:func:`analysis.runner.manifest.study_files_hash` of a study folder, read again only when its files changed.

    The files' sizes, modification and change times and inodes are compared with those seen
    when the hash was last worked out in this process: the same list of files with the same
    stats is the same content, so a warm kernel need not read every file for every page. As
    git does for its index, a file last modified within :data:`RACY_SECONDS` of that look is
    read again anyway (a change in the same clock tick leaves its times as they were).
    """
    from analysis.runner.manifest import study_files_hash

    root = Path(path)
    stats = _file_stats(root)
    known = _FILES.get(str(root))
    if known is not None and known[0] == stats:
        return known[1]
    looked = time.time_ns()
    digest = study_files_hash(root)
    newest = max((mtime for _, _, mtime, _, _ in stats), default=0)
    if looked - newest > RACY_SECONDS * 1e9 and _file_stats(root) == stats:
        _FILES[str(root)] = (stats, digest)
    else:
        _FILES.pop(str(root), None)
    return digest


def cached_study(path):
    """:func:`analysis.load_study` of ``path``, loaded once per process while its files and the code are unchanged.

    Each call returns a copy (tables copied), so one page's changes never reach the next.
    Kept in memory only: a loaded study holds names. Whether the files changed is decided
    from their stats (:func:`study_files_digest`), so a page costs no reading of the data.
    """
    from analysis.paths import resolve_study_path
    from analysis.study import load_study

    resolved = resolve_study_path(path)
    key = "study:" + hashlib.sha256(
        json.dumps([str(Path(resolved).resolve()), study_files_digest(resolved), code_version()]).encode()
    ).hexdigest()
    found, study = _recall(key)
    if not found:
        study = load_study(resolved)
        study_digest(study)
        _remember(key, study)
    return copy_study(study)


def clear_memory() -> None:
    """Forget every result kept in memory (the disk cache is left as it is)."""
    with _LOCK:
        _MEMORY.clear()
        _FILES.clear()
