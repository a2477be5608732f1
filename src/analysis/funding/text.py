"""What funding pages say: sentences on volume, speed and reach, tables per place, funders in common."""

from __future__ import annotations

import pandas as pd

from analysis.funding.measures import flagged_amounts, funder_overlap

__all__ = [
    "recipient_label",
    "speed_sentence",
    "reach_sentence",
    "volume_sentence",
    "overlap_sentence",
    "place_funding_table",
    "funder_overlap_table",
    "organisation_names",
    "before_first_phase_sentence",
    "flagged_sentence",
    "funding_sources",
    "sources_sentence",
    "grants_in_phases",
    "no_grants_sentence",
    "funders_sentence",
]

#: How a grant entered by hand in the study's grants table is described among a page's sources.
OWN_TABLE = "the study's own grants table"
_OUTSIDE = ("Organisation outside the study", "an organisation outside the study")


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
    >>> print(speed_sentence({"days_median": 9, "days_known": 20}, {"days_median": 41, "days_known": 12},
    ...                      phase_label="emergency", previous_label="baseline"))  # doctest: +NORMALIZE_WHITESPACE
    In the emergency phase, half of grants were awarded within 9 days of application,
    against 41 days in the baseline phase.
    >>> speed_sentence({"days_median": None, "days_known": 0}, None, phase_label="emergency")
    'In the emergency phase, no grant records both an application and an award date, so speed cannot be measured.'
    """
    if row is None or not row.get("days_known"):
        return (f"In the {phase_label} phase, no grant records both an application and an award date, "
                "so speed cannot be measured.")
    sentence = (f"In the {phase_label} phase, half of grants were awarded within {_days(row['days_median'])} "
                "of application")
    if previous is not None and previous.get("days_known"):
        sentence += f", against {_days(previous['days_median'])} in the {previous_label} phase"
    elif previous_label:
        sentence += f" (the {previous_label} phase has no grants with both dates to compare)"
    return sentence + "."


def volume_sentence(row, *, place_name: str, phase_label: str) -> str:
    """A plain-English sentence on how many grants, of what value, from how many funders.

    Examples
    --------
    >>> print(volume_sentence({"grants": 12, "value": 150250.0, "funders": 3, "recipients": 10,
    ...                        "amount_median": 5000.0, "non_gbp_grants": 0},
    ...                       place_name="Coventry", phase_label="emergency"))  # doctest: +NORMALIZE_WHITESPACE
    In the emergency phase, 3 funders awarded 12 grants worth £150,250 to 10 organisations in Coventry;
    the typical (median) grant was £5,000.
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
    return sentence + "." + (" " + flagged_sentence(row) if row.get("flagged_grants") else "")


def flagged_sentence(row) -> str:
    """A sentence on the grants of £0 or less a phase has (left out of every figure), or "" when none.

    Examples
    --------
    >>> print(flagged_sentence({"flagged_grants": 2}))  # doctest: +NORMALIZE_WHITESPACE
    2 grants of £0 or less (joint grants' partners, or returned or revoked grants) are recorded but left out
    of these figures.
    """
    n = int((row or {}).get("flagged_grants") or 0)
    if not n:
        return ""
    if n == 1:
        return ("One grant of £0 or less (a joint grant's partner, or a returned or revoked grant) is recorded but "
                "left out of these figures.")
    return (f"{n} grants of £0 or less (joint grants' partners, or returned or revoked grants) are recorded but left "
            "out of these figures.")


