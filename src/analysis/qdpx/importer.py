"""Turn a project's coded text selections into rows of a study's ``evidence`` table.

:func:`evidence_from_project` maps each (selection, code) pair through the mapping file
to one evidence row, or skips it with the reason; :func:`import_evidence` reads the
.qdpx and the mapping and writes the rows as a new ``imports/evidence-*.csv`` of the study.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from analysis.files import csv_bytes_for_people, write_new_file
from analysis.qdpx.mapping import Mapping, read_mapping
from analysis.qdpx.positions import PositionConvention, PositionError, PositionIndex, choose_convention, extract_text
from analysis.qdpx.reader import DEFAULT_MAX_SIZE, Case, Project, read_qdpx
from analysis.schema import TABLES
from analysis.study import load_study

__all__ = ["ImportResult", "SOURCE_LABELS", "evidence_from_project", "import_evidence", "write_new_csv"]

SOURCE_LABELS = ("source", "case", "numbered")
SUMMARY_LENGTH = 200


def _norm_key(s: str) -> str:
    return re.sub(r"[\s_]+", "-", str(s).strip().casefold())


def _resolver(ids, labels) -> dict[str, str]:
    """Map normalised ids and labels to ids (for values like 'Coventry' -> 'coventry')."""
    out = {}
    for i, label in zip(ids, labels, strict=False):
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
                    code = f", code {r['code']!r}" if r["code"] else ""
                    lines.append(f"      selection {r['selection']} in {r['source']!r}{code}")
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
    offsets_cache: dict[str, PositionIndex] = {}
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
            offsets_cache[src.guid] = PositionIndex(src.text, convention.unit, convention.crlf)
        try:
            quote = extract_text(src.text, sel.start, sel.end, convention.unit, convention.crlf,
                                 offsets_cache[src.guid])
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
    so a reader never sees half a file and an existing file is never replaced. Text cells that
    a spreadsheet would run as a formula get a leading ``'`` (:func:`analysis.files.neutralise_cell`);
    the loader and :func:`analysis.qdpx.mapping.read_mapping` restore them.

    Examples
    --------
    >>> import tempfile
    >>> d = tempfile.mkdtemp()
    >>> [write_new_csv(pd.DataFrame({"a": [1]}), d, "evidence-x").name for _ in range(3)]
    ['evidence-x.csv', 'evidence-x-2.csv', 'evidence-x-3.csv']
    """
    data = csv_bytes_for_people(df)  # formula cells neutralised (the loader and read_mapping restore them)
    return write_new_file(directory, lambda n: f"{stem}.csv" if n == 1 else f"{stem}-{n}.csv", data)


def import_evidence(qdpx_path, study, mapping_path, unit: str = "auto", crlf: str = "auto",
                    source_label: str = "source", write: bool = True,
                    max_size: int = DEFAULT_MAX_SIZE) -> ImportResult:
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
    max_size : int
        The most read from the .qdpx, uncompressed, per member and in all (see :func:`read_qdpx`).

    Returns
    -------
    ImportResult
        Its ``path`` is ``<study>/imports/evidence-<qdpx name>.csv`` (with ``-2``, ``-3``...
        when that exists), or None when nothing was written.
    """
    study_obj = load_study(study) if isinstance(study, (str, os.PathLike)) else study
    project = read_qdpx(qdpx_path, max_size=max_size)
    mapping = read_mapping(mapping_path, project)
    convention = choose_convention(project, unit, crlf)
    result = evidence_from_project(project, mapping, study_obj, convention, source_label)
    if write and len(result.evidence):
        result.path = write_new_csv(result.evidence, Path(study_obj.path) / "imports",
                                    f"evidence-{_safe_stem(Path(qdpx_path).name)}")
    return result
