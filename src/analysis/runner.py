"""`coordination run`: execute every notebook for each place and phase, render, index."""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from analysis.files import atomic_write_bytes, atomic_write_text
from analysis.manifest import Manifest, code_hash, file_hash, \
    parameters_hash, study_files_hash
from analysis.paths import NOTEBOOKS_DIR, OUTPUTS_DIR, resolve_study_path

__all__ = [
    "RunError",
    "Job",
    "StudyInfo",
    "add_arguments",
    "command",
    "plan_jobs",
    "execute_job",
    "run",
]

AUDIENCES = ("stakeholder", "internal")
#: Parameters every notebook must declare: the runner always sets them.
REQUIRED_PARAMETERS = ("study", "phase", "audience")
#: Set when the notebook declares them: `place` makes a notebook per place.
OPTIONAL_PARAMETERS = ("place", "figures_dir")
CROSS_PLACE_DIR = "all-places"
FAILED_DIR = "failed"
_CACHE_NAME = ".runner-cache.json"
_STAGING_DIR = ".staging"


class RunError(Exception):
    """A problem with what was asked (bad study, phase, place or notebook): exit status 2."""


# ---------------------------------------------------------------------------------------------
# Arguments


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--study", default="data/example",
                        help="study folder, its study.xlsx, or a name under data/ (default: data/example)")
    parser.add_argument("--phase", action="append", metavar="P",
                        help="render only this phase (repeat for several; default: every phase)")
    parser.add_argument("--place", action="append", metavar="X",
                        help="render only this place (repeat for several; default: every place)")
    parser.add_argument("--audience", choices=AUDIENCES, default="stakeholder",
                        help="who the pages are for: stakeholder (pseudonyms, small numbers suppressed, "
                             "leak-checked; the default) or internal (names shown)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, metavar="N",
                        help="notebooks run in parallel (default: the number of CPUs, %(default)s here)")
    parser.add_argument("--timeout", type=float, default=600, metavar="S",
                        help="seconds a single cell may run before it is stopped (default: %(default)s)")
    parser.add_argument("--force", action="store_true", help="render everything, even what is up to date")
    parser.add_argument("--out", default=str(OUTPUTS_DIR), metavar="DIR", help="outputs folder (default: outputs/)")
    parser.add_argument("--notebooks", default=str(NOTEBOOKS_DIR), metavar="DIR",
                        help="folder of the notebooks to run (default: notebooks/)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar; print only failures and the index path")


def command(args: argparse.Namespace) -> int:
    """Run the `coordination run` command; returns the exit status (0 ok, 1 a notebook failed, 2 usage)."""
    if args.jobs < 1:
        print("coordination run: --jobs must be at least 1", file=sys.stderr)
        return 2
    try:
        return run(
            study=args.study, phases=args.phase, places=args.place, audience=args.audience, jobs=args.jobs,
            timeout=args.timeout, force=args.force, out=args.out, notebooks=args.notebooks, quiet=args.quiet,
        )
    except RunError as exc:
        print(f"coordination run: {exc}", file=sys.stderr)
        return 2


# ---------------------------------------------------------------------------------------------
# What to run


@dataclasses.dataclass(frozen=True)
class StudyInfo:
    """What the runner needs to know of a study, cached so a rerun need not load it again."""

    path: str
    slug: str
    name: str
    illustrative: bool
    fingerprint: str
    place_ids: list
    place_names: dict
    phase_ids: list
    phase_labels: dict


@dataclasses.dataclass(frozen=True)
class Job:
    """One notebook to execute for one place (or all places) and one phase."""

    notebook: str            # path of the source notebook
    stem: str                # its name without .ipynb
    place: str | None        # None: a cross-place notebook
    phase: str
    audience: str
    parameters: dict         # what the notebook receives (figures_dir: the final folder)
    out_dir: str             # outputs/<study>/<audience>/<phase>/<place or all-places>
    hashes: dict

    @property
    def key(self) -> str:
        return f"{self.place or CROSS_PLACE_DIR}/{self.stem}"


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
    except Exception as exc:  # unreadable notebook, no kernel spec, ...
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
        if "parameters" not in names and not names:
            pass
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
# One notebook, in a worker process

