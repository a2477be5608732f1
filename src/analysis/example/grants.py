"""The example's grants, in 360Giving's spreadsheet columns, with planted award speeds."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.example.design import PHASES, PLACES
from analysis.schema import SECTOR_GROUP_OF, TABLES

__all__ = ["grants"]

#: (place, phase) -> (number of grants, {award process: (share, min days, max days)}).
_GRANT_PLAN_DEFAULT = {
    "baseline": (10, {"open_call": (0.7, 50, 100), "invited": (0.3, 30, 70)}),
    "emergency": (20, {"fast_track": (0.7, 4, 20), "open_call": (0.3, 18, 40)}),
    "interim": (14, {"open_call": (0.6, 30, 70), "invited": (0.4, 20, 50)}),
    "final": (14, {"open_call": (0.5, 40, 80), "tender": (0.3, 70, 120), "invited": (0.2, 25, 55)}),
}
_GRANT_PLAN_SUTTON = {
    "baseline": (10, {"tender": (0.5, 80, 130), "open_call": (0.5, 55, 90)}),
    "emergency": (18, {"fast_track": (0.85, 3, 14), "open_call": (0.15, 15, 30)}),
    "interim": (13, {"tender": (0.5, 50, 80), "open_call": (0.4, 30, 50), "co_produced": (0.1, 40, 55)}),
    "final": (14, {"tender": (0.7, 100, 150), "co_produced": (0.3, 65, 90)}),
}
_AMOUNTS = {"fast_track": (500, 5000, 50), "open_call": (2000, 20000, 100), "invited": (5000, 30000, 500),
            "tender": (20000, 120000, 500), "co_produced": (10000, 60000, 500)}
_TITLES = {
    "baseline": ["Youth club running costs", "Advice sessions in community venues", "Carers' respite breaks",
                 "Community garden improvements", "Befriending for isolated older people"],
    "emergency": ["Emergency food parcels", "Telephone befriending during lockdown", "Prescription collection by "
                  "volunteers", "Hardship fund for families", "Core costs during lockdown", "Laptops for "
                  "digital inclusion"],
    "interim": ["Reopening community spaces safely", "Mental health support for young people",
                "Debt and benefits advice", "Volunteer recruitment and training", "Holiday activity programme"],
    "final": ["Winter warmth packs", "Community transport to vaccination appointments",
              "Bereavement support", "Domestic abuse outreach", "Recovery and resilience programme"],
}
_PROGRAMMES = {
    ("council", "baseline"): "Community Grants", ("council", "emergency"): "Covid-19 Community Response Fund",
    ("council", "interim"): "Recovery Fund", ("council", "final"): "Winter Support Grants",
    ("funder", "baseline"): "Main Grants", ("funder", "emergency"): "Coronavirus Appeal",
    ("funder", "interim"): "Coronavirus Appeal", ("funder", "final"): "Resilience Grants",
}


def grants(rng: np.random.Generator, orgs: pd.DataFrame) -> pd.DataFrame:
    """Grants to each place's VCSE organisations from its funders and council."""
    rows = []
    for place_id, (place_name, ons_code, _type, _region, _pop) in PLACES.items():
        po = orgs[orgs["place_id"] == place_id]
        recipients = po[po["sector"].map(SECTOR_GROUP_OF) == "vcse"]
        recipient_weights = np.where(recipients["sector"] == "vcse", 1.0, 0.5)
        funders = po[po["sector"].isin(("local_authority", "funder"))]
        plan = _GRANT_PLAN_SUTTON if place_id == "sutton" else _GRANT_PLAN_DEFAULT
        for phase_id, (count, processes) in plan.items():
            start, end = (pd.Timestamp(d) for d in PHASES[phase_id][1:3])
            # the planned mix of award processes, exactly (largest remainders), in random order
            names = list(processes)
            quotas = np.array([processes[p][0] for p in names]) * count
            n_each = np.floor(quotas).astype(int)
            n_each[np.argsort(-(quotas - n_each), kind="stable")[: count - n_each.sum()]] += 1
            mix = [p for p, k in zip(names, n_each, strict=False) for _ in range(k)]
            for process in rng.permutation(mix):
                process = str(process)
                _share, low, high = processes[process]
                days = int(rng.integers(low, high + 1))
                award = start + pd.Timedelta(days=int(rng.integers(0, (end - start).days + 1)))
                application = award - pd.Timedelta(days=days)
                council_weight = 3.0 if (process in ("tender", "co_produced") or
                                         (place_id == "sutton" and process == "fast_track")) else 1.0
                fw = np.where(funders["sector"] == "local_authority", council_weight, 1.0)
                funder = funders.iloc[int(rng.choice(len(funders), p=fw / fw.sum()))]
                recipient = recipients.iloc[int(rng.choice(len(recipients),
                                                           p=recipient_weights / recipient_weights.sum()))]
                low_amount, high_amount, step = _AMOUNTS[process]
                amount = int(rng.integers(low_amount // step, high_amount // step + 1)) * step
                title = _TITLES[phase_id][int(rng.integers(len(_TITLES[phase_id])))]
                kind = "council" if funder["sector"] == "local_authority" else "funder"
                programme = _PROGRAMMES[(kind, phase_id)]
                application_text = application.date().isoformat()
                process_text = process
                rows.append({
                    "Award Date": award.date().isoformat(),
                    "Title": title,
                    "Currency": "GBP",
                    "Amount Awarded": amount,
                    "Recipient Org:Identifier": recipient["org_id"],
                    "Recipient Org:Name": recipient["name"],
                    "Funding Org:Identifier": funder["org_id"],
                    "Funding Org:Name": funder["name"],
                    "Description": f"{title} for people in {place_name}, awarded to {recipient['name']}.",
                    "Beneficiary Location:Name": place_name,
                    "Beneficiary Location:Geographic Code": ons_code,
                    "Grant Programme:Title": programme,
                    "Application Date": application_text,
                    "Award Process": process_text,
                })
    frame = pd.DataFrame(rows).sort_values(["Award Date", "Recipient Org:Identifier", "Amount Awarded"],
                                           kind="stable").reset_index(drop=True)
    frame["Identifier"] = [f"360G-example-{k:04d}" for k in range(1, len(frame) + 1)]
    # as in real returns, a few grants lack an application date or an award process
    frame.loc[rng.choice(len(frame), size=len(frame) // 16, replace=False), "Application Date"] = ""
    frame.loc[rng.choice(len(frame), size=len(frame) // 20, replace=False), "Award Process"] = ""
    return frame[TABLES["grants"].column_names]
