"""Change in a place's trust network between two phases: ties, trust, QAP, density."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import networkx as nx  # noqa: F401 -- the doctests build graphs
import numpy as np
import pandas as pd
from scipy import sparse, stats

from analysis.absence import Absent, network_absent
from analysis.networks.backend import edge_index
from analysis.networks.measures import SUMMARY_COUNTS as _COUNTS
from analysis.networks.measures import network_summary
from analysis.networks.sectors import permutation_p_values
from analysis.networks.text import MEASURES, format_measure, measure_value, rests_on_too_few
from analysis.values import as_float

__all__ = [
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
    "measured_comparisons",
    "describe_change",
    "change_table",
    "change_sections",
]


def _ties(G) -> set:
    if G.is_directed():
        return set(G.edges())
    return {frozenset(e) for e in G.edges()}


def ties_formed(before, after) -> set:
    """Ties present in ``after`` but not in ``before``.

    Examples
    --------
    >>> sorted(ties_formed(nx.DiGraph([(1, 2)]), nx.DiGraph([(1, 2), (2, 3)])))
    [(2, 3)]
    """
    return _ties(after) - _ties(before)


def ties_kept(before, after) -> set:
    """Ties present in both networks.

    Examples
    --------
    >>> sorted(ties_kept(nx.DiGraph([(1, 2), (3, 1)]), nx.DiGraph([(1, 2), (2, 3)])))
    [(1, 2)]
    """
    return _ties(after) & _ties(before)


def ties_lost(before, after) -> set:
    """Ties present in ``before`` but not in ``after``.

    Examples
    --------
    >>> sorted(ties_lost(nx.DiGraph([(1, 2), (3, 1)]), nx.DiGraph([(1, 2), (2, 3)])))
    [(3, 1)]
    """
    return _ties(before) - _ties(after)


def jaccard(before, after) -> float:
    """Jaccard overlap of two networks' ties: kept / (kept + formed + lost).

    1 means the same ties, 0 none in common; NaN when neither has a tie.

    Examples
    --------
    >>> jaccard(nx.DiGraph([(1, 2), (3, 1)]), nx.DiGraph([(1, 2), (2, 3)]))
    0.3333333333333333

    References
    ----------
    Jaccard, P. (1912). The distribution of the flora in the alpine zone. New Phytologist
    11(2): 37-50.
    """
    a, b = _ties(before), _ties(after)
    union = a | b
    return len(a & b) / len(union) if union else float("nan")


def trust_change_on_kept_ties(before, after, attr: str = "trust") -> dict:
    """Paired change in a tie rating (default trust) on the ties kept between two phases.

    Ties kept with the rating given in both phases are paired; the Wilcoxon signed-rank
    test asks whether the changes centre on zero. With fewer than two pairs the p-value
    is NaN (no test); when every pair is unchanged it is 1.

    Returns
    -------
    dict
        ``n`` (pairs), ``mean_before``, ``mean_after``, ``mean_change``, ``rose``,
        ``fell``, ``unchanged`` (counts of ties), ``statistic``, ``p_value``.

    Examples
    --------
    >>> g1 = nx.DiGraph([(1, 2, {"trust": 2.0}), (2, 3, {"trust": 3.0})])
    >>> g2 = nx.DiGraph([(1, 2, {"trust": 3.0}), (2, 3, {"trust": 3.5})])
    >>> trust_change_on_kept_ties(g1, g2)["mean_change"]
    0.75

    References
    ----------
    Wilcoxon, F. (1945). Individual comparisons by ranking methods. Biometrics Bulletin
    1(6): 80-83.
    """
    pairs = []
    for u, v in sorted(ties_kept(before, after), key=str) if before.is_directed() else []:  # sorted: sums in one order
        x, y = as_float(before.edges[u, v].get(attr)), as_float(after.edges[u, v].get(attr))
        if not (math.isnan(x) or math.isnan(y)):
            pairs.append((x, y))
    x = np.array([p[0] for p in pairs], dtype=float)
    y = np.array([p[1] for p in pairs], dtype=float)
    d = y - x
    out = {
        "n": int(d.size),
        "mean_before": float(x.mean()) if d.size else float("nan"),
        "mean_after": float(y.mean()) if d.size else float("nan"),
        "mean_change": float(d.mean()) if d.size else float("nan"),
        "rose": int(np.sum(d > 0)),
        "fell": int(np.sum(d < 0)),
        "unchanged": int(np.sum(d == 0)),
        "statistic": float("nan"),
        "p_value": float("nan"),
    }
    if d.size >= 2:
        if np.all(d == 0):
            out["p_value"] = 1.0
        else:
            res = stats.wilcoxon(y, x, zero_method="wilcox")
            out["statistic"], out["p_value"] = float(res.statistic), float(res.pvalue)
    return out


@dataclass(frozen=True)
class QAPResult:
    """A QAP correlation between two networks and its permutation p-values."""

    r: float  #: Pearson correlation of the off-diagonal cells
    p_value: float  #: one-sided: share of permutations with r >= observed (+1 correction)
    p_two_sided: float  #: |r_perm - mean| >= |r - mean|
    expected: float  #: mean r over permutations
    permutations: int
    nodes: int
    seed: int | None

    def as_dict(self) -> dict:
        return asdict(self)


def _matrix_parts(G, nodes, weight):
    if weight is None and G.is_directed():  # every tie but self-loops, weight 1: no loop over attributes
        src, dst = edge_index(G, nodes)
        keep = src != dst
        return src[keep], dst[keep], np.ones(int(keep.sum()))
    index = {v: i for i, v in enumerate(nodes)}
    src, dst, w = [], [], []
    for u, v, d in G.edges(data=True):
        if u == v:
            continue
        x = 1.0 if weight is None else as_float(d.get(weight))
        if math.isnan(x) or x == 0:
            continue
        src.append(index[u])
        dst.append(index[v])
        w.append(x)
        if not G.is_directed():
            src.append(index[v])
            dst.append(index[u])
            w.append(x)
    return np.array(src, dtype=np.int64), np.array(dst, dtype=np.int64), np.array(w, dtype=float)


def _permuted_crosses(s1, d1, w1, s2, d2, w2, n, binary, rng, permutations, chunk):
    """``sum w2_uv * X1[q(u), q(v)]`` for the identity ``q`` and then ``permutations`` random ones.

    Binary networks keep ``X1`` as bits (eight cells a byte, so an ``n x n`` matrix of
    5,000 organisations takes 3 MB and stays in cache). For each permutation, a row offset,
    a byte and a bit mask per node are computed once (``n`` values each), then each tie of the
    second network costs three lookups, one ``and`` and a count, over arrays of one
    permutation at a time (``m`` values, which stay in the processor's cache; a block of
    permutations at once is slower). The second network's ties are taken by source, so
    successive lookups fall in the same row of ``X1``. Permutations are drawn ``chunk`` at a
    time, so the chunk size does not change the result.
    """
    base = np.arange(n, dtype=np.int64)
    if binary:
        row_bytes = (n + 7) // 8
        X = np.zeros(n * row_bytes, dtype=np.uint8)
        np.bitwise_or.at(X, s1 * row_bytes + (d1 >> 3), np.left_shift(1, d1 & 7).astype(np.uint8))
        by_source = np.argsort(s2, kind="stable")
        s2, d2 = s2[by_source], d2[by_source]
        one = np.uint8(1)

        def cross(Q):
            out = np.empty(len(Q))
            for i, q in enumerate(Q):
                cells = X.take((q * row_bytes)[s2] + (q >> 3)[d2])
                cells &= np.left_shift(one, (q & 7).astype(np.uint8))[d2]
                out[i] = np.count_nonzero(cells)
            return out
    else:
        X = np.zeros((n, n), dtype=np.float64 if n <= 2000 else np.float32)
        X[s1, d1] = w1

        def cross(Q):
            return X[Q[:, s2], Q[:, d2]].astype(float) @ w2
    crosses = [cross(base[None, :])]
    for start in range(0, permutations, chunk):
        size = min(chunk, permutations - start)
        crosses.append(cross(rng.permuted(np.broadcast_to(base, (size, n)), axis=1)))
    return np.concatenate(crosses)


def qap_correlation(G1, G2, permutations: int = 1000, seed: int | None = 0, weight: str | None = None,
                    chunk: int = 100) -> QAPResult:
    """QAP correlation of two networks on the union of their nodes, with a permutation test.

    Each network becomes an ``n x n`` matrix over the union of nodes (absent nodes are
    isolates; cells are 1 for a tie, or the ``weight`` attribute; missing weights count 0).
    ``r`` is the Pearson correlation of the ``n (n - 1)`` off-diagonal cells. The null
    distribution permutes the rows and columns of the second matrix together (relabelling
    its nodes), which keeps each network's structure intact (Hubert's QAP). Vectorised:
    for a permutation ``q`` the cross-product is the sum over the second network's ties
    ``(u, v)`` of ``w_uv * X[q[u], q[v]]``; the means and variances do not change under
    permutation.

    Returns
    -------
    QAPResult

    Examples
    --------
    >>> G = nx.gnp_random_graph(12, 0.3, seed=1, directed=True)
    >>> res = qap_correlation(G, G, permutations=199, seed=1)
    >>> round(res.r, 6), res.p_value <= 0.01
    (1.0, True)

    References
    ----------
    Hubert, L. J. and Schultz, J. (1976). Quadratic assignment as a general data analysis
    strategy. Br. J. Math. Stat. Psychology 29: 190-241. Krackhardt, D. (1987). QAP
    partialling as a test of spuriousness. Social Networks 9: 171-186.
    """
    if permutations < 1:
        raise ValueError("permutations must be at least 1")
    nodes = sorted(set(G1) | set(G2), key=str)
    n = len(nodes)
    if n < 3:
        raise ValueError("QAP needs at least three nodes")
    cells = n * (n - 1)
    s1, d1, w1 = _matrix_parts(G1, nodes, weight)
    s2, d2, w2 = _matrix_parts(G2, nodes, weight)
    nan = float("nan")
    mx, my = w1.sum() / cells, w2.sum() / cells
    vx, vy = (w1 ** 2).sum() / cells - mx ** 2, (w2 ** 2).sum() / cells - my ** 2
    if vx <= 0 or vy <= 0:  # a network with no ties (or all cells equal) has no correlation
        return QAPResult(nan, nan, nan, nan, permutations, n, seed)
    sd = math.sqrt(vx * vy)
    rng = np.random.default_rng(seed)
    crosses = _permuted_crosses(s1, d1, w1, s2, d2, w2, n, weight is None, rng, permutations, chunk)
    observed = (crosses[0] / cells - mx * my) / sd  # the first "permutation" is the identity
    perms = (crosses[1:] / cells - mx * my) / sd
    expected, p_greater, _, p_two = permutation_p_values(observed, perms)
    return QAPResult(float(observed), p_greater, p_two, expected, permutations, n, seed)


def _adjacency(G, nodes):
    s, d, _ = _matrix_parts(G, nodes, None)
    n = len(nodes)
    return sparse.csr_matrix((np.ones(s.size, dtype=np.int32), (s, d)), shape=(n, n))


def _resample_counts(n: int, n_boot: int, seed) -> np.ndarray:
    """How often each of ``n`` organisations is drawn in each of ``n_boot`` resamples of ``n`` with replacement.

    An ``n x n_boot`` int32 matrix whose columns are multinomial(n, 1/n) counts, made by drawing
    the ``n`` positions of every resample and counting them: the same distribution as
    ``Generator.multinomial``, which draws ``n - 1`` binomials a resample and is several times slower.
    """
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, n, size=(n_boot, n), dtype=np.int64)
    draws += (np.arange(n_boot, dtype=np.int64) * n)[:, None]
    counts = np.bincount(draws.ravel(), minlength=n_boot * n).astype(np.int32)
    return np.ascontiguousarray(counts.reshape(n_boot, n).T)


def density_change_bootstrap(before, after, n_boot: int = 1000, seed: int | None = 0,
                             level: float = 0.95) -> dict:
    """Change in density between two phases with a node-bootstrap confidence interval.

    Organisations are resampled with replacement (the same resample for both phases, so
    the change is paired); each resample's density counts the ordered pairs of distinct
    sampled positions, leaving out pairs that drew the same organisation twice (its
    self-pair is undefined). With counts ``c`` that is ``c' A c / (k^2 - sum c^2)``,
    computed for all resamples at once with a sparse adjacency matrix.

    Returns
    -------
    dict
        ``density_before``, ``density_after``, ``change``, ``ci_low``, ``ci_high``
        (percentile interval at ``level``), ``n_boot``, ``seed``.

    Examples
    --------
    >>> g1 = nx.gnp_random_graph(30, 0.1, seed=1, directed=True)
    >>> g2 = nx.gnp_random_graph(30, 0.3, seed=2, directed=True)
    >>> res = density_change_bootstrap(g1, g2, n_boot=200, seed=1)
    >>> res["ci_low"] < res["change"] < res["ci_high"]
    True

    References
    ----------
    Snijders, T. A. B. and Borgatti, S. P. (1999). Non-parametric standard errors and
    tests for network statistics. Connections 22(2): 161-170.
    """
    nodes = sorted(set(before) | set(after), key=str)
    n = len(nodes)
    if n < 2:
        raise ValueError("density needs at least two nodes")
    A1, A2 = _adjacency(before, nodes), _adjacency(after, nodes)
    cells = n * (n - 1)
    d_before, d_after = A1.sum() / cells, A2.sum() / cells
    C = _resample_counts(n, n_boot, seed)  # n x n_boot
    pairs = n * n - np.einsum("ij,ij->j", C, C, dtype=np.int64)  # integers throughout: exact
    with np.errstate(invalid="ignore", divide="ignore"):
        b1 = np.einsum("ij,ij->j", C, A1 @ C, dtype=np.int64) / pairs
        b2 = np.einsum("ij,ij->j", C, A2 @ C, dtype=np.int64) / pairs
    diff = b2 - b1
    diff = diff[~np.isnan(diff)]
    alpha = (1 - level) / 2
    low, high = np.quantile(diff, [alpha, 1 - alpha]) if diff.size else (float("nan"), float("nan"))
    return {
        "density_before": float(d_before),
        "density_after": float(d_after),
        "change": float(d_after - d_before),
        "ci_low": float(low),
        "ci_high": float(high),
        "level": level,
        "n_boot": n_boot,
        "seed": seed,
    }


@dataclass
class PhaseComparison:
    """Everything :func:`compare_phases` finds about the change between two phases of a place."""

    place: str
    place_name: str
    phase_before: str
    phase_after: str
    label_before: str
    label_after: str
    summary: pd.DataFrame  #: measures x (before, after, change)
    ties_formed: int
    ties_kept: int
    ties_lost: int
    jaccard: float
    trust_change: dict
    qap: QAPResult
    density_change: dict
    seed: int | None = None
    extra: dict = field(default_factory=dict)

    def headline(self) -> pd.Series:
        """One flat row of the change (for scorecards and cross-place tables)."""
        row = {
            "ties_formed": self.ties_formed,
            "ties_kept": self.ties_kept,
            "ties_lost": self.ties_lost,
            "jaccard": self.jaccard,
            "trust_change_kept": self.trust_change["mean_change"],
            "trust_change_n": self.trust_change["n"],
            "trust_change_p": self.trust_change["p_value"],
            "qap_r": self.qap.r,
            "qap_p": self.qap.p_value,
            "density_change": self.density_change["change"],
            "density_change_low": self.density_change["ci_low"],
            "density_change_high": self.density_change["ci_high"],
        }
        for measure, change in self.summary["change"].items():
            row[f"{measure}_change"] = change
        return pd.Series(row, dtype=float)

    def _facts(self) -> list[tuple[str, str]]:
        """What changed between the phases, as (what, how much) pairs of short text: the reprs' first part."""
        tc, dc, q = self.trust_change, self.density_change, self.qap
        facts = [("ties formed", f"{self.ties_formed:,}"), ("ties kept", f"{self.ties_kept:,}"),
                 ("ties lost", f"{self.ties_lost:,}"), ("Jaccard overlap of ties", _number(self.jaccard))]
        if tc["n"]:
            facts.append(("trust on kept ties, mean change",
                          _number(tc["mean_change"], sign=True) + f" over {tc['n']:,} pairs"))
            facts.append(("kept ties whose trust rose, fell", f"{tc['rose']:,}, {tc['fell']:,}"))
            if not math.isnan(tc["p_value"]):
                facts.append(("paired change, Wilcoxon signed-rank test", _p(tc["p_value"])))
        else:
            facts.append(("trust on kept ties, mean change", "no kept tie rated in both phases"))
        facts.append(("QAP correlation", "not available (too few organisations or no ties)" if math.isnan(q.r) else
                      f"{q.r:.3f}, {_p(q.p_value)} ({q.permutations:,} permutations)"))
        interval = ("" if math.isnan(dc["ci_low"]) else
                    f" ({100 * dc.get('level', 0.95):.0f}% interval {_number(dc['ci_low'], sign=True)}"
                    f" to {_number(dc['ci_high'], sign=True)})")
        facts.append(("density change", _number(dc["change"], sign=True) + interval))
        return facts

    def _title(self) -> str:
        return f"{self.place_name}: {self.label_before} \u2192 {self.label_after}"

    def __repr__(self) -> str:
        """Plain text in short lines: the ties formed, kept and lost as whole numbers, the tests, then each
        measure before, after and its change, one to a line, so no narrow output area splits a number."""
        lines = [f"<PhaseComparison {self.place_name!r}: {self.label_before!r} -> {self.label_after!r}"]
        lines += [f"  {what}: {value}" for what, value in self._facts()]
        table = self.summary
        width = max([len(str(k)) for k in table.index] + [7])
        lines.append(f"  {'measure':<{width}} {'before':>13} {'after':>13} {'change':>13}")
        for key, row in table.iterrows():
            cells = [_number(row.get(c), sign=c == "change", count=key in _COUNTS)
                     for c in ("before", "after", "change")]
            lines.append(f"  {str(key):<{width}} " + " ".join(f"{c:>13}" for c in cells))
        return "\n".join(lines) + ">"

    def _repr_html_(self) -> str:
        """Two tables in the pages' look (every label from the study escaped): what changed, and each measure."""
        from analysis.suppression import html_table

        facts = pd.DataFrame(self._facts(), columns=["", "value"]).set_index("")
        table = self.summary
        measures = pd.DataFrame(
            {c: [_number(row.get(c), sign=c == "change", count=key in _COUNTS) for key, row in table.iterrows()]
             for c in ("before", "after", "change")},
            index=pd.Index([str(k) for k in table.index], name="measure"))
        measures = measures.rename(columns={"before": self.label_before, "after": self.label_after})
        return (html_table(facts, caption=f"{self._title()}: ties and tests", index=True, download=False,
                           number_columns=["value"])._repr_html_()
                + html_table(measures, caption=f"{self._title()}: measures", index=True, download=False,
                             number_columns=list(measures.columns))._repr_html_())


