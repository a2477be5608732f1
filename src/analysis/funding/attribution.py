"""Which place and phase a grant belongs to: by organisation, geographic code or postcode district; import files."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import pandas as pd

from analysis.files import csv_bytes_for_people, write_new_file
from analysis.funding.threesixtygiving import GRANT_COLUMNS, POSTCODE_COLUMN
from analysis.study import phase_of_dates

__all__ = [
    "postcode_district",
    "phase_of_dates",
    "attribute_places",
    "attribution_summary",
    "import_file_name",
    "write_import",
    "IMPORT_COLUMNS",
]

#: Columns of an import file: the grants table's, the recipient's postcode, and the place
#: the import attributed (the study loader honours an explicit place_id).
IMPORT_COLUMNS = list(GRANT_COLUMNS) + [POSTCODE_COLUMN, "place_id"]

BY_ORGANISATION = "recipient is a study organisation"
BY_CODE = "beneficiary geographic code"
BY_POSTCODE = "recipient postcode district"
NO_MATCH_DISTRICT = "postcode district not listed for any place"
NO_MATCH_BAD_POSTCODE = "postcode is not a UK postcode"
NO_MATCH_NOTHING = "no postcode, and neither recipient nor beneficiary code is in the study"


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


def _numbered(grants: pd.DataFrame, field: str) -> list[str]:
    """The unnumbered column and its numbered siblings (further recipients or locations)."""
    prefix, title = field.split(":", 1)
    numbered = sorted((c for c in grants if re.fullmatch(rf"{re.escape(prefix)}:\d+:{re.escape(title)}", c)),
                      key=lambda c: int(c.split(":")[1]))
    return ([field] if field in grants else []) + numbered


def _first_match(grants: pd.DataFrame, columns: list[str], lookup: dict) -> pd.Series:
    found = pd.Series(pd.NA, index=grants.index, dtype="string")
    for column in columns:
        found = found.fillna(grants[column].astype("string").str.strip().map(lookup).astype("string"))
    return found


def attribute_places(grants: pd.DataFrame, places: pd.DataFrame, organisations: pd.DataFrame,
                     postcode_districts: dict | None = None) -> pd.DataFrame:
    """Which of the study's places each grant belongs to, and why.

    In order: the recipient's identifier is a study organisation (its place); else a
    beneficiary location's geographic code is a place's ``ons_code``; else the recipient's
    postcode district (outward code: ``CV21 3XX`` -> ``CV21``) is one that study.yml's
    ``postcode_districts`` lists for a place. Every recipient and beneficiary location of a
    grant is tried, the first listed first.

    Parameters
    ----------
    grants : pandas.DataFrame
        As :func:`analysis.funding.threesixtygiving.read_360giving` returns.
    places, organisations : pandas.DataFrame
        The study's tables.
    postcode_districts : dict, optional
        ``{place_id: ["CV1", "CV2", ...]}`` from study.yml.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``grants``: ``place_id`` (<NA> when unattributed), ``matched_by`` (how it
        was attributed) and ``reason`` (why not, for the unattributed).

    Examples
    --------
    >>> grants = pd.DataFrame({"Recipient Org:Identifier": ["GB-CHC-1", "GB-CHC-2", "GB-CHC-3", "GB-CHC-4"],
    ...     "Beneficiary Location:Geographic Code": [None, "E09000029", None, None],
    ...     "Recipient Org:Postal Code": [None, None, "CV1 3HW", "CV21 2AG"]})
    >>> places = pd.DataFrame({"place_id": ["coventry", "sutton"], "ons_code": ["E08000026", "E09000029"]})
    >>> orgs = pd.DataFrame({"org_id": ["GB-CHC-1"], "place_id": ["coventry"]})
    >>> attribute_places(grants, places, orgs, {"coventry": ["CV1"]})["place_id"].tolist()
    ['coventry', 'sutton', 'coventry', <NA>]
    """
    place_of_org = dict(zip(organisations["org_id"].astype(str), organisations["place_id"].astype(str), strict=False))
    codes = places.dropna(subset=["ons_code"]) if "ons_code" in places else places.iloc[0:0]
    place_of_code = {str(c).strip().upper(): str(p) for c, p in zip(codes["ons_code"], codes["place_id"], strict=False)}
    place_of_district = {}
    for place_id, districts in (postcode_districts or {}).items():
        for district in districts or []:
            place_of_district[str(district).strip().upper().replace(" ", "")] = str(place_id)

    by_org = _first_match(grants, _numbered(grants, "Recipient Org:Identifier"), place_of_org)
    code_columns = _numbered(grants, "Beneficiary Location:Geographic Code")
    upper = grants[code_columns].apply(lambda c: c.astype("string").str.upper()) if code_columns else grants.iloc[:, 0:0]
    by_code = _first_match(upper, code_columns, place_of_code)
    postcode_columns = _numbered(grants, POSTCODE_COLUMN)
    districts = grants[postcode_columns].apply(postcode_district) if postcode_columns else grants.iloc[:, 0:0]
    by_postcode = _first_match(districts, postcode_columns, place_of_district)

    place = by_org.fillna(by_code).fillna(by_postcode)
    matched_by = pd.Series(pd.NA, index=grants.index, dtype="string")
    matched_by = matched_by.mask(by_postcode.notna(), BY_POSTCODE).mask(by_code.notna(), BY_CODE)
    matched_by = matched_by.mask(by_org.notna(), BY_ORGANISATION)

    has_postcode = (grants[postcode_columns].notna().any(axis=1) if postcode_columns
                    else pd.Series(False, index=grants.index))
    has_district = districts.notna().any(axis=1) if postcode_columns else pd.Series(False, index=grants.index)
    reason = pd.Series(pd.NA, index=grants.index, dtype="string")
    unmatched = place.isna()
    reason[unmatched & has_district] = NO_MATCH_DISTRICT
    reason[unmatched & has_postcode & ~has_district] = NO_MATCH_BAD_POSTCODE
    reason[unmatched & ~has_postcode] = NO_MATCH_NOTHING
    return pd.DataFrame({"place_id": place, "matched_by": matched_by, "reason": reason}, index=grants.index)


def attribution_summary(attribution: pd.DataFrame, place_ids) -> pd.DataFrame:
    """Counts of grants per place and how they matched, then unattributed grants by reason.

    Examples
    --------
    >>> a = pd.DataFrame({"place_id": ["x", None], "matched_by": ["recipient postcode district", None],
    ...                   "reason": [None, "postcode is not a UK postcode"]})
    >>> attribution_summary(a, ["x", "y"])["grants"].tolist()
    [1, 0, 1]
    """
    hows = {BY_ORGANISATION: "by organisation", BY_CODE: "by geographic code", BY_POSTCODE: "by postcode district"}
    rows = []
    for place_id in place_ids:
        mine = attribution[attribution["place_id"] == place_id]
        counts = mine["matched_by"].value_counts()
        rows.append({"place": place_id, "reason": "", "grants": len(mine),
                     **{label: int(counts.get(how, 0)) for how, label in hows.items()}})
    for reason, n in attribution.loc[attribution["place_id"].isna(), "reason"].value_counts().items():
        rows.append({"place": "(unattributed)", "reason": reason, "grants": int(n)})
    table = pd.DataFrame(rows, columns=["place", "reason", "grants", *hows.values()])
    return table.fillna({c: 0 for c in hows.values()}).astype({c: int for c in ("grants", *hows.values())})


def import_file_name(source: Path, when: datetime | None = None, n: int = 1) -> str:
    """The n-th candidate name ``grants-<source>-<yyyymmddThhmmss>[-n].csv`` for an import.

    Examples
    --------
    >>> import_file_name(Path("Covid 19 tracker.json"), datetime(2024, 5, 1, 9, 30))
    'grants-covid-19-tracker-20240501T093000.csv'
    >>> import_file_name(Path("Covid 19 tracker.json"), datetime(2024, 5, 1, 9, 30), n=2)
    'grants-covid-19-tracker-20240501T093000-2.csv'
    """
    stem = re.sub(r"[^a-z0-9]+", "-", source.stem.lower()).strip("-") or "grants"
    stamp = (when or datetime.now()).strftime("%Y%m%dT%H%M%S")
    return f"grants-{stem}-{stamp}.csv" if n == 1 else f"grants-{stem}-{stamp}-{n}.csv"


def write_import(grants: pd.DataFrame, imports: Path, source: Path) -> Path:
    """Write grants to a new file in ``imports/``, atomically, never overwriting one that exists.

    Text cells that a spreadsheet would run as a formula (a title beginning with ``=``, ``+``,
    ``-`` or ``@``) are written with a leading ``'`` (:func:`analysis.files.neutralise_cell`);
    the loader restores them.
    """
    out = grants.reindex(columns=IMPORT_COLUMNS).copy()
    for column in ("Award Date", "Application Date"):
        out[column] = pd.to_datetime(out[column]).dt.strftime("%Y-%m-%d")
    when = datetime.now()
    data = csv_bytes_for_people(out, encoding="utf-8")  # formula cells neutralised; the loader restores them
    return write_new_file(imports, lambda n: import_file_name(source, when, n), data)
