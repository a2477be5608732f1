"""`coordination make-example`: generate the illustrative example study from its seeded generator."""

from __future__ import annotations

import argparse
from pathlib import Path

from analysis.example import DEFAULT_SEED, generate_example, write_study
from analysis.paths import DATA_DIR

__all__ = ["add_arguments", "main"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", default=str(DATA_DIR / "example"),
                        help="folder to write (default: data/example in the project)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED,
                        help=f"seed of the random generator (default: {DEFAULT_SEED})")


def main(args: argparse.Namespace) -> int:
    """Write the example study and print how many rows each table has."""
    tables, settings = generate_example(args.seed)
    folder = write_study(Path(args.out), tables, settings, args.seed)
    print(f"wrote the illustrative study (seed {args.seed}) to {folder}")
    for name, frame in tables.items():
        print(f"  {name + '.csv':<22} {len(frame):>6} rows")
    return 0
