"""`coordination import-qdpx FILE.qdpx --study PATH --mapping CSV`: coded interviews into a study's evidence."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from analysis.cli.qdpx_options import add_position_options
from analysis.qdpx import SOURCE_LABELS, MappingError, QdpxError, import_evidence
from analysis.study import StudyValidationError

__all__ = ["add_arguments", "main"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``coordination import-qdpx``."""
    parser.add_argument("qdpx", help="the REFI-QDA project file (.qdpx)")
    parser.add_argument("--study", required=True, help="the study folder (or name under data/)")
    parser.add_argument("--mapping", required=True,
                        help="mapping CSV: codes to kind and theme, rules for place and phase (docs/qdpx.md)")
    add_position_options(parser)
    parser.add_argument("--source-label", choices=SOURCE_LABELS, default="source",
                        help="evidence 'source' column: the source's name, its case's name, or a neutral number")
    parser.add_argument("--dry-run", action="store_true", help="report what would be imported; write nothing")


def main(args) -> int:
    """Run ``coordination import-qdpx``."""
    for path in (args.qdpx, args.mapping):
        if not Path(path).is_file():
            print(f"coordination import-qdpx: {path} does not exist", file=sys.stderr)
            return 2
    try:
        result = import_evidence(args.qdpx, args.study, args.mapping, args.positions, args.crlf,
                                 args.source_label, write=not args.dry_run, max_size=args.max_size)
    except FileNotFoundError as exc:
        print(f"coordination import-qdpx: {exc}", file=sys.stderr)
        return 2
    except (QdpxError, MappingError) as exc:
        print(f"coordination import-qdpx: {exc}", file=sys.stderr)
        return 1
    except StudyValidationError as exc:
        print(f"coordination import-qdpx: the study does not load, fix it first:\n{exc}", file=sys.stderr)
        return 1
    print(result.report())
    return 0
