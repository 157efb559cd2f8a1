"""A batch: the suite on many studies (and segments) into one report folder, with its index.

Layout of ``--out DIR``::

    DIR/index.html
    DIR/<run>/01_journey_model.ipynb   executed notebook
    DIR/<run>/01_journey_model.html    the client's report
    DIR/<run>/metrics.json             key figures, one section per notebook
    DIR/<run>/figures/*.png|svg
    DIR/<run>/run.json                 status, timings, errors
    DIR/<run>/inputs.json              hash of what the run is made from (a good run only)
    DIR/<run>/log.txt

Settings are checked before anything runs (:func:`check_settings`); the folder is claimed and
locked (:mod:`cem.reporting.outdir`); the runs are planned (:func:`cem.reporting.runs.plan_runs`),
those the folder already holds, good and made from the same inputs by content, reused
(:func:`_finished`) unless ``force``, the rest executed (:mod:`cem.reporting.executors`), and
the index rewritten after every run with a progress line and the time left (:func:`_time_left`).
SIGTERM and SIGHUP stop a batch as Ctrl-C does (:class:`Stopped`).
"""
from __future__ import annotations

import sys
import time
from importlib.metadata import PackageNotFoundError, version
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import CemError
from . import outdir
from .executors import _close_dask, _dask_client, _run_dask, _run_local
from .index import _record_result, write_index
from .kernels import KERNEL_NAME, ensure_kernel
from .runs import _fingerprint, plan_runs, reusable
from .suite import SUITE, default_notebooks_dir

if TYPE_CHECKING:
    from .runs import RunResult

__all__ = ["Stopped", "check_settings", "run_report"]


def _bar(done, total, width=24):
    filled = int(width * done / max(total, 1))
    return "[" + "#" * filled + "." * (width - filled) + "]"


def check_settings(*, timeout: float = 600, jobs: int = 1) -> None:
    """Refuse settings of a batch that cannot work, before anything runs or is written.

    Examples
    --------
    >>> check_settings(timeout=0)
    Traceback (most recent call last):
    ...
    cem.errors.CemError: --timeout: must be a number of seconds above 0 (at most 86400); got 0
    """
    import math

    try:
        t = float(timeout)
    except (TypeError, ValueError):
        t = math.nan
    if not (math.isfinite(t) and 0 < t <= 86400):
        raise CemError(f"--timeout: must be a number of seconds above 0 (at most 86400); got {timeout}")
    if not isinstance(jobs, int) or isinstance(jobs, bool) or not 1 <= jobs <= 256:
        raise CemError(f"--jobs: must be a whole number from 1 to 256; got {jobs}")


class Stopped(KeyboardInterrupt):
    """The batch was told to stop by a signal (SIGTERM, SIGHUP): handled as Ctrl-C is."""

    def __init__(self, signum):
        super().__init__(f"signal {signum}")
        self.signum = signum


def _on_signal(signum, frame):
    raise Stopped(signum)


