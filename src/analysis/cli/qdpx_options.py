"""Options that `coordination qdpx-info` and `import-qdpx` share: how a project's character positions count."""

from __future__ import annotations

import argparse

__all__ = ["add_position_options"]


def add_position_options(parser: argparse.ArgumentParser) -> None:
    """Add ``--positions`` and ``--crlf``."""
    parser.add_argument("--positions", choices=("auto", "codepoints", "utf16"), default="auto",
                        help="what a position counts "
                             "(default: decided from the exporter and checked against selection names)")
    parser.add_argument("--crlf", choices=("auto", "one", "two"), default="auto",
                        help="how many positions a CR LF line break takes (default: from the exporter)")
