"""Importing coded interviews from REFI-QDA (.qdpx) exports: reading, exporters, import, command line.

Counting positions is tested in test_qdpx_positions.py, the mapping file in test_qdpx_mapping.py.
"""

from __future__ import annotations

import zipfile

import pandas as pd
import pytest

from analysis import load_study
from analysis.cli import main
from analysis.paths import SHARED_DATA_DIR
from analysis.qdpx import (
    NotAQdpxError,
    ProjectFileMissingError,
    QdpxXmlError,
    choose_convention,
    evidence_from_project,
    extract_text,
    import_evidence,
    read_mapping,
    read_qdpx,
    summarise,
    write_new_csv,
)
from tests.qdpx_fixtures import (
    CAFE_SPAN,
    CODE_ROWS,
    EXPORTERS,
    FUNDING_SPAN,
    INTERVIEW_TEXT,
    PACKAGED_XSD,
    TRUST_SPAN,
    QdpxBuilder,
    interview_builder,
    position,
    write_mapping,
)


@pytest.fixture
def mapping_file(tmp_path):
    return write_mapping(tmp_path / "mapping.csv", CODE_ROWS + [
        ["place_from_variable", "Locality"], ["phase_from_variable", "Phase"],
    ])


def normalised(text: str) -> str:
    return text.replace("\r\n", "\n")


# --------------------------------------------------------------------------- schema


def test_packaged_schema_is_the_standard_one():
    shared = SHARED_DATA_DIR / "refi-qda" / "Project.xsd"
    if not shared.is_file():
        pytest.skip(f"{shared} is absent")
    assert PACKAGED_XSD.read_bytes() == shared.read_bytes()
    assert "MIT" in PACKAGED_XSD.read_text(encoding="utf-8")


# --------------------------------------------------------------------------- exporters


@pytest.mark.parametrize("exporter", list(EXPORTERS))
def test_round_trip_every_selection_text_is_the_slice_of_its_source(exporter, tmp_path, tiny_dir, mapping_file):
    b = interview_builder(**EXPORTERS[exporter])
    path = b.write(tmp_path / f"{exporter}.qdpx")
    project = read_qdpx(path)
    convention = choose_convention(project)
    assert (convention.unit, convention.crlf) == (EXPORTERS[exporter]["unit"], EXPORTERS[exporter]["crlf"])
    result = evidence_from_project(project, read_mapping(mapping_file, project), load_study(tiny_dir), convention)
    assert result.skipped.empty, result.report()
    by_id = result.evidence.set_index("evidence_id")
    assert len(by_id) == 3
    for exp in b.expected:
        row = by_id.loc[f"qdpx-{exp.selection}"]
        assert row["quote"] == normalised(exp.text)
        assert (row["place_id"], row["phase_id"], row["source"]) == ("north", "during", "interview-07")
    # the three spans, spelled out by hand (not taken from the fixture)
    assert set(result.evidence["quote"]) == {TRUST_SPAN, FUNDING_SPAN, CAFE_SPAN}


def test_nvivo_reads_sources_folder_bom_crlf_and_docx_beside_txt(tmp_path):
    b = interview_builder(**EXPORTERS["nvivo"])
    project = read_qdpx(b.write(tmp_path / "nvivo.qdpx"))
    (src,) = project.sources.values()
    assert src.text_member.startswith("Sources/") and src.text_member.endswith(".txt")
    assert src.had_bom and not src.text.startswith("\ufeff")
    assert src.text == INTERVIEW_TEXT.replace("\n", "\r\n")
    assert src.rich_text_path.endswith(".docx")


def test_wrong_unit_gives_other_text_so_the_round_trip_can_fail(tmp_path):
    """Read NVivo's UTF-16 positions as code points: text after the emoji shifts by one."""
    project = read_qdpx(interview_builder(**EXPORTERS["nvivo"]).write(tmp_path / "n.qdpx"))
    (src,) = project.sources.values()
    sel = next(s for s in project.selections if s.start > src.text.index("😟") - 40 and "😟" in src.text[s.start:])
    right = extract_text(src.text, sel.start, sel.end, "utf16", "two")
    wrong = extract_text(src.text, sel.start, sel.end, "codepoints", "two")
    assert right == FUNDING_SPAN
    assert wrong != right


