"""Pieces of a page for notebooks: heading, paragraph, list of sentences, table, figure, note.

Every piece escapes the text it is given (names, quotes and labels come from the study and
are untrusted) and returns an :class:`Html` object, which JupyterLab shows and nbconvert
renders as HTML. A notebook cell ends with one piece, or with :func:`join` of several, so
notebooks hold no ``display(HTML(...))`` or ``html.escape`` boilerplate. A piece given an
:class:`analysis.absence.Absent` instead of its content shows the absent sentence.

Examples
--------
>>> print(join(heading("Coventry & Sutton"), paragraph("Trust <rose>.")))
<h2>Coventry &amp; Sutton</h2><p>Trust &lt;rose&gt;.</p>
"""

from __future__ import annotations

import html as _html

import pandas as pd

from analysis.absence import Absent
from analysis.look import inline_look

__all__ = ["Html", "heading", "paragraph", "note", "sentences", "table", "figure", "svg_figure", "details", "join",
           "show"]


class Html(str):
    """A piece of a page: HTML whose every piece of text was escaped; displays as HTML in Jupyter.

    Displayed (``_repr_html_``, what JupyterLab shows and what a rendered page holds), its
    tables and quiet paragraphs carry the pages' look as inline styles
    (:func:`analysis.look.inline_look`), so JupyterLab's own table rules (every cell
    right-aligned) do not apply; the text of the piece (``str``) is the bare markup.
    """

    def _repr_html_(self) -> str:
        return inline_look(str(self))

    def _repr_pretty_(self, printer, cycle) -> None:
        # the plain-text copy kept beside the HTML in an executed notebook: a placeholder, never
        # the markup itself (embedded images' base64 would be text there, for the leak check to read)
        printer.text(f"<a piece of the page, {len(self):,} characters of HTML>")


def _e(text) -> str:
    return _html.escape("" if text is None else str(text), quote=True)


def _absent(value: Absent) -> Html:
    return Html(value.paragraph_html)


def heading(text: str, level: int = 2) -> Html:
    """A heading (``level`` 2 to 4: the page's own title is level 1).

    Examples
    --------
    >>> print(heading("<b>North</b>", 3))
    <h3>&lt;b&gt;North&lt;/b&gt;</h3>
    """
    if level not in (2, 3, 4):
        raise ValueError(f"heading level must be 2, 3 or 4, not {level!r}")
    return Html(f"<h{level}>{_e(text)}</h{level}>")


def paragraph(text) -> Html:
    """A paragraph of plain text (an :class:`Absent` shows its sentence).

    Examples
    --------
    >>> print(paragraph("5 > 4 & 3"))
    <p>5 &gt; 4 &amp; 3</p>
    """
    if isinstance(text, Absent):
        return _absent(text)
    return Html(f"<p>{_e(text)}</p>")


def note(text: str) -> Html:
    """A quieter paragraph: how a figure was made, what was left out.

    Examples
    --------
    >>> print(note("Averages of fewer than 5 ratings are not shown."))
    <p class="cip-note">Averages of fewer than 5 ratings are not shown.</p>
    """
    return Html(f'<p class="cip-note">{_e(text)}</p>')


def sentences(items, *, absent: Absent | str | None = None) -> Html:
    """Sentences as a list; with none, the ``absent`` sentence (required then, so no section is left bare).

    Examples
    --------
    >>> print(sentences(["Trust rose.", "Density <fell>."]))
    <ul class="cip-sentences"><li>Trust rose.</li><li>Density &lt;fell&gt;.</li></ul>
    >>> print(sentences([], absent=Absent("No figures yet: add ratings to relationships.csv.")))
    <p class="cip-absent">No figures yet: add ratings to relationships.csv.</p>
    """
    items = [str(s) for s in items]
    if not items:
        if absent is None:
            raise ValueError("no sentences and no absent sentence to say why")
        return _absent(absent if isinstance(absent, Absent) else Absent(str(absent)))
    return Html('<ul class="cip-sentences">' + "".join(f"<li>{_e(s)}</li>" for s in items) + "</ul>")


def table(frame, caption: str | None = None, **kwargs) -> Html:
    """A table of text cells, every cell escaped (:func:`analysis.suppression.html_table`).

    An :class:`Absent`, or an empty frame with ``absent=`` given, shows the absent sentence.

    Examples
    --------
    >>> "<td>&lt;i&gt;North&lt;/i&gt;</td>" in table(pd.DataFrame({"Place": ["<i>North</i>"]}))
    True
    """
    from analysis.suppression import html_table

    absent = kwargs.pop("absent", None)
    if isinstance(frame, Absent):
        return _absent(frame)
    if isinstance(frame, pd.DataFrame) and frame.empty and absent is not None:
        return _absent(absent if isinstance(absent, Absent) else Absent(str(absent)))
    return Html(str(html_table(frame, caption=caption, **kwargs)))


