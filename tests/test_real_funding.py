"""360Giving files as published, funding pages for real data, and the checks a researcher needs."""

from __future__ import annotations

import json
import re
import shutil

import matplotlib
import pandas as pd
import pytest
import yaml

from analysis import load_study
from analysis.cli import main
from analysis.disclosure import for_audience
from analysis.funding import figures as ff
from analysis.funding.measures import funding_measures
from analysis.funding.text import before_first_phase_sentence, funder_overlap_table, funding_sources
from analysis.funding.threesixtygiving import ThreeSixtyGivingWarning, read_360giving
from analysis.paths import DATA_DIR, NOTEBOOKS_DIR
from tests.helpers import TINY_SETTINGS, tiny_tables, write_study

HEADER = ("Identifier,Title,Currency,Amount Awarded,Award Date,Recipient Org:Identifier,Recipient Org:Name,"
          "Funding Org:Identifier,Funding Org:Name,Recipient Org:Postal Code,Application Date\n")
DISTRICTS = {"north": ["CV1"], "south": ["SM1"]}


@pytest.fixture
def study_dir(tmp_path):
    return write_study(tmp_path / "tiny", tiny_tables(), dict(TINY_SETTINGS, postcode_districts=DISTRICTS))


def grant_row(i, amount="1000", date="2020-04-01", postcode="CV1 1AA", recipient=None, application=""):
    return (f"360G-wolfson-{i},Grant {i},GBP,{amount},{date},{recipient or f'GB-CHC-{i}'},Charity {i},"
            f"GB-CHC-206495,Wolfson Foundation,{postcode},{application}\n")


def import_grants(path, study, *extra):
    return main(["import-grants", str(path), "--study", str(study), *extra])


# --------------------------------------------------------------------------- 360Giving as published


def test_zero_and_negative_amounts_are_kept_flagged_and_left_out(study_dir, tmp_path, capsys):
    source = tmp_path / "wolfson.csv"
    # a £0 joint-grant partner and a returned grant (negative) beside two ordinary grants
    source.write_text(HEADER + grant_row(1, "12000") + grant_row(2, "0") + grant_row(3, "-500") + grant_row(4, "3000"),
                      encoding="utf-8")
    assert import_grants(source, study_dir) == 0
    out = capsys.readouterr().out
    assert "4 grants read" in out and "2 grants of £0 or less" in out and "Imported 4 grants" in out
    study = load_study(study_dir)
    imported = study.grants[study.grants["Identifier"].str.startswith("360G-wolfson")]
    assert sorted(imported["Amount Awarded"]) == [-500.0, 0.0, 3000.0, 12000.0]  # kept, as published
    warned = study.warnings[study.warnings["column"] == "Amount Awarded"]
    assert len(warned) == 2 and (warned["severity"] == "warning").all()
    m = funding_measures(study.grants, study.organisations, study.phase_ids, phases=study.phases)
    row = m.set_index(["place_id", "phase_id"]).loc[("north", "during")]
    # north/during: the tiny study's own £1,250.50 grant plus £12,000 and £3,000; the £0 and -£500 rows left out
    assert row["grants"] == 3 and row["value"] == pytest.approx(16250.50) and row["flagged_grants"] == 2
    assert row["amount_median"] == pytest.approx(3000.0)


def test_a_row_the_loader_refuses_is_listed_and_the_rest_import(study_dir, tmp_path, capsys):
    source = tmp_path / "mixed.csv"
    late = grant_row(2, application="2020-05-01")  # applied after the award: the loader refuses it
    source.write_text(HEADER + grant_row(1) + late + grant_row(3), encoding="utf-8")
    assert import_grants(source, study_dir, "--dry-run") == 0
    dry = capsys.readouterr().out
    assert import_grants(source, study_dir) == 0
    real = capsys.readouterr().out
    assert "1 grants the study would refuse" in real and "360G-wolfson-2: column Application Date" in real
    assert "Imported 2 grants" in real
    # the dry run runs the same checks and prints the same report, up to its last line
    assert dry.splitlines()[:-1] == real.splitlines()[:-1]
    assert "Dry run: 2 grants would be imported" in dry
    ids = set(load_study(study_dir).grants["Identifier"])
    assert {"360G-wolfson-1", "360G-wolfson-3"} <= ids and "360G-wolfson-2" not in ids


