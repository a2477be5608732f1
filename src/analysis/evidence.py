"""Coded evidence: theme x place x phase matrices, and each place's threats beside its mitigations."""

from __future__ import annotations

import html

import pandas as pd

from analysis.page import Html
from analysis.schema import KINDS, STATUSES

__all__ = [
    "KIND_LABELS",
    "STATUS_LABELS",
    "theme_labels",
    "theme_order",
    "evidence_counts",
    "evidence_matrix",
    "threats_and_mitigations",
    "threats_and_mitigations_html",
    "evidence_list_html",
    "threats_by_place",
]

KIND_LABELS = {"shift": "Shifts", "enabler": "Enablers", "threat": "Threats", "mitigation": "Mitigations"}
STATUS_LABELS = {"emerging": "Emerging", "established": "Established", "at_risk": "At risk", "reverted": "Reverted"}


def theme_labels(study) -> pd.Series:
    """Each theme's label, indexed by ``theme_id`` (empty when the study has no themes table)."""
    if len(study.themes):
        return study.themes.set_index("theme_id")["label"].astype(str)
    return pd.Series(dtype=str)


def theme_order(study) -> list[str]:
    """Theme ids in codebook order, then any theme the evidence uses that the codebook lacks, sorted."""
    order = [str(t) for t in study.themes["theme_id"]] if len(study.themes) else []
    extra = sorted(set(study.evidence["theme_id"].dropna().astype(str)) - set(order))
    return order + extra


def evidence_counts(study) -> pd.DataFrame:
    """Number of coded observations per place, phase, theme, kind and status.

    Parameters
    ----------
    study : Study

    Returns
    -------
    pandas.DataFrame
        Columns ``place_id, phase_id, theme_id, kind, status, n``; only combinations that
        occur (status ``"not coded"`` where the coder gave none).

    Examples
    --------
    >>> s = _tiny_evidence_study()
    >>> evidence_counts(s)["n"].sum()
    np.int64(4)
    """
    ev = study.evidence
    frame = pd.DataFrame({
        "place_id": ev["place_id"].astype(str),
        "phase_id": ev["phase_id"].astype(str),
        "theme_id": ev["theme_id"].astype(str),
        "kind": ev["kind"].astype(str),
        "status": ev["status"].astype("string").fillna("not coded").astype(str),
    })
    return frame.groupby(list(frame.columns), sort=True).size().rename("n").reset_index()


def evidence_matrix(study, by: str = "kind", *, place=None, phase=None, value=None) -> pd.DataFrame:
    """A theme x (place, phase, kind|status) matrix of counts of coded evidence.

    Parameters
    ----------
    study : Study
    by : {"kind", "status"}
        Which coding splits the columns.
    place, phase : str or list of str, optional
        Keep only these places / phases (all by default).
    value : str, optional
        Keep only this kind (or status) and drop that column level, giving a theme x
        (place, phase) matrix, e.g. ``value="threat"``.

    Returns
    -------
    pandas.DataFrame
        Index: theme labels, in the codebook's order. Columns: a MultiIndex
        ``(place_id, phase_id, kind|status)`` over every place and phase of the study and
        every kind or status (zeros where nothing was coded).

    Raises
    ------
    ValueError
        If ``by`` is not "kind" or "status".

    Examples
    --------
    >>> s = _tiny_evidence_study()
    >>> m = evidence_matrix(s, value="threat")
    >>> int(m.loc["Capacity", ("p", "b")])
    2
    """
    if by not in ("kind", "status"):
        raise ValueError(f"by must be 'kind' or 'status', not {by!r}")
    counts = evidence_counts(study)
    places = _as_list(place, study.place_ids)
    phases = _as_list(phase, study.phase_ids)
    levels = list(KINDS) if by == "kind" else list(STATUSES) + (
        ["not coded"] if (counts["status"] == "not coded").any() else [])
    themes = theme_order(study)
    table = counts.pivot_table(index="theme_id", columns=["place_id", "phase_id", by], values="n",
                               aggfunc="sum", fill_value=0)
    columns = pd.MultiIndex.from_product([places, phases, levels], names=["place_id", "phase_id", by])
    table = table.reindex(index=themes, columns=columns, fill_value=0).fillna(0).astype(int)
    table.index = table.index.map(lambda t: theme_labels(study).get(t, t)).rename("theme")
    if value is not None:
        table = table.xs(value, axis=1, level=by)
    return table


def _as_list(value, default) -> list[str]:
    if value is None:
        return [str(v) for v in default]
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value]


