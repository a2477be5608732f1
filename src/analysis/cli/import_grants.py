"""`coordination import-grants FILE --study PATH`: attribute 360Giving grants to a study's places."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from analysis.funding.importing import GrantImportError, carry_out_import, plan_import
from analysis.funding.threesixtygiving import ThreeSixtyGivingError
from analysis.study import StudyValidationError

__all__ = ["add_arguments", "main"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", help="360Giving grants: a JSON package, CSV or XLSX (e.g. from GrantNav)")
    parser.add_argument("--study", required=True, help="the study folder (or a name under data/) to import into")
    parser.add_argument("--all", action="store_true",
                        help="also import grants attributed to no place (by default only the study's places' grants)")
    parser.add_argument("--licence", help="the licence the publisher gives the file under, when the file does not "
                                          "say (recorded with each grant and shown on funding pages)")
    parser.add_argument("--dry-run", action="store_true",
                        help="run every check of the real import and print the same report, but write nothing")


def main(args) -> int:
    """Plan the import (read, attribute, check as the loader will), print the report, then write it."""
    prog = "coordination import-grants"
    try:
        plan = plan_import(args.study, Path(args.file), include_unattributed=args.all, licence=args.licence)
    except FileNotFoundError as exc:
        print(f"{prog}: {exc}", file=sys.stderr)
        return 2
    except StudyValidationError as exc:
        print(f"{prog}: the study does not load: {exc}", file=sys.stderr)
        return 1
    except (ThreeSixtyGivingError, ValueError) as exc:
        print(f"{prog}: {exc}", file=sys.stderr)
        return 1
    for line in plan.report_lines():
        print(line)
    n = len(plan.rows)
    grants = "1 grant" if n == 1 else f"{n:,} grants"
    if n == 0:
        if plan.already:
            print(f"Nothing new to import: {plan.already:,} of the file's grants are already in the study.")
        else:
            print("Nothing to import: no grant is attributed to a place of the study.")
        return 0
    if args.dry_run:
        print(f"Dry run: {grants} would be imported into {plan.study_folder / 'imports' / plan.file_name}; "
              "nothing written.")
        return 0
    try:
        target = carry_out_import(plan)
    except GrantImportError as exc:
        print(f"{prog}: {exc}", file=sys.stderr)
        return 1
    print(f"Imported {grants} into {target}")
    return 0
