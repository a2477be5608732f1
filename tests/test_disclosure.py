"""Tests for analysis.disclosure: audiences, keyed pseudonyms, the key file, thresholds, names escaped."""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from analysis import paths
from analysis.disclosure import (
    OUTSIDE_STUDY,
    audience_of,
    disclosure_table,
    disclosure_threshold,
    for_audience,
    html_table,
    pseudonym_map,
    respondent_pseudonyms,
    study_key,
)
from analysis.study import study_from_tables

KEY = b"test key one"
SCRIPT = "<script>alert(1)</script>"
PSEUDONYM = re.compile(r"^(Council|NHS and health|Other public|VCSE|Funder|Business and other) \d{2,}$")


def _tables(extra_vcse: int = 0) -> dict[str, pd.DataFrame]:
    orgs = [
        ["GB-LAE-NTH", "Northtown Council", "north", "local_authority"],
        ["GB-NHS-N01", "North Health Trust", "north", "health"],
        ["GB-CHC-0000007", "North Food Bank & Pantry", "north", "vcse"],
        ["007", SCRIPT, "north", "community_group"],
        ["GB-CHC-0000008", "South Advice", "south", "vcse"],
        ["GB-LAE-STH", "Southville Council", "south", "local_authority"],
    ]
    orgs += [[f"GB-CHC-9{i:06d}", f"Extra Charity {i}", "south", "vcse"] for i in range(extra_vcse)]
    return {
        "places": pd.DataFrame({"place_id": ["north", "south"], "name": ["Northtown", "Southville"]}),
        "phases": pd.DataFrame({"phase_id": ["before", "during"], "label": ["Before", "During"],
                                "start_date": ["2019-04-01", "2020-03-16"],
                                "end_date": ["2020-03-15", "2020-06-30"]}),
        "organisations": pd.DataFrame(orgs, columns=["org_id", "name", "place_id", "sector"]),
        "themes": pd.DataFrame({"theme_id": ["trust"], "label": ["Trust"], "dimension": ["attitudes"]}),
        "evidence": pd.DataFrame(
            [["E1", "north", "during", "interview-01", "shift", "trust",
              "North Food Bank & Pantry now talks to the council weekly", "We just picked up the phone", "true"],
             ["E2", "north", "during", "interview-02", "shift", "trust",
              "Trust grew", "They let us down", "false"],
             ["E3", "south", "during", "interview-03", "threat", "trust",
              "Funding gaps", "Nobody asked us", ""]],
            columns=["evidence_id", "place_id", "phase_id", "source", "kind", "theme_id",
                     "summary", "quote", "consent"]),
        "survey_items": pd.DataFrame({"item_id": ["Q1", "Q2"], "text": ["I trust partners", "Funding is slow"],
                                      "theme_id": ["trust", "trust"]}),
        "survey_responses": pd.DataFrame(
            [["before", "resp-0001", "GB-CHC-0000007", "Q1", "4"],
             ["during", "resp-0001", "GB-CHC-0000007", "Q1", "3"],
             ["during", "resp-0001", "GB-CHC-0000007", "Q2", "2"],
             ["during", "resp-0002", "GB-CHC-0000008", "Q1", "5"]],
            columns=["phase_id", "respondent_id", "org_id", "item_id", "score"]),
        "grants": pd.DataFrame(
            [["360G-x-1", "Food parcels for North Food Bank & Pantry", "GBP", "1250", "2020-04-20",
              "GB-CHC-0000007", "North Food Bank & Pantry", "GB-LAE-NTH", "Northtown Council"],
             ["360G-x-2", "Advice line run by Elsewhere Trust", "GBP", "5000", "2020-05-01",
              "GB-CHC-9999999", "Elsewhere Trust", "360G-OUTSIDEFUNDER", "Big Outside Funder"]],
            columns=["Identifier", "Title", "Currency", "Amount Awarded", "Award Date",
                     "Recipient Org:Identifier", "Recipient Org:Name", "Funding Org:Identifier",
                     "Funding Org:Name"]),
    }


@pytest.fixture
def study():
    return study_from_tables(_tables(), settings={"nameable": ["GB-LAE-NTH"]}, name="disclosure-test")


