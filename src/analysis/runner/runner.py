"""The batch run: execute every notebook for each place and phase in worker processes, render, index."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import time
from pathlib import Path

from analysis.files import atomic_write_text
from analysis.paths import NOTEBOOKS_DIR, OUTPUTS_DIR, resolve_study_path
from analysis.runner.jobs import (
    AUDIENCES,
    CROSS_PLACE_DIR,
    FAILED_DIR,
    REQUIRED_PARAMETERS,
    Job,
    RunError,
    StudyInfo,
)
from analysis.runner.kernels import WARM_MODULES, notebook_imports
from analysis.runner.manifest import Manifest, code_hash, file_hash, parameters_hash, study_files_hash
from analysis.runner.render import index_indicators, page_context, write_indexes
from analysis.runner.worker import execute_job, worker_init

__all__ = ["RunReport", "plan_jobs", "run", "study_info", "notebook_parameters"]

_CACHE_NAME = ".runner-cache.json"
_STAGING_DIR = ".staging"

# ---------------------------------------------------------------------------------------------
# What to run


def _load_cache(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def study_info(study_path: Path, cache: dict, code: str) -> StudyInfo:
    """The study's ids, names and fingerprint: from the cache when its files and the code are
    unchanged, else by loading (and so validating) it."""
    files = study_files_hash(study_path)
    cached = cache.get("study") or {}
    if cached.get("files") == files and cached.get("code") == code and cached.get("path") == str(study_path):
        return StudyInfo(**cached["info"])
    from analysis import StudyValidationError, load_study

    try:
        s = load_study(study_path)
    except StudyValidationError as exc:
        n = len(getattr(exc, "problems", []))
        raise RunError(f"the study {study_path} has {n} problem(s); run `coordination validate --study "
                       f"{study_path}` to list them") from None
    info = StudyInfo(
        path=str(study_path), slug=s.slug, name=str(s.name), illustrative=bool(s.illustrative),
        fingerprint=str(s.fingerprint), place_ids=list(s.place_ids),
        place_names={p: s.place_name(p) for p in s.place_ids}, phase_ids=list(s.phase_ids),
        phase_labels={p: s.phase_label(p) for p in s.phase_ids},
    )
    cache["study"] = {"files": files, "code": code, "path": str(study_path), "info": dataclasses.asdict(info)}
    return info


def notebook_parameters(path: Path, digest: str, cache: dict) -> list[str]:
    """Names declared in a notebook's ``parameters`` cell (papermill's inspection, cached by hash)."""
    known = cache.setdefault("notebooks", {})
    if digest in known:
        return known[digest]
    import papermill

    try:
        names = list(papermill.inspect_notebook(str(path)))
    except Exception as exc:  # noqa: BLE001 -- papermill raises many kinds (unreadable file, no kernel spec): each is a RunError
        raise RunError(f"{path}: cannot read its parameters ({type(exc).__name__}: {exc})") from None
    known[digest] = names
    return names


def plan_jobs(info: StudyInfo, notebooks: list[Path], declared: dict, *, phases=None, places=None,
              audience: str = "stakeholder", out: Path, code: str, notebook_hashes: dict) -> list[Job]:
    """Every (notebook, place, phase) to run, with its parameters and content hashes.

    Checks first, all before anything runs: each phase and place asked for is in the study,
    and each notebook declares the parameters the runner sets.

    Raises
    ------
    RunError
        With a one-line message naming what is wrong.
    """
    for p in phases or []:
        if p not in info.phase_ids:
            raise RunError(f"phase {p!r} is not in the study {info.slug} (phases: {', '.join(info.phase_ids)})")
    for p in places or []:
        if p not in info.place_ids:
            raise RunError(f"place {p!r} is not in the study {info.slug} (places: {', '.join(info.place_ids)})")
    if CROSS_PLACE_DIR in info.place_ids:
        raise RunError(f"a place may not be called {CROSS_PLACE_DIR!r}: that folder holds the cross-place pages")
    if not notebooks:
        raise RunError("no notebooks to run (no *.ipynb in the notebooks folder)")
    for nb in notebooks:
        names = declared[nb]
        missing = [n for n in REQUIRED_PARAMETERS if n not in names]
        if missing:
            raise RunError(f"{nb.name} has no parameter {missing[0]!r} in its parameters cell, which the runner "
                           f"sets (it declares: {', '.join(names) or 'nothing'})")
    phase_ids = [p for p in info.phase_ids if not phases or p in phases]
    place_ids = [p for p in info.place_ids if not places or p in places]
    study_dir = out / info.slug / audience
    jobs = []
    for phase in phase_ids:
        for nb in notebooks:
            names = declared[nb]
            targets = place_ids if "place" in names else [None]
            for place in targets:
                folder = study_dir / phase / (place or CROSS_PLACE_DIR)
                params = {"study": info.path, "phase": str(phase), "audience": audience}
                if place is not None:
                    params["place"] = str(place)
                if "figures_dir" in names:
                    params["figures_dir"] = str(folder)
                hashes = {"notebook": notebook_hashes[nb], "parameters": parameters_hash(params),
                          "study": info.fingerprint, "code": code}
                jobs.append(Job(str(nb), nb.stem, place, phase, audience, params, str(folder), hashes))
    return jobs


# ---------------------------------------------------------------------------------------------
# The whole run


def _format_table(rows: list[dict]) -> str:
    headers = ["notebook", "place", "phase", "status", "seconds", "error"]
    cells = [[str(r.get(h, "")) for h in headers] for r in rows]
    widths = [max([len(h)] + [len(c[i]) for c in cells]) for i, h in enumerate(headers[:-1])]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers[:-1], widths, strict=False)) + "  error"]
    lines.append("  ".join("-" * w for w in widths) + "  -----")
    for c in cells:
        lines.append("  ".join(v.ljust(w) for v, w in zip(c[:-1], widths, strict=False)) + "  " + c[-1])
    return "\n".join(lines)


def _clean_stale_staging(root: Path) -> None:
    """Remove staging folders of runs that are no longer alive (an interrupted run's leftovers)."""
    if not root.is_dir():
        return
    for d in root.iterdir():
        try:
            pid = int(d.name.split("-")[1])
            os.kill(pid, 0)
        except (IndexError, ValueError, ProcessLookupError):  # not a run's folder, or its run has ended
            shutil.rmtree(d, ignore_errors=True)
        except PermissionError:
            pass


@dataclasses.dataclass
class RunReport:
    """What a run did: one result per notebook executed, how many were up to date, where to look."""

    results: list
    skipped: int
    interrupted: bool
    index_path: Path
    failed_dir: Path

    @property
    def failures(self) -> list:
        return [r for r in self.results if r["status"] != "ok"]

    @property
    def exit_status(self) -> int:
        """0 when every notebook rendered or was up to date, 1 when any failed, 130 when interrupted."""
        if self.interrupted:
            return 130
        return 1 if self.failures else 0

    def summary(self, quiet: bool = False) -> str:
        """The summary a person reads: a table of the notebooks run (failures only when quiet), counts, the index."""
        failures, lines = self.failures, []
        if self.results and (not quiet or failures):
            lines.append(_format_table(self.results if not quiet else failures))
        ok = len(self.results) - len(failures)
        if not quiet or failures:
            lines.append(f"{ok} rendered, {len(failures)} failed, {self.skipped} up to date"
                         + (" (interrupted)" if self.interrupted else ""))
        if any(r.get("failed_notebook") for r in failures):
            lines.append(f"Executed notebooks with their errors are kept in {self.failed_dir}")
        lines.append(f"Open {self.index_path}")
        return "\n".join(lines)


class _NoProgress:
    def update(self, n: int = 1) -> None:
        pass

    def write(self, message: str) -> None:
        pass

    def close(self) -> None:
        pass


def run(study="data/example", phases=None, places=None, audience="stakeholder", jobs=None, timeout=600.0,
        force=False, out=OUTPUTS_DIR, notebooks=NOTEBOOKS_DIR, progress=None) -> RunReport:
    """Execute and render every notebook for each place and phase of a study.

    The steps: find the study and notebooks; check every phase, place and parameter; skip
    what is up to date (manifest hashes); execute the rest in parallel worker processes;
    record each outcome in its phase's manifest; write the index pages.

    Parameters
    ----------
    progress : callable, optional
        Called with the number of notebooks to execute; returns an object with ``update(n)``,
        ``write(message)`` and ``close()`` (a ``tqdm`` bar fits). Nothing is shown by default.

    Returns
    -------
    RunReport
        Its ``exit_status`` is 0 when every notebook rendered (or was up to date), 1 when any
        failed, 130 when interrupted. Problems with what was asked raise :class:`RunError`.
    """
    from analysis import __version__ as version

    if audience not in AUDIENCES:
        raise RunError(f"audience {audience!r} is not one of {', '.join(AUDIENCES)}")
    try:
        study_path = resolve_study_path(study)
    except FileNotFoundError as exc:
        raise RunError(str(exc)) from None
    nb_dir = Path(notebooks)
    if not nb_dir.is_dir():
        raise RunError(f"notebooks folder {nb_dir} not found")
    out = Path(out).resolve()
    slug = study_path.stem if study_path.is_file() else study_path.name
    study_out = out / slug
    cache_path = study_out / _CACHE_NAME
    cache = _load_cache(cache_path)
    cache_before = json.dumps(cache, sort_keys=True)
    code = code_hash()

    info = study_info(study_path, cache, code)
    nb_paths = sorted(p.resolve() for p in nb_dir.glob("*.ipynb"))
    nb_hashes = {p: file_hash(p) for p in nb_paths}
    declared = {p: notebook_parameters(p, nb_hashes[p], cache) for p in nb_paths}
    planned = plan_jobs(info, nb_paths, declared, phases=phases, places=places, audience=audience, out=out,
                        code=code, notebook_hashes=nb_hashes)
    if json.dumps(cache, sort_keys=True) != cache_before:
        atomic_write_text(cache_path, json.dumps(cache, indent=1, sort_keys=True))

    audience_dir = study_out / audience
    manifests = {ph: Manifest.load(audience_dir / ph / "manifest.json") for ph in {j.phase for j in planned}}
    todo = [j for j in planned if force or not _up_to_date(manifests[j.phase], j)]
    skipped = len(planned) - len(todo)
    results: list[dict] = []
    interrupted, indicators = False, None
    phases_touched = sorted({j.phase for j in planned}, key=info.phase_ids.index)
    if todo:
        results, interrupted, indicators = _run_jobs(todo, info, manifests, jobs or os.cpu_count() or 1, timeout,
                                                     version, study_out, progress, index_phases=phases_touched)
    index_path = audience_dir / "index.html"
    need_index = bool(results) or not index_path.exists() or any(
        not (audience_dir / ph / "index.html").exists() for ph in phases_touched) or not (study_out / "index.html").exists()
    if need_index and not interrupted:
        write_indexes(info, study_out, audience, phases_touched if results else
                      [ph for ph in phases_touched if not (audience_dir / ph / "index.html").exists()], version,
                      indicators=indicators if results else None)

    return RunReport(results, skipped, interrupted, index_path, study_out / FAILED_DIR / audience)


def _up_to_date(manifest: Manifest, job: Job) -> bool:
    if not manifest.is_current(job.key, job.hashes):
        return False
    entry = manifest.entries[job.key]
    return all((Path(job.out_dir) / name).exists() for name in entry.get("outputs", [])) and \
        (Path(job.out_dir) / f"{job.stem}.html").exists()


def _run_jobs(todo, info, manifests, jobs, timeout, version, study_out, progress=None, index_phases=()):
    """Execute ``todo`` in worker processes; record each outcome in its manifest as it lands.

    Returns the results, whether the run was interrupted, and the headline figures of the
    ``index_phases`` index pages (None when they were not computed).
    """
    import multiprocessing
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

    from analysis.runner.render import rendered_at_now

    staging_root = study_out / _STAGING_DIR
    _clean_stale_staging(staging_root)
    run_staging = staging_root / f"run-{os.getpid()}-{int(time.time())}"
    run_staging.mkdir(parents=True, exist_ok=True)
    failed_root = study_out / FAILED_DIR / todo[0].audience
    rendered = rendered_at_now()
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["analysis.runner.worker", "papermill", "nbconvert", "nbformat"])
    results, interrupted = [], False
    by_future: dict = {}
    pending: set = set()
    indicators = None

    def land(fut, job, after_interrupt=False):
        try:
            res = fut.result()
        except Exception as exc:  # noqa: BLE001 -- a worker process died
            res = {"key": job.key, "status": "error", "error": f"worker: {type(exc).__name__}: {exc}"[:300],
                   "seconds": 0.0, "outputs": [], "label": ""}
        if after_interrupt and res["status"] != "ok":
            res = dict(res, status="interrupted", error="stopped by Ctrl-C")
        _record(manifests[job.phase], job, res, info, version)
        results.append(dict(res, notebook=job.stem, place=job.place or CROSS_PLACE_DIR, phase=job.phase))
        bar.update(1)

    bar = progress(len(todo)) if progress else _NoProgress()
    stop = ctx.Event()
    warm = list(dict.fromkeys(list(WARM_MODULES) + notebook_imports(sorted({j.notebook for j in todo}))))
    workers = min(jobs, len(todo))
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=worker_init, initargs=(stop, warm))
    queue = _JobQueue(todo, manifests)

    def submit(job):
        fut = pool.submit(execute_job, job, page_context(info, job, version, rendered), str(run_staging),
                          str(failed_root), timeout)
        by_future[fut] = job
        pending.add(fut)

    try:
        for _ in range(workers):
            submit(queue.pop())
        if index_phases:
            # the index's figures depend on the study alone: computed while the workers and
            # their kernels start (a core is idle then), not after the last notebook
            indicators = index_indicators(info, todo[0].audience, index_phases)
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for fut in done:
                land(fut, by_future[fut])
                if not fut.cancelled() and not fut.exception():
                    queue.learn(by_future[fut], fut.result().get("seconds"))
                if queue:
                    submit(queue.pop())
    except KeyboardInterrupt:
        interrupted = True
        stop.set()
        bar.write("Interrupted: stopping the workers and their kernels...")
        _stop_pool(pool, pending, by_future, land)
    finally:
        bar.close()
        pool.shutdown(wait=True, cancel_futures=True)
        shutil.rmtree(run_staging, ignore_errors=True)
        try:
            staging_root.rmdir()
        except OSError:
            pass
    results.sort(key=lambda r: (info.phase_ids.index(r["phase"]), r["notebook"], r["place"]))
    return results, interrupted, indicators


