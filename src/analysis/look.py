"""The pages' look carried by the markup itself, so a notebook shows in JupyterLab as its rendered page does.

A rendered page styles the suite's tables with its stylesheet (``runner/templates/cip/cip.css``);
JupyterLab does not load that stylesheet, and its own rules right-align every table cell
(``:not(.jp-RenderedMarkdown).jp-RenderedHTMLCommon td {text-align: right}``), centre tables
and stripe rows in its own colours. :func:`inline_look` writes the stylesheet's table rules
onto the elements as ``style=`` attributes, which beat any stylesheet rule: text left, numbers
(cells of class ``cip-number``) right, the rules above and below the table and under its
header, zebra rows, captions on top and to the left; also the quieter paragraphs
(``cip-absent``, ``cip-note``) and figure captions.

Every value is the page's own (its CSS variables, so a page looks exactly as before) with a
fallback for JupyterLab that follows the lab's theme (``--jp-...`` variables, then plain
colours), so the look also holds in a dark theme. The page pieces (:class:`analysis.page.Html`,
:class:`analysis.suppression.SafeHTML`, :class:`analysis.absence.Absent`) apply it when they
are displayed (``_repr_html_``); their text (``str``) stays the bare markup.

The rewriting reads tags only: the package builds this markup with every piece of study text
escaped, so a ``<`` in it always opens a tag and never sits inside a name or a quote.

Examples
--------
>>> out = inline_look('<table class="cip-table"><tbody><tr><td>North</td>'
...                   '<td class="cip-number">3</td></tr></tbody></table>')
>>> [style.rsplit("text-align:", 1)[1].split(";")[0] for style in re.findall(r'<td[^>]* style="([^"]*)"', out)]
['left', 'right']
"""

from __future__ import annotations

import re

__all__ = ["NUMBER_CLASS", "LOOK", "inline_look"]

#: The class of a table cell holding a number: right-aligned on pages (cip.css) and in the lab.
NUMBER_CLASS = "cip-number"

_INK = "var(--ink,var(--jp-content-font-color1,#1d2433))"
_INK_SOFT = "var(--ink-soft,var(--jp-content-font-color2,#4a5468))"
_MUTED = "var(--muted,var(--jp-content-font-color2,#5d6678))"
_WASH = "var(--wash,var(--jp-rendermime-table-row-background,#f5f7fa))"

#: Inline styles by element, the same values as cip.css gives them on a page.
LOOK = {
    "table": ("border-collapse:collapse;border-spacing:0;margin:1rem 0;font-size:0.9rem;"
              "font-variant-numeric:tabular-nums;table-layout:auto;border:0;"
              f"border-top:2px solid {_INK};border-bottom:2px solid {_INK}"),
    "caption": f"caption-side:top;text-align:left;color:{_INK_SOFT};padding:0 0 0.4rem",
    "thead": "border:0",
    "cell": "padding:0.4rem 0.75rem;text-align:left;vertical-align:top;border:0;line-height:1.6;max-width:none",
    "number": "text-align:right",
    "head": f"border-bottom:1px solid {_INK};font-weight:700",
    "odd": "background:transparent",
    "even": f"background:{_WASH}",
    "list": "margin:1em 0;padding-left:40px;list-style:disc;text-align:left",
    "cip-absent": f"color:{_MUTED};font-style:italic",
    "cip-note": f"color:{_MUTED};font-size:0.9rem",
    "figcaption": f"color:{_INK_SOFT};font-size:0.9rem;margin-top:0.4rem;max-width:46rem",
}

_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9]*)((?:\s[^>]*)?)>")
_CLASS = re.compile(r"""\sclass\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_STYLE = re.compile(r"""\sstyle\s*=\s*(?:"([^"]*)"|'([^']*)')""")


def _classes(attrs: str) -> list[str]:
    m = _CLASS.search(attrs)
    return (m.group(1) or m.group(2) or "").split() if m else []


def _styled(name: str, attrs: str, style: str) -> str:
    """The tag with ``style`` first in its style attribute (a style it already has comes after, and wins)."""
    closing = "/" if attrs.rstrip().endswith("/") else ""
    attrs = attrs.rstrip()[:-1] if closing else attrs
    m = _STYLE.search(attrs)
    if m:
        own = m.group(1) if m.group(1) is not None else m.group(2)
        attrs = attrs[:m.start()] + f' style="{style};{own}"' + attrs[m.end():]
    else:
        attrs = f'{attrs} style="{style}"'
    return f"<{name}{attrs}{closing}>"


def inline_look(markup: str) -> str:
    """``markup`` with the pages' look written onto its tables and quiet paragraphs as inline styles.

    Only tables of class ``cip-table`` (the suite's own) are styled, and a table that already
    has a ``style`` attribute is left as it is (it was styled before), so applying this twice
    changes nothing. Inside a table: every cell left-aligned at the top, a cell of class
    ``cip-number`` right-aligned, header cells bold over a rule, even body rows shaded.

    Examples
    --------
    >>> out = inline_look('<p class="cip-absent">No grants: add grants.csv.</p>')
    >>> out.startswith('<p class="cip-absent" style="color:var(--muted,') and "font-style:italic" in out
    True
    >>> inline_look(out) == out
    True
    """
    out, pos = [], 0
    in_table = False  # inside a cip-table being styled
    section = ""  # "thead", "tbody" or "" (rows straight under the table)
    row = 0  # body rows seen in the current table
    lists = 0  # depth of lists inside the current table's cells
    for m in _TAG.finditer(markup):
        closing, name, attrs = m.group(1), m.group(2).lower(), m.group(3)
        out.append(markup[pos:m.start()])
        pos = m.end()
        tag = m.group(0)
        if closing:
            if name == "table":
                in_table = False
            elif name in ("thead", "tbody", "tfoot"):
                section = ""
            elif name in ("ul", "ol") and in_table:
                lists -= 1
            out.append(tag)
            continue
        classes = _classes(attrs)
        already = _STYLE.search(attrs) is not None
        if name == "table":
            in_table = "cip-table" in classes and not already
            section, row, lists = "", 0, 0
            if in_table:
                tag = _styled(name, attrs, LOOK["table"])
        elif in_table:
            if name == "caption":
                tag = _styled(name, attrs, LOOK["caption"])
            elif name in ("thead", "tbody", "tfoot"):
                section, row = name, 0  # zebra rows count within each body, as :nth-child does
                if name == "thead":
                    tag = _styled(name, attrs, LOOK["thead"])
            elif name == "tr" and section in ("tbody", "") and lists == 0:
                row += 1
                tag = _styled(name, attrs, LOOK["even" if row % 2 == 0 else "odd"])
            elif name in ("td", "th") and lists == 0:
                style = LOOK["cell"]
                if section == "thead":
                    style += ";" + LOOK["head"]
                if NUMBER_CLASS in classes:
                    style += ";" + LOOK["number"]
                tag = _styled(name, attrs, style)
            elif name in ("ul", "ol"):
                if lists == 0:
                    tag = _styled(name, attrs, LOOK["list"])
                lists += 1
        elif not already:
            if name == "p":
                found = [c for c in ("cip-absent", "cip-note") if c in classes]
                if found:
                    tag = _styled(name, attrs, LOOK[found[0]])
            elif name == "figcaption":
                tag = _styled(name, attrs, LOOK["figcaption"])
        out.append(tag)
    out.append(markup[pos:])
    return "".join(out)
