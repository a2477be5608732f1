"""Small-cell suppression (primary and secondary) and the escaped HTML tables that show it.

A statistic resting on fewer respondents or ratings than the disclosure threshold is not shown on a stakeholder
page, nor is any cell from which it could be worked back (:func:`suppression_mask`); the
threshold of a page comes from :func:`analysis.disclosure.disclosure_threshold`.
"""

from __future__ import annotations

import dataclasses
import html

import numpy as np
import pandas as pd

from analysis.look import NUMBER_CLASS, inline_look

__all__ = [
    "suppression_message",
    "suppression_mask",
    "suppress",
    "phase_change",
    "html_table",
    "disclosure_table",
    "SafeHTML",
    "Cell",
    "DisclosurePlan",
    "recoverable",
    "plan_cells",
]


def suppression_message(threshold: int, unit: str = "responses") -> str:
    """What a suppressed cell says.

    Examples
    --------
    >>> suppression_message(5), suppression_message(5, "ratings"), suppression_message(1)
    ('fewer than 5 responses', 'fewer than 5 ratings', 'no responses')
    """
    return f"no {unit}" if threshold <= 1 else f"fewer than {threshold} {unit}"


def suppression_mask(table: pd.DataFrame, n_col: str = "n", threshold: int = 5, *,
                     margins: dict | None = None) -> pd.Series:
    """Which rows of a tidy table a stakeholder page must suppress.

    Rules
    -----
    1. Primary: a row whose count ``n`` is below ``threshold`` (or missing) is suppressed.
    2. Secondary, for tables that show totals (``margins``): ``margins`` maps a label
       column to the label of its total row, e.g. ``{"sector": "All"}`` for a one-way
       table with a total, or ``{"from_group": "All", "to_group": "All"}`` for a two-way
       table with row and column totals. For each such column, the rows that agree on every
       other label column form a line whose parts add up to its total row. When exactly one
       part of a line is suppressed, its value could be recovered from the total by
       subtraction, so the unsuppressed part with the smallest ``n`` is suppressed too (ties:
       first in table order); when no other part is left, the total is suppressed. Lines are
       revisited until nothing changes, so a suppression made for a column is covered in its
       row too.
    3. Changes between phases (:func:`phase_change`): a change is suppressed when either
       phase's cell is (after rules 1 and 2 in each phase).

    Parameters
    ----------
    table : DataFrame
        Tidy: one row per cell, label columns, value columns and a count column.
    n_col : str
        The count of respondents or ratings each row rests on.
    threshold : int
        The threshold (:func:`threshold`).
    margins : dict, optional
        ``{label column: total label}`` as above.

    Returns
    -------
    Series of bool, aligned with ``table``.

    Examples
    --------
    One-way table with a total: "faith" (n 3) is below 5, so the smallest other part,
    "health" (n 6), is suppressed too; the total stays.

    >>> t = pd.DataFrame({"sector": ["vcse", "faith", "health", "council", "All"],
    ...                   "n": [10, 3, 6, 7, 26]})
    >>> suppression_mask(t, "n", 5, margins={"sector": "All"}).tolist()
    [False, True, True, False, False]
    """
    n = pd.to_numeric(table[n_col], errors="coerce")
    mask = (n.isna() | (n < threshold)).to_numpy().copy()
    if not margins or threshold <= 1:
        return pd.Series(mask, index=table.index, name="suppressed")
    label_cols = list(margins)
    for col in label_cols:
        if col not in table:
            raise KeyError(f"margin column {col!r} is not in the table")
    nvals = n.fillna(-1).to_numpy()
    lines = []  # (part positions, total positions)
    for col, total_label in margins.items():
        others = [c for c in label_cols if c != col]
        is_total = (table[col].astype("object") == total_label).to_numpy()
        keys = (table[others].astype("object").apply(tuple, axis=1) if others
                else pd.Series([()] * len(table), index=table.index))
        for _, idx in pd.Series(range(len(table)), index=table.index).groupby(keys.to_numpy(), sort=False):
            pos = idx.to_numpy()
            totals = [p for p in pos if is_total[p]]
            if not totals:
                continue
            lines.append(([p for p in pos if not is_total[p]], totals))
    changed = True
    while changed:
        changed = False
        for parts, totals in lines:
            if all(mask[t] for t in totals):
                continue  # the total is hidden: nothing to subtract from
            hidden = [p for p in parts if mask[p]]
            if len(hidden) != 1:
                continue
            shown = [p for p in parts if not mask[p]]
            if shown:
                mask[min(shown, key=lambda p: (nvals[p], p))] = True
            else:
                for t in totals:
                    mask[t] = True
            changed = True
    return pd.Series(mask, index=table.index, name="suppressed")


