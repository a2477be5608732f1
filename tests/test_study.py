"""Loading a study: typed tables from CSV and XLSX, imports, fingerprint, and never a write."""

from __future__ import annotations

import hashlib
import os

import pandas as pd
import pytest

from analysis import StudyValidationError, load_study, study_from_tables
from analysis.schema import SECTORS, TABLES
from tests.helpers import EXAMPLE_DIR, tiny_tables, write_study


def snapshot(folder):
    """Every file under ``folder`` with its content hash and modification time."""
    return {
        p.relative_to(folder): (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*")) if p.is_file()
    }


def test_tables_are_typed(tiny_dir):
    s = load_study(tiny_dir)
    orgs = s.organisations
    assert orgs.loc[orgs["name"] == "North Youth Club", "org_id"].item() == "007"  # "007" stays "007"
    assert str(orgs["org_id"].dtype) == "string"
    assert isinstance(orgs["sector"].dtype, pd.CategoricalDtype) and orgs["sector"].cat.ordered
    assert list(orgs["sector"].cat.categories) == list(SECTORS)
    assert str(s.relationships["level"].dtype) == "Int64"
    assert s.phases["start_date"].tolist() == [pd.Timestamp("2019-04-01"), pd.Timestamp("2020-03-16")]
    assert s.places["population"].tolist() == [379387, 207707]
    assert s.evidence["consent"].tolist() == [True]
    assert s.survey_items["reverse"].tolist() == [False, True]
    assert pd.isna(s.survey_responses["score"].iloc[1])  # blank = not answered


def test_derived_columns(tiny_dir):
    s = load_study(tiny_dir)
    rel = s.relationships
    # ratings 3,3,3 -> trust 3; 2,2,2 -> value 2 (row 1); trust on row 5 is (3 + 4) / 2 with mission blank
    assert rel["trust"].iloc[0] == 3.0 and rel["value"].iloc[0] == 2.0
    assert rel["trust"].iloc[4] == 3.5 and pd.isna(rel["value"].iloc[4])
    assert s.organisations["sector_group"].tolist() == ["council", "health", "vcse", "vcse", "council", "vcse"]
    g = s.grants.set_index("Identifier")
    assert g.loc["360G-x-1", "Amount Awarded"] == 1250.50  # "£1,250.50"
    assert g.loc["360G-x-1", "place_id"] == "north"       # through the recipient's org_id
    assert g.loc["360G-x-2", "place_id"] == "south"       # through the beneficiary code
    assert g.loc["360G-x-1", "phase_id"] == "during"      # 20 April 2020
    assert g.loc["360G-x-2", "phase_id"] == "before"      # 1 June 2019
    assert g.loc["360G-x-1", "days_to_award"] == 14       # 6 April to 20 April
    assert pd.isna(g.loc["360G-x-2", "days_to_award"])


def test_absent_optional_tables_are_empty_with_columns(tmp_path):
    t = tiny_tables()
    folder = write_study(tmp_path / "s", {k: t[k] for k in ("places", "phases", "organisations")})
    s = load_study(folder)
    for name in ("relationships", "boards", "themes", "evidence", "survey_items", "survey_responses", "grants"):
        df = s.table(name)
        assert df.empty and set(TABLES[name].column_names) <= set(df.columns), name


def test_helpers_and_repr(tiny_dir):
    s = load_study(tiny_dir)
    assert s.place_ids == ["north", "south"] and s.phase_ids == ["before", "during"]
    assert s.previous_phase("during") == "before" and s.previous_phase("before") is None
    assert s.first_phase == "before" and s.place_name("south") == "Southville"
    with pytest.raises(KeyError, match="phase 'later' is not in the study"):
        s.previous_phase("later")
    text = repr(s)
    assert "Tiny study" in text and "(illustrative)" in text and "Northtown, Southville" in text
    assert "before -> during" in text and "relationships 5" in text and s.fingerprint in text
    assert len(s.fingerprint) == 12


def test_headers_case_spaces_and_bom(tmp_path):
    t = tiny_tables()
    folder = write_study(tmp_path / "s", t)
    orgs = folder / "organisations.csv"
    text = orgs.read_text(encoding="utf-8")
    header, rest = text.split("\n", 1)
    header = ",".join(f"  {h.upper()} " for h in header.split(","))
    orgs.write_bytes(b"\xef\xbb\xbf" + (header + "\n" + rest).encode("utf-8"))
    s = load_study(folder)
    assert s.organisations["org_id"].tolist()[:2] == ["GB-LAE-NTH", "GB-NHS-N01"]


def test_csv_and_xlsx_load_to_identical_tables(tmp_path, tiny_dir):
    xdir = tmp_path / "x"
    xdir.mkdir()
    (xdir / "study.yml").write_bytes((tiny_dir / "study.yml").read_bytes())
    with pd.ExcelWriter(xdir / "study.xlsx") as writer:
        for name, df in tiny_tables().items():
            df.to_excel(writer, sheet_name=name, index=False)
    a, b = load_study(tiny_dir), load_study(xdir / "study.xlsx")
    for name in TABLES:
        pd.testing.assert_frame_equal(a.table(name), b.table(name), check_dtype=True, obj=name)


def test_xlsx_problem_names_sheet_and_row(tmp_path, tiny_dir):
    t = tiny_tables()
    t["organisations"].loc[2, "sector"] = "bank"
    (tmp_path / "study.yml").write_bytes((tiny_dir / "study.yml").read_bytes())
    with pd.ExcelWriter(tmp_path / "study.xlsx") as writer:
        for name, df in t.items():
            df.to_excel(writer, sheet_name=name, index=False)
    with pytest.raises(StudyValidationError) as info:
        load_study(tmp_path / "study.xlsx")
    p = info.value.problems.iloc[0]
    where = (p["file"], p["sheet"], p["row"], p["column"], p["value"])
    assert where == ("study.xlsx", "organisations", 4, "sector", "bank")


def test_imports_are_appended_and_problems_name_the_imported_file(tiny_dir):
    imports = tiny_dir / "imports"
    imports.mkdir()
    ev = tiny_tables()["evidence"].copy()
    ev["evidence_id"] = ["E2"]
    ev.to_csv(imports / "evidence-interviews.csv", index=False)
    s = load_study(tiny_dir)
    assert s.evidence["evidence_id"].tolist() == ["E1", "E2"]
    ev.loc[0, "theme_id"] = "nonsense"
    ev.to_csv(imports / "evidence-interviews.csv", index=False)
    with pytest.raises(StudyValidationError) as info:
        load_study(tiny_dir)
    p = info.value.problems.iloc[0]
    assert (p["file"], p["row"], p["column"]) == ("imports/evidence-interviews.csv", 2, "theme_id")


def test_fingerprint_follows_the_data(tiny_dir):
    a = load_study(tiny_dir).fingerprint
    assert load_study(tiny_dir).fingerprint == a
    p = tiny_dir / "themes.csv"
    p.write_text(p.read_text().replace("Funding process", "Funding processes"))
    assert load_study(tiny_dir).fingerprint != a


def test_loading_never_writes_into_the_study_folder(tiny_dir):
    before = snapshot(tiny_dir)
    load_study(tiny_dir)
    assert snapshot(tiny_dir) == before  # a successful load writes nothing
    t = tiny_tables()
    t["organisations"].loc[0, "sector"] = "bank"
    write_study(tiny_dir, t)
    before = snapshot(tiny_dir)
    with pytest.raises(StudyValidationError):
        load_study(tiny_dir)
    assert snapshot(tiny_dir) == before
    assert sorted(os.listdir(tiny_dir)) == sorted(p.name for p in before)


def test_study_from_tables_matches_files(tiny_dir):
    a = load_study(tiny_dir)
    b = study_from_tables(tiny_tables(), {"name": "Tiny study"})
    for name in TABLES:
        pd.testing.assert_frame_equal(a.table(name), b.table(name), obj=name)


def test_real_grantnav_spreadsheet_loads_as_grants(tmp_path, shared_data):
    """The Indigo Trust's GrantNav export: 269 real grants, dd/mm/yyyy hh:mm dates, newlines in fields."""
    t = tiny_tables()
    folder = write_study(tmp_path / "s", {k: t[k] for k in ("places", "phases", "organisations")})
    indigo = shared_data / "360giving/grantnav_sample_IndigoTrust_360giving.csv"
    (folder / "grants.csv").write_bytes(indigo.read_bytes())
    s = load_study(folder)
    g = s.grants
    assert len(g) == 269
    assert g["Award Date"].notna().all()
    assert g.loc[0, "Identifier"] == "360G-indigotrust:IND1"
    assert g.loc[0, "Award Date"] == pd.Timestamp("2001-03-26") and g.loc[0, "Amount Awarded"] == 10000
    assert (g["Currency"] == "GBP").all()
    assert g["Description"].str.contains("\n").any()  # quoted fields holding newlines survive


@pytest.mark.skipif(not EXAMPLE_DIR.is_dir(), reason="data/example is not generated")
def test_example_study_loads_and_validates():
    s = load_study("data/example")
    assert s.illustrative
    assert s.place_ids == ["buckinghamshire", "coventry", "sutton"]
    assert s.phase_ids == ["baseline", "emergency", "interim", "final"]
    assert s.places.set_index("place_id")["ons_code"].to_dict() == {
        "buckinghamshire": "E06000060", "coventry": "E08000026", "sutton": "E09000029"}
    assert s.places.set_index("place_id")["population"].to_dict() == {
        "buckinghamshire": 547060, "coventry": 379387, "sutton": 207707}
    assert s.warnings[s.warnings["severity"] == "error"].empty


@pytest.mark.skipif(not EXAMPLE_DIR.is_dir(), reason="data/example is not generated")
def test_damaged_example_copy_reports_each_problem(example_copy, capsys):
    """The issue's acceptance case: unknown place, level 7, missing name column, trust with level 0."""
    from analysis.cli import main

    orgs = pd.read_csv(example_copy / "organisations.csv", dtype=str, keep_default_na=False)
    orgs.loc[3, "place_id"] = "atlantis"
    orgs.to_csv(example_copy / "organisations.csv", index=False)
    rel = pd.read_csv(example_copy / "relationships.csv", dtype=str, keep_default_na=False)
    rel.loc[0, "level"] = "7"
    with_trust = rel.index[(rel["reliability"] != "") & (rel.index > 0)][0]
    rel.loc[with_trust, "level"] = "0"
    rel.to_csv(example_copy / "relationships.csv", index=False)
    places = pd.read_csv(example_copy / "places.csv", dtype=str, keep_default_na=False)
    places.drop(columns=["name"]).to_csv(example_copy / "places.csv", index=False)
    rc = main(["validate", str(example_copy)])
    out = capsys.readouterr().out
    assert rc == 1
    lines = out.splitlines()
    assert any("organisations.csv" in ln and " 5 " in ln and "atlantis" in ln and "unknown place" in ln for ln in lines)
    assert any("relationships.csv" in ln and " 2 " in ln and "out of range" in ln for ln in lines)
    assert any("places.csv" in ln and "name" in ln and "required column is missing" in ln for ln in lines)
    assert any("relationships.csv" in ln and f" {with_trust + 2} " in ln and "level 0" in ln for ln in lines)
