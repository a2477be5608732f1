"""Tests for analysis.suppression: primary and secondary suppression worked by hand, escaped tables."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.look import inline_look
from analysis.suppression import disclosure_table, html_table, phase_change, suppress, suppression_mask

# -- suppression, worked by hand --------------------------------------------------------------

def test_primary_suppression_never_shows_value_or_zero():
    t = pd.DataFrame({"group": ["a", "b", "c", "d"], "mean": [3.5, 2.0, 0.0, 4.0], "n": [5, 4, 0, pd.NA]})
    out = suppress(t, "mean", "n", 5)
    msg = "fewer than 5 responses"
    assert out["mean"].tolist() == [3.5, msg, msg, msg]
    assert out["n"].tolist() == [5, msg, msg, msg]  # n = 0 shows the message, not 0
    ratings = suppress(t, "mean", "n", 5, unit="ratings")
    assert ratings["mean"].tolist()[1] == "fewer than 5 ratings"


def test_internal_threshold_shows_everything_but_empty_cells():
    t = pd.DataFrame({"group": ["a", "b"], "mean": [2.0, float("nan")], "n": [1, 0]})
    out = suppress(t, "mean", "n", 1)
    assert out["mean"].tolist() == [2.0, "no responses"]


def test_secondary_suppression_one_way_with_total():
    # n: vcse 10, faith 3, health 6, council 7, All 26. faith < 5 -> hidden; it could be
    # recovered as 26 - 10 - 6 - 7, so the smallest other part (health, 6) is hidden too.
    t = pd.DataFrame({"sector": ["vcse", "faith", "health", "council", "All"],
                      "count": [10, 3, 6, 7, 26]})
    t["n"] = t["count"]
    assert suppression_mask(t, "n", 5, margins={"sector": "All"}).tolist() == [False, True, True, False, False]
    # Without a total nothing can be subtracted: only the small cell goes.
    assert suppression_mask(t.iloc[:4], "n", 5).tolist() == [False, True, False, False]


def test_secondary_suppression_with_two_parts_and_with_one():
    # Two parts, one small: the other part would be the total minus the hidden one, and
    # hiding it still leaves the total equal to their sum, so: hide it as well (both parts),
    # total stays.
    t = pd.DataFrame({"g": ["x", "y", "All"], "n": [2, 9, 11]})
    assert suppression_mask(t, "n", 5, margins={"g": "All"}).tolist() == [True, True, False]
    # One part only: it equals the total, so the total must go too.
    t1 = pd.DataFrame({"g": ["x", "All"], "n": [2, 2]})
    assert suppression_mask(t1, "n", 5, margins={"g": "All"}).tolist() == [True, True]


def test_secondary_suppression_two_way_with_row_and_column_totals():
    """Worked by hand (rows A-C, columns X-Z, margins "All"):

           X   Y   Z   All
        A 10   3   7   20      (A,Y) = 3 < 5: primary.
        B  8   9  20   37      Row A: one hidden -> hide smallest shown in row A: (A,Z) 7.
        C  6  12  15   33      Columns: Y has (A,Y) -> hide (B,Y) 9; Z has (A,Z) -> hide (C,Z) 15.
      All 24  24  42   90      Rows again: B has (B,Y) -> hide (B,X) 8; C has (C,Z) -> hide (C,X) 6.
    Now every row and column with a hidden cell has two: done. Shown: (A,X), (B,Z), (C,Y) and
    all margins. The hidden cells form a 6-cycle, so the margins give 5 independent
    equations for 6 unknowns: no hidden value is determined.
    """
    grid = {"A": [10, 3, 7, 20], "B": [8, 9, 20, 37], "C": [6, 12, 15, 33], "All": [24, 24, 42, 90]}
    rows = [(r, c, n) for r, ns in grid.items() for c, n in zip(["X", "Y", "Z", "All"], ns, strict=False)]
    t = pd.DataFrame(rows, columns=["row", "col", "n"])
    mask = suppression_mask(t, "n", 5, margins={"col": "All", "row": "All"})
    hidden = {(r, c) for (r, c, _), m in zip(rows, mask, strict=False) if m}
    assert hidden == {("A", "Y"), ("A", "Z"), ("B", "Y"), ("C", "Z"), ("B", "X"), ("C", "X")}


def test_phase_change_suppressed_when_either_phase_is():
    # before: a 6, b 3, c 8, All 17 -> b primary, a (6) secondary.
    # after:  a 7, b 8, c 2, All 17 -> c primary, a (7) secondary.
    t = pd.DataFrame({
        "phase_id": ["p1"] * 4 + ["p2"] * 4,
        "g": ["a", "b", "c", "All"] * 2,
        "mean": [2.0, 3.0, 1.0, 2.0, 2.5, 3.5, 1.5, 2.75],
        "n": [6, 3, 8, 17, 7, 8, 2, 17],
    })
    c = phase_change(t, "g", "mean", "p1", "p2", threshold=5, margins={"g": "All"})
    assert c["g"].tolist() == ["a", "b", "c", "All"]
    assert c["before_suppressed"].tolist() == [True, True, False, False]
    assert c["after_suppressed"].tolist() == [True, False, True, False]
    assert c["change_suppressed"].tolist() == [True, True, True, False]
    assert c["change"].tolist() == [0.5, 0.5, 0.5, 0.75]
    shown = suppress(c, ["before", "after", "change"], "n_after", 5, mask=c["change_suppressed"], hide_n=False)
    assert shown.loc[3, "change"] == 0.75 and shown.loc[1, "change"] == "fewer than 5 responses"


def test_phase_change_cell_missing_in_one_phase_is_suppressed():
    t = pd.DataFrame({"phase_id": ["p1", "p1", "p2"], "g": ["a", "b", "a"], "mean": [1.0, 2.0, 1.5],
                      "n": [9, 9, 9]})
    c = phase_change(t, "g", "mean", "p1", "p2", threshold=5)
    assert c.set_index("g").loc["b", "change_suppressed"]
    assert not c.set_index("g").loc["a", "change_suppressed"]


def test_margin_column_missing_is_an_error():
    with pytest.raises(KeyError, match="sector"):
        suppression_mask(pd.DataFrame({"g": ["a"], "n": [1]}), "n", 5, margins={"sector": "All"})


# -- HTML -----------------------------------------------------------------------------------

def test_disclosure_table_hides_small_cells():
    t = pd.DataFrame({"sector": ["VCSE", "Council & partners"], "mean": [3.25, 1.75], "n": [8, 2]})
    page = disclosure_table(t, "mean", "n", 5, formats={"mean": "{:.2f}"}, caption="Trust received")
    assert "3.25" in page and "1.75" not in page
    assert page.count("fewer than 5 responses") == 2  # mean and n
    assert "Council &amp; partners" in page
    assert 'class="cip-suppressed"' in page
    assert page._repr_html_() == inline_look(str(page)) != str(page)  # shown with the pages' look inline


def test_html_table_blank_cells():
    t = pd.DataFrame({"a": pd.array([pd.NA, "x"], dtype="string"), "b": [float("nan"), 1.5], "c": [None, True]})
    page = html_table(t, index=True)
    assert page.count("<td></td>") == 2 and '<td class="cip-number"></td>' in page  # NA, None; NaN
    assert "<td>x</td>" in page and 'class="cip-number">1.5<' in page and "nan" not in page.lower()
