"""The `coordination` command: one subcommand per job, each in its own module of this package.

Every subcommand module defines ``add_arguments(parser)`` and ``main(args) -> int``, prints its
messages prefixed ``coordination <command>: `` and follows one exit-status rule:

- 0: done;
- 1: the data has problems, or a page failed;
- 2: a usage error, or a path that does not exist;
- 130: interrupted (Ctrl-C).

Only this package parses arguments and prints; the library it calls never does.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import traceback

__all__ = ["main", "COMMANDS", "EXIT_STATUS_HELP"]

#: subcommand -> (module in this package, one-line help).
COMMANDS = {
    "validate": ("validate", "check a study's data and print every problem found"),
    "run": ("run", "execute and render every notebook for each place and phase"),
    "import-grants": ("import_grants", "attribute 360Giving grants to a study's places"),
    "qdpx-info": ("qdpx_info", "summarise a REFI-QDA (.qdpx) project and write a starter mapping"),
    "import-qdpx": ("import_qdpx", "import coded interviews from a REFI-QDA (.qdpx) project"),
    "make-example": ("make_example", "generate the illustrative example study"),
    "export-network": ("export_network", "write a trust network for Gephi (GraphML, GEXF) or Kumu (.xlsx)"),
}

EXIT_STATUS_HELP = """exit status:
  0    done
  1    the data has problems, or a page failed
  2    usage error, or a path that does not exist
  130  interrupted"""


def build_parser(selected: str | None = None) -> argparse.ArgumentParser:
    """The argument parser; only the ``selected`` subcommand's module is imported (a fast start)."""
    from analysis import __version__

    parser = argparse.ArgumentParser(
        prog="coordination",
        description="Coordination in place: analysis suite for place-based research.",
        epilog=EXIT_STATUS_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--debug", action="store_true", help="show the full traceback of an unexpected error")
    sub = parser.add_subparsers(dest="subcommand", metavar="COMMAND")
    for name, (module_name, help_text) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text, epilog=EXIT_STATUS_HELP,
                           formatter_class=argparse.RawDescriptionHelpFormatter)
        p.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                       help="show the full traceback of an unexpected error")
        if name == selected:
            module = importlib.import_module(f"analysis.cli.{module_name}")
            module.add_arguments(p)
            p.set_defaults(_main=module.main)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run ``coordination`` with ``argv`` (default: the command line); returns the exit status."""
    argv = sys.argv[1:] if argv is None else list(argv)
    selected = next((a for a in argv if not a.startswith("-")), None)
    parser = build_parser(selected if selected in COMMANDS else None)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on a usage error and 0 after --help
        return int(exc.code or 0)
    if args.subcommand is None:
        parser.print_help()
        return 2
    try:
        return int(args._main(args) or 0)
    except KeyboardInterrupt:
        print(f"coordination {args.subcommand}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 -- the last resort: one plain line, the traceback only under --debug
        if getattr(args, "debug", False):
            traceback.print_exc()
        print(f"coordination {args.subcommand}: unexpected {type(exc).__name__}: {_one_line(exc)}"
              + ("" if getattr(args, "debug", False) else " (run again with --debug for the details)"),
              file=sys.stderr)
        return 1


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) <= 300 else text[:297] + "..."


if __name__ == "__main__":
    raise SystemExit(main())
