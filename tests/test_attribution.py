"""Attribution that follows the data: former ONS codes, LSOA/MSOA and area names, GrantNav fields, disagreements."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis import load_study
from analysis.funding.attribution import (
    BY_AREA_NAME,
    BY_CODE,
    BY_GRANTNAV_BENEFICIARY,
    BY_GRANTNAV_RECIPIENT,
    BY_ORGANISATION,
    BY_POSTCODE,
    NO_MATCH_DISAGREE,
    NO_MATCH_ELSEWHERE,
    NO_MATCH_SMALL_AREA_CODE,
    attribute_places,
    attribution_summary,
)
from analysis.paths import SHARED_DATA_DIR
from analysis.places import la_predecessors, place_area_names, place_codes, with_former_codes
from tests.helpers import TINY_SETTINGS, tiny_tables, write_study

PLACES = pd.DataFrame({"place_id": ["buckinghamshire", "coventry", "sutton"],
                       "name": ["Buckinghamshire", "Coventry", "Sutton"],
                       "ons_code": ["E06000060", "E08000026", "E09000029"]})
ORGS = pd.DataFrame({"org_id": ["GB-LAE-COV"], "place_id": ["coventry"]})
DISTRICTS = {"coventry": ["CV1", "CV2"], "sutton": ["SM1"], "buckinghamshire": ["HP14"]}


def test_resource_equals_the_shared_copy():
    shared = SHARED_DATA_DIR / "places" / "la-predecessors.csv"
    if not shared.is_file():
        pytest.skip(f"{shared} is absent")
    shipped = pd.read_csv(shared, dtype=str, keep_default_na=False)
    pd.testing.assert_frame_equal(la_predecessors(), shipped)
    assert len(shipped) == 52  # "the 52 English, Scottish and Welsh codes replaced since 2019"


def test_buckinghamshire_carries_its_four_districts():
    filled = with_former_codes(PLACES).set_index("place_id")["former_ons_codes"]
    assert filled["buckinghamshire"] == "E07000004;E07000005;E07000006;E07000007"
    assert pd.isna(filled["coventry"])  # Coventry replaced no authority
    codes = place_codes(PLACES)
    assert {c for c, p in codes.items() if p == "buckinghamshire"} == {
        "E06000060", "E07000004", "E07000005", "E07000006", "E07000007"}
    assert {"aylesbury vale", "chiltern", "south bucks", "wycombe"} <= set(place_area_names(PLACES))


def test_former_codes_written_by_the_study_win():
    places = PLACES.assign(former_ons_codes=["E07000004", None, None])
    assert {c for c, p in place_codes(places).items() if p == "buckinghamshire"} == {"E06000060", "E07000004"}


def test_each_rule_in_order_and_the_summary_counts_them():
    grants = pd.DataFrame({
        "Recipient Org:Identifier": ["gb-lae-cov", "a", "b", "c", "d", "e", "f"],
        "Beneficiary Location:Name": [None, None, "Aylesbury Vale 005C", "England/West Midlands/Coventry", None, None,
                                      None],
        "Beneficiary Location:Geographic Code": [None, "E07000007", "E01017737", None, None, None, None],
        "Beneficiary District Geographic Code (additional data)": [None, None, None, None, "E09000029", None, None],
        "Recipient District Geographic Code": [None, None, None, None, None, "E07000005", None],
        "Recipient Org:Postal Code": [None, None, None, None, None, None, "SM1 1EA"],
    })
    a = attribute_places(grants, PLACES, ORGS, DISTRICTS)
    assert a["place_id"].tolist() == ["coventry", "buckinghamshire", "buckinghamshire", "coventry", "sutton",
                                      "buckinghamshire", "sutton"]
    assert a["matched_by"].tolist() == [BY_ORGANISATION, BY_CODE, BY_AREA_NAME, BY_AREA_NAME,
                                        BY_GRANTNAV_BENEFICIARY, BY_GRANTNAV_RECIPIENT, BY_POSTCODE]
    summary = attribution_summary(a, ["buckinghamshire", "coventry", "sutton"]).set_index("place")
    columns = ["grants", "by LA code", "by area name", "by GrantNav (recipient)"]
    assert summary.loc["buckinghamshire", columns].tolist() \
        == [3, 1, 1, 1]
    assert summary.loc["sutton", ["grants", "by GrantNav (beneficiary)", "by postcode"]].tolist() == [2, 1, 1]


def test_disagreements_follow_the_setting_and_are_described():
    grants = pd.DataFrame({
        "Recipient Org:Identifier": ["a", "b", "c"],
        "Beneficiary Location:Name": ["More than one UK Country", "Wiltshire", "Sutton"],
        "Recipient Org:Postal Code": ["CV1 3PP", "HP14 4BF", "CV2 1AA"],
    })
    by_beneficiary = attribute_places(grants, PLACES, ORGS, DISTRICTS)
    assert by_beneficiary["place_id"].tolist() == [pd.NA, pd.NA, "sutton"]
    assert by_beneficiary["reason"].tolist()[:2] == [NO_MATCH_DISAGREE, NO_MATCH_DISAGREE]
    assert by_beneficiary["disagreement"].notna().all()
    assert "'More than one UK Country'" in by_beneficiary["disagreement"][0]
    by_recipient = attribute_places(grants, PLACES, ORGS, DISTRICTS, attribution="recipient")
    assert by_recipient["place_id"].tolist() == ["coventry", "buckinghamshire", "coventry"]
    assert by_recipient["matched_by"].tolist() == [BY_POSTCODE] * 3
    with pytest.raises(ValueError, match="attribution must be one of beneficiary, recipient"):
        attribute_places(grants, PLACES, ORGS, DISTRICTS, attribution="both")


def test_small_area_code_without_name_says_why():
    grants = pd.DataFrame({"Recipient Org:Identifier": ["a", "b"],
                           "Beneficiary Location:Geographic Code": ["E01017737", "E92000001"]})
    a = attribute_places(grants, PLACES, ORGS, DISTRICTS)
    assert a["reason"].tolist() == [NO_MATCH_SMALL_AREA_CODE, NO_MATCH_ELSEWHERE]


def test_loader_matches_a_former_code(tmp_path):
    tables = tiny_tables()
    tables["places"] = pd.DataFrame({"place_id": ["north", "south"], "name": ["Northtown", "Buckinghamshire"],
                                     "ons_code": ["E08000026", "E06000060"]})
    tables["organisations"] = tables["organisations"].replace({"GB-LAE-STH": "GB-LAE-STH"})
    grants = tables["grants"].copy()
    grants.loc[1, "Beneficiary Location:Geographic Code"] = "e07000004"  # Aylesbury Vale, in lower case
    tables["grants"] = grants
    study = load_study(write_study(tmp_path / "s", tables, TINY_SETTINGS))
    assert study.grants.set_index("Identifier").loc["360G-x-2", "place_id"] == "south"
    assert study.places.set_index("place_id").loc["south", "former_ons_codes"] == \
        "E07000004;E07000005;E07000006;E07000007"
