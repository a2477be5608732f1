"""The shift scorecard: one tidy table of indicators per place and phase, their changes, and sentences."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.disclosure import threshold
from analysis.schema import AWARD_PROCESSES, KINDS

__all__ = [
    "DIRECTIONS",
    "Indicator",
    "CORE_INDICATORS",
    "SCORECARD_INDICATORS",
    "HEADLINE_INDICATORS",
    "RATING_INDICATORS",
    "indicator_table",
    "indicator_changes",
    "scorecard",
    "headline_indicators",
    "format_value",
    "format_change",
    "change_sentence",
    "indicator_sentences",
    "place_scorecard_table",
    "compare_places_table",
    "sentences_html",
]

#: What a rise in an indicator means. "up is good": more is better (trust, density);
#: "down is good": less is better (days to award, threats recorded, the council-VCSE trust
#: gap); "neutral": a change is neither better nor worse in itself (which award process was
#: used, the number of grants). Figures colour change so that blue is always better, and
#: grey for neutral indicators.
DIRECTIONS = ("up is good", "down is good", "neutral")


@dataclass(frozen=True)
class Indicator:
    """One indicator of the scorecard.

    ``unit`` is one of "%" (a share, 0-100; changes in percentage points), "% of max"
    (a 1-4 rating as a percentage of its maximum, 4), "days", "count", "£ per head",
    "score (1-5)" (survey, after reverse scoring) or "points" (a difference of two 1-4
    ratings). ``phrase`` is how a sentence names it ("Trust between partners").
    """

    indicator: str
    label: str
    unit: str
    direction: str
    family: str
    phrase: str
    description: str

    def __post_init__(self):
        if self.direction not in DIRECTIONS:
            raise ValueError(f"direction of {self.indicator} must be one of {DIRECTIONS}")


def _ind(indicator, label, unit, direction, family, phrase, description) -> Indicator:
    return Indicator(indicator, label, unit, direction, family, phrase, description)


#: Indicators every study has a row for (whether or not it has the data for them).
CORE_INDICATORS: dict[str, Indicator] = {
    i.indicator: i
    for i in (
        _ind("network_density", "Network density", "%", "up is good", "network",
             "The density of the partnership network",
             "Ties (cooperation or closer) as a share of every possible directed tie between "
             "the place's organisations."),
        _ind("mean_trust", "Mean trust (% of max)", "% of max", "up is good", "network",
             "Trust between partners",
             "Mean trust rating over the place's ties (reliability, mission, openness; 1-4), "
             "as a percentage of the maximum (PARTNER tool, Varda et al.)."),
        _ind("cross_sector_share", "Cross-sector ties", "%", "up is good", "network",
             "The share of ties that cross sectors",
             "Share of ties that join organisations of different sector groups."),
        _ind("council_vcse_asymmetry", "Council-VCSE trust gap", "points", "down is good", "network",
             "The trust gap between the council and VCSE organisations",
             "How far trust between the council and VCSE organisations runs one way more than "
             "the other (difference of mean ratings, 1-4 scale; closer to 0 is better)."),
        _ind("vcse_seat_share", "VCSE share of board seats", "%", "up is good", "boards",
             "The VCSE share of board seats",
             "Chair and member seats on the place's boards held by VCSE organisations."),
        _ind("vcse_chair_share", "VCSE share of board chairs", "%", "up is good", "boards",
             "The VCSE share of board chairs",
             "Board chairs held by VCSE organisations."),
        _ind("evidence_shift", "Shifts recorded", "count", "up is good", "evidence",
             "The number of shifts recorded", "Coded observations of a shift in how partners work."),
        _ind("evidence_enabler", "Enablers recorded", "count", "up is good", "evidence",
             "The number of enablers recorded", "Coded observations of what made a shift possible."),
        _ind("evidence_threat", "Threats recorded", "count", "down is good", "evidence",
             "The number of threats recorded", "Coded observations of what might undo a shift."),
        _ind("evidence_mitigation", "Mitigations recorded", "count", "up is good", "evidence",
             "The number of mitigations recorded", "Coded observations of what could sustain a shift."),
        _ind("median_days_to_award", "Median days to award", "days", "down is good", "funding",
             "The median time from application to award",
             "Median days from application to award over the grants awarded in the phase."),
        _ind("grant_value_per_head", "Grant value per head", "£ per head", "up is good", "funding",
             "Grant funding per resident",
             "Total value of grants (GBP) awarded in the phase per head of population."),
        _ind("grants_awarded", "Grants awarded", "count", "neutral", "funding",
             "The number of grants awarded", "Number of grants awarded in the phase."),
        _ind("small_recipient_share", "Grants to small organisations", "%", "up is good", "funding",
             "The share of grants reaching micro and small organisations",
             "Share of grants (recipient size known) awarded to micro or small organisations."),
    )
}

#: Indicators shown on the scorecard heatmap and small multiples (when the study has them).
SCORECARD_INDICATORS = (
    "network_density", "mean_trust", "cross_sector_share", "council_vcse_asymmetry",
    "vcse_seat_share", "vcse_chair_share", "evidence_shift", "evidence_threat",
    "evidence_mitigation", "median_days_to_award", "grant_value_per_head", "small_recipient_share",
)

#: Columns of :func:`headline_indicators` (indicator -> column heading).
HEADLINE_INDICATORS = {
    "network_density": "Network density",
    "mean_trust": "Mean trust (% of max)",
    "vcse_seat_share": "VCSE share of board seats",
    "median_days_to_award": "Median days to award",
    "evidence_threat": "Threats recorded",
}

_COLUMNS = ["place_id", "phase_id", "indicator", "label", "unit", "direction", "family", "value", "n", "suppressed"]

#: Indicators that are means of ratings: on stakeholder pages a value resting on fewer
#: ratings than the disclosure threshold is suppressed (:func:`analysis.disclosure.threshold`).
RATING_INDICATORS = ("mean_trust", "council_vcse_asymmetry")


# ----------------------------------------------------------------------------- the table


def indicator_table(study) -> pd.DataFrame:
    """Every indicator for every place and phase of the study, as one tidy table.

    Families: ``network`` (from :mod:`analysis.networks`), ``boards``
    (:func:`analysis.boards.vcse_board_share`), ``survey`` (one indicator per theme,
    :func:`analysis.survey.theme_scores`, suppressed cells NaN), ``evidence`` (counts by
    kind) and ``evidence_theme`` (counts by kind and theme), ``funding`` (when the study has
    grants: median days to award, value per head, number, share by award process).

    Parameters
    ----------
    study : Study

    Returns
    -------
    pandas.DataFrame
        Columns ``place_id, phase_id, indicator, label, unit, direction, family, value, n,
        suppressed``: one row per place x phase x indicator, places and phases in the
        study's order. ``value`` is NaN where it cannot be measured (no ties, no board seats)
        or is suppressed; ``n`` is what the value rests on (ties, ratings, seats,
        respondents, coded observations, grants). ``suppressed`` is True for a survey cell
        with fewer respondents than ``study.disclosure_threshold``, and on stakeholder
        studies (``for_audience``) for a mean of fewer ratings than the threshold
        (:data:`RATING_INDICATORS`).

    Examples
    --------
    >>> from analysis.boards import _tiny_study
    >>> t = indicator_table(_tiny_study())
    >>> row = t.set_index("indicator").loc["vcse_seat_share"]
    >>> float(row["value"]), int(row["n"])
    (25.0, 4)
    """
    parts = [
        _network_rows(study),
        _board_rows(study),
        _survey_rows(study),
        _evidence_rows(study),
        _funding_rows(study),
    ]
    parts = [p for p in parts if p is not None and len(p)]
    if not parts:
        return pd.DataFrame(columns=_COLUMNS)
    table = pd.concat(parts, ignore_index=True)
    table["value"] = table["value"].astype(float)
    table["n"] = table["n"].fillna(0).astype(int)
    place_order = {p: i for i, p in enumerate(study.place_ids)}
    phase_order = {p: i for i, p in enumerate(study.phase_ids)}
    indicator_order = {k: i for i, k in enumerate(dict.fromkeys(table["indicator"]))}
    table = table.sort_values(
        ["place_id", "phase_id", "indicator"],
        key=lambda col: col.map({"place_id": place_order, "phase_id": phase_order,
                                 "indicator": indicator_order}[col.name]),
        kind="stable",
    ).reset_index(drop=True)
    for col in ("place_id", "phase_id", "indicator", "label", "unit", "direction", "family"):
        table[col] = table[col].astype(str)
    table["suppressed"] = False
    if "survey" in set(table["family"]):  # theme_scores suppresses below the study's threshold
        table.loc[(table["family"] == "survey") & table["value"].isna() & (table["n"] > 0), "suppressed"] = True
    k = threshold(study)
    rating_based = table["indicator"].isin(RATING_INDICATORS) & (table["n"] < k) & table["value"].notna()
    table.loc[rating_based, "value"] = np.nan
    table.loc[rating_based, "suppressed"] = True
    return table[_COLUMNS]


def _rows(ind: Indicator, frame: pd.DataFrame) -> pd.DataFrame:
    """Attach an indicator's metadata to a (place_id, phase_id, value, n) frame."""
    out = frame[["place_id", "phase_id", "value", "n"]].copy()
    for field in ("indicator", "label", "unit", "direction", "family"):
        out[field] = getattr(ind, field)
    return out


