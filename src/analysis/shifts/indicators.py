"""The shift indicators: what each measures, one tidy table of them per place and phase, and their changes."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.disclosure import disclosure_threshold
from analysis.schema import AWARD_PROCESSES, KINDS

__all__ = [
    "INDICATOR_DIRECTIONS",
    "Indicator",
    "CORE_INDICATORS",
    "SCORECARD_INDICATORS",
    "HEADLINE_INDICATORS",
    "RATING_INDICATORS",
    "IndicatorTable",
    "indicator_table",
    "indicator_changes",
]

#: What a rise in an indicator means. "up is good": more is better (trust, density);
#: "down is good": less is better (days to award, threats recorded, the council-VCSE trust
#: gap); "neutral": a change is neither better nor worse in itself (which award process was
#: used, the number of grants). Figures colour change so that blue is always better, and
#: grey for neutral indicators.
INDICATOR_DIRECTIONS = ("up is good", "down is good", "neutral")


@dataclass(frozen=True)
class Indicator:
    """One indicator of the scorecard.

    ``unit`` is one of "%" (a share, 0-100; changes in percentage points), "% of max"
    (a 1-4 rating as a percentage of its maximum, 4), "days", "count", "£ per head",
    "score (1-5)" (survey, after reverse scoring) or "points" (a difference of two 1-4
    ratings). ``phrase`` is how a sentence names it ("Trust between partners").
    """

    indicator: str
    label: str
    unit: str
    direction: str
    family: str
    phrase: str
    description: str

    def __post_init__(self):
        if self.direction not in INDICATOR_DIRECTIONS:
            raise ValueError(f"direction of {self.indicator} must be one of {INDICATOR_DIRECTIONS}")


def _ind(indicator, label, unit, direction, family, phrase, description) -> Indicator:
    return Indicator(indicator, label, unit, direction, family, phrase, description)


#: Indicators every study has a row for (whether or not it has the data for them).
CORE_INDICATORS: dict[str, Indicator] = {
    i.indicator: i
    for i in (
        _ind("network_density", "Network density", "%", "up is good", "network",
             "The density of the partnership network",
             "Ties (cooperation or closer) as a share of every possible directed tie between "
             "the place's organisations."),
        _ind("mean_trust", "Mean trust (% of max)", "% of max", "up is good", "network",
             "Trust between partners",
             "Mean trust rating over the place's ties (reliability, mission, openness; 1-4), "
             "as a percentage of the maximum (PARTNER tool, Varda et al.)."),
        _ind("cross_sector_share", "Cross-sector ties", "%", "up is good", "network",
             "The share of ties that cross sectors",
             "Share of ties that join organisations of different sector groups."),
        _ind("council_vcse_asymmetry", "Council-VCSE trust gap", "points", "down is good", "network",
             "The trust gap between the council and VCSE organisations",
             "How far trust between the council and VCSE organisations runs one way more than "
             "the other (difference of mean ratings, 1-4 scale; closer to 0 is better)."),
        _ind("vcse_seat_share", "VCSE share of board seats", "%", "up is good", "boards",
             "The VCSE share of board seats",
             "Chair and member seats on the place's boards held by VCSE organisations."),
        _ind("vcse_chair_share", "VCSE share of board chairs", "%", "up is good", "boards",
             "The VCSE share of board chairs",
             "Board chairs held by VCSE organisations."),
        _ind("evidence_shift", "Shifts recorded", "count", "up is good", "evidence",
             "The number of shifts recorded", "Coded observations of a shift in how partners work."),
        _ind("evidence_enabler", "Enablers recorded", "count", "up is good", "evidence",
             "The number of enablers recorded", "Coded observations of what made a shift possible."),
        _ind("evidence_threat", "Threats recorded", "count", "down is good", "evidence",
             "The number of threats recorded", "Coded observations of what might undo a shift."),
        _ind("evidence_mitigation", "Mitigations recorded", "count", "up is good", "evidence",
             "The number of mitigations recorded", "Coded observations of what could sustain a shift."),
        _ind("median_days_to_award", "Median days to award", "days", "down is good", "funding",
             "The median time from application to award",
             "Median days from application to award over the grants awarded in the phase."),
        _ind("grant_value_per_head", "Grant value per head", "£ per head", "up is good", "funding",
             "Grant funding per resident",
             "Total value of grants (GBP) awarded in the phase per head of population."),
        _ind("grants_awarded", "Grants awarded", "count", "neutral", "funding",
             "The number of grants awarded", "Number of grants awarded in the phase."),
        _ind("small_recipient_share", "Grants to small organisations", "%", "up is good", "funding",
             "The share of grants reaching micro and small organisations",
             "Share of grants (recipient size known) awarded to micro or small organisations."),
    )
}

#: Indicators shown on the scorecard heatmap and small multiples (when the study has them).
SCORECARD_INDICATORS = (
    "network_density", "mean_trust", "cross_sector_share", "council_vcse_asymmetry",
    "vcse_seat_share", "vcse_chair_share", "evidence_shift", "evidence_threat",
    "evidence_mitigation", "median_days_to_award", "grant_value_per_head", "small_recipient_share",
)

#: Columns of :func:`headline_indicators` (indicator -> column heading).
HEADLINE_INDICATORS = {
    "network_density": "Network density",
    "mean_trust": "Mean trust (% of max)",
    "vcse_seat_share": "VCSE share of board seats",
    "median_days_to_award": "Median days to award",
    "evidence_threat": "Threats recorded",
}

_COLUMNS = ["place_id", "phase_id", "indicator", "label", "unit", "direction", "family", "value", "n", "suppressed"]

#: Indicators that are means of ratings: on stakeholder pages a value resting on fewer
#: ratings than the disclosure threshold is suppressed (:func:`analysis.disclosure.disclosure_threshold`).
RATING_INDICATORS = ("mean_trust", "council_vcse_asymmetry")


# ----------------------------------------------------------------------------- how a table shows itself

_SHOWN = ("place_id", "phase_id", "label", "unit", "value")  # what a table needs to show itself as one
_CHANGES = {"change_from_previous": "since previous", "change_from_first": "since first"}


def _in_unit(value, unit: str, change: bool = False) -> str:
    """A value in its indicator's unit, as the table's reprs show it: counts whole, shares with %, NaN blank.

    Examples
    --------
    >>> _in_unit(2.0, "count"), _in_unit(12.345, "%"), _in_unit(-3.0, "%", change=True), _in_unit(1.5, "£ per head")
    ('2', '12.3%', '-3.0 pts', '£1.50')
    """
    if value is None or pd.isna(value):
        return ""
    value = float(value)
    sign = "+" if change and value > 0 else ""
    if unit == "count":
        return f"{sign}{int(round(value)):,}"
    if unit in ("%", "% of max"):
        return f"{sign}{value:.1f}" + (" pts" if change else "%")
    if unit == "days":
        return f"{sign}{value:,.1f}".removesuffix(".0") + " days"
    if unit == "£ per head":
        return f"{sign}£{value:,.2f}" if value >= 0 else f"-£{-value:,.2f}"
    return f"{sign}{value:.2f}"


def _indicator_table_or_frame(*args, **kwargs):
    """The constructor pandas uses for results of an :class:`IndicatorTable`: one again while it has
    the columns it shows itself with, else a plain DataFrame (a column picked out, a group summed)."""
    frame = pd.DataFrame(*args, **kwargs)
    return IndicatorTable(frame) if set(_SHOWN) <= set(frame.columns) else frame


class IndicatorTable(pd.DataFrame):
    """The tidy table of indicators (:func:`indicator_table`): a pandas DataFrame that shows itself well.

    A DataFrame in every way (filtering, ``.copy()``, :func:`indicator_changes` keep it one while
    its columns ``place_id, phase_id, label, unit, value`` are there). In JupyterLab it shows as a
    table in the pages' look: each value in its unit (counts whole, shares with %), numbers
    right-aligned, a suppressed or unmeasured value saying so; its plain text has one short
    line per row, so no narrow output area breaks a number in two. Long tables show their
    first and last rows, as pandas does (``display.max_rows``, ``display.min_rows``).
    """

    @property
    def _constructor(self):
        return _indicator_table_or_frame

    def _display(self) -> tuple[pd.DataFrame, int]:
        """The rows shown (formatted text) and how many rows are left out in the middle."""
        rows = self
        hidden = 0
        max_rows, min_rows = pd.get_option("display.max_rows"), pd.get_option("display.min_rows") or 10
        if max_rows and len(self) > max_rows:
            half = max(1, min_rows // 2)
            rows = pd.concat([pd.DataFrame(self.iloc[:half]), pd.DataFrame(self.iloc[-half:])])
            hidden = len(self) - 2 * half
        units = rows["unit"].astype(str).tolist()
        shown = pd.DataFrame({
            "place": rows["place_id"].astype(str).tolist(),
            "phase": rows["phase_id"].astype(str).tolist(),
            "indicator": rows["label"].astype(str).tolist(),
            "value": [_in_unit(v, u) for v, u in zip(rows["value"], units, strict=True)],
        })
        if "n" in rows:
            shown["n"] = [f"{int(n):,}" if not pd.isna(n) else "" for n in rows["n"]]
        for column, heading in _CHANGES.items():
            if column in rows:
                shown[heading] = [_in_unit(v, u, change=True) for v, u in zip(rows[column], units, strict=True)]
        suppressed = rows["suppressed"].tolist() if "suppressed" in rows else [False] * len(rows)
        shown["note"] = ["suppressed: too few ratings or respondents" if bool(x) else
                         ("not measured" if pd.isna(v) else "") for x, v in zip(suppressed, rows["value"], strict=True)]
        if not any(shown["note"]):
            shown = shown.drop(columns="note")
        return shown, hidden

    def _summary_line(self) -> str:
        from analysis.absence import count_noun

        counts = [count_noun(len(self), "row")] + [count_noun(self[c].nunique(), what) for c, what in
                                                   (("place_id", "place"), ("phase_id", "phase"),
                                                    ("indicator", "indicator")) if c in self]
        return "Indicator table: " + ", ".join(counts)

    def __repr__(self) -> str:
        """One short line per row (long labels shortened), never wider than 76 characters unless an id is."""
        if not set(_SHOWN) <= set(self.columns):
            return pd.DataFrame.__repr__(self)
        shown, hidden = self._display()
        numbers = [c for c in shown.columns if c not in ("place", "phase", "indicator", "note")]
        widths = {c: max([len(c)] + [len(x) for x in shown[c]]) for c in shown.columns if c != "note"}
        fixed = 2 + sum(w + 1 for c, w in widths.items() if c != "indicator")
        widths["indicator"] = max(12, min(widths["indicator"], 76 - fixed))

        def line(cells: dict) -> str:
            out = []
            for c, w in widths.items():
                text = cells[c] if len(cells[c]) <= w else cells[c][:w - 1] + "\u2026"
                out.append(f"{text:>{w}}" if c in numbers else f"{text:<{w}}")
            return ("  " + " ".join(out)).rstrip()

        lines = [f"<{self._summary_line()}", line({c: c for c in widths})]
        for i, (_, row) in enumerate(shown.iterrows()):
            if hidden and i == len(shown) // 2:
                lines.append(f"  ... {hidden:,} rows not shown ...")
            lines.append(line({c: str(row[c]) for c in widths}) + (f"  ({row['note']})" if row.get("note") else ""))
        return "\n".join(lines) + ">"

    def _repr_html_(self) -> str:
        """The rows as a table in the pages' look, every label escaped (survey themes come from the study)."""
        if not set(_SHOWN) <= set(self.columns):
            return pd.DataFrame._repr_html_(self)
        import html

        from analysis.suppression import html_table

        shown, hidden = self._display()
        numbers = [c for c in shown.columns if c not in ("place", "phase", "indicator", "note")]
        if hidden:
            half = len(shown) // 2
            gap = pd.DataFrame([{c: ("\u2026" if c == "indicator" else "") for c in shown.columns}])
            shown = pd.concat([shown.iloc[:half], gap, shown.iloc[half:]], ignore_index=True)
        out = html_table(shown, caption=self._summary_line(), download=False, number_columns=numbers,
                         muted=None)._repr_html_()
        if hidden:
            out += f'<p class="cip-note">{html.escape(f"{hidden:,} rows not shown (display.max_rows).")}</p>'
        return out

