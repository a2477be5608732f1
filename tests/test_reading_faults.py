"""Bad files never give a traceback or unbounded memory: each becomes a problem naming the file, row or member."""

from __future__ import annotations

import datetime as dt
import pathlib
import struct
import subprocess
import sys
import tracemalloc
import warnings
import zipfile

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.errors import CoordinationError, ReadError, describe_read_error, plain_reason
from analysis.funding.threesixtygiving import ThreeSixtyGivingError, ThreeSixtyGivingWarning, read_360giving
from analysis.qdpx.positions import PositionIndex, extract_text
from analysis.qdpx.reader import DEFAULT_MAX_SIZE, QdpxError, QdpxTooLargeError, QdpxXmlError, read_qdpx
from analysis.study import StudyValidationError, load_study
from analysis.validation import MAX_AMOUNT, parse_dates
from tests.helpers import tiny_tables, write_study

# --------------------------------------------------------------------------- helpers


def problems_of(folder) -> pd.DataFrame:
    with pytest.raises(StudyValidationError) as info:
        load_study(folder)
    return info.value.problems


def errors_of(folder) -> list[tuple]:
    p = problems_of(folder)
    p = p[p["severity"] == "error"]
    return [(r.file, None if pd.isna(r.row) else int(r.row), r.column, r.value, r.problem) for r in p.itertuples()]


def study_with(tmp_path, **tables) -> pathlib.Path:
    """The tiny study with some tables replaced (DataFrames) and some files written as raw bytes."""
    base = tiny_tables()
    frames = {k: v for k, v in tables.items() if isinstance(v, pd.DataFrame)}
    folder = write_study(tmp_path / "s", {**base, **frames})
    for name, data in tables.items():
        if isinstance(data, bytes):
            (folder / f"{name}.csv").write_bytes(data)
    return folder


GRANT_HEADER = ("Identifier,Title,Currency,Amount Awarded,Award Date,Recipient Org:Identifier,"
                "Recipient Org:Name,Funding Org:Identifier,Funding Org:Name\n")

# --------------------------------------------------------------------------- files of a study


def test_row_with_extra_fields_is_named_by_row(tmp_path):
    text = ("org_id,name,place_id,sector,size\n"
            "GB-LAE-NTH,Northtown Council,north,local_authority,major\n"
            "GB-NHS-N01,North Health Trust,north,health,major\n"
            "GB-CHC-0000007,North Food Bank, Northtown branch,north,vcse,small\n"  # unquoted comma
            "007,North Youth Club,north,community_group,micro\n"
            "GB-LAE-STH,Southville Council,south,local_authority,major\n"
            "GB-CHC-0000008,South Advice,south,vcse,medium\n")
    errs = errors_of(study_with(tmp_path, organisations=text.encode()))
    assert errs == [("organisations.csv", 4, "", "",
                     "has 6 fields but the header has 5: a value holding a comma must be in double quotes")]


def test_extra_fields_in_the_first_row_are_not_silently_dropped(tmp_path):
    # pandas drops them with only a warning (index_col=False) or shifts the columns (default)
    text = "place_id,name\nnorth,Northtown,E08000026\nsouth,Southville\n"
    errs = errors_of(study_with(tmp_path, places=text.encode()))
    assert errs == [("places.csv", 2, "", "",
                     "has 3 fields but the header has 2: a value holding a comma must be in double quotes")]


def test_windows_1252_csv_is_read_with_a_warning(tmp_path):
    orgs = tiny_tables()["organisations"]
    orgs.loc[2, "name"] = "Café £5 Pantry – Northtown"  # é, £ and an en dash: all in Windows-1252
    data = orgs.to_csv(index=False).encode("cp1252")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")  # the file really is not UTF-8
    study = load_study(study_with(tmp_path, organisations=data))
    assert study.organisations.loc[2, "name"] == "Café £5 Pantry – Northtown"
    w = study.warnings
    assert w[["severity", "file", "column"]].values.tolist() == [["warning", "organisations.csv", ""]]
    assert w.iloc[0]["problem"].startswith(
        'read as Windows-1252 text, not UTF-8 (Excel on Windows saves "CSV" this way)')