def test_reimport_counts_grants_already_in_the_study_whatever_their_case(study_dir, tmp_path, capsys):
    source = tmp_path / "seven.csv"
    source.write_text(HEADER + "".join(grant_row(i) for i in range(1, 8)), encoding="utf-8")
    assert import_grants(source, study_dir) == 0
    capsys.readouterr()
    again = tmp_path / "seven-upper.csv"  # the publisher re-published its identifiers in upper case
    again.write_text(source.read_text(encoding="utf-8").replace("360G-wolfson-", "360G-WOLFSON-"), encoding="utf-8")
    assert import_grants(again, study_dir) == 0
    out = capsys.readouterr().out
    assert "7 grants already in the study" in out
    assert "Nothing new to import: 7 of the file's grants are already in the study." in out
    assert "no grant is attributed" not in out
    assert len(list((study_dir / "imports").glob("*.csv"))) == 1


def test_windows_1252_csv_is_read_with_a_note(study_dir, tmp_path, capsys):
    source = tmp_path / "excel.csv"
    text = HEADER + grant_row(1).replace("Charity 1", "Café £ Société")
    source.write_bytes(text.encode("cp1252"))
    with pytest.warns(ThreeSixtyGivingWarning, match="Windows-1252"):
        grants = read_360giving(source)
    assert grants.loc[0, "Recipient Org:Name"] == "Café £ Société"
    assert import_grants(source, study_dir) == 0
    out = capsys.readouterr().out
    assert "read as Windows-1252" in out and 'save it as "CSV UTF-8"' in out and "Imported 1 grant " in out


def test_grants_read_counts_every_grant_and_individuals_on_their_own_line(study_dir, tmp_path, capsys):
    def grant(i, **kw):
        return {"id": f"360G-cf-{i}", "title": "t", "currency": "GBP", "amountAwarded": 100, "awardDate": "2020-04-01",
                "recipientOrganization": [{"id": f"GB-CHC-{i}", "name": "n", "postalCode": "CV1 1AA"}],
                "fundingOrganization": [{"id": "GB-CHC-1", "name": "CF"}], **kw}
    people = [grant(i, recipientOrganization=None, recipientIndividual={"id": f"IND-{i}"}) for i in range(3, 6)]
    source = tmp_path / "cf.json"
    source.write_text(json.dumps({"grants": [grant(1), grant(2), *people]}), encoding="utf-8")
    assert import_grants(source, study_dir, "--dry-run") == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "5 grants read from cf.json"
    assert out[1].startswith("3 of them to individuals: left out")


def test_provenance_is_recorded_and_listed(study_dir, tmp_path, capsys):
    source = tmp_path / "wolfson.csv"
    source.write_text(HEADER + grant_row(1), encoding="utf-8")
    assert import_grants(source, study_dir, "--licence", "CC BY 4.0") == 0
    study = load_study(study_dir)
    sources = funding_sources(study.grants[study.grants["place_id"] == "north"]).set_index("file")
    assert sources.loc["wolfson.csv", "licence"] == "CC BY 4.0" and sources.loc["wolfson.csv", "grants"] == 1
    assert sources.loc["the study's own grants table", "grants"] == 1
    assert pd.Timestamp(sources.loc["wolfson.csv", "imported"]).date() == pd.Timestamp.now().date()


# --------------------------------------------------------------------------- funding measures and pages


def test_newly_funded_counts_grants_before_the_first_phase():
    phases = pd.DataFrame({"phase_id": ["during"], "label": ["During"], "start_date": pd.to_datetime(["2020-03-16"]),
                           "end_date": pd.to_datetime(["2020-06-30"])})
    grants = pd.DataFrame({
        "Identifier": ["old", "a", "b"], "Recipient Org:Identifier": ["GB-CHC-1", "gb-chc-1", "GB-CHC-2"],
        "Funding Org:Identifier": ["f", "f", "f"], "Amount Awarded": [500.0, 100.0, 200.0], "Currency": ["GBP"] * 3,
        "Award Date": pd.to_datetime(["2011-09-07", "2020-04-01", "2020-04-02"]),
        "place_id": ["p", "p", "p"], "phase_id": [pd.NA, "during", "during"]})
    row = funding_measures(grants, phase_order=["during"], phases=phases).iloc[0]
    assert row["recipients"] == 2 and row["new_recipients"] == 1  # GB-CHC-1 had a grant in 2011
    sentence = before_first_phase_sentence(grants, phases, place_name="P")
    assert sentence.startswith("Before the study's first phase (During, from 16 March 2020), 1 grant worth £500 ")