def _p(p: float) -> str:
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def _number(value, sign: bool = False, count: bool = False) -> str:
    """A value as the comparison's reprs show it: counts whole, others to 3 places, "not available" for NaN."""
    if value is None or pd.isna(value):
        return "not available"
    if count or isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return f"{int(value):+,}" if sign else f"{int(value):,}"
    return f"{float(value):+.3f}" if sign else f"{float(value):.3f}"


def compare_phases(study, place: str, phase_before: str, phase_after: str, seed: int | None = 0,
                   permutations: int = 1000, n_boot: int = 1000) -> PhaseComparison:
    """Compare a place's trust network in two phases.

    Builds both networks with :func:`analysis.networks.trust_network` and reports their
    headline measures side by side, the ties formed, kept and lost, their Jaccard
    overlap, the paired change of trust on kept ties, the QAP correlation of the two
    networks and a bootstrap interval for the change in density. Seeded.

    Returns
    -------
    PhaseComparison
    """
    from analysis.networks.build import trust_network

    g1 = trust_network(study, place, phase_before)
    g2 = trust_network(study, place, phase_after)
    s1, s2 = network_summary(g1), network_summary(g2)
    summary = pd.DataFrame({"before": s1, "after": s2})
    summary["change"] = summary["after"] - summary["before"]
    if g1.number_of_nodes() >= 3:
        qap = qap_correlation(g1, g2, permutations=permutations, seed=seed)
    else:
        qap = QAPResult(float("nan"), float("nan"), float("nan"), float("nan"), permutations,
                        g1.number_of_nodes(), seed)
    return PhaseComparison(
        place=place,
        place_name=study.place_name(place),
        phase_before=phase_before,
        phase_after=phase_after,
        label_before=study.phase_label(phase_before),
        label_after=study.phase_label(phase_after),
        summary=summary,
        ties_formed=len(ties_formed(g1, g2)),
        ties_kept=len(ties_kept(g1, g2)),
        ties_lost=len(ties_lost(g1, g2)),
        jaccard=jaccard(g1, g2),
        trust_change=trust_change_on_kept_ties(g1, g2),
        qap=qap,
        density_change=density_change_bootstrap(g1, g2, n_boot=n_boot, seed=seed),
        seed=seed,
    )


