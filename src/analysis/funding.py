"""Funding flows: measure speed and reach per place and phase, map funders, say it in words for pages.

Reading 360Giving files is the job of ``grants_360giving``; its public names are
re-exported here.
"""

from __future__ import annotations

from itertools import combinations

import networkx as nx
import numpy as np
import pandas as pd

from analysis.grants_360giving import (  # re-exported
    GRANT_COLUMNS,
    POSTCODE_COLUMN,
    REQUIRED_GRANT_COLUMNS,
    CurrencyWarning,
    ThreeSixtyGivingError,
    ThreeSixtyGivingWarning,
    parse_amounts,
    parse_dates,
    read_360giving,
)
from analysis.schema import AWARD_PROCESSES
from analysis.study import phase_of_dates  # re-exported: the loader's rule for a date's phase

__all__ = [
    "ThreeSixtyGivingError",
    "ThreeSixtyGivingWarning",
    "CurrencyWarning",
    "GRANT_COLUMNS",
    "SMALL_SIZES",
    "read_360giving",
    "parse_dates",
    "parse_amounts",
    "postcode_district",
    "phase_of_dates",
    "funding_measures",
    "first_funded_phase",
    "funding_network",
    "funder_overlap",
    "recipient_label",
    "speed_sentence",
    "reach_sentence",
    "volume_sentence",
    "overlap_sentence",
    "place_funding_table",
    "funder_overlap_table",
]

#: Organisation sizes counted as "small" when measuring reach.
SMALL_SIZES = ("micro", "small")


# --------------------------------------------------------------------------- places and phases


def postcode_district(postcodes: pd.Series) -> pd.Series:
    """The outward code (postcode district) of UK postcodes: ``CV21 3XX`` -> ``CV21``.

    Accepts full postcodes with or without the space, any case, and bare outward codes;
    anything else gives <NA>.

    Examples
    --------
    >>> postcode_district(pd.Series(["CV21 3XX", "cv13hw", "SM1", "02211", None])).tolist()
    ['CV21', 'CV1', 'SM1', <NA>, <NA>]
    """
    text = pd.Series(postcodes, dtype="string").str.upper().str.replace(r"\s+", " ", regex=True).str.strip()
    compact = text.str.replace(" ", "", regex=False)
    full = compact.str.extract(r"^([A-Z]{1,2}[0-9][A-Z0-9]?)([0-9][A-Z]{2})$")[0]
    outward = compact.str.extract(r"^([A-Z]{1,2}[0-9][A-Z0-9]?)$")[0]
    return full.fillna(outward).astype("string")


# --------------------------------------------------------------------------- measures


def first_funded_phase(grants: pd.DataFrame, phase_order) -> pd.Series:
    """For each recipient, the earliest phase (in ``phase_order``) in which it was awarded a grant.

    Examples
    --------
    >>> g = pd.DataFrame({"Recipient Org:Identifier": ["a", "a", "b"], "phase_id": ["late", "early", "late"]})
    >>> first_funded_phase(g, ["early", "late"]).to_dict()
    {'a': 'early', 'b': 'late'}
    """
    order = {p: i for i, p in enumerate(phase_order)}
    rank = grants["phase_id"].map(order)
    known = rank.notna()
    ranks = pd.DataFrame({"recipient": grants.loc[known, "Recipient Org:Identifier"], "rank": rank[known].astype(int)})
    first = ranks.groupby("recipient", sort=True)["rank"].min()
    return first.map(dict(enumerate(phase_order))).rename("first_phase")


