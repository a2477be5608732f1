"""Funding flows: read 360Giving grants, measure speed and reach per place and phase, map funders."""

from __future__ import annotations

import json
import re
import warnings
from itertools import combinations
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd

from analysis.schema import AWARD_PROCESSES, TABLES

__all__ = [
    "ThreeSixtyGivingError",
    "ThreeSixtyGivingWarning",
    "CurrencyWarning",
    "GRANT_COLUMNS",
    "SMALL_SIZES",
    "read_360giving",
    "parse_dates",
    "parse_amounts",
    "postcode_district",
    "phase_of_dates",
    "funding_measures",
    "first_funded_phase",
    "funding_network",
    "funder_overlap",
    "recipient_label",
    "speed_sentence",
    "reach_sentence",
    "volume_sentence",
    "overlap_sentence",
    "place_funding_table",
    "funder_overlap_table",
]

#: The grants table's columns (DESIGN.md), in the 360Giving spreadsheet titles.
GRANT_COLUMNS = TABLES["grants"].column_names
#: Columns the grants table requires (DESIGN.md), each a field the 360Giving standard requires.
REQUIRED_GRANT_COLUMNS = TABLES["grants"].required_columns
#: Organisation sizes counted as "small" when measuring reach.
SMALL_SIZES = ("micro", "small")
#: Spreadsheet title of the recipient's postcode (kept for postcode attribution at import).
POSTCODE_COLUMN = "Recipient Org:Postal Code"

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

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$")
_DMY_DATE = r"^\d{1,2}/\d{1,2}/\d{4}(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?$"
_SERIAL = r"^\d{1,7}(?:\.\d+)?$"
_EXCEL_EPOCH = pd.Timestamp("1899-12-30")  # Excel's 1900 date system, leap-year bug included
_POSTCODE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?)\s*([0-9][A-Z]{2})?$")