def suppress(table: pd.DataFrame, value_cols, n_col: str = "n", threshold: int = 5, *, unit: str = "responses",
             margins: dict | None = None, mask: pd.Series | None = None, formats: dict | None = None,
             hide_n: bool = True) -> pd.DataFrame:
    """A display copy of a tidy table with suppressed cells saying so.

    Rows chosen by :func:`suppression_mask` (or ``mask``) show
    :func:`suppression_message` in every value column and in the count column: never the
    value, never 0. Other cells are formatted with ``formats`` (``{column: "{:.2f}"}`` or a
    function) when given.

    Parameters
    ----------
    table : DataFrame
        Tidy, with label columns, ``value_cols`` and ``n_col``.
    value_cols : str or list of str
        The statistics to suppress.
    n_col : str
        The count each row rests on.
    threshold : int
        The threshold.
    unit : str
        "responses" or "ratings" (the message says "fewer than 5 ratings").
    margins : dict, optional
        Total rows, for secondary suppression (see :func:`suppression_mask`).
    mask : Series of bool, optional
        Rows to suppress, instead of computing them (e.g. from :func:`phase_change`).
    formats : dict, optional
        ``{column: format string or callable}`` for the cells shown.
    hide_n : bool
        Also replace the count of a suppressed row (default True).

    Returns
    -------
    DataFrame
        Object columns, ready for :func:`html_table`.

    Examples
    --------
    >>> t = pd.DataFrame({"sector": ["VCSE", "Faith"], "mean": [3.25, 1.0], "n": [8, 2]})
    >>> suppress(t, "mean", "n", 5, formats={"mean": "{:.1f}"}).values.tolist()
    [['VCSE', '3.2', 8], ['Faith', 'fewer than 5 responses', 'fewer than 5 responses']]
    """
    value_cols = [value_cols] if isinstance(value_cols, str) else list(value_cols)
    if mask is None:
        mask = suppression_mask(table, n_col, threshold, margins=margins)
    mask = pd.Series(mask, index=table.index).fillna(True).astype(bool)
    out = table.astype("object").copy()
    for col, fmt in (formats or {}).items():
        f = fmt.format if isinstance(fmt, str) else fmt
        out[col] = [f(v) if pd.notna(v) else "" for v in table[col]]
    message = suppression_message(threshold, unit)
    cols = value_cols + ([n_col] if hide_n and n_col in out else [])
    for col in cols:
        out[col] = out[col].where(~mask, message)
    return out


def phase_change(table: pd.DataFrame, by, value_col: str, before: str, after: str, *,
                 n_col: str = "n", threshold: int = 5, phase_col: str = "phase_id",
                 margins: dict | None = None) -> pd.DataFrame:
    """A statistic in two phases and its change, with the suppression of each.

    Each phase's rows are suppressed by :func:`suppression_mask` (with ``margins``), and
    the change is suppressed when either phase's cell is: otherwise ``after - change`` would
    reveal a hidden ``before``. A cell missing from one phase counts as n = 0 there.

    Parameters
    ----------
    table : DataFrame
        Tidy, with ``phase_col``, the ``by`` label columns, ``value_col`` and ``n_col``.
    by : str or list of str
        Label columns identifying a cell.
    value_col, n_col : str
    before, after : str
        The two phase ids.
    threshold : int
    phase_col : str
    margins : dict, optional

    Returns
    -------
    DataFrame
        ``by`` columns, then ``before``, ``after``, ``change``, ``n_before``, ``n_after``,
        ``before_suppressed``, ``after_suppressed``, ``change_suppressed``.

    Examples
    --------
    >>> t = pd.DataFrame({"phase_id": ["p1", "p1", "p2", "p2"], "group": ["a", "b", "a", "b"],
    ...                   "mean": [2.0, 3.0, 2.5, 3.5], "n": [6, 3, 7, 8]})
    >>> c = phase_change(t, "group", "mean", "p1", "p2", threshold=5)
    >>> c[["group", "change", "change_suppressed"]].values.tolist()
    [['a', 0.5, False], ['b', 0.5, True]]
    """
    by = [by] if isinstance(by, str) else list(by)
    parts = {}
    for label, phase in (("before", before), ("after", after)):
        sub = table[table[phase_col] == phase]
        sub = sub.assign(_suppressed=suppression_mask(sub, n_col, threshold, margins=margins))
        parts[label] = sub[by + [value_col, n_col, "_suppressed"]].rename(
            columns={value_col: label, n_col: f"n_{label}", "_suppressed": f"{label}_suppressed"})
    out = parts["before"].merge(parts["after"], on=by, how="outer", sort=False)
    # Rows in the order the table first lists them (an outer merge may sort them).
    both = table[table[phase_col].isin([before, after])]
    order = {k: i for i, k in enumerate(dict.fromkeys(both[by].itertuples(index=False, name=None)))}
    out = out.iloc[sorted(range(len(out)), key=lambda i: order.get(tuple(out[by].iloc[i]), len(order)))]
    for label in ("before", "after"):
        out[f"n_{label}"] = out[f"n_{label}"].fillna(0)
        out[f"{label}_suppressed"] = out[f"{label}_suppressed"].astype("boolean").fillna(True).astype(bool)
    out["change"] = out["after"] - out["before"]
    out["change_suppressed"] = out["before_suppressed"] | out["after_suppressed"]
    return out[by + ["before", "after", "change", "n_before", "n_after",
                     "before_suppressed", "after_suppressed", "change_suppressed"]].reset_index(drop=True)


