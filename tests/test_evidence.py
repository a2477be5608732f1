"""Tests of analysis.evidence: matrices by kind and status, threats beside mitigations, escaping."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis import study_from_tables
from analysis.evidence import (
    evidence_counts,
    evidence_list_html,
    evidence_matrix,
    threats_and_mitigations,
    threats_and_mitigations_html,
)


@pytest.fixture(scope="module")
def study():
    D = pd.DataFrame
    return study_from_tables({
        "places": D({"place_id": ["a", "b"], "name": ["A", "B"]}),
        "phases": D({"phase_id": ["p1", "p2"], "label": ["One", "Two"],
                     "start_date": ["2020-01-01", "2020-03-01"], "end_date": ["2020-02-01", "2020-04-01"]}),
        "organisations": D({"org_id": ["o"], "name": ["O"], "place_id": ["a"], "sector": ["vcse"]}),
        "themes": D({"theme_id": ["trust", "capacity", "funding"], "label": ["Trust", "Capacity <b>", "Funding"],
                     "dimension": ["attitudes", "ways_of_working", "funding"]}),
        "evidence": D({
            "evidence_id": [f"e{i}" for i in range(8)],
            "place_id": ["a", "a", "a", "a", "a", "a", "b", "a"],
            "phase_id": ["p1", "p2", "p2", "p2", "p2", "p2", "p2", "p2"],
            "source": ["i-1"] * 8,
            "kind": ["shift", "threat", "threat", "mitigation", "threat", "enabler", "threat", "shift"],
            "theme_id": ["trust", "capacity", "capacity", "capacity", "trust", "trust", "trust", "trust"],
            "status": ["emerging", "at_risk", "at_risk", "established", None, None, "reverted", "established"],
            "summary": ["Open talk", "Burnout <script>alert(1)</script>", "Staff leave", "Rota & rest",
                        "Old habits", "Shared data", "Lost trust", "Joint plan"],
            "quote": [None, None, None, None, None, None, None, "We <i>plan</i> together"],
            "consent": [None, None, None, None, None, None, None, True]}),
    })


def test_counts_total(study):
    assert evidence_counts(study)["n"].sum() == 8


def test_matrix_by_kind(study):
    m = evidence_matrix(study, "kind")
    assert m.loc["Capacity <b>", ("a", "p2", "threat")] == 2
    assert m.loc["Trust", ("a", "p2", "threat")] == 1
    assert m.loc["Trust", ("b", "p2", "threat")] == 1
    assert m.loc["Funding"].sum() == 0  # a theme nobody coded still has its row
    assert m.shape == (3, 2 * 2 * 4)  # themes x (places x phases x kinds)
    assert list(m.index) == ["Trust", "Capacity <b>", "Funding"]  # codebook order


def test_matrix_by_status_and_value(study):
    m = evidence_matrix(study, "status")
    assert m.loc["Capacity <b>", ("a", "p2", "at_risk")] == 2
    assert m.loc["Trust", ("b", "p2", "reverted")] == 1
    assert m.loc["Trust", ("a", "p2", "not coded")] == 2  # blank status is shown, not dropped
    threats = evidence_matrix(study, "kind", phase="p2", value="threat")
    assert threats[("a", "p2")].tolist() == [1, 2, 0]


def test_matrix_rejects_other_splits(study):
    with pytest.raises(ValueError, match="kind"):
        evidence_matrix(study, "source")


def test_threats_beside_mitigations(study):
    t = threats_and_mitigations(study, "a", "p2")
    assert t[["theme_id", "threats", "mitigations"]].values.tolist() == [["capacity", 2, 1], ["trust", 1, 0]]
    assert t.loc[0, "mitigation_summaries"] == ["Rota & rest"]
    assert threats_and_mitigations(study, "b", "p1").empty


def test_html_escapes_study_text(study):
    page = threats_and_mitigations_html(threats_and_mitigations(study, "a", "p2"))
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "Capacity &lt;b&gt;" in page and "Rota &amp; rest" in page
    assert "No mitigation coded yet" in page
    assert "No threats" in threats_and_mitigations_html(threats_and_mitigations(study, "b", "p1"))


def test_evidence_list_quotes_only_with_consent(study):
    page = evidence_list_html(study, "a", "p2", "shift")
    assert "We &lt;i&gt;plan&lt;/i&gt; together" in page and "<i>" not in page
    assert "No enablers" not in evidence_list_html(study, "a", "p2", "enabler")
    assert "No enablers were coded" in evidence_list_html(study, "a", "p1", "enabler")
