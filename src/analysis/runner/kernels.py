"""Kernels for the batch runner: IPC sockets, kept warm between notebooks, reset before each one."""

from __future__ import annotations

import ast
import json
import os
import shutil
import tempfile
from pathlib import Path

__all__ = [
    "WARM_MODULES",
    "KernelStartError",
    "notebook_imports",
    "warm_up",
    "reset_for_notebook",
    "ipc_kernel_manager_class",
    "WarmKernel",
    "execute_notebook",
    "ENGINE_NAME",
    "save_at_end_engine",
    "study_cache_dir",
    "classify",
]

#: Modules a worker's kernel imports once, when it starts, before any notebook runs: the
#: heavy libraries every notebook of the suite uses. The runner adds whatever the notebooks
#: it is about to run import (:func:`notebook_imports`), so this list need not be complete.
WARM_MODULES = (
    "numpy", "pandas", "scipy.stats", "matplotlib", "matplotlib.pyplot", "seaborn", "networkx",
    "IPython.display", "html", "analysis", "analysis.style", "analysis.disclosure",
)

#: The kernel runs this module's warm_up and reset_for_notebook (see :func:`_call`).
_KERNEL_MODULE = __name__

#: Kernel-side state taken once the warm imports are done: what every notebook starts from.
_BASELINE: dict = {}


class KernelStartError(RuntimeError):
    """A kernel did not start, or did not answer its warm-up or reset."""


# ---------------------------------------------------------------------------------------------
# What runs inside the kernel


def notebook_imports(paths) -> list[str]:
    """Modules imported by the code cells of notebooks (``import x``, ``from x import y``).

    For ``from x import y`` both ``x`` and ``x.y`` are listed, since ``y`` may be a
    submodule (``from analysis import networks``); importing a name that is not a module
    simply fails in :func:`warm_up`, which skips it. Magic and shell lines are ignored, a
    cell that still does not parse is skipped, and relative imports are left out.

    Examples
    --------
    >>> import nbformat, tempfile, os
    >>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
    ...     "import pandas as pd\\nfrom analysis import networks, load_study\\n%matplotlib inline")])
    >>> path = os.path.join(tempfile.mkdtemp(), "n.ipynb")
    >>> nbformat.write(nb, path)
    >>> notebook_imports([path])
    ['analysis', 'analysis.load_study', 'analysis.networks', 'pandas']
    """
    found: set[str] = set()
    for path in paths:
        try:
            cells = json.loads(Path(path).read_text(encoding="utf-8")).get("cells", [])
        except (OSError, ValueError):
            continue
        for cell in cells:
            if cell.get("cell_type") != "code":
                continue
            source = cell.get("source", "")
            source = "".join(source) if isinstance(source, list) else str(source)
            try:
                tree = ast.parse(source)
            except SyntaxError:  # IPython syntax (magics, shell escapes): parse the rest
                lines = ["" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines()]
                try:
                    tree = ast.parse("\n".join(lines))
                except SyntaxError:
                    continue
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    found.update(alias.name for alias in node.names)
                elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                    found.add(node.module)
                    found.update(f"{node.module}.{alias.name}" for alias in node.names if alias.name != "*")
    return sorted(found)


def warm_up(modules) -> list[str]:
    """Import ``modules`` in the kernel, then record the state every notebook starts from.

    Runs inside a kernel (the runner sends it as code). A module that fails to import is
    skipped: the notebook that imports it will report the error itself. The recorded
    baseline (matplotlib's rcParams, the warnings filters) is what
    :func:`reset_for_notebook` restores.

    Returns
    -------
    list of str
        The modules that failed to import.
    """
    import importlib
    import warnings

    failed = []
    for name in modules:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                importlib.import_module(name)
        except Exception:  # noqa: BLE001 -- a name that is not a module, or a broken one
            failed.append(name)
    _record_baseline()
    return failed


def _record_baseline() -> None:
    import sys
    import warnings

    _BASELINE["warnings"] = list(warnings.filters)
    if "pandas" in sys.modules:
        _BASELINE["pandas"] = _pandas_options()
    if "matplotlib" in sys.modules:
        rc = dict(sys.modules["matplotlib"].rcParams.copy())
        rc.pop("backend", None)  # switching backends is not a reset
        _BASELINE["rcParams"] = rc


