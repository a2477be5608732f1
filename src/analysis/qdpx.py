"""Import coded interviews from REFI-QDA (.qdpx) projects exported by NVivo, ATLAS.ti, MAXQDA, QualCoder.

A ``.qdpx`` file is a zip holding one ``*.qde`` XML document (normally ``project.qde``;
ATLAS.ti names it after the project) and the sources in ``Sources/`` (NVivo) or
``sources/`` (MAXQDA, ATLAS.ti, QualCoder). :func:`read_qdpx` validates the XML against
the REFI-QDA Project schema shipped in ``analysis/resources`` and returns a
:class:`Project`: codebook (nested), users, variables, cases, sources with their plain
text, and every coded selection. :func:`import_evidence` turns the coded text selections
into rows of the study's ``evidence`` table, following a mapping file (docs/qdpx.md).

Character positions. The standard speaks of character positions, but the programs count
differently (docs/qdpx.md gives the evidence):

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

import argparse
import csv
import importlib.resources
import io
import os
import re
import sys
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path, PurePosixPath

import numpy as np
import pandas as pd
from lxml import etree

from analysis.files import write_new_file
from analysis.schema import DIRECTIONS, KINDS, STATUSES, TABLES
from analysis.study import StudyValidationError, load_study

__all__ = [
    "QdpxError",
    "NotAQdpxError",
    "ProjectFileMissingError",
    "QdpxXmlError",
    "MappingError",
    "Code",
    "User",
    "Variable",
    "Case",
    "Source",
    "Selection",
    "Project",
    "PositionConvention",
    "ImportResult",
    "read_qdpx",
    "extract_text",
    "choose_convention",
    "codes_table",
    "summarise",
    "starter_mapping",
    "read_mapping",
    "evidence_from_project",
    "import_evidence",
    "write_new_csv",
    "MAPPING_COLUMNS",
    "MAPPING_RULES",
]

NS = "urn:QDA-XML:project:1.0"
_Q = f"{{{NS}}}"
SCHEMA_RESOURCE = "refi-qda-project.xsd"

#: Columns of the mapping file (``note`` is free text, ignored by the import).
MAPPING_COLUMNS = ("rule", "match", "value", "kind", "theme_id", "direction", "status", "note")
#: The rules a mapping row can state.
MAPPING_RULES = (
    "code",
    "place_from_variable",
    "phase_from_variable",
    "place_from_set",
    "phase_from_set",
    "place_from_source",
    "phase_from_source",
)
SOURCE_LABELS = ("source", "case", "numbered")
SUMMARY_LENGTH = 200
UTF8_BOM = b"\xef\xbb\xbf"


# --------------------------------------------------------------------------- errors


class QdpxError(Exception):
    """A .qdpx file that cannot be read; the message says what is wrong and where."""


class NotAQdpxError(QdpxError):
    """The file is not a zip archive (every .qdpx file is one)."""

    def __init__(self, path, reason: str):
        self.path, self.reason = str(path), reason
        super().__init__(f"{path}: not a REFI-QDA project (.qdpx): {reason}")


class ProjectFileMissingError(QdpxError):
    """The zip holds no ``project.qde`` (nor any other ``.qde`` file at its top level)."""

    def __init__(self, path, members: list[str]):
        self.path, self.members = str(path), members
        shown = ", ".join(members[:8]) + (", ..." if len(members) > 8 else "") or "nothing"
        super().__init__(
            f"{path}: no project.qde inside (a .qdpx must hold project.qde at its top level); "
            f"the zip holds: {shown}"
        )


@dataclass(frozen=True)
class XmlProblem:
    """One problem found in the project XML, with its line and column."""

    line: int | None
    column: int | None
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}" if self.line else "line ?"
        if self.column:
            where += f", column {self.column}"
        return f"{where}: {self.message}"


class QdpxXmlError(QdpxError):
    """``project.qde`` is not well-formed XML, or does not match the REFI-QDA schema."""

    def __init__(self, path, member: str, problems: list[XmlProblem], what: str):
        self.path, self.member, self.problems, self.what = str(path), member, problems, what
        lines = "\n".join(f"  {member} {p}" for p in problems[:10])
        more = f"\n  ... and {len(problems) - 10} more" if len(problems) > 10 else ""
        super().__init__(f"{path}: {what}:\n{lines}{more}")


class MappingError(ValueError):
    """The mapping file breaks its rules; ``problems`` lists each as 'row N, column: reason'."""

    def __init__(self, path, problems: list[str]):
        self.path, self.problems = str(path), problems
        super().__init__(f"{path}: the mapping has {len(problems)} problem(s):\n" + "\n".join(f"  {p}" for p in problems))


# --------------------------------------------------------------------------- model


@dataclass
class Code:
    """A code of the codebook; ``path`` names it from the top, e.g. ``("Enablers", "Trust")``."""

    guid: str
    name: str
    path: tuple[str, ...]
    parent: str | None = None
    description: str = ""
    color: str | None = None
    codable: bool = True

    @property
    def path_text(self) -> str:
        return "/".join(self.path)


@dataclass
class User:
    """A user (coder) of the project."""

    guid: str
    name: str = ""
    id: str = ""


@dataclass
class Variable:
    """A case or source variable (attribute)."""

    guid: str
    name: str
    type: str


@dataclass
class Case:
    """A case: a named unit (often a participant or a site) with variable values."""

    guid: str
    name: str | None
    values: dict[str, str] = field(default_factory=dict)
    sources: set[str] = field(default_factory=set)
    selections: set[str] = field(default_factory=set)


@dataclass
class Source:
    """A source document. ``text`` is the plain text (byte-order mark removed) or None."""

    guid: str
    name: str
    kind: str  # TextSource, PDFSource, PictureSource, AudioSource, VideoSource
    plain_text_path: str | None = None
    rich_text_path: str | None = None
    path: str | None = None
    text: str | None = None
    text_problem: str | None = None
    text_member: str | None = None  # where in the zip the text came from ("inline" if in the XML)
    had_bom: bool = False
    values: dict[str, str] = field(default_factory=dict)
    sets: list[str] = field(default_factory=list)  # names of the sets (document groups) holding it


@dataclass
class Selection:
    """A coded selection. Text selections carry ``start`` and ``end`` in the exporter's units."""

    guid: str
    source: str  # guid of the Source
    kind: str  # text, pdf, picture, audio, video, transcript
    codes: list[str]  # code guids, in document order
    start: int | None = None
    end: int | None = None
    name: str = ""
    description: str = ""
    user: str | None = None
    line: int | None = None  # line of the element in project.qde


