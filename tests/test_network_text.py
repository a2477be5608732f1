"""What pages say about a network (analysis.networks.text): sentences, measures and brokers tables."""

from __future__ import annotations

import networkx as nx
import pandas as pd
import pytest

from analysis.networks import brokers, network_summary, trust_network
from analysis.networks.sectors import brokerage_roles, ei_permutation_test
from analysis.networks.text import (
    brokers_table,
    describe_ei_test,
    describe_method,
    describe_network,
    measure_value,
    measures_table,
)
from tests.network_fixtures import grouped


def test_describe_ei_test_says_which_way():
    G = grouped([("a", "x"), ("x", "b"), ("b", "y"), ("y", "a")], {"a": 1, "b": 1, "x": 2, "y": 2})
    text = describe_ei_test(ei_permutation_test(G, "g", permutations=200, seed=1))
    assert text.startswith("The mixing index between sectors is 1.00")


def test_brokers_table_for_readers():
    groups = {"a": "council", "b": "vcse", "c": "health"}
    G = grouped([("a", "b"), ("b", "c")], groups, attr="sector_group")
    nx.set_node_attributes(G, {"a": "A", "b": "<b>Broker</b>", "c": "C"}, "name")
    table = brokers_table(brokers(G, top=1), brokerage_roles(G))
    assert table.iloc[0]["Organisation"] == "<b>Broker</b>"  # raw here; html_table escapes
    assert table.iloc[0]["Liaison"] == 1


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
    assert "out of 4" not in describe_network(s, "Northtown", "During", threshold=5)
    assert "level 2 (cooperation)" in describe_method(G, 5)


def test_measures_table_suppresses_small_means():
    s = pd.Series({"density": 0.25, "mean_trust": 3.0, "trust_n": 4})
    assert measure_value(s, "density", threshold=5) == "25%"
    assert measure_value(s, "mean_trust", threshold=5) == "fewer than 5 ratings"
    assert measure_value(s, "mean_trust", threshold=4) == "3.00"
    table = measures_table(network_summary(nx.DiGraph([(1, 2), (2, 1), (2, 3)])), threshold=5)
    assert list(table.columns) == ["Measure", "Value"]
    with pytest.raises(KeyError):
        measure_value(s, "nonsense")
