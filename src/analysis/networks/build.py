"""A place's trust network in one phase, built from the study's relationships table."""

from __future__ import annotations

import networkx as nx

from analysis.schema import TRUST_COLUMNS, VALUE_COLUMNS
from analysis.values import as_float, as_text

__all__ = ["trust_network", "respondents"]

_RATINGS = TRUST_COLUMNS + VALUE_COLUMNS


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

    Notes
    -----
    A page asks for the same network many times (its measures, figures, disclosure plan and
    comparisons with earlier phases), and a place's three pages of a phase ask for the same
    ones. It is built once per study content, place, phase and code version and kept in the
    process's memory (:func:`analysis.cache.cached`, never on disk: it holds names); each
    call returns its own copy (``DiGraph.copy``), so a caller that changes it changes no other.

    References
    ----------
    Varda, D. M., Chandra, A., Stern, S. A. and Lurie, N. (2008). Core dimensions of
    connectivity in public health collaboratives. J. Public Health Management and
    Practice 14(5): E1-E7 (the PARTNER tool's trust and value scores).
    """
    from analysis.cache import cached

    return cached(study, "trust_network", lambda: _trust_network(study, place, phase),
                  parts=(str(place), str(phase)), disk=False, copy_with=nx.DiGraph.copy)


def _trust_network(study, place: str, phase: str) -> nx.DiGraph:
    """:func:`trust_network`, built from the tables."""
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
            name=as_text(row.name) or org,
            sector=as_text(row.sector),
            sector_group=as_text(row.sector_group),
            size=as_text(row.size),
            responded=org in answered,
        )
    rel = _ratings_by_place(study).get(place)  # only this place's ratings: a national study has hundreds
    if rel is None:
        rel = study.relationships.iloc[:0]
    rel = rel.loc[(rel["phase_id"] == phase) & (rel["level"].fillna(0).astype(int) >= min_level)]
    for row in rel.to_dict("records"):
        u, v = str(row["org_id"]), str(row["partner_id"])
        if u not in G or v not in G or u == v:
            continue
        attrs = {c: as_float(row.get(c)) for c in _RATINGS}
        G.add_edge(
            u, v,
            level=int(row["level"]),
            trust=as_float(row.get("trust")),
            value=as_float(row.get("value")),
            frequency=as_text(row.get("frequency")),
            **attrs,
        )
    return G


def _ratings_by_place(study) -> dict:
    """The study's ratings between two organisations of the same place, split by that place (file order
    kept), worked out once per study content and code version and kept in memory (they hold names)."""
    from analysis.cache import cached

    def split():
        rel = study.relationships
        place_of = dict(zip(study.organisations["org_id"].astype(str), study.organisations["place_id"].astype(str),
                            strict=True))
        rater = rel["org_id"].astype(str).map(place_of)
        rated = rel["partner_id"].astype(str).map(place_of)
        same = rel.loc[rater.notna() & (rater == rated)]
        return {str(place): rows for place, rows in same.groupby(rater[same.index], sort=False)}

    return cached(study, "ratings_by_place", split, disk=False, copy_with=lambda found: found)