def test_binary_file_is_named_not_a_traceback(tmp_path):
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256))
    errs = errors_of(study_with(tmp_path, boards=png))
    assert len(errs) == 1
    file, row, column, value, problem = errs[0]
    assert (file, row) == ("boards.csv", None)
    # 0x81 is one of the five bytes Windows-1252 leaves undefined: 16 bytes of PNG header, then 0x00..0x81
    assert problem.startswith("not text that UTF-8 or Windows-1252 can read (byte 0x81 at position 145)")


def test_text_with_nul_bytes_is_binary(tmp_path):
    errs = errors_of(study_with(tmp_path, themes=b"theme_id,label,dimension\ntrust,Tr\x00ust,attitudes\n"))
    assert errs == [("themes.csv", None, "", "",
                     "a binary file, not CSV text (control character 0x00 at character 33): "
                                                   "save the table as \"CSV UTF-8\"")]


@pytest.mark.parametrize("content", [b"", b"\xef\xbb\xbf", b"\r\n\r\n"])
def test_empty_csv_is_one_problem(tmp_path, content):
    errs = errors_of(study_with(tmp_path, evidence=content))
    assert errs == [("evidence.csv", None, "", "", "the file is empty: it has no header row")]


def test_unreadable_required_table_is_not_also_missing_and_its_references_are_not_unknown(tmp_path):
    errs = errors_of(study_with(tmp_path, places=b""))
    # one problem: no "places table is required and missing", no "unknown place" in other tables
    assert errs == [("places.csv", None, "", "", "the file is empty: it has no header row")]


def test_a_folder_where_a_csv_should_be(tmp_path):
    folder = study_with(tmp_path)
    (folder / "boards.csv").unlink()
    (folder / "boards.csv").mkdir()
    assert errors_of(folder) == [("boards.csv", None, "", "", "is a folder, not a file")]


def test_permission_denied_is_one_sentence(tmp_path, monkeypatch):
    folder = study_with(tmp_path)
    real = pathlib.Path.read_bytes

    def denied(self):
        if self.name == "survey_items.csv":
            raise PermissionError(13, "Permission denied", str(self))
        return real(self)

    monkeypatch.setattr(pathlib.Path, "read_bytes", denied)
    errs = errors_of(folder)
    assert ("survey_items.csv", None, "", "",
            "permission denied: this account may not read it (check the file's permissions and owner)") in errs


def test_bad_imported_file_names_its_path(tmp_path):
    folder = study_with(tmp_path)
    (folder / "imports").mkdir()
    (folder / "imports" / "grants-x.csv").write_bytes(GRANT_HEADER.encode() + b"a,b,c,d,e,f,g,h,i,j,k\n")
    errs = errors_of(folder)
    assert errs == [("imports/grants-x.csv", 2, "", "",
                     "has 11 fields but the header has 9: a value holding a comma must be in double quotes")]


