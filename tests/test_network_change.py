"""Change between two phases: ties, paired trust change, QAP and the density bootstrap."""

from __future__ import annotations

import math

import networkx as nx
import pytest

from analysis import study_from_tables
from analysis.networks.change import (
    change_sections,
    change_table,
    compare_phases,
    density_change_bootstrap,
    describe_change,
    jaccard,
    qap_correlation,
    ties_formed,
    ties_kept,
    ties_lost,
    trust_change_on_kept_ties,
)
from tests.helpers import tiny_tables


def test_ties_formed_kept_lost_and_jaccard_by_hand():
    before = nx.DiGraph([(1, 2), (3, 1)])
    after = nx.DiGraph([(1, 2), (2, 3)])
    assert ties_formed(before, after) == {(2, 3)}
    assert ties_kept(before, after) == {(1, 2)}
    assert ties_lost(before, after) == {(3, 1)}
    assert jaccard(before, after) == pytest.approx(1 / 3)  # 1 kept of 3 seen
    assert math.isnan(jaccard(nx.DiGraph(), nx.DiGraph()))
    # direction matters: 2 -> 1 is not 1 -> 2
    assert ties_kept(nx.DiGraph([(1, 2)]), nx.DiGraph([(2, 1)])) == set()


def test_trust_change_on_kept_ties_by_hand():
    # changes +1, +0.5, +2, +0.25: all positive, distinct; the exact two-sided Wilcoxon
    # p-value for n = 4 with W- = 0 is 2 / 2^4 = 0.125
    before = nx.DiGraph()
    after = nx.DiGraph()
    for (u, v), x, y in zip([(1, 2), (2, 3), (3, 4), (4, 1)], [2, 3, 1, 2], [3, 3.5, 3, 2.25], strict=False):
        before.add_edge(u, v, trust=float(x))
        after.add_edge(u, v, trust=float(y))
    after.add_edge(1, 3, trust=1.0)  # formed, not kept: left out
    result = trust_change_on_kept_ties(before, after)
    assert result["n"] == 4
    assert result["mean_change"] == pytest.approx((1 + 0.5 + 2 + 0.25) / 4)
    assert (result["rose"], result["fell"], result["unchanged"]) == (4, 0, 0)
    assert result["statistic"] == 0.0
    assert result["p_value"] == pytest.approx(0.125)


def test_trust_change_guards():
    one_before, one_after = nx.DiGraph([(1, 2, {"trust": 2.0})]), nx.DiGraph([(1, 2, {"trust": 3.0})])
    single = trust_change_on_kept_ties(one_before, one_after)
    assert single["n"] == 1 and math.isnan(single["p_value"])
    same = nx.DiGraph([(1, 2, {"trust": 2.0}), (2, 3, {"trust": 3.0})])
    assert trust_change_on_kept_ties(same, same.copy())["p_value"] == 1.0
    missing = nx.DiGraph([(1, 2, {"trust": float("nan")})])
    assert trust_change_on_kept_ties(missing, one_after)["n"] == 0


def test_qap_of_a_network_with_itself():
    G = nx.gnp_random_graph(15, 0.25, seed=3, directed=True)
    result = qap_correlation(G, G, permutations=499, seed=1)
    assert result.r == pytest.approx(1.0)
    assert result.p_value <= 0.01
    assert result.nodes == 15


def test_qap_of_a_network_with_its_complement_is_minus_one():
    G = nx.gnp_random_graph(10, 0.4, seed=2, directed=True)
    H = nx.complement(G)  # every off-diagonal cell flipped
    assert qap_correlation(G, H, permutations=99, seed=1).r == pytest.approx(-1.0)


def test_qap_correlation_by_hand():
    # 3 nodes, 6 off-diagonal cells. X has one tie (0->1); Y has two (0->1, 1->2).
    # mean x = 1/6, mean y = 2/6, E[xy] = 1/6; cov = 1/6 - 2/36 = 4/36;
    # var x = 1/6 - 1/36 = 5/36, var y = 2/6 - 4/36 = 8/36; r = 4 / sqrt(40)
    X = nx.DiGraph([(0, 1)])
    X.add_node(2)
    Y = nx.DiGraph([(0, 1), (1, 2)])
    assert qap_correlation(X, Y, permutations=50, seed=1).r == pytest.approx(4 / math.sqrt(40))


def test_qap_uses_the_union_of_nodes_and_is_seeded():
    G1 = nx.DiGraph([(1, 2), (2, 3), (3, 1)])
    G2 = nx.DiGraph([(1, 2), (2, 3), (3, 4)])  # node 4 only in the second phase
    a = qap_correlation(G1, G2, permutations=200, seed=5)
    assert a.nodes == 4
    assert a == qap_correlation(G1, G2, permutations=200, seed=5)


