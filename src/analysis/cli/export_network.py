"""`coordination export-network`: write a place's trust network for Gephi (GraphML, GEXF) or Kumu (.xlsx)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from analysis.networks.export import EXPORT_FORMATS, NetworkExportLeak, write_network
from analysis.study import StudyValidationError, load_study

__all__ = ["add_arguments", "main"]

PROG = "coordination export-network"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--study", default="data/example",
                        help="study folder, its study.xlsx, or a name under data/ (default: data/example)")
    parser.add_argument("--place", required=True, help="place_id of the place whose network to write")
    parser.add_argument("--phase", required=True, help="phase_id of the phase")
    parser.add_argument("--format", dest="fmt", required=True, choices=list(EXPORT_FORMATS),
                        help="graphml or gexf (Gephi, yEd, igraph), or kumu (an .xlsx of elements and connections)")
    parser.add_argument("--out", required=True, metavar="FILE", help="file to write (its folder must exist)")
    parser.add_argument("--audience", choices=["stakeholder", "internal"], default="stakeholder",
                        help="stakeholder (the default: organisations under pseudonyms, ratings of fewer "
                             "than the threshold partners left out, leak-checked) or internal (organisations named)")


def _say(message: str) -> None:
    print(f"{PROG}: {message}", file=sys.stderr)


def main(args) -> int:
    """Run the command; 0 when written, 1 for a problem with the data, 2 for a usage error
    or a path that does not exist."""
    out = Path(args.out)
    if not out.parent.is_dir():
        _say(f"the folder {out.parent} does not exist")
        return 2
    if out.is_dir():
        _say(f"{out} is a folder; give the file to write")
        return 2
    try:
        study = load_study(args.study)
    except FileNotFoundError as exc:
        _say(str(exc))
        return 2
    except StudyValidationError as exc:
        _say(f"the study in {exc.study_path} has {len(exc.problems)} problem(s); "
             f"`coordination validate {args.study}` lists them")
        return 1
    if args.place not in study.place_ids:
        _say(f"no place {args.place!r} in the study (places: {', '.join(study.place_ids)})")
        return 2
    if args.phase not in study.phase_ids:
        _say(f"no phase {args.phase!r} in the study (phases: {', '.join(study.phase_ids)})")
        return 2
    try:
        written = write_network(study, args.place, args.phase, args.fmt, out, audience=args.audience)
    except NetworkExportLeak as exc:
        _say(f"{exc}. Check study.yml's nameable list and the organisations' names.")
        return 1
    except OSError as exc:
        _say(f"could not write {out}: {exc.strerror or exc}")
        return 1
    print(f"{PROG}: wrote {written} ({args.fmt}, {args.audience})")
    return 0