def test_funder_overlap_table_fills_when_two_funders_share_a_recipient():
    grants = pd.DataFrame({"Funding Org:Identifier": ["GB-CHC-206495", "360G-EFF", "360G-EFF"],
                           "Funding Org:Name": ["Wolfson Foundation", "Esmée Fairbairn Foundation"] * 1 + ["x"],
                           "Recipient Org:Identifier": ["r1", "r1", "r2"], "Amount Awarded": [1.0, 2.0, 3.0]})
    table = funder_overlap_table(grants, pd.DataFrame({"org_id": [], "name": []}))
    assert table.to_dict("records") == [{"funder": "Esmée Fairbairn Foundation", "and funder": "Wolfson Foundation",
                                         "organisations both fund": 1, "overlap (Jaccard)": "0.50"}]


def test_funders_named_unless_study_says_not(tmp_path):
    tables = tiny_tables()
    tables["grants"].loc[1, ["Funding Org:Identifier", "Funding Org:Name"]] = ["GB-CHC-206495", "Wolfson Foundation"]
    named = for_audience(load_study(write_study(tmp_path / "a", tables, TINY_SETTINGS)), "stakeholder", key=b"k")
    # a funder outside the study is named; a council that funds (a study organisation, not nameable) keeps its pseudonym
    shown = named.grants.set_index("Identifier")["Funding Org:Name"]
    assert shown["360G-x-2"] == "Wolfson Foundation" and shown["360G-x-1"].startswith("Council ")
    quiet = load_study(write_study(tmp_path / "b", tables, dict(TINY_SETTINGS, name_funders=False)))
    assert "Wolfson Foundation" not in set(for_audience(quiet, "stakeholder", key=b"k").grants["Funding Org:Name"])


@pytest.mark.parametrize("years", [1, 12])
def test_awards_over_time_tick_labels_do_not_overlap(years):
    matplotlib.use("Agg")
    start = pd.Timestamp("2010-01-01")
    edges = pd.date_range(start, start + pd.DateOffset(years=years), periods=5)
    phases = pd.DataFrame({"phase_id": [f"p{i}" for i in range(4)],
                           "label": ["Baseline (before Covid-19)", "Emergency response", "Interim", "Final"],
                           "start_date": edges[:-1], "end_date": edges[1:] - pd.Timedelta(days=1)})
    dates = pd.date_range(start, edges[-1] - pd.Timedelta(days=1), periods=40)
    grants = pd.DataFrame({"Award Date": dates, "Amount Awarded": 1000.0, "Currency": "GBP"})
    fig = ff.awards_over_time(grants, phases, place_name="Sutton", highlight="p1")
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    axes = fig.axes
    labels = [t for t in axes[-1].get_xticklabels() if t.get_text() and t.get_visible()]
    assert len(labels) >= 3
    boxes = sorted((t.get_window_extent(renderer) for t in labels), key=lambda b: b.x0)
    for left, right in zip(boxes, boxes[1:], strict=False):
        assert left.x1 <= right.x0, f"tick labels overlap: {[t.get_text() for t in labels]}"
    phase_marks = [t for t in axes[0].texts if t.get_text().strip()]
    marks = sorted((t.get_window_extent(renderer) for t in phase_marks), key=lambda b: b.x0)
    for left, right in zip(marks, marks[1:], strict=False):
        assert left.x1 <= right.x0
    matplotlib.pyplot.close(fig)


# --------------------------------------------------------------------------- checks a researcher needs


def test_validate_warns_on_unknown_nameable_and_lonely_places(tmp_path):
    tables = tiny_tables()
    tables["organisations"] = tables["organisations"][tables["organisations"]["org_id"] != "GB-CHC-0000008"]
    tables["relationships"] = tables["relationships"][tables["relationships"]["org_id"] != "GB-CHC-0000008"]
    tables["grants"] = tables["grants"].iloc[0:1]
    study = load_study(write_study(tmp_path / "s", tables, dict(TINY_SETTINGS, nameable=["GB-LAE-NTH", "GB-LAE-XXX"])))
    w = study.warnings
    nameable = w[w["column"] == "nameable"]
    assert nameable["value"].tolist() == ["GB-LAE-XXX"] and "not an org_id" in nameable["problem"].iloc[0]
    lonely = w[(w["column"] == "place_id") & (w["file"] == "places.csv")]
    assert lonely["value"].tolist() == ["south"] and "only 1 organisation" in lonely["problem"].iloc[0]


# --------------------------------------------------------------------------- a real study, end to end

