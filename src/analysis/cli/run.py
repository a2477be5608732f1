"""`coordination run`: execute and render every notebook for each place and phase of a study."""

from __future__ import annotations

import argparse
import os
import sys

from analysis.paths import NOTEBOOKS_DIR, OUTPUTS_DIR
from analysis.runner import AUDIENCES, RunError, run

__all__ = ["add_arguments", "main"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--study", default="data/example",
                        help="study folder, its study.xlsx, or a name under data/ (default: data/example)")
    parser.add_argument("--phase", action="append", metavar="P",
                        help="render only this phase (repeat for several; default: every phase)")
    parser.add_argument("--place", action="append", metavar="X",
                        help="render only this place (repeat for several; default: every place)")
    parser.add_argument("--audience", choices=AUDIENCES, default="stakeholder",
                        help="who the pages are for: stakeholder (pseudonyms, small numbers suppressed, "
                             "leak-checked; the default) or internal (names shown)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, metavar="N",
                        help="notebooks run in parallel (default: the number of CPUs, %(default)s here)")
    parser.add_argument("--timeout", type=float, default=600, metavar="S",
                        help="seconds a single cell may run before it is stopped (default: %(default)s)")
    parser.add_argument("--force", action="store_true", help="render everything, even what is up to date")
    parser.add_argument("--out", default=str(OUTPUTS_DIR), metavar="DIR", help="outputs folder (default: outputs/)")
    parser.add_argument("--notebooks", default=str(NOTEBOOKS_DIR), metavar="DIR",
                        help="folder of the notebooks to run (default: notebooks/)")
    parser.add_argument("--name", metavar="NAME",
                        help="the study's outputs folder, DIR/NAME, and its pseudonym key, .keys/NAME.key (default: "
                             "the study folder's name); give one when two studies' folders share a name")
    parser.add_argument("--wait", action="store_true",
                        help="when another run is writing the same outputs, wait for it instead of refusing")
    parser.add_argument("--new-key", action="store_true",
                        help="start a new pseudonym key (the old one is kept aside) and render every stakeholder "
                             "page again; needed when the key was lost after pages were made")
    parser.add_argument("--scheduler", metavar="ADDRESS",
                        help="run the notebooks on a Dask cluster: 'local' starts one of --jobs processes here, "
                             "tcp://HOST:8786 uses a running scheduler (see docs/scaling.md)")
    parser.add_argument("--pdf", action="store_true",
                        help="also print each page to a PDF beside it, for board papers (needs Debian's chromium)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar; print only failures and the index path")


def _progress_bar(quiet: bool):
    def start(total: int):
        from tqdm import tqdm  # here: a run with nothing to render never shows a bar

        return tqdm(total=total, unit="notebook", desc="Rendering", disable=quiet, file=sys.stderr, leave=False)

    return start


def main(args: argparse.Namespace) -> int:
    """Run the notebooks; print the summary table and the index to open. Exit 0, 1 (a page failed) or 2."""
    if args.jobs < 1:
        print("coordination run: --jobs must be at least 1", file=sys.stderr)
        return 2
    try:
        report = run(
            study=args.study, phases=args.phase, places=args.place, audience=args.audience, jobs=args.jobs,
            timeout=args.timeout, force=args.force, out=args.out, notebooks=args.notebooks,
            progress=_progress_bar(args.quiet), name=args.name, wait=args.wait, new_key=args.new_key,
            scheduler=args.scheduler,
            pdf=args.pdf,
        )
    except RunError as exc:
        print(f"coordination run: {exc}", file=sys.stderr)
        return 2
    if report.pdf_note:
        print(f"coordination run: {report.pdf_note}", file=sys.stderr)
    print(report.summary(quiet=args.quiet))
    return report.exit_status
