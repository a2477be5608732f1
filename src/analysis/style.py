"""One look for every figure of the suite: palette, fonts, titles, alt text, saving."""

from __future__ import annotations

import base64
import html
import io
import os
from pathlib import Path

import matplotlib
from matplotlib.colors import to_rgb

from analysis.files import atomic_write_bytes
from analysis.schema import SECTOR_GROUP_LABELS, SECTOR_GROUPS

matplotlib.use("Agg") if not os.environ.get("MPLBACKEND") else None  # headless by default
import matplotlib.pyplot as plt  # noqa: E402 -- pyplot is imported once the backend is chosen
import seaborn as sns  # noqa: E402 -- seaborn imports pyplot

__all__ = [
    "OKABE_ITO",
    "SECTOR_GROUP_COLOURS",
    "PLACE_COLOURS",
    "DIVERGING",
    "SEQUENTIAL",
    "use_style",
    "sector_colour",
    "place_colour",
    "new_figure",
    "figure_bbox",
    "save_figure",
    "show_figure",
    "figure_html",
    "alt_text",
    "relative_luminance",
    "contrast_ratio",
    "text_colour_on",
]

#: Okabe and Ito (2008) colour-blind-safe palette.
OKABE_ITO = {
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "purple": "#CC79A7",
    "grey": "#999999",
    "black": "#000000",
}

#: Every figure colours a sector group the same way.
SECTOR_GROUP_COLOURS = {
    "council": OKABE_ITO["blue"],
    "health": OKABE_ITO["sky_blue"],
    "public_other": OKABE_ITO["purple"],
    "vcse": OKABE_ITO["orange"],
    "funder": OKABE_ITO["green"],
    "other": OKABE_ITO["grey"],
}
assert set(SECTOR_GROUP_COLOURS) == set(SECTOR_GROUPS)

#: Places, in the order a study lists them, take these colours (distinct from sectors' use).
PLACE_COLOURS = (OKABE_ITO["blue"], OKABE_ITO["vermillion"], OKABE_ITO["green"],
                 OKABE_ITO["purple"], OKABE_ITO["orange"], OKABE_ITO["sky_blue"])

#: Diverging colour map for change (blue = better, vermillion = worse); colour-blind safe.
DIVERGING = "RdBu"
#: Sequential colour map for levels such as trust (0 to 4).
SEQUENTIAL = "cividis"

_FIGURE_WIDTH = 8.0


def use_style() -> None:
    """Apply the suite's matplotlib and seaborn style (idempotent)."""
    sns.set_theme(context="notebook", style="whitegrid", font="DejaVu Sans")
    plt.rcParams.update(
        {
            "figure.dpi": 110,
            "savefig.dpi": 150,
            "figure.figsize": (_FIGURE_WIDTH, 5.0),
            "axes.titlesize": 13,
            "axes.titleweight": "bold",
            "axes.titlelocation": "left",
            "axes.labelsize": 11,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "legend.frameon": False,
            "svg.fonttype": "none",  # text stays text in SVG: searchable, accessible
            "svg.hashsalt": "coordination-in-place",  # stable SVG ids between runs
        }
    )


def sector_colour(group: str) -> str:
    """Colour of a sector group (see :data:`analysis.schema.SECTOR_GROUPS`)."""
    return SECTOR_GROUP_COLOURS.get(group, OKABE_ITO["grey"])


def sector_label(group: str) -> str:
    """Plain-English label of a sector group."""
    return SECTOR_GROUP_LABELS.get(group, str(group))


def place_colour(index: int) -> str:
    """Colour of the place at ``index`` in the study's place order."""
    return PLACE_COLOURS[index % len(PLACE_COLOURS)]


