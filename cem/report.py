"""Run the notebook suite on studies and write a report folder.

For every study a *run*: each notebook of the suite is executed by papermill with the
study's path and the run's folder as parameters, then turned into HTML without code cells
(nbconvert, a template that fetches nothing from the network, images embedded), next to the
executed notebook, the ``metrics.json`` the notebooks wrote and their figures. ``index.html``
lists every run with its status, key figures and failures.

Layout of ``--out DIR``::

    DIR/index.html
    DIR/<run>/01_journey_model.ipynb   executed notebook
    DIR/<run>/01_journey_model.html    the client's report
    DIR/<run>/metrics.json             key figures, one section per notebook
    DIR/<run>/figures/*.png|svg
    DIR/<run>/run.json                 status, timings, errors
    DIR/<run>/log.txt

A run is built in a staging folder and moved into place only when complete. A failed run
never replaces the last good report of the same run: it is kept beside it as
``<run>.failed/``.

The kernel is found by name (``cem`` unless told otherwise) and must run this environment's
Python: a kernel of that name left elsewhere on the machine is refused, never silently used.
"""
from __future__ import annotations

import hashlib
import html
import json
import os
import re
import subprocess
import sys
import time
import traceback
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .errors import CemError, InputError
from .io import check_study
from . import outdir
from .outdir import safe_name
from .pages import notebook_to_html

__all__ = [
    "SUITE",
    "Run",
    "RunResult",
    "plan_runs",
    "run_report",
    "run_study",
    "notebook_to_html",
    "write_index",
    "save_metrics",
    "save_table",
    "ensure_kernel",
    "safe_name",
    "default_notebooks_dir",
]

#: Notebooks of the suite, in order, with the study inputs each needs besides the model: a
#: notebook runs when the study has all the inputs of at least one of its alternatives.
SUITE = {
    "00_summary.ipynb": [()],
    "01_journey_model.ipynb": [()],
    "02_needs_opportunities.ipynb": [("survey",)],
    "03_value_by_step.ipynb": [("survey",), ("events",)],
    "04_lifetime_value.ipynb": [("transactions",)],
    "05_actual_vs_designed.ipynb": [("events",)],
}

KERNEL_NAME = "cem"

# Warm kernels of the worker processes of a batch, made by _worker_pool in workers only.
_WORKER_POOLS = {}


@dataclass
class RunResult:
    """What happened to one run."""

    run: str
    study: str
    title: str = ""
    status: str = "ok"  # ok | failed
    notebooks: list = field(default_factory=list)  # [{"notebook", "html", "status", "seconds"}]
    errors: list = field(default_factory=list)  # one line each
    metrics: dict = field(default_factory=dict)
    seconds: float = 0.0
    folder: str = ""
    segment: list | None = None  # [column, value] of a segment run
    cell_seconds: float = 0.0  # of ``seconds``, the time spent inside the notebooks' cells
    identity: str = ""  # hash of the study and segment: which run this is
    inputs: str = ""  # hash of the identity, the study's files and the settings: what it was made from
    finished: str = ""  # when the run ended, ISO 8601


def default_notebooks_dir():
    """The suite's folder in a source checkout: ``<repo>/notebooks``."""
    return Path(__file__).resolve().parent.parent / "notebooks"


def ensure_kernel(name=KERNEL_NAME):
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


def save_metrics(folder, section, metrics):
    """Merge one notebook's key figures into ``folder/metrics.json`` under ``section``.

    Examples
    --------
    >>> import tempfile, json, pathlib
    >>> d = tempfile.mkdtemp()
    >>> _ = save_metrics(d, "journey_model", {"steps": 14})
    >>> json.loads((pathlib.Path(d) / "metrics.json").read_text())
    {'journey_model': {'steps': 14}}
    """
    path = Path(folder) / "metrics.json"
    data = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    data[section] = metrics
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False, default=_json_default) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return path