class ThreeSixtyGivingError(ValueError):
    """A file that is not usable 360Giving data: names the field, the file and where in it."""

    def __init__(self, message: str, *, path=None, field: str | None = None, location: str | None = None):
        self.path = None if path is None else str(path)
        self.field = field
        self.location = location
        where = ", ".join(x for x in (self.path, location) if x)
        super().__init__(f"{where}: {message}" if where else message)


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
    titles = list(GRANT_COLUMNS) + [POSTCODE_COLUMN, "From An Open Call?", "Recipient Ind:Identifier"]
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
        headers = pd.read_csv(path, nrows=0, encoding="utf-8-sig").columns
    except (pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise ThreeSixtyGivingError(f"not a readable CSV file ({exc})", path=path) from exc
    rename = _rename_headers(headers, path, "CSV header")
    frame = pd.read_csv(
        path, dtype=str, keep_default_na=False, na_values=[""], usecols=list(rename),
        encoding="utf-8-sig", engine="c",
    )
    frame = frame.rename(columns=rename)
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


def parse_dates(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Parse dates as 360Giving publishers write them.

    ISO 8601 (``2020-03-17``, ``2020-03-19T00:00:00+00:00``, ``2020-04-01T00:00:00.000Z``: the
    calendar date as written is kept, whatever the offset), UK ``dd/mm/yyyy`` with or without
    ``hh:mm``, Excel serial day numbers (1900 system) and date cells read from a workbook.

    Parameters
    ----------
    values : pandas.Series
        Strings, numbers or datetimes; blanks are missing.

    Returns
    -------
    (dates, bad) : (pandas.Series of datetime64, pandas.Series of bool)
        The dates (NaT where blank or unreadable) and a mask of the non-blank values that
        could not be read.

    Examples
    --------
    >>> d, bad = parse_dates(pd.Series(["2020-03-19T00:00:00+00:00", "26/03/2001 00:00", "43922", None, "soon"]))
    >>> [x.strftime("%Y-%m-%d") if pd.notna(x) else None for x in d]
    ['2020-03-19', '2001-03-26', '2020-04-01', None, None]
    >>> bad.tolist()
    [False, False, False, False, True]
    """
    values = pd.Series(values)
    out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[us]")
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        stamps = values.dt.tz_localize(None) if getattr(values.dt, "tz", None) is not None else values
        return stamps.dt.normalize().astype("datetime64[us]"), pd.Series(False, index=values.index)
    cells = _clean_cells(values)
    kind = np.array([0 if v is None else 1 if v.__class__ is str else 2 for v in cells], dtype=np.int8)
    positions = np.flatnonzero(kind == 2)  # dates from a workbook, Excel serial numbers, anything else
    for i in positions:
        v = cells[i]
        if isinstance(v, bool):
            continue
        if isinstance(v, (int, float, np.number)):
            out.iloc[i] = _EXCEL_EPOCH + pd.Timedelta(days=int(np.floor(float(v))))
        elif hasattr(v, "year"):
            stamp = pd.Timestamp(v)
            out.iloc[i] = (stamp.tz_localize(None) if stamp.tzinfo else stamp).normalize()
    strings = np.flatnonzero(kind == 1)
    if len(strings):
        text = pd.Series(cells[strings], index=values.index[strings], dtype=object)
        iso = text.str.match(_ISO_DATE).to_numpy(dtype=bool)
        out.iloc[strings[iso]] = pd.to_datetime(text[iso].str[:10], format="%Y-%m-%d", errors="coerce").to_numpy()
        rest = ~iso
        dmy = np.zeros(len(text), dtype=bool)
        if rest.any():
            dmy[rest] = text[rest].str.match(_DMY_DATE).to_numpy(dtype=bool)
            if dmy.any():
                out.iloc[strings[dmy]] = pd.to_datetime(text[dmy].str.split(r"[ T]", n=1, regex=True).str[0],
                                                        format="%d/%m/%Y", errors="coerce").to_numpy()
            rest &= ~dmy
        if rest.any():
            serial = np.zeros(len(text), dtype=bool)
            serial[rest] = text[rest].str.match(_SERIAL).to_numpy(dtype=bool)
            if serial.any():
                out.iloc[strings[serial]] = (_EXCEL_EPOCH + pd.to_timedelta(
                    np.floor(text[serial].astype(float)), unit="D")).to_numpy()
    bad = pd.Series((kind != 0) & out.isna().to_numpy(), index=values.index)
    return out, bad


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


def parse_amounts(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Parse amounts as publishers write them: ``10000``, ``10,000.50``, ``£2,500``.

    Returns ``(amounts, bad)``: floats (NaN where blank or unreadable) and a mask of the
    non-blank values that are not amounts.

    Examples
    --------
    >>> a, bad = parse_amounts(pd.Series(["£2,500", "10000.5", 300, "", "lots"]))
    >>> a.tolist()[:3], bad.tolist()
    ([2500.0, 10000.5, 300.0], [False, False, False, False, True])
    """
    values = pd.Series(values)
    if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype):
        amounts = values.astype(float)
        return amounts, pd.Series(False, index=values.index)
    text = values.astype("string").str.replace(r"[£,\s]|^GBP", "", regex=True)
    amounts = pd.to_numeric(text.replace("", pd.NA), errors="coerce").astype(float)
    bad = amounts.isna() & text.notna() & (text != "")
    return amounts, bad


def _fail_on(frame: pd.DataFrame, path: Path, title: str, mask: pd.Series, what: str) -> None:
    if not mask.any():
        return
    rows = list(np.flatnonzero(mask.to_numpy()))
    locate = frame.attrs["locate"]
    shown = "; ".join(
        f"{locate(r, title)}: {frame[title].iloc[r]!r}" if title in frame else locate(r, title) for r in rows[:5]
    )
    more = f" (and {len(rows) - 5} more)" if len(rows) > 5 else ""
    raise ThreeSixtyGivingError(f"{len(rows)} grant(s) {what}: {shown}{more}", path=path, field=title,
                                location=locate(rows[0], title))


def read_360giving(path) -> pd.DataFrame:
    """Read 360Giving grants (JSON package, CSV or XLSX) into the study's grants table.

    The columns are the 360Giving spreadsheet titles of the grants table (DESIGN.md), plus
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
        When grants to individuals are left out, or an Award Process value is not one of
        the study's (it is then left blank).

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
    locate = raw.attrs["locate"]
    attrs = raw.attrs
    raw = pd.DataFrame({c: pd.Series(_clean_cells(raw[c]), index=raw.index, dtype=object) for c in raw.columns},
                       index=raw.index)
    raw.attrs = attrs

    # Grants to individuals have no recipient organisation: the study's table cannot hold them.
    if "Recipient Ind:Identifier" in raw:
        individual = raw["Recipient Ind:Identifier"].notna()
        if "Recipient Org:Identifier" in raw:
            individual &= raw["Recipient Org:Identifier"].isna()
        if individual.any():
            warnings.warn(f"{path.name}: {int(individual.sum())} grant(s) to individuals left out "
                          "(the grants table holds grants to organisations)", ThreeSixtyGivingWarning, stacklevel=2)
            attrs = raw.attrs
            raw = raw[~individual].reset_index(drop=True)
            raw.attrs = attrs

    where_header = "JSON path $.grants[*]" if suffix == ".json" else (
        f"sheet {raw.attrs['sheet']!r}, header row" if "sheet" in raw.attrs else "header row")
    for title in REQUIRED_GRANT_COLUMNS:
        if title not in raw:
            field = _JSON_PATH_OF.get(title, title) if suffix == ".json" else title
            raise ThreeSixtyGivingError(
                f"missing required 360Giving field {title!r} ({field}): is this 360Giving data?",
                path=path, field=title, location=where_header if suffix != ".json" else f"JSON path $.grants[0].{field}",
            )
        blank = raw[title].isna()
        _fail_on(raw, path, title, blank, f"have no {title!r}, which 360Giving requires")

    grants = pd.DataFrame(index=raw.index)
    for column in TABLES["grants"].columns:
        values = raw[column.name] if column.name in raw else pd.Series(pd.NA, index=raw.index, dtype=object)
        if column.kind == "date":
            dates, bad = parse_dates(values)
            _fail_on(raw, path, column.name, bad, "have a date that is not ISO, dd/mm/yyyy or an Excel date")
            grants[column.name] = dates
        elif column.kind == "float":
            amounts, bad = parse_amounts(values)
            _fail_on(raw, path, column.name, bad, "have an amount that is not a number")
            grants[column.name] = amounts
        elif column.kind == "enum":
            grants[column.name] = _award_process(raw, values, path)
        else:
            grants[column.name] = _as_text(values)
    grants["Currency"] = grants["Currency"].str.upper()
    for title in [POSTCODE_COLUMN] + sorted(c for c in raw.columns if re.search(r":\d+:", c)):
        if title in raw:
            grants[title] = _as_text(raw[title])

    duplicated = grants["Identifier"].duplicated(keep="first")
    _fail_on(raw.assign(Identifier=grants["Identifier"]), path, "Identifier", duplicated,
             "repeat an Identifier already used in the file")
    several = [c for c in grants if re.fullmatch(r"Recipient Org:\d+:Identifier", c)]
    if several:
        n = int(grants[several].notna().any(axis=1).sum())
        warnings.warn(f"{path.name}: {n} grant(s) list several recipients; the first is the grant's "
                      "recipient (as in the standard's spreadsheet form), the others are kept in numbered columns",
                      ThreeSixtyGivingWarning, stacklevel=2)
    _warn_currencies(grants, path)
    return grants


def _as_text(values: pd.Series):
    """Cleaned cells as a string array; a number from a workbook (1070468.0) reads as 1070468."""
    def text(v):
        if v is None or v.__class__ is str:
            return v
        if v is pd.NA or (isinstance(v, float) and v != v):
            return None
        if isinstance(v, float) and v.is_integer():
            return str(int(v))
        return str(v)

    return pd.array([text(v) for v in values.to_numpy(dtype=object)], dtype="string")


def _award_process(raw: pd.DataFrame, values: pd.Series, path: Path) -> pd.Series:
    text = values.astype("string").str.strip().str.lower().str.replace(r"[\s-]+", "_", regex=True)
    text = text.where(text != "", pd.NA)
    unknown = text.notna() & ~text.isin(AWARD_PROCESSES).fillna(False)
    if unknown.any():
        warnings.warn(f"{path.name}: {int(unknown.sum())} Award Process value(s) not among "
                      f"{', '.join(AWARD_PROCESSES)} left blank (e.g. {values[unknown].iloc[0]!r})",
                      ThreeSixtyGivingWarning, stacklevel=3)
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
                      "left out of any sum in pounds", CurrencyWarning, stacklevel=3)


# --------------------------------------------------------------------------- places and phases


def postcode_district(postcodes: pd.Series) -> pd.Series:
    """The outward code (postcode district) of UK postcodes: ``CV21 3XX`` -> ``CV21``.

    Accepts full postcodes with or without the space, any case, and bare outward codes;
    anything else gives <NA>.

    Examples
    --------
    >>> postcode_district(pd.Series(["CV21 3XX", "cv13hw", "SM1", "02211", None])).tolist()
    ['CV21', 'CV1', 'SM1', <NA>, <NA>]
    """
    text = pd.Series(postcodes, dtype="string").str.upper().str.replace(r"\s+", " ", regex=True).str.strip()
    compact = text.str.replace(" ", "", regex=False)
    full = compact.str.extract(r"^([A-Z]{1,2}[0-9][A-Z0-9]?)([0-9][A-Z]{2})$")[0]
    outward = compact.str.extract(r"^([A-Z]{1,2}[0-9][A-Z0-9]?)$")[0]
    return full.fillna(outward).astype("string")


def phase_of_dates(dates: pd.Series, phases: pd.DataFrame) -> pd.Series:
    """The phase each date falls in (start and end dates inclusive), <NA> outside every phase.

    Examples
    --------
    >>> phases = pd.DataFrame({"phase_id": ["before", "emergency"],
    ...     "start_date": pd.to_datetime(["2019-04-01", "2020-03-23"]),
    ...     "end_date": pd.to_datetime(["2020-03-22", "2020-07-31"])})
    >>> phase_of_dates(pd.Series(pd.to_datetime(["2020-03-22", "2020-03-23", "2021-01-01"])), phases).tolist()
    ['before', 'emergency', <NA>]
    """
    dates = pd.to_datetime(pd.Series(dates))
    result = pd.Series(pd.NA, index=dates.index, dtype="string")
    ordered = phases.sort_values("start_date")
    starts = ordered["start_date"].to_numpy(dtype="datetime64[us]")
    ends = ordered["end_date"].to_numpy(dtype="datetime64[us]")
    values = dates.to_numpy(dtype="datetime64[us]")
    position = np.searchsorted(starts, values, side="right") - 1
    ok = (position >= 0) & ~np.isnat(values)
    ok[ok] &= values[ok] <= ends[position[ok]]
    ids = ordered["phase_id"].astype("string").to_numpy()
    result[ok] = ids[position[ok]]
    return result


# --------------------------------------------------------------------------- measures


def first_funded_phase(grants: pd.DataFrame, phase_order) -> pd.Series:
    """For each recipient, the earliest phase (in ``phase_order``) in which it was awarded a grant.

    Examples
    --------
    >>> g = pd.DataFrame({"Recipient Org:Identifier": ["a", "a", "b"], "phase_id": ["late", "early", "late"]})
    >>> first_funded_phase(g, ["early", "late"]).to_dict()
    {'a': 'early', 'b': 'late'}
    """
    order = {p: i for i, p in enumerate(phase_order)}
    rank = grants["phase_id"].map(order)
    known = rank.notna()
    ranks = pd.DataFrame({"recipient": grants.loc[known, "Recipient Org:Identifier"], "rank": rank[known].astype(int)})
    first = ranks.groupby("recipient", sort=True)["rank"].min()
    return first.map(dict(enumerate(phase_order))).rename("first_phase")


def funding_measures(grants: pd.DataFrame, organisations: pd.DataFrame | None = None, phase_order=None) -> pd.DataFrame:
    """Speed and reach of funding per place and phase.

    Parameters
    ----------
    grants : pandas.DataFrame
        The study's grants table with the loader's derived columns ``place_id``, ``phase_id``
        and ``days_to_award``. Grants with no place or phase are left out.
    organisations : pandas.DataFrame, optional
        The study's organisations (``org_id``, ``size``): recipients' sizes for reach.
    phase_order : sequence of str, optional
        Phases in time order (``study.phase_ids``), for recipients "new" in a phase; by
        default the order in which phases first appear by award date.

    Returns
    -------
    pandas.DataFrame
        One row per (place_id, phase_id) with grants: ``grants`` (count), ``value`` (sum in
        GBP; grants in other currencies are counted in ``non_gbp_grants``, never summed),
        ``funders`` and ``recipients`` (distinct), ``amount_q1``, ``amount_median``,
        ``amount_q3`` (GBP grants), ``days_median`` and ``days_known`` (application to award),
        ``process_known`` and ``share_<process>`` for each award process (share of grants
        whose process is known), ``size_known``, ``small_share`` and ``small_value_share``
        (share of grants, and of their GBP value, among grants whose recipient's size is
        known, that reached micro or small organisations), ``new_recipients`` (recipients
        with no grant in any earlier phase, anywhere in the table) and ``new_recipient_share``.

    Examples
    --------
    >>> g = pd.DataFrame({"place_id": ["p", "p"], "phase_id": ["x", "x"], "Currency": ["GBP", "GBP"],
    ...     "Amount Awarded": [100.0, 300.0], "Funding Org:Identifier": ["f", "f"],
    ...     "Recipient Org:Identifier": ["a", "b"], "days_to_award": [4.0, None],
    ...     "Award Process": ["fast_track", None], "Award Date": pd.to_datetime(["2020-04-01"] * 2)})
    >>> m = funding_measures(g)
    >>> m[["grants", "value", "amount_median", "days_median", "days_known", "share_fast_track"]].to_dict("records")
    [{'grants': 2, 'value': 400.0, 'amount_median': 200.0, 'days_median': 4.0, 'days_known': 1, 'share_fast_track': 1.0}]
    """
    g = grants[grants["place_id"].notna() & grants["phase_id"].notna()]
    keys = ["place_id", "phase_id"]
    place = g["place_id"].astype("string")
    phase = g["phase_id"].astype("string")
    gbp = g["Currency"].astype("string").str.upper().eq("GBP").fillna(False).to_numpy()
    amount = g["Amount Awarded"].astype(float)
    frame = pd.DataFrame({
        "place_id": place, "phase_id": phase,
        "amount": amount.where(gbp),
        "non_gbp": ~gbp,
        "funder": g["Funding Org:Identifier"].astype("string"),
        "recipient": g["Recipient Org:Identifier"].astype("string"),
        "days": g["days_to_award"].astype(float) if "days_to_award" in g else np.nan,
        "process": pd.Series(g["Award Process"], index=g.index).astype("string") if "Award Process" in g else pd.NA,
    })
    grouped = frame.groupby(keys, sort=True, observed=True)
    out = grouped.agg(
        grants=("recipient", "size"),
        value=("amount", "sum"),
        non_gbp_grants=("non_gbp", "sum"),
        funders=("funder", "nunique"),
        recipients=("recipient", "nunique"),
        amount_q1=("amount", lambda a: a.quantile(0.25)),
        amount_median=("amount", "median"),
        amount_q3=("amount", lambda a: a.quantile(0.75)),
        days_median=("days", "median"),
        days_known=("days", "count"),
        process_known=("process", "count"),
    )
    shares = pd.crosstab([frame["place_id"], frame["phase_id"]], frame["process"].astype("string"))
    for process in AWARD_PROCESSES:
        counts = shares[process] if process in shares else pd.Series(0, index=shares.index)
        out[f"share_{process}"] = (counts.reindex(out.index).fillna(0) / out["process_known"]).where(out["process_known"] > 0)

    sizes = pd.Series(dtype="string")
    if organisations is not None and "size" in organisations and len(organisations):
        sizes = pd.Series(organisations["size"].astype("string").to_numpy(),
                          index=organisations["org_id"].astype("string").to_numpy())
    size = frame["recipient"].map(sizes)
    small = size.isin(SMALL_SIZES).fillna(False) & size.notna()
    reach = pd.DataFrame({
        "place_id": frame["place_id"], "phase_id": frame["phase_id"],
        "known": size.notna(), "small": small,
        "known_value": frame["amount"].where(size.notna()), "small_value": frame["amount"].where(small),
    }).groupby(keys, sort=True, observed=True).sum(min_count=0)
    out["size_known"] = reach["known"].astype(int)
    out["small_share"] = (reach["small"] / reach["known"]).where(reach["known"] > 0)
    out["small_value_share"] = (reach["small_value"] / reach["known_value"]).where(reach["known_value"] > 0)

    if phase_order is None:
        phase_order = list(g.sort_values("Award Date")["phase_id"].drop_duplicates()) if "Award Date" in g \
            else sorted(frame["phase_id"].unique())
    first = first_funded_phase(grants.assign(phase_id=grants["phase_id"].astype("string")), list(phase_order))
    pairs = frame[["place_id", "phase_id", "recipient"]].drop_duplicates()
    pairs = pairs.assign(new=pairs["recipient"].map(first).eq(pairs["phase_id"]).fillna(False))
    out["new_recipients"] = pairs.groupby(keys, sort=True, observed=True)["new"].sum().astype(int)
    out["new_recipient_share"] = out["new_recipients"] / out["recipients"]

    out = out.reset_index()
    out["non_gbp_grants"] = out["non_gbp_grants"].astype(int)
    out["grants"] = out["grants"].astype(int)
    if phase_order is not None:
        rank = {p: i for i, p in enumerate(phase_order)}
        out = out.sort_values(["place_id", "phase_id"], key=lambda s: s.map(rank) if s.name == "phase_id" else s)
    return out.reset_index(drop=True)


# --------------------------------------------------------------------------- networks


def funding_network(grants: pd.DataFrame, organisations: pd.DataFrame | None = None) -> nx.Graph:
    """The funder-to-recipient network: a bipartite graph, one edge per funder-recipient pair.

    Funders carry ``bipartite=0`` and recipients ``bipartite=1`` (networkx's convention);
    an organisation that both funds and receives appears once as a funder and once as a
    recipient (nodes are ``("funder", id)`` and ``("recipient", id)``). Edges carry
    ``grants`` (count) and ``value`` (GBP only). Nodes carry ``org_id``, ``in_study``
    (whether the organisations table holds them) and ``name`` (from the organisations table,
    so pseudonyms hold on stakeholder pages; None for organisations outside the study).

    Examples
    --------
    >>> g = pd.DataFrame({"Funding Org:Identifier": ["f", "f", "h"], "Recipient Org:Identifier": ["a", "a", "a"],
    ...     "Amount Awarded": [1.0, 2.0, 5.0], "Currency": ["GBP"] * 3})
    >>> B = funding_network(g)
    >>> sorted(B.edges(data="grants"))
    [(('funder', 'f'), ('recipient', 'a'), 2), (('funder', 'h'), ('recipient', 'a'), 1)]
    >>> nx.bipartite.is_bipartite(B)
    True
    """
    funder = grants["Funding Org:Identifier"].astype("string")
    recipient = grants["Recipient Org:Identifier"].astype("string")
    gbp = grants["Currency"].astype("string").str.upper().eq("GBP").fillna(False)
    edges = pd.DataFrame({"funder": funder, "recipient": recipient,
                          "value": grants["Amount Awarded"].astype(float).where(gbp, 0.0)})
    edges = edges.groupby(["funder", "recipient"], sort=True).agg(grants=("value", "size"), value=("value", "sum"))
    names = {}
    if organisations is not None and len(organisations):
        names = dict(zip(organisations["org_id"].astype(str), organisations["name"].astype(str)))
    B = nx.Graph()
    for f in edges.index.get_level_values("funder").unique():
        B.add_node(("funder", f), bipartite=0, org_id=f, in_study=f in names, name=names.get(f))
    for r in edges.index.get_level_values("recipient").unique():
        B.add_node(("recipient", r), bipartite=1, org_id=r, in_study=r in names, name=names.get(r))
    for (f, r), row in edges.iterrows():
        B.add_edge(("funder", f), ("recipient", r), grants=int(row["grants"]), value=float(row["value"]))
    return B


def funder_overlap(grants: pd.DataFrame) -> pd.DataFrame:
    """Which funders fund the same organisations: shared recipients and Jaccard per funder pair.

    Returns one row per pair of funders with at least one shared recipient: ``funder_a``,
    ``funder_b`` (identifiers, ``funder_a < funder_b``), ``shared_recipients``, and
    ``jaccard`` = shared / recipients of either (Jaccard 1901).

    References
    ----------
    Jaccard, P. (1901). Etude comparative de la distribution florale dans une portion des Alpes
    et du Jura. Bulletin de la Societe Vaudoise des Sciences Naturelles 37, 547-579.

    Examples
    --------
    >>> g = pd.DataFrame({"Funding Org:Identifier": ["f", "f", "h", "h", "k"],
    ...                   "Recipient Org:Identifier": ["a", "b", "b", "c", "z"]})
    >>> funder_overlap(g).to_dict("records")
    [{'funder_a': 'f', 'funder_b': 'h', 'shared_recipients': 1, 'jaccard': 0.3333333333333333}]
    """
    pairs = pd.DataFrame({"funder": grants["Funding Org:Identifier"].astype(str),
                          "recipient": grants["Recipient Org:Identifier"].astype(str)}).drop_duplicates()
    sets = pairs.groupby("funder")["recipient"].agg(frozenset)
    funders_of = pairs.groupby("recipient")["funder"].agg(lambda s: sorted(s))
    shared: dict[tuple[str, str], int] = {}
    for funders in funders_of:
        for a, b in combinations(funders, 2):
            shared[(a, b)] = shared.get((a, b), 0) + 1
    rows = [
        {"funder_a": a, "funder_b": b, "shared_recipients": n, "jaccard": n / len(sets[a] | sets[b])}
        for (a, b), n in sorted(shared.items())
    ]
    return pd.DataFrame(rows, columns=["funder_a", "funder_b", "shared_recipients", "jaccard"])


# --------------------------------------------------------------------------- words for readers


def recipient_label(org_id, organisations: pd.DataFrame) -> str:
    """The name a page may show for an organisation: from the (pseudonymised) organisations table.

    Organisations outside the study are never named from the grants file.

    Examples
    --------
    >>> orgs = pd.DataFrame({"org_id": ["GB-CHC-1"], "name": ["Organisation A"]})
    >>> recipient_label("GB-CHC-1", orgs), recipient_label("GB-CHC-2", orgs)
    ('Organisation A', 'an organisation outside the study')
    """
    match = organisations.loc[organisations["org_id"].astype(str) == str(org_id), "name"]
    return str(match.iloc[0]) if len(match) else "an organisation outside the study"


def _days(n: float) -> str:
    n = int(round(n))
    return f"{n} day" if n == 1 else f"{n} days"


def speed_sentence(row, previous=None, *, phase_label: str, previous_label: str | None = None) -> str:
    """A plain-English sentence on how fast grants were awarded in a phase, against the one before.

    Parameters
    ----------
    row, previous : mapping or None
        Rows of :func:`funding_measures` for the phase and the previous phase (None when none).
    phase_label, previous_label : str
        How the phases are called in the study.

    Examples
    --------
    >>> speed_sentence({"days_median": 9, "days_known": 20}, {"days_median": 41, "days_known": 12},
    ...                phase_label="emergency", previous_label="baseline")
    'In the emergency phase, half of grants were awarded within 9 days of application, against 41 days in the baseline phase.'
    >>> speed_sentence({"days_median": None, "days_known": 0}, None, phase_label="emergency")
    'In the emergency phase, no grant records both an application and an award date, so speed cannot be measured.'
    """
    if row is None or not row.get("days_known"):
        return (f"In the {phase_label} phase, no grant records both an application and an award date, "
                "so speed cannot be measured.")
    sentence = f"In the {phase_label} phase, half of grants were awarded within {_days(row['days_median'])} of application"
    if previous is not None and previous.get("days_known"):
        sentence += f", against {_days(previous['days_median'])} in the {previous_label} phase"
    elif previous_label:
        sentence += f" (the {previous_label} phase has no grants with both dates to compare)"
    return sentence + "."


def volume_sentence(row, *, place_name: str, phase_label: str) -> str:
    """A plain-English sentence on how many grants, of what value, from how many funders.

    Examples
    --------
    >>> volume_sentence({"grants": 12, "value": 150250.0, "funders": 3, "recipients": 10,
    ...                  "amount_median": 5000.0, "non_gbp_grants": 0}, place_name="Coventry", phase_label="emergency")
    'In the emergency phase, 3 funders awarded 12 grants worth £150,250 to 10 organisations in Coventry; the typical (median) grant was £5,000.'
    """
    if row is None or not row.get("grants"):
        return f"No grants to organisations in {place_name} are recorded for the {phase_label} phase."
    funders = "1 funder" if row["funders"] == 1 else f"{row['funders']} funders"
    grants = "1 grant" if row["grants"] == 1 else f"{row['grants']} grants"
    recipients = "1 organisation" if row["recipients"] == 1 else f"{row['recipients']} organisations"
    sentence = (f"In the {phase_label} phase, {funders} awarded {grants} worth £{row['value']:,.0f} to {recipients} "
                f"in {place_name}")
    if pd.notna(row.get("amount_median")):
        sentence += f"; the typical (median) grant was £{row['amount_median']:,.0f}"
    if row.get("non_gbp_grants"):
        sentence += f" ({row['non_gbp_grants']} in other currencies are not included in the total)"
    return sentence + "."


def reach_sentence(row, *, phase_label: str) -> str:
    """A plain-English sentence on how far funding reached small and new organisations.

    Examples
    --------
    >>> reach_sentence({"grants": 10, "size_known": 8, "small_share": 0.5, "small_value_share": 0.25,
    ...                 "recipients": 6, "new_recipients": 3}, phase_label="emergency")
    'Of the 8 grants whose recipient size is known, 50% went to micro or small organisations (25% of their value). 3 of the 6 organisations funded in the emergency phase had no grant in any earlier phase.'
    """
    if row is None or not row.get("grants"):
        return f"No grants are recorded for the {phase_label} phase."
    if row.get("size_known"):
        first = (f"Of the {row['size_known']} grants whose recipient size is known, {row['small_share']:.0%} went to "
                 f"micro or small organisations")
        if pd.notna(row.get("small_value_share")):
            first += f" ({row['small_value_share']:.0%} of their value)"
        first += "."
    else:
        first = "No recipient's size is recorded, so reach to small organisations cannot be measured."
    second = (f" {row['new_recipients']} of the {row['recipients']} organisations funded in the {phase_label} phase "
              "had no grant in any earlier phase.")
    return first + second


# --------------------------------------------------------------------------- tables for pages


def place_funding_table(measures: pd.DataFrame, place_id: str, phase_order, phase_labels: dict) -> pd.DataFrame:
    """One place's funding measures, a row per phase in time order, with readers' headings.

    Phases without grants get a row of zeros and blanks, so every phase of the study shows.

    Examples
    --------
    >>> m = pd.DataFrame({"place_id": ["p"], "phase_id": ["b"], "grants": [3], "value": [900.0], "funders": [1],
    ...     "recipients": [2], "amount_median": [300.0], "days_median": [12.0], "days_known": [3],
    ...     "small_share": [0.5], "new_recipients": [1]})
    >>> place_funding_table(m, "p", ["a", "b"], {"a": "Before", "b": "After"})["grants"].tolist()
    [0, 3]
    """
    mine = measures[measures["place_id"] == place_id].set_index("phase_id").reindex(list(phase_order))
    for column in ("grants", "value", "funders", "recipients", "new_recipients", "days_known"):
        if column in mine:
            mine[column] = mine[column].fillna(0)
    table = pd.DataFrame({
        "phase": [phase_labels.get(p, p) for p in phase_order],
        "grants": mine["grants"].astype(int).to_numpy(),
        "value (GBP)": [f"£{v:,.0f}" for v in mine["value"]],
        "funders": mine["funders"].astype(int).to_numpy(),
        "organisations funded": mine["recipients"].astype(int).to_numpy(),
        "median grant": [f"£{v:,.0f}" if pd.notna(v) else "" for v in mine["amount_median"]],
        "median days to award": [f"{v:.0f}" if pd.notna(v) else "" for v in mine["days_median"]],
        "to small organisations": [f"{v:.0%}" if pd.notna(v) else "" for v in mine["small_share"]],
        "newly funded": mine["new_recipients"].astype(int).to_numpy(),
    })
    return table


def funder_overlap_table(grants: pd.DataFrame, organisations: pd.DataFrame, *, top: int = 10) -> pd.DataFrame:
    """The funder pairs that share most recipients, named from the organisations table.

    Funders outside the study are "an organisation outside the study" (never the grant
    file's name), so pseudonyms hold on stakeholder pages.

    Examples
    --------
    >>> g = pd.DataFrame({"Funding Org:Identifier": ["f", "f", "h"], "Recipient Org:Identifier": ["a", "b", "b"]})
    >>> orgs = pd.DataFrame({"org_id": ["f"], "name": ["Funder 1"]})
    >>> funder_overlap_table(g, orgs).to_dict("records")
    [{'funder': 'Funder 1', 'and funder': 'an organisation outside the study', 'organisations both fund': 1, 'overlap (Jaccard)': '0.50'}]
    """
    overlap = funder_overlap(grants).sort_values(["shared_recipients", "jaccard"], ascending=False).head(top)
    return pd.DataFrame({
        "funder": [recipient_label(f, organisations) for f in overlap["funder_a"]],
        "and funder": [recipient_label(f, organisations) for f in overlap["funder_b"]],
        "organisations both fund": overlap["shared_recipients"].astype(int).to_numpy(),
        "overlap (Jaccard)": [f"{j:.2f}" for j in overlap["jaccard"]],
    })


def overlap_sentence(grants: pd.DataFrame, *, place_name: str, phase_label: str) -> str:
    """A plain-English sentence on whether funders in a place fund the same organisations.

    Examples
    --------
    >>> g = pd.DataFrame({"Funding Org:Identifier": ["f", "f", "h"], "Recipient Org:Identifier": ["a", "b", "b"]})
    >>> overlap_sentence(g, place_name="Coventry", phase_label="emergency")
    'In the emergency phase, 1 of the 2 organisations funded in Coventry had grants from more than one funder.'
    """
    pairs = grants[["Funding Org:Identifier", "Recipient Org:Identifier"]].drop_duplicates()
    if pairs.empty:
        return f"No grants to organisations in {place_name} are recorded for the {phase_label} phase."
    per_recipient = pairs.groupby("Recipient Org:Identifier").size()
    several = int((per_recipient > 1).sum())
    return (f"In the {phase_label} phase, {several} of the {len(per_recipient)} organisations funded in {place_name} "
            "had grants from more than one funder.")
