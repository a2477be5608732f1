"""The suite's errors: one base class, and one plain line for any exception raised while reading a file."""

from __future__ import annotations

import errno
import os
import zipfile

__all__ = ["CoordinationError", "ReadError", "TooLargeError", "plain_reason", "describe_read_error", "format_size"]


class CoordinationError(Exception):
    """Base class of every error the suite raises on purpose: catch this to catch them all."""


class ReadError(CoordinationError):
    """A file that cannot be read: names the file, where in it (row, member, ...) and a plain reason.

    Parameters
    ----------
    path : str or path-like
        The file, as the user named it.
    reason : str
        What is wrong, in a plain sentence without the file's name.
    where : str, optional
        Where in the file: ``"row 7"``, ``"member Sources/interview-03.txt"``, ...
    """

    def __init__(self, path, reason: str, where: str | None = None):
        self.path = None if path is None else str(path)
        self.reason = reason
        self.where = where
        place = ", ".join(x for x in (self.path, where) if x)
        super().__init__(f"{place}: {reason}" if place else reason)


class TooLargeError(ReadError):
    """Reading a file (or a member of an archive) would take more memory than the limit allows."""

    def __init__(self, path, what: str, size: int, limit: int, option: str = "--max-size", where: str | None = None):
        self.what, self.size, self.limit, self.option = what, size, limit, option
        reason = (f"{what} would be {format_size(size)} uncompressed, over the {format_size(limit)} limit; "
                  f"pass {option} to raise it")
        super().__init__(path, reason, where)


def format_size(n: int) -> str:
    """A byte count as people write it, in decimal units (1 MB = 1,000,000 bytes).

    Examples
    --------
    >>> format_size(1_100_000_000), format_size(200_000_000), format_size(512), format_size(1536)
    ('1.1 GB', '200 MB', '512 bytes', '1.5 kB')
    """
    n = int(n)
    for unit, size in (("TB", 10**12), ("GB", 10**9), ("MB", 10**6), ("kB", 10**3)):
        if n >= size:
            value = n / size
            return f"{value:.1f} {unit}".replace(".0 ", " ") if value < 100 else f"{value:.0f} {unit}"
    return f"{n} bytes"


def _errno_reason(exc: OSError) -> str:
    if isinstance(exc, PermissionError):
        return "permission denied: this account may not read it (check the file's permissions and owner)"
    if isinstance(exc, IsADirectoryError):
        return "is a folder, not a file"
    if isinstance(exc, FileNotFoundError):
        return "no such file"
    if exc.errno == errno.ENOSPC:
        return "the disk is full"
    if exc.strerror:
        return exc.strerror
    return os.strerror(exc.errno) if exc.errno else (str(exc) or type(exc).__name__)


def plain_reason(exc: BaseException) -> str:
    """What went wrong, in one plain line without a traceback (and without the file's name).

    Known kinds of failure get a sentence a researcher can act on; anything else is named
    by its kind and message, so nothing is hidden.

    Examples
    --------
    >>> plain_reason(PermissionError(13, "Permission denied"))
    "permission denied: this account may not read it (check the file's permissions and owner)"
    >>> plain_reason(UnicodeDecodeError("utf-8", b"caf\\xe9", 3, 4, "invalid continuation byte"))
    'not UTF-8 text (byte 0xe9 at position 3 cannot be read); save it as UTF-8'
    """
    import pandas as pd  # local: keep `import analysis.errors` light

    if isinstance(exc, ReadError):
        return exc.reason
    if isinstance(exc, OSError):
        return _errno_reason(exc)
    if isinstance(exc, UnicodeDecodeError):
        byte = exc.object[exc.start:exc.start + 1]
        shown = f"byte 0x{byte.hex()}" if byte else "a byte"
        encoding = exc.encoding.upper().replace("-SIG", "")
        return f"not {encoding} text ({shown} at position {exc.start} cannot be read); save it as UTF-8"
    if isinstance(exc, pd.errors.EmptyDataError):
        return "the file is empty: it has no header row"
    if isinstance(exc, pd.errors.ParserError):
        return f"not a well-formed table ({exc})"
    if isinstance(exc, pd.errors.OutOfBoundsDatetime):
        return "a date outside the range the analysis can hold (years 1678 to 2261)"
    if isinstance(exc, zipfile.BadZipFile):
        return f"a damaged zip archive ({exc})"
    if isinstance(exc, MemoryError):
        return "too large to read into memory"
    if isinstance(exc, RecursionError):
        return "nested too deeply to read"
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"could not be read ({type(exc).__name__}{': ' + message if message else ''})"


def describe_read_error(exc: BaseException, path=None, where: str | None = None) -> str:
    """One plain line naming the file (and where in it) and what went wrong: for a last-resort handler.

    Parameters
    ----------
    exc : BaseException
        The exception raised while reading.
    path : str or path-like, optional
        The file being read; taken from the exception when it names one.
    where : str, optional
        Where in the file (``"row 4"``, ``"member project.qde"``).

    Examples
    --------
    >>> describe_read_error(IsADirectoryError(21, "Is a directory"), "study/places.csv")
    'study/places.csv: is a folder, not a file'
    >>> describe_read_error(ReadError("grants.csv", "the file is empty", "row 1"))
    'grants.csv, row 1: the file is empty'
    """
    if isinstance(exc, ReadError) and path is None and where is None:
        return str(exc)
    if path is None:
        path = getattr(exc, "path", None) or getattr(exc, "filename", None)
    if where is None and isinstance(exc, ReadError):
        where = exc.where
    place = ", ".join(str(x) for x in (path, where) if x)
    reason = plain_reason(exc)
    return f"{place}: {reason}" if place else reason