def test_atlas_qde_named_after_project_and_crlf_counted_once(tmp_path):
    b = interview_builder(**EXPORTERS["atlas"])
    project = read_qdpx(b.write(tmp_path / "atlas.qdpx"))
    assert project.member == "Northtown study.qde"
    sel = [s for s in project.selections if s.guid == b.expected[2].selection][0]
    (src,) = project.sources.values()
    # Counting CR LF as two would cut the café span one character short of its end
    assert extract_text(src.text, sel.start, sel.end, "utf16", "one") == CAFE_SPAN.replace("\n", "\r\n")
    assert extract_text(src.text, sel.start, sel.end, "utf16", "two") != CAFE_SPAN.replace("\n", "\r\n")


def test_utf16_text_file_with_bom(tmp_path):
    b = interview_builder(origin="NVivo 12", unit="utf16", crlf="two", folder="Sources", bom=True, encoding="utf-16-le")
    project = read_qdpx(b.write(tmp_path / "u16.qdpx"))
    (src,) = project.sources.values()
    assert src.text == INTERVIEW_TEXT and src.had_bom


def test_bom_is_not_a_character(tmp_path):
    b = QdpxBuilder(origin="QualCoder 3.6")
    code = b.code("Opening")
    src = b.text_source("s.txt", "Interviewer: hello", bom=True)
    b.raw_selection(src, 0, 11, [code])
    project = read_qdpx(b.write(tmp_path / "bom.qdpx"))
    (s,) = project.selections
    assert extract_text(project.sources[s.source].text, s.start, s.end) == "Interviewer"


def test_unknown_exporter_is_recognised_from_selection_names(tmp_path):
    b = interview_builder(origin=None, unit="utf16", crlf="two", names=True)
    project = read_qdpx(b.write(tmp_path / "unknown.qdpx"))
    assert project.origin == ""
    convention = choose_convention(project)
    assert convention.unit == "utf16"
    assert "3 of 3 selection names" in convention.reason


def test_options_override_the_exporter(tmp_path):
    project = read_qdpx(interview_builder(**EXPORTERS["nvivo"]).write(tmp_path / "n.qdpx"))
    c = choose_convention(project, unit="codepoints", crlf="one")
    assert (c.unit, c.crlf, c.reason) == ("codepoints", "one", "set by option")


def test_positions_that_split_an_emoji_are_skipped_with_the_reason(tmp_path, tiny_dir, mapping_file):
    b = interview_builder(**EXPORTERS["nvivo"])
    (src,) = b.text_sources
    trust = b.codes[0]["children"][0]["guid"]
    emoji_at = position(src.text, src.text.index("🤝"), "utf16", "two")
    b.raw_selection(src, emoji_at + 1, emoji_at + 5, [trust])
    project = read_qdpx(b.write(tmp_path / "split.qdpx"))
    result = evidence_from_project(project, read_mapping(mapping_file, project), load_study(tiny_dir))
    assert len(result.evidence) == 3
    (reason,) = result.skipped["reason"]
    assert "split a character" in reason


# --------------------------------------------------------------------------- sources and codes


def test_selections_on_non_text_sources_are_skipped_and_counted(tmp_path, tiny_dir, mapping_file):
    b = interview_builder(**EXPORTERS["maxqda"])
    trust = b.codes[0]["children"][0]["guid"]
    b.pdf_source("minutes.pdf", trust)
    b.picture_source("whiteboard.png", trust)
    b.audio_source("focus-group.m4a", trust)
    project = read_qdpx(b.write(tmp_path / "media.qdpx"))
    assert sorted(s.kind for s in project.selections) == ["audio", "pdf", "picture", "text", "text", "text"]
    result = evidence_from_project(project, read_mapping(mapping_file, project), load_study(tiny_dir))
    assert len(result.evidence) == 3
    assert sorted(result.skipped["reason"]) == [
        "selection on a non-text source (audio)", "selection on a non-text source (pdf)",
        "selection on a non-text source (picture)"]
    assert "3 x" not in result.report() and "1 x selection on a non-text source (pdf)" in result.report()


def test_empty_codebook(tmp_path, tiny_dir, mapping_file):
    b = QdpxBuilder(origin="MAXQDA 2022")
    b.text_source("notes.txt", "Nothing coded yet.")
    path = b.write(tmp_path / "empty.qdpx")
    project = read_qdpx(path)
    assert project.codes == {} and project.selections == []
    assert "(the codebook is empty)" in summarise(project)
    result = import_evidence(path, tiny_dir, mapping_file)
    assert result.evidence.empty and result.path is None
    assert not (tiny_dir / "imports").exists()


