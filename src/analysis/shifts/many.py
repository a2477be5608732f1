"""Many places at once: where a place stands among all places, ranked tables, places like this one, distributions.

A scorecard with one column per place reads well for up to :data:`MANY_PLACES` places; a study
of 150 funded areas or all 296 English local authorities needs each indicator as a distribution
across places, places ranked, and a way to find comparable places. Everything here reads the
tidy :func:`analysis.shifts.indicators.indicator_table`.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from analysis.shifts.text import format_change, format_value

__all__ = [
    "MANY_PLACES",
    "QUARTER_MIN_PLACES",
    "RANK_MIN_PLACES",
    "STANDING_INDICATORS",
    "has_many_places",
    "place_standing",
    "standing_sentence",
    "standing_sentences",
    "nearest_places",
    "spread_table",
    "ranked_table",
    "places_like",
    "distribution_table",
]

#: Up to this many places, pages show the scorecard with a column per place; above it, the views here.
MANY_PLACES = 12

#: A standing is given in quarters only among at least this many places measured: each quarter then holds
#: two places or more, so "the top quarter" is never one place's name for "the best". Below it, and from
#: :data:`RANK_MIN_PLACES`, a standing sentence gives the rank plainly ("2nd of the 5 places measured").
QUARTER_MIN_PLACES = 8
#: Among fewer places measured than this (the three places of the bundled example), no standing is given:
#: a rank among two or three reads as a verdict on a neighbour, and the scorecard already shows them side by side.
RANK_MIN_PLACES = 4

#: Indicators whose standing a place report states: those where better and worse have a meaning (no neutral
#: indicator) and that do not simply count interviews (the evidence counts follow how many people were asked).
STANDING_INDICATORS = (
    "network_density", "mean_trust", "cross_sector_share", "council_vcse_asymmetry", "vcse_seat_share",
    "vcse_chair_share", "median_days_to_award", "grant_value_per_head", "small_recipient_share",
)

_QUARTERS = ("top quarter", "second quarter", "third quarter", "bottom quarter")
_NEUTRAL_QUARTERS = ("highest quarter", "second-highest quarter", "second-lowest quarter", "lowest quarter")


def has_many_places(study) -> bool:
    """True when the study has more than :data:`MANY_PLACES` places (pages then show distributions and ranks).

    Examples
    --------
    >>> from analysis.evidence import _tiny_evidence_study
    >>> has_many_places(_tiny_evidence_study())
    False
    """
    return len(study.place_ids) > MANY_PLACES


def _phase_values(table: pd.DataFrame, phase: str, indicator: str) -> pd.DataFrame:
    rows = table[(table["phase_id"] == phase) & (table["indicator"] == indicator) & table["value"].notna()]
    return rows[["place_id", "value", "direction", "unit", "label"]]


def place_standing(table: pd.DataFrame, place: str, phase: str, indicator: str) -> dict | None:
    """Where ``place`` stands among the places measured on ``indicator`` in ``phase``.

    Rank 1 is the best: the highest value when up is good, the lowest when down is good (and the
    highest for a neutral indicator, where "best" only means "most"). Ties share the better rank.

    Returns
    -------
    dict or None
        ``rank``, ``of`` (places measured), ``quarter`` ("top quarter" ... "bottom quarter", by
        rank among the places measured) and ``value``; None when the place or too few places
        (fewer than 4) have a value.

    Examples
    --------
    >>> t = pd.DataFrame({"place_id": list("abcdefgh"), "phase_id": "p", "indicator": "d", "label": "D",
    ...                   "unit": "%", "direction": "up is good", "value": [10, 80, 30, 40, 50, 60, 70, 20.0]})
    >>> s = place_standing(t, "b", "p", "d")
    >>> s["rank"], s["of"], s["quarter"]
    (1, 8, 'top quarter')
    >>> place_standing(t, "a", "p", "d")["quarter"]
    'bottom quarter'
    """
    values = _phase_values(table, phase, indicator)
    if len(values) < 4 or place not in set(values["place_id"]):
        return None
    down = values["direction"].iloc[0] == "down is good"
    ranks = values["value"].rank(method="min", ascending=down)
    rank = int(ranks[values["place_id"] == place].iloc[0])
    of = len(values)
    quarter = _QUARTERS[_quarter(rank, of)]
    return {"rank": rank, "of": of, "quarter": quarter,
            "value": float(values.loc[values["place_id"] == place, "value"].iloc[0])}


def _ordinal(n: int) -> str:
    """1st, 2nd, 3rd, 4th, ..., 11th, 12th, 13th, 21st.

    Examples
    --------
    >>> [_ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 102)]
    ['1st', '2nd', '3rd', '4th', '11th', '12th', '13th', '21st', '102nd']
    """
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _rank_words(direction: str, unit: str) -> tuple[str, str]:
    """How a rank reads for an indicator ("highest", "fewest") and which way is better ("" when neutral)."""
    if direction == "down is good":
        if unit in ("days", "count"):
            return "fewest", "fewer is better"
        return ("smallest", "smaller is better") if unit == "points" else ("lowest", "lower is better")
    return "highest", ("higher is better" if direction == "up is good" else "")


def standing_sentence(table: pd.DataFrame, place: str, phase: str, indicator: str, *,
                      phase_words: str = "in this phase", places_total: int | None = None) -> str | None:
    """One sentence saying where a place stands among the places measured, e.g. "Network density (31%) is in
    the top quarter of the 296 places in this phase (12th highest of 296)."

    Quarters are named among :data:`QUARTER_MIN_PLACES` places measured or more; among fewer (from
    :data:`RANK_MIN_PLACES`) the sentence gives the rank plainly; among fewer still, or when the place has
    no value (not measured, or hidden to protect respondents), there is no sentence. "Top" is the best end:
    the lowest values when lower is better, which the sentence says. Places with the same value share the
    better rank; when they straddle two quarters the sentence gives their ranks instead of a quarter, and
    when every place has the same value it says so.

    Parameters
    ----------
    table : pandas.DataFrame
        An :func:`analysis.shifts.indicator_table`, as the page shows it: pass a place report's table after
        its disclosure plan (``plan.indicators(table)``), so that a value the page hides has no standing
        either. Suppressed values are NaN there and so count among no places.
    places_total : int, optional
        The study's number of places: when more places than were measured, the sentence says "of the N
        places measured".

    Examples
    --------
    >>> t = pd.DataFrame({"place_id": list("abcd"), "phase_id": "p", "indicator": "days",
    ...                   "label": "Median days to award", "unit": "days", "direction": "down is good",
    ...                   "value": [9.0, 30, 12, 40]})
    >>> standing_sentence(t, "c", "p", "days")
    'Median days to award (12 days) is the 2nd fewest of the 4 places in this phase (fewer is better).'
    >>> t8 = pd.DataFrame({"place_id": list("abcdefgh"), "phase_id": "p", "indicator": "d", "label": "Network density",
    ...                    "unit": "%", "direction": "up is good", "value": [10, 80, 30, 40, 50, 60, 70, 20.0]})
    >>> standing_sentence(t8, "g", "p", "d", places_total=9)
    'Network density (70%) is in the top quarter of the 8 places measured in this phase (2nd highest of 8).'
    """
    s = place_standing(table, place, phase, indicator)
    if s is None:
        return None
    row = _phase_values(table, phase, indicator).iloc[0]
    label = re.sub(r"\s*\([^)]*\)$", "", str(row["label"]))
    most, better = _rank_words(str(row["direction"]), str(row["unit"]))
    values = _phase_values(table, phase, indicator)
    tied = int((values["value"] == s["value"]).sum())  # places sharing the value, this one included
    of, first, last = s["of"], s["rank"], s["rank"] + tied - 1
    places = f"the {of} places measured" if places_total is not None and places_total > of else f"the {of} places"
    value = format_value(s["value"], str(row["unit"]))
    why = f"; {better}" if better and row["direction"] == "down is good" else ""
    if tied == of:
        return f"{label} ({value}) is the same in all {places[4:]} {phase_words}."
    quarters = _QUARTERS if row["direction"] != "neutral" else _NEUTRAL_QUARTERS
    if of >= QUARTER_MIN_PLACES:
        if tied > 1 and _quarter(first, of) != _quarter(last, of):
            # a tie across quarters: naming one quarter would put places with the same value in two
            return (f"{label} ({value}) is shared by {tied} of {places} {phase_words}, ranked "
                    f"{_ordinal(first)} to {_ordinal(last)} {most} of {of}{why}.")
        rank = f"{most} of {of}" if first == 1 and tied == 1 else f"{_ordinal(first)} {most} of {of}"
        tie = f", tied with {tied - 1} other place{'s' if tied > 2 else ''}" if tied > 1 else ""
        return (f"{label} ({value}) is in the {quarters[_quarter(first, of)]} of {places} {phase_words} "
                f"({rank}{tie}{why}).")
    rank = most if first == 1 and tied == 1 else f"{_ordinal(first)} {most}"
    tie = f", tied with {tied - 1} other place{'s' if tied > 2 else ''}" if tied > 1 else ""
    why = f" ({better})" if why else ""
    return f"{label} ({value}) is the {rank} of {places} {phase_words}{tie}{why}."


def _quarter(rank: int, of: int) -> int:
    """0 for the top quarter ... 3 for the bottom quarter, of a rank among ``of`` places."""
    return min(3, int((rank - 1) * 4 // of))


def standing_sentences(study, table: pd.DataFrame, place: str, phase: str, *,
                       indicators=STANDING_INDICATORS) -> list[str]:
    """The standing sentences of a place report: one per indicator of ``indicators`` the place has a standing on.

    Empty for a study of :data:`MANY_PLACES` places or fewer: there, the places' scorecards sit side by side
    and the place report stays as it was. ``table`` must be the table the page shows (after its disclosure
    plan), see :func:`standing_sentence`.
    """
    if not has_many_places(study):
        return []
    total = len(study.place_ids)
    out = [standing_sentence(table, place, phase, i, places_total=total) for i in indicators]
    return [s for s in out if s]


def ranked_table(study, table: pd.DataFrame, phase: str, indicator: str, *, previous: str | None = None,
                 top: int | None = None) -> pd.DataFrame:
    """Places ranked on one indicator in one phase, best first, with region and the change since ``previous``.

    Places without a value are left out (the caller says how many). ``top`` keeps the first rows.
    """
    values = _phase_values(table, phase, indicator)
    if values.empty:
        return pd.DataFrame(columns=["Rank", "Place", "Region", "Value", "Change"])
    down = values["direction"].iloc[0] == "down is good"
    values = values.assign(rank=values["value"].rank(method="min", ascending=down).astype(int))
    values = values.sort_values(["rank", "place_id"], kind="stable")
    regions = study.places.set_index("place_id")["region"] if "region" in study.places else pd.Series(dtype=str)
    unit = values["unit"].iloc[0]
    out = pd.DataFrame({
        "Rank": values["rank"].to_numpy(),
        "Place": [study.place_name(p) for p in values["place_id"]],
        "Region": [str(regions.get(p, "")) if pd.notna(regions.get(p, None)) else "" for p in values["place_id"]],
        "Value": [format_value(v, unit) for v in values["value"]],
    })
    if previous:
        before = _phase_values(table, previous, indicator).set_index("place_id")["value"]
        out["Change"] = [format_change(v - before[p], unit) if p in before.index else "–"
                         for p, v in zip(values["place_id"], values["value"], strict=True)]
    return out.head(top) if top else out


def _profiles(study, table: pd.DataFrame, phase: str, indicators=None) -> pd.DataFrame:
    """Places' standardised profiles in ``phase``: one z-scored column per indicator measured for at least half
    of the places, and one for log population (places x columns, NaN where a place has no value)."""
    wide = table[table["phase_id"] == phase].pivot_table(index="place_id", columns="indicator", values="value")
    if indicators is not None:
        wide = wide.reindex(columns=[i for i in indicators if i in wide.columns])
    wide = wide.loc[:, wide.notna().mean() >= 0.5]
    pop = pd.to_numeric(study.places.set_index("place_id")["population"], errors="coerce")
    pop = pop.where(pop > 0).reindex(wide.index).astype(float)
    wide["log_population"] = np.log(pop)
    return (wide - wide.mean()) / wide.std(ddof=0).replace(0, np.nan)


def _regions(study) -> pd.Series:
    """Each place's region as text ('' where the study gives none)."""
    if "region" not in study.places:
        return pd.Series("", index=study.places["place_id"].astype(str))
    r = study.places.set_index(study.places["place_id"].astype(str))["region"]
    return r.map(lambda v: "" if pd.isna(v) else str(v))


