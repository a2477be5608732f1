"""Read 360Giving grants data (JSON, CSV or Excel) into the study's grants table, checked field by field."""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from analysis import validation
from analysis.csv_text import CP1252_NOTE, RaggedRowsError, read_csv_text
from analysis.errors import ReadError, plain_reason
from analysis.schema import AWARD_PROCESSES, TABLES
from analysis.validation import amounts_and_reasons, cell_text, parse_amounts

__all__ = [
    "ThreeSixtyGivingError",
    "ThreeSixtyGivingWarning",
    "CurrencyWarning",
    "GRANT_COLUMNS",
    "REQUIRED_GRANT_COLUMNS",
    "POSTCODE_COLUMN",
    "GRANTNAV_DISTRICT_COLUMNS",
    "CP1252_NOTE",
    "read_360giving",
    "parse_grant_dates",
    "dates_and_reasons",
    "parse_amounts",
    "grant_key",
]

#: The grants table's columns (docs/data.md), in the 360Giving spreadsheet titles.
GRANT_COLUMNS = TABLES["grants"].column_names
#: Columns the grants table requires (docs/data.md), each a field the 360Giving standard requires.
REQUIRED_GRANT_COLUMNS = TABLES["grants"].required_columns
#: Spreadsheet title of the recipient's postcode (kept for postcode attribution at import).
POSTCODE_COLUMN = "Recipient Org:Postal Code"
#: GrantNav's own local-authority fields (added to its downloads, not the standard's), by side: the
#: beneficiary's district and the recipient's (from its postcode). Older and newer GrantNav titles.
GRANTNAV_DISTRICT_COLUMNS = {
    "beneficiary": ("Beneficiary District Geographic Code (additional data)",
                    "Best Available District Geographic Code (additional data)",
                    "Beneficiary District Geographic Code"),
    "recipient": ("Recipient District Geographic Code (additional data)",
                  "Best Available Recipient District Geographic Code (additional data)",
                  "Recipient District Geographic Code"),
}
_LICENCE_TITLES = ("License (see note)", "License", "Licence")

# 360Giving JSON field -> spreadsheet title (the standard's own titles, schema 1.4.3), for the
# fields this suite uses. Application Date and Award Process are this study's extension fields.
_TOP_TITLES = {
    "id": "Identifier",
    "title": "Title",
    "description": "Description",
    "currency": "Currency",
    "amountAwarded": "Amount Awarded",
    "awardDate": "Award Date",
    "fromOpenCall": "From An Open Call?",
    "applicationDate": "Application Date",
    "awardProcess": "Award Process",
}
# array field -> (title prefix, {item field -> title}); the first item "rolls up" into the
# unnumbered columns, as in the standard's spreadsheet form; further items get numbered columns.
_ARRAY_TITLES = {
    "recipientOrganization": ("Recipient Org", {"id": "Identifier", "name": "Name", "postalCode": "Postal Code"}),
    "fundingOrganization": ("Funding Org", {"id": "Identifier", "name": "Name"}),
    "beneficiaryLocation": ("Beneficiary Location", {"name": "Name", "geoCode": "Geographic Code"}),
    "grantProgramme": ("Grant Programme", {"title": "Title"}),
}
_JSON_PATH_OF = {title: f"{field}" for field, title in _TOP_TITLES.items()}
for _field, (_prefix, _items) in _ARRAY_TITLES.items():
    for _item, _title in _items.items():
        _JSON_PATH_OF[f"{_prefix}:{_title}"] = f"{_field}[0].{_item}"



class ThreeSixtyGivingError(ReadError, ValueError):
    """A file that is not usable 360Giving data: names the field, the file and where in it."""

    def __init__(self, message: str, *, path=None, field: str | None = None, location: str | None = None):
        self.field = field
        self.location = location
        super().__init__(path, message, where=location)


class ThreeSixtyGivingWarning(UserWarning):
    """Something in a 360Giving file was left out or reinterpreted (grants to individuals, ...)."""


class CurrencyWarning(ThreeSixtyGivingWarning):
    """Grants in a currency other than GBP: kept, but never summed with pounds."""


# --------------------------------------------------------------------------- reading


def _title_key(title: str) -> str:
    """Header matching: case-insensitive, spaces around ':' and repeated spaces ignored."""
    return re.sub(r"\s*:\s*", ":", re.sub(r"\s+", " ", str(title).strip().lstrip("\ufeff"))).lower()


