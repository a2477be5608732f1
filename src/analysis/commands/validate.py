"""`coordination validate PATH`: check a study and print every problem, or its summary."""

from __future__ import annotations

import argparse
import sys

import pandas as pd

from analysis.study import StudyValidationError, load_study

__all__ = ["add_arguments", "command", "problems_table"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("study", nargs="?", default="data/example",
                        help="study folder, its study.xlsx, or a name under data/ (default: data/example)")


def problems_table(problems: pd.DataFrame) -> str:
    """The problems as a plain-text table, one per line, widest columns trimmed."""
    shown = problems.copy()
    shown["where"] = shown["file"] + shown["sheet"].map(lambda s: f" [{s}]" if s else "")
    shown["row"] = shown["row"].map(lambda r: "" if pd.isna(r) else str(int(r)))
    shown["value"] = shown["value"].map(lambda v: v if len(v) <= 30 else v[:27] + "...")
    cols = ["severity", "where", "row", "column", "value", "problem"]
    return shown[cols].to_string(index=False, justify="left")


def command(args) -> int:
    try:
        study = load_study(args.study)
    except FileNotFoundError as exc:
        print(f"coordination validate: {exc}", file=sys.stderr)
        return 1
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
