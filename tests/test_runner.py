"""Tests of the batch runner (`coordination run`) and its manifest."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import unquote

import nbformat
import pytest

from analysis.cli import main
from analysis.paths import DATA_DIR, NOTEBOOKS_DIR
from analysis.runner import runner
from analysis.runner.manifest import Manifest, code_hash, file_hash, parameters_hash, study_files_hash
from analysis.runner.render import external_references
from tests.helpers import FIXTURE_NOTEBOOKS, copy_fixture_notebooks

XSS = "<script>alert(1)</script>"
TIMEOUT = 30  # seconds per cell: the sleeping fixture sleeps far longer; the others need a few


def write_study(folder: Path) -> Path:
    """Two places, two phases, three organisations (one called <script>alert(1)</script>)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "study.yml").write_text(
        "name: Tiny & test study\ndescription: for the runner's tests\nillustrative: true\n")
    (folder / "places.csv").write_text("place_id,name\nnorth,North <b>Town</b>\nsouth,South & Sons\n")
    (folder / "phases.csv").write_text(
        "phase_id,label,start_date,end_date\nbefore,Before,2020-01-01,2020-03-31\nafter,After,2020-04-01,2020-12-31\n")
    (folder / "organisations.csv").write_text(
        "org_id,name,place_id,sector\n"
        f"GB-1,{XSS},north,vcse\n"
        "GB-2,Northfield Community Larder,north,local_authority\n"
        "GB-3,Southbank Advice Centre,south,vcse\n")
    return folder


def run(**kwargs):
    """`runner.run` with its printed output captured: (exit status, text printed)."""
    quiet = kwargs.pop("quiet", True)
    kwargs.setdefault("timeout", TIMEOUT)
    kwargs.setdefault("jobs", 2)
    report = runner.run(**kwargs)
    return report.exit_status, report.summary(quiet=quiet)


@pytest.fixture(autouse=True)
def fixed_code_hash(monkeypatch):
    """Other engineers edit the package while tests run: pin the code hash for a test's runs."""
    monkeypatch.setattr(runner, "code_hash", lambda: "code-under-test")


# ---------------------------------------------------------------------------------------------
# Manifest and hashes (no notebook runs)


def test_file_hash_is_sha256_of_bytes(tmp_path):
    p = tmp_path / "x"
    p.write_bytes(b"abc")
    # SHA-256("abc") from FIPS 180-2, appendix B.1
    assert file_hash(p) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


def test_study_files_hash_changes_with_any_file(tmp_path):
    study = write_study(tmp_path / "s")
    before = study_files_hash(study)
    assert study_files_hash(study) == before
    (study / "imports").mkdir()
    (study / "imports" / "grants-360.csv").write_text("Identifier\n")
    assert study_files_hash(study) != before


def test_code_hash_covers_templates(tmp_path):
    pkg = tmp_path / "analysis"
    (pkg / "templates" / "cip").mkdir(parents=True)
    (pkg / "a.py").write_text("x = 1\n")
    (pkg / "templates" / "cip" / "cip.css").write_text("body{}")
    h = code_hash(pkg)
    (pkg / "templates" / "cip" / "cip.css").write_text("body{color:red}")
    assert code_hash(pkg) != h


def test_code_hash_covers_every_subpackage_and_its_templates_and_resources(tmp_path):
    """The package's own code hash reads the whole of src/analysis, not only the runner's folder."""
    import analysis
    from analysis.runner import manifest

    assert manifest._PACKAGE_DIR == Path(analysis.__file__).resolve().parent
    pkg = tmp_path / "analysis"
    for part in ("networks", "runner/templates/cip", "resources"):
        (pkg / part).mkdir(parents=True)
    files = {"__init__.py": "", "networks/measures.py": "x = 1\n", "runner/templates/cip/cip.css": "body{}",
             "resources/la-predecessors.csv": "code\nE1\n"}
    for name, text in files.items():
        (pkg / name).write_text(text)
    (pkg / "notes.txt").write_text("not code")
    hashes = {code_hash(pkg)}
    for name in files:
        (pkg / name).write_text(files[name] + " ")
        hashes.add(code_hash(pkg))
    assert len(hashes) == 1 + len(files)  # each edit, a subpackage's module included, gives a new hash
    (pkg / "notes.txt").write_text("still not code")
    assert code_hash(pkg) in hashes


def test_parameters_hash_ignores_key_order():
    assert parameters_hash({"a": "1", "b": "2"}) == parameters_hash({"b": "2", "a": "1"})
    assert parameters_hash({"a": "1"}) != parameters_hash({"a": 1})