def _canonical_title(header: str) -> str | None:
    """The canonical spreadsheet title a header stands for, or None when it is not used.

    ``Recipient Org:0:Identifier`` (GrantNav's numbered form) is the first item, the same as
    ``Recipient Org:Identifier``; ``Recipient Org:1:Identifier`` stays numbered.
    """
    key = _title_key(header)
    key = re.sub(r":0:", ":", key)
    return _KNOWN_TITLES.get(key)


def _known_titles() -> dict[str, str]:
    titles = list(GRANT_COLUMNS) + [POSTCODE_COLUMN, "From An Open Call?", "Recipient Ind:Identifier",
                                    "Data Source", *_LICENCE_TITLES,
                                    *(c for side in GRANTNAV_DISTRICT_COLUMNS.values() for c in side)]
    for prefix, items in ((p, i) for p, i in _ARRAY_TITLES.values()):
        for n in range(1, 10):
            titles += [f"{prefix}:{n}:{t}" for t in items.values()]
    return {_title_key(t): t for t in titles}


_KNOWN_TITLES = _known_titles()


def _flatten_json(path: Path) -> pd.DataFrame:
    """The JSON package as a table of spreadsheet titles (first array item rolled up)."""
    try:
        with open(path, encoding="utf-8-sig") as fh:
            package = json.load(fh)
    except json.JSONDecodeError as exc:
        raise ThreeSixtyGivingError(f"not valid JSON ({exc})", path=path) from exc
    except (OSError, UnicodeDecodeError, RecursionError, MemoryError) as exc:
        raise ThreeSixtyGivingError(f"not a readable JSON file: {plain_reason(exc)}", path=path) from exc
    if not isinstance(package, dict) or "grants" not in package:
        raise ThreeSixtyGivingError(
            "missing required field 'grants' (a 360Giving package is {\"grants\": [...]})",
            path=path, field="grants", location="JSON path $",
        )
    grants = package["grants"]
    if not isinstance(grants, list):
        raise ThreeSixtyGivingError("'grants' must be a list of grants", path=path, field="grants",
                                    location="JSON path $.grants")
    columns: dict[str, list] = {}
    n = len(grants)
    licence = package.get("license") or package.get("licence")

    def put(title, i, value):
        col = columns.get(title)
        if col is None:
            col = columns[title] = [None] * n
        col[i] = value

    for i, grant in enumerate(grants):
        if not isinstance(grant, dict):
            raise ThreeSixtyGivingError("a grant must be a JSON object", path=path, location=f"JSON path $.grants[{i}]")
        for field, title in _TOP_TITLES.items():
            value = grant.get(field, grant.get(title))
            if value is not None:
                put(title, i, value)
        for field, (prefix, items) in _ARRAY_TITLES.items():
            values = grant.get(field) or []
            if isinstance(values, dict):  # tolerate a single object where the standard has a list
                values = [values]
            for k, item in enumerate(values[:10]):
                if not isinstance(item, dict):
                    continue
                for item_field, item_title in items.items():
                    value = item.get(item_field)
                    if value is not None:
                        put(f"{prefix}:{item_title}" if k == 0 else f"{prefix}:{k}:{item_title}", i, value)
        if grant.get("recipientIndividual") and not grant.get("recipientOrganization"):
            put("Recipient Ind:Identifier", i, (grant["recipientIndividual"] or {}).get("id", "individual"))
    frame = pd.DataFrame(columns, index=pd.RangeIndex(n))
    if isinstance(licence, str) and licence.strip():
        frame.attrs["licence"] = licence.strip()
    frame.attrs["locate"] = lambda row, title: f"JSON path $.grants[{row}].{_JSON_PATH_OF.get(title, title)}"
    return frame


def _rename_headers(headers, path, where: str) -> dict[str, str]:
    rename = {}
    for h in headers:
        title = _canonical_title(h)
        if title is not None and title not in rename.values():
            rename[h] = title
    return rename


def _read_csv(path: Path) -> pd.DataFrame:
    try:
        read = read_csv_text(path, na_values=[""])
    except RaggedRowsError as exc:
        raise ThreeSixtyGivingError(exc.reason, path=path, location=exc.where) from exc
    except ReadError as exc:
        raise ThreeSixtyGivingError(f"not a readable CSV file: {exc.reason}", path=path) from exc
    if read.encoding == "cp1252":
        warnings.warn(f"{path.name}: {CP1252_NOTE}", ThreeSixtyGivingWarning, stacklevel=4)
    rename = _rename_headers(read.frame.columns, path, "CSV header")
    frame = read.frame[list(rename)].rename(columns=rename)
    frame.attrs["encoding"] = read.encoding
    frame.attrs["locate"] = lambda row, title: f"row {row + 2}, column {title!r}"
    return frame


