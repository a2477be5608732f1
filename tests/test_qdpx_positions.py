"""Counting character positions as each REFI-QDA exporter counts them (analysis.qdpx.positions)."""

from __future__ import annotations

import pytest

from analysis.qdpx.positions import PositionError, extract_text
from tests.qdpx_fixtures import position


@pytest.mark.parametrize("unit,crlf,start,end,expected", [
    # "a🤝b\r\nc": code points a0 🤝1 b2 \r3 \n4 c5; UTF-16 units a0 🤝1-2 b3 \r4 \n5 c6
    ("codepoints", "two", 1, 3, "🤝b"),
    ("utf16", "two", 1, 4, "🤝b"),
    ("utf16", "two", 3, 7, "b\r\nc"),
    ("utf16", "one", 3, 6, "b\r\nc"),
    ("codepoints", "one", 4, 5, "c"),  # a0 🤝1 b2 CRLF3 c4
    ("codepoints", "two", 0, 0, ""),
])
def test_extract_text_counts_as_each_exporter(unit, crlf, start, end, expected):
    assert extract_text("a🤝b\r\nc", start, end, unit, crlf) == expected


@pytest.mark.parametrize("start,end,why", [(2, 3, "split"), (0, 9, "beyond"), (3, 1, "forward"), (-1, 2, "forward")])
def test_extract_text_rejects_impossible_positions(start, end, why):
    with pytest.raises(PositionError, match=why):
        extract_text("a🤝b\r\nc", start, end, "utf16", "two")


def test_builder_positions_are_worked_out_independently():
    # Hand count: "Hi 😟 you": H0 i1 ' '2 😟3(-4 in UTF-16) ' ' you
    assert position("Hi 😟 you", 5, "utf16", "two") == 6
    assert position("Hi 😟 you", 5, "codepoints", "two") == 5
    assert position("a\r\nb", 3, "codepoints", "one") == 2
