"""study.yml: aliases refused, size bounded, every setting type-checked with a message naming the key."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import tracemalloc

import pytest
import yaml

from analysis.settings import MAX_STUDY_YML_BYTES, SETTINGS, StudyYmlError, parse_study_yml
from analysis.study import StudyValidationError, load_study
from tests.helpers import TINY_SETTINGS, tiny_tables, write_study


def problems_of(folder):
    with pytest.raises(StudyValidationError) as info:
        load_study(folder)
    return info.value.problems


def with_yml(tmp_path, text: str | bytes):
    folder = write_study(tmp_path / "s", tiny_tables())
    (folder / "study.yml").write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return folder


def alias_bomb(levels: int = 9, width: int = 9) -> str:
    """The "billion laughs" in YAML: each level repeats the one before ``width`` times (9**9 strings)."""
    lines = ["a0: &a0 [" + ", ".join(["lol"] * width) + "]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * width) + "]" for i in range(1, levels)]
    lines.append(f"name: *a{levels - 1}")
    return "\n".join(lines) + "\n"


def test_alias_bomb_is_refused_at_its_first_alias_with_small_memory(tmp_path):
    folder = with_yml(tmp_path, alias_bomb())
    tracemalloc.start()
    try:
        problems = problems_of(folder)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    err = problems[problems["severity"] == "error"]
    assert len(err) == 1
    rec = err.iloc[0]
    assert rec["file"] == "study.yml"
    # the first alias is *a0 on line 2: the expansion (387,420,489 strings) never starts
    assert rec["problem"] == ("line 2: uses a YAML alias (*a0), which study.yml does not allow: "
                              "write the value out in full")
    assert peak < 20 * 2**20, f"peak {peak / 2**20:.1f} MiB"


def test_merge_key_is_an_alias_too(tmp_path):
    text = "defaults: &d {illustrative: true}\n<<: *d\nname: Merged\n"
    err = problems_of(with_yml(tmp_path, text))
    assert "uses a YAML alias (*d)" in err.iloc[0]["problem"]


def test_anchor_without_alias_is_harmless(tmp_path):
    study = load_study(with_yml(tmp_path, "name: &n Anchored study\nillustrative: false\n"))
    assert study.name == "Anchored study"


def test_study_yml_over_the_size_limit_is_refused_unparsed(tmp_path):
    # 1.5 MB of a valid-looking description: refused by size before YAML sees it
    text = "name: Big\ndescription: " + "x" * 1_500_000 + "\n"
    folder = with_yml(tmp_path, text)
    tracemalloc.start()
    try:
        problems = problems_of(folder)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    rec = problems.iloc[0]
    assert rec["file"] == "study.yml"
    assert rec["problem"] == "is 1.5 MB, over the 1 MB limit: study.yml holds a name, a description and a few settings"
    assert peak < 3 * MAX_STUDY_YML_BYTES  # read at most the limit and one byte, never the whole file


def test_size_limit_message_names_sizes():
    with pytest.raises(StudyYmlError) as info:
        parse_study_yml(b"name: x\n" + b"#" * 2_000_000)
    assert str(info.value) == ("study.yml: is 2 MB, over the 1 MB limit: study.yml holds a name, "
                               "a description and a few settings")


def test_validate_command_on_an_alias_bomb_is_fast_and_prints_one_line(tmp_path):
    folder = with_yml(tmp_path, alias_bomb())
    out = subprocess.run([sys.executable, "-m", "analysis", "validate", str(folder)],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 1
    assert "Traceback" not in out.stderr + out.stdout
    assert "uses a YAML alias (*a0)" in out.stdout
    assert len(out.stdout) < 5000  # the expansion (gigabytes once printed) never happens


@pytest.mark.parametrize("key,value,reason", [
    ("name", [1, 2, {"a": "b"}], "must be text, not a list"),
    ("name", 2020, "must be text, not a number (put it in quotes)"),
    ("name", "", "the study needs a name"),
    ("name", "x" * 201, "is 201 characters long; at most 200 are allowed"),
    ("name", "two\nlines", "must be one line of text"),
    ("description", {"a": 1}, "must be text, not a mapping"),
    ("illustrative", "yes please", "must be true or false"),
    ("illustrative", 1, "must be true or false"),
    ("tie_min_level", 0, "must be a whole number from 1 to 4"),
    ("tie_min_level", 2.5, "must be a whole number from 1 to 4"),
    ("tie_min_level", True, "must be a whole number from 1 to 4"),
    ("disclosure_threshold", 0, "must be a whole number of at least 1"),
    ("disclosure_threshold", "5", "must be a whole number of at least 1"),
    ("nameable", "GB-LAE-NTH", "must be a list of org_ids, such as [GB-LAE-COV], not str"),
    ("nameable", ["GB-LAE-NTH", 7], "must be a list of org_ids as text: item 2 is a number 7; quote identifiers"),
    ("postcode_districts", ["CV1"], "must map each place_id to a list of postcode districts"),
    ("postcode_districts", {"north": "CV1"}, "place 'north' must have a list of postcode districts as text"),
    ("postcode_districts", {"north": [1, 2]}, "place 'north' must have a list of postcode districts as text"),
    ("attribution", "both", "must be beneficiary or recipient"),
    ("name_funders", "no", "must be true or false"),
])
def test_every_setting_is_type_checked_and_named(tmp_path, key, value, reason):
    folder = with_yml(tmp_path, yaml.safe_dump(dict(TINY_SETTINGS, **{key: value})))
    problems = problems_of(folder)
    err = problems[problems["severity"] == "error"]
    assert len(err) == 1, err
    rec = err.iloc[0]
    assert (rec["file"], rec["column"]) == ("study.yml", key)
    assert rec["problem"].startswith(reason)


def test_yaml_number_where_an_org_id_belongs_is_named(tmp_path):
    # unquoted 007 is the integer 7 in YAML: the id "007" would silently not match
    folder = with_yml(tmp_path, "name: Tiny\nnameable: [GB-LAE-NTH, 007]\n")
    rec = problems_of(folder).iloc[0]
    assert rec["column"] == "nameable"
    assert "item 2 is a number 7; quote identifiers that look like numbers ('007')" in rec["problem"]


def test_unknown_key_is_a_warning_naming_it(tmp_path):
    folder = with_yml(tmp_path, "name: Tiny\ntie_min_levl: 3\n")
    study = load_study(folder)
    w = study.warnings
    assert w[["severity", "file", "column"]].values.tolist() == [["warning", "study.yml", "tie_min_levl"]]
    assert w.iloc[0]["problem"].startswith("not a setting of study.yml (the settings are name, description")
    assert study.tie_min_level == 2  # the misspelt setting did nothing


def test_all_settings_accepted_with_their_types(tmp_path):
    text = textwrap.dedent("""\
        name: Full settings
        description: every setting
        illustrative: false
        tie_min_level: 3
        disclosure_threshold: 7
        nameable: [gb-lae-nth]
        postcode_districts:
          north: [CV1, CV2]
          south: []
        attribution: recipient
        name_funders: false
        """)
    study = load_study(with_yml(tmp_path, text))
    assert study.tie_min_level == 3 and study.disclosure_threshold == 7
    assert study.settings["attribution"] == "recipient" and study.settings["name_funders"] is False
    # nameable ids resolve to the organisation as the organisations table writes it
    assert study.settings["nameable"] == ["GB-LAE-NTH"]
    assert len(study.warnings) == 0


def test_defaults_of_the_new_settings(tmp_path):
    study = load_study(with_yml(tmp_path, "name: Defaults\n"))
    assert study.settings["attribution"] == "beneficiary" and study.settings["name_funders"] is True
    assert set(SETTINGS) <= set(study.settings)


@pytest.mark.parametrize("text,reason", [
    ("name: [unclosed\n", "line 2: not valid YAML"),
    ("name: Tiny\nstarted: 2020-02-30\n", "holds a value YAML cannot read (day is out of range for month)"),
    ("- just\n- a list\n", "must be a mapping of settings"),
    ("[" * 5000 + "]" * 5000, ""),
])
def test_unreadable_yaml_is_one_problem_row(tmp_path, text, reason):
    rec = problems_of(with_yml(tmp_path, text)).iloc[0]
    assert rec["file"] == "study.yml"
    assert rec["problem"].startswith(reason) or reason in rec["problem"]


def test_study_yml_not_utf8_is_named(tmp_path):
    rec = problems_of(with_yml(tmp_path, "name: Caf\u00e9\n".encode("cp1252"))).iloc[0]
    assert rec["file"] == "study.yml"
    assert rec["problem"] == "not UTF-8 text (byte 0xe9 at position 9 cannot be read); save it as UTF-8"


def test_in_memory_settings_are_checked_too():
    from analysis.study import study_from_tables

    with pytest.raises(StudyValidationError) as info:
        study_from_tables(tiny_tables(), settings={"disclosure_threshold": "five"})
    rec = info.value.problems.iloc[0]
    assert (rec["file"], rec["column"], rec["problem"]) == (
        "study.yml", "disclosure_threshold", "must be a whole number of at least 1")