def test_qap_guards():
    empty = nx.DiGraph()
    empty.add_nodes_from(range(5))
    result = qap_correlation(empty, nx.gnp_random_graph(5, 0.5, seed=1, directed=True), permutations=10)
    assert math.isnan(result.r)
    with pytest.raises(ValueError, match="three nodes"):
        qap_correlation(nx.DiGraph([(1, 2)]), nx.DiGraph([(1, 2)]))
    with pytest.raises(ValueError):
        qap_correlation(nx.DiGraph([(1, 2), (2, 3)]), nx.DiGraph([(1, 2), (2, 3)]), permutations=0)


def test_density_bootstrap_identical_networks_change_nothing():
    G = nx.gnp_random_graph(20, 0.2, seed=1, directed=True)
    result = density_change_bootstrap(G, G.copy(), n_boot=200, seed=1)
    assert result["change"] == 0 and result["ci_low"] == 0 and result["ci_high"] == 0
    assert result["density_before"] == pytest.approx(nx.density(G))


def test_density_bootstrap_finds_a_large_rise_and_is_seeded():
    before = nx.gnp_random_graph(40, 0.05, seed=1, directed=True)
    after = nx.gnp_random_graph(40, 0.30, seed=2, directed=True)
    result = density_change_bootstrap(before, after, n_boot=500, seed=3)
    assert result["change"] == pytest.approx(nx.density(after) - nx.density(before))
    assert 0 < result["ci_low"] < result["change"] < result["ci_high"]
    assert result == density_change_bootstrap(before, after, n_boot=500, seed=3)


def test_compare_phases_on_the_tiny_study():
    s = study_from_tables(tiny_tables())
    c = compare_phases(s, "north", "before", "during", seed=1, permutations=50, n_boot=50)
    # before: council -> food bank (level 2); during: the same tie at level 3
    assert (c.ties_formed, c.ties_kept, c.ties_lost) == (0, 1, 0)
    assert c.jaccard == 1.0
    assert c.trust_change["mean_change"] == pytest.approx(1.0)  # 3 -> 4
    assert c.label_before == "Before" and c.place_name == "Northtown"
    assert c.summary.loc["ties", "change"] == 0
    assert "ties_formed" in c.headline()
    text = describe_change(c)
    assert text.startswith("Between Before and During, 0 ties were formed, 1 kept and 0 lost")
    table = change_table(c.summary["after"], c, None, threshold=5)
    assert list(table.columns) == ["Measure", "Before", "This phase", "Change since Before"]
    trust_row = table[table["Measure"].str.startswith("Average trust")].iloc[0]
    assert trust_row["Change since Before"] == "fewer than 5 ratings"


def test_describe_change_of_the_first_phase():
    assert describe_change(None, "Baseline") == (
        "Baseline is the first phase of the study, so there is no earlier phase to compare with.")


def test_example_coventry_gap_narrows_then_widens_in_words(example):
    narrow = compare_phases(example, "coventry", "baseline", "emergency", seed=1, permutations=99, n_boot=99)
    widen = compare_phases(example, "coventry", "emergency", "final", seed=1, permutations=99, n_boot=99)
    assert "trustworthiness narrowed" in describe_change(narrow, threshold=5)
    assert "trustworthiness widened" in describe_change(widen, threshold=5)
    # density rose, and the resampling interval says so
    assert narrow.density_change["ci_low"] > 0
    # the same organisations work together across phases: the networks correlate
    assert narrow.qap.r > 0 and narrow.qap.p_value < 0.05


def test_change_sections_do_not_repeat_the_baseline():
    s = study_from_tables(tiny_tables())
    c = compare_phases(s, "north", "before", "during", seed=1, permutations=20, n_boot=20)
    sections = change_sections(c, c, "During")
    assert [h for h, _ in sections] == ["Since the previous phase (Before)", "Since the baseline"]
    assert sections[1][1] == "The previous phase, Before, is the baseline: see above."
    assert change_sections(None, None, "Before") == [
        ("Change", "Before is the first phase of the study, so there is no earlier phase to compare with.")]


def test_trust_change_is_the_same_number_in_every_process():
    """The paired change is summed in one order, so its last digits do not follow Python's hash seed."""
    import subprocess
    import sys

    code = (
        "import networkx as nx\n"
        "from analysis.networks.change import trust_change_on_kept_ties\n"
        "ties = [(f'o{i}', f'o{j}') for i in range(12) for j in range(12) if i != j]\n"
        "g1, g2 = nx.DiGraph(), nx.DiGraph()\n"
        "for k, (u, v) in enumerate(ties):\n"
        "    g1.add_edge(u, v, trust=1 + (k * 0.7317) % 3)\n"
        "    g2.add_edge(u, v, trust=1 + (k * 0.3141) % 3)\n"
        "print(repr(trust_change_on_kept_ties(g1, g2)['mean_change']))\n"
    )
    runs = {subprocess.run([sys.executable, "-c", code], env={**__import__("os").environ, "PYTHONHASHSEED": seed},
                           capture_output=True, text=True, check=True).stdout for seed in ("1", "2", "3")}
    assert len(runs) == 1
