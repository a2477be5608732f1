"""One notebook in a worker process of `coordination run`: execute, render, check, publish."""

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

_STUDIES: dict = {}
_STOP = None
#: The worker's warm kernel, kept between the notebooks it runs (see analysis.runner.kernels).
_KERNEL = None


def worker_init(stop=None, warm_modules=()) -> None:
    """Worker start-up: Ctrl-C is handled by the parent, which stops the workers in order.

    The worker's kernel starts with its first notebook and imports ``warm_modules`` then;
    it is shut down when the worker exits.
    """
    import logging
    import signal
    from multiprocessing.util import Finalize

    global _STOP, _KERNEL
    _STOP = stop
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.environ.setdefault("MPLBACKEND", "Agg")
    # nbclient logs timeouts and dead kernels as they happen; the summary table reports them
    for name in ("papermill", "traitlets", "nbclient", "asyncio", "analysis.leakcheck"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
    _KERNEL = WarmKernel(warm_modules)
    Finalize(_KERNEL, _KERNEL.discard, exitpriority=10)  # multiprocessing runs these at exit, not atexit


def _original_study(path: str, fingerprint: str):
    key = (path, fingerprint)
    if key not in _STUDIES:
        from analysis import load_study

        _STUDIES.clear()
        _STUDIES[key] = load_study(path)
    return _STUDIES[key]


def _leak_findings(job: Job, staging: Path) -> list[str]:
    """Leak check of everything staged for a stakeholder page: kinds and locations, never strings."""
    from analysis.leakcheck import check_rendered

    findings = check_rendered(_original_study(job.parameters["study"], job.hashes["study"]), [staging])
    out = []
    for f in findings:
        where = str(getattr(f, "path", "")).replace(str(staging), job.out_dir)
        detail = getattr(f, "where", None) or getattr(f, "location", "")
        out.append(f"{f.kind} in {where} ({detail})" if where else f"{f.kind} in {detail}")
    return out


def _interrupt_once(signum, frame):
    """SIGINT during a notebook: raise KeyboardInterrupt once, so that clean-up is not interrupted."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    raise KeyboardInterrupt


def execute_job(job: Job, context: dict, staging_root: str, failed_root: str, timeout: float | None) -> dict:
    """Execute one notebook, render its page, check it, and move everything into place.

    Runs in a worker process. Everything is produced in a staging folder beside the outputs
    (figures, executed notebook, page) and moved into ``job.out_dir`` only when it all
    succeeded, so an interrupted or failed run leaves the previous good page in place. A
    failed notebook is kept, error visible, under ``failed_root``.

    Returns
    -------
    dict
        key, status ("ok", "error", "timeout", "kernel died", "kernel start failed", "leak"),
        seconds, error (one line), outputs (file names), label (the page title).
    """
    import signal

    start = time.monotonic()
    result = {"key": job.key, "status": "error", "error": "", "outputs": [], "label": "", "failed_notebook": ""}
    if _STOP is not None and _STOP.is_set():  # queued before Ctrl-C: do not start it
        return dict(result, status="interrupted", error="stopped by Ctrl-C", seconds=0.0)
    staging = Path(tempfile.mkdtemp(prefix=f"{job.stem}-", dir=staging_root))
    # Ctrl-C while a notebook runs: KeyboardInterrupt unwinds papermill, and the kernel is
    # shut down; nothing of this notebook is published.
    signal.signal(signal.SIGINT, _interrupt_once)
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

        if job.audience == "stakeholder":
            findings = _leak_findings(job, staging)
            if findings:
                result.update(status="leak", error="leak check: " + "; ".join(findings[:3])
                              + (f"; and {len(findings) - 3} more" if len(findings) > 3 else ""))
                return result
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # publishing is a few renames: let it finish
        result["outputs"] = _publish(staging, Path(job.out_dir), job.stem)
        result["status"] = "ok"
        return result
    except KeyboardInterrupt:
        kernel.discard()
        result.update(status="interrupted", error="stopped by Ctrl-C")
        return result
    except Exception as exc:  # noqa: BLE001 -- a failure of rendering must not stop the run
        result.update(status="error", error=f"rendering: {type(exc).__name__}: {exc}"[:300])
        return result
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        if kernel is not _KERNEL:
            kernel.discard()
        result["seconds"] = round(time.monotonic() - start, 2)
        shutil.rmtree(staging, ignore_errors=True)


def _restore_figures_dir(executed: Path, staged: str, final: str) -> None:
    """The executed notebook shows the folder its figures end up in, not the staging folder."""
    text = executed.read_text(encoding="utf-8")
    if staged in text:
        executed.write_text(text.replace(json.dumps(staged)[1:-1], json.dumps(final)[1:-1]), encoding="utf-8")


def _publish(staging: Path, out_dir: Path, stem: str) -> list[str]:
    """Move staged files into ``out_dir``: figures first, the page last (each an atomic rename)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    files = sorted(p for p in staging.iterdir() if p.is_file() and not p.name.startswith("."))
    order = {f"{stem}.ipynb": 1, f"{stem}.html": 2}
    files.sort(key=lambda p: order.get(p.name, 0))
    for p in files:
        os.replace(p, out_dir / p.name)
    return [p.name for p in files]


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
               if c.cell_type == "code" and c.get("metadata", {}).get("papermill", {}).get("status", "pending") != "pending"]
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
