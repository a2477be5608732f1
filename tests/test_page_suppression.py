"""Suppression decided for a whole page: the subtraction attacks on small hand-built networks must fail."""

from __future__ import annotations

import itertools
import re

import matplotlib
import networkx as nx
import pandas as pd
import pytest

from analysis.disclosure import page_plan
from analysis.networks import figures as network_figures
from analysis.networks.change import change_table, compare_phases
from analysis.networks.measures import network_summary
from analysis.networks.plan import trust_cells
from analysis.networks.text import measures_table
from analysis.study import study_from_tables
from analysis.suppression import Cell, plan_cells, recoverable

matplotlib.use("Agg")
K = 5


def _network(ratings, groups) -> nx.DiGraph:
    G = nx.DiGraph(phase="p")
    for node, group in groups.items():
        G.add_node(node, name=node, sector_group=group, responded=True)
    for u, v, t in ratings:
        G.add_edge(u, v, trust=float(t))
    return G


# Councils C1, C2 and VCSE V1-V3 rate each other (6 ratings each way); a health body H1 rates
# two VCSE organisations (2 ratings: 4 and 1, mean 2.5, below the threshold of 5).
GROUPS = {"C1": "council", "C2": "council", "V1": "vcse", "V2": "vcse", "V3": "vcse", "H1": "health"}
RATINGS = ([(c, v, 3) for c in ("C1", "C2") for v in ("V1", "V2", "V3")]
           + [(v, c, 2) for c in ("C1", "C2") for v in ("V1", "V2", "V3")]
           + [("H1", "V1", 4), ("H1", "V2", 1)])


def test_the_attack_of_the_issue_works_on_figure_by_figure_suppression():
    """Worked by hand: 14 ratings, mean (18 + 12 + 5) / 14 = 2.5; council->VCSE 3.0 on 6, VCSE->council
    2.0 on 6; so the hidden health->VCSE mean is (14 * 2.5 - 6 * 3.0 - 6 * 2.0) / 2 = 2.5."""
    s = network_summary(_network(RATINGS, GROUPS))
    assert (s["ties"], s["trust_n"], s["mean_trust"]) == (14, 14, 2.5)
    assert (s["trust_council_to_vcse"], s["trust_vcse_to_council"]) == (3.0, 2.0)
    recovered = (s["trust_n"] * s["mean_trust"] - 6 * s["trust_council_to_vcse"] - 6 * s["trust_vcse_to_council"]) / 2
    assert recovered == 2.5
    # what the page did before: the heatmap hid one more cell, but the headline table printed it
    cells = trust_cells(_network(RATINGS, GROUPS), "p")
    figure_by_figure = {("sector", "health", "vcse"), ("sector", "council", "vcse")} | {
        c.key for c in cells if c.key[0] == "organisation"}
    assert recoverable(cells, figure_by_figure, ("sector", "health", "vcse"))


def test_the_page_plan_leaves_no_hidden_cell_recoverable():
    G = _network(RATINGS, GROUPS)
    cells = trust_cells(G, "p")
    plan = plan_cells(cells, K)
    hidden = plan.primary | plan.secondary
    assert ("sector", "health", "vcse") in plan.primary
    assert plan.secondary  # something more had to go
    for key in hidden:
        assert not recoverable(cells, hidden, key), key
    # the headline mean from councils to VCSE is the heatmap's cell: hidden in both or neither
    assert (("headline", "trust_council_to_vcse") in hidden) == (("sector", "council", "vcse") in hidden)
    assert (("headline", "trust_vcse_to_council") in hidden) == (("sector", "vcse", "council") in hidden)


def test_total_minus_the_shown_part():
    """One VCSE organisation V rated by five councils (3 each) and two health bodies (4 and 2): its
    trust received, 21 / 7 = 3.0 on 7 ratings, minus the council cell, 15 on 5, leaves health's 6 / 2 = 3.0."""
    groups = {f"C{i}": "council" for i in range(5)} | {"H0": "health", "H1": "health", "V": "vcse"}
    ratings = [(f"C{i}", "V", 3) for i in range(5)] + [("H0", "V", 4), ("H1", "V", 2)]
    cells = trust_cells(_network(ratings, groups), "p")
    assert recoverable(cells, {("sector", "health", "vcse")}, ("sector", "health", "vcse"))
    plan = plan_cells(cells, K)
    hidden = plan.primary | plan.secondary
    assert plan.primary == {("sector", "health", "vcse")}
    for key in hidden:
        assert not recoverable(cells, hidden, key), key
    # the organisation's mean and the network's mean are the same 7 ratings: neither may stay beside the cell
    shown = {c.key for c in cells} - hidden
    assert not ({("organisation", "V"), ("headline", "mean_trust")} <= shown and ("sector", "council", "vcse") in shown)


