"""The bundled illustrative study: deterministic generation, the data package's rules, planted signals.

Each planted signal is recomputed here by hand with plain pandas from the generated CSVs
(not through the package's metric modules), as data/example/README.md describes it.
"""

from __future__ import annotations

import re

import pandas as pd
import pytest
import yaml

from analysis.cli import main
from analysis.example import DEFAULT_SEED, SUPPRESSED_SURVEY_CELLS, write_example
from analysis.paths import DATA_DIR
from analysis.schema import SECTOR_GROUP_OF, TABLES

EXAMPLE_README = DATA_DIR / "example" / "README.md"

PLACE_IDS = ["buckinghamshire", "coventry", "sutton"]
PHASE_IDS = ["baseline", "emergency", "interim", "final"]
PUBLIC = {"council", "health", "public_other"}
TRUST = ["reliability", "mission", "openness"]


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """The example study at the default seed, written to a temporary folder (never to data/)."""
    return write_example(tmp_path_factory.mktemp("example"), seed=DEFAULT_SEED)


@pytest.fixture(scope="module")
def t(folder) -> dict[str, pd.DataFrame]:
    """Every table read back as a spreadsheet user would see it (strings; blanks as NaN)."""
    return {name: pd.read_csv(folder / f"{name}.csv", dtype=str, keep_default_na=False, na_values=[""])
            for name in TABLES}


@pytest.fixture(scope="module")
def orgs(t) -> pd.DataFrame:
    o = t["organisations"].copy()
    o["group"] = o["sector"].map(SECTOR_GROUP_OF)
    return o


@pytest.fixture(scope="module")
def ratings(t, orgs) -> pd.DataFrame:
    """Relationships with numbers as numbers and both ends' place and sector group."""
    r = t["relationships"].copy()
    for col in ["level", *TRUST, "influence", "involvement", "resources"]:
        r[col] = pd.to_numeric(r[col])
    ends = orgs[["org_id", "place_id", "group"]]
    r = r.merge(ends, on="org_id").merge(
        ends.rename(columns={"org_id": "partner_id", "place_id": "partner_place", "group": "partner_group"}),
        on="partner_id")
    r["trust"] = r[TRUST].mean(axis=1)
    return r


def by_phase(series: pd.Series) -> list[float]:
    return [float(series.get(p, 0)) for p in PHASE_IDS]


# --- generation -------------------------------------------------------------------------

def test_same_seed_writes_identical_bytes_and_another_seed_differs(folder, tmp_path):
    again = write_example(tmp_path / "again", seed=DEFAULT_SEED)
    other = write_example(tmp_path / "other", seed=DEFAULT_SEED + 1)
    names = sorted(p.name for p in folder.iterdir())
    assert names == sorted(p.name for p in again.iterdir())
    for name in names:
        assert (folder / name).read_bytes() == (again / name).read_bytes(), name
    assert (folder / "relationships.csv").read_bytes() != (other / "relationships.csv").read_bytes()
    assert (folder / "grants.csv").read_bytes() != (other / "grants.csv").read_bytes()


def test_writes_study_yml_and_one_csv_per_table_and_nothing_else(folder):
    assert sorted(p.name for p in folder.iterdir()) == sorted(["study.yml", *(f"{n}.csv" for n in TABLES)])


def test_rewriting_leaves_the_readme_and_imports_alone(tmp_path):
    out = tmp_path / "ex"
    (out / "imports").mkdir(parents=True)
    (out / "README.md").write_text("kept by hand", encoding="utf-8")
    (out / "imports" / "grants-a.csv").write_text("Identifier\n", encoding="utf-8")
    (out / "places.csv").write_text("stale", encoding="utf-8")
    write_example(out, seed=3)
    assert (out / "README.md").read_text(encoding="utf-8") == "kept by hand"
    assert (out / "imports" / "grants-a.csv").read_text(encoding="utf-8") == "Identifier\n"
    assert (out / "places.csv").read_text(encoding="utf-8").startswith("place_id,name,")
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]


