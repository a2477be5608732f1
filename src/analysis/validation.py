"""Checks of the study data package: every problem at once, each named by file, row and column."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pandera.pandas as pa

from analysis.errors import CoordinationError
from analysis.schema import TABLES, TRUST_COLUMNS, VALUE_COLUMNS, Column, Table

__all__ = [
    "PROBLEM_COLUMNS",
    "Problems",
    "StudyValidationError",
    "TableSource",
    "parse_dates",
    "parse_amounts",
    "amounts_and_reasons",
    "id_key",
    "cell_text",
    "map_distinct",
    "distinct_text",
    "MAX_AMOUNT",
    "FIRST_DATE",
    "LAST_DATE",
    "coerce_table",
    "check_table",
    "check_across_tables",
    "check_study_shape",
]

PROBLEM_COLUMNS = ["severity", "file", "sheet", "row", "column", "value", "problem"]

SLUG_PATTERN = r"^[a-z0-9][a-z0-9_-]*$"
ONS_PATTERN = r"^[EWSNK]\d{8}$"

#: Excel's 1900 date system (Microsoft, "Date systems in Excel"): serial 1 is 1900-01-01 and
#: 59 is 1900-02-28; 60 is 29 February 1900, a day that never was (Excel keeps Lotus 1-2-3's
#: mistake of taking 1900 for a leap year); from 61 (1900-03-01) on, day 0 is 1899-12-30.
EXCEL_EPOCH = pd.Timestamp("1899-12-30")
EXCEL_EPOCH_BEFORE_MARCH_1900 = pd.Timestamp("1899-12-31")
EXCEL_FICTITIOUS_LEAP_DAY = 60
EXCEL_SERIAL_RANGE = (1, 2958465)  # 1900-01-01 .. 9999-12-31

#: The dates the analysis can hold (pandas keeps dates as nanoseconds from 1970: about 1677
#: to 2262); a date outside these, such as 9999-12-31 for "open-ended", is a problem row.
FIRST_DATE = pd.Timestamp("1678-01-01")
LAST_DATE = pd.Timestamp("2261-12-31")
_LAST_SERIAL = (LAST_DATE - EXCEL_EPOCH).days  # 132219

#: The largest amount a single grant may have: 10 billion (pounds, or any currency). UKRI, the
#: largest UK public funder, awards about 8 billion pounds a year in all; a grant above this is a
#: typing or export error (digits run together, an exponent), not a grant.
MAX_AMOUNT = 10_000_000_000

#: Whole-number columns (levels, scores, population) hold numbers well below this; above it a
#: float no longer holds every whole number exactly.
_MAX_WHOLE = 2**53


def id_key(value) -> str:
    """How identifiers are compared: surrounding spaces removed and letter case ignored.

    Examples
    --------
    >>> id_key(" gb-chc-0000007 ") == id_key("GB-CHC-0000007")
    True
    """
    return str(value).strip().casefold()


class StudyValidationError(CoordinationError, ValueError):
    """The study's data break the rules of the data package; ``problems`` lists them all.

    ``problems`` is a DataFrame with columns severity, file, sheet, row (as a spreadsheet
    shows it: the header is row 1), column, value and problem (a plain-English reason).
    """

    def __init__(self, problems: pd.DataFrame, study_path=None):
        self.problems = problems
        self.study_path = study_path
        errors = problems[problems["severity"] == "error"]
        lines = [f"{len(errors)} problem(s) in the study data{f' at {study_path}' if study_path else ''}:"]
        for rec in errors.head(20).itertuples(index=False):
            lines.append("  " + format_problem(rec))
        if len(errors) > 20:
            lines.append(f"  ... and {len(errors) - 20} more (see .problems)")
        super().__init__("\n".join(lines))


def format_problem(rec) -> str:
    """One problem as `file [sheet], row R, column C, value 'V': reason`."""
    where = str(rec.file)
    if rec.sheet:
        where += f" [sheet {rec.sheet}]"
    if rec.row is not None and not pd.isna(rec.row):
        where += f", row {int(rec.row)}"
    if rec.column:
        where += f", column {rec.column}"
    if rec.value is not None and str(rec.value) != "":
        where += f", value {str(rec.value)!r}"
    return f"{where}: {rec.problem}"


@dataclass
class TableSource:
    """Where a table's rows came from, so problems can name file, sheet and spreadsheet row."""

    file: str
    sheet: str = ""
    #: spreadsheet row number of each DataFrame row (header = row 1, so first data row = 2)
    rows: np.ndarray | None = None
    #: column name in the schema -> header as the researcher wrote it
    headers: dict = field(default_factory=dict)
    #: the file could not be read (reported already): checks against its table are skipped
    unreadable: bool = False

    def file_of(self, index) -> str:
        return self.file

    def row_of(self, index: int):
        if self.rows is None:
            return int(index) + 2
        return int(self.rows[index])


