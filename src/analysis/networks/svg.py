"""The network map as an inline SVG to explore without scripts: every organisation and tie carries its details.

The map is written as SVG text directly (no drawing library), in the place's fixed layout
(:func:`analysis.networks.figures.place_layout`) and with the look of
:func:`analysis.networks.figures.network_map`: dots coloured by sector and sized by how many
partners named them, hollow for organisations that did not answer the survey, slightly bent
arrows, the most-named organisations labelled on a ring, a legend. Each organisation is a
``<g role="img">`` whose ``<title>`` gives its name as the page may show it, its sector, the
partners it names, how many named it and the trust it received; each tie is a
``<g role="img">`` whose ``<title>`` gives who named whom at which level. A browser shows a
``<title>`` when the pointer rests on the shape, and a screen reader reads it, with no
JavaScript. The same organisations are listed, as a table, in :attr:`NetworkMapSvg.table`.

Every string from the study is untrusted: it is escaped (and characters XML forbids are
dropped) wherever it is written, so ``</title><script>`` comes out as text.

What a stakeholder page may show decides what the titles say, as on the page's other
figures and tables: names are the graph's ``name`` attributes (pseudonyms, built from
:func:`analysis.disclosure.for_audience`); trust received is shown only when it rests on at
least the disclosure threshold of ratings and the page's plan
(:func:`analysis.disclosure.page_plan`) does not hide it; one organisation's rating of
another (a tie's trust and value) is one respondent's answer, so it is shown only where the
threshold is 1 (internal pages), as network exports do (:func:`analysis.networks.export.export_graph`).
"""

from __future__ import annotations

import dataclasses
import hashlib
import html
import math
import re

import numpy as np
import pandas as pd

from analysis.networks.figures import _label_nodes, _node_sizes
from analysis.networks.measures import trust_received
from analysis.schema import LEVEL_LABELS, SECTOR_GROUP_LABELS, SECTOR_GROUPS
from analysis.style import sector_colour
from analysis.suppression import suppression_message

__all__ = [
    "NetworkMapSvg",
    "network_map_svg",
    "organisation_rows",
    "svg_text",
    "PROTECTED_MESSAGE",
]

#: What a trust mean says when the page's plan hides it to protect another (secondary suppression).
PROTECTED_MESSAGE = "not shown: protects a small cell"

# Geometry, in SVG user units (1 unit = 1 CSS pixel when the map is shown at its own width).
_WIDTH = 960.0
_MAP_LEFT, _MAP_WIDTH = 12.0, 936.0
_LEGEND_TOP, _LEGEND_ROW = 60.0, 24.0
_MAP_MAX_HEIGHT = 600.0
_FOOT = 62.0
_LABEL_SIZE, _LABEL_GAP = 13, 5
_PT = 96.0 / 72.0  # a point in CSS pixels: the matplotlib map's sizes are in points
_TIE_BEND = 0.08  # as the matplotlib map: arc3, rad=0.08
_HEAD_LENGTH, _HEAD_HALF_WIDTH = 4.6, 2.2
_TIE_COLOUR, _TIE_OPACITY, _TIE_WIDTH = "#8c8c8c", 0.55, 0.9
_INK, _SOFT_INK = "#1d2433", "#444444"
_FONT = "'Segoe UI', 'Helvetica Neue', 'Noto Sans', 'DejaVu Sans', Arial, sans-serif"
#: Partners named in an organisation's title before "and N more".
_MAX_PARTNERS_LISTED = 12

# Characters XML 1.0 does not allow (a standalone SVG with one of them would not open).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def svg_text(text) -> str:
    """``text`` as SVG (XML) text or attribute value: characters XML forbids dropped, markup escaped.

    Examples
    --------
    >>> svg_text("</title><script>alert('x')</script> & Co")
    '&lt;/title&gt;&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; Co'
    >>> svg_text("bell\\x07 and \\"quotes\\"")
    'bell and &quot;quotes&quot;'
    """
    return html.escape(_NOT_XML.sub("", "" if text is None else str(text)), quote=True)