def test_codes_nested_with_and_without_colours(tmp_path):
    project = read_qdpx(interview_builder(**EXPORTERS["qualcoder"]).write(tmp_path / "q.qdpx"))
    by_path = {c.path_text: c for c in project.codes.values()}
    assert list(by_path) == ["Ways of working", "Ways of working/Trust", "Funding", "Funding/Cliff edge"]
    assert by_path["Ways of working"].color is None and by_path["Ways of working/Trust"].color == "#009E73"
    assert by_path["Funding/Cliff edge"].parent == by_path["Funding"].guid
    uses = project.code_uses()
    assert uses[by_path["Ways of working/Trust"].guid] == 2 and uses[by_path["Funding/Cliff edge"].guid] == 1


def test_source_with_only_rich_text_is_skipped_with_the_reason(tmp_path, tiny_dir, mapping_file):
    b = interview_builder(**EXPORTERS["qualcoder"])
    code = b.codes[0]["children"][0]["guid"]
    rich = b.text_source("scan.docx", "Some words here.", plain=False, docx=True)
    b.raw_selection(rich, 0, 4, [code])
    project = read_qdpx(b.write(tmp_path / "rich.qdpx"))
    result = evidence_from_project(project, read_mapping(mapping_file, project), load_study(tiny_dir))
    (reason,) = result.skipped["reason"]
    assert "only the rich text" in reason and ".docx" in reason


def test_maxqda_source_variables_in_a_nameless_case(tmp_path, tiny_dir, mapping_file):
    b = QdpxBuilder(origin="MAXQDA 2022", unit="utf16", crlf="one")
    trust = b.code("Trust", parent=b.code("Ways of working"))
    b.variable("Locality")
    b.variable("Phase")
    src = b.text_source("Interview 3", "We now share one rota 🤝 across agencies.")
    b.select(src, "share one rota 🤝 across", [trust])
    b.case(None, {"Locality": "Southville", "Phase": "before"}, sources=[src.guid])
    project = read_qdpx(b.write(tmp_path / "mx.qdpx"))
    assert project.sources[src.guid].values == {"Locality": "Southville", "Phase": "before"}
    result = evidence_from_project(project, read_mapping(mapping_file, project), load_study(tiny_dir))
    (row,) = result.evidence.to_dict("records")
    assert (row["place_id"], row["phase_id"], row["quote"]) == ("south", "before", "share one rota 🤝 across")


# --------------------------------------------------------------------------- mapping


def test_place_and_phase_from_source_names_and_parent_code_mapping(tmp_path, tiny_dir):
    b = QdpxBuilder(origin="ATLAS.ti 9", unit="utf16", crlf="one")
    funding = b.code("Funding")
    cliff = b.code("Cliff edge", parent=funding)
    s1 = b.text_source("NORTH_during_int01.txt", "Money came fast.\nThen it stopped.", crlf_in_file=True)
    s2 = b.text_source("south_before_int02.txt", "Grants took months.")
    b.select(s1, "Then it stopped", [cliff], description="Emergency money ended abruptly")
    b.select(s2, "took months", [funding])
    mapping = write_mapping(tmp_path / "m.csv", [
        ["code", "Funding", "", "threat", "funding_process", "negative"],  # Cliff edge inherits it
        ["place_from_source", "^north", "north"], ["place_from_source", "^south", "Southville"],
        ["phase_from_source", "_during_", "during"], ["phase_from_source", "_before_", "Before"],
    ])
    project = read_qdpx(b.write(tmp_path / "a.qdpx"))
    result = evidence_from_project(project, read_mapping(mapping, project), load_study(tiny_dir))
    rows = result.evidence.set_index("quote")
    assert rows.loc["Then it stopped", ["place_id", "phase_id", "kind"]].tolist() == ["north", "during", "threat"]
    assert rows.loc["Then it stopped", "summary"] == "Emergency money ended abruptly"
    assert rows.loc["took months", ["place_id", "phase_id"]].tolist() == ["south", "before"]
    assert rows.loc["took months", "summary"] == "took months"  # no description: the text itself


