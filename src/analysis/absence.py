"""When a measure cannot be computed: the plain sentence that says what is missing and which table would fill it.

A study starts sparse (the councils only, then grants, then a survey), so every section of
every page must say plainly when it has nothing to show, instead of drawing empty axes or
printing 0 or NaN. The functions here decide absence once; pages, figures and the index
pages all ask them, so a page and its index entry never disagree.
"""

from __future__ import annotations

import dataclasses
import html

from analysis.look import inline_look

__all__ = [
    "Absent",
    "is_absent",
    "count_noun",
    "network_absent",
    "survey_absent",
    "evidence_absent",
    "grants_absent",
    "boards_absent",
    "PAGE_SOURCES",
    "page_absent",
]


@dataclasses.dataclass(frozen=True)
class Absent:
    """A measure, figure or section that cannot be shown, and the one sentence that says why.

    Displays in JupyterLab and in rendered pages as a quiet paragraph (escaped), in the
    pages' look (:func:`analysis.look.inline_look`): muted and in italics.

    Examples
    --------
    >>> a = Absent("No grants have been recorded for <Coventry>: add them to grants.csv.")
    >>> a.paragraph_html
    '<p class="cip-absent">No grants have been recorded for &lt;Coventry&gt;: add them to grants.csv.</p>'
    >>> a._repr_html_().startswith('<p class="cip-absent" style="color:')
    True
    >>> str(a).startswith("No grants")
    True
    """

    reason: str

    def __str__(self) -> str:
        return self.reason

    @property
    def paragraph_html(self) -> str:
        """The sentence as an escaped paragraph of class ``cip-absent`` (no inline style: a page piece's own)."""
        return f'<p class="cip-absent">{html.escape(self.reason)}</p>'

    def _repr_html_(self) -> str:
        return inline_look(self.paragraph_html)


def is_absent(value) -> bool:
    """Whether ``value`` is an :class:`Absent` (what a function returns instead of a figure or number)."""
    return isinstance(value, Absent)


def count_noun(n: int, singular: str, plural: str | None = None) -> str:
    """``n`` and the noun in the right number: "1 organisation", "2 organisations".

    Examples
    --------
    >>> count_noun(1, "organisation"), count_noun(0, "grant"), count_noun(2, "body", "bodies")
    ('1 organisation', '0 grants', '2 bodies')
    """
    n = int(n)
    return f"{n:,} {singular if n == 1 else (plural or singular + 's')}"


def _where(study, place: str | None, phase: str | None) -> str:
    place_part = f" for {study.place_name(place)}" if place is not None else ""
    phase_part = f" in {study.phase_label(phase)}" if phase is not None else ""
    return place_part + phase_part


def _place_orgs(study, place: str | None) -> set:
    orgs = study.organisations
    if place is not None:
        orgs = orgs[orgs["place_id"].astype(str) == place]
    return set(orgs["org_id"].astype(str))


def network_absent(study, place: str, phase: str) -> Absent | None:
    """Why the trust network of ``place`` in ``phase`` cannot be measured, or None when it can.

    A network needs two organisations of the place and at least one of them rating a partner
    in the phase (a survey nobody answered measures nothing: its density is not 0%).

    Examples
    --------
    >>> from analysis.boards import _tiny_study
    >>> print(network_absent(_tiny_study(), "p", "a"))
    No network survey has been entered for P in A: add ratings to relationships.csv.
    """
    orgs = _place_orgs(study, place)
    name = study.place_name(place)
    if len(orgs) < 2:
        return Absent(f"{name} has {count_noun(len(orgs), 'organisation')} in the study, and a network needs "
                      "at least two: add its partners to organisations.csv.")
    rel = study.relationships
    rated = rel[(rel["phase_id"].astype(str) == phase) & rel["org_id"].astype(str).isin(orgs)
                & rel["partner_id"].astype(str).isin(orgs)]
    if rated.empty:
        return Absent(f"No network survey has been entered{_where(study, place, phase)}: "
                      "add ratings to relationships.csv.")
    return None


def survey_absent(study, place: str | None, phase: str) -> Absent | None:
    """Why there are no survey scores for ``place`` (None: any place) in ``phase``, or None when there are.

    Examples
    --------
    >>> from analysis.boards import _tiny_study
    >>> print(survey_absent(_tiny_study(), "p", "a"))
    The study has no survey: add questions to survey_items.csv and answers to survey_responses.csv.
    """
    if study.survey_items.empty:
        return Absent("The study has no survey: add questions to survey_items.csv and answers to "
                      "survey_responses.csv.")
    answers = study.survey_responses
    answers = answers[(answers["phase_id"].astype(str) == phase) & answers["score"].notna()
                      & answers["org_id"].astype(str).isin(_place_orgs(study, place))]
    if answers.empty:
        return Absent(f"No survey answers have been entered{_where(study, place, phase)}: "
                      "add them to survey_responses.csv.")
    return None