_KERNEL_DIRS: list[str] = []
_STUDIES: dict = {}


def _ipc_kernel_manager():
    """A kernel manager class whose kernels talk over IPC sockets in a private temporary folder.

    With TCP, kernels started in parallel can pick the same free port between the moment it
    is chosen and the moment it is bound (papermill issue 511); with IPC each kernel's
    sockets are files in its own folder, so they cannot collide.
    """
    from jupyter_client.manager import AsyncKernelManager

    class IPCKernelManager(AsyncKernelManager):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            folder = tempfile.mkdtemp(prefix="cip-kernel-")
            _KERNEL_DIRS.append(folder)
            self.transport = "ipc"
            self.connection_file = os.path.join(folder, "kernel.json")
            self.ip = os.path.join(folder, "k")
            self._log_path = os.path.join(folder, "kernel.log")

        async def _async_launch_kernel(self, kernel_cmd, **kw):
            # the kernel process's own output (not a cell's) goes to a log, read when it fails to start
            with open(self._log_path, "ab") as log:
                kw.setdefault("stdout", log)
                kw.setdefault("stderr", log)
                return await super()._async_launch_kernel(kernel_cmd, **kw)

    return IPCKernelManager


_KM_CLASS = None


_STOP = None


def _worker_init(stop=None) -> None:
    """Worker start-up: Ctrl-C is handled by the parent, which stops the workers in order."""
    import signal

    global _STOP
    _STOP = stop
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.environ.setdefault("MPLBACKEND", "Agg")
    # nbclient logs timeouts and dead kernels as they happen; the summary table reports them
    import logging

    for name in ("papermill", "traitlets", "nbclient", "asyncio", "analysis.leakcheck"):
        logging.getLogger(name).setLevel(logging.CRITICAL)


def _classify(exc: BaseException) -> tuple[str, str]:
    """Status and one-line error of an execution failure."""
    from nbclient.exceptions import CellTimeoutError, DeadKernelError
    from papermill.exceptions import PapermillExecutionError

    if isinstance(exc, PapermillExecutionError):
        if exc.ename == "CellTimeoutError":
            return "timeout", f"cell {exc.exec_count or exc.cell_index} ran past the timeout"
        evalue = str(exc.evalue).splitlines()[0] if exc.evalue else ""
        return "error", f"cell {exc.exec_count or exc.cell_index}: {exc.ename}: {evalue}"[:300]
    if isinstance(exc, CellTimeoutError):
        return "timeout", "a cell ran past the timeout"
    if isinstance(exc, DeadKernelError):
        return "kernel died", "the kernel died while running a cell"
    return "error", f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"[:300]


def _mark_failure(nb_path: Path, status: str, message: str, timeout: float | None) -> str:
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


def _execute(job: Job, parameters: dict, output: Path, timeout: float | None) -> tuple[str, str]:
    """Execute with papermill; a kernel that fails to start is tried once more."""
    global _KM_CLASS
    import papermill
    from nbclient.exceptions import CellTimeoutError, DeadKernelError
    from papermill.exceptions import PapermillExecutionError

    if _KM_CLASS is None:
        _KM_CLASS = _ipc_kernel_manager()
    for attempt in (1, 2):
        try:
            papermill.execute_notebook(
                job.notebook, str(output), parameters=parameters, kernel_name="python3",
                progress_bar=False, log_output=False, cwd=str(Path(job.notebook).parent),
                execution_timeout=timeout or None, kernel_manager_class=_KM_CLASS, start_timeout=60,
            )
            return "ok", ""
        except (PapermillExecutionError, CellTimeoutError, DeadKernelError) as exc:
            return _classify(exc)
        except Exception as exc:  # noqa: BLE001 - the kernel did not start, or something else
            started = output.exists() and _any_cell_ran(output)
            if attempt == 1 and not started:
                continue  # a kernel that failed to start gets one more try
            status, message = _classify(exc)
            if not started:
                return "kernel start failed", f"{message} {_kernel_log_tail()}".strip()[:300]
            return status, message
        finally:
            while _KERNEL_DIRS:
                shutil.rmtree(_KERNEL_DIRS.pop(), ignore_errors=True)
    return "error", "unreachable"