# ----------------------------------------------------------------------------- the table


def indicator_table(study) -> pd.DataFrame:
    """Every indicator for every place and phase of the study, as one tidy table.

    Families: ``network`` (from :mod:`analysis.networks`), ``boards``
    (:func:`analysis.boards.vcse_board_share`), ``survey`` (one indicator per theme,
    :func:`analysis.survey.theme_scores`, suppressed cells NaN), ``evidence`` (counts by
    kind) and ``evidence_theme`` (counts by kind and theme), ``funding`` (when the study has
    grants: median days to award, value per head, number, share by award process).

    Parameters
    ----------
    study : Study

    Returns
    -------
    IndicatorTable
        A DataFrame that shows itself as a table in the pages' look. Columns ``place_id,
        phase_id, indicator, label, unit, direction, family, value, n, suppressed``: one
        row per place x phase x indicator, places and phases in the study's order.
        ``value`` is NaN where it cannot be measured (no ties, no board seats) or is
        suppressed; ``n`` is what the value rests on (ties, ratings, seats,
        respondents, coded observations, grants). ``suppressed`` is True for a survey cell
        with fewer respondents than ``study.disclosure_threshold``, and on stakeholder
        studies (``for_audience``) for a mean of fewer ratings than the threshold
        (:data:`RATING_INDICATORS`).

    Examples
    --------
    >>> from analysis.boards import _tiny_study
    >>> t = indicator_table(_tiny_study())
    >>> row = t.set_index("indicator").loc["vcse_seat_share"]
    >>> float(row["value"]), int(row["n"])
    (25.0, 4)

    Computed once per study content and code version (:func:`analysis.cache.cached`): every
    page of a run asks for it, and a later run finds it on disk when the runner keeps a cache.
    """
    from analysis.cache import cached

    return cached(study, "indicator_table", lambda: _indicator_table(study))


