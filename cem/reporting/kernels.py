"""Jupyter kernels of a batch: the right one (:func:`ensure_kernel`), and warm ones.

The kernel is found by name (``cem`` unless told otherwise) and must run this environment's
Python: a kernel of that name left elsewhere on the machine is refused, never silently used.

For the light notebooks of a report, starting a kernel and importing pandas, matplotlib and
cem take longer than the cells themselves. A :class:`KernelPool` keeps the next kernel started
and its imports done while the current notebook runs, so a notebook finds a ready kernel.
Every notebook still gets a kernel of its own, used once and shut down after it: nothing a
notebook defines can leak into the next one. The warm-up only loads modules
(``sys.modules``); it binds no name in the notebook's namespace and leaves no history.

Examples
--------
>>> pool = KernelPool("cem", cwd=".")          # doctest: +SKIP
>>> km = pool.take()                            # doctest: +SKIP
>>> pm.execute_notebook(src, dst, km=km)        # doctest: +SKIP
>>> pool.release(km); pool.close()              # doctest: +SKIP
"""
from __future__ import annotations

import functools
import os
import queue
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import CemError

if TYPE_CHECKING:
    from jupyter_client.kernelspec import KernelSpec

__all__ = ["KERNEL_NAME", "KernelPool", "PRELOAD", "ensure_kernel"]

#: The kernel a batch runs its notebooks in, unless told another.
KERNEL_NAME = "cem"

#: Modules a warm kernel imports before its notebook runs: those the suite's notebooks use.
PRELOAD = ("numpy", "pandas", "matplotlib.pyplot", "networkx", "scipy.optimize", "scipy.stats",
           "IPython.display", "cem", "cem.plots", "cem.needs", "cem.clv", "cem.journeys", "cem.value")


def ensure_kernel(name: str = KERNEL_NAME) -> KernelSpec:
    """Make sure the Jupyter kernel ``name`` runs this Python; install it here if missing.

    Raises
    ------
    CemError
        A kernel of that name exists but runs another Python (a stale kernel elsewhere).
    """
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    ksm = KernelSpecManager()
    try:
        spec = ksm.get_kernel_spec(name)
    except NoSuchKernel:
        from ipykernel.kernelspec import install

        install(kernel_name=name, display_name=f"Python ({name})", prefix=sys.prefix)
        spec = KernelSpecManager().get_kernel_spec(name)
    exe = Path(os.path.abspath(spec.argv[0]))
    here = Path(os.path.abspath(sys.prefix))
    if here not in exe.parents and os.path.abspath(sys.executable) != str(exe):
        raise CemError(f"Jupyter kernel '{name}' ({spec.resource_dir}) runs {exe}, not this environment's "
                       f"Python ({sys.executable}); remove it with 'jupyter kernelspec remove {name}' "
                       "or name another kernel with --kernel")
    return spec


def _warm_code(modules):
    # A loop variable with a dunder name, deleted after: the notebook's namespace stays empty.
    names = ", ".join(repr(m) for m in modules)
    return f"for __cem_m in ({names},):\n    __import__(__cem_m)\ndel __cem_m\n"


class KernelPool:
    """Kernels of one kernelspec started ahead of need, each used for one notebook.

    Parameters
    ----------
    kernel_name : str
        The kernelspec (``cem``).
    cwd : str or Path
        Working folder of the kernels (relative paths in a notebook start there).
    spare : int
        Kernels kept started and warmed up ahead: 1 is enough when notebooks run one after
        another in a worker; 0 starts each kernel when it is taken (no warm-up ahead).
    preload : tuple of str
        Modules each kernel imports while it waits.
    startup_timeout : float
        Seconds a kernel may take to start and finish its warm-up.
    """

    def __init__(self, kernel_name, cwd, spare=1, preload=PRELOAD, startup_timeout=120):
        self.kernel_name = kernel_name
        self.cwd = str(cwd)
        self.spare = spare
        self.preload = tuple(preload)
        self.startup_timeout = startup_timeout
        self._ready = []  # (kernel manager, warm-up client, warm-up message id)
        self.started = 0

    def _start(self):
        from jupyter_core.utils import run_sync

        # IPC sockets in a private folder: nothing listens on the network, and ipykernel has
        # no unencrypted TCP to warn about.
        sockets = tempfile.mkdtemp(prefix="cem-kernel-")
        km = _manager_class()(kernel_name=self.kernel_name, transport="ipc", ip=os.path.join(sockets, "k"))
        km.cem_sockets = sockets
        run_sync(km.start_kernel)(cwd=self.cwd)
        self.started += 1
        kc = km.blocking_client()
        kc.start_channels()
        # Sent at once: zmq queues it until the kernel listens, so starting does not wait.
        msg_id = kc.execute(_warm_code(self.preload), silent=True, store_history=False) if self.preload else None
        self._ready.append((km, kc, msg_id))

    def fill(self):
        """Start kernels until ``spare`` are waiting."""
        while len(self._ready) < max(self.spare, 0):
            self._start()

    def take(self):
        """A started kernel whose warm-up has finished; the next one starts at once.

        Returns
        -------
        jupyter_client.AsyncKernelManager
            Pass it to ``papermill.execute_notebook(..., km=km)``; give it back with
            :meth:`release`, which shuts it down.
        """
        if not self._ready:
            self._start()
        km, kc, msg_id = self._ready.pop(0)
        self.fill()
        try:
            if msg_id is not None:
                deadline = time.monotonic() + self.startup_timeout
                while True:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        raise TimeoutError(f"kernel '{self.kernel_name}' did not start within "
                                           f"{self.startup_timeout:.0f} s")
                    try:
                        reply = kc.get_shell_msg(timeout=left)
                    except queue.Empty:
                        raise TimeoutError(f"kernel '{self.kernel_name}' did not start within "
                                           f"{self.startup_timeout:.0f} s") from None
                    # A failed import is not an error here: the notebook shows it in its own cell.
                    if reply["parent_header"].get("msg_id") == msg_id:
                        break
        except Exception:
            kc.stop_channels()
            self.release(km)
            raise
        kc.stop_channels()
        return km

    def release(self, km):
        """Shut a taken kernel down, and close the channels the notebook's client opened."""
        from jupyter_core.utils import run_sync

        for client in getattr(km, "clients", []):
            try:
                client.stop_channels()
            except Exception:  # a client of a dead kernel may be half closed already
                pass
        try:
            if run_sync(km.is_alive)():
                run_sync(km.shutdown_kernel)(now=True)
            else:
                run_sync(km.cleanup_resources)()
        except Exception:  # the kernel may have died with its notebook; nothing is left to stop
            pass
        if getattr(km, "cem_sockets", None):
            shutil.rmtree(km.cem_sockets, ignore_errors=True)

    def close(self):
        """Shut down the kernels still waiting."""
        while self._ready:
            km, kc, _ = self._ready.pop()
            kc.stop_channels()
            self.release(km)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __repr__(self):
        return f"KernelPool({self.kernel_name!r}, spare={self.spare}, waiting={len(self._ready)}, pid={os.getpid()})"


@functools.cache
def _manager_class():
    from jupyter_client.manager import AsyncKernelManager

    class Tracked(AsyncKernelManager):
        """Remembers the clients it made, so they can be closed when the kernel is released."""

        def client(self, **kwargs):
            kc = super().client(**kwargs)
            self.__dict__.setdefault("clients", []).append(kc)
            return kc

    return Tracked