def measured_comparisons(study, place: str, phase: str, seed: int | None = 0, permutations: int = 1000,
                         n_boot: int = 1000):
    """The comparisons of ``phase`` with the previous phase and with the first, where both are measured.

    A change is described only between two measured networks: when this phase or the earlier
    one has no network (:func:`analysis.absence.network_absent`), the comparison is an
    :class:`analysis.absence.Absent` saying which is missing. In the first phase both are None;
    when the previous phase is the first, the baseline is the same comparison and is None.

    Returns
    -------
    tuple
        ``(previous, baseline)``, each a :class:`PhaseComparison`, an ``Absent`` or None.
    """
    previous = study.previous_phase(phase)
    earlier = [previous] if previous else []
    if previous and previous != study.first_phase:
        earlier.append(study.first_phase)
    now_missing = network_absent(study, place, phase)
    out = []
    for before in earlier:
        then_missing = network_absent(study, place, before)
        if now_missing is not None:
            out.append(Absent(f"No change since {study.phase_label(before)} can be described: "
                              f"{_lower_first(now_missing.reason)}"))
        elif then_missing is not None:
            out.append(Absent(f"No change since {study.phase_label(before)} can be described, because that phase "
                              f"has no network to compare with: {_lower_first(then_missing.reason)}"))
        else:
            out.append(compare_phases(study, place, before, phase, seed=seed, permutations=permutations,
                                      n_boot=n_boot))
    out += [None] * (2 - len(out))
    return out[0], out[1]


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text[:2] != text[:2].upper() else text


