"""Trust networks of a place and phase, and the measures the suite reports on them.

How sectors mix (E-I, brokerage roles, council-VCSE asymmetry) is measured in
``network_sectors``, what pages say about a network in ``network_text``, change between
phases in ``network_change``; their public names are re-exported here.
"""

from __future__ import annotations

import importlib

import networkx as nx
import numpy as np
import pandas as pd

from analysis.network_sectors import (  # used by network_summary; the rest re-exported
    BROKERAGE_ROLES,
    PermutationTest,
    brokerage_roles,
    council_vcse_asymmetry,
    cross_sector_share,
    ei_index,
    ei_permutation_test,
)
from analysis.schema import TRUST_COLUMNS, VALUE_COLUMNS

__all__ = [
    "MAX_RATING",
    "trust_network",
    "respondents",
    "density",
    "reciprocity",
    "freeman_centralization",
    "mean_tie_trust",
    "mean_tie_value",
    "percent_of_max",
    "trust_received",
    "brokers",
    "communities",
    "ei_index",
    "ei_permutation_test",
    "PermutationTest",
    "brokerage_roles",
    "BROKERAGE_ROLES",
    "council_vcse_asymmetry",
    "cross_sector_share",
    "network_summary",
    # what pages say about a network (analysis.network_text), re-exported
    "describe_network",
    "describe_ei_test",
    "MEASURES",
    "measure_value",
    "measures_table",
    "brokers_table",
    "describe_method",
    # change between phases (analysis.network_change), re-exported
    "ties_formed",
    "ties_kept",
    "ties_lost",
    "jaccard",
    "trust_change_on_kept_ties",
    "qap_correlation",
    "QAPResult",
    "density_change_bootstrap",
    "PhaseComparison",
    "compare_phases",
    "describe_change",
    "change_table",
    "change_sections",
]

#: Ratings run from 1 to 4 (PARTNER tool); "% of maximum" is relative to this.
MAX_RATING = 4

_RATINGS = TRUST_COLUMNS + VALUE_COLUMNS
#: Above this many nodes, betweenness is estimated from a seeded sample of sources.
BETWEENNESS_EXACT_MAX_NODES = 1000
BETWEENNESS_SAMPLE = 500


# --------------------------------------------------------------------------------------
# Building the network from a study
# --------------------------------------------------------------------------------------


def _float(x) -> float:
    return float("nan") if x is None or pd.isna(x) else float(x)


def _text(x):
    return None if x is None or pd.isna(x) else str(x)


def respondents(study, place: str, phase: str) -> set[str]:
    """Organisations of ``place`` that answered the network survey in ``phase``.

    An organisation answered when it has at least one relationships row in that phase
    (any level, including 0). A non-respondent's out-ties are missing, not absent: its
    out-degree of 0 says nothing about whom it works with.

    Parameters
    ----------
    study : Study
    place, phase : str
        ``place_id`` and ``phase_id``.

    Returns
    -------
    set of str
        ``org_id`` values.
    """
    orgs = study.organisations
    in_place = set(orgs.loc[orgs["place_id"] == place, "org_id"].astype(str))
    rel = study.relationships
    answered = rel.loc[rel["phase_id"] == phase, "org_id"].astype(str)
    return set(answered) & in_place


