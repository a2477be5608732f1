"""Benchmark: load and validate a national study (296 places by default) and print time and peak memory.

Run: ``.venv/bin/python benchmarks/bench_loading.py [--places N] [--seed S] [--profile]``. The study is
generated once into a temporary folder (not timed), then loaded in a fresh process so the memory
figure is the loader's alone. Target on the 2-core machine: a 296-place study (about 17,000
organisations, 670,000 ratings, 600,000 survey answers, 96,000 grants) in under 20 s and 2 GB.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from analysis.example import write_study
from analysis.national import generate_national

CHILD = """
import resource, sys, time
t0 = time.perf_counter()
from analysis import load_study
t1 = time.perf_counter()
study = load_study(sys.argv[1])
t2 = time.perf_counter()
rows = {name: len(getattr(study, name)) for name in ("organisations", "relationships", "survey_responses", "grants")}
print(f"import {t1 - t0:.1f} s, load and validate {t2 - t1:.1f} s, "
      f"peak memory {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB; rows {rows}")
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--places", type=int, default=296)
    parser.add_argument("--seed", type=int, default=2020)
    parser.add_argument("--profile", action="store_true", help="print the loader's 25 costliest functions")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cip-bench-load-") as tmp:
        folder = Path(tmp) / f"national-{args.places}"
        t0 = time.perf_counter()
        tables, settings = generate_national(args.places, seed=args.seed)
        write_study(folder, tables, settings, args.seed)
        print(f"generated {args.places} places in {time.perf_counter() - t0:.1f} s (not timed); "
              f"load average {os.getloadavg()[0]:.2f}")
        if args.profile:
            code = ("import cProfile, pstats, sys\nfrom analysis import load_study\n"
                    "cProfile.run('load_study(sys.argv[1])', '/tmp/cip-load.prof')\n"
                    "pstats.Stats('/tmp/cip-load.prof').sort_stats('cumulative').print_stats(25)\n")
        else:
            code = CHILD
        subprocess.run([sys.executable, "-c", code, str(folder)], check=True)
        print(f"load average after {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