def _indicator_table(study) -> pd.DataFrame:
    parts = [
        _network_rows(study),
        _board_rows(study),
        _survey_rows(study),
        _evidence_rows(study),
        _funding_rows(study),
    ]
    parts = [p for p in parts if p is not None and len(p)]
    if not parts:
        return IndicatorTable(columns=_COLUMNS)
    table = pd.concat(parts, ignore_index=True)
    table["value"] = table["value"].astype(float)
    table["n"] = table["n"].fillna(0).astype(int)
    place_order = {p: i for i, p in enumerate(study.place_ids)}
    phase_order = {p: i for i, p in enumerate(study.phase_ids)}
    indicator_order = {k: i for i, k in enumerate(dict.fromkeys(table["indicator"]))}
    table = table.sort_values(
        ["place_id", "phase_id", "indicator"],
        key=lambda col: col.map({"place_id": place_order, "phase_id": phase_order,
                                 "indicator": indicator_order}[col.name]),
        kind="stable",
    ).reset_index(drop=True)
    for col in ("place_id", "phase_id", "indicator", "label", "unit", "direction", "family"):
        table[col] = table[col].astype(str)
    table["suppressed"] = False
    if "survey" in set(table["family"]):  # theme_scores suppresses below the study's threshold
        table.loc[(table["family"] == "survey") & table["value"].isna() & (table["n"] > 0), "suppressed"] = True
    threshold = disclosure_threshold(study)
    rating_based = table["indicator"].isin(RATING_INDICATORS) & (table["n"] < threshold) & table["value"].notna()
    table.loc[rating_based, "value"] = np.nan
    table.loc[rating_based, "suppressed"] = True
    return IndicatorTable(table[_COLUMNS])