class Problems:
    """Collects problems as they are found; becomes a DataFrame or an exception at the end."""

    def __init__(self):
        self._items: list[dict] = []

    def add(self, source: TableSource | None, index, column, value, problem, severity="error"):
        self._items.append(
            {
                "severity": severity,
                "file": (source.file_of(index) if index is not None else source.file) if source else "study.yml",
                "sheet": source.sheet if source else "",
                "row": source.row_of(index) if (source is not None and index is not None) else None,
                "column": (source.headers.get(column, column) if source else column) or "",
                "value": _show(value),
                "problem": problem,
            }
        )

    def warn(self, source, index, column, value, problem):
        self.add(source, index, column, value, problem, severity="warning")

    def __len__(self):
        return len(self._items)

    @property
    def has_errors(self) -> bool:
        return any(p["severity"] == "error" for p in self._items)

    def frame(self) -> pd.DataFrame:
        df = pd.DataFrame(self._items, columns=PROBLEM_COLUMNS)
        df["row"] = df["row"].astype("Int64")
        return df


def _show(value) -> str:
    """A cell's value as the researcher would recognise it: 10.0 shows as 10, blanks as ''."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# --------------------------------------------------------------------------- coercion

_ISO = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}([T ]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$")
_UK = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})( \d{1,2}:\d{2}(:\d{2})?)?$")
_TWO_DIGIT_YEAR = re.compile(r"^\d{1,2}[/.-]\d{1,2}[/.-]\d{2}( .*)?$")
_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


def parse_dates(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Parse dates as researchers write them; return ``(dates, reasons)``.

    The rule: a date is accepted as ISO ``yyyy-mm-dd`` (a time may follow), as
    ``dd/mm/yyyy`` (the UK order researchers type, a time may follow), as an Excel date
    cell, or as an Excel serial number in Excel's own calendar (serial 1 is 1900-01-01, 59
    is 1900-02-28, 61 is 1900-03-01; 60 is Excel's fictitious 29 February 1900 and is
    rejected as not a real date). Anything else is rejected with a reason: two-digit years
    are ambiguous (20 could be 1920 or 2020), as is a ``mm/dd/yyyy`` date whose month is
    over 12, and dates outside :data:`FIRST_DATE` to :data:`LAST_DATE` (such as 9999-12-31)
    cannot be held. Times are dropped: a study's dates are days.

    ``reasons`` holds a plain-English reason where a value was rejected, else <NA>.

    References
    ----------
    Microsoft, "Date systems in Excel" and "Excel incorrectly assumes that the year 1900 is
    a leap year" (support.microsoft.com).

    Examples
    --------
    >>> d, r = parse_dates(pd.Series(["2020-03-23", "23/03/2020", "43913", "03/23/2020", "1/2/20"]))
    >>> [str(x.date()) if not pd.isna(x) else None for x in d]
    ['2020-03-23', '2020-03-23', '2020-03-23', None, None]
    >>> r.iloc[3]
    'month 23 does not exist: this looks like a US-style mm/dd/yyyy date; write dd/mm/yyyy or yyyy-mm-dd'
    >>> d, r = parse_dates(pd.Series([1, 59, 60, 61]))
    >>> [str(x.date()) if not pd.isna(x) else None for x in d]
    ['1900-01-01', '1900-02-28', None, '1900-03-01']
    """
    out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    reasons = pd.Series(pd.NA, index=values.index, dtype="object")
    present = values.notna()
    if not present.any():
        return out, reasons
    is_ts = values[present].map(lambda v: isinstance(v, (pd.Timestamp, np.datetime64)) or hasattr(v, "year"))
    ts_idx = is_ts[is_ts].index
    for idx in ts_idx:
        _put_timestamp(out, reasons, idx, values.at[idx])
    rest = values[present].drop(ts_idx)
    is_num = rest.map(lambda v: isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool))
    text = rest[~is_num].astype(str).str.strip()
    nums = pd.to_numeric(rest[is_num], errors="coerce").astype(float)
    # digit strings in a CSV are Excel serials too (a date column exported as numbers)
    numeric_text = text[text.str.match(_NUMBER)]
    nums = pd.concat([nums, pd.to_numeric(numeric_text).astype(float)])
    text = text.drop(numeric_text.index)
    if len(nums):
        _put_serials(out, reasons, nums)
    iso = text[text.str.match(_ISO)]
    if len(iso):
        years = iso.str.slice(0, 4).astype(int)
        held = _held_years(reasons, iso, years)
        parsed = pd.to_datetime(held.str.slice(0, 10), format="%Y-%m-%d", errors="coerce").astype("datetime64[ns]")
        out.loc[held.index] = parsed
        reasons.loc[parsed[parsed.isna()].index] = "not a real calendar date"
    uk = text[text.str.match(_UK)]
    if len(uk):
        parts = uk.str.extract(_UK)
        day, month, year = parts[0].astype(int), parts[1].astype(int), parts[2].astype(int)
        us_like = (month > 12) & (day <= 12)
        reasons.loc[uk[us_like].index] = [
            f"month {m} does not exist: this looks like a US-style mm/dd/yyyy date; write dd/mm/yyyy or yyyy-mm-dd"
            for m in month[us_like]
        ]
        held = _held_years(reasons, uk[~us_like], year[~us_like])
        parsed = pd.to_datetime(
            pd.DataFrame({"year": year[held.index], "month": month[held.index], "day": day[held.index]}),
            errors="coerce",
        ).astype("datetime64[ns]")
        out.loc[held.index] = parsed
        reasons.loc[parsed[parsed.isna()].index] = "not a real calendar date"
    other = text.drop(iso.index).drop(uk.index)
    two = other.str.match(_TWO_DIGIT_YEAR)
    reasons.loc[other[two].index] = "ambiguous date: a two-digit year; write dd/mm/yyyy or yyyy-mm-dd"
    reasons.loc[other[~two].index] = "not a date in an accepted form (yyyy-mm-dd, dd/mm/yyyy, or an Excel date)"
    return out.dt.normalize(), reasons