def funding_measures(grants: pd.DataFrame, organisations: pd.DataFrame | None = None, phase_order=None) -> pd.DataFrame:
    """Speed and reach of funding per place and phase.

    Parameters
    ----------
    grants : pandas.DataFrame
        The study's grants table with the loader's derived columns ``place_id``, ``phase_id``
        and ``days_to_award``. Grants with no place or phase are left out.
    organisations : pandas.DataFrame, optional
        The study's organisations (``org_id``, ``size``): recipients' sizes for reach.
    phase_order : sequence of str, optional
        Phases in time order (``study.phase_ids``), for recipients "new" in a phase; by
        default the order in which phases first appear by award date.

    Returns
    -------
    pandas.DataFrame
        One row per (place_id, phase_id) with grants: ``grants`` (count), ``value`` (sum in
        GBP; grants in other currencies are counted in ``non_gbp_grants``, never summed),
        ``funders`` and ``recipients`` (distinct), ``amount_q1``, ``amount_median``,
        ``amount_q3`` (GBP grants), ``days_median`` and ``days_known`` (application to award),
        ``process_known`` and ``share_<process>`` for each award process (share of grants
        whose process is known), ``size_known``, ``small_share`` and ``small_value_share``
        (share of grants, and of their GBP value, among grants whose recipient's size is
        known, that reached micro or small organisations), ``new_recipients`` (recipients
        with no grant in any earlier phase, anywhere in the table) and ``new_recipient_share``.

    Examples
    --------
    >>> g = pd.DataFrame({"place_id": ["p", "p"], "phase_id": ["x", "x"], "Currency": ["GBP", "GBP"],
    ...     "Amount Awarded": [100.0, 300.0], "Funding Org:Identifier": ["f", "f"],
    ...     "Recipient Org:Identifier": ["a", "b"], "days_to_award": [4.0, None],
    ...     "Award Process": ["fast_track", None], "Award Date": pd.to_datetime(["2020-04-01"] * 2)})
    >>> m = funding_measures(g)
    >>> m[["grants", "value", "amount_median", "days_median", "days_known", "share_fast_track"]].to_dict("records")
    [{'grants': 2, 'value': 400.0, 'amount_median': 200.0, 'days_median': 4.0, 'days_known': 1, 'share_fast_track': 1.0}]
    """
    g = grants[grants["place_id"].notna() & grants["phase_id"].notna()]
    keys = ["place_id", "phase_id"]
    place = g["place_id"].astype("string")
    phase = g["phase_id"].astype("string")
    gbp = g["Currency"].astype("string").str.upper().eq("GBP").fillna(False).to_numpy()
    amount = g["Amount Awarded"].astype(float)
    frame = pd.DataFrame({
        "place_id": place, "phase_id": phase,
        "amount": amount.where(gbp),
        "non_gbp": ~gbp,
        "funder": g["Funding Org:Identifier"].astype("string"),
        "recipient": g["Recipient Org:Identifier"].astype("string"),
        "days": g["days_to_award"].astype(float) if "days_to_award" in g else np.nan,
        "process": pd.Series(g["Award Process"], index=g.index).astype("string") if "Award Process" in g else pd.NA,
    })
    grouped = frame.groupby(keys, sort=True, observed=True)
    out = grouped.agg(
        grants=("recipient", "size"),
        value=("amount", "sum"),
        non_gbp_grants=("non_gbp", "sum"),
        funders=("funder", "nunique"),
        recipients=("recipient", "nunique"),
        amount_q1=("amount", lambda a: a.quantile(0.25)),
        amount_median=("amount", "median"),
        amount_q3=("amount", lambda a: a.quantile(0.75)),
        days_median=("days", "median"),
        days_known=("days", "count"),
        process_known=("process", "count"),
    )
    shares = pd.crosstab([frame["place_id"], frame["phase_id"]], frame["process"].astype("string"))
    for process in AWARD_PROCESSES:
        counts = shares[process] if process in shares else pd.Series(0, index=shares.index)
        out[f"share_{process}"] = (counts.reindex(out.index).fillna(0) / out["process_known"]).where(out["process_known"] > 0)

    sizes = pd.Series(dtype="string")
    if organisations is not None and "size" in organisations and len(organisations):
        sizes = pd.Series(organisations["size"].astype("string").to_numpy(),
                          index=organisations["org_id"].astype("string").to_numpy())
    size = frame["recipient"].map(sizes)
    small = size.isin(SMALL_SIZES).fillna(False) & size.notna()
    reach = pd.DataFrame({
        "place_id": frame["place_id"], "phase_id": frame["phase_id"],
        "known": size.notna(), "small": small,
        "known_value": frame["amount"].where(size.notna()), "small_value": frame["amount"].where(small),
    }).groupby(keys, sort=True, observed=True).sum(min_count=0)
    out["size_known"] = reach["known"].astype(int)
    out["small_share"] = (reach["small"] / reach["known"]).where(reach["known"] > 0)
    out["small_value_share"] = (reach["small_value"] / reach["known_value"]).where(reach["known_value"] > 0)

    if phase_order is None:
        phase_order = list(g.sort_values("Award Date")["phase_id"].drop_duplicates()) if "Award Date" in g \
            else sorted(frame["phase_id"].unique())
    first = first_funded_phase(grants.assign(phase_id=grants["phase_id"].astype("string")), list(phase_order))
    pairs = frame[["place_id", "phase_id", "recipient"]].drop_duplicates()
    pairs = pairs.assign(new=pairs["recipient"].map(first).eq(pairs["phase_id"]).fillna(False))
    out["new_recipients"] = pairs.groupby(keys, sort=True, observed=True)["new"].sum().astype(int)
    out["new_recipient_share"] = out["new_recipients"] / out["recipients"]

    out = out.reset_index()
    out["non_gbp_grants"] = out["non_gbp_grants"].astype(int)
    out["grants"] = out["grants"].astype(int)
    if phase_order is not None:
        rank = {p: i for i, p in enumerate(phase_order)}
        out = out.sort_values(["place_id", "phase_id"], key=lambda s: s.map(rank) if s.name == "phase_id" else s)
    return out.reset_index(drop=True)