def _rows(ind: Indicator, frame: pd.DataFrame) -> pd.DataFrame:
    """Attach an indicator's metadata to a (place_id, phase_id, value, n) frame."""
    out = frame[["place_id", "phase_id", "value", "n"]].copy()
    for field in ("indicator", "label", "unit", "direction", "family"):
        out[field] = getattr(ind, field)
    return out


def _grid(study) -> pd.DataFrame:
    return pd.MultiIndex.from_product([list(study.place_ids), list(study.phase_ids)],
                                      names=["place_id", "phase_id"]).to_frame(index=False)


def _network_rows(study) -> pd.DataFrame | None:
    from analysis import networks

    if len(study.relationships) == 0:
        return None
    from analysis.absence import network_absent

    records = []
    for place in study.place_ids:
        for phase in study.phase_ids:
            G = networks.trust_network(study, place, phase)
            # nobody in the place rated a partner in this phase: no network was measured (not a density of 0)
            measured = network_absent(study, place, phase) is None
            records.append({"place_id": place, "phase_id": phase, **_network_measures(networks, G, measured)})
    frame = pd.DataFrame(records)
    out = []
    for key in ("network_density", "mean_trust", "cross_sector_share", "council_vcse_asymmetry"):
        out.append(_rows(CORE_INDICATORS[key], frame.assign(value=frame[key], n=frame[f"{key}_n"])))
    return pd.concat(out, ignore_index=True)