def save_table(table, folder, name, index=True):
    """Write a table a client may open in a spreadsheet: ``folder/tables/<name>.csv``.

    Text cells that a spreadsheet would run as a formula are neutralised
    (:func:`cem.privacy.spreadsheet_safe`); ``name`` is made a safe file name.
    """
    from .privacy import spreadsheet_safe

    path = Path(folder) / "tables" / f"{safe_name(name)}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    spreadsheet_safe(table).to_csv(path, index=index)
    return path


def _json_default(value):
    if hasattr(value, "item"):
        return value.item()
    if hasattr(value, "tolist"):
        return value.tolist()
    return str(value)


def _strip_ansi(text):
    return re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", text)


def _cell_failure(nb_path, exc=None):
    """Where an executed notebook failed: ``(summary line, details for the log)``.

    The cell with an error output when there is one; otherwise (a kernel that died, a cell past
    its timeout) the last cell that started, with the exception that stopped the run.
    """
    import nbformat

    reason = f"{type(exc).__name__}: {_last_line(exc)}" if exc is not None else "failed"
    if "DeadKernel" in type(exc).__name__:
        reason += " (the kernel was killed: by the system when it ran out of memory, or by a signal)"
    # A timeout interrupts the kernel, which leaves a KeyboardInterrupt in the cell: name the timeout.
    timed_out = isinstance(exc, TimeoutError) or "Timeout" in type(exc).__name__
    if timed_out:
        reason = f"{type(exc).__name__}: the cell ran past the time limit (--timeout)"
    try:
        nb = nbformat.read(str(nb_path), as_version=4)
    except Exception:  # the notebook may not have been written at all
        return reason, reason
    started = None
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error" and not timed_out:
                trace = _strip_ansi("\n".join(out.get("traceback", [])))
                first = _first_code_line(cell.source)
                what = _strip_ansi(str(out.get("evalue"))) or ("the notebook ran out of memory"
                                                                  if out.get("ename") == "MemoryError" else "")
                return (f"cell {i} ({first}): {out.get('ename')}: {what}",
                        f"cell {i}:\n{cell.source}\n\n{trace}")
        if (cell.metadata.get("papermill") or {}).get("start_time"):
            started = i
    if started is None:
        return reason, reason
    cell = nb.cells[started]
    return (f"cell {started} ({_first_code_line(cell.source)}): {reason}",
            f"cell {started}:\n{cell.source}\n\n{reason}")


def _first_code_line(source):
    lines = [ln.strip() for ln in source.splitlines() if ln.strip() and not ln.strip().startswith("#")]
    line = lines[0] if lines else ""
    return line if len(line) <= 60 else line[:57] + "..."


def _last_line(exc):
    lines = [ln for ln in _strip_ansi(str(exc)).strip().splitlines() if ln.strip()]
    return lines[-1].strip() if lines else type(exc).__name__


def _cell_seconds(nb_path):
    """Seconds spent inside the cells of an executed notebook (papermill's per-cell timings)."""
    import nbformat

    try:
        nb = nbformat.read(str(nb_path), as_version=4)
    except Exception:
        return 0.0
    return float(sum((c.metadata.get("papermill") or {}).get("duration") or 0 for c in nb.cells))


@dataclass
class Run:
    """One run of the suite: a study, for all its customers or for one segment.

    ``identity`` says which run it is (the study's path and the segment), ``inputs`` what it is
    made from (also the study's files, their sizes and times, and the settings): ``--resume``
    keeps a finished run only when both match, never by its folder's name.
    """

    name: str
    study: str
    segment: tuple | None = None
    identity: str = ""
    inputs: str = ""


def _hash(*parts):
    return hashlib.sha256(json.dumps(parts, default=str, ensure_ascii=False).encode("utf-8", "surrogatepass")
                          ).hexdigest()[:16]


def _study_identity(study, segment):
    return _hash(str(Path(study).resolve()), list(segment) if segment else None)


