"""Build small REFI-QDA (.qdpx) files for tests, the way each exporter writes them.

A :class:`QdpxBuilder` collects users, codes, variables, cases, sources and coded
selections, and writes a zip with ``project.qde`` (or another ``.qde`` name) and the
source files. Positions are worked out here, independently of ``analysis.qdpx``: the
selected substring is found in the text as stored, and its offset is counted with
Python's UTF-16 encoder (for ``utf16``) or on the text with CR LF folded to one character
(for ``crlf="one"``). Every built project is validated against the REFI-QDA schema with
``xmlschema`` (a different validator from the lxml one the package uses).

:func:`interview_builder` builds the interview the qdpx tests share, as each exporter
(``EXPORTERS``) would write it; :func:`write_mapping` writes a mapping file.
"""

from __future__ import annotations

import uuid
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

import xmlschema

from analysis.paths import PROJECT_ROOT

PACKAGED_XSD = PROJECT_ROOT / "src" / "analysis" / "resources" / "refi-qda-project.xsd"
_SCHEMA = None


def schema() -> xmlschema.XMLSchema:
    global _SCHEMA
    if _SCHEMA is None:
        _SCHEMA = xmlschema.XMLSchema(str(PACKAGED_XSD))
    return _SCHEMA


def new_guid(seed: int | None = None) -> str:
    return str(uuid.UUID(int=seed)) if seed is not None else str(uuid.uuid4())


def position(stored: str, index: int, unit: str, crlf: str) -> int:
    """Offset of ``stored[index]`` as an exporter counts it (independent of the package)."""
    prefix = stored[:index]
    if crlf == "one":
        prefix = prefix.replace("\r\n", "\n")
    if unit == "utf16":
        return len(prefix.encode("utf-16-le")) // 2
    return len(prefix)


@dataclass
class TextSourceSpec:
    guid: str
    name: str
    text: str  # as stored (line breaks as in the file)
    inline: bool = False
    bom: bool = False
    encoding: str = "utf-8"
    docx: bool = False
    plain: bool = True
    selections: list = field(default_factory=list)  # (guid, start, end, codes, name, description)
    values: dict = field(default_factory=dict)


@dataclass
class Expected:
    """What the import must find for one selection."""

    selection: str
    source: str
    text: str  # the exact substring, CR LF as stored
    codes: list


