"""The fast change measures equal their definitions: the density bootstrap against a plain loop over the same
resamples, its resample counts against the multinomial they stand for, and QAP on ties in any order."""

from __future__ import annotations

import itertools

import networkx as nx
import numpy as np
import pytest

from analysis.networks.change import _resample_counts, density_change_bootstrap, qap_correlation

TOL = 1e-12


def resamples(n, n_boot, seed):
    """The resamples the bootstrap draws: each row the ``n`` positions of one resample (one generator)."""
    return np.random.default_rng(seed).integers(0, n, size=(n_boot, n), dtype=np.int64)


def resample_density(A, draws):
    """Density of one resample by its definition: ordered pairs of positions that drew two different organisations."""
    ties = pairs = 0
    for a, b in itertools.permutations(range(len(draws)), 2):
        if draws[a] != draws[b]:
            pairs += 1
            ties += A[draws[a], draws[b]]
    return ties / pairs if pairs else float("nan")


def test_resample_counts_are_the_draws_counted():
    counts = _resample_counts(7, 30, seed=4)
    assert counts.shape == (7, 30) and counts.dtype == np.int32
    for j, draws in enumerate(resamples(7, 30, 4)):
        assert counts[:, j].tolist() == np.bincount(draws, minlength=7).tolist()
    assert (counts.sum(axis=0) == 7).all()


def test_resample_counts_follow_the_multinomial():
    """Each count is Binomial(n, 1/n): mean 1, variance 1 - 1/n, and P(0) = (1 - 1/n)^n (0.366 for n = 50)."""
    n = 50
    counts = _resample_counts(n, 4000, seed=11).astype(float)
    assert counts.mean() == pytest.approx(1.0, abs=1e-12)  # every resample draws exactly n
    assert counts.var() == pytest.approx(1 - 1 / n, abs=0.02)
    assert (counts == 0).mean() == pytest.approx((1 - 1 / n) ** n, abs=0.01)


@pytest.mark.parametrize("seed", [1, 2])
def test_density_bootstrap_equals_a_plain_loop_over_the_same_resamples(seed):
    nodes = [f"org-{i}" for i in range(9)]
    before = nx.relabel_nodes(nx.gnm_random_graph(9, 20, seed=seed, directed=True), dict(enumerate(nodes)))
    after = nx.relabel_nodes(nx.gnm_random_graph(9, 30, seed=seed + 10, directed=True), dict(enumerate(nodes)))
    order = sorted(nodes, key=str)
    A1 = nx.to_numpy_array(before, nodelist=order, dtype=int)
    A2 = nx.to_numpy_array(after, nodelist=order, dtype=int)
    n_boot = 60
    result = density_change_bootstrap(before, after, n_boot=n_boot, seed=seed)
    diffs = np.array([resample_density(A2, d) - resample_density(A1, d) for d in resamples(9, n_boot, seed)])
    diffs = diffs[~np.isnan(diffs)]
    low, high = np.quantile(diffs, [0.025, 0.975])
    assert result["ci_low"] == pytest.approx(low, abs=TOL) and result["ci_high"] == pytest.approx(high, abs=TOL)
    assert result["change"] == pytest.approx(30 / 72 - 20 / 72, abs=TOL)


def test_qap_counts_ties_in_any_order():
    """The ties of the second network are taken by source inside; the order networkx keeps them in changes nothing."""
    G1 = nx.gnm_random_graph(30, 120, seed=3, directed=True)
    edges = list(nx.gnm_random_graph(30, 90, seed=4, directed=True).edges())
    G2 = nx.DiGraph()
    G2.add_nodes_from(range(30))
    G2.add_edges_from(edges)
    shuffled = nx.DiGraph()
    shuffled.add_nodes_from(reversed(range(30)))
    shuffled.add_edges_from(reversed(edges))
    assert qap_correlation(G1, G2, permutations=99, seed=2) == qap_correlation(G1, shuffled, permutations=99, seed=2)