_BEYOND = (f"beyond the dates the analysis can hold ({FIRST_DATE.date()} to {LAST_DATE.date()}): "
           "write the real date, or leave it blank if there is none")


def _held_years(reasons: pd.Series, text: pd.Series, years: pd.Series) -> pd.Series:
    """The dates whose year the analysis can hold; the others get a reason."""
    held = years.between(FIRST_DATE.year, LAST_DATE.year)
    reasons.loc[text[~held].index] = _BEYOND
    return text[held]


def _put_timestamp(out: pd.Series, reasons: pd.Series, idx, value) -> None:
    """A date cell (from a workbook, or a datetime given in code)."""
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError, OverflowError):
        reasons.at[idx] = "not a date in an accepted form (yyyy-mm-dd, dd/mm/yyyy, or an Excel date)"
        return
    if ts is pd.NaT or pd.isna(ts):
        return
    if ts.tzinfo is not None:
        ts = ts.tz_localize(None)
    if not (FIRST_DATE.year <= ts.year <= LAST_DATE.year):
        reasons.at[idx] = _BEYOND
        return
    out.at[idx] = ts.normalize().as_unit("ns")


def _put_serials(out: pd.Series, reasons: pd.Series, nums: pd.Series) -> None:
    """Excel serial numbers, in Excel's calendar (see :func:`parse_dates`)."""
    values = nums.to_numpy(float)
    finite = np.isfinite(values)
    whole = np.where(finite, np.floor(np.where(finite, values, 0)), 0)
    serial = finite & (whole >= EXCEL_SERIAL_RANGE[0]) & (whole <= EXCEL_SERIAL_RANGE[1])
    reasons.loc[nums.index[~serial]] = "a number that is not an Excel date serial (1 to 2958465)"
    leap = serial & (whole == EXCEL_FICTITIOUS_LEAP_DAY)
    reasons.loc[nums.index[leap]] = ("Excel serial 60 is 29 February 1900, a day that never was (Excel takes 1900 "
                                     "for a leap year by mistake): write the real date")
    beyond = serial & (whole > _LAST_SERIAL)
    reasons.loc[nums.index[beyond]] = [f"Excel serial {int(n)} is {_serial_date_text(int(n))}, {_BEYOND}"
                                       for n in whole[beyond]]
    ok = serial & ~leap & ~beyond
    epoch = np.where(whole < EXCEL_FICTITIOUS_LEAP_DAY, EXCEL_EPOCH_BEFORE_MARCH_1900.to_datetime64(),
                     EXCEL_EPOCH.to_datetime64()).astype("datetime64[ns]")
    days = np.clip(whole, 0, _LAST_SERIAL).astype("int64").astype("timedelta64[D]").astype("timedelta64[ns]")
    out.loc[nums.index[ok]] = (epoch + days)[ok]


def _serial_date_text(n: int) -> str:
    """The calendar date of an Excel serial beyond pandas' range, worked out with Python's dates."""
    import datetime as _dt

    return (_dt.date(1899, 12, 30) + _dt.timedelta(days=n)).isoformat()


