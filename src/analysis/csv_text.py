"""Read CSV files as people save them (UTF-8, with or without BOM, or Windows-1252); faults name file and row."""

from __future__ import annotations

import csv
import io
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from analysis.errors import ReadError, plain_reason

__all__ = ["CsvText", "RaggedRowsError", "CP1252_NOTE", "decode_csv_bytes", "read_csv_text"]

#: What a reader is told when a file was read as Windows-1252 rather than UTF-8.
CP1252_NOTE = ("read as Windows-1252 text, not UTF-8 (Excel on Windows saves \"CSV\" this way): check that accented "
               "letters and symbols such as £ look right, or save it as \"CSV UTF-8\" to be sure")

_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
# C0 control characters a text file does not hold (tab, line feed, vertical tab, form feed, carriage return are fine)
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")


@dataclass
class CsvText:
    """A CSV file read as text: its table (every cell a string) and the encoding it was read in."""

    frame: pd.DataFrame
    encoding: str  # "utf-8", "utf-16" or "cp1252"


class RaggedRowsError(ReadError):
    """Rows with more fields than the header: a value holding a comma that is not in quotes, usually.

    ``rows`` lists ``(row, fields)`` for each such row, as a spreadsheet numbers rows (header = 1).
    """

    def __init__(self, path, rows: list[tuple[int, int]], header_fields: int):
        self.rows, self.header_fields = rows, header_fields
        first_row, first_n = rows[0]
        shown = ", ".join(f"row {r} ({n})" for r, n in rows[:5])
        shown += f" and {len(rows) - 5} more" if len(rows) > 5 else ""
        super().__init__(
            path,
            f"{len(rows)} row(s) have more fields than the header's {header_fields}: {shown}; "
            "a value holding a comma must be in double quotes",
            where=f"row {first_row}",
        )


def decode_csv_bytes(data: bytes, path=None) -> tuple[str, str]:
    """Decode a CSV file's bytes: UTF-8 (a byte-order mark is dropped), UTF-16 with its BOM, else Windows-1252.

    Returns
    -------
    (text, encoding)

    Raises
    ------
    ReadError
        For an empty file, or bytes that are not text (NUL or control bytes, or bytes
        neither UTF-8 nor Windows-1252 can read).

    Examples
    --------
    >>> decode_csv_bytes("name\\nCafé".encode("utf-8-sig"))
    ('name\\nCafé', 'utf-8')
    >>> decode_csv_bytes("name\\nCafé".encode("cp1252"))
    ('name\\nCafé', 'cp1252')
    """
    if not data.strip(b" \t\r\n\x0c") or data in (b"\xef\xbb\xbf", *_UTF16_BOMS):
        raise ReadError(path, "the file is empty: it has no header row")
    if data.startswith(_UTF16_BOMS):  # Excel's "Unicode Text"
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError as exc:
            raise ReadError(path, plain_reason(exc)) from exc
    try:
        text, encoding = data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        try:
            text, encoding = data.decode("cp1252"), "cp1252"
        except UnicodeDecodeError as cp1252_error:  # one of the five bytes Windows-1252 leaves undefined
            byte = data[cp1252_error.start:cp1252_error.start + 1].hex()
            raise ReadError(
                path, f"not text that UTF-8 or Windows-1252 can read (byte 0x{byte} at position {cp1252_error.start}): "
                "is it a CSV file? Save the table as \"CSV UTF-8\"") from None
    bad = _CONTROL.search(text)
    if bad:
        raise ReadError(
            path, f"a binary file, not CSV text (control character 0x{ord(bad.group()):02x} at character "
            f"{bad.start()}): save the table as \"CSV UTF-8\"")
    return text, encoding


def _ragged_rows(text: str) -> tuple[list[tuple[int, int]], int]:
    """Rows with more fields than the header, numbered as a spreadsheet numbers them."""
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, [])
    rows = []
    for number, fields in enumerate(reader, start=2):
        # a trailing empty field from a trailing comma is still an extra field: pandas refuses it too
        if len(fields) > len(header):
            rows.append((number, len(fields)))
    return rows, len(header)


def read_csv_text(path, **read_csv_options) -> CsvText:
    """Read a CSV file into a table of strings; any fault is a :class:`ReadError` naming the file.

    Parameters
    ----------
    path : path-like
        The CSV file.
    **read_csv_options
        Passed to :func:`pandas.read_csv` (default: every cell a string, blanks as ``""``).

    Returns
    -------
    CsvText

    Raises
    ------
    ReadError
        The file cannot be opened (permissions, a folder), is empty, is not text, or is not
        a well-formed table; :class:`RaggedRowsError` names the rows with extra fields.

    Examples
    --------
    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "t.csv")
    >>> _ = open(p, "wb").write(b"a,b\\n1,2\\n3,4,5\\n")
    >>> try:
    ...     read_csv_text(p)
    ... except RaggedRowsError as exc:
    ...     print(exc.where, exc.rows, exc.header_fields)
    row 3 [(3, 3)] 2
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ReadError(path, plain_reason(exc)) from exc
    text, encoding = decode_csv_bytes(data, path)
    del data
    options = {"dtype": str, "keep_default_na": False, "index_col": False, **read_csv_options}
    try:
        with warnings.catch_warnings():
            # pandas drops the extra fields of a first row with only a warning: make that an error
            warnings.simplefilter("error", pd.errors.ParserWarning)
            frame = pd.read_csv(io.StringIO(text), **options)
    except (pd.errors.ParserError, pd.errors.ParserWarning, csv.Error) as exc:
        rows, width = _ragged_rows(text)
        if rows:
            raise RaggedRowsError(path, rows, width) from exc
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        if "EOF inside string" in detail:
            reason = "a quoted value is never closed: a double quote opens a value and the file ends inside it"
        else:
            reason = f"not a well-formed CSV table ({detail})"
        raise ReadError(path, reason) from exc
    except pd.errors.EmptyDataError as exc:
        raise ReadError(path, "the file is empty: it has no header row") from exc
    except ValueError as exc:  # e.g. usecols naming a column the file lacks
        raise ReadError(path, f"not a readable CSV table ({exc})") from exc
    return CsvText(frame, encoding)
