"""Networks out to Gephi (GraphML, GEXF) and Kumu (.xlsx): round trips, disclosure, formula cells."""

from __future__ import annotations

import io

import networkx as nx
import pandas as pd
import pytest
from openpyxl import load_workbook

from analysis.cli import export_network as export_network_cli
from analysis.leakcheck import check_text
from analysis.networks import export as network_export
from analysis.networks.export import (
    NetworkExportLeak,
    export_graph,
    kumu_tables,
    network_bytes,
    to_gexf,
    to_graphml,
    to_kumu,
    write_network,
)
from analysis.study import load_study
from tests.conftest import tiny_tables, write_study

KEY = b"network export test key"
NAMES = ["Northtown Council", "North Health Trust", "North Food Bank", "North Youth Club", "=SUM(A1:A9)",
         "@North Larder", "Southville Council", "South Advice"]
IDS = ["GB-LAE-NTH", "GB-NHS-N01", "GB-CHC-0000007", "007", "GB-CHC-0000009", "GB-CHC-0000010", "GB-LAE-STH",
       "GB-CHC-0000008"]


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    """North in the phase "during": six organisations, four ties (worked out below).

    ties (level >= 2)         trust (mean of 3)   value (mean of 3)   frequency
    council -> food bank      (4+4+4)/3 = 4.0     (3+3+3)/3 = 3.0     weekly
    food bank -> council      (3+3+3)/3 = 3.0     (2+2+2)/3 = 2.0     monthly
    health -> council         (2+3+4)/3 = 3.0     (4+4+4)/3 = 4.0     daily
    =SUM -> council           (2+2+2)/3 = 2.0     not rated           quarterly
    youth club -> health is level 0 and @North Larder -> food bank level 1: not ties.
    Trust received: council (3 + 3 + 2) / 3 = 2.667 from 3 ratings; food bank 4.0 from 1.
    """
    tables = tiny_tables()
    orgs = tables["organisations"]
    tables["organisations"] = pd.concat([orgs, pd.DataFrame(
        [["GB-CHC-0000009", "=SUM(A1:A9)", "north", "vcse", "small"],
         ["GB-CHC-0000010", "@North Larder", "north", "community_group", "micro"]], columns=orgs.columns)])
    cols = tables["relationships"].columns
    tables["relationships"] = pd.DataFrame(
        [["during", "GB-LAE-NTH", "GB-CHC-0000007", "3", "4", "4", "4", "3", "3", "3", "weekly"],
         ["during", "GB-CHC-0000007", "GB-LAE-NTH", "2", "3", "3", "3", "2", "2", "2", "monthly"],
         ["during", "GB-NHS-N01", "GB-LAE-NTH", "4", "2", "3", "4", "4", "4", "4", "daily"],
         ["during", "GB-CHC-0000009", "GB-LAE-NTH", "2", "2", "2", "2", "", "", "", "quarterly"],
         ["during", "007", "GB-NHS-N01", "0", "", "", "", "", "", "", "never"],
         ["during", "GB-CHC-0000010", "GB-CHC-0000007", "1", "", "", "", "", "", "", "yearly"],
         ["during", "GB-CHC-0000008", "GB-LAE-STH", "2", "3", "", "4", "", "", "", "monthly"]], columns=cols)
    settings = {"name": "Export study", "illustrative": True, "tie_min_level": 2, "disclosure_threshold": 3,
                "nameable": ["GB-LAE-NTH"]}
    return load_study(write_study(tmp_path_factory.mktemp("export") / "export-study", tables, settings))


@pytest.fixture(scope="module")
def internal(study):
    return export_graph(study, "north", "during", audience="internal", key=KEY)


@pytest.fixture(scope="module")
def stakeholder(study):
    return export_graph(study, "north", "during", key=KEY)


def test_internal_network_has_the_hand_worked_ties_and_attributes(internal):
    assert set(internal.nodes) == {"GB-LAE-NTH", "GB-NHS-N01", "GB-CHC-0000007", "007", "GB-CHC-0000009",
                                   "GB-CHC-0000010"}
    assert set(internal.edges) == {("GB-LAE-NTH", "GB-CHC-0000007"), ("GB-CHC-0000007", "GB-LAE-NTH"),
                                   ("GB-NHS-N01", "GB-LAE-NTH"), ("GB-CHC-0000009", "GB-LAE-NTH")}
    council = internal.nodes["GB-LAE-NTH"]
    assert council["label"] == "Northtown Council" and council["sector"] == "local_authority"
    assert council["sector_group"] == "council" and council["size"] == "major"
    assert council["trust_received"] == pytest.approx(8 / 3) and council["trust_received_n"] == 3
    assert internal.nodes["GB-CHC-0000007"]["trust_received"] == pytest.approx(4.0)
    assert "trust_received" not in internal.nodes["007"] and internal.nodes["007"]["trust_received_n"] == 0
    assert internal.edges["GB-LAE-NTH", "GB-CHC-0000007"] == {"level": 3, "level_label": "coordination",
                                                              "frequency": "weekly", "trust": 4.0, "value": 3.0}
    assert internal.edges["GB-NHS-N01", "GB-LAE-NTH"]["value"] == pytest.approx(4.0)
    # a value nobody gave is absent, never NaN
    assert internal.edges["GB-CHC-0000009", "GB-LAE-NTH"] == {"level": 2, "level_label": "cooperation",
                                                              "frequency": "quarterly", "trust": 2.0}
    assert internal.graph["audience"] == "internal" and internal.graph["disclosure_threshold"] == 1


