"""Benchmark: load and validate a national study (296 places by default) and print time and peak memory.

Run: ``.venv/bin/python benchmarks/bench_loading.py [--places N] [--seed S] [--study DIR] [--repeat R] [--profile]``.
The study is generated once into a temporary folder (not timed), or ``--study DIR`` loads one already
written (``coordination make-example --places 296 --out DIR``). Each load runs in a fresh process, so the
peak memory (the process's maximum resident set, VmHWM, imports included) is the loader's alone.
``--profile`` prints where the time goes (cProfile: the costliest functions by their own time and by
cumulative time); on a shared machine those proportions hold whatever the load, the wall time does not.

Target (issue 14): a 296-place study (about 17,000 organisations, 670,000 ratings, 600,000 survey
answers, 96,000 grants) loads and validates in under 20 s and under 2 GB on the 2-core machine.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_SECONDS = 20
TARGET_MB = 2048

CHILD = """
import resource, sys, time
def cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime
t0 = time.perf_counter()
from analysis import load_study
t1, c1 = time.perf_counter(), cpu()
study = load_study(sys.argv[1])
t2, c2 = time.perf_counter(), cpu()
rows = {name: len(getattr(study, name)) for name in ("organisations", "relationships", "survey_responses", "grants")}
def peak_mb():
    # VmHWM is this program's own peak; ru_maxrss would count the forking parent's memory on Linux
    try:
        with open("/proc/self/status") as status:
            return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")) / 1024
    except (OSError, StopIteration):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
peak = peak_mb()
print(f"{t2 - t1:.2f} {peak:.0f} {c2 - c1:.2f} {t1 - t0:.2f} {rows}")
"""

PROFILE = """
import cProfile, pstats, sys
from analysis import load_study
cProfile.run('load_study(sys.argv[1])', sys.argv[2])
stats = pstats.Stats(sys.argv[2])
total = stats.total_tt
print(f"profiled load and validate: {total:.1f} s in all (profiling slows it)")
stats.sort_stats('tottime').print_stats(20)
stats.sort_stats('cumulative').print_stats(30)
"""


def _load_once(folder: Path) -> tuple[float, float, float, float, str]:
    out = subprocess.run([sys.executable, "-c", CHILD, str(folder)], check=True, capture_output=True, text=True)
    seconds, peak, cpu, imports, rows = out.stdout.strip().split(" ", 4)
    return float(seconds), float(peak), float(cpu), float(imports), rows


def _measure(folder: Path, repeat: int, profile: bool) -> None:
    print(f"load average before {' '.join(f'{x:.2f}' for x in os.getloadavg())} ({os.cpu_count()} CPUs)")
    if profile:
        with tempfile.TemporaryDirectory(prefix="cip-bench-prof-") as tmp:
            subprocess.run([sys.executable, "-c", PROFILE, str(folder), str(Path(tmp) / "load.prof")], check=True)
        return
    runs = [_load_once(folder) for _ in range(repeat)]
    for i, (seconds, peak, cpu, imports, rows) in enumerate(runs, 1):
        print(f"run {i}: load and validate {seconds:.1f} s (target under {TARGET_SECONDS} s), "
              f"peak memory {peak:,.0f} MB (target under {TARGET_MB:,} MB); "
              f"CPU {cpu:.1f} s (the time on an idle core); imports {imports:.1f} s more; rows {rows}")
    best = min(r[0] for r in runs)
    peak = max(r[1] for r in runs)
    cpu = min(r[2] for r in runs)
    verdict = "meets" if best < TARGET_SECONDS and peak < TARGET_MB else "misses"
    print(f"best {best:.1f} s wall ({cpu:.1f} s CPU), peak {peak:,.0f} MB: {verdict} the target "
          f"(under {TARGET_SECONDS} s and {TARGET_MB:,} MB)")
    print(f"load average after {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--places", type=int, default=296)
    parser.add_argument("--seed", type=int, default=2020)
    parser.add_argument("--study", type=Path, help="load this study folder instead of generating one")
    parser.add_argument("--repeat", type=int, default=1, help="loads to time (each in a fresh process)")
    parser.add_argument("--profile", action="store_true", help="print where the loader's time goes (cProfile)")
    args = parser.parse_args()
    if args.study is not None:
        if not args.study.is_dir():
            parser.error(f"no study folder {args.study}")
        _measure(args.study, args.repeat, args.profile)
        return 0
    from analysis.example import write_study
    from analysis.national import generate_national

    with tempfile.TemporaryDirectory(prefix="cip-bench-load-") as tmp:
        folder = Path(tmp) / f"national-{args.places}"
        t0 = time.perf_counter()
        tables, settings = generate_national(args.places, seed=args.seed)
        write_study(folder, tables, settings, args.seed)
        print(f"generated {args.places} places in {time.perf_counter() - t0:.1f} s (not timed)")
        _measure(folder, args.repeat, args.profile)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
