"""Whole-network measures of a trust network: density, reciprocity, centralisation, tie trust, brokers."""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
import pandas as pd

from analysis.networks.backend import betweenness, edge_index, louvain_communities
from analysis.networks.sectors import council_vcse_asymmetry, cross_sector_share, ei_index
from analysis.values import as_float

__all__ = [
    "MAX_RATING",
    "density",
    "reciprocity",
    "freeman_centralization",
    "mean_tie_trust",
    "mean_tie_value",
    "percent_of_max",
    "trust_received",
    "brokers",
    "communities",
    "SUMMARY_COUNTS",
    "SUMMARY_MEANINGS",
    "NetworkSummary",
    "network_summary",
]

#: Ratings run from 1 to 4 (PARTNER tool); "% of maximum" is relative to this.
MAX_RATING = 4



# --------------------------------------------------------------------------------------
# Whole-network measures
# --------------------------------------------------------------------------------------


def density(G) -> float:
    """Share of the possible ties that are present.

    Directed graphs have ``n (n - 1)`` possible ties, undirected ``n (n - 1) / 2``.
    NaN for fewer than two nodes.

    Examples
    --------
    >>> density(nx.DiGraph([(1, 2), (2, 1), (2, 3)]))
    0.5
    """
    n = G.number_of_nodes()
    if n < 2:
        return float("nan")
    return float(nx.density(G))


def reciprocity(G) -> float:
    """Share of directed ties that are returned (``u -> v`` with ``v -> u``).

    NaN when the graph has no ties.

    Examples
    --------
    >>> reciprocity(nx.DiGraph([(1, 2), (2, 1), (2, 3)]))  # 2 of 3 ties returned
    0.6666666666666666

    References
    ----------
    Wasserman, S. and Faust, K. (1994). Social Network Analysis. Cambridge UP, ch. 13.
    """
    if not G.is_directed():
        raise nx.NetworkXNotImplemented("reciprocity is defined for directed graphs")
    m = G.number_of_edges()
    if m == 0:
        return float("nan")
    mutual = sum(1 for u, v in G.edges() if G.has_edge(v, u))
    return mutual / m


def _skeleton(G):
    """The undirected graph of ``G`` without attributes: ``G.to_undirected()`` without copying ratings."""
    if not G.is_directed():
        return G
    U = nx.Graph()
    U.add_nodes_from(G)
    U.add_edges_from(G.edges())
    return U


