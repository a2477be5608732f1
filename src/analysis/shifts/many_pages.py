"""The blocks of the pages for many places: how places spread, places ranked, places alike, a place's standing.

With more than :data:`analysis.shifts.many.MANY_PLACES` places a scorecard with a column per
place cannot be read, so ``compare_places`` shows these blocks instead, and each place report
adds where the place stands among all places. Each function returns one section of a page as a list
of pieces (:class:`analysis.page.Html`, every study string escaped): its heading, a plain
sentence of what it shows, and its figure and tables, each table a piece of its own (the page
template gives every output holding a table its own scrolling box, named by the table's
caption). :func:`show_blocks` shows them, one output each. With few places a section is an
empty list, so a notebook cell can call it whatever the study's size.
"""

from __future__ import annotations

import html

import pandas as pd

from analysis import page
from analysis.absence import Absent, evidence_absent, survey_absent
from analysis.shifts.figures import indicator_distributions
from analysis.shifts.indicators import SCORECARD_INDICATORS
from analysis.shifts.many import (
    _phase_values,
    _regions,
    has_many_places,
    nearest_places,
    places_like,
    ranked_table,
    spread_table,
    standing_sentences,
)
from analysis.shifts.text import format_value

__all__ = [
    "RANKED_SHOWN",
    "show_blocks",
    "many_places_intro",
    "spread_section",
    "ranked_section",
    "places_alike_section",
    "survey_spread_section",
    "evidence_themes_section",
    "evidence_themes_table",
    "standing_section",
]

#: How many places a ranked section names at each end, before the full ranking (folded away).
RANKED_SHOWN = 3
#: Above this many places, the table of places alike is folded away too (it has a row per place).
_FOLD_ROWS = 60


def _empty() -> list:
    return []


def show_blocks(blocks) -> None:
    """Show a section's pieces, each as its own output of the cell (None and empty pieces are skipped)."""
    from IPython.display import display

    for block in blocks:
        if block is not None and (isinstance(block, Absent) or str(block)):
            display(block)


def _details(summary: str, body: str, *, open_: bool = False) -> page.Html:
    """A folded block (HTML ``<details>``: opens without a script)."""
    return page.Html(f"<details class=\"cip-details\"{' open' if open_ else ''}><summary>{html.escape(summary)}"
                     f"</summary>{body}</details>")


def many_places_intro(study, phase: str) -> str:
    """The opening sentence of ``compare_places`` for many places (the places are counted, not listed).

    Examples
    --------
    >>> from analysis.evidence import _tiny_evidence_study
    >>> many_places_intro(_tiny_evidence_study(), "b")
    'This page compares the 1 places of the study in B: how they spread on each measure, how they rank, \
which are alike, and how they moved since A.'
    """
    n, label, previous = len(study.place_ids), study.phase_label(phase), study.previous_phase(phase)
    regions = {r for r in _regions(study) if r}
    where = f", in {len(regions)} regions," if len(regions) > 1 else ""
    moved = (f", and how they moved since {study.phase_label(previous)}." if previous else
             f". {label} is the first phase of the study, so there is no earlier phase to compare with.")
    return f"This page compares the {n} places of the study{where} in {label}: how they spread on each measure, " \
           f"how they rank, which are alike{moved}"


def spread_section(study, phase: str, *, table: pd.DataFrame, figures_dir=None,
                   indicators=SCORECARD_INDICATORS) -> list:
    """"How the places spread": each measure's distribution across places in every phase so far (box and dots,
    the medians joined so the direction of change shows) and a table of medians and of how many places moved
    for the better and for the worse. Empty with few places."""
    if not has_many_places(study):
        return _empty()
    label, previous = study.phase_label(phase), study.previous_phase(phase)
    fig = indicator_distributions(study, table=table, indicators=indicators, phase=phase)
    spread = spread_table(study, table, phase, indicators)
    if fig is None or spread.empty:
        from analysis.shifts.text import no_indicators

        return [page.heading("How the places spread"), no_indicators(study, None, phase)]
    n = len(study.place_ids)
    return [
        page.join(page.heading("How the places spread"), page.paragraph(
            f"Each small chart is one measure. For every phase up to {label}, the box spans the middle half of the "
            f"{n} places, the black line across it is the median place, and each dot is a place; the dashed line "
            "joins the medians, so its slope is the direction the typical place moved. Each chart has its own "
            "scale, and its title says whether higher or lower is better.")),
        page.figure(fig, f"How the {n} places spread on each measure in every phase up to {label}; "
                         "boxes hold the middle half of the places, the dashed line joins the medians.",
                    directory=figures_dir, name="places-spread"),
        page.table(spread, caption=f"The spread of each measure across places, {label}"
                   + (f", and how places moved since {study.phase_label(previous)}: the median of the places' own "
                      "changes, and how many places moved for the better, for the worse, or stayed the same"
                      if previous else "")),
    ]


