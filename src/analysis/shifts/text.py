"""What pages say about the shift indicators: values and changes in their units, the scorecard, sentences, tables."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.absence import Absent, page_absent
from analysis.shifts.indicators import (
    CORE_INDICATORS,
    HEADLINE_INDICATORS,
    SCORECARD_INDICATORS,
    indicator_changes,
    indicator_table,
)

__all__ = [
    "scorecard",
    "headline_indicators",
    "format_value",
    "format_change",
    "change_sentence",
    "indicator_sentences",
    "place_scorecard_table",
    "compare_places_table",
    "sentences_html",
    "place_intro",
    "compare_intro",
    "no_indicators",
]


# ----------------------------------------------------------------------------- the scorecard


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
    out["value_text"] = [format_value(v, u, short=True) for v, u in zip(out["value"], out["unit"], strict=False)]
    out["change_text"] = [format_change(c, u) for c, u in zip(out["change_from_previous"], out["unit"], strict=False)]
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
                      for lab, d in zip(card["label"], card["direction"], strict=False)],
        "This phase": ["suppressed" if sup else txt
                       for sup, txt in zip(card["suppressed"], card["value_text"], strict=True)],
    })
    if previous:
        out[f"Change since {study.phase_label(previous)}"] = list(card["change_text"])
    if previous and previous != first:
        out[f"Change since {study.phase_label(first)}"] = [
            format_change(c, u) for c, u in zip(card["change_from_first"], card["unit"], strict=False)]
    if previous:
        out["Reading"] = [_reading(i, d, c) for i, d, c in zip(card["improvement"], card["direction"],
                                                               card["change_text"], strict=False)]
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


# ----------------------------------------------------------------------------- page openings


def _and_list(names: list[str]) -> str:
    return ", ".join(names[:-1]) + " and " + names[-1] if len(names) > 1 else (names[0] if names else "")


def place_intro(study, place: str, phase: str) -> str:
    """The opening sentence of a place report: what it compares this phase with (plain text).

    Examples
    --------
    >>> from analysis.evidence import _tiny_evidence_study
    >>> place_intro(_tiny_evidence_study(), "p", "b")
    'This page compares P in B with the phase before it, A, which is also the start of the study.'
    >>> place_intro(_tiny_evidence_study(), "p", "a").split(":")[0]
    'A is the first phase of the study, so there is no earlier phase to compare P with'
    """
    place_name, phase_label = study.place_name(place), study.phase_label(phase)
    previous = study.previous_phase(phase)
    if previous is None:
        return (f"{phase_label} is the first phase of the study, so there is no earlier phase to compare "
                f"{place_name} with: the figures below are the starting point that later phases are measured against.")
    if previous == study.first_phase:
        return (f"This page compares {place_name} in {phase_label} with the phase before it, "
                f"{study.phase_label(previous)}, which is also the start of the study.")
    return (f"This page compares {place_name} in {phase_label} with the phase before it, "
            f"{study.phase_label(previous)}, and with the start of the study, {study.phase_label(study.first_phase)}.")


def compare_intro(study, phase: str) -> str:
    """The opening sentence of the places-side-by-side page (plain text).

    Examples
    --------
    >>> from analysis.evidence import _tiny_evidence_study
    >>> compare_intro(_tiny_evidence_study(), "b")
    'This page compares P in B, and says how each changed since A.'
    """
    places = _and_list([study.place_name(p) for p in study.place_ids])
    phase_label, previous = study.phase_label(phase), study.previous_phase(phase)
    if previous:
        return (f"This page compares {places} in {phase_label}, and says how each changed since "
                f"{study.phase_label(previous)}.")
    return (f"This page compares {places} in {phase_label}. It is the first phase of the study, so there is "
            "no earlier phase to compare with: these figures are the starting point.")


def no_indicators(study, place: str | None, phase: str) -> Absent:
    """The sentence a page shows where no measure of the scorecard can be computed yet.

    Names the tables that would fill it (:func:`analysis.absence.page_absent`), or, when the
    study has some data here but not of a kind the scorecard measures, says so.
    """
    found = page_absent(study, "place_report", place, phase)
    if found is not None:
        return found
    where = f" for {study.place_name(place)}" if place is not None else ""
    return Absent(f"No measure of the scorecard can be computed{where} in {study.phase_label(phase)} from the data "
                  "entered so far: a network needs ratings in relationships.csv, a survey answers in "
                  "survey_responses.csv.")