def run_report(studies: Sequence[str | Path], out: str | Path, *, notebooks_dir: str | Path | None = None,
               kernel_name: str = KERNEL_NAME, timeout: float = 600, echo: Callable[[str], object] | None = None,
               jobs: int = 1, force: bool = False, by: str | None = None, executor: str = "local",
               scheduler: str | None = None, pdf: bool = False, warm: bool = True,
               into_existing: bool = False) -> list[RunResult]:
    """Run the suite on every study (and segment) and write ``out/index.html``.

    Parameters
    ----------
    studies : list of str or Path
        Study folders (or model files).
    out : str or Path
        The report folder: new, empty, or one cem wrote before (see :mod:`cem.reporting.outdir`).
    notebooks_dir : str or Path, optional
        Where the suite's notebooks are; the package's own ``cem/notebooks/`` by default.
    kernel_name : str
        Jupyter kernel papermill uses, checked by :func:`ensure_kernel`.
    timeout : float
        Seconds one cell may run; a cell past it fails its run.
    echo : callable, optional
        Called with a progress line (bar, runs done, time left) per finished run.
    jobs : int
        Runs executed at once: worker processes (local) or Dask workers of the local cluster.
    force : bool
        Run everything again. Otherwise a run whose report in ``out`` is complete, ok and made
        from the same inputs (the study and segment, the content of the study's files and of the
        notebooks, cem's version, ``pdf``, the kernel; after changing cem's code in a source
        checkout without a new version, pass ``force``) is reused as it is, and said so:
        only what is missing, changed or failed runs.
    by : str, optional
        A column of the studies' data (customers.csv, survey, events): one run per value.
    executor : {"local", "dask"}
        Local worker processes, or a Dask cluster (``dask.distributed``).
    scheduler : str, optional
        Address of a running Dask scheduler (``tcp://host:8786``); with ``executor="dask"`` and
        no address, a local cluster of ``jobs`` workers is started for the batch.
    pdf : bool
        Also write every report as a PDF (Chromium's print-to-PDF).
    warm : bool
        Start each worker's next kernel, imports done, while a notebook runs (one fresh kernel
        per notebook either way).
    into_existing : bool
        Write into a folder that is not empty and was not made by cem.

    Returns
    -------
    list of RunResult
        In the order of ``studies`` (and segment values).

    Raises
    ------
    CemError
        Settings that cannot work, a folder cem may not write into, or one another batch is
        writing into (one writer per folder); raised before any run.

    Notes
    -----
    Interrupting the batch (Ctrl-C, SIGTERM, SIGHUP) stops the runs under way; every finished
    run stays in place and ``index.html``, rewritten after every run, lists them. Workers end
    with the batch however it ends (``kill -9`` included) and write nothing after it. Half-made
    runs are staged in marked hidden folders, cleared on the next start.
    """
    check_settings(timeout=timeout, jobs=jobs)
    notebooks_dir = Path(notebooks_dir).resolve() if notebooks_dir else default_notebooks_dir()
    missing = [n for n in SUITE if not (notebooks_dir / n).is_file()]
    if missing:
        raise CemError(f"the notebook suite is not in {notebooks_dir} (missing {', '.join(missing)}); "
                       "pass --notebooks DIR")
    if executor not in ("local", "dask"):
        raise CemError(f"unknown executor '{executor}'; use local or dask")
    if pdf:
        from .browser import find_chromium

        find_chromium()  # before any run: say at once that the browser is missing
    ensure_kernel(kernel_name)
    client = _dask_client(jobs, scheduler) if executor == "dask" else None
    lock = None
    try:
        outdir.claim_folder(out, into_existing=into_existing)
        lock = outdir.FolderLock(out).acquire()
        outdir.clear_staging(out)
        settings = {"pdf": bool(pdf), "notebooks": _fingerprint(notebooks_dir), "cem": _cem_version(),
                    "kernel": kernel_name}
        runs, unplanned, order = plan_runs(studies, by=by, out=out, settings=settings)
        results = _run_batch(runs, unplanned, order, out, notebooks_dir, kernel_name, timeout, echo, jobs, force,
                             client, pdf, warm, lock.token)
        if by:
            _compare_segments(results, out, pdf, echo)
        return results
    finally:
        if client is not None:
            _close_dask(client)
        if lock is not None:
            lock.release()