class QdpxBuilder:
    """Collect a project's parts, then :meth:`write` a .qdpx file."""

    def __init__(self, origin: str | None = "QualCoder 3.6", name: str = "Test project",
                 folder: str = "sources", qde_name: str = "project.qde",
                 unit: str = "codepoints", crlf: str = "two"):
        self.origin, self.name, self.folder, self.qde_name = origin, name, folder, qde_name
        self.unit, self.crlf = unit, crlf  # how this "exporter" counts positions
        self.users: list[tuple[str, str]] = []
        self.codes: list[dict] = []  # nested dicts
        self._code_index: dict[str, dict] = {}
        self.variables: list[tuple[str, str, str]] = []
        self.cases: list[dict] = []
        self.text_sources: list[TextSourceSpec] = []
        self.other_sources: list[str] = []  # raw XML of non-text sources
        self.sets: list[tuple[str, list[str]]] = []  # (name, source guids): MAXQDA document groups
        self.expected: list[Expected] = []
        self.user_guid = self.user("Coder One")

    # -- parts
    def user(self, name: str) -> str:
        g = new_guid()
        self.users.append((g, name))
        return g

    def code(self, name: str, parent: str | None = None, color: str | None = None,
             description: str | None = None, codable: bool = True) -> str:
        g = new_guid()
        node = {"guid": g, "name": name, "color": color, "description": description,
                "codable": codable, "children": []}
        (self._code_index[parent]["children"] if parent else self.codes).append(node)
        self._code_index[g] = node
        return g

    def variable(self, name: str, type_: str = "Text") -> str:
        g = new_guid()
        self.variables.append((g, name, type_))
        return g

    def case(self, name: str | None, values: dict[str, str], sources=(), selections=()) -> str:
        g = new_guid()
        self.cases.append({"guid": g, "name": name, "values": values, "sources": list(sources),
                           "selections": list(selections)})
        return g

    def text_source(self, name: str, text: str, *, inline: bool = False, bom: bool = False,
                    crlf_in_file: bool = False, encoding: str = "utf-8", docx: bool = False,
                    plain: bool = True, values: dict | None = None) -> TextSourceSpec:
        stored = text.replace("\n", "\r\n") if crlf_in_file else text
        spec = TextSourceSpec(new_guid(), name, stored, inline, bom, encoding, docx, plain,
                              values=values or {})
        self.text_sources.append(spec)
        return spec

    def select(self, source: TextSourceSpec, substring: str, codes: list[str], *, occurrence: int = 0,
               name: str | None = None, description: str = "", expect: bool = True) -> str:
        """Code ``substring`` (its n-th occurrence; "\\n" matches the stored line break)."""
        stored_sub = substring.replace("\n", "\r\n") if "\r\n" in source.text else substring
        index = -1
        for _ in range(occurrence + 1):
            index = source.text.index(stored_sub, index + 1)
        start = position(source.text, index, self.unit, self.crlf)
        end = position(source.text, index + len(stored_sub), self.unit, self.crlf)
        g = new_guid()
        source.selections.append((g, start, end, codes, name if name is not None else "", description))
        if expect:
            self.expected.append(Expected(g, source.name, stored_sub, list(codes)))
        return g

    def raw_selection(self, source: TextSourceSpec, start: int, end: int, codes: list[str], name: str = "") -> str:
        g = new_guid()
        source.selections.append((g, start, end, codes, name, ""))
        return g

    def pdf_source(self, name: str, code: str) -> str:
        g = new_guid()
        self.other_sources.append(
            f'<PDFSource guid="{g}" name={quoteattr(name)} path="internal://{g}.pdf">'
            f'<PDFSelection guid="{new_guid()}" page="1" firstX="1" firstY="2" secondX="30" secondY="40">'
            f'<Coding guid="{new_guid()}"><CodeRef targetGUID="{code}"/></Coding></PDFSelection></PDFSource>'
        )
        return g

    def picture_source(self, name: str, code: str) -> str:
        g = new_guid()
        self.other_sources.append(
            f'<PictureSource guid="{g}" name={quoteattr(name)} path="internal://{g}.png">'
            f'<PictureSelection guid="{new_guid()}" firstX="1" firstY="2" secondX="30" secondY="40">'
            f'<Coding guid="{new_guid()}"><CodeRef targetGUID="{code}"/></Coding></PictureSelection></PictureSource>'
        )
        return g

    def audio_source(self, name: str, code: str) -> str:
        g = new_guid()
        self.other_sources.append(
            f'<AudioSource guid="{g}" name={quoteattr(name)} path="internal://{g}.m4a">'
            f'<AudioSelection guid="{new_guid()}" begin="1000" end="4000">'
            f'<Coding guid="{new_guid()}"><CodeRef targetGUID="{code}"/></Coding></AudioSelection></AudioSource>'
        )
        return g

    def document_set(self, name: str, sources) -> None:
        self.sets.append((name, [s.guid if hasattr(s, "guid") else s for s in sources]))

    # -- output
    def _code_xml(self, node) -> str:
        attrs = f'guid="{node["guid"]}" name={quoteattr(node["name"])} isCodable="{str(node["codable"]).lower()}"'
        if node["color"]:
            attrs += f' color="{node["color"]}"'
        inner = f"<Description>{escape(node['description'])}</Description>" if node["description"] else ""
        inner += "".join(self._code_xml(c) for c in node["children"])
        return f"<Code {attrs}>{inner}</Code>" if inner else f"<Code {attrs}/>"

    def _value_xml(self, values: dict) -> str:
        by_name = {n: g for g, n, _ in self.variables}
        return "".join(
            f'<VariableValue><VariableRef targetGUID="{by_name[k]}"/><TextValue>{escape(v)}</TextValue></VariableValue>'
            for k, v in values.items()
        )

    def xml(self) -> str:
        origin = f" origin={quoteattr(self.origin)}" if self.origin is not None else ""
        parts = [f'<?xml version="1.0" encoding="utf-8"?>\n<Project xmlns="urn:QDA-XML:project:1.0" '
                 f'name={quoteattr(self.name)}{origin}>']
        parts.append("<Users>" + "".join(f'<User guid="{g}" name={quoteattr(n)}/>' for g, n in self.users) + "</Users>")
        if self.codes:
            parts.append("<CodeBook><Codes>" + "".join(self._code_xml(c) for c in self.codes) + "</Codes></CodeBook>")
        if self.variables:
            parts.append("<Variables>" + "".join(
                f'<Variable guid="{g}" name={quoteattr(n)} typeOfVariable="{t}"/>' for g, n, t in self.variables
            ) + "</Variables>")
        if self.cases:
            out = "<Cases>"
            for c in self.cases:
                name = f" name={quoteattr(c['name'])}" if c["name"] else ""
                out += f'<Case guid="{c["guid"]}"{name}>' + self._value_xml(c["values"])
                out += "".join(f'<SourceRef targetGUID="{s}"/>' for s in c["sources"])
                out += "".join(f'<SelectionRef targetGUID="{s}"/>' for s in c["selections"])
                out += "</Case>"
            parts.append(out + "</Cases>")
        if self.text_sources or self.other_sources:
            out = "<Sources>"
            for s in self.text_sources:
                attrs = f'guid="{s.guid}" name={quoteattr(s.name)}'
                if s.docx:
                    attrs += f' richTextPath="internal://{s.guid}.docx"'
                if not s.inline and s.plain:
                    attrs += f' plainTextPath="internal://{s.guid}.txt"'
                out += f"<TextSource {attrs}>"
                if s.inline:
                    out += f"<PlainTextContent>{escape(s.text)}</PlainTextContent>"
                for g, start, end, codes, name, desc in s.selections:
                    out += (f'<PlainTextSelection guid="{g}" name={quoteattr(name)} startPosition="{start}" '
                            f'endPosition="{end}" creatingUser="{self.user_guid}">')
                    if desc:
                        out += f"<Description>{escape(desc)}</Description>"
                    out += "".join(f'<Coding guid="{new_guid()}" creatingUser="{self.user_guid}">'
                                   f'<CodeRef targetGUID="{c}"/></Coding>' for c in codes)
                    out += "</PlainTextSelection>"
                out += self._value_xml(s.values) + "</TextSource>"
            out += "".join(self.other_sources)
            parts.append(out + "</Sources>")
        if self.sets:
            parts.append("<Sets>" + "".join(
                f'<Set guid="{new_guid()}" name={quoteattr(n)}>'
                + "".join(f'<MemberSource targetGUID="{g}"/>' for g in members) + "</Set>"
                for n, members in self.sets
            ) + "</Sets>")
        parts.append("</Project>")
        return "\n".join(parts)

    def write(self, path: Path, *, validate: bool = True) -> Path:
        xml = self.xml()
        if validate:
            schema().validate(xml)  # raises if the fixture itself breaks the standard
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr(self.qde_name, xml.encode("utf-8"))
            for s in self.text_sources:
                if s.inline or not s.plain:
                    if s.docx:
                        z.writestr(f"{self.folder}/{s.guid}.docx", b"PK\x03\x04 not a real docx")
                    continue
                data = s.text.encode(s.encoding)
                if s.bom:
                    data = ("\ufeff".encode(s.encoding) if s.encoding != "utf-8" else b"\xef\xbb\xbf") + data
                z.writestr(f"{self.folder}/{s.guid}.txt", data)
                if s.docx:
                    z.writestr(f"{self.folder}/{s.guid}.docx", b"PK\x03\x04 not a real docx")
        return path


