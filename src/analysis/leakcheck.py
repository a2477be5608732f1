"""Leak check: search rendered pages, notebooks and figures for names and respondent ids."""

from __future__ import annotations

import base64
import binascii
import html
import json
import logging
import re
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

from analysis.textmatch import TermIndex, fold, normalise, searchable_identifier

__all__ = [
    "Finding",
    "ALLOWED",
    "IDENTIFIER",
    "MIN_TERM_LENGTH",
    "GENERIC_NAMES",
    "normalise",
    "searchable",
    "searchable_identifier",
    "TermIndex",
    "term_pattern",
    "leak_terms",
    "check_text",
    "check_rendered",
    "format_findings",
]

log = logging.getLogger(__name__)

#: Key of :func:`leak_terms`' answer listing names that may appear (nameable organisations).
ALLOWED = "allowed"
#: Kind of the organisations' identifiers in :func:`leak_terms`' answer (searched in the forms
#: of :func:`analysis.textmatch.identifier_forms`).
IDENTIFIER = "organisation identifier"

#: Names and identifiers with fewer letters and digits than this are not searched for:
#: "Age" or "R12" would match ordinary words and numbers on every page.
MIN_TERM_LENGTH = 4

#: Names that are ordinary words or placeholders: searching for them would flag every page
#: (compared after :func:`normalise`). An organisation really called one of these cannot be
#: told apart from the word, so it is not searched for; the skip is logged (as a count).
GENERIC_NAMES = frozenset(
    {
        "council", "health", "other", "unknown", "none", "n/a", "anonymous", "test",
        "organisation", "organization", "community", "charity", "trust", "group",
        "partnership", "network", "foundation", "funder", "business", "school", "church",
        "hospital", "vcse", "nhs", "the council", "local authority", "public", "private",
    }
)

_DATA_URI = re.compile(r"data:(image/(?:png|svg\+xml)|text/csv)(?:;(?!base64)[\w.-]+=[\w.-]+)*(;base64)?,"
                       r"([A-Za-z0-9+/=%\s]+|[^\"')\s]+)", re.I)
_TAG = re.compile(r"<[^>]*>")
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_SVG_SPAN = re.compile(r"<svg\b.*?</svg>", re.S | re.I)
_SVG_METADATA_SPAN = re.compile(r"<(metadata|title|desc)\b.*?</\1>", re.S | re.I)
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_GENERIC = frozenset(normalise(n) for n in GENERIC_NAMES)


@dataclass(frozen=True)
class Finding:
    """One place where a string that must not be published was found.

    It names the *kind* of string and where it was, never the string itself, so a
    finding can be printed into a public log.

    Attributes
    ----------
    kind : str
        ``"organisation name"``, ``"respondent id"``, ``"organisation identifier"`` or
        ``"unreadable PDF"`` (a PDF whose text could not be extracted).
    path : str
        The file searched.
    where : str
        Where in the file: ``"HTML text, line 12"``, ``"notebook cell 12 output"``,
        ``"SVG metadata"``, ``"PNG tEXt chunk 'Title'"``, ``"PNG embedded in HTML (...)"``.
    """

    kind: str
    path: str
    where: str

    @property
    def location(self) -> str:
        """File and place in it, as one string."""
        return f"{self.path} ({self.where})"

    def __str__(self) -> str:
        return f"{self.kind} found in {self.location}"


def searchable(term: str) -> bool:
    """Whether a name or identifier is searched for (the rule that avoids false positives).

    A term is searched for when, after :func:`normalise` and trimming, it has at least
    :data:`MIN_TERM_LENGTH` letters or digits and is not one of :data:`GENERIC_NAMES`.

    Examples
    --------
    >>> searchable("Age"), searchable("Council"), searchable("Age UK Coventry")
    (False, False, True)
    >>> searchable("<script>alert(1)</script>")
    True
    """
    t = normalise(term)
    if sum(ch.isalnum() for ch in t) < MIN_TERM_LENGTH:
        return False
    return t not in _GENERIC


