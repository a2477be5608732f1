"""Read a REFI-QDA project (.qdpx) and check it against the REFI-QDA Project schema.

A ``.qdpx`` file is a zip holding one ``*.qde`` XML document (normally ``project.qde``;
ATLAS.ti names it after the project) and the sources in ``Sources/`` (NVivo) or
``sources/`` (MAXQDA, ATLAS.ti, QualCoder). :func:`read_qdpx` validates the XML against
the REFI-QDA Project schema shipped in ``analysis/resources`` and returns a
:class:`Project`: codebook (nested), users, variables, cases, sources with their plain
text (a byte-order mark is never part of it), and every coded selection.
"""

from __future__ import annotations

import importlib.resources
import os
import re
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path, PurePosixPath

from lxml import etree

from analysis.errors import CoordinationError, TooLargeError, plain_reason

__all__ = [
    "QdpxError",
    "NotAQdpxError",
    "ProjectFileMissingError",
    "QdpxXmlError",
    "QdpxTooLargeError",
    "DEFAULT_MAX_SIZE",
    "parse_size",
    "norm_guid",
    "XmlProblem",
    "Code",
    "User",
    "Variable",
    "Case",
    "Source",
    "Selection",
    "Project",
    "read_qdpx",
]

NS = "urn:QDA-XML:project:1.0"
_Q = f"{{{NS}}}"
SCHEMA_RESOURCE = "refi-qda-project.xsd"
UTF8_BOM = b"\xef\xbb\xbf"

#: The most read from a .qdpx, uncompressed: for each member (project.qde, each source text) and
#: for all of them together. A big NVivo project's XML and texts are tens of megabytes; a
#: zip of a few kilobytes can claim gigabytes, so the size is checked before reading and
#: counted while reading. Raise it with ``max_size=`` (``--max-size`` on the command line).
DEFAULT_MAX_SIZE = 200_000_000
_CHUNK = 1 << 20


# --------------------------------------------------------------------------- errors


class QdpxError(CoordinationError):
    """A .qdpx file that cannot be read; the message says what is wrong and where."""


class QdpxTooLargeError(TooLargeError, QdpxError):
    """A member of the .qdpx (or all that is read of it) would be larger, uncompressed, than the limit."""


def parse_size(text: str | int) -> int:
    """A size as people write it: ``500MB``, ``1.5 GB``, ``200M``, ``1000000`` (decimal units: 1 MB = 10**6 bytes).

    Examples
    --------
    >>> parse_size("500MB"), parse_size("1.5 GB"), parse_size("200M"), parse_size(1000)
    (500000000, 1500000000, 200000000, 1000)
    """
    if isinstance(text, int) and not isinstance(text, bool):
        size = text
    else:
        m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kmgt]?)b?\s*", str(text).lower())
        if not m:
            raise ValueError(f"not a size: {text!r} (write, for example, 500MB or 2GB)")
        size = int(float(m.group(1)) * {"": 1, "k": 10**3, "m": 10**6, "g": 10**9, "t": 10**12}[m.group(2)])
    if size <= 0:
        raise ValueError(f"a size must be more than zero, not {text!r}")
    return size


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


