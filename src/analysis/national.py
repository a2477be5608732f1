"""An illustrative study of many places: the first N English local authorities, with signals that vary by region.

The bundled example (:mod:`analysis.example`) follows three places in detail. A national funder
following 150 funded areas, or a study of all 296 English local authorities, needs the same
tables at a larger scale: :func:`generate_national` builds them, seeded, with organisations,
ratings, board seats, coded evidence, survey answers and grants scaled to each place's
population, and signals planted by region so that the many-place views have something true to
find (:data:`REGION_SIGNALS`, documented in the README it writes beside the data).

The places are real (ONS codes, names, regions and mid-2020 populations from the package's
``resources/local-authorities-england.csv``, Open Government Licence v3.0); everything else is
invented.
"""

from __future__ import annotations

import re
from importlib import resources

import numpy as np
import pandas as pd

from analysis.example import PHASE_IDS, PHASES, SURVEY_ITEMS, THEMES
from analysis.schema import AWARD_PROCESSES, FREQUENCIES, TABLES

__all__ = [
    "MAX_PLACES",
    "REGION_SIGNALS",
    "local_authorities",
    "generate_national",
    "national_readme",
]

#: How many English local authorities the resource lists (mid-2020 estimates, 2023 boundaries).
MAX_PLACES = 296

#: Planted signals, by region: the change from the baseline phase that each region's places
#: share (with noise per place). ``density``: added to the latent closeness of every pair in
#: the emergency phase and after (in "levels"), so the share of ties that exist rises;
#: ``gap_final``: how far councils' trust in VCSE organisations exceeds VCSE organisations'
#: trust in councils in the final phase (points on the 1-4 scale; the gap is 0.6 at baseline
#: and 0.15 in the emergency everywhere); ``fast_track``: the share of emergency grants
#: awarded by fast track (each in 3 to 20 days; other processes take 30 to 120 days);
#: ``vcse_seats``: VCSE seats added to each recovery board from the emergency on.
REGION_SIGNALS = {
    "North East": {"density": 0.55, "gap_final": 0.15, "fast_track": 0.7, "vcse_seats": 2},
    "North West": {"density": 0.50, "gap_final": 0.20, "fast_track": 0.6, "vcse_seats": 2},
    "Yorkshire and The Humber": {"density": 0.45, "gap_final": 0.20, "fast_track": 0.6, "vcse_seats": 2},
    "East Midlands": {"density": 0.35, "gap_final": 0.35, "fast_track": 0.5, "vcse_seats": 3},
    "West Midlands": {"density": 0.35, "gap_final": 0.35, "fast_track": 0.5, "vcse_seats": 3},
    "East of England": {"density": 0.25, "gap_final": 0.50, "fast_track": 0.4, "vcse_seats": 1},
    "London": {"density": 0.20, "gap_final": 0.45, "fast_track": 0.8, "vcse_seats": 1},
    "South East": {"density": 0.15, "gap_final": 0.60, "fast_track": 0.3, "vcse_seats": 0},
    "South West": {"density": 0.15, "gap_final": 0.60, "fast_track": 0.3, "vcse_seats": 0},
}
_DEFAULT_SIGNAL = {"density": 0.3, "gap_final": 0.4, "fast_track": 0.5, "vcse_seats": 1}

#: Sectors of a place's organisations other than its council, with their weights.
_SECTOR_WEIGHTS = {
    "health": 0.05, "vcse_infrastructure": 0.02, "vcse": 0.42, "community_group": 0.22, "faith": 0.08,
    "housing": 0.04, "funder": 0.03, "business": 0.06, "education": 0.05, "emergency_services": 0.03,
}
_SIZES = ("micro", "small", "medium", "large", "major")
_WORDS = ("Community", "Family", "Youth", "Carers", "Food", "Advice", "Neighbourhood", "Wellbeing", "Refugee",
          "Older People's", "Mental Health", "Disability", "Housing", "Arts", "Sports", "Environment")
