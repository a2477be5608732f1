"""The publication gate: nothing reaches a stakeholder folder without the leak check (analysis.runner.gate)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import pytest

from analysis import paths
from analysis.leakcheck import check_rendered
from analysis.runner import runner
from analysis.runner.gate import PublicationGate, public_error
from tests.helpers import copy_fixture_notebooks

ORG = "Hollybush Tenants Forum"
ORG_ID = "GB-CHC-5550123"
TERMS = {"organisation name": [ORG], "organisation identifier": [ORG_ID]}


def _published_text(study_out: Path) -> dict[str, str]:
    """Every file a stakeholder could be sent: the stakeholder folder and the study index, as text."""
    files = [p for p in (study_out / "stakeholder").rglob("*") if p.is_file()]
    if (study_out / "index.html").exists():
        files.append(study_out / "index.html")
    return {str(p.relative_to(study_out)): p.read_bytes().decode("utf-8", "replace") for p in files}


# ---------------------------------------------------------------------------------------------
# The gate on its own


@pytest.fixture
def gate(tmp_path):
    return PublicationGate(tmp_path / "out" / "s", lambda: TERMS)


def test_a_page_with_an_entity_written_name_is_refused_and_the_old_page_stays(gate):
    page = gate.study_out / "stakeholder" / "p1" / "index.html"
    assert gate.write_text(page, "<h1>Phase one</h1>")
    # "&#32;" is a space: the check reads the page as a browser does
    assert not gate.write_text(page, "<h1>Phase one: Hollybush&#32;Tenants <b>Forum</b></h1>")
    assert page.read_text() == "<h1>Phase one</h1>"
    assert [(r.kind, r.path) for r in gate.refused] == [("organisation name", "stakeholder/p1/index.html")]
    logged = (gate.study_out / ".internal" / "refused.jsonl").read_text()
    assert "stakeholder/p1/index.html" in logged and "Hollybush" not in logged


def test_json_is_checked_as_written_not_behind_escapes(gate):
    # json.dumps escapes non-ASCII by default ("\u00f6"), which would hide a name from a text search
    terms = {"organisation name": ["Björkö Food Hub"]}
    g = PublicationGate(gate.study_out, lambda: terms)
    path = g.study_out / "stakeholder" / "p1" / "manifest.json"
    assert not g.write_json(path, {"entries": {"a/b": {"label": "Björkö Food Hub"}}})
    assert not path.exists()
    assert g.write_json(path, {"entries": {"a/b": {"label": "Page"}}})
    assert json.loads(path.read_text(encoding="utf-8"))["entries"]["a/b"]["label"] == "Page"


def test_the_study_index_is_checked_and_internal_pages_are_not(gate):
    assert not gate.write_text(gate.study_out / "index.html", f"<title>{ORG} study</title>")
    assert gate.write_text(gate.study_out / "internal" / "p1" / "index.html", f"<p>{ORG}</p>")
    assert gate.covers(gate.study_out / "stakeholder" / "x.svg")
    assert not gate.covers(gate.study_out / ".internal" / "errors.jsonl")


def test_a_page_is_published_whole_or_not_at_all(gate, tmp_path):
    staging = tmp_path / "staging"
    staging.mkdir()
    (staging / "page.html").write_text("<p>VCSE 07 rated Council 12 highly</p>")
    (staging / "page.ipynb").write_text(json.dumps({"cells": [], "metadata": {}}))
    # the organisation's identifier, without its name, in an SVG figure's metadata
    (staging / "figure.svg").write_text(f"<svg><metadata><dc:source>{ORG_ID}</dc:source></metadata></svg>")
    out_dir = gate.study_out / "stakeholder" / "p1" / "north"
    assert gate.publish(staging, out_dir, last=["page.html"]) == []
    assert not out_dir.exists() or not any(out_dir.iterdir())
    assert {r.path for r in gate.refused} == {"stakeholder/p1/north/figure.svg"}

    (staging / "figure.svg").write_text("<svg><text>VCSE 07</text></svg>")
    assert gate.publish(staging, out_dir, last=["page.html"]) == ["figure.svg", "page.ipynb", "page.html"]
    assert sorted(p.name for p in out_dir.iterdir()) == ["figure.svg", "page.html", "page.ipynb"]


@pytest.mark.parametrize("status, error, shown", [
    ("error", f"cell 5: KeyError: '{ORG}'", "cell 5: KeyError"),
    ("error", f"rendering: ValueError: no page for {ORG}", "rendering: ValueError"),
    ("error", f"worker: BrokenProcessPool: {ORG}", "worker: BrokenProcessPool"),
    ("kernel start failed", f"KernelStartError: {ORG}", "KernelStartError"),
    ("error", f"{ORG} broke it", "error"),
    ("kernel died", "the kernel died while running cell 4", "the kernel died while running cell 4"),
])
def test_an_error_is_published_as_its_kind_and_place_only(status, error, shown):
    assert public_error(status, error) == shown


# ---------------------------------------------------------------------------------------------
# A run whose study names an organisation in a phase label, with a notebook that quotes one


def _study(folder: Path) -> Path:
    folder.mkdir(parents=True)
    (folder / "study.yml").write_text("name: Gate test\ndescription: a phase label names an organisation\n"
                                      "illustrative: true\n")
    (folder / "places.csv").write_text("place_id,name\nhill,Hill\nvale,Vale\n")
    (folder / "phases.csv").write_text(
        "phase_id,label,start_date,end_date\n"
        "early,Early days,2020-01-01,2020-03-31\n"
        f"closure,After the {ORG.upper()} closed,2020-04-01,2020-12-31\n")
    (folder / "organisations.csv").write_text(
        "org_id,name,place_id,sector\n"
        f"{ORG_ID},{ORG},hill,vcse\n"
        "GB-COH-0999111,Vale Youth Kitchen,vale,vcse\n")
    return folder


def _notebook_raising_a_name(folder: Path) -> None:
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# Fixture that quotes an organisation in its error"),
        nbformat.v4.new_code_cell('study = ""\nphase = ""\naudience = "stakeholder"',
                                  metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell("from analysis import load_study\n"
                                  "s = load_study(study)\n"
                                  "raise LookupError('no ratings for ' + s.organisations['name'].iloc[0])"),
    ])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, str(folder / "quotes.ipynb"))


@pytest.fixture(scope="module")
def leaky_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("gate")
    study = _study(tmp / "gated")
    nbs = copy_fixture_notebooks(tmp / "nbs", "overview")
    _notebook_raising_a_name(nbs)
    mp = pytest.MonkeyPatch()
    mp.setattr(runner, "code_hash", lambda: "code-under-test")
    mp.setattr(paths, "KEYS_DIR", tmp / "keys")
    try:
        report = runner.run(study=str(study), notebooks=str(nbs), out=str(tmp / "out"), phases=["closure"],
                            jobs=2, timeout=60)
    finally:
        mp.undo()
    return {"report": report, "out": tmp / "out" / "gated"}


@pytest.mark.slow
def test_nothing_published_names_the_organisation(leaky_run):
    published = _published_text(leaky_run["out"])
    assert published, "the run published nothing at all"
    for name, text in published.items():
        assert "hollybush" not in text.lower(), name
    assert check_rendered(None, [leaky_run["out"] / "stakeholder"], terms=TERMS) == []


@pytest.mark.slow
def test_the_phase_and_audience_indexes_are_refused_and_the_run_says_so(leaky_run):
    report, out = leaky_run["report"], leaky_run["out"]
    refused = {r.path for r in report.refused}
    assert {"stakeholder/closure/index.html", "stakeholder/closure/all-places/overview.html"} <= refused
    assert not (out / "stakeholder" / "closure" / "index.html").exists()
    assert report.exit_status == 1
    summary = report.summary()
    assert "stakeholder/closure/index.html" in summary and "hollybush" not in summary.lower()
    # the study index names no phase: it is published
    assert (out / "index.html").exists()


@pytest.mark.slow
def test_the_manifest_records_kinds_and_places_not_messages(leaky_run):
    out = leaky_run["out"]
    manifest = json.loads((out / "stakeholder" / "closure" / "manifest.json").read_text(encoding="utf-8"))
    entries = manifest["entries"]
    assert entries["all-places/quotes"]["status"] == "error"
    assert re.fullmatch(r"cell \d+: LookupError", entries["all-places/quotes"]["error"])
    assert entries["all-places/overview"]["status"] == "leak"
    assert entries["all-places/overview"]["error"].startswith("leak check: organisation name in ")
    assert "study_name" not in manifest
    assert all("study" not in e["parameters"] for e in entries.values())  # the study's path is not published
    # the message is kept, unpublished, for the research team; so is the failed notebook
    log = (out / ".internal" / "errors.jsonl").read_text(encoding="utf-8")
    assert f"no ratings for {ORG}" in log
    kept = out / ".internal" / "failed" / "stakeholder" / "closure" / "all-places"
    assert (kept / "quotes.ipynb").exists() and (kept / "overview.html").exists()
    assert not list(out.glob("failed")) and not (out / ".runner-cache.json").exists()
    assert (out / ".internal" / "runner-cache.json").exists()
