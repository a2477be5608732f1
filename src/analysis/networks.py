"""Trust networks of a place and phase, and the measures the suite reports on them."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import networkx as nx
import numpy as np
import pandas as pd

from analysis.schema import PUBLIC_GROUPS, TRUST_COLUMNS, VALUE_COLUMNS, VCSE_GROUP

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
    "describe_network",
    "describe_ei_test",
    "MEASURES",
    "measure_value",
    "measures_table",
    "brokers_table",
    "describe_method",
    # change between phases (analysis.network_change), re-exported for convenience
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
# Groups: E-I index, brokerage roles, council-VCSE asymmetry, cross-sector share
# --------------------------------------------------------------------------------------


def _labels(G, attr: str) -> tuple[list, np.ndarray]:
    nodes = list(G.nodes())
    missing = [v for v in nodes if G.nodes[v].get(attr) is None]
    if missing:
        raise ValueError(f"{len(missing)} node(s) have no {attr!r} attribute, e.g. {missing[0]!r}")
    values = [G.nodes[v][attr] for v in nodes]
    _, codes = np.unique(np.array([str(x) for x in values]), return_inverse=True)
    return nodes, codes.astype(np.int64)


def _edge_index(G, nodes) -> tuple[np.ndarray, np.ndarray]:
    index = {v: i for i, v in enumerate(nodes)}
    if G.number_of_edges() == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    src, dst = zip(*((index[u], index[v]) for u, v in G.edges()))
    return np.asarray(src, dtype=np.int64), np.asarray(dst, dtype=np.int64)


def ei_index(G, attr: str = "sector_group") -> float:
    """Krackhardt and Stern's E-I index: (external - internal) / (external + internal) ties.

    A tie is external when its two organisations differ in ``attr`` (e.g. sector group).
    +1 means every tie crosses groups, -1 every tie stays within a group. In a directed
    graph each arc counts (a mutual pair counts twice). NaN when there are no ties.

    Examples
    --------
    >>> G = nx.DiGraph([("a", "b"), ("b", "c")])
    >>> nx.set_node_attributes(G, {"a": "x", "b": "y", "c": "y"}, "group")
    >>> ei_index(G, "group")  # one external, one internal
    0.0

    References
    ----------
    Krackhardt, D. and Stern, R. N. (1988). Informal networks and organizational crises:
    an experimental simulation. Social Psychology Quarterly 51(2): 123-140.
    """
    nodes, codes = _labels(G, attr)
    src, dst = _edge_index(G, nodes)
    if src.size == 0:
        return float("nan")
    internal = int(np.sum(codes[src] == codes[dst]))
    external = src.size - internal
    return (external - internal) / (external + internal)


@dataclass(frozen=True)
class PermutationTest:
    """Result of a permutation test: the observed statistic and where it falls among permutations."""

    statistic: float
    expected: float  #: mean over permutations
    p_greater: float  #: share of permutations >= observed (with the +1 correction)
    p_less: float  #: share of permutations <= observed
    p_value: float  #: two-sided: |perm - expected| >= |observed - expected|
    permutations: int
    seed: int | None

    def as_dict(self) -> dict:
        return asdict(self)


def _p_values(observed: float, perms: np.ndarray) -> tuple[float, float, float, float]:
    perms = perms[~np.isnan(perms)]
    count = perms.size
    if count == 0 or math.isnan(observed):
        return float("nan"), float("nan"), float("nan"), float("nan")
    expected = float(perms.mean())
    tol = 1e-12
    p_greater = (np.sum(perms >= observed - tol) + 1) / (count + 1)
    p_less = (np.sum(perms <= observed + tol) + 1) / (count + 1)
    p_two = (np.sum(np.abs(perms - expected) >= abs(observed - expected) - tol) + 1) / (count + 1)
    return expected, float(p_greater), float(p_less), float(p_two)


def ei_permutation_test(G, attr: str = "sector_group", permutations: int = 1000, seed: int | None = 0,
                        chunk: int = 200) -> PermutationTest:
    """Is the E-I index higher or lower than the same ties with groups shuffled?

    The group labels are permuted over the nodes (keeping group sizes and the ties
    fixed) ``permutations`` times, and E-I recomputed on each; vectorised with numpy
    over the arcs of the adjacency matrix, ``chunk`` permutations at a time.
    p-values use the ``(count + 1) / (permutations + 1)`` convention.

    Returns
    -------
    PermutationTest

    Examples
    --------
    >>> G = nx.DiGraph([("a", "b"), ("b", "a"), ("c", "d"), ("d", "c")])
    >>> nx.set_node_attributes(G, {"a": 1, "b": 1, "c": 2, "d": 2}, "g")
    >>> t = ei_permutation_test(G, "g", permutations=99, seed=1)
    >>> t.statistic, t.p_less <= 0.5
    (-1.0, True)

    References
    ----------
    Krackhardt and Stern (1988), see :func:`ei_index`. Hanneman, R. A. and Riddle, M.
    (2005). Introduction to Social Network Methods, ch. 8 (the permutation test of E-I).
    """
    if permutations < 1:
        raise ValueError("permutations must be at least 1")
    nodes, codes = _labels(G, attr)
    src, dst = _edge_index(G, nodes)
    observed = ei_index(G, attr)
    if src.size == 0:
        return PermutationTest(float("nan"), float("nan"), float("nan"), float("nan"), float("nan"),
                               permutations, seed)
    rng = np.random.default_rng(seed)
    n, m = len(nodes), src.size
    stats = np.empty(permutations, dtype=float)
    for start in range(0, permutations, chunk):
        size = min(chunk, permutations - start)
        shuffled = rng.permuted(np.broadcast_to(codes, (size, n)), axis=1)  # each row a permutation
        internal = (shuffled[:, src] == shuffled[:, dst]).sum(axis=1)
        stats[start:start + size] = (m - 2.0 * internal) / m
    expected, p_greater, p_less, p_two = _p_values(observed, stats)
    return PermutationTest(observed, expected, p_greater, p_less, p_two, permutations, seed)


#: Gould-Fernandez roles in the order the suite reports them.
BROKERAGE_ROLES = ("coordinator", "itinerant", "representative", "gatekeeper", "liaison")


@nx.utils.not_implemented_for("undirected")
@nx.utils.not_implemented_for("multigraph")
def brokerage_roles(G, attr: str = "sector_group") -> pd.DataFrame:
    """Gould and Fernandez's five brokerage roles of each organisation.

    ``b`` brokers for ``a`` and ``c`` when ``a -> b -> c``, ``a != c`` and there is no
    tie ``a -> c`` (the open two-path definition of Gould and Fernandez, as in UCINET
    and R's ``sna::brokerage``, unweighted). Each such two-path counts once for ``b`` in
    the role set by the groups (``attr``) of ``a``, ``b`` and ``c``:

    ==============  =======================  ===========================
    role            groups                   the broker ...
    ==============  =======================  ===========================
    coordinator     a = b = c                links two of its own group
    itinerant       a = c != b               (consultant) links two of another group
    representative  a = b != c               carries its group's contact out
    gatekeeper      a != b = c               lets outside contact into its group
    liaison         a, b, c all different    links two groups, neither its own
    ==============  =======================  ===========================

    Returns
    -------
    pandas.DataFrame
        Indexed by node, one column of counts per role plus ``total``.

    Raises
    ------
    NetworkXNotImplemented
        For undirected graphs or multigraphs.

    Examples
    --------
    >>> G = nx.DiGraph([("a", "b"), ("b", "c")])
    >>> nx.set_node_attributes(G, {"a": "x", "b": "y", "c": "z"}, "g")
    >>> brokerage_roles(G, "g").loc["b", "liaison"]
    np.int64(1)

    References
    ----------
    Gould, R. V. and Fernandez, R. M. (1989). Structures of mediation: a formal approach
    to brokerage in transaction networks. Sociological Methodology 19: 89-126.
    """
    nodes, codes = _labels(G, attr)
    index = {v: i for i, v in enumerate(nodes)}
    counts = np.zeros((len(nodes), len(BROKERAGE_ROLES)), dtype=np.int64)
    for b in nodes:
        preds = np.array([index[a] for a in G.predecessors(b) if a != b], dtype=np.int64)
        succs = np.array([index[c] for c in G.successors(b) if c != b], dtype=np.int64)
        if preds.size == 0 or succs.size == 0:
            continue
        # all (a, c) pairs with a != c and no tie a -> c
        a = np.repeat(preds, succs.size)
        c = np.tile(succs, preds.size)
        open_pair = a != c
        if open_pair.any():
            closed = np.array([G.has_edge(nodes[x], nodes[y]) for x, y in zip(a[open_pair], c[open_pair])],
                              dtype=bool)
            keep = np.flatnonzero(open_pair)[~closed]
        else:
            keep = np.zeros(0, dtype=np.int64)
        ga, gc, gb = codes[a[keep]], codes[c[keep]], codes[index[b]]
        i = index[b]
        counts[i, 0] = np.sum((ga == gb) & (gc == gb))
        counts[i, 1] = np.sum((ga == gc) & (ga != gb))
        counts[i, 2] = np.sum((ga == gb) & (gc != gb))
        counts[i, 3] = np.sum((ga != gb) & (gc == gb))
        counts[i, 4] = np.sum((ga != gb) & (gc != gb) & (ga != gc))
    out = pd.DataFrame(counts, index=pd.Index(nodes, name="node"), columns=list(BROKERAGE_ROLES))
    out["total"] = out[list(BROKERAGE_ROLES)].sum(axis=1)
    return out


def council_vcse_asymmetry(G, attr: str = "sector_group", source: str = "council", target: str = VCSE_GROUP,
                           ratings=("trust", "influence")) -> pd.Series:
    """How council organisations rate VCSE organisations, against how the VCSE rate councils.

    For each rating (default trust and influence) the mean over ties ``source -> target``
    and over ties ``target -> source``, their numbers, and ``gap`` = the first minus the
    second. A gap near 0 means the two sides see each other alike; its size is the
    asymmetry.

    Returns
    -------
    pandas.Series
        ``<rating>_council_to_vcse``, ``<rating>_vcse_to_council``, ``<rating>_gap``,
        ``<rating>_n_council_to_vcse``, ``<rating>_n_vcse_to_council`` for each rating.

    Examples
    --------
    >>> G = nx.DiGraph()
    >>> G.add_nodes_from([("c", {"sector_group": "council"}), ("v", {"sector_group": "vcse"})])
    >>> G.add_edge("c", "v", trust=2.0, influence=2.0); G.add_edge("v", "c", trust=3.5, influence=4.0)
    >>> council_vcse_asymmetry(G)["trust_gap"]
    np.float64(-1.5)
    """
    out = {}
    for r in ratings:
        forward, backward = [], []
        for u, v, d in G.edges(data=True):
            gu, gv = G.nodes[u].get(attr), G.nodes[v].get(attr)
            x = _float(d.get(r))
            if math.isnan(x):
                continue
            if gu == source and gv == target:
                forward.append(x)
            elif gu == target and gv == source:
                backward.append(x)
        f = float(np.mean(forward)) if forward else float("nan")
        b = float(np.mean(backward)) if backward else float("nan")
        out[f"{r}_{source}_to_{target}"] = f
        out[f"{r}_{target}_to_{source}"] = b
        out[f"{r}_gap"] = f - b
        out[f"{r}_n_{source}_to_{target}"] = len(forward)
        out[f"{r}_n_{target}_to_{source}"] = len(backward)
    return pd.Series(out, dtype=float)


def cross_sector_share(G, attr: str = "sector_group", public=PUBLIC_GROUPS, vcse: str = VCSE_GROUP) -> float:
    """Share of all ties that join a public body (council, health, other public) and a VCSE one.

    Either direction counts. NaN when there are no ties.

    Examples
    --------
    >>> G = nx.DiGraph([("c", "v"), ("v", "w"), ("h", "c")])
    >>> nx.set_node_attributes(G, {"c": "council", "h": "health", "v": "vcse", "w": "vcse"}, "sector_group")
    >>> cross_sector_share(G)
    0.3333333333333333
    """
    m = G.number_of_edges()
    if m == 0:
        return float("nan")
    crossing = 0
    for u, v in G.edges():
        gu, gv = G.nodes[u].get(attr), G.nodes[v].get(attr)
        if (gu in public and gv == vcse) or (gu == vcse and gv in public):
            crossing += 1
    return crossing / m


# --------------------------------------------------------------------------------------
# Summaries and plain-English sentences
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


def _pct(x: float) -> str:
    return "not available" if x is None or math.isnan(x) else f"{100 * x:.0f}%"


def _score(x: float) -> str:
    return "not available" if x is None or math.isnan(x) else f"{x:.2f} out of 4"


def describe_network(summary: pd.Series, place_name: str = "this place", phase_label: str = "this phase",
                     k: int = 1) -> str:
    """Plain-English sentences stating a network's headline measures (plain text; escape to render).

    Means resting on fewer than ``k`` ratings are not stated (disclosure control).

    Examples
    --------
    >>> s = network_summary(nx.DiGraph([(1, 2), (2, 1), (2, 3)]))
    >>> describe_network(s, "Testville", "Baseline").split(".")[0]
    'In Testville (Baseline), 3 organisations reported 3 working ties between them'
    """
    n, m = int(summary["organisations"]), int(summary["ties"])
    parts = [
        f"In {place_name} ({phase_label}), {n} organisations reported {m} working "
        f"{'tie' if m == 1 else 'ties'} between them"
        + (f" ({int(summary['respondents'])} of the {n} answered the survey)."
           if int(summary["respondents"]) < n else "."),
        f"That is {_pct(summary['density'])} of all the ties there could be (the network's density).",
    ]
    if not math.isnan(summary["reciprocity"]):
        parts.append(f"{_pct(summary['reciprocity'])} of ties were returned: both organisations named each other.")
    if not math.isnan(summary["mean_trust"]) and not _suppressed(summary, "trust_n", k):
        parts.append(
            f"On average partners rated each other's trustworthiness {_score(summary['mean_trust'])} "
            f"({summary['mean_trust_pct']:.0f}% of the maximum) and their value {_score(summary['mean_value'])}."
        )
    if not math.isnan(summary["cross_sector_share"]):
        parts.append(f"{_pct(summary['cross_sector_share'])} of ties linked a public body with a VCSE organisation.")
    if not math.isnan(summary["trust_gap"]) and not _suppressed(
            summary, ("trust_n_council_to_vcse", "trust_n_vcse_to_council"), k):
        gap = summary["trust_gap"]
        if abs(gap) < 0.05:
            parts.append("Councils and VCSE organisations rated each other's trustworthiness about the same.")
        else:
            higher = "councils rated VCSE organisations" if gap > 0 else "VCSE organisations rated councils"
            parts.append(f"{higher[0].upper() + higher[1:]} higher on trust, by {abs(gap):.2f} points on the 1-4 scale.")
    return " ".join(parts)


def describe_ei_test(test: PermutationTest) -> str:
    """Plain-English sentence about an E-I index and its permutation test (plain text).

    Examples
    --------
    >>> describe_ei_test(PermutationTest(0.4, 0.1, 0.01, 0.99, 0.02, 999, 1)).split(";")[0]
    'The mixing index between sectors is 0.40 (-1 means every tie stays within a sector, +1 every tie crosses sectors)'
    """
    if math.isnan(test.statistic):
        return "There are no ties, so mixing between sectors cannot be measured."
    text = (f"The mixing index between sectors is {test.statistic:.2f} (-1 means every tie stays within a "
            f"sector, +1 every tie crosses sectors); had the same ties been spread at random across the "
            f"organisations, it would be about {test.expected:.2f}")
    if test.p_greater < 0.05:
        return text + ", so organisations here work across sectors more than chance would give."
    if test.p_less < 0.05:
        return text + ", so organisations here keep to their own sector more than chance would give."
    return text + ", and the difference could be chance."


#: Headline measures as pages show them: (key, label, kind, n key) where kind is how the
#: value is shown ("count", "pct" for a share, "score" for 1-4, "index") and n key names
#: the count of ratings a mean rests on (for disclosure control), or None.
MEASURES = (
    ("organisations", "Organisations in the study", "count", None),
    ("respondents", "Organisations that answered the network survey", "count", None),
    ("ties", "Working ties reported", "count", None),
    ("density", "Density: share of all possible ties that exist", "pct", None),
    ("reciprocity", "Ties the partner returned", "pct", None),
    ("centralization", "Centralisation (0 = spread out, 1 = everything through one organisation)", "index", None),
    ("mean_trust", "Average trust between partners (1 to 4)", "score", "trust_n"),
    ("mean_value", "Average value of partners (1 to 4)", "score", "trust_n"),
    ("ei_index", "Mixing between sectors (-1 all within, +1 all across)", "index", None),
    ("cross_sector_share", "Ties between public bodies and VCSE organisations", "pct", None),
    ("trust_council_to_vcse", "Trust councils give VCSE organisations (1 to 4)", "score", "trust_n_council_to_vcse"),
    ("trust_vcse_to_council", "Trust VCSE organisations give councils (1 to 4)", "score", "trust_n_vcse_to_council"),
    ("trust_gap", "Gap: councils' trust in VCSE minus VCSE trust in councils", "index",
     ("trust_n_council_to_vcse", "trust_n_vcse_to_council")),
    ("communities", "Clusters of closely tied organisations", "count", None),
)


def _format(value: float, kind: str, change: bool = False) -> str:
    if value is None or pd.isna(value):
        return "not available"
    sign = "+" if change and value > 0 else ""
    if kind == "pct":
        text = f"{sign}{100 * value:.0f}"
        text = text.lstrip("+-") if float(text) == 0 else text
        return text + ((" point" if text.lstrip("+-") == "1" else " points") if change else "%")
    if kind == "count":
        text = f"{sign}{value:.0f}"
    else:
        text = f"{sign}{value:.2f}"
    return text.lstrip("+-") if float(text.replace(" points", "").replace("%", "")) == 0 else text


def _suppressed(summary: pd.Series, n_key, k: int) -> bool:
    if n_key is None or k <= 1:
        return False
    keys = (n_key,) if isinstance(n_key, str) else n_key
    return any(pd.isna(summary.get(key)) or summary.get(key) < k for key in keys)


def measure_value(summary: pd.Series | None, key: str, k: int = 1) -> str:
    """One headline measure as a page shows it, or why it is not shown.

    Means resting on fewer than ``k`` ratings say "fewer than k ratings" (disclosure
    control; pass ``analysis.disclosure.threshold(study)``).

    Examples
    --------
    >>> measure_value(pd.Series({"density": 0.125}), "density")
    '12%'
    >>> measure_value(pd.Series({"mean_trust": 3.0, "trust_n": 2}), "mean_trust", k=5)
    'fewer than 5 ratings'
    """
    if summary is None:
        return ""
    for m_key, _, kind, n_key in MEASURES:
        if m_key == key:
            if _suppressed(summary, n_key, k):
                return f"fewer than {k} ratings"
            return _format(summary.get(key), kind)
    raise KeyError(f"no measure {key!r}")


def measures_table(summary: pd.Series, k: int = 1) -> pd.DataFrame:
    """The headline measures of :func:`network_summary` as a two-column table for readers.

    Examples
    --------
    >>> t = measures_table(network_summary(nx.DiGraph([(1, 2), (2, 1), (2, 3)])))
    >>> t.iloc[3].tolist()
    ['Density: share of all possible ties that exist', '50%']
    """
    return pd.DataFrame(
        [(label, measure_value(summary, key, k)) for key, label, _, _ in MEASURES],
        columns=["Measure", "Value"],
    )


def brokers_table(top: pd.DataFrame, roles: pd.DataFrame | None = None) -> pd.DataFrame:
    """Brokers (from :func:`brokers`) with their sector and brokerage role counts, for readers.

    Examples
    --------
    >>> G = nx.DiGraph([("a", "b"), ("b", "c")])
    >>> nx.set_node_attributes(G, {"a": "council", "b": "vcse", "c": "health"}, "sector_group")
    >>> t = brokers_table(brokers(G, k=1), brokerage_roles(G))
    >>> row = t.iloc[0]
    >>> row["Organisation"], row["Sector"], int(row["Liaison"])
    ('b', 'VCSE', 1)
    """
    from analysis.schema import SECTOR_GROUP_LABELS

    out = pd.DataFrame({
        "Organisation": [str(x) for x in top["name"]],
        "Sector": [SECTOR_GROUP_LABELS.get(g, g or "") for g in top["sector_group"]],
        "Betweenness": [f"{x:.3f}" for x in top["betweenness"]],
    })
    if roles is not None:
        aligned = roles.reindex(top.index).fillna(0)
        for role in BROKERAGE_ROLES:
            out[role.capitalize()] = aligned[role].astype(int).to_list()
    return out


def describe_method(G, k: int = 1) -> str:
    """Plain-English note on how this network was built (plain text; escape to render).

    Examples
    --------
    >>> G = nx.DiGraph(tie_min_level=2)
    >>> G.add_nodes_from([(1, {"responded": True}), (2, {"responded": False})])
    >>> describe_method(G, 5).split(". ")[0]
    'A tie here is a partner rated at level 2 (cooperation) or closer'
    """
    from analysis.schema import LEVEL_LABELS

    level = int(G.graph.get("tie_min_level", 2))
    n = G.number_of_nodes()
    answered = sum(1 for _, d in G.nodes(data=True) if d.get("responded", True))
    text = (f"A tie here is a partner rated at level {level} ({LEVEL_LABELS.get(level, level)}) or closer. "
            f"{answered} of the {n} organisations answered the survey in this phase; ties that the others "
            f"would have named are missing, so their own connections are undercounted.")
    if k > 1:
        text += f" Averages resting on fewer than {k} ratings are not shown on this page."
    return text


# Re-exports: change between two phases lives in analysis.network_change, which imports
# this module; resolve those names lazily so either module can be imported first.
_CHANGE_NAMES = {
    "QAPResult", "PhaseComparison", "compare_phases", "density_change_bootstrap", "describe_change",
    "jaccard", "qap_correlation", "ties_formed", "ties_kept", "ties_lost", "trust_change_on_kept_ties",
    "change_table", "change_sections",
}


def __getattr__(name):
    if name in _CHANGE_NAMES:
        from analysis import network_change

        return getattr(network_change, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
