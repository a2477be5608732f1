"""The mapping file of a .qdpx import: every problem reported, the starter mapping (analysis.qdpx.mapping)."""

from __future__ import annotations

import pytest

from analysis.qdpx.importer import write_new_csv
from analysis.qdpx.mapping import MappingError, read_mapping, starter_mapping
from analysis.qdpx.reader import read_qdpx
from tests.qdpx_fixtures import EXPORTERS, QdpxBuilder, interview_builder, write_mapping


def test_mapping_problems_are_all_reported(tmp_path):
    b = QdpxBuilder()
    b.code("Twin", parent=b.code("A"))
    b.code("Twin", parent=b.code("B"))
    project = read_qdpx(b.write(tmp_path / "p.qdpx"))
    mapping = write_mapping(tmp_path / "m.csv", [
        ["code", "Twin", "", "shift", "trust"],
        ["code", "A", "", "wobble", "trust", "sideways"],
        ["code", "B", "", "shift", ""],
        ["guess", "x"],
        ["place_from_source", "([", "north"],
        ["phase_from_source", "x", ""],
    ])
    with pytest.raises(MappingError) as info:
        read_mapping(mapping, project)
    text = "\n".join(info.value.problems)
    assert "row 2, match: 'Twin' names 2 codes (A/Twin; B/Twin)" in text
    assert "row 3, kind: 'wobble'" in text and "row 3, direction: 'sideways'" in text
    assert "row 4, theme_id: empty" in text
    assert "row 5, rule: 'guess'" in text
    assert "row 6, match: '([' is not a regular expression" in text
    assert "row 7, value: empty" in text


def test_starter_mapping_has_a_row_per_code_and_reads_back(tmp_path):
    b = interview_builder(**EXPORTERS["nvivo"])
    project = read_qdpx(b.write(tmp_path / "n.qdpx"))
    starter = starter_mapping(project)
    codes = starter[starter["rule"] == "code"]
    assert codes["match"].tolist() == ["Ways of working", "Ways of working/Trust", "Funding", "Funding/Cliff edge"]
    assert codes["note"].tolist()[1].startswith("used 2 times")
    assert starter.loc[starter["match"] == "Locality", "rule"].item() == "place_from_variable"
    assert starter.loc[starter["match"] == "Phase", "rule"].item() == "phase_from_variable"
    path = write_new_csv(starter, tmp_path, "starter")
    m = read_mapping(path, project)  # unfilled rows are not an error: they are not used
    assert m.codes == {} and m.place_variables == [("Locality", None, "")]
