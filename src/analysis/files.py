"""Writing files safely: atomically into place, or as a new file that never overwrites one."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

__all__ = ["atomic_write_bytes", "atomic_write_text", "write_new_file"]


def _temporary_beside(directory: Path, name: str, data: bytes) -> str:
    """Write ``data`` to a hidden temporary file in ``directory``, flushed to disk; return its path."""
    directory.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
    except BaseException:
        os.unlink(tmp)
        raise
    return tmp


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file beside it and one rename.

    A reader sees the old file or the new one, never half of one; an interrupted write
    leaves the old file in place.

    Examples
    --------
    >>> d = Path(tempfile.mkdtemp())
    >>> atomic_write_bytes(d / "a.txt", b"one"); atomic_write_bytes(d / "a.txt", b"two")
    >>> (d / "a.txt").read_bytes(), sorted(p.name for p in d.iterdir())
    (b'two', ['a.txt'])
    """
    path = Path(path)
    tmp = _temporary_beside(path.parent, path.name, data)
    try:
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def atomic_write_text(path: str | os.PathLike, text: str, encoding: str = "utf-8") -> None:
    """Write ``text`` atomically (see :func:`atomic_write_bytes`)."""
    atomic_write_bytes(path, text.encode(encoding))


def write_new_file(directory: str | os.PathLike, name_for: Callable[[int], str], data: bytes) -> Path:
    """Write ``data`` as a new file in ``directory``, never replacing a file that exists.

    ``name_for(n)`` gives the n-th candidate name (n = 1, 2, ...); the first free one is
    taken. The data are written to a temporary file and hard-linked into place, which
    fails rather than overwrite, so two writers cannot take the same name.

    Examples
    --------
    >>> d = tempfile.mkdtemp()
    >>> [write_new_file(d, lambda n: "x.csv" if n == 1 else f"x-{n}.csv", b"a").name for _ in range(3)]
    ['x.csv', 'x-2.csv', 'x-3.csv']
    """
    directory = Path(directory)
    tmp = _temporary_beside(directory, "new", data)
    try:
        for n in range(1, 10_000):
            target = directory / name_for(n)
            try:
                os.link(tmp, target)  # fails if target exists: never overwrites
                return target
            except FileExistsError:
                continue
            except OSError:  # a filesystem without hard links
                if target.exists():
                    continue
                os.replace(tmp, target)
                return target
        raise FileExistsError(f"no free file name in {directory}")
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
