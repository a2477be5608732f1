"""The fast network measures equal the definitions: igraph's betweenness and Louvain (analysis.networks.backend),
vectorised brokerage roles, the bit-matrix QAP and the E-I permutation test.

Betweenness is compared with networkx's (``nx.betweenness_centrality``) to 1e-9 on the real emon
networks (Drabek et al. 1981) and on seeded random graphs; brokerage roles, QAP and E-I with plain
loops written here from their definitions, and with hand-worked graphs.
"""

from __future__ import annotations

import itertools

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from analysis.networks import backend as graph_backend
from analysis.networks.change import qap_correlation
from analysis.networks.measures import brokers, communities, freeman_centralization
from analysis.networks.sectors import BROKERAGE_ROLES, _open_two_paths, brokerage_roles, ei_permutation_test

TOL = 1e-9


@pytest.fixture
def emon(shared_data):
    """The seven emon networks (directed, with each organisation's sponsorship)."""
    folder = shared_data / "networks"
    if not (folder / "emon_edges.csv").is_file():
        pytest.skip(f"emon networks absent from {folder}")
    edges = pd.read_csv(folder / "emon_edges.csv")
    vertices = pd.read_csv(folder / "emon_vertices.csv")
    graphs = {}
    for name, vs in vertices.groupby("network"):
        G = nx.DiGraph(name=name)
        for row in vs.itertuples(index=False):
            G.add_node(int(row.vertex_id), sponsorship=row.Sponsorship)
        for row in edges[edges["network"] == name].itertuples(index=False):
            G.add_edge(int(row.tail_id), int(row.head_id))
        graphs[name] = G
    assert len(graphs) == 7
    return graphs


def random_graphs():
    """Seeded random graphs of every awkward shape, as (label, graph)."""
    out = []
    for n, m, seed in [(30, 60, 1), (60, 400, 2), (120, 240, 3), (200, 2000, 4)]:
        out.append((f"gnm directed {n}/{m}", nx.gnm_random_graph(n, m, seed=seed, directed=True)))
        out.append((f"gnm undirected {n}/{m}", nx.gnm_random_graph(n, m, seed=seed)))
    G = nx.gnm_random_graph(40, 120, seed=5, directed=True)
    G.add_nodes_from(range(40, 50))  # ten isolates
    out.append(("directed with isolates", G))
    H = nx.relabel_nodes(nx.gnm_random_graph(25, 70, seed=6, directed=True), lambda v: f"org-{v:02d}")
    out.append(("string names", H))
    out.append(("two components", nx.disjoint_union(nx.gnm_random_graph(15, 40, seed=7, directed=True),
                                                    nx.gnm_random_graph(20, 50, seed=8, directed=True))))
    out.append(("single node", _single()))
    out.append(("two nodes", nx.DiGraph([(0, 1), (1, 0)])))
    out.append(("no edges", nx.empty_graph(7, create_using=nx.DiGraph)))
    out.append(("empty", nx.DiGraph()))
    return out


def _single():
    G = nx.DiGraph()
    G.add_node("only")
    return G


def assert_same_scores(ours: dict, theirs: dict):
    assert list(ours) == list(theirs)  # same nodes, same order
    for v in theirs:
        assert abs(ours[v] - theirs[v]) <= TOL, (v, ours[v], theirs[v])


# -- betweenness --------------------------------------------------------------------------------

def test_betweenness_of_a_directed_four_cycle_by_hand():
    # 0 -> 1 -> 2 -> 3 -> 0: from each source the other three lie at distance 1, 2 and 3, so
    # 0 + 1 + 2 = 3 intermediate places per source, 12 in all, 3 per node by symmetry;
    # normalised by (n - 1)(n - 2) = 6 ordered pairs: 0.5 each
    scores = graph_backend.betweenness(nx.cycle_graph(4, create_using=nx.DiGraph))
    assert scores == pytest.approx({0: 0.5, 1: 0.5, 2: 0.5, 3: 0.5}, abs=TOL)
    raw = graph_backend.betweenness(nx.cycle_graph(4, create_using=nx.DiGraph), normalized=False)
    assert raw == pytest.approx({0: 3.0, 1: 3.0, 2: 3.0, 3: 3.0}, abs=TOL)


def test_betweenness_with_two_shortest_paths_by_hand():
    # a -> b -> d and a -> c -> d: b and c each carry half of the pair (a, d), nothing else
    scores = graph_backend.betweenness(nx.DiGraph([("a", "b"), ("b", "d"), ("a", "c"), ("c", "d")]),
                                       normalized=False)
    assert scores == pytest.approx({"a": 0.0, "b": 0.5, "c": 0.5, "d": 0.0}, abs=TOL)


