"""Load a study data package into validated, typed tables: `load_study(path) -> Study`."""

from __future__ import annotations

import dataclasses
import hashlib
import os
import re
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.csv_text import CP1252_NOTE, RaggedRowsError, read_csv_text
from analysis.errors import ReadError, plain_reason
from analysis.files import restore_formulas
from analysis.paths import resolve_study_path
from analysis.places import place_codes, with_former_codes
from analysis.schema import SECTOR_GROUP_OF, TABLES, TRUST_COLUMNS, VALUE_COLUMNS, Table
from analysis.settings import DEFAULT_SETTINGS, check_settings, read_settings
from analysis.validation import (
    Problems,
    StudyValidationError,
    TableSource,
    check_across_tables,
    check_study_shape,
    check_table,
    coerce_table,
    distinct_text,
    id_key,
    map_distinct,
)

__all__ = ["Study", "StudyValidationError", "load_study", "study_from_tables", "phase_of_dates", "DEFAULT_SETTINGS"]

#: Grants may carry these columns beyond the schema's: written by `coordination import-grants`.
GRANT_EXTRA_COLUMNS = ("place_id", "Recipient Org:Postal Code", "matched_by", "source_file", "source_licence",
                       "imported_on")


@dataclasses.dataclass(frozen=True, repr=False)
class Study:
    """A loaded, validated study: its settings and one typed DataFrame per table.

    Build one with :func:`load_study` (from files) or :func:`study_from_tables` (in code).
    """

    path: Path | None
    settings: dict
    places: pd.DataFrame
    phases: pd.DataFrame
    organisations: pd.DataFrame
    relationships: pd.DataFrame
    boards: pd.DataFrame
    themes: pd.DataFrame
    evidence: pd.DataFrame
    survey_items: pd.DataFrame
    survey_responses: pd.DataFrame
    grants: pd.DataFrame
    fingerprint: str = ""
    #: warnings found on load (same columns as StudyValidationError.problems)
    warnings: pd.DataFrame = dataclasses.field(default_factory=lambda: pd.DataFrame())

    # -- settings
    @property
    def name(self) -> str:
        return self.settings.get("name") or self.slug

    @property
    def description(self) -> str:
        return self.settings.get("description") or ""

    @property
    def illustrative(self) -> bool:
        return bool(self.settings.get("illustrative"))

    @property
    def tie_min_level(self) -> int:
        return int(self.settings.get("tie_min_level", 2))

    @property
    def disclosure_threshold(self) -> int:
        return int(self.settings.get("disclosure_threshold", 5))

    @property
    def slug(self) -> str:
        if self.path is None:
            return str(self.settings.get("slug") or "study")
        return self.path.stem if self.path.is_file() else self.path.name

    # -- places and phases
    @property
    def place_ids(self) -> list[str]:
        return [str(p) for p in self.places["place_id"]]

    @property
    def phase_ids(self) -> list[str]:
        return [str(p) for p in self.phases["phase_id"]]

    @property
    def first_phase(self) -> str:
        return self.phase_ids[0]

    def previous_phase(self, phase_id: str) -> str | None:
        """The phase before ``phase_id`` in time order, or None for the first."""
        ids = self.phase_ids
        if phase_id not in ids:
            raise KeyError(f"phase {phase_id!r} is not in the study (phases: {', '.join(ids)})")
        i = ids.index(phase_id)
        return ids[i - 1] if i else None

    def place_name(self, place_id: str) -> str:
        row = self.places.loc[self.places["place_id"] == place_id, "name"]
        if row.empty:
            raise KeyError(f"place {place_id!r} is not in the study (places: {', '.join(self.place_ids)})")
        return str(row.iloc[0])

    def phase_label(self, phase_id: str) -> str:
        row = self.phases.loc[self.phases["phase_id"] == phase_id, "label"]
        if row.empty:
            raise KeyError(f"phase {phase_id!r} is not in the study (phases: {', '.join(self.phase_ids)})")
        return str(row.iloc[0])

    def table(self, name: str) -> pd.DataFrame:
        if name not in TABLES:
            raise KeyError(f"no table {name!r}; tables are {', '.join(TABLES)}")
        return getattr(self, name)

    def replace(self, **changes) -> Study:
        """A copy with some tables (or settings) swapped; the fingerprint is kept."""
        return dataclasses.replace(self, **changes)

    # -- how a study shows itself in a notebook (imports are local to keep this block self-contained)
    def _row_counts(self) -> list[tuple[str, int]]:
        """``(table, number of rows)`` for every table, in the schema's order."""
        return [(t, int(len(getattr(self, t)))) for t in TABLES]

    def __repr__(self) -> str:
        """Plain text in short lines: one table per line, counts as whole tokens such as ``1,702``.

        No line is longer than 76 characters unless a single place name, phase id or the
        study's name is, so a narrow output area never breaks a number in two.
        """
        def wrapped(label: str, items: list[str], sep: str) -> list[str]:
            # Lines break between items only, so no name and no number is ever split.
            lines, line = [], f"  {label}:"
            indent = " " * (len(label) + 4)
            for i, item in enumerate(items):
                piece = item + (sep.rstrip() if i < len(items) - 1 else "")
                if line.strip().endswith(":") or len(line) + 1 + len(piece) <= 76:
                    line += " " + piece
                else:
                    lines.append(line)
                    line = indent + piece
            return lines + [line]

        counts = self._row_counts()
        width = max(len(t) for t, _ in counts)
        flag = " (illustrative)" if self.illustrative else ""
        lines = [f"<Study {self.name!r}{flag}"]
        lines += wrapped("places", [str(n) for n in self.places["name"]], ", ")
        lines += wrapped("phases", self.phase_ids, " -> ")
        lines.append("  rows per table:")
        lines += [f"    {t:>{width}} {n:,}" for t, n in counts]
        if len(self.warnings):
            lines.append(f"  warnings on load: {len(self.warnings):,} (see .warnings)")
        lines.append(f"  fingerprint: {self.fingerprint}>")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        """A small table in the suite's look for JupyterLab: places, phases, rows per table, fingerprint.

        Styles are inline because the lab does not load the pages' stylesheet: text is
        left-aligned, counts right-aligned in tabular figures, rules above and below, zebra rows.
        Every string from the study (its name, place names, phase labels) is escaped.
        """
        import html

        e = html.escape
        rule = "2px solid currentColor"
        cell = "padding:0.25rem 0.75rem;text-align:left;vertical-align:top;border:0"
        number = "padding:0.25rem 0.75rem;text-align:right;vertical-align:top;border:0;white-space:nowrap"
        details = {"places": ", ".join(e(str(n)) for n in self.places["name"]),
                   "phases": " &rarr; ".join(e(self.phase_label(p)) for p in self.phase_ids)}
        rows = []
        for i, (t, n) in enumerate(self._row_counts()):
            zebra = ' style="background:rgba(127,127,127,0.08)"' if i % 2 else ""
            rows.append(f'<tr{zebra}><th scope="row" style="{cell};font-weight:600">{e(t)}</th>'
                        f'<td style="{number}">{n:,}</td><td style="{cell}">{details.get(t, "")}</td></tr>')
        flag = " (illustrative)" if self.illustrative else ""
        foot = f"data fingerprint <code>{e(self.fingerprint)}</code>"
        if len(self.warnings):
            foot += f"; {len(self.warnings):,} warnings on load (see <code>.warnings</code>)"
        head = "".join(f'<th scope="col" style="{style};border-bottom:1px solid currentColor">{label}</th>'
                       for label, style in (("table", cell), ("rows", number), ("", cell)))
        return (f'<table class="cip-table cip-study" style="border-collapse:collapse;border-top:{rule};'
                f'border-bottom:{rule};font-variant-numeric:tabular-nums;margin:0.5rem 0">'
                f'<caption style="caption-side:top;text-align:left;padding-bottom:0.3rem">'
                f"<strong>{e(self.name)}</strong>{flag}</caption>"
                f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody>"
                f'<tfoot><tr><td colspan="3" style="{cell};font-size:0.85em;border-top:1px solid currentColor">'
                f"{foot}</td></tr></tfoot></table>")