def _fingerprint(folder):
    """Paths, sizes and modification times of the files under a folder (hidden ones left out)."""
    folder = Path(folder)
    folder = folder if folder.is_dir() else folder.parent
    out = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if name.startswith("."):
                continue
            try:
                st = os.stat(os.path.join(root, name))
            except OSError:
                continue
            out.append((os.path.relpath(os.path.join(root, name), folder), st.st_size, st.st_mtime_ns))
    return out


def plan_runs(studies, by=None, out=None, settings=None):
    """The runs of a batch: one per study, or one per study and value of the column ``by``.

    Parameters
    ----------
    studies : list of str or Path
    by : str, optional
    out : str or Path, optional
        The report folder: a run takes the folder of an earlier run of the same study and
        segment, and never one that holds another run (two studies of one name, two segment
        values that make the same safe name).
    settings : dict, optional
        What else the reports depend on (``pdf``, the notebooks): part of each run's ``inputs``.

    Returns
    -------
    runs : list of Run
        Named after the study (and the segment value), as safe file names, unique.
    failed : list of RunResult
        Studies whose segments could not be listed (no such column, unreadable data): each is
        a failed run of its own, so the batch goes on without it.
    order : list of str
        The names of both, in the order of ``studies``.
    """
    from .io import load_study
    from .segments import segment_values

    runs, failed, order, used = [], [], [], set()
    existing = outdir.read_runs(out) if out is not None else {}
    owner = {}  # folder name -> identity of the run in it
    for name, record in sorted(existing.items(), key=lambda kv: kv[0].endswith(".failed")):
        ident = record.get("identity") or (_study_identity(record.get("study", ""), record.get("segment"))
                                           if record.get("study") else "")
        owner.setdefault(name[:-len(".failed")] if name.endswith(".failed") else name, ident)  # the good run's
    taken = set(owner)
    if out is not None and Path(out).is_dir():  # folders cem did not write are someone else's
        taken |= {p.name for p in Path(out).iterdir() if not p.name.startswith(".")}

    def place(base, identity):
        name, k = base, 2
        while name in used or (name in taken and owner.get(name) != identity):
            name, k = f"{base}-{k}", k + 1
        used.add(name)
        return name

    def make(study, segment):
        identity = _study_identity(study, segment)
        base = Path(study).resolve().name
        name = outdir.run_name(base, None if segment is None else segment[1])
        inputs = _hash(identity, _fingerprint(study), settings or {})
        return Run(place(name, identity), str(study), segment, identity, inputs)

    for study in studies:
        if not by:
            runs.append(make(study, None))
            order.append(runs[-1].name)
            continue
        try:
            values = segment_values(load_study(study), by)
        except InputError as exc:
            identity = _study_identity(study, None)
            failed.append(RunResult(run=place(outdir.run_name(Path(study).resolve().name), identity),
                                    study=str(study), status="failed", errors=[str(p) for p in exc.problems],
                                    identity=identity))
            order.append(failed[-1].run)
            continue
        for value in values:
            runs.append(make(study, (by, value)))
            order.append(runs[-1].name)
    return runs, failed, order