@dataclass
class Project:
    """Everything read from a .qdpx file."""

    path: str
    member: str
    name: str
    origin: str
    users: dict[str, User]
    codes: dict[str, Code]
    variables: dict[str, Variable]
    cases: dict[str, Case]
    sources: dict[str, Source]
    selections: list[Selection]

    @property
    def text_selections(self) -> list[Selection]:
        return [s for s in self.selections if s.kind == "text"]

    def code_uses(self) -> Counter:
        """How many selections each code (guid) is applied to."""
        return Counter(g for s in self.selections for g in dict.fromkeys(s.codes))


# --------------------------------------------------------------------------- reading


@lru_cache(maxsize=1)
def _schema() -> etree.XMLSchema:
    resource = importlib.resources.files("analysis") / "resources" / SCHEMA_RESOURCE
    with importlib.resources.as_file(resource) as xsd_path:
        return etree.XMLSchema(etree.parse(str(xsd_path)))


def _strip_ns(message: str) -> str:
    return message.replace(_Q, "")


def _parse_project_xml(path, member: str, data: bytes) -> etree._Element:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        errors = [e for e in parser.error_log if e.level_name in ("ERROR", "FATAL")]
        problems = [XmlProblem(e.line, e.column, e.message) for e in errors] or [
            XmlProblem(exc.lineno, exc.position[1] if exc.position else None, exc.msg)
        ]
        raise QdpxXmlError(path, member, problems, "project XML is not well-formed") from None
    schema = _schema()
    if not schema.validate(root):
        problems = [XmlProblem(e.line, e.column, _strip_ns(e.message)) for e in schema.error_log]
        if root.tag != f"{_Q}Project":
            ns = etree.QName(root).namespace
            problems.insert(0, XmlProblem(
                root.sourceline, None,
                f"the root element is <{etree.QName(root).localname}> in namespace {ns!r}; "
                f"a REFI-QDA project is <Project xmlns=\"{NS}\">",
            ))
        raise QdpxXmlError(path, member, problems, "project XML does not match the REFI-QDA Project schema")
    return root


def _find_qde(names: list[str]) -> str | None:
    top = [n for n in names if "/" not in n.rstrip("/") and n.lower().endswith(".qde")]
    for n in top:
        if n.lower() == "project.qde":
            return n
    return top[0] if len(top) == 1 else None


def _text_of(el) -> str:
    return el.text or "" if el is not None else ""


def _decode_text(data: bytes) -> tuple[str, bool]:
    """Decode a plain-text source: UTF-8 (with or without BOM) or UTF-16 with its BOM."""
    if data.startswith(UTF8_BOM):
        return data[3:].decode("utf-8"), True
    if data.startswith(b"\xff\xfe") or data.startswith(b"\xfe\xff"):
        return data.decode("utf-16"), True  # the codec consumes the BOM
    return data.decode("utf-8"), False


def _internal_member(ref: str, names: list[str]) -> str | None:
    """Find the zip member for an ``internal://`` path, in Sources/ or sources/ (any case)."""
    target = ref[len("internal://"):].lstrip("/")
    lower = {n.lower(): n for n in names}
    for candidate in (f"sources/{target}", target):
        if candidate.lower() in lower:
            return lower[candidate.lower()]
    base = PurePosixPath(target).name.lower()
    matches = [n for n in names if PurePosixPath(n).name.lower() == base and not n.endswith("/")]
    return matches[0] if len(matches) == 1 else None


def _variable_value(vv) -> tuple[str | None, str]:
    ref = vv.find(f"{_Q}VariableRef")
    guid = ref.get("targetGUID") if ref is not None else None
    for child in vv:
        if child.tag != f"{_Q}VariableRef":
            return guid, (child.text or "").strip()
    return guid, ""


def _norm_guid(g: str | None) -> str | None:
    return g.strip("{}").lower() if g else g


