"""Figures of trust networks: maps with a fixed layout per place, heatmaps, trust received."""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
import pandas as pd
from matplotlib.artist import Artist, allow_rasterization
from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.colors import to_rgba
from matplotlib.lines import Line2D
from matplotlib.transforms import IdentityTransform

from analysis import downloads  # the table each figure draws, for its CSV link (fig.data)
from analysis.networks.build import trust_network
from analysis.networks.measures import trust_received
from analysis.schema import SECTOR_GROUP_LABELS, SECTOR_GROUPS
from analysis.style import SEQUENTIAL, new_figure, sector_colour, text_colour_on

__all__ = [
    "TieArtist",
    "place_layout",
    "network_layout",
    "draw_network",
    "network_map",
    "phase_small_multiples",
    "group_trust_table",
    "trust_heatmap",
    "trust_received_chart",
]

_EDGE_COLOUR = "#8c8c8c"
_MIN_SIZE, _MAX_SIZE = 40.0, 420.0
#: Ties bend slightly (as matplotlib's ``arc3,rad=0.08``), so that A -> B and B -> A are two lines.
_TIE_BEND = 0.08
#: Arrowhead length and half-width, in points (matplotlib's ``-|>`` at mutation scale 6 is 2.4 and 1.2).
_HEAD_LENGTH, _HEAD_HALF_WIDTH = 3.2, 1.5
#: Points along each tie's curve.
_TIE_POINTS = 9


class TieArtist(Artist):
    """Every tie of a network map as one line collection and one collection of arrowheads.

    Each tie runs from the edge of its tail's dot to the edge of its head's dot (the dots'
    sizes are scatter areas in points squared), bent slightly like matplotlib's
    ``arc3,rad=0.08`` so that a reciprocated pair shows as two lines. The geometry is worked
    out at draw time in display space, for all ties at once with numpy, so it stays right
    whatever the axes' final size and limits; a map of thousands of ties draws in
    milliseconds, where one ``FancyArrowPatch`` per tie took seconds.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    tails, heads : array of shape (n, 2)
        Data coordinates of each tie's two ends.
    tail_sizes, head_sizes : array of shape (n,)
        Scatter sizes (points squared) of the dots at each end.
    arrows : bool
        Draw an arrowhead at each head.
    """

    def __init__(self, ax, tails, heads, tail_sizes, head_sizes, *, arrows: bool = True, colour=_EDGE_COLOUR,
                 alpha: float = 0.45, width: float = 0.7, dot_edge: float = 0.8, zorder: float = 1):
        super().__init__()
        self.axes = ax
        self.set_figure(ax.figure)
        self.set_zorder(zorder)
        self.set_transform(ax.transData)
        self.tails = np.asarray(tails, dtype=float).reshape(-1, 2)
        self.heads = np.asarray(heads, dtype=float).reshape(-1, 2)
        # the dot's radius in points, plus half its white outline
        self.tail_radii = np.sqrt(np.asarray(tail_sizes, dtype=float)) / 2 + dot_edge / 2
        self.head_radii = np.sqrt(np.asarray(head_sizes, dtype=float)) / 2 + dot_edge / 2
        self.arrows = arrows
        self.colour = to_rgba(colour, alpha)
        self.width = width

    def geometry(self, renderer):
        """The ties' curves and arrowheads in display (pixel) coordinates: ``(lines, heads)``.

        ``lines`` has shape (n, _TIE_POINTS, 2) and ``heads`` (n, 3, 2); ties whose dots
        overlap are left out.
        """
        to_px = renderer.points_to_pixels(1.0)
        data_to_display = self.axes.transData
        p1 = data_to_display.transform(self.tails)
        p2 = data_to_display.transform(self.heads)
        delta = p2 - p1
        length = np.hypot(delta[:, 0], delta[:, 1])
        # quadratic Bezier through the control point of arc3: mid + rad * (dy, -dx)
        control = (p1 + p2) / 2 + _TIE_BEND * np.column_stack([delta[:, 1], -delta[:, 0]])
        head_len = (_HEAD_LENGTH if self.arrows else 0.0) * to_px
        # parameters where the curve leaves the tail's dot and meets the head's (the curve is
        # nearly straight, so distance along it is close to t times the chord)
        with np.errstate(divide="ignore", invalid="ignore"):
            t0 = self.tail_radii * to_px / length
            t1 = 1.0 - self.head_radii * to_px / length
            t_line_end = 1.0 - (self.head_radii * to_px + head_len) / length
        keep = np.isfinite(t0) & (t_line_end > t0)
        p1, p2, control = p1[keep], p2[keep], control[keep]
        t0, t1, t_line_end = t0[keep], t1[keep], t_line_end[keep]
        steps = np.linspace(0.0, 1.0, _TIE_POINTS)
        t = t0[:, None] + (t_line_end - t0)[:, None] * steps[None, :]

        def bezier(t):
            a, b = (1 - t)[..., None], t[..., None]
            return a * a * p1[:, None, :] + 2 * a * b * control[:, None, :] + b * b * p2[:, None, :]

        lines = bezier(t)
        if not self.arrows:
            return lines, np.empty((0, 3, 2))
        tip = bezier(t1[:, None])[:, 0, :]
        direction = tip - lines[:, -1, :]
        norm = np.hypot(direction[:, 0], direction[:, 1])[:, None]
        direction = np.divide(direction, norm, out=np.zeros_like(direction), where=norm > 0)
        base = tip - direction * head_len
        normal = np.column_stack([-direction[:, 1], direction[:, 0]]) * _HEAD_HALF_WIDTH * to_px
        heads = np.stack([tip, base + normal, base - normal], axis=1)
        return lines, heads

    @allow_rasterization
    def draw(self, renderer):
        if not self.get_visible() or not len(self.tails):
            return
        lines, heads = self.geometry(renderer)
        identity = IdentityTransform()
        parts = [LineCollection(lines, colors=[self.colour], linewidths=self.width, capstyle="butt",
                                transform=identity)]
        if len(heads):
            parts.append(PolyCollection(heads, facecolors=[self.colour], edgecolors=[self.colour],
                                        linewidths=self.width, transform=identity))
        for part in parts:
            part.set_figure(self.figure)
            part.set_clip_on(False)
            part.draw(renderer)
        self.stale = False