def term_pattern(terms) -> re.Pattern | None:
    """One regular expression matching any of ``terms`` in :func:`~analysis.textmatch.fold`-ed text.

    The pattern of a :class:`~analysis.textmatch.TermIndex`: search ``fold(text)`` (or
    :func:`normalise` of it) with it, not the raw text, so that disguises are undone on both
    sides. Between the words of a term may stand any whitespace, hyphens or nothing; a term
    that begins (ends) with a letter or digit is not matched inside a longer word ("Hope"
    does not match "Hopeful"). Returns None when no term is given.

    Examples
    --------
    >>> p = term_pattern(["Age UK Coventry", "Hope"])
    >>> bool(p.search(fold("funded by AGE\\u00adUK\\ncoventry"))), bool(p.search(fold("Hopeful")))
    (True, False)
    """
    return TermIndex(terms).pattern


def leak_terms(study, *, identifiers: bool = True) -> dict[str, list[str]]:
    """The strings that must not appear on a stakeholder page, by kind.

    Organisation names: every organisation of the study whose ``org_id`` is not in
    ``study.settings["nameable"]``, and every recipient or funder name in the grants table
    whose identifier is not nameable. Respondent ids: every ``respondent_id`` of the survey.
    Organisation identifiers (with ``identifiers``): the ``org_id`` of every organisation
    that is not nameable, and the identifier of every grant recipient or funder whose name
    is searched for, since a charity or company number names it as surely as its name does.
    They are searched with their prefix and, when their number has at least
    :data:`~analysis.textmatch.MIN_IDENTIFIER_DIGITS` digits, as that number alone
    (:func:`~analysis.textmatch.identifier_forms`). Names and respondent ids that
    :func:`searchable` rejects, and identifiers that :func:`searchable_identifier` rejects
    ("007"), are left out; how many is logged (never which).

    Parameters
    ----------
    study : Study
        The ORIGINAL study, as loaded (not the pseudonymised copy).
    identifiers : bool
        Also search for organisations' identifiers (default True).

    Returns
    -------
    dict
        ``{"organisation name": [...], "respondent id": [...], "organisation identifier":
        [...], ALLOWED: [...]}``; the last lists the nameable organisations' names: a hit
        inside a longer allowed name ("Age UK" in nameable "Age UK Coventry") is not a leak.

    Raises
    ------
    ValueError
        When ``study`` is a stakeholder copy (:func:`analysis.disclosure.for_audience`):
        its names are pseudonyms, so checking for them would prove nothing.
    """
    if (study.settings or {}).get("audience") == "stakeholder":
        raise ValueError("the leak check needs the original study (load_study), not its stakeholder copy")
    nameable = {str(x) for x in (study.settings or {}).get("nameable", None) or []}
    names: set[str] = set()
    orgs = study.organisations
    for org_id, name in zip(orgs["org_id"], orgs["name"], strict=False):
        if str(org_id) not in nameable and isinstance(name, str):
            names.add(name)
    grants = getattr(study, "grants", None)
    grant_ids: set[str] = set()
    if grants is not None and len(grants):
        for id_col, name_col in (("Recipient Org:Identifier", "Recipient Org:Name"),
                                 ("Funding Org:Identifier", "Funding Org:Name")):
            if name_col in grants:
                for org_id, name in zip(grants[id_col], grants[name_col], strict=False):
                    if isinstance(name, str) and str(org_id) not in nameable:
                        names.add(name)
                        if identifiers and isinstance(org_id, str):
                            grant_ids.add(org_id)  # a recipient's charity number names it too
    respondents: set[str] = set()
    responses = getattr(study, "survey_responses", None)
    if responses is not None and len(responses):
        respondents = {str(r) for r in responses["respondent_id"].dropna().unique()}
    allowed = {str(n) for o, n in zip(orgs["org_id"], orgs["name"], strict=False)
               if str(o) in nameable and isinstance(n, str)}
    out = {ALLOWED: sorted(allowed)}
    ids = ({str(o) for o in orgs["org_id"] if str(o) not in nameable} | grant_ids) if identifiers else set()
    for kind, terms in (("organisation name", names), ("respondent id", respondents),
                        ("organisation identifier", ids)):
        rule = searchable_identifier if kind == "organisation identifier" else searchable
        keep = sorted(t for t in terms if rule(t))
        if len(keep) < len(terms):
            log.warning("leak check: %d %s(s) too short or too generic to search for",
                        len(terms) - len(keep), kind)
        out[kind] = keep
    return out