def read_qdpx(path: str | os.PathLike) -> Project:
    """Read and validate a REFI-QDA project (.qdpx).

    Parameters
    ----------
    path : path-like
        The .qdpx file.

    Returns
    -------
    Project
        Codebook, users, variables, cases, sources (with plain text where the export has
        it) and every coded selection.

    Raises
    ------
    NotAQdpxError
        The file is not a zip archive.
    ProjectFileMissingError
        The zip holds no ``project.qde``.
    QdpxXmlError
        The XML is not well-formed or does not match the schema (with line numbers).

    Examples
    --------
    >>> import io, zipfile, tempfile, os
    >>> xml = ('<Project xmlns="urn:QDA-XML:project:1.0" name="p" origin="QualCoder 3.6">'
    ...        '<Sources><TextSource guid="00000000-0000-0000-0000-000000000001" name="int-1">'
    ...        '<PlainTextContent>We met weekly.</PlainTextContent></TextSource></Sources></Project>')
    >>> d = tempfile.mkdtemp(); p = os.path.join(d, "tiny.qdpx")
    >>> with zipfile.ZipFile(p, "w") as z: z.writestr("project.qde", xml)
    >>> project = read_qdpx(p)
    >>> project.origin, project.sources["00000000-0000-0000-0000-000000000001"].text
    ('QualCoder 3.6', 'We met weekly.')
    """
    path = Path(path)
    if not path.is_file():
        raise QdpxError(f"{path}: file not found")
    if not zipfile.is_zipfile(path):
        raise NotAQdpxError(path, "it is not a zip archive")
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile as exc:
        raise NotAQdpxError(path, f"the zip archive is damaged ({exc})") from None
    with archive:
        names = archive.namelist()
        member = _find_qde(names)
        if member is None:
            raise ProjectFileMissingError(path, names)
        root = _parse_project_xml(path, member, archive.read(member))

        users = {}
        for u in root.iterfind(f"{_Q}Users/{_Q}User"):
            users[_norm_guid(u.get("guid"))] = User(_norm_guid(u.get("guid")), u.get("name") or "", u.get("id") or "")

        codes: dict[str, Code] = {}

        def walk(el, parent: Code | None):
            for c in el.iterfind(f"{_Q}Code"):
                name = c.get("name")
                code = Code(
                    guid=_norm_guid(c.get("guid")), name=name,
                    path=(parent.path if parent else ()) + (name,),
                    parent=parent.guid if parent else None,
                    description=_text_of(c.find(f"{_Q}Description")).strip(),
                    color=c.get("color"), codable=c.get("isCodable") in ("true", "1"),
                )
                codes[code.guid] = code
                walk(c, code)

        codes_el = root.find(f"{_Q}CodeBook/{_Q}Codes")
        if codes_el is not None:
            walk(codes_el, None)

        variables = {}
        for v in root.iterfind(f"{_Q}Variables/{_Q}Variable"):
            g = _norm_guid(v.get("guid"))
            variables[g] = Variable(g, v.get("name"), v.get("typeOfVariable"))

        def values_of(el) -> dict[str, str]:
            out = {}
            for vv in el.iterfind(f"{_Q}VariableValue"):
                g, value = _variable_value(vv)
                var = variables.get(_norm_guid(g))
                out[var.name if var else (g or "?")] = value
            return out

        cases = {}
        for c in root.iterfind(f"{_Q}Cases/{_Q}Case"):
            g = _norm_guid(c.get("guid"))
            cases[g] = Case(
                g, c.get("name"), values_of(c),
                {_norm_guid(r.get("targetGUID")) for r in c.iterfind(f"{_Q}SourceRef")},
                {_norm_guid(r.get("targetGUID")) for r in c.iterfind(f"{_Q}SelectionRef")},
            )

        sources: dict[str, Source] = {}
        selections: list[Selection] = []

        def codings(sel_el) -> list[str]:
            return [
                _norm_guid(ref.get("targetGUID"))
                for coding in sel_el.iterfind(f"{_Q}Coding")
                for ref in coding.iterfind(f"{_Q}CodeRef")
            ]

        def add_selection(sel_el, source_guid, kind, **kw):
            selections.append(Selection(
                guid=_norm_guid(sel_el.get("guid")), source=source_guid, kind=kind,
                codes=codings(sel_el), name=sel_el.get("name") or "",
                description=_text_of(sel_el.find(f"{_Q}Description")).strip(),
                user=_norm_guid(sel_el.get("creatingUser")), line=sel_el.sourceline, **kw,
            ))

        def load_text(src: Source, el):
            content = el.find(f"{_Q}PlainTextContent")
            if content is not None:
                src.text, src.text_member = content.text or "", "inline"
                if src.text.startswith("\ufeff"):
                    src.text, src.had_bom = src.text[1:], True
                return
            ref = el.get("plainTextPath")
            if not ref:
                rich = el.get("richTextPath")
                src.text_problem = (
                    f"the export has only the rich text ({rich}), no plain text to count positions in"
                    if rich else "the export has no text for this source"
                )
                return
            if not ref.startswith("internal://"):
                src.text_problem = f"its plain text is outside the .qdpx ({ref})"
                return
            found = _internal_member(ref, names)
            if found is None:
                src.text_problem = f"its plain text {ref} is not in the .qdpx (looked in Sources/ and sources/)"
                return
            try:
                src.text, src.had_bom = _decode_text(archive.read(found))
                src.text_member = found
            except UnicodeDecodeError as exc:
                src.text_problem = f"{found} is not UTF-8 text ({exc.reason} at byte {exc.start})"

        kinds = {
            "TextSource": ("text", "PlainTextSelection"),
            "PDFSource": ("pdf", "PDFSelection"),
            "PictureSource": ("picture", "PictureSelection"),
            "AudioSource": ("audio", "AudioSelection"),
            "VideoSource": ("video", "VideoSelection"),
        }
        sources_el = root.find(f"{_Q}Sources")
        for el in (sources_el if sources_el is not None else []):
            if not isinstance(el.tag, str):
                continue
            tag = etree.QName(el).localname
            if tag not in kinds:
                continue
            g = _norm_guid(el.get("guid"))
            src = Source(
                guid=g, name=el.get("name") or g, kind=tag,
                plain_text_path=el.get("plainTextPath"), rich_text_path=el.get("richTextPath"),
                path=el.get("path"), values=values_of(el),
            )
            sources[g] = src
            kind, sel_tag = kinds[tag]
            if tag == "TextSource":
                load_text(src, el)
                for s in el.iterfind(f"{_Q}{sel_tag}"):
                    add_selection(s, g, "text", start=int(s.get("startPosition")), end=int(s.get("endPosition")))
                continue
            for s in el.iterfind(f"{_Q}{sel_tag}"):
                add_selection(s, g, kind)
            # PDF text representations and audio/video transcripts: their coded text is
            # counted (and skipped) as selections on a non-text source.
            for rep in el.iterfind(f".//{_Q}PlainTextSelection"):
                add_selection(rep, g, kind)
            for ts in el.iterfind(f".//{_Q}TranscriptSelection"):
                add_selection(ts, g, "transcript")

        # Sets: MAXQDA exports its document groups as Sets of MemberSource.
        for st in root.iterfind(f"{_Q}Sets/{_Q}Set"):
            for ms in st.iterfind(f"{_Q}MemberSource"):
                member_src = sources.get(_norm_guid(ms.get("targetGUID")))
                if member_src is not None:
                    member_src.sets.append(st.get("name"))

        # Variables of a source given through a case with no name and one SourceRef
        # (MAXQDA, Quirkos): they describe the source itself.
        for case in cases.values():
            if not case.name and len(case.sources) == 1:
                (sg,) = case.sources
                if sg in sources:
                    for k, v in case.values.items():
                        sources[sg].values.setdefault(k, v)

        return Project(
            path=str(path), member=member, name=root.get("name") or "", origin=root.get("origin") or "",
            users=users, codes=codes, variables=variables, cases=cases, sources=sources,
            selections=selections,
        )