@pytest.fixture
def key_dir(tmp_path, monkeypatch):
    d = tmp_path / "keys"
    monkeypatch.setattr(paths, "KEYS_DIR", d)
    monkeypatch.setattr(paths, "OUTPUTS_DIR", tmp_path / "outputs")
    return d


# -- audiences ------------------------------------------------------------------------------

def test_internal_is_the_study_unchanged(study):
    assert for_audience(study, "internal") is study
    assert audience_of(study) == "internal"


@pytest.mark.parametrize("bad", ["public", "Stakeholder", "", None])
def test_unknown_audience_names_the_allowed_values(study, bad):
    with pytest.raises(ValueError, match="'stakeholder', 'internal'"):
        for_audience(study, bad)


def test_stakeholder_organisations_are_pseudonyms_except_nameable(study):
    s = for_audience(study, "stakeholder", key=KEY)
    names = dict(zip(s.organisations["org_id"], s.organisations["name"], strict=False))
    assert names["GB-LAE-NTH"] == "Northtown Council"  # nameable
    for org_id in ["GB-NHS-N01", "GB-CHC-0000007", "007", "GB-CHC-0000008", "GB-LAE-STH"]:
        assert PSEUDONYM.match(names[org_id]), names[org_id]
    assert names["GB-NHS-N01"].startswith("NHS and health ")
    assert names["007"].startswith("VCSE ")  # community groups are in the VCSE group
    assert names["GB-LAE-STH"].startswith("Council ")
    assert len(set(names.values())) == len(names)
    assert audience_of(s) == "stakeholder"
    # The original is untouched, and types are kept.
    assert study.organisations["name"].tolist()[3] == SCRIPT
    assert s.organisations["name"].dtype == study.organisations["name"].dtype


def test_stakeholder_quotes_only_with_consent(study):
    s = for_audience(study, "stakeholder", key=KEY)
    q = dict(zip(s.evidence["evidence_id"], s.evidence["quote"], strict=False))
    assert q["E1"] == "We just picked up the phone"
    assert pd.isna(q["E2"])  # consent false
    assert pd.isna(q["E3"])  # consent not given


def test_stakeholder_free_text_names_replaced(study):
    s = for_audience(study, "stakeholder", key=KEY)
    food_bank = pseudonym_map(study, key=KEY)["GB-CHC-0000007"]
    summary = s.evidence.loc[s.evidence["evidence_id"] == "E1", "summary"].iloc[0]
    assert summary == f"{food_bank} now talks to the council weekly"
    titles = s.grants["Title"].tolist()
    assert titles == [f"Food parcels for {food_bank}", f"Advice line run by {OUTSIDE_STUDY}"]


def test_stakeholder_respondent_ids_replaced_consistently(study):
    s = for_audience(study, "stakeholder", key=KEY)
    ids = s.survey_responses["respondent_id"].tolist()
    assert not {"resp-0001", "resp-0002"} & set(ids)
    assert ids[0] == ids[1] == ids[2] != ids[3]  # one respondent keeps one code across phases
    assert all(re.fullmatch(r"R-[0-9a-f]{8}", i) for i in ids)


def test_stakeholder_grant_names(study):
    s = for_audience(study, "stakeholder", key=KEY)
    m = pseudonym_map(study, key=KEY)
    assert s.grants["Recipient Org:Name"].tolist() == [m["GB-CHC-0000007"], OUTSIDE_STUDY]
    # funders publish their grants openly: named unless study.yml says name_funders: false
    assert s.grants["Funding Org:Name"].tolist() == ["Northtown Council", "Big Outside Funder"]


def test_nameable_grant_party_outside_study_keeps_name():
    st = study_from_tables(_tables(), settings={"nameable": ["360G-OUTSIDEFUNDER"]}, name="t")
    s = for_audience(st, "stakeholder", key=KEY)
    assert s.grants["Funding Org:Name"].tolist()[1] == "Big Outside Funder"


# -- pseudonyms -----------------------------------------------------------------------------

def test_pseudonyms_stable_for_a_key_and_change_with_another(study):
    a = pseudonym_map(study, key=KEY)
    assert a == pseudonym_map(study, key=KEY)
    b = pseudonym_map(study, key=b"another key")
    assert a != b
    assert a["GB-LAE-NTH"] == b["GB-LAE-NTH"] == "Northtown Council"


