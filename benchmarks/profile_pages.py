"""Where a page's time goes: every notebook executed in one process, as a warm kernel runs them, under cProfile.

Executes the code cells of each notebook (notebooks/*.ipynb) for every place and phase of a
study (default: the example study) and one audience, in this one process, in the order a
worker's warm kernel would meet them: the heavy modules imported first (the kernel's warm-up),
then page after page, with the package's memory cache (analysis.cache) living on between pages
and its disk cache in a fresh temporary folder, as in ``coordination run --force`` into a new
output folder. Figures are saved into a temporary folder (PNG and SVG), as the runner asks.

Prints each notebook's pages, total, median and maximum seconds, then (with ``--top N``) the
N functions with the most cumulative time over all pages of each notebook. ``--passes 2``
runs every page again in the same process (what a second run in the same kernel would see).

    python benchmarks/profile_pages.py [--study data/example] [--audience stakeholder] [--top 25]
"""

from __future__ import annotations

import argparse
import ast
import cProfile
import io
import json
import os
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def code_cells(path: Path) -> tuple[list[str], list[str]]:
    """The notebook's code cells after its parameters cell, and the names the parameters cell declares."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    cells, declared = [], []
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        if "parameters" in cell.get("metadata", {}).get("tags", []):
            declared = [t.id for node in ast.parse(source).body if isinstance(node, ast.Assign) for t in node.targets
                        if isinstance(t, ast.Name)]
            continue
        cells.append(source)
    return cells, declared


def run_cell(source: str, namespace: dict) -> None:
    """Execute a cell as IPython does: the last expression's value is shown (its HTML made)."""
    tree = ast.parse(source)
    last = tree.body[-1] if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    if last is not None:
        tree.body = tree.body[:-1]
    exec(compile(tree, "<cell>", "exec"), namespace)
    if last is not None:
        value = eval(compile(ast.Expression(last.value), "<cell>", "eval"), namespace)
        if hasattr(value, "_repr_html_"):
            value._repr_html_()


def pages(study, notebooks: list[Path]):
    """(notebook, place or None, phase) in the order the runner plans them."""
    for phase in study.phase_ids:
        for nb in notebooks:
            _, declared = code_cells(nb)
            for place in study.place_ids if "place" in declared else [None]:
                yield nb, place, phase


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--study", default="data/example")
    parser.add_argument("--audience", default="stakeholder")
    parser.add_argument("--notebook", action="append", help="only these notebooks (stems)")
    parser.add_argument("--top", type=int, default=0, help="print the N functions with most cumulative time")
    parser.add_argument("--passes", type=int, default=1)
    parser.add_argument("--save", help="write each notebook's profile to SAVE-<notebook>.prof (for pstats)")
    parser.add_argument("--keep", help="save the figures under this folder (default: a temporary one)")
    args = parser.parse_args(argv)

    os.environ.setdefault("MPLBACKEND", "Agg")
    os.environ.setdefault("PYTHONHASHSEED", "0")
    sys.path.insert(0, str(ROOT / "src"))
    from analysis.runner.kernels import WARM_MODULES, notebook_imports, warm_up

    notebooks = sorted((ROOT / "notebooks").glob("*.ipynb"))
    if args.notebook:
        notebooks = [nb for nb in notebooks if nb.stem in args.notebook]
    warm_up(list(WARM_MODULES) + notebook_imports(notebooks))
    import IPython.display

    def display(*objs, **kwargs):  # as a kernel does: each object's HTML is made, nothing printed
        for obj in objs:
            getattr(obj, "_repr_html_", lambda: None)()

    IPython.display.display = display

    from analysis.cache import CACHE_DIR_ENV
    from analysis.paths import resolve_study_path
    from analysis.study import load_study

    study_path = resolve_study_path(args.study)
    study = load_study(study_path)
    times: dict[str, list[float]] = {}
    cpu: dict[str, list[float]] = {}
    profiles: dict[str, cProfile.Profile] = {}
    with tempfile.TemporaryDirectory(prefix="profile-pages-") as tmp:
        os.environ[CACHE_DIR_ENV] = str(Path(tmp) / ".cache")
        os.chdir(ROOT / "notebooks")
        import matplotlib.pyplot as plt

        for n in range(args.passes):
            for nb, place, phase in pages(study, notebooks):
                cells, _ = code_cells(nb)
                figures = Path(args.keep or Path(tmp) / "figures") / phase / (place or "all") / nb.stem
                figures.mkdir(parents=True, exist_ok=True)
                namespace = {"__name__": "__main__", "study": str(study_path), "phase": phase,
                             "audience": args.audience, "figures_dir": str(figures)}
                if place:
                    namespace["place"] = place
                profile = profiles.setdefault(nb.stem, cProfile.Profile())
                start, start_cpu = time.perf_counter(), time.process_time()
                profile.enable()
                for source in cells:
                    run_cell(source, namespace)
                profile.disable()
                seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - start_cpu
                plt.close("all")
                times.setdefault(nb.stem, []).append(seconds)
                cpu.setdefault(nb.stem, []).append(cpu_seconds)
                print(f"pass {n + 1} {nb.stem:<16} {place or 'all places':<16} {phase:<12} {seconds:6.2f} s"
                      f" ({cpu_seconds:5.2f} s CPU)", flush=True)
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"\nseconds per page under cProfile, wall clock and CPU (load {load})")
    print(f"{'notebook':<18} {'pages':>5} {'total':>8} {'median':>8} {'max':>8} {'CPU total':>10} {'median':>8} "
          f"{'max':>8}")
    every, every_cpu = [], []
    for name, ts in times.items():
        cs = cpu[name]
        every += ts
        every_cpu += cs
        print(f"{name:<18} {len(ts):>5} {sum(ts):>8.2f} {statistics.median(ts):>8.2f} {max(ts):>8.2f} "
              f"{sum(cs):>10.2f} {statistics.median(cs):>8.2f} {max(cs):>8.2f}")
    print(f"{'every page':<18} {len(every):>5} {sum(every):>8.2f} {statistics.median(every):>8.2f} "
          f"{max(every):>8.2f} {sum(every_cpu):>10.2f} {statistics.median(every_cpu):>8.2f} {max(every_cpu):>8.2f}")
    for name, profile in profiles.items():
        if args.save:
            profile.dump_stats(f"{args.save}-{name}.prof")
        if args.top:
            out = io.StringIO()
            pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(args.top)
            print(f"\n===== {name}\n" + out.getvalue())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