def _kernel_log_tail() -> str:
    """The last line the kernel process wrote (why it did not start), if any."""
    for folder in reversed(_KERNEL_DIRS):
        try:
            lines = Path(folder, "kernel.log").read_text(encoding="utf-8", errors="replace").strip().splitlines()
        except OSError:
            continue
        if lines:
            return f"(kernel said: {lines[-1][:150]})"
    return ""


def _any_cell_ran(path: Path) -> bool:
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return any((c.get("metadata", {}).get("papermill", {}).get("status") or "pending") != "pending"
               for c in nb.get("cells", []))


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
    # Ctrl-C while a notebook runs: KeyboardInterrupt unwinds papermill, whose kernel
    # context shuts the kernel down; nothing of this notebook is published.
    signal.signal(signal.SIGINT, _interrupt_once)
    try:
        parameters = dict(job.parameters)
        if "figures_dir" in parameters:
            parameters["figures_dir"] = str(staging)
        executed = staging / f"{job.stem}.ipynb"
        status, error = _execute(job, parameters, executed, timeout)
        if status in ("timeout", "kernel died"):
            error = _mark_failure(executed, status, error, timeout)
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

        from analysis.render import notebook_title, render_notebook

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
        result.update(status="interrupted", error="stopped by Ctrl-C")
        return result
    except Exception as exc:  # noqa: BLE001 - a failure of rendering must not stop the run
        result.update(status="error", error=f"rendering: {type(exc).__name__}: {exc}"[:300])
        return result
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
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


# ---------------------------------------------------------------------------------------------
# The whole run


def _page_context(info: StudyInfo, job: Job, version: str, rendered: tuple[str, str]) -> dict:
    from analysis.render import AUDIENCE_LABELS

    place_label = info.place_names.get(job.place, job.place) if job.place else "All places"
    return {
        "study_name": info.name, "phase_label": info.phase_labels.get(job.phase, job.phase),
        "place_label": place_label, "page_label": place_label, "audience": job.audience,
        "audience_label": AUDIENCE_LABELS.get(job.audience, job.audience), "fingerprint": info.fingerprint,
        "package_version": version, "rendered_at": rendered[0], "rendered_at_label": rendered[1],
        "illustrative": info.illustrative, "study_index": "../../../index.html",
        "audience_index": "../../index.html", "phase_index": "../index.html",
    }


def _format_table(rows: list[dict]) -> str:
    headers = ["notebook", "place", "phase", "status", "seconds", "error"]
    cells = [[str(r.get(h, "")) for h in headers] for r in rows]
    widths = [max([len(h)] + [len(c[i]) for c in cells]) for i, h in enumerate(headers[:-1])]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers[:-1], widths)) + "  error"]
    lines.append("  ".join("-" * w for w in widths) + "  -----")
    for c in cells:
        lines.append("  ".join(v.ljust(w) for v, w in zip(c[:-1], widths)) + "  " + c[-1])
    return "\n".join(lines)


def _clean_stale_staging(root: Path) -> None:
    """Remove staging folders of runs that are no longer alive (an interrupted run's leftovers)."""
    if not root.is_dir():
        return
    for d in root.iterdir():
        try:
            pid = int(d.name.split("-")[1])
            os.kill(pid, 0)
        except (IndexError, ValueError):
            shutil.rmtree(d, ignore_errors=True)
        except ProcessLookupError:
            shutil.rmtree(d, ignore_errors=True)
        except PermissionError:
            pass