def _grid(study) -> pd.DataFrame:
    return pd.MultiIndex.from_product([list(study.place_ids), list(study.phase_ids)],
                                      names=["place_id", "phase_id"]).to_frame(index=False)


def _network_rows(study) -> pd.DataFrame | None:
    from analysis import networks

    if len(study.relationships) == 0:
        return None
    records = []
    for place in study.place_ids:
        for phase in study.phase_ids:
            G = networks.trust_network(study, place, phase)
            records.append({"place_id": place, "phase_id": phase, **_network_measures(networks, G)})
    frame = pd.DataFrame(records)
    out = []
    for key in ("network_density", "mean_trust", "cross_sector_share", "council_vcse_asymmetry"):
        out.append(_rows(CORE_INDICATORS[key], frame.assign(value=frame[key], n=frame[f"{key}_n"])))
    return pd.concat(out, ignore_index=True)


def _network_measures(networks, G) -> dict:
    """The network family's values for one graph (each computed by :mod:`analysis.networks`)
    and what each rests on: ties for density and cross-sector share, trust ratings for mean
    trust, and the fewer of the two directions' ratings for the council-VCSE gap."""
    ties = G.number_of_edges()
    rated = sum(1 for _, _, d in G.edges(data=True) if not pd.isna(d.get("trust", np.nan)))
    if G.number_of_nodes() < 2:
        return {"network_density": np.nan, "network_density_n": 0, "mean_trust": np.nan, "mean_trust_n": 0,
                "cross_sector_share": np.nan, "cross_sector_share_n": 0,
                "council_vcse_asymmetry": np.nan, "council_vcse_asymmetry_n": 0}
    asym = networks.council_vcse_asymmetry(G)
    return {
        "network_density": 100.0 * networks.density(G),
        "network_density_n": ties,
        "mean_trust": networks.percent_of_max(networks.mean_tie_trust(G)),
        "mean_trust_n": rated,
        "cross_sector_share": 100.0 * networks.cross_sector_share(G),
        "cross_sector_share_n": ties,
        "council_vcse_asymmetry": abs(float(asym.get("trust_gap", np.nan))),
        "council_vcse_asymmetry_n": int(min(asym.get("trust_n_council_to_vcse", 0),
                                            asym.get("trust_n_vcse_to_council", 0))),
    }


