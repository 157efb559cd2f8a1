"""The reporting layer: run the notebook suite on studies and write a report folder.

For every study (or study and segment) a *run*: each notebook of the suite
(:data:`SUITE`, shipped in ``cem/notebooks/``) is executed by papermill with the study's path
and the run's folder as parameters, then turned into an HTML page without code cells that opens
offline; the notebooks share one load of the study (each data file's checked table kept as Parquet
in the run's ``.data`` folder, removed before the run is moved into place). A run whose notebooks
succeed also writes its executive summary, ``executive.html`` (and ``executive.pdf`` with
``pdf``). ``index.html`` lists every run with its status, key figures, pages and failures.

A run the report folder already holds, good and made from the same inputs (hashed by content: the
study's files, the notebooks, cem's version, the settings), is reused, not run again, unless
``force``; in a source checkout, code changed without a new version of cem needs ``force``. With
``by``, a batch makes a run of all customers and one per segment, then ``segments.html`` with the
runs side by side.

One concern per module:

=============  ==========================================================================
``suite``      the notebooks of the suite and where they are
``runs``       Run, RunResult; planning a batch's runs; one run of the suite on a study;
               the hash of its inputs and whether a finished run can be reused
``failures``   where a notebook failed; customer ids in failure texts made pseudonyms
``executors``  local worker processes and Dask: where runs execute
``batch``      run_report: settings, the folder's lock, reuse or ``force``, signals, progress
``index``      index.html, rendered from ``templates/report_index.html.j2``
``outdir``     what cem owns in the report folder, staging, one writer at a time
``pages``      a notebook as a safe offline HTML page (``templates/cem_report``)
``browser``    headless Chromium: PDF and screenshots
``kernels``    the right Jupyter kernel, and warm ones
``executive``  a run's executive summary for the client (``cem executive`` remakes it)
``segments``   a ``--by`` batch's runs side by side
``methods``    the methods report on published data (``cem methods``), never in a client's report
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