def network_layout(G, seed: int = 0) -> dict:
    """Positions for the nodes of ``G``: the organisations with ties laid out by
    Kamada-Kawai (started from a seeded spring layout; spring only above 400 nodes), the
    organisations with none in a row beneath them.

    Returns ``{node: (x, y)}`` with the tied organisations within [-1, 1].

    Examples
    --------
    >>> pos = network_layout(nx.DiGraph([(1, 2), (2, 3)]), seed=1)
    >>> sorted(pos) == [1, 2, 3]
    True

    References
    ----------
    Kamada, T. and Kawai, S. (1989). An algorithm for drawing general undirected graphs.
    Information Processing Letters 31(1): 7-15.
    """
    U = G.to_undirected(as_view=False) if G.is_directed() else G.copy()
    connected = sorted((v for v in U if U.degree(v) > 0), key=str)
    isolates = sorted((v for v in U if U.degree(v) == 0), key=str)
    pos: dict = {}
    if connected:
        core = nx.Graph(U.subgraph(connected))
        start = nx.spring_layout(core, seed=seed, k=1.6 / math.sqrt(len(connected)), iterations=100)
        if len(connected) <= 400:
            # disconnected pieces: join them weakly so they sit near, not on, each other
            pieces = [sorted(c, key=str) for c in nx.connected_components(core)]
            for a, b in zip(pieces, pieces[1:], strict=False):
                core.add_edge(a[0], b[0], distance=3.0)
            raw = nx.kamada_kawai_layout(core, pos=start, weight="distance")
        else:
            raw = start
        xy = np.array([raw[v] for v in connected], dtype=float)
        xy -= xy.mean(axis=0)
        scale = np.abs(xy).max() or 1.0
        xy /= scale
        pos = {v: (float(x), float(y)) for v, (x, y) in zip(connected, xy, strict=False)}
    if isolates:
        bottom = min((p[1] for p in pos.values()), default=0.0) - 0.3
        per_row = 12
        for i, v in enumerate(isolates):
            row, col = divmod(i, per_row)
            count = min(per_row, len(isolates) - row * per_row)
            xs = np.linspace(-0.9, 0.9, count) if count > 1 else np.array([0.0])
            pos[v] = (float(xs[col]), float(bottom - 0.2 * row))
    return pos


