"""The data behind a table or figure, as a "Download the data (CSV)" link that works offline.

The link is an ``<a download="name.csv" href="data:text/csv;charset=utf-8;base64,...">``: the
CSV travels inside the page, so a page opened from an email attachment still gives its
numbers. The CSV holds exactly what the page shows for its audience (suppressed cells say
so, pseudonyms stay pseudonyms), with formula cells neutralised
(:func:`analysis.files.csv_bytes_for_people`). Tables get their link from
:func:`analysis.suppression.html_table`; a figure gets one from
:func:`analysis.style.figure_html` when its figure function left the table it drew on the
figure as ``fig.data`` (:func:`attach_data`).
"""

from __future__ import annotations

import base64
import html
import re
import unicodedata

import pandas as pd

from analysis.files import csv_bytes_for_people

__all__ = [
    "DOWNLOAD_TEXT",
    "CSV_MEDIA_TYPE",
    "csv_file_name",
    "csv_data_uri",
    "download_link",
    "attach_data",
    "figure_data_link",
    "network_table",
    "matrix_table",
]

#: What every download link says (its accessible name starts with this).
DOWNLOAD_TEXT = "Download the data (CSV)"
#: The media type of the ``data:`` URI; the leak check decodes links of this type.
CSV_MEDIA_TYPE = "text/csv"
#: Marks a cell of a heatmap table whose value is not shown (suppressed).
SUPPRESSED_MARK = "suppressed"


def csv_file_name(title: str | None, default: str = "data") -> str:
    """A file name for a CSV from a caption or title: ASCII letters, digits and hyphens, ``.csv``.

    Examples
    --------
    >>> csv_file_name("Trust <received>: Coventry, Phase 1")
    'trust-received-coventry-phase-1.csv'
    >>> csv_file_name("   "), csv_file_name("x" * 100)[:5], len(csv_file_name("x" * 100))
    ('data.csv', 'xxxxx', 64)
    """
    text = unicodedata.normalize("NFKD", str(title or "")).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60].strip("-")
    return f"{slug or default}.csv"


def csv_data_uri(table: pd.DataFrame) -> str:
    """``table`` as a ``data:text/csv`` URI (base64 of :func:`~analysis.files.csv_bytes_for_people`).

    Examples
    --------
    >>> uri = csv_data_uri(pd.DataFrame({"name": ["=1+2"], "n": [3]}))
    >>> uri.split(",")[0]
    'data:text/csv;charset=utf-8;base64'
    >>> base64.b64decode(uri.split(",", 1)[1]).decode("utf-8-sig")
    "name,n\\n'=1+2,3\\n"
    """
    data = base64.b64encode(csv_bytes_for_people(table)).decode("ascii")
    return f"data:{CSV_MEDIA_TYPE};charset=utf-8;base64,{data}"


def download_link(table: pd.DataFrame, title: str | None = None, *, name: str | None = None) -> str:
    """The HTML of a "Download the data (CSV)" link holding ``table``.

    ``title`` (a caption or figure title, escaped) names the file and completes the link's
    accessible name ("Download the data (CSV): Trust received"), so links on one page can be
    told apart by a screen reader; the visible text is :data:`DOWNLOAD_TEXT`.

    Examples
    --------
    >>> link = download_link(pd.DataFrame({"a": [1]}), 'Trust "<b>"')
    >>> link.startswith('<p class="cip-download"><a download="trust-b.csv" href="data:text/csv;')
    True
    >>> 'aria-label="Download the data (CSV): Trust &quot;&lt;b&gt;&quot;"' in link
    True
    """
    file_name = name or csv_file_name(title)
    label = f"{DOWNLOAD_TEXT}: {title}" if title else DOWNLOAD_TEXT
    return (f'<p class="cip-download"><a download="{html.escape(file_name, quote=True)}" '
            f'href="{csv_data_uri(table)}" aria-label="{html.escape(label, quote=True)}">{DOWNLOAD_TEXT}</a></p>')


def attach_data(fig, table: pd.DataFrame):
    """Leave the table ``fig`` draws on it as ``fig.data`` (for its download link); returns ``fig``."""
    fig.data = table.reset_index(drop=True)
    return fig