# --------------------------------------------------------------------------- reading

def _match_headers(raw: pd.DataFrame, table: Table, source: TableSource, problems: Problems) -> pd.DataFrame:
    """Rename headers to the schema's names, matching case-insensitively and ignoring spaces."""
    wanted = {c.lower(): c for c in table.column_names}
    if table.name == "grants":
        wanted.update({c.lower(): c for c in GRANT_EXTRA_COLUMNS})
    rename, seen = {}, {}
    for h in raw.columns:
        key = str(h).replace("\ufeff", "").strip().lower()
        if key in wanted:
            name = wanted[key]
            if name in seen:
                problems.add(source, None, str(h), "", f"column appears twice (also as {seen[name]!r})")
                continue
            rename[h] = name
            seen[name] = str(h).strip()
            source.headers[name] = str(h).replace("\ufeff", "").strip()
        elif key and not key.startswith("unnamed:"):
            problems.warn(source, None, str(h).strip(), "",
                          f"column not in the {table.name} table of the study data package: ignored")
    missing = [c for c in table.required_columns if c not in seen]
    for c in missing:
        problems.add(source, None, c, "", "required column is missing")
    keep = [h for h in raw.columns if h in rename]
    out = raw[keep].rename(columns=rename)
    return out


#: A cell holding only these is blank: white space (as ``str.strip`` removes it) and the invisible
#: format characters a pasted cell can carry (soft hyphen, zero-width space and joiners, direction
#: marks, word joiner, byte-order mark).
_ONLY_BLANK = re.compile(r"[\s\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]*")


