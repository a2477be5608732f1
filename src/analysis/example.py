"""Generate the bundled illustrative study (data/example) from a seed, with planted signals.

The example study is invented data about three real places (Buckinghamshire, Coventry and
Sutton, with their real ONS codes and mid-2020 populations) through four phases of the
Covid-19 response. No organisation, person or grant in it is real apart from the three
councils' names. It exists so every notebook has something to show, and it plants the
interim findings of the first study as signals an analysis should find; each is described
in ``data/example/README.md`` and checked in ``tests/test_example.py``.

Run it with ``coordination make-example [--out data/example] [--seed 2020]``. The same
seed always writes byte-identical files.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from analysis.files import atomic_write_text
from analysis.paths import DATA_DIR
from analysis.schema import SECTOR_GROUP_OF, TABLES

__all__ = [
    "DEFAULT_SEED",
    "PLACES",
    "PHASES",
    "THEMES",
    "SURVEY_ITEMS",
    "SUPPRESSED_SURVEY_CELLS",
    "generate_example",
    "write_example",
    "write_study",
]

DEFAULT_SEED = 2020

# --------------------------------------------------------------------------------------
# Places and phases (facts: ONS codes and mid-2020 population estimates, OGL v3)
# --------------------------------------------------------------------------------------

#: place_id -> (name, ONS code, area type, region, mid-2020 population)
PLACES = {
    "buckinghamshire": ("Buckinghamshire", "E06000060", "Unitary Authority", "South East", 547060),
    "coventry": ("Coventry", "E08000026", "Metropolitan District", "West Midlands", 379387),
    "sutton": ("Sutton", "E09000029", "London Borough", "London", 207707),
}

#: phase_id -> (label, start, end, description), in time order; windows do not overlap.
PHASES = {
    "baseline": ("Baseline (before Covid-19)", "2019-04-01", "2020-03-15",
                 "The year before the first lockdown, as partners recalled it in the first interviews."),
    "emergency": ("Emergency response", "2020-03-16", "2020-06-30",
                  "The first lockdown and the immediate response, spring 2020."),
    "interim": ("Interim", "2020-07-01", "2020-10-31",
                "Easing of restrictions and early recovery planning, summer and autumn 2020."),
    "final": ("Final", "2020-11-01", "2021-03-31",
              "The second and third lockdowns and the winter of 2020-21."),
}
PHASE_IDS = tuple(PHASES)

#: Postcode districts wholly or mostly inside each place (used to place grants by postcode).
POSTCODE_DISTRICTS = {
    "buckinghamshire": [*(f"HP{n}" for n in range(5, 23)), "HP27", "MK18", "SL0", "SL7", "SL8", "SL9"],
    "coventry": ["CV1", "CV2", "CV3", "CV4", "CV5", "CV6"],
    "sutton": ["SM1", "SM2", "SM3", "SM5", "SM6"],
}

# --------------------------------------------------------------------------------------
# Codebook and survey
# --------------------------------------------------------------------------------------

#: theme_id -> (label, dimension, description)
THEMES = {
    "partnership_working": ("Partnership working", "ways_of_working",
                            "Organisations planning and delivering together across sectors."),
    "shared_purpose": ("Shared purpose", "attitudes",
                       "A common aim that partners recognise and put ahead of their own."),
    "permission_to_focus": ("Permission to focus", "ways_of_working",
                            "Staff being allowed to concentrate on one priority rather than many demands."),
    "local_leadership": ("Local leadership", "governance",
                         "Leaders in public bodies, charities and communities who give changes momentum."),
    "online_working": ("Online working", "ways_of_working",
                       "Meeting and coordinating online, and what that changes about who talks to whom."),
    "trust": ("Trust", "attitudes",
              "Confidence that partners will be reliable, share the mission and be open."),
    "honesty_transparency": ("Honesty and transparency", "attitudes",
                             "Being candid with partners, and clarity about how decisions are made."),
    "power_balance": ("Power balance", "governance",
                      "Whether the VCSE is treated as an equal partner or as a provider to be managed."),
    "capacity_burnout": ("Capacity and burnout", "ways_of_working",
                         "Whether people and organisations have the time and energy the work asks of them."),
    "vcse_representation": ("VCSE representation", "governance",
                            "Voluntary and community organisations' seats and voice where decisions are made."),
    "funding_process": ("Funding process", "funding",
                        "How money reaches local organisations: routes, speed, conditions and who designs them."),
}

#: item_id -> (text, theme_id, reverse)
SURVEY_ITEMS = {
    "Q01": ("Organisations in this area are working towards the same goals.", "shared_purpose", False),
    "Q02": ("I can count on partner organisations here to do what they say they will.", "trust", False),
    "Q03": ("Decisions that affect my organisation are made without us.", "power_balance", True),
    "Q04": ("Voluntary and community organisations have a real voice on the boards that matter here.",
            "vcse_representation", False),
    "Q05": ("Our staff and volunteers are stretched beyond what we can sustain.", "capacity_burnout", True),
    "Q06": ("Meeting online makes it easier to reach the people I need.", "online_working", False),
    "Q07": ("Getting local funding takes more effort than the money is worth.", "funding_process", True),
    "Q08": ("Partners are open with each other about what they can and cannot do.", "honesty_transparency", False),
    "Q09": ("We plan and deliver services together with organisations from other sectors.",
            "partnership_working", False),
}

#: (place_id, phase_id, item_id) -> how many respondents answer it: cells deliberately below
#: the disclosure threshold of 5, so suppression has something to suppress.
SUPPRESSED_SURVEY_CELLS = {
    ("sutton", "baseline", "Q07"): 4,
    ("coventry", "interim", "Q06"): 3,
    ("buckinghamshire", "final", "Q03"): 4,
}

# --------------------------------------------------------------------------------------
# Organisations
# --------------------------------------------------------------------------------------

#: How many organisations of each sector each place has.
ORG_COUNTS = {
    "buckinghamshire": dict(local_authority=1, health=5, vcse_infrastructure=1, vcse=18, community_group=8,
                            faith=4, funder=2, housing=2, business=3, education=2, emergency_services=2),
    "coventry": dict(local_authority=1, health=4, vcse_infrastructure=1, vcse=16, community_group=8,
                     faith=4, funder=2, housing=2, business=2, education=2, emergency_services=2),
    "sutton": dict(local_authority=1, health=4, vcse_infrastructure=1, vcse=12, community_group=6,
                   faith=3, funder=2, housing=2, business=2, education=1, emergency_services=2),
}

COUNCILS = {
    "buckinghamshire": ("GB-LAE-BKM", "Buckinghamshire Council"),
    "coventry": ("GB-LAE-COV", "Coventry City Council"),
    "sutton": ("GB-LAE-STN", "London Borough of Sutton"),
}

#: Neighbourhoods and towns, for names that sound local.
AREAS = {
    "buckinghamshire": ["Aylesbury", "High Wycombe", "Chesham", "Amersham", "Marlow", "Beaconsfield",
                        "Buckingham", "Princes Risborough", "Wendover", "Gerrards Cross", "Great Missenden",
                        "Haddenham", "Winslow", "Chalfont", "Bourne End", "Hazlemere", "Iver", "Waddesdon"],
    "coventry": ["Foleshill", "Hillfields", "Tile Hill", "Canley", "Earlsdon", "Willenhall", "Wood End",
                 "Bell Green", "Radford", "Holbrooks", "Stoke Aldermoor", "Binley", "Allesley", "Coundon",
                 "Spon End", "Longford", "Wyken", "Cheylesmore"],
    "sutton": ["Carshalton", "Wallington", "Cheam", "Beddington", "Hackbridge", "Worcester Park", "Belmont",
               "Rosehill", "Roundshaw", "St Helier", "Sutton Common", "Benhilton", "Stonecot", "The Wrythe"],
}

#: Names that are fixed per place: (sector, name).
FIXED_NAMES = {
    "buckinghamshire": [
        ("vcse_infrastructure", "Bucks Voluntary Action Hub"),
        ("health", "Buckinghamshire Clinical Commissioning Group"),
        ("health", "Chiltern Vale Hospitals NHS Foundation Trust"),
        ("health", "Bucks Community and Mental Health NHS Trust"),
        ("health", "Aylesbury Vale Primary Care Network"),
        ("health", "Wycombe North Primary Care Network"),
        ("funder", "Bucks Vale Community Foundation"),
        ("funder", "Wycombe and District Grants Trust"),
        ("emergency_services", "Buckinghamshire Neighbourhood Policing Team"),
        ("emergency_services", "Buckinghamshire Fire and Rescue Service"),
    ],
    "coventry": [
        ("vcse_infrastructure", "Coventry Voluntary Sector Alliance"),
        ("health", "Coventry Clinical Commissioning Group"),
        ("health", "Three Spires University Hospitals NHS Trust"),
        ("health", "Coventry Community Health NHS Trust"),
        ("health", "Foleshill and Hillfields Primary Care Network"),
        ("funder", "Godiva Community Fund"),
        ("funder", "Coventry Cathedral Quarter Trust"),
        ("emergency_services", "Coventry Neighbourhood Policing Team"),
        ("emergency_services", "Coventry Fire and Rescue Station Group"),
    ],
    "sutton": [
        ("vcse_infrastructure", "Sutton Community Action Network"),
        ("health", "Sutton Clinical Commissioning Group"),
        ("health", "St Helier and Cheam Hospitals NHS Trust"),
        ("health", "Sutton Community Health Services NHS Trust"),
        ("health", "Carshalton and Wallington Primary Care Network"),
        ("funder", "Beddington Lavender Fund"),
        ("funder", "Sutton Borough Charitable Trust"),
        ("emergency_services", "Sutton Neighbourhood Policing Team"),
        ("emergency_services", "Sutton Fire and Rescue Station Group"),
    ],
}

#: Name patterns for the sectors with many organisations; {area} is a local place name.
NAME_PATTERNS = {
    "vcse": ["{area} Food Bank", "{area} Carers Support", "{area} Youth Project", "{area} Community Association",
             "{area} Befriending Service", "{area} Mental Health Alliance", "{area} Advice Centre",
             "{area} Family Support Trust", "{area} Older People's Forum", "{area} Refugee and Migrant Welcome",
             "{area} Disability Action", "{area} Domestic Abuse Support", "{area} Homeless Outreach",
             "{area} Play Association", "{area} Wellbeing Trust", "{area} Community Transport",
             "{area} Hospice at Home", "{area} Bereavement Care", "{area} Arts and Health Collective",
             "{area} Sports and Inclusion Foundation"],
    "community_group": ["{area} Mutual Aid Group", "{area} Street Champions", "{area} Residents' Association",
                        "{area} Community Garden", "{area} Neighbourhood Network", "{area} Covid Helpers",
                        "{area} Parents' Network", "{area} Men's Shed", "{area} Lunch Club",
                        "{area} Knit and Natter"],
    "faith": ["St Mary's Church, {area}", "{area} Mosque Community Kitchen", "{area} Gurdwara Seva Group",
              "{area} Methodist Church", "{area} Hindu Temple Community Hall", "{area} Baptist Church Outreach",
              "{area} Quaker Meeting"],
    "housing": ["{area} Homes Housing Association", "{area} Tenants' Cooperative"],
    "business": ["{area} Business Improvement District", "{area} Traders' Association",
                 "{area} Chamber of Commerce"],
    "education": ["{area} Learning Trust", "{area} College of Further Education"],
}

# org-id.guide prefixes. Numbers are drawn from ranges no real register has issued
# (charities 9xxxxxx, companies 99xxxxxx, schools 99xxxx), so no identifier names a real body.
_SIZE_BY_SECTOR = {
    "local_authority": ("major",), "health": ("major", "large"), "vcse_infrastructure": ("medium",),
    "vcse": ("micro", "small", "small", "medium", "medium", "large"), "community_group": ("micro", "micro", "small"),
    "faith": ("micro", "small"), "funder": ("medium", "large"), "housing": ("large",),
    "business": ("small", "medium"), "education": ("large",), "emergency_services": ("major",),
}


def _organisations(rng: np.random.Generator) -> pd.DataFrame:
    """Organisations of every place: invented names, org-id.guide-style unique identifiers."""
    used: set[str] = set()

    def new_id(prefix: str, low: int, high: int, width: int) -> str:
        while True:
            candidate = f"{prefix}{int(rng.integers(low, high)):0{width}d}"
            if candidate not in used:
                used.add(candidate)
                return candidate

    rows = []
    nhs_serial = 0
    for place_id, counts in ORG_COUNTS.items():
        council_id, council_name = COUNCILS[place_id]
        used.add(council_id)
        rows.append((council_id, council_name, place_id, "local_authority", "major"))
        fixed = {s: [n for (sec, n) in FIXED_NAMES[place_id] if sec == s] for s in counts}
        areas = [str(a) for a in rng.permutation(AREAS[place_id])]
        for sector, count in counts.items():
            if sector == "local_authority":
                continue
            names = list(fixed[sector])
            # each pattern once per place; neighbourhoods taken in turn from a shuffled list
            for pattern in rng.permutation(NAME_PATTERNS.get(sector, []))[: count - len(names)]:
                names.append(str(pattern).format(area=areas[0]))
                areas = areas[1:] + areas[:1]
            for name in names[:count]:
                if sector == "health":
                    nhs_serial += 1
                    org_id = f"GB-NHS-ZZ{place_id[0].upper()}{nhs_serial:02d}"
                    used.add(org_id)
                elif sector in ("business", "housing") or (sector == "community_group" and rng.random() < 0.4):
                    org_id = new_id("GB-COH-", 99_000_000, 99_999_999, 8)
                elif sector == "education":
                    org_id = new_id("GB-EDU-", 990_000, 999_999, 6)
                elif sector == "emergency_services":
                    org_id = new_id("GB-GOR-PB", 900, 999, 3)
                else:
                    org_id = new_id("GB-CHC-", 9_000_000, 9_999_999, 7)
                sizes = _SIZE_BY_SECTOR[sector]
                size = sizes[int(rng.integers(len(sizes)))]
                rows.append((org_id, name, place_id, sector, size))
    return pd.DataFrame(rows, columns=TABLES["organisations"].column_names)


# --------------------------------------------------------------------------------------
# Relationships: a PARTNER-style network survey, every phase
# --------------------------------------------------------------------------------------

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


def _relationships(rng: np.random.Generator, orgs: pd.DataFrame) -> pd.DataFrame:
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


# --------------------------------------------------------------------------------------
# Boards
# --------------------------------------------------------------------------------------

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


def _boards(orgs: pd.DataFrame) -> pd.DataFrame:
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


# --------------------------------------------------------------------------------------
# Coded evidence
# --------------------------------------------------------------------------------------

_GENERIC = {
    "pw_shift": ("shift", "partnership_working", "positive", "emerging",
                 "Partners in {place} began meeting every week across sectors to share out the emergency work."),
    "pw_established": ("shift", "partnership_working", "positive", "established",
                       "Cross-sector meetings set up in the spring have become a routine part of how {place} "
                       "organises local support."),
    "sp_enabler": ("enabler", "shared_purpose", "positive", "emerging",
                   "The urgency of the crisis gave public and voluntary bodies in {place} one common aim, which "
                   "made it easier to agree who does what."),
    "pf_enabler": ("enabler", "permission_to_focus", "positive", "emerging",
                   "With routine targets paused, VCSE staff in {place} were allowed to concentrate on a single "
                   "priority instead of juggling several contracts."),
    "ll_enabler": ("enabler", "local_leadership", "positive", "emerging",
                   "Named leaders at {council} and {infra} kept up momentum by deciding quickly and vouching for "
                   "each other's teams."),
    "ll_residents": ("enabler", "local_leadership", "positive", "emerging",
                     "Residents who organised street-level help in {place} acted as leaders and drew larger "
                     "organisations in behind them."),
    "ow_enabler": ("enabler", "online_working", "positive", "emerging",
                   "Video calls let people in {place} hold shorter, more frequent and more targeted conversations "
                   "than meetings in person had allowed."),
    "ow_flat": ("enabler", "online_working", "positive", "established",
                "Online meetings flattened hierarchies in {place}: frontline workers and chief officers spoke in "
                "the same virtual room."),
    "cb_emergency": ("threat", "capacity_burnout", "negative", "emerging",
                     "Small charities in {place} describe staff and volunteers working long hours without a break "
                     "since March."),
    "tr_shift": ("shift", "trust", "positive", "emerging",
                 "Organisations in {place} say they rely on each other's word more, passing on referrals and data "
                 "without waiting for formal agreements."),
}

_SPECIFIC = {
    "buckinghamshire": {
        "vr_base": ("threat", "vcse_representation", "negative", "established",
                    "Before 2020 the voluntary sector held very few seats on the council-led boards where local "
                    "priorities were set."),
        "fp_base": ("threat", "funding_process", "negative", "established",
                    "VCSE organisations recalled competitive bidding for small pots taking time they could not "
                    "spare."),
        "vr_emergency": ("shift", "vcse_representation", "positive", "emerging",
                         "The VCSE gained seats on the new Covid-19 Community Response Board, and {infra} was asked "
                         "to chair it."),
        "tr_dialogue": ("shift", "trust", "positive", "emerging",
                        "Dialogue between {council} and the voluntary sector became more open, with problems raised "
                        "early rather than saved for formal reviews."),
        "vr_interim": ("shift", "vcse_representation", "positive", "established",
                       "VCSE members now chair two of the county's response groups and set agenda items alongside "
                       "council officers."),
        "cb_interim_1": ("threat", "capacity_burnout", "negative", "emerging",
                         "Board members from small charities say the number of meetings has grown faster than "
                         "their capacity to attend."),
        "cb_interim_2": ("threat", "capacity_burnout", "negative", "emerging",
                         "Volunteer coordinators report fatigue after months of emergency work and expect to lose "
                         "volunteers as furlough ends."),
        "cb_interim_3": ("threat", "capacity_burnout", "negative", "at_risk",
                         "Participants warn that engagement will drop if partnership meetings come to feel less "
                         "focused and productive."),
        "cb_mitigation_interim": ("mitigation", "capacity_burnout", "positive", "emerging",
                                  "The response board split its work into small task-focused subgroups so that each "
                                  "member attends fewer, shorter meetings."),
        "vr_final": ("shift", "vcse_representation", "positive", "established",
                     "VCSE places on council boards have held through the winter and are now treated as normal."),
        "cb_final_1": ("threat", "capacity_burnout", "negative", "at_risk",
                       "The second lockdown pushed staff back into emergency mode before they had recovered from "
                       "the first wave."),
        "cb_final_2": ("threat", "capacity_burnout", "negative", "at_risk",
                       "Several VCSE leaders describe themselves as close to burnout and are stepping back from "
                       "optional groups."),
        "cb_final_3": ("threat", "capacity_burnout", "negative", "at_risk",
                       "Attendance at the response board fell over the winter as the same few people were asked "
                       "to cover every subgroup."),
        "cb_final_4": ("threat", "capacity_burnout", "negative", "emerging",
                       "Groups without paid staff say they cannot keep up with requests for information from "
                       "several partnerships at once."),
        "cb_final_5": ("threat", "capacity_burnout", "negative", "emerging",
                       "Illness and caring duties among staff cut capacity just as winter demand rose."),
        "vr_threat_final": ("threat", "vcse_representation", "negative", "at_risk",
                            "With the same VCSE representatives on every board, the sector's voice rests on a few "
                            "tired individuals."),
        "fp_final": ("threat", "funding_process", "negative", "emerging",
                     "Funding for the VCSE's coordinating role ends in March and no successor arrangement has been "
                     "agreed."),
        "cb_mitigation_final": ("mitigation", "capacity_burnout", "positive", "emerging",
                                "Subgroups now meet only when a decision is due, and notes are circulated so others "
                                "need not attend."),
        "vr_mitigation_final": ("mitigation", "vcse_representation", "positive", "emerging",
                                "The board invited organisations not involved before, to share the load and bring "
                                "fresh energy."),
    },
    "coventry": {
        "pb_base": ("threat", "power_balance", "negative", "established",
                    "Before the crisis, the council and the VCSE related mainly as commissioner and contracted "
                    "provider."),
        "ht_base": ("threat", "honesty_transparency", "negative", "established",
                    "VCSE leaders recalled having little sight of how council priorities were decided before "
                    "2020."),
        "pw_base": ("enabler", "partnership_working", "mixed", "established",
                    "A handful of long-standing links between {council} and larger charities existed, but there "
                    "was little joint planning."),
        "pb_emergency": ("shift", "power_balance", "positive", "emerging",
                         "VCSE organisations say they were treated as equal partners in planning the response, not "
                         "only as providers."),
        "ht_emergency": ("shift", "honesty_transparency", "positive", "emerging",
                         "Partners describe more honesty, acceptance and patience with one another, including about "
                         "mistakes."),
        "pb_interim": ("shift", "power_balance", "mixed", "at_risk",
                       "The sense of partnership between equals persists, but some VCSE leaders notice the old "
                       "contract-management tone returning."),
        "fp_interim": ("threat", "funding_process", "negative", "emerging",
                       "VCSE organisations are unsure how recovery money will be allocated and who sets the "
                       "priorities."),
        "ht_established": ("shift", "honesty_transparency", "positive", "established",
                           "Candour between partners has lasted beyond the first wave and eases difficult "
                           "conversations."),
        "ht_mitigation_interim": ("mitigation", "honesty_transparency", "positive", "emerging",
                                  "Council officers and VCSE leads set up direct lines of contact so that questions "
                                  "need not wait for formal meetings."),
        "pb_final_1": ("threat", "power_balance", "negative", "at_risk",
                       "As recovery planning returns to formal commissioning, the council again sets the terms and "
                       "the VCSE responds."),
        "pb_final_2": ("threat", "power_balance", "negative", "at_risk",
                       "VCSE leaders report being consulted after decisions are taken rather than involved in "
                       "taking them."),
        "pb_final_3": ("threat", "power_balance", "negative", "emerging",
                       "The customary balance between commissioner and provider is reasserting itself in contract "
                       "talks."),
        "ht_final_1": ("threat", "honesty_transparency", "negative", "at_risk",
                       "The VCSE sees little transparency in how the council now sets priorities and allocates "
                       "funds."),
        "ht_final_2": ("threat", "honesty_transparency", "negative", "emerging",
                       "Council staff say budget pressures make it hard to be open about what can be funded next "
                       "year."),
        "fp_final": ("threat", "funding_process", "negative", "emerging",
                     "The council's own financial pressures and competing priorities are squeezing grants to "
                     "community groups."),
        "pb_reverted": ("shift", "power_balance", "negative", "reverted",
                        "The equal footing felt in the spring has largely given way to the pattern from before the "
                        "pandemic."),
        "pb_mitigation_final": ("mitigation", "power_balance", "positive", "emerging",
                                "Partners propose a shared space where the council and the VCSE can put concerns "
                                "on the table and work through them together."),
        "ht_mitigation_final": ("mitigation", "honesty_transparency", "positive", "emerging",
                                "More direct communication between council teams and individual organisations is "
                                "keeping the collaboration going."),
    },
    "sutton": {
        "fp_base": ("threat", "funding_process", "negative", "established",
                    "Before the pandemic, council funding for charities usually came through long tendering "
                    "rounds."),
        "tr_base": ("threat", "trust", "mixed", "established",
                    "Relations between the council and smaller charities were cordial but cautious, with little "
                    "informal sharing."),
        "pw_base": ("enabler", "partnership_working", "positive", "established",
                    "Because the borough is small, many leaders already knew each other, which made fast "
                    "cooperation possible when the crisis came."),
        "tr_emergency_1": ("shift", "trust", "positive", "emerging",
                           "Trust between organisations in Sutton rose sharply during the first lockdown and "
                           "underpinned other changes."),
        "tr_emergency_2": ("shift", "trust", "positive", "emerging",
                           "Council and VCSE staff shared information about residents at risk quickly, on the "
                           "strength of personal trust."),
        "fp_emergency": ("shift", "funding_process", "positive", "emerging",
                         "The council opened a quick route to funds for charities, with decisions in days rather "
                         "than months."),
        "tr_interim": ("shift", "trust", "positive", "established",
                       "The working trust built in the spring still shapes how partners handle referrals."),
        "fp_interim": ("threat", "funding_process", "negative", "emerging",
                       "With the emergency easing, the council is preparing to return to full tendering for "
                       "community contracts."),
        "pb_interim": ("threat", "power_balance", "negative", "emerging",
                       "Some charities fear that older power dynamics will resurface once the council is back in "
                       "the commissioner's seat."),
        "fp_mitigation_interim": ("mitigation", "funding_process", "positive", "emerging",
                                  "A small pilot let VCSE representatives help design the criteria for a round of "
                                  "recovery grants."),
        "fp_final_1": ("threat", "funding_process", "negative", "at_risk",
                       "Lengthy tenders have returned for several services, and decisions take months again."),
        "fp_final_2": ("threat", "funding_process", "negative", "emerging",
                       "Small groups say the paperwork for the new procurement round is beyond their capacity."),
        "tr_final": ("threat", "trust", "negative", "at_risk",
                     "Partners warn that the trust built during the crisis could break if slow tendering becomes "
                     "the norm again."),
        "pb_final_1": ("threat", "power_balance", "negative", "at_risk",
                       "Old power dynamics between the council and providers are visible again in contract "
                       "negotiations."),
        "pb_final_2": ("threat", "power_balance", "negative", "emerging",
                       "VCSE organisations feel less able to challenge the council now that funding depends on "
                       "tender outcomes."),
        "cb_final": ("threat", "capacity_burnout", "negative", "emerging",
                     "Staff at community groups are stretched by winter demand on top of the new procurement "
                     "workload."),
        "fp_reverted": ("shift", "funding_process", "negative", "reverted",
                        "The fast-track route to funds used in the spring has closed."),
        "fp_mitigation_final_1": ("mitigation", "funding_process", "positive", "emerging",
                                  "The council is co-producing the design of its next grants round with VCSE "
                                  "organisations."),
        "fp_mitigation_final_2": ("mitigation", "funding_process", "positive", "emerging",
                                  "Some awards are now decided by a joint panel of council and VCSE members, which "
                                  "keeps decisions short."),
        "tr_mitigation_final": ("mitigation", "trust", "positive", "emerging",
                                "Partners agreed to co-produce process changes beyond the Covid-19 response so the "
                                "trust they built is used."),
    },
}

#: Which observations each place has in each phase (keys into _GENERIC or the place's _SPECIFIC).
_EVIDENCE_PLAN = {
    "buckinghamshire": {
        "baseline": ["vr_base", "fp_base"],
        "emergency": ["pw_shift", "vr_emergency", "tr_dialogue", "sp_enabler", "pf_enabler", "ll_enabler",
                      "ow_enabler", "cb_emergency"],
        "interim": ["pw_established", "vr_interim", "ow_flat", "cb_interim_1", "cb_interim_2", "cb_interim_3",
                    "cb_mitigation_interim"],
        "final": ["vr_final", "cb_final_1", "cb_final_2", "cb_final_3", "cb_final_4", "cb_final_5",
                  "vr_threat_final", "fp_final", "cb_mitigation_final", "vr_mitigation_final"],
    },
    "coventry": {
        "baseline": ["pb_base", "ht_base", "pw_base"],
        "emergency": ["pw_shift", "pb_emergency", "ht_emergency", "tr_shift", "sp_enabler", "ll_residents",
                      "ow_enabler", "pf_enabler", "cb_emergency"],
        "interim": ["pw_established", "pb_interim", "ht_established", "ow_flat", "fp_interim",
                    "ht_mitigation_interim"],
        "final": ["pb_reverted", "pb_final_1", "pb_final_2", "pb_final_3", "ht_final_1", "ht_final_2",
                  "fp_final", "pb_mitigation_final", "ht_mitigation_final"],
    },
    "sutton": {
        "baseline": ["fp_base", "tr_base", "pw_base"],
        "emergency": ["pw_shift", "tr_emergency_1", "tr_emergency_2", "fp_emergency", "sp_enabler", "ll_enabler",
                      "ow_enabler", "pf_enabler", "cb_emergency"],
        "interim": ["tr_interim", "pw_established", "ow_flat", "fp_interim", "pb_interim",
                    "fp_mitigation_interim"],
        "final": ["fp_reverted", "fp_final_1", "fp_final_2", "tr_final", "pb_final_1", "pb_final_2", "cb_final",
                  "fp_mitigation_final_1", "fp_mitigation_final_2", "tr_mitigation_final"],
    },
}

#: Invented quotes by theme (attached to some observations; only some with consent).
_QUOTES = {
    "partnership_working": ["We stopped asking whose job it was and just picked up the phone.",
                            "For once everyone was round the same table, even if the table was a screen."],
    "shared_purpose": ["There was one thing that mattered, and everybody knew what it was."],
    "permission_to_focus": ["Nobody asked me for a monitoring report for three months, so I could do the work."],
    "local_leadership": ["It helped that the people at the top trusted us to get on with it."],
    "online_working": ["I can get five people on a call in ten minutes now; that used to take a fortnight."],
    "trust": ["We shared lists of names on a handshake, which would have been unthinkable a year ago.",
              "If that goodwill goes, it will take years to build again."],
    "honesty_transparency": ["People were willing to say 'we got that wrong' and move on.",
                             "We still don't know who decided where the recovery money goes."],
    "power_balance": ["In April we were partners. By December we were suppliers again.",
                      "It feels like we are being told, not asked."],
    "capacity_burnout": ["I have been on every call since March and I am running on empty.",
                         "We can't send someone to six different groups."],
    "vcse_representation": ["Having a seat at that table changed what got discussed."],
    "funding_process": ["We had the money in a week. Now the tender runs to forty pages."],
}


def _evidence(rng: np.random.Generator, orgs: pd.DataFrame) -> pd.DataFrame:
    """Coded observations per place and phase, following the evidence plan."""
    rows = []
    interview, workshop, document = 0, 0, 0
    serial = 0
    for place_id, plan in _EVIDENCE_PLAN.items():
        council = COUNCILS[place_id][1]
        infra = orgs.loc[(orgs["place_id"] == place_id) & (orgs["sector"] == "vcse_infrastructure"), "name"].iloc[0]
        place_interviews = []
        for phase_id in PHASE_IDS:
            workshop += 1
            for key in plan[phase_id]:
                kind, theme, direction, status, summary = _SPECIFIC[place_id].get(key) or _GENERIC[key]
                serial += 1
                draw = rng.random()
                if draw < 0.2:
                    source = f"workshop-{workshop:02d}"
                elif draw < 0.3:
                    document += 1
                    source = f"document-{document:02d}"
                elif place_interviews and rng.random() < 0.35:
                    source = f"interview-{place_interviews[int(rng.integers(len(place_interviews)))]:02d}"
                else:
                    interview += 1
                    place_interviews.append(interview)
                    source = f"interview-{interview:02d}"
                quote, consent = "", ""
                if rng.random() < 0.4:
                    options = _QUOTES[theme]
                    quote = options[int(rng.integers(len(options)))]
                    consent = "true" if rng.random() < 0.65 else "false"
                rows.append((f"EV{serial:03d}", place_id, phase_id, source, kind, theme, direction, status,
                             summary.format(place=PLACES[place_id][0], council=council, infra=infra),
                             quote, consent))
    return pd.DataFrame(rows, columns=TABLES["evidence"].column_names)


# --------------------------------------------------------------------------------------
# Practitioner survey
# --------------------------------------------------------------------------------------

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


def _survey(rng: np.random.Generator, orgs: pd.DataFrame) -> pd.DataFrame:
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


# --------------------------------------------------------------------------------------
# Grants (360Giving spreadsheet columns)
# --------------------------------------------------------------------------------------

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


def _grants(rng: np.random.Generator, orgs: pd.DataFrame) -> pd.DataFrame:
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


# --------------------------------------------------------------------------------------
# The whole study
# --------------------------------------------------------------------------------------

def _settings(orgs: pd.DataFrame) -> dict:
    return {
        "name": "Coordination in place: illustrative example",
        "description": (
            "Invented data about three real places through four phases of the Covid-19 response, "
            "generated by `coordination make-example`. The organisations, ratings, board seats, "
            "observations, survey answers and grants are made up; the councils' names, the ONS codes "
            "and the populations are real. It plants the interim findings of the first study so the "
            "analyses have something to find: see README.md in this folder."
        ),
        "illustrative": True,
        "tie_min_level": 2,
        "disclosure_threshold": 5,
        "nameable": [COUNCILS[p][0] for p in PLACES],
        "postcode_districts": POSTCODE_DISTRICTS,
    }


def generate_example(seed: int = DEFAULT_SEED) -> tuple[dict[str, pd.DataFrame], dict]:
    """Build the illustrative study's tables and settings in memory.

    Parameters
    ----------
    seed : int
        Seed of the random generator (``numpy.random.default_rng``). Each table draws from
        its own child of ``numpy.random.SeedSequence(seed)``, so the same seed always gives
        the same tables.

    Returns
    -------
    tables : dict of str to pandas.DataFrame
        One DataFrame per table of the study data package (docs/data.md), with exactly the
        schema's columns, in the schema's order.
    settings : dict
        The contents of ``study.yml``.

    Examples
    --------
    >>> tables, settings = generate_example(seed=2020)
    >>> sorted(tables["places"]["place_id"])
    ['buckinghamshire', 'coventry', 'sutton']
    >>> list(tables["phases"]["phase_id"])
    ['baseline', 'emergency', 'interim', 'final']
    >>> settings["illustrative"]
    True
    """
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(5)]
    orgs = _organisations(streams[0])
    places = pd.DataFrame(
        [(pid, name, code, "", area_type, region, pop)  # former codes: filled from the lookup on load
         for pid, (name, code, area_type, region, pop) in PLACES.items()],
        columns=TABLES["places"].column_names,
    )
    phases = pd.DataFrame(
        [(pid, label, start, end, desc) for pid, (label, start, end, desc) in PHASES.items()],
        columns=TABLES["phases"].column_names,
    )
    themes = pd.DataFrame(
        [(tid, label, dim, desc) for tid, (label, dim, desc) in THEMES.items()],
        columns=TABLES["themes"].column_names,
    )
    survey_items = pd.DataFrame(
        [(iid, text, theme, "true" if rev else "false") for iid, (text, theme, rev) in SURVEY_ITEMS.items()],
        columns=TABLES["survey_items"].column_names,
    )
    tables = {
        "places": places,
        "phases": phases,
        "organisations": orgs,
        "relationships": _relationships(streams[1], orgs),
        "boards": _boards(orgs),
        "themes": themes,
        "evidence": _evidence(streams[2], orgs),
        "survey_items": survey_items,
        "survey_responses": _survey(streams[3], orgs),
        "grants": _grants(streams[4], orgs),
    }
    for name, frame in tables.items():
        assert list(frame.columns) == TABLES[name].column_names, name
    return tables, _settings(orgs)


def write_example(out: str | os.PathLike = DATA_DIR / "example", seed: int = DEFAULT_SEED) -> Path:
    """Write the illustrative study to a folder: ``study.yml`` and one CSV per table.

    Files are UTF-8 with ISO dates and ``\\n`` line endings, each written atomically. Other
    files in the folder (its README.md, an ``imports/`` folder) are left alone.

    Parameters
    ----------
    out : path
        The folder to write; created if absent.
    seed : int
        Seed passed to :func:`generate_example`.

    Returns
    -------
    pathlib.Path
        The folder written.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     names = sorted(p.name for p in write_example(tmp, seed=1).iterdir())
    >>> names[:4]
    ['boards.csv', 'evidence.csv', 'grants.csv', 'organisations.csv']
    >>> names[-1]
    'themes.csv'
    """
    tables, settings = generate_example(seed)
    return write_study(Path(out), tables, settings, seed)


def write_study(folder: Path, tables: dict[str, pd.DataFrame], settings: dict, seed: int,
                generator: str = "src/analysis/example.py", command: str = "coordination make-example") -> Path:
    """Write a generated study (study.yml and one CSV per table) into ``folder``, each file atomically."""
    folder.mkdir(parents=True, exist_ok=True)
    header = (f"# Generated by `{command} --seed {seed}`: edit the generator "
              f"({generator}), not this file.\n")
    atomic_write_text(folder / "study.yml",
                  header + yaml.safe_dump(settings, sort_keys=False, allow_unicode=True, width=100))
    for name, frame in tables.items():
        atomic_write_text(folder / f"{name}.csv", frame.to_csv(index=False, lineterminator="\n"))
    return folder
