"""`coordination qdpx-info FILE.qdpx`: summarise a REFI-QDA project, and write a starter mapping of its codes."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from analysis.cli.qdpx_options import add_position_options
from analysis.qdpx import QdpxError, choose_convention, read_qdpx, starter_mapping, summarise, write_new_csv

__all__ = ["add_arguments", "main"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``coordination qdpx-info``."""
    parser.add_argument("qdpx", help="the REFI-QDA project file (.qdpx)")
    parser.add_argument("--write-mapping", metavar="CSV", help="write a starter mapping file (never overwrites)")
    add_position_options(parser)


def main(args) -> int:
    """Run ``coordination qdpx-info``."""
    if not Path(args.qdpx).is_file():
        print(f"coordination qdpx-info: {args.qdpx} does not exist", file=sys.stderr)
        return 2
    try:
        project = read_qdpx(args.qdpx, max_size=args.max_size)
    except FileNotFoundError as exc:
        print(f"coordination qdpx-info: {exc}", file=sys.stderr)
        return 2
    except QdpxError as exc:
        print(f"coordination qdpx-info: {exc}", file=sys.stderr)
        return 1
    print(summarise(project, choose_convention(project, args.positions, args.crlf)))
    if args.write_mapping:
        target = Path(args.write_mapping)
        if target.exists():
            print(f"coordination qdpx-info: {target} exists; not overwritten (choose another name)", file=sys.stderr)
            return 1
        stem = target.name[:-4] if target.suffix == ".csv" else target.name
        written = write_new_csv(starter_mapping(project), target.parent, stem)
        print(f"\nstarter mapping written to {written}: fill kind and theme_id for the codes you use")
    return 0
