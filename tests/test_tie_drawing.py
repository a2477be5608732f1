"""Network maps draw their ties as one line collection and one set of arrowheads, and figures are laid out once."""

from __future__ import annotations

import io
import math

import matplotlib
import networkx as nx
import numpy as np
import pytest
from PIL import Image

from analysis import style
from analysis.networks import figures as nf

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402 -- after the backend


def _axes(xlim=(0, 10), ylim=(0, 10)):
    fig, ax = plt.subplots(figsize=(5, 5), dpi=100)
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    return fig, ax


def test_a_tie_runs_from_the_edge_of_one_dot_to_the_edge_of_the_other():
    fig, ax = _axes()
    # dots of area 400 and 100 points squared: radii 10 and 5 points, plus half the 0.8 pt outline
    artist = nf.TieArtist(ax, [[2, 5]], [[8, 5]], [400.0], [100.0], arrows=True)
    ax.add_artist(artist)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    lines, heads = artist.geometry(renderer)
    px = 100 / 72  # pixels per point at 100 dpi
    tail, head = ax.transData.transform([[2, 5], [8, 5]])
    start, tip = lines[0, 0], heads[0, 0]
    # the curve is a slightly bent arc: distances along it are within 2% of the radius (worked out for bend 0.08)
    assert math.dist(start, tail) == pytest.approx(10.4 * px, rel=0.02)
    assert math.dist(tip, head) == pytest.approx(5.4 * px, rel=0.02)
    # the arrowhead is 3.2 points long, 3 points wide, and the line stops at its base
    base = (heads[0, 1] + heads[0, 2]) / 2
    assert math.dist(tip, base) == pytest.approx(3.2 * px, rel=1e-6)
    assert math.dist(heads[0, 1], heads[0, 2]) == pytest.approx(3.0 * px, rel=1e-6)
    assert math.dist(lines[0, -1], base) < 0.05 * 3.2 * px
    plt.close(fig)


def test_a_reciprocated_pair_is_two_lines_bent_apart():
    fig, ax = _axes()
    artist = nf.TieArtist(ax, [[2, 5], [8, 5]], [[8, 5], [2, 5]], [100.0, 100.0], [100.0, 100.0])
    ax.add_artist(artist)
    fig.canvas.draw()
    lines, _ = artist.geometry(fig.canvas.get_renderer())
    middle = lines[:, lines.shape[1] // 2, :]
    mid_y = ax.transData.transform([[5, 5]])[0, 1]
    # arc3 with rad 0.08 bends each tie to its right by 0.08 * length / 2 at the middle: 24 px of 300
    chord = ax.transData.transform([[8, 5]])[0, 0] - ax.transData.transform([[2, 5]])[0, 0]
    assert sorted(middle[:, 1] - mid_y) == pytest.approx([-0.04 * chord, 0.04 * chord], rel=0.05)
    plt.close(fig)


def test_overlapping_dots_draw_no_tie_and_undirected_ties_no_heads():
    fig, ax = _axes()
    artist = nf.TieArtist(ax, [[5, 5], [1, 1]], [[5.01, 5], [9, 9]], [400.0, 50.0], [400.0, 50.0], arrows=False)
    ax.add_artist(artist)
    fig.canvas.draw()
    lines, heads = artist.geometry(fig.canvas.get_renderer())
    assert lines.shape == (1, nf._TIE_POINTS, 2) and heads.shape == (0, 3, 2)
    plt.close(fig)


def test_network_map_draws_every_tie_in_one_artist_and_no_patch_per_tie():
    G = nx.gnm_random_graph(60, 300, seed=7, directed=True)
    nx.set_node_attributes(G, {v: {"name": f"Org {v}", "sector_group": "vcse"} for v in G})
    fig = nf.network_map(G)
    ax = fig.axes[0]
    ties = [a for a in ax.get_children() if isinstance(a, nf.TieArtist)]
    assert len(ties) == 1 and len(ties[0].tails) == G.number_of_edges()
    assert not [p for p in ax.patches if type(p).__name__ == "FancyArrowPatch"]
    fig.canvas.draw()
    lines, heads = ties[0].geometry(fig.canvas.get_renderer())
    assert lines.shape[0] == heads.shape[0] > 0.95 * G.number_of_edges()  # a few pairs whose dots overlap
    svg = style.figure_bytes(fig, "svg").decode()
    assert svg.count("<path") > 300  # lines and heads are drawn into the SVG
    plt.close(fig)


def test_the_page_png_and_the_files_come_from_one_layout(tmp_path):
    fig, ax = style.new_figure("A title that is long enough to reach past the axes on the right", alt="A line")
    ax.plot([0, 1], [0, 1])
    ax.legend(["a line"], loc="upper left", bbox_to_anchor=(1.0, 1.0))  # outside the axes: tight must keep it
    box = style.figure_bbox(fig)
    png = style.figure_bytes(fig, "png", bbox=box)
    tight = io.BytesIO()
    fig.savefig(tight, format="png", bbox_inches="tight")
    # the same area as savefig's own "tight" box, at the same resolution
    assert Image.open(io.BytesIO(png)).size == Image.open(tight).size
    assert Image.open(io.BytesIO(png)).size == pytest.approx((box.width * 150, box.height * 150), abs=1)
    written = style.save_figure(fig, tmp_path, "line", png=png, bbox=box)
    assert [p.name for p in written] == ["line.png", "line.svg"]
    assert (tmp_path / "line.png").read_bytes() == png
    svg = (tmp_path / "line.svg").read_text()
    width_pt = float(svg.split('width="', 1)[1].split("pt", 1)[0])
    assert width_pt == pytest.approx(box.width * 72, abs=0.5)
    plt.close(fig)


def test_show_figure_draws_the_png_once_for_the_page_and_the_file(tmp_path, monkeypatch):
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj: shown.append(obj.data))
    fig, ax = style.new_figure("Title", alt="Alt")
    ax.bar([0, 1], [1, 2])
    style.show_figure(fig, "Caption", directory=tmp_path, name="bars")
    import base64
    embedded = base64.b64decode(shown[0].split("base64,", 1)[1].split('"', 1)[0])
    assert embedded == (tmp_path / "bars.png").read_bytes()
    assert (tmp_path / "bars.svg").read_text().lstrip().startswith("<?xml")
    assert np.asarray(Image.open(io.BytesIO(embedded))).shape[2] == 4