# --------------------------------------------------------------------------- networks


def funding_network(grants: pd.DataFrame, organisations: pd.DataFrame | None = None) -> nx.Graph:
    """The funder-to-recipient network: a bipartite graph, one edge per funder-recipient pair.

    Funders carry ``bipartite=0`` and recipients ``bipartite=1`` (networkx's convention);
    an organisation that both funds and receives appears once as a funder and once as a
    recipient (nodes are ``("funder", id)`` and ``("recipient", id)``). Edges carry
    ``grants`` (count) and ``value`` (GBP only). Nodes carry ``org_id``, ``in_study``
    (whether the organisations table holds them) and ``name`` (from the organisations table,
    so pseudonyms hold on stakeholder pages; None for organisations outside the study).

    Examples
    --------
    >>> g = pd.DataFrame({"Funding Org:Identifier": ["f", "f", "h"], "Recipient Org:Identifier": ["a", "a", "a"],
    ...     "Amount Awarded": [1.0, 2.0, 5.0], "Currency": ["GBP"] * 3})
    >>> B = funding_network(g)
    >>> sorted(B.edges(data="grants"))
    [(('funder', 'f'), ('recipient', 'a'), 2), (('funder', 'h'), ('recipient', 'a'), 1)]
    >>> nx.bipartite.is_bipartite(B)
    True
    """
    funder = grants["Funding Org:Identifier"].astype("string")
    recipient = grants["Recipient Org:Identifier"].astype("string")
    gbp = grants["Currency"].astype("string").str.upper().eq("GBP").fillna(False)
    edges = pd.DataFrame({"funder": funder, "recipient": recipient,
                          "value": grants["Amount Awarded"].astype(float).where(gbp, 0.0)})
    edges = edges.groupby(["funder", "recipient"], sort=True).agg(grants=("value", "size"), value=("value", "sum"))
    names = {}
    if organisations is not None and len(organisations):
        names = dict(zip(organisations["org_id"].astype(str), organisations["name"].astype(str)))
    B = nx.Graph()
    for f in edges.index.get_level_values("funder").unique():
        B.add_node(("funder", f), bipartite=0, org_id=f, in_study=f in names, name=names.get(f))
    for r in edges.index.get_level_values("recipient").unique():
        B.add_node(("recipient", r), bipartite=1, org_id=r, in_study=r in names, name=names.get(r))
    for (f, r), row in edges.iterrows():
        B.add_edge(("funder", f), ("recipient", r), grants=int(row["grants"]), value=float(row["value"]))
    return B