def run_study(study_path, out, notebooks_dir=None, kernel_name=KERNEL_NAME, timeout=600, run_name=None,
              segment=None, pool=None, pdf=False, token=None, identity="", inputs=""):
    """Execute the suite on one study (or one segment of it); move the finished run into ``out/<run>``.

    Parameters
    ----------
    study_path : str or Path
    out : str or Path
        The report folder.
    segment : tuple of (str, str), optional
        ``(column, value)``: the run covers that segment's customers only.
    pool : cem.kernels.KernelPool, optional
        Where the notebooks' kernels come from (started ahead); a kernel per notebook otherwise.
    pdf : bool
        Also print each HTML report to PDF with Chromium.
    token : str, optional
        The token of the batch's lock on ``out`` (:class:`cem.outdir.FolderLock`): the run is
        moved into place only while that batch still holds the folder, so a worker that outlives
        its batch writes nothing.
    identity, inputs : str
        Recorded in ``run.json`` (see :class:`Run`).

    Returns
    -------
    RunResult
    """
    import papermill as pm

    t0 = time.time()
    study_path = Path(study_path)
    notebooks_dir = Path(notebooks_dir) if notebooks_dir else default_notebooks_dir()
    run = safe_name(run_name or study_path.resolve().name)
    result = RunResult(run=run, study=str(study_path), segment=list(segment) if segment else None,
                       identity=identity or _study_identity(study_path, segment), inputs=inputs)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    staging = outdir.new_staging(out, run, token or "")
    log_lines = [f"run {run}: study {study_path}" + (f", segment {segment[0]} = {segment[1]}" if segment else "")]
    try:
        try:
            study, _ = check_study(study_path, segment)
            result.title = study.title
        except InputError as exc:
            result.status = "failed"
            result.errors = [str(p) for p in exc.problems]
            log_lines += result.errors
            study = None
        if study is not None:
            for nb_name, alternatives in SUITE.items():
                if not any(all(k in study.files for k in alt) for alt in alternatives):
                    wanted = " or ".join(", ".join(alt) for alt in alternatives)
                    log_lines.append(f"{nb_name}: skipped, the study has no {wanted} data")
                    continue
                result.notebooks.append(_run_notebook(pm, nb_name, notebooks_dir, staging, study_path, segment,
                                                      kernel_name, timeout, pool, pdf, result, log_lines))
            if any(e["status"] != "ok" for e in result.notebooks):
                result.status = "failed"
        metrics_path = staging / "metrics.json"
        if metrics_path.exists():
            result.metrics = json.loads(metrics_path.read_text(encoding="utf-8"))
    except Exception as exc:  # keep the batch going; record what broke
        result.status = "failed"
        result.errors.append(f"{type(exc).__name__}: {exc}")
        log_lines.append(traceback.format_exc())
    result.seconds = round(time.time() - t0, 2)
    result.cell_seconds = round(sum(nb.get("cell_seconds", 0) for nb in result.notebooks), 2)
    result.finished = time.strftime("%Y-%m-%dT%H:%M:%S")
    log_lines.append(f"{result.status} in {result.seconds} s, {result.cell_seconds} s of it inside cells")
    if result.status != "ok":  # a failure's message may quote a customer's id: only pseudonyms leave
        _pseudonymise_failure(result, log_lines, study_path)
    final = out / run
    if result.status != "ok" and (final / "run.json").exists() and \
            (outdir.read_runs(out).get(run) or {}).get("status") == "ok":
        final = out / f"{run}.failed"  # never destroy the last good report
    result.folder = final.name
    try:
        (staging / "log.txt").write_text("\n".join(log_lines) + "\n", encoding="utf-8")
        (staging / "run.json").write_text(json.dumps(asdict(result), indent=2, default=_json_default) + "\n",
                                          encoding="utf-8")
        if token and not outdir.holds_lock(out, token):
            # The batch that asked for this run has ended (or another holds the folder): write nothing.
            outdir.remove_staging(staging)
            result.status, result.folder = "abandoned", ""
            result.errors.append("the batch ended before this run finished; nothing was written")
            return result
        outdir.move_into_place(staging, final)
    except (OSError, CemError) as exc:
        outdir.remove_staging(staging)
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        result.status, result.folder = "failed", ""
        result.errors.append(f"the run could not be written into {out}: {reason}")
        return result
    if result.status == "ok":  # an earlier failed attempt beside it is history now
        stale = out / f"{run}.failed"
        if outdir.is_run_folder(stale):
            outdir.remove_run(stale)
    return result