_KINDS_OF_ORG = {"vcse": "Trust", "community_group": "Group", "faith": "Church Trust", "vcse_infrastructure": "CVS",
                 "health": "NHS Trust", "housing": "Housing Association", "funder": "Foundation",
                 "business": "Ltd", "education": "College", "emergency_services": "Fire and Rescue"}
_PHASE_AMOUNT = {"baseline": 1.0, "emergency": 0.6, "interim": 0.9, "final": 1.0}
_GRANTS_PER_10K = {"baseline": 3.0, "emergency": 6.0, "interim": 4.0, "final": 4.0}
_EVIDENCE = (
    ("shift", "partnership_working", "positive", "Partners in {place} started planning services together."),
    ("shift", "trust", "positive", "Organisations in {place} describe more trust between the council and charities."),
    ("enabler", "online_working", "positive", "Online meetings in {place} brought more partners to the table."),
    ("enabler", "local_leadership", "positive", "Leaders in {place} gave staff permission to act quickly."),
    ("threat", "capacity_burnout", "negative", "Staff and volunteers in {place} are exhausted."),
    ("threat", "funding_process", "negative", "Short-term funding in {place} makes plans hard to keep."),
    ("mitigation", "vcse_representation", "positive", "{place}'s recovery board now has VCSE members."),
)


def local_authorities() -> pd.DataFrame:
    """The 296 English local authorities the package ships: ONS code, name, area type, region, population.

    Examples
    --------
    >>> la = local_authorities()
    >>> len(la), int(la["population_mid2020"].sum())
    (296, 56550138)
    """
    with resources.files("analysis.resources").joinpath("local-authorities-england.csv").open("rb") as f:
        return pd.read_csv(f, dtype={"ons_code": str, "name": str, "area_type": str, "region": str})


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def _places(n: int) -> pd.DataFrame:
    la = local_authorities().head(n)
    places = pd.DataFrame({
        "place_id": [_slug(x) for x in la["name"]],
        "name": la["name"],
        "ons_code": la["ons_code"],
        "former_ons_codes": "",  # filled from the predecessor lookup when the study is loaded
        "area_type": la["area_type"],
        "region": la["region"],
        "population": la["population_mid2020"].astype(int),
    })
    assert places["place_id"].is_unique
    return places


def _organisations(rng: np.random.Generator, places: pd.DataFrame) -> pd.DataFrame:
    """A council and about 20 + population / 5,000 other organisations per place."""
    sectors, weights = list(_SECTOR_WEIGHTS), np.array(list(_SECTOR_WEIGHTS.values()))
    frames, serial = [], 1_000_000
    for p in places.itertuples(index=False):
        n = int(20 + p.population / 5000)
        drawn = rng.choice(len(sectors), size=n, p=weights / weights.sum())
        sector = np.array(sectors)[drawn]
        words = np.array(_WORDS)[rng.integers(0, len(_WORDS), size=n)]
        names = [f"{p.name} {w} {_KINDS_OF_ORG[s]} {k + 1}" for k, (w, s) in enumerate(zip(words, sector, strict=True))]
        ids = [f"GB-CHC-{serial + k:07d}" for k in range(n)]
        serial += n
        size = np.array(_SIZES)[np.clip(rng.poisson(1.2, size=n), 0, 4)]
        frames.append(pd.DataFrame({"org_id": [f"GB-LAE-{p.ons_code}"] + ids, "name": [f"{p.name} Council"] + names,
                                    "place_id": p.place_id, "sector": ["local_authority", *sector],
                                    "size": ["major", *size]}))
    return pd.concat(frames, ignore_index=True)[TABLES["organisations"].column_names]


def _signal(region: str) -> dict:
    return REGION_SIGNALS.get(region, _DEFAULT_SIGNAL)