def _blank_cell(value):
    """A cell as read, trimmed; ``<NA>`` for a blank one (nothing, white space or invisible characters only).

    Examples
    --------
    >>> [_blank_cell(v) for v in ("  North  ", " \\u200b\\u00a0", "", float("nan"), None, 3)]
    ['North', <NA>, <NA>, <NA>, <NA>, 3]
    """
    if value is None:
        return pd.NA
    if isinstance(value, str):
        s = value.strip()
        return pd.NA if _ONLY_BLANK.fullmatch(s) else s
    if isinstance(value, float) and np.isnan(value):
        return pd.NA
    return value


def _blank_to_na(raw: pd.DataFrame) -> pd.DataFrame:
    """Every cell through :func:`_blank_cell`; a column of strings becomes categorical.

    Each distinct string of a column is trimmed once, and the column is kept as codes into its
    trimmed values, so that converting it to its type later (:func:`analysis.validation.coerce_table`)
    need not factorise it again. Other columns (a workbook's numbers, dates and text) are cleaned
    cell by cell and stay objects.
    """
    columns = {}
    for name in raw.columns:
        factorised = distinct_text(raw[name])
        if factorised is None:
            columns[name] = map_distinct(raw[name], _blank_cell, missing=pd.NA)
            continue
        codes, distinct = factorised
        cleaned = pd.Series([_blank_cell(v) for v in distinct], dtype=object)
        cleaned_codes, categories = pd.factorize(cleaned, use_na_sentinel=True)
        codes = np.append(cleaned_codes, -1)[codes]  # a missing value (code -1) stays missing
        columns[name] = pd.Categorical.from_codes(codes, categories=pd.Index(categories, dtype=object))
    return pd.DataFrame(columns, index=raw.index, columns=raw.columns)


def _read_csv(path: Path, label: str, problems: Problems) -> pd.DataFrame | None:
    """A table's CSV file as strings (UTF-8 with or without BOM, or Windows-1252 with a warning).

    A file that cannot be read is a problem row naming it (and the rows at fault), and None.
    """
    try:
        # an empty line is a row as a spreadsheet numbers rows: kept (and dropped as blank later) so that
        # the rows after it are reported by their own numbers
        read = read_csv_text(path, skip_blank_lines=False)
    except RaggedRowsError as exc:
        for row, fields in exc.rows:
            problems.add(TableSource(label, rows=np.array([row])), 0, "", "",
                         f"has {fields} fields but the header has {exc.header_fields}: "
                         "a value holding a comma must be in double quotes")
        return None
    except ReadError as exc:
        problems.add(TableSource(label), None, "", "", exc.reason)
        return None
    if read.encoding == "cp1252":
        problems.warn(TableSource(label), None, "", "", CP1252_NOTE)
    return read.frame


def _find_csv(folder: Path, table: str) -> Path | None:
    for p in sorted(folder.glob("*.csv")):
        if p.stem.strip().lower() == table:
            return p
    return None