def _direction(change: float, unit: str, digits: int = 2, scale: float = 1.0, threshold: float = 0.005) -> str:
    if change is None or math.isnan(change):
        return "could not be compared"
    if abs(change) < threshold:
        return "stayed about the same"
    word = "rose" if change > 0 else "fell"
    return f"{word} by {abs(change) * scale:.{digits}f}{unit}"


def describe_change(comparison: PhaseComparison | None, first_phase_label: str | None = None,
                    threshold: int = 1) -> str:
    """Plain-English sentences about a change between phases (plain text; escape to render).

    Changes in means resting on fewer than ``threshold`` ratings in either phase are not stated
    (disclosure control; pass ``analysis.disclosure.disclosure_threshold(study)``).

    ``comparison`` None means there is no earlier phase to compare with (the first
    phase of the study); the sentence says so, naming ``first_phase_label`` if given.

    Examples
    --------
    >>> describe_change(None, "Baseline")
    'Baseline is the first phase of the study, so there is no earlier phase to compare with.'
    """
    if comparison is None:
        what = first_phase_label or "This"
        return f"{what} is the first phase of the study, so there is no earlier phase to compare with."
    c = comparison
    s = c.summary
    parts = [
        f"Between {c.label_before} and {c.label_after}, {c.ties_formed} ties were formed, "
        f"{c.ties_kept} kept and {c.ties_lost} lost "
        f"({format_measure(c.jaccard, 'pct')} of all ties seen in either phase were present in both).",
    ]
    dc = c.density_change
    density_sentence = (
        f"Density {_direction(dc['change'], ' percentage points', 1, 100, 0.0005)}"
        f" (from {format_measure(dc['density_before'], 'pct')} to {format_measure(dc['density_after'], 'pct')})"
    )
    if not math.isnan(dc["ci_low"]):
        if dc["ci_low"] > 0 or dc["ci_high"] < 0:
            density_sentence += "; a resampling check suggests this change is unlikely to be chance."
        else:
            density_sentence += "; a resampling check cannot rule out that this is chance."
    else:
        density_sentence += "."
    parts.append(density_sentence)
    before, after = s["before"], s["after"]
    if not (rests_on_too_few(before, "trust_n", threshold) or rests_on_too_few(after, "trust_n", threshold)):
        trend = _direction(s.loc["mean_trust", "change"], " points on the 1-4 scale")
        parts.append(f"Average trust across ties {trend}.")
    tc = c.trust_change
    if tc["n"] >= max(2, threshold):
        significant = not math.isnan(tc["p_value"]) and tc["p_value"] < 0.05
        parts.append(
            f"On the {tc['n']} ties kept and rated in both phases, trust "
            f"{_direction(tc['mean_change'], ' points')} on average ({tc['rose']} rose, {tc['fell']} fell); "
            + ("a change this consistent is unlikely to be chance." if significant
               else "this could be chance.")
        )
    gap_before, gap_after = s.loc["trust_gap", "before"], s.loc["trust_gap", "after"]
    gap_n = ("trust_n_council_to_vcse", "trust_n_vcse_to_council")
    if not (math.isnan(gap_before) or math.isnan(gap_after)
            or rests_on_too_few(before, gap_n, threshold) or rests_on_too_few(after, gap_n, threshold)):
        diff = abs(gap_after) - abs(gap_before)
        if abs(diff) < 0.05:
            trend = "stayed about the same"
        else:
            trend = "narrowed" if diff < 0 else "widened"
        parts.append(
            f"The gap between how councils and VCSE organisations rate each other's trustworthiness {trend} "
            f"(from {abs(gap_before):.2f} to {abs(gap_after):.2f} points)."
        )
    if not math.isnan(c.qap.r):
        parts.append(
            f"The two networks correlate at {c.qap.r:.2f} (1 would be the same network), "
            + ("more than chance would give." if c.qap.p_value < 0.05 else "no more than chance would give.")
        )
    return " ".join(parts)