def test_place_and_phase_from_maxqda_document_sets(tmp_path, tiny_dir):
    b = QdpxBuilder(origin="MAXQDA 24 (Release 24.7.0)", unit="utf16", crlf="one")
    trust = b.code("Trust")
    s1 = b.text_source("Interview A", "We trust the council now.")
    s2 = b.text_source("Interview B", "Trust fell apart.")
    b.document_set("Southville interviews", [s1, s2])
    b.document_set("Wave 1", [s1])
    b.document_set("Wave 2", [s2])
    b.select(s1, "trust the council", [trust])
    b.select(s2, "fell apart", [trust])
    mapping = write_mapping(tmp_path / "m.csv", [
        ["code", "Trust", "", "shift", "trust"],
        ["place_from_set", "southville interviews", "south"],
        ["phase_from_set", "Wave 1", "before"], ["phase_from_set", "Wave 2", "During"],
    ])
    project = read_qdpx(b.write(tmp_path / "sets.qdpx"))
    assert project.sources[s1.guid].sets == ["Southville interviews", "Wave 1"]
    assert "sets of documents (3): Southville interviews (2), Wave 1 (1), Wave 2 (1)" in summarise(project)
    result = evidence_from_project(project, read_mapping(mapping, project), load_study(tiny_dir))
    got = result.evidence.set_index("quote")[["place_id", "phase_id"]].to_dict("index")
    assert got == {"trust the council": {"place_id": "south", "phase_id": "before"},
                   "fell apart": {"place_id": "south", "phase_id": "during"}}


def test_skipped_rows_say_why(tmp_path, tiny_dir):
    b = QdpxBuilder(origin="QualCoder 3.6")
    known = b.code("Known")
    unmapped = b.code("Unmapped")
    badtheme = b.code("Bad theme")
    src = b.text_source("Int 1", "alpha beta gamma delta")
    nowhere = b.text_source("Int 2", "epsilon zeta")
    atlantis = b.text_source("Int 3", "eta theta")
    b.select(src, "alpha", [known])
    b.select(src, "beta", [unmapped])
    b.select(src, "gamma", [badtheme])
    b.select(nowhere, "zeta", [known])
    b.select(atlantis, "theta", [known])
    b.raw_selection(src, 0, 5, [])  # an annotation, no code
    b.variable("Locality")
    b.case("P1", {"Locality": "Northtown"}, sources=[src.guid])
    b.case("P3", {"Locality": "Atlantis"}, sources=[atlantis.guid])
    mapping = write_mapping(tmp_path / "m.csv", [
        ["code", "Known", "", "enabler", "trust"], ["code", "Bad theme", "", "enabler", "no_such_theme"],
        ["code", "Gone", "", "enabler", "trust"],
        ["place_from_variable", "Locality"], ["phase_from_source", ".", "during"],
    ])
    project = read_qdpx(b.write(tmp_path / "s.qdpx"))
    result = evidence_from_project(project, read_mapping(mapping, project), load_study(tiny_dir))
    assert result.evidence["quote"].tolist() == ["alpha"]
    reasons = sorted(zip(result.skipped["code"], result.skipped["reason"], strict=False))
    assert reasons == [
        ("", "selection has no code (an annotation)"),
        ("Bad theme", "theme_id 'no_such_theme' (mapping row 3) is not a theme of the study"),
        ("Known", "no place: no variable, set or source-name rule of the mapping gives one"),  # Int 2: no case
        ("Known", "place 'Atlantis' (variable 'Locality') is not a place of the study"),
        ("Unmapped", "code not in the mapping"),
    ]
    assert result.unmatched_codes == ["Gone"]


# --------------------------------------------------------------------------- errors


def test_not_a_zip(tmp_path):
    path = tmp_path / "interviews.qdpx"
    path.write_text("Interviewer: hello", encoding="utf-8")
    with pytest.raises(NotAQdpxError, match="not a zip archive"):
        read_qdpx(path)


def test_zip_without_project_qde(tmp_path):
    path = tmp_path / "p.qdpx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("sources/a.txt", "hello")
    with pytest.raises(ProjectFileMissingError, match=r"no project.qde inside .* sources/a.txt"):
        read_qdpx(path)


def _zip_xml(path, xml: str):
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("project.qde", xml)
    return path


