"""Writing files safely: atomically into place, or as a new file that never overwrites one;
CSVs for people with formula cells neutralised, and read back as they were."""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pandas is imported where a table is written: atomic writes alone need none of it
    import pandas as pd

__all__ = [
    "atomic_write_bytes",
    "atomic_write_text",
    "write_new_file",
    "FORMULA_TRIGGERS",
    "neutralise_cell",
    "restore_cell",
    "neutralise_formulas",
    "restore_formulas",
    "csv_bytes_for_people",
    "write_csv_for_people",
    "read_csv_from_people",
]


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


# -- CSVs for people: formula injection ------------------------------------------------------

#: First characters that make a spreadsheet read a cell as a formula (or part of one):
#: OWASP's list (=, +, -, @, tab, carriage return) with line feed and NUL (OWASP ASVS 1.2.10).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "\0")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def neutralise_cell(value):
    """A cell as a CSV for people holds it: text that a spreadsheet would run, quoted with ``'``.

    The rule (OWASP, "CSV Injection"): a text cell whose first character is one of
    :data:`FORMULA_TRIGGERS` gets a single quote in front (``=HYPERLINK(...)`` is written
    ``'=HYPERLINK(...)``), which spreadsheets show as text and never evaluate. Exceptions:
    a cell that is a plain number (``-5``, ``+3.25``, ``-1e3``) is left alone, since a
    spreadsheet reads it as that number and nothing else; values that are not text (numbers,
    dates, blanks) are left alone. So that :func:`restore_cell` gives back exactly what was
    written, text that already begins with a quote followed by a trigger or another quote
    (``'=x``, ``''x``) gets one more quote too.

    Examples
    --------
    >>> [neutralise_cell(v) for v in ["=1+2", "@SUM(A1)", "-5", "-x", "'=x", "'tis", "Age UK", 3]]
    ["'=1+2", "'@SUM(A1)", '-5', "'-x", "''=x", "'tis", 'Age UK', 3]

    References
    ----------
    OWASP Foundation, "CSV Injection", https://owasp.org/www-community/attacks/CSV_Injection;
    OWASP Application Security Verification Standard 5.0, requirement 1.2.10.
    """
    if not isinstance(value, str) or not value:
        return value
    if value[0] in FORMULA_TRIGGERS and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    if restore_cell(value) != value:  # would lose its quote when read back
        return "'" + value
    return value


def restore_cell(value):
    """A cell of a CSV for people as it was before :func:`neutralise_cell`.

    One leading ``'`` is removed when the next character is a formula trigger or another
    ``'`` (only then does :func:`neutralise_cell` add one), so text that a person typed with
    a leading apostrophe before a letter ("'tis") reads back unchanged.

    Examples
    --------
    >>> [restore_cell(v) for v in ["'=1+2", "''=x", "'tis", "-5", "'", None]]
    ['=1+2', "'=x", "'tis", '-5', "'", None]
    """
    if isinstance(value, str) and len(value) > 1 and value[0] == "'" and (
            value[1] in FORMULA_TRIGGERS or value[1] == "'"):
        return value[1:]
    return value


def _text_columns(df: pd.DataFrame) -> list:
    import pandas as pd

    return [c for c in df.columns if pd.api.types.is_object_dtype(df[c]) or pd.api.types.is_string_dtype(df[c])]


def _map_cells(col: pd.Series, f) -> pd.Series:
    """``f`` of every cell, keeping the column's type and its blanks exactly (None stays None)."""
    import pandas as pd

    return pd.Series([f(v) for v in col], index=col.index, dtype=col.dtype, name=col.name)


def neutralise_formulas(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` with every text cell neutralised (:func:`neutralise_cell`); numeric
    columns stay numbers. Column names are text a person reads too, and are neutralised alike.

    Examples
    --------
    >>> import pandas as pd
    >>> neutralise_formulas(pd.DataFrame({"Title": ["=cmd|' /C calc'!A0", "Food"], "Amount": [-5, 10]}))
                     Title  Amount
    0  '=cmd|' /C calc'!A0      -5
    1                 Food      10
    """
    out = df.copy()
    for c in _text_columns(out):
        out[c] = _map_cells(out[c], neutralise_cell)
    return out.rename(columns=lambda c: neutralise_cell(c) if isinstance(c, str) else c)


def restore_formulas(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` with every text cell and column name restored (:func:`restore_cell`)."""
    out = df.copy()
    for c in _text_columns(out):
        out[c] = _map_cells(out[c], restore_cell)
    return out.rename(columns=lambda c: restore_cell(c) if isinstance(c, str) else c)


def csv_bytes_for_people(df: pd.DataFrame, encoding: str = "utf-8-sig") -> bytes:
    """``df`` as the bytes of a CSV for people: formula cells neutralised, no index, ``\\n`` line ends.

    ``utf-8-sig`` (a byte-order mark) makes Excel read UTF-8 as UTF-8.
    """
    return neutralise_formulas(df).to_csv(index=False, lineterminator="\n").encode(encoding)


def write_csv_for_people(df: pd.DataFrame, path: str | os.PathLike, encoding: str = "utf-8-sig") -> None:
    """Write ``df`` as a CSV meant to be opened in a spreadsheet, atomically, formula cells neutralised.

    See :func:`neutralise_cell` for the rule and :func:`read_csv_from_people` to read it back.

    Examples
    --------
    >>> d = Path(tempfile.mkdtemp())
    >>> import pandas as pd
    >>> df = pd.DataFrame({"title": ["=HYPERLINK('http://x')", "'=quoted", "Plain"], "n": [-5, 0, 7]})
    >>> write_csv_for_people(df, d / "out.csv")
    >>> (d / "out.csv").read_text(encoding="utf-8-sig").splitlines()[1:3]
    ["'=HYPERLINK('http://x'),-5", "''=quoted,0"]
    >>> back = read_csv_from_people(d / "out.csv")
    >>> back["title"].tolist() == df["title"].tolist(), back["n"].tolist()
    (True, ['-5', '0', '7'])
    """
    atomic_write_bytes(path, csv_bytes_for_people(df, encoding))


def read_csv_from_people(path: str | os.PathLike, encoding: str = "utf-8-sig") -> pd.DataFrame:
    """Read a CSV written by :func:`write_csv_for_people` (or by a person): every value as text,
    blanks as empty strings, neutralised cells restored (:func:`restore_cell`)."""
    import pandas as pd

    return restore_formulas(pd.read_csv(path, dtype=str, keep_default_na=False, encoding=encoding))