class _JobQueue:
    """Notebooks waiting for a worker, handed out the longest expected first.

    Dynamic scheduling ends a run soonest when the long notebooks start early and the short
    ones fill in at the end. A notebook's expected seconds are those of its last successful
    run (the manifest), else the shortest this run has seen of the same notebook for
    another place or phase; a notebook not yet seen at all goes first, in plan order.
    """

    def __init__(self, todo: list, manifests: dict):
        self.jobs = list(todo)
        self.previous = {}
        for job in todo:
            entry = manifests[job.phase].entries.get(job.key) or {}
            if entry.get("status") == "ok" and isinstance(entry.get("seconds"), (int, float)):
                self.previous[(job.phase, job.key)] = float(entry["seconds"])
        self.seen: dict = {}

    def __len__(self) -> int:
        return len(self.jobs)

    def expected(self, job) -> float:
        known = self.previous.get((job.phase, job.key), self.seen.get(job.stem))
        return float("inf") if known is None else known

    def pop(self):
        best = max(range(len(self.jobs)), key=lambda i: (self.expected(self.jobs[i]), -i))
        return self.jobs.pop(best)

    def learn(self, job, seconds) -> None:
        if isinstance(seconds, (int, float)) and seconds > 0:
            self.seen[job.stem] = min(seconds, self.seen.get(job.stem, seconds))