def _pseudonymise_failure(result, log_lines, study_path):
    """Replace the customer ids a failure's messages quote by their pseudonyms (:mod:`cem.privacy`).

    Error texts go to index.html, run.json and log.txt, which travel with the report; the
    pseudonym lets the consultant, who holds the key, find the row.
    """
    from .privacy import pseudonym_key, pseudonymise

    ids = _customer_ids(study_path)
    if not ids:
        return
    config = {}
    try:
        from .io import read_yaml

        sy = Path(study_path) / "study.yaml"
        config = (read_yaml(sy, "study settings")[0] or {}) if sy.is_file() else {}
    except Exception:  # unreadable settings: a random key still hides the ids
        config = {}
    key, _ = pseudonym_key(config if isinstance(config, dict) else {})

    def scrub(text):
        def quoted(m):
            return m.group(1) + pseudonymise(m.group(2), key) + m.group(1) if m.group(2) in ids else m.group(0)

        def bare(m):
            token = m.group(0)
            core = token.rstrip(".!?/")  # a sentence's full stop is not part of the id
            if token in ids:
                return pseudonymise(token, key)
            return pseudonymise(core, key) + token[len(core):] if core in ids else token

        text = re.sub(r"(['\"`])([^'\"`\n]{1,200})\1", quoted, text)
        return re.sub(r"[^\s'\"`(),;:=\[\]{}<>]{4,}", bare, text)

    result.errors = [scrub(e) for e in result.errors]
    log_lines[:] = [scrub(line) for line in log_lines]


#: Columns that hold the id of a customer or respondent in a study's data files.
_ID_COLUMNS = ("customer_id", "respondent_id", "case:concept:name", "case_id", "ResponseId")


def _customer_ids(study_path):
    """Every customer or respondent id in a study's tabular data files (a set of strings)."""
    import pandas as pd

    folder = Path(study_path)
    folder = folder if folder.is_dir() else folder.parent
    ids = set()
    for path in folder.iterdir():
        name = path.name.lower()
        if path.is_symlink() or not path.is_file():
            continue
        try:
            if name.endswith(".csv"):
                table = pd.read_csv(path, dtype=str, sep=None, engine="python", encoding_errors="replace",
                                    usecols=lambda c: str(c).strip() in _ID_COLUMNS) \
                    if path.stat().st_size < 5_000_000 else \
                    pd.read_csv(path, dtype=str, encoding_errors="replace",
                                usecols=lambda c: str(c).strip() in _ID_COLUMNS)
            elif name.endswith(".parquet"):
                import pyarrow.parquet as pq

                cols = [c for c in pq.read_schema(path).names if c in _ID_COLUMNS]
                table = pq.read_table(path, columns=cols).to_pandas() if cols else None
            else:
                continue
        except Exception:  # a file the readers refused: its ids stay unknown
            continue
        if table is not None:
            for col in table.columns:
                ids.update(v.strip() for v in table[col].dropna().astype(str))
    ids.discard("")
    return ids


def _run_notebook(pm, nb_name, notebooks_dir, staging, study_path, segment, kernel_name, timeout, pool, pdf,
                  result, log_lines):
    """Execute one notebook of a run into ``staging`` and convert it; the entry for run.json."""
    dst = staging / nb_name
    entry = {"notebook": nb_name, "html": nb_name.replace(".ipynb", ".html"), "status": "ok"}
    parameters = {"study_path": str(study_path.resolve()), "output_dir": str(staging.resolve())}
    if segment:
        parameters["segment"] = list(segment)
    s0 = time.time()
    km = None
    try:
        km = pool.take() if pool is not None else None
        pm.execute_notebook(str(notebooks_dir / nb_name), str(dst), parameters=parameters,
                            kernel_name=kernel_name, cwd=str(notebooks_dir), progress_bar=False,
                            execution_timeout=timeout, report_mode=False, **({"km": km} if km else {}))
    except Exception as exc:  # any failure of one notebook fails the run, not the batch
        entry["status"] = "failed"
        summary, details = _cell_failure(dst, exc)
        result.errors.append(f"{nb_name}: {summary}")
        log_lines.append(f"{nb_name}: failed at {details}")
    finally:
        if km is not None:
            pool.release(km)
    entry["seconds"] = round(time.time() - s0, 2)
    entry["cell_seconds"] = round(_cell_seconds(dst), 2)
    if dst.exists():
        notebook_to_html(dst, staging / entry["html"])
        if pdf:
            from .browser import print_pdf

            try:
                entry["pdf"] = print_pdf(staging / entry["html"], dst.with_suffix(".pdf")).name
            except (CemError, OSError, subprocess.SubprocessError) as exc:
                entry["status"] = "failed"
                result.errors.append(f"{nb_name}: no PDF: {exc}")
    else:
        entry["html"] = None
    log_lines.append(f"{nb_name}: {entry['status']} in {entry['seconds']} s ({entry['cell_seconds']} s in cells)")
    return entry


