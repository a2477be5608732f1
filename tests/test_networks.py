"""Trust networks and their whole-network measures, against hand-worked graphs and the real emon networks.

Sector mixing is tested in test_network_sectors.py, sentences and tables in test_network_text.py.
"""

from __future__ import annotations

import math

import networkx as nx
import pandas as pd
import pytest

from analysis import study_from_tables
from analysis.networks import (
    brokerage_roles,
    brokers,
    communities,
    council_vcse_asymmetry,
    density,
    ei_index,
    freeman_centralization,
    mean_tie_trust,
    mean_tie_value,
    percent_of_max,
    reciprocity,
    respondents,
    trust_network,
    trust_received,
)
from tests.helpers import tiny_tables

# -- building the network from a study ---------------------------------------------------------

def test_trust_network_keeps_isolates_and_filters_ties_by_level(tiny):
    G = trust_network(tiny, "north", "before")
    # all four organisations of north are nodes; south's are not
    assert set(G) == {"GB-LAE-NTH", "GB-NHS-N01", "GB-CHC-0000007", "007"}
    # "before": council -> food bank at level 2 is a tie; food bank -> council at level 1 is not
    assert list(G.edges()) == [("GB-LAE-NTH", "GB-CHC-0000007")]
    edge = G.edges["GB-LAE-NTH", "GB-CHC-0000007"]
    assert edge["level"] == 2
    assert edge["trust"] == pytest.approx(3.0)  # mean of 3, 3, 3
    assert edge["value"] == pytest.approx(2.0)  # mean of 2, 2, 2
    assert edge["frequency"] == "monthly"
    assert edge["reliability"] == 3.0
    assert G.nodes["GB-LAE-NTH"]["sector_group"] == "council"
    assert G.nodes["007"]["name"] == "North Youth Club"
    assert G.nodes["007"]["size"] == "micro"
    assert G.graph["place_name"] == "Northtown"
    assert G.graph["phase_label"] == "Before"


def test_trust_network_respects_the_studys_tie_level():
    s = study_from_tables(tiny_tables(), {"tie_min_level": 3})
    assert trust_network(s, "north", "before").number_of_edges() == 0  # level 2 is below 3
    assert trust_network(s, "north", "during").number_of_edges() == 1  # level 3


def test_respondents_are_those_who_answered_that_phase(tiny):
    # in "during" the council and the youth club answered (the youth club at level 0)
    assert respondents(tiny, "north", "during") == {"GB-LAE-NTH", "007"}
    assert respondents(tiny, "north", "before") == {"GB-LAE-NTH", "GB-CHC-0000007"}
    G = trust_network(tiny, "north", "during")
    assert G.nodes["007"]["responded"] and not G.nodes["GB-NHS-N01"]["responded"]


def test_trust_network_unknown_place_or_phase(tiny):
    with pytest.raises(KeyError, match="unknown place"):
        trust_network(tiny, "atlantis", "before")
    with pytest.raises(KeyError, match="unknown phase"):
        trust_network(tiny, "north", "later")


# -- whole-network measures ---------------------------------------------------------------------

def test_density_and_reciprocity_of_three_nodes_by_hand():
    # a <-> b, b -> c: 3 of the 3 * 2 = 6 possible arcs; 2 of 3 arcs returned
    G = nx.DiGraph([("a", "b"), ("b", "a"), ("b", "c")])
    assert density(G) == pytest.approx(0.5)
    assert reciprocity(G) == pytest.approx(2 / 3)


def test_reciprocity_guards():
    assert math.isnan(reciprocity(nx.DiGraph([(1, 1)][:0])))
    with pytest.raises(nx.NetworkXNotImplemented):
        reciprocity(nx.Graph([(1, 2)]))
    assert math.isnan(density(nx.DiGraph([(1, 1)][:0])))


@pytest.mark.parametrize(
    "G, kind, expected",
    [
        (nx.star_graph(5), "degree", 1.0),
        (nx.empty_graph(5), "degree", 0.0),
        (nx.complete_graph(5), "degree", 0.0),
        # path of 4: degrees 1, 2, 2, 1; sum of (2 - d) = 2; maximum (n-1)(n-2) = 6
        (nx.path_graph(4), "degree", 1 / 3),
        # everyone points at the hub: in-degrees 4, 0, 0, 0, 0: 16 / (n-1)^2 = 1
        (nx.DiGraph([(i, 0) for i in range(1, 5)]), "in_degree", 1.0),
        # out-degrees 0, 1, 1, 1, 1: only the hub falls short of the maximum 1: 1 / (n-1)^2
        (nx.DiGraph([(i, 0) for i in range(1, 5)]), "out_degree", 1 / 16),
        (nx.star_graph(4), "betweenness", 1.0),
        (nx.cycle_graph(6), "betweenness", 0.0),
    ],
)
def test_freeman_centralization_by_hand(G, kind, expected):
    assert freeman_centralization(G, kind) == pytest.approx(expected)


def test_freeman_centralization_of_a_directed_star_uses_the_undirected_graph():
    star = nx.DiGraph([(0, i) for i in range(1, 6)] + [(1, 0)])  # a mutual pair counts once
    assert freeman_centralization(star) == pytest.approx(1.0)
    # total degree (in + out) of the directed graph: hub 5 + 1 = 6, leaf 1: 1 + 1 = 2, other
    # leaves 1: sum of (6 - d) = 4 + 4 * 5 = 24; maximum 2 (n-1)(n-2) = 2 * 5 * 4 = 40
    assert freeman_centralization(star, directed=True) == pytest.approx(24 / 40)