def _network_measures(networks, G, measured: bool = True) -> dict:
    """The network family's values for one graph (each computed by :mod:`analysis.networks`)
    and what each rests on: ties for density and cross-sector share, trust ratings for mean
    trust, and the fewer of the two directions' ratings for the council-VCSE gap."""
    ties = G.number_of_edges()
    rated = sum(1 for _, _, d in G.edges(data=True) if not pd.isna(d.get("trust", np.nan)))
    if G.number_of_nodes() < 2 or not measured:
        return {"network_density": np.nan, "network_density_n": 0, "mean_trust": np.nan, "mean_trust_n": 0,
                "cross_sector_share": np.nan, "cross_sector_share_n": 0,
                "council_vcse_asymmetry": np.nan, "council_vcse_asymmetry_n": 0}
    asym = networks.council_vcse_asymmetry(G)
    return {
        "network_density": 100.0 * networks.density(G),
        "network_density_n": ties,
        "mean_trust": networks.percent_of_max(networks.mean_tie_trust(G)),
        "mean_trust_n": rated,
        "cross_sector_share": 100.0 * networks.cross_sector_share(G),
        "cross_sector_share_n": ties,
        "council_vcse_asymmetry": abs(float(asym.get("trust_gap", np.nan))),
        "council_vcse_asymmetry_n": int(min(asym.get("trust_n_council_to_vcse", 0),
                                            asym.get("trust_n_vcse_to_council", 0))),
    }


def _board_rows(study) -> pd.DataFrame | None:
    from analysis.boards import vcse_board_share

    if len(study.boards) == 0:
        return None
    shares = vcse_board_share(study)
    return pd.concat([
        _rows(CORE_INDICATORS["vcse_seat_share"], shares.assign(value=shares["seat_share"], n=shares["seats"])),
        _rows(CORE_INDICATORS["vcse_chair_share"], shares.assign(value=shares["chair_share"], n=shares["chairs"])),
    ], ignore_index=True)


def _survey_rows(study) -> pd.DataFrame | None:
    from analysis.survey import theme_scores

    if len(study.survey_responses) == 0:
        return None
    scores = theme_scores(study)
    out = []
    grid = _grid(study)
    for theme_id, group in scores.groupby("theme_id", sort=False):
        label = str(group["theme_label"].iloc[0])
        ind = Indicator(f"survey:{theme_id}", f"Survey: {label}", "score (1-5)", "up is good", "survey",
                        f"The survey score for {label.lower()}",
                        f"Mean survey score (1-5, reverse-scored items turned round) on {label}.")
        frame = grid.merge(group[["place_id", "phase_id", "mean", "n"]], how="left", on=["place_id", "phase_id"])
        out.append(_rows(ind, frame.rename(columns={"mean": "value"})))
    return pd.concat(out, ignore_index=True) if out else None


_KIND_DIRECTION = {"shift": "up is good", "enabler": "up is good", "threat": "down is good",
                   "mitigation": "up is good"}


def _evidence_rows(study) -> pd.DataFrame | None:
    from analysis.evidence import evidence_counts, theme_labels, theme_order

    if len(study.evidence) == 0:
        return None
    counts = evidence_counts(study)
    grid = _grid(study)
    out = []
    by_kind = counts.groupby(["place_id", "phase_id", "kind"])["n"].sum()
    # a place and phase where nothing was coded has no count (nobody was interviewed), not 0
    coded = set(zip(counts["place_id"], counts["phase_id"], strict=True))

    for kind in KINDS:
        ind = CORE_INDICATORS[f"evidence_{kind}"]
        values = [float(by_kind.get((p, ph, kind), 0)) if (p, ph) in coded else np.nan
                  for p, ph in zip(grid["place_id"], grid["phase_id"], strict=False)]
        out.append(_rows(ind, grid.assign(value=values, n=values)))
    labels = theme_labels(study)
    by_theme = counts.groupby(["place_id", "phase_id", "kind", "theme_id"])["n"].sum()
    for kind in KINDS:
        for theme_id in theme_order(study):
            label = str(labels.get(theme_id, theme_id))
            ind = Indicator(f"evidence_{kind}:{theme_id}", f"{kind.capitalize()}s recorded: {label}", "count",
                            _KIND_DIRECTION[kind], "evidence_theme",
                            f"The number of {kind}s recorded about {label.lower()}",
                            f"Coded observations of kind {kind} on the theme {label}.")
            values = [float(by_theme.get((p, ph, kind, theme_id), 0)) if (p, ph) in coded else np.nan
                      for p, ph in zip(grid["place_id"], grid["phase_id"], strict=False)]
            out.append(_rows(ind, grid.assign(value=values, n=values)))
    return pd.concat(out, ignore_index=True)