def test_csv_headers_are_exactly_the_schema_columns(folder):
    for name, table in TABLES.items():
        header = (folder / f"{name}.csv").read_text(encoding="utf-8").splitlines()[0]
        assert header.split(",") == table.column_names, name


def test_committed_example_is_what_the_generator_writes(folder):
    if not (DATA_DIR / "example" / "study.yml").is_file():
        pytest.skip("data/example is not generated")
    for path in folder.iterdir():
        committed = DATA_DIR / "example" / path.name
        assert committed.read_bytes() == path.read_bytes(), (
            f"data/example/{path.name} is stale: run `coordination make-example`")


def test_command_writes_the_study_where_told(tmp_path, capsys):
    assert main(["make-example", "--out", str(tmp_path / "ex"), "--seed", "7"]) == 0
    assert (tmp_path / "ex" / "relationships.csv").is_file()
    assert "relationships.csv" in capsys.readouterr().out


def test_study_yml_settings(folder, orgs):
    settings = yaml.safe_load((folder / "study.yml").read_text(encoding="utf-8"))
    assert settings["name"] == "Coordination in place: illustrative example"
    assert settings["illustrative"] is True
    assert settings["tie_min_level"] == 2 and settings["disclosure_threshold"] == 5
    councils = orgs.loc[orgs["sector"] == "local_authority", "org_id"]
    assert sorted(settings["nameable"]) == sorted(councils)
    assert settings["postcode_districts"]["coventry"] == ["CV1", "CV2", "CV3", "CV4", "CV5", "CV6"]
    assert set(settings["postcode_districts"]) == set(PLACE_IDS)


# --- the data package's rules ------------------------------------------------------------

def test_places_carry_the_real_ons_codes_and_mid_2020_populations(t, shared_data):
    ons = pd.read_csv(shared_data / "places" / "ons-mid2020.csv", dtype=str)
    places = t["places"].merge(ons, on="ons_code", suffixes=("", "_ons"))
    assert len(places) == 3
    assert (places["name"] == places["name_ons"]).all()
    assert (places["population"] == places["population_mid2020"]).all()


def test_phases_are_in_time_order_and_do_not_overlap(t):
    ph = t["phases"]
    assert list(ph["phase_id"]) == PHASE_IDS
    starts, ends = pd.to_datetime(ph["start_date"]), pd.to_datetime(ph["end_date"])
    assert (starts <= ends).all()
    assert (starts.iloc[1:].to_numpy() > ends.iloc[:-1].to_numpy()).all()


def test_organisations(orgs):
    assert orgs["org_id"].is_unique
    sizes = orgs.groupby("place_id").size()
    assert ((sizes >= 30) & (sizes <= 60)).all()
    councils = orgs[orgs["sector"] == "local_authority"].groupby("place_id").size()
    assert councils.to_dict() == {p: 1 for p in PLACE_IDS}
    for sector in ["health", "vcse_infrastructure", "vcse", "community_group", "faith", "funder", "housing",
                   "business", "education", "emergency_services"]:
        assert set(orgs.loc[orgs["sector"] == sector, "place_id"]) == set(PLACE_IDS), sector
    org_id = r"GB-(CHC-\d{7}|COH-\d{8}|LAE-[A-Z]{3}|NHS-[A-Z0-9]+|EDU-\d{6}|GOR-PB\d{3})"
    assert orgs["org_id"].str.fullmatch(org_id).all()
    assert not orgs["name"].str.contains("<").any()


def test_every_rating_is_of_a_partner_in_the_same_place_never_itself(ratings):
    assert (ratings["place_id"] == ratings["partner_place"]).all()
    assert (ratings["org_id"] != ratings["partner_id"]).all()
    assert not ratings.duplicated(["phase_id", "org_id", "partner_id"]).any()
    assert ratings["level"].between(0, 4).all()
    given = ratings[[*TRUST, "influence", "involvement", "resources"]]
    assert given[ratings["level"] == 0].isna().all().all()
    assert given.stack().dropna().between(1, 4).all()
    assert set(ratings["phase_id"]) == set(PHASE_IDS)