def test_validate_command_shows_no_traceback_for_any_of_these(tmp_path):
    folder = study_with(tmp_path, boards=b"", places=b"place_id,name\nnorth,N,x\n", themes=bytes(range(256)))
    out = subprocess.run([sys.executable, "-m", "analysis", "validate", str(folder)],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 1
    assert "Traceback" not in out.stdout + out.stderr
    assert "boards.csv" in out.stdout and "places.csv" in out.stdout and "themes.csv" in out.stdout
    assert "3 error(s)" in out.stdout


# --------------------------------------------------------------------------- numbers


@pytest.mark.parametrize("written,reason", [
    ("inf", "not a finite amount (infinite or not-a-number)"),
    ("-Infinity", "not a finite amount (infinite or not-a-number)"),
    ("1e309", "not a finite amount (infinite or not-a-number)"),  # beyond a double: read as inf
    ("nan", "not a number"),
    ("1e308", "more than 10,000,000,000: no single grant is that large; check for digits run together"),
    ("£10,000,000,001", "more than 10,000,000,000: no single grant is that large; check for digits run together"),
])
def test_amounts_that_are_not_money_are_errors_with_the_row(tmp_path, written, reason):
    grants = tiny_tables()["grants"]
    grants.loc[1, "Amount Awarded"] = written
    assert errors_of(study_with(tmp_path, grants=grants)) == [("grants.csv", 3, "Amount Awarded", written, reason)]


def test_ten_billion_exactly_is_accepted(tmp_path):
    grants = tiny_tables()["grants"]
    grants.loc[1, "Amount Awarded"] = "10,000,000,000"
    study = load_study(study_with(tmp_path, grants=grants))
    assert study.grants["Amount Awarded"].tolist() == [1250.5, float(MAX_AMOUNT)]


def test_whole_number_column_with_infinity(tmp_path):
    places = tiny_tables()["places"]
    places.loc[0, "population"] = "1e309"
    places.loc[1, "population"] = "99999999999999999999"
    assert errors_of(study_with(tmp_path, places=places)) == [
        ("places.csv", 2, "population", "1e309", "not a number"),
        ("places.csv", 3, "population", "99999999999999999999", "too large a number (more than 9,007,199,254,740,992)"),
    ]


# --------------------------------------------------------------------------- dates


@pytest.mark.parametrize("serial,date", [
    # Excel's 1900 date system, worked out from its definition: day 1 is 1900-01-01; 1900 is
    # (wrongly) taken to have a 29 February, so from 1 March 1900 the count is one ahead.
    (1, "1900-01-01"),
    (2, "1900-01-02"),
    (31, "1900-01-31"),
    (32, "1900-02-01"),
    (59, "1900-02-28"),
    (61, "1900-03-01"),
    (366, "1900-12-31"),
    (367, "1901-01-01"),
    (36526, "2000-01-01"),  # Microsoft's documented example: 1 January 2000 is 36526
    (43913, "2020-03-23"),
])
def test_excel_serials_follow_excels_calendar(serial, date):
    for value in (serial, str(serial), float(serial) + 0.75):
        d, r = parse_dates(pd.Series([value], dtype=object))
        assert str(d.iloc[0].date()) == date and pd.isna(r.iloc[0]), value


def test_excel_serial_60_is_not_a_real_date(tmp_path):
    phases = tiny_tables()["phases"]
    phases.loc[0, "start_date"] = "60"
    assert errors_of(study_with(tmp_path, phases=phases)) == [
        ("phases.csv", 2, "start_date", "60", "Excel serial 60 is 29 February 1900, a day that never was "
         "(Excel takes 1900 for a leap year by mistake): write the real date")]


@pytest.mark.parametrize("written,reason", [
    ("9999-12-31", "beyond the dates the analysis can hold (1678-01-01 to 2261-12-31): write the real date, "
                   "or leave it blank if there is none"),
    ("31/12/9999", "beyond the dates the analysis can hold (1678-01-01 to 2261-12-31): write the real date, "
                   "or leave it blank if there is none"),
    ("2958465", "Excel serial 2958465 is 9999-12-31, beyond the dates the analysis can hold (1678-01-01 to "
                "2261-12-31): write the real date, or leave it blank if there is none"),
    ("2958466", "a number that is not an Excel date serial (1 to 2958465)"),
    ("1e30", "not a date in an accepted form (yyyy-mm-dd, dd/mm/yyyy, or an Excel date)"),
])
def test_dates_beyond_pandas_range_are_problem_rows(tmp_path, written, reason):
    phases = tiny_tables()["phases"]
    phases.loc[1, "end_date"] = written
    assert errors_of(study_with(tmp_path, phases=phases)) == [("phases.csv", 3, "end_date", written, reason)]


def test_workbook_date_cell_in_year_9999(tmp_path):
    folder = tmp_path / "x"
    folder.mkdir()
    (folder / "study.yml").write_text("name: Workbook\n")
    tables = tiny_tables()
    tables["phases"] = tables["phases"].astype(object)
    tables["phases"].loc[1, "end_date"] = dt.datetime(9999, 12, 31)
    with pd.ExcelWriter(folder / "study.xlsx", engine="openpyxl") as xl:
        for name, df in tables.items():
            df.to_excel(xl, sheet_name=name, index=False)
    errs = errors_of(folder)
    assert errs == [("study.xlsx", 3, "end_date", "9999-12-31 00:00:00",
                     "beyond the dates the analysis can hold (1678-01-01 to 2261-12-31): write the real date, "
                     "or leave it blank if there is none")]


# --------------------------------------------------------------------------- identifiers


def test_references_resolve_ignoring_case_and_spaces(tmp_path):
    rel = tiny_tables()["relationships"]
    rel.loc[0, "partner_id"] = "gb-chc-0000007 "  # as typed by hand; written with its space in the CSV
    rel.loc[1, "org_id"] = " Gb-Chc-0000007"
    boards = tiny_tables()["boards"]
    boards.loc[0, "org_id"] = "gb-lae-nth"
    grants = tiny_tables()["grants"]
    grants.loc[0, "Recipient Org:Identifier"] = "gb-chc-0000007"
    folder = study_with(tmp_path, relationships=rel, boards=boards, grants=grants)
    assert "gb-chc-0000007 " in (folder / "relationships.csv").read_text()
    study = load_study(folder)
    assert study.relationships.loc[0, "partner_id"] == "GB-CHC-0000007"
    assert study.relationships.loc[1, "org_id"] == "GB-CHC-0000007"
    assert study.boards.loc[0, "org_id"] == "GB-LAE-NTH"
    # the grant reaches its recipient's place through the resolved identifier
    assert study.grants.loc[0, ["Recipient Org:Identifier", "place_id"]].tolist() == ["GB-CHC-0000007", "north"]


def test_self_rating_is_found_across_letter_case(tmp_path):
    rel = tiny_tables()["relationships"]
    rel.loc[0, "partner_id"] = "gb-lae-nth"  # the council rating itself, written in lower case
    errs = errors_of(study_with(tmp_path, relationships=rel))
    assert ("relationships.csv", 2, "partner_id", "GB-LAE-NTH", "an organisation cannot rate itself") in errs


def test_duplicate_rating_found_across_letter_case(tmp_path):
    rel = tiny_tables()["relationships"]
    rel.loc[len(rel)] = ["during", "gb-lae-nth", "GB-CHC-0000007", "3", "", "", "", "", "", "", "weekly"]
    errs = errors_of(study_with(tmp_path, relationships=rel))
    assert errs == [("relationships.csv", 7, "partner_id", "GB-CHC-0000007",
                     "duplicate rating: this organisation already rated this partner in this phase (row 4)")]


def test_org_ids_differing_only_in_case_are_an_error_naming_both_rows(tmp_path):
    orgs = tiny_tables()["organisations"]
    orgs.loc[len(orgs)] = ["gb-chc-0000007", "Food Bank (again)", "north", "vcse", "small"]
    errs = errors_of(study_with(tmp_path, organisations=orgs))
    assert errs == [("organisations.csv", 8, "org_id", "gb-chc-0000007",
                     "differs only in letter case or spaces from 'GB-CHC-0000007' (row 4): identifiers are compared "
                     "ignoring case, so these are the same; write it one way")]


def test_respondent_ids_differing_only_in_case_are_an_error(tmp_path):
    resp = tiny_tables()["survey_responses"]
    resp.loc[1, "respondent_id"] = "r001"
    errs = errors_of(study_with(tmp_path, survey_responses=resp))
    assert errs == [("survey_responses.csv", 3, "respondent_id", "r001",
                     "differs only in letter case or spaces from 'R001' (row 2): identifiers are compared "
                     "ignoring case, so these are the same; write it one way")]


def test_grant_identifiers_differing_only_in_case_across_an_import(tmp_path):
    folder = study_with(tmp_path)
    (folder / "imports").mkdir()
    (folder / "imports" / "grants-again.csv").write_text(
        GRANT_HEADER + "360g-X-1,Food parcels,GBP,1250.50,2020-04-20,GB-CHC-0000007,Bank,GB-LAE-NTH,Council\n")
    errs = errors_of(folder)
    assert errs == [("imports/grants-again.csv", 2, "Identifier", "360g-X-1",
                     "differs only in letter case or spaces from '360G-x-1' (row 2): identifiers are compared "
                     "ignoring case, so these are the same; write it one way")]


# --------------------------------------------------------------------------- 360Giving files


def grants_csv(tmp_path, body: bytes, name="g.csv") -> pathlib.Path:
    p = tmp_path / name
    p.write_bytes(body)
    return p


def test_360giving_windows_1252_read_with_a_warning(tmp_path):
    text = GRANT_HEADER + "360G-a,Caf\u00e9 for all,GBP,\u00a31500,26/03/2020,GB-CHC-1,Caf\u00e9 Trust,GB-CHC-9,Fund\n"
    p = grants_csv(tmp_path, text.encode("cp1252"))
    with pytest.warns(ThreeSixtyGivingWarning, match=r"g\.csv: read as Windows-1252 text, not UTF-8"):
        g = read_360giving(p)
    assert g.loc[0, "Title"] == "Café for all" and g.loc[0, "Amount Awarded"] == 1500.0


@pytest.mark.parametrize("body,message", [
    (b"", "not a readable CSV file: the file is empty: it has no header row"),
    (bytes(range(256)),
     "not a readable CSV file: not text that UTF-8 or Windows-1252 can read (byte 0x81 at position 129)"),
    (GRANT_HEADER.encode() + b"1,2,3,4,5,6,7,8,9,10\n", "1 row(s) have more fields than the header's 9: row 2 (10)"),
])
def test_360giving_unreadable_csv_names_the_file(tmp_path, body, message):
    p = grants_csv(tmp_path, body)
    with pytest.raises(ThreeSixtyGivingError) as info:
        read_360giving(p)
    assert str(info.value).startswith(f"{p}")
    assert message in str(info.value)
    assert isinstance(info.value, CoordinationError)


def test_360giving_amount_infinite_names_row_and_reason(tmp_path):
    p = grants_csv(tmp_path, (GRANT_HEADER + "360G-a,A,GBP,100,2020-01-01,X,X,Y,Y\n"
                              "360G-b,B,GBP,1e309,2020-01-01,X,X,Y,Y\n").encode())
    with pytest.raises(ThreeSixtyGivingError) as info:
        read_360giving(p)
    assert str(info.value) == (
        f"{p}, row 3, column 'Amount Awarded': 1 grant(s) have an amount that cannot be used: "
        "row 3, column 'Amount Awarded': '1e309' (not a finite amount (infinite or not-a-number))")


def test_360giving_identifiers_repeated_in_another_case(tmp_path):
    p = grants_csv(tmp_path, (GRANT_HEADER + "360G-abc-1,A,GBP,100,2020-01-01,X,X,Y,Y\n"
                              "360g-ABC-1 ,B,GBP,100,2020-01-01,X,X,Y,Y\n").encode())
    with pytest.raises(ThreeSixtyGivingError, match=r"row 3, column 'Identifier': '360g-ABC-1'"):
        read_360giving(p)


def test_360giving_date_beyond_range(tmp_path):
    p = grants_csv(tmp_path, (GRANT_HEADER + "360G-a,A,GBP,100,9999-12-31,X,X,Y,Y\n").encode())
    with pytest.raises(ThreeSixtyGivingError, match=r"'9999-12-31' \(beyond the dates the analysis can hold"):
        read_360giving(p)


def test_360giving_json_nested_too_deeply(tmp_path):
    p = grants_csv(tmp_path, b"[" * 200_000 + b"]" * 200_000, name="g.json")
    with pytest.raises(ThreeSixtyGivingError) as info:
        read_360giving(p)
    assert str(info.value) == f"{p}: not a readable JSON file: nested too deeply to read"


def test_360giving_json_with_bad_bytes(tmp_path):
    p = grants_csv(tmp_path, b'{"grants": [{"title": "Caf\xe9"}]}', name="g.json")
    with pytest.raises(ThreeSixtyGivingError, match=r"g\.json: not a readable JSON file: not UTF-8 text \(byte 0xe9"):
        read_360giving(p)


def test_import_grants_command_on_an_unreadable_file(tmp_path, capsys):
    from analysis.cli import main

    folder = study_with(tmp_path)
    p = grants_csv(tmp_path, b"")
    assert main(["import-grants", str(p), "--study", str(folder)]) == 1
    err = capsys.readouterr().err
    assert err == f"coordination import-grants: {p}: not a readable CSV file: the file is empty: it has no header row\n"
    assert not (folder / "imports").exists()


# --------------------------------------------------------------------------- .qdpx: bounded memory

PROJECT = ('<?xml version="1.0" encoding="utf-8"?>'
           '<Project xmlns="urn:QDA-XML:project:1.0" name="p" origin="QualCoder 3.6">'
           '<Sources>{sources}</Sources></Project>')


def text_source(n: int, name: str) -> str:
    return (f'<TextSource guid="00000000-0000-0000-0000-{n:012d}" name="{name}" '
            f'plainTextPath="internal://{name}.txt"/>')


def write_qdpx(path, texts: dict[str, int], project: str | None = None) -> pathlib.Path:
    """A .qdpx whose source texts are ``size`` bytes of one letter, streamed in (never held in memory)."""
    sources = "".join(text_source(i, name) for i, name in enumerate(texts, start=1))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        z.writestr("project.qde", project or PROJECT.format(sources=sources))
        for name, size in texts.items():
            with z.open(f"Sources/{name}.txt", "w", force_zip64=size > 2**31) as fh:
                block = b"a" * 2**20
                for _ in range(size // len(block)):
                    fh.write(block)
                fh.write(b"a" * (size % len(block)))
    return pathlib.Path(path)


def peak_memory(call):
    tracemalloc.start()
    try:
        try:
            call()
        except Exception as exc:  # noqa: BLE001 -- the test inspects whatever the reader raised
            result = exc
        else:
            result = None
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.fixture(scope="module")
def bomb(tmp_path_factory) -> pathlib.Path:
    """250 MB of one letter as a source text: about 1 MB zipped, over the 200 MB default."""
    return write_qdpx(tmp_path_factory.mktemp("bomb") / "bomb.qdpx", {"interview-03": 250_000_000})


def test_zip_bomb_source_text_refused_before_reading(bomb):
    path = bomb
    assert path.stat().st_size < 2_000_000
    error, peak = peak_memory(lambda: read_qdpx(path))
    assert isinstance(error, QdpxTooLargeError)
    assert str(error) == (f"{path}, member Sources/interview-03.txt: source text interview-03.txt would be 250 MB "
                          "uncompressed, over the 200 MB limit; pass --max-size to raise it")
    assert (error.size, error.limit) == (250_000_000, DEFAULT_MAX_SIZE)
    assert peak < 10 * 2**20, f"peak {peak / 2**20:.1f} MiB"


def test_project_qde_bomb_refused(tmp_path):
    path = tmp_path / "qde.qdpx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        with z.open("project.qde", "w") as fh:
            fh.write(b"<Project>")
            for _ in range(30):
                fh.write(b" " * 2**20)
    error, peak = peak_memory(lambda: read_qdpx(path, max_size=10_000_000))
    assert str(error) == (f"{path}, member project.qde: project file project.qde would be 31.5 MB uncompressed, "
                          "over the 10 MB limit; pass --max-size to raise it")
    assert peak < 5 * 2**20


def test_whole_archive_capped_as_well_as_each_member(tmp_path):
    path = write_qdpx(tmp_path / "two.qdpx", {"interview-01": 600_000, "interview-02": 600_000})
    with pytest.raises(QdpxTooLargeError) as info:
        read_qdpx(path, max_size=1_000_000)
    assert str(info.value).endswith("source text interview-02.txt and what was read before it would be 1.2 MB "
                                    "uncompressed, over the 1 MB limit; pass --max-size to raise it")
    project = read_qdpx(path, max_size=2_000_000)  # raised: read in full
    assert sorted(len(s.text) for s in project.sources.values()) == [600_000, 600_000]


def test_zip_entry_that_lies_about_its_size_is_caught(tmp_path):
    path = write_qdpx(tmp_path / "liar.qdpx", {"interview-01": 5_000_000})
    data = bytearray(path.read_bytes())
    at = data.rfind(b"PK\x01\x02")  # the last central directory entry: the text
    data[at + 24:at + 28] = struct.pack("<I", 1000)  # claims 1,000 bytes uncompressed
    path.write_bytes(bytes(data))
    error, peak = peak_memory(lambda: read_qdpx(path, max_size=2_000_000))
    assert isinstance(error, QdpxError)
    assert str(error).startswith(f"{path}, member Sources/interview-01.txt: cannot be read from the zip archive: "
                                 "a damaged zip archive (Bad CRC-32")
    assert peak < 5 * 2**20


def test_qdpx_info_command_names_the_cap_and_the_option(bomb, capsys):
    from analysis.cli import main

    assert main(["qdpx-info", str(bomb)]) == 1
    assert capsys.readouterr().err == (f"coordination qdpx-info: {bomb}, member Sources/interview-03.txt: source text "
                                       "interview-03.txt would be 250 MB uncompressed, over the 200 MB limit; "
                                       "pass --max-size to raise it\n")


def test_raising_the_cap_reads_the_text(tmp_path):
    path = write_qdpx(tmp_path / "big.qdpx", {"interview-07": 3_000_000})
    with pytest.raises(QdpxTooLargeError):
        read_qdpx(path, max_size=2_000_000)
    project = read_qdpx(path, max_size=5_000_000)
    assert [len(s.text) for s in project.sources.values()] == [3_000_000]


@pytest.mark.parametrize("use", [
    '<Project xmlns="urn:QDA-XML:project:1.0" name="&x;" origin="x"/>',  # in an attribute
    '<Project xmlns="urn:QDA-XML:project:1.0" name="p"><Description>&x;</Description></Project>',  # in text
])
def test_external_entity_in_project_qde_is_refused(tmp_path, use):
    secret = tmp_path / "secret.txt"
    secret.write_text("the council's private notes")
    xml = f'<?xml version="1.0"?><!DOCTYPE Project [<!ENTITY x SYSTEM "file://{secret}">]>' + use
    path = tmp_path / "xxe.qdpx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("project.qde", xml)
    with pytest.raises(QdpxXmlError) as info:
        read_qdpx(path)
    assert "project XML declares a DOCTYPE, which a REFI-QDA project never has" in str(info.value)
    assert "private notes" not in str(info.value)


@pytest.mark.parametrize("make,reason", [
    (lambda p: p.write_bytes(b"PK\x03\x04" + b"\x00" * 100), "not a REFI-QDA project (.qdpx)"),
    (lambda p: p.write_bytes(b"just text"), "not a REFI-QDA project (.qdpx): it is not a zip archive"),
])
def test_damaged_qdpx_is_a_qdpx_error(tmp_path, make, reason):
    path = tmp_path / "bad.qdpx"
    make(path)
    with pytest.raises(QdpxError, match=reason.replace("(", r"\(").replace(")", r"\)").replace(".", r"\.")):
        read_qdpx(path)


def test_positions_need_no_memory_per_character():
    # 20 million characters with an emoji and CR LF line breaks: the old offsets took 8 bytes
    # per character twice over (320 MB); the block index takes 8 bytes per 4,096 characters
    line = "We met weekly \U0001F91D and it helped.\r\n"
    text = line * (20_000_000 // len(line))
    n_lines = len(text) // len(line)
    tracemalloc.start()
    try:
        index = PositionIndex(text, "utf16", "one")
        # the last line, counted in UTF-16 units with one position per line break
        per_line = len(line) + 1 - 1  # the emoji counts two, the CR none
        start = (n_lines - 1) * per_line
        got = extract_text(text, start, start + 13, "utf16", "one", index)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert got == "We met weekly"
    assert index.total == n_lines * per_line
    assert peak < 2 * 2**20, f"peak {peak / 2**20:.1f} MiB for {len(text):,} characters"


def reference_positions(text: str, unit: str, crlf: str) -> list[int]:
    """Position of each string index, by walking the text one character at a time (the definition)."""
    out, pos = [], 0
    for i, ch in enumerate(text):
        out.append(pos)
        if crlf == "one" and ch == "\r" and text[i + 1:i + 2] == "\n":
            continue
        pos += 2 if unit == "utf16" and ord(ch) > 0xFFFF else 1
    out.append(pos)
    return out


@settings(max_examples=200, deadline=None, derandomize=True)
@given(text=st.text(alphabet=st.sampled_from(["a", "é", "\r", "\n", "\U0001F91D", "\U0001D11E"]), max_size=60),
       unit=st.sampled_from(["codepoints", "utf16"]), crlf=st.sampled_from(["one", "two"]),
       block=st.sampled_from([1, 2, 3, 7, 4096]))
def test_position_index_agrees_with_the_definition(text, unit, crlf, block):
    class Small(PositionIndex):
        BLOCK = block

    index = Small(text, unit, crlf)
    ref = reference_positions(text, unit, crlf)
    assert index.total == ref[-1]
    for i in range(len(text) + 1):
        assert index.position_of(i) == ref[i]
    for p in range(ref[-1] + 1):
        if p in ref:
            assert index.index_of(p) == ref.index(p)  # the first index at that position
        else:
            with pytest.raises(ValueError, match="splits a character"):
                index.index_of(p)


# --------------------------------------------------------------------------- one plain line


@pytest.mark.parametrize("exc,line", [
    (PermissionError(13, "Permission denied"),
     "data/x/places.csv: permission denied: this account may not read it (check the file's permissions and owner)"),
    (pd.errors.EmptyDataError("No columns to parse from file"),
     "data/x/places.csv: the file is empty: it has no header row"),
    (UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte"),
     "data/x/places.csv: not UTF-8 text (byte 0xff at position 0 cannot be read); save it as UTF-8"),
    (zipfile.BadZipFile("File is not a zip file"), "data/x/places.csv: a damaged zip archive (File is not a zip file)"),
    (KeyError("boom"), "data/x/places.csv: could not be read (KeyError: 'boom')"),
])
def test_describe_read_error_is_one_line_naming_the_file(exc, line):
    assert describe_read_error(exc, "data/x/places.csv") == line
    assert "\n" not in line


def test_every_reader_error_shares_one_base_class():
    assert issubclass(StudyValidationError, CoordinationError)
    assert issubclass(ThreeSixtyGivingError, ReadError) and issubclass(QdpxError, CoordinationError)
    assert issubclass(QdpxTooLargeError, ReadError)
    assert plain_reason(ReadError("f.csv", "the reason")) == "the reason"


def test_no_numpy_warning_or_traceback_from_huge_serials():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        d, r = parse_dates(pd.Series([1e300, -1e300, np.inf, 2958465.0, 132219.0], dtype=object))
    assert d.isna().tolist() == [True, True, True, True, False]
    assert str(d.iloc[4].date()) == "2261-12-31"


def test_republished_grants_in_another_case_are_not_counted_twice(tmp_path, capsys):
    from analysis.cli import main

    folder = study_with(tmp_path)
    first = grants_csv(tmp_path, (GRANT_HEADER + "360G-pub-77,Meals,GBP,900,2020-05-01,GB-CHC-0000007,Bank,"
                                  "GB-LAE-NTH,Council\n").encode(), name="first.csv")
    again = grants_csv(tmp_path, (GRANT_HEADER + "360g-PUB-77,Meals,GBP,900,2020-05-01,gb-chc-0000007,Bank,"
                                  "gb-lae-nth,Council\n").encode(), name="again.csv")
    assert main(["import-grants", str(first), "--study", str(folder)]) == 0
    capsys.readouterr()
    main(["import-grants", str(again), "--study", str(folder)])
    out = capsys.readouterr()
    # the grant is in the study once, whatever the second import said about it
    study = load_study(folder)
    assert study.grants["Identifier"].str.casefold().tolist().count("360g-pub-77") == 1
    assert len(list((folder / "imports").glob("*.csv"))) == 1
    assert "Traceback" not in out.out + out.err