def test_manifest_only_an_ok_entry_with_the_same_hashes_is_current(tmp_path):
    m = Manifest.load(tmp_path / "manifest.json")
    m.record("north/ok", {"status": "error", "hashes": {"n": "1"}})
    m.record("south/ok", {"status": "ok", "hashes": {"n": "1"}})
    m.save(package_version="0")
    m = Manifest.load(tmp_path / "manifest.json")
    assert not m.is_current("north/ok", {"n": "1"})
    assert m.is_current("south/ok", {"n": "1"})
    assert not m.is_current("south/ok", {"n": "2"})
    assert not m.is_current("west/ok", {"n": "1"})


def test_unreadable_manifest_is_empty(tmp_path):
    (tmp_path / "manifest.json").write_text("{not json")
    assert Manifest.load(tmp_path / "manifest.json").entries == {}


# ---------------------------------------------------------------------------------------------
# Checks before anything runs: one line, exit status 2


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--phase", "during"], "phase 'during' is not in the study"),
        (["--place", "west"], "place 'west' is not in the study"),
        (["--study", "no/such/study"], "not found"),
    ],
)
def test_bad_request_is_one_line_and_exit_2(tmp_path, capsys, extra, message):
    study = write_study(tmp_path / "tiny")
    nbs = copy_fixture_notebooks(tmp_path / "nbs", "ok")
    args = ["run", "--study", str(study), "--notebooks", str(nbs), "--out", str(tmp_path / "out")]
    status = main(args + extra)
    err = capsys.readouterr().err
    assert status == 2
    assert message in err
    assert len(err.strip().splitlines()) == 1
    assert not (tmp_path / "out" / "tiny" / "stakeholder").exists()