def relative_luminance(colour) -> float:
    """Relative luminance of a colour (0 black to 1 white), as WCAG 2.2 defines it.

    ``colour`` is anything matplotlib reads as a colour ("#0072B2", "white", an RGB(A) tuple);
    transparency is ignored.

    References
    ----------
    W3C (2023). Web Content Accessibility Guidelines (WCAG) 2.2, definition of "relative luminance".

    Examples
    --------
    >>> relative_luminance("white"), relative_luminance("black")
    (1.0, 0.0)
    """
    def linear(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(c) for c in to_rgb(colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(foreground, background) -> float:
    """WCAG 2.2 contrast ratio of two colours, from 1 (none) to 21 (black on white).

    Text needs 4.5 against its background to meet WCAG 2.2 AA (success criterion 1.4.3).

    References
    ----------
    W3C (2023). Web Content Accessibility Guidelines (WCAG) 2.2, definition of "contrast ratio".

    Examples
    --------
    >>> round(contrast_ratio("black", "white"), 1)
    21.0
    >>> round(contrast_ratio("#777777", "#ffffff"), 2)  # the classic just-fails grey
    4.48
    """
    lighter, darker = sorted((relative_luminance(foreground), relative_luminance(background)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def text_colour_on(background) -> str:
    """Black or white, whichever contrasts more with ``background`` (a heatmap cell's colour).

    One of the two always reaches at least 4.58:1 (the square root of 21), so text drawn in
    the returned colour meets WCAG 2.2 AA for normal text on any background.

    Examples
    --------
    >>> text_colour_on("#00204D"), text_colour_on("#FFEA46"), text_colour_on("#EEEEEE")
    ('#FFFFFF', '#000000', '#000000')
    """
    return "#000000" if contrast_ratio("#000000", background) >= contrast_ratio("#FFFFFF", background) else "#FFFFFF"


def new_figure(title: str, alt: str, *, nrows: int = 1, ncols: int = 1, figsize=None, **kwargs):
    """Create a styled figure with its title and alt text attached.

    The alt text travels with the figure (``fig.alt_text``) to :func:`save_figure` and
    :func:`show_figure`. Returns ``(fig, axes)`` like :func:`matplotlib.pyplot.subplots`.
    """
    use_style()
    fig, axes = plt.subplots(nrows, ncols, figsize=figsize, **kwargs)
    fig.suptitle(title, x=0.01, ha="left", fontsize=14, fontweight="bold")
    fig.alt_text = alt
    fig.title_text = title
    return fig, axes


def figure_bbox(fig):
    """The figure's tight bounding box (inches, padded by :rc:`savefig.pad_inches`), measured once.

    This is the box ``savefig(bbox_inches="tight")`` would crop to, measured at the PNG's
    resolution. Passing it to :func:`figure_bytes` for every format lays the figure out once
    instead of once per format: the saved images are the same as with ``"tight"``.

    Examples
    --------
    >>> fig, ax = new_figure("A title", alt="An empty chart")
    >>> box = figure_bbox(fig)
    >>> bool(0 < box.width <= 8.5 and 0 < box.height <= 5.5)
    True
    >>> plt.close(fig)
    """
    dpi = fig.dpi
    try:
        fig.set_dpi(plt.rcParams["savefig.dpi"] if plt.rcParams["savefig.dpi"] != "figure" else dpi)
        # measured without drawing: the suite's figures are laid out (tight_layout) when made,
        # and the extents of texts, legends and colour bars need only a renderer's metrics
        box = fig.get_tightbbox(fig.canvas.get_renderer())
    finally:
        fig.set_dpi(dpi)
    pad = plt.rcParams["savefig.pad_inches"]
    pad = 0.1 if pad == "layout" else pad
    return box.padded(pad)


def figure_bytes(fig, fmt: str, *, bbox=None) -> bytes:
    """Render ``fig`` to PNG or SVG bytes, with the title and alt text as metadata.

    ``bbox`` (from :func:`figure_bbox`) is the area saved; by default it is measured now.
    """
    buf = io.BytesIO()
    title = getattr(fig, "title_text", "")
    alt = getattr(fig, "alt_text", "")
    if fmt == "png":
        metadata = {"Title": title, "Description": alt, "Software": "coordination-in-place"}
    else:
        metadata = {"Title": title, "Description": alt, "Creator": "coordination-in-place", "Date": None}
    fig.savefig(buf, format=fmt, bbox_inches=bbox if bbox is not None else figure_bbox(fig), metadata=metadata)
    return buf.getvalue()


def save_figure(fig, directory: str | os.PathLike | None, name: str, formats=("png", "svg"),
                *, png: bytes | None = None, bbox=None) -> list[Path]:
    """Save ``fig`` as ``directory/name.png`` and ``.svg``, each written atomically.

    ``directory`` empty or None saves nothing (the notebooks' default when run by hand).
    ``png``, when the PNG is already drawn, is written as it is. The figure is laid out once
    (``bbox``, from :func:`figure_bbox`, when the caller measured it) for every format.
    Returns the paths written.
    """
    if not directory:
        return []
    written = []
    for fmt in formats:
        path = Path(directory) / f"{name}.{fmt}"
        if fmt == "png" and png is not None:
            data = png
        else:
            bbox = bbox if bbox is not None else figure_bbox(fig)
            data = figure_bytes(fig, fmt, bbox=bbox)
        atomic_write_bytes(path, data)
        written.append(path)
    return written


def alt_text(fig, finding: str | None = None) -> str:
    """The alt text of ``fig``: its own description, then ``finding`` (what the data shows).

    A figure made without a description falls back to its title, which says what it is but
    not what it shows: every figure of the suite passes a description to :func:`new_figure`.

    Examples
    --------
    >>> fig, ax = new_figure("Trust", alt="Dot plot of trust received by 3 organisations.")
    >>> alt_text(fig, "VCSE 01 is the most trusted.")
    'Dot plot of trust received by 3 organisations. VCSE 01 is the most trusted.'
    >>> plt.close(fig)
    """
    parts = [getattr(fig, "alt_text", "") or getattr(fig, "title_text", ""), finding or ""]
    return " ".join(part.strip() for part in parts if part and part.strip())


def figure_html(fig, caption: str | None = None, *, png: bytes | None = None, finding: str | None = None) -> str:
    """The figure as an HTML ``<figure>``: embedded PNG, escaped alt text and caption.

    ``finding``, a sentence saying what the data in the figure shows (see
    :mod:`analysis.figure_text`), is added to the figure's own description in the alt text.
    A figure carrying the table it drew (``fig.data``, see :func:`analysis.downloads.attach_data`)
    is followed by a "Download the data (CSV)" link holding it.

    Examples
    --------
    >>> fig, ax = new_figure("Trust <rose>", alt='Trust rose from "58%" to 74%')
    >>> page = figure_html(fig, caption="<b>not bold</b>", finding="<i>Council</i> leads.")
    >>> 'alt="Trust rose from &quot;58%&quot; to 74% &lt;i&gt;Council&lt;/i&gt; leads."' in page
    True
    >>> "&lt;b&gt;not bold&lt;/b&gt;" in page
    True
    >>> plt.close(fig)
    """
    data = base64.b64encode(png or figure_bytes(fig, "png")).decode("ascii")
    alt = html.escape(alt_text(fig, finding), quote=True)
    cap = f"<figcaption>{html.escape(caption)}</figcaption>" if caption else ""
    from analysis.downloads import figure_data_link  # the table the figure drew (fig.data), as a CSV link

    return (
        f'<figure class="cip-figure"><img src="data:image/png;base64,{data}" alt="{alt}" '
        f'style="max-width:100%;height:auto">{cap}</figure>{figure_data_link(fig)}'
    )


def show_figure(fig, caption: str | None = None, *, directory=None, name: str | None = None,
                finding: str | None = None):
    """Display ``fig`` in the notebook with its alt text and caption, save it if asked, close it.

    This is how every notebook shows a figure: the page gets an ``<img alt=...>`` inside a
    ``<figure>`` with a plain-language caption, and ``directory/name.png|svg`` are written
    when ``directory`` is set (the batch runner sets it). The PNG is drawn once and serves
    both the page and the file, and the SVG is drawn from the same layout. ``finding`` (a
    sentence from :mod:`analysis.figure_text`) is added to the alt text, and to the saved
    files' description, so a reader who cannot see the figure learns what it shows.
    """
    if finding:
        fig.alt_text = alt_text(fig, finding)
    from IPython.display import HTML, display

    bbox = figure_bbox(fig)  # laid out once; the PNG and the SVG are drawn from the same layout
    png = figure_bytes(fig, "png", bbox=bbox)
    if directory and name:
        save_figure(fig, directory, name, png=png, bbox=bbox)
    display(HTML(figure_html(fig, caption, png=png)))
    plt.close(fig)