# -- scanning -----------------------------------------------------------------------------

class _Scanner:
    """Searches pieces of files for the compiled terms and collects findings."""

    def __init__(self, terms: dict[str, list[str]]):
        self.allowed = TermIndex(terms.get(ALLOWED, []))
        self.indexes = {k: TermIndex(v, identifiers=k == IDENTIFIER) for k, v in terms.items() if k != ALLOWED and v}
        self.findings: list[Finding] = []
        self._seen: set[tuple] = set()

    def _add(self, kind, path, where):
        key = (kind, path, where)
        if key not in self._seen:
            self._seen.add(key)
            self.findings.append(Finding(kind, path, where))

    def text(self, text: str, path: str, where: str, *, line_numbers: bool = False) -> None:
        """Search plain text; with ``line_numbers`` the finding says which line."""
        if not text or not self.indexes:
            return
        folded = fold(text)
        allowed = list(self.allowed.finditer(folded)) if self.allowed else []
        for kind, index in self.indexes.items():
            line, counted = 1, 0  # matches come in order: count line breaks incrementally
            for start, end in index.finditer(folded):
                if any(a <= start and end <= b and b - a > end - start for a, b in allowed):
                    continue  # part of a longer nameable name
                label = where
                if line_numbers:
                    line += folded.count("\n", counted, start)
                    counted = start
                    label = f"{where}, line {line}"
                elif (kind, path, label) in self._seen:
                    break  # no line numbers: one finding per kind and place is enough
                self._add(kind, path, label)

    def html(self, doc: str, path: str, where: str = "HTML") -> None:
        """Search an HTML document: its text and attributes, inline SVG, embedded images."""
        self._data_uris(doc, path, f"embedded in {where}")
        doc = _DATA_URI.sub("data:", doc)
        for m in _SVG_SPAN.finditer(doc):
            self.svg(m.group(0), path, f"SVG embedded in {where}")
        doc = _SVG_SPAN.sub(_keep_lines, doc)
        # Text and attribute values with entities decoded (alt="Age UK &amp; ..."); then the
        # text with tags removed, so a name split by markup (<b>Age</b> UK) is still found.
        self.text(html.unescape(doc), path, f"{where} text", line_numbers=True)
        self.text(html.unescape(_TAG.sub(_untag, doc)), path, f"{where} text", line_numbers=True)

    def svg(self, doc: str, path: str, where: str = "SVG") -> None:
        """Search SVG markup: drawn text and metadata (title, description, RDF)."""
        for m in _SVG_METADATA_SPAN.finditer(doc):
            self.text(html.unescape(m.group(0)), path, f"{where} metadata")
            self.text(html.unescape(_TAG.sub(" ", m.group(0))), path, f"{where} metadata")
        rest = _SVG_METADATA_SPAN.sub(" ", doc)
        self.text(html.unescape(rest), path, f"{where} text")
        self.text(html.unescape(_TAG.sub(_untag, rest)), path, f"{where} text")

    def png(self, data: bytes, path: str, where: str = "PNG") -> None:
        """Search a PNG's text chunks (tEXt, zTXt, iTXt): keywords and values."""
        for chunk_type, keyword, value in png_text_chunks(data):
            self.text(f"{keyword} {value}", path, f"{where} {chunk_type} chunk '{keyword}'")

    def _data_uris(self, doc: str, path: str, where: str) -> None:
        for m in _DATA_URI.finditer(doc):
            mime, is_b64, payload = m.group(1), m.group(2), m.group(3)
            try:
                raw = base64.b64decode("".join(payload.split()), validate=False) if is_b64 else None
            except (binascii.Error, ValueError):
                continue
            mime = mime.lower()
            if mime == "text/csv":  # a "Download the data (CSV)" link (analysis.downloads)
                self.csv(raw.decode("utf-8-sig", "replace") if raw is not None else _unquote(payload), path,
                         f"CSV download {where}")
            elif mime == "image/png" and raw is not None:
                self.png(raw, path, f"PNG {where}")
            elif mime == "image/svg+xml":
                from urllib.parse import unquote

                text = raw.decode("utf-8", "replace") if raw is not None else unquote(payload)
                self.svg(text, path, f"SVG {where}")

    def csv(self, text: str, path: str, where: str = "CSV") -> None:
        """Search a CSV: its text, and each cell as read (a quoted cell's doubled quotes undone)."""
        import csv
        import io

        self.text(text, path, where)
        try:
            cells = [cell for row in csv.reader(io.StringIO(text)) for cell in row]
        except csv.Error:
            return
        self.text("\n".join(cells), path, where)

    def pdf(self, data: bytes, path: str, where: str = "PDF") -> None:
        """Search a PDF (a page printed by ``coordination run --pdf``): each page's text and the metadata.

        Text is extracted with pypdf; a PDF that cannot be read is a finding, since what
        cannot be searched cannot be published.
        """
        try:
            import io

            from pypdf import PdfReader

            reader = PdfReader(io.BytesIO(data))
            meta = {k: str(v) for k, v in (reader.metadata or {}).items()}
            texts = [page.extract_text() or "" for page in reader.pages]
        except Exception as exc:  # noqa: BLE001 -- pypdf missing or any damage: the PDF is not published
            self._add("unreadable PDF", path, f"{where} ({type(exc).__name__})")
            return
        self._json_strings(meta, path, f"{where} metadata")
        for i, text in enumerate(texts, start=1):
            self.text(text, path, f"{where} page {i}")

    def notebook(self, nb: dict, path: str) -> None:
        """Search an executed notebook: every cell's source, outputs and metadata."""
        self._json_strings(nb.get("metadata", {}), path, "notebook metadata")
        for i, cell in enumerate(nb.get("cells", []), start=1):
            src = cell.get("source", "")
            self.text("".join(src) if isinstance(src, list) else src, path, f"notebook cell {i} source")
            self._json_strings(cell.get("metadata", {}), path, f"notebook cell {i} metadata")
            for out in cell.get("outputs", []) or []:
                self._output(out, path, f"notebook cell {i} output")
            for att in (cell.get("attachments") or {}).values():
                for mime, value in att.items():
                    self._bundle_item(mime, value, path, f"notebook cell {i} attachment")

    def _output(self, out: dict, path: str, where: str) -> None:
        if "text" in out:
            text = out["text"]
            self.text("".join(text) if isinstance(text, list) else text, path, where)
        if "traceback" in out:
            self.text(_ANSI.sub("", "\n".join(out["traceback"])), path, f"{where} (error)")
            self.text(f"{out.get('ename', '')} {out.get('evalue', '')}", path, f"{where} (error)")
        for mime, value in (out.get("data") or {}).items():
            self._bundle_item(mime, value, path, where)
        self._json_strings(out.get("metadata", {}), path, f"{where} metadata")

    def _bundle_item(self, mime: str, value, path: str, where: str) -> None:
        if isinstance(value, list):
            value = "".join(value)
        if mime == "image/png":
            try:
                self.png(base64.b64decode(value), path, f"PNG in {where}")
            except (binascii.Error, ValueError, TypeError):
                pass
        elif mime == "image/svg+xml":
            self.svg(value, path, f"SVG in {where}")
        elif mime == "text/html":
            self.html(value, path, f"HTML in {where}")
        elif isinstance(value, str):
            self.text(value, path, f"{where} ({mime})")
        else:
            self._json_strings(value, path, f"{where} ({mime})")

    def _json_strings(self, obj, path: str, where: str) -> None:
        if obj:
            self.text(json.dumps(obj, ensure_ascii=False), path, where)
            self.text(html.unescape(json.dumps(obj, ensure_ascii=False)), path, where)

    def file(self, p: Path) -> None:
        path = str(p)
        suffix = p.suffix.lower()
        try:
            if suffix == ".png":
                self.png(p.read_bytes(), path)
                return
            if suffix == ".pdf":
                self.pdf(p.read_bytes(), path)
                return
            text = p.read_text(encoding="utf-8", errors="replace")
        except OSError as exc:
            log.warning("leak check: cannot read %s: %s", path, exc)
            return
        if suffix in (".html", ".htm"):
            self.html(text, path)
        elif suffix == ".svg":
            self.svg(text, path)
        elif suffix == ".csv":
            self.csv(text, path)
        elif suffix == ".ipynb":
            try:
                self.notebook(json.loads(text), path)
            except json.JSONDecodeError:
                self.text(text, path, "notebook file (not valid JSON)", line_numbers=True)
        else:
            self.text(text, path, "text", line_numbers=True)


