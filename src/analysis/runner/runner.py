"""The batch run: execute every notebook for each place and phase in worker processes, render, index."""

from __future__ import annotations

import dataclasses
import functools
import json
import os
import shutil
import time
from pathlib import Path

from analysis.files import atomic_write_text
from analysis.keys import KEY_FILE_ENV, key_file
from analysis.paths import NOTEBOOKS_DIR, OUTPUTS_DIR, resolve_study_path
from analysis.runner.gate import INTERNAL_DIR, PublicationGate, public_error
from analysis.runner.jobs import (
    AUDIENCES,
    CROSS_PLACE_DIR,
    FAILED_DIR,
    REQUIRED_PARAMETERS,
    Job,
    NoProgress,
    RunError,
    StudyInfo,
)
from analysis.runner.kernels import WARM_MODULES, notebook_imports
from analysis.runner.manifest import FileHashes, Manifest, code_hash, file_hash, parameters_hash, study_files_hash
from analysis.runner.outputs import RunLock, check_outputs_name, claim_outputs, prepare_key
from analysis.runner.render import index_indicators, page_context, write_indexes
from analysis.runner.worker import execute_job, worker_init

__all__ = ["RunReport", "plan_jobs", "run", "study_info", "notebook_parameters", "ERRORS_LOG", "CACHE_NAME"]

#: The runner's cache (study facts, notebooks' parameters) lives in ``outputs/<name>/.internal/``:
#: it holds the study's names, so it is never part of what a stakeholder folder publishes.
CACHE_NAME = "runner-cache.json"
#: In ``outputs/<name>/.internal/``: every failed notebook's error with its full message (JSON lines).
ERRORS_LOG = "errors.jsonl"
_STAGING_DIR = ".staging"

# ---------------------------------------------------------------------------------------------
# What to run