def test_every_hidden_cell_stays_hidden_on_random_small_networks():
    import random

    rng = random.Random(7)
    for _ in range(25):
        nodes = {f"n{i}": rng.choice(["council", "vcse", "health", "funder"]) for i in range(7)}
        ratings = [(u, v, rng.randint(1, 4)) for u, v in itertools.permutations(nodes, 2) if rng.random() < 0.45]
        cells = trust_cells(_network(ratings, nodes), "p")
        plan = plan_cells(cells, K)
        hidden = plan.primary | plan.secondary
        for key in hidden:
            assert not recoverable(cells, hidden, key), (ratings, key)


def test_forced_cells_of_another_page_are_hidden_and_protected():
    """Mean of the earlier phase hidden on its own page; this page shows the earlier mean and a later one
    over the same ratings plus one more: the earlier one must not come back from the difference."""
    cells = [Cell(("before",), 6, {i: 1 / 6 for i in range(6)}, 3),
             Cell(("both",), 7, {i: 1 / 7 for i in range(7)}, 3),
             Cell(("one",), 1, {6: 1.0}, 1)]
    plan = plan_cells(cells, 1, forced=[("before",)])
    hidden = plan.primary | plan.secondary
    assert ("before",) in plan.primary and len(hidden) >= 2
    assert not recoverable(cells, hidden, ("before",))


# ---------------------------------------------------------------------------------------------
# What the page draws follows the plan


def _texts(fig) -> list[str]:
    return [t.get_text() for ax in fig.axes for t in ax.texts]


def test_heatmap_and_headline_table_agree_with_the_plan():
    from analysis.networks.plan import TrustPagePlan

    G = _network(RATINGS, GROUPS)
    plan = TrustPagePlan("x", "p", K, plan_cells(trust_cells(G, "p"), K))
    fig = network_figures.trust_heatmap(G, threshold=K, plan=plan)
    texts = _texts(fig)
    shown_values = [t for t in texts if re.match(r"^\d\.\d\nn=\d+$", t)]
    hidden_cells = [t for t in texts if t.startswith(("fewer than", "not shown"))]
    assert len(hidden_cells) == len([k for k in plan.plan.primary | plan.plan.secondary if k[0] == "sector"])
    assert "2.5\nn=2" not in texts and len(shown_values) + len(hidden_cells) == 3
    table = measures_table(plan.summary(network_summary(G)), threshold=K).set_index("Measure")["Value"]
    council_to_vcse = table["Trust councils give VCSE organisations (1 to 4)"]
    cell_shown = "3.0\nn=6" in texts
    assert (council_to_vcse == "3.00") == cell_shown
    # with what is shown, the attack has two unknowns left
    mean_trust = table["Average trust between partners (1 to 4)"]
    page_numbers = {("headline", "mean_trust"): mean_trust != "fewer than 5 ratings",
                    ("headline", "trust_council_to_vcse"): council_to_vcse != "fewer than 5 ratings"}
    assert not (all(page_numbers.values()) and "2.0\nn=6" in texts)


def _study(before_ratings, after_ratings):
    orgs = pd.DataFrame({"org_id": list(GROUPS), "name": [f"Org {o}" for o in GROUPS], "place_id": "x",
                         "sector": [{"council": "local_authority", "vcse": "vcse", "health": "health"}[g]
                                    for g in GROUPS.values()]})
    rel = pd.DataFrame(
        [("p1", u, v, 3, t, t, t) for u, v, t in before_ratings]
        + [("p2", u, v, 3, t, t, t) for u, v, t in after_ratings],
        columns=["phase_id", "org_id", "partner_id", "level", "reliability", "mission", "openness"])
    return study_from_tables({
        "places": pd.DataFrame({"place_id": ["x"], "name": ["X"]}),
        "phases": pd.DataFrame({"phase_id": ["p1", "p2"], "label": ["One", "Two"],
                                "start_date": ["2020-01-01", "2020-07-01"], "end_date": ["2020-06-30", "2020-12-31"]}),
        "organisations": orgs, "relationships": rel,
    }, settings={"disclosure_threshold": K}, name="plan-test")


@pytest.mark.parametrize("before_n", [3])
def test_two_phases_difference_does_not_give_back_a_hidden_mean(before_n):
    """Phase one: 3 ratings of 3 (mean 3.0, hidden: fewer than 5). Phase two: those 3 again at 3 and
    three more at 1 (mean 2.0 on 6, shown). A shown change of -1.0 would give phase one back as 2.0 + 1.0."""
    before = [("C1", "V1", 3), ("C1", "V2", 3), ("C1", "V3", 3)][:before_n]
    after = before + [("C2", "V1", 1), ("C2", "V2", 1), ("C2", "V3", 1)]
    s = _study(before, after)
    plan = page_plan(s, "x", "p2", threshold=K)
    assert plan.headline_hidden("mean_trust", "p1") and not plan.headline_hidden("mean_trust")
    comparison = plan.comparison(compare_phases(s, "x", "p1", "p2", seed=1))
    summary = comparison.summary["after"]
    table = change_table(summary, comparison, None, threshold=K).set_index("Measure")
    row = table.loc["Average trust between partners (1 to 4)"]
    assert row["This phase"] == "2.00"
    assert row["One"] == "fewer than 5 ratings" and row["Change since One"] == "fewer than 5 ratings"