def _run_batch(runs, unplanned, order, out, notebooks_dir, kernel_name, timeout, echo, jobs, force, client, pdf,
               warm, token):
    import signal
    import threading

    results = {r.run: r for r in unplanned}
    todo = []
    earlier = outdir.read_runs(out)  # read once: the index and the reuse check never re-read the folder per run
    for run in runs:
        done = None if force else _finished(earlier, run, out)
        if done is not None:
            results[run.name] = done
            stale = Path(out) / f"{run.name}.failed"
            if outdir.is_run_folder(stale):  # an attempt on other inputs, since put back: history now
                outdir.remove_run(stale)
                earlier.pop(stale.name, None)
            if echo:
                echo(f"reused: {run.name} (inputs unchanged)")
        else:
            todo.append(run)
    t0 = time.time()
    count = 0
    workers = max(1, min(jobs, len(todo)))
    starts = [t0] * workers  # when each run under way started: the first `workers` at once, then one per finish
    seconds = []

    def index():
        write_index(out, [results[n] for n in order if n in results], earlier=earlier)

    def report(res):
        nonlocal count
        count += 1
        now = time.time()
        results[res.run] = res
        began = starts.pop(0)  # runs finish roughly in the order they started
        seconds.append(res.seconds or now - began)
        if count + len(starts) < len(todo):
            starts.append(now)  # the worker that is free takes the next run
        index()  # after every run: a batch killed outright still leaves an index of what finished
        if echo:
            left = _time_left(now, sum(seconds) / len(seconds), starts, len(todo) - count - len(starts), workers)
            echo(f"{_bar(count, len(todo))} {count}/{len(todo)} {res.run}: {res.status} in {res.seconds:.1f} s"
                 + (f", about {_duration(left)} left" if count < len(todo) else "")
                 + "".join(f"\n    {e}" for e in res.errors))

    args = (out, notebooks_dir, kernel_name, timeout, pdf, warm, token)
    handlers = {}
    if threading.current_thread() is threading.main_thread():
        for name in ("SIGTERM", "SIGHUP"):
            if hasattr(signal, name):
                handlers[name] = signal.signal(getattr(signal, name), _on_signal)
    try:
        if client is not None:
            _run_dask(todo, args, client, report)
        elif todo:
            # Worker processes even for one run at a time: the main process must be the one that
            # sees Ctrl-C (in a notebook's process, nbclient turns it into a dead kernel and the
            # batch would carry on).
            _run_local(todo, args, workers, report)
    finally:
        stopping = sys.exc_info()[1] is not None
        try:
            index()
        except CemError:
            if not stopping:  # otherwise the stop (or the error) under way is what to report
                raise
        finally:
            for name, old in handlers.items():
                signal.signal(getattr(signal, name), old)
    return [results[n] for n in order if n in results]


def _compare_segments(results, out, pdf, echo):
    """A page per study of a ``--by`` batch: its all-customers run beside its segment runs."""
    from .segments import SEGMENTS_NAME, write_segment_comparison

    studies = {}
    for r in results:
        if r.status == "ok" and r.folder:
            studies.setdefault(r.study, []).append(r)
    for study, runs in studies.items():
        if len(runs) < 2:
            continue
        base = next((r.folder for r in runs if not r.segment), runs[0].folder)
        name = SEGMENTS_NAME if len(studies) == 1 else f"{base}-{SEGMENTS_NAME}"
        html, printed = write_segment_comparison([Path(out) / r.folder for r in runs], out, pdf=pdf, name=name)
        if echo:
            echo(f"segments side by side: {html}" + (f" and {printed}" if printed else ""))
    if studies:
        write_index(out, results)  # now with its link to the comparison


def _duration(seconds):
    return f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.0f} min"


def _time_left(now, run_seconds, started, queued, workers):
    """Seconds until a batch ends: the runs under way (``started``: when each began) finish after
    ``run_seconds`` (the mean wall-clock time of a finished run) each, and the ``queued`` runs
    go, one after another, to whichever of the ``workers`` is free first.

    With one worker this is the mean time of a run times the runs left; with several, runs that
    overlap are not counted one after another.

    Examples
    --------
    >>> _time_left(100.0, 10.0, [100.0], 3, 1)   # one worker: 4 runs of 10 s
    40.0
    >>> _time_left(100.0, 10.0, [95.0, 100.0, 100.0, 100.0], 4, 4)  # 4 workers, 4 runs waiting
    20.0
    """
    import heapq

    free = sorted(max(now, s + run_seconds) for s in started)
    free += [now] * max(0, workers - len(free))
    heapq.heapify(free)
    for _ in range(queued):
        heapq.heappush(free, heapq.heappop(free) + run_seconds)
    return max(free, default=now) - now


def _finished(runs, run, out):
    """The result of the run already in the folder (``runs``, from :func:`cem.reporting.outdir.read_runs`) made
    from the same inputs, complete and ok (:func:`cem.reporting.runs.reusable`); or None."""
    data = runs.get(run.name)
    if not reusable(run, out, data):
        return None
    failed = runs.get(f"{run.name}.failed")
    if failed and failed.get("inputs") == run.inputs and str(failed.get("finished", "")) > str(data.get("finished", "")):
        return None  # the latest attempt on these inputs failed
    return _record_result(data, run.name)


def _cem_version():
    """The installed cem's version, part of every run's inputs (a new cem remakes the reports)."""
    try:
        return version("cem")
    except PackageNotFoundError:  # a source tree used without installing it
        return "unknown"