def test_pseudonyms_the_same_in_every_phase_and_place(study):
    """A page for one phase or place sees the same pseudonyms: they depend on the org_ids only."""
    full = pseudonym_map(study, key=KEY)
    one_phase = study.replace(
        phases=study.phases[study.phases["phase_id"] == "during"],
        survey_responses=study.survey_responses[study.survey_responses["phase_id"] == "during"])
    assert pseudonym_map(one_phase, key=KEY) == full
    shuffled = study.replace(organisations=study.organisations.iloc[::-1].reset_index(drop=True))
    assert pseudonym_map(shuffled, key=KEY) == full
    # Names do not enter the mapping (renaming an organisation keeps its pseudonym).
    renamed = study.organisations.assign(name=study.organisations["name"] + " Ltd")
    assert pseudonym_map(study.replace(organisations=renamed), key=KEY) == {
        k: (v + " Ltd" if k == "GB-LAE-NTH" else v) for k, v in full.items()}
    # The stakeholder study of one place shows the same names as the full one.
    s = for_audience(study, "stakeholder", key=KEY)
    north = s.organisations[s.organisations["place_id"] == "north"]
    assert dict(zip(north["org_id"], north["name"], strict=False)) == {k: full[k] for k in north["org_id"]}


def test_adding_an_organisation_rarely_renumbers_others():
    small = study_from_tables(_tables(extra_vcse=20), name="t")
    big = study_from_tables(_tables(extra_vcse=21), name="t")
    a, b = pseudonym_map(small, key=KEY), pseudonym_map(big, key=KEY)
    changed = [k for k in a if a[k] != b[k]]
    assert len(changed) <= 1  # at most one displaced by the newcomer (rank numbering moves ~half)


def test_codes_widen_for_large_groups():
    m = pseudonym_map(study_from_tables(_tables(extra_vcse=45), name="t"), key=KEY)
    vcse = [v for v in m.values() if v.startswith("VCSE ")]
    assert len(vcse) == 48 and len(set(vcse)) == 48
    assert all(re.fullmatch(r"VCSE \d{3}", v) for v in vcse)  # 48 > 39: three digits
    council = [v for v in m.values() if v.startswith("Council ")]
    assert all(re.fullmatch(r"Council \d{2}", v) for v in council)


def test_pseudonym_is_keyed_not_a_bare_hash(study):
    """The code is HMAC-SHA256(key, org_id) mod 99, worked out here independently."""
    import hashlib
    import hmac

    one = study_from_tables(
        {k: v for k, v in _tables().items() if k in ("places", "phases")}
        | {"organisations": pd.DataFrame({"org_id": ["GB-NHS-N01"], "name": ["North Health Trust"],
                                          "place_id": ["north"], "sector": ["health"]})}, name="t")
    digest = hmac.new(KEY, b"org\x00GB-NHS-N01", hashlib.sha256).digest()
    code = int.from_bytes(digest[:8], "big") % 99 + 1
    assert pseudonym_map(one, key=KEY) == {"GB-NHS-N01": f"NHS and health {code:02d}"}
    with pytest.raises(ValueError, match="non-empty"):
        pseudonym_map(one, key=b"")


def test_respondent_pseudonyms_change_with_key(study):
    a = respondent_pseudonyms(study, key=KEY)
    assert set(a) == {"resp-0001", "resp-0002"}
    assert a == respondent_pseudonyms(study, key=KEY)
    assert a != respondent_pseudonyms(study, key=b"another key")


# -- the key file ---------------------------------------------------------------------------

def test_key_file_created_0600_outside_outputs_and_reused(study, key_dir):
    key = study_key(study)
    path = key_dir / "disclosure-test.key"
    assert path.is_file() and len(key) == 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert paths.OUTPUTS_DIR not in path.parents
    assert study_key(study) == key  # reused
    assert for_audience(study, "stakeholder").organisations["name"].tolist() == \
        for_audience(study, "stakeholder", key=key).organisations["name"].tolist()
    assert not list(key_dir.glob(".*.tmp"))  # no temporary file left behind


