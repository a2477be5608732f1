"""The example's organisations: councils, NHS bodies, funders and VCSE groups of each place."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.schema import TABLES

__all__ = ["COUNCILS", "organisations"]

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


def organisations(rng: np.random.Generator) -> pd.DataFrame:
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
