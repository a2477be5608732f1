"""The mapping file of a .qdpx import: codes to evidence kind and theme, rules for place and phase.

:func:`starter_mapping` writes one to fill in from a project; :func:`read_mapping` reads a
filled one and checks every row against the project (docs/qdpx.md describes the columns).
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from analysis.files import restore_cell
from analysis.qdpx.reader import Code, Project, Variable, norm_guid  # noqa: F401 -- the doctests build projects
from analysis.schema import EVIDENCE_DIRECTIONS, KINDS, STATUSES

__all__ = ["MappingError", "Mapping", "MAPPING_COLUMNS", "MAPPING_RULES", "starter_mapping", "read_mapping"]

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


class MappingError(ValueError):
    """The mapping file breaks its rules; ``problems`` lists each as 'row N, column: reason'."""

    def __init__(self, path, problems: list[str]):
        self.path, self.problems = str(path), problems
        listed = "\n".join(f"  {p}" for p in problems)
        super().__init__(f"{path}: the mapping has {len(problems)} problem(s):\n{listed}")


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
                     "note": "" if rule else
                     "variable: set rule to place_from_variable or phase_from_variable to use it"})
    blank = dict.fromkeys(MAPPING_COLUMNS, "")
    set_sizes = Counter(name for src in project.sources.values() for name in src.sets)
    for name, n in set_sizes.items():
        rows.append({"match": name, "note": f"set of {n} documents: set rule to place_from_set or phase_from_set "
                                            "and value to the place_id or phase_id to use it"})
    return pd.DataFrame([{**blank, **r} for r in rows], columns=list(MAPPING_COLUMNS))


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
    return [{k: restore_cell(v or "").strip() for k, v in row.items() if k} for row in reader]


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
            rules = (("kind", KINDS, True), ("direction", EVIDENCE_DIRECTIONS, False), ("status", STATUSES, False))
            for col, allowed, required in rules:
                v = row.get(col, "")
                if (v or required) and v not in allowed:
                    problems.append(f"row {n}, {col}: {v!r} is not one of {', '.join(allowed)}")
            if not theme:
                problems.append(f"row {n}, theme_id: empty (every evidence row needs a theme)")
            g = norm_guid(match)
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
