"""The reporting layer: run the notebook suite on studies and write a report folder.

For every study (or study and segment) a *run*: each notebook of the suite
(:data:`SUITE`, shipped in ``cem/notebooks/``) is executed by papermill with the study's path
and the run's folder as parameters, then turned into an HTML page without code cells that opens
offline. ``index.html`` lists every run with its status, key figures and failures.

One concern per module:

=============  ==========================================================================
``suite``      the notebooks of the suite and where they are
``runs``       Run, RunResult; planning a batch's runs; one run of the suite on a study
``failures``   where a notebook failed; customer ids in failure texts made pseudonyms
``executors``  local worker processes and Dask: where runs execute
``batch``      run_report: settings, the folder's lock, resume, signals, progress
``index``      index.html, rendered from ``templates/report_index.html.j2``
``outdir``     what cem owns in the report folder, staging, one writer at a time
``pages``      a notebook as a safe offline HTML page (``templates/cem_report``)
``browser``    headless Chromium: PDF and screenshots
``kernels``    the right Jupyter kernel, and warm ones
=============  ==========================================================================

The kernel is found by name (``cem`` unless told otherwise) and must run this environment's
Python: a kernel of that name left elsewhere on the machine is refused, never silently used.
"""
from __future__ import annotations

from .batch import Stopped, check_settings, run_report
from .index import INDEX_COLUMNS, write_index
from .kernels import KERNEL_NAME, ensure_kernel
from .outdir import safe_name
from .pages import notebook_to_html
from .runs import Run, RunResult, plan_runs, run_study
from .suite import SUITE, default_notebooks_dir

__all__ = [
    "SUITE",
    "KERNEL_NAME",
    "INDEX_COLUMNS",
    "Run",
    "RunResult",
    "Stopped",
    "check_settings",
    "default_notebooks_dir",
    "ensure_kernel",
    "notebook_to_html",
    "plan_runs",
    "run_report",
    "run_study",
    "safe_name",
    "write_index",
]
