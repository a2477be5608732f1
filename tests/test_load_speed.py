"""Loading at scale (issue 14): what converting each distinct value once must not change.

The loader trims, types and compares each distinct value of a text column once and spreads the
result back to every row (analysis.validation.map_distinct, _coerce_column). These tests hold
the behaviours that could regress by it: blank cells, cells that compare equal without being the
same, and problems that name the right file, row and column in a table of 640,000 rows.
The speed itself is measured by benchmarks/bench_loading.py, not here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis import StudyValidationError, load_study
from analysis.schema import TABLES
from analysis.validation import _coerce_column, _coerce_values, cell_text, distinct_text, map_distinct
from tests.helpers import tiny_tables, write_study

# white space as str.strip removes it (space, tab, no-break space, ideographic space) and invisible
# format characters (zero-width space, byte-order mark, word joiner, soft hyphen), alone or mixed
BLANK_LOOKING = [" ", "\t", "\u00a0", "\u3000", "\u200b", "\ufeff", "\u2060", "\u00ad", " \u200b\u2060\u00a0 "]


@pytest.mark.parametrize("cell", BLANK_LOOKING, ids=[repr(c) for c in BLANK_LOOKING])
def test_a_required_cell_of_only_blank_characters_is_reported_blank(tmp_path, cell):
    tables = tiny_tables()
    tables["organisations"].loc[1, "name"] = cell  # North Health Trust, spreadsheet row 3
    folder = write_study(tmp_path / "study", tables)
    with pytest.raises(StudyValidationError) as info:
        load_study(folder)
    errors = info.value.problems.query("severity == 'error'")
    assert errors[["file", "row", "column", "value", "problem"]].values.tolist() == [
        ["organisations.csv", 3, "name", "", "required value is blank"]]


@pytest.mark.parametrize("cell", BLANK_LOOKING, ids=[repr(c) for c in BLANK_LOOKING])
def test_an_optional_cell_of_only_blank_characters_is_not_answered(tmp_path, cell):
    tables = tiny_tables()
    tables["survey_responses"].loc[0, "score"] = cell  # was 4
    tables["relationships"].loc[4, "mission"] = cell  # was blank already: stays so
    study = load_study(write_study(tmp_path / "study", tables))
    assert study.survey_responses["score"].isna().tolist() == [True, True]
    # trust of the fifth rating is the mean of reliability 3 and openness 4, mission blank
    assert study.relationships["trust"].iloc[4] == pytest.approx(3.5)


def test_text_is_trimmed_of_white_space_only(tmp_path):
    tables = tiny_tables()
    tables["organisations"].loc[2, "name"] = "  North Food Bank\u00a0"
    tables["organisations"].loc[3, "name"] = "North\u200bYouth Club \u200b"  # invisible characters inside stay
    study = load_study(write_study(tmp_path / "study", tables))
    assert study.organisations["name"].iloc[2:4].tolist() == ["North Food Bank", "North\u200bYouth Club \u200b"]


def test_values_that_compare_equal_but_differ_are_converted_cell_by_cell():
    # 1 == 1.0 == True in Python, so a workbook column holding them is not factorised
    mixed = pd.Series([1, 1.0, True, "1", " 1 ", None, np.nan], dtype=object)
    assert distinct_text(mixed) is None
    assert map_distinct(mixed, cell_text).tolist() == ["1", "1", "True", "1", "1", None, None]


NASTY = ["", "1", " 1 ", "01", "1.0", "1.5", "-5", "4", "1e309", "inf", "nan", "99999999999999999999", "true", "Yes",
         "no", "perhaps", "2020-03-23", "23/03/2020", "03/23/2020", "1/2/20", "43913", "60", "9999-12-31",
         "£1,250.50", "GBP 12", "12,000,000,000", " GB-CHC-0000007 ", "gb-chc-0000007", "Caf\u00e9", "x"]


@pytest.mark.parametrize("kind_of", ["level", "score", "reverse", "start_date", "Amount Awarded", "org_id", "name"])
def test_a_column_converted_per_distinct_value_equals_it_converted_cell_by_cell(kind_of):
    table = next(t for t in TABLES.values() if kind_of in t.column_names)
    col = table.column(kind_of)
    rng = np.random.default_rng(14)
    raw = pd.Series(rng.choice(np.array(NASTY + [None], dtype=object), size=500), dtype=object,
                    index=pd.RangeIndex(3, 503))  # an index with gaps is kept, as blank rows leave one
    typed, reasons = _coerce_column(col, raw)
    expected_typed, expected_reasons = _coerce_values(col, raw)  # the cell-by-cell conversion
    pd.testing.assert_series_equal(typed, expected_typed, check_names=False, check_index_type=False)
    assert reasons.dropna().to_dict() == expected_reasons.dropna().to_dict()
    assert reasons.notna().sum() > 0 or kind_of in ("org_id", "name")


# --------------------------------------------------------------------------- problems in a large table

ORGS = 800  # 800 x 799 ordered pairs = 639,200 ratings in one place and phase


@pytest.fixture(scope="module")
def large_study(tmp_path_factory):
    """The tiny study with 800 more organisations in north, each rating every other: 639,200 ratings.

    relationships.csv is written with an empty line at spreadsheet row 100,000 and a row of commas
    at row 500,000, and four errors; ``(folder, rows)`` gives the spreadsheet row of every line.
    """
    tables = tiny_tables()
    ids = [f"GB-X-{i:06d}" for i in range(ORGS)]
    extra = pd.DataFrame({"org_id": ids, "name": [f"Group {i}" for i in range(ORGS)], "place_id": "north",
                          "sector": "vcse", "size": "small"})
    tables["organisations"] = pd.concat([tables["organisations"], extra], ignore_index=True)
    del tables["relationships"]
    folder = write_study(tmp_path_factory.mktemp("large") / "study", tables)
    header = ",".join(TABLES["relationships"].column_names)
    lines = [header] + [f"before,{a},{b},2,3,3,4,,,,monthly" for a in ids for b in ids if a != b]
    lines.insert(100_000 - 1, "")  # line i of the list is spreadsheet row i + 1
    lines.insert(500_000 - 1, "," * 10)
    lines[612_345 - 1] = lines[612_345 - 1].replace(",2,3,3,4,", ",5,3,3,4,")
    lines[612_346 - 1] = lines[612_346 - 1].replace(",2,3,3,4,", ",2,three,3,4,")
    lines[612_347 - 1] = "before, gb-x-000000 ,gb-x-000001,2,3,3,4,,,,monthly"  # the rating of row 2 again
    lines[-1] = lines[-1].replace(ids[-2], "GB-X-NOBODY")
    (folder / "relationships.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder, len(lines)


def test_problems_in_a_large_table_name_their_row_and_column(large_study):
    folder, last_row = large_study
    assert last_row == 639_203  # header, 639,200 ratings, an empty line and a row of commas
    with pytest.raises(StudyValidationError) as info:
        load_study(folder)
    errors = info.value.problems.query("severity == 'error'")
    found = sorted(map(tuple, errors[["file", "row", "column", "value", "problem"]].values.tolist()))
    assert found == [
        ("relationships.csv", 612_345, "level", "5", "out of range: must be between 0 and 4"),
        ("relationships.csv", 612_346, "reliability", "three", "not a number"),
        ("relationships.csv", 612_347, "partner_id", "gb-x-000001",
         "duplicate rating: this organisation already rated this partner in this phase (row 2)"),
        ("relationships.csv", 639_203, "partner_id", "GB-X-NOBODY", "unknown organisation: not in organisations.csv"),
    ]
    assert "relationships.csv, row 612345, column level, value '5': out of range: must be between 0 and 4" in str(
        info.value)


def test_an_empty_line_is_a_row_so_the_rows_after_it_keep_their_numbers(tmp_path):
    tables = tiny_tables()
    tables["organisations"].loc[2, "name"] = ""  # North Food Bank: row 4, row 5 after the empty line
    folder = write_study(tmp_path / "study", tables)
    path = folder / "organisations.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join(lines[:2] + [""] + lines[2:]) + "\n\n", encoding="utf-8")
    with pytest.raises(StudyValidationError) as info:
        load_study(folder)
    errors = info.value.problems.query("severity == 'error'")
    assert errors[["row", "column", "problem"]].values.tolist() == [[5, "name", "required value is blank"]]
