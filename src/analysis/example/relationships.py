"""The example's relationships: a PARTNER-style network survey in every phase, with planted shifts."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.example.design import PHASE_IDS, PLACES
from analysis.schema import SECTOR_GROUP_OF, TABLES

__all__ = ["relationships"]

#: How central each sector tends to be (added to both ends of a pair's propensity).
_ACTIVITY = {
    "local_authority": 1.7, "vcse_infrastructure": 1.4, "health": 0.5, "funder": 0.4, "vcse": 0.0,
    "community_group": -0.35, "faith": -0.3, "housing": 0.0, "business": -0.6, "education": -0.2,
    "emergency_services": 0.15,
}
_SIZE_ACTIVITY = {"micro": -0.2, "small": -0.1, "medium": 0.05, "large": 0.25, "major": 0.3}

#: Added to every pair's propensity in a phase (place, phase).
_PHASE_SHIFT = {
    "buckinghamshire": dict(baseline=0.0, emergency=0.55, interim=0.45, final=0.35),
    "coventry": dict(baseline=0.0, emergency=0.55, interim=0.4, final=0.25),
    "sutton": dict(baseline=0.0, emergency=0.6, interim=0.4, final=0.3),
}
#: Extra propensity for pairs crossing public sector (council, health, other public) <-> VCSE.
_CROSS_SHIFT = {
    "buckinghamshire": dict(baseline=0.0, emergency=0.8, interim=0.8, final=0.7),
    "coventry": dict(baseline=0.0, emergency=0.85, interim=0.55, final=0.25),
    "sutton": dict(baseline=0.0, emergency=0.95, interim=0.6, final=0.35),
}
#: Propensity cut-points for levels 1 (awareness) to 4 (integration).
_LEVEL_CUTS = np.array([1.05, 1.6, 2.2, 2.85])

#: Added to every trust rating (place, phase).
_TRUST_SHIFT = {
    "buckinghamshire": dict(baseline=0.0, emergency=0.3, interim=0.3, final=0.15),
    "coventry": dict(baseline=0.0, emergency=0.3, interim=0.15, final=-0.05),
    "sutton": dict(baseline=-0.2, emergency=0.6, interim=0.4, final=0.1),
}
#: Added to the council's ratings of VCSE organisations, as (trust, value) by phase.
#: Coventry's planted asymmetry narrows in the emergency and widens again by the final phase;
#: the other places keep a milder, steadier gap.
_COUNCIL_TO_VCSE = {
    "buckinghamshire": dict(baseline=(-0.3, -0.4), emergency=(-0.1, -0.1), interim=(-0.1, -0.1),
                            final=(-0.2, -0.2)),
    "coventry": dict(baseline=(-0.8, -1.1), emergency=(0.0, 0.3), interim=(-0.4, -0.5), final=(-0.8, -1.1)),
    "sutton": dict(baseline=(-0.4, -0.5), emergency=(0.0, 0.0), interim=(-0.2, -0.2), final=(-0.3, -0.4)),
}
#: Added to VCSE organisations' ratings of the council, as (trust, value) by phase.
_VCSE_TO_COUNCIL = {
    "buckinghamshire": dict(baseline=(0.2, 0.2), emergency=(0.2, 0.2), interim=(0.2, 0.2), final=(0.2, 0.2)),
    "coventry": dict(baseline=(0.4, 0.4), emergency=(0.0, -0.1), interim=(0.2, 0.3), final=(0.4, 0.5)),
    "sutton": dict(baseline=(0.2, 0.2), emergency=(0.2, 0.3), interim=(0.2, 0.2), final=(0.2, 0.2)),
}
_RESPONSE_RATE = dict(baseline=0.76, emergency=0.84, interim=0.8, final=0.76)
_FREQUENCY_SHIFT = dict(baseline=0.0, emergency=0.6, interim=0.35, final=0.3)
_FREQUENCIES = ("never", "yearly", "quarterly", "monthly", "weekly", "daily")


def _ratings(rng, mu: np.ndarray, blank_rate: float = 0.02) -> np.ndarray:
    """1-4 ratings around ``mu`` (a float array), with a few left blank (NaN)."""
    r = np.clip(np.rint(mu + rng.normal(0.0, 0.55, mu.shape)), 1, 4)
    r[rng.random(mu.shape) < blank_rate] = np.nan
    return r


def relationships(rng: np.random.Generator, orgs: pd.DataFrame) -> pd.DataFrame:
    """Each responding organisation rates partners in its own place, every phase."""
    frames = []
    for place_id in PLACES:
        po = orgs[orgs["place_id"] == place_id].reset_index(drop=True)
        n = len(po)
        ids = po["org_id"].to_numpy()
        sector = po["sector"].to_numpy()
        group = np.array([SECTOR_GROUP_OF[s] for s in sector])
        public = np.isin(group, ("council", "health", "public_other"))
        vcse = group == "vcse"
        council = group == "council"
        activity = (np.array([_ACTIVITY[s] for s in sector])
                    + np.array([_SIZE_ACTIVITY[s] for s in po["size"]])
                    + rng.normal(0.0, 0.3, n))
        same_group = group[:, None] == group[None, :]
        both_public = public[:, None] & public[None, :]
        cross = (public[:, None] & vcse[None, :]) | (vcse[:, None] & public[None, :])
        pair = rng.normal(0.0, 0.5, (n, n))
        base = (activity[:, None] + activity[None, :] + 0.2 * same_group + 0.4 * both_public
                - 0.4 * cross + (pair + pair.T) / 2 + rng.normal(0.0, 0.2, (n, n)))
        rater_trust = np.where(council, 0.0, rng.normal(0.0, 0.3, n))  # the council rates neutrally
        ratee_influence = np.where(council, 0.9, np.where(group == "health", 0.5, np.where(
            sector == "vcse_infrastructure", 0.3, np.where(group == "funder", 0.3, 0.0))))
        ratee_resources = np.where(group == "funder", 1.0, np.where(council, 0.6, np.where(
            group == "health", 0.4, 0.0)))
        council_to_vcse = council[:, None] & vcse[None, :]
        vcse_to_council = vcse[:, None] & council[None, :]
        for phase_id in PHASE_IDS:
            # the council and the infrastructure body always respond; others at the phase's rate
            respond = council | (sector == "vcse_infrastructure")
            others = np.flatnonzero(~respond)
            wanted = int(round(_RESPONSE_RATE[phase_id] * n)) - int(respond.sum())
            respond[rng.choice(others, size=wanted, replace=False)] = True
            s = (base + _PHASE_SHIFT[place_id][phase_id] + cross * _CROSS_SHIFT[place_id][phase_id]
                 + rng.normal(0.0, 0.3, (n, n)))
            level = np.searchsorted(_LEVEL_CUTS, s, side="right")
            rated = (level >= 1) | (rng.random((n, n)) < 0.04)
            np.fill_diagonal(rated, False)
            # every respondent rates at least its three closest partners, even at level 0
            closest = np.argsort(-np.where(np.eye(n, dtype=bool), -np.inf, s), axis=1, kind="stable")[:, :3]
            rated[np.arange(n)[:, None], closest] = True
            rated &= respond[:, None]
            shifts = zip(_COUNCIL_TO_VCSE[place_id][phase_id], _VCSE_TO_COUNCIL[place_id][phase_id], strict=True)
            trust_adj, adj = (council_to_vcse * c2v + vcse_to_council * v2c for c2v, v2c in shifts)
            lv = level - 2.0
            trust_mu = 2.45 + 0.3 * lv + _TRUST_SHIFT[place_id][phase_id] + rater_trust[:, None] + trust_adj
            influence_mu = 2.2 + 0.3 * lv + ratee_influence[None, :] + adj
            involvement_mu = 2.3 + 0.35 * lv + 0.7 * adj
            resources_mu = 2.0 + 0.2 * lv + ratee_resources[None, :] + 0.5 * adj
            freq_mu = level + 0.7 + _FREQUENCY_SHIFT[phase_id]
            i, j = np.nonzero(rated)
            lev = level[i, j]
            ratings = {
                name: _ratings(rng, mu[i, j])
                for name, mu in (("reliability", trust_mu), ("mission", trust_mu), ("openness", trust_mu),
                                 ("influence", influence_mu), ("involvement", involvement_mu),
                                 ("resources", resources_mu))
            }
            freq = np.clip(np.rint(freq_mu[i, j] + rng.normal(0.0, 0.6, len(i))), 1, 5).astype(int)
            freq[lev == 0] = 0
            frame = pd.DataFrame({"phase_id": phase_id, "org_id": ids[i], "partner_id": ids[j],
                                  "level": lev})
            for name, values in ratings.items():
                values[lev == 0] = np.nan
                frame[name] = pd.array(values, dtype="Float64").astype("Int64")
            frame["frequency"] = [_FREQUENCIES[f] for f in freq]
            frames.append(frame)
    return pd.concat(frames, ignore_index=True)[TABLES["relationships"].column_names]
