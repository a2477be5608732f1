"""Figures of shifts across places: the scorecard heatmap, indicators over phases, themes, survey."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.colors import TwoSlopeNorm

from analysis import downloads, style  # downloads: the table each figure draws, for its CSV link (fig.data)
from analysis.absence import Absent, evidence_absent, survey_absent
from analysis.evidence import KIND_LABELS, evidence_matrix
from analysis.schema import KINDS
from analysis.shifts.indicators import SCORECARD_INDICATORS, indicator_changes, indicator_table
from analysis.shifts.text import format_value, no_indicators, scorecard
from analysis.survey import SCALE_MAX, SCALE_MIN, suppressed_label, theme_scores
from analysis.values import wrap_label

__all__ = [
    "scorecard_heatmap",
    "indicator_small_multiples",
    "themes_heatmap",
    "survey_theme_plot",
    "indicator_distributions",
]

_NEUTRAL_GREY = "#EEEEEE"
#: Places also differ by marker, so overlapping lines stay tellable apart without colour.
_MARKERS = ("o", "s", "^", "D", "v", "P")


def _place_names(study, places) -> list[str]:
    return [study.place_name(p) for p in places]


def scorecard_heatmap(study, phase: str, *, table: pd.DataFrame | None = None,
                      indicators=SCORECARD_INDICATORS):
    """Heatmap of the scorecard: indicators (rows) x places (columns) in one phase.

    Each cell is annotated with the value and its change from the previous phase in the
    indicator's units. Colour shows the change on the :data:`analysis.style.DIVERGING`
    scale, signed so that blue is always better (a fall in days to award is blue); neutral
    indicators and cells without a change are grey. Because indicators have different
    units, colour strength is relative within a row: the largest change of that indicator
    between any two consecutive phases in any place gets the deepest colour.

    Parameters
    ----------
    study : Study
    phase : str
    table : pandas.DataFrame, optional
        A precomputed :func:`analysis.shifts.indicator_table`.
    indicators : sequence of str

    Returns
    -------
    matplotlib.figure.Figure or analysis.absence.Absent
        Pass it to :func:`analysis.page.figure` with a caption. Absent when no indicator has
        a value in any place in ``phase`` (the sentence says which tables would fill it).
    """
    if table is None:
        table = indicator_table(study)
    card = scorecard(study, phase, table=table, indicators=indicators)
    if card.empty or not card["value"].notna().any():
        return no_indicators(study, None, phase)
    places = list(study.place_ids)
    inds = list(dict.fromkeys(card["indicator"]))
    labels = []
    for i in inds:
        meta = card.loc[card["indicator"] == i].iloc[0]
        hint = "\n(lower is better)" if meta["direction"] == "down is good" else ""
        labels.append(f"{meta['label']}{hint}")
    # the scale of each row: its largest consecutive-phase change anywhere in the study
    changes = indicator_changes(table, study)
    scale = changes.groupby("indicator")["change_from_previous"].apply(
        lambda c: np.nanmax(np.abs(c)) if c.notna().any() else np.nan)
    colour = np.full((len(inds), len(places)), np.nan)
    text = np.full((len(inds), len(places)), "", dtype=object)
    for r, ind in enumerate(inds):
        for c, place in enumerate(places):
            row = card[(card["indicator"] == ind) & (card["place_id"] == place)]
            if row.empty:
                text[r, c] = "–"
                continue
            row = row.iloc[0]
            value_text = format_value(row["value"], row["unit"], short=True)
            if row["suppressed"]:
                value_text = "suppressed"
            change = row["change_text"]
            text[r, c] = value_text if change == "–" else f"{value_text}\n({change})"
            s = scale.get(ind, np.nan)
            if pd.notna(row["improvement"]):  # no change at all sits at the white centre
                colour[r, c] = row["improvement"] / s if pd.notna(s) and s > 0 else 0.0
    previous = study.previous_phase(phase)
    height = 1.0 + 0.5 * len(inds)
    width = 2.4 + 1.35 * len(places)
    title = f"Shift scorecard: {study.phase_label(phase)}"
    if previous:
        alt = (f"Heatmap of {len(inds)} indicators for {len(places)} places in {study.phase_label(phase)}, "
               f"each cell giving the value and its change since {study.phase_label(previous)}; "
               "blue cells changed for the better, red for the worse, grey neither.")
    else:
        alt = (f"Table of {len(inds)} indicators for {len(places)} places in {study.phase_label(phase)}, "
               "the first phase, so there is no change to colour.")
    fig, ax = style.new_figure(title, alt, figsize=(width, height))
    cmap = _diverging_cmap()
    masked = np.ma.masked_invalid(colour)
    ax.set_facecolor(_NEUTRAL_GREY)
    image = ax.imshow(masked, cmap=cmap, norm=TwoSlopeNorm(vcenter=0.0, vmin=-1.0, vmax=1.0), aspect="auto")
    for r in range(len(inds)):
        for c in range(len(places)):
            # black or white, whichever reads better on this cell (WCAG contrast >= 4.5:1)
            cell = _NEUTRAL_GREY if np.isnan(colour[r, c]) else image.to_rgba(colour[r, c])
            ax.text(c, r, text[r, c], ha="center", va="center", fontsize=9.5, linespacing=1.1,
                    color=style.text_colour_on(cell))
    ax.set_xticks(range(len(places)), [wrap_label(n, 14) for n in _place_names(study, places)], fontsize=10)
    ax.set_yticks(range(len(inds)), labels, fontsize=10)
    ax.xaxis.tick_top()
    ax.tick_params(axis="both", length=0)
    ax.grid(False)
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.set_xticks(np.arange(-0.5, len(places), 1), minor=True)
    ax.set_yticks(np.arange(-0.5, len(inds), 1), minor=True)
    ax.grid(which="minor", color="white", linewidth=2)
    ax.tick_params(which="minor", length=0)
    note = (f"Change since {study.phase_label(previous)} in brackets. Blue: better; red: worse; "
            "grey: no change to judge." if previous else
            f"{study.phase_label(phase)} is the first phase: there is no earlier phase to compare with.")
    fig.text(0.01, 0.0, note, ha="left", va="top", fontsize=9, color="#444444")
    fig.tight_layout()
    shown = pd.DataFrame([[t.replace("\n", " ") for t in row] for row in text], columns=_place_names(study, places))
    return downloads.attach_data(fig, shown.assign(indicator=[lab.replace("\n", " ") for lab in labels])[
        ["indicator"] + list(shown.columns)])


def _diverging_cmap():
    import matplotlib

    return matplotlib.colormaps[style.DIVERGING].with_extremes(bad=_NEUTRAL_GREY)


def indicator_small_multiples(study, *, table: pd.DataFrame | None = None,
                              indicators=SCORECARD_INDICATORS, phase: str | None = None,
                              places=None, ncols: int = 3):
    """Small multiples: each indicator over the phases, one line per place.

    Parameters
    ----------
    study : Study
    table : pandas.DataFrame, optional
        A precomputed :func:`analysis.shifts.indicator_table`.
    indicators : sequence of str
        Indicators the study has no values for are left out.
    phase : str, optional
        Highlight this phase (a shaded band) and draw only the phases up to it.
    places : list of str, optional
        Which places (default all); colours stay those of the study's place order.
    ncols : int, default 3

    Returns
    -------
    matplotlib.figure.Figure
    """
    if table is None:
        table = indicator_table(study)
    all_places = list(study.place_ids)
    places = all_places if places is None else [p for p in all_places if p in set(places)]
    phases = list(study.phase_ids)
    if phase is not None:
        phases = phases[: phases.index(phase) + 1]
    present = table[table["value"].notna() & table["phase_id"].isin(phases)
                    & table["place_id"].isin(places)]["indicator"].unique()
    inds = [i for i in indicators if i in set(present)]
    if not inds:
        return no_indicators(study, places[0] if len(places) == 1 else None, phase or phases[-1])
    nrows = max(1, int(np.ceil(len(inds) / ncols)))
    names = ", ".join(_place_names(study, places))
    alt = (f"{len(inds)} small line charts, one per indicator, each showing its value in every phase "
           f"({', '.join(study.phase_label(p) for p in phases)}) with one line per place ({names}).")
    fig, axes = style.new_figure("Indicators over the phases", alt, nrows=nrows, ncols=ncols,
                                 figsize=(2.2 * ncols, 2.4 * nrows + 0.8), squeeze=False)
    x = np.arange(len(phases))
    for k, ind in enumerate(inds):
        ax = axes[k // ncols][k % ncols]
        sub = table[table["indicator"] == ind]
        meta = sub.iloc[0]
        for place in places:
            index = all_places.index(place)
            values = sub[sub["place_id"] == place].set_index("phase_id")["value"].reindex(phases)
            ax.plot(x, values.to_numpy(dtype=float), marker=_MARKERS[index % len(_MARKERS)],
                    color=style.place_colour(index), linewidth=2, markersize=6, alpha=0.9,
                    label=study.place_name(place))
        if phase is not None:
            ax.axvspan(len(phases) - 1.4, len(phases) - 0.6, color="#DDDDDD", zorder=0)
        unit = meta["unit"]
        title = meta["label"]
        _format_value_axis(ax, unit, sub[sub["place_id"].isin(places) & sub["phase_id"].isin(phases)]["value"])
        hint = {"up is good": "higher is better", "down is good": "lower is better"}.get(meta["direction"], "")
        ax.set_title(wrap_label(title, 30) + (f"\n({unit}; {hint})" if hint else f"\n({unit})"),
                     fontsize=10, loc="left")
        ax.set_xticks(x, [wrap_label(study.phase_label(p), 16) for p in phases], fontsize=9,
                      rotation=30, ha="right", rotation_mode="anchor")
        ax.set_xlim(-0.4, len(phases) - 0.6)
        ax.tick_params(axis="y", labelsize=9)
        ax.margins(y=0.15)
    for k in range(len(inds), nrows * ncols):
        axes[k // ncols][k % ncols].set_visible(False)
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="upper right", ncol=len(places), bbox_to_anchor=(0.99, 0.995), fontsize=9)
    fig.tight_layout(rect=(0, 0, 1, 0.96))
    return downloads.attach_data(fig, _indicator_rows(study, table, inds, places, phases))


def _indicator_rows(study, table, inds, places, phases) -> pd.DataFrame:
    """The indicators' values a chart of them draws: one row per indicator, place and phase."""
    rows = table[table["indicator"].isin(inds) & table["place_id"].isin(places) & table["phase_id"].isin(phases)]
    return pd.DataFrame({"indicator": rows["label"], "unit": rows["unit"],
                         "place": [study.place_name(p) for p in rows["place_id"]],
                         "phase": [study.phase_label(p) for p in rows["phase_id"]], "value": rows["value"],
                         "note": np.where(rows["suppressed"], "suppressed", "")})