def parse_amounts(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Parse amounts as publishers write them: ``10000``, ``10,000.50``, ``£2,500``.

    Returns ``(amounts, bad)``: floats (NaN where blank or not an amount) and a mask of the
    non-blank values that are not amounts: not a number, not finite (``inf``, ``nan``,
    ``1e309``), or more than :data:`MAX_AMOUNT` either way. :func:`amounts_and_reasons`
    says why.

    Examples
    --------
    >>> a, bad = parse_amounts(pd.Series(["£2,500", "10000.5", 300, "", "lots", "1e309"]))
    >>> a.tolist()[:3], bad.tolist()
    ([2500.0, 10000.5, 300.0], [False, False, False, False, True, True])
    """
    amounts, reasons = amounts_and_reasons(values)
    return amounts, reasons.notna()


def amounts_and_reasons(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Parse amounts (see :func:`parse_amounts`); return ``(amounts, reasons)``, a reason where one is refused.

    Examples
    --------
    >>> a, why = amounts_and_reasons(pd.Series(["inf", "12,000,000,000", "£40"]))
    >>> a.tolist()[2], why.tolist()[:2]  # doctest: +NORMALIZE_WHITESPACE
    (40.0, ['not a finite amount (infinite or not-a-number)',
            'more than 10,000,000,000: no single grant is that large; check for digits run together'])
    """
    values = pd.Series(values)
    reasons = pd.Series(pd.NA, index=values.index, dtype="object")
    if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype):
        amounts = values.astype(float)
        written = values.notna()
    else:
        text = values.astype("string").str.replace(r"[£,\s]|^GBP", "", regex=True)
        amounts = pd.to_numeric(text.replace("", pd.NA), errors="coerce").astype(float)
        written = text.notna() & (text != "")
        number = text.str.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?").fillna(False).astype(bool)
        reasons[written & ~number & amounts.isna()] = "not a number"
        written &= number | amounts.notna()  # "nan", "inf", "Infinity" are numbers pandas reads, not amounts
    arr = amounts.to_numpy(float)
    finite = np.isfinite(arr)
    reasons[written.to_numpy() & ~finite & reasons.isna().to_numpy()] = "not a finite amount (infinite or not-a-number)"
    huge = finite & (np.abs(np.where(finite, arr, 0)) > MAX_AMOUNT)
    reasons[huge] = f"more than {MAX_AMOUNT:,}: no single grant is that large; check for digits run together"
    amounts = amounts.where(reasons.isna() & finite, np.nan)
    return amounts, reasons


_TRUE = {"true", "yes", "y", "1", "t"}
_FALSE = {"false", "no", "n", "0", "f"}


def _all_text(values) -> bool:
    """Whether every present value of a column (or an Index) is a string, as every cell of a CSV is."""
    if isinstance(values.dtype, pd.StringDtype):
        return True
    if isinstance(values.dtype, pd.CategoricalDtype):
        return _all_text(values.dtype.categories)
    return values.dtype == object and pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty")


def distinct_text(values: pd.Series) -> tuple[np.ndarray, np.ndarray] | None:
    """``(codes, distinct)`` of a column of strings (code -1 for a missing value), None for other columns.

    ``distinct[codes]`` gives the column back. A categorical column (as :func:`analysis.study.load_study`
    keeps a table's cells while it checks them) is factorised already; another column of strings is
    factorised with pandas' hash table.

    Examples
    --------
    >>> codes, distinct = distinct_text(pd.Series(["b", None, "a", "b"]))
    >>> codes.tolist(), distinct.tolist()
    ([0, -1, 1, 0], ['b', 'a'])
    >>> distinct_text(pd.Series([1, 2])) is None
    True
    """
    if not _all_text(values):
        return None
    if isinstance(values.dtype, pd.CategoricalDtype):
        return values.cat.codes.to_numpy(), np.asarray(values.cat.categories, dtype=object)
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    return codes, np.asarray(uniques, dtype=object)


def map_distinct(values: pd.Series, func, missing=None) -> pd.Series:
    """``values.map(func)``, calling ``func`` once per distinct value; missing values become ``missing``.

    A table of 600,000 ratings holds a few thousand distinct identifiers, levels and dates: a
    column of strings is factorised (pandas' hash table) and ``func`` is called on its distinct
    values only, which gives the same result as calling it on every cell, because equal strings
    are the same text. A column holding other values (a workbook's numbers, dates and text side
    by side) is mapped cell by cell, since values that compare equal there (``1``, ``1.0``,
    ``True``) need not give the same result.

    Returns
    -------
    pandas.Series
        Of dtype object, with the index of ``values``.

    Examples
    --------
    >>> map_distinct(pd.Series(["a ", None, "a ", "B"]), str.strip).tolist()
    ['a', None, 'a', 'B']
    """
    factorised = distinct_text(values)
    if factorised is None:
        return pd.Series([missing if _is_missing(v) else func(v) for v in values.to_numpy(dtype=object)],
                         index=values.index, dtype=object)
    codes, uniques = factorised
    results = np.empty(len(uniques) + 1, dtype=object)
    for i, value in enumerate(uniques):
        results[i] = func(value)
    results[-1] = missing  # code -1, a missing value
    return pd.Series(results[codes], index=values.index, dtype=object)