# --------------------------------------------------------------------------- positions


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


# --------------------------------------------------------------------------- summaries


def codes_table(project: Project) -> pd.DataFrame:
    """One row per code in codebook order: path, name, guid, depth, uses, codable, color, description.

    Examples
    --------
    >>> p = Project("x", "project.qde", "p", "", {}, {"a": Code("a", "Trust", ("Trust",))}, {}, {}, {}, [])
    >>> codes_table(p)[["path", "uses"]].to_dict("records")
    [{'path': 'Trust', 'uses': 0}]
    """
    uses = project.code_uses()
    rows = [
        {"path": c.path_text, "name": c.name, "guid": c.guid, "depth": len(c.path) - 1,
         "uses": uses.get(c.guid, 0), "codable": c.codable, "color": c.color or "",
         "description": c.description}
        for c in project.codes.values()
    ]
    return pd.DataFrame(rows, columns=["path", "name", "guid", "depth", "uses", "codable", "color", "description"])


def summarise(project: Project, convention: PositionConvention | None = None) -> str:
    """A plain-text summary of the project, to help write the mapping."""
    convention = convention or choose_convention(project)
    kinds = Counter(s.kind for s in project.selections)
    out = [
        f"REFI-QDA project {project.name!r} ({Path(project.path).name}, {project.member})",
        f"written by: {project.origin or 'unknown program (no origin attribute)'}",
        f"positions read as: {convention.describe()}",
        "",
        f"users ({len(project.users)}): " + (", ".join(u.name or u.guid for u in project.users.values()) or "none"),
        "",
        f"codes ({len(project.codes)}), with the number of selections coded with each:",
    ]
    uses = project.code_uses()
    for c in project.codes.values():
        flag = "" if c.codable else "  [not codable]"
        out.append(f"  {'  ' * (len(c.path) - 1)}{c.name}  ({uses.get(c.guid, 0)}){flag}")
    if not project.codes:
        out.append("  (the codebook is empty)")
    out += ["", f"sources ({len(project.sources)}):"]
    by_source = Counter(s.source for s in project.selections)
    for s in project.sources.values():
        where = s.text_member or s.text_problem or "no text"
        n = by_source.get(s.guid, 0)
        out.append(f"  {s.name}  [{s.kind}; {n} coded selection{'' if n == 1 else 's'}; text: {where}]")
    out += ["", f"variables ({len(project.variables)}): " + (", ".join(f"{v.name} ({v.type})" for v in project.variables.values()) or "none")]
    named_cases = [c for c in project.cases.values() if c.name]
    out.append(f"cases ({len(named_cases)} named, {len(project.cases) - len(named_cases)} describing one source):")
    for c in named_cases:
        vals = ", ".join(f"{k}={v}" for k, v in c.values.items())
        out.append(f"  {c.name}: {len(c.sources)} sources" + (f"; {vals}" if vals else ""))
    set_sizes = Counter(name for src in project.sources.values() for name in src.sets)
    out.append(f"sets of documents ({len(set_sizes)}): "
               + (", ".join(f"{k} ({n})" for k, n in set_sizes.items()) or "none"))
    out += ["", "coded selections: " + (", ".join(f"{n} {k}" for k, n in sorted(kinds.items())) or "none")]
    return "\n".join(out)