def _read_sources(path: Path, problems: Problems) -> tuple[dict, dict, list[Path]]:
    """Raw tables (values as read, blanks as NA) and where each came from."""
    raws: dict[str, pd.DataFrame] = {}
    sources: dict[str, TableSource] = {}
    files: list[Path] = []
    folder = path if path.is_dir() else path.parent
    xlsx = path if path.is_file() else (folder / "study.xlsx")
    if xlsx.is_file():
        files.append(xlsx)
        try:
            sheets = pd.read_excel(xlsx, sheet_name=None, dtype=object, header=0, engine="openpyxl")
        except Exception as exc:  # noqa: BLE001 -- openpyxl raises many kinds for a damaged workbook: a data problem
            problems.add(TableSource(xlsx.name), None, "", "", f"cannot read the workbook: {exc}")
            sheets = {}
        for sheet, raw in sheets.items():
            name = str(sheet).strip().lower()
            if name in TABLES:
                raws[name] = raw
                sources[name] = TableSource(xlsx.name, sheet=str(sheet), rows=np.arange(len(raw)) + 2)
    for name in TABLES:
        csv = _find_csv(folder, name)
        if csv is None:
            continue
        if name in raws:
            problems.add(TableSource(csv.name), None, "", "",
                         f"table {name} is given twice: in {xlsx.name} and as {csv.name}")
            continue
        files.append(csv)
        raw = _read_csv(csv, csv.name, problems)
        raws[name] = raw  # None when unreadable: reported already, and not "missing"
        rows = None if raw is None else np.arange(len(raw)) + 2
        sources[name] = TableSource(csv.name, rows=rows, unreadable=raw is None)
    imports = folder / "imports"
    if imports.is_dir():
        for csv in sorted(imports.glob("*.csv")):
            name = csv.stem.split("-", 1)[0].strip().lower()
            if name not in TABLES:
                problems.warn(TableSource(f"imports/{csv.name}"), None, "", "",
                              "imported file name does not start with a table name and '-': ignored")
                continue
            files.append(csv)
            label = f"imports/{csv.name}"
            raw = _read_csv(csv, label, problems)
            if raw is None:
                continue
            raw = restore_formulas(raw)  # cells neutralised by write_csv_for_people
            if raws.get(name) is not None:
                _append_source(raws, sources, name, raw, label)
            else:
                raws[name] = raw
                sources[name] = TableSource(label, rows=np.arange(len(raw)) + 2)
    return raws, sources, files


def _append_source(raws, sources, name, raw, label):
    """Stack an imported file under a table, remembering each row's own file and row number."""
    base = raws[name]
    src = sources[name]
    canon = {str(c).replace("\ufeff", "").strip().lower(): c for c in base.columns}
    raw = raw.rename(columns=lambda c: canon.get(str(c).replace("\ufeff", "").strip().lower(), c))
    n0 = len(base)
    combined = pd.concat([base, raw], ignore_index=True)
    files = getattr(src, "files", None) or [(src.file, src.sheet, 0, n0, src.rows)]
    files.append((label, "", n0, n0 + len(raw), np.arange(len(raw)) + 2))
    raws[name] = combined
    sources[name] = _MultiSource(files)


class _MultiSource(TableSource):
    """A table assembled from several files: each row reports its own file and row."""

    def __init__(self, files):
        super().__init__(file=files[0][0], sheet=files[0][1])
        self.files = files

    def _part(self, index):
        for part in self.files:
            if part[2] <= index < part[3]:
                return part
        return self.files[0]

    def row_of(self, index):
        part = self._part(int(index))
        return int(part[4][int(index) - part[2]])

    def file_of(self, index):
        return self._part(int(index))[0]


def _read_settings(path: Path, problems: Problems) -> dict:
    folder = path if path.is_dir() else path.parent
    return read_settings(folder, problems)


# --------------------------------------------------------------------------- building

