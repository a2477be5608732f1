"""The `coordination` command: one subcommand per job, each implemented in its own module."""

from __future__ import annotations

import argparse
import importlib
import sys

__all__ = ["main", "COMMANDS"]

#: subcommand -> (module that implements it, one-line help). Each module defines
#: ``add_arguments(parser)`` and ``command(args) -> int`` (the exit status).
COMMANDS = {
    "validate": ("analysis.commands.validate", "check a study's data and print every problem found"),
    "run": ("analysis.runner", "execute and render every notebook for each place and phase"),
    "make-example": ("analysis.example", "regenerate the bundled illustrative study in data/example"),
    "import-grants": ("analysis.funding_import", "attribute 360Giving grants to a study's places"),
    "import-qdpx": ("analysis.qdpx", "import coded interviews from a REFI-QDA (.qdpx) project"),
    "qdpx-info": ("analysis.qdpx", "summarise a REFI-QDA (.qdpx) project and write a starter mapping"),
}


def build_parser(selected: str | None = None) -> argparse.ArgumentParser:
    """The argument parser; only the ``selected`` subcommand's module is imported (fast start)."""
    from analysis import __version__

    parser = argparse.ArgumentParser(
        prog="coordination",
        description="Coordination in place: analysis suite for place-based research.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="subcommand", metavar="COMMAND")
    for name, (module_name, help_text) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        if name != selected:
            continue
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:  # a command whose module is not built yet
            if exc.name != module_name:
                raise
            p.set_defaults(_missing=module_name)
            continue
        suffix = name.replace("-", "_")
        add = getattr(module, f"add_arguments_{suffix}", None) or module.add_arguments
        run = getattr(module, f"command_{suffix}", None) or module.command
        add(p)
        p.set_defaults(_command=run)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    selected = next((a for a in argv if not a.startswith("-")), None)
    parser = build_parser(selected if selected in COMMANDS else None)
    args = parser.parse_args(argv)
    if args.subcommand is None:
        parser.print_help()
        return 2
    if getattr(args, "_missing", None):
        print(f"coordination {args.subcommand}: not available in this version", file=sys.stderr)
        return 2
    try:
        return int(args._command(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