def _count(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


def _sector(data: dict) -> str:
    group = data.get("sector_group")
    return SECTOR_GROUP_LABELS.get(group, str(group)) if group else "sector not recorded"


def organisation_rows(G, *, threshold: int = 1, plan=None) -> pd.DataFrame:
    """One row per organisation of a network map, as the page may show it.

    Parameters
    ----------
    G : networkx.DiGraph
        A trust network (:func:`analysis.networks.trust_network`) built from the study as the
        page's audience sees it, so ``name`` is a pseudonym where it must be.
    threshold : int
        The disclosure threshold of the page (:func:`analysis.disclosure.disclosure_threshold`): trust
        received resting on fewer ratings is not shown, nor its number of ratings.
    plan : TrustPagePlan, optional
        The page's disclosure plan (:func:`analysis.disclosure.page_plan`); an organisation
        whose trust received it hides (to protect another) is hidden here too.

    Returns
    -------
    pandas.DataFrame
        Indexed by node, in the order of the graph, with ``name``, ``sector``, ``responded``
        (bool), ``ties_out``, ``ties_in``, ``partners`` (the names of the partners it names,
        sorted), ``trust`` and ``ratings`` (text: the mean to one decimal and the count, or
        the same message in both when not shown: "fewer than 5 ratings", "no ratings" on a
        page with threshold 1, or :data:`PROTECTED_MESSAGE`).

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.DiGraph()
    >>> G.add_node("c", name="Council 03", sector_group="council", responded=True)
    >>> G.add_node("v", name="VCSE 07", sector_group="vcse", responded=True)
    >>> G.add_edge("v", "c", trust=3.0); G.add_edge("c", "v", trust=2.0)
    >>> organisation_rows(G, threshold=1)[["name", "ties_in", "trust", "ratings"]].values.tolist()
    [['Council 03', 1, '3.0', '1'], ['VCSE 07', 1, '2.0', '1']]
    >>> organisation_rows(G, threshold=2)["trust"].tolist()
    ['fewer than 2 ratings', 'fewer than 2 ratings']
    """
    k = max(int(threshold), 1)
    received = trust_received(G, attrs=("trust",), threshold=k)
    rows = []
    for v, d in G.nodes(data=True):
        n = int(received.at[v, "trust_n"]) if v in received.index else 0
        mean = float(received.at[v, "trust"]) if v in received.index else math.nan
        reason = None if plan is None else plan.plan.reason(("organisation", v))
        if n < k or math.isnan(mean) or reason == "primary":
            trust = ratings = suppression_message(k, "ratings")
        elif reason is not None:
            trust = ratings = PROTECTED_MESSAGE
        else:
            trust, ratings = f"{mean:.1f}", str(n)
        partners = sorted((str(G.nodes[p].get("name", p)) for p in G.successors(v) if p != v), key=str.casefold)
        rows.append({"node": v, "name": str(d.get("name", v)), "sector": _sector(d),
                     "responded": bool(d.get("responded", True)), "ties_out": int(G.out_degree(v)),
                     "ties_in": int(G.in_degree(v)), "partners": partners, "trust": trust, "ratings": ratings})
    columns = ["node", "name", "sector", "responded", "ties_out", "ties_in", "partners", "trust", "ratings"]
    return pd.DataFrame(rows, columns=columns).set_index("node")


def _node_title(row) -> str:
    lines = [row["name"], f"Sector: {row['sector']}"]
    if not row["responded"]:
        lines.append("Did not answer the survey in this phase, so the partners it would name are not known")
    elif row["ties_out"]:
        listed = row["partners"][:_MAX_PARTNERS_LISTED]
        more = len(row["partners"]) - len(listed)
        lines.append(f"Names {_count(row['ties_out'], 'partner')}: " + ", ".join(listed)
                     + (f" and {more} more" if more else ""))
    else:
        lines.append("Names no partner")
    lines.append(f"Named as a partner by {_count(row['ties_in'], 'organisation')}")
    if row["trust"] == PROTECTED_MESSAGE:
        lines.append("Trust received: not shown, so that a small number elsewhere on the page cannot be worked out")
    elif row["trust"] == row["ratings"]:  # suppressed: both cells say why
        message = row["trust"]
        lines.append(f"Trust received: {message}" if message.startswith("no ")
                     else f"Trust received: not shown ({message})")
    else:
        lines.append(f"Trust received: {row['trust']} on a 1 to 4 scale, from {_count(int(row['ratings']), 'rating')}")
    return "\n".join(lines)


def _level(level) -> str:
    level = int(level)
    return f"{LEVEL_LABELS.get(level, 'level')} (level {level} of 4)"


def _tie_title(G, u, v, k: int) -> str:
    d = G.edges[u, v]
    a, b = str(G.nodes[u].get("name", u)), str(G.nodes[v].get("name", v))
    text = f"{a} names {b} as a partner: {_level(d['level'])}"
    if G.has_edge(v, u):
        text += f"\n{b} names {a} too: {_level(G.edges[v, u]['level'])}"
    else:
        text += f"\n{b} does not name {a}" + ("" if G.nodes[v].get("responded", True)
                                              else " (it did not answer the survey)")
    if k <= 1:
        shown = [f"{label} {float(d[attr]):.1f}" for attr, label in (("trust", "trust"), ("value", "value"))
                 if d.get(attr) is not None and not math.isnan(float(d[attr]))]
        if shown:
            text += f"\nThis rating: {' and '.join(shown)} on a 1 to 4 scale"
    return text


def _ties_table(G, k: int) -> pd.DataFrame:
    rows = []
    for u, v, d in sorted(G.edges(data=True), key=lambda e: (str(G.nodes[e[0]].get("name", e[0])).casefold(),
                                                              str(G.nodes[e[1]].get("name", e[1])).casefold())):
        row = {"from_organisation": str(G.nodes[u].get("name", u)), "to_organisation": str(G.nodes[v].get("name", v)),
               "level": int(d["level"]), "level_label": LEVEL_LABELS.get(int(d["level"]), "")}
        if k <= 1:
            row.update(trust=None if math.isnan(float(d.get("trust", math.nan))) else round(float(d["trust"]), 2),
                       value=None if math.isnan(float(d.get("value", math.nan))) else round(float(d["value"]), 2))
        rows.append(row)
    columns = ["from_organisation", "to_organisation", "level", "level_label"] + (["trust", "value"] if k <= 1 else [])
    return pd.DataFrame(rows, columns=columns)


@dataclasses.dataclass
class NetworkMapSvg:
    """A network map drawn as SVG, with what a page shows beside it.

    Made by :func:`network_map_svg`; shown by :func:`analysis.page.svg_figure`, which adds
    the finding to :attr:`alt_text` and asks for :meth:`svg`.

    Attributes
    ----------
    title_text : str
        The map's title (also its accessible name, and the name of its CSV download).
    alt_text : str
        What the map shows, for its ``<desc>`` (the description a screen reader gives).
    table : pandas.DataFrame
        The organisations on the map as the page shows them, with readers' headings.
    table_caption : str
        A caption for :attr:`table`.
    details_summary : str
        What the ``<summary>`` of the ``<details>`` holding the table says.
    data : pandas.DataFrame
        The ties as the page may show them (the map's "Download the data (CSV)").
    """

    title_text: str
    alt_text: str
    table: pd.DataFrame
    table_caption: str
    details_summary: str
    data: pd.DataFrame
    body: str
    height: float
    graph: object = dataclasses.field(repr=False, default=None)
    pos: dict = dataclasses.field(repr=False, default=None)

    def svg(self, description: str | None = None, *, standalone: bool = False) -> str:
        """The SVG markup; ``description`` (escaped) replaces :attr:`alt_text` in its ``<desc>``.

        With ``standalone``, an XML declaration comes first (a ``.svg`` file); without, the
        markup goes inside an HTML page as it is.
        """
        desc = self.alt_text if description is None else description
        uid = "cip-map-" + hashlib.sha256((self.body + desc).encode("utf-8")).hexdigest()[:10]
        head = (f'<svg xmlns="http://www.w3.org/2000/svg" class="cip-map" viewBox="0 0 {_WIDTH:.0f} {self.height:.0f}" '
                f'width="{_WIDTH:.0f}" height="{self.height:.0f}" role="group" aria-labelledby="{uid}-title" '
                f'aria-describedby="{uid}-desc" font-family="{svg_text(_FONT)}">'
                f'<title id="{uid}-title">{svg_text(self.title_text)}</title>'
                f'<desc id="{uid}-desc">{svg_text(desc)}</desc>')
        out = head + self.body + "</svg>"
        return ('<?xml version="1.0" encoding="utf-8"?>\n' + out + "\n") if standalone else out

    def png(self) -> bytes | None:
        """The same map drawn by matplotlib (:func:`analysis.networks.figures.network_map`), as PNG bytes."""
        if self.graph is None:
            return None
        import matplotlib.pyplot as plt

        from analysis.networks.figures import network_map
        from analysis.style import figure_bytes

        fig = network_map(self.graph, self.pos, title=self.title_text)
        fig.alt_text = self.alt_text
        try:
            return figure_bytes(fig, "png")
        finally:
            plt.close(fig)


def _ring(xy: np.ndarray, nodes: list, labelled: list):
    """Where the ring labels go (as :func:`analysis.networks.figures._ring_labels`): centre, radius, angles."""
    centre = xy.mean(axis=0)
    radius = float(np.max(np.linalg.norm(xy - centre, axis=1))) * 1.12 or 1.0
    at = {v: xy[nodes.index(v)] for v in labelled}
    angles = {v: math.atan2(at[v][1] - centre[1], at[v][0] - centre[0]) for v in labelled}
    order = sorted(labelled, key=lambda v: angles[v])
    gap = min(2 * math.pi / max(len(order), 1), 0.30)
    placed: list[float] = []
    for v in order:
        a = angles[v]
        if placed and a < placed[-1] + gap:
            a = placed[-1] + gap
        placed.append(a)
    overflow = placed[-1] - (placed[0] + 2 * math.pi - gap) if placed else 0
    if overflow > 0:
        placed = [a - overflow * (i + 1) / len(placed) for i, a in enumerate(placed)]
    return centre, radius, dict(zip(order, placed, strict=True))


def _text_width(text: str, size: float) -> float:
    """A generous estimate of the width of ``text`` at font ``size`` (0.62 em a character), so labels fit."""
    return 0.62 * size * len(str(text))


def _fit(boxes) -> tuple[float, tuple]:
    """The largest scale at which ``boxes`` (layout x, y and margins in units: left, right, up, down)
    fit in the map area, and their extent at that scale in units: ``(scale, (x_lo, x_hi, y_lo, y_hi))``,
    with y growing upwards (layout coordinates times the scale)."""
    if not boxes:
        return 100.0, (0.0, _MAP_WIDTH, 0.0, 100.0)
    b = np.array(boxes, dtype=float)

    def extent(s):
        xs, ys = b[:, 0] * s, b[:, 1] * s
        return (float((xs - b[:, 2]).min()), float((xs + b[:, 3]).max()),
                float((ys - b[:, 5]).min()), float((ys + b[:, 4]).max()))

    def fits(s):
        x_lo, x_hi, y_lo, y_hi = extent(s)
        return x_hi - x_lo <= _MAP_WIDTH and y_hi - y_lo <= _MAP_MAX_HEIGHT

    low, high = 1.0, 1.0e5
    if not fits(low):
        return low, extent(low)
    for _ in range(60):  # bisection on the scale
        mid = math.sqrt(low * high)
        low, high = (mid, high) if fits(mid) else (low, mid)
    return low, extent(low)


def _legend(groups, others, hollow: int) -> tuple[str, int]:
    """The legend, in rows under the title: each sector's colour, the hollow dot, the arrow; and its number of rows."""
    entries = [(sector_colour(g), SECTOR_GROUP_LABELS.get(g, g), "dot") for g in groups]
    entries += [(sector_colour(g), g.capitalize() if g == "sector not recorded" else g, "dot") for g in others]
    if hollow:
        entries.append(("#555555", "Did not answer the survey", "hollow"))
    entries.append((_TIE_COLOUR, "names as a partner", "arrow"))
    out, x, row = ['<g class="cip-legend" aria-hidden="true">'], _MAP_LEFT, 0
    for colour, text, mark in entries:
        width = 22 + _text_width(text, 14) * 0.92 + 18
        if x + width > _MAP_LEFT + _MAP_WIDTH and x > _MAP_LEFT:
            x, row = _MAP_LEFT, row + 1
        y = _LEGEND_TOP + _LEGEND_ROW * row
        if mark == "arrow":
            out.append(f'<path d="M{_f(x)} {_f(y)}h11" stroke="{colour}" stroke-width="1.3"/>'
                       f'<path d="M{_f(x + 16)} {_f(y)}l-5.5 -2.8v5.6z" fill="{colour}"/>')
        else:
            shape = (f'fill="#ffffff" stroke="{colour}" stroke-width="2.1"' if mark == "hollow"
                     else f'fill="{colour}" stroke="#ffffff" stroke-width="1"')
            out.append(f'<circle cx="{_f(x + 7)}" cy="{_f(y)}" r="6.5" {shape}/>')
        out.append(f'<text x="{_f(x + 22)}" y="{_f(y)}" dy="0.35em" font-size="14" fill="{_INK}">'
                   f"{svg_text(text)}</text>")
        x += width
    out.append("</g>")
    return "".join(out), row + 1


def _f(x: float) -> str:
    return f"{x:.1f}".rstrip("0").rstrip(".") if abs(x) < 1e6 else f"{x:.0f}"


def _tie_paths(p1, p2, r1: float, r2: float, arrow: bool):
    """The visible curve and the arrowhead of one tie, in SVG coordinates, or None when the dots overlap."""
    delta = p2 - p1
    length = float(np.hypot(*delta))
    if length <= r1 + r2 + (_HEAD_LENGTH if arrow else 0) + 0.5:
        return None
    control = (p1 + p2) / 2 + _TIE_BEND * np.array([-delta[1], delta[0]])
    t0 = r1 / length
    t1 = 1.0 - r2 / length
    t_end = 1.0 - (r2 + (_HEAD_LENGTH if arrow else 0.0)) / length

    def point(t):
        return (1 - t) ** 2 * p1 + 2 * (1 - t) * t * control + t * t * p2

    def blossom(a, b):  # the control point of the curve between parameters a and b
        return (1 - a) * (1 - b) * p1 + ((1 - a) * b + a * (1 - b)) * control + a * b * p2

    start, end, mid = point(t0), point(t_end), blossom(t0, t_end)
    line = f"M{_f(start[0])} {_f(start[1])}Q{_f(mid[0])} {_f(mid[1])} {_f(end[0])} {_f(end[1])}"
    if not arrow:
        return line, None
    tip = point(t1)
    direction = tip - end
    norm = float(np.hypot(*direction)) or 1.0
    direction = direction / norm
    base = tip - direction * _HEAD_LENGTH
    normal = np.array([-direction[1], direction[0]]) * _HEAD_HALF_WIDTH
    a, b = base + normal, base - normal
    head = f"M{_f(tip[0])} {_f(tip[1])}L{_f(a[0])} {_f(a[1])}L{_f(b[0])} {_f(b[1])}Z"
    return line, head


def _where(G) -> str:
    place = G.graph.get("place_name") or G.graph.get("place") or "the network"
    phase = G.graph.get("phase_label") or G.graph.get("phase")
    return f"{place}, {phase}" if phase else str(place)


def network_map_svg(G, pos: dict | None = None, *, threshold: int = 1, plan=None, title: str | None = None,
                    label: str | int = "top", seed: int = 0) -> NetworkMapSvg:
    """The network map of one place and phase as SVG in which every organisation and tie carries its details.

    Parameters
    ----------
    G : networkx.DiGraph
        From :func:`analysis.networks.trust_network`, built from the study as the page's
        audience sees it (:func:`analysis.disclosure.for_audience`).
    pos : dict, optional
        Positions (:func:`analysis.networks.figures.place_layout`, so every phase shares one);
        by default :func:`analysis.networks.figures.network_layout` of ``G``.
    threshold : int
        The page's disclosure threshold (:func:`analysis.disclosure.disclosure_threshold`). Trust
        received resting on fewer ratings is not shown; a tie's own trust and value (one
        respondent's rating) are shown only when it is 1.
    plan : TrustPagePlan, optional
        The page's disclosure plan (:func:`analysis.disclosure.page_plan`): trust received
        it hides is hidden here too, so the map shows nothing another figure hides.
    title : str, optional
        Default "Who works with whom: <place>, <phase>".
    label : {"top", "all", "none"} or int
        Which organisations get a visible label on the ring (as
        :func:`analysis.networks.figures.draw_network`); every one has its title.
    seed : int
        For the default layout.

    Returns
    -------
    NetworkMapSvg

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.DiGraph(place_name="Northtown", phase_label="Spring")
    >>> G.add_node("c", name="Council <01>", sector_group="council", responded=True)
    >>> G.add_node("v", name="VCSE 07", sector_group="vcse", responded=False)
    >>> G.add_edge("c", "v", level=3, trust=3.0, value=2.0)
    >>> m = network_map_svg(G, {"c": (0.0, 0.0), "v": (1.0, 0.0)}, threshold=5)
    >>> svg = m.svg()
    >>> "<title>Council &lt;01&gt; names VCSE 07 as a partner: coordination (level 3 of 4)" in svg
    True
    >>> "trust 3.0" in svg  # one respondent's rating, on a page with threshold 5
    False
    >>> m.table["Organisation"].tolist()
    ['Council <01>', 'VCSE 07']
    """
    from analysis.networks.figures import network_layout

    k = max(int(threshold), 1)
    pos = pos if pos is not None else network_layout(G, seed=seed)
    nodes = [v for v in G if v in pos]
    H = G.subgraph(nodes)
    sizes, sized_by = _node_sizes(H, "degree", k)
    radii = np.sqrt(sizes) / 2 * _PT
    rows = organisation_rows(H, threshold=k, plan=plan)
    xy = np.array([pos[v] for v in nodes], dtype=float).reshape(-1, 2)
    labelled = _label_nodes(H, label) if nodes else []

    groups = [g for g in SECTOR_GROUPS if any(H.nodes[v].get("sector_group") == g for v in nodes)]
    others = sorted({str(H.nodes[v].get("sector_group") or "sector not recorded") for v in nodes} - set(SECTOR_GROUPS))
    hollow = int((~rows["responded"]).sum()) if len(rows) else 0
    legend, legend_rows = _legend(groups, others, hollow)
    map_top = _LEGEND_TOP + _LEGEND_ROW * legend_rows + 8

    # the view: as large as the map area allows with every dot and label inside it
    ring = _ring(xy, nodes, labelled) if labelled else None
    boxes = [(x, y, r, r, r, r) for (x, y), r in zip(xy, radii, strict=True)]  # (x, y, left, right, up, down)
    if ring is not None:
        centre, ring_r, angles = ring
        for v, a in angles.items():
            width = _text_width(rows.at[v, "name"], _LABEL_SIZE) + _LABEL_GAP
            x, y = centre[0] + ring_r * math.cos(a), centre[1] + ring_r * math.sin(a)
            left, right = (0.0, width) if math.cos(a) >= 0 else (width, 0.0)
            boxes.append((x, y, left, right, _LABEL_SIZE * 0.7, _LABEL_SIZE * 0.7))
    scale, (x_lo, x_hi, y_lo, y_hi) = _fit(boxes)
    map_h = y_hi - y_lo
    x_off = _MAP_LEFT + (_MAP_WIDTH - (x_hi - x_lo)) / 2 - x_lo

    def to_svg(p):
        return np.array([x_off + p[0] * scale, map_top + y_hi - p[1] * scale])

    at = {v: to_svg(pos[v]) for v in nodes}
    radius = dict(zip(nodes, radii, strict=True))
    height = map_top + map_h + _FOOT

    parts = [f'<rect width="{_WIDTH:.0f}" height="{height:.0f}" fill="#ffffff"/>',
             f'<text x="{_MAP_LEFT:.0f}" y="32" font-size="21" font-weight="700" fill="{_INK}" aria-hidden="true">'
             f'{svg_text(title or f"Who works with whom: {_where(G)}")}</text>', legend]

    # ties, beneath the dots; each a group with its title, a visible curve, a wider invisible
    # band that catches the pointer, and its arrowhead
    ties = sorted(((u, v) for u, v in H.edges() if u != v),
                  key=lambda e: (rows.at[e[0], "name"].casefold(), rows.at[e[1], "name"].casefold()))
    parts.append(f'<g class="cip-ties" role="group" aria-label="{_count(len(ties), "tie")}, each from an organisation '
                 'to a partner it named">')
    for u, v in ties:
        drawn = _tie_paths(at[u], at[v], radius[u] + 0.6, radius[v] + 0.6, arrow=True)
        if drawn is None:  # the two dots overlap: the tie runs between their centres, under them, without a head
            (x1, y1), (x2, y2) = at[u], at[v]
            drawn = (f"M{_f(x1)} {_f(y1)}L{_f(x2)} {_f(y2)}", None)
        line, head = drawn
        parts.append(
            f'<g class="cip-tie" role="img"><title>{svg_text(_tie_title(H, u, v, k))}</title>'
            f'<path class="cip-tie-line" d="{line}" fill="none" stroke="{_TIE_COLOUR}" stroke-opacity="{_TIE_OPACITY}" '
            f'stroke-width="{_TIE_WIDTH}"/>'
            + (f'<path class="cip-tie-head" d="{head}" fill="{_TIE_COLOUR}" fill-opacity="{_TIE_OPACITY}"/>'
               if head else "")
            + f'<path class="cip-tie-hit" d="{line}" fill="none" stroke="#000000" stroke-opacity="0" stroke-width="6"/>'
            "</g>")
    parts.append("</g>")

    # organisations: the most named first (read first, drawn beneath the smaller dots on top)
    order = sorted(nodes, key=lambda v: (-rows.at[v, "ties_in"], rows.at[v, "name"].casefold(), str(v)))
    parts.append(f'<g class="cip-nodes" role="group" aria-label="{_count(len(order), "organisation")}, '
                 'the most named first">')
    for v in order:
        colour = sector_colour(H.nodes[v].get("sector_group"))
        x, y = at[v]
        if rows.at[v, "responded"]:
            circle = (f'<circle cx="{_f(x)}" cy="{_f(y)}" r="{_f(radius[v])}" fill="{colour}" stroke="#ffffff" '
                      f'stroke-width="{_f(0.8 * _PT)}"/>')
        else:
            circle = (f'<circle cx="{_f(x)}" cy="{_f(y)}" r="{_f(radius[v])}" fill="#ffffff" stroke="{colour}" '
                      f'stroke-width="{_f(1.6 * _PT)}"/>')
        parts.append(f'<g class="cip-node" role="img"><title>{svg_text(_node_title(rows.loc[v]))}</title>'
                     f"{circle}</g>")
    parts.append("</g>")

    # labels of the most named, on a ring around the network, each joined to its dot
    if ring is not None:
        parts.append('<g class="cip-labels" aria-hidden="true" pointer-events="none">')
        c = to_svg(centre)
        for v in labelled:
            a = angles[v]
            end = c + np.array([math.cos(a), -math.sin(a)]) * ring_r * scale
            anchor = "start" if math.cos(a) >= 0 else "end"
            dx = _LABEL_GAP if anchor == "start" else -_LABEL_GAP
            parts.append(f'<path d="M{_f(at[v][0])} {_f(at[v][1])}L{_f(end[0])} {_f(end[1])}" stroke="#555555" '
                         'stroke-width="0.8" stroke-opacity="0.85" fill="none"/>'
                         f'<text x="{_f(end[0] + dx)}" y="{_f(end[1])}" dy="0.35em" text-anchor="{anchor}" '
                         f'font-size="{_LABEL_SIZE}" fill="#222222" stroke="#ffffff" stroke-width="4" '
                         f'stroke-linejoin="round" paint-order="stroke">{svg_text(rows.at[v, "name"])}</text>')
        parts.append("</g>")


    parts.append(f'<text x="{_MAP_LEFT:.0f}" y="{_f(height - 34)}" font-size="13" fill="{_SOFT_INK}" '
                 f'aria-hidden="true">Dot size shows {sized_by}. Arrows point from an organisation to a partner it '
                 f'named.<tspan x="{_MAP_LEFT:.0f}" dy="1.4em">Point at a dot or an arrow to see its details; the '
                 "table below the map lists every organisation.</tspan></text>")

    n, m = H.number_of_nodes(), len(ties)
    counts = {g: sum(1 for v in nodes if H.nodes[v].get("sector_group") == g) for g in groups}
    groups_text = ", ".join(f"{counts[g]} {SECTOR_GROUP_LABELS.get(g, g)}" for g in groups)
    alt = (f"Network map of {_where(G)}: {_count(n, 'organisation')} drawn as dots coloured by sector"
           + (f" ({groups_text})" if groups_text else "")
           + f" and {m} working {'tie' if m == 1 else 'ties'} drawn as arrows from the organisation that named a "
           f"partner to the partner. Dot size shows {sized_by}."
           + (f" {_count(hollow, 'organisation')} that did not answer the survey "
              f"{'is' if hollow == 1 else 'are'} drawn hollow." if hollow else "")
           + " Each dot and arrow has its details; a table of the organisations follows the map.")

    table = rows.assign(responded=rows["responded"].map({True: "yes", False: "no"}))
    table = table[["name", "sector", "responded", "ties_out", "ties_in", "trust", "ratings"]]
    table = table.sort_values("name", key=lambda s: s.str.casefold(), kind="stable").reset_index(drop=True)
    table.columns = ["Organisation", "Sector", "Answered the survey", "Partners it names", "Named as a partner by",
                     "Trust received (1 to 4)", "Ratings"]
    return NetworkMapSvg(
        title_text=title or f"Who works with whom: {_where(G)}",
        alt_text=alt,
        table=table,
        table_caption=f"The organisations on the map of {_where(G)}: their ties, and the trust each receives",
        details_summary=f"The {_count(n, 'organisation')} on the map, as a table",
        data=_ties_table(H, k),
        body="".join(parts),
        height=round(height),
        graph=G,
        pos=pos,
    )
