"""Warm kernels: ready before they are needed, one per notebook, nothing shared between notebooks."""
import os
import time

import nbformat
import papermill as pm

from cem.reporting.kernels import KernelPool
from cem.reporting import ensure_kernel


def _notebook(path, *cells):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(c) for c in cells]
    nbformat.write(nb, str(path))
    return path


def _outputs(path):
    nb = nbformat.read(str(path), as_version=4)
    return ["".join(o.get("text", "")) + str((o.get("data") or {}).get("text/plain", "")) for c in nb.cells
            for o in c.outputs]


def test_each_notebook_gets_a_fresh_warm_kernel(tmp_path):
    ensure_kernel("cem")
    first = _notebook(tmp_path / "a.ipynb", "secret = 42\nimport os; print(os.getpid())")
    second = _notebook(tmp_path / "b.ipynb",
                       "import os, sys; print(os.getpid())\n"
                       "print('secret' in globals(), [n for n in globals() if 'cem' in n], len(In))\n"
                       "print('pandas' in sys.modules, 'cem.plots' in sys.modules)")
    with KernelPool("cem", tmp_path) as pool:
        pool.fill()
        time.sleep(1)
        pids = []
        for src in (first, second):
            t0 = time.monotonic()
            km = pool.take()
            waited = time.monotonic() - t0
            try:
                pm.execute_notebook(str(src), str(src.with_suffix(".out.ipynb")), km=km, kernel_name="cem",
                                    progress_bar=False)
            finally:
                pool.release(km)
            pids.append(_outputs(src.with_suffix(".out.ipynb"))[0].splitlines()[0])
        assert pool.started == 3  # two used, one waiting for the next notebook
    out = _outputs(second.with_suffix(".out.ipynb"))[0].splitlines()
    assert pids[0] != pids[1]  # a kernel each
    assert out[1] == "False [] 2"  # nothing of the first notebook, nothing of the warm-up, no history
    assert out[2] == "True True"  # but the imports are done already
    assert waited < 30
    for pid in pids:  # every kernel is gone
        try:
            os.kill(int(pid), 0)
            alive = True
        except ProcessLookupError:
            alive = False
        assert not alive, pid
