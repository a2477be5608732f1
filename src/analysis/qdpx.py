"""Import coded interviews from REFI-QDA (.qdpx) projects exported by NVivo, ATLAS.ti, MAXQDA, QualCoder.

A ``.qdpx`` file is a zip holding one ``*.qde`` XML document (normally ``project.qde``;
ATLAS.ti names it after the project) and the sources in ``Sources/`` (NVivo) or
``sources/`` (MAXQDA, ATLAS.ti, QualCoder). :func:`read_qdpx` validates the XML against
the REFI-QDA Project schema shipped in ``analysis/resources`` and returns a
:class:`Project`: codebook (nested), users, variables, cases, sources with their plain
text, and every coded selection. :func:`import_evidence` turns the coded text selections
into rows of the study's ``evidence`` table, following a mapping file (docs/qdpx.md).

This module holds the public entry points and the two commands (``coordination
import-qdpx`` and ``coordination qdpx-info``, with the project summary the latter prints).
The work is done in ``qdpx_reader`` (reading and schema-checking the .qdpx),
``qdpx_positions`` (character positions), ``qdpx_mapping`` (the mapping file) and
``qdpx_import`` (selections to evidence rows); ``qdpx_positions`` explains how each
program counts character positions.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

import pandas as pd

from analysis.qdpx_import import (
    SOURCE_LABELS,
    ImportResult,
    evidence_from_project,
    import_evidence,
    write_new_csv,
)
from analysis.qdpx_mapping import MAPPING_COLUMNS, MAPPING_RULES, Mapping, MappingError, read_mapping, starter_mapping
from analysis.qdpx_positions import PositionConvention, PositionError, choose_convention, extract_text
from analysis.qdpx_reader import (
    Case,
    Code,
    NotAQdpxError,
    Project,
    ProjectFileMissingError,
    QdpxError,
    QdpxXmlError,
    Selection,
    Source,
    User,
    Variable,
    read_qdpx,
)
from analysis.study import StudyValidationError

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
    "PositionError",
    "Mapping",
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