def run(study="data/example", phases=None, places=None, audience="stakeholder", jobs=None, timeout=600.0,
        force=False, out=OUTPUTS_DIR, notebooks=NOTEBOOKS_DIR, quiet=False, stream=None) -> int:
    """Execute and render every notebook for each place and phase of a study.

    The steps: find the study and notebooks; check every phase, place and parameter; skip
    what is up to date (manifest hashes); execute the rest in parallel worker processes;
    record each outcome in its phase's manifest; write the index pages; print the summary.

    Returns
    -------
    int
        0 when every notebook rendered (or was up to date), 1 when any failed, 130 when
        interrupted. Problems with what was asked raise :class:`RunError`.
    """
    stream = stream or sys.stdout
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
    interrupted = False
    if todo:
        results, interrupted = _run_jobs(todo, info, manifests, jobs or os.cpu_count() or 1, timeout, version,
                                         study_out, quiet)
    phases_touched = sorted({j.phase for j in planned}, key=info.phase_ids.index)
    index_path = audience_dir / "index.html"
    need_index = bool(results) or not index_path.exists() or any(
        not (audience_dir / ph / "index.html").exists() for ph in phases_touched) or not (study_out / "index.html").exists()
    if need_index and not interrupted:
        write_indexes(info, study_out, audience, phases_touched if results else
                      [ph for ph in phases_touched if not (audience_dir / ph / "index.html").exists()], version)

    failures = [r for r in results if r["status"] != "ok"]
    if results and (not quiet or failures):
        rows = results if not quiet else failures
        print(_format_table(rows), file=stream)
    ok = sum(r["status"] == "ok" for r in results)
    if not quiet or failures:
        print(f"{ok} rendered, {len(failures)} failed, {skipped} up to date"
              + (" (interrupted)" if interrupted else ""), file=stream)
    if failures and any(r.get("failed_notebook") for r in failures):
        print(f"Executed notebooks with their errors are kept in {study_out / FAILED_DIR / audience}", file=stream)
    print(f"Open {index_path}", file=stream)
    if interrupted:
        return 130
    return 1 if failures else 0


def _up_to_date(manifest: Manifest, job: Job) -> bool:
    if not manifest.is_current(job.key, job.hashes):
        return False
    entry = manifest.entries[job.key]
    return all((Path(job.out_dir) / name).exists() for name in entry.get("outputs", [])) and \
        (Path(job.out_dir) / f"{job.stem}.html").exists()


def _run_jobs(todo, info, manifests, jobs, timeout, version, study_out, quiet):
    """Execute ``todo`` in worker processes; record each outcome in its manifest as it lands."""
    import multiprocessing
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

    from tqdm import tqdm

    from analysis.render import rendered_at_now

    staging_root = study_out / _STAGING_DIR
    _clean_stale_staging(staging_root)
    run_staging = staging_root / f"run-{os.getpid()}-{int(time.time())}"
    run_staging.mkdir(parents=True, exist_ok=True)
    failed_root = study_out / FAILED_DIR / todo[0].audience
    rendered = rendered_at_now()
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["analysis.runner", "papermill", "nbconvert", "nbformat"])
    results, interrupted = [], False
    by_future: dict = {}
    pending: set = set()

    def land(fut, job, after_interrupt=False):
        try:
            res = fut.result()
        except Exception as exc:  # noqa: BLE001 - a worker process died
            res = {"key": job.key, "status": "error", "error": f"worker: {type(exc).__name__}: {exc}"[:300],
                   "seconds": 0.0, "outputs": [], "label": ""}
        if after_interrupt and res["status"] != "ok":
            res = dict(res, status="interrupted", error="stopped by Ctrl-C")
        _record(manifests[job.phase], job, res, info, version)
        results.append(dict(res, notebook=job.stem, place=job.place or CROSS_PLACE_DIR, phase=job.phase))
        bar.update(1)

    bar = tqdm(total=len(todo), unit="notebook", desc="Rendering", disable=quiet, file=sys.stderr, leave=False)
    stop = ctx.Event()
    pool = ProcessPoolExecutor(max_workers=min(jobs, len(todo)), mp_context=ctx, initializer=_worker_init,
                               initargs=(stop,))
    try:
        for job in todo:
            fut = pool.submit(execute_job, job, _page_context(info, job, version, rendered), str(run_staging),
                              str(failed_root), timeout)
            by_future[fut] = job
        pending = set(by_future)
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for fut in done:
                land(fut, by_future[fut])
    except KeyboardInterrupt:
        interrupted = True
        stop.set()
        print("\nInterrupted: stopping the workers and their kernels...", file=sys.stderr)
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
    return results, interrupted


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


# ---------------------------------------------------------------------------------------------
# Index pages


