"""The example's decision boards: who chairs, sits on and observes each board in each phase."""

from __future__ import annotations

import pandas as pd

from analysis.example.design import PHASE_IDS
from analysis.schema import TABLES

__all__ = ["boards"]

# A board in a phase: (chair, members, observers), each a role key or {role key: count}.
# Role keys: council, infra, vcse, community_group, faith, health, public_other (education
# and emergency services), funder, housing, business. Organisations keep their seats from
# phase to phase: members of a sector are always the most prominent ones of it.
_BOARDS = {
    "buckinghamshire": {
        "Health and Wellbeing Board": {
            "baseline": ("council", dict(health=4, public_other=2, infra=1, housing=1), dict(vcse=1)),
            "emergency": ("council", dict(health=4, public_other=2, infra=1, vcse=1, housing=1), {}),
            "interim": ("council", dict(health=4, public_other=2, infra=1, vcse=2, housing=1), {}),
            "final": ("council", dict(health=4, public_other=2, infra=1, vcse=2, housing=1), {}),
        },
        "Safer Communities Partnership": {
            "baseline": ("public_other", dict(council=1, health=1, housing=1, vcse=1), dict(business=1)),
            "emergency": ("public_other", dict(council=1, health=1, housing=1, vcse=1), dict(business=1)),
            "interim": ("public_other", dict(council=1, health=1, housing=1, vcse=1), dict(business=1)),
            "final": ("public_other", dict(council=1, health=1, housing=1, vcse=2), dict(business=1)),
        },
        "Covid-19 Community Response Board": {
            "emergency": ("infra", dict(council=1, health=2, vcse=4, community_group=1), dict(funder=1)),
            "interim": ("infra", dict(council=1, health=2, vcse=5, community_group=1), dict(funder=1)),
            "final": ("infra", dict(council=1, health=2, vcse=6, community_group=1, faith=1), dict(funder=1)),
        },
        "Food and Essentials Subgroup": {
            "interim": ("vcse", dict(council=1, vcse=2, community_group=1, faith=1), dict(funder=1)),
            "final": ("vcse", dict(council=1, vcse=2, community_group=2, faith=1), dict(funder=1)),
        },
        "Mental Health and Wellbeing Subgroup": {
            "final": ("vcse", dict(council=1, health=2, vcse=3), {}),
        },
    },
    "coventry": {
        "Health and Wellbeing Board": {
            "baseline": ("council", dict(health=3, public_other=2, infra=1, housing=1), {}),
            "emergency": ("council", dict(health=3, public_other=2, infra=1, vcse=2, housing=1), {}),
            "interim": ("council", dict(health=3, public_other=2, infra=1, vcse=1, housing=1), {}),
            "final": ("council", dict(health=3, public_other=2, infra=1, housing=1), {}),
        },
        "Community Support Partnership": {
            "emergency": ("council", dict(infra=1, vcse=4, faith=1, health=1, funder=1), {}),
            "interim": ("council", dict(infra=1, vcse=3, faith=1, health=1, funder=1), {}),
            "final": ("council", dict(infra=1, vcse=2, health=1), dict(funder=1)),
        },
    },
    "sutton": {
        "Health and Wellbeing Board": {
            "baseline": ("council", dict(health=3, public_other=1, infra=1, housing=1), {}),
            "emergency": ("council", dict(health=3, public_other=1, infra=1, vcse=1, housing=1), {}),
            "interim": ("council", dict(health=3, public_other=1, infra=1, vcse=1, housing=1), {}),
            "final": ("council", dict(health=3, public_other=1, infra=1, vcse=1, housing=1), {}),
        },
        "Covid-19 Community Response Group": {
            "emergency": ("council", dict(infra=1, vcse=3, community_group=1, funder=1, health=1), {}),
            "interim": ("council", dict(infra=1, vcse=3, community_group=1, funder=1, health=1), {}),
            "final": ("council", dict(infra=1, vcse=2, funder=1, health=1), {}),
        },
        "Community Grants Panel": {
            "final": ("council", dict(infra=1, vcse=2, funder=1), {}),
        },
    },
}

_ROLE_KEY_SECTORS = {
    "council": ("local_authority",), "infra": ("vcse_infrastructure",), "vcse": ("vcse",),
    "community_group": ("community_group",), "faith": ("faith",), "health": ("health",),
    "public_other": ("emergency_services", "education"), "funder": ("funder",), "housing": ("housing",),
    "business": ("business",),
}
_SIZE_RANK = {"major": 0, "large": 1, "medium": 2, "small": 3, "micro": 4}


def boards(orgs: pd.DataFrame) -> pd.DataFrame:
    """Board seats per place and phase, from the board designs above."""
    rows = []
    for place_id, boards in _BOARDS.items():
        po = orgs[orgs["place_id"] == place_id].copy()
        po["rank"] = po["size"].map(_SIZE_RANK)
        po = po.sort_values(["rank", "org_id"], kind="stable")

        def pick(key: str, count: int, taken: set[str], po=po) -> list[str]:
            pool = po[po["sector"].isin(_ROLE_KEY_SECTORS[key]) & ~po["org_id"].isin(taken)]
            return pool["org_id"].head(count).tolist()

        for phase_id in PHASE_IDS:
            for board, design in boards.items():
                if phase_id not in design:
                    continue
                chair, members, observers = design[phase_id]
                taken: set[str] = set()
                for role, spec in (("chair", {chair: 1}), ("member", members), ("observer", observers)):
                    for key, count in spec.items():
                        for org_id in pick(key, count, taken):
                            taken.add(org_id)
                            rows.append((phase_id, place_id, board, org_id, role))
    return pd.DataFrame(rows, columns=TABLES["boards"].column_names)