def reset_for_notebook(cwd: str, cache_dir: str = "") -> None:
    """Give the next notebook a kernel as a fresh one would be, its imports aside.

    Runs inside the kernel before each notebook: closes every figure, clears the user
    namespace and the output history (``%reset -f``, in a new session so execution counts
    start at 1 again), restores matplotlib's rcParams, pandas' options and the warnings
    filters to the baseline :func:`warm_up` recorded, and changes to the notebook's folder.

    What the package computed for the study (:mod:`analysis.cache`: the study load, the
    indicator table, layouts) stays in the kernel's memory for the next page, keyed by the
    study's content and the code; ``cache_dir`` (empty: none) is where it is also kept on
    disk across runs.
    """
    import sys
    import warnings

    from IPython import get_ipython

    if not _BASELINE:
        _record_baseline()
    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")
    shell = get_ipython()
    if shell is not None:
        shell.reset(new_session=True)  # user namespace, In/Out, and the execution counter
    if "matplotlib" in sys.modules:
        rc = sys.modules["matplotlib"].rcParams
        baseline = _BASELINE.get("rcParams")
        if baseline is None:  # matplotlib arrived after the warm-up: its file defaults
            baseline = dict(sys.modules["matplotlib"].rcParamsOrig.copy())
            baseline.pop("backend", None)
        dict.update(rc, baseline)  # as matplotlib's rc_context restores them
    if "pandas" in sys.modules:
        _restore_pandas_options(_BASELINE.get("pandas"))
    warnings.filters[:] = _BASELINE.get("warnings", warnings.filters)
    getattr(warnings, "_filters_mutated", lambda: None)()  # the C filter cache sees the change
    from analysis.cache import CACHE_DIR_ENV

    if cache_dir:
        os.environ[CACHE_DIR_ENV] = cache_dir
    else:
        os.environ.pop(CACHE_DIR_ENV, None)
    os.chdir(cwd)


def _pandas_options() -> dict:
    """Every pandas option and its value (deprecated ones left out)."""
    import warnings

    import pandas as pd

    values = {}
    try:
        names = list(pd._config.config._registered_options)
    except AttributeError:  # pandas moved its registry: leave options alone
        return values
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name in names:
            try:
                values[name] = pd.get_option(name)
            except Exception:  # noqa: BLE001 -- an option some pandas versions lack or refuse to read: leave it alone
                pass
    return values


def _restore_pandas_options(baseline: dict | None) -> None:
    """Set back only the pandas options a notebook changed.

    Not ``pd.reset_option("all")``: setting an option runs its callback, and one of them
    (``plotting.matplotlib.register_converters``) registers pandas' date converters with
    matplotlib, which a fresh kernel has not done; that alone changes the SVG files.
    """
    import warnings

    import pandas as pd

    if baseline is None:
        try:
            baseline = {name: opt.defval for name, opt in pd._config.config._registered_options.items()}
        except AttributeError:
            return
    current = _pandas_options()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, value in baseline.items():
            if name in current and current[name] is not value and current[name] != value:
                pd.set_option(name, value)


def _call(function: str, *args) -> str:
    """Code that calls ``function`` of this module in a kernel and binds no name there.

    It is sent with ``silent=True``: no output, no history, and the execution counter the
    notebook sees is left alone.
    """
    arguments = ", ".join(repr(a) for a in args)
    return f"__import__({_KERNEL_MODULE!r}, fromlist=['_']).{function}({arguments})"


# ---------------------------------------------------------------------------------------------
# The worker's side


_KM_CLASS = None


def ipc_kernel_manager_class():
    """A kernel manager class whose kernels talk over IPC sockets in a private temporary folder.

    With TCP, kernels started in parallel can pick the same free port between the moment it
    is chosen and the moment it is bound (papermill issue 511); with IPC each kernel's
    sockets are files in its own folder, so they cannot collide. The manager also keeps
    the clients made from it, so that the ones nbclient leaves open on a kernel it does
    not own can be closed after each notebook.
    """
    global _KM_CLASS
    if _KM_CLASS is not None:
        return _KM_CLASS
    from jupyter_client.manager import AsyncKernelManager

    class IPCKernelManager(AsyncKernelManager):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.folder = tempfile.mkdtemp(prefix="cip-kernel-")
            self.transport = "ipc"
            self.connection_file = os.path.join(self.folder, "kernel.json")
            self.ip = os.path.join(self.folder, "k")
            self.log_path = os.path.join(self.folder, "kernel.log")
            self.clients = []

        def client(self, **kwargs):
            kc = super().client(**kwargs)
            self.clients.append(kc)
            return kc

        async def _async_launch_kernel(self, kernel_cmd, **kw):
            # the kernel process's own output (not a cell's) goes to a log, read when it fails to start
            with open(self.log_path, "ab") as log:
                kw.setdefault("stdout", log)
                kw.setdefault("stderr", log)
                return await super()._async_launch_kernel(kernel_cmd, **kw)

    _KM_CLASS = IPCKernelManager
    return _KM_CLASS


