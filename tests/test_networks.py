"""Trust networks and their measures, against hand-worked graphs and the real emon networks."""

from __future__ import annotations

import math

import networkx as nx
import pandas as pd
import pytest

from analysis import load_study, study_from_tables
from analysis.networks import (
    BROKERAGE_ROLES,
    brokerage_roles,
    brokers,
    brokers_table,
    communities,
    council_vcse_asymmetry,
    cross_sector_share,
    density,
    describe_ei_test,
    describe_method,
    describe_network,
    ei_index,
    ei_permutation_test,
    freeman_centralization,
    mean_tie_trust,
    mean_tie_value,
    measure_value,
    measures_table,
    network_summary,
    percent_of_max,
    reciprocity,
    respondents,
    trust_network,
    trust_received,
)
from analysis.paths import DATA_DIR
from tests.conftest import tiny_tables

EXAMPLE = DATA_DIR / "example"


def grouped(edges, groups, attr="g", nodes=None) -> nx.DiGraph:
    G = nx.DiGraph()
    G.add_nodes_from(nodes or groups)
    G.add_edges_from(edges)
    nx.set_node_attributes(G, groups, attr)
    return G


# -- building the network from a study ---------------------------------------------------------

@pytest.fixture
def tiny():
    return study_from_tables(tiny_tables(), {"tie_min_level": 2})


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
    hidden = trust_received(G, min_n=4)
    assert math.isnan(hidden.loc["x", "trust"]) and hidden.loc["x", "trust_n"] == 3


def test_brokers_on_a_path():
    # a -> b -> c: b lies on the only path of one ordered pair (a, c); directed betweenness
    # is normalised by (n-1)(n-2) = 2 ordered pairs, so b scores 1/2
    top = brokers(nx.DiGraph([("a", "b"), ("b", "c")]), k=2)
    assert top.index[0] == "b"
    assert top.loc["b", "betweenness"] == pytest.approx(0.5)
    assert top.attrs["approximate"] is False


def test_brokers_approximates_above_threshold():
    G = nx.gnm_random_graph(60, 240, seed=1, directed=True)
    top = brokers(G, k=3, seed=1, exact_max_nodes=50)
    assert top.attrs["approximate"] is True and len(top) == 3


def test_communities_two_triangles_and_a_bridge():
    G = nx.DiGraph([(1, 2), (2, 3), (3, 1), (4, 5), (5, 6), (6, 4), (3, 4)])
    G.add_node(7)
    found = communities(G, seed=3)
    assert sorted(map(sorted, found)) == [[1, 2, 3], [4, 5, 6], [7]]
    assert communities(G, seed=3) == found  # seeded
    assert communities(nx.DiGraph()) == []


# -- E-I index ---------------------------------------------------------------------------------

def test_ei_index_only_external_is_plus_one():
    G = grouped([("a", "x"), ("x", "b"), ("b", "y")], {"a": 1, "b": 1, "x": 2, "y": 2})
    assert ei_index(G, "g") == 1.0


def test_ei_index_only_internal_is_minus_one():
    G = grouped([("a", "b"), ("b", "a"), ("x", "y")], {"a": 1, "b": 1, "x": 2, "y": 2})
    assert ei_index(G, "g") == -1.0


def test_ei_index_mixed_by_hand():
    # three external arcs (a->x, x->a, b->y) and one internal (a->b): (3 - 1) / 4
    G = grouped([("a", "x"), ("x", "a"), ("b", "y"), ("a", "b")], {"a": 1, "b": 1, "x": 2, "y": 2})
    assert ei_index(G, "g") == pytest.approx(0.5)


def test_ei_index_guards():
    assert math.isnan(ei_index(grouped([], {"a": 1, "b": 2}), "g"))
    G = nx.DiGraph([("a", "b")])
    G.nodes["a"]["g"] = 1
    with pytest.raises(ValueError, match="no 'g' attribute"):
        ei_index(G, "g")


