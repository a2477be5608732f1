"""The disclosure plan of a place's trust pages: which trust means one place and phase may show, decided once."""

from __future__ import annotations

import dataclasses
import functools
import math

import pandas as pd

from analysis.networks.build import trust_network
from analysis.schema import VCSE_GROUP
from analysis.suppression import Cell, DisclosurePlan, plan_cells
from analysis.values import as_float

__all__ = ["TrustPagePlan", "trust_cells", "trust_page_plan"]

#: Headline means of :func:`analysis.networks.network_summary` a plan may hide, with the count each rests on.
_HEADLINE = {"mean_trust": "trust_n", "trust_council_to_vcse": "trust_n_council_to_vcse",
             "trust_vcse_to_council": "trust_n_vcse_to_council"}


def _ratings(G, phase: str) -> list[tuple]:
    """(unit, rater group, rated organisation, rated group) of every rated tie; the unit names the rating."""
    out = []
    for u, v, d in G.edges(data=True):
        if not math.isnan(as_float(d.get("trust"))):
            out.append((("rating", phase, u, v), G.nodes[u].get("sector_group"), v, G.nodes[v].get("sector_group")))
    return out


def _mean(key, units, priority) -> Cell | None:
    units = list(units)
    return Cell(key, len(units), {x: 1.0 / len(units) for x in units}, priority) if units else None


def trust_cells(G, phase: str, *, headline: bool = True, prefix: tuple = ()) -> list[Cell]:
    """Every trust mean a trust page shows for network ``G``, as linear functions of its ratings.

    Sector-to-sector cells (the heatmap), organisations' trust received (the chart), and with
    ``headline`` the network's mean trust and the council-to-VCSE and VCSE-to-council means
    (the headline table and sentences). Keys: ``("sector", from, to)``,
    ``("organisation", org_id)``, ``("headline", measure)``, each after ``prefix``.
    """
    ratings = _ratings(G, phase)
    cells = []
    groups = sorted({(a, b) for _, a, _, b in ratings}, key=str)
    for a, b in groups:
        cells.append(_mean(prefix + ("sector", a, b), [x for x, ga, _, gb in ratings if (ga, gb) == (a, b)], 1))
    for org in sorted({v for _, _, v, _ in ratings}, key=str):
        cells.append(_mean(prefix + ("organisation", org), [x for x, _, v, _ in ratings if v == org], 0))
    if headline:
        cells.append(_mean(prefix + ("headline", "mean_trust"), [x for x, *_ in ratings], 3))
        cells.append(_mean(prefix + ("headline", "trust_council_to_vcse"),
                           [x for x, ga, _, gb in ratings if (ga, gb) == ("council", VCSE_GROUP)], 2))
        cells.append(_mean(prefix + ("headline", "trust_vcse_to_council"),
                           [x for x, ga, _, gb in ratings if (ga, gb) == (VCSE_GROUP, "council")], 2))
    return [c for c in cells if c is not None]


