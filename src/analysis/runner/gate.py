"""The publication gate: every file written into a stakeholder folder is leak-checked first, then written atomically.

A run of ``coordination run`` writes into ``outputs/<name>/``:

``stakeholder/``
    The pages, figures, phase indexes and manifests that may be sent to stakeholders: the
    *stakeholder tree*. The study index ``outputs/<name>/index.html`` links it, so it is
    treated as part of that tree too.
``internal/``
    Named pages for the research team (not checked: they may name organisations).
``.internal/``
    What is never published: the run lock, the runner's cache, the record of which study
    the folder holds, the log of errors with their full text, refused findings, and
    executed notebooks that failed or were withheld (see :data:`INTERNAL_DIR`).

Everything that lands in the stakeholder tree goes through :class:`PublicationGate`:
:meth:`~PublicationGate.write_text` and :meth:`~PublicationGate.write_json` for pages,
indexes and manifests, :meth:`~PublicationGate.publish` for a notebook's staged page and
figures. A file with a finding is not written (the previous file, if any, stays); the
finding's kind and location, never the text found, are recorded in
``.internal/refused.jsonl`` and kept on the gate for the run's report.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import time
from collections.abc import Callable
from pathlib import Path

from analysis.files import atomic_write_text

__all__ = [
    "INTERNAL_DIR",
    "Refusal",
    "PublicationGate",
    "public_error",
]

#: The folder of a study's outputs that is never published (relative to ``outputs/<name>``).
INTERNAL_DIR = ".internal"

#: Messages the runner itself writes, which quote nothing from the study.
_RUNNER_MESSAGE = re.compile(
    r"^(?:cell \d+ ran past the (?:[\d.]+ s )?timeout|a cell ran past the timeout|the kernel died while running "
    r"(?:a cell|cell \d+)|stopped by an interrupt)$")
_KIND_BY_SUFFIX = {".html": "html", ".htm": "html", ".svg": "svg"}


@dataclasses.dataclass(frozen=True)
class Refusal:
    """A file the gate would not publish: where it was going and what was found (kind and place, never text)."""

    path: str
    kind: str
    where: str

    def __str__(self) -> str:
        return f"{self.kind} in {self.path} ({self.where})"


def public_error(status: str, error: str) -> str:
    """An error as a stakeholder manifest records it: its kind and location, never its message.

    A notebook's message may quote the data ("no ratings for Age UK Coventry"), so only the
    exception's class and the cell are kept; the whole message goes to the internal log.

    Examples
    --------
    >>> public_error("error", "cell 7: KeyError: 'Age UK Coventry'")
    'cell 7: KeyError'
    >>> public_error("error", "rendering: ValueError: the page would fetch 1 resource")
    'rendering: ValueError'
    >>> public_error("timeout", "cell 3 ran past the 30 s timeout")
    'cell 3 ran past the 30 s timeout'
    >>> public_error("kernel start failed", "RuntimeError: could not start (kernel said: ...)")
    'RuntimeError'
    """
    error = str(error or "")
    if _RUNNER_MESSAGE.match(error) or (status == "leak" and error.startswith("leak check: ")):
        return error  # written by the runner itself (leak findings hold kinds and locations only)
    m = re.match(r"^(cell \d+|rendering|worker): ([A-Za-z_][\w.]*)(?::|$)", error)
    if m:
        return f"{m.group(1)}: {m.group(2)}"
    m = re.match(r"^([A-Za-z_][\w.]*(?:Error|Exception|Interrupt|Exit))\b", error)
    if m:
        return m.group(1)
    return status


class PublicationGate:
    """Check, then write: the one way into a study's stakeholder tree.

    Parameters
    ----------
    study_out : path
        ``outputs/<name>``: the stakeholder tree is its ``stakeholder/`` folder and its
        ``index.html``.
    terms : callable
        Returns the leak check's terms (:func:`analysis.leakcheck.leak_terms` of the
        original study); called once, when the first file for the stakeholder tree is
        checked.

    Attributes
    ----------
    refused : list of Refusal
        What this gate would not publish, in order.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp())
    >>> gate = PublicationGate(out, lambda: {"organisation name": ["Age UK Coventry"]})
    >>> gate.write_text(out / "stakeholder" / "index.html", "<h1>Age UK&#32;Coventry</h1>")
    False
    >>> [r.kind for r in gate.refused], (out / "stakeholder" / "index.html").exists()
    (['organisation name'], False)
    >>> gate.write_text(out / "stakeholder" / "index.html", "<h1>VCSE 07</h1>")
    True
    """

    def __init__(self, study_out: str | os.PathLike, terms: Callable[[], dict]):
        self.study_out = Path(study_out)
        self._terms_source = terms
        self._terms: dict | None = None
        self.refused: list[Refusal] = []

    # -- where the tree is

    def covers(self, path: str | os.PathLike) -> bool:
        """Whether ``path`` is in the stakeholder tree (so must pass the leak check)."""
        path = Path(os.path.abspath(path))
        root = Path(os.path.abspath(self.study_out))
        return path == root / "index.html" or (root / "stakeholder") in path.parents

    @property
    def internal_dir(self) -> Path:
        return self.study_out / INTERNAL_DIR

    def terms(self) -> dict:
        if self._terms is None:
            self._terms = self._terms_source()
        return self._terms

    # -- checking

    def _relative(self, path: Path) -> str:
        try:
            return Path(os.path.abspath(path)).relative_to(os.path.abspath(self.study_out)).as_posix()
        except ValueError:
            return path.name

    def check_text(self, path: str | os.PathLike, text: str) -> list[Refusal]:
        """Findings of the leak check in ``text`` bound for ``path`` (read as HTML, SVG or text by its suffix)."""
        from analysis.leakcheck import check_text

        path = Path(path)
        if not self.covers(path):
            return []
        found = check_text(text=text, terms=self.terms(), kind=_KIND_BY_SUFFIX.get(path.suffix.lower(), "text"),
                           path=self._relative(path), where="text")
        return [Refusal(self._relative(path), f.kind, f.where) for f in found]

    def check_files(self, files, published_as: Callable[[Path], Path]) -> list[Refusal]:
        """Findings of the leak check in staged ``files``, located where they would be published."""
        from analysis.leakcheck import check_rendered

        files = [Path(f) for f in files]
        if not files or not any(self.covers(published_as(f)) for f in files):
            return []
        found = check_rendered(None, files, terms=self.terms())
        names = {str(f): self._relative(published_as(f)) for f in files}
        return [Refusal(names.get(str(f.path), Path(f.path).name), f.kind, f.where) for f in found]

    def _refuse(self, refusals: list[Refusal]) -> None:
        self.refused.extend(refusals)
        self.log("refused.jsonl", [dataclasses.asdict(r) for r in refusals])

    def log(self, name: str, records: list[dict]) -> None:
        """Append ``records`` as JSON lines to ``.internal/<name>`` (never published)."""
        if not records:
            return
        self.internal_dir.mkdir(parents=True, exist_ok=True)
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S%z")
        with open(self.internal_dir / name, "a", encoding="utf-8") as fh:
            for r in records:
                fh.write(json.dumps(dict(r, time=stamp), ensure_ascii=False, default=str) + "\n")

    # -- writing

    def write_text(self, path: str | os.PathLike, text: str) -> bool:
        """Leak-check ``text`` (when ``path`` is in the stakeholder tree), then write it atomically.

        Returns
        -------
        bool
            True when written; False when refused (the finding is recorded, nothing is
            written, a file already there stays).
        """
        refusals = self.check_text(path, text)
        if refusals:
            self._refuse(refusals)
            return False
        atomic_write_text(path, text)
        return True

    def write_json(self, path: str | os.PathLike, data) -> bool:
        """Write ``data`` as JSON through :meth:`write_text`, with non-ASCII text as itself.

        (``\\u00e9`` escapes would hide a name from the check.)
        """
        return self.write_text(path, json.dumps(data, indent=2, sort_keys=True, default=str, ensure_ascii=False) + "\n")

    def publish(self, staging: str | os.PathLike, out_dir: str | os.PathLike, first=(), last=()) -> list[str]:
        """Check every file staged for one page, then move them all into ``out_dir``; or none of them.

        Files named in ``last`` are moved last (the page), those in ``first`` first, each
        with one atomic rename, so a reader never finds a page whose figures are missing.

        Returns
        -------
        list of str
            The names published, or an empty list when refused (see :attr:`refused`).
        """
        staging, out_dir = Path(staging), Path(out_dir)
        files = sorted(p for p in staging.iterdir() if p.is_file() and not p.name.startswith("."))
        refusals = self.check_files(files, lambda p: out_dir / p.name)
        if refusals:
            self._refuse(refusals)
            return []
        order = {name: -1 for name in first} | {name: 1 + i for i, name in enumerate(last)}
        files.sort(key=lambda p: order.get(p.name, 0))
        out_dir.mkdir(parents=True, exist_ok=True)
        for p in files:
            os.replace(p, out_dir / p.name)
        return [p.name for p in files]