def places_like(study, table: pd.DataFrame, place: str, phase: str, *, indicators=None,
                nearest: int = 5) -> pd.DataFrame:
    """The ``nearest`` places most like ``place`` in ``phase``: by population (log scale) and indicator profile.

    Each indicator measured for at least half of the places is standardised (z-score across
    places); a place's distance is the root mean square difference over the indicators both
    places have, plus the difference in log population (standardised the same way).
    Map-free: nothing about where places are.

    Returns
    -------
    pandas.DataFrame
        ``Place``, ``Region``, ``Population``, ``Distance`` (0 = identical profile), nearest first.
    """
    z = _profiles(study, table, phase, indicators)
    if place not in z.index:
        return pd.DataFrame(columns=["Place", "Region", "Population", "Distance"])
    diff = (z - z.loc[place]).pow(2)
    distance = np.sqrt(diff.mean(axis=1, skipna=True)).drop(place).dropna().sort_values(kind="stable").head(nearest)
    regions = _regions(study)
    pop = pd.to_numeric(study.places.set_index("place_id")["population"], errors="coerce")
    return pd.DataFrame({
        "Place": [study.place_name(p) for p in distance.index],
        "Region": [regions.get(p, "") for p in distance.index],
        "Population": [f"{int(pop[p]):,}" if pd.notna(pop.get(p)) else "" for p in distance.index],
        "Distance": [f"{d:.2f}" for d in distance],
    })