def test_key_stable_across_runs(study, tmp_path):
    """A new process reading the same key directory gives the same pseudonyms."""
    code = (
        "from analysis.study import study_from_tables\n"
        "from analysis.disclosure import pseudonym_map\n"
        "import pandas as pd, json, sys\n"
        f"sys.path.insert(0, {os.path.dirname(__file__)!r})\n"
        "from test_disclosure import _tables\n"
        "s = study_from_tables(_tables(), settings={'nameable': ['GB-LAE-NTH']}, name='disclosure-test')\n"
        "print(json.dumps(pseudonym_map(s), sort_keys=True))\n"
    )
    env = dict(os.environ, COORDINATION_KEY_DIR=str(tmp_path / "keys"))
    runs = [subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
            for _ in range(2)]
    assert runs[0] == runs[1] and "NHS and health" in runs[0]
    assert stat.S_IMODE((tmp_path / "keys" / "disclosure-test.key").stat().st_mode) == 0o600


def test_default_key_dir_is_git_ignored_and_outside_outputs():
    # The tests move the key folder (conftest.py); ask a fresh process for the default.
    env = {k: v for k, v in os.environ.items() if k != "COORDINATION_KEY_DIR"}
    default = subprocess.run([sys.executable, "-c", "from analysis import paths; print(paths.KEYS_DIR)"],
                             env=env, capture_output=True, text=True, check=True).stdout.strip()
    assert default == str(paths.PROJECT_ROOT / ".keys")
    assert paths.OUTPUTS_DIR not in Path(default).parents
    ignore = (paths.PROJECT_ROOT / ".gitignore").read_text()
    assert ".keys/" in ignore.split()


def test_key_dir_inside_outputs_refused(study, tmp_path, monkeypatch):
    monkeypatch.setattr(paths, "OUTPUTS_DIR", tmp_path / "outputs")
    with pytest.raises(ValueError, match="must not be inside"):
        study_key(study, key_dir=tmp_path / "outputs" / "keys")


def test_damaged_key_file_refused(study, key_dir):
    key_dir.mkdir(parents=True)
    (key_dir / "disclosure-test.key").write_bytes(b"short")
    with pytest.raises(ValueError, match="damaged"):
        study_key(study)


# -- the threshold of a page (suppression itself: test_suppression.py) --------------------------

def test_threshold_by_audience(study):
    st = study_from_tables(_tables(), settings={"disclosure_threshold": 3}, name="t")
    assert disclosure_threshold(st, "stakeholder") == 3 and disclosure_threshold(st, "internal") == 1
    assert disclosure_threshold(for_audience(st, "stakeholder", key=KEY)) == 3
    assert disclosure_threshold(st) == 1
    assert disclosure_threshold(study, "stakeholder") == 5


# -- HTML: organisation names escaped for either audience ---------------------------------------

@pytest.mark.parametrize("audience", ["internal", "stakeholder"])
def test_script_organisation_is_escaped_in_tables(study, audience):
    s = for_audience(study, audience, key=KEY)
    orgs = s.organisations[["name", "sector"]].assign(n=[9, 9, 9, 2, 9, 9], trust=[3.0] * 6)
    for page in (html_table(orgs, caption=f"Organisations {SCRIPT}"),
                 disclosure_table(orgs, "trust", "n", disclosure_threshold(s, audience), headers={"name": SCRIPT})):
        assert "<script" not in page.lower()
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page  # caption / header, escaped
    body = html_table(orgs)
    if audience == "internal":
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body  # shown, as text
    else:
        assert "alert(1)" not in body  # pseudonymised


def test_a_pseudonym_never_reads_as_another_organisations_real_name():
    """Organisations called "Council 1" to "Council 30": no council's pseudonym may be one of those names."""
    from analysis import study_from_tables

    n = 30
    tables = {
        "places": pd.DataFrame({"place_id": ["p"], "name": ["P"]}),
        "phases": pd.DataFrame({"phase_id": ["a"], "label": ["A"], "start_date": ["2020-01-01"],
                                "end_date": ["2020-12-31"]}),
        "organisations": pd.DataFrame({"org_id": [f"GB-LAE-{k:03d}" for k in range(n)],
                                       "name": [f"Council {k + 1}" for k in range(n)], "place_id": "p",
                                       "sector": "local_authority"}),
    }
    study = study_from_tables(tables)
    names = {f"council {k + 1}" for k in range(n)} | {f"council {k + 1:02d}" for k in range(n)}
    for key in (b"one", b"two", b"three"):
        shown = pseudonym_map(study, key=key)
        assert not {v.casefold() for v in shown.values()} & names
        assert len(set(shown.values())) == n  # still one pseudonym each