def _board_rows(study) -> pd.DataFrame | None:
    from analysis.boards import vcse_board_share

    if len(study.boards) == 0:
        return None
    shares = vcse_board_share(study)
    return pd.concat([
        _rows(CORE_INDICATORS["vcse_seat_share"], shares.assign(value=shares["seat_share"], n=shares["seats"])),
        _rows(CORE_INDICATORS["vcse_chair_share"], shares.assign(value=shares["chair_share"], n=shares["chairs"])),
    ], ignore_index=True)


def _survey_rows(study) -> pd.DataFrame | None:
    from analysis.survey import theme_scores

    if len(study.survey_responses) == 0:
        return None
    scores = theme_scores(study)
    out = []
    grid = _grid(study)
    for theme_id, group in scores.groupby("theme_id", sort=False):
        label = str(group["theme_label"].iloc[0])
        ind = Indicator(f"survey:{theme_id}", f"Survey: {label}", "score (1-5)", "up is good", "survey",
                        f"The survey score for {label.lower()}",
                        f"Mean survey score (1-5, reverse-scored items turned round) on {label}.")
        frame = grid.merge(group[["place_id", "phase_id", "mean", "n"]], how="left", on=["place_id", "phase_id"])
        out.append(_rows(ind, frame.rename(columns={"mean": "value"})))
    return pd.concat(out, ignore_index=True) if out else None