def funder_overlap(grants: pd.DataFrame) -> pd.DataFrame:
    """Which funders fund the same organisations: shared recipients and Jaccard per funder pair.

    Returns one row per pair of funders with at least one shared recipient: ``funder_a``,
    ``funder_b`` (identifiers, ``funder_a < funder_b``), ``shared_recipients``, and
    ``jaccard`` = shared / recipients of either (Jaccard 1901).

    References
    ----------
    Jaccard, P. (1901). Etude comparative de la distribution florale dans une portion des Alpes
    et du Jura. Bulletin de la Societe Vaudoise des Sciences Naturelles 37, 547-579.

    Examples
    --------
    >>> g = pd.DataFrame({"Funding Org:Identifier": ["f", "f", "h", "h", "k"],
    ...                   "Recipient Org:Identifier": ["a", "b", "b", "c", "z"]})
    >>> funder_overlap(g).to_dict("records")
    [{'funder_a': 'f', 'funder_b': 'h', 'shared_recipients': 1, 'jaccard': 0.3333333333333333}]
    """
    pairs = pd.DataFrame({"funder": grants["Funding Org:Identifier"].astype(str),
                          "recipient": grants["Recipient Org:Identifier"].astype(str)}).drop_duplicates()
    sets = pairs.groupby("funder")["recipient"].agg(frozenset)
    funders_of = pairs.groupby("recipient")["funder"].agg(lambda s: sorted(s))
    shared: dict[tuple[str, str], int] = {}
    for funders in funders_of:
        for a, b in combinations(funders, 2):
            shared[(a, b)] = shared.get((a, b), 0) + 1
    rows = [
        {"funder_a": a, "funder_b": b, "shared_recipients": n, "jaccard": n / len(sets[a] | sets[b])}
        for (a, b), n in sorted(shared.items())
    ]
    return pd.DataFrame(rows, columns=["funder_a", "funder_b", "shared_recipients", "jaccard"])


# --------------------------------------------------------------------------- words for readers


def recipient_label(org_id, organisations: pd.DataFrame) -> str:
    """The name a page may show for an organisation: from the (pseudonymised) organisations table.

    Organisations outside the study are never named from the grants file.

    Examples
    --------
    >>> orgs = pd.DataFrame({"org_id": ["GB-CHC-1"], "name": ["Organisation A"]})
    >>> recipient_label("GB-CHC-1", orgs), recipient_label("GB-CHC-2", orgs)
    ('Organisation A', 'an organisation outside the study')
    """
    match = organisations.loc[organisations["org_id"].astype(str) == str(org_id), "name"]
    return str(match.iloc[0]) if len(match) else "an organisation outside the study"


def _days(n: float) -> str:
    n = int(round(n))
    return f"{n} day" if n == 1 else f"{n} days"


