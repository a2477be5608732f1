"""Tests for `coordination import-grants` (analysis.funding.attribution): attribution and the import file."""

from __future__ import annotations

import pandas as pd
import pytest
import yaml

from analysis import load_study
from analysis.cli import main
from analysis.funding.attribution import (
    BY_AREA_NAME,
    BY_CODE,
    BY_ORGANISATION,
    BY_POSTCODE,
    NO_MATCH_BAD_POSTCODE,
    NO_MATCH_DISTRICT,
    NO_MATCH_ELSEWHERE,
    NO_MATCH_NOTHING,
    attribute_places,
    write_import,
)
from tests.helpers import TINY_SETTINGS, tiny_tables, write_study

TRACKER = "360giving/covid19_tracker_grants_data_2020-05-07.json"
# The tracker's grants whose recipients have a Coventry (CV1-CV6) or Sutton (SM1) postcode,
# found by reading the file's recipientOrganization[0].postalCode values.
# Of these, 1132 and 1220 are for "More than one UK Country": with study.yml's default attribution
# (beneficiary) they are not Coventry's; with attribution: recipient they are.
COVENTRY_GRANTS = {"360G-barrowcadbury-0063z000014i6m1", "360G-EFF-20-0907", "360G-EFF-20-0816",
                   "360G-EFF-20-1002"}
COVENTRY_BY_RECIPIENT = COVENTRY_GRANTS | {"360G-EFF-20-1132", "360G-EFF-20-1220"}
SUTTON_GRANTS = {"360G-MercersCompany-17781"}
RUGBY_GRANT = "360G-EFF-20-1187"  # CV21 2AG: Rugby, not Coventry


@pytest.fixture
def study_dir(tmp_path):
    # The tiny study's places have made-up names, so beneficiary names cannot match them: the recipient's
    # address decides (study.yml attribution: recipient).
    settings = dict(TINY_SETTINGS, postcode_districts={"north": ["CV1", "CV2", "CV3", "CV4", "CV5", "CV6"],
                                                       "south": ["SM1"]}, attribution="recipient")
    folder = write_study(tmp_path / "tiny", tiny_tables(), settings)
    return folder


def test_attribution_order_and_reasons():
    grants = pd.DataFrame({
        "Recipient Org:Identifier": [f"GB-CHC-{k}" for k in (1, 2, 3, 4, 5, 6, 1)],
        "Beneficiary Location:Geographic Code": [None, "e09000029", None, None, None, None, "E09000029"],
        "Recipient Org:Postal Code": [None, "CV1 1AA", "cv1 3hw", "CV21 2AG", "02211", None, "SM1 1EA"],
    })
    places = pd.DataFrame({"place_id": ["coventry", "sutton"], "ons_code": ["E08000026", "E09000029"]})
    orgs = pd.DataFrame({"org_id": ["GB-CHC-1"], "place_id": ["coventry"]})
    a = attribute_places(grants, places, orgs, {"coventry": ["CV1"], "sutton": ["SM1"]})
    assert a["place_id"].tolist() == ["coventry", "sutton", "coventry", pd.NA, pd.NA, pd.NA, "coventry"]
    # organisation first, then geographic code (over a Coventry postcode), then postcode district
    assert a["matched_by"].tolist()[:3] == [BY_ORGANISATION, BY_CODE, BY_POSTCODE]
    assert a["matched_by"].iloc[6] == BY_ORGANISATION  # the organisation wins over a Sutton code
    assert a["reason"].tolist()[3:6] == [NO_MATCH_DISTRICT, NO_MATCH_BAD_POSTCODE, NO_MATCH_NOTHING]


def test_second_recipient_and_location_are_tried():
    grants = pd.DataFrame({"Recipient Org:Identifier": ["x", "y"], "Recipient Org:1:Identifier": ["GB-CHC-1", None],
                           "Beneficiary Location:Geographic Code": ["E92000001", "E92000001"],
                           "Beneficiary Location:1:Geographic Code": [None, "E09000029"]})
    places = pd.DataFrame({"place_id": ["coventry", "sutton"], "ons_code": ["E08000026", "E09000029"]})
    orgs = pd.DataFrame({"org_id": ["GB-CHC-1"], "place_id": ["coventry"]})
    assert attribute_places(grants, places, orgs)["place_id"].tolist() == ["coventry", "sutton"]