def _parse_project_xml(path, member: str, data) -> etree._Element:
    """Parse the project XML from bytes or an iterable of byte chunks; refuse DOCTYPEs and entities."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        for n, chunk in enumerate([data] if isinstance(data, (bytes, bytearray)) else data):
            if n == 0 and _DOCTYPE.search(bytes(chunk[:65536])):
                _refuse_doctype(path, member, "<!DOCTYPE")
            parser.feed(bytes(chunk))
        root = parser.close()
    except etree.XMLSyntaxError as exc:
        errors = [e for e in parser.error_log if e.level_name in ("ERROR", "FATAL")]
        problems = [XmlProblem(e.line, e.column, e.message) for e in errors] or [
            XmlProblem(exc.lineno, exc.position[1] if exc.position else None, exc.msg)
        ]
        raise QdpxXmlError(path, member, problems, "project XML is not well-formed") from None
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        _refuse_doctype(path, member, docinfo.doctype or "an internal subset")
    schema = _schema()
    try:
        valid = schema.validate(root)
    except etree.Error as exc:
        raise QdpxXmlError(path, member, [XmlProblem(None, None, str(exc) or type(exc).__name__)],
                           "project XML could not be checked against the REFI-QDA Project schema") from None
    if not valid:
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


_DOCTYPE = re.compile(rb"<!DOCTYPE", re.IGNORECASE)


def _refuse_doctype(path, member: str, what: str):
    """REFI-QDA projects have no DOCTYPE; one can declare entities that reach other files or the network."""
    raise QdpxXmlError(path, member, [XmlProblem(None, None, f"declares a DOCTYPE ({what})")],
                       "project XML declares a DOCTYPE, which a REFI-QDA project never has (it could define "
                       "entities that read other files): refused")


def _find_qde(names: list[str]) -> str | None:
    top = [n for n in names if "/" not in n.rstrip("/") and n.lower().endswith(".qde")]
    for n in top:
        if n.lower() == "project.qde":
            return n
    return top[0] if len(top) == 1 else None


def _text_of(el) -> str:
    return el.text or "" if el is not None else ""


def _decode_text(data: bytes | bytearray) -> tuple[str, bool]:
    """Decode a plain-text source: UTF-8 (with or without BOM) or UTF-16 with its BOM (no copy of the bytes)."""
    view = memoryview(data)
    if data.startswith(UTF8_BOM):
        return str(view[3:], "utf-8"), True
    if data.startswith(b"\xff\xfe") or data.startswith(b"\xfe\xff"):
        return str(view, "utf-16"), True  # the codec consumes the BOM
    return str(view, "utf-8"), False


class _Budget:
    """Reads members of the archive, none larger than ``limit`` uncompressed and all together within it."""

    def __init__(self, path, archive: zipfile.ZipFile, limit: int):
        self.path, self.archive, self.limit, self.used = path, archive, limit, 0

    def _check(self, what: str, member: str, size: int) -> None:
        where = f"member {member}"
        if size > self.limit:
            raise QdpxTooLargeError(self.path, what, size, self.limit, where=where)
        if self.used + size > self.limit:
            raise QdpxTooLargeError(self.path, f"{what} and what was read before it", self.used + size,
                                    self.limit, where=where)

    def chunks(self, member: str, what: str):
        """The member's bytes in chunks of at most 1 MB, counted against the limit as they come."""
        info = self.archive.getinfo(member)
        self._check(what, member, info.file_size)  # what the zip says; checked again as it is read
        read = 0
        try:
            with self.archive.open(info) as fh:
                while True:
                    chunk = fh.read(_CHUNK)
                    if not chunk:
                        break
                    read += len(chunk)
                    self._check(what, member, read)
                    yield chunk
        except QdpxError:
            raise
        except Exception as exc:  # noqa: BLE001 -- a bad CRC, an unsupported or encrypted member, a truncated archive
            raise QdpxError(f"{self.path}, member {member}: cannot be read from the zip archive: "
                            f"{plain_reason(exc)}") from None
        self.used += read

    def read(self, member: str, what: str) -> bytearray:
        data = bytearray()
        for chunk in self.chunks(member, what):
            data += chunk
        return data


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


def norm_guid(g: str | None) -> str | None:
    """A GUID as this reader keeps it: without braces, in lower case (exporters differ in both)."""
    return g.strip("{}").lower() if g else g


