"""What pages say about one network: plain-English sentences and tables of its measures and brokers."""

from __future__ import annotations

import math

import networkx as nx  # noqa: F401 -- the doctests build graphs
import pandas as pd

from analysis.absence import count_noun
from analysis.networks.measures import brokers, network_summary  # noqa: F401 -- the doctests summarise graphs
from analysis.networks.sectors import (
    BROKERAGE_ROLES,
    PermutationTest,
    brokerage_roles,  # noqa: F401 -- the doctests count roles
)

__all__ = [
    "describe_network",
    "describe_ei_test",
    "MEASURES",
    "measure_value",
    "measures_table",
    "brokers_table",
    "describe_method",
    "format_measure",
    "rests_on_too_few",
]


def _score(x: float) -> str:
    return "not available" if x is None or math.isnan(x) else f"{x:.2f} out of 4"


def describe_network(summary: pd.Series, place_name: str = "this place", phase_label: str = "this phase",
                     threshold: int = 1) -> str:
    """Plain-English sentences stating a network's headline measures (plain text; escape to render).

    Means resting on fewer than ``threshold`` ratings are not stated (disclosure control).

    Examples
    --------
    >>> s = network_summary(nx.DiGraph([(1, 2), (2, 1), (2, 3)]))
    >>> describe_network(s, "Testville", "Baseline").split(".")[0]
    'In Testville (Baseline), 3 organisations reported 3 working ties between them'
    """
    n, m = int(summary["organisations"]), int(summary["ties"])
    parts = [
        f"In {place_name} ({phase_label}), {count_noun(n, 'organisation')} reported "
        f"{count_noun(m, 'working tie')} between them"
        + (f" ({int(summary['respondents'])} of the {n} answered the survey)."
           if int(summary["respondents"]) < n else "."),
    ]
    if not pd.isna(summary["density"]):
        parts.append(f"That is {format_measure(summary['density'], 'pct')} of all the ties there could be "
                     "(the network's density).")
    if m and not math.isnan(summary["reciprocity"]):
        returned = format_measure(summary["reciprocity"], "pct")
        parts.append(f"{returned} of ties were returned: both organisations named each other.")
    if not math.isnan(summary["mean_trust"]) and not rests_on_too_few(summary, "trust_n", threshold):
        parts.append(
            f"On average partners rated each other's trustworthiness {_score(summary['mean_trust'])} "
            f"({summary['mean_trust_pct']:.0f}% of the maximum) and their value {_score(summary['mean_value'])}."
        )
    if not math.isnan(summary["cross_sector_share"]):
        across = format_measure(summary["cross_sector_share"], "pct")
        parts.append(f"{across} of ties linked a public body with a VCSE organisation.")
    if not math.isnan(summary["trust_gap"]) and not rests_on_too_few(
            summary, ("trust_n_council_to_vcse", "trust_n_vcse_to_council"), threshold):
        gap = summary["trust_gap"]
        if abs(gap) < 0.05:
            parts.append("Councils and VCSE organisations rated each other's trustworthiness about the same.")
        else:
            higher = "councils rated VCSE organisations" if gap > 0 else "VCSE organisations rated councils"
            who = higher[0].upper() + higher[1:]
            parts.append(f"{who} higher on trust, by {abs(gap):.2f} points on the 1-4 scale.")
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


def format_measure(value: float, kind: str, change: bool = False) -> str:
    """A measure's value as pages show it: ``kind`` is "pct", "count", "score" or "index".

    Examples
    --------
    >>> format_measure(0.125, "pct"), format_measure(0.01, "pct", change=True), format_measure(3, "count")
    ('12%', '+1 point', '3')
    """
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


def rests_on_too_few(summary: pd.Series, n_key, threshold: int) -> bool:
    """Whether a mean rests on fewer than ``threshold`` ratings (its count, or any of its counts, is under it)."""
    if n_key is None or threshold <= 1:
        return False
    keys = (n_key,) if isinstance(n_key, str) else n_key
    return any(pd.isna(summary.get(key)) or summary.get(key) < threshold for key in keys)


def measure_value(summary: pd.Series | None, key: str, threshold: int = 1) -> str:
    """One headline measure as a page shows it, or why it is not shown.

    Means resting on fewer than ``threshold`` ratings say "fewer than N ratings", N the threshold (disclosure
    control; pass ``analysis.disclosure.disclosure_threshold(study)``).

    Examples
    --------
    >>> measure_value(pd.Series({"density": 0.125}), "density")
    '12%'
    >>> measure_value(pd.Series({"mean_trust": 3.0, "trust_n": 2}), "mean_trust", threshold=5)
    'fewer than 5 ratings'
    """
    if summary is None:
        return ""
    for m_key, _, kind, n_key in MEASURES:
        if m_key == key:
            if rests_on_too_few(summary, n_key, threshold):
                return f"fewer than {threshold} ratings"
            return format_measure(summary.get(key), kind)
    raise KeyError(f"no measure {key!r}")


def measures_table(summary: pd.Series, threshold: int = 1) -> pd.DataFrame:
    """The headline measures of :func:`network_summary` as a two-column table for readers.

    Examples
    --------
    >>> t = measures_table(network_summary(nx.DiGraph([(1, 2), (2, 1), (2, 3)])))
    >>> t.iloc[3].tolist()
    ['Density: share of all possible ties that exist', '50%']
    """
    return pd.DataFrame(
        [(label, measure_value(summary, key, threshold)) for key, label, _, _ in MEASURES],
        columns=["Measure", "Value"],
    )


def brokers_table(top: pd.DataFrame, roles: pd.DataFrame | None = None) -> pd.DataFrame:
    """Brokers (from :func:`brokers`) with their sector and brokerage role counts, for readers.

    Examples
    --------
    >>> G = nx.DiGraph([("a", "b"), ("b", "c")])
    >>> nx.set_node_attributes(G, {"a": "council", "b": "vcse", "c": "health"}, "sector_group")
    >>> t = brokers_table(brokers(G, top=1), brokerage_roles(G))
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


def describe_method(G, threshold: int = 1) -> str:
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
            + ("No organisation of this place answered the network survey in this phase." if answered == 0 else
               f"{answered} of the {count_noun(n, 'organisation')} answered the survey in this phase; ties that "
               "the others would have named are missing, so their own connections are undercounted."
               if answered < n else f"All {count_noun(n, 'organisation')} answered the survey in this phase."))
    if threshold > 1:
        text += f" Averages resting on fewer than {threshold} ratings are not shown on this page."
    return text