_KIND_DIRECTION = {"shift": "up is good", "enabler": "up is good", "threat": "down is good",
                   "mitigation": "up is good"}


def _evidence_rows(study) -> pd.DataFrame | None:
    from analysis.evidence import _theme_labels, _theme_order, evidence_counts

    if len(study.evidence) == 0:
        return None
    counts = evidence_counts(study)
    grid = _grid(study)
    out = []
    by_kind = counts.groupby(["place_id", "phase_id", "kind"])["n"].sum()
    for kind in KINDS:
        ind = CORE_INDICATORS[f"evidence_{kind}"]
        values = [int(by_kind.get((p, ph, kind), 0)) for p, ph in zip(grid["place_id"], grid["phase_id"])]
        out.append(_rows(ind, grid.assign(value=values, n=values)))
    labels = _theme_labels(study)
    by_theme = counts.groupby(["place_id", "phase_id", "kind", "theme_id"])["n"].sum()
    for kind in KINDS:
        for theme_id in _theme_order(study):
            label = str(labels.get(theme_id, theme_id))
            ind = Indicator(f"evidence_{kind}:{theme_id}", f"{kind.capitalize()}s recorded: {label}", "count",
                            _KIND_DIRECTION[kind], "evidence_theme",
                            f"The number of {kind}s recorded about {label.lower()}",
                            f"Coded observations of kind {kind} on the theme {label}.")
            values = [int(by_theme.get((p, ph, kind, theme_id), 0))
                      for p, ph in zip(grid["place_id"], grid["phase_id"])]
            out.append(_rows(ind, grid.assign(value=values, n=values)))
    return pd.concat(out, ignore_index=True)


def _funding_rows(study) -> pd.DataFrame | None:
    """Funding indicators from :func:`analysis.funding.funding_measures`."""
    from analysis.funding import funding_measures

    if len(study.grants) == 0:
        return None
    measures = funding_measures(study.grants, study.organisations, list(study.phase_ids))
    frame = _grid(study).merge(measures, how="left", on=["place_id", "phase_id"])
    number = frame["grants"].fillna(0).astype(int)
    population = pd.to_numeric(study.places.set_index("place_id")["population"], errors="coerce").astype(float)
    pop = frame["place_id"].map(population).astype(float)
    per_head = np.where((pop > 0) & (number > 0), frame["value"].fillna(0).astype(float) / pop, np.nan)
    days_known = frame["days_known"].fillna(0).astype(int)
    out = [
        _rows(CORE_INDICATORS["median_days_to_award"],
              frame.assign(value=frame["days_median"].where(days_known > 0), n=days_known)),
        _rows(CORE_INDICATORS["grant_value_per_head"], frame.assign(value=per_head, n=number)),
        _rows(CORE_INDICATORS["grants_awarded"], frame.assign(value=number.astype(float), n=number)),
        _rows(CORE_INDICATORS["small_recipient_share"],
              frame.assign(value=100.0 * frame["small_share"].astype(float),
                           n=frame["size_known"].fillna(0).astype(int))),
    ]
    known = frame["process_known"].fillna(0).astype(int)
    if known.sum() > 0:
        for proc in AWARD_PROCESSES:
            label = proc.replace("_", " ")
            ind = Indicator(f"award_process:{proc}", f"Grants by {label}", "%", "neutral", "funding",
                            f"The share of grants awarded by {label}",
                            f"Share of the phase's grants (with a recorded award process) awarded by {label}.")
            out.append(_rows(ind, frame.assign(value=100.0 * frame[f"share_{proc}"].astype(float), n=known)))
    return pd.concat(out, ignore_index=True)


# ----------------------------------------------------------------------------- changes


