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

__all__ = ["PositionConvention", "PositionError", "ORIGIN_CONVENTIONS", "extract_text", "choose_convention"]


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


def _offsets(text: str, unit: str, crlf: str) -> np.ndarray:
    """Position (in the exporter's units) of each index of ``text``; one more for the end."""
    points = np.frombuffer(text.encode("utf-32-le"), dtype="<u4")
    weights = np.ones(len(points), dtype=np.int64)
    if unit == "utf16":
        weights[points > 0xFFFF] = 2
    if crlf == "one" and len(points) > 1:
        crlf_at = (points[:-1] == 0x0D) & (points[1:] == 0x0A)
        weights[:-1][crlf_at] = 0  # the CR of CR LF takes no position of its own
    out = np.zeros(len(points) + 1, dtype=np.int64)
    np.cumsum(weights, out=out[1:])
    return out


class PositionError(ValueError):
    """A selection's positions do not fall on characters of its source's text."""


def extract_text(text: str, start: int, end: int, unit: str = "codepoints", crlf: str = "two",
                 _offsets_cache: np.ndarray | None = None) -> str:
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
    offsets = _offsets_cache if _offsets_cache is not None else _offsets(text, unit, crlf)
    total = int(offsets[-1])
    if start < 0 or end < start:
        raise PositionError(f"positions {start}-{end} are not a forward range")
    if end > total:
        raise PositionError(f"end position {end} is beyond the end of the text ({total} positions)")
    i, j = (int(x) for x in np.searchsorted(offsets, [start, end], side="left"))
    if offsets[i] != start or offsets[j] != end:
        raise PositionError(f"positions {start}-{end} split a character in two (wrong position unit?)")
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
    named = [(s, p) for s, p in named if p and project.sources.get(s.source) and project.sources[s.source].text is not None]
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
                        cache[key] = _offsets(text, u, c)
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