def read_qdpx(path: str | os.PathLike, max_size: int = DEFAULT_MAX_SIZE) -> Project:
    """Read and validate a REFI-QDA project (.qdpx).

    Parameters
    ----------
    path : path-like
        The .qdpx file.
    max_size : int
        The most read, uncompressed, from any member (``project.qde``, a source's text) and
        from all of them together, in bytes (default :data:`DEFAULT_MAX_SIZE`, 200 MB).

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
        The XML is not well-formed or does not match the schema (with line numbers), or
        declares a DOCTYPE.
    QdpxTooLargeError
        A member, or all that is read, would be larger than ``max_size`` uncompressed.
    QdpxError
        Any other fault: the file or a member cannot be read (named, with the reason).

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
    try:
        return _read_qdpx(path, max_size)
    except QdpxError:
        raise
    except Exception as exc:  # never a traceback for a bad file: name it and say what went wrong
        raise QdpxError(f"{path}: {plain_reason(exc)}") from exc


def _read_qdpx(path: Path, max_size: int) -> Project:
    try:
        is_zip = zipfile.is_zipfile(path)
    except OSError as exc:
        raise QdpxError(f"{path}: {plain_reason(exc)}") from None
    if not is_zip:
        raise NotAQdpxError(path, "it is not a zip archive")
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, EOFError, ValueError, NotImplementedError) as exc:
        raise NotAQdpxError(path, f"the zip archive is damaged ({exc})") from None
    with archive:
        names = archive.namelist()
        member = _find_qde(names)
        if member is None:
            raise ProjectFileMissingError(path, names)
        budget = _Budget(path, archive, max_size)
        root = _parse_project_xml(path, member, budget.chunks(member, f"project file {member}"))

        users = {}
        for u in root.iterfind(f"{_Q}Users/{_Q}User"):
            users[norm_guid(u.get("guid"))] = User(norm_guid(u.get("guid")), u.get("name") or "", u.get("id") or "")

        codes: dict[str, Code] = {}

        def walk(el, parent: Code | None):
            for c in el.iterfind(f"{_Q}Code"):
                name = c.get("name")
                code = Code(
                    guid=norm_guid(c.get("guid")), name=name,
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
            g = norm_guid(v.get("guid"))
            variables[g] = Variable(g, v.get("name"), v.get("typeOfVariable"))

        def values_of(el) -> dict[str, str]:
            out = {}
            for vv in el.iterfind(f"{_Q}VariableValue"):
                g, value = _variable_value(vv)
                var = variables.get(norm_guid(g))
                out[var.name if var else (g or "?")] = value
            return out

        cases = {}
        for c in root.iterfind(f"{_Q}Cases/{_Q}Case"):
            g = norm_guid(c.get("guid"))
            cases[g] = Case(
                g, c.get("name"), values_of(c),
                {norm_guid(r.get("targetGUID")) for r in c.iterfind(f"{_Q}SourceRef")},
                {norm_guid(r.get("targetGUID")) for r in c.iterfind(f"{_Q}SelectionRef")},
            )

        sources: dict[str, Source] = {}
        selections: list[Selection] = []

        def codings(sel_el) -> list[str]:
            return [
                norm_guid(ref.get("targetGUID"))
                for coding in sel_el.iterfind(f"{_Q}Coding")
                for ref in coding.iterfind(f"{_Q}CodeRef")
            ]

        def add_selection(sel_el, source_guid, kind, **kw):
            selections.append(Selection(
                guid=norm_guid(sel_el.get("guid")), source=source_guid, kind=kind,
                codes=codings(sel_el), name=sel_el.get("name") or "",
                description=_text_of(sel_el.find(f"{_Q}Description")).strip(),
                user=norm_guid(sel_el.get("creatingUser")), line=sel_el.sourceline, **kw,
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
            data = budget.read(found, f"source text {PurePosixPath(found).name}")
            try:
                src.text, src.had_bom = _decode_text(data)
                src.text_member = found
            except UnicodeDecodeError as exc:
                src.text_problem = f"{found} is not UTF-8 text ({exc.reason} at byte {exc.start})"
            del data

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
            g = norm_guid(el.get("guid"))
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
                member_src = sources.get(norm_guid(ms.get("targetGUID")))
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