def indicator_changes(table: pd.DataFrame, study) -> pd.DataFrame:
    """Add each indicator's change from the previous phase and from the first phase.

    Changes are in the indicator's own units: percentage points for "%" and "% of max",
    days for days, and so on. The first phase has no previous phase, so its changes are NaN.

    Parameters
    ----------
    table : pandas.DataFrame
        The result of :func:`indicator_table`.
    study : Study
        For the order of phases.

    Returns
    -------
    pandas.DataFrame
        ``table`` plus ``previous_phase_id``, ``previous_value``, ``change_from_previous``,
        ``first_phase_id``, ``first_value``, ``change_from_first``.

    Examples
    --------
    >>> from analysis.evidence import _tiny_evidence_study
    >>> s = _tiny_evidence_study()
    >>> t = indicator_changes(indicator_table(s), s)
    >>> t[(t.indicator == "evidence_threat")][["phase_id", "value", "change_from_previous"]].values.tolist()
    [['a', 0.0, nan], ['b', 2.0, 2.0]]
    """
    phases = list(study.phase_ids)
    previous = {ph: (phases[i - 1] if i > 0 else None) for i, ph in enumerate(phases)}
    first = phases[0] if phases else None
    lookup = table.set_index(["place_id", "indicator", "phase_id"])["value"]
    lookup = lookup[~lookup.index.duplicated()]
    out = table.copy()
    out["previous_phase_id"] = out["phase_id"].map(previous)
    out["previous_value"] = [
        float(lookup.get((p, i, prev), np.nan)) if prev is not None else np.nan
        for p, i, prev in zip(out["place_id"], out["indicator"], out["previous_phase_id"])
    ]
    out["change_from_previous"] = out["value"] - out["previous_value"]
    out["first_phase_id"] = first
    out["first_value"] = [float(lookup.get((p, i, first), np.nan)) for p, i in zip(out["place_id"], out["indicator"])]
    out["change_from_first"] = out["value"] - out["first_value"]
    out.loc[out["phase_id"] == first, "change_from_first"] = np.nan
    return out


def scorecard(study, phase: str, *, indicators=SCORECARD_INDICATORS, table: pd.DataFrame | None = None) -> pd.DataFrame:
    """The scorecard of one phase: each indicator for each place, with its change.

    Parameters
    ----------
    study : Study
    phase : str
    indicators : sequence of str
        Which indicators (default :data:`SCORECARD_INDICATORS`); those the study has no data
        for at all are dropped.
    table : pandas.DataFrame, optional
        A precomputed :func:`indicator_table` (saves recomputing it).

    Returns
    -------
    pandas.DataFrame
        The rows of :func:`indicator_changes` for ``phase``, plus ``improvement``: the
        change from the previous phase signed so that positive is always better (flipped for
        "down is good", NaN for "neutral"), and ``value_text``/``change_text`` formatted in
        the indicator's units.

    Raises
    ------
    KeyError
        If ``phase`` is not a phase of the study.
    """
    if phase not in list(study.phase_ids):
        raise KeyError(f"{phase!r} is not a phase of this study (phases: {', '.join(study.phase_ids)})")
    if table is None:
        table = indicator_table(study)
    changes = indicator_changes(table, study)
    present = changes.groupby("indicator")["value"].apply(lambda v: v.notna().any())
    wanted = [i for i in indicators if present.get(i, False)]
    out = changes[(changes["phase_id"] == phase) & changes["indicator"].isin(wanted)].copy()
    out["indicator"] = pd.Categorical(out["indicator"], categories=wanted, ordered=True)
    out = out.sort_values("indicator", kind="stable")
    out["indicator"] = out["indicator"].astype(str)
    sign = out["direction"].map({"up is good": 1.0, "down is good": -1.0, "neutral": np.nan})
    out["improvement"] = out["change_from_previous"] * sign
    out["value_text"] = [format_value(v, u, short=True) for v, u in zip(out["value"], out["unit"])]
    out["change_text"] = [format_change(c, u) for c, u in zip(out["change_from_previous"], out["unit"])]
    return out.reset_index(drop=True)