def trust_network(study, place: str, phase: str) -> nx.DiGraph:
    """The directed trust network of one place in one phase.

    Every organisation of the place is a node (isolates included), with attributes
    ``name``, ``sector``, ``sector_group``, ``size`` and ``responded`` (whether it answered
    the survey in this phase). A tie ``u -> v`` is a relationships row of the phase in
    which ``u`` rated ``v`` at ``level >= study.tie_min_level`` (default 2, cooperation).
    Edges carry ``level``, ``trust``, ``value`` (means of the three trust and three value
    ratings, NaN when none given), ``frequency`` and the six ratings (NaN when blank).
    Rows naming an organisation outside the place are left out.

    Parameters
    ----------
    study : Study
    place : str
        A ``place_id`` of the study.
    phase : str
        A ``phase_id`` of the study.

    Returns
    -------
    networkx.DiGraph
        With graph attributes ``place``, ``phase``, ``place_name``, ``phase_label`` and
        ``tie_min_level``.

    Raises
    ------
    KeyError
        When the place or phase is not in the study.

    References
    ----------
    Varda, D. M., Chandra, A., Stern, S. A. and Lurie, N. (2008). Core dimensions of
    connectivity in public health collaboratives. J. Public Health Management and
    Practice 14(5): E1-E7 (the PARTNER tool's trust and value scores).
    """
    if place not in set(study.places["place_id"].astype(str)):
        raise KeyError(f"unknown place {place!r}; the study has {sorted(study.places['place_id'].astype(str))}")
    if phase not in set(study.phases["phase_id"].astype(str)):
        raise KeyError(f"unknown phase {phase!r}; the study has {list(study.phases['phase_id'].astype(str))}")
    min_level = int(study.tie_min_level)
    G = nx.DiGraph(place=place, phase=phase, tie_min_level=min_level,
                   place_name=study.place_name(place), phase_label=study.phase_label(phase))
    answered = respondents(study, place, phase)
    orgs = study.organisations.loc[study.organisations["place_id"] == place]
    for row in orgs.itertuples(index=False):
        org = str(row.org_id)
        G.add_node(
            org,
            name=_text(row.name) or org,
            sector=_text(row.sector),
            sector_group=_text(row.sector_group),
            size=_text(row.size),
            responded=org in answered,
        )
    rel = study.relationships
    rel = rel.loc[(rel["phase_id"] == phase) & (rel["level"].fillna(0).astype(int) >= min_level)]
    for row in rel.to_dict("records"):
        u, v = str(row["org_id"]), str(row["partner_id"])
        if u not in G or v not in G or u == v:
            continue
        attrs = {c: _float(row.get(c)) for c in _RATINGS}
        G.add_edge(
            u, v,
            level=int(row["level"]),
            trust=_float(row.get("trust")),
            value=_float(row.get("value")),
            frequency=_text(row.get("frequency")),
            **attrs,
        )
    return G


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
            U = G.to_undirected(as_view=False) if G.is_directed() else G
            scores = np.array([d for _, d in U.degree()], dtype=float)
            denom = float((n - 1) * (n - 2))
    elif kind in ("in_degree", "out_degree"):
        if not G.is_directed():
            raise nx.NetworkXNotImplemented(f"{kind} centralisation needs a directed graph")
        degree = G.in_degree() if kind == "in_degree" else G.out_degree()
        scores = np.array([d for _, d in degree], dtype=float)
        denom = float((n - 1) ** 2)
    elif kind == "betweenness":
        U = G.to_undirected(as_view=False) if G.is_directed() else G
        scores = np.array(list(nx.betweenness_centrality(U, normalized=True).values()), dtype=float)
        denom = float(n - 1)
    else:
        raise ValueError(f"kind must be degree, in_degree, out_degree or betweenness, not {kind!r}")
    return float(np.sum(scores.max() - scores) / denom)


def _edge_values(G, attr: str) -> np.ndarray:
    vals = np.array([_float(d.get(attr)) for _, _, d in G.edges(data=True)], dtype=float)
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


