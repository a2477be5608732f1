"""Character positions of coded selections: what each exporter counts, and the text they select.

The REFI-QDA standard speaks of character positions, but the programs count differently
(docs/qdpx.md gives the evidence):

* NVivo (.NET strings) counts UTF-16 code units, so an emoji outside the Basic
  Multilingual Plane counts two, and a Windows line break (CR LF) counts two.
* ATLAS.ti stores CR LF in the exported ``.txt`` but counts each line break as one.
* MAXQDA: line breaks count one (QualCoder offers a "line endings for MAXQDA" export
  option for this reason); UTF-16 units are assumed (Windows strings).
* QualCoder counts Python code points on text with LF line breaks, and writes its plain
  text files with a UTF-8 byte-order mark.

A byte-order mark at the start of a file is never a character of the text. The unit
(``codepoints`` or ``utf16``) and the weight of CR LF (``one`` or ``two``) are taken from
the project's ``origin`` attribute, checked against selection names where the exporter
writes the selected text's beginning there, and can be set on the command line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from analysis.qdpx.reader import Project

__all__ = ["PositionConvention", "PositionError", "PositionIndex", "ORIGIN_CONVENTIONS", "extract_text",
           "choose_convention"]


@dataclass(frozen=True)
class PositionConvention:
    """How an exporter counts positions: ``unit`` codepoints|utf16; ``crlf`` one|two."""

    unit: str = "codepoints"
    crlf: str = "two"
    reason: str = "default"

    def describe(self) -> str:
        unit = "UTF-16 code units" if self.unit == "utf16" else "Unicode code points"
        return f"{unit}, a CR LF line break counting {self.crlf} ({self.reason})"


#: What each exporter counts, matched case-insensitively in the project's ``origin``.
ORIGIN_CONVENTIONS = (
    ("nvivo", "utf16", "two"),
    ("atlas", "utf16", "one"),
    ("maxqda", "utf16", "one"),
    ("qualcoder", "codepoints", "one"),
)


class PositionIndex:
    """Where a position, counted as an exporter counts, falls in a Python string.

    Positions differ from string indices only at characters outside the Basic Multilingual
    Plane (two UTF-16 units each) and at the CR of a CR LF (no position of its own when a
    line break counts one). So no array per character is kept: only the position at the
    start of every block of :attr:`BLOCK` characters (8 bytes per 4,096 characters), and a
    position inside a block is found by counting those characters in it.

    Examples
    --------
    >>> ix = PositionIndex("a🤝b\\r\\nc", "utf16", "one")
    >>> ix.total, ix.index_of(3), ix.index_of(5)
    (6, 2, 5)
    """

    BLOCK = 4096

    def __init__(self, text: str, unit: str = "codepoints", crlf: str = "two"):
        if unit not in ("codepoints", "utf16") or crlf not in ("one", "two"):
            raise ValueError(f"unit must be codepoints or utf16 and crlf one or two, not {unit!r}, {crlf!r}")
        self.text, self.unit, self.crlf = text, unit, crlf
        self.identity = unit == "codepoints" and crlf == "two"
        n = len(text)
        if self.identity:
            self.starts = None
            self.total = n
            return
        blocks = n // self.BLOCK + 1
        starts = np.empty(blocks + 1, dtype=np.int64)  # starts[k]: position of index k * BLOCK
        position = 0
        for k in range(blocks):
            starts[k] = position
            lo = k * self.BLOCK
            hi = min(lo + self.BLOCK, n)
            position += self._span(lo, hi)
        starts[blocks] = position
        self.starts = starts
        self.total = self.position_of(n)

    def _span(self, lo: int, hi: int) -> int:
        """Positions taken by ``text[lo:hi]``."""
        span = hi - lo
        if hi <= lo:
            return 0
        if self.unit == "utf16":
            chunk = self.text[lo:hi]
            if not chunk.isascii():
                span = len(chunk.encode("utf-16-le", "surrogatepass")) // 2
        if self.crlf == "one":
            # a CR LF whose CR is in [lo, hi): its CR takes no position
            span -= self.text.count("\r\n", lo, hi + 1) if hi < len(self.text) else self.text.count("\r\n", lo, hi)
        return span

    def position_of(self, index: int) -> int:
        """The position of string index ``index`` (0 to ``len(text)``)."""
        if self.identity:
            return index
        k = index // self.BLOCK
        return int(self.starts[k]) + self._span(k * self.BLOCK, index)

    def index_of(self, position: int) -> int:
        """The first string index at ``position``.

        Raises
        ------
        PositionError
            The position is negative, beyond the end, or inside a character (half of an
            emoji counted in UTF-16 units).
        """
        if position < 0:
            raise PositionError(f"position {position} is negative")
        if position > self.total:
            raise PositionError(f"position {position} is beyond the end of the text ({self.total} positions)")
        if self.identity:
            return position
        # the block whose start is the last one before the position, then bisect inside it
        k = max(int(np.searchsorted(self.starts, position, side="left")) - 1, 0)
        lo, hi = k * self.BLOCK, min((k + 1) * self.BLOCK, len(self.text))
        while lo < hi:  # smallest index in [lo, hi] whose position is >= position
            mid = (lo + hi) // 2
            if self.position_of(mid) < position:
                lo = mid + 1
            else:
                hi = mid
        if self.position_of(lo) != position:
            raise PositionError(f"position {position} splits a character in two (wrong position unit?)")
        return lo


class PositionError(ValueError):
    """A selection's positions do not fall on characters of its source's text."""


def extract_text(text: str, start: int, end: int, unit: str = "codepoints", crlf: str = "two",
                 index: PositionIndex | None = None) -> str:
    """The text between ``start`` and ``end`` (end excluded), counted as an exporter counts.

    Parameters
    ----------
    text : str
        The source's plain text, without a byte-order mark.
    start, end : int
        Positions from the selection (``startPosition``, ``endPosition``).
    unit : {"codepoints", "utf16"}
        ``utf16`` counts characters outside the Basic Multilingual Plane (most emoji) as two.
    crlf : {"two", "one"}
        Whether a CR LF line break takes two positions or one.
    index : PositionIndex, optional
        The text's position index for ``unit`` and ``crlf``, when one is kept per source.

    Returns
    -------
    str
        The selected text, exactly as in the source.

    Raises
    ------
    PositionError
        A position is negative, beyond the end of the text, splits an emoji in two
        (a sign of the wrong unit), or ``end`` comes before ``start``.

    Examples
    --------
    >>> extract_text("Trust 🤝 grew", 6, 11)
    '🤝 gre'
    >>> extract_text("Trust 🤝 grew", 6, 12, unit="utf16")
    '🤝 gre'
    >>> extract_text("one\\r\\ntwo", 4, 7, crlf="one")
    'two'
    """
    index = index if index is not None else PositionIndex(text, unit, crlf)
    if start < 0 or end < start:
        raise PositionError(f"positions {start}-{end} are not a forward range")
    if end > index.total:
        raise PositionError(f"end position {end} is beyond the end of the text ({index.total} positions)")
    try:
        i, j = index.index_of(start), index.index_of(end)
    except PositionError:
        raise PositionError(f"positions {start}-{end} split a character in two (wrong position unit?)") from None
    return text[i:j]


def _name_prefix(name: str) -> str | None:
    core = re.sub(r"(\.\.\.|…)\s*$", "", name or "").strip()
    core = " ".join(core.split())
    return core if len(core) >= 4 else None


def choose_convention(project: Project, unit: str = "auto", crlf: str = "auto") -> PositionConvention:
    """Decide how the project's positions are counted.

    An explicit ``unit`` or ``crlf`` wins. Otherwise the exporter named in the project's
    ``origin`` decides, unless the selections' names (where the exporter writes the
    beginning of the selected text) fit another convention better.

    Examples
    --------
    >>> p = Project("x", "project.qde", "p", "NVivo 14", {}, {}, {}, {}, {}, [])
    >>> choose_convention(p).unit, choose_convention(p).crlf
    ('utf16', 'two')
    >>> choose_convention(p, unit="codepoints").unit
    'codepoints'
    """
    origin = (project.origin or "").lower()
    base_unit, base_crlf, reason = "codepoints", "two", "exporter not recognised: the standard's reading"
    for key, u, c in ORIGIN_CONVENTIONS:
        if key in origin:
            base_unit, base_crlf, reason = u, c, f"as {project.origin!r} counts"
            break
    if unit != "auto" and crlf != "auto":
        return PositionConvention(unit, crlf, "set by option")
    units = [unit] if unit != "auto" else ["codepoints", "utf16"]
    crlfs = [crlf] if crlf != "auto" else ["two", "one"]
    default = (unit if unit != "auto" else base_unit, crlf if crlf != "auto" else base_crlf)

    named = [(s, _name_prefix(s.name)) for s in project.text_selections]
    named = [(s, p) for s, p in named
             if p and project.sources.get(s.source) and project.sources[s.source].text is not None]
    if named:
        scores = {}
        cache: dict = {}
        for u in units:
            for c in crlfs:
                hits = 0
                for s, prefix in named:
                    key = (s.source, u, c)
                    text = project.sources[s.source].text
                    if key not in cache:
                        cache[key] = PositionIndex(text, u, c)
                    try:
                        got = extract_text(text, s.start, s.end, u, c, cache[key])
                    except PositionError:
                        continue
                    got = " ".join(got.split())
                    if got.startswith(prefix) or (len(got) >= 4 and prefix.startswith(got)):
                        hits += 1
                scores[(u, c)] = hits
        best = max(scores.values())
        if best > scores.get(default, 0):
            choice = max(scores, key=lambda k: (scores[k], k == default))
            return PositionConvention(
                choice[0], choice[1],
                f"{best} of {len(named)} selection names match the text counted this way",
            )
        if best > 0 and scores.get(default, 0) == best:
            reason += f"; {best} of {len(named)} selection names confirm it"
    set_by = " (partly set by option)" if (unit != "auto" or crlf != "auto") else ""
    return PositionConvention(default[0], default[1], reason + set_by)