# -- HTML -----------------------------------------------------------------------------------

class SafeHTML(str):
    """HTML built with every piece of study text escaped; displays as HTML in Jupyter.

    Displayed, its tables carry the pages' look as inline styles (text left, numbers right,
    the rules and zebra rows of the pages: :func:`analysis.look.inline_look`), so they look in
    JupyterLab as on a rendered page; the text of the object (``str``) is the bare markup.
    """

    def _repr_html_(self) -> str:
        return inline_look(str(self))


def html_table(table: pd.DataFrame, *, caption: str | None = None, headers: dict | None = None,
               index: bool = False, muted: str | None = "fewer than", download: bool = True,
               number_columns=()) -> SafeHTML:
    """An HTML ``<table>`` of a display frame with every cell, header and caption escaped.

    Parameters
    ----------
    table : DataFrame
        What to show (e.g. from :func:`suppress`).
    caption : str, optional
        Plain-language caption (escaped).
    headers : dict, optional
        ``{column: heading}`` to rename columns for readers.
    index : bool
        Also show the index.
    muted : str or None
        Cells starting with this text get ``class="cip-suppressed"`` (set None to not mark).
    download : bool
        Follow the table with a "Download the data (CSV)" link holding the cells as shown
        (:func:`analysis.downloads.download_link`).
    number_columns : iterable of str
        Columns holding numbers formatted as text ("3.25", "1,702"): their cells are marked
        as numbers too. Cells of a numeric type always are. Numbers are marked with
        ``class="cip-number"`` (:data:`analysis.look.NUMBER_CLASS`), which pages and, when
        displayed, JupyterLab right-align.

    Returns
    -------
    SafeHTML
        A str that Jupyter displays as HTML.

    Examples
    --------
    >>> t = pd.DataFrame({"organisation": ["<script>alert(1)</script>"], "n": [3]})
    >>> print(html_table(t, download=False))  # doctest: +NORMALIZE_WHITESPACE
    <table class="cip-table"><thead><tr><th scope="col">organisation</th><th
    scope="col">n</th></tr></thead><tbody><tr><td>&lt;script&gt;alert(1)&lt;/script&gt;</td><td
    class="cip-number">3</td></tr></tbody></table>
    """
    headers = headers or {}

    def e(v) -> str:
        return html.escape("" if v is None or (not isinstance(v, str) and pd.isna(v)) else str(v), quote=True)

    cols = list(table.columns)
    head = ""
    if index:
        head += f'<th scope="col">{e(table.index.name or "")}</th>'
    number_columns = set(number_columns)
    number_head = f' class="{NUMBER_CLASS}"'  # a heading over numbers formatted as text sits right, over them
    head += "".join(f'<th scope="col"{number_head if c in number_columns else ""}>{e(headers.get(c, c))}</th>'
                    for c in cols)
    numbers = [c in number_columns for c in cols]
    rows = []
    for idx, row in zip(table.index, table.itertuples(index=False, name=None), strict=False):
        cells = f'<th scope="row">{e(idx)}</th>' if index else ""
        for v, number in zip(row, numbers, strict=True):
            cls = ""
            if isinstance(v, str) and (muted and v.startswith(muted) or v in ("no responses", "no ratings")):
                cls = ' class="cip-suppressed"'
            elif number or isinstance(v, (int, float)) and not isinstance(v, bool):
                cls = f' class="{NUMBER_CLASS}"'
            cells += f"<td{cls}>{e(v)}</td>"
        rows.append(f"<tr>{cells}</tr>")
    cap = f"<caption>{e(caption)}</caption>" if caption else ""
    link = _download_link(table, caption, headers, index) if download else ""  # analysis.downloads
    return SafeHTML(f'<table class="cip-table">{cap}<thead><tr>{head}</tr></thead>'
                    f'<tbody>{"".join(rows)}</tbody></table>{link}')