def test_most_organisations_respond_each_phase(ratings, orgs):
    respondents = ratings.groupby(["place_id", "phase_id"])["org_id"].nunique()
    rate = respondents / orgs.groupby("place_id").size().reindex(respondents.index, level=0)
    assert rate.between(0.7, 0.9).all(), rate
    assert (rate < 1).all()


def test_board_seats_name_organisations_of_their_place(t, orgs):
    b = t["boards"].merge(orgs[["org_id", "place_id"]], on="org_id", suffixes=("", "_org"))
    assert len(b) == len(t["boards"])
    assert (b["place_id"] == b["place_id_org"]).all()
    assert set(b["role"]) == {"chair", "member", "observer"}
    assert (t["boards"][t["boards"]["role"] == "chair"].groupby(["phase_id", "place_id", "board"]).size() == 1).all()


def test_evidence_uses_the_codebook_and_publishes_quotes_only_with_a_consent_answer(t):
    e, themes = t["evidence"], t["themes"]
    assert set(themes["theme_id"]) == {
        "partnership_working", "shared_purpose", "permission_to_focus", "local_leadership", "online_working",
        "trust", "honesty_transparency", "power_balance", "capacity_burnout", "vcse_representation",
        "funding_process"}
    assert set(e["theme_id"]) <= set(themes["theme_id"])
    assert e["evidence_id"].is_unique
    assert e["source"].str.fullmatch(r"(interview|workshop|document)-\d{2}").all()
    quoted = e[e["quote"].notna()]
    assert set(quoted["consent"]) == {"true", "false"}
    assert e.loc[e["quote"].isna(), "consent"].isna().all()
    assert set(e.groupby(["place_id", "phase_id"]).size().index) == {(p, ph) for p in PLACE_IDS for ph in PHASE_IDS}


def test_grants_are_360giving_rows_from_the_studys_funders_to_its_vcse(t, orgs):
    g = t["grants"]
    assert g["Identifier"].str.fullmatch(r"360G-example-\d{4}").all() and g["Identifier"].is_unique
    assert (g["Currency"] == "GBP").all()
    assert (pd.to_numeric(g["Amount Awarded"]) > 0).all()
    recipient = g.merge(orgs, left_on="Recipient Org:Identifier", right_on="org_id")
    assert len(recipient) == len(g) and (recipient["group"] == "vcse").all()
    assert (recipient["name"] == recipient["Recipient Org:Name"]).all()
    funder = g.merge(orgs, left_on="Funding Org:Identifier", right_on="org_id")
    assert len(funder) == len(g) and funder["sector"].isin(["funder", "local_authority"]).all()
    assert (funder["place_id"] == recipient["place_id"]).all()
    codes = recipient["place_id"].map(t["places"].set_index("place_id")["ons_code"])
    assert (codes == recipient["Beneficiary Location:Geographic Code"]).all()
    assert g["Application Date"].notna().mean() > 0.85
    assert g["Award Process"].notna().mean() > 0.85
    applied = g["Application Date"].notna()
    assert (pd.to_datetime(g.loc[applied, "Application Date"]) < pd.to_datetime(g.loc[applied, "Award Date"])).all()


# --- planted signals (see data/example/README.md) ----------------------------------------

def test_a_density_and_public_vcse_ties_rise_in_the_emergency_everywhere(ratings, orgs):
    ties = ratings[ratings["level"] >= 2].copy()
    ties["crossing"] = ((ties["group"].isin(PUBLIC) & (ties["partner_group"] == "vcse"))
                        | ((ties["group"] == "vcse") & ties["partner_group"].isin(PUBLIC)))
    for place in PLACE_IDS:
        n = int((orgs["place_id"] == place).sum())
        here = ties[ties["place_id"] == place]
        density = by_phase(here.groupby("phase_id").size() / (n * (n - 1)))
        crossing = by_phase(here.groupby("phase_id")["crossing"].mean())
        assert density[1] > 2 * density[0], (place, density)
        assert crossing[1] > crossing[0] + 0.08, (place, crossing)
        # also among responding organisations only (density of the observed network)
        responding = ratings[(ratings["place_id"] == place)].groupby("phase_id")["org_id"].nunique()
        observed = here.groupby("phase_id").size() / (responding * (n - 1))
        assert observed["emergency"] > 1.5 * observed["baseline"], (place, observed)