def place_layout(study, place: str, seed: int = 0) -> dict:
    """One layout for a place, fixed across all its phases.

    Computed on the union of the place's networks over every phase, so an organisation
    stands in the same spot in every phase's map and a reader sees what changed.

    Parameters
    ----------
    study : Study
    place : str
    seed : int

    Returns
    -------
    dict
        ``{org_id: (x, y)}`` for every organisation of the place.

    Worked out once per study content, place, seed and code version
    (:func:`analysis.cache.cached`): a place's pages share it.
    """
    from analysis.cache import cached

    return cached(study, "place_layout", lambda: _place_layout(study, place, seed), parts=(str(place), int(seed)))


def _place_layout(study, place: str, seed: int) -> dict:
    union = nx.DiGraph()
    for phase in study.phase_ids:
        G = trust_network(study, place, phase)
        union.add_nodes_from(G.nodes(data=True))
        union.add_edges_from(G.edges())
    return network_layout(union, seed=seed)


def _node_sizes(G, size_by: str, threshold: int, top: float | None = None) -> tuple[np.ndarray, str]:
    nodes = list(G)
    if size_by == "degree":
        raw = np.array([G.in_degree(v) if G.is_directed() else G.degree(v) for v in nodes], dtype=float)
        what = "the number of partners who named it"
    elif size_by == "trust":
        received = trust_received(G, attrs=("trust",), threshold=threshold)
        raw = received["trust"].reindex(nodes).to_numpy(dtype=float)
        raw = np.where(np.isnan(raw), 0.0, raw)
        what = "the trust its partners gave it"
    else:
        raise ValueError(f"size_by must be 'degree' or 'trust', not {size_by!r}")
    top = top or (raw.max() if raw.size and raw.max() > 0 else 1.0)
    return _MIN_SIZE + (_MAX_SIZE - _MIN_SIZE) * raw / top, what


def _label_nodes(G, label: str | int) -> list:
    if label == "none" or label == 0:
        return []
    if label == "all":
        return list(G)
    k = int(label) if not isinstance(label, str) else 8
    ranked = sorted(G, key=lambda v: (-(G.in_degree(v) if G.is_directed() else G.degree(v)), str(v)))
    return [v for v in ranked[:k] if (G.in_degree(v) if G.is_directed() else G.degree(v)) > 0]


def _ring_labels(ax, G, pos, nodes, labelled, fontsize):
    """Labels on a ring around the network, each joined to its dot by a thin line.

    Labels sit outside the cloud of dots (so they never cover dots or each other in the
    dense core), spread to a minimum angle apart, in the order of the dots' directions.
    """
    xy = np.array([pos[v] for v in nodes], dtype=float)
    centre = xy.mean(axis=0)
    radius = float(np.max(np.linalg.norm(xy - centre, axis=1))) * 1.12 or 1.0
    angles = {v: math.atan2(pos[v][1] - centre[1], pos[v][0] - centre[0]) for v in labelled}
    order = sorted(labelled, key=lambda v: angles[v])
    gap = min(2 * math.pi / max(len(order), 1), 0.30)
    placed = []
    for v in order:
        a = angles[v]
        if placed and a < placed[-1] + gap:
            a = placed[-1] + gap
        placed.append(a)
    # if the last label wrapped past the first, shift everything back evenly
    overflow = placed[-1] - (placed[0] + 2 * math.pi - gap) if placed else 0
    if overflow > 0:
        placed = [a - overflow * (i + 1) / len(placed) for i, a in enumerate(placed)]
    # labels stay text (no path effects), so SVGs remain searchable and text is escaped
    for v, a in zip(order, placed, strict=False):
        lx, ly = centre[0] + radius * math.cos(a), centre[1] + radius * math.sin(a)
        ax.plot([pos[v][0], lx], [pos[v][1], ly], color="#555555", linewidth=0.6, alpha=0.8, zorder=2)
        ax.text(lx, ly, str(G.nodes[v].get("name", v)), ha="left" if math.cos(a) >= 0 else "right",
                va="center", fontsize=fontsize, zorder=4,
                bbox={"boxstyle": "round,pad=0.2", "facecolor": "white", "edgecolor": "none", "alpha": 0.85})
    lows = [p[1] for p in pos.values()]
    ax.set_xlim(centre[0] - radius * 1.65, centre[0] + radius * 1.65)
    ax.set_ylim(min(min(lows) - 0.1, centre[1] - radius * 1.08), centre[1] + radius * 1.08)
    ax.set_aspect("equal", adjustable="box")


