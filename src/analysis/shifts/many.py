"""Many places at once: where a place stands among all places, ranked tables, places like this one, distributions.

A scorecard with one column per place reads well for up to :data:`MANY_PLACES` places; a study
of 150 funded areas or all 296 English local authorities needs each indicator as a distribution
across places, places ranked, and a way to find comparable places. Everything here reads the
tidy :func:`analysis.shifts.indicators.indicator_table`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.shifts.text import format_change, format_value

__all__ = [
    "MANY_PLACES",
    "place_standing",
    "standing_sentence",
    "ranked_table",
    "places_like",
    "distribution_table",
]

#: Up to this many places, pages show the scorecard with a column per place; above it, the views here.
MANY_PLACES = 12

_QUARTERS = ("top quarter", "second quarter", "third quarter", "bottom quarter")


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
    quarter = _QUARTERS[min(3, int((rank - 1) * 4 // of))]
    return {"rank": rank, "of": of, "quarter": quarter,
            "value": float(values.loc[values["place_id"] == place, "value"].iloc[0])}


def standing_sentence(table: pd.DataFrame, place: str, phase: str, indicator: str, *,
                      phase_words: str = "in this phase") -> str | None:
    """One sentence saying where a place stands, e.g. "Network density is in the top quarter of 296 places ...".

    None when the standing cannot be measured (:func:`place_standing`).

    Examples
    --------
    >>> t = pd.DataFrame({"place_id": list("abcd"), "phase_id": "p", "indicator": "days", "label": "Days to award",
    ...                   "unit": "days", "direction": "down is good", "value": [9.0, 30, 12, 40]})
    >>> standing_sentence(t, "a", "p", "days")
    'Days to award: 9 days, in the top quarter of the 4 places measured in this phase (rank 1 of 4; fewer is better).'
    """
    s = place_standing(table, place, phase, indicator)
    if s is None:
        return None
    row = _phase_values(table, phase, indicator).iloc[0]
    better = {"up is good": "; more is better", "down is good": "; fewer is better"}.get(row["direction"], "")
    if row["direction"] == "down is good" and row["unit"] not in ("days", "count"):
        better = "; lower is better"
    return (f"{row['label']}: {format_value(s['value'], row['unit'])}, in the {s['quarter']} of the {s['of']} places "
            f"measured {phase_words} (rank {s['rank']} of {s['of']}{better}).")


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
    wide = table[table["phase_id"] == phase].pivot_table(index="place_id", columns="indicator", values="value")
    if indicators is not None:
        wide = wide.reindex(columns=[i for i in indicators if i in wide.columns])
    wide = wide.loc[:, wide.notna().mean() >= 0.5]
    pop = pd.to_numeric(study.places.set_index("place_id")["population"], errors="coerce")
    wide["log_population"] = np.log(pop.reindex(wide.index).astype(float))
    z = (wide - wide.mean()) / wide.std(ddof=0).replace(0, np.nan)
    if place not in z.index:
        return pd.DataFrame(columns=["Place", "Region", "Population", "Distance"])
    diff = (z - z.loc[place]).pow(2)
    distance = np.sqrt(diff.mean(axis=1, skipna=True)).drop(place).dropna().sort_values(kind="stable").head(nearest)
    regions = study.places.set_index("place_id")["region"] if "region" in study.places else None
    return pd.DataFrame({
        "Place": [study.place_name(p) for p in distance.index],
        "Region": [str(regions[p]) if regions is not None and pd.notna(regions[p]) else "" for p in distance.index],
        "Population": [f"{int(pop[p]):,}" if pd.notna(pop.get(p)) else "" for p in distance.index],
        "Distance": [f"{d:.2f}" for d in distance],
    })


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
