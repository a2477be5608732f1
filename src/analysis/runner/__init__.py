"""The batch runner: every notebook for every place and phase, executed in warm kernels, rendered, indexed.

- ``jobs``: a study's facts for the runner, one job per notebook, place and phase; audiences and folder names.
- ``runner``: plans the jobs, skips what is up to date, runs the rest in worker processes, writes the indexes.
- ``worker``: executes one job in the worker's warm kernel, leak-checks and publishes its page atomically.
- ``kernels``: warm kernels (heavy imports once, state reset between notebooks).
- ``render``: nbconvert pages with the suite's templates (``templates/``), and the index pages.
- ``manifest``: what ran, with the hashes that decide whether a page is up to date.
"""

from analysis.runner import jobs, kernels, manifest, render, runner, worker
from analysis.runner.jobs import *
from analysis.runner.kernels import *
from analysis.runner.manifest import *
from analysis.runner.render import *
from analysis.runner.runner import *
from analysis.runner.worker import *

__all__ = [*jobs.__all__, *runner.__all__, *worker.__all__, *kernels.__all__, *render.__all__, *manifest.__all__]