_PLACE_HINT = re.compile(r"place|area|site|locality|location|borough|district|council", re.I)
_PHASE_HINT = re.compile(r"phase|wave|round|period|stage|time", re.I)


def starter_mapping(project: Project) -> pd.DataFrame:
    """A mapping to fill in: one ``code`` row per code, and a row per variable.

    Rows for codes have ``kind`` and ``theme_id`` blank (a blank row is not used until
    filled). Variables whose names suggest a place or a phase get the matching rule;
    other variables are listed with an empty rule (ignored) and a note.

    Examples
    --------
    >>> p = Project("x", "project.qde", "p", "", {}, {"a": Code("a", "Trust", ("Trust",))},
    ...             {"v": Variable("v", "Locality", "Text")}, {}, {}, [])
    >>> starter_mapping(p)[["rule", "match"]].to_dict("records")
    [{'rule': 'code', 'match': 'Trust'}, {'rule': 'place_from_variable', 'match': 'Locality'}]
    """
    uses = project.code_uses()
    rows = []
    for c in project.codes.values():
        n = uses.get(c.guid, 0)
        note = f"used {n} time{'' if n == 1 else 's'}" + ("" if c.codable else "; not codable")
        if c.description:
            note += f"; {' '.join(c.description.split())[:120]}"
        rows.append({"rule": "code", "match": c.path_text, "note": note})
    for v in project.variables.values():
        if _PLACE_HINT.search(v.name):
            rule = "place_from_variable"
        elif _PHASE_HINT.search(v.name):
            rule = "phase_from_variable"
        else:
            rule = ""
        rows.append({"rule": rule, "match": v.name,
                     "note": "" if rule else "variable: set rule to place_from_variable or phase_from_variable to use it"})
    blank = dict.fromkeys(MAPPING_COLUMNS, "")
    set_sizes = Counter(name for src in project.sources.values() for name in src.sets)
    for name, n in set_sizes.items():
        rows.append({"match": name, "note": f"set of {n} documents: set rule to place_from_set or phase_from_set "
                                            "and value to the place_id or phase_id to use it"})
    return pd.DataFrame([{**blank, **r} for r in rows], columns=list(MAPPING_COLUMNS))


# --------------------------------------------------------------------------- mapping


@dataclass
class Mapping:
    """A parsed mapping file."""

    codes: dict[str, dict]  # code guid -> row
    place_variables: list[tuple[str, str | None, str]]  # (variable, value or None, place)
    phase_variables: list[tuple[str, str | None, str]]
    place_patterns: list[tuple[re.Pattern, str]]
    phase_patterns: list[tuple[re.Pattern, str]]
    unmatched_codes: list[str]
    place_sets: list[tuple[str, str]] = field(default_factory=list)  # (set name, place)
    phase_sets: list[tuple[str, str]] = field(default_factory=list)


def _read_csv_rows(path) -> list[dict]:
    raw = Path(path).read_bytes()
    text = raw.decode("utf-8-sig")
    reader = csv.DictReader(io.StringIO(text))
    if reader.fieldnames is None:
        return []
    reader.fieldnames = [(f or "").strip().lower() for f in reader.fieldnames]
    return [{k: (v or "").strip() for k, v in row.items() if k} for row in reader]


def read_mapping(path, project: Project) -> Mapping:
    """Read and check a mapping file against the project.

    Raises :class:`MappingError` listing every problem (unknown rule, bad kind, direction
    or status, a regular expression that does not compile, a code named ambiguously).
    Code rows naming codes absent from this project are reported in ``unmatched_codes``
    (the same mapping may serve several exports).
    """
    rows = _read_csv_rows(path)
    problems = []
    if rows and not {"rule", "match"} <= set(rows[0]):
        raise MappingError(path, ["row 1: the header must have the columns rule and match "
                                  f"(found: {', '.join(rows[0])})"])
    by_guid = {g: c for g, c in project.codes.items()}
    by_path: dict[str, list[str]] = {}
    by_name: dict[str, list[str]] = {}
    for c in project.codes.values():
        by_path.setdefault(c.path_text.casefold(), []).append(c.guid)
        by_name.setdefault(c.name.casefold(), []).append(c.guid)
    m = Mapping({}, [], [], [], [], [])
    for n, row in enumerate(rows, start=2):
        rule, match = row.get("rule", "").lower(), row.get("match", "")
        if not rule:
            continue
        if rule not in MAPPING_RULES:
            problems.append(f"row {n}, rule: {rule!r} is not one of {', '.join(MAPPING_RULES)}")
            continue
        if not match:
            problems.append(f"row {n}, match: empty")
            continue
        if rule == "code":
            kind, theme = row.get("kind", ""), row.get("theme_id", "")
            if not kind and not theme:
                continue  # a starter row not filled in yet
            for col, allowed, required in (("kind", KINDS, True), ("direction", DIRECTIONS, False), ("status", STATUSES, False)):
                v = row.get(col, "")
                if (v or required) and v not in allowed:
                    problems.append(f"row {n}, {col}: {v!r} is not one of {', '.join(allowed)}")
            if not theme:
                problems.append(f"row {n}, theme_id: empty (every evidence row needs a theme)")
            g = _norm_guid(match)
            if g in by_guid:
                guids = [g]
            else:
                guids = by_path.get(match.casefold()) or by_name.get(match.casefold()) or []
            if len(guids) > 1:
                paths = "; ".join(project.codes[x].path_text for x in guids)
                problems.append(f"row {n}, match: {match!r} names {len(guids)} codes ({paths}); use the path or guid")
            elif not guids:
                m.unmatched_codes.append(match)
            else:
                m.codes[guids[0]] = {**row, "_row": n}
        elif rule.endswith("_from_variable"):
            var, _, value = match.partition("=")
            target = row.get("value", "")
            if value and not target:
                problems.append(f"row {n}, value: {match!r} names a value, so give the {rule[:5]}_id it stands for")
            entry = (var.strip(), value.strip() or None, target)
            (m.place_variables if rule.startswith("place") else m.phase_variables).append(entry)
        elif rule.endswith("_from_set"):
            target = row.get("value", "")
            if not target:
                problems.append(f"row {n}, value: empty (the {rule[:5]}_id for the documents of set {match!r})")
            (m.place_sets if rule.startswith("place") else m.phase_sets).append((match, target))
        else:
            target = row.get("value", "")
            if not target:
                problems.append(f"row {n}, value: empty (the {rule[:5]}_id for sources matching {match!r})")
            try:
                pattern = re.compile(match, re.IGNORECASE)
            except re.error as exc:
                problems.append(f"row {n}, match: {match!r} is not a regular expression ({exc})")
                continue
            (m.place_patterns if rule.startswith("place") else m.phase_patterns).append((pattern, target))
    if problems:
        raise MappingError(path, problems)
    return m