def test_freeman_centralization_guards():
    assert math.isnan(freeman_centralization(nx.path_graph(2)))
    with pytest.raises(ValueError, match="kind"):
        freeman_centralization(nx.path_graph(4), kind="eigenvector")
    with pytest.raises(nx.NetworkXNotImplemented):
        freeman_centralization(nx.path_graph(4), kind="in_degree")


def test_mean_tie_trust_and_value_skip_missing_ratings():
    G = nx.DiGraph()
    G.add_edge(1, 2, trust=2.0, value=4.0)
    G.add_edge(2, 3, trust=3.0, value=float("nan"))
    G.add_edge(3, 1)  # no ratings at all
    assert mean_tie_trust(G) == pytest.approx(2.5)
    assert mean_tie_value(G) == pytest.approx(4.0)
    assert percent_of_max(2.5) == pytest.approx(62.5)
    assert math.isnan(mean_tie_trust(nx.DiGraph()))


def test_trust_received_means_counts_and_disclosure():
    G = nx.DiGraph()
    G.add_node("x", name="X", sector_group="vcse")
    G.add_edge("a", "x", trust=4.0, value=2.0)
    G.add_edge("b", "x", trust=3.0, value=2.0)
    G.add_edge("c", "x", trust=2.0, value=float("nan"))
    G.add_edge("x", "a", trust=1.0)
    table = trust_received(G)
    assert table.loc["x", "trust"] == pytest.approx(3.0)
    assert table.loc["x", "trust_n"] == 3
    assert table.loc["x", "value"] == pytest.approx(2.0)
    assert table.loc["x", "value_n"] == 2
    assert table.index[0] == "x"  # most trusted first
    hidden = trust_received(G, threshold=4)
    assert math.isnan(hidden.loc["x", "trust"]) and hidden.loc["x", "trust_n"] == 3


def test_brokers_on_a_path():
    # a -> b -> c: b lies on the only path of one ordered pair (a, c); directed betweenness
    # is normalised by (n-1)(n-2) = 2 ordered pairs, so b scores 1/2
    top = brokers(nx.DiGraph([("a", "b"), ("b", "c")]), top=2)
    assert top.index[0] == "b"
    assert top.loc["b", "betweenness"] == pytest.approx(0.5)


def test_communities_two_triangles_and_a_bridge():
    G = nx.DiGraph([(1, 2), (2, 3), (3, 1), (4, 5), (5, 6), (6, 4), (3, 4)])
    G.add_node(7)
    found = communities(G, seed=3)
    assert sorted(map(sorted, found)) == [[1, 2, 3], [4, 5, 6], [7]]
    assert communities(G, seed=3) == found  # seeded
    assert communities(nx.DiGraph()) == []


# -- real networks: the emon data (Drabek et al. 1981) -----------------------------------------------

EMON_COUNTS = {  # from ../shared/data/README.md
    "Cheyenne": (14, 83), "HurrFrederic": (21, 118), "LakePomona": (20, 148), "MtSi": (13, 33),
    "MtStHelens": (27, 123), "Texas": (25, 186), "Wichita": (20, 149),
}


@pytest.fixture
def emon(shared_data):
    folder = shared_data / "networks"
    if not (folder / "emon_edges.csv").is_file():
        pytest.skip(f"emon networks absent from {folder}")
    edges = pd.read_csv(folder / "emon_edges.csv")
    vertices = pd.read_csv(folder / "emon_vertices.csv")
    graphs = {}
    for name, vs in vertices.groupby("network"):
        G = nx.DiGraph(name=name)
        for row in vs.itertuples(index=False):
            G.add_node(int(row.vertex_id), name=row._2, sponsorship=row.Sponsorship)
        for row in edges[edges["network"] == name].itertuples(index=False):
            G.add_edge(int(row.tail_id), int(row.head_id), frequency=row.Frequency)
        graphs[name] = G
    return graphs


def test_emon_networks_have_the_published_counts(emon):
    assert {name: (G.number_of_nodes(), G.number_of_edges()) for name, G in emon.items()} == EMON_COUNTS


def test_emon_measures_are_consistent_with_the_counts(emon):
    for name, (n, m) in EMON_COUNTS.items():
        G = emon[name]
        assert density(G) == pytest.approx(m / (n * (n - 1)))
        assert 0 <= freeman_centralization(G) <= 1
        assert -1 <= ei_index(G, "sponsorship") <= 1
        roles = brokerage_roles(G, "sponsorship")
        # each open two-path i -> j -> k (i != k, no tie i -> k) gives its broker j exactly one role
        open_two_paths = {j: sum(1 for i in G.predecessors(j) for k in G.successors(j)
                                 if i != k and i != j and k != j and not G.has_edge(i, k)) for j in G}
        assert len(roles) == n
        assert roles["total"].to_dict() == open_two_paths


# -- planted signals of the example study ------------------------------------------------------------

def test_example_density_rises_in_the_emergency_everywhere(example):
    for place in example.place_ids:
        before = density(trust_network(example, place, "baseline"))
        during = density(trust_network(example, place, "emergency"))
        assert during > before, place


def test_example_coventry_asymmetry_narrows_then_widens(example):
    gap = {phase: abs(council_vcse_asymmetry(trust_network(example, "coventry", phase))["trust_gap"])
           for phase in ("baseline", "emergency", "final")}
    assert gap["emergency"] < gap["baseline"]
    assert gap["final"] > gap["emergency"]


def test_example_sutton_trust_rises(example):
    assert (mean_tie_trust(trust_network(example, "sutton", "emergency"))
            > mean_tie_trust(trust_network(example, "sutton", "baseline")))
