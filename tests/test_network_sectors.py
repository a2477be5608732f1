"""How sectors mix (analysis.networks.sectors): E-I index, brokerage roles, council-VCSE, cross-sector share."""

from __future__ import annotations

import math

import networkx as nx
import pytest

from analysis.networks.sectors import (
    BROKERAGE_ROLES,
    brokerage_roles,
    council_vcse_asymmetry,
    cross_sector_share,
    ei_index,
    ei_permutation_test,
)
from tests.network_fixtures import grouped

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