def figure(fig, caption: str | None = None, *, directory=None, name: str | None = None, finding=None) -> Html:
    """A figure with its alt text and caption, saved as ``directory/name.png|svg`` when asked, then closed.

    ``fig`` may be an :class:`Absent` (what the suite's figure functions return when there is
    nothing to draw): the page then shows its sentence and no image. ``finding`` (a sentence of
    :mod:`analysis.figure_text`, or a function of no arguments returning one, called only when
    there is a figure) is added to the alt text, as :func:`analysis.style.show_figure` does.
    """
    if isinstance(fig, Absent):
        return _absent(fig)
    import matplotlib.pyplot as plt

    from analysis.style import alt_text, figure_bbox, figure_bytes, figure_html, save_figure

    finding = finding() if callable(finding) else finding
    if finding:
        fig.alt_text = alt_text(fig, finding)

    bbox = figure_bbox(fig)  # measured once: the page's PNG and the files are cut to the same box
    png = figure_bytes(fig, "png", bbox=bbox)
    if directory and name:
        save_figure(fig, directory, name, png=png, bbox=bbox)
    out = Html(figure_html(fig, caption, png=png))
    plt.close(fig)
    return out


def svg_figure(fig, caption: str | None = None, *, directory=None, name: str | None = None, finding=None) -> Html:
    """A figure drawn as inline SVG (:func:`analysis.networks.svg.network_map_svg`), with its caption and data link.

    The SVG goes into the page as markup, so the ``<title>`` of each of its shapes shows when
    the pointer rests on it and a screen reader reads it, with no script. Its accessible name
    is its title and its description (``<desc>``) is ``fig.alt_text`` followed by ``finding``
    (a sentence, or a function of no arguments returning one). With ``directory`` and
    ``name``, ``directory/name.svg`` (the same SVG, standalone) and ``directory/name.png``
    (``fig.png()``, when it draws one) are written atomically. ``fig.data``, when a table,
    becomes the figure's "Download the data (CSV)" link. An :class:`Absent` shows its sentence.
    """
    if isinstance(fig, Absent):
        return _absent(fig)
    from analysis.downloads import figure_data_link

    finding = finding() if callable(finding) else finding
    description = " ".join(p.strip() for p in (getattr(fig, "alt_text", ""), finding or "") if p and p.strip())
    if directory and name:
        from pathlib import Path

        from analysis.files import atomic_write_bytes

        atomic_write_bytes(Path(directory) / f"{name}.svg", fig.svg(description, standalone=True).encode("utf-8"))
        png = fig.png() if hasattr(fig, "png") else None
        if png:
            atomic_write_bytes(Path(directory) / f"{name}.png", png)
    cap = f"<figcaption>{_e(caption)}</figcaption>" if caption else ""
    return Html(f'<figure class="cip-figure cip-svg-figure">{fig.svg(description)}{cap}</figure>'
                f"{figure_data_link(fig)}")


def details(summary: str, *parts) -> Html:
    """Pieces of a page folded away under a ``<summary>`` line the reader opens (``<details>``; no script).

    Examples
    --------
    >>> print(details("The 3 organisations, as a table", paragraph("<none>")))
    <details class="cip-details"><summary>The 3 organisations, as a table</summary><p>&lt;none&gt;</p></details>
    """
    return Html(f'<details class="cip-details"><summary>{_e(summary)}</summary>{join(*parts)}</details>')


def join(*parts) -> Html:
    """Several pieces as one (so a cell's last line shows them all); None parts are skipped.

    Examples
    --------
    >>> print(join(heading("A"), None, Absent("Nothing yet: add rows to boards.csv.")))
    <h2>A</h2><p class="cip-absent">Nothing yet: add rows to boards.csv.</p>
    """
    out = []
    for p in parts:
        if p is None:
            continue
        if isinstance(p, Absent):
            out.append(p.paragraph_html)
        elif isinstance(p, Html):
            out.append(str(p))
        else:
            raise TypeError(f"join takes page pieces (Html or Absent), not {type(p).__name__}: escape text "
                            "with paragraph()")
    return Html("".join(out))


def show(*parts) -> None:
    """Display pieces now (for a cell that shows something before it computes more)."""
    from IPython.display import display

    display(join(*parts))