def threats_and_mitigations(study, place: str, phase: str | None = None) -> pd.DataFrame:
    """For one place, each theme's threats set beside the mitigations for the same theme.

    Answers what a place's stakeholders ask of a shift: what might undo it, and what could
    keep it going? Only themes with at least one threat or mitigation are listed, those with
    the most threats first.

    Parameters
    ----------
    study : Study
        Usually ``for_audience(study, audience)``, so quotes without consent are already gone.
    place : str
    phase : str, optional
        One phase (default: every phase up to and including the latest).

    Returns
    -------
    pandas.DataFrame
        Columns ``theme_id, theme, threats, mitigations, threat_summaries,
        mitigation_summaries`` (the summaries are lists of the coded text, unescaped: render
        them with :func:`threats_and_mitigations_html`).

    Examples
    --------
    >>> s = _tiny_evidence_study()
    >>> t = threats_and_mitigations(s, "p")
    >>> t[["theme", "threats", "mitigations"]].values.tolist()
    [['Capacity', 2, 1]]
    """
    ev = study.evidence
    ev = ev[(ev["place_id"].astype(str) == place) & ev["kind"].astype(str).isin(["threat", "mitigation"])]
    if phase is not None:
        ev = ev[ev["phase_id"].astype(str) == phase]
    labels = theme_labels(study)
    rows = []
    for theme_id in theme_order(study):
        sub = ev[ev["theme_id"].astype(str) == theme_id]
        if sub.empty:
            continue
        threats = sub[sub["kind"].astype(str) == "threat"]
        mitigations = sub[sub["kind"].astype(str) == "mitigation"]
        rows.append({
            "theme_id": theme_id,
            "theme": str(labels.get(theme_id, theme_id)),
            "threats": len(threats),
            "mitigations": len(mitigations),
            "threat_summaries": [str(x) for x in threats["summary"]],
            "mitigation_summaries": [str(x) for x in mitigations["summary"]],
        })
    out = pd.DataFrame(rows, columns=["theme_id", "theme", "threats", "mitigations",
                                      "threat_summaries", "mitigation_summaries"])
    return out.sort_values(["threats", "mitigations"], ascending=False, kind="stable").reset_index(drop=True)


