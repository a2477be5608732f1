"""`coordination run --scheduler`: the notebook jobs on a Dask distributed cluster.

The run's own process (the client) plans the jobs, publishes every page through the
run's publication gate, records the manifests, exactly as with local worker processes; the
Dask workers only execute and render. Each worker keeps one warm kernel between the
notebooks it runs (:class:`WarmKernelPlugin`), stages a page in a scratch folder of its own
(:func:`execute_job_remote`) and sends the staged files back as bytes, so no shared
filesystem is assumed for the outputs. The study, the notebooks and the run's pseudonym key
are read by the workers at the paths the client gives: they must be at the same path on
every worker (docs/scaling.md).

``--scheduler local`` starts a ``LocalCluster`` of ``--jobs`` worker processes, one thread
each, for the run's length; any other value is the address of a running scheduler
(``tcp://host:8786``), whose workers are used as they are.

References
----------
Dask Development Team, "Dask.distributed", https://distributed.dask.org/ (Client, LocalCluster,
WorkerPlugin, as_completed).
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import threading
import time
from pathlib import Path

from analysis.disclosure import KEY_FILE_ENV
from analysis.files import atomic_write_bytes
from analysis.runner.gate import public_error
from analysis.runner.jobs import CROSS_PLACE_DIR, FAILED_DIR, Job, NoProgress, RunError
from analysis.runner.kernels import WARM_MODULES, WarmKernel, notebook_imports
from analysis.runner.render import index_indicators, page_context, rendered_at_now

__all__ = ["LOCAL_SCHEDULER", "WarmKernelPlugin", "execute_job_remote", "run_jobs_dask"]

#: The ``--scheduler`` value that starts a cluster on this machine for the run.
LOCAL_SCHEDULER = "local"
_PLUGIN_NAME = "coordination-warm-kernel"
#: Seconds to wait for a scheduler to answer before the run is refused.
_CONNECT_TIMEOUT = 30
#: Where the run's process stages what workers send, beside the outputs (as local runs do: runner._STAGING_DIR).
_STAGING_DIR = ".staging"
#: On a worker: the folder under which its jobs stage their pages (the plugin's; removed at teardown, so a
#: job cut short by a closing worker leaves nothing behind).
_SCRATCH_ROOT = None


def _worker_plugin_base():
    """``distributed.WorkerPlugin``, or ``object`` when Dask is not installed (the class is then never used)."""
    try:
        from distributed import WorkerPlugin
    except ImportError:
        return object
    return WorkerPlugin


class WarmKernelPlugin(_worker_plugin_base()):
    """Gives each Dask worker one warm kernel, kept between the notebooks it runs.

    On ``setup`` the worker's :class:`~analysis.runner.kernels.WarmKernel` is made (it
    starts with the first notebook and imports ``modules`` then) and becomes the kernel
    :func:`analysis.runner.worker.execute_job` uses; on ``teardown`` (the plugin is removed
    or the worker closes) the kernel is shut down.

    Parameters
    ----------
    modules : sequence of str
        What the kernel imports when it starts (see :data:`~analysis.runner.kernels.WARM_MODULES`).
    env : dict, optional
        Set in the worker's environment before the kernel starts (the run's pseudonym key file).
    """

    name = _PLUGIN_NAME

    def __init__(self, modules=WARM_MODULES, env=None):
        self.modules = list(modules)
        self.env = dict(env or {})
        self.kernel = self.scratch = None

    def setup(self, worker=None) -> None:
        from analysis.runner import worker as runner_worker

        os.environ.update(self.env)
        os.environ.setdefault("MPLBACKEND", "Agg")
        # nbclient logs timeouts and dead kernels as they happen; the run's summary table reports them
        for name in ("papermill", "traitlets", "nbclient", "asyncio", "analysis.leakcheck"):
            logging.getLogger(name).setLevel(logging.CRITICAL)
        if isinstance(runner_worker._KERNEL, WarmKernel):  # a plugin registered again: one kernel per worker
            runner_worker._KERNEL.discard()
        self.kernel = WarmKernel(self.modules)
        runner_worker._KERNEL = self.kernel
        global _SCRATCH_ROOT
        self.scratch = _SCRATCH_ROOT = tempfile.mkdtemp(prefix="cip-dask-worker-")

    def teardown(self, worker=None) -> None:
        from analysis.runner import worker as runner_worker

        global _SCRATCH_ROOT
        kernel, self.kernel = self.kernel, None
        if runner_worker._KERNEL is kernel:
            runner_worker._KERNEL = None
        scratch, self.scratch = self.scratch, None
        if scratch:
            if _SCRATCH_ROOT == scratch:
                _SCRATCH_ROOT = None
            shutil.rmtree(scratch, ignore_errors=True)
        if kernel is not None:
            # in a thread of its own: teardown may run inside the worker's event loop, and the
            # kernel's manager runs its own (discard kills the process if it will not stop)
            stopper = threading.Thread(target=kernel.discard, name="discard-kernel", daemon=True)
            stopper.start()
            stopper.join(timeout=30)


# ---------------------------------------------------------------------------------------------
# On a worker


def _page_order(stem: str):
    """Figures first, then the executed notebook, the page last (as a local run publishes them)."""
    order = {f"{stem}.ipynb": 1, f"{stem}.html": 2}
    return lambda name: (order.get(name, 0), name)


def _worker_address() -> str:
    try:
        from distributed import get_worker

        return get_worker().address
    except (ImportError, ValueError):
        return "this machine"


def execute_job_remote(job: Job, context: dict, timeout: float | None, version: str) -> dict:
    """Run on a Dask worker: execute and render one job in a scratch folder; return the staged files as bytes.

    The job runs as in a local worker (:func:`analysis.runner.worker.execute_job`: the
    worker's warm kernel, the cell timeout), staging its page in a scratch folder of the
    worker, which is read back and removed: nothing is written where the client's outputs
    are. The run's process leak-checks and publishes what comes back.

    Returns
    -------
    dict
        As ``execute_job``'s, without ``staging``, plus ``files``, a list of (name, bytes) in
        publishing order (figures, executed notebook, page) when the page was staged, and
        ``failed``, the executed notebook's bytes when it failed and ran far enough to be kept.
    """
    import analysis
    from analysis.runner.worker import execute_job

    base = {"key": job.key, "status": "error", "error": "", "outputs": [], "label": "", "failed_notebook": "",
            "seconds": 0.0, "files": [], "failed": None}
    if analysis.__version__ != version:
        return dict(base, error=f"worker {_worker_address()} has analysis {analysis.__version__}, the run "
                                f"{version}: install the same version on every worker")
    needed = [("study", job.parameters["study"]), ("notebook", job.notebook)]
    if job.audience == "stakeholder" and os.environ.get(KEY_FILE_ENV):
        needed.append(("pseudonym key", os.environ[KEY_FILE_ENV]))
    for what, path in needed:
        if not Path(path).exists():
            return dict(base, error=f"the {what} {path} is not on worker {_worker_address()}: the study, notebooks "
                                    f"and key must be at the same path on every worker (docs/scaling.md)")
    scratch = Path(tempfile.mkdtemp(prefix="cip-dask-", dir=_SCRATCH_ROOT))
    try:
        staging_root, failed_root = scratch / "staging", scratch / "failed"
        staging_root.mkdir()
        res = dict(execute_job(job, context, str(staging_root), str(failed_root), timeout), files=[], failed=None)
        staged = res.pop("staging", None)
        if res["status"] == "staged" and staged:
            names = sorted((p.name for p in Path(staged).iterdir() if p.is_file()), key=_page_order(job.stem))
            res["files"] = [(n, (Path(staged) / n).read_bytes()) for n in names]
        kept = res.get("failed_notebook")
        if kept and Path(kept).is_file():
            res["failed"] = Path(kept).read_bytes()
        res["failed_notebook"] = ""
        return res
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


# ---------------------------------------------------------------------------------------------
# In the run's process


def _safe_name(name) -> bool:
    return isinstance(name, str) and name == Path(name).name and not name.startswith(".") and name not in ("", "..")


def _receive(job: Job, res: dict, staging_root: Path, failed_root: Path) -> dict:
    """Put what a worker sent where a local worker would have: staged files in a staging folder of this
    run (for the publication gate), a failed notebook in the run's internal failed folder."""
    files, failed = res.pop("files", None) or [], res.pop("failed", None)
    res = dict(res)
    try:
        if failed is not None:
            kept = failed_root / job.phase / (job.place or CROSS_PLACE_DIR) / f"{job.stem}.ipynb"
            kept.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_bytes(kept, failed)
            res["failed_notebook"] = str(kept)
        if res["status"] == "staged":
            bad = [n for n, _ in files if not _safe_name(n)]
            if bad:
                return dict(res, status="error", error=f"worker sent a file named {bad[0]!r}", outputs=[])
            staging_root.mkdir(parents=True, exist_ok=True)
            staging = Path(tempfile.mkdtemp(prefix=f"{job.stem}-", dir=staging_root))
            for name, data in files:
                atomic_write_bytes(staging / name, data)
            res["staging"] = str(staging)
    except OSError as exc:
        return dict(res, status="error", error=f"receiving the page: {type(exc).__name__}: {exc}"[:300], outputs=[])
    return res


def _priorities(todo: list, manifests: dict) -> dict:
    """Dask priorities (higher first): the longest notebook by its last good run first, unseen ones before all."""
    def expected(job):
        entry = manifests[job.phase].entries.get(job.key) or {}
        seconds = entry.get("seconds") if entry.get("status") == "ok" else None
        return float(seconds) if isinstance(seconds, (int, float)) else float("inf")

    ranked = sorted(range(len(todo)), key=lambda i: (-expected(todo[i]), i))
    return {i: len(todo) - rank for rank, i in enumerate(ranked)}


def _connect(scheduler: str, workers: int):
    """A Dask client, and the LocalCluster started for it (None for a running scheduler)."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise RunError("--scheduler needs Dask: pip install 'coordination-in-place[dask]'") from None
    if scheduler == LOCAL_SCHEDULER:
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                               silence_logs=logging.ERROR)
        try:
            return Client(cluster), cluster
        except BaseException:
            cluster.close()
            raise
    try:
        return Client(scheduler, timeout=_CONNECT_TIMEOUT), None
    except (OSError, TimeoutError, ValueError) as exc:
        raise RunError(f"cannot reach the Dask scheduler at {scheduler} ({type(exc).__name__}: {exc})") from None


def run_jobs_dask(todo, info, manifests, jobs, timeout, version, study_out, progress=None, index_phases=(), gate=None,
                  key_path=None, *, scheduler: str, record, publish):
    """Execute ``todo`` on a Dask cluster; publish and record each outcome as it lands.

    The contract of :func:`analysis.runner.runner._run_jobs`: returns the results (one dict
    per job, sorted by phase, notebook and place), whether the run was interrupted, and the
    headline figures of the ``index_phases`` index pages. What a worker staged is published
    here, through ``gate``, by the runner's own ``publish``.

    Parameters
    ----------
    scheduler : str
        ``"local"`` (a LocalCluster of ``jobs`` processes, one thread each) or a scheduler's address.
    record : callable
        ``record(manifest, job, result, info, version, gate)``: the runner's manifest entry for one outcome.
    publish : callable
        ``publish(result, job, gate, failed_root)``: the runner's publication of a staged page.
    """
    from distributed import as_completed

    if gate is None:
        raise ValueError("run_jobs_dask publishes through the run's publication gate: give gate=")
    workers = max(1, min(jobs, len(todo)))
    bar = progress(len(todo)) if progress else NoProgress()
    failed_root = Path(study_out) / FAILED_DIR / todo[0].audience
    run_staging = Path(study_out) / _STAGING_DIR / f"run-{os.getpid()}-{int(time.time())}"
    rendered = rendered_at_now()
    warm = list(dict.fromkeys(list(WARM_MODULES) + notebook_imports(sorted({j.notebook for j in todo}))))
    env = {KEY_FILE_ENV: str(key_path)} if key_path else {}
    results, interrupted, indicators = [], False, None
    client = cluster = None
    by_future: dict = {}

    def land(job, res):
        if res["status"] == "staged":
            res = publish(res, job, gate, failed_root)
        record(manifests[job.phase], job, res, info, version, gate)
        shown = res.get("error", "")
        if job.audience == "stakeholder" and res["status"] != "ok":
            shown = public_error(res["status"], shown)
        results.append(dict(res, error=shown, notebook=job.stem, place=job.place or CROSS_PLACE_DIR, phase=job.phase))
        bar.update(1)

    try:
        client, cluster = _connect(scheduler, workers)
        client.register_plugin(WarmKernelPlugin(warm, env), name=_PLUGIN_NAME)
        priority = _priorities(todo, manifests)
        for i, job in enumerate(todo):
            fut = client.submit(execute_job_remote, job, page_context(info, job, version, rendered), timeout, version,
                                key=f"coordination-{job.phase}-{job.key}-{time.time_ns()}", priority=priority[i],
                                pure=False)
            by_future[fut] = job
        if index_phases:  # the index's figures depend on the study alone: computed while the workers start
            indicators = index_indicators(info, todo[0].audience, index_phases)
        if cluster is None and not client.scheduler_info().get("workers"):
            bar.write(f"The scheduler at {scheduler} has no workers yet: the notebooks wait for one.")
        for fut in as_completed(list(by_future)):
            job = by_future.pop(fut)
            try:
                res = _receive(job, fut.result(), run_staging, failed_root)
            except Exception as exc:  # noqa: BLE001 -- a worker died, or the task could not run: that job failed
                res = {"key": job.key, "status": "error", "error": f"worker: {type(exc).__name__}: {exc}"[:300],
                       "seconds": 0.0, "outputs": [], "label": "", "failed_notebook": ""}
            land(job, res)
    except KeyboardInterrupt:
        interrupted = True
        bar.write("Interrupted: cancelling the notebooks sent to the cluster...")
        if client is not None and by_future:
            try:
                running = {key for keys in client.processing().values() for key in keys}
                client.cancel(list(by_future), force=True)
            except Exception:  # noqa: BLE001 -- the cluster is being closed anyway
                running = set()
            # as with local workers: a notebook that was running is recorded as interrupted (its
            # previous good page stays); one still queued is not recorded
            for fut, job in by_future.items():
                if fut.key in running:
                    land(job, {"key": job.key, "status": "interrupted", "error": "stopped by an interrupt",
                               "seconds": 0.0, "outputs": [], "label": "", "failed_notebook": ""})
    finally:
        bar.close()
        if client is not None:
            try:
                if cluster is None:  # a cluster that outlives the run gets its kernels back
                    client.unregister_worker_plugin(_PLUGIN_NAME)
            except Exception:  # noqa: BLE001 -- a scheduler gone away has no plugin to remove
                pass
            client.close()
        if cluster is not None:
            cluster.close()
        shutil.rmtree(run_staging, ignore_errors=True)
        try:
            run_staging.parent.rmdir()
        except OSError:
            pass
    results.sort(key=lambda r: (info.phase_ids.index(r["phase"]), r["notebook"], r["place"]))
    return results, interrupted, indicators