def _load_cache(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def study_info(study_path: Path, cache: dict, code: str, hasher=file_hash) -> StudyInfo:
    """The study's ids, names and fingerprint: from the cache when its files and the code are
    unchanged, else by loading (and so validating) it. ``hasher`` hashes one file (a
    :class:`~analysis.runner.manifest.FileHashes` reads only the files that changed)."""
    files = study_files_hash(study_path, hasher)
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
              audience: str = "stakeholder", out: Path, code: str, notebook_hashes: dict,
              study_out: Path | None = None, key_fingerprint: str | None = None) -> list[Job]:
    """Every (notebook, place, phase) to run, with its parameters and content hashes.

    Checks first, all before anything runs: each phase and place asked for is in the study,
    and each notebook declares the parameters the runner sets. Pages land in
    ``study_out/<audience>`` (default ``out/<study slug>``); ``key_fingerprint``, the
    fingerprint of the pseudonym key of a stakeholder run, is one of each job's hashes.

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
    study_dir = (Path(study_out) if study_out is not None else out / info.slug) / audience
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
                if key_fingerprint:
                    hashes["key"] = key_fingerprint
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
    """What a run did: one result per notebook executed, how many were up to date, where to look.

    ``refused`` lists the files the publication gate would not publish (kind and location of
    each finding, never the text found); ``internal_dir`` is where the full error messages,
    failed notebooks and withheld pages are kept.
    """

    results: list
    skipped: int
    interrupted: bool
    index_path: Path
    failed_dir: Path
    refused: list = dataclasses.field(default_factory=list)
    internal_dir: Path | None = None
    #: PDFs printed (``--pdf``), problems that stopped one, and why none could be printed (analysis.runner.pdf)
    pdfs: list = dataclasses.field(default_factory=list)
    pdf_problems: list = dataclasses.field(default_factory=list)
    pdf_note: str = ""

    @property
    def failures(self) -> list:
        return [r for r in self.results if r["status"] != "ok"]

    @property
    def exit_status(self) -> int:
        """0 when every notebook rendered or was up to date, 1 when any failed or a file was refused, 130 when
        interrupted."""
        if self.interrupted:
            return 130
        return 1 if self.failures or self.refused or self.pdf_problems else 0

    def summary(self, quiet: bool = False) -> str:
        """The summary a person reads: a table of the notebooks run (failures only when quiet), counts, the index."""
        failures, lines = self.failures, []
        if self.results and (not quiet or failures):
            lines.append(_format_table(self.results if not quiet else failures))
        ok = len(self.results) - len(failures)
        if not quiet or failures:
            lines.append(f"{ok} rendered, {len(failures)} failed, {self.skipped} up to date"
                         + (" (interrupted)" if self.interrupted else ""))
        if self.refused:
            lines.append(f"The leak check withheld {len(self.refused)} finding(s) from the stakeholder folder:")
            lines += [f"  - {r}" for r in self.refused[:20]]
            if len(self.refused) > 20:
                lines.append(f"  - and {len(self.refused) - 20} more")
        if failures and self.internal_dir is not None:
            lines.append(f"Error messages are kept, unpublished, in {self.internal_dir / ERRORS_LOG}")
        if any(r.get("failed_notebook") for r in failures):
            lines.append(f"Executed notebooks with their errors are kept in {self.failed_dir}")
        if self.pdfs and not quiet:
            lines.append(f"{len(self.pdfs)} PDF{'s' if len(self.pdfs) != 1 else ''} printed")
        lines += self.pdf_problems
        lines.append(f"Open {self.index_path}")
        return "\n".join(lines)


class _SignalsInterrupt:
    """While a run lasts, SIGTERM and SIGHUP stop it as Ctrl-C does (KeyboardInterrupt in the main thread).

    Without this a terminated run would die at once and leave its workers and kernels
    running. Outside the main thread (where handlers cannot be set) it does nothing.
    """

    SIGNALS = ("SIGTERM", "SIGHUP")

    def __enter__(self):
        import signal
        import threading

        self.previous = {}
        if threading.current_thread() is threading.main_thread():
            for name in self.SIGNALS:
                sig = getattr(signal, name, None)
                if sig is not None:
                    self.previous[sig] = signal.signal(sig, self._raise)
        return self

    @staticmethod
    def _raise(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    def __exit__(self, *exc):
        import signal

        for sig, handler in self.previous.items():
            signal.signal(sig, handler)


def run(study="data/example", phases=None, places=None, audience="stakeholder", jobs=None, timeout=600.0,
        force=False, out=OUTPUTS_DIR, notebooks=NOTEBOOKS_DIR, progress=None, name=None, wait=False,
        new_key=False, scheduler=None, pdf=False) -> RunReport:
    """Execute and render every notebook for each place and phase of a study.

    The steps: find the study and notebooks; lock the study's outputs folder and check it
    holds this study; check the pseudonym key; check every phase, place and parameter; skip
    what is up to date (manifest hashes); execute the rest in parallel worker processes;
    publish each page through the leak check (:class:`~analysis.runner.gate.PublicationGate`)
    and record it in its phase's manifest; write the index pages, through the gate too.

    Parameters
    ----------
    name : str, optional
        The study's outputs folder, ``out/<name>`` (default: the study folder's name). It
        also names the pseudonym key of stakeholder pages, ``.keys/<name>.key``.
    wait : bool
        When another run holds the outputs folder, wait for it instead of refusing.
    new_key : bool
        Start a new pseudonym key (the old one is kept aside); every stakeholder page is
        rendered again. Without it, a key that went missing after pages were made is an error.
    progress : callable, optional
        Called with the number of notebooks to execute; returns an object with ``update(n)``,
        ``write(message)`` and ``close()`` (a ``tqdm`` bar fits). Nothing is shown by default.
    scheduler : str, optional
        Send the notebooks to a Dask cluster instead of local worker processes: ``"local"``
        starts one of ``jobs`` processes, else the address of a running scheduler
        (:mod:`analysis.runner.distributed`; docs/scaling.md).
    pdf : bool
        Also print each page to a PDF beside it (:mod:`analysis.runner.pdf`); when that cannot
        be done here, the report's ``pdf_note`` says why and the pages render as usual.

    Returns
    -------
    RunReport
        Its ``exit_status`` is 0 when every notebook rendered (or was up to date), 1 when any
        failed or the leak check refused a file, 130 when interrupted (Ctrl-C, SIGTERM or
        SIGHUP). Problems with what was asked raise :class:`RunError`.
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
    slug = check_outputs_name(name) if name else (study_path.stem if study_path.is_file() else study_path.name)
    study_out = out / slug
    try:
        with _SignalsInterrupt(), RunLock(study_out, wait=wait):
            return _run_locked(study_path, study_out, slug, phases, places, audience, jobs, timeout, force, out,
                               nb_dir, progress, new_key, version, scheduler, pdf=pdf)
    except PermissionError as exc:
        raise RunError(f"cannot write to {exc.filename or study_out}: permission denied") from None