def speed_sentence(row, previous=None, *, phase_label: str, previous_label: str | None = None) -> str:
    """A plain-English sentence on how fast grants were awarded in a phase, against the one before.

    Parameters
    ----------
    row, previous : mapping or None
        Rows of :func:`funding_measures` for the phase and the previous phase (None when none).
    phase_label, previous_label : str
        How the phases are called in the study.

    Examples
    --------
    >>> speed_sentence({"days_median": 9, "days_known": 20}, {"days_median": 41, "days_known": 12},
    ...                phase_label="emergency", previous_label="baseline")
    'In the emergency phase, half of grants were awarded within 9 days of application, against 41 days in the baseline phase.'
    >>> speed_sentence({"days_median": None, "days_known": 0}, None, phase_label="emergency")
    'In the emergency phase, no grant records both an application and an award date, so speed cannot be measured.'
    """
    if row is None or not row.get("days_known"):
        return (f"In the {phase_label} phase, no grant records both an application and an award date, "
                "so speed cannot be measured.")
    sentence = f"In the {phase_label} phase, half of grants were awarded within {_days(row['days_median'])} of application"
    if previous is not None and previous.get("days_known"):
        sentence += f", against {_days(previous['days_median'])} in the {previous_label} phase"
    elif previous_label:
        sentence += f" (the {previous_label} phase has no grants with both dates to compare)"
    return sentence + "."


def volume_sentence(row, *, place_name: str, phase_label: str) -> str:
    """A plain-English sentence on how many grants, of what value, from how many funders.

    Examples
    --------
    >>> volume_sentence({"grants": 12, "value": 150250.0, "funders": 3, "recipients": 10,
    ...                  "amount_median": 5000.0, "non_gbp_grants": 0}, place_name="Coventry", phase_label="emergency")
    'In the emergency phase, 3 funders awarded 12 grants worth £150,250 to 10 organisations in Coventry; the typical (median) grant was £5,000.'
    """
    if row is None or not row.get("grants"):
        return f"No grants to organisations in {place_name} are recorded for the {phase_label} phase."
    funders = "1 funder" if row["funders"] == 1 else f"{row['funders']} funders"
    grants = "1 grant" if row["grants"] == 1 else f"{row['grants']} grants"
    recipients = "1 organisation" if row["recipients"] == 1 else f"{row['recipients']} organisations"
    sentence = (f"In the {phase_label} phase, {funders} awarded {grants} worth £{row['value']:,.0f} to {recipients} "
                f"in {place_name}")
    if pd.notna(row.get("amount_median")):
        sentence += f"; the typical (median) grant was £{row['amount_median']:,.0f}"
    if row.get("non_gbp_grants"):
        sentence += f" ({row['non_gbp_grants']} in other currencies are not included in the total)"
    return sentence + "."


def reach_sentence(row, *, phase_label: str) -> str:
    """A plain-English sentence on how far funding reached small and new organisations.

    Examples
    --------
    >>> reach_sentence({"grants": 10, "size_known": 8, "small_share": 0.5, "small_value_share": 0.25,
    ...                 "recipients": 6, "new_recipients": 3}, phase_label="emergency")
    'Of the 8 grants whose recipient size is known, 50% went to micro or small organisations (25% of their value). 3 of the 6 organisations funded in the emergency phase had no grant in any earlier phase.'
    """
    if row is None or not row.get("grants"):
        return f"No grants are recorded for the {phase_label} phase."
    if row.get("size_known"):
        first = (f"Of the {row['size_known']} grants whose recipient size is known, {row['small_share']:.0%} went to "
                 f"micro or small organisations")
        if pd.notna(row.get("small_value_share")):
            first += f" ({row['small_value_share']:.0%} of their value)"
        first += "."
    else:
        first = "No recipient's size is recorded, so reach to small organisations cannot be measured."
    second = (f" {row['new_recipients']} of the {row['recipients']} organisations funded in the {phase_label} phase "
              "had no grant in any earlier phase.")
    return first + second


# --------------------------------------------------------------------------- tables for pages


