"""The network measures too heavy for pure Python, computed by igraph on a networkx graph converted once.

The suite keeps its networks as networkx graphs (node names, attributes, ratings on ties).
Exact betweenness on 5,000 organisations and 50,000 ties takes minutes in networkx and
seconds in igraph's C core, and Louvain communities a few seconds against a few tenths;
``benchmarks/bench_backends.py`` measures the candidates (networkx and its dispatch
backends, rustworkx, igraph, networkit) and shows why igraph was chosen. Results are
returned keyed by the networkx nodes and scaled to networkx's conventions, so a caller
cannot tell which library computed them except by the time it took.
"""

from __future__ import annotations

import contextlib
import random
from dataclasses import dataclass

import igraph as ig
import networkx as nx
import numpy as np

__all__ = ["edge_index", "IGraph", "to_igraph", "betweenness", "louvain_communities"]


def edge_index(G, nodes=None) -> tuple[np.ndarray, np.ndarray]:
    """The ties of ``G`` as two integer arrays: positions of their ends in ``nodes``.

    In the order of ``G.edges()`` (self-loops included). For a directed graph the sources
    come from the out-degrees and only the targets are looked up one by one, which halves
    the Python work of a loop over the ties.

    Parameters
    ----------
    G : networkx.Graph or networkx.DiGraph
    nodes : sequence, optional
        Every node of ``G``, in the order that numbers them (default: ``G``'s order).

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        ``src`` and ``dst``, int64.

    Examples
    --------
    >>> edge_index(nx.DiGraph([("a", "b"), ("b", "c"), ("a", "c")]))
    (array([0, 0, 1]), array([1, 2, 2]))
    """
    order = list(G)
    nodes = order if nodes is None else nodes
    index = {v: i for i, v in enumerate(nodes)}
    if not G.is_directed():
        pairs = np.fromiter((i for u, v in G.edges() for i in (index[u], index[v])), dtype=np.int64)
        return pairs[0::2].copy(), pairs[1::2].copy()
    out_degree = np.fromiter((len(nbrs) for nbrs in G.adj.values()), dtype=np.int64, count=len(order))
    position = np.arange(len(order)) if nodes is order else np.array([index[v] for v in order], dtype=np.int64)
    src = np.repeat(position, out_degree)
    dst = np.fromiter((index[v] for nbrs in G.adj.values() for v in nbrs), dtype=np.int64, count=src.size)
    return src, dst


@dataclass(frozen=True)
class IGraph:
    """A networkx graph converted to igraph: the igraph graph and the networkx node of each vertex."""

    graph: ig.Graph  #: vertex ``i`` is ``nodes[i]``; no self-loops, no parallel edges
    nodes: list  #: networkx nodes in the order of ``G.nodes``

    def as_dict(self, values) -> dict:
        """``{node: value}`` for a sequence of values in vertex order."""
        return dict(zip(self.nodes, (float(x) for x in values), strict=True))


