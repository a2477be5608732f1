"""Figures of funding flows: awards over time with phases shaded, grant sizes, funder-recipient map."""

from __future__ import annotations

import textwrap

import matplotlib.dates as mdates
import networkx as nx
import numpy as np
import pandas as pd
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

from analysis import downloads  # the table each figure draws, for its CSV link (fig.data)
from analysis.absence import Absent, count_noun
from analysis.style import OKABE_ITO, new_figure, sector_colour, sector_label

__all__ = ["awards_over_time", "grant_size_distribution", "funder_recipient_map"]

_PHASE_SHADES = ("#F2F2F2", "#E0E0E0")
# Near-black, not #000000: the leak check reads SVG text and a run of six zeros in an identifier
# ("360G-barrowcadbury-001b000000ViITn") would match the colour code.
_BOX_EDGE = "#1A1A1A"
_UNNAMED = ("Organisation outside the study", "an organisation outside the study")


def _pounds(x, _pos=None) -> str:
    if x >= 1_000_000:
        return f"£{x / 1_000_000:g}m"
    if x >= 1_000:
        return f"£{x / 1_000:g}k"
    return f"£{x:g}"


def awards_over_time(grants: pd.DataFrame, phases: pd.DataFrame, *, place_name: str, highlight: str | None = None):
    """Grants awarded per month in a place over the study's phases, the phases shaded and numbered.

    The chart covers the study's phases only: grants before the first phase or after the last
    are not drawn (pages count them in a sentence, see
    :func:`analysis.funding.text.before_first_phase_sentence`); grants of £0 or less are left
    out. The date axis chooses its ticks for the span (months for a year, years for a decade)
    so labels never print over each other, and the phases are numbered on the chart and named
    in a key below it, so long labels and short phases cannot collide.

    Parameters
    ----------
    grants : pandas.DataFrame
        The place's grants (``Award Date``, ``Amount Awarded``, ``Currency``).
    phases : pandas.DataFrame
        The study's phases (``phase_id``, ``label``, ``start_date``, ``end_date``).
    place_name : str
        For the title and alt text.
    highlight : str, optional
        A phase_id to shade more strongly (the page's phase).

    Returns
    -------
    matplotlib.figure.Figure
    """
    ordered = phases.sort_values("start_date").reset_index(drop=True)
    start, end = ordered["start_date"].min(), ordered["end_date"].max()
    kept = grants[~(pd.to_numeric(grants["Amount Awarded"], errors="coerce") <= 0).fillna(False)]
    dates = pd.to_datetime(kept["Award Date"])
    inside = (dates >= start) & (dates <= end)
    kept, dates = kept[inside], dates[inside]
    monthly = dates.dt.to_period("M").value_counts().sort_index()
    gbp = kept["Currency"].astype("string").str.upper().eq("GBP").fillna(False)
    value = kept.loc[gbp].groupby(dates[gbp].dt.to_period("M"))["Amount Awarded"].sum()
    months = pd.period_range(start.to_period("M"), end.to_period("M"), freq="M")
    counts = monthly.reindex(months, fill_value=0)
    values = value.reindex(months, fill_value=0.0)
    peak = counts.idxmax() if counts.max() else None
    alt = (f"Bar chart of grants awarded each month to organisations in {place_name} during the study's phases "
           f"({', '.join(str(x) for x in ordered['label'])}), {len(kept)} grants in all."
           + (f" The busiest month was {peak.strftime('%B %Y')} with {counts.max()} grants." if peak is not None
              else " No grant was awarded during the phases."))
    fig, (ax, ax_value) = new_figure(f"Grants awarded each month in {place_name}", alt, nrows=2, figsize=(7, 5.2),
                                     sharex=True, gridspec_kw={"height_ratios": [3, 2]})
    x = months.to_timestamp() + pd.Timedelta(days=14)
    for i, rec in enumerate(ordered.itertuples(index=False)):
        shade = OKABE_ITO["sky_blue"] if rec.phase_id == highlight else _PHASE_SHADES[i % 2]
        for a in (ax, ax_value):
            a.axvspan(rec.start_date, rec.end_date + pd.Timedelta(days=1), color=shade,
                      alpha=0.35 if rec.phase_id == highlight else 1.0, zorder=0, lw=0)
        middle = rec.start_date + (rec.end_date - rec.start_date) / 2
        ax.text(mdates.date2num(middle), 1.01, str(i + 1), transform=ax.get_xaxis_transform(),
                ha="center", va="bottom", fontsize=8.5, fontweight="bold" if rec.phase_id == highlight else "normal")
    width = max(1.0, min(25.0, 0.8 * (end - start).days / max(len(months), 1)))
    ax.bar(x, counts.to_numpy(), width=width, color=OKABE_ITO["blue"], zorder=2)
    ax.set_ylabel("grants")
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax_value.bar(x, values.to_numpy(), width=width, color=OKABE_ITO["green"], zorder=2)
    ax_value.set_ylabel("value (GBP)")
    ax_value.yaxis.set_major_formatter(FuncFormatter(_pounds))
    locator = mdates.AutoDateLocator(minticks=3, maxticks=8)
    ax_value.xaxis.set_major_locator(locator)
    ax_value.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator, show_offset=False))
    ax_value.set_xlim(start, end + pd.Timedelta(days=1))
    for a in (ax, ax_value):
        a.grid(axis="x", visible=False)
    key = "   ".join(f"{i + 1} {textwrap.shorten(str(label), 40, placeholder='...')}"
                     for i, label in enumerate(ordered["label"]))
    fig.text(0.5, 0.005, textwrap.fill("Phases: " + key, 95), ha="center", va="bottom", fontsize=8.5)
    fig.tight_layout(rect=(0, 0.05 + 0.02 * (len(key) // 110), 1, 1))
    return downloads.attach_data(fig, pd.DataFrame({"month": months.astype(str), "grants": counts.to_numpy(),
                                                    "value_gbp": values.to_numpy()}))


def grant_size_distribution(grants: pd.DataFrame, phase_order, phase_labels: dict, *, place_name: str):
    """Grant sizes (GBP, log scale) per phase: each grant a dot, with the quartiles as a box.

    Grants in other currencies are left out (and said so in the alt text).

    Returns
    -------
    matplotlib.figure.Figure
    """
    gbp = grants["Currency"].astype("string").str.upper().eq("GBP").fillna(False)
    shown = grants.loc[gbp & grants["phase_id"].notna() & (grants["Amount Awarded"] > 0)].copy()
    shown["phase"] = shown["phase_id"].astype("string").map(phase_labels)
    labels = [phase_labels[p] for p in phase_order]
    medians = shown.groupby("phase")["Amount Awarded"].median()
    described = "; ".join(f"{lab}: median £{medians[lab]:,.0f}" for lab in labels if lab in medians.index)
    alt = (f"Dot and box plot of the size of each grant to organisations in {place_name}, by phase, on a logarithmic "
           f"scale in pounds. {described or 'No grants.'}"
           + (f" {count_noun(int((~gbp).sum()), 'grant')} in other currencies "
              f"{'is' if int((~gbp).sum()) == 1 else 'are'} not shown." if (~gbp).any() else ""))
    fig, ax = new_figure(f"Size of grants in {place_name}, by phase", alt, figsize=(7.2, 1.2 + 0.8 * len(labels)))
    positions = {lab: i for i, lab in enumerate(labels)}
    rng = np.random.default_rng(0)  # fixed jitter: the figure is the same on every run
    for lab in labels:
        amounts = shown.loc[shown["phase"] == lab, "Amount Awarded"].to_numpy()
        if len(amounts) == 0:
            ax.text(1, positions[lab], "  no grants", va="center", fontsize=9, color=OKABE_ITO["grey"],
                    transform=ax.get_yaxis_transform())
            continue
        y = positions[lab] + rng.uniform(-0.18, 0.18, len(amounts))
        ax.scatter(amounts, y, s=18, color=OKABE_ITO["blue"], alpha=0.7, zorder=3, linewidths=0)
        q1, q2, q3 = np.percentile(amounts, [25, 50, 75])
        ax.add_patch(Rectangle(
            (q1, positions[lab] - 0.3), q3 - q1, 0.6, fill=False, edgecolor=_BOX_EDGE, lw=1.2, zorder=4))
        ax.plot([q2, q2], [positions[lab] - 0.3, positions[lab] + 0.3], color=OKABE_ITO["vermillion"], lw=2.5, zorder=5)
    ax.set_yticks(range(len(labels)), labels)
    ax.set_ylim(len(labels) - 0.5, -0.5)
    ax.set_xscale("log")
    ax.xaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    ax.xaxis.set_major_formatter(FuncFormatter(_pounds))
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("grant size (GBP, log scale)")
    ax.legend(handles=[Line2D([], [], color=OKABE_ITO["vermillion"], lw=2.5, label="median"),
                       Line2D([], [], color=_BOX_EDGE, lw=1.2, label="middle half of grants (box)")],
              loc="upper center", bbox_to_anchor=(0.5, -0.25), ncol=2, fontsize=9)
    ax.grid(axis="y", visible=False)
    fig.tight_layout()
    return downloads.attach_data(fig, shown[["phase", "Amount Awarded"]].rename(
        columns={"Amount Awarded": "amount_gbp"}))


def funder_recipient_map(B: nx.Graph, organisations: pd.DataFrame, *, place_name: str, phase_label: str,
                         max_labels: int = 25):
    """Funders (left) and the organisations they funded (right); line width shows the value.

    Only organisations of the study are labelled, with the names of the (pseudonymised on
    stakeholder pages) organisations table; organisations outside the study are grey and
    unlabelled, and counted in the alt text.

    Returns
    -------
    matplotlib.figure.Figure
    """
    funders = sorted((n for n, d in B.nodes(data=True) if d["bipartite"] == 0),
                     key=lambda n: -B.degree(n, weight="value"))
    recipients = sorted((n for n, d in B.nodes(data=True) if d["bipartite"] == 1),
                        key=lambda n: (min((funders.index(f) for f in B[n]), default=0), -B.degree(n, weight="value")))
    groups = organisations.get("sector_group", pd.Series(dtype=str))
    group = dict(zip(organisations["org_id"].astype(str), groups, strict=False))
    if not funders:
        return Absent(f"No grants were awarded to organisations in {place_name} in the {phase_label} phase, "
                      "so there is no map of who funded whom.")
    outside_f = sum(1 for n in funders if not B.nodes[n]["in_study"])
    outside_r = sum(1 for n in recipients if not B.nodes[n]["in_study"])
    outside = " and ".join(count_noun(n, what) for n, what in ((outside_f, "funder"), (outside_r, "recipient")) if n)
    alt = (f"Network diagram of {count_noun(len(funders), 'funder')} on the left and the "
           f"{count_noun(len(recipients), 'organisation')} they funded in {place_name} in the {phase_label} phase "
           "on the right, joined by lines as thick as the value awarded."
           + (f" {outside} {'is' if outside_f + outside_r == 1 else 'are'} outside the study and shown in grey, "
              "named where this page may name them." if outside else ""))
    height = max(3.0, 0.28 * max(len(funders), len(recipients)) + 1.2)
    fig, ax = new_figure(f"Who funded whom in {place_name}: {phase_label}", alt, figsize=(7, height))
    pos = {}
    for column, nodes in ((0.0, funders), (1.0, recipients)):
        n = len(nodes)
        for i, node in enumerate(nodes):
            pos[node] = (column, 1.0 - (i + 0.5) / max(n, 1))
    values = (np.array([d.get("value", 0.0) for *_e, d in B.edges(data=True)]) if B.number_of_edges()
              else np.array([1.0]))
    top = values.max() if values.max() > 0 else 1.0
    for u, v, d in B.edges(data=True):
        (x0, y0), (x1, y1) = pos[u], pos[v]
        ax.plot([x0, x1], [y0, y1], color=OKABE_ITO["grey"], alpha=0.6, zorder=1,
                lw=0.6 + 5.0 * np.sqrt(max(d.get("value", 0.0), 0.0) / top))
    labelled = 0
    for node in funders + recipients:
        data = B.nodes[node]
        x, y = pos[node]
        if data["in_study"]:
            colour = sector_colour(group.get(data["org_id"], "funder" if data["bipartite"] == 0 else "other"))
        else:
            colour = OKABE_ITO["grey"]
        ax.scatter([x], [y], s=40 + 8 * B.degree(node), color=colour, zorder=3, edgecolor="white", linewidth=0.8)
        if data.get("name") and data["name"] not in _UNNAMED and labelled < max_labels:
            ax.text(x + (-0.03 if x == 0 else 0.03), y, str(data["name"]), ha="right" if x == 0 else "left",
                    va="center", fontsize=8.5)
            labelled += 1
    ax.text(0.0, 1.02, "funders", ha="center", va="bottom", fontweight="bold", transform=ax.transData)
    ax.text(1.0, 1.02, "recipients", ha="center", va="bottom", fontweight="bold", transform=ax.transData)
    groups = sorted({group.get(B.nodes[n]["org_id"]) for n in funders + recipients if B.nodes[n]["in_study"]} - {None})
    handles = [Line2D([], [], marker="o", ls="", color=sector_colour(g), label=sector_label(g)) for g in groups]
    if outside_f or outside_r:
        handles.append(Line2D([], [], marker="o", ls="", color=OKABE_ITO["grey"], label="outside the study"))
    if handles:
        ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=min(4, len(handles)),
                  fontsize=8.5)
    ax.set_xlim(-0.9, 1.9)
    ax.set_ylim(-0.02, 1.08)
    ax.axis("off")
    fig.tight_layout()

    def shown_name(n):  # as the figure shows it: organisations outside the study are unnamed
        return str(B.nodes[n].get("name")) if B.nodes[n]["in_study"] else "outside the study"

    return downloads.attach_data(fig, pd.DataFrame([(shown_name(u), shown_name(v), d.get("value", 0.0)) for u, v, d in (
        (u, v, d) if B.nodes[u]["bipartite"] == 0 else (v, u, d) for u, v, d in B.edges(data=True))],
        columns=["funder", "recipient", "value_gbp"]))
