"""analysis.cache: work done once per study content and code version, never served for other data or code."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis import cache, study_from_tables
from analysis.networks import figures as network_figures
from analysis.runner import kernels
from analysis.shifts import indicators
from tests.helpers import tiny_tables, write_study


@pytest.fixture(autouse=True)
def fresh_cache(monkeypatch, tmp_path):
    """Each test starts with an empty memory, no disk cache, and a fixed code version."""
    cache.clear_memory()
    monkeypatch.delenv(cache.CACHE_DIR_ENV, raising=False)
    monkeypatch.setattr(cache, "_CODE", ["code-under-test"])
    yield
    cache.clear_memory()


@pytest.fixture
def counted(monkeypatch):
    """How many times the indicator table was really computed."""
    calls = []
    real = indicators._indicator_table
    monkeypatch.setattr(indicators, "_indicator_table", lambda study: calls.append(1) or real(study))
    return calls


def mean_trust(table: pd.DataFrame, place: str, phase: str) -> float:
    row = table[(table["indicator"] == "mean_trust") & (table["place_id"] == place) & (table["phase_id"] == phase)]
    return float(row["value"].iloc[0])


def tiny(openness: str = "3"):
    """The tiny study; north's one tie before the crisis has reliability 3, mission 3 and ``openness``."""
    tables = tiny_tables()
    rel = tables["relationships"].copy()
    rel.loc[0, "openness"] = openness
    tables["relationships"] = rel
    return study_from_tables(tables, {"tie_min_level": 2})


def test_changing_one_rating_gives_a_new_value(counted):
    # north, before: one tie (GB-LAE-NTH -> GB-CHC-0000007) rated 3, 3, 3: trust 3 of 4 = 75%
    assert mean_trust(indicators.indicator_table(tiny()), "north", "before") == 75.0
    # the same tie with openness 1: trust (3 + 3 + 1) / 3 = 7/3 of 4 = 58.33%
    assert mean_trust(indicators.indicator_table(tiny("1")), "north", "before") == pytest.approx(700 / 12)
    assert len(counted) == 2


def test_a_changed_copy_of_a_study_is_not_served_the_original_result(counted):
    study = tiny()
    indicators.indicator_table(study)
    rel = study.relationships.copy()
    rel.loc[0, "openness"] = 1
    rel.loc[0, "trust"] = 7 / 3  # the loader's mean of reliability, mission and openness
    changed = study.replace(relationships=rel)  # Study.replace keeps the fingerprint: the cache must not
    assert changed.fingerprint == study.fingerprint
    assert mean_trust(indicators.indicator_table(changed), "north", "before") == pytest.approx(700 / 12)
    assert len(counted) == 2


def test_the_same_study_is_computed_once_and_callers_get_their_own_copy(counted):
    study = tiny()
    first = indicators.indicator_table(study)
    first.loc[:, "value"] = -1.0  # a page that changes its table changes nobody else's
    second = indicators.indicator_table(tiny())  # another object with the same content
    assert len(counted) == 1
    assert mean_trust(second, "north", "before") == 75.0


def test_a_new_code_version_computes_again(counted, monkeypatch):
    study = tiny()
    indicators.indicator_table(study)
    monkeypatch.setattr(cache, "_CODE", ["edited-code"])
    indicators.indicator_table(study)
    assert len(counted) == 2


def test_disk_cache_serves_a_later_process_and_survives_a_damaged_entry(counted, monkeypatch, tmp_path):
    folder = tmp_path / "out" / "tiny" / ".cache"
    monkeypatch.setenv(cache.CACHE_DIR_ENV, str(folder))
    study = tiny()
    expected = indicators.indicator_table(study)
    entries = sorted(folder.glob("indicator_table-*.pickle"))
    assert len(entries) == 1 and not list(folder.glob("*.tmp"))
    cache.clear_memory()  # as a new run's kernel starts
    pd.testing.assert_frame_equal(indicators.indicator_table(tiny()), expected)
    assert len(counted) == 1
    entries[0].write_bytes(b"\x80\x05 half a pickle")  # a partial or foreign file is computed again
    cache.clear_memory()
    pd.testing.assert_frame_equal(indicators.indicator_table(tiny()), expected)
    assert len(counted) == 2
    # different data gets its own entry, never the old one
    assert mean_trust(indicators.indicator_table(tiny("1")), "north", "before") == pytest.approx(700 / 12)
    assert len(sorted(folder.glob("indicator_table-*.pickle"))) == 2


