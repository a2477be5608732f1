"""Small graphs for the network tests."""

from __future__ import annotations

import networkx as nx


def grouped(edges, groups, attr="g", nodes=None) -> nx.DiGraph:
    """A directed graph with the given ties and each node's group in attribute ``attr``."""
    G = nx.DiGraph()
    G.add_nodes_from(nodes or groups)
    G.add_edges_from(edges)
    nx.set_node_attributes(G, groups, attr)
    return G