def _run_locked(study_path, study_out, slug, phases, places, audience, jobs, timeout, force, out, nb_dir, progress,
                new_key, version, scheduler=None, pdf=False) -> RunReport:
    """The run, once its outputs folder is locked (see :func:`run`)."""
    record = claim_outputs(study_out, study_path)
    internal = study_out / INTERNAL_DIR
    cache_path = internal / CACHE_NAME
    cache = _load_cache(cache_path)
    cache_before = json.dumps(cache, sort_keys=True)
    code = code_hash()
    hasher = FileHashes(cache.get("file_hashes"))

    info = study_info(study_path, cache, code, hasher)
    key_fp = key_path = None
    if audience == "stakeholder":
        try:
            key_path = key_file(slug)
        except ValueError as exc:
            raise RunError(str(exc)) from None
        key_fp = prepare_key(study_out, record, key_path, new_key=new_key)
    nb_paths = sorted(p.resolve() for p in nb_dir.glob("*.ipynb"))
    nb_hashes = {p: hasher(p) for p in nb_paths}
    declared = {p: notebook_parameters(p, nb_hashes[p], cache) for p in nb_paths}
    planned = plan_jobs(info, nb_paths, declared, phases=phases, places=places, audience=audience, out=out,
                        code=code, notebook_hashes=nb_hashes, study_out=study_out, key_fingerprint=key_fp)
    cache["file_hashes"] = hasher.seen
    if json.dumps(cache, sort_keys=True) != cache_before:
        atomic_write_text(cache_path, json.dumps(cache, indent=1, sort_keys=True))

    gate = PublicationGate(study_out, lambda: _leak_terms(info.path))
    audience_dir = study_out / audience
    manifests = {ph: Manifest.load(audience_dir / ph / "manifest.json") for ph in {j.phase for j in planned}}
    todo = [j for j in planned if force or not _up_to_date(manifests[j.phase], j)]
    skipped = len(planned) - len(todo)
    results: list[dict] = []
    interrupted, indicators = False, None
    phases_touched = sorted({j.phase for j in planned}, key=info.phase_ids.index)
    if todo:
        run_jobs = _run_jobs
        if scheduler:
            from analysis.runner.distributed import run_jobs_dask

            run_jobs = functools.partial(run_jobs_dask, scheduler=scheduler, record=_record, publish=_publish_staged)
        results, interrupted, indicators = run_jobs(todo, info, manifests, jobs or os.cpu_count() or 1, timeout,
                                                    version, study_out, progress, index_phases=phases_touched,
                                                    gate=gate, key_path=key_path)
    pdfs, pdf_problems, pdf_note = _pdfs(planned, pdf, gate) if not interrupted else ([], [], "")
    index_path = audience_dir / "index.html"
    need_index = bool(pdfs) or bool(results) or not index_path.exists() or any(
        not (audience_dir / ph / "index.html").exists() for ph in phases_touched) \
        or not (study_out / "index.html").exists()
    if need_index and not interrupted:
        write_indexes(info, study_out, audience, phases_touched if results or pdfs else
                      [ph for ph in phases_touched if not (audience_dir / ph / "index.html").exists()], version,
                      indicators=indicators if results else None, write=gate.write_text)

    return RunReport(results, skipped, interrupted, index_path, study_out / FAILED_DIR / audience,
                     refused=list(gate.refused), internal_dir=internal, pdfs=pdfs, pdf_problems=pdf_problems,
                     pdf_note=pdf_note)


def _leak_terms(study_path: str) -> dict:
    """The leak check's terms for the original study (loaded here, in the parent, once a file needs checking)."""
    from analysis import load_study
    from analysis.leakcheck import leak_terms

    return leak_terms(load_study(study_path))


def _pdfs(planned, wanted: bool, gate: PublicationGate) -> tuple[list, list, str]:
    """``--pdf``: print the pages (analysis.runner.pdf), through the gate; without it, remove PDFs older than
    their page."""
    from analysis.runner import pdf

    if not wanted:
        pdf.remove_stale_pdfs(planned)
        return [], [], ""
    note = pdf.pdf_unavailable()
    return ([], [], note) if note else (*pdf.publish_pdfs(planned, gate=gate), "")


def _up_to_date(manifest: Manifest, job: Job) -> bool:
    """The job's manifest entry is current and every file it made is still there (one listing of its folder)."""
    if not manifest.is_current(job.key, job.hashes):
        return False
    entry = manifest.entries[job.key]
    try:
        present = set(os.listdir(job.out_dir))
    except OSError:
        return False
    return f"{job.stem}.html" in present and all(
        name in present if "/" not in name and os.sep not in name else os.path.exists(os.path.join(job.out_dir, name))
        for name in entry.get("outputs", []))