def reach_sentence(row, *, phase_label: str) -> str:
    """A plain-English sentence on how far funding reached small and new organisations.

    Examples
    --------
    >>> print(reach_sentence({"grants": 10, "size_known": 8, "small_share": 0.5, "small_value_share": 0.25,
    ...                       "recipients": 6, "new_recipients": 3},
    ...                      phase_label="emergency"))  # doctest: +NORMALIZE_WHITESPACE
    Of the 8 grants whose recipient size is known, 50% went to micro or small organisations (25% of their value).
    3 of the 6 organisations funded in the emergency phase had no earlier grant in the study's grants.
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
              "had no earlier grant in the study's grants.")
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
        "value (GBP)": [f"£{v:,.0f}" if n else "no grants"
                        for v, n in zip(mine["value"], mine["grants"], strict=True)],
        "funders": mine["funders"].astype(int).to_numpy(),
        "organisations funded": mine["recipients"].astype(int).to_numpy(),
        "median grant": [f"£{v:,.0f}" if pd.notna(v) else "" for v in mine["amount_median"]],
        "median days to award": [f"{v:.0f}" if pd.notna(v) else "" for v in mine["days_median"]],
        "to small organisations": [f"{v:.0%}" if pd.notna(v) else "" for v in mine["small_share"]],
        "newly funded": mine["new_recipients"].astype(int).to_numpy(),
    })
    return table


def organisation_names(grants: pd.DataFrame, organisations: pd.DataFrame, side: str) -> dict[str, str]:
    """The name a page shows for each funder (``side="funder"``) or recipient of the grants.

    The names come from the grants table as the page's audience sees it
    (:func:`analysis.disclosure.for_audience` has already pseudonymised it for stakeholder
    pages: recipients are named only when nameable, funders unless study.yml says
    ``name_funders: false``), else from the organisations table.

    Examples
    --------
    >>> g = pd.DataFrame({"Funding Org:Identifier": ["f"], "Funding Org:Name": ["Wolfson Foundation"],
    ...                   "Recipient Org:Identifier": ["a"], "Recipient Org:Name": [None]})
    >>> orgs = pd.DataFrame({"org_id": ["a"], "name": ["VCSE 07"]})
    >>> organisation_names(g, orgs, "funder"), organisation_names(g, orgs, "recipient")
    ({'f': 'Wolfson Foundation'}, {'a': 'VCSE 07'})
    """
    prefix = {"funder": "Funding Org", "recipient": "Recipient Org"}[side]
    names = {str(o): str(n) for o, n in zip(organisations["org_id"], organisations["name"], strict=False)
             if isinstance(n, str)}
    ids, published = grants[f"{prefix}:Identifier"], grants.get(f"{prefix}:Name")
    out: dict[str, str] = {}
    for i, org_id in enumerate(ids):
        if pd.isna(org_id) or str(org_id) in out:
            continue
        name = published.iloc[i] if published is not None else None
        out[str(org_id)] = str(name) if isinstance(name, str) and name.strip() else names.get(
            str(org_id), "an organisation outside the study")
    return out


def funder_overlap_table(grants: pd.DataFrame, organisations: pd.DataFrame, *, top: int = 10) -> pd.DataFrame:
    """The funder pairs that share most recipients, named as the page's audience may see them.

    Names come from :func:`organisation_names` (the grants table as pseudonymised for the audience).

    Examples
    --------
    >>> g = pd.DataFrame({"Funding Org:Identifier": ["f", "f", "h"], "Recipient Org:Identifier": ["a", "b", "b"]})
    >>> orgs = pd.DataFrame({"org_id": ["f"], "name": ["Funder 1"]})
    >>> funder_overlap_table(g, orgs).to_dict("records")  # doctest: +NORMALIZE_WHITESPACE
    [{'funder': 'Funder 1', 'and funder': 'an organisation outside the study', 'organisations both fund': 1,
      'overlap (Jaccard)': '0.50'}]
    """
    g = grants[~flagged_amounts(grants)] if "Amount Awarded" in grants else grants
    names = organisation_names(g, organisations, "funder")
    overlap = funder_overlap(g).sort_values(["shared_recipients", "jaccard"], ascending=False).head(top)
    return pd.DataFrame({
        "funder": [names.get(f, "an organisation outside the study") for f in overlap["funder_a"]],
        "and funder": [names.get(f, "an organisation outside the study") for f in overlap["funder_b"]],
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


def before_first_phase_sentence(grants: pd.DataFrame, phases: pd.DataFrame, *, place_name: str) -> str:
    """A sentence counting the place's grants awarded before the study's first phase (not drawn), or "".

    Examples
    --------
    >>> g = pd.DataFrame({"Award Date": pd.to_datetime(["2011-09-07", "2015-01-20", "2020-04-01"]),
    ...                   "Amount Awarded": [10000.0, 8000.0, 5.0], "Currency": ["GBP"] * 3})
    >>> p = pd.DataFrame({"label": ["Emergency"], "start_date": pd.to_datetime(["2020-03-16"])})
    >>> print(before_first_phase_sentence(g, p, place_name="Sutton"))  # doctest: +NORMALIZE_WHITESPACE
    Before the study's first phase (Emergency, from 16 March 2020), 2 grants worth £18,000 reached
    organisations in Sutton, from September 2011 to January 2015: they are counted when deciding which
    organisations are newly funded, but not drawn below.
    """
    first = phases.sort_values("start_date").iloc[0]
    kept = grants[~flagged_amounts(grants)]
    dates = pd.to_datetime(kept["Award Date"])
    before = kept[dates < first["start_date"]]
    if before.empty:
        return ""
    gbp = before["Currency"].astype("string").str.upper().eq("GBP").fillna(False)
    value = float(before.loc[gbp, "Amount Awarded"].sum())
    d = pd.to_datetime(before["Award Date"])
    span = d.min().strftime("%B %Y") if d.min().to_period("M") == d.max().to_period("M") else \
        f"{d.min().strftime('%B %Y')} to {d.max().strftime('%B %Y')}"
    n = "1 grant" if len(before) == 1 else f"{len(before):,} grants"
    start = f"{first['start_date'].day} {first['start_date'].strftime('%B %Y')}"
    return (f"Before the study's first phase ({first['label']}, from {start}), {n} worth £{value:,.0f} reached "
            f"organisations in {place_name}, {'in' if ' to ' not in span else 'from'} {span}: they are counted when "
            "deciding which organisations are newly funded, but not drawn below.")


def funding_sources(grants: pd.DataFrame) -> pd.DataFrame:
    """The files a page's grants come from: one row per publisher's file, with its licence and date of import.

    Grants entered in the study's own grants table (no import record) are one row of their own.

    Examples
    --------
    >>> g = pd.DataFrame({"source_file": ["tracker.json", "tracker.json", None],
    ...                   "source_licence": ["CC BY 4.0"] * 2 + [None], "imported_on": ["2026-11-30"] * 2 + [None]})
    >>> funding_sources(g).to_dict("records")[1]
    {'file': 'tracker.json', 'licence': 'CC BY 4.0', 'imported': '2026-11-30', 'grants': 2}
    """
    columns = ["file", "licence", "imported", "grants"]
    if grants.empty:
        return pd.DataFrame(columns=columns)
    def col(name):
        return grants[name].astype("string") if name in grants else pd.Series(pd.NA, index=grants.index, dtype="string")
    frame = pd.DataFrame({"file": col("source_file").fillna(OWN_TABLE),
                          "licence": col("source_licence").fillna("as the study's data"),
                          "imported": col("imported_on").fillna("entered by the research team")})
    out = frame.groupby(["file", "licence", "imported"], sort=True).size().rename("grants").reset_index()
    return out[columns]


def sources_sentence(grants: pd.DataFrame) -> str:
    """One sentence naming where the page's grants come from (or that it has none).

    Examples
    --------
    >>> sources_sentence(pd.DataFrame({"source_file": ["a.json"], "source_licence": ["CC BY 4.0"],
    ...                                "imported_on": ["2026-11-30"]}))
    'The grants on this page come from 1 file: a.json (licence: CC BY 4.0; imported 2026-11-30).'
    """
    table = funding_sources(grants)
    if table.empty:
        return "No grants are recorded for this place, so this page rests on no grants data."
    parts = [f"{r.file} (licence: {r.licence}; imported {r.imported})" if r.file != OWN_TABLE else
             f"{OWN_TABLE} ({r.grants} grants)" for r in table.itertuples(index=False)]
    n = "1 file" if len(parts) == 1 else f"{len(parts)} files"
    return f"The grants on this page come from {n}: {'; '.join(parts)}."


def grants_in_phases(grants: pd.DataFrame, phases: pd.DataFrame) -> pd.DataFrame:
    """The grants (of more than £0) awarded within the study's phases: what the charts draw.

    Examples
    --------
    >>> g = pd.DataFrame({"Award Date": pd.to_datetime(["2011-09-07", "2020-04-01"]), "Amount Awarded": [1.0, 2.0]})
    >>> p = pd.DataFrame({"start_date": pd.to_datetime(["2020-03-16"]), "end_date": pd.to_datetime(["2020-06-30"])})
    >>> len(grants_in_phases(g, p))
    1
    """
    dates = pd.to_datetime(grants["Award Date"])
    inside = (dates >= phases["start_date"].min()) & (dates <= phases["end_date"].max())
    return grants[inside & ~flagged_amounts(grants)]


def no_grants_sentence(place_name: str) -> str:
    """The sentence a chart's place takes when no grant to the place falls in any phase of the study.

    Examples
    --------
    >>> print(no_grants_sentence("Sutton"))  # doctest: +NORMALIZE_WHITESPACE
    No grant to organisations in Sutton was awarded during the study's phases, so there is nothing to chart:
    import 360Giving grants with `coordination import-grants`, or add rows to grants.csv.
    """
    return (f"No grant to organisations in {place_name} was awarded during the study's phases, so there is nothing to "
            "chart: import 360Giving grants with `coordination import-grants`, or add rows to grants.csv.")


def funders_sentence(grants: pd.DataFrame, organisations: pd.DataFrame, *, place_name: str, phase_label: str) -> str:
    """A sentence naming the funders of a place's grants in a phase, largest first, as the page may name them.

    Examples
    --------
    >>> g = pd.DataFrame({"Funding Org:Identifier": ["e", "e", "b"], "Amount Awarded": [10.0, 20.0, 5.0],
    ...                   "Funding Org:Name": ["Esmée Fairbairn Foundation"] * 2 + ["Barrow Cadbury Trust"],
    ...                   "Currency": ["GBP"] * 3})
    >>> print(funders_sentence(g, pd.DataFrame({"org_id": [], "name": []}), place_name="Coventry",
    ...                        phase_label="emergency"))  # doctest: +NORMALIZE_WHITESPACE
    In the emergency phase, grants to organisations in Coventry came from Esmée Fairbairn Foundation (2 grants, £30)
    and Barrow Cadbury Trust (1 grant, £5).
    """
    kept = grants[~flagged_amounts(grants)] if "Amount Awarded" in grants else grants
    if kept.empty:
        return f"No grants to organisations in {place_name} are recorded for the {phase_label} phase."
    names = organisation_names(kept, organisations, "funder")
    gbp = kept["Currency"].astype("string").str.upper().eq("GBP").fillna(False) if "Currency" in kept else True
    frame = pd.DataFrame({"funder": kept["Funding Org:Identifier"].astype(str),
                          "value": kept["Amount Awarded"].where(gbp, 0.0)})
    per = frame.groupby("funder").agg(grants=("value", "size"), value=("value", "sum"))
    per = per.sort_values(["value", "grants"], ascending=False)
    parts = []
    for funder, n, value in zip(per.index, per["grants"].astype(int), per["value"], strict=True):
        count = "1 grant" if n == 1 else f"{n} grants"
        parts.append(f"{names.get(funder, 'an organisation outside the study')} ({count}, £{value:,.0f})")
    listed = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    return f"In the {phase_label} phase, grants to organisations in {place_name} came from {listed}."