def nearest_places(study, table: pd.DataFrame, phase: str, *, indicators=None, nearest: int = 3) -> pd.DataFrame:
    """Every place's ``nearest`` places in ``phase``, by the distance of :func:`places_like`, all at once.

    The distances of every pair are worked out together (matrix products over the indicators both
    places have), so a study of 296 places takes a fraction of a second.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``place_id`` (the study's order; places with no profile left out), with ``nearest``
        (a list of place ids, nearest first) and ``distance`` (the list of their distances).

    Examples
    --------
    >>> from analysis import study_from_tables
    >>> s = study_from_tables({"places": pd.DataFrame({"place_id": list("abc"), "name": list("ABC"),
    ...                                                "population": ["100", "100", "100"]}),
    ...     "phases": pd.DataFrame({"phase_id": ["p"], "label": ["P"], "start_date": ["2020-01-01"],
    ...                             "end_date": ["2020-12-31"]}),
    ...     "organisations": pd.DataFrame({"org_id": ["o"], "name": ["O"], "place_id": ["a"], "sector": ["vcse"]})})
    >>> t = pd.DataFrame({"place_id": list("abc"), "phase_id": "p", "indicator": "d", "value": [10.0, 12, 30]})
    >>> nearest_places(s, t, "p", nearest=1)["nearest"].tolist()
    [['b'], ['a'], ['b']]
    """
    z = _profiles(study, table, phase, indicators)
    z = z.reindex([p for p in study.place_ids if p in z.index])
    z = z.loc[z.notna().any(axis=1)]
    values = z.to_numpy(dtype=float)
    known = ~np.isnan(values)
    v0 = np.where(known, values, 0.0)
    m = known.astype(float)
    squares = v0 ** 2
    # sum over shared columns of (zi - zj)^2 = sum mi mj zi^2 + sum mi mj zj^2 - 2 sum zi zj
    total = squares @ m.T + m @ squares.T - 2.0 * (v0 @ v0.T)
    shared = m @ m.T
    with np.errstate(invalid="ignore", divide="ignore"):
        distance = np.sqrt(np.clip(total, 0.0, None) / shared)
    distance[shared == 0] = np.nan
    np.fill_diagonal(distance, np.nan)
    ids = list(z.index)
    found, distances = [], []
    for i in range(len(ids)):
        row = distance[i]
        order = [j for j in np.argsort(np.where(np.isnan(row), np.inf, row), kind="stable") if not np.isnan(row[j])]
        found.append([ids[j] for j in order[:nearest]])
        distances.append([float(row[j]) for j in order[:nearest]])
    return pd.DataFrame({"nearest": found, "distance": distances}, index=pd.Index(ids, name="place_id"))