def test_stakeholder_network_uses_pseudonyms_and_leaves_out_small_numbers(stakeholder):
    labels = {d["label"] for _, d in stakeholder.nodes(data=True)}
    assert "Northtown Council" in labels  # nameable in study.yml
    assert not labels & (set(NAMES) - {"Northtown Council"})
    assert set(stakeholder.nodes) == labels  # identifiers (charity numbers) are not the nodes' ids
    assert stakeholder.number_of_edges() == 4
    council = stakeholder.nodes["Northtown Council"]
    assert council["trust_received"] == pytest.approx(8 / 3) and council["trust_received_n"] == 3  # 3 >= k
    food_bank = next(d for _, d in stakeholder.nodes(data=True) if d["sector"] == "vcse" and d["size"] == "small"
                     and d["trust_received_n"] == 1)
    assert "trust_received" not in food_bank  # one rating, fewer than k = 3
    for _, _, d in stakeholder.edges(data=True):  # one respondent's rating of one partner: fewer than k
        assert "trust" not in d and "value" not in d and d["level"] >= 2
    assert "fewer than 3" in stakeholder.graph["note"]


@pytest.mark.parametrize("reader, writer", [(nx.read_graphml, to_graphml), (nx.read_gexf, to_gexf)])
@pytest.mark.parametrize("audience", ["internal", "stakeholder"])
def test_graphml_and_gexf_round_trip(request, audience, reader, writer):
    G = request.getfixturevalue(audience)
    back = reader(io.BytesIO(writer(G)))
    assert back.is_directed()
    assert set(back.nodes) == set(G.nodes) and set(back.edges) == set(G.edges)
    for v, data in G.nodes(data=True):
        got = dict(back.nodes[v])
        for name, value in data.items():
            assert got[name] == pytest.approx(value) if isinstance(value, float) else got[name] == value, (v, name)
    for u, v, data in G.edges(data=True):
        got = dict(back.edges[u, v])
        for name, value in data.items():
            assert got[name] == pytest.approx(value) if isinstance(value, float) else got[name] == value
        assert not ({"trust", "value"} - set(data)) & set(got)  # nothing absent came back as NaN


def test_kumu_workbook_reads_back_with_elements_and_connections(internal):
    data = to_kumu(internal)
    sheets = pd.read_excel(io.BytesIO(data), sheet_name=None, engine="openpyxl")
    assert list(sheets) == ["Elements", "Connections", "About (ignore)"]
    elements, connections = sheets["Elements"], sheets["Connections"]
    assert list(elements.columns[:4]) == ["Label", "Type", "Description", "Tags"]
    assert list(connections.columns[:4]) == ["From", "To", "Type", "Direction"]
    assert len(elements) == 6 and len(connections) == 4
    council = elements.set_index("Label").loc["Northtown Council"]
    assert council["Type"] == "Council" and council["Tags"] == "council|local_authority"
    assert council["Trust received"] == pytest.approx(8 / 3) and council["Trust received n"] == 3
    assert "trust received 2.67 on a 1 to 4 scale from 3 ratings" in council["Description"]
    tie = connections.set_index(["From", "To"]).loc[("Northtown Council", "North Food Bank")]
    assert (tie["Type"], tie["Direction"], tie["Level"], tie["Frequency"]) == ("coordination", "directed", 3,
                                                                                "weekly")
    assert tie["Trust"] == pytest.approx(4.0) and tie["Value"] == pytest.approx(3.0)
    # every connection joins two elements by their labels, as Kumu's import does
    assert set(connections["From"]) | set(connections["To"]) <= set(elements["Label"])


def test_kumu_cells_that_look_like_formulas_are_neutralised(internal):
    wb = load_workbook(io.BytesIO(to_kumu(internal)))
    cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value is not None]
    assert all(c.data_type != "f" for c in cells)
    labels = [c.value for c in wb["Elements"]["A"][1:]]
    assert "'=SUM(A1:A9)" in labels and "'@North Larder" in labels
    assert "=SUM(A1:A9)" not in labels
    froms = [c.value for c in wb["Connections"]["A"][1:]]
    assert "'=SUM(A1:A9)" in froms
    assert not [c.value for c in cells if isinstance(c.value, str) and c.value.startswith(("=", "+", "-", "@"))]


def test_two_organisations_of_one_name_stay_two_elements(tmp_path):
    tables = tiny_tables()
    tables["organisations"].loc[1, "name"] = "North Food Bank"  # the health trust now shares the food bank's name
    s = load_study(write_study(tmp_path / "same-names", tables))
    G = export_graph(s, "north", "during", audience="internal", key=KEY)
    elements, _ = kumu_tables(G)
    assert elements["Label"].is_unique
    assert {"North Food Bank (GB-CHC-0000007)", "North Food Bank (GB-NHS-N01)"} <= set(elements["Label"])


