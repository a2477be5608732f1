"""Benchmark of `coordination run` against a naive loop of the papermill and nbconvert CLIs.

Times, on a study (default: the example study):
  (a) a naive loop: for each notebook, place and phase, the `papermill` CLI then the
      `jupyter nbconvert --to html --no-input` CLI, one after another;
  (b) `coordination run --force --jobs 2`;
  (c) `coordination run` again with nothing changed, five times (median and best: one short
      command is at the mercy of whatever else the machine is doing);
and prints the three times and the ratio a/b, each with the machine's load average, then where
(b)'s time went: each notebook's median and maximum time per page (execution, rendering and
checks, as the run's manifests record them) and the same over every page. Targets on the
2-core machine: b at least 8x faster than a; the median page under 1.0 s, none over 2.5 s;
c under 0.3 s.

    python benchmarks/bench_runner.py [--study data/example] [--phase interim ...] [--jobs 2]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
#: How many times (c) is timed.
RERUNS = 5


def naive_loop(study: Path, notebooks: list[Path], phases: list[str], places: list[str], out: Path) -> int:
    """(a): one papermill process and one nbconvert process per notebook, sequentially."""
    import papermill

    count = 0
    for phase in phases:
        for nb in notebooks:
            per_place = "place" in papermill.inspect_notebook(str(nb))
            for place in places if per_place else [None]:
                folder = out / phase / (place or "all-places")
                folder.mkdir(parents=True, exist_ok=True)
                executed = folder / nb.name
                cmd = [str(BIN / "papermill"), str(nb), str(executed), "--cwd", str(nb.parent), "--no-progress-bar",
                       "-r", "study", str(study), "-r", "phase", phase, "-r", "audience", "stakeholder",
                       "-r", "figures_dir", str(folder)]
                if place:
                    cmd += ["-r", "place", place]
                subprocess.run(cmd, check=True, capture_output=True)
                subprocess.run([str(BIN / "jupyter"), "nbconvert", "--to", "html", "--no-input", str(executed)],
                               check=True, capture_output=True)
                count += 1
    return count


def load() -> str:
    """The machine's load averages (1, 5, 15 min): other work on the machine slows (b) most."""
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def timed(label: str, fn):
    before = load()
    start = time.perf_counter()
    result = fn()
    seconds = time.perf_counter() - start
    print(f"{label:<58} {seconds:8.2f} s   (load before {before}, after {load()})", flush=True)
    return seconds, result


def page_times(out: Path) -> dict[str, list[float]]:
    """Seconds per page of every notebook, from the manifests of a run written under ``out``.

    The manifests (``<study>/<audience>/<phase>/manifest.json``) record, for each page, the
    seconds its worker spent executing the notebook, rendering the page and checking it.
    """
    times: dict[str, list[float]] = {}
    for path in sorted(out.rglob("manifest.json")):
        try:
            entries = json.loads(path.read_text(encoding="utf-8")).get("entries", {})
        except (OSError, ValueError):
            continue
        for key, entry in entries.items():
            if entry.get("status") == "ok" and isinstance(entry.get("seconds"), int | float):
                times.setdefault(key.rsplit("/", 1)[-1], []).append(float(entry["seconds"]))
    return times


def print_page_times(times: dict[str, list[float]]) -> None:
    """Median and maximum seconds per page, per notebook and over all pages."""
    every = [t for ts in times.values() for t in ts]
    if not every:
        print("    no manifest entries found")
        return
    print(f"    {'seconds per page (from the manifests)':<40} {'pages':>5} {'median':>8} {'max':>8}")
    for name, ts in sorted(times.items()):
        print(f"    {name:<40} {len(ts):>5} {statistics.median(ts):>8.2f} {max(ts):>8.2f}")
    print(f"    {'every page':<40} {len(every):>5} {statistics.median(every):>8.2f} {max(every):>8.2f}"
          "   (targets: median < 1.0 s, max < 2.5 s)")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--study", default="data/example")
    parser.add_argument("--phase", action="append", help="limit to these phases (default: every phase)")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--skip-naive", action="store_true", help="time only (b) and (c)")
    args = parser.parse_args(argv)

    sys.path.insert(0, str(ROOT / "src"))
    from analysis import load_study
    from analysis.paths import NOTEBOOKS_DIR, resolve_study_path

    study_path = resolve_study_path(args.study)
    study = load_study(study_path)
    phases = args.phase or study.phase_ids
    notebooks = sorted(NOTEBOOKS_DIR.glob("*.ipynb"))
    print(f"study {study.slug}: {len(notebooks)} notebooks, {len(study.place_ids)} places, "
          f"phases {', '.join(phases)}; {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory(prefix="bench-runner-") as tmp:
        tmp = Path(tmp)
        a = None
        if not args.skip_naive:
            a, n = timed("(a) naive loop: papermill CLI + nbconvert CLI", lambda: naive_loop(
                study_path, notebooks, phases, study.place_ids, tmp / "naive"))
            print(f"    {n} notebooks rendered")
        run = [str(BIN / "coordination"), "run", "--study", str(study_path), "--out", str(tmp / "runner"),
               "--jobs", str(args.jobs), "--quiet"] + [x for p in phases for x in ("--phase", p)]
        b, proc = timed(f"(b) coordination run --force --jobs {args.jobs}",
                        lambda: subprocess.run(run + ["--force"], capture_output=True, text=True))
        if proc.returncode != 0:
            print(proc.stdout, proc.stderr)
        print_page_times(page_times(tmp / "runner"))
        reruns = []
        for i in range(RERUNS):
            seconds, proc = timed(f"(c) coordination run, nothing changed ({i + 1} of {RERUNS})",
                                  lambda: subprocess.run(run, capture_output=True, text=True))
            reruns.append(seconds)
            if proc.returncode != 0:
                print(proc.stdout, proc.stderr)
        c = statistics.median(reruns)
    if a is not None:
        print(f"ratio a/b: {a / b:.2f}  (target >= 8)   load now {load()}")
    print(f"no-change rerun: median {c:.2f} s, best {min(reruns):.2f} s of {RERUNS}  (target < 0.3 s)   "
          f"load now {load()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