def test_xml_not_matching_the_schema_names_the_line(tmp_path):
    xml = ('<?xml version="1.0" encoding="utf-8"?>\n'
           '<Project xmlns="urn:QDA-XML:project:1.0" name="p">\n'
           '<CodeBook><Codes>\n'
           '<Code guid="00000000-0000-0000-0000-000000000001" name="ok" isCodable="true"/>\n'
           '<Code guid="00000000-0000-0000-0000-000000000002" name="no isCodable"/>\n'
           '</Codes></CodeBook>\n</Project>\n')
    with pytest.raises(QdpxXmlError) as info:
        read_qdpx(_zip_xml(tmp_path / "bad.qdpx", xml))
    err = info.value
    assert err.member == "project.qde" and err.problems[0].line == 5
    assert "isCodable" in str(err) and "project.qde line 5" in str(err) and "{urn:" not in str(err)


def test_malformed_xml_names_the_line(tmp_path):
    xml = '<?xml version="1.0"?>\n<Project xmlns="urn:QDA-XML:project:1.0" name="p">\n<Users>\n</Project>\n'
    with pytest.raises(QdpxXmlError, match="not well-formed") as info:
        read_qdpx(_zip_xml(tmp_path / "bad.qdpx", xml))
    assert info.value.problems[0].line == 4


def test_wrong_namespace_is_explained(tmp_path):
    xml = '<Project xmlns="urn:QDA-XML:project:0.4" name="p"/>'
    with pytest.raises(QdpxXmlError, match=r'a REFI-QDA project is <Project xmlns="urn:QDA-XML:project:1.0">'):
        read_qdpx(_zip_xml(tmp_path / "old.qdpx", xml))


def test_bad_guid_in_selection_fails_validation(tmp_path):
    b = interview_builder(**EXPORTERS["qualcoder"])
    xml = b.xml().replace(b.expected[0].selection, "not-a-guid")
    with pytest.raises(QdpxXmlError, match="not-a-guid"):
        read_qdpx(_zip_xml(tmp_path / "g.qdpx", xml))


# --------------------------------------------------------------------------- into the study


def test_imported_evidence_loads_and_shows_in_the_evidence_matrix(tmp_path, tiny_dir, mapping_file):
    from analysis.evidence import evidence_matrix

    path = interview_builder(**EXPORTERS["nvivo"]).write(tmp_path / "Northtown interviews.qdpx")
    before = load_study(tiny_dir)
    result = import_evidence(path, tiny_dir, mapping_file)
    assert result.path == tiny_dir / "imports" / "evidence-Northtown-interviews.csv"
    after = load_study(tiny_dir)
    assert len(after.evidence) == len(before.evidence) + 3
    imported = after.evidence[after.evidence["evidence_id"].str.startswith("qdpx-")]
    assert set(imported["quote"]) == {TRUST_SPAN, FUNDING_SPAN, CAFE_SPAN}
    assert imported["consent"].isna().all()  # blank: not published
    m = evidence_matrix(after)
    # tiny study: one hand-entered shift on trust in north/during; the import adds two
    assert int(m.loc["Trust", ("north", "during", "shift")]) == 3
    assert int(m.loc["Funding process", ("north", "during", "threat")]) == 1


def test_imported_evidence_flows_into_the_shifts_indicators(tmp_path, tiny_dir, mapping_file):
    from analysis import shifts

    path = interview_builder(**EXPORTERS["atlas"]).write(tmp_path / "a.qdpx")
    import_evidence(path, tiny_dir, mapping_file)
    table = shifts.indicator_table(load_study(tiny_dir))
    threats = table[(table["indicator"] == "evidence_threat") & (table["place_id"] == "north")
                    & (table["phase_id"] == "during")]
    assert threats["value"].tolist() == [1]


def test_importing_twice_adds_nothing_and_never_overwrites(tmp_path, tiny_dir, mapping_file):
    path = interview_builder(**EXPORTERS["qualcoder"]).write(tmp_path / "q.qdpx")
    first = import_evidence(path, tiny_dir, mapping_file)
    content = first.path.read_bytes()
    again = import_evidence(path, tiny_dir, mapping_file)
    assert again.path is None and again.evidence.empty
    assert set(again.skipped["reason"]) == {"already in the study (same evidence_id): imported before?"}
    assert first.path.read_bytes() == content
    assert len(load_study(tiny_dir).evidence) == 4