def _unquote(payload: str) -> str:
    from urllib.parse import unquote

    return unquote(payload)


def _keep_lines(m: re.Match) -> str:
    return "\n" * m.group(0).count("\n")


_INLINE_TAG = re.compile(r"</?(?:a|abbr|b|bdi|bdo|cite|code|data|em|i|kbd|mark|q|s|samp|small|span|strong|sub|"
                         r"sup|time|u|var|wbr|tspan)\b", re.I)


def _untag(m: re.Match) -> str:
    """A tag removed: nothing for inline markup (<b>Age</b> UK), a space for the rest
    (a cell or line break separates words), keeping line breaks for line numbers."""
    tag = m.group(0)
    return "\n" * tag.count("\n") or ("" if _INLINE_TAG.match(tag) else " ")


def png_text_chunks(data: bytes):
    """Yield ``(chunk type, keyword, text)`` for every text chunk of a PNG.

    tEXt is Latin-1; zTXt is zlib-compressed Latin-1; iTXt is UTF-8, optionally compressed
    (PNG specification, 3rd edition, section 11.3.3). A file that is not a PNG yields nothing;
    a damaged chunk is skipped.

    Examples
    --------
    >>> import struct, zlib
    >>> body = b"Title\\x00Hello"
    >>> chunk = struct.pack(">I", len(body)) + b"tEXt" + body + b"\\0\\0\\0\\0"
    >>> list(png_text_chunks(b"\\x89PNG\\r\\n\\x1a\\n" + chunk))
    [('tEXt', 'Title', 'Hello')]
    """
    if not data.startswith(_PNG_SIGNATURE):
        return
    pos = len(_PNG_SIGNATURE)
    while pos + 8 <= len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        ctype = data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + length]
        pos += 12 + length
        try:
            if ctype == b"tEXt":
                key, _, value = body.partition(b"\0")
                yield "tEXt", key.decode("latin-1"), value.decode("latin-1")
            elif ctype == b"zTXt":
                key, _, rest = body.partition(b"\0")
                yield "zTXt", key.decode("latin-1"), zlib.decompress(rest[1:]).decode("latin-1")
            elif ctype == b"iTXt":
                key, _, rest = body.partition(b"\0")
                compressed, rest = rest[0], rest[2:]
                _lang, _, rest = rest.partition(b"\0")
                translated, _, value = rest.partition(b"\0")
                if compressed:
                    value = zlib.decompress(value)
                yield ("iTXt", key.decode("latin-1"),
                       translated.decode("utf-8", "replace") + " " + value.decode("utf-8", "replace"))
            elif ctype == b"IEND":
                return
        except (zlib.error, IndexError, UnicodeDecodeError):
            continue