def test_b_buckinghamshire_vcse_board_seats_and_chairs_rise_through_the_phases(t, orgs):
    b = t["boards"].merge(orgs[["org_id", "group"]], on="org_id")
    bucks = b[b["place_id"] == "buckinghamshire"].assign(vcse=lambda d: d["group"] == "vcse")
    seats = by_phase(bucks.groupby("phase_id")["vcse"].mean())
    chairs = by_phase(bucks[bucks["role"] == "chair"].groupby("phase_id")["vcse"].mean())
    assert all(later > earlier + 0.04 for earlier, later in zip(seats, seats[1:], strict=False)), seats
    assert all(later > earlier for earlier, later in zip(chairs, chairs[1:], strict=False)), chairs
    assert chairs[0] == 0


def test_b_buckinghamshire_capacity_and_burnout_threats_grow_later(t):
    e = t["evidence"]
    burnout = e[(e["place_id"] == "buckinghamshire") & (e["kind"] == "threat") & (e["theme_id"] == "capacity_burnout")]
    counts = by_phase(burnout.groupby("phase_id").size())
    assert counts[0] <= counts[1] < counts[2] < counts[3], counts


def test_c_coventry_council_vcse_asymmetry_narrows_in_the_emergency_and_widens_by_the_final(ratings):
    cov = ratings[(ratings["place_id"] == "coventry") & (ratings["level"] >= 1)]
    vcse_rate_council = cov[(cov["group"] == "vcse") & (cov["partner_group"] == "council")]
    council_rates_vcse = cov[(cov["group"] == "council") & (cov["partner_group"] == "vcse")]
    for measure in ["influence", "trust"]:
        gap = by_phase(vcse_rate_council.groupby("phase_id")[measure].mean()
                       - council_rates_vcse.groupby("phase_id")[measure].mean())
        assert gap[0] > 0.5 and gap[3] > 0.5, (measure, gap)  # the VCSE rates the council higher
        assert abs(gap[1]) < gap[0] - 0.5, (measure, gap)
        assert gap[3] > abs(gap[1]) + 0.5, (measure, gap)
        assert gap[1] < gap[2] < gap[3], (measure, gap)


def test_c_coventry_power_balance_threats_appear_in_the_final_phase(t):
    e = t["evidence"]
    threats = e[(e["place_id"] == "coventry") & (e["kind"] == "threat") & (e["theme_id"] == "power_balance")]
    counts = by_phase(threats.groupby("phase_id").size())
    assert counts[1] == counts[2] == 0 and counts[3] >= 2, counts


def test_d_sutton_trust_on_ties_rises_in_the_emergency(ratings):
    ties = ratings[(ratings["place_id"] == "sutton") & (ratings["level"] >= 2)]
    trust = by_phase(ties.groupby("phase_id")["trust"].mean())
    assert trust[1] > trust[0] + 0.4, trust


def test_d_sutton_days_to_award_fall_in_the_emergency_then_lengthen(t, orgs):
    g = t["grants"].merge(orgs[["org_id", "place_id"]], left_on="Recipient Org:Identifier", right_on="org_id")
    g = g[g["place_id"] == "sutton"].copy()
    g["days"] = (pd.to_datetime(g["Award Date"]) - pd.to_datetime(g["Application Date"])).dt.days
    g["phase"] = pd.cut(pd.to_datetime(g["Award Date"]),
                        pd.to_datetime(["2019-04-01", "2020-03-16", "2020-07-01", "2020-11-01", "2021-04-01"]),
                        right=False, labels=PHASE_IDS)
    median = by_phase(g.groupby("phase", observed=True)["days"].median())
    assert median[1] < 20 and median[0] > 3 * median[1], median
    assert median[1] + 20 < median[2] < median[3] - 20, median
    processes = g.groupby("phase", observed=True)["Award Process"].agg(lambda s: s.value_counts().idxmax())
    assert processes["emergency"] == "fast_track" and processes["final"] == "tender"
    assert (g.loc[g["phase"] == "final", "Award Process"] == "co_produced").any()