def draw_network(ax, G, pos: dict, *, size_by: str = "degree", label: str | int = "top",
                 threshold: int = 1, fontsize: float = 8.0, size_top: float | None = None) -> dict:
    """Draw ``G`` on ``ax`` at ``pos``: nodes coloured by sector group, sized by ``size_by``.

    Organisations that did not answer the survey in this phase (node attribute
    ``responded`` false) are drawn hollow: their own ties are unknown, not absent. Labels
    come from the node attribute ``name``; ``label`` is ``"top"`` (the 8 most named),
    a number of them, ``"all"`` or ``"none"``. ``size_top`` fixes the value drawn at the
    largest size (so panels of several phases share one scale).

    Returns
    -------
    dict
        ``{"groups": sector groups drawn, "sized_by": plain-English description,
        "hollow": number of non-respondents drawn}``.
    """
    nodes = [v for v in G if v in pos]
    sizes, what = _node_sizes(G.subgraph(nodes), size_by, threshold, size_top)
    colours = [sector_colour(G.nodes[v].get("sector_group")) for v in nodes]
    responded = np.array([bool(G.nodes[v].get("responded", True)) for v in nodes])
    index = {v: i for i, v in enumerate(nodes)}
    ties = [(index[u], index[v]) for u, v in G.subgraph(nodes).edges() if u != v]
    if ties:
        tail, head = np.array(ties).T
        at = np.array([pos[v] for v in nodes], dtype=float)
        ax.add_artist(TieArtist(ax, at[tail], at[head], sizes[tail], sizes[head], arrows=G.is_directed()))
        # the view spans the tied organisations with 5% to spare, as networkx's edge drawing set it
        ends = at[np.concatenate([tail, head])]
        low, high = ends.min(axis=0), ends.max(axis=0)
        pad = 0.05 * (high - low)
        ax.update_datalim([low - pad, high + pad])
        ax.autoscale_view()
    xy = np.array([pos[v] for v in nodes], dtype=float).reshape(-1, 2)
    if responded.any():
        ax.scatter(xy[responded, 0], xy[responded, 1], s=sizes[responded],
                   c=[c for c, r in zip(colours, responded, strict=False) if r], edgecolors="white", linewidths=0.8,
                   zorder=3)
    if (~responded).any():
        ax.scatter(xy[~responded, 0], xy[~responded, 1], s=sizes[~responded], facecolors="white",
                   edgecolors=[c for c, r in zip(colours, responded, strict=False) if not r], linewidths=1.6, zorder=3)
    labelled = _label_nodes(G.subgraph(nodes), label)
    if labelled:
        _ring_labels(ax, G, pos, nodes, labelled, fontsize)
    else:
        ax.margins(0.08)
    ax.set_axis_off()
    groups = [g for g in SECTOR_GROUPS if any(G.nodes[v].get("sector_group") == g for v in nodes)]
    return {"groups": groups, "sized_by": what, "hollow": int((~responded).sum())}


def _legend(fig_or_ax, groups, hollow: bool, **kwargs):
    handles = [Line2D([], [], marker="o", linestyle="", markersize=9, markerfacecolor=sector_colour(g),
                      markeredgecolor="white", label=SECTOR_GROUP_LABELS.get(g, g)) for g in groups]
    if hollow:
        handles.append(Line2D([], [], marker="o", linestyle="", markersize=9, markerfacecolor="white",
                              markeredgecolor="#555555", markeredgewidth=1.6, label="Did not answer the survey"))
    return fig_or_ax.legend(handles=handles, **kwargs)


