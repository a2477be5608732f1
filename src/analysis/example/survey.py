"""The example's practitioner survey: a panel's answers to the survey items in each phase."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.example.design import PHASE_IDS, SUPPRESSED_SURVEY_CELLS, SURVEY_ITEMS
from analysis.schema import SECTOR_GROUP_OF, TABLES

__all__ = ["survey"]

#: Mean positive-scale score (1-5, 5 best) of each theme by phase; place overrides below.
_SURVEY_MEANS = {
    "shared_purpose": (3.0, 4.1, 3.7, 3.3),
    "trust": (2.9, 3.8, 3.6, 3.3),
    "power_balance": (2.6, 3.4, 3.1, 2.8),
    "vcse_representation": (2.5, 3.2, 3.2, 3.0),
    "capacity_burnout": (3.2, 2.7, 2.5, 2.3),
    "online_working": (2.6, 3.9, 4.0, 3.9),
    "funding_process": (2.6, 3.6, 3.1, 2.9),
    "honesty_transparency": (3.0, 3.7, 3.5, 3.2),
    "partnership_working": (2.8, 4.0, 3.7, 3.4),
}
_SURVEY_PLACE_MEANS = {
    ("buckinghamshire", "vcse_representation"): (2.2, 3.3, 3.7, 3.9),
    ("buckinghamshire", "capacity_burnout"): (3.2, 2.7, 2.2, 1.8),
    ("coventry", "power_balance"): (2.3, 3.8, 3.1, 2.2),
    ("coventry", "honesty_transparency"): (2.7, 3.9, 3.5, 2.8),
    ("sutton", "trust"): (2.6, 4.2, 3.8, 3.2),
    ("sutton", "funding_process"): (2.4, 4.1, 3.0, 2.5),
}
_SURVEY_PANEL = {"buckinghamshire": 22, "coventry": 20, "sutton": 16}


def survey(rng: np.random.Generator, orgs: pd.DataFrame) -> pd.DataFrame:
    """A short practitioner survey: a panel of pseudonymous respondents, some answering each phase."""
    rows = []
    serial = 0
    items = list(SURVEY_ITEMS.items())
    for place_id, panel_size in _SURVEY_PANEL.items():
        po = orgs[(orgs["place_id"] == place_id)]
        eligible = po[po["sector"].map(SECTOR_GROUP_OF).isin(("vcse", "council", "health", "funder"))]
        weights = np.where(eligible["sector"].map(SECTOR_GROUP_OF) == "vcse", 1.0, 0.5)
        picks = rng.choice(len(eligible), size=panel_size, replace=False, p=weights / weights.sum())
        panel = []
        for k in sorted(picks):
            serial += 1
            panel.append((f"R{serial:03d}", eligible["org_id"].iloc[k], rng.normal(0.0, 0.4)))
        for p, phase_id in enumerate(PHASE_IDS):
            answering = [r for r in panel if rng.random() < 0.78]
            for item_id, (_text, theme, reverse) in items:
                mean = _SURVEY_PLACE_MEANS.get((place_id, theme), _SURVEY_MEANS[theme])[p]
                limit = SUPPRESSED_SURVEY_CELLS.get((place_id, phase_id, item_id))
                for k, (respondent_id, org_id, lean) in enumerate(answering):
                    positive = float(np.clip(np.rint(mean + lean + rng.normal(0.0, 0.7)), 1, 5))
                    score = 6 - positive if reverse else positive
                    blank = (k >= limit) if limit is not None else rng.random() < 0.04
                    rows.append((phase_id, respondent_id, org_id, item_id, pd.NA if blank else int(score)))
    frame = pd.DataFrame(rows, columns=TABLES["survey_responses"].column_names)
    frame["score"] = frame["score"].astype("Int64")
    return frame