def _relationships(rng: np.random.Generator, places: pd.DataFrame, orgs: pd.DataFrame) -> pd.DataFrame:
    """Each responding organisation rates about 12 partners of its place in each phase."""
    out = []
    region_of = dict(zip(places["place_id"], places["region"], strict=True))
    for place_id, po in orgs.groupby("place_id", sort=False):
        ids = po["org_id"].to_numpy()
        council = po["sector"].to_numpy() == "local_authority"
        vcse = np.isin(po["sector"].to_numpy(), ("vcse", "community_group", "faith", "vcse_infrastructure"))
        n = len(ids)
        closeness = rng.normal(0.0, 0.6, size=(n, n))
        sig = _signal(region_of[place_id])
        for k, phase in enumerate(PHASE_IDS):
            respond = rng.random(n) < 0.8
            m = min(12, n - 1)
            partners = np.argsort(rng.random((n, n)) + np.eye(n), axis=1)[:, :m]  # m partners, never itself
            rows = np.repeat(np.arange(n), m)
            cols = partners.ravel()
            keep = respond[rows]
            rows, cols = rows[keep], cols[keep]
            shift = sig["density"] if k > 0 else 0.0
            latent = 1.6 + closeness[rows, cols] + shift + rng.normal(0, 0.5, size=rows.size)
            level = np.clip(np.rint(latent), 0, 4).astype(int)
            gap = {0: 0.6, 1: 0.15}.get(k, sig["gap_final"] if phase == "final" else 0.3)
            c2v = council[rows] & vcse[cols]
            v2c = vcse[rows] & council[cols]
            trust_mu = 2.4 + 0.25 * (level - 2) + np.where(c2v, gap / 2, 0) - np.where(v2c, gap / 2, 0)
            ratings = np.clip(np.rint(trust_mu[:, None] + rng.normal(0, 0.45, size=(rows.size, 6))), 1, 4).astype(int)
            frame = pd.DataFrame({"phase_id": phase, "org_id": ids[rows], "partner_id": ids[cols], "level": level})
            for j, col in enumerate(("reliability", "mission", "openness", "influence", "involvement", "resources")):
                frame[col] = np.where(level > 0, ratings[:, j], -1)
            frame["frequency"] = np.array(FREQUENCIES)[np.clip(level + rng.integers(0, 2, size=rows.size), 0, 5)]
            out.append(frame)
    rel = pd.concat(out, ignore_index=True)
    for col in ("reliability", "mission", "openness", "influence", "involvement", "resources"):
        rel[col] = rel[col].astype(str).replace("-1", "")
    return rel[TABLES["relationships"].column_names]


def _boards(places: pd.DataFrame, orgs: pd.DataFrame) -> pd.DataFrame:
    """A recovery board per place: the council chairs; VCSE seats grow by region from the emergency on."""
    rows = []
    for p in places.itertuples(index=False):
        po = orgs[orgs["place_id"] == p.place_id]
        council = po.loc[po["sector"] == "local_authority", "org_id"].iloc[0]
        public = po.loc[po["sector"].isin(("health", "education", "emergency_services")), "org_id"].head(4).tolist()
        vcse = po.loc[po["sector"].isin(("vcse_infrastructure", "vcse")), "org_id"].head(5).tolist()
        for k, phase in enumerate(PHASE_IDS):
            seats = 1 + (_signal(p.region)["vcse_seats"] if k > 0 else 0)
            rows.append((phase, p.place_id, "Recovery Board", council, "chair"))
            rows += [(phase, p.place_id, "Recovery Board", o, "member") for o in public]
            rows += [(phase, p.place_id, "Recovery Board", o, "member") for o in vcse[:seats]]
    return pd.DataFrame(rows, columns=TABLES["boards"].column_names)


def _evidence(rng: np.random.Generator, places: pd.DataFrame) -> pd.DataFrame:
    rows, serial = [], 0
    for p in places.itertuples(index=False):
        for k, phase in enumerate(PHASE_IDS):
            for kind, theme, direction, summary in _EVIDENCE:
                if kind == "mitigation" and k == 0:
                    continue
                if rng.random() < 0.3:
                    continue
                serial += 1
                rows.append((f"EV{serial:06d}", p.place_id, phase, f"interview-{serial:06d}", kind, theme, direction,
                             "emerging", summary.format(place=p.name), "", ""))
    return pd.DataFrame(rows, columns=TABLES["evidence"].column_names)


