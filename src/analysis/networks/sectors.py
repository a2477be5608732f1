"""How sectors mix in a trust network: E-I index, brokerage roles, council-VCSE asymmetry, cross-sector share."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import networkx as nx
import numpy as np
import pandas as pd

from analysis.networks.backend import edge_index
from analysis.schema import PUBLIC_GROUPS, VCSE_GROUP
from analysis.values import as_float

__all__ = [
    "ei_index",
    "ei_permutation_test",
    "PermutationTest",
    "brokerage_roles",
    "BROKERAGE_ROLES",
    "council_vcse_asymmetry",
    "cross_sector_share",
    "permutation_p_values",
]


def _labels(G, attr: str) -> tuple[list, np.ndarray]:
    nodes = list(G.nodes())
    missing = [v for v in nodes if G.nodes[v].get(attr) is None]
    if missing:
        raise ValueError(f"{len(missing)} node(s) have no {attr!r} attribute, e.g. {missing[0]!r}")
    values = [G.nodes[v][attr] for v in nodes]
    _, codes = np.unique(np.array([str(x) for x in values]), return_inverse=True)
    return nodes, codes.astype(np.int64)


def _edge_index(G, nodes) -> tuple[np.ndarray, np.ndarray]:
    return edge_index(G, nodes)


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


def permutation_p_values(observed: float, perms: np.ndarray) -> tuple[float, float, float, float]:
    """Expected value and one- and two-sided p-values of ``observed`` against permuted values.

    Returns ``(expected, p_greater, p_less, p_two_sided)``, each p-value counted as
    ``(hits + 1) / (permutations + 1)`` (Phipson and Smyth 2010); NaN permutations are dropped.

    Examples
    --------
    >>> permutation_p_values(3.0, np.array([1.0, 2.0, 3.0]))
    (2.0, 0.5, 1.0, 0.75)
    """
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
    codes = codes.astype(np.min_scalar_type(codes.max()))  # one byte a label: the gathers stay in cache
    stats = np.empty(permutations, dtype=float)
    for start in range(0, permutations, chunk):
        size = min(chunk, permutations - start)
        shuffled = rng.permuted(np.broadcast_to(codes, (size, n)), axis=1)  # each row a permutation
        internal = (shuffled[:, src] == shuffled[:, dst]).sum(axis=1)
        stats[start:start + size] = (m - 2.0 * internal) / m
    expected, p_greater, p_less, p_two = permutation_p_values(observed, stats)
    return PermutationTest(observed, expected, p_greater, p_less, p_two, permutations, seed)


#: Gould-Fernandez roles in the order the suite reports them.
BROKERAGE_ROLES = ("coordinator", "itinerant", "representative", "gatekeeper", "liaison")


def _open_two_paths(src, dst, n: int, chunk: int = 1 << 21):
    """Yield arrays ``(a, b, c)`` of the two-paths ``a -> b -> c`` with ``a != c`` and no tie ``a -> c``.

    Ties are ``src[i] -> dst[i]`` between nodes ``0 .. n-1`` (self-loops ignored). Every
    two-path extends a tie ``a -> b`` by an out-tie of ``b``; ties are taken in runs holding
    about ``chunk`` two-paths, so memory stays bounded on dense networks.
    """
    keep = src != dst
    src, dst = src[keep], dst[keep]
    out_neighbours = dst[np.argsort(src, kind="stable")]  # grouped by source: a CSR adjacency
    out_degree = np.bincount(src, minlength=n)
    first_out = np.cumsum(out_degree) - out_degree
    tie_keys = np.sort(src * n + dst)
    paths_per_tie = out_degree[dst]
    ends = np.cumsum(paths_per_tie)
    lo = 0
    while lo < src.size:
        done = ends[lo - 1] if lo else 0
        hi = max(int(np.searchsorted(ends, done + chunk, side="right")), lo + 1)
        reps = paths_per_tie[lo:hi]
        a = np.repeat(src[lo:hi], reps)
        b = np.repeat(dst[lo:hi], reps)
        offset = np.arange(a.size) - np.repeat(np.cumsum(reps) - reps, reps)
        c = out_neighbours[np.repeat(first_out[dst[lo:hi]], reps) + offset]
        lo = hi
        key = a * n + c
        at = np.minimum(np.searchsorted(tie_keys, key), tie_keys.size - 1)
        open_path = (a != c) & (tie_keys[at] != key)
        yield a[open_path], b[open_path], c[open_path]


@nx.utils.not_implemented_for("undirected")
@nx.utils.not_implemented_for("multigraph")
def brokerage_roles(G, attr: str = "sector_group") -> pd.DataFrame:
    """Gould and Fernandez's five brokerage roles of each organisation.

    ``b`` brokers for ``a`` and ``c`` when ``a -> b -> c``, ``a != c`` and there is no
    tie ``a -> c`` (the open two-path definition of Gould and Fernandez, as in UCINET
    and R's ``sna::brokerage``, unweighted; self-loops are ignored). Each such two-path
    counts once for ``b`` in the role set by the groups (``attr``) of ``a``, ``b`` and
    ``c`` (two-paths enumerated with numpy, in chunks):

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
    n = len(nodes)
    src, dst = _edge_index(G, nodes)
    counts = np.zeros(n * len(BROKERAGE_ROLES), dtype=np.int64)
    for a, b, c in _open_two_paths(src, dst, n):
        ga, gb, gc = codes[a], codes[b], codes[c]
        role = np.full(a.size, 4, dtype=np.int64)  # liaison: a, b, c all in different groups
        role[(ga != gb) & (gc == gb)] = 3  # gatekeeper
        role[(ga == gb) & (gc != gb)] = 2  # representative
        role[(ga == gc) & (ga != gb)] = 1  # itinerant
        role[(ga == gb) & (gc == gb)] = 0  # coordinator
        counts += np.bincount(b * len(BROKERAGE_ROLES) + role, minlength=counts.size)
    counts = counts.reshape(n, len(BROKERAGE_ROLES))
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
    group = dict(G.nodes(data=attr))
    forward_ties = [d for u, v, d in G.edges(data=True) if group[u] == source and group[v] == target]
    backward_ties = [d for u, v, d in G.edges(data=True) if group[u] == target and group[v] == source]
    out = {}
    for r in ratings:
        forward = [x for x in (as_float(d.get(r)) for d in forward_ties) if not math.isnan(x)]
        backward = [x for x in (as_float(d.get(r)) for d in backward_ties) if not math.isnan(x)]
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
    group = dict(G.nodes(data=attr))
    crossing = 0
    for u, v in G.edges():
        gu, gv = group[u], group[v]
        if (gu in public and gv == vcse) or (gu == vcse and gv in public):
            crossing += 1
    return crossing / m