def test_e_threats_grow_in_the_final_phase_everywhere(t):
    e = t["evidence"]
    for place in PLACE_IDS:
        counts = by_phase(e[(e["place_id"] == place) & (e["kind"] == "threat")].groupby("phase_id").size())
        assert counts[3] > max(counts[:3]) + 2, (place, counts)


def test_every_mitigation_answers_a_threat_of_its_theme_in_its_place(t):
    e = t["evidence"]
    order = {p: k for k, p in enumerate(PHASE_IDS)}
    threats = e[e["kind"] == "threat"]
    for _, m in e[e["kind"] == "mitigation"].iterrows():
        earlier = threats[(threats["place_id"] == m["place_id"]) & (threats["theme_id"] == m["theme_id"])
                          & (threats["phase_id"].map(order) <= order[m["phase_id"]])]
        assert len(earlier), m["evidence_id"]
    mitigations = e[e["kind"] == "mitigation"]
    pairs = set(zip(mitigations["place_id"], mitigations["theme_id"], strict=True))
    assert {("buckinghamshire", "capacity_burnout"), ("coventry", "power_balance"),
            ("sutton", "funding_process")} <= pairs


def documented_small_cells() -> dict:
    """The 'Cells below the disclosure threshold' table of data/example/README.md, as the data's keys."""
    text = EXAMPLE_README.read_text(encoding="utf-8")
    section = text[text.index("## Cells below the disclosure threshold"):]
    cells = {}
    for line in section.splitlines():
        m = re.fullmatch(r"\| (\w+) \| (\w+) \| (Q\d+) \(\w+\) \| (\d+) \|", line.strip())
        if m:
            cells[(m[1].lower(), m[2], m[3])] = int(m[4])
    return cells


def test_survey_cells_below_the_disclosure_threshold_are_exactly_the_documented_ones(t, orgs):
    answers = t["survey_responses"].dropna(subset=["score"]).merge(orgs[["org_id", "place_id"]], on="org_id")
    assert pd.to_numeric(answers["score"]).between(1, 5).all()
    counts = answers.groupby(["place_id", "phase_id", "item_id"])["respondent_id"].nunique()
    small = {k: int(v) for k, v in counts[counts < 5].items()}
    assert small == documented_small_cells()  # the table a reader of data/example/README.md sees
    assert small == SUPPRESSED_SURVEY_CELLS  # and the generator's own record of them
    items = t["survey_items"]
    assert items["theme_id"].is_unique  # one item per theme, so a small item is a small theme
    assert set(items["reverse"]) == {"true", "false"}
    assert t["survey_responses"]["respondent_id"].str.fullmatch(r"R\d{3}").all()


# --- the package's loader ----------------------------------------------------------------

def test_the_committed_example_loads_and_validates():
    from analysis import load_study

    if not (DATA_DIR / "example" / "study.yml").is_file():
        pytest.skip("data/example is not generated")
    study = load_study("data/example")
    assert study.illustrative is True
    assert study.slug == "example"
    assert list(study.phase_ids) == PHASE_IDS
    assert sorted(study.place_ids) == PLACE_IDS
    assert study.grants["phase_id"].notna().all()
    assert study.grants["place_id"].notna().all()


def test_a_generated_copy_loads_with_the_same_content(folder):
    from analysis import load_study

    study = load_study(folder)
    assert len(study.relationships) == sum(1 for _ in open(folder / "relationships.csv", encoding="utf-8")) - 1
    assert re.fullmatch(r"[0-9a-f]{12}", study.fingerprint)