def test_ei_permutation_test_expected_value_by_hand():
    # Two 5-cliques, groups equal to cliques: every arc internal, E-I = -1.
    # Shuffling labels over 10 nodes (two groups of 5), an arc is internal with probability
    # 2 * (5 * 4) / (10 * 9) = 4/9, so the expected E-I is 1 - 2 * 4/9 = 1/9.
    G = nx.DiGraph()
    for block in (range(5), range(5, 10)):
        G.add_edges_from((i, j) for i in block for j in block if i != j)
    nx.set_node_attributes(G, {i: ("A" if i < 5 else "B") for i in range(10)}, "g")
    test = ei_permutation_test(G, "g", permutations=2000, seed=7)
    assert test.statistic == -1.0
    assert test.expected == pytest.approx(1 / 9, abs=0.03)
    # only a relabelling that keeps the two cliques apart reaches -1: 2 of C(10, 5) = 252
    assert test.p_less < 0.03
    assert test.p_greater == pytest.approx(1.0)
    again = ei_permutation_test(G, "g", permutations=2000, seed=7)
    assert again == test  # seeded


def test_ei_permutation_test_guards():
    with pytest.raises(ValueError):
        ei_permutation_test(grouped([("a", "b")], {"a": 1, "b": 2}), "g", permutations=0)
    empty = ei_permutation_test(grouped([], {"a": 1, "b": 2}), "g", permutations=10)
    assert math.isnan(empty.statistic) and math.isnan(empty.p_value)


def test_describe_ei_test_says_which_way():
    G = grouped([("a", "x"), ("x", "b"), ("b", "y"), ("y", "a")], {"a": 1, "b": 1, "x": 2, "y": 2})
    text = describe_ei_test(ei_permutation_test(G, "g", permutations=200, seed=1))
    assert text.startswith("The mixing index between sectors is 1.00")


# -- Gould-Fernandez brokerage -------------------------------------------------------------------

def test_brokerage_roles_worked_by_hand():
    # Broker "b" in group B. In-ties: b1 (B) -> b, a1 (A) -> b. Out-ties: b -> b2 (B),
    # b -> a2 (A), b -> c1 (C). One closing tie b1 -> c1. The six two-paths through b:
    #   b1 -> b -> b2  B,B,B  coordinator
    #   b1 -> b -> a2  B,B,A  representative
    #   b1 -> b -> c1  closed by b1 -> c1: not brokerage
    #   a1 -> b -> b2  A,B,B  gatekeeper
    #   a1 -> b -> a2  A,B,A  itinerant (consultant)
    #   a1 -> b -> c1  A,B,C  liaison
    # No other node has both an in-tie and an out-tie, so every other count is 0.
    groups = {"b": "B", "b1": "B", "b2": "B", "a1": "A", "a2": "A", "c1": "C"}
    edges = [("b1", "b"), ("a1", "b"), ("b", "b2"), ("b", "a2"), ("b", "c1"), ("b1", "c1")]
    roles = brokerage_roles(grouped(edges, groups), "g")
    assert roles.loc["b", list(BROKERAGE_ROLES)].tolist() == [1, 1, 1, 1, 1]
    assert roles.loc["b", "total"] == 5
    assert roles.drop(index="b")["total"].sum() == 0


def test_brokerage_roles_excludes_returning_paths():
    # a -> b -> a is not brokerage (a and c must differ)
    roles = brokerage_roles(grouped([("a", "b"), ("b", "a")], {"a": 1, "b": 2}), "g")
    assert roles["total"].sum() == 0


def test_brokerage_roles_rejects_undirected():
    G = nx.Graph([("a", "b")])
    nx.set_node_attributes(G, {"a": 1, "b": 2}, "g")
    with pytest.raises(nx.NetworkXNotImplemented):
        brokerage_roles(G, "g")