def evidence_absent(study, place: str | None, phase: str | list | None) -> Absent | None:
    """Why there is no coded evidence for ``place`` in ``phase`` (None: any), or None when there is.

    ``phase`` may be a list of phases (a place's phases up to this one).

    Examples
    --------
    >>> from analysis.boards import _tiny_study
    >>> print(evidence_absent(_tiny_study(), "p", "a"))  # doctest: +NORMALIZE_WHITESPACE
    No coded evidence has been entered for P in A: add observations to evidence.csv,
    or import coded interviews with coordination import-qdpx.
    """
    ev = study.evidence
    if place is not None:
        ev = ev[ev["place_id"].astype(str) == place]
    phases = [phase] if isinstance(phase, str) else phase
    if phases is not None:
        ev = ev[ev["phase_id"].astype(str).isin(list(phases))]
    if ev.empty:
        where = _where(study, place, phase if isinstance(phase, str) else None)
        return Absent(f"No coded evidence has been entered{where}: add observations to evidence.csv, "
                      "or import coded interviews with coordination import-qdpx.")
    return None


def grants_absent(study, place: str | None, phase: str | None) -> Absent | None:
    """Why there are no grants for ``place`` in ``phase`` (None: any), or None when there are.

    Examples
    --------
    >>> from analysis.boards import _tiny_study
    >>> print(grants_absent(_tiny_study(), "p", "a"))  # doctest: +NORMALIZE_WHITESPACE
    No grants have been recorded for P in A: add them to grants.csv,
    or import 360Giving files with coordination import-grants.
    """
    g = study.grants
    if place is not None:
        g = g[g["place_id"].astype(str) == place] if "place_id" in g else g.iloc[0:0]
    if phase is not None:
        g = g[g["phase_id"].astype(str) == phase] if "phase_id" in g else g.iloc[0:0]
    if g.empty:
        return Absent(f"No grants have been recorded{_where(study, place, phase)}: add them to grants.csv, "
                      "or import 360Giving files with coordination import-grants.")
    return None


def boards_absent(study, place: str | None, phase: str) -> Absent | None:
    """Why there are no board seats for ``place`` in ``phase``, or None when there are."""
    b = study.boards
    b = b[b["phase_id"].astype(str) == phase]
    if place is not None:
        b = b[b["place_id"].astype(str) == place]
    if b.empty:
        return Absent(f"No board seats have been recorded{_where(study, place, phase)}: add them to boards.csv.")
    return None


#: What each page rests on: the deciders of absence, in the order a page shows them. A page
#: whose every source is absent has "no data yet" (the index says so, with what would fill it).
PAGE_SOURCES = {
    "place_report": (network_absent, survey_absent, evidence_absent, grants_absent, boards_absent),
    "trust_network": (network_absent,),
    "funding_flows": (grants_absent,),
    "compare_places": (network_absent, survey_absent, evidence_absent, grants_absent, boards_absent),
}


def page_absent(study, notebook: str, place: str | None, phase: str) -> Absent | None:
    """Whether a page has no data at all for ``place`` (None: all places) in ``phase``, and what would fill it.

    Parameters
    ----------
    study : Study
    notebook : str
        The notebook's name without ``.ipynb`` (a key of :data:`PAGE_SOURCES`; other
        notebooks are never "no data").
    place : str or None
    phase : str

    Returns
    -------
    Absent or None
        An :class:`Absent` whose sentence names the tables that would fill the page.

    Examples
    --------
    >>> from analysis.boards import _tiny_study
    >>> page_absent(_tiny_study(), "place_report", "p", "a") is None  # it has board seats
    True
    >>> print(page_absent(_tiny_study(), "funding_flows", "p", "a"))  # doctest: +NORMALIZE_WHITESPACE
    No grants have been recorded for P in A: add them to grants.csv,
    or import 360Giving files with coordination import-grants.
    """
    deciders = PAGE_SOURCES.get(notebook)
    if not deciders:
        return None
    places = [place] if place is not None else list(study.place_ids)
    reasons = []
    for decide in deciders:
        found = [decide(study, p, phase) for p in places]
        if any(f is None for f in found):
            return None
        reasons.append(found[0])
    if len(reasons) == 1:
        return reasons[0]
    tables = "relationships.csv, survey_responses.csv, evidence.csv, grants.csv or boards.csv"
    where = _where(study, place, phase)
    return Absent(f"No data has been entered{where} yet: add rows to {tables} to fill this page.")