def _read_xlsx(path: Path) -> pd.DataFrame:
    try:
        sheets = pd.read_excel(path, sheet_name=None, dtype=object, engine="openpyxl")
    except Exception as exc:  # openpyxl raises many kinds on a file that is not a workbook
        raise ThreeSixtyGivingError(f"not a readable XLSX workbook ({exc})", path=path) from exc
    chosen = None
    for name, sheet in sheets.items():
        titles = {_canonical_title(h) for h in sheet.columns}
        if "Identifier" in titles and "Amount Awarded" in titles:
            chosen = name
            break
    if chosen is None:  # report against the first sheet: that is where a reader would look
        chosen = next(iter(sheets), None)
        if chosen is None:
            raise ThreeSixtyGivingError("the workbook has no sheets", path=path)
    sheet = sheets[chosen]
    rename = _rename_headers(sheet.columns, path, f"sheet {chosen!r}")
    frame = sheet[list(rename)].rename(columns=rename)
    frame.attrs["locate"] = lambda row, title: f"sheet {chosen!r}, row {row + 2}, column {title!r}"
    frame.attrs["sheet"] = chosen
    return frame


def parse_grant_dates(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Parse dates as 360Giving publishers write them, by the study loader's rule.

    ISO 8601 (``2020-03-17``, ``2020-03-19T00:00:00+00:00``, ``2020-04-01T00:00:00.000Z``: the
    calendar date as written is kept, whatever the offset), UK ``dd/mm/yyyy`` with or without
    ``hh:mm``, Excel serial day numbers (1900 system) and date cells read from a workbook: the
    same rule as :func:`analysis.validation.parse_dates`, which does the work.

    Returns
    -------
    (dates, bad) : (pandas.Series of datetime64, pandas.Series of bool)
        The dates (NaT where blank or unreadable) and a mask of the non-blank values that
        could not be read.

    Examples
    --------
    >>> d, bad = parse_grant_dates(pd.Series(["2020-03-19T00:00:00+00:00", "26/03/2001 00:00", "43922", None, "soon"]))
    >>> [x.strftime("%Y-%m-%d") if pd.notna(x) else None for x in d]
    ['2020-03-19', '2001-03-26', '2020-04-01', None, None]
    >>> bad.tolist()
    [False, False, False, False, True]
    """
    dates, reasons = dates_and_reasons(values)
    return dates, reasons.notna()


def dates_and_reasons(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Parse dates (see :func:`parse_grant_dates`); return ``(dates, reasons)``, a reason where a value is refused."""
    return validation.parse_dates(pd.Series(_clean_cells(pd.Series(values)), index=pd.Series(values).index,
                                            dtype=object))


def _clean_cells(values) -> np.ndarray:
    """Cells as an object array: strings stripped, blanks and every kind of missing as None."""
    arr = values.to_numpy(dtype=object) if hasattr(values, "to_numpy") else np.asarray(values, dtype=object)
    na, nat = pd.NA, pd.NaT
    out = np.empty(len(arr), dtype=object)
    out[:] = [
        (v.strip() or None) if v.__class__ is str
        else None if (v is None or v is na or v is nat or (v.__class__ is float and v != v))
        else v
        for v in arr
    ]
    return out


def _fail_on(frame: pd.DataFrame, path: Path, title: str, mask: pd.Series, what: str,
             reasons: pd.Series | None = None) -> None:
    if not mask.any():
        return
    rows = list(np.flatnonzero(mask.to_numpy()))
    locate = frame.attrs["locate"]

    def one(r):
        shown = f"{locate(r, title)}: {frame[title].iloc[r]!r}" if title in frame else locate(r, title)
        why = reasons.iloc[r] if reasons is not None else None
        return f"{shown} ({why})" if isinstance(why, str) else shown

    shown = "; ".join(one(r) for r in rows[:5])
    more = f" (and {len(rows) - 5} more)" if len(rows) > 5 else ""
    raise ThreeSixtyGivingError(f"{len(rows)} grant(s) {what}: {shown}{more}", path=path, field=title,
                                location=locate(rows[0], title))


def read_360giving(path) -> pd.DataFrame:
    """Read 360Giving grants (JSON package, CSV or XLSX) into the study's grants table.

    The columns are the 360Giving spreadsheet titles of the grants table (docs/data.md), plus
    ``Recipient Org:Postal Code`` when the source has postcodes, plus numbered columns
    (``Recipient Org:1:Identifier``, ``Beneficiary Location:1:Geographic Code``, ...) when some
    grant lists several recipients or beneficiary locations. As in the standard's spreadsheet
    form, the first item of each list "rolls up" into the unnumbered columns. The extension
    columns ``Application Date`` and ``Award Process`` are read where present; where a grant
    has no Award Process but says ``From An Open Call? = Yes``, its process is ``open_call``.

    Parameters
    ----------
    path : str or path-like
        A ``.json`` package (``{"grants": [...]}``), a ``.csv`` or an ``.xlsx`` file. Headers
        are matched case-insensitively; GrantNav's numbered form (``Recipient Org:0:Name``) is
        accepted.

    Returns
    -------
    pandas.DataFrame
        One row per grant, typed as the study loader types the grants table: identifiers and
        text as ``string``, ``Amount Awarded`` float, dates ``datetime64`` (the calendar date
        as published), ``Award Process`` an ordered categorical.

    Raises
    ------
    ThreeSixtyGivingError
        When the file is not 360Giving data: a required field missing (named, with the file
        and the JSON path or sheet and column), or values that are not dates or amounts.

    Warns
    -----
    CurrencyWarning
        When some grants are not in GBP (they are kept: sum amounts per currency).
    ThreeSixtyGivingWarning
        When a CSV is read as Windows-1252 (:data:`CP1252_NOTE`), or an Award Process value is
        not one of the study's (it is then left blank).

    Notes
    -----
    ``attrs`` of the result: ``grants_read`` (every grant in the file, grants to individuals
    included), ``individuals`` (grants to individuals, left out: the grants table holds grants
    to organisations), ``encoding`` (CSV only) and ``licence`` when the file states one.

    Examples
    --------
    >>> import tempfile, os
    >>> d = tempfile.mkdtemp(); p = os.path.join(d, "g.csv")
    >>> _ = open(p, "w").write(
    ...     "Identifier,Title,Currency,Amount Awarded,Award Date,Recipient Org:Identifier,"
    ...     "Recipient Org:Name,Funding Org:Identifier,Funding Org:Name\\n"
    ...     '360G-x-1,Food,GBP,"£1,500",26/03/2020 00:00,GB-CHC-1,Pantry,GB-CHC-9,Trust\\n')
    >>> g = read_360giving(p)
    >>> g.loc[0, "Amount Awarded"], g.loc[0, "Award Date"].date().isoformat()
    (np.float64(1500.0), '2020-03-26')
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no such 360Giving file: {path}")
    try:
        return _read_360giving(path)
    except ThreeSixtyGivingError:
        raise
    except Exception as exc:  # never a traceback for a bad file: name it and say what went wrong
        raise ThreeSixtyGivingError(plain_reason(exc), path=path) from exc


def _read_360giving(path: Path) -> pd.DataFrame:
    suffix = path.suffix.lower()
    if suffix == ".json":
        raw = _flatten_json(path)
    elif suffix in (".csv", ".txt"):
        raw = _read_csv(path)
    elif suffix in (".xlsx", ".xlsm"):
        raw = _read_xlsx(path)
    else:
        raise ThreeSixtyGivingError(f"unsupported file type {suffix!r}: use a 360Giving .json, .csv or .xlsx",
                                    path=path)
    attrs = dict(raw.attrs, grants_read=len(raw), individuals=0)
    raw = pd.DataFrame({c: pd.Series(_clean_cells(raw[c]), index=raw.index, dtype=object) for c in raw.columns},
                       index=raw.index)
    raw.attrs = attrs
    licence = next((raw[t].dropna().iloc[0] for t in _LICENCE_TITLES if t in raw and raw[t].notna().any()), None)
    if licence is not None:
        raw.attrs["licence"] = str(licence)

    # Grants to individuals have no recipient organisation: the study's table cannot hold them.
    if "Recipient Ind:Identifier" in raw:
        individual = raw["Recipient Ind:Identifier"].notna()
        if "Recipient Org:Identifier" in raw:
            individual &= raw["Recipient Org:Identifier"].isna()
        if individual.any():
            attrs = dict(raw.attrs, individuals=int(individual.sum()))
            raw = raw[~individual].reset_index(drop=True)
            raw.attrs = attrs

    where_header = "JSON path $.grants[*]" if suffix == ".json" else (
        f"sheet {raw.attrs['sheet']!r}, header row" if "sheet" in raw.attrs else "header row")
    for title in REQUIRED_GRANT_COLUMNS:
        if title not in raw:
            field = _JSON_PATH_OF.get(title, title) if suffix == ".json" else title
            raise ThreeSixtyGivingError(
                f"missing required 360Giving field {title!r} ({field}): is this 360Giving data?",
                path=path, field=title,
                location=where_header if suffix != ".json" else f"JSON path $.grants[0].{field}",
            )
        blank = raw[title].isna()
        _fail_on(raw, path, title, blank, f"have no {title!r}, which 360Giving requires")

    grants = pd.DataFrame(index=raw.index)
    for column in TABLES["grants"].columns:
        values = raw[column.name] if column.name in raw else pd.Series(pd.NA, index=raw.index, dtype=object)
        if column.kind == "date":
            dates, reasons = dates_and_reasons(values)
            _fail_on(raw, path, column.name, reasons.notna(), "have a date that cannot be read", reasons)
            grants[column.name] = dates
        elif column.kind == "float":
            amounts, reasons = amounts_and_reasons(values)
            _fail_on(raw, path, column.name, reasons.notna(), "have an amount that cannot be used", reasons)
            grants[column.name] = amounts
        elif column.kind == "enum":
            grants[column.name] = _award_process(raw, values, path)
        else:
            grants[column.name] = _as_text(values)
    grants["Currency"] = grants["Currency"].str.upper()
    extra = [POSTCODE_COLUMN, "Data Source", *(c for side in GRANTNAV_DISTRICT_COLUMNS.values() for c in side)]
    for title in extra + sorted(c for c in raw.columns if re.search(r":\d+:", c)):
        if title in raw:
            grants[title] = _as_text(raw[title])

    # identifiers are compared ignoring case: a publisher that changes the case publishes the same grant
    duplicated = grant_key(grants["Identifier"]).duplicated(keep="first")
    _fail_on(raw.assign(Identifier=grants["Identifier"]), path, "Identifier", duplicated,
             "repeat an Identifier already used in the file (identifiers are compared ignoring letter case)")
    several = [c for c in grants if re.fullmatch(r"Recipient Org:\d+:Identifier", c)]
    if several:
        n = int(grants[several].notna().any(axis=1).sum())
        warnings.warn(f"{path.name}: {n} grant(s) list several recipients; the first is the grant's "
                      "recipient (as in the standard's spreadsheet form), the others are kept in numbered columns",
                      ThreeSixtyGivingWarning, stacklevel=3)
    _warn_currencies(grants, path)
    grants.attrs = {k: raw.attrs[k] for k in ("grants_read", "individuals", "encoding", "licence") if k in raw.attrs}
    return grants


def grant_key(identifiers: pd.Series) -> pd.Series:
    """Identifiers as compared: surrounding spaces dropped, letter case ignored (``360G-x-1`` is ``360g-X-1``).

    Examples
    --------
    >>> grant_key(pd.Series([" 360G-Wolfson-1", "360g-wolfson-1"])).tolist()
    ['360g-wolfson-1', '360g-wolfson-1']
    """
    return pd.Series(identifiers, dtype="string").str.strip().str.casefold()


def _as_text(values: pd.Series):
    """Cleaned cells as a string array; a number from a workbook (1070468.0) reads as 1070468."""
    return pd.array([cell_text(v) for v in values.to_numpy(dtype=object)], dtype="string")


def _award_process(raw: pd.DataFrame, values: pd.Series, path: Path) -> pd.Series:
    text = values.astype("string").str.strip().str.lower().str.replace(r"[\s-]+", "_", regex=True)
    text = text.where(text != "", pd.NA)
    unknown = text.notna() & ~text.isin(AWARD_PROCESSES).fillna(False)
    if unknown.any():
        warnings.warn(f"{path.name}: {int(unknown.sum())} Award Process value(s) not among "
                      f"{', '.join(AWARD_PROCESSES)} left blank (e.g. {values[unknown].iloc[0]!r})",
                      ThreeSixtyGivingWarning, stacklevel=4)
        text = text.mask(unknown, pd.NA)
    if "From An Open Call?" in raw:
        open_call = raw["From An Open Call?"].astype("string").str.strip().str.lower().eq("yes").fillna(False)
        text = text.mask(text.isna() & open_call, "open_call")
    return pd.Categorical(text, categories=AWARD_PROCESSES, ordered=True)


def _warn_currencies(grants: pd.DataFrame, path: Path) -> None:
    other = grants["Currency"].ne("GBP").fillna(True)
    if other.any():
        counts = grants.loc[other, "Currency"].value_counts(dropna=False)
        listed = ", ".join(f"{n} in {c}" for c, n in counts.items())
        warnings.warn(f"{path.name}: {int(other.sum())} grant(s) not in GBP ({listed}); they are kept but "
                      "left out of any sum in pounds", CurrencyWarning, stacklevel=4)