def headline_indicators(study, phase: str, *, table: pd.DataFrame | None = None) -> pd.DataFrame:
    """A few headline numbers per place for an index page, formatted as text.

    Aggregate numbers only (no organisation is named): network density, mean trust, VCSE
    share of board seats, median days to award and threats recorded, each in its units
    ("12%", "21 days"); "–" where a place has no figure. Columns the study has no data for
    at all are left out.

    Parameters
    ----------
    study : Study
    phase : str
    table : pandas.DataFrame, optional
        A precomputed :func:`indicator_table`.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``place_id`` (the study's order), one column per headline indicator
        (see :data:`HEADLINE_INDICATORS`), values str.

    Raises
    ------
    KeyError
        If ``phase`` is not a phase of the study.

    Examples
    --------
    >>> from analysis.boards import _tiny_study
    >>> headline_indicators(_tiny_study(), "a").to_dict("index")
    {'p': {'VCSE share of board seats': '25%'}}
    """
    if phase not in list(study.phase_ids):
        raise KeyError(f"{phase!r} is not a phase of this study (phases: {', '.join(study.phase_ids)})")
    if table is None:
        table = indicator_table(study)
    rows = table[(table["phase_id"] == phase) & table["indicator"].isin(list(HEADLINE_INDICATORS))]
    available = table[table["indicator"].isin(list(HEADLINE_INDICATORS))].groupby("indicator")["value"] \
        .apply(lambda v: v.notna().any())
    columns = [i for i in HEADLINE_INDICATORS if available.get(i, False)]
    out = pd.DataFrame(index=pd.Index(list(study.place_ids), name="place_id"))
    for ind in columns:
        r = rows[rows["indicator"] == ind].set_index("place_id")
        unit = CORE_INDICATORS[ind].unit
        out[HEADLINE_INDICATORS[ind]] = [
            format_value(r["value"].get(p, np.nan), unit, short=True) for p in out.index
        ]
    return out


# ----------------------------------------------------------------------------- words


def _missing(value) -> bool:
    try:
        return value is None or pd.isna(value)
    except (TypeError, ValueError):
        return False


def format_value(value, unit: str, *, short: bool = False) -> str:
    """Format a value in its indicator's unit.

    Parameters
    ----------
    value : float
    unit : str
        An :class:`Indicator` unit.
    short : bool, default False
        "12%" rather than "12% of the maximum" for "% of max".

    Returns
    -------
    str
        "–" (an en dash) when the value is missing.

    Examples
    --------
    >>> format_value(58.2, "% of max"), format_value(58.2, "% of max", short=True)
    ('58% of the maximum', '58%')
    >>> format_value(12.0, "days"), format_value(1.0, "days"), format_value(3.0, "count")
    ('12 days', '1 day', '3')
    >>> format_value(1.234, "£ per head"), format_value(3.75, "score (1-5)"), format_value(float("nan"), "%")
    ('£1.23', '3.8', '–')
    """
    if _missing(value):
        return "–"
    v = float(value)
    if unit == "%":
        return f"{v:.0f}%"
    if unit == "% of max":
        return f"{v:.0f}%" if short else f"{v:.0f}% of the maximum"
    if unit == "days":
        text = f"{v:.0f}"
        return f"{text} day" if text == "1" else f"{text} days"
    if unit == "count":
        return f"{v:.0f}"
    if unit == "£ per head":
        return f"£{v:,.2f}"
    if unit == "score (1-5)":
        return f"{v:.1f}"
    if unit == "points":
        return f"{v:.2f}" if short else f"{v:.2f} points"
    return f"{v:.3g}"


def format_change(change, unit: str) -> str:
    """Format a change in its indicator's unit, with its sign.

    Shares change in percentage points ("pts"), not per cent.

    Examples
    --------
    >>> format_change(16.4, "% of max"), format_change(-7, "days"), format_change(0.0, "count")
    ('+16 pts', '−7 days', '0')
    >>> format_change(0.4, "£ per head"), format_change(float("nan"), "%")
    ('+£0.40', '–')
    """
    if _missing(change):
        return "–"
    c = float(change)
    magnitude = format_value(abs(c), unit, short=True)
    if unit in ("%", "% of max"):
        magnitude = magnitude.replace("%", " pts")
    zero = format_value(0.0, unit, short=True)
    if unit in ("%", "% of max"):
        zero = zero.replace("%", " pts")
    if magnitude == zero:
        return magnitude  # rounds to zero: no sign
    return ("+" if c > 0 else "\u2212") + magnitude