def _stop_pool(pool, pending, by_future, land) -> None:
    """Stop a run on Ctrl-C: drop queued notebooks, let running ones stop their kernels, then end.

    A worker running a notebook shuts its kernel down on SIGINT (nbclient's handler) and
    returns; what it had finished is recorded, nothing half-made is published. Workers that
    have not stopped after 30 s are killed (their kernels exit with them).
    """
    import signal
    from concurrent.futures import wait

    running = {f for f in pending if not f.cancel()}
    procs = list((getattr(pool, "_processes", None) or {}).values())
    for p in procs:  # a terminal sends SIGINT to the whole group; `kill -INT <pid>` only to us
        try:
            os.kill(p.pid, signal.SIGINT)
        except (ProcessLookupError, AttributeError):
            pass
    deadline = time.monotonic() + 30
    while running and time.monotonic() < deadline:
        try:
            done, running = wait(running, timeout=max(0.1, deadline - time.monotonic()))
        except KeyboardInterrupt:  # a second Ctrl-C: stop waiting
            break
        for fut in done:
            land(fut, by_future[fut], after_interrupt=True)
    if running:
        for p in procs:
            if p.is_alive():
                p.kill()


def _record(manifest: Manifest, job: Job, res: dict, info: StudyInfo, version: str) -> None:
    previous = manifest.entries.get(job.key, {})
    entry = {
        "notebook": job.notebook, "place": job.place, "phase": job.phase, "audience": job.audience,
        "parameters": job.parameters, "hashes": job.hashes, "status": res["status"], "seconds": res.get("seconds"),
        "error": res.get("error", ""), "package_version": version,
        "finished_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    if res["status"] == "ok":
        entry.update(outputs=res["outputs"], label=res["label"], rendered_version=version)
    else:
        # the previous good page stays in place: keep what it was so the index still links it
        entry.update(outputs=previous.get("outputs", []), label=previous.get("label") or res.get("label", ""),
                     last_good=previous.get("finished_at") if previous.get("status") == "ok" else
                     previous.get("last_good"))
    manifest.record(job.key, entry)
    manifest.save(study=info.slug, study_name=info.name, audience=job.audience, phase=job.phase,
                  fingerprint=info.fingerprint, package_version=version)
