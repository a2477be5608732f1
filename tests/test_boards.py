"""Tests of analysis.boards: VCSE share of board seats and chairs, worked out by hand."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from analysis import study_from_tables
from analysis.boards import board_seats, vcse_board_share


@pytest.fixture(scope="module")
def study():
    D = pd.DataFrame
    return study_from_tables({
        "places": D({"place_id": ["a", "b"], "name": ["A", "B"]}),
        "phases": D({"phase_id": ["p1", "p2"], "label": ["One", "Two"],
                     "start_date": ["2020-01-01", "2020-03-01"], "end_date": ["2020-02-01", "2020-04-01"]}),
        "organisations": D({"org_id": ["c", "h", "v", "f", "g"], "name": list("CHVFG"),
                            "place_id": ["a"] * 5,
                            "sector": ["local_authority", "health", "faith", "vcse_infrastructure", "funder"]}),
        # a, p1: board X: c chair, h member, v member, g observer; board Y: f chair, c member.
        #   seats (chair, member): 5; VCSE (v faith, f infrastructure): 2 -> 40%.
        #   chairs: 2; VCSE chairs: 1 (f) -> 50%. The observer g is not a seat.
        # a, p2: only an observer: no seats -> share NaN, never 0.
        "boards": D({
            "phase_id": ["p1"] * 6 + ["p2"],
            "place_id": ["a"] * 7,
            "board": ["X", "X", "X", "X", "Y", "Y", "X"],
            "org_id": ["c", "h", "v", "g", "f", "c", "v"],
            "role": ["chair", "member", "member", "observer", "chair", "member", "observer"]}),
    })


def test_shares_by_hand(study):
    shares = vcse_board_share(study).set_index(["place_id", "phase_id"])
    row = shares.loc[("a", "p1")]
    assert (row["seats"], row["vcse_seats"], row["chairs"], row["vcse_chairs"]) == (5, 2, 2, 1)
    assert row["seat_share"] == pytest.approx(40.0)
    assert row["chair_share"] == pytest.approx(50.0)


def test_no_seats_is_not_zero(study):
    shares = vcse_board_share(study).set_index(["place_id", "phase_id"])
    assert shares.loc[("a", "p2"), "seats"] == 0
    assert math.isnan(shares.loc[("a", "p2"), "seat_share"])
    assert math.isnan(shares.loc[("b", "p1"), "chair_share"])  # a place without boards


def test_every_place_and_phase_listed(study):
    assert len(vcse_board_share(study)) == 4


def test_vcse_group_covers_faith_and_infrastructure(study):
    seats = board_seats(study).set_index("org_id")
    assert bool(seats.loc["v", "is_vcse"].iloc[0]) and bool(seats.loc["f", "is_vcse"])
    assert not bool(seats.loc["g", "is_vcse"])
