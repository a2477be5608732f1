"""One notebook in a worker process of `coordination run`: execute and render into staging (the parent publishes)."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from pathlib import Path

from analysis.runner.jobs import CROSS_PLACE_DIR, Job
from analysis.runner.kernels import WarmKernel, execute_notebook

__all__ = ["worker_init", "execute_job", "mark_failure"]

_STOP = None
#: The worker's warm kernel, kept between the notebooks it runs (see analysis.runner.kernels).
_KERNEL = None


def _watch_run(run_pid: int, interval: float = 1.0) -> None:
    """In a thread: when the run that started this worker is gone (killed outright), stop the kernel and exit.

    A worker left behind can publish nothing (the run publishes), but it would keep its
    kernel running; this ends both.
    """
    import threading

    def watch():
        while True:
            time.sleep(interval)
            try:
                os.kill(run_pid, 0)
            except ProcessLookupError:
                break
            except PermissionError:
                continue
        km = getattr(_KERNEL, "km", None)
        process = getattr(getattr(km, "provisioner", None), "process", None)
        if process is not None:
            try:
                process.kill()
            except OSError:
                pass
        os._exit(1)

    threading.Thread(target=watch, name="run-watch", daemon=True).start()


def worker_init(stop=None, warm_modules=(), env=None, run_pid=None) -> None:
    """Worker start-up: Ctrl-C is handled by the parent, which stops the workers in order.

    The worker's kernel starts with its first notebook and imports ``warm_modules`` then;
    it is shut down when the worker exits. ``env`` is set in the worker's environment
    before the kernel starts (the pseudonym key file of the run).
    """
    import logging
    import signal
    from multiprocessing.util import Finalize

    global _STOP, _KERNEL
    _STOP = stop
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # the parent stops the workers itself (SIGINT); a terminal's SIGHUP or a stray SIGTERM
    # sent to the whole group must not kill a worker before its kernel is shut down
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    os.environ.update(env or {})
    if run_pid:
        _watch_run(run_pid)
    os.environ.setdefault("MPLBACKEND", "Agg")
    # nbclient logs timeouts and dead kernels as they happen; the summary table reports them
    for name in ("papermill", "traitlets", "nbclient", "asyncio", "analysis.leakcheck"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
    _KERNEL = WarmKernel(warm_modules)
    Finalize(_KERNEL, _KERNEL.discard, exitpriority=10)  # multiprocessing runs these at exit, not atexit


def _interrupt_once(signum, frame):
    """SIGINT during a notebook: raise KeyboardInterrupt once, so that clean-up is not interrupted."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    raise KeyboardInterrupt


def _on_sigint(handler) -> None:
    """Set the SIGINT handler, in the main thread only: a Dask worker runs jobs in a thread, where Python
    refuses handlers (its client stops it, see analysis.runner.distributed)."""
    import signal
    import threading

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, handler)