def _files(paths) -> list[Path]:
    if isinstance(paths, (str, Path)):
        paths = [paths]
    out = []
    for p in map(Path, paths):
        if p.is_dir():
            out.extend(sorted(q for q in p.rglob("*") if q.is_file()))
        elif p.is_file():
            out.append(p)
        else:
            raise FileNotFoundError(f"leak check: {p} does not exist")
    return out


def check_text(study=None, text: str = "", *, terms: dict | None = None, where: str = "text",
               path: str = "<string>", kind: str = "text") -> list[Finding]:
    """Search one string (plain text, ``kind="html"`` or ``kind="svg"``) for leaks.

    Parameters
    ----------
    study : Study or None
        The original study (its terms come from :func:`leak_terms`); or None with ``terms``.
    text : str
        What to search.
    terms : dict, optional
        ``{kind: [strings]}`` to search for instead of the study's.
    where, path : str
        How findings describe the string's location.
    kind : {"text", "html", "svg"}
        How to read ``text``.

    Returns
    -------
    list of Finding

    Examples
    --------
    >>> check_text(text="<td>Age UK &amp; Friends</td>", kind="html",
    ...            terms={"organisation name": ["Age UK & Friends"]})[0].kind
    'organisation name'
    >>> check_text(text="VCSE 07", terms={"organisation name": ["Age UK & Friends"]})
    []
    """
    scanner = _Scanner(terms if terms is not None else leak_terms(study))
    if kind == "html":
        scanner.html(text, path)
    elif kind == "svg":
        scanner.svg(text, path)
    else:
        scanner.text(text, path, where)
    return scanner.findings