# --------------------------------------------------------------------------- import


def _norm_key(s: str) -> str:
    return re.sub(r"[\s_]+", "-", str(s).strip().casefold())


def _resolver(ids, labels) -> dict[str, str]:
    """Map normalised ids and labels to ids (for values like 'Coventry' -> 'coventry')."""
    out = {}
    for i, label in zip(ids, labels):
        out.setdefault(_norm_key(label), i)
    for i in ids:
        out[_norm_key(i)] = i
    return out


def _variable_lookup(values: dict[str, str], name: str) -> str | None:
    want = name.casefold()
    for k, v in values.items():
        k2 = k.casefold()
        if k2 == want or k2.split(":", 1)[-1].strip() == want:
            return v
    return None


@dataclass
class ImportResult:
    """What an import produced: evidence rows, skipped selections, and where they went."""

    evidence: pd.DataFrame
    skipped: pd.DataFrame
    convention: PositionConvention
    project: Project
    path: Path | None = None
    unmatched_codes: list[str] = field(default_factory=list)

    def report(self, examples: int = 5) -> str:
        """A plain-text account of what was imported and what was skipped, and why."""
        p = self.project
        text_sel = len(p.text_selections)
        lines = [
            f"{Path(p.path).name}: written by {p.origin or 'an unknown program'}; "
            f"{len(p.selections)} coded selections ({text_sel} on text)",
            f"positions read as {self.convention.describe()}",
        ]
        if self.path:
            lines.append(f"imported {len(self.evidence)} evidence rows into {self.path}")
        else:
            lines.append(f"{len(self.evidence)} evidence rows ready (nothing written)")
        if len(self.evidence):
            for (place, phase), n in self.evidence.groupby(["place_id", "phase_id"]).size().items():
                lines.append(f"  {place} / {phase}: {n}")
        if len(self.skipped):
            lines.append(f"skipped {len(self.skipped)}:")
            for reason, group in self.skipped.groupby("reason", sort=False):
                lines.append(f"  {len(group)} x {reason}")
                for _, r in group.head(examples).iterrows():
                    lines.append(f"      selection {r['selection']} in {r['source']!r}" + (f", code {r['code']!r}" if r["code"] else ""))
        if self.unmatched_codes:
            lines.append("mapping rows naming codes not in this project: " + "; ".join(self.unmatched_codes))
        return "\n".join(lines)


