"""cem's methods report: its customer-base models on real published data, apart from any client's report.

Issue #15: another company's data (CDNOW, a 1990s music store) never appears in a client's
report; the evidence that cem's models compute what the literature computes lives in this
separate report, made from ``cem/notebooks/methods/real_data.ipynb``: each published estimate
(Fader, Hardie & Lee 2005; Fader & Hardie 2007; Fader, Hardie & Shang 2010; Batislam et al. 2007)
beside cem's, and the CDNOW holdout check.
"""
from __future__ import annotations

from pathlib import Path

from ..errors import CemError
from .kernels import KERNEL_NAME, ensure_kernel
from .pages import notebook_to_html

__all__ = ["METHODS_NOTEBOOK", "methods_notebook", "write_methods_report"]

#: The methods notebook's file name, under ``cem/notebooks/methods/``.
METHODS_NOTEBOOK = "real_data.ipynb"


def methods_notebook() -> Path:
    """The methods notebook shipped with cem.

    Examples
    --------
    >>> methods_notebook().name, methods_notebook().is_file()
    ('real_data.ipynb', True)
    """
    return Path(__file__).resolve().parent.parent / "notebooks" / "methods" / METHODS_NOTEBOOK


def write_methods_report(out: str | Path, *, cdnow: str | Path, grocery: str | Path, donations: str | Path,
                         kernel_name: str = KERNEL_NAME, timeout: float = 600) -> Path:
    """Execute the methods notebook on the published data sets and write ``out/real_data.html``.

    Parameters
    ----------
    out : str or Path
        The methods report's folder (its notebook, page, figures and metrics.json); made if missing.
    cdnow, grocery, donations : str or Path
        The CDNOW sample (``CDNOW_sample.txt``), the online grocery event log (``groceryElog.csv``)
        and the 1995 donor cohort (``donations.csv``); in a source checkout they are under
        ``data/external/cdnow``, ``tests/data/grocery`` and ``tests/data/donations``.
    kernel_name : str
        The Jupyter kernel papermill runs the notebook in.
    timeout : float
        Seconds one cell may run.

    Returns
    -------
    Path
        The HTML page.

    Raises
    ------
    CemError
        A data file is missing, or the notebook fails (the cell and its error are named).

    Examples
    --------
    >>> page = write_methods_report("reports-methods", cdnow="data/external/cdnow/CDNOW_sample.txt",
    ...                             grocery="tests/data/grocery/groceryElog.csv",
    ...                             donations="tests/data/donations/donations.csv")  # doctest: +SKIP
    >>> page.name                                                                    # doctest: +SKIP
    'real_data.html'
    """
    import papermill as pm

    paths = {"cdnow_path": Path(cdnow), "grocery_path": Path(grocery), "donations_path": Path(donations)}
    missing = [f"{name.removesuffix('_path')}: {p}" for name, p in paths.items() if not p.is_file()]
    if missing:
        raise CemError("the methods report needs the published data sets; not found: " + "; ".join(missing))
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    ensure_kernel(kernel_name)
    source = methods_notebook()
    executed = out / METHODS_NOTEBOOK
    parameters = {name: str(p.resolve()) for name, p in paths.items()} | {"output_dir": str(out.resolve())}
    try:
        pm.execute_notebook(str(source), str(executed), parameters=parameters, kernel_name=kernel_name,
                            cwd=str(source.parent), progress_bar=False, execution_timeout=timeout)
    except pm.PapermillExecutionError as exc:
        raise CemError(f"the methods notebook failed at cell {exc.exec_count}: {exc.ename}: {exc.evalue}") from None
    return notebook_to_html(executed, executed.with_suffix(".html"))