def _where(G) -> str:
    place = G.graph.get("place_name") or G.graph.get("place") or "the network"
    phase = G.graph.get("phase_label") or G.graph.get("phase")
    return f"{place}, {phase}" if phase else str(place)


def network_map(G, pos: dict | None = None, *, size_by: str = "degree", label: str | int = "top",
                threshold: int = 1, title: str | None = None, seed: int = 0):
    """The network map of one place and phase, as a figure with its title and alt text.

    Parameters
    ----------
    G : networkx.DiGraph
        From :func:`analysis.networks.trust_network` (or any graph with ``name`` and
        ``sector_group`` node attributes).
    pos : dict, optional
        Positions (use :func:`place_layout` so every phase shares one); by default
        :func:`network_layout` of ``G``.
    size_by : {"degree", "trust"}
        Node size by the number of partners naming it, or by the trust it receives
        (means resting on fewer than ``threshold`` ratings are not used).
    label, threshold, title, seed
        See :func:`draw_network`.

    Returns
    -------
    matplotlib.figure.Figure
    """
    pos = pos if pos is not None else network_layout(G, seed=seed)
    title = title or f"Who works with whom: {_where(G)}"
    n, m = G.number_of_nodes(), G.number_of_edges()
    fig, ax = new_figure(title, "", figsize=(7.0, 5.8))  # readable in a 592-px notebook cell
    info = draw_network(ax, G, pos, size_by=size_by, label=label, threshold=threshold, fontsize=9)
    # the key below the map, so the map has the figure's width (labels need it at a notebook cell's size)
    _legend(ax, info["groups"], info["hollow"] > 0, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=4,
            title="Sector", fontsize=9, title_fontsize=10)
    fig.text(0.01, 0.01, f"Dot size shows {info['sized_by']}. Arrows point from an organisation to a partner it named.",
             fontsize=9, color="#444444", ha="left", va="bottom")
    counts = {g: sum(1 for v in G if G.nodes[v].get("sector_group") == g) for g in info["groups"]}
    groups_text = ", ".join(f"{counts[g]} {SECTOR_GROUP_LABELS.get(g, g)}" for g in info["groups"])
    fig.alt_text = (
        f"Network map of {_where(G)}: {n} organisations drawn as dots coloured by sector "
        f"({groups_text}) and {m} working {'tie' if m == 1 else 'ties'} drawn as arrows from the organisation "
        f"that named a partner to the partner. Dot size shows {info['sized_by']}."
        + (f" {info['hollow']} organisations that did not answer the survey are drawn hollow."
           if info["hollow"] else "")
    )
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    return downloads.attach_data(fig, downloads.network_table(G))