def execute_job(job: Job, context: dict, staging_root: str, failed_root: str, timeout: float | None) -> dict:
    """Execute one notebook and render its page into a staging folder; the parent publishes it.

    Runs in a worker process. Everything is produced in a staging folder beside the outputs
    (figures, executed notebook, page); when it all succeeded the result says "staged" and
    names the folder, and the run's parent process leak-checks it and moves it into
    ``job.out_dir`` (:class:`analysis.runner.gate.PublicationGate`). A worker never writes
    into the outputs it renders for, so one left running after its run has ended cannot
    publish. A failed notebook is kept, error visible, under ``failed_root`` (internal).

    Returns
    -------
    dict
        key, status ("staged", "error", "timeout", "kernel died", "kernel start failed",
        "interrupted"), seconds, error (one line), staging (the folder), label (the page title).
    """
    import signal

    start = time.monotonic()
    result = {"key": job.key, "status": "error", "error": "", "outputs": [], "label": "", "failed_notebook": ""}
    if _STOP is not None and _STOP.is_set():  # queued before Ctrl-C: do not start it
        return dict(result, status="interrupted", error="stopped by an interrupt", seconds=0.0)
    staging = Path(tempfile.mkdtemp(prefix=f"{job.stem}-", dir=staging_root))
    # Ctrl-C while a notebook runs: KeyboardInterrupt unwinds papermill, and the kernel is
    # shut down; nothing of this notebook is published.
    _on_sigint(_interrupt_once)
    kernel = _KERNEL if _KERNEL is not None else WarmKernel(())  # a direct call, not in a pool
    try:
        parameters = dict(job.parameters)
        if "figures_dir" in parameters:
            parameters["figures_dir"] = str(staging)
        executed = staging / f"{job.stem}.ipynb"
        status, error = execute_notebook(kernel, job.notebook, executed, parameters, timeout)
        if status in ("timeout", "kernel died"):
            error = mark_failure(executed, status, error, timeout)
        if executed.exists():
            _restore_figures_dir(executed, str(staging), job.out_dir)
        if status != "ok":
            result.update(status=status, error=error)
            if executed.exists():
                kept = Path(failed_root) / job.phase / (job.place or CROSS_PLACE_DIR) / f"{job.stem}.ipynb"
                kept.parent.mkdir(parents=True, exist_ok=True)
                os.replace(executed, kept)
                result["failed_notebook"] = str(kept)
            return result

        import nbformat

        from analysis.runner.render import notebook_title, render_notebook

        nb = nbformat.read(str(executed), as_version=4)
        label = notebook_title(nb) or job.stem.replace("_", " ").capitalize()
        page_context = dict(context, notebook_label=label, title=f"{label} · {context['page_label']} · "
                                                                  f"{context['phase_label']} · {context['study_name']}")
        (staging / f"{job.stem}.html").write_text(render_notebook(nb, page_context), encoding="utf-8")
        result["label"] = label
        result.update(status="staged", staging=str(staging))
        return result
    except KeyboardInterrupt:
        kernel.discard()
        result.update(status="interrupted", error="stopped by an interrupt")
        return result
    except Exception as exc:  # noqa: BLE001 -- a failure of rendering must not stop the run
        result.update(status="error", error=f"rendering: {type(exc).__name__}: {exc}"[:300])
        return result
    finally:
        _on_sigint(signal.SIG_IGN)
        if kernel is not _KERNEL:
            kernel.discard()
        result["seconds"] = round(time.monotonic() - start, 2)
        if result["status"] != "staged":
            shutil.rmtree(staging, ignore_errors=True)


def _restore_figures_dir(executed: Path, staged: str, final: str) -> None:
    """The executed notebook shows the folder its figures end up in, not the staging folder."""
    text = executed.read_text(encoding="utf-8")
    if staged in text:
        executed.write_text(text.replace(json.dumps(staged)[1:-1], json.dumps(final)[1:-1]), encoding="utf-8")


def mark_failure(nb_path: Path, status: str, message: str, timeout: float | None) -> str:
    """Make a timeout or dead kernel visible in the executed notebook, as papermill does for errors."""
    import nbformat

    if not nb_path.exists():
        return message
    nb = nbformat.read(str(nb_path), as_version=4)
    ename = {"timeout": "CellTimeoutError", "kernel died": "DeadKernelError"}.get(status, "ExecutionError")
    evalue = (f"the cell ran for more than {timeout:g} s and was stopped" if status == "timeout" and timeout
              else message)
    started = [i for i, c in enumerate(nb.cells)
               if c.cell_type == "code"
               and c.get("metadata", {}).get("papermill", {}).get("status", "pending") != "pending"]
    if started:  # the last cell that started is the one that was running when it stopped
        index = started[-1]
        cell = nb.cells[index]
        pm = cell.metadata.setdefault("papermill", {})
        pm["status"], pm["exception"] = "failed", True
        # a timeout interrupts the kernel, so the cell may already show a KeyboardInterrupt: say why
        cell.outputs = [o for o in cell.outputs if not (o.output_type == "error" and o.ename == "KeyboardInterrupt")]
        cell.outputs.append(nbformat.v4.new_output("error", ename=ename, evalue=evalue,
                                                   traceback=[f"{ename}: {evalue}"]))
        message = (f"cell {index} ran past the {timeout:g} s timeout" if status == "timeout" and timeout
                   else f"the kernel died while running cell {index}")
    marker = nbformat.v4.new_markdown_cell(
        f'<span style="color:red; font-family:Helvetica Neue, Helvetica, Arial, sans-serif; font-size:2em;">'
        f"Execution stopped: {ename}</span>")
    marker.metadata["tags"] = ["papermill-error-cell-tag"]
    nb.cells.insert(0, marker)
    nbformat.write(nb, str(nb_path))
    return message