class WarmKernel:
    """One kernel kept alive between the notebooks a worker process runs.

    Started with :meth:`start` (which imports ``modules`` in it), made ready for each
    notebook with :meth:`prepare`, and thrown away with :meth:`discard` after any failure.

    Parameters
    ----------
    modules : sequence of str
        What to import once the kernel is up (see :data:`WARM_MODULES`).
    start_timeout : float
        Seconds to wait for the kernel to answer, and for the warm-up to finish.
    """

    def __init__(self, modules=WARM_MODULES, start_timeout: float = 60):
        self.modules = list(modules)
        self.start_timeout = start_timeout
        self.km = None
        self.notebooks_run = 0

    @property
    def alive(self) -> bool:
        from jupyter_core.utils import run_sync

        if self.km is None or not self.km.has_kernel:
            return False
        try:
            return bool(run_sync(self.km.is_alive)())
        except Exception:  # noqa: BLE001 -- a kernel that cannot say whether it is alive is not
            return False

    def start(self, cwd: str) -> None:
        """Start the kernel in ``cwd`` and import the warm modules in it.

        Raises
        ------
        KernelStartError
            With the last line the kernel wrote, when it does not start or answer.
        """
        from jupyter_core.utils import run_sync

        self.discard()
        self.km = ipc_kernel_manager_class()(kernel_name="python3")
        try:
            run_sync(self.km.start_kernel)(cwd=cwd, extra_arguments=["--HistoryManager.hist_file=:memory:"])
            self._run(_call("warm_up", self.modules), self.start_timeout)
        except Exception as exc:  # noqa: BLE001 -- whatever stopped it, the kernel is no use
            tail = self.log_tail()
            self.discard()
            raise KernelStartError(f"{type(exc).__name__}: {exc} {tail}".strip()) from exc
        self.notebooks_run = 0

    def prepare(self, cwd: str, timeout: float = 60, cache_dir: str = "") -> None:
        """Reset the kernel for the next notebook (see :func:`reset_for_notebook`).

        Raises
        ------
        KernelStartError
            When the kernel does not answer or the reset fails.
        """
        try:
            self._run(_call("reset_for_notebook", str(cwd), str(cache_dir or "")), timeout)
        except Exception as exc:  # noqa: BLE001 -- any failure to reset makes the kernel unusable: reported as one kind
            raise KernelStartError(f"the kernel could not be reset: {type(exc).__name__}: {exc}") from exc

    def _run(self, code: str, timeout: float) -> None:
        """Execute ``code`` silently on a client of our own; raise if it fails."""
        from jupyter_core.utils import run_sync

        async def go():
            kc = self.km.client()
            kc.start_channels()
            try:
                await kc.wait_for_ready(timeout=timeout)
                msg_id = kc.execute(code, silent=True, store_history=False, allow_stdin=False)
                while True:
                    reply = await kc.get_shell_msg(timeout=timeout)
                    if reply["parent_header"].get("msg_id") == msg_id:
                        break
            finally:
                kc.stop_channels()
                self.km.clients.remove(kc)
            content = reply["content"]
            if content.get("status") != "ok":
                raise RuntimeError(f"{content.get('ename', 'error')}: {content.get('evalue', '')}")

        run_sync(go)()

    def close_clients(self) -> None:
        """Stop the channels of clients left open on the kernel (nbclient's, after a notebook)."""
        if self.km is None:
            return
        while self.km.clients:
            kc = self.km.clients.pop()
            try:
                kc.stop_channels()
            except Exception:  # noqa: BLE001 -- a channel that will not close cleanly is being discarded anyway
                pass

    def log_tail(self) -> str:
        """The last line the kernel process wrote (why it did not start), if any."""
        try:
            lines = Path(self.km.log_path).read_text(encoding="utf-8", errors="replace").strip().splitlines()
        except (OSError, AttributeError):
            return ""
        return f"(kernel said: {lines[-1][:150]})" if lines else ""

    def discard(self) -> None:
        """Shut the kernel down now (a timed-out cell may still be running) and remove its folder."""
        km, self.km = self.km, None
        if km is None:
            return
        from jupyter_core.utils import run_sync

        while km.clients:
            try:
                km.clients.pop().stop_channels()
            except Exception:  # noqa: BLE001 -- a channel that will not close cleanly is being discarded anyway
                pass
        try:
            if km.has_kernel:
                run_sync(km.shutdown_kernel)(now=True)
        except BaseException:  # noqa: BLE001 -- stopping must not fail: kill the process outright
            process = getattr(getattr(km, "provisioner", None), "process", None)
            if process is not None:
                try:
                    process.kill()
                except OSError:
                    pass
        shutil.rmtree(km.folder, ignore_errors=True)


# ---------------------------------------------------------------------------------------------
# One notebook on a warm kernel

#: The papermill engine :func:`execute_notebook` uses (registered on first use).
ENGINE_NAME = "coordination-save-at-end"
_ENGINE: list = []