def _finished(runs, run):
    """The result of the run already in the folder (``runs``, from :func:`cem.outdir.read_runs`) made
    from the same inputs, complete and ok; or None."""
    data = runs.get(run.name)
    if not data or data.get("status") != "ok" or data.get("inputs") != run.inputs or not run.inputs:
        return None
    failed = runs.get(f"{run.name}.failed")
    if failed and failed.get("inputs") == run.inputs and str(failed.get("finished", "")) > str(data.get("finished", "")):
        return None  # the latest attempt on these inputs failed
    return _record_result(data, run.name)


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
    return run_study(run.study, out, notebooks_dir, kernel_name, timeout, run_name=run.name,
                     segment=run.segment, pool=pool, pdf=pdf, token=token, identity=run.identity,
                     inputs=run.inputs)


def _bar(done, total, width=24):
    filled = int(width * done / max(total, 1))
    return "[" + "#" * filled + "." * (width - filled) + "]"


def check_settings(timeout=600, jobs=1):
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


def run_report(studies, out, notebooks_dir=None, kernel_name=KERNEL_NAME, timeout=600, echo=None, jobs=1,
               resume=False, by=None, executor="local", scheduler=None, pdf=False, warm=True,
               into_existing=False):
    """Run the suite on every study (and segment) and write ``out/index.html``.

    Parameters
    ----------
    studies : list of str or Path
        Study folders (or model files).
    out : str or Path
        The report folder: new, empty, or one cem wrote before (see :mod:`cem.outdir`).
    notebooks_dir : str or Path, optional
        Where the suite's notebooks are; the source checkout's ``notebooks/`` by default.
    kernel_name : str
        Jupyter kernel papermill uses, checked by :func:`ensure_kernel`.
    timeout : float
        Seconds one cell may run; a cell past it fails its run.
    echo : callable, optional
        Called with a progress line (bar, runs done, time left) per finished run.
    jobs : int
        Runs executed at once: worker processes (local) or Dask workers of the local cluster.
    resume : bool
        Skip runs whose report in ``out`` is complete, ok and made from the same inputs (study,
        segment, the study's files, settings); run only what is missing, changed or failed.
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
    check_settings(timeout, jobs)
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
        from . import __version__

        settings = {"pdf": bool(pdf), "notebooks": _fingerprint(notebooks_dir), "cem": __version__,
                    "kernel": kernel_name}
        runs, unplanned, order = plan_runs(studies, by, out=out, settings=settings)
        return _run_batch(runs, unplanned, order, out, notebooks_dir, kernel_name, timeout, echo, jobs, resume,
                          client, pdf, warm, lock.token)
    finally:
        if client is not None:
            _close_dask(client)
        if lock is not None:
            lock.release()


def _run_batch(runs, unplanned, order, out, notebooks_dir, kernel_name, timeout, echo, jobs, resume, client, pdf,
               warm, token):
    import signal
    import threading

    results = {r.run: r for r in unplanned}
    todo = []
    earlier = outdir.read_runs(out)  # read once: the index and --resume never re-read the folder per run
    for run in runs:
        done = _finished(earlier, run) if resume else None
        if done is not None:
            results[run.name] = done
            if echo:
                echo(f"{run.name}: complete already, skipped (--resume)")
        else:
            todo.append(run)
    t0 = time.time()
    count = 0

    def index():
        write_index(out, [results[n] for n in order if n in results], earlier=earlier)

    def report(res):
        nonlocal count
        count += 1
        results[res.run] = res
        index()  # after every run: a batch killed outright still leaves an index of what finished
        if echo:
            left = (time.time() - t0) / count * (len(todo) - count)
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
            _run_local(todo, args, max(1, min(jobs, len(todo))), report)
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


def _duration(seconds):
    return f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.0f} min"


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


#: Key figure columns of index.html, after the run, its status and its links.
INDEX_COLUMNS = ("fix first", "gaps high / medium / low", "top opportunity", "weakest step", "lifetime value",
                 "value at stake (churn model)")


def _metric_cells(metrics):
    """The key figures of a run for index.html, as texts (empty when the run has not the analysis)."""
    jm = metrics.get("journey_model") or {}
    gaps = jm.get("gaps_by_severity") or {}
    top = (metrics.get("needs") or {}).get("top_opportunity") or {}
    sv = metrics.get("step_value") or {}
    weak = sv.get("lowest_experience") or sv.get("largest_drop_off") or {}
    lv = metrics.get("lifetime_value") or {}
    stake = lv.get("top_step_at_stake") or {}
    currency = lv.get("currency", "")
    first = ((metrics.get("summary") or {}).get("fix_first") or [{}])[0]
    if "experience" in weak:
        weak_text = f"{weak.get('name', weak.get('step', ''))} (experience {weak['experience']:.2f})"
    elif weak:
        weak_text = f"{weak.get('name', weak.get('step', ''))} (conversion {weak.get('conversion', 0):.0%})"
    else:
        weak_text = ""
    return [
        first.get("name", ""),
        f"{gaps.get('high', 0)} / {gaps.get('medium', 0)} / {gaps.get('low', 0)}" if jm else "",
        f"{top.get('opportunity', '')} {top.get('statement', '')}".strip() if top else "",
        weak_text,
        f"{lv['total_clv']:,.0f} {currency}".strip() if "total_clv" in lv else "",
        f"{stake.get('name', stake.get('step', ''))}: {stake['at_stake']:,.0f} {currency}".strip() if stake else "",
    ]


def _record_result(data, folder):
    """A run's ``run.json`` record as a RunResult, in the folder it is in; None when it is malformed."""
    fields = RunResult.__dataclass_fields__
    try:
        res = RunResult(**{k: v for k, v in data.items() if k in fields})
        res.folder = folder
        res.seconds = float(res.seconds or 0)
        res.cell_seconds = float(res.cell_seconds or 0)
        for name in ("run", "study", "title", "status", "finished", "identity", "inputs"):
            if not isinstance(getattr(res, name), str):
                return None
        if not (isinstance(res.errors, list) and all(isinstance(e, str) for e in res.errors)
                and isinstance(res.metrics, dict) and isinstance(res.notebooks, list)
                and all(isinstance(nb, dict) and isinstance(nb.get("notebook", ""), str)
                        and isinstance(nb.get("html") or "", str) and isinstance(nb.get("pdf") or "", str)
                        for nb in res.notebooks)):
            return None
        _metric_cells(res.metrics)  # figures of the wrong type: not a record cem can show
    except (TypeError, ValueError, AttributeError, KeyError):
        return None
    return res


