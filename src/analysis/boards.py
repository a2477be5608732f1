"""Who sits on a place's decision-making boards: the VCSE share of seats and of chairs."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.schema import VCSE_GROUP

__all__ = ["VOTING_ROLES", "board_seats", "vcse_board_share"]

#: Roles that count as a seat at the table. Observers attend but do not decide, so they
#: are left out of the shares (an observer seat for the VCSE is not a voice in decisions).
VOTING_ROLES = ("chair", "member")


def board_seats(study) -> pd.DataFrame:
    """Every board seat of the study with the sector group of the organisation holding it.

    Parameters
    ----------
    study : Study
        A loaded study (``analysis.load_study`` or ``analysis.study_from_tables``).

    Returns
    -------
    pandas.DataFrame
        The boards table plus ``sector_group`` (from ``study.organisations``; seats held by
        an organisation the study does not list are grouped as ``"other"``) and ``is_vcse``.

    Examples
    --------
    >>> s = _tiny_study()
    >>> board_seats(s)[["org_id", "role", "is_vcse"]].to_dict("records")[0]
    {'org_id': 'c1', 'role': 'chair', 'is_vcse': False}
    """
    seats = study.boards.copy()
    groups = study.organisations.set_index("org_id")["sector_group"].astype("string")
    seats["sector_group"] = seats["org_id"].map(groups).fillna("other").astype("string")
    seats["is_vcse"] = (seats["sector_group"] == VCSE_GROUP).astype(bool)
    return seats


def vcse_board_share(study) -> pd.DataFrame:
    """Share of board seats, and of board chairs, held by VCSE organisations.

    Counts every chair and member seat on every board of a place in a phase (observers
    excluded, see :data:`VOTING_ROLES`); an organisation sitting on two boards counts twice,
    because each is a seat at a table where decisions are made.

    Parameters
    ----------
    study : Study

    Returns
    -------
    pandas.DataFrame
        One row per place and phase of the study (all combinations, in the study's order),
        columns ``place_id, phase_id, seats, vcse_seats, seat_share, chairs, vcse_chairs,
        chair_share``. Shares are percentages (0-100); NaN where there are no seats (or no
        chairs) to share, never 0.

    Examples
    --------
    >>> s = _tiny_study()
    >>> row = vcse_board_share(s).iloc[0]
    >>> int(row["seats"]), int(row["vcse_seats"]), float(row["seat_share"]), float(row["chair_share"])
    (4, 1, 25.0, 0.0)
    """
    seats = board_seats(study)
    seats = seats[seats["role"].astype("string").isin(VOTING_ROLES)]
    seats = seats.assign(is_chair=seats["role"].astype("string") == "chair")
    seats = seats.assign(vcse_chair=seats["is_chair"] & seats["is_vcse"])
    grid = pd.MultiIndex.from_product([list(study.place_ids), list(study.phase_ids)],
                                      names=["place_id", "phase_id"])
    keys = [seats["place_id"].astype(str), seats["phase_id"].astype(str)]
    counts = pd.DataFrame({
        "seats": seats.groupby(keys).size(),
        "vcse_seats": seats.groupby(keys)["is_vcse"].sum(),
        "chairs": seats.groupby(keys)["is_chair"].sum(),
        "vcse_chairs": seats.groupby(keys)["vcse_chair"].sum(),
    })
    counts.index = counts.index.set_names(["place_id", "phase_id"])
    counts = counts.reindex(grid).fillna(0).astype(int)
    with np.errstate(invalid="ignore", divide="ignore"):
        seats, chairs = counts["seats"].where(counts["seats"] > 0), counts["chairs"].where(counts["chairs"] > 0)
        counts["seat_share"] = np.where(counts["seats"] > 0, 100.0 * counts["vcse_seats"] / seats, np.nan)
        counts["chair_share"] = np.where(counts["chairs"] > 0, 100.0 * counts["vcse_chairs"] / chairs, np.nan)
    out = counts.reset_index()
    return out[["place_id", "phase_id", "seats", "vcse_seats", "seat_share", "chairs", "vcse_chairs", "chair_share"]]


def _tiny_study():
    """A two-organisation-type study used by the examples above."""
    from analysis import study_from_tables

    tables = {
        "places": pd.DataFrame({"place_id": ["p"], "name": ["P"]}),
        "phases": pd.DataFrame({"phase_id": ["a"], "label": ["A"],
                                "start_date": ["2020-01-01"], "end_date": ["2020-02-01"]}),
        "organisations": pd.DataFrame({
            "org_id": ["c1", "h1", "v1", "f1"], "name": ["Council", "NHS", "Charity", "Trust"],
            "place_id": ["p"] * 4, "sector": ["local_authority", "health", "vcse", "funder"]}),
        "boards": pd.DataFrame({
            "phase_id": ["a"] * 5, "place_id": ["p"] * 5, "board": ["B"] * 5,
            "org_id": ["c1", "h1", "v1", "f1", "c1"][:4] + ["h1"],
            "role": ["chair", "member", "member", "member", "observer"]}),
    }
    tables["boards"].loc[4, "board"] = "C"
    return study_from_tables(tables)