def _format_value_axis(ax, unit: str, values: pd.Series) -> None:
    """Ticks in the indicator's unit; a flat line gets a sensible range rather than 0%, 0%, -0%."""
    from matplotlib.ticker import MaxNLocator

    values = values.dropna().astype(float)
    lo, hi = (float(values.min()), float(values.max())) if len(values) else (0.0, 1.0)
    if unit in ("%", "% of max"):
        ax.yaxis.set_major_formatter(lambda v, _: f"{v:.0f}%")
        if hi - lo < 10:
            mid = (hi + lo) / 2
            ax.set_ylim(max(-2.0, mid - 6), min(102.0, mid + 6))
    elif unit == "£ per head":
        ax.yaxis.set_major_formatter(lambda v, _: f"£{v:,.2f}")
    elif unit in ("count", "days"):
        ax.yaxis.set_major_locator(MaxNLocator(integer=True, nbins=5))
        if hi - lo < 2:
            ax.set_ylim(max(-0.3, lo - 1.3), hi + 1.3)


def themes_heatmap(study, *, phase: str | None = None, place: str | None = None, kinds=KINDS):
    """Heatmap of coded evidence: themes (rows) by places or phases, one panel per kind.

    With ``place``, the columns are that place's phases (up to ``phase`` when given); without,
    the columns are the places in ``phase`` (required then). Cells count coded observations,
    on the :data:`analysis.style.SEQUENTIAL` scale shared by all panels.

    Parameters
    ----------
    study : Study
    phase : str, optional
    place : str, optional
    kinds : sequence of str
        Kinds of evidence, one panel each.

    Returns
    -------
    matplotlib.figure.Figure or analysis.absence.Absent
        Absent when nothing was coded there (no evidence, or no themes table).

    Raises
    ------
    ValueError
        Without ``place`` or ``phase``.
    """
    if place is None and phase is None:
        raise ValueError("themes_heatmap needs a place, a phase or both")
    if place is not None:
        phases = list(study.phase_ids)
        if phase is not None:
            phases = phases[: phases.index(phase) + 1]
        matrix = evidence_matrix(study, "kind", place=place, phase=phases)
        columns = [(place, ph) for ph in phases]
        col_labels = [wrap_label(study.phase_label(ph), 12) for ph in phases]
        what = f"in {study.place_name(place)}, by phase"
    else:
        places = list(study.place_ids)
        matrix = evidence_matrix(study, "kind", place=places, phase=phase)
        columns = [(p, phase) for p in places]
        col_labels = [wrap_label(study.place_name(p), 14) for p in places]
        what = f"in {study.phase_label(phase)}, by place"
    themes = list(matrix.index)
    if not themes or not matrix.size or not matrix.to_numpy().any():
        if place is not None:
            return evidence_absent(study, place, phases) or Absent(
                f"Nothing was coded about {study.place_name(place)} up to {study.phase_label(phases[-1])}.")
        return evidence_absent(study, None, phase) or Absent(f"Nothing was coded in {study.phase_label(phase)}.")
    vmax = max(1, int(matrix.to_numpy().max()) if matrix.size else 1)
    alt = (f"Heatmaps of the number of coded observations for {len(themes)} themes {what}, "
           f"one panel each for {', '.join(KIND_LABELS[k].lower() for k in kinds)}; darker cells mean more "
           "observations, pale grey cells none.")
    # panels two to a row: four side by side made the figure so wide that, shrunk to a notebook cell
    # (700 px: a 1024-px window with the file browser open), its labels fell under 5 pt
    ncols = min(2, len(kinds))
    nrows = -(-len(kinds) // ncols)
    panel = 0.7 * max(2, len(columns))
    fig, axes = style.new_figure(f"What interviews and documents said, {what}", alt, nrows=nrows, ncols=ncols,
                                 figsize=(2.3 + ncols * panel + 0.2 * (ncols - 1),
                                          nrows * (1.5 + 0.36 * len(themes)) + 0.4),
                                 squeeze=False, sharey=True)
    for extra in axes.flat[len(kinds):]:
        extra.set_visible(False)
    import matplotlib

    # more is darker; nothing coded is a pale grey cell, so the eye goes to what was said
    cmap = matplotlib.colormaps[style.SEQUENTIAL].reversed().with_extremes(bad="#F2F2F2")
    for k, kind in enumerate(kinds):
        ax = axes[k // ncols][k % ncols]
        values = np.array([[matrix.loc[t, (*col, kind)] for col in columns] for t in themes], dtype=float)
        image = ax.imshow(np.ma.masked_equal(values, 0), cmap=cmap, vmin=0, vmax=vmax * 1.1, aspect="auto")
        for r in range(len(themes)):
            for c in range(len(columns)):
                v = values[r, c]
                if v:
                    ax.text(c, r, f"{v:.0f}", ha="center", va="center", fontsize=9,
                            color=style.text_colour_on(image.to_rgba(v)))
        ax.set_xticks(np.arange(-0.5, len(columns), 1), minor=True)
        ax.set_yticks(np.arange(-0.5, len(themes), 1), minor=True)
        ax.grid(which="minor", color="white", linewidth=1.5)
        ax.tick_params(which="minor", length=0)
        ax.set_title(KIND_LABELS[kind], fontsize=11)
        # labels wrapped to the column's width; a word too long for it turns the labels, each on one line
        wrapped = [wrap_label(lab.replace("\n", " "), 10) for lab in col_labels]
        long = max((len(line) for lab in wrapped for line in lab.split("\n")), default=0) > 10
        ax.set_xticks(range(len(columns)), [lab.replace("\n", " ") for lab in col_labels] if long else wrapped,
                      fontsize=8.5, rotation=30 if long else 0, ha="right" if long else "center",
                      rotation_mode="anchor" if long else "default")
        ax.set_yticks(range(len(themes)), [wrap_label(t, 28) for t in themes], fontsize=9)
        ax.tick_params(which="major", length=0)
        ax.grid(which="major", visible=False)
        for spine in ax.spines.values():
            spine.set_visible(False)
    fig.tight_layout()
    counts = [(t, lab.replace("\n", " "), KIND_LABELS[kind], int(matrix.loc[t, (*col, kind)]))
              for kind in kinds for t in themes for col, lab in zip(columns, col_labels, strict=True)]
    return downloads.attach_data(fig, pd.DataFrame(counts, columns=["theme", "column", "kind", "observations"]))


def survey_theme_plot(study, phase: str, *, places=None, scores: pd.DataFrame | None = None):
    """Dot-and-interval plot of survey theme scores (1-5) with 95% intervals.

    With several places: one dot per place (in its colour) for each theme in ``phase``.
    With a single place: that place's dot in ``phase`` (in the place's colour) beside its dot
    in the previous phase (open grey circle), when there is one. A suppressed cell shows no dot but the words
    "fewer than 5 respondents"; never 0.

    Parameters
    ----------
    study : Study
    phase : str
    places : list of str, optional
        Default all places.
    scores : pandas.DataFrame, optional
        A precomputed :func:`analysis.survey.theme_scores`.

    Returns
    -------
    matplotlib.figure.Figure or analysis.absence.Absent
        Absent when nobody in these places answered the survey in ``phase``.
    """
    if scores is None:
        scores = theme_scores(study)
    all_places = list(study.place_ids)
    places = all_places if places is None else [p for p in all_places if p in set(places)]
    single = len(places) == 1
    if single:
        previous = study.previous_phase(phase)
        series = [(places[0], ph) for ph in ([previous] if previous else []) + [phase]]
    else:
        series = [(p, phase) for p in places]
    sub = scores[scores["place_id"].isin(places) & scores["phase_id"].isin([s[1] for s in series])]
    if not len(sub[sub["phase_id"] == phase]):
        return survey_absent(study, places[0] if single else None, phase) or Absent(
            f"Nobody answered the survey in {study.phase_label(phase)}.")
    themes = list(dict.fromkeys(sub.sort_values("theme_id")["theme_label"])) if len(sub) else []
    order = [str(t) for t in study.themes["theme_id"]] if len(study.themes) else []
    label_of = dict(zip(scores["theme_id"], scores["theme_label"], strict=False))
    themes = [label_of[t] for t in order if t in label_of and label_of[t] in themes] + \
             [t for t in themes if t not in {label_of.get(o) for o in order}]
    threshold = int(study.disclosure_threshold)
    if single:
        title = f"Survey scores in {study.place_name(places[0])}"
        alt = (f"Dot plot of mean survey scores on a 1 to 5 scale for {len(themes)} themes in "
               f"{study.place_name(places[0])} in {study.phase_label(phase)}"
               + (f" beside {study.phase_label(series[0][1])}" if len(series) > 1 else "")
               + ", each with its 95% interval.")
    else:
        title = f"Survey scores by place: {study.phase_label(phase)}"
        alt = (f"Dot plot of mean survey scores on a 1 to 5 scale for {len(themes)} themes in "
               f"{study.phase_label(phase)}, one dot per place with its 95% interval.")
    fig, ax = style.new_figure(title, alt, figsize=(7.2, 1.8 + 0.32 * max(1, len(themes)) * (1 + 0.45 * len(series))))
    step = 0.7 / max(1, len(series))
    for j, (place, ph) in enumerate(series):
        fill = None
        if single:
            colour = style.place_colour(all_places.index(place)) if ph == phase else "#888888"
            label = study.phase_label(ph)
            marker = "o"
            fill = None if ph == phase else "white"
        else:
            index = all_places.index(place)
            colour = style.place_colour(index)
            label = study.place_name(place)
            marker = _MARKERS[index % len(_MARKERS)]
        cell = sub[(sub["place_id"] == place) & (sub["phase_id"] == ph)].set_index("theme_label")
        offset = (j - (len(series) - 1) / 2) * step
        first = True
        for r, theme in enumerate(themes):
            y = r + offset
            if theme not in cell.index:
                continue
            row = cell.loc[theme]
            if bool(row["suppressed"]):
                ax.text(SCALE_MIN + 0.05, y, f"{label}: {suppressed_label(threshold)}", va="center", ha="left",
                        fontsize=8.5, color="#666666", style="italic")
                continue
            if pd.notna(row["lower"]):
                ax.plot([row["lower"], row["upper"]], [y, y], color=colour, linewidth=2, alpha=0.8)
            ax.plot([row["mean"]], [y], marker=marker, color=colour, markersize=7, linestyle="none",
                    markerfacecolor=fill or colour, markeredgewidth=1.5, label=label if first else None)
            first = False
    ax.set_yticks(range(len(themes)), [wrap_label(t, 28) for t in themes])
    ax.set_ylim(len(themes) - 0.5, -0.5)
    ax.set_xlim(SCALE_MIN, SCALE_MAX)
    ax.set_xticks(range(SCALE_MIN, SCALE_MAX + 1),
                  ["1\nstrongly\ndisagree", "2", "3\nneither", "4", "5\nstrongly\nagree"])
    ax.set_xlabel("Mean score (higher is more positive; reverse-worded questions turned round)", fontsize=9)
    ax.grid(axis="y", visible=False)
    fig.tight_layout(rect=(0, 0, 1, 0.95))
    if series:
        fig.legend(*ax.get_legend_handles_labels(), loc="upper right", bbox_to_anchor=(0.99, 0.995),
                   ncol=min(len(series), 4), fontsize=9)
    hidden = (None, None, None, suppressed_label(threshold))  # the words the figure shows instead of a dot
    rows = [(study.place_name(p), study.phase_label(ph), t)
            + (hidden if r["suppressed"] else (r["mean"], r["lower"], r["upper"], "")) for p, ph in series
            for t, r in sub[(sub["place_id"] == p) & (sub["phase_id"] == ph)].set_index("theme_label").iterrows()]
    return downloads.attach_data(fig, pd.DataFrame(rows, columns=["place", "phase", "theme", "mean", "lower", "upper",
                                                                  "note"]))


def indicator_distributions(study, *, table: pd.DataFrame | None = None, indicators=SCORECARD_INDICATORS,
                            phase: str | None = None, place: str | None = None, ncols: int = 3,
                            title: str | None = None):
    """Each indicator as a distribution across places in every phase (box and points), for many places.

    The box spans the middle half of the places, the line inside it is the median, each dot a
    place; a dashed line joins the medians, so its slope is the direction of change. ``place``, when
    given, is drawn as a black diamond so a reader can find it among the others. ``title`` replaces
    the figure's title ("How the 40 places spread on each measure").

    Returns
    -------
    matplotlib.figure.Figure or None
        None when no indicator has a value in the phases shown (say so in a sentence instead).
    """
    if table is None:
        table = indicator_table(study)
    phases = list(study.phase_ids)
    if phase is not None:
        phases = phases[: phases.index(phase) + 1]
    present = table[table["value"].notna() & table["phase_id"].isin(phases)]["indicator"].unique()
    inds = [i for i in indicators if i in set(present)]
    if not inds:
        return None
    nrows = max(1, int(np.ceil(len(inds) / ncols)))
    n_places = len(study.place_ids)
    alt = (f"{len(inds)} small charts, one per indicator, each showing how the {n_places} places spread in every "
           f"phase ({', '.join(study.phase_label(p) for p in phases)}): a box for the middle half of the places, "
           "a line for the median and a dot per place"
           + (f"; {study.place_name(place)} is the black diamond." if place else "."))
    fig, axes = style.new_figure(title or f"How the {n_places} places spread on each measure", alt, nrows=nrows,
                                 ncols=ncols, figsize=(2.2 * ncols, 2.5 * nrows + 0.8), squeeze=False)
    rng = np.random.default_rng(0)  # horizontal jitter of the dots only
    for k, ind in enumerate(inds):
        ax = axes[k // ncols][k % ncols]
        sub = table[(table["indicator"] == ind) & table["phase_id"].isin(phases)]
        meta = sub.iloc[0]
        data = [sub.loc[(sub["phase_id"] == ph) & sub["value"].notna(), "value"].to_numpy(float) for ph in phases]
        shown = [i for i, d in enumerate(data) if len(d)]
        ax.boxplot([data[i] for i in shown], positions=shown, widths=0.55, showfliers=False,
                   medianprops={"color": "black", "linewidth": 2}, boxprops={"color": "#555555"},
                   whiskerprops={"color": "#555555"}, capprops={"color": "#555555"})
        for i in shown:
            ax.scatter(i + rng.uniform(-0.18, 0.18, len(data[i])), data[i], s=6, color=style.place_colour(0),
                       alpha=0.45, linewidths=0, zorder=3)
        if len(shown) > 1:  # the medians joined: the direction the typical place moved
            ax.plot(shown, [float(np.median(data[i])) for i in shown], color="black", linewidth=1.2,
                    linestyle=(0, (4, 2)), zorder=4)
        if place is not None:
            mine = sub[sub["place_id"] == place].set_index("phase_id")["value"].reindex(phases).to_numpy(float)
            ax.scatter(np.arange(len(phases)), mine, marker="D", s=30, color="black", zorder=4)
        hint = {"up is good": "higher is better", "down is good": "lower is better"}.get(meta["direction"], "")
        ax.set_title(wrap_label(meta["label"], 30) + (f"\n({meta['unit']}; {hint})" if hint else f"\n({meta['unit']})"),
                     fontsize=10, loc="left")
        ax.set_xticks(range(len(phases)), [wrap_label(study.phase_label(p), 16) for p in phases], fontsize=9,
                      rotation=30, ha="right", rotation_mode="anchor")
        ax.set_xlim(-0.6, len(phases) - 0.4)
        ax.tick_params(axis="y", labelsize=9)
    for k in range(len(inds), nrows * ncols):
        axes[k // ncols][k % ncols].set_visible(False)
    fig.tight_layout(rect=(0, 0, 1, 0.96))
    return downloads.attach_data(fig, _indicator_rows(study, table, inds, list(study.place_ids), phases))
