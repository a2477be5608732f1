"""Tests for analysis.funding: reading 360Giving data, measures, the funder-recipient network."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import warnings
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from analysis import study_from_tables
from analysis.funding import (
    CurrencyWarning,
    ThreeSixtyGivingError,
    ThreeSixtyGivingWarning,
    funder_overlap,
    funding_measures,
    funding_network,
    parse_amounts,
    parse_dates,
    postcode_district,
    read_360giving,
    recipient_label,
    speed_sentence,
)
from tests.conftest import tiny_tables

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
        "    root_list_path='grants', main_sheet_name='grants', rollup=True, use_titles=True, disable_local_refs=True)\n"
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


# ----------------------------------------------------------------- dates, amounts, postcodes


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
    dates, bad = parse_dates(pd.Series([text], dtype=object))
    assert dates.iloc[0] == pd.Timestamp(expected)
    assert not bad.iloc[0]


@pytest.mark.parametrize("text", ["31/02/2020", "yesterday", "2020-13-01", "2020-03-17 noon"])
def test_parse_dates_rejects(text):
    dates, bad = parse_dates(pd.Series([text]))
    assert pd.isna(dates.iloc[0]) and bad.iloc[0]


def test_parse_amounts_publishers_forms():
    amounts, bad = parse_amounts(pd.Series(["£1,250.50", " 10,000 ", "500", "", None, "n/a"], dtype=object))
    assert amounts.iloc[:3].tolist() == [1250.5, 10000.0, 500.0]
    assert amounts.iloc[3:5].isna().all()
    assert bad.tolist() == [False, False, False, False, False, True]


def test_postcode_district():
    got = postcode_district(pd.Series(["CV21 3XX", "CV1 5QP", "sm1 1ea", "SW1A 1AA", "CV13HW", "02211", ""]))
    assert got.tolist() == ["CV21", "CV1", "SM1", "SW1A", "CV1", pd.NA, pd.NA]


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
    path = write_csv(tmp_path, HEADER + "\n360G-a-1,Food,GBP,10,2020-04-01,a,A,f,F\n360G-a-2,Food,GBP,10,soon,a,A,f,F\n")
    with pytest.raises(ThreeSixtyGivingError, match=r"row 3, column 'Award Date': 'soon'"):
        read_360giving(path)
    path = write_csv(tmp_path, HEADER + "\n360G-a-1,Food,GBP,10,2020-04-01,,A,f,F\n")
    with pytest.raises(ThreeSixtyGivingError, match=r"have no 'Recipient Org:Identifier'.*row 2"):
        read_360giving(path)


def test_duplicate_identifier_is_an_error(tmp_path):
    path = write_csv(tmp_path, HEADER + "\n360G-a-1,Food,GBP,10,2020-04-01,a,A,f,F\n360G-a-1,Food,GBP,20,2020-04-02,b,B,f,F\n")
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


def test_json_grants_to_individuals_left_out_with_warning(tmp_path):
    path = tmp_path / "g.json"
    path.write_text(json.dumps({"grants": [grant(), grant(id="360G-a-2", recipientOrganization=None,
                                                          recipientIndividual={"id": "360G-a-IND-1", "name": "x"})]}))
    with pytest.warns(ThreeSixtyGivingWarning, match="1 grant\\(s\\) to individuals"):
        g = read_360giving(path)
    assert g["Identifier"].tolist() == ["360G-a-1"]


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
    path = write_csv(tmp_path, HEADER + "\n360G-a-1,Food,GBP,100,2020-04-01,a,A,f,F\n360G-a-2,Food,EUR,50,2020-04-01,a,A,f,F\n")
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
    with pytest.raises(ThreeSixtyGivingError, match="sheet 'Data', header row: missing required 360Giving field 'Title'"):
        read_360giving(path)


def test_unsupported_and_missing_files(tmp_path):
    path = write_csv(tmp_path, "x", name="grants.parquet")
    with pytest.raises(ThreeSixtyGivingError, match="unsupported file type"):
        read_360giving(path)
    with pytest.raises(FileNotFoundError):
        read_360giving(tmp_path / "nope.json")


# ----------------------------------------------------------------- measures, worked by hand


@pytest.fixture
def small_grants() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Six grants in one place over two phases (see the hand working in each test)."""
    grants = pd.DataFrame(
        [["g1", "p", "e1", "f1", "a", "GBP", 100.0, 10.0, "open_call"],
         ["g2", "p", "e1", "f1", "b", "GBP", 300.0, 30.0, "open_call"],
         ["g3", "p", "e2", "f1", "a", "GBP", 1000.0, 2.0, "fast_track"],
         ["g4", "p", "e2", "f2", "c", "GBP", 500.0, np.nan, "fast_track"],
         ["g5", "p", "e2", "f2", "a", "GBP", 200.0, 4.0, None],
         ["g6", "p", "e2", "f3", "d", "USD", 999.0, 6.0, "invited"]],
        columns=["Identifier", "place_id", "phase_id", "Funding Org:Identifier", "Recipient Org:Identifier",
                 "Currency", "Amount Awarded", "days_to_award", "Award Process"],
    )
    orgs = pd.DataFrame({"org_id": ["a", "b", "c"], "name": ["Org A", "Org B", "Org C"],
                         "size": ["micro", "large", "small"]})
    return grants, orgs