def test_betweenness_equals_networkx_on_the_emon_networks(emon):
    for G in emon.values():
        for normalized in (True, False):
            assert_same_scores(graph_backend.betweenness(G, normalized=normalized),
                               nx.betweenness_centrality(G, normalized=normalized))
        U = G.to_undirected()
        assert_same_scores(graph_backend.betweenness(U), nx.betweenness_centrality(U, normalized=True))


@pytest.mark.parametrize("label,G", random_graphs(), ids=[label for label, _ in random_graphs()])
def test_betweenness_equals_networkx_on_random_graphs(label, G):
    for normalized in (True, False):
        assert_same_scores(graph_backend.betweenness(G, normalized=normalized),
                           nx.betweenness_centrality(G, normalized=normalized))


def test_betweenness_ignores_self_loops_as_networkx_does():
    G = nx.gnm_random_graph(40, 150, seed=9, directed=True)
    G.add_edges_from([(0, 0), (5, 5), (17, 17)])
    assert_same_scores(graph_backend.betweenness(G), nx.betweenness_centrality(G, normalized=True))


def test_brokers_are_exact_above_a_thousand_organisations():
    # the old rule estimated betweenness from 500 sources above 1,000 nodes; now it is exact
    G = nx.gnm_random_graph(1100, 1600, seed=10, directed=True)
    nx.set_node_attributes(G, {v: f"org {v}" for v in G}, "name")
    top = brokers(G, top=10)
    reference = nx.betweenness_centrality(G, normalized=True)
    assert len(top) == 10
    for node, score in top["betweenness"].items():
        assert abs(score - reference[node]) <= TOL
    assert top["betweenness"].iloc[0] == pytest.approx(max(reference.values()), abs=TOL)
    assert top.loc[top.index[0], "name"] == f"org {top.index[0]}"


def test_betweenness_centralisation_equals_networkx(emon):
    for G in emon.values():
        U = G.to_undirected()
        scores = np.array(list(nx.betweenness_centrality(U, normalized=True).values()))
        n = U.number_of_nodes()
        expected = np.sum(scores.max() - scores) / (n - 1)
        assert freeman_centralization(G, kind="betweenness") == pytest.approx(expected, abs=TOL)


def test_to_igraph_keeps_node_order_and_merges_mutual_ties():
    G = nx.DiGraph([("b", "a"), ("a", "b"), ("a", "c"), ("c", "c")])
    G.add_node("z")
    directed = graph_backend.to_igraph(G)
    assert directed.nodes == ["b", "a", "c", "z"]
    assert sorted(directed.graph.get_edgelist()) == [(0, 1), (1, 0), (1, 2)]  # the self-loop is left out
    undirected = graph_backend.to_igraph(G, directed=False)
    assert sorted(undirected.graph.get_edgelist()) == [(0, 1), (1, 2)]
    with pytest.raises(nx.NetworkXNotImplemented):
        graph_backend.to_igraph(nx.MultiDiGraph([(1, 2)]))
    with pytest.raises(nx.NetworkXNotImplemented):
        graph_backend.to_igraph(nx.Graph([(1, 2)]), directed=True)


# -- communities ----------------------------------------------------------------------------------

def test_louvain_finds_two_planted_cliques_and_keeps_isolates_apart():
    G = nx.disjoint_union(nx.complete_graph(8, create_using=nx.DiGraph),
                          nx.complete_graph(8, create_using=nx.DiGraph))
    G.add_edge(0, 8)  # one bridge
    G.add_nodes_from([100, 101])
    found = communities(G, seed=4)
    assert found == [set(range(8)), set(range(8, 16)), {100}, {101}]  # largest first, then by name


def test_louvain_is_seeded():
    G = nx.gnm_random_graph(300, 1500, seed=11, directed=True)
    first = communities(G, seed=2)
    assert communities(G, seed=2) == first
    assert set().union(*first) == set(G) and sum(map(len, first)) == len(G)  # a partition
    others = [communities(G, seed=s) for s in range(3, 8)]
    assert any(o != first for o in others)  # the seed matters: the method visits nodes in random order
    assert communities(nx.DiGraph()) == []
    assert communities(nx.empty_graph(3, create_using=nx.DiGraph)) == [{0}, {1}, {2}]