def spread_table(study, table: pd.DataFrame, phase: str, indicators) -> pd.DataFrame:
    """How the places spread on each indicator in ``phase``, and which way they moved since the phase before.

    Returns
    -------
    pandas.DataFrame
        Text columns ``Measure``, ``Places measured``, ``Median``, ``Middle half`` (the first to the third
        quartile), and with an earlier phase ``Median change`` (the median of the places' own changes) and
        ``Better, worse, same`` (how many places moved each way, "better" as the measure reads; for a neutral
        measure "3 up, 2 down, 1 same"). A change too small to show in the measure's units counts as the same.
        Indicators no place has a value for in ``phase`` are left out.
    """
    previous = study.previous_phase(phase)
    rows = []
    for ind in indicators:
        now = _phase_values(table, phase, ind)
        if now.empty:
            continue
        meta = now.iloc[0]
        unit, direction = str(meta["unit"]), str(meta["direction"])
        d = distribution_table(table, ind, [p for p in (previous, phase) if p]).iloc[-1]
        row = {"Measure": re.sub(r"\s*\([^)]*\)$", "", str(meta["label"])) +
               {"down is good": " (lower is better)"}.get(direction, ""),
               "Places measured": str(int(d["places"])), "Median": format_value(d["median"], unit, short=True),
               "Middle half": f"{format_value(d['q1'], unit, short=True)} to {format_value(d['q3'], unit, short=True)}"}
        if previous:
            before = _phase_values(table, previous, ind).set_index("place_id")["value"]
            both = now[now["place_id"].isin(before.index)]
            changes = [format_change(v - before[p], unit) for p, v in zip(both["place_id"], both["value"], strict=True)]
            up = sum(c.startswith("+") for c in changes)
            down = sum(c.startswith("\u2212") for c in changes)
            same = len(changes) - up - down
            if direction == "down is good":
                up, down = down, up
            row["Median change"] = format_change(d["median_change"], unit)
            row["Better, worse, same"] = (f"{up}, {down}, {same}" if direction != "neutral"
                                          else f"{up} up, {down} down, {same} same")
        rows.append(row)
    return pd.DataFrame(rows)