def _run_jobs(todo, info, manifests, jobs, timeout, version, study_out, progress=None, index_phases=(), gate=None,
              key_path=None):
    """Execute ``todo`` in worker processes; publish and record each outcome as it lands.

    Workers only stage: this process checks each page through ``gate`` and moves it into
    place, so no worker, even one left running after the run ended, can publish anything.

    Returns the results, whether the run was interrupted, and the headline figures of the
    ``index_phases`` index pages (None when they were not computed).
    """
    import multiprocessing
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

    from analysis.runner.render import rendered_at_now

    gate = gate or PublicationGate(study_out, lambda: _leak_terms(info.path))
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
        if res["status"] == "staged":
            res = _publish_staged(res, job, gate, failed_root)
        if after_interrupt and res["status"] != "ok":
            res = dict(res, status="interrupted", error="stopped by an interrupt")
        _record(manifests[job.phase], job, res, info, version, gate)
        shown = res.get("error", "")
        if job.audience == "stakeholder" and res["status"] != "ok":
            shown = public_error(res["status"], shown)
        results.append(dict(res, error=shown, notebook=job.stem, place=job.place or CROSS_PLACE_DIR, phase=job.phase))
        bar.update(1)

    bar = progress(len(todo)) if progress else NoProgress()
    stop = ctx.Event()
    warm = list(dict.fromkeys(list(WARM_MODULES) + notebook_imports(sorted({j.notebook for j in todo}))))
    workers = min(jobs, len(todo))
    env = {KEY_FILE_ENV: str(key_path)} if key_path else {}
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=worker_init,
                               initargs=(stop, warm, env, os.getpid()))
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
        _shutdown(pool)
        shutil.rmtree(run_staging, ignore_errors=True)
        try:
            staging_root.rmdir()
        except OSError:
            pass
    results.sort(key=lambda r: (info.phase_ids.index(r["phase"]), r["notebook"], r["place"]))
    return results, interrupted, indicators


def _shutdown(pool) -> None:
    """Wait for the workers to exit (a second interrupt during the wait kills them instead)."""
    try:
        pool.shutdown(wait=True, cancel_futures=True)
    except KeyboardInterrupt:
        for p in list((getattr(pool, "_processes", None) or {}).values()):
            if p.is_alive():
                p.kill()
        pool.shutdown(wait=True, cancel_futures=True)


def _publish_staged(res: dict, job: Job, gate: PublicationGate, failed_root: Path) -> dict:
    """Publish what a worker staged for ``job`` through the gate; a refused page is kept internally."""
    staging = Path(res["staging"])
    try:
        before = len(gate.refused)
        names = gate.publish(staging, Path(job.out_dir), last=[f"{job.stem}.ipynb", f"{job.stem}.html"])
        found = gate.refused[before:]
        if not found:
            return dict(res, status="ok", outputs=names)
        kept = failed_root / job.phase / (job.place or CROSS_PLACE_DIR)
        kept.mkdir(parents=True, exist_ok=True)
        for p in staging.iterdir():
            if p.is_file():
                os.replace(p, kept / p.name)
        where = "; ".join(f"{r.kind} in {r.path} ({r.where})" for r in found[:3])
        more = f"; and {len(found) - 3} more" if len(found) > 3 else ""
        return dict(res, status="leak", error=f"leak check: {where}{more}", outputs=[],
                    failed_notebook=str(kept / f"{job.stem}.ipynb"))
    except OSError as exc:
        return dict(res, status="error", error=f"publishing: {type(exc).__name__}: {exc.strerror or exc}", outputs=[])
    finally:
        shutil.rmtree(staging, ignore_errors=True)


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


def _record(manifest: Manifest, job: Job, res: dict, info: StudyInfo, version: str, gate=None) -> None:
    """Record one outcome in its phase's manifest; a stakeholder manifest goes through the gate.

    A stakeholder manifest holds no path, no study name and no error message: the error's
    kind and location only (:func:`~analysis.runner.gate.public_error`); the message goes to
    the internal error log.
    """
    previous = manifest.entries.get(job.key, {})
    error = res.get("error", "")
    stakeholder = job.audience == "stakeholder"
    if res["status"] != "ok" and gate is not None:
        gate.log(ERRORS_LOG, [{"audience": job.audience, "phase": job.phase, "page": job.key,
                               "status": res["status"], "error": error}])
    parameters = dict(job.parameters)
    if stakeholder:
        parameters = {k: v for k, v in parameters.items() if k not in ("study", "figures_dir")}
        error = public_error(res["status"], error) if res["status"] != "ok" else ""
    entry = {
        "notebook": job.stem if stakeholder else job.notebook, "place": job.place, "phase": job.phase,
        "audience": job.audience, "parameters": parameters, "hashes": job.hashes, "status": res["status"],
        "seconds": res.get("seconds"), "error": error, "package_version": version,
        "finished_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    if res["status"] == "ok":
        entry.update(outputs=res["outputs"], label=res["label"], rendered_version=version)
    else:
        # the previous good page stays in place: keep what it was so the index still links it
        entry.update(outputs=previous.get("outputs", []), label=previous.get("label") or "",
                     last_good=previous.get("finished_at") if previous.get("status") == "ok" else
                     previous.get("last_good"))
    manifest.record(job.key, entry)
    fields = dict(study=info.slug, audience=job.audience, phase=job.phase, fingerprint=info.fingerprint,
                  package_version=version)
    if stakeholder:
        manifest.data.pop("study_name", None)  # written by earlier versions
    else:
        fields["study_name"] = info.name
    manifest.save(write=gate.write_json if gate is not None else None, **fields)