def trust_received(G, attrs=("trust", "value"), min_n: int = 0) -> pd.DataFrame:
    """Trust and value each organisation receives: the means of the ratings on its in-ties.

    Parameters
    ----------
    G : networkx.DiGraph
    attrs : sequence of str
        Edge attributes to average (default trust and value).
    min_n : int
        Means based on fewer than ``min_n`` ratings are blanked (NaN) for disclosure
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
        row = {"org_id": node, "name": data.get("name", str(node)),
               "sector_group": data.get("sector_group"), "in_ties": G.in_degree(node)}
        for a in attrs:
            vals = np.array([_float(d.get(a)) for _, _, d in G.in_edges(node, data=True)], dtype=float)
            vals = vals[~np.isnan(vals)]
            row[a] = float(vals.mean()) if vals.size and vals.size >= min_n else float("nan")
            row[f"{a}_n"] = int(vals.size)
        rows.append(row)
    columns = ["org_id", "name", "sector_group", "in_ties"] + [c for a in attrs for c in (a, f"{a}_n")]
    out = pd.DataFrame(rows, columns=columns).set_index("org_id")
    if attrs:
        out = out.sort_values([attrs[0], "in_ties"], ascending=False, na_position="last", kind="stable")
    return out


def brokers(G, k: int = 5, seed: int = 0, exact_max_nodes: int = BETWEENNESS_EXACT_MAX_NODES) -> pd.DataFrame:
    """The ``k`` organisations with the highest betweenness: who sits on others' shortest paths.

    Betweenness is computed on the directed graph and normalised. Above
    ``exact_max_nodes`` nodes it is estimated from a seeded sample of
    ``BETWEENNESS_SAMPLE`` source nodes (networkx's ``k`` approximation, Brandes and
    Pich 2007), which the returned frame records in its ``attrs["approximate"]``.

    Returns
    -------
    pandas.DataFrame
        Indexed by node: ``name``, ``sector_group``, ``betweenness``; highest first.

    Examples
    --------
    >>> G = nx.DiGraph([("a", "b"), ("b", "c")])
    >>> brokers(G, k=1).index.tolist()
    ['b']

    References
    ----------
    Freeman, L. C. (1977). A set of measures of centrality based on betweenness.
    Sociometry 40: 35-41. Brandes, U. (2001). A faster algorithm for betweenness
    centrality. J. Math. Sociology 25(2): 163-177.
    """
    n = G.number_of_nodes()
    approximate = n > exact_max_nodes
    sample = min(BETWEENNESS_SAMPLE, n) if approximate else None
    scores = nx.betweenness_centrality(G, k=sample, normalized=True, seed=seed)
    out = pd.DataFrame(
        {
            "org_id": list(scores),
            "name": [G.nodes[v].get("name", str(v)) for v in scores],
            "sector_group": [G.nodes[v].get("sector_group") for v in scores],
            "betweenness": list(scores.values()),
        }
    ).set_index("org_id")
    out = out.sort_values("betweenness", ascending=False, kind="stable").head(k)
    out.attrs["approximate"] = approximate
    return out


def communities(G, seed: int = 0, resolution: float = 1.0) -> list[set]:
    """Groups of organisations more tied among themselves than to others (Louvain, seeded).

    Runs on the undirected graph (a tie in either direction joins two organisations).
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
    if G.number_of_nodes() == 0:
        return []
    U = G.to_undirected(as_view=False) if G.is_directed() else G
    found = nx.community.louvain_communities(U, weight=None, resolution=resolution, seed=seed)
    return sorted((set(c) for c in found), key=lambda c: (-len(c), sorted(map(str, c))))


# --------------------------------------------------------------------------------------
# Summary of the headline measures
# --------------------------------------------------------------------------------------


def network_summary(G, attr: str = "sector_group") -> pd.Series:
    """Headline measures of one network, as a Series (one row of a scorecard).

    ``organisations, respondents, ties, density, reciprocity, centralization (undirected
    degree), mean_trust, mean_trust_pct, trust_n (ties with a trust score), mean_value,
    mean_value_pct, ei_index, cross_sector_share, trust_council_to_vcse,
    trust_vcse_to_council, trust_gap, trust_n_council_to_vcse, trust_n_vcse_to_council,
    influence_gap, communities``. Cheap: no permutation tests.

    Examples
    --------
    >>> s = network_summary(nx.DiGraph([(1, 2), (2, 1), (2, 3)]))
    >>> s["ties"], s["reciprocity"]
    (np.float64(3.0), np.float64(0.6666666666666666))
    """
    has_groups = G.number_of_nodes() > 0 and all(G.nodes[v].get(attr) is not None for v in G)
    asym = council_vcse_asymmetry(G, attr) if has_groups else pd.Series(dtype=float)
    responded = [v for v, d in G.nodes(data=True) if d.get("responded", True)]
    trust, value = mean_tie_trust(G), mean_tie_value(G)
    return pd.Series(
        {
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
        },
        dtype=float,
        name=G.graph.get("phase"),
    )


# Re-exports, resolved lazily so that each module can be imported first: what pages say
# about a network (analysis.network_text) and change between two phases
# (analysis.network_change) both import this module.
_LAZY = {
    "network_text": {
        "describe_network", "describe_ei_test", "MEASURES", "measure_value", "measures_table",
        "brokers_table", "describe_method",
    },
    "network_change": {
        "QAPResult", "PhaseComparison", "compare_phases", "density_change_bootstrap", "describe_change",
        "jaccard", "qap_correlation", "ties_formed", "ties_kept", "ties_lost", "trust_change_on_kept_ties",
        "change_table", "change_sections",
    },
}


def __getattr__(name):
    for module_name, names in _LAZY.items():
        if name in names:
            return getattr(importlib.import_module(f"analysis.{module_name}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