def evidence_from_project(project: Project, mapping: Mapping, study, convention: PositionConvention | None = None,
                          source_label: str = "source") -> ImportResult:
    """Turn the project's coded text selections into evidence rows for ``study``.

    Each (selection, mapped code) pair gives one row. A code without a mapping row takes
    its nearest ancestor's. The place and the phase come from variables (of the cases
    that hold the source or the selection, then of the source itself) and then from
    source-name patterns, first match first. Rows whose place, phase or theme the study
    does not know, or whose evidence_id the study already has, are skipped with the reason.
    """
    if source_label not in SOURCE_LABELS:
        raise ValueError(f"source_label must be one of {SOURCE_LABELS}")
    convention = convention or choose_convention(project)
    places = _resolver(list(study.places["place_id"]), list(study.places["name"]))
    phases = _resolver(list(study.phases["phase_id"]), list(study.phases["label"]))
    themes = set(study.themes["theme_id"].dropna()) if "theme_id" in study.themes else set()
    existing = set(study.evidence["evidence_id"].dropna()) if "evidence_id" in study.evidence else set()

    numbered = {g: f"{Path(project.path).stem}-source-{i:02d}" for i, g in enumerate(project.sources, start=1)}
    cases_of: dict[str, list[Case]] = {}  # source or selection guid -> named cases holding it
    for case in project.cases.values():
        if case.name:
            for g in case.sources | case.selections:
                cases_of.setdefault(g, []).append(case)

    def cases_for(sel, src) -> list[Case]:
        found = cases_of.get(src.guid, []) + cases_of.get(sel.guid, [])
        return list({id(c): c for c in found}.values())
    offsets_cache: dict[str, np.ndarray] = {}
    rows, skipped = [], []

    def skip(sel, reason, code=""):
        src = project.sources.get(sel.source)
        skipped.append({"selection": sel.guid, "source": src.name if src else sel.source, "code": code,
                        "reason": reason, "line": sel.line})

    def mapped(guid):
        g = guid
        while g is not None:
            if g in mapping.codes:
                return mapping.codes[g]
            code = project.codes.get(g)
            g = code.parent if code else None
        return None

    def resolve(sel, src, var_rules, set_rules, patterns, lookup, what):
        cases = cases_for(sel, src)
        for var, value, target in var_rules:
            found = set()
            for values in [c.values for c in cases] + [src.values]:
                v = _variable_lookup(values, var)
                if v is None or v == "":
                    continue
                if value is not None:
                    if _norm_key(v) == _norm_key(value):
                        found.add(target)
                else:
                    found.add(v)
            if len(found) > 1:
                return None, f"{what} ambiguous: variable {var!r} has values {sorted(found)}"
            if found:
                (v,) = found
                if _norm_key(v) in lookup:
                    return lookup[_norm_key(v)], None
                return None, f"{what} {v!r} (variable {var!r}) is not a {what} of the study"
        in_sets = {x.casefold() for x in src.sets if x}
        found = {t for name, t in set_rules if name.casefold() in in_sets}
        if len(found) > 1:
            return None, f"{what} ambiguous: the document's sets give {sorted(found)}"
        if found:
            (t,) = found
            if _norm_key(t) in lookup:
                return lookup[_norm_key(t)], None
            return None, f"{what} {t!r} (set rule) is not a {what} of the study"
        for pattern, target in patterns:
            if pattern.search(src.name):
                if _norm_key(target) in lookup:
                    return lookup[_norm_key(target)], None
                return None, f"{what} {target!r} (source pattern {pattern.pattern!r}) is not a {what} of the study"
        return None, f"no {what}: no variable, set or source-name rule of the mapping gives one"

    for sel in project.selections:
        src = project.sources.get(sel.source)
        if sel.kind != "text":
            skip(sel, f"selection on a non-text source ({sel.kind})")
            continue
        if not sel.codes:
            skip(sel, "selection has no code (an annotation)")
            continue
        if src is None or src.text is None:
            skip(sel, f"source has no plain text: {src.text_problem if src else 'unknown source'}")
            continue
        if src.guid not in offsets_cache:
            offsets_cache[src.guid] = _offsets(src.text, convention.unit, convention.crlf)
        try:
            quote = extract_text(src.text, sel.start, sel.end, convention.unit, convention.crlf, offsets_cache[src.guid])
        except PositionError as exc:
            skip(sel, f"positions do not fit the source text: {exc}")
            continue
        quote = quote.replace("\r\n", "\n").replace("\r", "\n")
        targets = []
        for g in dict.fromkeys(sel.codes):
            code = project.codes.get(g)
            label = code.path_text if code else g
            row = mapped(g)
            if code is None:
                skip(sel, "code not in the codebook", label)
            elif row is None:
                skip(sel, "code not in the mapping", label)
            else:
                targets.append((code, row))
        if not targets:
            continue
        place, why_place = resolve(sel, src, mapping.place_variables, mapping.place_sets, mapping.place_patterns,
                                   places, "place")
        phase, why_phase = resolve(sel, src, mapping.phase_variables, mapping.phase_sets, mapping.phase_patterns,
                                   phases, "phase")
        if place is None or phase is None:
            for code, _ in targets:
                skip(sel, why_place or why_phase, code.path_text)
            continue
        if source_label == "case":
            cases = cases_for(sel, src)
            label = cases[0].name if len(cases) == 1 else Path(src.name).stem
        elif source_label == "numbered":
            label = numbered[src.guid]
        else:
            label = Path(src.name).stem or src.name
        for code, row in targets:
            eid = f"qdpx-{sel.guid}" if len(targets) == 1 else f"qdpx-{sel.guid}-{code.guid[:8]}"
            theme = row.get("theme_id", "")
            if theme not in themes:
                skip(sel, f"theme_id {theme!r} (mapping row {row['_row']}) is not a theme of the study", code.path_text)
                continue
            if eid in existing:
                skip(sel, "already in the study (same evidence_id): imported before?", code.path_text)
                continue
            flat = " ".join(quote.split())
            summary = (" ".join(sel.description.split()) or " ".join(code.description.split())
                       or (flat if len(flat) <= SUMMARY_LENGTH else flat[: SUMMARY_LENGTH - 1].rstrip() + "…"))
            if not summary:
                skip(sel, "empty selection: no text and no description to summarise", code.path_text)
                continue
            rows.append({
                "evidence_id": eid, "place_id": place, "phase_id": phase, "source": label,
                "kind": row.get("kind", ""), "theme_id": theme, "direction": row.get("direction", ""),
                "status": row.get("status", ""), "summary": summary, "quote": quote, "consent": "",
            })
    columns = TABLES["evidence"].column_names
    return ImportResult(
        evidence=pd.DataFrame(rows, columns=columns),
        skipped=pd.DataFrame(skipped, columns=["selection", "source", "code", "reason", "line"]),
        convention=convention, project=project, unmatched_codes=mapping.unmatched_codes,
    )


