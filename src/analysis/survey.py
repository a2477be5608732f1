"""Survey theme scores per place and phase: reverse scoring, intervals and small-cell suppression."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

__all__ = [
    "SCALE_MIN",
    "SCALE_MAX",
    "scored_responses",
    "respondent_theme_scores",
    "theme_scores",
    "suppressed_label",
]

#: The survey's answer scale: 1 (strongly disagree) to 5 (strongly agree).
SCALE_MIN, SCALE_MAX = 1, 5


def suppressed_label(threshold: int) -> str:
    """What a suppressed cell says instead of a number.

    Examples
    --------
    >>> suppressed_label(5)
    'fewer than 5 respondents'
    """
    from analysis.disclosure import suppression_message

    return suppression_message(max(int(threshold), 2), "respondents")


def scored_responses(study) -> pd.DataFrame:
    """Answers with reverse-scored items turned round, each with its theme and place.

    An item marked ``reverse`` is one where disagreeing is the positive answer, so its
    score becomes ``6 - score`` on the 1-5 scale (1 <-> 5, 2 <-> 4, 3 stays 3); after this
    a higher score is always the more positive answer. Blank answers are dropped. The place
    of an answer is the place of the respondent's organisation (``org_id``); answers from an
    organisation the study does not list are dropped.

    Parameters
    ----------
    study : Study

    Returns
    -------
    pandas.DataFrame
        Columns ``place_id, phase_id, respondent_id, org_id, item_id, theme_id, reverse,
        raw_score, score`` (``score`` after reversal, float).

    Examples
    --------
    >>> s = _tiny_survey_study()
    >>> scored_responses(s).loc[lambda d: d["item_id"] == "q2", ["raw_score", "score"]].iloc[0].tolist()
    [2.0, 4.0]
    """
    responses = study.survey_responses
    items = study.survey_items[["item_id", "theme_id", "reverse"]]
    places = study.organisations.set_index("org_id")["place_id"]
    out = responses.merge(items, on="item_id", how="inner")
    out = out.assign(
        place_id=out["org_id"].map(places).astype("string"),
        reverse=out["reverse"].astype("boolean").fillna(False).astype(bool),
        raw_score=pd.to_numeric(out["score"], errors="coerce").astype(float),
    )
    out = out[out["raw_score"].notna() & out["place_id"].notna()]
    out = out.assign(score=np.where(out["reverse"], (SCALE_MIN + SCALE_MAX) - out["raw_score"], out["raw_score"]))
    cols = ["place_id", "phase_id", "respondent_id", "org_id", "item_id", "theme_id", "reverse", "raw_score", "score"]
    return out[cols].reset_index(drop=True)


def respondent_theme_scores(study) -> pd.DataFrame:
    """Each respondent's score on each theme: the mean of the theme's items they answered.

    Parameters
    ----------
    study : Study

    Returns
    -------
    pandas.DataFrame
        Columns ``place_id, phase_id, respondent_id, theme_id, score, items`` (items =
        number of the theme's items the respondent answered).

    Examples
    --------
    >>> s = _tiny_survey_study()
    >>> respondent_theme_scores(s).set_index("respondent_id").loc["r1", "score"]
    np.float64(4.5)
    """
    scored = scored_responses(study)
    keys = ["place_id", "phase_id", "respondent_id", "theme_id"]
    grouped = scored.groupby(keys, observed=True, sort=True)["score"]
    out = pd.DataFrame({"score": grouped.mean(), "items": grouped.size()}).reset_index()
    return out


def theme_scores(study, *, confidence: float = 0.95, threshold: int | None = None) -> pd.DataFrame:
    """Mean theme score with a t-interval per place, phase and theme; small cells suppressed.

    Each respondent counts once per theme (their mean over the theme's items), so a
    respondent who answered more items does not weigh more. The interval is the Student
    t-interval ``mean +/- t(0.975, n-1) * sd / sqrt(n)`` over respondents. A cell with fewer
    respondents than the study's disclosure threshold is *suppressed*: mean and interval are
    NaN, ``suppressed`` is True and ``label`` says "fewer than 5 respondents", so it is never
    shown as 0 or as a mean of two people's answers.

    Parameters
    ----------
    study : Study
    confidence : float, default 0.95
    threshold : int, optional
        Smallest number of respondents a cell may show; defaults to
        ``study.disclosure_threshold``.

    Returns
    -------
    pandas.DataFrame
        One row per place x phase x theme with any answers: ``place_id, phase_id,
        theme_id, theme_label, n, mean, lower, upper, suppressed, label``. ``label`` is the
        formatted cell ("3.8 (3.4 to 4.2), n = 12") or the suppression text.

    Examples
    --------
    >>> s = _tiny_survey_study()
    >>> row = theme_scores(s, threshold=2).iloc[0]
    >>> int(row["n"]), float(row["mean"]), bool(row["suppressed"])
    (2, 3.75, False)
    >>> theme_scores(s).iloc[0]["label"]
    'fewer than 5 respondents'
    """
    if threshold is None:
        threshold = int(getattr(study, "disclosure_threshold", 5))
    per_respondent = respondent_theme_scores(study)
    keys = ["place_id", "phase_id", "theme_id"]
    rows = []
    for key, group in per_respondent.groupby(keys, observed=True, sort=True):
        values = group["score"].to_numpy(dtype=float)
        n = len(values)
        mean = float(values.mean())
        if n >= 2:
            sem = float(values.std(ddof=1)) / np.sqrt(n)
            half = float(stats.t.ppf(0.5 + confidence / 2, n - 1)) * sem
        else:
            half = np.nan
        rows.append((*key, n, mean, mean - half, mean + half))
    out = pd.DataFrame(rows, columns=[*keys, "n", "mean", "lower", "upper"])
    out["n"] = out["n"].astype(int)
    out["suppressed"] = out["n"] < threshold
    out.loc[out["suppressed"], ["mean", "lower", "upper"]] = np.nan
    labels = study.themes.set_index("theme_id")["label"].astype(str) if len(study.themes) else pd.Series(dtype=str)
    out.insert(3, "theme_label", out["theme_id"].map(labels).fillna(out["theme_id"]).astype(str))
    # places and phases in the study's order, themes in the codebook's order
    rank = {}
    for col, order in (("place_id", study.place_ids), ("phase_id", study.phase_ids),
                       ("theme_id", list(study.themes["theme_id"].astype(str)) if len(study.themes) else [])):
        rank[col] = {v: i for i, v in enumerate(order)}
    out = out.sort_values(keys, key=lambda c: c.map(rank[c.name]).fillna(len(rank[c.name])), kind="stable")
    out = out.reset_index(drop=True)
    out["label"] = [
        suppressed_label(threshold) if sup else _cell_label(m, lo, hi, n)
        for sup, m, lo, hi, n in zip(out["suppressed"], out["mean"], out["lower"], out["upper"], out["n"], strict=False)
    ]
    return out


def _cell_label(mean: float, lower: float, upper: float, n: int) -> str:
    if np.isnan(lower):
        return f"{mean:.1f}, n = {n}"
    return f"{mean:.1f} ({lower:.1f} to {upper:.1f}), n = {n}"


def _tiny_survey_study():
    """Two respondents in one place answering two items of one theme (q2 reverse-scored)."""
    from analysis import study_from_tables

    tables = {
        "places": pd.DataFrame({"place_id": ["p"], "name": ["P"]}),
        "phases": pd.DataFrame({"phase_id": ["a"], "label": ["A"],
                                "start_date": ["2020-01-01"], "end_date": ["2020-02-01"]}),
        "organisations": pd.DataFrame({"org_id": ["o1", "o2"], "name": ["One", "Two"],
                                       "place_id": ["p", "p"], "sector": ["vcse", "local_authority"]}),
        "themes": pd.DataFrame({"theme_id": ["trust"], "label": ["Trust"], "dimension": ["attitudes"]}),
        "survey_items": pd.DataFrame({"item_id": ["q1", "q2"], "text": ["We trust", "We doubt"],
                                      "theme_id": ["trust", "trust"], "reverse": [False, True]}),
        "survey_responses": pd.DataFrame({
            "phase_id": ["a"] * 4, "respondent_id": ["r1", "r1", "r2", "r2"],
            "org_id": ["o1", "o1", "o2", "o2"], "item_id": ["q1", "q2", "q1", "q2"],
            "score": [5, 2, 3, 3]}),
    }
    return study_from_tables(tables)
