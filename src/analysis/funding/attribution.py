"""Which place and phase a grant belongs to: by organisation, geographic code or postcode district; import files."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import pandas as pd

from analysis.files import csv_bytes_for_people, write_new_file
from analysis.funding.threesixtygiving import GRANT_COLUMNS, GRANTNAV_DISTRICT_COLUMNS, POSTCODE_COLUMN
from analysis.places import place_area_names, place_codes
from analysis.study import phase_of_dates

__all__ = [
    "postcode_district",
    "phase_of_dates",
    "attribute_places",
    "attribution_summary",
    "beneficiary_area_name",
    "import_file_name",
    "import_csv_bytes",
    "write_import",
    "IMPORT_COLUMNS",
    "ATTRIBUTION_RULES",
    "ATTRIBUTION_SETTINGS",
]

#: Provenance columns an import file carries for each grant: the publisher's file, its licence and the day of
#: import (funding pages end with these), and the rule that attributed the grant's place.
PROVENANCE_COLUMNS = ["matched_by", "source_file", "source_licence", "imported_on"]
#: Columns of an import file: the grants table's, the recipient's postcode, the place the import
#: attributed (the study loader honours an explicit place_id) and the provenance columns.
IMPORT_COLUMNS = list(GRANT_COLUMNS) + [POSTCODE_COLUMN, "place_id"] + PROVENANCE_COLUMNS

BY_ORGANISATION = "recipient is a study organisation"
BY_CODE = "beneficiary local-authority code"
BY_AREA_NAME = "beneficiary area or LSOA/MSOA name"
BY_GRANTNAV_BENEFICIARY = "GrantNav beneficiary district"
BY_GRANTNAV_RECIPIENT = "GrantNav recipient district"
BY_POSTCODE = "recipient postcode district"
#: The rules, in the order they are tried.
ATTRIBUTION_RULES = (BY_ORGANISATION, BY_CODE, BY_AREA_NAME, BY_GRANTNAV_BENEFICIARY, BY_GRANTNAV_RECIPIENT,
                     BY_POSTCODE)
#: Short column headings of the rules in the import report, in the order of ATTRIBUTION_RULES.
RULE_LABELS = ("by organisation", "by LA code", "by area name", "by GrantNav (beneficiary)",
               "by GrantNav (recipient)", "by postcode")
#: study.yml ``attribution:`` values: which side decides when the beneficiary location and the recipient's address
#: disagree.
ATTRIBUTION_SETTINGS = ("beneficiary", "recipient")
NO_MATCH_DISTRICT = "postcode district not listed for any place"
NO_MATCH_BAD_POSTCODE = "postcode is not a UK postcode"
NO_MATCH_NOTHING = "no postcode, and neither recipient nor beneficiary code is in the study"
NO_MATCH_ELSEWHERE = "beneficiary location is not a place of the study"
NO_MATCH_DISAGREE = "beneficiary location is elsewhere though the recipient's address is in a place of the study"
NO_MATCH_SMALL_AREA_CODE = ("an LSOA or MSOA code with no name: matching these codes to a local authority needs "
                            "the ONS lookup, which the suite does not have offline")
_SMALL_AREA = re.compile(r"^[EW]0[12]\d{6}$")


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


def beneficiary_area_name(name) -> str | None:
    """The local-authority name a beneficiary location's name points to, normalised, or None.

    GrantNav and publishers write a path (``England/West Midlands/Coventry``: the last part
    counts), an LSOA name (``Aylesbury Vale 005C``) or an MSOA name (``Sutton 012``): an LSOA or
    MSOA name is its local authority's name (at the time it was drawn) and a number.

    Examples
    --------
    >>> [beneficiary_area_name(n) for n in ["Aylesbury Vale 005C", "England/West Midlands/Coventry", "Sutton 012",
    ...                                     "UK Whole", None]]
    ['aylesbury vale', 'coventry', 'sutton', 'uk whole', None]
    """
    if name is None or (not isinstance(name, str) and pd.isna(name)):
        return None
    last = str(name).strip().split("/")[-1]
    last = re.sub(r"\s+\d{3}[A-Za-z]?$", "", last.strip())
    key = re.sub(r"[^a-z0-9]+", " ", last.lower().replace("&", " and ")).strip()
    return key or None


def _numbered(grants: pd.DataFrame, field: str) -> list[str]:
    """The unnumbered column and its numbered siblings (further recipients or locations)."""
    prefix, title = field.split(":", 1)
    numbered = sorted((c for c in grants if re.fullmatch(rf"{re.escape(prefix)}:\d+:{re.escape(title)}", c)),
                      key=lambda c: int(c.split(":")[1]))
    return ([field] if field in grants else []) + numbered


def _first_match(grants: pd.DataFrame, columns: list[str], lookup: dict, key=None) -> pd.Series:
    found = pd.Series(pd.NA, index=grants.index, dtype="string")
    for column in columns:
        values = grants[column].astype("string").str.strip()
        if key is not None:
            values = values.map(key, na_action="ignore")
        found = found.fillna(values.map(lookup).astype("string"))
    return found


def _any_value(grants: pd.DataFrame, columns: list[str]) -> pd.Series:
    if not columns:
        return pd.Series(False, index=grants.index)
    return grants[columns].apply(lambda c: c.astype("string").str.strip().replace("", pd.NA)).notna().any(axis=1)


def _first_text(grants: pd.DataFrame, columns: list[str]) -> pd.Series:
    found = pd.Series(pd.NA, index=grants.index, dtype="string")
    for column in columns:
        found = found.fillna(grants[column].astype("string").str.strip().replace("", pd.NA))
    return found


def attribute_places(grants: pd.DataFrame, places: pd.DataFrame, organisations: pd.DataFrame,
                     postcode_districts: dict | None = None, *, attribution: str = "beneficiary") -> pd.DataFrame:
    """Which of the study's places each grant belongs to, by which rule, and why not.

    The rules, in order (:data:`ATTRIBUTION_RULES`):

    1. the recipient's identifier is a study organisation: its place;
    2. the beneficiary location (where the grant is for) names a place: by a geographic code
       that is a place's ONS code, current or former (``former_ons_codes``, filled from the
       package's predecessor lookup: Aylesbury Vale's E07000004 is Buckinghamshire); by its
       name (a local-authority name, current or former, an LSOA or MSOA name such as
       ``Aylesbury Vale 005C``, or the last part of a path such as ``England/West
       Midlands/Coventry``); or by GrantNav's beneficiary district code where the file has it;
    3. the recipient's address: GrantNav's recipient district code, else the postcode district
       (outward code: ``CV21 3XX`` -> ``CV21``) that study.yml's ``postcode_districts`` lists.

    LSOA and MSOA codes (E01, E02) are matched through their names only: mapping the codes needs
    the ONS lookup, which the suite does not ship. Where the beneficiary location and the
    recipient's address disagree (the beneficiary location is "UK Wide", "More than one UK
    Country" or another county while the recipient's address is in a place, or the two are
    different places), ``attribution`` decides: ``"beneficiary"`` (the default: the grant is
    for the beneficiary location, so it is not this place's) or ``"recipient"``.

    Every recipient and beneficiary location of a grant is tried, the first listed first.

    Parameters
    ----------
    grants : pandas.DataFrame
        As :func:`analysis.funding.threesixtygiving.read_360giving` returns.
    places, organisations : pandas.DataFrame
        The study's tables.
    postcode_districts : dict, optional
        ``{place_id: ["CV1", "CV2", ...]}`` from study.yml.
    attribution : {"beneficiary", "recipient"}
        study.yml's ``attribution`` setting.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``grants``: ``place_id`` (<NA> when unattributed), ``matched_by`` (the rule),
        ``reason`` (why not, for the unattributed), ``beneficiary_place`` and ``recipient_place``
        (what each side says), and ``disagreement`` (a sentence where the two disagree).

    Examples
    --------
    >>> grants = pd.DataFrame({"Recipient Org:Identifier": ["GB-CHC-1", "GB-CHC-2", "GB-CHC-3", "GB-CHC-4"],
    ...     "Beneficiary Location:Name": [None, "Aylesbury Vale 005C", None, "More than one UK Country"],
    ...     "Recipient Org:Postal Code": [None, None, "CV1 3HW", "CV1 3PP"]})
    >>> places = pd.DataFrame({"place_id": ["coventry", "buckinghamshire"], "name": ["Coventry", "Buckinghamshire"],
    ...                        "ons_code": ["E08000026", "E06000060"]})
    >>> orgs = pd.DataFrame({"org_id": ["GB-CHC-1"], "place_id": ["coventry"]})
    >>> attribute_places(grants, places, orgs, {"coventry": ["CV1"]})["place_id"].tolist()
    ['coventry', 'buckinghamshire', 'coventry', <NA>]
    >>> attribute_places(grants, places, orgs, {"coventry": ["CV1"]}, attribution="recipient")["place_id"].tolist()
    ['coventry', 'buckinghamshire', 'coventry', 'coventry']
    """
    if attribution not in ATTRIBUTION_SETTINGS:
        raise ValueError(f"attribution must be one of {', '.join(ATTRIBUTION_SETTINGS)}, not {attribution!r}")
    place_of_org = {str(o).strip().casefold(): str(p)
                    for o, p in zip(organisations["org_id"], organisations["place_id"], strict=False)}
    place_of_code = place_codes(places) if "ons_code" in places else {}
    place_of_name = place_area_names(places) if "name" in places else {}
    place_of_district = {}
    for place_id, districts in (postcode_districts or {}).items():
        for district in districts or []:
            place_of_district[str(district).strip().upper().replace(" ", "")] = str(place_id)
    index = grants.index

    by_org = _first_match(grants, _numbered(grants, "Recipient Org:Identifier"), place_of_org, key=str.casefold)
    code_columns = _numbered(grants, "Beneficiary Location:Geographic Code")
    name_columns = _numbered(grants, "Beneficiary Location:Name")
    gn_ben = [c for c in GRANTNAV_DISTRICT_COLUMNS["beneficiary"] if c in grants]
    gn_rec = [c for c in GRANTNAV_DISTRICT_COLUMNS["recipient"] if c in grants]
    by_code = _first_match(grants, code_columns, place_of_code, key=str.upper)
    by_name = _first_match(grants, name_columns, place_of_name, key=beneficiary_area_name)
    by_gn_ben = _first_match(grants, gn_ben, place_of_code, key=str.upper)
    by_gn_rec = _first_match(grants, gn_rec, place_of_code, key=str.upper)
    postcode_columns = _numbered(grants, POSTCODE_COLUMN)
    districts = grants[postcode_columns].apply(postcode_district) if postcode_columns else grants.iloc[:, 0:0]
    by_postcode = _first_match(districts, postcode_columns, place_of_district)

    beneficiary = by_code.fillna(by_name).fillna(by_gn_ben)
    recipient = by_gn_rec.fillna(by_postcode)
    said_somewhere = _any_value(grants, code_columns + name_columns + gn_ben)
    ben_elsewhere = said_somewhere & beneficiary.isna()
    disagree = recipient.notna() & ((beneficiary.notna() & (beneficiary != recipient).fillna(False)) | ben_elsewhere)
    if attribution == "beneficiary":
        decided = beneficiary.where(said_somewhere, recipient)
    else:
        decided = recipient.fillna(beneficiary)
    place = by_org.fillna(decided)

    rule_of = [(by_postcode, BY_POSTCODE), (by_gn_rec, BY_GRANTNAV_RECIPIENT), (by_gn_ben, BY_GRANTNAV_BENEFICIARY),
               (by_name, BY_AREA_NAME), (by_code, BY_CODE)]
    matched_by = pd.Series(pd.NA, index=index, dtype="string")
    for found, rule in rule_of:  # the earliest rule that found the decided place wins
        matched_by = matched_by.mask(found.notna() & (found == decided).fillna(False), rule)
    matched_by = matched_by.where(decided.notna())
    matched_by = matched_by.mask(by_org.notna(), BY_ORGANISATION)

    ben_text = _first_text(grants, name_columns).fillna(_first_text(grants, code_columns)).fillna(
        _first_text(grants, gn_ben))
    postcode_text = _first_text(grants, postcode_columns).fillna(_first_text(grants, gn_rec))
    disagreement = pd.Series(pd.NA, index=index, dtype="string")
    shown = disagree & by_org.isna()
    for i in index[shown.to_numpy()]:
        said = beneficiary[i] if pd.notna(beneficiary[i]) else "not a place of the study"
        disagreement[i] = (f"beneficiary location {ben_text[i]!r} ({said}); recipient's address "
                           f"{postcode_text[i]!r} ({recipient[i]}): {attribution} decides")

    has_postcode = _any_value(grants, postcode_columns)
    has_district = districts.notna().any(axis=1) if postcode_columns else pd.Series(False, index=index)
    small_area_code_only = pd.Series(False, index=index)
    for column in code_columns:
        small_area_code_only |= grants[column].astype("string").str.strip().str.upper().str.match(_SMALL_AREA).fillna(
            False)
    small_area_code_only &= ~_any_value(grants, name_columns)
    reason = pd.Series(pd.NA, index=index, dtype="string")
    unmatched = place.isna()
    reason[unmatched & has_district] = NO_MATCH_DISTRICT
    reason[unmatched & has_postcode & ~has_district] = NO_MATCH_BAD_POSTCODE
    reason[unmatched & ~has_postcode] = NO_MATCH_NOTHING
    reason[unmatched & ben_elsewhere] = NO_MATCH_ELSEWHERE
    reason[unmatched & small_area_code_only] = NO_MATCH_SMALL_AREA_CODE
    reason[unmatched & disagree] = NO_MATCH_DISAGREE
    return pd.DataFrame({"place_id": place, "matched_by": matched_by, "reason": reason,
                         "beneficiary_place": beneficiary, "recipient_place": recipient,
                         "disagreement": disagreement}, index=index)


def attribution_summary(attribution: pd.DataFrame, place_ids) -> pd.DataFrame:
    """Counts of grants per place and how they matched, then unattributed grants by reason.

    Examples
    --------
    >>> a = pd.DataFrame({"place_id": ["x", None], "matched_by": ["recipient postcode district", None],
    ...                   "reason": [None, "postcode is not a UK postcode"]})
    >>> s = attribution_summary(a, ["x", "y"])
    >>> s["grants"].tolist(), s["by postcode"].tolist()
    ([1, 0, 1], [1, 0, 0])
    """
    hows = dict(zip(ATTRIBUTION_RULES, RULE_LABELS, strict=True))
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


def import_csv_bytes(grants: pd.DataFrame) -> bytes:
    """The bytes of an import file: :data:`IMPORT_COLUMNS`, dates as ``yyyy-mm-dd``, UTF-8.

    Text cells that a spreadsheet would run as a formula (a title beginning with ``=``, ``+``,
    ``-`` or ``@``) are written with a leading ``'`` (:func:`analysis.files.neutralise_cell`);
    the loader restores them.
    """
    out = grants.reindex(columns=IMPORT_COLUMNS).copy()
    for column in ("Award Date", "Application Date"):
        out[column] = pd.to_datetime(out[column]).dt.strftime("%Y-%m-%d")
    return csv_bytes_for_people(out, encoding="utf-8")


def write_import(grants: pd.DataFrame, imports: Path, source: Path, when: datetime | None = None) -> Path:
    """Write grants to a new file in ``imports/``, atomically, never overwriting one that exists."""
    when = when or datetime.now()
    return write_new_file(imports, lambda n: import_file_name(source, when, n), import_csv_bytes(grants))