def test_without_a_cache_folder_nothing_is_written(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    indicators.indicator_table(tiny())
    assert list(tmp_path.rglob("*")) == []


def test_place_layout_is_shared_by_pages_and_keyed_by_place_and_seed(monkeypatch):
    calls = []
    real = network_figures._place_layout
    monkeypatch.setattr(network_figures, "_place_layout", lambda *a: calls.append(a[1:]) or real(*a))
    study = tiny()
    first = network_figures.place_layout(study, "north", seed=1)
    assert network_figures.place_layout(tiny(), "north", seed=1) == first
    network_figures.place_layout(study, "north", seed=2)
    network_figures.place_layout(study, "south", seed=1)
    assert calls == [("north", 1), ("north", 2), ("south", 1)]


def test_cached_study_reloads_when_a_rating_in_its_files_changes(tmp_path):
    folder = write_study(tmp_path / "tiny", tiny_tables())
    study = cache.cached_study(folder)
    assert cache.cached_study(folder) is not study  # a copy each time ...
    study.relationships.loc[0, "openness"] = 1  # ... so one page's change never reaches the next
    assert int(cache.cached_study(folder).relationships.loc[0, "openness"]) == 3
    rel = folder / "relationships.csv"
    text = rel.read_text()
    first_row = text.splitlines()[1]
    assert first_row.startswith("before,GB-LAE-NTH,GB-CHC-0000007,2,3,3,3,")
    rel.write_text(text.replace(first_row, first_row.replace(",2,3,3,3,", ",2,3,3,1,", 1), 1))
    reloaded = cache.cached_study(folder)
    assert int(reloaded.relationships.loc[0, "openness"]) == 1
    assert mean_trust(indicators.indicator_table(reloaded), "north", "before") == pytest.approx(700 / 12)


def test_the_runner_keeps_the_cache_beside_the_audiences(tmp_path):
    staged = tmp_path / "out" / "example" / ".staging" / "run-1-2" / "place_report-ab" / "place_report.ipynb"
    assert kernels.study_cache_dir(staged) == str(tmp_path / "out" / "example" / ".cache")
    assert kernels.study_cache_dir(tmp_path / "out" / "example" / "stakeholder" / "x.ipynb") == ""


def test_reset_for_notebook_names_the_cache_folder_to_the_kernel(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    kernels.reset_for_notebook(str(tmp_path), str(tmp_path / ".cache"))
    assert cache.cache_dir() == tmp_path / ".cache"
    kernels.reset_for_notebook(str(tmp_path))
    assert cache.cache_dir() is None


# ---------------------------------------------------------------------------------------------
# trust_network: built once per study content, place, phase and code version, in memory only


@pytest.fixture
def built(monkeypatch):
    """(place, phase) of every trust network really built from the tables."""
    from analysis.networks import build

    calls = []
    real = build._trust_network
    monkeypatch.setattr(build, "_trust_network", lambda s, place, phase: calls.append((place, phase))
                        or real(s, place, phase))
    return calls


def test_trust_network_is_built_once_and_each_caller_gets_its_own_copy(built):
    from analysis.networks import trust_network

    study = tiny()
    first = trust_network(study, "north", "before")
    # the tie rated 3, 3, 3 has trust 3; the level-1 rating back is not a tie
    assert list(first.edges(data="trust")) == [("GB-LAE-NTH", "GB-CHC-0000007", 3.0)]
    first.remove_edge("GB-LAE-NTH", "GB-CHC-0000007")  # a page that changes its graph changes nobody else's
    first.nodes["GB-LAE-NTH"]["name"] = "changed"
    first.graph["place_name"] = "changed"
    again = trust_network(tiny(), "north", "before")  # another object with the same content
    assert list(again.edges(data="trust")) == [("GB-LAE-NTH", "GB-CHC-0000007", 3.0)]
    assert again.nodes["GB-LAE-NTH"]["name"] == "Northtown Council" and again.graph["place_name"] == "Northtown"
    assert built == [("north", "before")]
    trust_network(study, "north", "during")
    trust_network(study, "south", "during")
    assert built == [("north", "before"), ("north", "during"), ("south", "during")]


def test_trust_network_of_a_changed_rating_is_built_again(built):
    from analysis.networks import trust_network

    assert trust_network(tiny(), "north", "before").edges["GB-LAE-NTH", "GB-CHC-0000007"]["trust"] == 3.0
    # the same tie with openness 1: trust (3 + 3 + 1) / 3 = 7/3
    changed = trust_network(tiny("1"), "north", "before")
    assert changed.edges["GB-LAE-NTH", "GB-CHC-0000007"]["trust"] == pytest.approx(7 / 3)
    assert len(built) == 2


def test_trust_network_is_never_written_to_disk(built, monkeypatch, tmp_path):
    from analysis.networks import trust_network

    monkeypatch.setenv(cache.CACHE_DIR_ENV, str(tmp_path / ".cache"))
    trust_network(tiny(), "north", "before")
    assert not (tmp_path / ".cache").exists() or list((tmp_path / ".cache").iterdir()) == []
    with pytest.raises(KeyError, match="unknown place"):  # nothing is kept for a place the study lacks
        trust_network(tiny(), "nowhere", "before")
    with pytest.raises(KeyError, match="unknown place"):
        trust_network(tiny(), "nowhere", "before")


def _age(folder, seconds: float = 60.0) -> None:
    """Set every file of ``folder`` as last changed ``seconds`` ago."""
    import os
    import time

    then = time.time() - seconds
    for p in folder.rglob("*"):
        os.utime(p, (then, then))


def test_an_unchanged_study_is_recognised_by_its_files_stats_without_reading_them(tmp_path, monkeypatch):
    from analysis.runner import manifest

    folder = write_study(tmp_path / "tiny", tiny_tables())
    _age(folder)
    hashed = []
    real = manifest.study_files_hash
    monkeypatch.setattr(manifest, "study_files_hash", lambda p: hashed.append(p) or real(p))
    first = cache.study_files_digest(folder)
    assert first == real(folder) and len(hashed) == 1
    assert cache.study_files_digest(folder) == first and len(hashed) == 1  # stats unchanged: not read again
    cache.cached_study(folder)
    cache.cached_study(folder)
    assert len(hashed) == 1
    # one rating changed, same size: the new times send it to be read again
    rel = folder / "relationships.csv"
    rel.write_text(rel.read_text().replace(",2,3,3,3,", ",2,3,3,1,", 1))
    assert cache.study_files_digest(folder) != first and len(hashed) == 2
    assert int(cache.cached_study(folder).relationships.loc[0, "openness"]) == 1
    # a file added beside them changes the list of files
    _age(folder)
    cache.study_files_digest(folder)
    calls = len(hashed)
    (folder / "imports").mkdir()
    (folder / "imports" / "grants-1.csv").write_text("Identifier\n")
    cache.study_files_digest(folder)
    assert len(hashed) == calls + 1


def test_files_changed_just_now_are_always_read(tmp_path, monkeypatch):
    from analysis.runner import manifest

    folder = write_study(tmp_path / "tiny", tiny_tables())  # written within RACY_SECONDS
    hashed = []
    real = manifest.study_files_hash
    monkeypatch.setattr(manifest, "study_files_hash", lambda p: hashed.append(p) or real(p))
    cache.study_files_digest(folder)
    cache.study_files_digest(folder)
    assert len(hashed) == 2


def test_a_places_disclosure_plan_is_decided_once_for_all_its_pages(monkeypatch):
    from analysis.disclosure import page_plan
    from analysis.networks import plan as plan_module

    decided = []
    real = plan_module.plan_cells
    monkeypatch.setattr(plan_module, "plan_cells",
                        lambda cells, threshold, **kw: decided.append(threshold) or real(cells, threshold, **kw))
    first = page_plan(tiny(), "north", "during", threshold=2)  # during, and before (its previous and first phase)
    assert len(decided) == 2
    # north's tie before the crisis is the only rating of that phase: 1 < 2, so its mean is hidden
    assert first.plan_of("before").headline_hidden("mean_trust")
    again = page_plan(tiny(), "north", "during", threshold=2)  # another page of the same study content
    assert again.plan_of("before").headline_hidden("mean_trust") and len(decided) == 2
    shown = page_plan(tiny(), "north", "before", threshold=1)  # another threshold is another plan
    assert not shown.headline_hidden("mean_trust") and len(decided) == 3
    page_plan(tiny("1"), "north", "before", threshold=2)  # a changed rating is another study
    assert len(decided) == 4