def _build(raws: dict, sources: dict, settings: dict, problems: Problems, path, fingerprint: str) -> Study:
    tables: dict[str, pd.DataFrame] = {}
    for name, table in TABLES.items():
        if raws.get(name) is None:
            if table.required and name not in raws:
                problems.add(TableSource(f"{name}.csv"), None, "", "", f"the {name} table is required and missing")
            raw = pd.DataFrame(columns=table.column_names)
            source = sources.get(name) or TableSource(f"{name}.csv")
        else:
            source = sources[name]
            raw = _blank_to_na(_match_headers(raws[name], table, source, problems))
            raw = raw.dropna(how="all")  # fully blank spreadsheet rows are not data (the index keeps row numbers)
        try:
            typed = coerce_table(table, raw, source, problems)
            check_table(table, typed, raw, source, problems)
        except Exception as exc:  # noqa: BLE001 -- never a traceback for a bad file: the table is reported instead
            problems.add(source, None, "", "", f"this table could not be checked: {plain_reason(exc)}")
            typed = coerce_table(table, raw.iloc[0:0], source, problems)
        tables[name] = typed
        sources[name] = source
    try:
        check_across_tables(tables, sources, problems)
        check_study_shape(tables, sources, settings, problems)
    except Exception as exc:  # noqa: BLE001 -- never a traceback for a bad file: one problem row instead
        problems.add(None, None, "", "", f"the checks across tables could not be finished: {plain_reason(exc)}")
    frame = problems.frame()
    if problems.has_errors:
        raise StudyValidationError(frame, path)
    for name, table in TABLES.items():
        tables[name] = _finish_types(table, tables[name])
    tables = _derive(tables)
    settings = dict(settings, nameable=_resolve_nameable(settings.get("nameable") or [], tables["organisations"]))
    settings = _with_published_funders(settings, tables)
    return Study(path=path, settings=settings, fingerprint=fingerprint, warnings=frame, **tables)


def _resolve_nameable(nameable: list, organisations: pd.DataFrame) -> list:
    """study.yml's nameable org_ids as the organisations table writes them (ids ignore case and spaces)."""
    spelling: dict[str, str] = {}
    for org_id in organisations["org_id"].dropna():
        spelling.setdefault(id_key(org_id), str(org_id))
    return [spelling.get(id_key(x), x) for x in nameable]


def _with_published_funders(settings: dict, tables: dict) -> dict:
    """Funders publish their grants openly: unless study.yml says ``name_funders: false``, pages may name them.

    Every funder of the grants table becomes nameable, except an organisation of the study whose
    sector is not ``funder`` (a charity that also regrants keeps its pseudonym).
    """
    if settings.get("name_funders", True) is False or not len(tables["grants"]):
        return settings
    orgs = tables["organisations"]
    not_funders = set(orgs.loc[orgs["sector"].astype("string") != "funder", "org_id"].astype(str))
    funders = [str(f) for f in tables["grants"]["Funding Org:Identifier"].dropna().unique()
               if str(f) not in not_funders]
    nameable = list(settings.get("nameable") or [])
    return dict(settings, nameable=nameable + [f for f in funders if f not in set(nameable)])


def _finish_types(table: Table, df: pd.DataFrame) -> pd.DataFrame:
    df = df.reset_index(drop=True)
    for col in table.columns:
        if col.kind == "enum":
            df[col.name] = pd.Categorical(df[col.name].astype("object").where(df[col.name].notna(), None),
                                          categories=list(col.values), ordered=True)
    return df


def _derive(tables: dict) -> dict:
    orgs = tables["organisations"]
    tables["places"] = with_former_codes(tables["places"])
    orgs["sector_group"] = orgs["sector"].map(
        lambda s: SECTOR_GROUP_OF.get(s) if isinstance(s, str) else None).astype("string")
    tables["phases"] = tables["phases"].sort_values("start_date", kind="stable").reset_index(drop=True)
    rel = tables["relationships"]
    rel["trust"] = rel[list(TRUST_COLUMNS)].astype("float64").mean(axis=1, skipna=True)
    rel["value"] = rel[list(VALUE_COLUMNS)].astype("float64").mean(axis=1, skipna=True)
    tables["grants"] = _attribute_grants(tables["grants"], orgs, tables["places"], tables["phases"])
    return tables


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