def _download_link(table: pd.DataFrame, caption, headers, index) -> str:
    """The table's CSV link: the cells as shown, under the headings shown."""
    from analysis.downloads import download_link

    shown = (table.reset_index() if index else table).rename(columns=headers or {})
    return download_link(shown, caption)


def disclosure_table(table: pd.DataFrame, value_cols, n_col: str = "n", threshold: int = 5, *,
                     unit: str = "responses", margins: dict | None = None, formats: dict | None = None,
                     caption: str | None = None, headers: dict | None = None) -> SafeHTML:
    """Suppress small cells (:func:`suppress`) and show the result as an escaped HTML table.

    The one call a notebook makes to show a table of statistics:
    ``disclosure_table(frame, "mean", "n", disclosure_threshold(s), formats={"mean": "{:.1f}"},
    caption="...")``.

    Examples
    --------
    >>> t = pd.DataFrame({"sector": ["VCSE", "A & B"], "mean": [3.25, 1.0], "n": [8, 2]})
    >>> h = disclosure_table(t, "mean", "n", 5, formats={"mean": "{:.1f}"})
    >>> "A &amp; B" in h, "fewer than 5 responses" in h, "1.0" in h
    (True, True, False)
    """
    shown = suppress(table, value_cols, n_col, threshold, unit=unit, margins=margins, formats=formats)
    return html_table(shown, caption=caption, headers=headers)


# -- suppression decided for a whole page ---------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Cell:
    """One statistic a page would show, as a linear function of the unknown values behind it.

    ``weights`` maps each unit (a rating, say) to its coefficient: a mean of ``n`` ratings
    has weight ``1/n`` on each of them, a difference of two means the difference of their
    weights. Counts are shown beside means, so a mean and a sum reveal the same.
    ``priority`` orders secondary suppression: lower is hidden first.
    """

    key: tuple
    n: int
    weights: dict
    priority: int = 1


@dataclasses.dataclass(frozen=True)
class DisclosurePlan:
    """Which statistics of a page are hidden: ``primary`` (fewer than ``threshold`` ratings) and ``secondary``.

    Every figure and table of the page asks the same plan (:meth:`hidden`), so a cell hidden
    in one cannot be worked back from what another shows.
    """

    threshold: int
    primary: frozenset
    secondary: frozenset

    def hidden(self, key: tuple) -> bool:
        return key in self.primary or key in self.secondary

    def reason(self, key: tuple) -> str | None:
        """"primary", "secondary" or None (shown)."""
        return "primary" if key in self.primary else "secondary" if key in self.secondary else None


def _in_span(rows: np.ndarray, target: np.ndarray) -> bool:
    """Whether ``target`` is a linear combination of ``rows`` (so its value follows from theirs)."""
    if rows.shape[0] == 0:
        return not target.any()
    coef, *_ = np.linalg.lstsq(rows.T, target, rcond=None)
    return bool(np.linalg.norm(rows.T @ coef - target) <= 1e-9 * max(1.0, float(np.linalg.norm(target))))


def recoverable(cells, hidden, key) -> bool:
    """Whether the value of cell ``key`` follows exactly from the cells not in ``hidden`` (and their n).

    Examples
    --------
    A mean of three ratings a, b, c is shown with n = 3; a cell of a alone is hidden;
    the mean of b and c is shown: a = 3 * mean - 2 * mean(b, c).

    >>> cells = [Cell(("all",), 3, {"a": 1/3, "b": 1/3, "c": 1/3}), Cell(("a",), 1, {"a": 1.0}),
    ...          Cell(("bc",), 2, {"b": 0.5, "c": 0.5})]
    >>> recoverable(cells, {("a",)}, ("a",)), recoverable(cells, {("a",), ("bc",)}, ("a",))
    (True, False)
    """
    units = sorted({u for c in cells for u in c.weights}, key=repr)
    index = {u: i for i, u in enumerate(units)}

    def row(c):
        v = np.zeros(len(units))
        for u, w in c.weights.items():
            v[index[u]] += w
        return v

    target = next(row(c) for c in cells if c.key == key)
    shown = [row(c) for c in cells if c.key not in hidden]
    return _in_span(np.array(shown).reshape(len(shown), len(units)), target)


