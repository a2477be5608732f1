"""Benchmark: the leak check over a rendered stakeholder folder.

Run: ``.venv/bin/python benchmarks/bench_leakcheck.py --study data/example --out /tmp/leak-out``
after ``coordination run --study data/example --phase interim --out /tmp/leak-out``.

Prints the number of files and bytes searched, how many names, respondent ids and identifiers
were searched for, the time to build the terms, the time of :func:`analysis.leakcheck.check_rendered`
over the stakeholder folder (best of ``--repeat`` runs) and the number of findings (kinds and
counts only, never the strings).
"""

from __future__ import annotations

import argparse
import os
import time
from collections import Counter
from pathlib import Path

from analysis import load_study
from analysis.leakcheck import ALLOWED, check_rendered, leak_terms


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--study", default="data/example")
    parser.add_argument("--out", default="/tmp/leak-out", help="the outputs folder of a run")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    study = load_study(args.study)
    folders = sorted(Path(args.out).glob("*/stakeholder"))
    if not folders:
        raise SystemExit(f"no stakeholder folder under {args.out}: render one first")
    files = [p for f in folders for p in f.rglob("*") if p.is_file()]
    size = sum(p.stat().st_size for p in files)
    start = time.perf_counter()
    terms = leak_terms(study)
    build = time.perf_counter() - start
    counts = {k: len(v) for k, v in terms.items() if k != ALLOWED}
    print(f"searched: {len(files)} files, {size / 1e6:.1f} MB; terms: {counts}, allowed: {len(terms[ALLOWED])}")
    print(f"terms built in {build * 1000:.0f} ms; load average {os.getloadavg()[0]:.2f}")
    best = float("inf")
    for _ in range(args.repeat):
        start = time.perf_counter()
        findings = check_rendered(study, folders, terms=terms)
        best = min(best, time.perf_counter() - start)
    print(f"check_rendered: best of {args.repeat}: {best:.2f} s; load average {os.getloadavg()[0]:.2f}")
    print(f"findings: {len(findings)} {dict(Counter(f.kind for f in findings))}")


if __name__ == "__main__":
    main()