def phase_small_multiples(study, place: str, pos: dict | None = None, *, highlight: str | None = None,
                          size_by: str = "degree", seed: int = 0, label: str | int = "none"):
    """One small network map per phase of a place, side by side, in one fixed layout.

    ``highlight`` (a phase id) gets a bold panel title. Labels are off by default (the
    panels are small); the full map of a phase carries them.

    Returns
    -------
    matplotlib.figure.Figure or analysis.absence.Absent
        Absent when no phase has a network to draw; a phase without one says so in its panel.
    """
    from analysis.absence import Absent, count_noun, network_absent

    phases = list(study.phase_ids)
    missing = {phase: network_absent(study, place, phase) for phase in phases}
    if all(missing.values()):
        first = missing[phases[0]]
        if len({m.reason for m in missing.values()}) == 1 or "organisation" in first.reason:
            return first
        return Absent(f"No network survey has been entered for {study.place_name(place)} in any phase: "
                      "add ratings to relationships.csv.")
    pos = pos if pos is not None else place_layout(study, place, seed=seed)
    k = len(phases)
    ncols = 2 if k == 4 else min(3, k)
    nrows = math.ceil(k / ncols)
    place_name = study.place_name(place)
    fig, axes = new_figure(
        f"{place_name}: the network in each phase", "", nrows=nrows, ncols=ncols,
        figsize=(3.7 * ncols, 3.6 * nrows + 0.6), squeeze=False,
    )
    groups, hollow, described = set(), False, []
    networks = {phase: trust_network(study, place, phase) for phase in phases}
    if size_by == "degree":
        size_top = max([max((d for _, d in G.in_degree()), default=0) for G in networks.values()] + [1])
    else:
        size_top = 4.0
    for i, ax in enumerate(axes.flat):
        if i >= k:
            ax.set_axis_off()
            continue
        G = networks[phases[i]]
        label_text = study.phase_label(phases[i])
        bold = phases[i] == highlight
        if missing[phases[i]] is not None:
            ax.set_axis_off()
            ax.set_title(f"{label_text}{' (this report)' if bold else ''}\nno network survey", fontsize=11,
                         fontweight="bold" if bold else "normal", loc="left")
            described.append(f"{label_text}: no network survey")
            continue
        info = draw_network(ax, G, pos, size_by=size_by, label=label, size_top=size_top)
        groups |= set(info["groups"])
        hollow |= info["hollow"] > 0
        ties = count_noun(G.number_of_edges(), "tie")
        ax.set_title(f"{label_text}{' (this report)' if bold else ''}\n{ties}, "
                     f"density {100 * nx.density(G):.0f}%", fontsize=11,
                     fontweight="bold" if bold else "normal", loc="left")
        described.append(f"{label_text}: {ties}")
    _legend(fig, [g for g in SECTOR_GROUPS if g in groups], hollow, loc="lower center",
            ncol=4, bbox_to_anchor=(0.5, -0.01), fontsize=9)
    fig.alt_text = (
        f"{k} network maps of {place_name}, one per phase, with every organisation in the same "
        f"position in each so that ties appearing and disappearing can be compared; dot size shows "
        f"{'the number of partners who named it' if size_by == 'degree' else 'trust received'}, on one "
        f"scale for all phases. "
        + "; ".join(described) + "."
    )
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    return downloads.attach_data(fig, pd.concat([downloads.network_table(networks[ph]).assign(
        phase=study.phase_label(ph)) for ph in phases if missing[ph] is None], ignore_index=True))


def group_trust_table(G, attr: str = "sector_group", rating: str = "trust") -> pd.DataFrame:
    """Mean tie ``rating`` from each sector group (rater) to each sector group (rated), with n.

    Returns
    -------
    pandas.DataFrame
        Tidy: ``from_group``, ``to_group``, ``mean``, ``n`` (ratings), for the pairs of
        groups with at least one rated tie.

    Examples
    --------
    >>> G = nx.DiGraph()
    >>> G.add_nodes_from([("c", {"sector_group": "council"}), ("v", {"sector_group": "vcse"}),
    ...                   ("w", {"sector_group": "vcse"})])
    >>> G.add_edge("v", "c", trust=3.0); G.add_edge("w", "c", trust=4.0)
    >>> group_trust_table(G).values.tolist()
    [['vcse', 'council', 3.5, 2]]
    """
    rows = [
        (G.nodes[u].get(attr), G.nodes[v].get(attr), float(d[rating]))
        for u, v, d in G.edges(data=True)
        if d.get(rating) is not None and not pd.isna(d.get(rating))
    ]
    frame = pd.DataFrame(rows, columns=["from_group", "to_group", "value"])
    if frame.empty:
        return pd.DataFrame(columns=["from_group", "to_group", "mean", "n"])
    out = frame.groupby(["from_group", "to_group"], sort=False)["value"].agg(["mean", "count"]).reset_index()
    out = out.rename(columns={"count": "n"})
    order = {g: i for i, g in enumerate(SECTOR_GROUPS)}
    out = out.sort_values(["from_group", "to_group"], key=lambda s: s.map(order).fillna(len(order)))
    out["n"] = out["n"].astype(int)
    return out.reset_index(drop=True)