@dataclasses.dataclass(frozen=True)
class TrustPagePlan:
    """The disclosure plan of one place and phase, for every figure and table of its pages.

    Attributes
    ----------
    plan : DisclosurePlan
        Keys as in :func:`trust_cells`; earlier phases' headline means shown on the page
        (the change table) are keyed ``("before", phase, "headline", measure)``.
    """

    place: str
    phase: str
    threshold: int
    plan: DisclosurePlan

    def sector_hidden(self, from_group, to_group) -> str | None:
        """"primary", "secondary" or None: whether the heatmap cell is hidden, and why."""
        return self.plan.reason(("sector", from_group, to_group))

    def organisation_hidden(self, org_id) -> bool:
        return self.plan.hidden(("organisation", org_id))

    def headline_hidden(self, measure: str, phase: str | None = None) -> bool:
        key = ("headline", measure) if phase in (None, self.phase) else ("before", phase, "headline", measure)
        return self.plan.hidden(key)

    def summary(self, summary: pd.Series, phase: str | None = None) -> pd.Series:
        """``summary`` (:func:`network_summary`) with every mean the plan hides marked as resting on no ratings.

        Tables and sentences then say the value is not shown, and so is any change or gap
        that involves it.
        """
        out = summary.copy()
        for measure, n_key in _HEADLINE.items():
            if self.headline_hidden(measure, phase):
                out[n_key] = 0
        return out

    def comparison(self, comparison):
        """A :func:`compare_phases` result whose before and after summaries follow the plan.

        None, or an absent comparison (:class:`analysis.absence.Absent`, one phase not measured), is returned as it is.
        """
        if comparison is None or not hasattr(comparison, "summary"):
            return comparison
        table = comparison.summary.copy()
        for column, phase in (("before", comparison.phase_before), ("after", comparison.phase_after)):
            patched = self.summary(table[column], phase)
            table[column] = patched.reindex(table.index)
        return dataclasses.replace(comparison, summary=table)

    def indicators(self, table: pd.DataFrame) -> pd.DataFrame:
        """An indicator table (:func:`analysis.shifts.indicator_table`) with this place's rating-based
        indicators hidden in every phase where that phase's own plan hides the mean behind them."""
        return _hide_indicators(table, self.place, self.threshold, self.plan_of)

    def plan_of(self, phase: str):  # replaced per instance by trust_page_plan
        raise NotImplementedError


def _hide_indicators(table, place, threshold, plan_of):
    out = table.copy()
    rows = (out["place_id"] == place) & out["indicator"].isin(["mean_trust", "council_vcse_asymmetry"])
    for i in out.index[rows]:
        other = plan_of(str(out.at[i, "phase_id"]))
        measures = (["mean_trust"] if out.at[i, "indicator"] == "mean_trust"
                    else ["trust_council_to_vcse", "trust_vcse_to_council"])
        if any(other.headline_hidden(m) for m in measures):
            out.at[i, "value"] = float("nan")
            out.at[i, "suppressed"] = True
    return out


def trust_page_plan(study, place: str, phase: str, threshold: int) -> TrustPagePlan:
    """The disclosure plan of ``place`` in ``phase``: one call, before any figure is drawn.

    The page shows the sector heatmap, the trust each organisation receives, the headline
    means (network, council-to-VCSE, VCSE-to-council) and, in its change table, the headline
    means of the previous phase and of the first phase. The plan (:func:`plan_cells`)
    hides every mean of fewer than ``threshold`` ratings, every earlier-phase mean that phase's own
    page hides, and then, one at a time, more cells until no hidden mean follows from the
    shown ones by any sum or difference (a mean and its n against the heatmap, a total minus
    its parts, this phase against an earlier one).

    Parameters
    ----------
    study : Study
        As the page shows it (:func:`analysis.disclosure.for_audience`).
    threshold : int
        The threshold (:func:`analysis.disclosure.disclosure_threshold`; :func:`analysis.disclosure.page_plan`
        passes it).
    """
    from analysis.cache import cached

    threshold = int(threshold)

    @functools.cache
    def plan_of(ph: str) -> TrustPagePlan:
        # decided once per study content, place, phase, threshold and code version, and kept in
        # memory (it names organisations): a place's pages, and every phase's place report, share it
        return cached(study, "trust_page_plan", lambda: decide(ph), parts=(str(place), str(ph), threshold),
                      disk=False, copy_with=lambda plan: plan)  # frozen: nothing to copy

    def decide(ph: str) -> TrustPagePlan:
        G = trust_network(study, place, ph)
        cells = trust_cells(G, ph)
        forced = []
        earlier = [p for p in (study.previous_phase(ph), study.first_phase) if p and p != ph]
        for before in dict.fromkeys(earlier):
            other = plan_of(before)
            cells += trust_cells(trust_network(study, place, before), before, headline=True,
                                 prefix=("before", before))
            cells = [c for c in cells if c.key[:3] != ("before", before, "sector")
                     and c.key[:3] != ("before", before, "organisation")]
            forced += [("before", before, "headline", m) for m in _HEADLINE if other.headline_hidden(m)]
        result = TrustPagePlan(place, ph, threshold, plan_cells(cells, threshold, forced=forced))
        object.__setattr__(result, "plan_of", plan_of)
        return result

    return plan_of(phase)