def test_tracker_postcodes_attributed(shared_data):
    import warnings

    from analysis.funding import read_360giving

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        grants = read_360giving(shared_data / TRACKER)
    places = pd.DataFrame({"place_id": ["coventry", "sutton", "buckinghamshire"],
                           "name": ["Coventry", "Sutton", "Buckinghamshire"],
                           "ons_code": ["E08000026", "E09000029", "E06000060"]})
    orgs = pd.DataFrame({"org_id": [], "place_id": []})
    districts = {"coventry": ["CV1", "CV2", "CV3", "CV4", "CV5", "CV6"], "sutton": ["SM1", "SM2", "SM3", "SM5", "SM6"]}
    a = attribute_places(grants, places, orgs, districts).set_index(grants["Identifier"])
    assert set(a.index[a["place_id"] == "coventry"]) == COVENTRY_GRANTS
    by_recipient = attribute_places(grants, places, orgs, districts, attribution="recipient")
    assert set(grants["Identifier"][by_recipient["place_id"] == "coventry"]) == COVENTRY_BY_RECIPIENT
    assert set(a.index[a["place_id"] == "sutton"]) == SUTTON_GRANTS
    # Rugby's grant is for Warwickshire, not a place of the study
    assert pd.isna(a.loc[RUGBY_GRANT, "place_id"]) and a.loc[RUGBY_GRANT, "reason"] == NO_MATCH_ELSEWHERE
    # the Oxfordshire Community Foundation's grant for LSOA "Aylesbury Vale 005C" (E01017737): a former
    # Buckinghamshire district, matched by the LSOA's name
    assert a.index[a["place_id"] == "buckinghamshire"].tolist() == ["360G-OCF-A550377"]
    assert a.loc["360G-OCF-A550377", "matched_by"] == BY_AREA_NAME
    assert a["place_id"].notna().sum() == 6


def test_import_command_on_tracker(shared_data, study_dir, capsys):
    own = (study_dir / "grants.csv").read_bytes()
    assert main(["import-grants", str(shared_data / TRACKER), "--study", str(study_dir)]) == 0
    out = capsys.readouterr()
    assert "1,978 grants read" in out.out and "USD" in out.out
    files = list((study_dir / "imports").glob("grants-covid19-tracker-grants-data-2020-05-07-*.csv"))
    assert len(files) == 1
    assert (study_dir / "grants.csv").read_bytes() == own  # the researcher's table is untouched
    study = load_study(study_dir)
    imported = study.grants[study.grants["Identifier"].isin(COVENTRY_BY_RECIPIENT | SUTTON_GRANTS)]
    assert len(imported) == 7 and len(study.grants) == 2 + 7
    assert set(imported.loc[imported["place_id"] == "north", "Identifier"]) == COVENTRY_BY_RECIPIENT
    assert set(imported.loc[imported["place_id"] == "south", "Identifier"]) == SUTTON_GRANTS
    assert imported["phase_id"].eq("during").all()  # 24 Mar - 5 May 2020 is inside "during"
    assert "Recipient Org:Postal Code" in pd.read_csv(files[0]).columns

    # A second import of the same file finds every grant already in the study and writes nothing.
    assert main(["import-grants", str(shared_data / TRACKER), "--study", str(study_dir)]) == 0
    out = capsys.readouterr().out
    assert "7 grants already in the study" in out and "Nothing new to import" in out and "attributed" not in out.split(
        "\n")[-2]
    assert list((study_dir / "imports").glob("*.csv")) == files


def test_dry_run_writes_nothing(shared_data, study_dir, capsys):
    assert main(["import-grants", str(shared_data / TRACKER), "--study", str(study_dir), "--dry-run"]) == 0
    assert "7 grants would be imported" in capsys.readouterr().out
    assert not (study_dir / "imports").exists()


def test_import_rejects_non_360giving_file(study_dir, tmp_path, capsys):
    bad = tmp_path / "people.csv"
    bad.write_text("name,email\nA,a@example.org\n", encoding="utf-8")
    assert main(["import-grants", str(bad), "--study", str(study_dir)]) == 1
    assert "missing required 360Giving field 'Identifier'" in capsys.readouterr().err
    assert not (study_dir / "imports").exists()


def test_import_into_missing_study(tmp_path, capsys):
    """A study path that does not exist is a usage error (exit 2) that names the path."""
    assert main(["import-grants", str(tmp_path / "x.csv"), "--study", str(tmp_path / "nowhere")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("coordination import-grants: ") and "nowhere" in err


def test_write_import_never_overwrites(tmp_path):
    grants = pd.DataFrame({"Identifier": ["a"], "Award Date": pd.to_datetime(["2020-04-01"]),
                           "Application Date": pd.to_datetime([None]), "place_id": ["north"]})
    first = write_import(grants, tmp_path / "imports", tmp_path / "src.json")
    second = write_import(grants, tmp_path / "imports", tmp_path / "src.json")
    assert first != second and first.exists() and second.exists()
    assert sorted(p.name for p in (tmp_path / "imports").iterdir()) == sorted([first.name, second.name])  # no temp left
    assert pd.read_csv(first)["Award Date"].tolist() == ["2020-04-01"]


def test_study_yml_postcode_districts_used_from_example(example_copy, shared_data, capsys):
    settings = yaml.safe_load((example_copy / "study.yml").read_text(encoding="utf-8"))
    assert "CV1" in settings["postcode_districts"]["coventry"]
    before = len(load_study(example_copy).grants)
    assert main(["import-grants", str(shared_data / TRACKER), "--study", str(example_copy)]) == 0
    study = load_study(example_copy)
    new = study.grants.iloc[before:]
    assert len(study.grants) == before + 6  # the example uses the default attribution: beneficiary
    assert dict(new["place_id"].value_counts()) == {"coventry": 4, "sutton": 1, "buckinghamshire": 1}
    assert set(new["Identifier"]) == COVENTRY_GRANTS | SUTTON_GRANTS | {"360G-OCF-A550377"}