def place_funding_table(measures: pd.DataFrame, place_id: str, phase_order, phase_labels: dict) -> pd.DataFrame:
    """One place's funding measures, a row per phase in time order, with readers' headings.

    Phases without grants get a row of zeros and blanks, so every phase of the study shows.

    Examples
    --------
    >>> m = pd.DataFrame({"place_id": ["p"], "phase_id": ["b"], "grants": [3], "value": [900.0], "funders": [1],
    ...     "recipients": [2], "amount_median": [300.0], "days_median": [12.0], "days_known": [3],
    ...     "small_share": [0.5], "new_recipients": [1]})
    >>> place_funding_table(m, "p", ["a", "b"], {"a": "Before", "b": "After"})["grants"].tolist()
    [0, 3]
    """
    mine = measures[measures["place_id"] == place_id].set_index("phase_id").reindex(list(phase_order))
    for column in ("grants", "value", "funders", "recipients", "new_recipients", "days_known"):
        if column in mine:
            mine[column] = mine[column].fillna(0)
    table = pd.DataFrame({
        "phase": [phase_labels.get(p, p) for p in phase_order],
        "grants": mine["grants"].astype(int).to_numpy(),
        "value (GBP)": [f"£{v:,.0f}" for v in mine["value"]],
        "funders": mine["funders"].astype(int).to_numpy(),
        "organisations funded": mine["recipients"].astype(int).to_numpy(),
        "median grant": [f"£{v:,.0f}" if pd.notna(v) else "" for v in mine["amount_median"]],
        "median days to award": [f"{v:.0f}" if pd.notna(v) else "" for v in mine["days_median"]],
        "to small organisations": [f"{v:.0%}" if pd.notna(v) else "" for v in mine["small_share"]],
        "newly funded": mine["new_recipients"].astype(int).to_numpy(),
    })
    return table


def funder_overlap_table(grants: pd.DataFrame, organisations: pd.DataFrame, *, top: int = 10) -> pd.DataFrame:
    """The funder pairs that share most recipients, named from the organisations table.

    Funders outside the study are "an organisation outside the study" (never the grant
    file's name), so pseudonyms hold on stakeholder pages.

    Examples
    --------
    >>> g = pd.DataFrame({"Funding Org:Identifier": ["f", "f", "h"], "Recipient Org:Identifier": ["a", "b", "b"]})
    >>> orgs = pd.DataFrame({"org_id": ["f"], "name": ["Funder 1"]})
    >>> funder_overlap_table(g, orgs).to_dict("records")
    [{'funder': 'Funder 1', 'and funder': 'an organisation outside the study', 'organisations both fund': 1, 'overlap (Jaccard)': '0.50'}]
    """
    overlap = funder_overlap(grants).sort_values(["shared_recipients", "jaccard"], ascending=False).head(top)
    return pd.DataFrame({
        "funder": [recipient_label(f, organisations) for f in overlap["funder_a"]],
        "and funder": [recipient_label(f, organisations) for f in overlap["funder_b"]],
        "organisations both fund": overlap["shared_recipients"].astype(int).to_numpy(),
        "overlap (Jaccard)": [f"{j:.2f}" for j in overlap["jaccard"]],
    })


def overlap_sentence(grants: pd.DataFrame, *, place_name: str, phase_label: str) -> str:
    """A plain-English sentence on whether funders in a place fund the same organisations.

    Examples
    --------
    >>> g = pd.DataFrame({"Funding Org:Identifier": ["f", "f", "h"], "Recipient Org:Identifier": ["a", "b", "b"]})
    >>> overlap_sentence(g, place_name="Coventry", phase_label="emergency")
    'In the emergency phase, 1 of the 2 organisations funded in Coventry had grants from more than one funder.'
    """
    pairs = grants[["Funding Org:Identifier", "Recipient Org:Identifier"]].drop_duplicates()
    if pairs.empty:
        return f"No grants to organisations in {place_name} are recorded for the {phase_label} phase."
    per_recipient = pairs.groupby("Recipient Org:Identifier").size()
    several = int((per_recipient > 1).sum())
    return (f"In the {phase_label} phase, {several} of the {len(per_recipient)} organisations funded in {place_name} "
            "had grants from more than one funder.")