def _attribute_grants(grants, orgs, places, phases) -> pd.DataFrame:
    """Place through the recipient's org_id, else the beneficiary code; phase through the award date."""
    g = grants.copy()
    place_of_org = orgs.set_index("org_id")["place_id"]
    place_of_code = place_codes(places)  # current and former ONS codes
    by_org = g["Recipient Org:Identifier"].map(place_of_org)
    by_code = g["Beneficiary Location:Geographic Code"].astype("string").str.strip().str.upper().map(place_of_code)
    explicit = g["place_id"] if "place_id" in g.columns else pd.Series(pd.NA, index=g.index)
    explicit = explicit.where(explicit.isin(set(places["place_id"])))
    g["place_id"] = explicit.fillna(by_org).fillna(by_code).astype("string")
    g["phase_id"] = phase_of_dates(g["Award Date"], phases)
    g["days_to_award"] = (g["Award Date"] - g["Application Date"]).dt.days.astype("float64")
    return g


def _fingerprint(folder: Path, files: list[Path]) -> str:
    h = hashlib.sha256()
    yml = folder / "study.yml"
    for p in sorted({*files, *([yml] if yml.is_file() else [])}):
        h.update(str(p.relative_to(folder)).encode())
        h.update(b"\0")
        try:
            with open(p, "rb") as fh:
                for block in iter(lambda: fh.read(1 << 20), b""):
                    h.update(block)
        except OSError:  # unreadable: reported as a problem when it was read
            h.update(b"unreadable")
        h.update(b"\0")
    return h.hexdigest()[:12]


def load_study(path: str | os.PathLike = "data/example") -> Study:
    """Load and validate a study: a folder of CSVs (or one ``study.xlsx``) plus ``study.yml``.

    Every rule of the study data package is checked and every problem reported at once.
    Files are only read: loading never writes into the study folder.

    Parameters
    ----------
    path : str or path
        The study folder, its ``study.xlsx``, or a study name under ``data/``.

    Returns
    -------
    Study

    Raises
    ------
    StudyValidationError
        When any rule is broken; ``.problems`` is a DataFrame of them all.
    FileNotFoundError
        When there is no such study.

    Examples
    --------
    >>> study = load_study("data/example")
    >>> study.phase_ids
    ['baseline', 'emergency', 'interim', 'final']
    """
    path = resolve_study_path(path)
    folder = path if path.is_dir() else path.parent
    problems = Problems()
    try:
        settings = _read_settings(path, problems)
        raws, sources, files = _read_sources(path, problems)
        fingerprint = _fingerprint(folder, files)
    except OSError as exc:  # a folder that cannot be listed, a file that vanished: one problem row
        where = Path(exc.filename).name if getattr(exc, "filename", None) else str(folder)
        problems.add(TableSource(where), None, "", "", plain_reason(exc))
        raise StudyValidationError(problems.frame(), path) from exc
    study = _build(raws, sources, settings, problems, path, fingerprint)
    return study


def study_from_tables(tables: dict[str, pd.DataFrame], settings: dict | None = None, name: str = "test") -> Study:
    """Build a Study from DataFrames in memory, with the same typing and checks as files get.

    Values may be strings as a CSV holds them or Python values; each table is reported as
    ``<table> (in memory)`` in problems.

    Examples
    --------
    >>> s = study_from_tables({
    ...     "places": pd.DataFrame({"place_id": ["a"], "name": ["A"]}),
    ...     "phases": pd.DataFrame({"phase_id": ["p1"], "label": ["One"],
    ...                             "start_date": ["2020-01-01"], "end_date": ["2020-06-30"]}),
    ...     "organisations": pd.DataFrame({"org_id": ["o1"], "name": ["Org"], "place_id": ["a"],
    ...                                    "sector": ["vcse"]}),
    ... })
    >>> s.organisations["sector_group"].tolist()
    ['vcse']
    """
    problems = Problems()
    full = dict(DEFAULT_SETTINGS, name=name, slug=name)
    full.update(settings or {})
    check_settings(full, problems)
    raws, sources = {}, {}
    for tname, df in tables.items():
        if tname not in TABLES:
            raise KeyError(f"no table {tname!r}; tables are {', '.join(TABLES)}")
        raws[tname] = df.reset_index(drop=True).astype(object)
        sources[tname] = TableSource(f"{tname} (in memory)", rows=np.arange(len(df)) + 2)
    h = hashlib.sha256()
    for tname in sorted(raws):
        h.update(tname.encode())
        h.update(raws[tname].to_csv(index=False).encode())
    return _build(raws, sources, full, problems, None, h.hexdigest()[:12])
