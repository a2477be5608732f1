"""`coordination make-example`: generate an illustrative study from its seeded generator.

Without ``--places`` (or with ``--places 3``) it writes the bundled example of Buckinghamshire,
Coventry and Sutton (data/example by default). With ``--places N`` it writes a national study
over the first N English local authorities to the folder given by ``--out`` (required then, and
never data/example).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from analysis.example import DEFAULT_SEED, generate_example, write_study
from analysis.files import atomic_write_text
from analysis.national import MAX_PLACES, generate_national, national_readme
from analysis.paths import DATA_DIR

__all__ = ["add_arguments", "main"]

BUNDLED_PLACES = 3


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--places", type=int, default=BUNDLED_PLACES, metavar="N",
                        help=f"3 (the default): the bundled example of Buckinghamshire, Coventry and Sutton; "
                             f"any other N up to {MAX_PLACES}: a national study over the first N English local "
                             "authorities (needs --out)")
    parser.add_argument("--out", default=None, metavar="DIR",
                        help="folder to write (default: data/example for the bundled example)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED,
                        help=f"seed of the random generator (default: {DEFAULT_SEED})")


def main(args: argparse.Namespace) -> int:
    """Write the study and print how many rows each table has."""
    prog = "coordination make-example"
    if args.places == BUNDLED_PLACES:
        tables, settings = generate_example(args.seed)
        out = Path(args.out) if args.out else DATA_DIR / "example"
        folder = write_study(out, tables, settings, args.seed)
        what = "the illustrative study"
    else:
        if not 1 <= args.places <= MAX_PLACES:
            print(f"{prog}: --places must be between 1 and {MAX_PLACES}, not {args.places}", file=sys.stderr)
            return 2
        if not args.out:
            print(f"{prog}: a national study needs --out DIR (it is never written over data/example)",
                  file=sys.stderr)
            return 2
        out = Path(args.out)
        if out.resolve() == (DATA_DIR / "example").resolve():
            print(f"{prog}: {out} is the bundled example's folder: choose another --out", file=sys.stderr)
            return 2
        tables, settings = generate_national(args.places, seed=args.seed)
        folder = write_study(out, tables, settings, args.seed, generator="src/analysis/national.py",
                             command=f"coordination make-example --places {args.places}")
        atomic_write_text(folder / "README.md", national_readme(tables, args.seed))
        what = f"an illustrative national study of {args.places} places"
    print(f"wrote {what} (seed {args.seed}) to {folder}")
    for name, frame in tables.items():
        print(f"  {name + '.csv':<22} {len(frame):>9,} rows")
    return 0