def _skeleton_degrees(G) -> np.ndarray:
    """Degrees in ``_skeleton(G)`` (distinct neighbours; a self-loop counts 2), from arrays of ties."""
    if not G.is_directed():
        return np.array([d for _, d in G.degree()], dtype=float)
    n = G.number_of_nodes()
    src, dst = edge_index(G)
    loop = src == dst
    pairs = np.unique(np.minimum(src, dst)[~loop] * n + np.maximum(src, dst)[~loop])
    degree = np.bincount(pairs // n, minlength=n) + np.bincount(pairs % n, minlength=n)
    return (degree + 2 * np.bincount(src[loop], minlength=n)).astype(float)


def freeman_centralization(G, kind: str = "degree", directed: bool = False) -> float:
    """Freeman's centralisation: how far the network is from a star (1) or an even spread (0).

    ``C = sum_i (c_max - c_i) / max_possible``, where ``max_possible`` is that sum in the
    star of the same size, so a star gives 1 and a complete or empty graph 0.

    Parameters
    ----------
    G : networkx graph
    kind : {"degree", "in_degree", "out_degree", "betweenness"}
        ``"degree"`` uses degree on the undirected graph (a tie in either direction
        counts once), normalised by ``(n - 1)(n - 2)``; with ``directed=True`` it uses
        total degree (in + out) of the directed graph, normalised by ``2 (n - 1)(n - 2)``.
        ``"in_degree"`` and ``"out_degree"`` need a directed graph and are normalised by
        ``(n - 1)^2``. ``"betweenness"`` uses normalised betweenness on the undirected
        graph, whose maximum sum is ``n - 1``.
    directed : bool
        See ``kind="degree"``.

    Returns
    -------
    float
        In [0, 1]; NaN for fewer than three nodes (undefined).

    Examples
    --------
    >>> freeman_centralization(nx.star_graph(4))
    1.0
    >>> freeman_centralization(nx.complete_graph(5))
    0.0

    References
    ----------
    Freeman, L. C. (1978). Centrality in social networks: conceptual clarification.
    Social Networks 1(3): 215-239.
    """
    n = G.number_of_nodes()
    if n < 3:
        return float("nan")
    if kind == "degree":
        if directed:
            if not G.is_directed():
                raise nx.NetworkXNotImplemented("directed=True needs a directed graph")
            scores = np.array([d for _, d in G.degree()], dtype=float)
            denom = 2.0 * (n - 1) * (n - 2)
        else:
            scores = _skeleton_degrees(G)
            denom = float((n - 1) * (n - 2))
    elif kind in ("in_degree", "out_degree"):
        if not G.is_directed():
            raise nx.NetworkXNotImplemented(f"{kind} centralisation needs a directed graph")
        degree = G.in_degree() if kind == "in_degree" else G.out_degree()
        scores = np.array([d for _, d in degree], dtype=float)
        denom = float((n - 1) ** 2)
    elif kind == "betweenness":
        scores = np.array(list(betweenness(_skeleton(G), normalized=True).values()), dtype=float)
        denom = float(n - 1)
    else:
        raise ValueError(f"kind must be degree, in_degree, out_degree or betweenness, not {kind!r}")
    return float(np.sum(scores.max() - scores) / denom)


def _floats(values: list) -> np.ndarray:
    """Cells as floats, missing ones NaN: numpy's conversion, or ``as_float`` one by one when it refuses (pd.NA)."""
    try:
        return np.array(values, dtype=float)  # None becomes NaN
    except (TypeError, ValueError):
        return np.array([as_float(x) for x in values], dtype=float)


def _edge_values(G, attr: str) -> np.ndarray:
    vals = _floats([d.get(attr) for _, _, d in G.edges(data=True)])
    return vals[~np.isnan(vals)]


def mean_tie_trust(G, attr: str = "trust") -> float:
    """Mean trust over the network's ties that carry a trust score (NaN when none).

    Trust of a rating is the mean of its reliability, mission and openness ratings (1-4).

    Examples
    --------
    >>> G = nx.DiGraph()
    >>> G.add_edge("a", "b", trust=3.0); G.add_edge("b", "a", trust=4.0)
    >>> mean_tie_trust(G)
    3.5

    References
    ----------
    Varda et al. (2008), the PARTNER tool (see :func:`trust_network`).
    """
    vals = _edge_values(G, attr)
    return float(vals.mean()) if vals.size else float("nan")


def mean_tie_value(G, attr: str = "value") -> float:
    """Mean value (influence, involvement, resources) over ties that carry one.

    Examples
    --------
    >>> G = nx.DiGraph([("a", "b", {"value": 2.0}), ("b", "c", {"value": float("nan")})])
    >>> mean_tie_value(G)
    2.0
    """
    return mean_tie_trust(G, attr)


def percent_of_max(score: float, maximum: float = MAX_RATING) -> float:
    """A 1-4 score as a percentage of the maximum (4), as the PARTNER tool reports it.

    Examples
    --------
    >>> percent_of_max(3.0)
    75.0
    """
    return float(score) / maximum * 100.0


def trust_received(G, attrs=("trust", "value"), threshold: int = 0) -> pd.DataFrame:
    """Trust and value each organisation receives: the means of the ratings on its in-ties.

    Parameters
    ----------
    G : networkx.DiGraph
    attrs : sequence of str
        Edge attributes to average (default trust and value).
    threshold : int
        Means based on fewer than ``threshold`` ratings are blanked (NaN) for disclosure
        control; the counts stay so a page can say why.

    Returns
    -------
    pandas.DataFrame
        Indexed by node, with ``name``, ``sector_group``, ``in_ties`` and, per attribute,
        its mean and ``<attr>_n`` (number of ratings). Sorted by trust, highest first.

    Examples
    --------
    >>> G = nx.DiGraph()
    >>> G.add_edge("a", "c", trust=4.0, value=3.0); G.add_edge("b", "c", trust=2.0, value=3.0)
    >>> row = trust_received(G).loc["c"]
    >>> float(row["trust"]), int(row["trust_n"])
    (3.0, 2)
    """
    rows = []
    for node, data in G.nodes(data=True):
        ties = list(G.pred[node].values())  # the ratings on the in-ties, in G.in_edges order
        row = {"org_id": node, "name": data.get("name", str(node)),
               "sector_group": data.get("sector_group"), "in_ties": len(ties)}
        for a in attrs:
            vals = _floats([d.get(a) for d in ties])
            vals = vals[~np.isnan(vals)]
            row[a] = float(vals.mean()) if vals.size and vals.size >= threshold else float("nan")
            row[f"{a}_n"] = int(vals.size)
        rows.append(row)
    columns = ["org_id", "name", "sector_group", "in_ties"] + [c for a in attrs for c in (a, f"{a}_n")]
    out = pd.DataFrame(rows, columns=columns).set_index("org_id")
    if attrs:
        out = out.sort_values([attrs[0], "in_ties"], ascending=False, na_position="last", kind="stable")
    return out


def brokers(G, top: int = 5, seed: int = 0) -> pd.DataFrame:
    """The ``top`` organisations with the highest betweenness: who sits on others' shortest paths.

    Betweenness is exact, computed on the directed graph and normalised by ``(n - 1)(n - 2)``
    ordered pairs, as ``networkx.betweenness_centrality(G, normalized=True)``; igraph
    computes it (:func:`analysis.networks.backend.betweenness`). Nothing is sampled, so
    ``seed`` changes nothing; it is kept so that existing calls still run.

    Returns
    -------
    pandas.DataFrame
        Indexed by node: ``name``, ``sector_group``, ``betweenness``; highest first.

    Examples
    --------
    >>> G = nx.DiGraph([("a", "b"), ("b", "c")])
    >>> brokers(G, top=1).index.tolist()
    ['b']

    References
    ----------
    Freeman, L. C. (1977). A set of measures of centrality based on betweenness.
    Sociometry 40: 35-41. Brandes, U. (2001). A faster algorithm for betweenness
    centrality. J. Math. Sociology 25(2): 163-177.
    """
    scores = betweenness(G, normalized=True)
    out = pd.DataFrame(
        {
            "org_id": list(scores),
            "name": [G.nodes[v].get("name", str(v)) for v in scores],
            "sector_group": [G.nodes[v].get("sector_group") for v in scores],
            "betweenness": list(scores.values()),
        }
    ).set_index("org_id")
    # scores equal but for rounding (symmetric positions) are ties, kept in node order
    order = np.lexsort((np.arange(len(out)), -np.round(out["betweenness"].to_numpy(), 12)))
    return out.iloc[order].head(top)


def communities(G, seed: int = 0, resolution: float = 1.0) -> list[set]:
    """Groups of organisations more tied among themselves than to others (Louvain, seeded).

    Runs on the undirected graph (a tie in either direction joins two organisations),
    with igraph's multilevel method (:func:`analysis.networks.backend.louvain_communities`).
    Returns communities largest first; isolates form communities of one.

    Examples
    --------
    >>> G = nx.DiGraph([(1, 2), (2, 3), (3, 1), (4, 5), (5, 6), (6, 4), (3, 4)])
    >>> sorted(sorted(c) for c in communities(G, seed=1))
    [[1, 2, 3], [4, 5, 6]]

    References
    ----------
    Blondel, V. D., Guillaume, J.-L., Lambiotte, R. and Lefebvre, E. (2008). Fast
    unfolding of communities in large networks. J. Stat. Mech. P10008.
    """
    found = louvain_communities(G, seed=seed, resolution=resolution)
    return sorted(found, key=lambda c: (-len(c), sorted(map(str, c))))


# --------------------------------------------------------------------------------------
# Summary of the headline measures
# --------------------------------------------------------------------------------------


#: Entries of :func:`network_summary` that count something: whole numbers (``int``), never decimals.
SUMMARY_COUNTS = ("organisations", "respondents", "ties", "trust_n", "trust_n_council_to_vcse",
                  "trust_n_vcse_to_council", "communities")

#: What each entry of :func:`network_summary` is, for its HTML form (the headline ones say what pages say).
SUMMARY_MEANINGS = {
    "organisations": "Organisations in the network",
    "respondents": "Organisations that answered the network survey",
    "ties": "Working ties reported",
    "density": "Share of all possible ties that exist (0 to 1)",
    "reciprocity": "Share of ties the partner returned (0 to 1)",
    "centralization": "Freeman degree centralisation (0 spread out, 1 all through one organisation)",
    "mean_trust": "Average trust over ties (1 to 4)",
    "mean_trust_pct": "Average trust as a percentage of the maximum (4)",
    "trust_n": "Ties with a trust score",
    "mean_value": "Average value over ties (1 to 4)",
    "mean_value_pct": "Average value as a percentage of the maximum (4)",
    "ei_index": "E-I index between sector groups (-1 all within, +1 all across)",
    "cross_sector_share": "Share of ties between public bodies and VCSE organisations (0 to 1)",
    "trust_council_to_vcse": "Trust councils give VCSE organisations (1 to 4)",
    "trust_vcse_to_council": "Trust VCSE organisations give councils (1 to 4)",
    "trust_gap": "Councils' trust in VCSE minus VCSE trust in councils",
    "trust_n_council_to_vcse": "Ratings behind council-to-VCSE trust",
    "trust_n_vcse_to_council": "Ratings behind VCSE-to-council trust",
    "influence_gap": "Councils' influence rating of VCSE minus VCSE rating of councils",
    "communities": "Clusters of closely tied organisations (Louvain, seed 0)",
}


def _summary_value(key, value) -> str:
    """One entry as the summary's reprs show it: counts whole with thousands separators, others to 3 places."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "not available"
    if key in SUMMARY_COUNTS or isinstance(value, (int, np.integer)):
        return f"{int(value):,}"
    if key.endswith("_pct"):
        return f"{float(value):.1f}%"
    return f"{float(value):.3f}"


class NetworkSummary(pd.Series):
    """The headline measures of one network (:func:`network_summary`): a pandas Series that shows itself well.

    A Series in every way (``s["ties"]``, ``s.get``, ``s.copy()``, arithmetic), of object
    dtype so that counts stay whole numbers (:data:`SUMMARY_COUNTS`, Python ``int``) beside
    the float measures. In JupyterLab it is a table in the pages' look, counts and measures
    right-aligned, with what each entry is; its plain text has one short line per entry, so
    no narrow output area breaks a number in two.
    """

    @property
    def _constructor(self):
        return NetworkSummary

    @property
    def _constructor_expanddim(self):
        return pd.DataFrame

    def __repr__(self) -> str:
        width = max([len(str(k)) for k in self.index] + [1])
        title = f"<NetworkSummary of {self.name!r}" if self.name is not None else "<NetworkSummary"
        lines = [title] + [f"  {str(k):<{width}} {_summary_value(k, v):>13}" for k, v in self.items()]
        return "\n".join(lines) + ">"

    def _repr_html_(self) -> str:
        """The entries as a table in the pages' look; the network's name (its phase) escaped."""
        from analysis.suppression import html_table

        frame = pd.DataFrame({"value": [_summary_value(k, v) for k, v in self.items()],
                              "what it is": [SUMMARY_MEANINGS.get(str(k), "") for k in self.index]},
                             index=pd.Index([str(k) for k in self.index], name="measure"))
        caption = "Network summary" + (f" ({self.name})" if self.name is not None else "")
        return html_table(frame, caption=caption, index=True, download=False, number_columns=["value"])._repr_html_()


def network_summary(G, attr: str = "sector_group") -> NetworkSummary:
    """Headline measures of one network, as a Series (one row of a scorecard): a :class:`NetworkSummary`.

    ``organisations, respondents, ties, density, reciprocity, centralization (undirected
    degree), mean_trust, mean_trust_pct, trust_n (ties with a trust score), mean_value,
    mean_value_pct, ei_index, cross_sector_share, trust_council_to_vcse,
    trust_vcse_to_council, trust_gap, trust_n_council_to_vcse, trust_n_vcse_to_council,
    influence_gap, communities``. Cheap: no permutation tests. Counts (:data:`SUMMARY_COUNTS`)
    are whole numbers (``int``), the rest floats (NaN where a measure cannot be computed).

    Examples
    --------
    >>> s = network_summary(nx.DiGraph([(1, 2), (2, 1), (2, 3)]))
    >>> s["ties"], s["reciprocity"]
    (3, 0.6666666666666666)
    >>> print(repr(s).splitlines()[3])
      ties                                3
    """
    has_groups = G.number_of_nodes() > 0 and all(G.nodes[v].get(attr) is not None for v in G)
    asym = council_vcse_asymmetry(G, attr) if has_groups else pd.Series(dtype=float)
    responded = [v for v, d in G.nodes(data=True) if d.get("responded", True)]
    trust, value = mean_tie_trust(G), mean_tie_value(G)
    values = {
        "organisations": G.number_of_nodes(),
        "respondents": len(responded),
        "ties": G.number_of_edges(),
        "density": density(G),
        "reciprocity": reciprocity(G) if G.is_directed() else float("nan"),
        "centralization": freeman_centralization(G),
        "mean_trust": trust,
        "mean_trust_pct": percent_of_max(trust),
        "trust_n": int(_edge_values(G, "trust").size),
        "mean_value": value,
        "mean_value_pct": percent_of_max(value),
        "ei_index": ei_index(G, attr) if has_groups else float("nan"),
        "cross_sector_share": cross_sector_share(G, attr),
        "trust_council_to_vcse": asym.get("trust_council_to_vcse", float("nan")),
        "trust_vcse_to_council": asym.get("trust_vcse_to_council", float("nan")),
        "trust_gap": asym.get("trust_gap", float("nan")),
        "trust_n_council_to_vcse": asym.get("trust_n_council_to_vcse", 0),
        "trust_n_vcse_to_council": asym.get("trust_n_vcse_to_council", 0),
        "influence_gap": asym.get("influence_gap", float("nan")),
        "communities": len(communities(G, seed=0)) if G.number_of_edges() else G.number_of_nodes(),
    }
    return NetworkSummary({k: int(v) if k in SUMMARY_COUNTS else float(v) for k, v in values.items()},
                          dtype=object, name=G.graph.get("phase"))