def check_rendered(study, paths, *, terms: dict | None = None, identifiers: bool = True) -> list[Finding]:
    """Search rendered outputs for organisation names and respondent ids of ``study``.

    Searches HTML files (text, attributes, inline SVG, base64-embedded PNG and SVG images and
    CSV downloads, ``data:text/csv`` links),
    executed notebooks (every cell's source, outputs, including HTML, SVG and PNG outputs
    and error tracebacks, and metadata), SVG files (drawn text and metadata) and PNG files
    (tEXt, zTXt and iTXt chunks) and PDF files (each page's text and the metadata, read with
    pypdf; a PDF that cannot be read is a finding). Other files are searched as text. Directories are searched
    recursively, hidden files included (a leftover temporary file would be published too).

    Matching: both the names and the text are normalised first (:func:`normalise`: HTML/XML
    entities decoded repeatedly, invisible characters such as soft hyphens and zero-width
    spaces removed, Unicode NFKC, look-alike letters from other alphabets read as the Latin
    letter they imitate, ``&`` read as ``and``, case folded); between the words of a name
    any whitespace, hyphens or nothing may stand; whole words only. Organisation
    identifiers are found with any separators between their parts, and long numbers alone
    (:func:`~analysis.textmatch.identifier_forms`). Names shorter than :data:`MIN_TERM_LENGTH` letters and digits or in
    :data:`GENERIC_NAMES` are not searched (see :func:`searchable`). Text drawn into a PNG's
    pixels cannot be searched: the suite saves every figure also as SVG with text kept as
    text (``svg.fonttype = "none"``), and that twin is searched.

    Parameters
    ----------
    study : Study
        The ORIGINAL study (names as in the data), not its stakeholder copy.
    paths : path or iterable of paths
        Files and folders to search.
    terms : dict, optional
        ``{kind: [strings]}`` to search for instead of :func:`leak_terms` of ``study``.
    identifiers : bool
        Also search for organisations' identifiers (see :func:`leak_terms`).

    Returns
    -------
    list of Finding
        One per kind of string and location; empty when nothing leaked. A finding never
        contains the string found.

    Raises
    ------
    FileNotFoundError
        When a path does not exist (a check of nothing must not pass silently).
    ValueError
        When ``study`` is a stakeholder copy rather than the original.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "page.html").write_text("<p>Thanks to Age UK &amp; Friends</p>")
    >>> found = check_rendered(None, d, terms={"organisation name": ["Age UK & Friends"]})
    >>> [(f.kind, f.where) for f in found][:1]
    [('organisation name', 'HTML text, line 1')]
    """
    scanner = _Scanner(terms if terms is not None else leak_terms(study, identifiers=identifiers))
    for p in _files(paths):
        scanner.file(p)
    return scanner.findings


def format_findings(findings) -> str:
    """A report of findings safe for a public log: kinds and locations, never the strings.

    Examples
    --------
    >>> print(format_findings([]))
    Leak check: nothing found.
    >>> print(format_findings([Finding("organisation name", "out/a.html", "HTML text, line 3")]))
    Leak check: 1 finding (not published):
      - organisation name found in out/a.html (HTML text, line 3)
    """
    findings = list(findings)
    if not findings:
        return "Leak check: nothing found."
    n = len(findings)
    lines = [f"Leak check: {n} finding{'s' if n != 1 else ''} (not published):"]
    lines += [f"  - {f}" for f in findings]
    return "\n".join(lines)