def threats_and_mitigations_html(table: pd.DataFrame, *, max_items: int = 4) -> Html:
    """Render :func:`threats_and_mitigations` as an HTML table, every study string escaped.

    Parameters
    ----------
    table : pandas.DataFrame
        The result of :func:`threats_and_mitigations`.
    max_items : int, default 4
        Show at most this many summaries per cell, then "and N more".

    Returns
    -------
    str
        An HTML ``<table>``; a paragraph saying so when there is nothing to show.

    Examples
    --------
    >>> t = pd.DataFrame({"theme": ["<b>x</b>"], "threats": [1], "mitigations": [0],
    ...                   "threat_summaries": [["a & b"]], "mitigation_summaries": [[]]})
    >>> "&lt;b&gt;x&lt;/b&gt;" in threats_and_mitigations_html(t), "a &amp; b" in threats_and_mitigations_html(t)
    (True, True)
    """
    if table.empty:
        return Html("<p>No threats or mitigations were coded for this place and phase.</p>")
    rows = []
    for _, r in table.iterrows():
        rows.append(
            "<tr>"
            f"<th scope=\"row\">{html.escape(str(r['theme']))}</th>"
            f"<td>{_summary_list(r['threat_summaries'], max_items, 'No threat coded')}</td>"
            f"<td>{_summary_list(r['mitigation_summaries'], max_items, 'No mitigation coded yet')}</td>"
            "</tr>"
        )
    return Html(
        '<table class="cip-table cip-threats">'
        "<thead><tr><th scope=\"col\">Theme</th><th scope=\"col\">What might undo it (threats)</th>"
        "<th scope=\"col\">What could keep it going (mitigations)</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def _summary_list(items, max_items: int, empty: str) -> str:
    items = list(items)
    if not items:
        return f"<em>{html.escape(empty)}</em>"
    shown = "".join(f"<li>{html.escape(str(x))}</li>" for x in items[:max_items])
    more = f"<li><em>and {len(items) - max_items} more</em></li>" if len(items) > max_items else ""
    return f"<ul>{shown}{more}</ul>"


def evidence_list_html(study, place: str, phase: str, kind: str, *, max_items: int = 6) -> Html:
    """Escaped HTML list of one place's coded evidence of one kind in one phase, by theme.

    Quotes are shown only where the study still carries them (``for_audience`` removes
    quotes without consent on stakeholder pages) and where ``consent`` is true.

    Examples
    --------
    >>> s = _tiny_evidence_study()
    >>> "<li>" in evidence_list_html(s, "p", "b", "threat")
    True
    """
    ev = study.evidence
    ev = ev[(ev["place_id"].astype(str) == place) & (ev["phase_id"].astype(str) == phase)
            & (ev["kind"].astype(str) == kind)]
    if ev.empty:
        return Html(f"<p><em>No {html.escape(KIND_LABELS.get(kind, kind).lower())} were coded in this phase.</em></p>")
    labels = theme_labels(study)
    items = []
    for _, r in ev.head(max_items).iterrows():
        theme = html.escape(str(labels.get(str(r["theme_id"]), r["theme_id"])))
        status = r.get("status")
        status_label = STATUS_LABELS.get(str(status), str(status)).lower()
        status_text = f" ({html.escape(status_label)})" if pd.notna(status) else ""
        text = f"<strong>{theme}</strong>{status_text}: {html.escape(str(r['summary']))}"
        quote, consent = r.get("quote"), r.get("consent")
        if pd.notna(quote) and str(quote).strip() and pd.notna(consent) and bool(consent):
            text += f"<blockquote>&ldquo;{html.escape(str(quote))}&rdquo;</blockquote>"
        items.append(f"<li>{text}</li>")
    more = f"<p><em>and {len(ev) - max_items} more.</em></p>" if len(ev) > max_items else ""
    return Html(f"<ul class=\"cip-evidence\">{''.join(items)}</ul>{more}")


def threats_by_place(study, phase: str) -> pd.DataFrame:
    """Threats and mitigations coded in each place in one phase, and the theme with most threats.

    A place with no coded evidence in the phase has no counts ("–"), not 0: nobody was
    interviewed there, which is not the same as nobody describing a threat.

    Returns
    -------
    pandas.DataFrame
        Text columns ``Place``, ``Threats``, ``Mitigations``, ``Theme with most threats``.

    Examples
    --------
    >>> threats_by_place(_tiny_evidence_study(), "b").values.tolist()
    [['P', '2', '1', 'Capacity']]
    >>> threats_by_place(_tiny_evidence_study(), "a").values.tolist()
    [['P', '0', '0', '–']]
    """
    ev = study.evidence
    ev = ev[ev["phase_id"].astype(str) == phase]
    labels = theme_labels(study)
    rows = []
    for p in study.place_ids:
        here = ev[ev["place_id"].astype(str) == p]
        if here.empty:
            rows.append({"Place": study.place_name(p), "Threats": "–", "Mitigations": "–",
                         "Theme with most threats": "–"})
            continue
        threats = here[here["kind"].astype(str) == "threat"]
        mitigations = here[here["kind"].astype(str) == "mitigation"]
        most = "–"
        if len(threats):
            top = threats["theme_id"].astype(str).value_counts()
            top = top[top == top.max()].sort_index()
            most = str(labels.get(top.index[0], top.index[0]))
        rows.append({"Place": study.place_name(p), "Threats": str(len(threats)),
                     "Mitigations": str(len(mitigations)), "Theme with most threats": most})
    return pd.DataFrame(rows, columns=["Place", "Threats", "Mitigations", "Theme with most threats"])


def _tiny_evidence_study():
    """One place, two phases, four coded observations about one theme."""
    from analysis import study_from_tables

    tables = {
        "places": pd.DataFrame({"place_id": ["p"], "name": ["P"]}),
        "phases": pd.DataFrame({"phase_id": ["a", "b"], "label": ["A", "B"],
                                "start_date": ["2020-01-01", "2020-03-01"],
                                "end_date": ["2020-02-01", "2020-04-01"]}),
        "organisations": pd.DataFrame({"org_id": ["o1"], "name": ["One"], "place_id": ["p"], "sector": ["vcse"]}),
        "themes": pd.DataFrame({"theme_id": ["capacity"], "label": ["Capacity"], "dimension": ["ways_of_working"]}),
        "evidence": pd.DataFrame({
            "evidence_id": ["e1", "e2", "e3", "e4"], "place_id": ["p"] * 4, "phase_id": ["a", "b", "b", "b"],
            "source": ["interview-01"] * 4, "kind": ["shift", "threat", "threat", "mitigation"],
            "theme_id": ["capacity"] * 4, "status": ["emerging", "at_risk", "at_risk", None],
            "summary": ["Staff pooled", "Burnout", "Funding ends", "Rota agreed"]}),
    }
    return study_from_tables(tables)