def change_table(current: pd.Series, previous: PhaseComparison | None = None,
                 baseline: PhaseComparison | None = None, threshold: int = 1) -> pd.DataFrame:
    """Headline measures now, in the previous phase and at the baseline, with the changes.

    ``current`` is :func:`analysis.networks.network_summary` of this phase; ``previous``
    and ``baseline`` are :func:`compare_phases` results ending in this phase (None when
    there is no such earlier phase: those columns are then left out). A mean resting on
    fewer than ``threshold`` ratings shows "fewer than N ratings" (N the threshold), and so does any change that
    involves it.

    Returns
    -------
    pandas.DataFrame
        ``Measure``, then for each comparison given the earlier phase's value and the
        change, then this phase's value; columns named with the phases' labels.
    """
    previous = previous if isinstance(previous, PhaseComparison) else None
    baseline = baseline if isinstance(baseline, PhaseComparison) else None
    rows = []
    for key, label, kind, n_key in MEASURES:
        row = {"Measure": label}
        for comparison in (baseline, previous):
            if comparison is None:
                continue
            before = comparison.summary["before"]
            row[comparison.label_before] = measure_value(before, key, threshold)
            hidden = rests_on_too_few(before, n_key, threshold) or rests_on_too_few(current, n_key, threshold)
            change = current.get(key) - before.get(key)
            row[f"Change since {comparison.label_before}"] = (
                f"fewer than {threshold} ratings" if hidden else format_measure(change, kind, change=True)
            )
        row["This phase"] = measure_value(current, key, threshold)
        rows.append(row)
    table = pd.DataFrame(rows)
    # earlier phases first (baseline, previous), then the changes, then this phase
    order = ["Measure"]
    for comparison in (baseline, previous):
        if comparison is not None and comparison.label_before not in order:
            order.append(comparison.label_before)
    order.append("This phase")
    order += [c for c in table.columns if c.startswith("Change since")]
    return table.loc[:, list(dict.fromkeys(order))]