@pytest.mark.parametrize("fmt", ["graphml", "gexf", "kumu"])
def test_stakeholder_exports_name_no_one_but_the_nameable(study, stakeholder, internal, fmt):
    data = network_bytes(stakeholder, fmt)
    text = network_export._kumu_text(data) if fmt == "kumu" else data.decode("utf-8")
    for name in NAMES[1:6]:
        assert name.lower() not in text.lower()
    for org_id in IDS[1:6]:
        assert org_id not in text
    assert "Northtown Council" in text
    assert check_text(study, text, kind="text" if fmt == "kumu" else "html") == []
    # the same search finds the names in an internal export, so the check above can fail
    internal_text = network_export._kumu_text(network_bytes(internal, fmt)) if fmt == "kumu" else \
        network_bytes(internal, fmt).decode("utf-8")
    assert check_text(study, internal_text, kind="text" if fmt == "kumu" else "html")


def test_write_network_writes_the_file_and_refuses_a_leak(study, tmp_path, monkeypatch):
    out = write_network(study, "north", "during", "graphml", tmp_path / "north.graphml", key=KEY)
    assert set(nx.read_graphml(out).nodes) == set(export_graph(study, "north", "during", key=KEY).nodes)
    leaky = export_graph(study, "north", "during", audience="internal", key=KEY)
    monkeypatch.setattr(network_export, "export_graph", lambda *a, **k: leaky)
    with pytest.raises(NetworkExportLeak) as caught:
        write_network(study, "north", "during", "kumu", tmp_path / "leak.xlsx", key=KEY)
    assert caught.value.findings
    assert "North Food Bank" not in str(caught.value)
    assert not (tmp_path / "leak.xlsx").exists()


# ---------------------------------------------------------------------------------------------
# The command


def _run(argv, monkeypatch, tmp_path):
    """``coordination export-network ARGV`` as the command line runs it; returns the exit status."""
    from analysis.cli import main

    monkeypatch.setattr("analysis.paths.KEYS_DIR", tmp_path / "keys")
    return main(["export-network", *argv])


def test_command_writes_each_format(study, tmp_path, monkeypatch, capsys):
    for fmt, suffix in network_export.EXPORT_FORMATS.items():
        out = tmp_path / f"north{suffix}"
        code = _run(["--study", str(study.path), "--place", "north", "--phase", "during", "--format", fmt,
                     "--out", str(out)], monkeypatch, tmp_path)
        assert code == 0 and out.stat().st_size > 0
    assert "coordination export-network: wrote" in capsys.readouterr().out
    code = _run(["--study", str(study.path), "--place", "north", "--phase", "during", "--format", "gexf",
                 "--out", str(tmp_path / "named.gexf"), "--audience", "internal"], monkeypatch, tmp_path)
    assert code == 0 and "North Food Bank" in {d["label"] for _, d in
                                               nx.read_gexf(tmp_path / "named.gexf").nodes(data=True)}


@pytest.mark.parametrize("change, code, message", [
    ({"--place": "east"}, 2, "no place 'east' in the study (places: north, south)"),
    ({"--phase": "after"}, 2, "no phase 'after' in the study (phases: before, during)"),
    ({"--out": "/no/such/folder/x.graphml"}, 2, "the folder /no/such/folder does not exist"),
    ({"--study": "/no/such/study"}, 2, "/no/such/study"),
])
def test_command_says_what_is_wrong(study, tmp_path, monkeypatch, capsys, change, code, message):
    args = {"--study": str(study.path), "--place": "north", "--phase": "during", "--format": "graphml",
            "--out": str(tmp_path / "x.graphml")}
    args.update(change)
    assert _run([x for kv in args.items() for x in kv], monkeypatch, tmp_path) == code
    err = capsys.readouterr().err
    assert err.startswith("coordination export-network: ") and message in err
    assert not (tmp_path / "x.graphml").exists()


def test_command_reports_a_leak_as_a_data_problem(study, tmp_path, monkeypatch, capsys):
    leaky = export_graph(study, "north", "during", audience="internal", key=KEY)
    monkeypatch.setattr(network_export, "export_graph", lambda *a, **k: leaky)
    code = _run(["--study", str(study.path), "--place", "north", "--phase", "during", "--format", "kumu",
                 "--out", str(tmp_path / "x.xlsx")], monkeypatch, tmp_path)
    assert code == 1
    err = capsys.readouterr().err
    assert err.startswith("coordination export-network: the export would name") and "North" not in err


def test_command_refuses_an_unknown_format(tmp_path, monkeypatch, capsys):
    code = _run(["--place", "north", "--phase", "during", "--format", "pajek", "--out", str(tmp_path / "x")],
                monkeypatch, tmp_path)
    assert code == 2 and "invalid choice: 'pajek'" in capsys.readouterr().err
    assert callable(export_network_cli.add_arguments) and callable(export_network_cli.main)