def trust_heatmap(G, threshold: int = 1, attr: str = "sector_group", title: str | None = None, plan=None):
    """Heatmap of mean tie trust from each sector group (rows) to each (columns), with n.

    Cells resting on fewer than ``threshold`` ratings show "fewer than N ratings" (N the threshold) instead of a value
    (disclosure control; when only one cell would be hidden, the smallest other is hidden
    too, so it cannot be recovered from the network-wide mean); empty cells had no rated
    ties. With ``plan`` (:func:`analysis.disclosure.page_plan`, decided for the whole page)
    the plan says which cells are hidden instead, and a cell hidden to protect another says so.

    Returns
    -------
    matplotlib.figure.Figure
    """
    table = group_trust_table(G, attr)
    groups = [g for g in SECTOR_GROUPS if any(G.nodes[v].get(attr) == g for v in G)]
    labels = [SECTOR_GROUP_LABELS.get(g, g) for g in groups]
    k = len(groups)
    values = np.full((k, k), np.nan)
    counts = np.zeros((k, k), dtype=int)
    index = {g: i for i, g in enumerate(groups)}
    for row in table.itertuples(index=False):
        if row.from_group in index and row.to_group in index:
            values[index[row.from_group], index[row.to_group]] = row.mean
            counts[index[row.from_group], index[row.to_group]] = row.n
    hidden = (counts > 0) & (counts < threshold)
    protecting = np.zeros_like(hidden)
    if plan is not None:
        for gi in groups:
            for gj in groups:
                reason = plan.sector_hidden(gi, gj) if counts[index[gi], index[gj]] else None
                hidden[index[gi], index[gj]] = reason is not None
                protecting[index[gi], index[gj]] = reason == "secondary"
    elif hidden.sum() == 1 and threshold > 1:
        # secondary suppression: with the network-wide mean and tie count on the page, a
        # single hidden cell could be recovered by subtraction, so hide the smallest other too
        others = np.where((counts > 0) & ~hidden, counts, np.iinfo(int).max)
        if (others < np.iinfo(int).max).any():
            hidden[np.unravel_index(np.argmin(others), others.shape)] = True
    shown = np.where(hidden, np.nan, values)
    from matplotlib.patches import Rectangle
    title = title or f"How much each sector trusts the others: {_where(G)}"
    fig, ax = new_figure(title, "", figsize=(0.9 * k + 2.3, 0.75 * k + 1.9))
    image = ax.imshow(shown, cmap=SEQUENTIAL, vmin=1, vmax=4, aspect="auto")
    ax.grid(False)
    ax.set_xticks(range(k), labels, rotation=30, ha="right")
    ax.set_yticks(range(k), labels)
    ax.set_xlabel("Rated organisation's sector")
    ax.set_ylabel("Rating organisation's sector")
    for i in range(k):
        for j in range(k):
            if hidden[i, j]:
                text = "not shown:\nprotects a\nsmall cell" if protecting[i, j] else f"fewer than\n{threshold} ratings"
                colour = "#444444"
                ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, facecolor="#ececec", edgecolor="white"))
            elif counts[i, j] == 0:
                text, colour = "no ties", "#595959"
            else:
                text = f"{values[i, j]:.1f}\nn={counts[i, j]}"
                colour = text_colour_on(image.to_rgba(values[i, j]))  # WCAG contrast >= 4.5:1
            ax.text(j, i, text, ha="center", va="center", fontsize=9.5, color=colour)
    bar = fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    bar.set_label("Mean trust (1 = low, 4 = high)")
    shown_pairs = int((~np.isnan(shown)).sum())
    best = ""
    if shown_pairs:
        i, j = np.unravel_index(np.nanargmax(shown), shown.shape)
        lo_i, lo_j = np.unravel_index(np.nanargmin(shown), shown.shape)
        best = (f" Highest: {labels[i]} rating {labels[j]} at {shown[i, j]:.1f}; lowest: {labels[lo_i]} "
                f"rating {labels[lo_j]} at {shown[lo_i, lo_j]:.1f}.")
    fig.alt_text = (
        f"Heatmap of mean trust between sectors in {_where(G)}: rows are the rating organisation's "
        f"sector, columns the rated organisation's sector, cells give mean trust on a 1 to 4 scale "
        f"and the number of ratings; {shown_pairs} of {k * k} cells have a value shown." + best
    )
    fig.tight_layout()
    return downloads.attach_data(fig, downloads.matrix_table(
        labels, labels, values, hidden=hidden, counts=counts, row_title="rating_sector", col_title="rated_sector",
        value_title="mean_trust", empty="no ties", decimals=1,
        message=np.where(protecting, "not shown: protects a small cell", f"fewer than {threshold} ratings")))


