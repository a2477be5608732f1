"""Tests for analysis.funding.threesixtygiving: reading 360Giving data in its three forms, and bad input."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.funding import funding_measures
from analysis.funding.threesixtygiving import (
    CurrencyWarning,
    ThreeSixtyGivingError,
    ThreeSixtyGivingWarning,
    parse_amounts,
    parse_grant_dates,
    read_360giving,
)

TRACKER = "360giving/covid19_tracker_grants_data_2020-05-07.json"
INDIGO = "360giving/grantnav_sample_IndigoTrust_360giving.csv"
SCHEMA = "360giving/schema/360-giving-schema.json"

HEADER = ("Identifier,Title,Currency,Amount Awarded,Award Date,Recipient Org:Identifier,Recipient Org:Name,"
          "Funding Org:Identifier,Funding Org:Name")


def read_quietly(path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ThreeSixtyGivingWarning)
        return read_360giving(path)


# ----------------------------------------------------------------- the real files


@pytest.fixture
def tracker(shared_data):
    with pytest.warns(CurrencyWarning, match="1 in USD"):
        return read_360giving(shared_data / TRACKER)


def test_tracker_counts_funders_and_currencies(tracker):
    assert len(tracker) == 1978
    assert tracker["Funding Org:Identifier"].nunique() == 35
    gbp = tracker["Currency"] == "GBP"
    assert int(gbp.sum()) == 1977
    assert tracker.loc[gbp, "Amount Awarded"].sum() == pytest.approx(28_307_900.74, abs=0.005)
    assert tracker.loc[~gbp, "Currency"].tolist() == ["USD"]


def test_tracker_award_dates_in_three_iso_shapes_all_parsed(tracker, shared_data):
    raw = json.loads((shared_data / TRACKER).read_text(encoding="utf-8"))["grants"]
    shapes = {"".join("9" if ch.isdigit() else ch for ch in g["awardDate"]) for g in raw}
    assert shapes == {"9999-99-99", "9999-99-99T99:99:99+99:99", "9999-99-99T99:99:99.999Z"}
    assert tracker["Award Date"].notna().all()
    by_id = tracker.set_index("Identifier")["Award Date"].dt.strftime("%Y-%m-%d")
    assert by_id["360G-woodward:WCT2962"] == "2020-03-17"  # "2020-03-17"
    assert by_id["360G-CamdenGiving-0197"] == "2020-03-19"  # "2020-03-19T00:00:00+00:00"
    assert by_id["360G-EFF-20-0465"] == "2020-03-19"  # "2020-03-19T00:00:00.000Z"
    assert tracker["Award Date"].min() == pd.Timestamp("2020-03-17")
    assert tracker["Award Date"].max() == pd.Timestamp("2020-05-05")


def test_tracker_matches_flattentool(tracker, shared_data, tmp_path):
    """360Giving's own tool, flattening with the standard's titles, gives the same columns."""
    if importlib.util.find_spec("flattentool") is None:
        pytest.skip("flattentool (a test dependency) is not installed")
    # In a process of its own: flattentool's imports (zope.interface) upset xmlschema's
    # classes in any process that later validates a REFI-QDA project.
    script = (
        "import sys, warnings, flattentool\n"
        "warnings.simplefilter('ignore')\n"
        "flattentool.flatten(sys.argv[1], schema=sys.argv[2], output_name=sys.argv[3], output_format='csv',\n"
        "    root_list_path='grants', main_sheet_name='grants', rollup=True, use_titles=True,\n"
        "    disable_local_refs=True)\n"
    )
    subprocess.run([sys.executable, "-c", script, str(shared_data / TRACKER), str(shared_data / SCHEMA),
                    str(tmp_path / "flat")], check=True, capture_output=True)
    flat = pd.read_csv(tmp_path / "flat" / "grants.csv", dtype=str, keep_default_na=False)
    flat = flat.set_index(flat["Identifier"].str.strip())  # three tracker identifiers end in a space
    ours = tracker.set_index("Identifier")
    for column in ("Recipient Org:Identifier", "Recipient Org:Postal Code", "Funding Org:Name",
                   "Beneficiary Location:Geographic Code"):
        assert ours[column].fillna("").tolist() == flat.loc[ours.index, column].tolist(), column
    assert np.allclose(ours["Amount Awarded"], flat.loc[ours.index, "Amount Awarded"].astype(float))


def test_indigo_csv_all_dates_parsed_including_rows_with_newlines(shared_data):
    grants = read_360giving(shared_data / INDIGO)
    assert len(grants) == 269
    assert grants["Award Date"].notna().all()
    by_id = grants.set_index("Identifier")
    # IND7's description holds a newline; it and the row after it are read whole.
    assert "\n" in by_id.loc["360G-indigotrust:IND7", "Description"]
    assert by_id.loc["360G-indigotrust:IND7", "Amount Awarded"] == 43000
    assert by_id.loc["360G-indigotrust:IND7", "Award Date"] == pd.Timestamp("2002-08-28")
    assert by_id.loc["360G-indigotrust:IND9", "Recipient Org:Name"] == "Discover"
    assert by_id.loc["360G-indigotrust:IND1", "Award Date"] == pd.Timestamp("2001-03-26")  # 26/03/2001 00:00
    assert by_id.loc["360G-indigotrust:IND1", "Recipient Org:Postal Code"] == "E15 4QZ"
    assert (grants["Currency"] == "GBP").all()


# ----------------------------------------------------------------- dates and amounts


@pytest.mark.parametrize("text, expected", [
    ("2020-03-17", "2020-03-17"),
    ("2020-03-19T00:00:00+00:00", "2020-03-19"),
    ("2020-04-01T00:00:00.000Z", "2020-04-01"),
    ("2020-04-02T00:00:00+01:00", "2020-04-02"),  # the date as published, not moved to UTC
    ("26/03/2001 00:00", "2001-03-26"),
    ("5/4/2020", "2020-04-05"),
    ("43922", "2020-04-01"),  # Excel serial
    (43922, "2020-04-01"),
    (pd.Timestamp("2020-04-01 13:00"), "2020-04-01"),
])
def test_parse_dates_shapes(text, expected):
    dates, bad = parse_grant_dates(pd.Series([text], dtype=object))
    assert dates.iloc[0] == pd.Timestamp(expected)
    assert not bad.iloc[0]


@pytest.mark.parametrize("text", ["31/02/2020", "yesterday", "2020-13-01", "2020-03-17 noon"])
def test_parse_dates_rejects(text):
    dates, bad = parse_grant_dates(pd.Series([text]))
    assert pd.isna(dates.iloc[0]) and bad.iloc[0]


def test_parse_amounts_publishers_forms():
    amounts, bad = parse_amounts(pd.Series(["£1,250.50", " 10,000 ", "500", "", None, "n/a"], dtype=object))
    assert amounts.iloc[:3].tolist() == [1250.5, 10000.0, 500.0]
    assert amounts.iloc[3:5].isna().all()
    assert bad.tolist() == [False, False, False, False, False, True]


# ----------------------------------------------------------------- the three forms and bad input


def write_csv(tmp_path, text, name="grants.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_csv_headers_matched_loosely_and_numbered_form(tmp_path):
    path = write_csv(tmp_path, "identifier, title ,Currency,Amount Awarded,Award Date,Recipient Org:0:Identifier,"
                     "Recipient Org : 0 : Name,Funding Org:0:Identifier,Funding Org:0:Name,"
                     "Beneficiary Location:0:Geographic Code,Beneficiary Location:1:Geographic Code\n"
                     '360G-a-1,Food,gbp,"£2,000",2020-04-01,GB-CHC-1,Pantry,GB-CHC-9,Trust,E08000026,E09000029\n')
    g = read_360giving(path)
    assert g.loc[0, "Recipient Org:Name"] == "Pantry"
    assert g.loc[0, "Currency"] == "GBP"
    assert g.loc[0, "Amount Awarded"] == 2000
    assert g.loc[0, "Beneficiary Location:Geographic Code"] == "E08000026"
    assert g.loc[0, "Beneficiary Location:1:Geographic Code"] == "E09000029"


def test_csv_missing_required_column_names_it_and_where(tmp_path):
    path = write_csv(tmp_path, "Identifier,Title,Currency,Award Date,Recipient Org:Identifier,Recipient Org:Name,"
                     "Funding Org:Identifier,Funding Org:Name\n360G-a-1,Food,GBP,2020-04-01,a,A,f,F\n")
    with pytest.raises(ThreeSixtyGivingError, match=r"grants\.csv, header row: missing required 360Giving field "
                                                    r"'Amount Awarded'") as info:
        read_360giving(path)
    assert info.value.field == "Amount Awarded"


def test_not_360giving_csv(tmp_path):
    path = write_csv(tmp_path, "org_id,name\nx,y\n")
    with pytest.raises(ThreeSixtyGivingError, match="missing required 360Giving field 'Identifier'"):
        read_360giving(path)


def test_csv_bad_date_and_blank_required_value_name_the_row(tmp_path):
    path = write_csv(tmp_path, HEADER + "\n360G-a-1,Food,GBP,10,2020-04-01,a,A,f,F"
                                        "\n360G-a-2,Food,GBP,10,soon,a,A,f,F\n")
    with pytest.raises(ThreeSixtyGivingError, match=r"row 3, column 'Award Date': 'soon'"):
        read_360giving(path)
    path = write_csv(tmp_path, HEADER + "\n360G-a-1,Food,GBP,10,2020-04-01,,A,f,F\n")
    with pytest.raises(ThreeSixtyGivingError, match=r"have no 'Recipient Org:Identifier'.*row 2"):
        read_360giving(path)


def test_duplicate_identifier_is_an_error(tmp_path):
    path = write_csv(tmp_path, HEADER + "\n360G-a-1,Food,GBP,10,2020-04-01,a,A,f,F"
                                        "\n360G-a-1,Food,GBP,20,2020-04-02,b,B,f,F\n")
    with pytest.raises(ThreeSixtyGivingError, match="repeat an Identifier"):
        read_360giving(path)


def test_json_without_grants_names_the_field(tmp_path):
    path = tmp_path / "x.json"
    path.write_text(json.dumps({"results": []}))
    with pytest.raises(ThreeSixtyGivingError, match=r"x\.json, JSON path \$: missing required field 'grants'"):
        read_360giving(path)


def grant(**changes) -> dict:
    g = {"id": "360G-a-1", "title": "Food", "description": "d", "currency": "GBP", "amountAwarded": 100,
         "awardDate": "2020-04-01", "recipientOrganization": [{"id": "GB-CHC-1", "name": "Pantry"}],
         "fundingOrganization": [{"id": "GB-CHC-9", "name": "Trust"}]}
    g.update(changes)
    return {k: v for k, v in g.items() if v is not None}


def test_json_grant_missing_award_date_names_path(tmp_path):
    path = tmp_path / "g.json"
    path.write_text(json.dumps({"grants": [grant(), grant(id="360G-a-2", awardDate=None)]}))
    with pytest.raises(ThreeSixtyGivingError, match=r"JSON path \$\.grants\[1\]\.awardDate") as info:
        read_360giving(path)
    assert info.value.field == "Award Date"


def test_json_several_recipients_and_locations(tmp_path):
    path = tmp_path / "g.json"
    path.write_text(json.dumps({"grants": [grant(
        recipientOrganization=[{"id": "GB-CHC-1", "name": "Pantry", "postalCode": "CV1 5QP"},
                               {"id": "GB-CHC-2", "name": "Larder", "postalCode": "SM1 1EA"}],
        beneficiaryLocation=[{"name": "Coventry", "geoCode": "E08000026"}, {"name": "Sutton", "geoCode": "E09000029"}],
        applicationDate="2020-03-20", awardProcess="Fast track")]}))
    with pytest.warns(ThreeSixtyGivingWarning, match="several recipients"):
        g = read_360giving(path)
    row = g.iloc[0]
    assert row["Recipient Org:Identifier"] == "GB-CHC-1" and row["Recipient Org:1:Identifier"] == "GB-CHC-2"
    assert row["Recipient Org:Postal Code"] == "CV1 5QP" and row["Recipient Org:1:Postal Code"] == "SM1 1EA"
    assert row["Beneficiary Location:1:Geographic Code"] == "E09000029"
    assert row["Application Date"] == pd.Timestamp("2020-03-20")
    assert row["Award Process"] == "fast_track"


def test_json_grants_to_individuals_left_out_and_counted(tmp_path):
    path = tmp_path / "g.json"
    path.write_text(json.dumps({"grants": [grant(), grant(id="360G-a-2", recipientOrganization=None,
                                                          recipientIndividual={"id": "360G-a-IND-1", "name": "x"})]}))
    g = read_360giving(path)
    assert g["Identifier"].tolist() == ["360G-a-1"]
    assert g.attrs["grants_read"] == 2 and g.attrs["individuals"] == 1


def test_open_call_and_unknown_award_process(tmp_path):
    path = write_csv(tmp_path, HEADER + ",From an open call?,Award Process\n"
                     "360G-a-1,Food,GBP,10,2020-04-01,a,A,f,F,Yes,\n"
                     "360G-a-2,Food,GBP,10,2020-04-01,a,A,f,F,No,\n"
                     "360G-a-3,Food,GBP,10,2020-04-01,a,A,f,F,,lottery\n"
                     "360G-a-4,Food,GBP,10,2020-04-01,a,A,f,F,Yes,co-produced\n")
    with pytest.warns(ThreeSixtyGivingWarning, match="lottery"):
        g = read_360giving(path)
    assert g["Award Process"].astype(object).where(g["Award Process"].notna(), None).tolist() == [
        "open_call", None, None, "co_produced"]


def test_non_gbp_warns_and_is_never_summed(tmp_path):
    path = write_csv(tmp_path, HEADER + "\n360G-a-1,Food,GBP,100,2020-04-01,a,A,f,F"
                                        "\n360G-a-2,Food,EUR,50,2020-04-01,a,A,f,F\n")
    with pytest.warns(CurrencyWarning) as caught:
        g = read_360giving(path)
    assert len(caught) == 1 and "1 in EUR" in str(caught[0].message)
    m = funding_measures(g.assign(place_id="p", phase_id="x", days_to_award=np.nan))
    assert m.loc[0, "value"] == 100 and m.loc[0, "non_gbp_grants"] == 1


def test_xlsx_with_excel_dates_serials_and_cover_sheet(tmp_path):
    path = tmp_path / "grants.xlsx"
    rows = pd.DataFrame({
        "Identifier": ["360G-a-1", "360G-a-2"], "Title": ["Food", "Advice"], "Currency": ["GBP", "GBP"],
        "Amount Awarded": ["£1,000", 250.5], "Award Date": [pd.Timestamp("2020-04-01"), 43923],
        "Recipient Org:Identifier": ["a", "b"], "Recipient Org:Name": ["A", "B"],
        "Funding Org:Identifier": ["f", "f"], "Funding Org:Name": ["F", "F"],
        "Application Date": ["15/03/2020", None],
    })
    with pd.ExcelWriter(path) as xl:
        pd.DataFrame({"About": ["Grants published by F"]}).to_excel(xl, sheet_name="Cover", index=False)
        rows.to_excel(xl, sheet_name="grants", index=False)
    g = read_360giving(path)
    assert g["Award Date"].tolist() == [pd.Timestamp("2020-04-01"), pd.Timestamp("2020-04-02")]
    assert g["Amount Awarded"].tolist() == [1000.0, 250.5]
    assert g.loc[0, "Application Date"] == pd.Timestamp("2020-03-15")


def test_xlsx_missing_column_names_sheet(tmp_path):
    path = tmp_path / "grants.xlsx"
    pd.DataFrame({"Identifier": ["x"], "Amount Awarded": [1]}).to_excel(path, sheet_name="Data", index=False)
    missing_title = "sheet 'Data', header row: missing required 360Giving field 'Title'"
    with pytest.raises(ThreeSixtyGivingError, match=missing_title):
        read_360giving(path)


def test_unsupported_and_missing_files(tmp_path):
    path = write_csv(tmp_path, "x", name="grants.parquet")
    with pytest.raises(ThreeSixtyGivingError, match="unsupported file type"):
        read_360giving(path)
    with pytest.raises(FileNotFoundError):
        read_360giving(tmp_path / "nope.json")
