"""Small conversions shared by the measures and the figures: cells to numbers and text, labels wrapped."""

from __future__ import annotations

import textwrap

import pandas as pd

__all__ = ["as_float", "as_text", "wrap_label"]


def as_float(x) -> float:
    """A cell as a float: NaN for a missing value (None, NaN, pandas' NA).

    Examples
    --------
    >>> as_float(None), as_float("2.5"), as_float(pd.NA)
    (nan, 2.5, nan)
    """
    return float("nan") if x is None or pd.isna(x) else float(x)


def as_text(x) -> str | None:
    """A cell as text: None for a missing value.

    Examples
    --------
    >>> as_text(7), as_text(float("nan"))
    ('7', None)
    """
    return None if x is None or pd.isna(x) else str(x)


def wrap_label(text, width: int = 22) -> str:
    """A label wrapped onto lines of at most ``width`` characters, words kept whole.

    Examples
    --------
    >>> wrap_label("Council to VCSE trust gap", 12)
    'Council to\\nVCSE trust\\ngap'
    """
    return "\n".join(textwrap.wrap(str(text), width, break_long_words=False)) or str(text)