def trust_received_chart(G, threshold: int = 1, title: str | None = None, top: int | None = 40, plan=None):
    """Trust each organisation receives, as a sorted dot plot coloured by sector.

    Organisations whose trust rests on fewer than ``threshold`` ratings are left out (and
    counted in the alt text), and so are those the page's ``plan`` hides
    (:func:`analysis.disclosure.page_plan`); ``top`` limits the chart to the most trusted.

    Returns
    -------
    matplotlib.figure.Figure or analysis.absence.Absent
        Absent when no organisation has a trust rating, or none has ``threshold`` of them.
    """
    from analysis.absence import Absent, count_noun

    received = trust_received(G, attrs=("trust",), threshold=max(threshold, 1))
    rated = received[received["trust_n"] > 0]
    shown = rated.dropna(subset=["trust"])
    if plan is not None:
        shown = shown[[not plan.organisation_hidden(o) for o in shown.index]]
    left_out = len(rated) - len(shown)
    if shown.empty:
        if left_out:
            return Absent(f"{count_noun(left_out, 'organisation')} in {_where(G)} "
                          f"{'was' if left_out == 1 else 'were'} rated on trust, each by fewer than {threshold} "
                          "partners: to protect those who answered, no average is shown.")
        return Absent(f"No organisation in {_where(G)} was rated on trust: add reliability, mission and openness "
                      "scores to relationships.csv.")
    if top is not None:
        shown = shown.head(top)
    shown = shown.iloc[::-1]  # highest at the top
    height = max(2.8, 0.28 * len(shown) + 1.6)
    title = title or f"Trust each organisation receives: {_where(G)}"
    fig, ax = new_figure(title, "", figsize=(6.8, height))
    y = np.arange(len(shown))
    colours = [sector_colour(g) for g in shown["sector_group"]]
    ax.hlines(y, 1, shown["trust"], color="#dddddd", linewidth=1.2, zorder=1)
    ax.scatter(shown["trust"], y, c=colours, s=55, zorder=3, edgecolors="white", linewidths=0.6)
    for yi, (value, n) in enumerate(zip(shown["trust"], shown["trust_n"], strict=False)):
        ax.annotate(f"{value:.1f} (n={int(n)})", (value, yi), xytext=(6, 0), textcoords="offset points",
                    va="center", fontsize=8.5, color="#333333")
    ax.set_yticks(y, [str(x) for x in shown["name"]], fontsize=8.5)
    ax.set_xlim(1, 4.6)
    ax.set_xticks([1, 2, 3, 4])
    ax.set_xlabel("Mean trust received (1 = low, 4 = high); n = partners who rated it")
    ax.set_ylim(-0.7, len(shown) - 0.3)
    ax.grid(axis="y", visible=False)
    groups = [g for g in SECTOR_GROUPS if g in set(shown["sector_group"])]
    if groups:
        _legend(ax, groups, False, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8.5,
                title="Sector", title_fontsize=9)
    why = f"rated by fewer than {threshold} partners" + (", or hidden to protect them," if plan is not None else "")
    note = (f" {count_noun(left_out, 'organisation')} {why} {'is' if left_out == 1 else 'are'} not shown."
            if left_out else "")
    if len(shown):
        first, last = shown.iloc[-1], shown.iloc[0]
        spread = (f" Trust received ranges from {last['trust']:.1f} to {first['trust']:.1f} on a 1 to 4 scale.")
    else:
        spread = " No organisation has enough ratings to show."
    fig.alt_text = (
        f"Dot plot of the mean trust each organisation in {_where(G)} receives from the partners that "
        f"named it, sorted from most to least trusted, coloured by sector; "
        f"{count_noun(len(shown), 'organisation')} shown."
        + spread + note
    )
    fig.tight_layout()
    table = shown.iloc[::-1].assign(sector=[SECTOR_GROUP_LABELS.get(g, g) for g in shown["sector_group"].iloc[::-1]])
    return downloads.attach_data(fig, table[["name", "sector", "trust", "trust_n"]].rename(
        columns={"name": "organisation", "trust_n": "n"}).round({"trust": 1}))