def change_sentence(subject: str, before, after, unit: str, *, before_label: str | None = None,
                    after_label: str | None = None) -> str:
    """A plain-English sentence saying how a number changed between two phases.

    The direction word is decided on the numbers *as printed*: if both round to the same
    text, the sentence says "stayed at", so it never reads "rose from 58% to 58%".

    Parameters
    ----------
    subject : str
        What changed, e.g. "Trust between the council and VCSE organisations".
    before, after : float
        The values (NaN or None when there is no figure).
    unit : str
        An :class:`Indicator` unit ("%", "% of max", "days", ...).
    before_label, after_label : str, optional
        Names of the two phases, added as "between <before> and <after>".

    Returns
    -------
    str

    Examples
    --------
    >>> change_sentence("Trust between the council and VCSE organisations", 58.0, 74.0, "% of max")
    'Trust between the council and VCSE organisations rose from 58% to 74% of the maximum.'
    >>> change_sentence("Median days to award", 30, 12, "days", before_label="Baseline", after_label="Emergency")
    'Median days to award fell from 30 to 12 days between Baseline and Emergency.'
    >>> change_sentence("Network density", 12.2, 11.8, "%")
    'Network density stayed at 12%.'
    >>> change_sentence("Network density", None, 11.8, "%", after_label="Baseline")
    'Network density was 12% in Baseline; there is no earlier figure to compare it with.'
    """
    between = f" between {before_label} and {after_label}" if before_label and after_label else ""
    if _missing(after):
        when = f" in {after_label}" if after_label else ""
        return f"There is no figure for {_lower_first(subject)}{when}."
    after_text = format_value(after, unit)
    if _missing(before):
        when = f" in {after_label}" if after_label else ""
        return f"{subject} was {after_text}{when}; there is no earlier figure to compare it with."
    before_short, after_short = _number_only(before, unit), _number_only(after, unit)
    if before_short == after_short:
        return f"{subject} stayed at {after_text}{between}."
    word = "rose" if float(after) > float(before) else "fell"
    return f"{subject} {word} from {before_short} to {after_text}{between}."


def _number_only(value, unit: str) -> str:
    """The value as printed before "to ...": the unit word only once, at the end."""
    text = format_value(value, unit, short=True)
    if unit in ("days", "points"):
        return text.split(" ")[0]
    return text


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text[:2] != text[:2].upper() else text


def indicator_sentences(study, place: str, phase: str, *, indicators=SCORECARD_INDICATORS,
                        table: pd.DataFrame | None = None, compare_to: str = "previous") -> list[str]:
    """Sentences saying how each indicator of a place changed coming into ``phase``.

    Parameters
    ----------
    study : Study
    place, phase : str
    indicators : sequence of str
        Which indicators, in order (those without a value in ``phase`` are skipped).
    table : pandas.DataFrame, optional
        A precomputed :func:`indicator_table`.
    compare_to : {"previous", "first"}
        Compare with the previous phase or with the first phase.

    Returns
    -------
    list of str
        Plain text (escape it when rendering as HTML). In the first phase, which has no
        earlier phase, each sentence gives the level ("Network density was 12%.") and the
        page says once that there is nothing to compare with.

    Examples
    --------
    >>> from analysis.evidence import _tiny_evidence_study
    >>> indicator_sentences(_tiny_evidence_study(), "p", "b", indicators=["evidence_threat"])
    ['The number of threats recorded rose from 0 to 2 between A and B.']
    """
    if compare_to not in ("previous", "first"):
        raise ValueError("compare_to must be 'previous' or 'first'")
    if table is None:
        table = indicator_table(study)
    changes = indicator_changes(table, study)
    rows = changes[(changes["place_id"] == place) & (changes["phase_id"] == phase)].set_index("indicator")
    sentences = []
    for ind in indicators:
        if ind not in rows.index or _missing(rows.at[ind, "value"]):
            continue
        r = rows.loc[ind]
        other = r["previous_phase_id"] if compare_to == "previous" else r["first_phase_id"]
        before = r["previous_value"] if compare_to == "previous" else r["first_value"]
        phrase = CORE_INDICATORS[ind].phrase if ind in CORE_INDICATORS else str(r["label"])
        if other == phase or _missing(other):  # the first phase: say the level, once per measure
            sentences.append(f"{phrase} was {format_value(r['value'], r['unit'])}.")
            continue
        sentences.append(change_sentence(
            phrase, before, r["value"], r["unit"],
            before_label=study.phase_label(other) if other else None,
            after_label=study.phase_label(phase),
        ))
    return sentences


# ----------------------------------------------------------------------------- display


def _reading(improvement, direction: str, change_text: str) -> str:
    if direction == "neutral":
        return "neither better nor worse"
    if _missing(improvement):
        return "–"
    if not change_text.startswith(("+", "\u2212")):  # rounds to zero as printed
        return "no change"
    return "better" if improvement > 0 else "worse"