def test_louvain_is_as_good_as_networkx_on_the_emon_networks(emon):
    # Louvain is a heuristic: the two libraries' partitions differ, their quality must not
    for G in emon.values():
        U = G.to_undirected()
        ours = nx.community.modularity(U, communities(G, seed=0))
        best_nx = max(nx.community.modularity(U, nx.community.louvain_communities(U, seed=s)) for s in range(5))
        assert ours >= best_nx - 0.02


# -- brokerage roles ------------------------------------------------------------------------------

def brokerage_by_definition(G, attr):
    """Gould-Fernandez roles by a plain loop over every ordered triple (the test's reference)."""
    counts = {v: dict.fromkeys(BROKERAGE_ROLES, 0) for v in G}
    for b in G:
        for a in G.predecessors(b):
            for c in G.successors(b):
                if len({a, b, c}) < 3 or G.has_edge(a, c):
                    continue
                ga, gb, gc = G.nodes[a][attr], G.nodes[b][attr], G.nodes[c][attr]
                if ga == gb == gc:
                    role = "coordinator"
                elif ga == gc:
                    role = "itinerant"
                elif ga == gb:
                    role = "representative"
                elif gb == gc:
                    role = "gatekeeper"
                else:
                    role = "liaison"
                counts[b][role] += 1
    return counts


def assert_roles_match(G, attr):
    table = brokerage_roles(G, attr)
    expected = brokerage_by_definition(G, attr)
    assert list(table.index) == list(G)
    for v in G:
        assert {r: int(table.loc[v, r]) for r in BROKERAGE_ROLES} == expected[v], v
        assert table.loc[v, "total"] == sum(expected[v].values())


def test_brokerage_roles_each_once_by_hand():
    # b (group X) has in-ties from a1 (X), a2 (Y), a3 (Z) and out-ties to c1 (X), c2 (Y);
    # a3 -> c1 closes one two-path. Open two-paths through b: (a1, c1) coordinator,
    # (a2, c2) itinerant, (a1, c2) representative, (a2, c1) gatekeeper, (a3, c2) liaison
    G = nx.DiGraph([("a1", "b"), ("a2", "b"), ("a3", "b"), ("b", "c1"), ("b", "c2"), ("a3", "c1")])
    nx.set_node_attributes(G, {"a1": "X", "a2": "Y", "a3": "Z", "b": "X", "c1": "X", "c2": "Y"}, "g")
    table = brokerage_roles(G, "g")
    assert table.loc["b"].to_dict() == {"coordinator": 1, "itinerant": 1, "representative": 1, "gatekeeper": 1,
                                        "liaison": 1, "total": 5}
    assert table.drop(index="b")["total"].sum() == 0  # a3 -> c1 is a tie, not a two-path


def test_brokerage_roles_equal_the_definition_on_the_emon_networks(emon):
    for G in emon.values():
        assert_roles_match(G, "sponsorship")


@pytest.mark.parametrize("n,m,seed", [(30, 200, 1), (80, 300, 2), (50, 1500, 3)])
def test_brokerage_roles_equal_the_definition_on_random_graphs(n, m, seed):
    G = nx.gnm_random_graph(n, m, seed=seed, directed=True)
    rng = np.random.default_rng(seed)
    nx.set_node_attributes(G, {v: str(rng.choice(list("ABCD"))) for v in G}, "g")
    G.add_edges_from([(0, 0), (3, 3)])  # self-loops broker nothing
    G.add_node(n, g="A")  # an isolate
    assert_roles_match(G, "g")


def test_open_two_paths_are_the_same_in_any_chunk_size():
    G = nx.gnm_random_graph(40, 400, seed=12, directed=True)
    src = np.array([u for u, _ in G.edges()])
    dst = np.array([v for _, v in G.edges()])
    expected = {(a, b, c) for b in G for a in G.predecessors(b) for c in G.successors(b)
                if a != c and not G.has_edge(a, c)}
    for chunk in (1, 7, 100, 1 << 21):
        found = [tuple(t) for a, b, c in _open_two_paths(src, dst, 40, chunk=chunk) for t in zip(a, b, c, strict=True)]
        assert len(found) == len(expected) and set(found) == expected, chunk


# -- QAP and E-I against plain loops --------------------------------------------------------------

def permutations_of(n, count, seed):
    """The permutations the tests draw, in the same order (one generator, row by row)."""
    rng = np.random.default_rng(seed)
    return rng.permuted(np.broadcast_to(np.arange(n), (count, n)), axis=1)