def figure_data_link(fig) -> str:
    """The download link of a figure's ``fig.data``, or '' when the figure carries no table."""
    table = getattr(fig, "data", None)
    if not isinstance(table, pd.DataFrame):
        return ""
    return download_link(table, getattr(fig, "title_text", None))


def network_table(G) -> pd.DataFrame:
    """One row per organisation of a network map: its label, sector, ties in and ties out.

    The label is the node's ``name`` attribute: a pseudonym on a stakeholder page, since the
    network is built from the stakeholder copy of the study. Rows are in the order of the
    graph's nodes.

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.DiGraph()
    >>> G.add_node("a", name="Council 01", sector_group="council")
    >>> G.add_node("b", name="VCSE 01", sector_group="vcse")
    >>> G.add_edge("b", "a")
    >>> network_table(G).values.tolist()
    [['Council 01', 'Council', 1, 0], ['VCSE 01', 'VCSE', 0, 1]]
    """
    from analysis.schema import SECTOR_GROUP_LABELS

    rows = []
    for v, d in G.nodes(data=True):
        group = d.get("sector_group")
        ties_in = G.in_degree(v) if G.is_directed() else G.degree(v)
        ties_out = G.out_degree(v) if G.is_directed() else G.degree(v)
        rows.append((str(d.get("name", v)), SECTOR_GROUP_LABELS.get(group, group or ""), int(ties_in), int(ties_out)))
    return pd.DataFrame(rows, columns=["organisation", "sector", "ties_in", "ties_out"])


def matrix_table(row_labels, col_labels, values, *, hidden=None, counts=None, row_title: str = "row",
                 col_title: str = "column", value_title: str = "value", message: str = SUPPRESSED_MARK,
                 empty: str = "", decimals: int | None = None) -> pd.DataFrame:
    """A heatmap's matrix as a tidy table, as shown: one row per cell, hidden cells blank and marked.

    Parameters
    ----------
    row_labels, col_labels : sequence of str
        The heatmap's row and column labels.
    values : 2-D array
        The values drawn (NaN where no value).
    hidden : 2-D bool array, optional
        Cells the figure does not show (suppressed): their value and count are blank and
        the ``note`` column says ``message``.
    counts : 2-D array, optional
        The number each value rests on, shown as column ``n``.
    row_title, col_title, value_title : str
        Column names.
    message : str or 2-D array of str
        The note of a hidden cell (e.g. "fewer than 5 ratings"), or of each cell.
    empty : str
        The note of a cell with no value that is not hidden (e.g. "no ties").
    decimals : int, optional
        Round values as the figure prints them.

    Examples
    --------
    >>> import numpy as np
    >>> t = matrix_table(["A", "B"], ["A"], np.array([[2.5], [3.0]]), hidden=np.array([[False], [True]]),
    ...                  counts=np.array([[6], [2]]), message="fewer than 5 ratings")
    >>> t.values.tolist()
    [['A', 'A', 2.5, 6, ''], ['B', 'A', None, None, 'fewer than 5 ratings']]
    """
    import numpy as np

    values = np.asarray(values, dtype=float)
    hidden = np.zeros(values.shape, dtype=bool) if hidden is None else np.asarray(hidden, dtype=bool)
    messages = np.broadcast_to(np.asarray(message, dtype=object), values.shape)
    rows = []
    for i, r in enumerate(row_labels):
        for j, c in enumerate(col_labels):
            value = None if hidden[i, j] or np.isnan(values[i, j]) else float(values[i, j])
            if value is not None and decimals is not None:
                value = round(value, decimals)
            row = [str(r), str(c), value]
            if counts is not None:
                row.append(None if hidden[i, j] else int(np.asarray(counts)[i, j]))
            row.append(messages[i, j] if hidden[i, j] else (empty if value is None else ""))
            rows.append(row)
    cols = [row_title, col_title, value_title] + (["n"] if counts is not None else []) + ["note"]
    return pd.DataFrame(rows, columns=cols, dtype=object)
