"""`coordination validate PATH`: check a study and print every problem, or its summary."""

from __future__ import annotations

import argparse
import sys

import pandas as pd

from analysis.study import StudyValidationError, load_study

__all__ = ["add_arguments", "main", "problems_table"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("study", nargs="?", default=None,
                        help="study folder, its study.xlsx, or a name under data/ (default: data/example)")
    parser.add_argument("--study", dest="study_option", metavar="STUDY", default=None,
                        help="the same, as an option (like `coordination run --study`)")


def problems_table(problems: pd.DataFrame) -> str:
    """The problems as a left-aligned plain-text table, errors first, then by file and row.

    Examples
    --------
    >>> p = pd.DataFrame([["error", "places.csv", "", 3, "ons_code", "X1", "not an ONS GSS code"]],
    ...                  columns=["severity", "file", "sheet", "row", "column", "value", "problem"])
    >>> print(problems_table(p))
    severity  file        row  column    value  problem
    error     places.csv  3    ons_code  X1     not an ONS GSS code
    """
    shown = problems.assign(
        _order=(problems["severity"] != "error").astype(int),
        _row=pd.to_numeric(problems["row"], errors="coerce").fillna(0),
    ).sort_values(["_order", "file", "sheet", "_row"], kind="stable")
    rows = [["severity", "file", "row", "column", "value", "problem"]]
    for rec in shown.itertuples(index=False):
        where = rec.file + (f" [{rec.sheet}]" if rec.sheet else "")
        row = "" if pd.isna(rec.row) else str(int(rec.row))
        value = rec.value if len(rec.value) <= 30 else rec.value[:27] + "..."
        rows.append([rec.severity, where, row, rec.column, value, rec.problem])
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r[:5], widths, strict=False)) + "  " + r[5] for r in rows)


def main(args) -> int:
    """Check the study; print its problems (exit 1 on any error) or its summary (exit 0)."""
    path = getattr(args, "study_option", None) or args.study or "data/example"
    try:
        study = load_study(path)
    except FileNotFoundError as exc:
        print(f"coordination validate: {exc}", file=sys.stderr)
        return 2
    except StudyValidationError as exc:
        p = exc.problems
        errors, warnings = int((p["severity"] == "error").sum()), int((p["severity"] == "warning").sum())
        print(problems_table(p))
        print(f"\n{errors} error(s), {warnings} warning(s) in {exc.study_path}")
        return 1
    if len(study.warnings):
        print(problems_table(study.warnings))
        print()
    print(repr(study))
    print(f"\nOK: no errors, {len(study.warnings)} warning(s).")
    return 0
