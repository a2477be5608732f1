"""Funding measures per place and phase (volume, speed, reach, newly funded), the funder-recipient network."""

from __future__ import annotations

from itertools import combinations

import networkx as nx
import numpy as np
import pandas as pd

from analysis.schema import AWARD_PROCESSES

__all__ = [
    "SMALL_SIZES",
    "flagged_amounts",
    "first_award_dates",
    "funding_measures",
    "first_funded_phase",
    "funding_network",
    "funder_overlap",
]

#: Organisation sizes counted as "small" when measuring reach.
SMALL_SIZES = ("micro", "small")


def flagged_amounts(grants: pd.DataFrame) -> pd.Series:
    """Grants of £0 or less: joint grants' partners (published at £0) and returned or revoked grants.

    They are kept in the study, flagged, and left out of counts, totals and medians of grants.

    Examples
    --------
    >>> flagged_amounts(pd.DataFrame({"Amount Awarded": [100.0, 0.0, -50.0, None]})).tolist()
    [False, True, True, False]
    """
    return (pd.to_numeric(grants["Amount Awarded"], errors="coerce") <= 0).fillna(False)


def first_award_dates(grants: pd.DataFrame) -> pd.Series:
    """Each recipient's first award date in the whole table (every place, every phase, and before the first).

    Flagged grants (:func:`flagged_amounts`) do not count. Recipients are compared ignoring case.

    Examples
    --------
    >>> g = pd.DataFrame({"Recipient Org:Identifier": ["a", "A", "b"], "Amount Awarded": [1.0, 1.0, 0.0],
    ...                   "Award Date": pd.to_datetime(["2020-05-01", "2011-09-07", "2020-01-01"])})
    >>> first_award_dates(g).dt.strftime("%Y-%m-%d").to_dict()
    {'a': '2011-09-07'}
    """
    kept = grants[~flagged_amounts(grants)]
    key = kept["Recipient Org:Identifier"].astype("string").str.strip().str.casefold()
    return pd.to_datetime(kept["Award Date"]).groupby(key.to_numpy()).min().rename("first_award")


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


def funding_measures(grants: pd.DataFrame, organisations: pd.DataFrame | None = None, phase_order=None,
                     phases: pd.DataFrame | None = None) -> pd.DataFrame:
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
    phases : pandas.DataFrame, optional
        The study's phases (``phase_id``, ``start_date``). When given, a recipient is new in a
        phase when no grant in the whole table (any place, and before the first phase too) was
        awarded to it before the phase started; without it, when it had no grant in an earlier
        phase.

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
        with no earlier grant anywhere in the table) and ``new_recipient_share``, and
        ``flagged_grants``: grants of £0 or less (joint grants' partners, returned or revoked
        grants), which are left out of every other measure.

    Examples
    --------
    >>> g = pd.DataFrame({"place_id": ["p", "p"], "phase_id": ["x", "x"], "Currency": ["GBP", "GBP"],
    ...     "Amount Awarded": [100.0, 300.0], "Funding Org:Identifier": ["f", "f"],
    ...     "Recipient Org:Identifier": ["a", "b"], "days_to_award": [4.0, None],
    ...     "Award Process": ["fast_track", None], "Award Date": pd.to_datetime(["2020-04-01"] * 2)})
    >>> m = funding_measures(g)
    >>> m[["grants", "value", "amount_median", "days_median", "days_known", "share_fast_track"]].to_dict("records")
    ... # doctest: +NORMALIZE_WHITESPACE
    [{'grants': 2, 'value': 400.0, 'amount_median': 200.0, 'days_median': 4.0, 'days_known': 1,
      'share_fast_track': 1.0}]
    """
    placed = grants[grants["place_id"].notna() & grants["phase_id"].notna()]
    flagged = flagged_amounts(placed)
    g = placed[~flagged]
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
        known = out["process_known"]
        out[f"share_{process}"] = (counts.reindex(out.index).fillna(0) / known).where(known > 0)

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
    pairs = frame[["place_id", "phase_id", "recipient"]].drop_duplicates()
    if not len(pairs):  # no grant in any place and phase: nobody newly funded, and nothing to compare
        pairs = pairs.assign(new=pd.Series(dtype=bool))
    elif phases is not None and len(phases):
        first_date = first_award_dates(grants)
        start_of = dict(zip(phases["phase_id"].astype(str), pd.to_datetime(phases["start_date"]), strict=False))
        first_seen = pairs["recipient"].str.strip().str.casefold().map(first_date)
        starts = pairs["phase_id"].map(start_of)
        pairs = pairs.assign(new=(first_seen >= starts).fillna(False).astype(bool))
    else:
        first = first_funded_phase(grants[~flagged_amounts(grants)].assign(
            phase_id=grants["phase_id"].astype("string")), list(phase_order))
        pairs = pairs.assign(new=pairs["recipient"].map(first).eq(pairs["phase_id"]).fillna(False))
    out["new_recipients"] = pairs.groupby(keys, sort=True, observed=True)["new"].sum().astype(int)
    out["new_recipient_share"] = out["new_recipients"] / out["recipients"]

    flag_counts = pd.DataFrame({"place_id": placed["place_id"].astype("string"),
                                "phase_id": placed["phase_id"].astype("string"), "flagged": flagged})
    out = out.join(flag_counts.groupby(keys, observed=True)["flagged"].sum().rename("flagged_grants"), how="outer")
    out["flagged_grants"] = out["flagged_grants"].fillna(0).astype(int)
    for column in ("grants", "non_gbp_grants", "funders", "recipients", "new_recipients", "days_known",
                   "process_known", "size_known"):
        out[column] = out[column].fillna(0).astype(int)
    out["value"] = out["value"].fillna(0.0)
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
    (whether the organisations table holds them) and ``name``: the grants table's name (as
    :func:`analysis.disclosure.for_audience` leaves it for the page's audience), else the
    organisations table's, else None.

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
        names = dict(zip(organisations["org_id"].astype(str), organisations["name"].astype(str), strict=False))
    published = {}
    for side, column in (("funder", "Funding Org"), ("recipient", "Recipient Org")):
        if f"{column}:Name" in grants:
            for org_id, name in zip(grants[f"{column}:Identifier"], grants[f"{column}:Name"], strict=False):
                if isinstance(name, str) and name.strip():
                    published.setdefault((side, str(org_id)), name)
    B = nx.Graph()
    for f in edges.index.get_level_values("funder").unique():
        B.add_node(("funder", f), bipartite=0, org_id=f, in_study=f in names,
                   name=published.get(("funder", f), names.get(f)))
    for r in edges.index.get_level_values("recipient").unique():
        B.add_node(("recipient", r), bipartite=1, org_id=r, in_study=r in names,
                   name=published.get(("recipient", r), names.get(r)))
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