THREE_COUNCILS = [("E06000060", "Buckinghamshire", "buckinghamshire", "GB-LAE-BKM", "Buckinghamshire Council"),
                  ("E08000026", "Coventry", "coventry", "GB-LAE-COV", "Coventry City Council"),
                  ("E09000029", "Sutton", "sutton", "GB-LAE-STN", "London Borough of Sutton")]
TRACKER = "360giving/covid19_tracker_grants_data_2020-05-07.json"
INDIGO = "360giving/grantnav_sample_IndigoTrust_360giving.csv"


@pytest.fixture(scope="session")
def three_councils(tmp_path_factory):
    """The three councils as the only organisations, four Covid-19 phases, both real 360Giving files imported.

    With ``attribution: recipient`` the recipient's address decides, so the Indigo Trust's grants to
    organisations in Sutton (2011) and Buckinghamshire (2015) come in, before the first phase.
    """
    from analysis.paths import SHARED_DATA_DIR

    if not SHARED_DATA_DIR.is_dir():
        pytest.skip(f"the real public data folder {SHARED_DATA_DIR} is absent")
    folder = tmp_path_factory.mktemp("real") / "three-councils"
    folder.mkdir()
    pd.DataFrame({"place_id": [c[2] for c in THREE_COUNCILS], "name": [c[1] for c in THREE_COUNCILS],
                  "ons_code": [c[0] for c in THREE_COUNCILS]}).to_csv(folder / "places.csv", index=False)
    shutil.copy(DATA_DIR / "example" / "phases.csv", folder / "phases.csv")
    pd.DataFrame({"org_id": [c[3] for c in THREE_COUNCILS], "name": [c[4] for c in THREE_COUNCILS],
                  "place_id": [c[2] for c in THREE_COUNCILS], "sector": "local_authority"}).to_csv(
        folder / "organisations.csv", index=False)
    example = yaml.safe_load((DATA_DIR / "example" / "study.yml").read_text(encoding="utf-8"))
    (folder / "study.yml").write_text(yaml.safe_dump({
        "name": "Three councils", "illustrative": False, "nameable": [c[3] for c in THREE_COUNCILS],
        "postcode_districts": example["postcode_districts"], "attribution": "recipient"}), encoding="utf-8")
    for name in (TRACKER, INDIGO):
        assert main(["import-grants", str(SHARED_DATA_DIR / name), "--study", str(folder)]) == 0
    return folder


def test_three_councils_import(three_councils):
    study = load_study(three_councils)
    counts = study.grants["place_id"].value_counts().to_dict()
    # tracker: 6 in Coventry (CV1-CV3), the Aylesbury Vale LSOA, 1 in Sutton (SM1); Indigo: SM1 4JQ and HP14 4BF
    assert counts == {"coventry": 6, "buckinghamshire": 2, "sutton": 2}
    assert study.grants["phase_id"].isna().sum() == 2  # the Indigo Trust's, before the first phase


@pytest.fixture(scope="session")
def three_councils_rendered(three_councils, tmp_path_factory):
    from analysis.runner import run

    out = tmp_path_factory.mktemp("real-out")
    report = run(study=str(three_councils), audience="stakeholder", jobs=2, out=out, notebooks=NOTEBOOKS_DIR)
    return report, out / three_councils.name / "stakeholder"


def test_every_notebook_renders_for_every_place_and_phase(three_councils_rendered):
    report, _ = three_councils_rendered
    assert len(report.results) == 3 * 4 * 3 + 4  # three place notebooks for 3 places x 4 phases, compare_places x 4
    assert report.exit_status == 0, report.summary(quiet=True)


def test_funding_page_for_real_data(three_councils_rendered):
    _, pages = three_councils_rendered
    html = (pages / "emergency" / "coventry" / "funding_flows.html").read_text(encoding="utf-8")
    assert "Esmée Fairbairn Foundation" in html and "Barrow Cadbury Trust" in html  # funders named
    assert "covid19_tracker_grants_data_2020-05-07.json" in html  # its sources
    sutton = (pages / "baseline" / "sutton" / "funding_flows.html").read_text(encoding="utf-8")
    assert "Before the study&#x27;s first phase" in sutton or "Before the study's first phase" in sutton
    assert "grantnav_sample_IndigoTrust_360giving.csv" in sutton
    for text in (html, sutton):
        text = re.sub(r"data:image/[^\"']+", "", text)  # embedded images are base64, where any letters occur
        assert ">nan<" not in text and "NaN" not in text and "None" not in text