def test_brokers_table_for_readers():
    groups = {"a": "council", "b": "vcse", "c": "health"}
    G = grouped([("a", "b"), ("b", "c")], groups, attr="sector_group")
    nx.set_node_attributes(G, {"a": "A", "b": "<b>Broker</b>", "c": "C"}, "name")
    table = brokers_table(brokers(G, k=1), brokerage_roles(G))
    assert table.iloc[0]["Organisation"] == "<b>Broker</b>"  # raw here; html_table escapes
    assert table.iloc[0]["Liaison"] == 1


# -- council and VCSE, cross-sector share -----------------------------------------------------------

def test_council_vcse_asymmetry_by_hand():
    G = nx.DiGraph()
    G.add_nodes_from([("c", {"sector_group": "council"}), ("v1", {"sector_group": "vcse"}),
                      ("v2", {"sector_group": "vcse"}), ("h", {"sector_group": "health"})])
    G.add_edge("c", "v1", trust=2.0, influence=1.0)
    G.add_edge("c", "v2", trust=3.0, influence=2.0)
    G.add_edge("v1", "c", trust=4.0, influence=4.0)
    G.add_edge("v2", "c", trust=3.0, influence=float("nan"))
    G.add_edge("h", "v1", trust=1.0, influence=1.0)  # not council: ignored
    a = council_vcse_asymmetry(G)
    assert a["trust_council_to_vcse"] == pytest.approx(2.5)
    assert a["trust_vcse_to_council"] == pytest.approx(3.5)
    assert a["trust_gap"] == pytest.approx(-1.0)
    assert a["influence_council_to_vcse"] == pytest.approx(1.5)
    assert a["influence_vcse_to_council"] == pytest.approx(4.0)
    assert a["influence_n_vcse_to_council"] == 1
    assert a["trust_n_council_to_vcse"] == 2


def test_cross_sector_share_counts_both_directions():
    groups = {"c": "council", "h": "health", "v": "vcse", "w": "vcse", "f": "funder"}
    G = grouped([("c", "v"), ("w", "h"), ("v", "w"), ("f", "v")], groups, attr="sector_group")
    assert cross_sector_share(G) == pytest.approx(2 / 4)
    assert math.isnan(cross_sector_share(grouped([], groups, attr="sector_group")))


# -- summary, tables and sentences ----------------------------------------------------------------

def test_network_summary_and_sentences(tiny):
    G = trust_network(tiny, "north", "during")
    s = network_summary(G)
    assert s["organisations"] == 4 and s["ties"] == 1 and s["respondents"] == 2
    assert s["density"] == pytest.approx(1 / 12)
    assert s["mean_trust"] == pytest.approx(4.0)
    text = describe_network(s, "Northtown", "During")
    assert text.startswith("In Northtown (During), 4 organisations reported 1 working tie")
    assert "(2 of the 4 answered the survey)" in text
    assert "4.00 out of 4" in text
    # with a threshold of 5 ratings, the one rated tie's trust is not stated
    assert "out of 4" not in describe_network(s, "Northtown", "During", k=5)
    assert "level 2 (cooperation)" in describe_method(G, 5)


def test_measures_table_suppresses_small_means():
    s = pd.Series({"density": 0.25, "mean_trust": 3.0, "trust_n": 4})
    assert measure_value(s, "density", k=5) == "25%"
    assert measure_value(s, "mean_trust", k=5) == "fewer than 5 ratings"
    assert measure_value(s, "mean_trust", k=4) == "3.00"
    table = measures_table(network_summary(nx.DiGraph([(1, 2), (2, 1), (2, 3)])), k=5)
    assert list(table.columns) == ["Measure", "Value"]
    with pytest.raises(KeyError):
        measure_value(s, "nonsense")


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
        assert roles["total"].sum() >= 0 and len(roles) == n


# -- planted signals of the example study ------------------------------------------------------------

@pytest.fixture(scope="module")
def example():
    if not (EXAMPLE / "study.yml").is_file():
        pytest.skip("data/example is not generated")
    return load_study(EXAMPLE)


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