def test_measures_by_hand(small_grants):
    grants, orgs = small_grants
    m = funding_measures(grants, orgs, phase_order=["e1", "e2"]).set_index("phase_id")
    e1, e2 = m.loc["e1"], m.loc["e2"]
    # e1: £100 and £300 from f1 to a and b; 10 and 30 days; both open call; a micro, b large.
    assert (e1["grants"], e1["value"], e1["funders"], e1["recipients"]) == (2, 400.0, 1, 2)
    assert (e1["amount_q1"], e1["amount_median"], e1["amount_q3"]) == (150.0, 200.0, 250.0)
    assert (e1["days_median"], e1["days_known"]) == (20.0, 2)
    assert e1["share_open_call"] == 1.0 and e1["share_fast_track"] == 0.0
    assert (e1["size_known"], e1["small_share"], e1["small_value_share"]) == (2, 0.5, 0.25)
    assert (e1["new_recipients"], e1["new_recipient_share"]) == (2, 1.0)
    # e2: GBP £1000, £500, £200 (the USD grant is counted, never summed); funders f1, f2, f3.
    assert (e2["grants"], e2["value"], e2["non_gbp_grants"], e2["funders"], e2["recipients"]) == (4, 1700.0, 1, 3, 3)
    assert (e2["amount_q1"], e2["amount_median"], e2["amount_q3"]) == (350.0, 500.0, 750.0)
    assert (e2["days_median"], e2["days_known"]) == (4.0, 3)  # 2, 4, 6 days
    assert e2["process_known"] == 3
    assert e2["share_fast_track"] == pytest.approx(2 / 3) and e2["share_invited"] == pytest.approx(1 / 3)
    # sizes known for g3 (a micro), g4 (c small), g5 (a micro): all small; d is outside the study
    assert (e2["size_known"], e2["small_share"], e2["small_value_share"]) == (3, 1.0, 1.0)
    # a was funded in e1; c and d are new
    assert e2["new_recipients"] == 2 and e2["new_recipient_share"] == pytest.approx(2 / 3)


def test_measures_on_a_loaded_study():
    """The loader's typing (categoricals, string ids, derived columns) goes through the measures."""
    study = study_from_tables(tiny_tables())
    m = funding_measures(study.grants, study.organisations, phase_order=study.phase_ids)
    # 360G-x-1: north (recipient GB-CHC-0000007, small), during, £1,250.50, 6 Apr -> 20 Apr = 14 days
    # 360G-x-2: south (beneficiary code E09000029), before, £5,000, no application date
    assert m[["place_id", "phase_id", "grants", "value"]].to_dict("records") == [
        {"place_id": "north", "phase_id": "during", "grants": 1, "value": 1250.5},
        {"place_id": "south", "phase_id": "before", "grants": 1, "value": 5000.0},
    ]
    north = m.set_index("place_id").loc["north"]
    assert north["days_median"] == 14.0 and north["small_share"] == 1.0 and north["share_fast_track"] == 1.0
    row = m.set_index("place_id").loc["south"]
    assert row["days_known"] == 0 and np.isnan(row["days_median"]) and row["share_open_call"] == 1.0
    assert row["size_known"] == 0 and np.isnan(row["small_share"])  # GB-CHC-9999999 is outside the study