def save_at_end_engine():
    """papermill's nbclient engine, writing the executed notebook once, when execution ends.

    papermill writes the whole notebook (every image so far, validated against the notebook
    schema) when each cell starts and when it completes: some forty writes of a growing file
    per page, a few tenths of a second. This engine keeps the notebook in memory and writes
    it once, in papermill's own ``finally`` (``notebook_complete``), which runs however
    execution ends: success, a cell's error, a timeout, a dead kernel or an interrupt. So
    the executed notebook still shows the failing cell, its error and every cell's status.
    """
    if _ENGINE:
        return _ENGINE[0]
    from papermill.engines import NBClientEngine, NotebookExecutionManager, papermill_engines

    class SaveAtEndManager(NotebookExecutionManager):
        writing = False

        def save(self, **kwargs):
            if self.writing:
                super().save(**kwargs)
            else:
                self.last_save_time = self.now()

        def autosave_cell(self):
            pass

        def notebook_complete(self, **kwargs):
            self.writing = True
            super().notebook_complete(**kwargs)

    class SaveAtEndEngine(NBClientEngine):
        @classmethod
        def execute_notebook(cls, nb, kernel_name, output_path=None, progress_bar=True, log_output=False,
                             autosave_cell_every=30, **kwargs):
            # as papermill.engines.Engine.execute_notebook, with the manager above
            nb_man = SaveAtEndManager(nb, output_path=output_path, progress_bar=progress_bar,
                                      log_output=log_output, autosave_cell_every=autosave_cell_every)
            nb_man.notebook_start()
            try:
                cls.execute_managed_notebook(nb_man, kernel_name, log_output=log_output, **kwargs)
            finally:
                nb_man.cleanup_pbar()
                nb_man.notebook_complete()
            return nb_man.nb

    papermill_engines.register(ENGINE_NAME, SaveAtEndEngine)
    _ENGINE.append(SaveAtEndEngine)
    return SaveAtEndEngine



def execute_notebook(kernel: WarmKernel, notebook: str, output: Path, parameters: dict,
                     timeout: float | None) -> tuple[str, str]:
    """Execute ``notebook`` with papermill on ``kernel``, started or reset first.

    The kernel is discarded after anything but success, so the next notebook gets a fresh
    one. A kernel that fails to start (or to reset) is tried once more with a new one.

    Returns
    -------
    tuple of str
        Status ("ok", "error", "timeout", "kernel died", "kernel start failed") and a
        one-line error.
    """
    import papermill
    from nbclient.exceptions import CellTimeoutError, DeadKernelError
    from papermill.exceptions import PapermillExecutionError

    cwd = str(Path(notebook).parent)
    save_at_end_engine()
    ok = False
    for attempt in (1, 2):
        try:
            if not kernel.alive:
                kernel.start(cwd)
            kernel.prepare(cwd, cache_dir=study_cache_dir(output))
        except KernelStartError as exc:
            kernel.discard()
            if attempt == 1:
                continue  # a kernel that failed to start gets one more try
            return "kernel start failed", str(exc)[:300]
        try:
            papermill.execute_notebook(
                notebook, str(output), parameters=parameters, kernel_name="python3",
                progress_bar=False, log_output=False, cwd=cwd, execution_timeout=timeout or None,
                start_timeout=kernel.start_timeout, km=kernel.km, engine_name=ENGINE_NAME,
            )
            ok = True
            kernel.notebooks_run += 1
            return "ok", ""
        except (PapermillExecutionError, CellTimeoutError, DeadKernelError) as exc:
            return classify(exc)
        except Exception as exc:  # noqa: BLE001 -- the kernel stopped answering, or something else
            started = output.exists() and _any_cell_ran(output)
            if attempt == 1 and not started:
                kernel.discard()
                continue
            return classify(exc)
        finally:
            kernel.close_clients()
            if not ok:
                kernel.discard()
    return "error", "unreachable"


def study_cache_dir(output: Path) -> str:
    """The study's cache folder for a notebook executed into ``output``: ``<study out>/.cache``.

    The runner stages every notebook under ``<study out>/.staging/``; the cache sits beside
    it, outside every audience's folder. A notebook executed anywhere else gets none ("").

    Examples
    --------
    >>> study_cache_dir(Path("/o/example/.staging/run-1/place_report-x/place_report.ipynb"))
    '/o/example/.cache'
    >>> study_cache_dir(Path("/tmp/place_report.ipynb"))
    ''
    """
    for folder in Path(output).parents:
        if folder.name == ".staging":
            return str(folder.parent / ".cache")
    return ""


def _any_cell_ran(path: Path) -> bool:
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return any((c.get("metadata", {}).get("papermill", {}).get("status") or "pending") != "pending"
               for c in nb.get("cells", []))


def classify(exc: BaseException) -> tuple[str, str]:
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