def place_scorecard_table(study, place: str, phase: str, *, table: pd.DataFrame | None = None,
                          indicators=SCORECARD_INDICATORS) -> pd.DataFrame:
    """The scorecard of one place in one phase, formatted for readers.

    Parameters
    ----------
    study : Study
    place, phase : str
    table : pandas.DataFrame, optional
        A precomputed :func:`indicator_table`.
    indicators : sequence of str

    Returns
    -------
    pandas.DataFrame
        Text columns ``Indicator``, ``This phase``, ``Change since <previous phase>``,
        ``Change since <first phase>`` (the change columns only where there is such a phase)
        and ``Reading`` ("better", "worse", "no change", "neither better nor worse" for
        neutral indicators). Show it with :func:`analysis.disclosure.html_table`.

    Examples
    --------
    >>> from analysis.evidence import _tiny_evidence_study
    >>> s = _tiny_evidence_study()
    >>> place_scorecard_table(s, "p", "b", indicators=["evidence_threat"]).values.tolist()
    [['Threats recorded (lower is better)', '2', '+2', 'worse']]
    """
    card = scorecard(study, phase, table=table, indicators=indicators)
    card = card[card["place_id"] == place]
    previous = study.previous_phase(phase)
    first = list(study.phase_ids)[0]
    out = pd.DataFrame({
        "Indicator": [f"{lab} (lower is better)" if d == "down is good" else lab
                      for lab, d in zip(card["label"], card["direction"])],
        "This phase": ["suppressed" if sup else txt for sup, txt in zip(card["suppressed"], card["value_text"])],
    })
    if previous:
        out[f"Change since {study.phase_label(previous)}"] = list(card["change_text"])
    if previous and previous != first:
        out[f"Change since {study.phase_label(first)}"] = [
            format_change(c, u) for c, u in zip(card["change_from_first"], card["unit"])]
    if previous:
        out["Reading"] = [_reading(i, d, c) for i, d, c in zip(card["improvement"], card["direction"],
                                                               card["change_text"])]
    return out.reset_index(drop=True)


def compare_places_table(study, phase: str, *, table: pd.DataFrame | None = None,
                         indicators=SCORECARD_INDICATORS) -> pd.DataFrame:
    """Indicators (rows) by places (columns) in one phase: value and change, as text.

    Each cell reads "74% (+16 pts)" (value, then the change since the previous phase in
    brackets; just the value in the first phase). Columns are the places' names as the
    study shows them (pseudonymised studies keep place names: places are not organisations).

    Examples
    --------
    >>> from analysis.evidence import _tiny_evidence_study
    >>> s = _tiny_evidence_study()
    >>> compare_places_table(s, "b", indicators=["evidence_threat"]).values.tolist()
    [['Threats recorded (lower is better)', '2 (+2)']]
    """
    card = scorecard(study, phase, table=table, indicators=indicators)
    rows = []
    for ind in dict.fromkeys(card["indicator"]):
        sub = card[card["indicator"] == ind].set_index("place_id")
        meta = sub.iloc[0]
        label = f"{meta['label']} (lower is better)" if meta["direction"] == "down is good" else meta["label"]
        row = {"Indicator": label}
        for place in study.place_ids:
            if place not in sub.index:
                row[study.place_name(place)] = "–"
                continue
            r = sub.loc[place]
            value = "suppressed" if r["suppressed"] else r["value_text"]
            row[study.place_name(place)] = value if r["change_text"] == "–" else f"{value} ({r['change_text']})"
        rows.append(row)
    return pd.DataFrame(rows, columns=["Indicator", *[study.place_name(p) for p in study.place_ids]])


def sentences_html(sentences, *, empty: str = "There are no figures to report.") -> str:
    """Sentences as an escaped HTML list (a paragraph saying so when there are none).

    Examples
    --------
    >>> sentences_html(["Trust <rose>."])
    '<ul class="cip-sentences"><li>Trust &lt;rose&gt;.</li></ul>'
    """
    import html

    sentences = list(sentences)
    if not sentences:
        return f"<p>{html.escape(empty)}</p>"
    return '<ul class="cip-sentences">' + "".join(f"<li>{html.escape(s)}</li>" for s in sentences) + "</ul>"