def _survey(rng: np.random.Generator, orgs: pd.DataFrame) -> pd.DataFrame:
    """Nearly every organisation (95%) answers every item, in every phase: a national panel survey."""
    items = list(SURVEY_ITEMS)
    frames, serial = [], 0
    for _place, po in orgs.groupby("place_id", sort=False):
        panel = po.sample(frac=0.95, random_state=int(rng.integers(2**31)))
        respondents = [f"R{serial + k:07d}" for k in range(len(panel))]
        serial += len(panel)
        for k, phase in enumerate(PHASE_IDS):
            lift = 0.4 if phase == "emergency" else 0.1 * k
            n = len(panel)
            scores = np.clip(np.rint(3.0 + lift + rng.normal(0, 0.9, size=(n, len(items)))), 1, 5).astype(int)
            frames.append(pd.DataFrame({
                "phase_id": phase,
                "respondent_id": np.repeat(respondents, len(items)),
                "org_id": np.repeat(panel["org_id"].to_numpy(), len(items)),
                "item_id": np.tile(items, n),
                "score": scores.ravel().astype(str),
            }))
    return pd.concat(frames, ignore_index=True)[TABLES["survey_responses"].column_names]


def _grants(rng: np.random.Generator, places: pd.DataFrame, orgs: pd.DataFrame) -> pd.DataFrame:
    frames = []
    for p in places.itertuples(index=False):
        po = orgs[orgs["place_id"] == p.place_id]
        recipients = po[po["sector"].isin(("vcse", "community_group", "faith", "vcse_infrastructure"))]
        funders = po[po["sector"].isin(("local_authority", "funder"))]
        if recipients.empty:
            continue
        for phase in PHASE_IDS:
            _label, start, end, _d = PHASES[phase]
            start, end = pd.Timestamp(start), pd.Timestamp(end)
            n = max(1, int(rng.poisson(_GRANTS_PER_10K[phase] * p.population / 10_000)))
            fast = _signal(p.region)["fast_track"] if phase == "emergency" else 0.15
            process = np.where(rng.random(n) < fast, "fast_track",
                               np.array(AWARD_PROCESSES)[rng.choice([0, 1, 3, 4], size=n)])
            days = np.where(process == "fast_track", rng.integers(3, 21, size=n), rng.integers(30, 121, size=n))
            award = start + pd.to_timedelta(rng.integers(0, (end - start).days + 1, size=n), unit="D")
            r = recipients.iloc[rng.integers(0, len(recipients), size=n)]
            f = funders.iloc[rng.integers(0, len(funders), size=n)]
            amount = (np.rint(rng.lognormal(8.6, 0.8, size=n) * _PHASE_AMOUNT[phase] / 50) * 50).clip(50)
            frames.append(pd.DataFrame({
                "Title": "Community support", "Currency": "GBP", "Amount Awarded": amount.astype(int),
                "Award Date": award.strftime("%Y-%m-%d"),
                "Recipient Org:Identifier": r["org_id"].to_numpy(), "Recipient Org:Name": r["name"].to_numpy(),
                "Funding Org:Identifier": f["org_id"].to_numpy(), "Funding Org:Name": f["name"].to_numpy(),
                "Description": "", "Beneficiary Location:Name": p.name,
                "Beneficiary Location:Geographic Code": p.ons_code, "Grant Programme:Title": f"{PHASES[phase][0]} fund",
                "Application Date": (award - pd.to_timedelta(days, unit="D")).strftime("%Y-%m-%d"),
                "Award Process": process,
            }))
    grants = pd.concat(frames, ignore_index=True)
    grants["Identifier"] = [f"360G-national-{k:07d}" for k in range(1, len(grants) + 1)]
    return grants[TABLES["grants"].column_names]