def test_write_new_csv_adds_a_suffix(tmp_path):
    df = pd.DataFrame({"a": ["é"]})
    names = [write_new_csv(df, tmp_path, "evidence-x").name for _ in range(3)]
    assert names == ["evidence-x.csv", "evidence-x-2.csv", "evidence-x-3.csv"]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(names)  # no temporary files left


@pytest.mark.parametrize("label,expected", [("source", "interview-07"), ("case", "Respondent 7"),
                                            ("numbered", "q-source-01")])
def test_source_label(label, expected, tmp_path, tiny_dir, mapping_file):
    path = interview_builder(**EXPORTERS["qualcoder"]).write(tmp_path / "q.qdpx")
    result = import_evidence(path, tiny_dir, mapping_file, source_label=label, write=False)
    assert set(result.evidence["source"]) == {expected}


def test_a_selection_with_two_codes_gives_two_rows(tmp_path, tiny_dir, mapping_file):
    b = interview_builder(**EXPORTERS["qualcoder"])
    trust, cliff = b.codes[0]["children"][0]["guid"], b.codes[1]["children"][0]["guid"]
    (src,) = b.text_sources
    g = b.select(src, "Before Covid", [trust, cliff])
    project = read_qdpx(b.write(tmp_path / "two.qdpx"))
    result = evidence_from_project(project, read_mapping(mapping_file, project), load_study(tiny_dir))
    rows = result.evidence[result.evidence["quote"] == "Before Covid"]
    assert sorted(rows["evidence_id"]) == sorted([f"qdpx-{g}-{trust[:8]}", f"qdpx-{g}-{cliff[:8]}"])
    assert sorted(rows["kind"]) == ["shift", "threat"]


# --------------------------------------------------------------------------- command line


def test_cli_qdpx_info_and_starter_mapping(tmp_path, capsys):
    path = interview_builder(**EXPORTERS["nvivo"]).write(tmp_path / "n.qdpx")
    out = tmp_path / "mapping.csv"
    assert main(["qdpx-info", str(path), "--write-mapping", str(out)]) == 0
    text = capsys.readouterr().out
    assert "written by: NVivo 14" in text and "UTF-16 code units" in text
    assert "    Trust  (2)" in text and "Cliff edge  (1)" in text
    assert "Respondent 7: 1 source; Locality=Northtown, Phase=During" in text
    assert "coded selections: 3 text" in text
    assert pd.read_csv(out, encoding="utf-8-sig")["rule"].tolist().count("code") == 4
    assert main(["qdpx-info", str(path), "--write-mapping", str(out)]) == 1
    assert "not overwritten" in capsys.readouterr().err


def test_cli_import(tmp_path, tiny_dir, mapping_file, capsys):
    path = interview_builder(**EXPORTERS["maxqda"]).write(tmp_path / "m.qdpx")
    assert main(["import-qdpx", str(path), "--study", str(tiny_dir), "--mapping", str(mapping_file)]) == 0
    out = capsys.readouterr().out
    assert "imported 3 evidence rows" in out and "north / during: 3" in out
    assert (tiny_dir / "imports" / "evidence-m.csv").is_file()


def test_cli_reports_a_bad_file_clearly(tmp_path, tiny_dir, mapping_file, capsys):
    bad = tmp_path / "bad.qdpx"
    bad.write_bytes(b"%PDF-1.4")
    assert main(["import-qdpx", str(bad), "--study", str(tiny_dir), "--mapping", str(mapping_file)]) == 1
    assert "not a REFI-QDA project (.qdpx): it is not a zip archive" in capsys.readouterr().err
    assert main(["qdpx-info", str(bad)]) == 1
    capsys.readouterr()
    assert main(["qdpx-info", str(tmp_path / "missing.qdpx")]) == 2
    assert capsys.readouterr().err == f"coordination qdpx-info: {tmp_path / 'missing.qdpx'} does not exist\n"


def test_cli_max_size_caps_what_a_project_may_hold(tmp_path, capsys):
    path = interview_builder(**EXPORTERS["nvivo"]).write(tmp_path / "n.qdpx")
    assert main(["qdpx-info", str(path), "--max-size", "200"]) == 1  # 200 bytes: less than project.qde alone
    err = capsys.readouterr().err
    assert "project.qde would be 2.6 kB uncompressed, over the 200 bytes limit; pass --max-size to raise it" in err
    assert main(["qdpx-info", str(path), "--max-size", "10MB"]) == 0