INTERVIEW_TEXT = (
    "Interviewer: How did partners work together?\n"
    "Respondent: Before Covid the council and the food bank barely spoke. "
    "During lockdown we had a call every morning 🤝 and trust grew.\n"
    "Respondent: The café on Ñandú Street became a hub — “people just turned up”.\n"
    "Respondent: Funding was fast but it stopped in July 😟 which worried everyone.\n"
)

# Spans of INTERVIEW_TEXT, spelled out by hand.
TRUST_SPAN = "we had a call every morning 🤝 and trust grew"
FUNDING_SPAN = "Funding was fast but it stopped in July 😟"
CAFE_SPAN = "trust grew.\nRespondent: The café on Ñandú Street"


def write_mapping(path, rows: list[list[str]]):
    header = "rule,match,value,kind,theme_id,direction,status,note\n"
    body = "".join(",".join(f'"{c}"' for c in (r + [""] * (8 - len(r)))) + "\n" for r in rows)
    path.write_text(header + body, encoding="utf-8")
    return path


CODE_ROWS = [
    ["code", "Ways of working/Trust", "", "shift", "trust", "positive", "emerging"],
    ["code", "Funding/Cliff edge", "", "threat", "funding_process", "negative", "at_risk"],
]


def interview_builder(origin, *, unit, crlf, folder="sources", qde_name="project.qde", crlf_in_file=False,
                      bom=False, inline=False, docx=False, names=False, encoding="utf-8"):
    """One interview coded three times; place and phase as case variables."""
    b = QdpxBuilder(origin=origin, folder=folder, qde_name=qde_name, unit=unit, crlf=crlf)
    ways = b.code("Ways of working")  # no colour
    trust = b.code("Trust", parent=ways, color="#009E73", description="Partners trust each other more")
    funding = b.code("Funding", color="#D55E00")
    cliff = b.code("Cliff edge", parent=funding)
    b.variable("Locality")
    b.variable("Phase")
    src = b.text_source("interview-07.docx", INTERVIEW_TEXT, inline=inline, bom=bom, crlf_in_file=crlf_in_file,
                        docx=docx, encoding=encoding)
    for span, code in ((TRUST_SPAN, trust), (FUNDING_SPAN, cliff), (CAFE_SPAN, trust)):
        b.select(src, span, [code], name=span[:30] + "..." if names else "")
    b.case("Respondent 7", {"Locality": "Northtown", "Phase": "During"}, sources=[src.guid])
    return b


EXPORTERS = {
    # NVivo: Sources/, .txt with BOM and CR LF beside the .docx, UTF-16 units, CR LF counts two
    "nvivo": dict(origin="NVivo 14 (14.23.2)", unit="utf16", crlf="two", folder="Sources",
                  crlf_in_file=True, bom=True, docx=True),
    # ATLAS.ti: sources/, the .qde named after the project, CR LF stored but counted once
    "atlas": dict(origin="ATLAS.ti 23.2.1", unit="utf16", crlf="one", qde_name="Northtown study.qde",
                  crlf_in_file=True),
    # MAXQDA: sources/, CR LF counted once
    "maxqda": dict(origin="MAXQDA 2022 (Release 22.7.0)", unit="utf16", crlf="one", crlf_in_file=True),
    # QualCoder: inline text is allowed; its files are UTF-8 with a BOM; code points
    "qualcoder": dict(origin="QualCoder 3.6", unit="codepoints", crlf="one", bom=True),
    "qualcoder-inline": dict(origin="QualCoder 3.6", unit="codepoints", crlf="one", inline=True),
}
