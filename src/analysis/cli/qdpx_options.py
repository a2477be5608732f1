"""Options that `coordination qdpx-info` and `import-qdpx` share: how a project's character positions count."""

from __future__ import annotations

import argparse

from analysis.qdpx.reader import DEFAULT_MAX_SIZE, parse_size

__all__ = ["add_position_options"]


def add_position_options(parser: argparse.ArgumentParser) -> None:
    """Add ``--positions``, ``--crlf`` and ``--max-size``."""
    parser.add_argument("--positions", choices=("auto", "codepoints", "utf16"), default="auto",
                        help="what a position counts "
                             "(default: decided from the exporter and checked against selection names)")
    parser.add_argument("--crlf", choices=("auto", "one", "two"), default="auto",
                        help="how many positions a CR LF line break takes (default: from the exporter)")
    parser.add_argument("--max-size", type=parse_size, default=DEFAULT_MAX_SIZE, metavar="SIZE",
                        help="the most the project may hold uncompressed, per file and in all (e.g. 500MB; "
                             f"default {DEFAULT_MAX_SIZE // 10**6:,} MB): a guard against zip bombs")