def _lower_first(label: str) -> str:
    """A measure's label inside a sentence: first letter in lower case unless the first word is an acronym.

    Examples
    --------
    >>> _lower_first("Council-VCSE trust gap"), _lower_first("VCSE share of board seats")
    ('council-VCSE trust gap', 'VCSE share of board seats')
    """
    first = label.split(" ", 1)[0]
    return label if first.isupper() and len(first) > 1 else label[:1].lower() + label[1:]


def _named(study, values: pd.DataFrame, unit: str) -> str:
    return ", ".join(f"{study.place_name(p)} ({format_value(v, unit, short=True)})"
                     for p, v in zip(values["place_id"], values["value"], strict=True))


def ranked_section(study, phase: str, *, table: pd.DataFrame, indicators=SCORECARD_INDICATORS) -> list:
    """"Places ranked on each measure": for every measure, the best and worst few places in a sentence, and
    every place ranked in a table (best first, with its region and change since the phase before), folded
    away until opened. Empty with few places."""
    if not has_many_places(study):
        return _empty()
    label, previous = study.phase_label(phase), study.previous_phase(phase)
    n = len(study.place_ids)
    parts = [page.join(page.heading("Places ranked on each measure"), page.paragraph(
        f"For each measure, the places are ranked from best to worst in {label} (for measures where lower is "
        "better, the lowest comes first; places with the same value share a rank). Open a ranking to see every "
        "place with its region" + (f" and its change since {study.phase_label(previous)}." if previous else ".")
        + " Places without a figure (nothing measured, or too few ratings to show) are left out."))]
    shown = 0
    for ind in indicators:
        values = _phase_values(table, phase, ind)
        if values.empty:
            continue
        meta = values.iloc[0]
        down = meta["direction"] == "down is good"
        ranked = ranked_table(study, table, phase, ind, previous=previous)
        order = values.assign(rank=values["value"].rank(method="min", ascending=down))
        order = order.sort_values(["rank", "place_id"], kind="stable")
        unit = str(meta["unit"])
        shown_ends = min(RANKED_SHOWN, len(order) // 2)
        ends = (f"Best: {_named(study, order.head(shown_ends), unit)}. "
                f"Worst: {_named(study, order.tail(shown_ends).iloc[::-1], unit)}." if shown_ends else "")
        hint = " (lower is better)" if down else ""
        missing = n - len(values)
        measured = f"Measured in all {n} places." if not missing else f"Measured in {len(values)} of the {n} places."
        if values["value"].nunique() == 1:  # nothing to rank: every place has the same figure
            parts.append(page.join(page.heading(f"{meta['label']}{hint}", 3), page.paragraph(
                f"{measured} Every one of them has the same figure, "
                f"{format_value(values['value'].iloc[0], unit, short=True)}, so there is nothing to rank.")))
            shown += 1
            continue
        parts += [
            page.join(page.heading(f"{meta['label']}{hint}", 3),
                      page.paragraph(f"{measured} {ends}".strip())),
            _details(f"All {len(values)} places ranked on {_lower_first(str(meta['label']))}",
                     page.table(ranked, caption=f"{meta['label']}{hint}: places ranked, best first, {label}"
                                + (f" ({missing} place{'s' if missing != 1 else ''} without a figure left out)"
                                   if missing else ""))),
        ]
        shown += 1
    if not shown:
        from analysis.shifts.text import no_indicators

        parts.append(no_indicators(study, None, phase))
    return parts


def places_alike_section(study, phase: str, *, table: pd.DataFrame, indicators=SCORECARD_INDICATORS,
                         nearest: int = 3) -> list:
    """"Places like each other": every place with the ``nearest`` places most like it in size and on the measures
    (:func:`analysis.shifts.many.nearest_places`), by region. Map-free. Empty with few places."""
    if not has_many_places(study):
        return _empty()
    label = study.phase_label(phase)
    near = nearest_places(study, table, phase, indicators=indicators, nearest=nearest)
    head = page.heading("Places like each other")
    if near.empty:
        from analysis.shifts.text import no_indicators

        return [head, no_indicators(study, None, phase)]
    regions = _regions(study)
    pop = pd.to_numeric(study.places.set_index("place_id")["population"], errors="coerce")
    rows = pd.DataFrame({
        "Region": [regions.get(p, "") for p in near.index],
        "Place": [study.place_name(p) for p in near.index],
        "Population": [f"{int(pop[p]):,}" if pd.notna(pop.get(p)) else "–" for p in near.index],
        "Most alike, nearest first": ["; ".join(study.place_name(q) + (f" ({regions.get(q)})" if regions.get(q) else "")
                                                for q in qs) for qs in near["nearest"]],
    })
    rows = rows.sort_values(["Region", "Place"], kind="stable", key=lambda c: c.str.casefold())
    if not any(rows["Region"]):
        rows = rows.drop(columns="Region")
    body = page.table(rows, caption=f"Each place and the {nearest} places most like it, {label}")
    return [
        page.join(head, page.paragraph(
            f"Places that are alike in size (population, on a log scale) and in their measures in {label}, without "
            "looking at where they are: each measure is put on a common scale (how far a place is from the average, "
            "in standard deviations), and two places are as alike as their measures are close. Compare a place "
            "with those most like it rather than with places of a very different size or situation.")),
        _details(f"Every place and the {nearest} most like it", body) if len(rows) > _FOLD_ROWS else body,
    ]


def survey_spread_section(study, phase: str, *, table: pd.DataFrame, figures_dir=None) -> list:
    """"The survey": each survey theme's score as a distribution across places in every phase so far.
    Empty with few places; the absent sentence when nobody answered the survey in ``phase``."""
    if not has_many_places(study):
        return _empty()
    label = study.phase_label(phase)
    themes = list(dict.fromkeys(i for i in table["indicator"] if str(i).startswith("survey:")))
    fig = indicator_distributions(study, table=table, indicators=themes, phase=phase,
                                  title=f"How the {len(study.place_ids)} places score on each survey theme") \
        if themes else None
    here = table[(table["phase_id"] == phase) & table["indicator"].isin(themes) & table["value"].notna()]
    head = page.heading("The survey")
    if fig is None or here.empty:
        if fig is not None:
            import matplotlib.pyplot as plt

            plt.close(fig)
        return [head, survey_absent(study, None, phase) or Absent(f"Nobody answered the survey in {label}.")]
    return [
        page.join(head, page.paragraph(
            "Organisations answered questions on each theme from 1 (strongly disagree) to 5 (strongly agree); "
            "negatively worded questions are turned round so that higher is always more positive. Each chart is a "
            "theme: each dot is a place's average, the box holds the middle half of the places. Where fewer than "
            "the study's threshold of people answered in a place, its average is not shown, to protect those who "
            "did.")),
        page.figure(fig, f"Average survey score on each theme across the places, in every phase up to {label}; "
                         "higher is more positive.", directory=figures_dir, name="survey-spread"),
    ]


def evidence_themes_table(study, phase: str) -> pd.DataFrame:
    """In how many places each theme was coded, by kind of evidence, in ``phase``.

    Returns
    -------
    pandas.DataFrame
        Text columns ``Theme``, ``Places with a shift``, ``... an enabler``, ``... a threat``,
        ``... a mitigation``, themes in codebook order; empty when nothing was coded in ``phase``.

    Examples
    --------
    >>> from analysis.evidence import _tiny_evidence_study
    >>> evidence_themes_table(_tiny_evidence_study(), "b").values.tolist()
    [['Capacity', '0', '0', '1', '1']]
    """
    from analysis.evidence import evidence_counts, theme_labels, theme_order

    counts = evidence_counts(study)
    counts = counts[counts["phase_id"] == phase]
    if counts.empty:
        return pd.DataFrame(columns=["Theme"])
    places = counts.groupby(["theme_id", "kind"])["place_id"].nunique()
    labels = theme_labels(study)
    kinds = {"shift": "Places with a shift", "enabler": "Places with an enabler", "threat": "Places with a threat",
             "mitigation": "Places with a mitigation"}
    rows = [{"Theme": str(labels.get(t, t)), **{col: str(int(places.get((t, kind), 0))) for kind, col in kinds.items()}}
            for t in theme_order(study) if t in set(counts["theme_id"])]
    return pd.DataFrame(rows, columns=["Theme", *kinds.values()])


def evidence_themes_section(study, phase: str) -> page.Html:
    """The coded evidence of many places as one table: in how many places each theme came up, by kind."""
    label = study.phase_label(phase)
    found = evidence_themes_table(study, phase)
    if found.empty:
        return page.join(evidence_absent(study, None, phase) or Absent(f"Nothing was coded in {label}."))
    coded = study.evidence[study.evidence["phase_id"].astype(str) == phase]["place_id"].nunique()
    return page.table(found, caption=f"In how many of the {coded} places with coded evidence in {label} each theme "
                                     "came up, by kind; each place's own report lists what was said")


def standing_section(study, place: str, phase: str, *, table: pd.DataFrame, nearest: int = 5) -> list:
    """A place report's "Where <place> stands among all places": its standing sentences and the places most
    like it. Empty with few places, or when the place has no standing on any measure.

    ``table`` is the indicator table as the page shows it, after the page's disclosure plan
    (``plan.indicators(...)``): a value hidden on the page has no standing and no part in the places alike.
    """
    if not has_many_places(study):
        return _empty()
    said = standing_sentences(study, table, place, phase)
    if not said:
        return _empty()
    name, label = study.place_name(place), study.phase_label(phase)
    like = places_like(study, table, place, phase, indicators=SCORECARD_INDICATORS, nearest=nearest)
    like = like.drop(columns="Distance")
    if not any(like["Region"]):
        like = like.drop(columns="Region")
    return [
        page.join(page.heading(f"Where {name} stands among all places"), page.paragraph(
            f"Each measure of {name} beside the same measure in the other places of the study in {label}. The top "
            "quarter is the best quarter of the places: the highest values where higher is better, the lowest where "
            "lower is better."), page.sentences(said)),
        page.table(like, caption=f"The {len(like)} places most like {name} in size and on these measures, {label} "
                                 "(nearest first)") if len(like) else None,
    ]
