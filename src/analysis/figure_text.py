"""Sentences for figures' alt text that say what the data in a figure shows, not only what it is."""

from __future__ import annotations

from analysis.schema import SECTOR_GROUP_LABELS

__all__ = ["network_map_finding", "scorecard_finding"]


def _sector(G, v) -> str:
    group = G.nodes[v].get("sector_group")
    return SECTOR_GROUP_LABELS.get(group, str(group)) if group else "sector not recorded"


def _name(G, v) -> str:
    return str(G.nodes[v].get("name", v))


def network_map_finding(G, top: int = 3) -> str:
    """Who sits at the centre of a trust network map, in one sentence for its alt text.

    The centre is read as a reader of the map sees it: the organisations that the most
    partners named (in-degree, which also sets the dots' size on the map). Names are the
    graph's ``name`` attributes, so a graph built from a study passed through
    :func:`analysis.disclosure.for_audience` gives pseudonyms on stakeholder pages.
    The sentence is plain text: escape it where it is rendered (:func:`analysis.style.show_figure` does).

    Parameters
    ----------
    G : networkx.DiGraph
        A trust network (:func:`analysis.networks.trust_network`): nodes with ``name`` and
        ``sector_group``; an edge from the organisation that named a partner to the partner.
    top : int
        How many organisations to name after the first.

    Returns
    -------
    str

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.DiGraph()
    >>> G.add_nodes_from([("c", {"name": "Coventry City Council", "sector_group": "council"}),
    ...                   ("v1", {"name": "VCSE 01", "sector_group": "vcse"}),
    ...                   ("v2", {"name": "VCSE 02", "sector_group": "vcse"}),
    ...                   ("h", {"name": "Health 01", "sector_group": "health"})])
    >>> G.add_edges_from([("v1", "c"), ("v2", "c"), ("h", "c"), ("c", "v1"), ("v2", "v1")])
    >>> print(network_map_finding(G))  # doctest: +NORMALIZE_WHITESPACE
    Coventry City Council (Council) sits at the centre, named as a partner by 3 of the other 3 organisations;
    next come VCSE 01 (VCSE, named by 2).
    >>> network_map_finding(nx.DiGraph())
    'The map has no organisations.'
    """
    n = G.number_of_nodes()
    if n == 0:
        return "The map has no organisations."
    if G.number_of_edges() == 0:
        return "No organisation named a partner, so no one sits at the centre."
    ranked = sorted(G.nodes, key=lambda v: (-G.in_degree(v), _name(G, v)))
    first = ranked[0]
    k = G.in_degree(first)
    tied = [v for v in ranked if G.in_degree(v) == k]
    if len(tied) > 1:
        names = ", ".join(f"{_name(G, v)} ({_sector(G, v)})" for v in tied[:top + 1])
        more = f" and {len(tied) - top - 1} more" if len(tied) > top + 1 else ""
        return (f"{len(tied)} organisations share the centre, each named as a partner by {k} of the other "
                f"{n - 1}: {names}{more}.")
    sentence = (f"{_name(G, first)} ({_sector(G, first)}) sits at the centre, named as a partner by {k} of the "
                f"other {n - 1} organisation{'' if n == 2 else 's'}")
    following = [v for v in ranked[1:top + 1] if G.in_degree(v) > 0]
    if following:
        items = [f"{_name(G, v)} ({_sector(G, v)}, named by {G.in_degree(v)})" for v in following]
        sentence += "; next come " + (", ".join(items[:-1]) + " and " + items[-1] if len(items) > 1 else items[0])
    return sentence + "."


def scorecard_finding(study, phase: str, *, table=None) -> str:
    """How many of each place's scorecard indicators changed for the better or the worse, in one
    sentence for the scorecard heatmap's alt text (:func:`analysis.shift_figures.scorecard_heatmap`).

    A change is better or worse by the indicator's own direction (a fall in days to award is
    better), as the heatmap colours it; suppressed values and indicators that cannot be
    measured in both phases count as neither.

    Parameters
    ----------
    study : Study
    phase : str
    table : pandas.DataFrame, optional
        A precomputed :func:`analysis.shifts.indicator_table`.

    Returns
    -------
    str
        Empty for the first phase, which has no change (the heatmap's own description says so).
    """
    from analysis.shifts import text as shift_text

    previous = study.previous_phase(phase)
    if not previous:
        return ""
    card = shift_text.scorecard(study, phase, table=table)
    parts = []
    for place in study.place_ids:
        rows = card[(card["place_id"] == place) & ~card["suppressed"].astype(bool)]
        better = int((rows["improvement"] > 0).sum())
        worse = int((rows["improvement"] < 0).sum())
        parts.append(f"{study.place_name(place)} improved on {better} and worsened on {worse}")
    n = card["indicator"].nunique()
    return f"Since {study.phase_label(previous)}, of {n} indicators: " + "; ".join(parts) + "."