def _is_missing(value) -> bool:
    return value is None or (not isinstance(value, str) and bool(np.all(pd.isna(value))))


def _coerce_column(col: Column, raw: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Convert one raw column to its type; return ``(typed, reasons)`` with reasons where it failed.

    Each conversion depends on the cell alone, so a column of strings is converted once per
    distinct value (see :func:`map_distinct`) and the results spread back to every row.
    """
    factorised = distinct_text(raw) if len(raw) else None
    if factorised is not None:
        codes, uniques = factorised
        if len(uniques):
            distinct = pd.Series(uniques, dtype=object)
            typed, reasons = _coerce_values(col, distinct)
            typed = pd.Series(typed.array.take(codes, allow_fill=True), index=raw.index)
            reasons = np.append(reasons.to_numpy(dtype=object), pd.NA)[codes]
            return typed, pd.Series(reasons, index=raw.index, dtype=object)
    return _coerce_values(col, raw)


def _coerce_values(col: Column, raw: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Convert values to a column's type, value by value; return ``(typed, reasons)``."""
    reasons = pd.Series(pd.NA, index=raw.index, dtype="object")
    present = raw.notna()
    if col.kind == "date":
        return parse_dates(raw)
    if col.kind == "float":  # amounts as publishers write them: 1,250.00 or £1,250
        return amounts_and_reasons(raw.astype(object))
    if col.kind == "int":
        text = raw[present].map(lambda v: str(v).strip())
        nums = pd.to_numeric(text, errors="coerce").astype(float)
        finite = pd.Series(np.isfinite(nums.to_numpy(float)), index=nums.index)
        reasons.loc[nums[~finite].index] = "not a number"
        huge = finite & (nums.abs() > _MAX_WHOLE)
        reasons.loc[nums[huge].index] = f"too large a number (more than {_MAX_WHOLE:,})"
        nums = nums.where(finite & ~huge)
        frac = nums.notna() & (nums != np.floor(nums.fillna(0)))
        reasons.loc[nums[frac].index] = "not a whole number"
        typed = pd.Series(pd.NA, index=raw.index, dtype="Int64")
        good = nums[~frac].dropna()
        typed.loc[good.index] = good.astype("int64")
        return typed, reasons
    if col.kind == "bool":
        text = raw[present].map(lambda v: str(v).strip().lower())
        typed = pd.Series(pd.NA, index=raw.index, dtype="boolean")
        typed.loc[text[text.isin(_TRUE)].index] = True
        typed.loc[text[text.isin(_FALSE)].index] = False
        reasons.loc[text[~text.isin(_TRUE | _FALSE)].index] = "not true or false"
        return typed, reasons
    # identifiers, slugs, enums and text: strings, exactly as written (trimmed)
    typed = raw.map(cell_text, na_action="ignore").astype("string")
    return typed, reasons


def cell_text(v) -> str | None:
    """A cell as text, as the loader keeps identifiers and text: trimmed; None for a missing value.

    Examples
    --------
    >>> cell_text(1070468.0), cell_text(" GB-CHC-1 "), cell_text(float("nan"))
    ('1070468', 'GB-CHC-1', None)
    """
    if v is None or (not isinstance(v, str) and pd.isna(v)):
        return None
    if isinstance(v, float) and v.is_integer():  # an Excel number cell holding an identifier
        return str(int(v))
    return str(v).strip()


def coerce_table(table: Table, raw: pd.DataFrame, source: TableSource, problems: Problems) -> pd.DataFrame:
    """Type every column of ``raw`` (values as read, blanks as NA); report what does not convert."""
    typed = {}
    for col in table.columns:
        if col.name not in raw.columns:
            typed[col.name] = _empty(col, len(raw), raw.index)
            continue
        values, reasons = _coerce_column(col, raw[col.name])
        for idx, reason in reasons.dropna().items():
            problems.add(source, idx, col.name, raw.at[idx, col.name], reason)
        typed[col.name] = values
    out = pd.DataFrame(typed, index=raw.index)
    extras = [c for c in raw.columns if c not in out.columns]
    for c in extras:
        out[c] = map_distinct(raw[c], cell_text).astype("string")
    return out


def _empty(col: Column, n: int, index) -> pd.Series:
    dtype = {"date": "datetime64[ns]", "int": "Int64", "float": "float64", "bool": "boolean"}.get(col.kind, "string")
    values = pd.array([None] * n, dtype=dtype) if dtype != "datetime64[ns]" else pd.NaT
    return pd.Series(values, index=index, dtype=dtype)


# --------------------------------------------------------------------------- single-table checks

def _reason(check: str, col: Column) -> str:
    if check == "not_nullable":
        return "required value is blank"
    if check == "field_uniqueness":
        return f"{col.name} must be unique, and this value appears more than once"
    if check.startswith("isin"):
        return f"not one of the allowed values: {', '.join(map(str, col.values))}"
    if check.startswith("in_range") or check.startswith("greater_than_or_equal_to") or check.startswith("less_than"):
        lo = "" if col.min is None else f"{col.min:g}"
        hi = "" if col.max is None else f"{col.max:g}"
        if lo and hi:
            return f"out of range: must be between {lo} and {hi}"
        return f"must be at least {lo}" if lo else f"must be at most {hi}"
    if check.startswith("str_matches") and col.kind == "slug":
        return "not a valid identifier: use lower-case letters, digits, '-' or '_' (for example 'coventry')"
    if check.startswith("str_matches") and col.name == "ons_code":
        return "not an ONS GSS code: a letter and eight digits, such as E08000026"
    return check


def _str_matches(pattern: str) -> pa.Check:
    """pandera's ``Check.str_matches`` (``re.match`` from the start), each distinct value matched once."""
    compiled = re.compile(pattern)

    def matches(values: pd.Series) -> pd.Series:
        return map_distinct(values, lambda v: compiled.match(v) is not None, missing=True).astype(bool)

    return pa.Check(matches, name=f"str_matches({pattern!r})", error=f"str_matches({pattern!r})")


def pandera_schema(table: Table) -> pa.DataFrameSchema:
    """The pandera schema of a table: required values, allowed values, ranges, uniqueness."""
    columns = {}
    for col in table.columns:
        checks = []
        if col.kind == "enum":
            checks.append(pa.Check.isin(list(col.values)))
        if col.kind in ("int", "float") and (col.min is not None or col.max is not None):
            if col.min is not None and col.max is not None:
                checks.append(pa.Check.in_range(col.min, col.max))
            elif col.min is not None:
                checks.append(pa.Check.ge(col.min))
            else:
                checks.append(pa.Check.le(col.max))
        if col.kind == "slug":
            checks.append(_str_matches(SLUG_PATTERN))
        if col.name == "ons_code":
            checks.append(_str_matches(ONS_PATTERN))
        columns[col.name] = pa.Column(nullable=not col.required, unique=col.unique, checks=checks, coerce=False)
    return pa.DataFrameSchema(columns, strict=False)


#: What a second row with the same key is, per table.
_DUPLICATE_ROW = {"relationships": "duplicate rating: this organisation already rated this partner in this phase",
                 "survey_responses": "duplicate answer: this respondent already answered this item in this phase",
                 "boards": "duplicate seat: this organisation is already on this board in this phase"}


def check_table(table: Table, df: pd.DataFrame, raw: pd.DataFrame, source: TableSource, problems: Problems) -> None:
    """Run the table's pandera schema lazily and turn its failure cases into problems."""
    failed_coercion = {(p["file"], p["row"], p["column"]) for p in problems._items}
    try:
        pandera_schema(table).validate(df, lazy=True)
    except pa.errors.SchemaErrors as exc:
        fc = exc.failure_cases
        fc = fc[fc["index"].notna() & fc["column"].notna()]
        for rec in fc.itertuples(index=False):
            if rec.column not in raw.columns:
                continue  # a missing column is reported once, not once per row
            col = table.column(rec.column)
            idx = rec.index
            if (source.file_of(idx), source.row_of(idx), source.headers.get(col.name, col.name)) in failed_coercion:
                continue  # already reported as unreadable
            value = raw.at[idx, col.name] if col.name in raw.columns else None
            problems.add(source, idx, col.name, value, _reason(str(rec.check), col))
    _check_id_spellings(table, df, source, problems)
    if table.key and len(table.key) > 1:
        key = list(table.key)
        keyed = df[key].copy()
        for name in key:  # identifiers are compared ignoring case and surrounding spaces
            if table.column(name).kind == "id":
                keyed[name] = map_distinct(keyed[name], id_key)
        complete = keyed.notna().all(axis=1)
        dup = keyed[complete].duplicated(key, keep="first")
        if dup.any():  # the first row of each key is looked up only when there is a duplicate
            first_rows = keyed[complete].reset_index().groupby(key, observed=True)["index"].first()
            for idx in dup[dup].index:
                first = first_rows.loc[tuple(keyed.loc[idx, key])]
                what = _DUPLICATE_ROW.get(table.name, "duplicate row")
                problems.add(source, idx, key[-1], df.at[idx, key[-1]], f"{what} (row {source.row_of(first)})")


#: Identifier columns that are not unique in their table and refer to nothing else, so that two
#: spellings differing only in case would silently be two people: an error.
CASE_CHECKED_ID_COLUMNS = {"survey_responses": ("respondent_id",)}


def _check_id_spellings(table: Table, df: pd.DataFrame, source: TableSource, problems: Problems) -> None:
    """Identifiers that differ only in letter case (or spaces) within one table: an error naming both rows."""
    columns = [c.name for c in table.columns if c.kind == "id" and c.unique]
    columns += list(CASE_CHECKED_ID_COLUMNS.get(table.name, ()))
    for name in columns:
        if name not in df.columns:
            continue
        values = df[name].dropna()
        values = values[~values.duplicated()]  # only a spelling's first row can be reported
        keys = map_distinct(values, id_key)
        values = values[keys.duplicated(keep=False).to_numpy()]  # spellings that share their key with another
        first_of: dict[str, tuple] = {}  # id_key -> (index, spelling) where it first appears
        reported: set[tuple] = set()
        for idx, value in values.items():
            k = id_key(value)
            seen = first_of.setdefault(k, (idx, value))
            if seen[1] != value and (k, value) not in reported:
                reported.add((k, value))
                problems.add(source, idx, name, value,
                             f"differs only in letter case or spaces from {seen[1]!r} (row {source.row_of(seen[0])}): "
                             "identifiers are compared ignoring case, so these are the same; write it one way")


# --------------------------------------------------------------------------- checks across tables

#: References from one table's identifier column to another table's: compared ignoring case and
#: surrounding spaces, and written as the table they refer to writes them once resolved.
ID_REFERENCES = (
    ("relationships", "org_id", "organisations", "org_id"),
    ("relationships", "partner_id", "organisations", "org_id"),
    ("boards", "org_id", "organisations", "org_id"),
    ("survey_responses", "org_id", "organisations", "org_id"),
    ("survey_responses", "item_id", "survey_items", "item_id"),
    ("grants", "Recipient Org:Identifier", "organisations", "org_id"),
)


def resolve_references(tables: dict[str, pd.DataFrame]) -> None:
    """Write every identifier that refers to another table as that table writes it (in place).

    ``relationships.partner_id`` ``" gb-chc-0000007"`` becomes ``"GB-CHC-0000007"`` when that
    is an organisation; identifiers that match nothing are left as they are (and reported).

    Examples
    --------
    >>> t = {"organisations": pd.DataFrame({"org_id": ["GB-CHC-0000007"]}),
    ...      "relationships": pd.DataFrame({"org_id": ["gb-chc-0000007 "], "partner_id": ["X"]})}
    >>> resolve_references(t); t["relationships"]["org_id"].tolist()
    ['GB-CHC-0000007']
    """
    for child, col, parent, parent_col in ID_REFERENCES:
        if child not in tables or parent not in tables or col not in tables[child] or not len(tables[child]):
            continue
        spelling: dict[str, str] = {}
        for value in tables[parent][parent_col].dropna():
            spelling.setdefault(id_key(value), value)
        column = tables[child][col]
        resolved = map_distinct(column, lambda v, spelling=spelling: spelling.get(id_key(v), v))
        tables[child][col] = resolved.astype(column.dtype)


def _foreign_key(problems, tables, sources, child, col, parent, parent_col, label):
    if child not in tables or parent not in tables or getattr(sources.get(parent), "unreadable", False):
        return
    df = tables[child]
    exact = tables[parent][parent_col].dropna()
    known = set(exact.map(id_key)) if table_column_kind(parent, parent_col) == "id" else set(exact)
    keys = map_distinct(df[col], id_key) if table_column_kind(child, col) == "id" else df[col]
    bad = df[col].notna() & ~keys.isin(known)
    for idx in df.index[bad]:
        problems.add(sources[child], idx, col, df.at[idx, col], f"unknown {label}: not in {sources[parent].file}")


def table_column_kind(table: str, column: str) -> str | None:
    """The kind of a column of the study data package (``id``, ``slug``, ...), None if it has none."""
    try:
        return TABLES[table].column(column).kind
    except KeyError:
        return None


def check_across_tables(tables: dict[str, pd.DataFrame], sources: dict[str, TableSource], problems: Problems) -> None:
    """Checks that need more than one table: unknown identifiers, self-ratings, overlaps, ..."""
    fk = [
        ("organisations", "place_id", "places", "place_id", "place"),
        ("relationships", "phase_id", "phases", "phase_id", "phase"),
        ("relationships", "org_id", "organisations", "org_id", "organisation"),
        ("relationships", "partner_id", "organisations", "org_id", "organisation"),
        ("boards", "phase_id", "phases", "phase_id", "phase"),
        ("boards", "place_id", "places", "place_id", "place"),
        ("boards", "org_id", "organisations", "org_id", "organisation"),
        ("evidence", "place_id", "places", "place_id", "place"),
        ("evidence", "phase_id", "phases", "phase_id", "phase"),
        ("evidence", "theme_id", "themes", "theme_id", "theme"),
        ("survey_items", "theme_id", "themes", "theme_id", "theme"),
        ("survey_responses", "phase_id", "phases", "phase_id", "phase"),
        ("survey_responses", "org_id", "organisations", "org_id", "organisation"),
        ("survey_responses", "item_id", "survey_items", "item_id", "survey item"),
    ]
    for child, col, parent, parent_col, label in fk:
        if len(tables.get(child, ())):
            _foreign_key(problems, tables, sources, child, col, parent, parent_col, label)
    resolve_references(tables)

    phases = tables["phases"]
    src = sources["phases"]
    for idx in phases.index[(phases["end_date"] < phases["start_date"])]:
        problems.add(src, idx, "end_date", phases.at[idx, "end_date"].date(), "ends before it starts")
    ordered = phases.dropna(subset=["start_date", "end_date"]).sort_values("start_date")
    for (i_prev, prev), (i_next, nxt) in zip(ordered.iloc[:-1].iterrows(), ordered.iloc[1:].iterrows(), strict=False):
        if nxt["start_date"] <= prev["end_date"]:
            problems.add(src, i_next, "start_date", nxt["start_date"].date(),
                         f"phase window overlaps phase {prev['phase_id']!r} (row {src.row_of(i_prev)}), "
                         f"which ends {prev['end_date'].date()}")

    rel = tables.get("relationships")
    if rel is not None and len(rel):
        s = sources["relationships"]
        for idx in rel.index[rel["org_id"].notna() & (rel["org_id"] == rel["partner_id"]).fillna(False)]:
            problems.add(s, idx, "partner_id", rel.at[idx, "partner_id"], "an organisation cannot rate itself")
        ratings = list(TRUST_COLUMNS + VALUE_COLUMNS)
        zero = (rel["level"] == 0).fillna(False)
        for c in ratings:
            for idx in rel.index[zero & rel[c].notna()]:
                kind = "trust" if c in TRUST_COLUMNS else "value"
                problems.add(s, idx, c, rel.at[idx, c],
                             f"{kind} rating given with level 0 (no relationship): leave it blank or raise the level")
        orgs = tables["organisations"]
        orgs = orgs[orgs["place_id"].isin(set(tables["places"]["place_id"].dropna()))]
        place_of = orgs.drop_duplicates("org_id").set_index("org_id")["place_id"]
        a = rel["org_id"].map(place_of)
        b = rel["partner_id"].map(place_of)
        other = a.notna() & b.notna() & (a != b)
        for idx in rel.index[other.fillna(False)]:
            problems.add(s, idx, "partner_id", rel.at[idx, "partner_id"],
                         f"partner is in another place ({b[idx]}) than the respondent ({a[idx]}): "
                         "ratings stay within a place")

    grants = tables.get("grants")
    if grants is not None and len(grants):
        s = sources["grants"]
        cur = grants["Currency"].str.upper()
        for idx in grants.index[cur.notna() & (cur != "GBP")]:
            problems.warn(s, idx, "Currency", grants.at[idx, "Currency"],
                          "not in GBP: this grant is left out of sums and medians of amounts")
        for idx in grants.index[(grants["Amount Awarded"] <= 0).fillna(False)]:
            problems.warn(s, idx, "Amount Awarded", grants.at[idx, "Amount Awarded"],
                          "£0 or negative (a joint grant's partner, or a returned or revoked grant): kept, "
                          "flagged, and left out of totals and medians")
        late = (grants["Application Date"] > grants["Award Date"]).fillna(False)
        for idx in grants.index[late]:
            problems.add(s, idx, "Application Date", grants.at[idx, "Application Date"].date(),
                         f"application date is after the award date ({grants.at[idx, 'Award Date'].date()})")


# --------------------------------------------------------------------------- what a researcher needs to know

def check_study_shape(tables: dict[str, pd.DataFrame], sources: dict[str, TableSource], settings: dict,
                      problems: Problems) -> None:
    """Warnings about what the study can measure: nameable organisations it lacks, places with one organisation.

    - ``nameable`` in study.yml lists an org_id that is not in the organisations table (a typo, or an
      organisation not added yet): pages cannot name it.
    - A place has fewer than two organisations: no network can be measured there.
    """
    orgs = tables.get("organisations")
    if orgs is None:
        return
    known = {id_key(o) for o in orgs["org_id"].dropna()}
    for org_id in settings.get("nameable") or []:
        if id_key(org_id) not in known:
            problems.warn(TableSource("study.yml"), None, "nameable", org_id,
                          "not an org_id of the organisations table: pages cannot name an organisation the study "
                          "does not have (check the spelling, or add the organisation)")
    places = tables.get("places")
    if places is None:
        return
    counts = orgs["place_id"].value_counts()
    for idx, place_id in places["place_id"].items():
        n = int(counts.get(place_id, 0))
        if n < 2 and pd.notna(place_id):
            has = "no organisation" if n == 0 else "only 1 organisation"
            problems.warn(sources.get("places"), idx, "place_id", place_id,
                          f"{has}: a network needs at least two, so none can be measured for this place "
                          "(add its partners to organisations.csv)")