@pytest.mark.parametrize("n", [9, 13, 37])  # sizes that are not whole bytes of bits
def test_qap_equals_pearson_over_permuted_matrices(n):
    G1 = nx.gnm_random_graph(n, 3 * n, seed=n, directed=True)
    G2 = nx.gnm_random_graph(n, 2 * n, seed=n + 1, directed=True)
    G2.add_edges_from(list(G1.edges())[: n])  # some overlap, so r is clearly positive
    nodes = sorted(G1, key=str)
    A = nx.to_numpy_array(G1, nodelist=nodes)
    B = nx.to_numpy_array(G2, nodelist=nodes)
    off = ~np.eye(n, dtype=bool)

    def r(X, Y):
        return np.corrcoef(X[off], Y[off])[0, 1]

    count = 199
    result = qap_correlation(G1, G2, permutations=count, seed=5, chunk=17)
    assert result.r == pytest.approx(r(A, B), abs=TOL)
    # relabelling one network by q: cell (u, v) of the second meets cell (q[u], q[v]) of the first
    perms = np.array([r(A[np.ix_(q, q)], B) for q in permutations_of(n, count, 5)])
    assert result.expected == pytest.approx(perms.mean(), abs=TOL)
    assert result.p_value == pytest.approx((np.sum(perms >= result.r - 1e-12) + 1) / (count + 1))
    assert qap_correlation(G1, G2, permutations=count, seed=5, chunk=1) == result  # chunks do not matter


def test_ei_permutation_test_equals_a_plain_loop():
    G = nx.gnm_random_graph(60, 300, seed=13, directed=True)
    rng = np.random.default_rng(13)
    groups = [str(rng.choice(["council", "health", "vcse"])) for _ in G]
    nx.set_node_attributes(G, dict(zip(G, groups, strict=True)), "g")
    labels = np.unique(groups, return_inverse=True)[1]
    edges = np.array(G.edges())

    def ei(codes):
        internal = np.sum(codes[edges[:, 0]] == codes[edges[:, 1]])
        return (len(edges) - 2 * internal) / len(edges)

    count = 499
    result = ei_permutation_test(G, "g", permutations=count, seed=3, chunk=64)
    assert result.statistic == pytest.approx(ei(labels), abs=TOL)
    rng = np.random.default_rng(3)
    perms = np.array([ei(rng.permuted(labels)) for _ in range(count)])
    assert result.expected == pytest.approx(perms.mean(), abs=TOL)
    assert result.p_less == pytest.approx((np.sum(perms <= result.statistic + 1e-12) + 1) / (count + 1))


def test_every_triple_role_is_named_once():
    # the five roles partition the open two-paths: each group pattern of (a, b, c) gets one role
    seen = {}
    for ga, gb, gc in itertools.product("XYZ", repeat=3):
        G = nx.DiGraph([("a", "b"), ("b", "c")])
        nx.set_node_attributes(G, {"a": ga, "b": gb, "c": gc}, "g")
        row = brokerage_roles(G, "g").loc["b"]
        assert row["total"] == 1
        seen[(ga, gb, gc)] = row[list(BROKERAGE_ROLES)].idxmax()
    assert seen[("X", "X", "X")] == "coordinator" and seen[("Y", "X", "Y")] == "itinerant"
    assert seen[("X", "X", "Y")] == "representative" and seen[("Y", "X", "X")] == "gatekeeper"
    assert seen[("Y", "X", "Z")] == "liaison"


def test_degree_centralisation_counts_each_neighbour_once():
    # the undirected skeleton, as networkx's to_undirected() gives it: a mutual pair is one tie
    for seed in range(4):
        G = nx.gnm_random_graph(50, 400, seed=seed, directed=True)
        G.add_edge(3, 3)
        U = G.to_undirected()
        degrees = np.array([d for _, d in U.degree()], dtype=float)
        n = U.number_of_nodes()
        expected = np.sum(degrees.max() - degrees) / ((n - 1) * (n - 2))
        assert freeman_centralization(G) == pytest.approx(expected, abs=TOL)
    star = nx.DiGraph([(0, i) for i in range(1, 6)] + [(i, 0) for i in range(1, 6)])  # mutual star: 1
    assert freeman_centralization(star) == pytest.approx(1.0, abs=TOL)


def test_brokers_keep_node_order_among_ties():
    # a directed 6-cycle: every node has the same betweenness, so the node order decides
    G = nx.relabel_nodes(nx.cycle_graph(6, create_using=nx.DiGraph), dict(enumerate("fedcba")))
    top = brokers(G, top=6)
    assert list(top.index) == list("fedcba")
    assert top["betweenness"].tolist() == pytest.approx([(0 + 1 + 2 + 3 + 4) / 20] * 6, abs=TOL)