def to_igraph(G, directed: bool | None = None) -> IGraph:
    """Convert a networkx graph to igraph, once, keeping the node order.

    Self-loops are left out (a self-loop lies on no shortest path between two other
    organisations, and trust networks have none). With ``directed=False`` a directed
    graph becomes its undirected skeleton: a tie in either direction, or both, is one
    edge, as in ``G.to_undirected()``.

    Parameters
    ----------
    G : networkx.Graph or networkx.DiGraph
        Not a multigraph.
    directed : bool, optional
        Default: as ``G``.

    Returns
    -------
    IGraph

    Raises
    ------
    NetworkXNotImplemented
        For multigraphs.

    Examples
    --------
    >>> h = to_igraph(nx.DiGraph([("a", "b"), ("b", "a"), ("b", "c"), ("c", "c")]), directed=False)
    >>> h.nodes, h.graph.vcount(), h.graph.ecount()
    (['a', 'b', 'c'], 3, 2)
    """
    if G.is_multigraph():
        raise nx.NetworkXNotImplemented("multigraphs are not supported")
    directed = G.is_directed() if directed is None else directed
    if directed and not G.is_directed():
        raise nx.NetworkXNotImplemented("an undirected graph cannot be read as a directed one")
    nodes = list(G)
    src, dst = edge_index(G, nodes)
    pairs = np.column_stack([src, dst])[src != dst]
    if not directed and G.is_directed() and pairs.size:  # a mutual pair is one undirected edge
        n = len(nodes)
        keys = np.unique(np.minimum(pairs[:, 0], pairs[:, 1]) * n + np.maximum(pairs[:, 0], pairs[:, 1]))
        pairs = np.column_stack([keys // n, keys % n])
    graph = ig.Graph(n=len(nodes), directed=directed)
    graph.add_edges(pairs)  # measured: several times faster than Graph(edges=array) for some arrays
    return IGraph(graph, nodes)


def betweenness(G, normalized: bool = True) -> dict:
    """Exact betweenness centrality of every node, equal to networkx's to rounding.

    ``nx.betweenness_centrality(G, normalized=normalized)`` (Brandes's algorithm, no
    endpoints, unweighted), computed by igraph. Directed graphs count ordered pairs and
    are normalised by ``(n - 1)(n - 2)``; undirected graphs count each unordered pair
    once, so their normalised score is ``2 / ((n - 1)(n - 2))`` times igraph's count and
    the unnormalised one igraph's count. Graphs of two nodes or fewer score 0.

    Parameters
    ----------
    G : networkx.Graph or networkx.DiGraph
    normalized : bool

    Returns
    -------
    dict
        ``{node: betweenness}``.

    Examples
    --------
    >>> betweenness(nx.DiGraph([("a", "b"), ("b", "c")]))  # one ordered pair of two goes through b
    {'a': 0.0, 'b': 0.5, 'c': 0.0}

    References
    ----------
    Freeman, L. C. (1977). A set of measures of centrality based on betweenness.
    Sociometry 40: 35-41. Brandes, U. (2001). A faster algorithm for betweenness
    centrality. J. Math. Sociology 25(2): 163-177.
    """
    h = to_igraph(G)
    n = len(h.nodes)
    if n == 0:
        return {}
    raw = np.asarray(h.graph.betweenness(directed=G.is_directed()), dtype=float)
    scale = 1.0
    if normalized and n > 2:
        scale = (1.0 if G.is_directed() else 2.0) / ((n - 1) * (n - 2))
    return h.as_dict(raw * scale)


@contextlib.contextmanager
def _seeded(seed):
    """igraph draws from the generator given to it (Python's ``random`` module by default)."""
    ig.set_random_number_generator(random.Random(seed))
    try:
        yield
    finally:
        ig.set_random_number_generator(random)


def louvain_communities(G, seed: int | None = 0, resolution: float = 1.0) -> list[set]:
    """Louvain communities of the undirected skeleton of ``G``, seeded (igraph's multilevel method).

    A tie in either direction joins two organisations (unweighted); isolates are
    communities of one. The same graph and seed give the same communities.

    Parameters
    ----------
    G : networkx.Graph or networkx.DiGraph
    seed : int or None
        Seeds the order in which the method visits organisations.
    resolution : float
        Modularity's resolution: below 1 favours larger communities, above 1 smaller.

    Returns
    -------
    list of set
        Communities of networkx nodes, in no particular order.

    Examples
    --------
    >>> G = nx.DiGraph([(1, 2), (2, 3), (3, 1), (4, 5), (5, 6), (6, 4), (3, 4)])
    >>> sorted(sorted(c) for c in louvain_communities(G, seed=1))
    [[1, 2, 3], [4, 5, 6]]

    References
    ----------
    Blondel, V. D., Guillaume, J.-L., Lambiotte, R. and Lefebvre, E. (2008). Fast
    unfolding of communities in large networks. J. Stat. Mech. P10008.
    """
    h = to_igraph(G, directed=False)
    if not h.nodes:
        return []
    with _seeded(seed):
        membership = h.graph.community_multilevel(resolution=resolution).membership
    found: dict[int, set] = {}
    for node, label in zip(h.nodes, membership, strict=True):
        found.setdefault(label, set()).add(node)
    return list(found.values())
