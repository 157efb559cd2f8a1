"""Runs: which runs a batch makes, and one run of the suite on a study.

For every study a *run*: each notebook of the suite is executed by papermill with the study's
path and the run's folder as parameters, then turned into HTML without code cells
(:func:`cem.reporting.pages.notebook_to_html`), next to the executed notebook, the
``metrics.json`` the notebooks wrote and their figures, ``run.json`` (status, timings, errors)
and ``log.txt``.

A run is built in a staging folder and moved into place only when complete
(:mod:`cem.reporting.outdir`). A failed run never replaces the last good report of the same
run: it is kept beside it as ``<run>.failed/``.

What a run is made from is hashed by content (:func:`_fingerprint`: the study's files, the
notebooks, cem's version, the settings) into :attr:`Run.inputs`; a run that finished
ok gets a manifest, ``inputs.json``, holding that hash, written last, so a batch on the same
inputs reuses the run instead of making it again (:func:`reusable`). A failed run has none.

The notebooks of a run share one read of the study's data: the run's check of the study keeps
each file's checked table in ``<run>/.data`` (:func:`cem.study.load_study` with ``cache_dir``),
the notebooks get that folder as their ``cache_dir`` parameter and read it back; it is removed
before the run is moved into place, so no copy of the customers' data travels with a report.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import time
import traceback
from dataclasses import asdict, dataclass, field
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from .._files import atomic_write_text
from ..errors import CemError, InputError
from ..study import check_study, file_digest, load_study
from ..metrics import json_default
from . import outdir
from .failures import _cell_failure, _pseudonymise_failure
from .kernels import KERNEL_NAME
from .outdir import safe_name
from .pages import notebook_to_html
from .suite import SUITE, default_notebooks_dir

if TYPE_CHECKING:
    from .kernels import KernelPool

__all__ = ["MANIFEST", "Run", "RunResult", "plan_runs", "reusable", "run_study"]

#: The file of a run that finished ok: the hash of the inputs it was made from (written last).
MANIFEST = "inputs.json"

#: The folder of a run (while it is made) where the notebooks share the study's checked data.
DATA_CACHE = ".data"


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
    generated: bool = False  # the study's data is generated (cem synth), not measured: the index says so


@dataclass
class Run:
    """One run of the suite: a study, for all its customers or for one segment.

    ``identity`` says which run it is (the study's path and the segment), ``inputs`` what it is
    made from (also the content of the study's files, and the settings: the notebooks' content,
    cem's version, ``--pdf``, the kernel): a batch reuses a finished run only when both
    match (:func:`reusable`), never by its folder's name.
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


def _fingerprint(folder, exclude=None):
    """Paths, sizes and SHA-256 of the content of the files under a folder (hidden ones, Python's
    caches and the folder ``exclude`` left out): what a run is made from, by content, not by the
    files' times, so a copied or touched file is the same input and an edited one is not."""
    folder = Path(folder)
    folder = folder if folder.is_dir() else folder.parent
    skip = Path(exclude).resolve() if exclude is not None else None
    out = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d != "__pycache__"
                         and (skip is None or Path(root, d).resolve() != skip))
        for name in sorted(files):
            if name.startswith(".") or name.endswith(".pyc"):
                continue
            path = os.path.join(root, name)
            try:
                out.append((os.path.relpath(path, folder), os.stat(path).st_size, file_digest(path)))
            except OSError:  # gone or unreadable: the run that reads it will say so
                continue
    return out


def reusable(run: Run, out: str | Path, record: dict | None) -> bool:
    """Whether the run folder ``out/<run.name>`` holds a good run of exactly ``run``'s inputs.

    Good: ``run.json`` (``record``) says ok, and the manifest written after it finished
    (:data:`MANIFEST`) holds the same inputs hash. A failed run has no manifest, so it is never
    reused.

    Examples
    --------
    >>> import tempfile
    >>> reusable(Run("shop", "shop", inputs="ab12"), tempfile.mkdtemp(), {"status": "ok", "inputs": "ab12"})
    False
    """
    if not run.inputs or not record or record.get("status") != "ok" or record.get("inputs") != run.inputs:
        return False
    try:
        manifest = json.loads((Path(out) / run.name / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(manifest, dict) and manifest.get("inputs") == run.inputs \
        and manifest.get("identity") == run.identity


def plan_runs(studies: Sequence[str | Path], *, by: str | None = None, out: str | Path | None = None,
              settings: dict | None = None) -> tuple[list[Run], list[RunResult], list[str]]:
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
        What else the reports depend on (``pdf``, the notebooks' content, cem's version, the
        kernel): part of each run's ``inputs``.

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
    from ..study import load_study
    from ..study import segment_values

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

    files = {}  # study -> its fingerprint: hashed once for all its segments

    def make(study, segment):
        identity = _study_identity(study, segment)
        base = Path(study).resolve().name
        name = outdir.run_name(base, None if segment is None else segment[1])
        key = str(Path(study).resolve())
        if key not in files:
            files[key] = _fingerprint(study, exclude=out)
        inputs = _hash(identity, files[key], settings or {})
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
        runs.append(make(study, None))  # all customers first, beside its segments (#15 item 5)
        order.append(runs[-1].name)
        for value in values:
            runs.append(make(study, (by, value)))
            order.append(runs[-1].name)
    return runs, failed, order


def run_study(study_path: str | Path, out: str | Path, *, notebooks_dir: str | Path | None = None,
              kernel_name: str = KERNEL_NAME, timeout: float = 600, run_name: str | None = None,
              segment: Sequence[str] | None = None, pool: KernelPool | None = None, pdf: bool = False,
              token: str | None = None, identity: str = "", inputs: str = "") -> RunResult:
    """Execute the suite on one study (or one segment of it); move the finished run into ``out/<run>``.

    Parameters
    ----------
    study_path : str or Path
    out : str or Path
        The report folder.
    segment : tuple of (str, str), optional
        ``(column, value)``: the run covers that segment's customers only.
    pool : cem.reporting.kernels.KernelPool, optional
        Where the notebooks' kernels come from (started ahead); a kernel per notebook otherwise.
    pdf : bool
        Also print each HTML report to PDF with Chromium.
    token : str, optional
        The token of the batch's lock on ``out`` (:class:`cem.reporting.outdir.FolderLock`): the run is
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
    cache = staging / DATA_CACHE
    try:
        try:
            # The check reads each data file once and keeps its checked table in the run's cache,
            # where every notebook of the run finds it (the study itself is not kept here).
            study, _ = check_study(study_path, segment, cache_dir=cache)
            result.title, present = study.title, set(study.files)
            result.generated = study.generated
            del study
        except InputError as exc:
            result.status = "failed"
            result.errors = [str(p) for p in exc.problems]
            log_lines += result.errors
            present = None
        if present is not None:
            for nb_name, alternatives in SUITE.items():
                if not any(all(k in present for k in alt) for alt in alternatives):
                    wanted = " or ".join(", ".join(alt) for alt in alternatives)
                    log_lines.append(f"{nb_name}: skipped, the study has no {wanted} data")
                    continue
                result.notebooks.append(_run_notebook(pm, nb_name, notebooks_dir, staging, study_path, segment,
                                                      kernel_name, timeout, pool, pdf, result, log_lines))
            if any(e["status"] != "ok" for e in result.notebooks):
                result.status = "failed"
            elif result.notebooks:
                entry = _executive(staging, study_path, segment, pdf, log_lines)
                result.notebooks.append(entry)
                if entry["status"] != "ok":
                    result.status = "failed"
                    result.errors.append(f"executive summary: {entry['error']}")
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
    shutil.rmtree(cache, ignore_errors=True)  # the customers' data never travels with the report
    try:
        (staging / "log.txt").write_text("\n".join(log_lines) + "\n", encoding="utf-8")
        (staging / "run.json").write_text(json.dumps(asdict(result), indent=2, default=json_default) + "\n",
                                          encoding="utf-8")
        if result.status == "ok" and result.inputs:  # last: only a finished, good run says what it is made of
            atomic_write_text(staging / MANIFEST, json.dumps({"inputs": result.inputs, "identity": result.identity,
                                                              "finished": result.finished}, indent=2) + "\n")
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


def _executive(staging, study_path, segment, pdf, log_lines):
    """The run's executive summary (cem.reporting.executive), listed beside the notebooks' pages."""
    from .executive import write_executive

    t0 = time.time()
    entry = {"notebook": "executive", "html": "", "pdf": "", "status": "ok"}
    try:
        study = load_study(study_path, segment, cache_dir=staging / DATA_CACHE)  # the run's checked tables
        html, printed = write_executive(staging, study, pdf=pdf)
        entry.update(html=html.name, pdf=printed.name if printed else "")
        log_lines.append(f"executive summary: {html.name}" + (f", {printed.name}" if printed else ""))
    except (CemError, OSError) as exc:  # the notebooks' pages stand; the run says what is missing
        entry["status"] = "failed"
        entry["error"] = str(exc)
        log_lines.append(f"executive summary failed: {exc}")
    entry["seconds"] = round(time.time() - t0, 2)
    return entry


def _run_notebook(pm, nb_name, notebooks_dir, staging, study_path, segment, kernel_name, timeout, pool, pdf,
                  result, log_lines):
    """Execute one notebook of a run into ``staging`` and convert it; the entry for run.json."""
    dst = staging / nb_name
    entry = {"notebook": nb_name, "html": nb_name.replace(".ipynb", ".html"), "status": "ok"}
    parameters = {"study_path": str(study_path.resolve()), "output_dir": str(staging.resolve()),
                  "cache_dir": str((staging / DATA_CACHE).resolve())}
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


def _cell_seconds(nb_path):
    """Seconds spent inside the cells of an executed notebook (papermill's per-cell timings)."""
    import nbformat

    try:
        nb = nbformat.read(str(nb_path), as_version=4)
    except Exception:
        return 0.0
    return float(sum((c.metadata.get("papermill") or {}).get("duration") or 0 for c in nb.cells))
