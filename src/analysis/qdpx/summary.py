"""What a REFI-QDA project holds, in a table of its codes and a summary for the terminal."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pandas as pd

from analysis.qdpx.positions import PositionConvention, choose_convention
from analysis.qdpx.reader import (
    Code,  # noqa: F401 -- the doctests build a project
    Project,
)

__all__ = ["codes_table", "summarise"]


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
    variables = ", ".join(f"{v.name} ({v.type})" for v in project.variables.values()) or "none"
    out += ["", f"variables ({len(project.variables)}): {variables}"]
    named_cases = [c for c in project.cases.values() if c.name]
    out.append(f"cases ({len(named_cases)} named, {len(project.cases) - len(named_cases)} describing one source):")
    for c in named_cases:
        vals = ", ".join(f"{k}={v}" for k, v in c.values.items())
        count = len(c.sources)
        out.append(f"  {c.name}: {count} {'source' if count == 1 else 'sources'}" + (f"; {vals}" if vals else ""))
    set_sizes = Counter(name for src in project.sources.values() for name in src.sets)
    out.append(f"sets of documents ({len(set_sizes)}): "
               + (", ".join(f"{k} ({n})" for k, n in set_sizes.items()) or "none"))
    out += ["", "coded selections: " + (", ".join(f"{n} {k}" for k, n in sorted(kinds.items())) or "none")]
    return "\n".join(out)