def _safe_stem(name: str) -> str:
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", Path(name).stem).strip("-.")
    return stem or "qdpx"


def write_new_csv(df: pd.DataFrame, directory, stem: str) -> Path:
    """Write ``df`` to ``directory/stem.csv``, or ``stem-2.csv``, ``stem-3.csv``... never overwriting.

    The file is written to a temporary file in the same folder and then linked into place,
    so a reader never sees half a file and an existing file is never replaced.

    Examples
    --------
    >>> import tempfile
    >>> d = tempfile.mkdtemp()
    >>> [write_new_csv(pd.DataFrame({"a": [1]}), d, "evidence-x").name for _ in range(3)]
    ['evidence-x.csv', 'evidence-x-2.csv', 'evidence-x-3.csv']
    """
    data = df.to_csv(index=False, lineterminator="\n").encode("utf-8-sig")
    return write_new_file(directory, lambda n: f"{stem}.csv" if n == 1 else f"{stem}-{n}.csv", data)


def import_evidence(qdpx_path, study, mapping_path, unit: str = "auto", crlf: str = "auto",
                    source_label: str = "source", write: bool = True) -> ImportResult:
    """Read a .qdpx file, map its coded text to evidence, and write a new imports file.

    Parameters
    ----------
    qdpx_path : path-like
        The REFI-QDA export.
    study : str, path-like or Study
        The study (loaded with :func:`analysis.load_study` when a path or name).
    mapping_path : path-like
        The mapping CSV (docs/qdpx.md).
    unit, crlf : str
        Position unit (``auto``, ``codepoints``, ``utf16``) and CR LF weight (``auto``, ``one``, ``two``).
    source_label : {"source", "case", "numbered"}
        What to put in the evidence ``source`` column.
    write : bool
        False computes everything and writes nothing.

    Returns
    -------
    ImportResult
        Its ``path`` is ``<study>/imports/evidence-<qdpx name>.csv`` (with ``-2``, ``-3``...
        when that exists), or None when nothing was written.
    """
    study_obj = load_study(study) if isinstance(study, (str, os.PathLike)) else study
    project = read_qdpx(qdpx_path)
    mapping = read_mapping(mapping_path, project)
    convention = choose_convention(project, unit, crlf)
    result = evidence_from_project(project, mapping, study_obj, convention, source_label)
    if write and len(result.evidence):
        result.path = write_new_csv(result.evidence, Path(study_obj.path) / "imports",
                                    f"evidence-{_safe_stem(Path(qdpx_path).name)}")
    return result


# --------------------------------------------------------------------------- command line


def _add_position_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--positions", choices=("auto", "codepoints", "utf16"), default="auto",
                        help="what a position counts (default: decided from the exporter and checked against selection names)")
    parser.add_argument("--crlf", choices=("auto", "one", "two"), default="auto",
                        help="how many positions a CR LF line break takes (default: from the exporter)")


def add_arguments_import_qdpx(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``coordination import-qdpx``."""
    parser.add_argument("qdpx", help="the REFI-QDA project file (.qdpx)")
    parser.add_argument("--study", required=True, help="the study folder (or name under data/)")
    parser.add_argument("--mapping", required=True, help="mapping CSV: codes to kind and theme, rules for place and phase (docs/qdpx.md)")
    _add_position_options(parser)
    parser.add_argument("--source-label", choices=SOURCE_LABELS, default="source",
                        help="evidence 'source' column: the source's name, its case's name, or a neutral number")
    parser.add_argument("--dry-run", action="store_true", help="report what would be imported; write nothing")


def command_import_qdpx(args) -> int:
    """Run ``coordination import-qdpx``."""
    try:
        result = import_evidence(args.qdpx, args.study, args.mapping, args.positions, args.crlf,
                                 args.source_label, write=not args.dry_run)
    except (QdpxError, MappingError, FileNotFoundError) as exc:
        print(f"import-qdpx: {exc}", file=sys.stderr)
        return 1
    except StudyValidationError as exc:
        print(f"import-qdpx: the study does not load, fix it first:\n{exc}", file=sys.stderr)
        return 1
    print(result.report())
    return 0


def add_arguments_qdpx_info(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``coordination qdpx-info``."""
    parser.add_argument("qdpx", help="the REFI-QDA project file (.qdpx)")
    parser.add_argument("--write-mapping", metavar="CSV", help="write a starter mapping file (never overwrites)")
    _add_position_options(parser)


def command_qdpx_info(args) -> int:
    """Run ``coordination qdpx-info``."""
    try:
        project = read_qdpx(args.qdpx)
    except QdpxError as exc:
        print(f"qdpx-info: {exc}", file=sys.stderr)
        return 1
    print(summarise(project, choose_convention(project, args.positions, args.crlf)))
    if args.write_mapping:
        target = Path(args.write_mapping)
        if target.exists():
            print(f"qdpx-info: {target} exists; not overwritten (choose another name)", file=sys.stderr)
            return 1
        written = write_new_csv(starter_mapping(project), target.parent, target.name[:-4] if target.suffix == ".csv" else target.name)
        print(f"\nstarter mapping written to {written}: fill kind and theme_id for the codes you use")
    return 0