def _first_exposed(matrix: np.ndarray, shown: list, hidden: list):
    """The first hidden row that is a combination of the shown rows, with one such combination
    (minimum norm) and a basis of all combinations of the shown rows that sum to nothing."""
    if not shown:
        return None, None, None
    A = matrix[shown].T  # units x shown cells: A @ a is a combination of the shown cells
    U, S, Vt = np.linalg.svd(A, full_matrices=A.shape[0] < A.shape[1])  # Vt square: the whole null space
    tol = max(A.shape) * np.finfo(float).eps * (S[0] if S.size else 0.0) * 100
    rank = int((S > tol).sum())
    basis = U[:, :rank]
    for h in hidden:
        target = matrix[h]
        if np.linalg.norm(target - basis @ (basis.T @ target)) <= 1e-9 * max(1.0, float(np.linalg.norm(target))):
            solution = Vt[:rank].T @ ((U[:, :rank].T @ target) / S[:rank])
            return h, solution, Vt[rank:].T
    return None, None, None


def plan_cells(cells, threshold: int, *, forced=()) -> DisclosurePlan:
    """Decide, for a whole page, which cells to hide so that none hidden can be recovered.

    Rules
    -----
    1. Primary: a cell resting on fewer than ``threshold`` ratings (``n < threshold``) is hidden, and so is
       every cell in ``forced`` (hidden on another page whose values this one repeats).
    2. Secondary: while some hidden cell's value is a linear combination of the shown
       cells' values (a mean and its n, a total minus its parts, the difference of two
       phases, and any mix of them), one more shown cell is hidden: the first, in order of
       ``priority`` then smallest ``n``, whose hiding makes that combination impossible.

    Exact linear recovery is what is prevented (the subtraction attacks); bounds on a value
    (a mean of 1-4 ratings) are not.

    Parameters
    ----------
    cells : list of Cell
        Everything the page would show (cells with ``n`` 0 have no value and are left out).
    threshold : int
        The threshold; ``threshold <= 1`` hides nothing.
    forced : iterable of keys

    Returns
    -------
    DisclosurePlan

    Examples
    --------
    Two sector cells (a: 2 ratings, b: 6 ratings) and the page's mean over all 8 with its n:
    hiding a alone would not do (a = (8 * mean - 6 * b) / 2), so b is hidden too.

    >>> cells = [Cell(("cell", "a"), 2, {1: .5, 2: .5}), Cell(("cell", "b"), 6, {i: 1 / 6 for i in range(3, 9)}),
    ...          Cell(("mean",), 8, {i: 1 / 8 for i in range(1, 9)}, priority=2)]
    >>> plan = plan_cells(cells, 5)
    >>> sorted(plan.primary), sorted(plan.secondary)
    ([('cell', 'a')], [('cell', 'b')])
    """
    cells = [c for c in cells if c.n > 0]
    keys = [c.key for c in cells]
    forced = {f for f in forced if f in keys}
    if threshold <= 1 and not forced:
        return DisclosurePlan(threshold, frozenset(), frozenset())
    primary = {c.key for c in cells if c.n < threshold} | forced if threshold > 1 else set(forced)
    units = sorted({u for c in cells for u in c.weights}, key=repr)
    index = {u: i for i, u in enumerate(units)}
    rows = {}
    for c in cells:
        v = np.zeros(len(units))
        for u, w in c.weights.items():
            v[index[u]] += w
        rows[c.key] = v
    order = sorted(range(len(cells)), key=lambda i: (cells[i].priority, cells[i].n, i))
    hidden = set(primary)
    matrix = np.array([rows[key] for key in keys]).reshape(len(keys), len(units))
    for _ in range(len(cells)):
        shown = [i for i in range(len(keys)) if keys[i] not in hidden]
        exposed, solution, null = _first_exposed(matrix, shown, [i for i in range(len(keys)) if keys[i] in hidden])
        if exposed is None:
            break
        # a shown cell whose coefficient is the same in every way of writing the hidden one
        # (a null-space component of 0) and not 0 is needed by all of them: hiding it is enough
        position = {i: j for j, i in enumerate(shown)}
        needed = [i for i in order if i in position and abs(solution[position[i]]) > 1e-9
                  and (null.shape[1] == 0 or np.abs(null[position[i]]).max() < 1e-9)]
        used = [i for i in order if i in position and abs(solution[position[i]]) > 1e-9]
        hidden.add(keys[(needed or used or [shown[0]])[0]])
    return DisclosurePlan(threshold, frozenset(primary), frozenset(hidden - primary))
