"""Benchmark: render one phase of a national study with local workers and with a Dask LocalCluster.

Run: ``.venv/bin/python benchmarks/bench_scale.py [--places N] [--phase P] [--jobs J] [--only jobs|dask]``.
The study (150 places by default, analysis.national) is generated once into a temporary folder
(not timed); then the phase is rendered from scratch with ``--jobs J`` (local worker processes)
and with ``--scheduler local`` (a LocalCluster of J worker processes, one thread each), each
into its own outputs folder. For each it prints the pages rendered and failed, the wall time of
the whole run (planning, which loads and validates the study, included), pages per minute, the
median seconds of a page (as its worker measured it: execute, render, leak check) overall and per
notebook, the CPU seconds the run and its workers and kernels used per page (the cost of a page
whatever else the machine is doing), and the load average before and after (the machine may be
shared: read the wall-time figures with it). When both ways ran, it then compares their pages:
the same files, and every page's visible text the same (the time of rendering masked). The
figures go in docs/scaling.md.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import tempfile
import threading
import time
from pathlib import Path

from analysis.example import write_study
from analysis.national import generate_national
from analysis.runner import runner


class CpuMeter:
    """CPU seconds used by this process and every process under it (workers, nannies, kernels), sampled.

    Each descendant's user and system time is read every ``interval`` seconds and its last reading
    kept, so a process that ends between two readings loses at most ``interval`` seconds. On a
    shared machine this is the cost of the pages whatever the load: wall time is not.
    """

    def __init__(self, interval: float = 0.5):
        import psutil

        self.me, self.interval, self.seen, self.done = psutil.Process(), interval, {}, threading.Event()
        self.start_self = sum(self.me.cpu_times()[:2])
        self.thread = threading.Thread(target=self._watch, daemon=True)
        self.thread.start()

    def _read(self):
        import psutil

        for child in self.me.children(recursive=True):
            try:
                self.seen[child.pid] = sum(child.cpu_times()[:2])
            except psutil.Error:
                pass

    def _watch(self):
        while not self.done.wait(self.interval):
            self._read()

    def stop(self) -> float:
        self._read()
        self.done.set()
        self.thread.join()
        return sum(self.seen.values()) + sum(self.me.cpu_times()[:2]) - self.start_self


#: The time of rendering, the one thing that differs between two renders of the same data and code.
_RENDERED_AT = re.compile(r"\d{1,2} [A-Z][a-z]+ \d{4}, \d{2}:\d{2}(?: [A-Z]+)?|\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\S*")


def _visible_text(page: Path) -> str:
    import lxml.html

    tree = lxml.html.document_fromstring(page.read_bytes())
    for bad in tree.xpath("//style|//script"):
        bad.drop_tree()
    return _RENDERED_AT.sub("<RENDERED-AT>", " ".join(tree.text_content().split()))


def _compare(a: Path, b: Path) -> None:
    """Print whether two outputs folders hold the same pages with the same visible text."""
    def pages(root):
        return sorted(p.relative_to(root).as_posix() for p in root.rglob("*.html") if ".internal" not in p.parts)

    left, right = pages(a), pages(b)
    if left != right:
        print(f"pages differ: {len(set(left) ^ set(right))} pages made by only one way, e.g. "
              f"{sorted(set(left) ^ set(right))[:3]}")
    differing = [name for name in sorted(set(left) & set(right)) if _visible_text(a / name) != _visible_text(b / name)]
    print(f"same pages both ways: {len(set(left) & set(right)) - len(differing)} of {len(set(left) | set(right))} "
          f"pages have the same visible text" + (f"; differing: {differing[:5]}" if differing else ""))


def _render(study: Path, out: Path, phase: str, jobs: int, scheduler: str | None) -> None:
    load_before = os.getloadavg()[0]
    t0 = time.perf_counter()
    meter = CpuMeter()
    report = runner.run(study=str(study), phases=[phase], jobs=jobs, timeout=600, force=True, out=str(out),
                        scheduler=scheduler)
    wall = time.perf_counter() - t0
    cpu = meter.stop()
    load_after = os.getloadavg()[0]
    ok = [r for r in report.results if r["status"] == "ok"]
    label = f"--scheduler {scheduler} ({jobs} workers)" if scheduler else f"--jobs {jobs}"
    print(f"{label}: {len(ok)} pages rendered, {len(report.failures)} failed in {wall:.0f} s: "
          f"{len(ok) / wall * 60:.1f} pages per minute; load average {load_before:.1f} before, {load_after:.1f} after")
    if report.results:
        print(f"  CPU: {cpu:.0f} s in all, {cpu / len(report.results):.1f} s per page (planning and start-up included)")
    if ok:
        seconds = [r["seconds"] for r in ok]
        print(f"  per page: median {statistics.median(seconds):.2f} s (min {min(seconds):.2f}, max {max(seconds):.2f})")
        for stem in sorted({r["notebook"] for r in ok}):
            these = [r["seconds"] for r in ok if r["notebook"] == stem]
            print(f"  {stem}: {len(these)} pages, median {statistics.median(these):.2f} s")
    for r in report.failures[:5]:
        print(f"  failed: {r['notebook']} {r['place']}: {r['status']} {r.get('error', '')[:150]}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--places", type=int, default=150)
    parser.add_argument("--phase", default=None, help="the phase to render (default: the study's second)")
    parser.add_argument("--jobs", type=int, default=2, help="local workers, and Dask workers (default: 2)")
    parser.add_argument("--seed", type=int, default=2020)
    parser.add_argument("--only", choices=("jobs", "dask"), help="run one of the two ways only")
    args = parser.parse_args()
    # a fixed string-hash seed in every kernel (inherited by both kinds of worker), so that sums in set order
    # print the same digits both ways
    os.environ["PYTHONHASHSEED"] = "0"
    with tempfile.TemporaryDirectory(prefix="cip-bench-scale-") as tmp:
        folder = Path(tmp) / f"national-{args.places}"
        t0 = time.perf_counter()
        tables, settings = generate_national(args.places, seed=args.seed)
        write_study(folder, tables, settings, args.seed)
        phases = list(tables["phases"]["phase_id"])
        phase = args.phase or phases[min(1, len(phases) - 1)]
        print(f"generated {args.places} places in {time.perf_counter() - t0:.1f} s (not timed); rendering phase "
              f"{phase!r} of {len(phases)}; {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
        if args.only in (None, "jobs"):
            _render(folder, Path(tmp) / "out-jobs", phase, args.jobs, None)
        if args.only in (None, "dask"):
            _render(folder, Path(tmp) / "out-dask", phase, args.jobs, "local")
        if args.only is None:
            _compare(Path(tmp) / "out-jobs", Path(tmp) / "out-dask")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