def _funding_rows(study) -> pd.DataFrame | None:
    """Funding indicators from :func:`analysis.funding.funding_measures`."""
    from analysis.funding.measures import funding_measures

    if len(study.grants) == 0:
        return None
    measures = funding_measures(study.grants, study.organisations, list(study.phase_ids))
    frame = _grid(study).merge(measures, how="left", on=["place_id", "phase_id"])
    number = frame["grants"].fillna(0).astype(int)
    population = pd.to_numeric(study.places.set_index("place_id")["population"], errors="coerce").astype(float)
    pop = frame["place_id"].map(population).astype(float)
    per_head = np.where((pop > 0) & (number > 0), frame["value"].fillna(0).astype(float) / pop, np.nan)
    days_known = frame["days_known"].fillna(0).astype(int)
    out = [
        _rows(CORE_INDICATORS["median_days_to_award"],
              frame.assign(value=frame["days_median"].where(days_known > 0), n=days_known)),
        _rows(CORE_INDICATORS["grant_value_per_head"], frame.assign(value=per_head, n=number)),
        _rows(CORE_INDICATORS["grants_awarded"], frame.assign(value=number.astype(float), n=number)),
        _rows(CORE_INDICATORS["small_recipient_share"],
              frame.assign(value=100.0 * frame["small_share"].astype(float),
                           n=frame["size_known"].fillna(0).astype(int))),
    ]
    known = frame["process_known"].fillna(0).astype(int)
    if known.sum() > 0:
        for proc in AWARD_PROCESSES:
            label = proc.replace("_", " ")
            ind = Indicator(f"award_process:{proc}", f"Grants by {label}", "%", "neutral", "funding",
                            f"The share of grants awarded by {label}",
                            f"Share of the phase's grants (with a recorded award process) awarded by {label}.")
            out.append(_rows(ind, frame.assign(value=100.0 * frame[f"share_{proc}"].astype(float), n=known)))
    return pd.concat(out, ignore_index=True)


# ----------------------------------------------------------------------------- changes


def indicator_changes(table: pd.DataFrame, study) -> pd.DataFrame:
    """Add each indicator's change from the previous phase and from the first phase.

    Changes are in the indicator's own units: percentage points for "%" and "% of max",
    days for days, and so on. The first phase has no previous phase, so its changes are NaN.

    Parameters
    ----------
    table : pandas.DataFrame
        The result of :func:`indicator_table`.
    study : Study
        For the order of phases.

    Returns
    -------
    pandas.DataFrame
        ``table`` plus ``previous_phase_id``, ``previous_value``, ``change_from_previous``,
        ``first_phase_id``, ``first_value``, ``change_from_first``.

    Examples
    --------
    >>> from analysis.evidence import _tiny_evidence_study
    >>> s = _tiny_evidence_study()
    >>> t = indicator_changes(indicator_table(s), s)
    >>> t[(t.indicator == "evidence_threat")][["phase_id", "value", "change_from_previous"]].values.tolist()
    [['a', 0.0, nan], ['b', 2.0, 2.0]]
    """
    phases = list(study.phase_ids)
    previous = {ph: (phases[i - 1] if i > 0 else None) for i, ph in enumerate(phases)}
    first = phases[0] if phases else None
    lookup = table.set_index(["place_id", "indicator", "phase_id"])["value"]
    lookup = lookup[~lookup.index.duplicated()]
    out = table.copy()
    out["previous_phase_id"] = out["phase_id"].map(previous)
    out["previous_value"] = [
        float(lookup.get((p, i, prev), np.nan)) if prev is not None else np.nan
        for p, i, prev in zip(out["place_id"], out["indicator"], out["previous_phase_id"], strict=False)
    ]
    out["change_from_previous"] = out["value"] - out["previous_value"]
    out["first_phase_id"] = first
    out["first_value"] = [float(lookup.get((p, i, first), np.nan))
                          for p, i in zip(out["place_id"], out["indicator"], strict=True)]
    out["change_from_first"] = out["value"] - out["first_value"]
    out.loc[out["phase_id"] == first, "change_from_first"] = np.nan
    return out
