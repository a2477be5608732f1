"""`coordination import-grants FILE --study PATH`: attribute 360Giving grants to a study's places."""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

from analysis.funding.attribution import attribute_places, attribution_summary, write_import
from analysis.funding.threesixtygiving import ThreeSixtyGivingError, read_360giving
from analysis.study import StudyValidationError, load_study, phase_of_dates

__all__ = ["add_arguments", "main"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", help="360Giving grants: a JSON package, CSV or XLSX (e.g. from GrantNav)")
    parser.add_argument("--study", required=True, help="the study folder (or a name under data/) to import into")
    parser.add_argument("--all", action="store_true",
                        help="also import grants attributed to no place (by default only the study's places' grants)")
    parser.add_argument("--dry-run", action="store_true", help="report the attribution but write nothing")


def _print_warnings(caught) -> None:
    for w in caught:
        print(f"warning: {w.message}", file=sys.stderr)


def main(args) -> int:
    """Read, attribute and import the grants; print the attribution report."""
    source = Path(args.file)
    prog = "coordination import-grants"
    try:
        study = load_study(args.study)
    except FileNotFoundError as exc:
        print(f"{prog}: {exc}", file=sys.stderr)
        return 2
    except StudyValidationError as exc:
        print(f"{prog}: the study does not load: {exc}", file=sys.stderr)
        return 1
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            grants = read_360giving(source)
    except FileNotFoundError as exc:
        print(f"{prog}: {exc}", file=sys.stderr)
        return 2
    except ThreeSixtyGivingError as exc:
        print(f"{prog}: {exc}", file=sys.stderr)
        return 1
    _print_warnings(caught)

    known = set(study.grants["Identifier"].astype(str))
    already = grants["Identifier"].astype(str).isin(known)
    attribution = attribute_places(grants[~already], study.places, study.organisations,
                                   study.settings.get("postcode_districts") or {})
    fresh = grants[~already].assign(place_id=attribution["place_id"])
    chosen = fresh if args.all else fresh[fresh["place_id"].notna()]
    outside_phases = int(phase_of_dates(chosen["Award Date"], study.phases).isna().sum())

    print(f"{len(grants):,} grants read from {source.name}")
    if already.any():
        print(f"{int(already.sum()):,} already in the study (same Identifier): skipped")
    print()
    summary = attribution_summary(attribution, study.place_ids)
    placed = summary[summary["place"] != "(unattributed)"].drop(columns="reason")
    print(placed.to_string(index=False))
    unplaced = summary[summary["place"] == "(unattributed)"]
    print(f"\nunattributed: {int(unplaced['grants'].sum()):,} grants")
    for row in unplaced.itertuples(index=False):
        print(f"  {row.grants:>8,}  {row.reason}")
    print()
    if outside_phases:
        print(f"{outside_phases:,} of the grants to import were awarded outside every phase of the study "
              "(they are kept, in no phase)")
    if chosen.empty:
        print("Nothing to import: no grant is attributed to a place of the study.")
        return 0
    if args.dry_run:
        print(f"Dry run: {len(chosen):,} grants would be imported; nothing written.")
        return 0
    folder = study.path if study.path.is_dir() else study.path.parent
    target = write_import(chosen, folder / "imports", source)
    try:  # the study must still load with the new file; if not, take the file back out
        load_study(folder)
    except StudyValidationError as exc:
        target.unlink()
        print(f"{prog}: the study would not load with these grants, so nothing was imported:\n{exc}",
              file=sys.stderr)
        return 1
    print(f"Imported {len(chosen):,} grants into {target}")
    return 0
