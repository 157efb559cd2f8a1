"""Where the runs of a batch execute: local worker processes, or a Dask cluster.

Every run executes in a worker process (never in the batch's own process, which must be the
one that sees Ctrl-C): spawned local processes that leave the terminal's process group and end
with the batch however it ends (:func:`_detach`), or tasks of a Dask cluster. A worker keeps a
warm kernel pool for its next run (:func:`_worker_pool`).
"""
from __future__ import annotations

import os
import sys
import time

from ..errors import CemError
from .failures import _last_line
from .runs import RunResult, run_study

# Warm kernels of the worker processes of a batch, made by _worker_pool in workers only.
_WORKER_POOLS = {}


def _worker_pool(kernel_name, cwd, spare):
    """The kernel pool of this worker process (and thread), made on its first run.

    Worker processes of a batch live for the whole batch; keeping their pool here lets the
    next run find a warm kernel. Only worker code calls this, never an import.
    """
    import atexit
    import threading

    from .kernels import KernelPool

    key = (os.getpid(), threading.get_ident(), kernel_name, str(cwd), spare)
    pool = _WORKER_POOLS.get(key)
    if pool is None:
        pool = _WORKER_POOLS[key] = KernelPool(kernel_name, cwd, spare=spare)
        atexit.register(pool.close)
    return pool


def _run_task(run, out, notebooks_dir, kernel_name, timeout, pdf, warm, token=None):
    """What a worker does for one run (local process pool or Dask worker)."""
    pool = _worker_pool(kernel_name, notebooks_dir, 1) if warm else None
    return run_study(run.study, out, notebooks_dir=notebooks_dir, kernel_name=kernel_name, timeout=timeout,
                     run_name=run.name, segment=run.segment, pool=pool, pdf=pdf, token=token,
                     identity=run.identity, inputs=run.inputs)


def _lost(run, exc):
    return RunResult(run=run.name, study=run.study, segment=list(run.segment) if run.segment else None,
                     status="failed", errors=[f"the run's worker ended: {type(exc).__name__}: {_last_line(exc)}"])


def _run_local(todo, args, jobs, report):
    """Runs in ``jobs`` worker processes, spawned fresh: nothing shared between them but files."""
    import concurrent.futures as cf
    import multiprocessing

    context = multiprocessing.get_context("spawn")
    pool = cf.ProcessPoolExecutor(max_workers=jobs, mp_context=context, initializer=_detach,
                                  initargs=(os.getpid(),))
    try:
        futures = {pool.submit(_run_task, run, *args): run for run in todo}
        for future in cf.as_completed(futures):
            try:
                res = future.result()
            except Exception as exc:  # a worker that died: the run failed, the batch goes on
                res = _lost(futures[future], exc)
            report(res)
    except KeyboardInterrupt:
        # The workers do not see the terminal's Ctrl-C (_detach): stop them here, mid-run. Their
        # half-made runs stay in marked staging folders; their kernels exit with their parent.
        for process in list((getattr(pool, "_processes", None) or {}).values()):
            process.kill()
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


def _detach(parent):
    """Worker start: leave the terminal's process group, and end with the batch's main process.

    Leaving the group means Ctrl-C reaches only the main process (otherwise a worker would see
    the interrupt mid-notebook and could record a failed run while the batch is being stopped).
    Ending with the parent, by any signal it gets (``kill -9`` included), is the kernel's
    parent-death signal on Linux, and a watch of the parent's id elsewhere; the notebook
    kernels then end too (ipykernel watches its parent).
    """
    if hasattr(os, "setsid"):
        try:
            os.setsid()
        except OSError:  # already a session leader
            pass
    if sys.platform.startswith("linux"):
        try:
            import ctypes
            import signal

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, int(signal.SIGKILL), 0, 0, 0)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:  # the parent ended before the signal was armed
        os._exit(1)
    import threading

    def watch():
        while os.getppid() == parent:
            time.sleep(1)
        os._exit(1)

    threading.Thread(target=watch, name="cem-parent-watch", daemon=True).start()


def _dask_client(jobs, scheduler):
    """A client of the Dask cluster at ``scheduler``, or of a local cluster of ``jobs`` workers.

    Made before anything is written, so an unreachable scheduler changes nothing in ``--out``.
    """
    try:
        from distributed import Client, LocalCluster
    except ImportError as exc:  # pragma: no cover - a dependency of cem
        raise CemError("--executor dask needs the 'distributed' package") from exc
    if scheduler:
        try:
            return Client(scheduler, timeout="10s")
        except (OSError, TimeoutError, ValueError) as exc:
            raise CemError(f"cannot reach the Dask scheduler at {scheduler}: {_last_line(exc)}") from None
    cluster = LocalCluster(n_workers=max(jobs, 1), threads_per_worker=1, processes=True, dashboard_address=None)
    client = Client(cluster)
    client.cem_cluster = cluster  # closed with the client
    return client


def _close_dask(client):
    client.close()
    if getattr(client, "cem_cluster", None) is not None:
        client.cem_cluster.close()


def _run_dask(todo, args, client, report):
    """Runs as tasks of a Dask cluster."""
    from distributed import as_completed

    # pure=False: the same run asked twice (a rerun) must run again, not come from a cache.
    futures = {client.submit(_run_task, run, *args, pure=False, key=f"cem-run-{run.name}-{time.time_ns()}"): run
               for run in todo}
    try:
        for future in as_completed(list(futures)):
            try:
                res = future.result()
            except Exception as exc:  # a worker lost or the task refused: that run failed
                res = _lost(futures[future], exc)
            report(res)
    except KeyboardInterrupt:
        client.cancel(list(futures))
        raise
