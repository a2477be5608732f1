"""Places and their ONS codes: the current local-authority code and the codes it replaced."""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources

import pandas as pd

__all__ = [
    "LA_PREDECESSORS_RESOURCE",
    "la_predecessors",
    "split_codes",
    "with_former_codes",
    "place_codes",
    "place_area_names",
]

#: The predecessor lookup shipped with the package (src/analysis/resources/; OGL v3, see its README.md).
LA_PREDECESSORS_RESOURCE = "la-predecessors.csv"


@lru_cache(maxsize=1)
def _predecessors() -> pd.DataFrame:
    with resources.files("analysis.resources").joinpath(LA_PREDECESSORS_RESOURCE).open("r", encoding="utf-8") as fh:
        return pd.read_csv(fh, dtype=str, keep_default_na=False)


def la_predecessors() -> pd.DataFrame:
    """Local-authority codes replaced since 2019 and the authority that replaced each.

    Columns ``old_code``, ``old_name``, ``current_code``, ``current_name``, ``country``: ONS area
    codes (Office for National Statistics, Open Government Licence v3), as shipped in the
    package's resources.

    Examples
    --------
    >>> p = la_predecessors()
    >>> sorted(p.loc[p["current_code"] == "E06000060", "old_code"])
    ['E07000004', 'E07000005', 'E07000006', 'E07000007']
    """
    return _predecessors().copy()


def split_codes(value) -> list[str]:
    """The codes of a ``former_ons_codes`` cell: separated by ``;`` (commas and spaces tolerated), upper case.

    Examples
    --------
    >>> split_codes("e07000004; E07000005,E07000006"), split_codes(None)
    (['E07000004', 'E07000005', 'E07000006'], [])
    """
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return []
    return [c.upper() for c in re.split(r"[;,\s]+", str(value)) if c]


def with_former_codes(places: pd.DataFrame) -> pd.DataFrame:
    """The places table with ``former_ons_codes`` filled from the predecessor lookup where blank.

    A place whose ``former_ons_codes`` is written keeps what the study wrote; a blank one gets
    the codes that :func:`la_predecessors` lists for its ``ons_code`` (none for most places).

    Examples
    --------
    >>> p = pd.DataFrame({"place_id": ["buckinghamshire", "coventry"], "ons_code": ["E06000060", "E08000026"]})
    >>> with_former_codes(p)["former_ons_codes"].tolist()
    ['E07000004;E07000005;E07000006;E07000007', <NA>]
    """
    out = places.copy()
    lookup = _predecessors().groupby("current_code")["old_code"].agg(lambda s: ";".join(sorted(s)))
    written = out["former_ons_codes"] if "former_ons_codes" in out else pd.Series(pd.NA, index=out.index)
    written = written.astype("string").str.strip().replace("", pd.NA)
    codes = out["ons_code"].astype("string").str.strip().str.upper() if "ons_code" in out else written
    out["former_ons_codes"] = written.fillna(codes.map(lookup).astype("string")).astype("string")
    return out


def place_codes(places: pd.DataFrame) -> dict[str, str]:
    """ONS code (current or former, upper case) -> place_id, for every place of the study.

    Former codes are those in ``former_ons_codes``, else the predecessor lookup's.

    Examples
    --------
    >>> p = pd.DataFrame({"place_id": ["buckinghamshire"], "ons_code": ["E06000060"]})
    >>> place_codes(p)["E07000004"], place_codes(p)["E06000060"]
    ('buckinghamshire', 'buckinghamshire')
    """
    filled = with_former_codes(places)
    found: dict[str, str] = {}
    for rec in filled.itertuples(index=False):
        place_id = str(rec.place_id)
        for code in split_codes(getattr(rec, "former_ons_codes", None)):
            found.setdefault(code, place_id)
    for rec in filled.itertuples(index=False):  # a current code wins over a former one
        for code in split_codes(getattr(rec, "ons_code", None)):
            found[code] = str(rec.place_id)
    return found


def _name_key(name) -> str:
    return re.sub(r"[^a-z0-9]+", " ", str(name).lower().replace("&", " and ")).strip()


def place_area_names(places: pd.DataFrame) -> dict[str, str]:
    """Normalised area name (the place's name and its former authorities' names) -> place_id.

    Names are compared in lower case with punctuation as spaces, so "South Bucks" and
    "south-bucks" are the same name.

    Examples
    --------
    >>> p = pd.DataFrame({"place_id": ["buckinghamshire"], "name": ["Buckinghamshire"], "ons_code": ["E06000060"]})
    >>> sorted(place_area_names(p))
    ['aylesbury vale', 'buckinghamshire', 'chiltern', 'south bucks', 'wycombe']
    """
    filled = with_former_codes(places)
    old_name = dict(zip(_predecessors()["old_code"], _predecessors()["old_name"], strict=True))
    current_name = dict(zip(_predecessors()["current_code"], _predecessors()["current_name"], strict=True))
    found: dict[str, str] = {}
    for rec in filled.itertuples(index=False):
        place_id = str(rec.place_id)
        names = [getattr(rec, "name", None)]
        names += [current_name.get(c) for c in split_codes(getattr(rec, "ons_code", None))]
        names += [old_name.get(c) for c in split_codes(getattr(rec, "former_ons_codes", None))]
        for name in names:
            if name is not None and not (not isinstance(name, str) and pd.isna(name)) and _name_key(name):
                found.setdefault(_name_key(name), place_id)
    return found
