"""The national example: the first N English local authorities, scaled per place, signals planted by region."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis import load_study, networks
from analysis.cli import main
from analysis.example import write_study
from analysis.national import REGION_SIGNALS, generate_national, local_authorities, national_readme
from analysis.paths import SHARED_DATA_DIR

N = 40  # the first 40 authorities span eight regions (8 in the South East, 5 in the North East)


@pytest.fixture(scope="module")
def national(tmp_path_factory):
    tables, settings = generate_national(N, seed=7)
    folder = write_study(tmp_path_factory.mktemp("national") / "n40", tables, settings, 7)
    return tables, load_study(folder)


def test_the_resource_is_the_published_table(shared_data):
    ours = local_authorities()
    theirs = pd.read_csv(SHARED_DATA_DIR / "places" / "local-authorities-england.csv", dtype=str)
    assert len(ours) == 296 and ours["ons_code"].tolist() == theirs["ons_code"].tolist()
    # ONS: England's mid-2020 population, which the 296 authorities add up to
    assert int(ours["population_mid2020"].sum()) == 56_550_138


def test_places_are_the_first_n_authorities_with_their_facts(national):
    tables, study = national
    la = local_authorities().head(N)
    assert study.places["ons_code"].tolist() == la["ons_code"].tolist()
    assert study.places["region"].tolist() == la["region"].tolist()
    assert study.places["population"].astype(int).tolist() == la["population_mid2020"].tolist()
    # Hartlepool (93,836 people) has 1 council + int(20 + 93,836 / 5,000) = 1 + 38 organisations
    assert int((study.organisations["place_id"] == "hartlepool").sum()) == 39


def test_the_same_seed_gives_the_same_study():
    a, _ = generate_national(3, seed=11)
    b, _ = generate_national(3, seed=11)
    c, _ = generate_national(3, seed=12)
    assert all(a[k].equals(b[k]) for k in a)
    assert not a["relationships"].equals(c["relationships"])


def test_density_rises_more_where_the_region_plants_more(national):
    """North East places (+0.55 levels) gain more density in the emergency than South East ones (+0.15)."""
    _, study = national
    rise = {}
    for place, region in zip(study.places["place_id"], study.places["region"], strict=True):
        if region not in ("North East", "South East"):
            continue
        before = networks.density(networks.trust_network(study, place, "baseline"))
        after = networks.density(networks.trust_network(study, place, "emergency"))
        rise.setdefault(region, []).append(after - before)
    assert REGION_SIGNALS["North East"]["density"] > REGION_SIGNALS["South East"]["density"]
    mean = {region: sum(r) / len(r) for region, r in rise.items()}
    assert mean["North East"] > mean["South East"] > 0


def test_emergency_fast_track_share_follows_the_region(national):
    _, study = national
    g = study.grants.merge(study.places[["place_id", "region"]], on="place_id")
    share = (g[g["phase_id"] == "emergency"].assign(fast=lambda d: d["Award Process"] == "fast_track")
             .groupby("region")["fast"].mean())
    # planted: North East 70%, South East 30% (hundreds of grants each, so well apart)
    assert share["North East"] == pytest.approx(0.7, abs=0.1)
    assert share["South East"] == pytest.approx(0.3, abs=0.1)


def test_readme_counts_every_row_and_lists_the_regions(national):
    tables, _ = national
    text = national_readme(tables, 7)
    for name, frame in tables.items():
        assert f"| {name} | {len(frame):,} |" in text
    assert "| North East | 5 | +0.55 |" in text and "| South East | 8 | +0.15 |" in text


def test_command_writes_a_valid_national_study_and_refuses_data_example(tmp_path, capsys):
    assert main(["make-example", "--places", "4", "--out", str(tmp_path / "n4")]) == 0
    assert (tmp_path / "n4" / "README.md").is_file()
    assert main(["validate", str(tmp_path / "n4")]) == 0
    capsys.readouterr()
    assert main(["make-example", "--places", "4"]) == 2
    assert "needs --out" in capsys.readouterr().err
    assert main(["make-example", "--places", "297", "--out", str(tmp_path / "x")]) == 2
    assert "between 1 and 296" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()