def change_sections(previous: PhaseComparison | None, baseline: PhaseComparison | None,
                    phase_label: str, threshold: int = 1) -> list[tuple[str, str]]:
    """Headings and plain-English paragraphs on change from the previous phase and the baseline.

    Says once, plainly, when this is the first phase (no comparison at all), and does not
    repeat itself when the previous phase is the baseline. Plain text: escape to render.

    Examples
    --------
    >>> change_sections(None, None, "Baseline")
    [('Change', 'Baseline is the first phase of the study, so there is no earlier phase to compare with.')]
    """
    if previous is None and baseline is None:
        return [("Change", describe_change(None, phase_label))]
    sections = []
    if isinstance(previous, Absent):
        sections.append(("Since the previous phase", previous.reason))
    elif previous is not None:
        sections.append((f"Since the previous phase ({previous.label_before})",
                         describe_change(previous, threshold=threshold)))
    if isinstance(baseline, Absent):
        sections.append(("Since the baseline", baseline.reason))
    elif baseline is not None:
        if isinstance(previous, PhaseComparison) and baseline.phase_before == previous.phase_before:
            sections.append(("Since the baseline",
                             f"The previous phase, {previous.label_before}, is the baseline: see above."))
        else:
            sections.append((f"Since the baseline ({baseline.label_before})",
                             describe_change(baseline, threshold=threshold)))
    return sections