def test_notebook_without_a_parameter_the_runner_sets_is_refused(tmp_path, capsys):
    study = write_study(tmp_path / "tiny")
    nbs = tmp_path / "nbs"
    nbs.mkdir()
    nb = nbformat.read(str(FIXTURE_NOTEBOOKS / "ok.ipynb"), as_version=4)
    nb.cells[1].source = 'study = "data/example"\nplace = "coventry"\nphase = "interim"\n'
    nbformat.write(nb, str(nbs / "no_audience.ipynb"))
    status = main(["run", "--study", str(study), "--notebooks", str(nbs), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert status == 2
    assert "no_audience.ipynb has no parameter 'audience'" in err
    assert len(err.strip().splitlines()) == 1


def test_plan_per_place_and_cross_place(tmp_path):
    study = write_study(tmp_path / "tiny")
    nbs = copy_fixture_notebooks(tmp_path / "nbs", "ok", "overview")
    cache: dict = {}
    info = runner.study_info(study, cache, "c")
    paths = sorted(nbs.glob("*.ipynb"))
    hashes = {p: file_hash(p) for p in paths}
    declared = {p: runner.notebook_parameters(p, hashes[p], cache) for p in paths}
    jobs = runner.plan_jobs(info, paths, declared, out=tmp_path / "out", code="c", notebook_hashes=hashes,
                            audience="internal")
    keys = sorted((j.phase, j.key) for j in jobs)
    assert keys == [("after", "all-places/overview"), ("after", "north/ok"), ("after", "south/ok"),
                    ("before", "all-places/overview"), ("before", "north/ok"), ("before", "south/ok")]
    job = next(j for j in jobs if j.key == "north/ok" and j.phase == "before")
    # identifiers travel as strings; figures go to the place's folder of this audience
    assert job.parameters == {"study": str(study), "phase": "before", "place": "north", "audience": "internal",
                              "figures_dir": str(tmp_path / "out" / "tiny" / "internal" / "before" / "north")}
    overview = next(j for j in jobs if j.key == "all-places/overview" and j.phase == "after")
    assert "place" not in overview.parameters
    assert overview.out_dir.endswith("internal/after/all-places")


# ---------------------------------------------------------------------------------------------
# End to end on the fixture notebooks


@pytest.fixture(scope="module")
def failing_run(tmp_path_factory):
    """One run of ok, overview, raises, sleeps and dies for one phase and both places."""
    tmp = tmp_path_factory.mktemp("failing")
    study = write_study(tmp / "tiny")
    nbs = copy_fixture_notebooks(tmp / "nbs", "ok", "overview", "raises", "sleeps", "dies")
    mp = pytest.MonkeyPatch()
    mp.setattr(runner, "code_hash", lambda: "code-under-test")
    try:
        status, printed = run(study=str(study), notebooks=str(nbs), out=str(tmp / "out"), phases=["before"],
                              timeout=TIMEOUT, quiet=False)
    finally:
        mp.undo()
    return {"status": status, "printed": printed, "out": tmp / "out" / "tiny", "study": study, "nbs": nbs}


@pytest.mark.slow
def test_failures_are_reported_and_the_rest_renders(failing_run):
    assert failing_run["status"] == 1
    rows = {}
    for line in failing_run["printed"].splitlines():
        parts = line.split()
        if parts and parts[0] in {"ok", "overview", "raises", "sleeps", "dies"} and len(parts) > 3:
            rows[(parts[0], parts[1])] = line
    for place in ("north", "south"):
        assert " ok " in rows[("ok", place)]
        # a stakeholder run prints the error's kind and cell; its message stays in the internal log
        assert re.search(r"\berror\b.*cell \d+: ValueError$", rows[("raises", place)])
        assert re.search(r"\btimeout\b.*ran past the 30 s timeout", rows[("sleeps", place)])
        assert "kernel died" in rows[("dies", place)]
    assert " ok " in rows[("overview", "all-places")]
    assert "3 rendered, 6 failed, 0 up to date" in failing_run["printed"]
    log = (failing_run["out"] / ".internal" / "errors.jsonl").read_text()
    assert log.count("ValueError: deliberate failure") == 2
    assert failing_run["printed"].rstrip().endswith(str(failing_run["out"] / "stakeholder" / "index.html"))


@pytest.mark.slow
@pytest.mark.parametrize("name, ename", [("raises", "ValueError"), ("sleeps", "CellTimeoutError"),
                                         ("dies", "DeadKernelError")])
def test_failed_notebook_is_kept_with_its_error(failing_run, name, ename):
    kept = failing_run["out"] / ".internal" / "failed" / "stakeholder" / "before" / "north" / f"{name}.ipynb"
    nb = nbformat.read(str(kept), as_version=4)
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert [e.ename for e in errors] == [ename]
    # nothing of a failed notebook is published
    assert not (failing_run["out"] / "stakeholder" / "before" / "north" / f"{name}.html").exists()


@pytest.mark.slow
def test_manifest_records_every_run(failing_run):
    m = json.loads((failing_run["out"] / "stakeholder" / "before" / "manifest.json").read_text())
    assert m["package_version"] and m["audience"] == "stakeholder" and m["phase"] == "before"
    statuses = {k: e["status"] for k, e in m["entries"].items()}
    assert statuses == {"all-places/overview": "ok", "north/ok": "ok", "south/ok": "ok", "north/raises": "error",
                        "south/raises": "error", "north/sleeps": "timeout", "south/sleeps": "timeout",
                        "north/dies": "kernel died", "south/dies": "kernel died"}
    entry = m["entries"]["north/ok"]
    assert set(entry["hashes"]) == {"notebook", "parameters", "study", "code", "key"}
    assert entry["parameters"]["place"] == "north" and entry["seconds"] > 0
    assert sorted(entry["outputs"]) == ["ok.html", "ok.ipynb", "organisations-by-sector.png",
                                        "organisations-by-sector.svg"]


@pytest.mark.slow
def test_stakeholder_page_shows_no_code_and_embeds_figures(failing_run):
    page = (failing_run["out"] / "stakeholder" / "before" / "north" / "ok.html").read_text()
    source = nbformat.read(str(FIXTURE_NOTEBOOKS / "ok.ipynb"), as_version=4)
    for cell in source.cells:
        if cell.cell_type == "code":
            for line in cell.source.splitlines():
                if len(line.strip()) > 12:
                    assert line.strip() not in page, line
    assert "In&nbsp;[" not in page and "Out[" not in page
    imgs = re.findall(r"<img\b[^>]*>", page)
    assert imgs and all('src="data:image/png;base64,' in i for i in imgs)
    assert 'alt="Bar chart of organisations by sector group"' in page
    assert external_references(page) == []
    assert "<script" not in page.lower()
    assert 'class="cip-banner"' in page and "Illustrative data" in page
    # the header block states what the page is
    assert "North &lt;b&gt;Town&lt;/b&gt;" in page and "<b>Town</b>" not in page
    assert "Tiny &amp; test study" in page
    assert re.search(r"Data fingerprint</dt><dd><code>[0-9a-f]{12}</code>", page)
    assert re.search(r'<time datetime="\d{4}-\d\d-\d\dT', page)
    # figures as files, beside the page
    folder = failing_run["out"] / "stakeholder" / "before" / "north"
    assert (folder / "organisations-by-sector.png").read_bytes()[:4] == b"\x89PNG"
    assert b"<svg" in (folder / "organisations-by-sector.svg").read_bytes()[:2000]
    # the executed notebook names the folder its figures are in, not the staging folder
    assert str(folder) in (folder / "ok.ipynb").read_text()
    assert ".staging" not in (folder / "ok.ipynb").read_text()


def _links(page: Path) -> list[Path]:
    hrefs = re.findall(r'<a\b[^>]*\bhref="([^"]+)"', page.read_text())
    return [(page.parent / unquote(h)).resolve() for h in hrefs if not h.startswith(("http:", "https:", "#", "data:"))]


@pytest.mark.slow
def test_every_index_link_resolves(failing_run):
    out = failing_run["out"]
    seen, todo = set(), [out / "index.html"]
    while todo:
        page = todo.pop()
        if page in seen:
            continue
        seen.add(page)
        assert page.exists(), page
        if page.name == "index.html":
            todo.extend(_links(page))
        else:
            assert all(p.exists() for p in _links(page)), page
    names = {str(p.relative_to(out)) for p in seen}
    assert {"index.html", "stakeholder/index.html", "stakeholder/before/index.html",
            "stakeholder/before/north/ok.html", "stakeholder/before/south/ok.html",
            "stakeholder/before/all-places/overview.html"} <= names
    phase_index = (out / "stakeholder" / "before" / "index.html").read_text()
    assert "North &lt;b&gt;Town&lt;/b&gt;" in phase_index and "South &amp; Sons" in phase_index
    assert "raises.html" not in phase_index


@pytest.mark.slow
def test_rerun_with_nothing_changed_skips_everything(tmp_path):
    study = write_study(tmp_path / "tiny")
    nbs = copy_fixture_notebooks(tmp_path / "nbs", "overview")
    status, _ = run(study=str(study), notebooks=str(nbs), out=str(tmp_path / "out"))
    assert status == 0
    page = tmp_path / "out" / "tiny" / "stakeholder" / "after" / "all-places" / "overview.html"
    first = page.read_text()
    status, printed = run(study=str(study), notebooks=str(nbs), out=str(tmp_path / "out"), quiet=False)
    assert status == 0
    assert "0 rendered, 0 failed, 2 up to date" in printed
    assert page.read_text() == first
    # a change to the data renders again; so does --force
    with open(study / "places.csv", "a") as fh:
        fh.write("east,East End\n")
    status, printed = run(study=str(study), notebooks=str(nbs), out=str(tmp_path / "out"), quiet=False)
    assert "2 rendered, 0 failed, 0 up to date" in printed
    status, printed = run(study=str(study), notebooks=str(nbs), out=str(tmp_path / "out"), quiet=False,
                          phases=["after"], force=True)
    assert "1 rendered, 0 failed, 0 up to date" in printed


@pytest.mark.slow
def test_a_failed_rerun_leaves_the_previous_good_page(tmp_path):
    study = write_study(tmp_path / "tiny")
    nbs = copy_fixture_notebooks(tmp_path / "nbs", "overview")
    out = tmp_path / "out"
    assert run(study=str(study), notebooks=str(nbs), out=str(out), phases=["before"])[0] == 0
    page = out / "tiny" / "stakeholder" / "before" / "all-places" / "overview.html"
    good = page.read_text()
    nb = nbformat.read(str(nbs / "overview.ipynb"), as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("raise RuntimeError('broken since')"))
    nbformat.write(nb, str(nbs / "overview.ipynb"))
    status, printed = run(study=str(study), notebooks=str(nbs), out=str(out), phases=["before"])
    assert status == 1 and "RuntimeError" in printed and "broken since" not in printed
    assert "broken since" in (out / "tiny" / ".internal" / "errors.jsonl").read_text()
    assert page.read_text() == good
    index = (out / "tiny" / "stakeholder" / "before" / "index.html").read_text()
    assert "overview.html" in index and "out of date: last run failed" in index
    assert not list((out / "tiny").glob(".staging/*"))


@pytest.mark.slow
def test_organisation_called_script_renders_as_text_internal(tmp_path):
    study = write_study(tmp_path / "tiny")
    nbs = copy_fixture_notebooks(tmp_path / "nbs", "ok")
    status, _ = run(study=str(study), notebooks=str(nbs), out=str(tmp_path / "out"), audience="internal",
                    phases=["before"], places=["north"])
    assert status == 0
    page = (tmp_path / "out" / "tiny" / "internal" / "before" / "north" / "ok.html").read_text()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script" not in page.lower()
    assert "Northfield Community Larder" in page  # internal pages name organisations
    assert 'Internal (research team)' in page


@pytest.mark.slow
def test_stakeholder_leak_fails_the_page_without_printing_the_name(tmp_path):
    study = write_study(tmp_path / "tiny")
    nbs = copy_fixture_notebooks(tmp_path / "nbs", "leaks")
    status, printed = run(study=str(study), notebooks=str(nbs), out=str(tmp_path / "out"), phases=["before"],
                          places=["south"], quiet=False)
    assert status == 1
    assert re.search(r"leaks\s+south\s+before\s+leak\s+[\d.]+\s+leak check: organisation name in ", printed)
    assert "Northfield" not in printed and "Southbank" not in printed and "alert(1)" not in printed
    folder = tmp_path / "out" / "tiny" / "stakeholder" / "before" / "south"
    assert not (folder / "leaks.html").exists() and not (folder / "leaks.ipynb").exists()


@pytest.mark.slow
@pytest.mark.skipif(not (DATA_DIR / "example" / "study.yml").exists() or not list(NOTEBOOKS_DIR.glob("*.ipynb")),
                    reason="needs data/example and the notebooks in notebooks/")
def test_example_study_renders_for_a_stakeholder(tmp_path):
    out = tmp_path / "out"
    status, printed = run(study="data/example", out=str(out), phases=["interim"], quiet=False, timeout=600)
    assert status == 0, printed
    phase_dir = out / "example" / "stakeholder" / "interim"
    pages = sorted(phase_dir.rglob("*.html"))
    # three places x three per-place notebooks, the cross-place page and the phase's index
    expected = {f"{place}/{nb}.html" for place in ("buckinghamshire", "coventry", "sutton")
                for nb in ("place_report", "trust_network", "funding_flows")}
    assert {p.relative_to(phase_dir).as_posix() for p in pages} == expected | {"all-places/compare_places.html",
                                                                             "index.html"}
    for page in pages:
        text = page.read_text()
        assert "<script" not in text.lower() and external_references(text) == []
        assert 'class="cip-banner"' in text
        assert "load_study(" not in text
        for link in _links(page):
            assert link.exists(), (page, link)
    report = [p for p in pages if p.name != "index.html"]
    assert any("data:image/png;base64," in p.read_text() for p in report)


@pytest.mark.slow
def test_notebooks_share_a_warm_kernel_but_not_its_state(tmp_path):
    """One worker runs four notebooks on one kernel; the second notebook finds none of the first's state."""
    study = write_study(tmp_path / "tiny")
    nbs = copy_fixture_notebooks(tmp_path / "nbs", "isolation_1_leaves_state", "isolation_2_checks_clean")
    status, printed = run(study=str(study), notebooks=str(nbs), out=str(tmp_path / "out"), phases=["before"],
                          jobs=1, audience="internal", quiet=False)
    assert status == 0, printed
    assert "4 rendered, 0 failed" in printed
    folder = tmp_path / "out" / "tiny" / "internal" / "before"
    pids = set()
    for place in ("north", "south"):
        for name in ("isolation_1_leaves_state", "isolation_2_checks_clean"):
            nb = nbformat.read(str(folder / place / f"{name}.ipynb"), as_version=4)
            text = "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []))
            pids.update(line.split()[1] for line in text.splitlines() if line.startswith("kernel "))
            assert f"cwd {nbs.resolve()}" in text
            assert [c.execution_count for c in nb.cells if c.cell_type == "code"][0] == 1
    assert len(pids) == 1  # the same kernel process ran all four


def test_job_queue_hands_out_the_longest_expected_first(tmp_path):
    def job(stem, place, phase="before"):
        return runner.Job(f"{stem}.ipynb", stem, place, phase, "internal", {}, str(tmp_path), {})

    m = Manifest.load(tmp_path / "manifest.json")
    m.record("north/long", {"status": "ok", "seconds": 9.0})
    m.record("north/short", {"status": "ok", "seconds": 1.0})
    m.record("north/failed", {"status": "error", "seconds": 50.0})  # a failed run says nothing of its length
    todo = [job("short", "north"), job("long", "north"), job("failed", "north"), job("new", "north"),
            job("new", "south")]
    queue = runner._JobQueue(todo, {"before": m})
    # never seen first (plan order), then the longest known
    assert [queue.pop().key for _ in range(2)] == ["north/failed", "north/new"]
    queue.learn(job("new", "north"), 4.0)  # what this run saw of the same notebook for another place
    assert [queue.pop().key for _ in range(3)] == ["north/long", "south/new", "north/short"]
    assert len(queue) == 0