def generate_national(n_places: int, seed: int = 2020) -> tuple[dict[str, pd.DataFrame], dict]:
    """Tables and settings of an illustrative study over the first ``n_places`` English local authorities.

    Parameters
    ----------
    n_places : int
        1 to :data:`MAX_PLACES`, in the order of the resource (ONS code order: the North East first).
    seed : int
        Seed of the random generator; the same seed always gives the same tables.

    Returns
    -------
    tables : dict of str to pandas.DataFrame
        One DataFrame per table, with the schema's columns in the schema's order.
    settings : dict
        The contents of ``study.yml``.

    Raises
    ------
    ValueError
        When ``n_places`` is outside 1 to 296.

    Examples
    --------
    >>> tables, settings = generate_national(4, seed=1)
    >>> tables["places"]["place_id"].tolist()
    ['hartlepool', 'middlesbrough', 'redcar-and-cleveland', 'stockton-on-tees']
    >>> settings["illustrative"], len(tables["phases"])
    (True, 4)
    """
    if not 1 <= int(n_places) <= MAX_PLACES:
        raise ValueError(f"the number of places must be between 1 and {MAX_PLACES}, not {n_places}")
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(5)]
    places = _places(int(n_places))
    orgs = _organisations(streams[0], places)
    tables = {
        "places": places[TABLES["places"].column_names],
        "phases": pd.DataFrame([(pid, *PHASES[pid]) for pid in PHASE_IDS], columns=TABLES["phases"].column_names),
        "organisations": orgs,
        "relationships": _relationships(streams[1], places, orgs),
        "boards": _boards(places, orgs),
        "themes": pd.DataFrame([(t, *v) for t, v in THEMES.items()], columns=TABLES["themes"].column_names),
        "evidence": _evidence(streams[2], places),
        "survey_items": pd.DataFrame([(i, text, theme, "true" if rev else "false")
                                      for i, (text, theme, rev) in SURVEY_ITEMS.items()],
                                     columns=TABLES["survey_items"].column_names),
        "survey_responses": _survey(streams[3], orgs),
        "grants": _grants(streams[4], places, orgs),
    }
    settings = {
        "name": f"Coordination in place: illustrative national study ({n_places} places)",
        "description": ("Invented data about the first English local authorities through four phases of the "
                        "Covid-19 response, generated by `coordination make-example --places N`. The places, ONS "
                        "codes, regions and populations are real; everything else is made up, with signals "
                        "planted by region (see README.md in this folder)."),
        "illustrative": True,
        "tie_min_level": 2,
        "disclosure_threshold": 5,
        "nameable": orgs.loc[orgs["sector"] == "local_authority", "org_id"].tolist(),
    }
    return tables, settings


def national_readme(tables: dict[str, pd.DataFrame], seed: int) -> str:
    """The README written beside a national study: what is real, what is invented, the planted signals."""
    places = tables["places"]
    regions = places["region"].value_counts().sort_index()
    lines = [
        f"# Illustrative national study: {len(places)} places",
        "",
        f"Generated by `coordination make-example --places {len(places)} --seed {seed}`. The places (ONS codes,",
        "names, regions, mid-2020 populations; Open Government Licence v3.0) are real; the organisations,",
        "ratings, board seats, observations, survey answers and grants are invented.",
        "",
        "| table | rows |",
        "|---|---|",
        *(f"| {name} | {len(frame):,} |" for name, frame in tables.items()),
        "",
        "## Planted signals, by region",
        "",
        "Density: every pair's latent closeness rises by this many levels from the emergency on, so more ties",
        "exist. Trust gap in the final phase: councils' trust in VCSE organisations minus theirs in councils",
        "(0.6 at baseline and 0.15 in the emergency everywhere). Fast track: share of emergency grants awarded",
        "by fast track (3 to 20 days; other processes 30 to 120). VCSE seats: added to each recovery board",
        "from the emergency on.",
        "",
        "| region | places here | density | trust gap, final | fast track, emergency | VCSE seats added |",
        "|---|---|---|---|---|---|",
    ]
    for region, count in regions.items():
        s = _signal(region)
        lines.append(f"| {region} | {count} | +{s['density']} | {s['gap_final']} | {s['fast_track']:.0%} | "
                     f"{s['vcse_seats']} |")
    return "\n".join(lines) + "\n"