def _index_results(results, earlier):
    """This batch's results, then every other run in the folder (earlier batches), by name."""
    shown = {r.folder or r.run for r in results}
    rest = []
    for name, data in earlier.items():
        if name in shown or name.endswith(".failed"):
            continue
        res = _record_result(data, name)
        if res is not None:
            rest.append(res)
    return list(results) + rest


def write_index(out, results, earlier=None):
    """Write ``out/index.html``: one row per run in the folder with status, links, key figures and errors.

    The runs of this batch come first, in their order, then the runs of earlier batches still in
    the folder (``earlier``: :func:`cem.outdir.read_runs` of the folder, read when not given); a
    good run whose latest attempt failed is listed with a note and a link to that attempt's log. Every text that comes from a model or data is HTML-escaped; links are relative
    to the folder, and the page's content security policy forbids loading anything from elsewhere.
    """
    from .pages import csp_meta

    e = html.escape
    if earlier is None:
        earlier = outdir.read_runs(out)
    # Failed attempts still on disk (a later success removes a stale one during the batch).
    failed_attempts = {name[:-len(".failed")] for name in earlier
                       if name.endswith(".failed") and (Path(out) / name).is_dir()}
    failed_attempts |= {r.run for r in results if r.folder == f"{r.run}.failed"}
    results = _index_results(results, earlier)
    rows = []
    for r in results:
        folder = r.folder
        links = " ".join(f'<a href="{_href(folder, nb["html"])}">{e(nb["notebook"].replace(".ipynb", ""))}</a>'
                         + (f' <a class="pdf" href="{_href(folder, nb["pdf"])}">pdf</a>' if nb.get("pdf") else "")
                         for nb in r.notebooks if nb.get("html") and folder)
        errors = "".join(f"<li>{e(x)}</li>" for x in r.errors[:20])
        if len(r.errors) > 20:
            errors += f"<li>... and {len(r.errors) - 20} more (see the log)</li>"
        log = f' <a href="{_href(folder, "log.txt")}">log</a>' if folder else ""
        extra = f'<ul class="err">{errors}</ul>{log}' if errors else ""
        if r.status == "ok" and folder == r.run and r.run in failed_attempts:
            extra += (f'<p class="note">A later attempt failed: <a href="{_href(r.run + ".failed", "log.txt")}">'
                      "its log</a>; this is the last good report.</p>")
        values = _metric_cells(r.metrics)
        cells = "".join(f"<td>{e(c)}</td>" for c in values)
        rows.append(f"<tr class='{e(r.status)}'><td><b>{e(r.title or r.run)}</b><br><small>{e(r.study)}</small></td>"
                    f"<td class='status'>{e(r.status)}<br><small>{e(r.finished.replace('T', ' '))}</small></td>"
                    f"<td>{links}{extra}</td>{cells}<td class='num'>{r.seconds:.1f}</td></tr>")
    n_failed = sum(r.status != "ok" for r in results)
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">{csp_meta()}<meta name="generator" content="{outdir.INDEX_GENERATOR}">
<title>cem reports</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em; color: #222; }}
table {{ border-collapse: collapse; width: 100%; }}
th, td {{ border-bottom: 1px solid #ddd; padding: 6px 10px; text-align: left; vertical-align: top; }}
th {{ background: #f4f6f7; }}
td.num {{ text-align: right; white-space: nowrap; }}
tr.failed td.status {{ color: #c0392b; font-weight: bold; }}
tr.ok td.status {{ color: #1e8449; }}
ul.err {{ color: #c0392b; margin: 4px 0; padding-left: 1.2em; font-size: 90%; }}
p.note {{ color: #7d6608; font-size: 90%; margin: 4px 0; }}
</style></head><body>
<h1>cem reports</h1>
<p>{len(results)} run(s), {n_failed} failed. Generated {e(time.strftime('%Y-%m-%d %H:%M'))}.</p>
<table><thead><tr><th>run</th><th>status</th><th>reports</th>{"".join(f"<th>{e(c)}</th>" for c in INDEX_COLUMNS)}
<th>seconds</th></tr></thead>
<tbody>
{chr(10).join(rows)}
</tbody></table>
</body></html>
"""
    path = Path(out) / "index.html"
    tmp = path.with_name(f".index.html.tmp-{os.getpid()}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(page, encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:
        raise CemError(f"cannot write {path}: {exc.strerror or exc}") from None
    finally:
        if tmp.exists():
            tmp.unlink()
    return path


def _href(folder, name):
    """A link to a file of a run: relative, each part percent-encoded (a name can hold '#', '?' or ':')."""
    from urllib.parse import quote

    return html.escape(f"{quote(str(folder), safe='')}/{quote(str(name), safe='')}")