def distribution_table(table: pd.DataFrame, indicator: str, phases) -> pd.DataFrame:
    """The spread of one indicator across places in each phase: places measured, quartiles, median change.

    Examples
    --------
    >>> t = pd.DataFrame({"place_id": list("abab"), "phase_id": ["p", "p", "q", "q"], "indicator": "d",
    ...                   "label": "D", "unit": "%", "direction": "up is good", "value": [10.0, 30, 20, 50]})
    >>> distribution_table(t, "d", ["p", "q"])[["phase_id", "places", "median", "median_change"]].to_dict("records")
    [{'phase_id': 'p', 'places': 2, 'median': 20.0, 'median_change': nan}, {'phase_id': 'q', 'places': 2, \
'median': 35.0, 'median_change': 15.0}]
    """
    rows, previous = [], None
    for phase in phases:
        v = _phase_values(table, phase, indicator).set_index("place_id")["value"]
        change = np.nan
        if previous is not None:
            both = v.index.intersection(previous.index)
            change = float((v[both] - previous[both]).median()) if len(both) else np.nan
        rows.append({"phase_id": phase, "places": int(len(v)),
                     "q1": float(v.quantile(0.25)) if len(v) else np.nan,
                     "median": float(v.median()) if len(v) else np.nan,
                     "q3": float(v.quantile(0.75)) if len(v) else np.nan,
                     "median_change": change})
        previous = v
    return pd.DataFrame(rows)
