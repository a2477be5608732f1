"""Every rule of the study data package, broken on purpose: file, row, column and reason reported."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis import StudyValidationError, load_study
from analysis.cli import main as coordination
from analysis.validation import parse_dates
from tests.helpers import TINY_SETTINGS, tiny_tables, write_study


def problems_for(tmp_path, change, settings=None) -> pd.DataFrame:
    tables = tiny_tables()
    change(tables)
    folder = write_study(tmp_path / "bad", tables, settings)
    with pytest.raises(StudyValidationError) as info:
        load_study(folder)
    return info.value.problems


def only_error(problems: pd.DataFrame) -> dict:
    errors = problems[problems["severity"] == "error"]
    assert len(errors) == 1, errors.to_string()
    return errors.iloc[0].to_dict()


def set_cell(table, row, column, value):
    def change(tables):
        tables[table].loc[row, column] = value
    return change


# (table, data row index, column, bad value, expected spreadsheet row, words in the reason)
CELL_RULES = [
    ("organisations", 2, "place_id", "nowhere", 4, "unknown place"),
    ("organisations", 0, "sector", "bank", 2, "not one of the allowed values"),
    ("organisations", 1, "size", "huge", 3, "not one of the allowed values"),
    ("organisations", 3, "org_id", "GB-CHC-0000007", 5, "must be unique"),
    ("organisations", 0, "name", "", 2, "required value is blank"),
    ("places", 1, "place_id", "South Ville", 3, "not a valid identifier"),
    ("places", 0, "ons_code", "E0800026", 2, "not an ONS GSS code"),
    ("places", 0, "population", "many", 2, "not a number"),
    ("places", 0, "population", "-5", 2, "must be at least 0"),
    ("phases", 1, "start_date", "03/23/2020", 3, "US-style mm/dd/yyyy"),
    ("phases", 1, "start_date", "16/03/20", 3, "two-digit year"),
    ("phases", 1, "start_date", "31/02/2020", 3, "not a real calendar date"),
    ("phases", 1, "start_date", "soon", 3, "not a date in an accepted form"),
    ("relationships", 0, "level", "7", 2, "out of range: must be between 0 and 4"),
    ("relationships", 0, "level", "2.5", 2, "not a whole number"),
    ("relationships", 0, "reliability", "5", 2, "out of range: must be between 1 and 4"),
    ("relationships", 0, "frequency", "hourly", 2, "not one of the allowed values"),
    ("relationships", 0, "phase_id", "later", 2, "unknown phase"),
    ("relationships", 0, "partner_id", "GB-LAE-NTH", 2, "cannot rate itself"),
    ("relationships", 0, "partner_id", "GB-CHC-0000008", 2, "partner is in another place"),
    ("relationships", 0, "partner_id", "GB-CHC-1234567", 2, "unknown organisation"),
    ("boards", 0, "role", "boss", 2, "not one of the allowed values"),
    ("boards", 1, "org_id", "nobody", 3, "unknown organisation"),
    ("evidence", 0, "theme_id", "hope", 2, "unknown theme"),
    ("evidence", 0, "kind", "rumour", 2, "not one of the allowed values"),
    ("evidence", 0, "consent", "maybe", 2, "not true or false"),
    ("survey_items", 1, "theme_id", "nothing", 3, "unknown theme"),
    ("survey_responses", 0, "score", "6", 2, "out of range: must be between 1 and 5"),
    ("survey_responses", 1, "item_id", "Q9", 3, "unknown survey item"),
    ("grants", 1, "Amount Awarded", "lots", 3, "not a number"),
    ("grants", 0, "Award Process", "lottery", 2, "not one of the allowed values"),
    ("grants", 0, "Application Date", "2020-05-01", 2, "application date is after the award date"),
]


@pytest.mark.parametrize("table,row,column,value,sheet_row,reason", CELL_RULES,
                         ids=[f"{t}.{c}={v}" for t, _, c, v, _, _ in CELL_RULES])
def test_each_cell_rule_names_file_row_column_and_reason(tmp_path, table, row, column, value, sheet_row, reason):
    problems = problems_for(tmp_path, set_cell(table, row, column, value))
    errors = problems[problems["severity"] == "error"]
    hit = errors[(errors["file"] == f"{table}.csv") & (errors["row"] == sheet_row) & (errors["column"] == column)]
    assert not hit.empty, errors.to_string()
    assert reason in " ".join(hit["problem"]), hit["problem"].tolist()
    assert value in hit["value"].tolist() or value == ""


def test_level_zero_with_ratings_reports_each_rating_given(tmp_path):
    problems = problems_for(tmp_path, set_cell("relationships", 1, "level", "0"))
    errors = problems[problems["severity"] == "error"]
    # row 3 (the second data row) carries all three trust and all three value ratings
    ratings = ["reliability", "mission", "openness", "influence", "involvement", "resources"]
    assert sorted(errors["column"]) == sorted(ratings)
    assert set(errors["row"]) == {3}
    assert any("value rating given with level 0" in p for p in errors["problem"])


def test_duplicate_rating_names_the_first_row(tmp_path):
    def dup(tables):
        r = tables["relationships"]
        tables["relationships"] = pd.concat([r, r.iloc[[2]]], ignore_index=True)
    err = only_error(problems_for(tmp_path, dup))
    assert (err["file"], err["row"], err["column"]) == ("relationships.csv", 7, "partner_id")
    assert err["problem"].startswith("duplicate rating") and "(row 4)" in err["problem"]


def test_overlapping_phase_windows(tmp_path):
    err = only_error(problems_for(tmp_path, set_cell("phases", 1, "start_date", "2020-03-01")))
    assert (err["file"], err["row"], err["column"]) == ("phases.csv", 3, "start_date")
    assert "overlaps phase 'before' (row 2)" in err["problem"]


def test_phase_ending_before_it_starts(tmp_path):
    err = only_error(problems_for(tmp_path, set_cell("phases", 1, "end_date", "2020-03-10")))
    assert err["row"] == 3 and err["column"] == "end_date" and err["problem"] == "ends before it starts"


def test_missing_required_column_is_named(tmp_path):
    def drop(tables):
        tables["organisations"] = tables["organisations"].drop(columns=["name"])
    err = only_error(problems_for(tmp_path, drop))
    assert (err["file"], err["column"], err["problem"]) == ("organisations.csv", "name", "required column is missing")
    assert pd.isna(err["row"])


def test_missing_required_table(tmp_path):
    folder = write_study(tmp_path / "s", {k: v for k, v in tiny_tables().items() if k != "phases"})
    with pytest.raises(StudyValidationError) as info:
        load_study(folder)
    problems = info.value.problems
    assert "the phases table is required and missing" in problems["problem"].tolist()


def test_non_gbp_grant_is_a_warning_not_an_error(tmp_path):
    tables = tiny_tables()
    tables["grants"].loc[1, "Currency"] = "USD"
    study = load_study(write_study(tmp_path / "s", tables))
    w = study.warnings[study.warnings["column"] == "Currency"].iloc[0]
    assert (w["file"], w["row"], w["value"]) == ("grants.csv", 3, "USD")
    assert "not in GBP" in w["problem"]


@pytest.mark.parametrize("key,value,reason", [
    ("tie_min_level", 7, "from 1 to 4"),
    ("disclosure_threshold", 0, "at least 1"),
    ("illustrative", "perhaps", "true or false"),
])
def test_bad_settings_in_study_yml(tmp_path, key, value, reason):
    err = only_error(problems_for(tmp_path, lambda t: None, settings=dict(TINY_SETTINGS, **{key: value})))
    assert err["file"] == "study.yml" and err["column"] == key and reason in err["problem"]


def test_all_problems_are_reported_at_once(tmp_path):
    def many(tables):
        tables["organisations"].loc[2, "place_id"] = "nowhere"
        tables["relationships"].loc[0, "level"] = "7"
        tables["phases"].loc[0, "end_date"] = "yesterday"
    problems = problems_for(tmp_path, many)
    assert len(problems[problems["severity"] == "error"]) == 3


@pytest.mark.parametrize("text,expected", [
    ("2020-03-23", "2020-03-23"),
    ("2020-03-23T10:15:00+00:00", "2020-03-23"),
    ("23/03/2020", "2020-03-23"),
    ("3/4/2020", "2020-04-03"),          # UK order: 3 April
    ("26/03/2001 00:00", "2001-03-26"),  # GrantNav's dd/mm/yyyy hh:mm
    ("43913", "2020-03-23"),             # Excel serial: 43913 days after 1899-12-30
    (43913.75, "2020-03-23"),            # a serial with a time of day
    (pd.Timestamp("2020-03-23 09:00"), "2020-03-23"),  # an Excel date cell read by openpyxl
])
def test_date_forms_accepted(text, expected):
    dates, reasons = parse_dates(pd.Series([text], dtype=object))
    assert str(dates.iloc[0].date()) == expected and pd.isna(reasons.iloc[0])


def test_validate_command_on_damaged_study(tmp_path, capsys):
    def damage(tables):
        tables["organisations"].loc[2, "place_id"] = "atlantis"
        tables["relationships"].loc[2, "level"] = "7"
        tables["relationships"].loc[0, "level"] = "0"
        tables["places"] = tables["places"].drop(columns=["name"])
    tables = tiny_tables()
    damage(tables)
    folder = write_study(tmp_path / "bad", tables)
    rc = coordination(["validate", str(folder)])
    out = capsys.readouterr()
    assert rc == 1
    assert "organisations.csv" in out.out and "atlantis" in out.out and "unknown place" in out.out
    assert "required column is missing" in out.out
    assert "out of range: must be between 0 and 4" in out.out
    assert "trust rating given with level 0" in out.out
    assert "error(s)" in out.out