def test_funding_network_bipartite_by_hand(small_grants):
    grants, orgs = small_grants
    B = funding_network(grants, orgs)
    funders = {n for n, d in B.nodes(data=True) if d["bipartite"] == 0}
    assert funders == {("funder", "f1"), ("funder", "f2"), ("funder", "f3")}
    assert nx.bipartite.is_bipartite_node_set(B, funders)
    assert B.number_of_edges() == 5  # f1-a, f1-b, f2-c, f2-a, f3-d
    assert B.edges[("funder", "f1"), ("recipient", "a")] == {"grants": 2, "value": 1100.0}
    assert B.edges[("funder", "f3"), ("recipient", "d")]["value"] == 0.0  # USD: not in pounds
    assert B.nodes[("recipient", "a")]["name"] == "Org A"
    assert B.nodes[("recipient", "d")]["in_study"] is False and B.nodes[("recipient", "d")]["name"] is None


def test_funder_overlap_by_hand(small_grants):
    grants, _ = small_grants
    overlap = funder_overlap(grants)
    # f1 funds {a, b}, f2 {a, c}, f3 {d}: f1 and f2 share a, Jaccard 1 / |{a, b, c}|
    assert overlap.to_dict("records") == [{"funder_a": "f1", "funder_b": "f2", "shared_recipients": 1,
                                           "jaccard": pytest.approx(1 / 3)}]


def test_recipient_label_never_uses_grant_names(small_grants):
    _, orgs = small_grants
    assert recipient_label("a", orgs) == "Org A"
    assert recipient_label("zz", orgs) == "an organisation outside the study"


def test_speed_sentence_against_previous_phase():
    s = speed_sentence({"days_median": 9.0, "days_known": 5}, {"days_median": 41.0, "days_known": 3},
                       phase_label="emergency", previous_label="baseline")
    assert s == ("In the emergency phase, half of grants were awarded within 9 days of application, "
                 "against 41 days in the baseline phase.")


def test_figures_carry_alt_text_and_survive_empty_input(small_grants):
    from analysis import funding_figures as ff

    grants, orgs = small_grants
    grants = grants.assign(**{"Award Date": pd.to_datetime(["2020-01-10", "2020-02-10", "2020-04-01", "2020-04-02",
                                                            "2020-04-03", "2020-05-01"])})
    phases = pd.DataFrame({"phase_id": ["e1", "e2"], "label": ["Before", "Emergency"],
                           "start_date": pd.to_datetime(["2020-01-01", "2020-03-16"]),
                           "end_date": pd.to_datetime(["2020-03-15", "2020-06-30"])})
    fig = ff.awards_over_time(grants, phases, place_name="<Town>")
    assert "6 grants" in fig.alt_text and "<Town>" in fig.title_text
    fig = ff.grant_size_distribution(grants, ["e1", "e2"], {"e1": "Before", "e2": "Emergency"}, place_name="X")
    assert "Emergency: median £500" in fig.alt_text and "1 grants in other currencies" in fig.alt_text
    fig = ff.funder_recipient_map(funding_network(grants, orgs), orgs, place_name="X", phase_label="Emergency")
    assert "3 funders" in fig.alt_text and "1 recipients are outside the study" in fig.alt_text
    empty = grants.iloc[0:0]
    assert ff.funder_recipient_map(funding_network(empty, orgs), orgs, place_name="X", phase_label="Y").alt_text
    assert ff.grant_size_distribution(empty, ["e1"], {"e1": "Before"}, place_name="X").alt_text