def _headline_indicators(info: StudyInfo, audience: str, phases: list[str]) -> tuple[dict, str]:
    """{phase: {place: [(label, value)]}} from analysis.shifts.headline_indicators, and a note."""
    try:
        from analysis import load_study
        from analysis.shifts import headline_indicators
    except ImportError:
        return {}, ""
    try:
        s = load_study(info.path)
        if audience == "stakeholder":
            try:
                from analysis.disclosure import for_audience
            except ImportError:
                return {}, "Headline figures are left out until disclosure control is available."
            s = for_audience(s, audience)
        table = None
        try:
            from analysis.shifts import indicator_table

            table = indicator_table(s)
        except ImportError:
            pass
        out = {}
        for ph in phases:
            df = headline_indicators(s, ph, table=table) if table is not None else headline_indicators(s, ph)
            out[ph] = {str(pid): [(str(c), str(v)) for c, v in row.items()] for pid, row in df.iterrows()}
        return out, ""
    except Exception as exc:  # noqa: BLE001 - an index without figures beats no index
        return {}, f"Headline figures could not be computed ({type(exc).__name__})."


def write_indexes(info: StudyInfo, study_out: Path, audience: str, phases: list[str], version: str) -> Path:
    """Write the phase index pages for ``phases``, the audience index and the study index."""
    from analysis.render import AUDIENCE_LABELS, href, index_page, rendered_at_now

    rendered, rendered_label = rendered_at_now()
    audience_dir = study_out / audience
    audience_label = AUDIENCE_LABELS.get(audience, audience)
    common = dict(study_name=info.name, fingerprint=info.fingerprint, package_version=version,
                  rendered_at=rendered, rendered_at_label=rendered_label, illustrative=info.illustrative)
    indicators, note = _headline_indicators(info, audience, phases)
    for ph in phases:
        manifest = Manifest.load(audience_dir / ph / "manifest.json")
        phase_dir = audience_dir / ph
        pages: dict = {}
        for key, entry in sorted(manifest.entries.items()):
            place_dir, stem = key.split("/", 1)
            if not (phase_dir / place_dir / f"{stem}.html").exists():
                continue
            status = "" if entry.get("status") == "ok" else "out of date: last run failed"
            label = entry.get("label") or stem
            pages.setdefault(place_dir, []).append({
                "href": href(place_dir, f"{stem}.html"), "label": label.split(":")[0].strip() or label,
                "status": status, "status_class": "stale"})
        places = [{"name": info.place_names.get(p, p), "pages": pages.get(p, []),
                   "indicators": indicators.get(ph, {}).get(p, [])} for p in info.place_ids]
        phase_label = info.phase_labels.get(ph, ph)
        page = index_page(
            **common, title=f"{phase_label} · {info.name}", kicker=f"{audience_label} reports",
            heading=f"{phase_label}", lede="Every place's report for this phase, and the pages that compare places.",
            phase_label=phase_label, audience_label=audience_label, study_index="../../index.html",
            crumbs=[{"label": audience_label, "href": "../index.html"}, {"label": phase_label, "href": ""}],
            cross_pages=pages.get(CROSS_PLACE_DIR, []), places=places, indicators_note=note,
        )
        atomic_write_text(phase_dir / "index.html", page)

    phase_links = [{"label": info.phase_labels.get(ph, ph), "href": href(ph, "index.html"), "note": ""}
                   for ph in info.phase_ids if (audience_dir / ph / "index.html").exists()]
    atomic_write_text(audience_dir / "index.html", index_page(
        **common, title=f"{audience_label} reports · {info.name}", kicker="Reports",
        heading=f"{audience_label} reports", lede="One page per phase of the study, in time order.",
        audience_label=audience_label, study_index="../index.html",
        crumbs=[{"label": audience_label, "href": ""}], links=phase_links, links_heading="Phases"))

    audience_links = [{"label": f"{AUDIENCE_LABELS.get(a, a)} reports", "href": href(a, "index.html"),
                       "note": "Organisations named." if a == "internal" else "Organisations under pseudonyms; small numbers suppressed."}
                      for a in AUDIENCES if (study_out / a / "index.html").exists()]
    atomic_write_text(study_out / "index.html", index_page(
        **common, title=info.name, kicker="Coordination in place", heading=info.name,
        lede="Reports of this study, by audience.", study_index="index.html", links=audience_links,
        links_heading="Reports"))
    return audience_dir / "index.html"
