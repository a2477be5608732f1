"""What funding pages say: sentences on volume, speed and reach, tables per place, funders in common."""

from __future__ import annotations

import pandas as pd

from analysis.funding.measures import funder_overlap

__all__ = [
    "recipient_label",
    "speed_sentence",
    "reach_sentence",
    "volume_sentence",
    "overlap_sentence",
    "place_funding_table",
    "funder_overlap_table",
]


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
