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

import html
import json
import os
import re
import shutil
import sys
import tempfile
import time
import traceback
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .errors import CemError, InputError
from .io import check_study

__all__ = [
    "SUITE",
    "RunResult",
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
    "01_journey_model.ipynb": [()],
    "02_needs_opportunities.ipynb": [("survey",)],
    "03_value_by_step.ipynb": [("survey",), ("events",)],
    "04_lifetime_value.ipynb": [("transactions",)],
    "05_actual_vs_designed.ipynb": [("events",)],
}

KERNEL_NAME = "cem"


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


def default_notebooks_dir():
    """The suite's folder in a source checkout: ``<repo>/notebooks``."""
    return Path(__file__).resolve().parent.parent / "notebooks"


def safe_name(text):
    """A file-system-safe name for a run or segment: letters, digits, ``-``, ``_``, ``.``.

    Examples
    --------
    >>> safe_name("../../etc/passwd")
    'etc_passwd'
    >>> safe_name("Région Sud / B2B")
    'Région_Sud_B2B'
    """
    name = re.sub(r"[^\w.-]+", "_", str(text), flags=re.UNICODE).strip("._-")
    return name[:80] or "run"


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


def notebook_to_html(notebook_path, html_path):
    """Convert an executed notebook to HTML without code cells that opens offline."""
    import nbformat
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(
        template_name="cem_report",
        extra_template_basedirs=[str(Path(__file__).parent / "templates")],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        embed_images=True,
    )
    nb = nbformat.read(str(notebook_path), as_version=4)
    body, _ = exporter.from_notebook_node(nb)
    Path(html_path).write_text(body, encoding="utf-8")
    return Path(html_path)


def _cell_error(nb_path):
    """Describe the failing cell of an executed notebook: 'cell N: Error: message'."""
    import nbformat

    try:
        nb = nbformat.read(str(nb_path), as_version=4)
    except Exception:  # the notebook may not have been written at all
        return None
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                return f"cell {i}: {out.get('ename')}: {out.get('evalue')}"
    return None


def run_study(study_path, out, notebooks_dir=None, kernel_name=KERNEL_NAME, timeout=600, run_name=None):
    """Execute the suite on one study; move the finished run into ``out/<run>``.

    Returns
    -------
    RunResult
    """
    import papermill as pm

    t0 = time.time()
    study_path = Path(study_path)
    notebooks_dir = Path(notebooks_dir) if notebooks_dir else default_notebooks_dir()
    run = safe_name(run_name or study_path.resolve().name)
    result = RunResult(run=run, study=str(study_path))
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{run}.", dir=out))
    log_lines = []
    try:
        try:
            study, _ = check_study(study_path)
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
                src = notebooks_dir / nb_name
                dst = staging / nb_name
                entry = {"notebook": nb_name, "html": nb_name.replace(".ipynb", ".html"), "status": "ok"}
                s0 = time.time()
                try:
                    pm.execute_notebook(
                        str(src), str(dst),
                        parameters={"study_path": str(study_path.resolve()), "output_dir": str(staging.resolve())},
                        kernel_name=kernel_name, cwd=str(notebooks_dir), progress_bar=False,
                        execution_timeout=timeout, report_mode=False,
                    )
                except Exception as exc:  # any failure of one notebook fails the run, not the batch
                    entry["status"] = "failed"
                    detail = _cell_error(dst) or f"{type(exc).__name__}: {str(exc).strip().splitlines()[-1:] or ''}"
                    result.errors.append(f"{nb_name}: {detail}")
                    log_lines.append(f"{nb_name}: failed\n{exc}")
                entry["seconds"] = round(time.time() - s0, 2)
                if dst.exists():
                    notebook_to_html(dst, staging / entry["html"])
                else:
                    entry["html"] = None
                result.notebooks.append(entry)
                log_lines.append(f"{nb_name}: {entry['status']} in {entry['seconds']} s")
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
    (staging / "log.txt").write_text("\n".join(log_lines) + "\n", encoding="utf-8")
    final = out / run
    if result.status != "ok" and (final / "run.json").exists() and \
            json.loads((final / "run.json").read_text(encoding="utf-8")).get("status") == "ok":
        final = out / f"{run}.failed"  # never destroy the last good report
    result.folder = final.name
    (staging / "run.json").write_text(json.dumps(asdict(result), indent=2, default=_json_default) + "\n",
                                      encoding="utf-8")
    _move_into_place(staging, final)
    return result


def _move_into_place(staging, final):
    old = None
    if final.exists():
        old = final.with_name(f".{final.name}.old-{os.getpid()}-{int(time.time() * 1000)}")
        os.replace(final, old)
    os.replace(staging, final)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _finished(out, name):
    """The result of a run already in ``out`` whose status is ok, or None."""
    path = Path(out) / name / "run.json"
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if data.get("status") != "ok" or (Path(out) / f"{name}.failed").exists():
        return None
    return RunResult(**{k: v for k, v in data.items() if k in RunResult.__dataclass_fields__})


def _clear_staging(out):
    """Remove what an interrupted batch left half-made: the hidden staging folders of ``out``."""
    out = Path(out)
    if out.is_dir():
        for p in out.iterdir():
            if p.is_dir() and p.name.startswith("."):
                shutil.rmtree(p, ignore_errors=True)


def run_report(studies, out, notebooks_dir=None, kernel_name=KERNEL_NAME, timeout=600, echo=None, jobs=1,
               resume=False):
    """Run the suite on every study and write ``out/index.html``.

    Parameters
    ----------
    studies : list of str or Path
        Study folders (or model files).
    out : str or Path
        The report folder.
    notebooks_dir : str or Path, optional
        Where the suite's notebooks are; the source checkout's ``notebooks/`` by default.
    kernel_name : str
        Jupyter kernel papermill uses, checked by :func:`ensure_kernel`.
    timeout : float
        Seconds one cell may run.
    echo : callable, optional
        Called with one line per finished run: progress, with the time left.
    jobs : int
        Runs executed at once, each in its own process (with its own kernels).
    resume : bool
        Skip runs whose report in ``out`` is complete and ok; run only what is missing or failed.

    Returns
    -------
    list of RunResult
        In the order of ``studies``.

    Notes
    -----
    Interrupting the batch (Ctrl-C) stops the runs under way; every finished run stays in place
    and ``index.html`` lists them. Half-made runs are staged in hidden folders, cleared on the
    next start.
    """
    import concurrent.futures as cf
    import multiprocessing

    notebooks_dir = Path(notebooks_dir) if notebooks_dir else default_notebooks_dir()
    missing = [n for n in SUITE if not (notebooks_dir / n).is_file()]
    if missing:
        raise CemError(f"the notebook suite is not in {notebooks_dir} (missing {', '.join(missing)}); "
                       "pass --notebooks DIR")
    ensure_kernel(kernel_name)
    _clear_staging(out)
    names, used = [], set()
    for study in studies:
        name = safe_name(Path(study).resolve().name)
        base, k = name, 2
        while name in used:
            name, k = f"{base}-{k}", k + 1
        used.add(name)
        names.append(name)
    results = {}
    todo = []
    for study, name in zip(studies, names):
        done = _finished(out, name) if resume else None
        if done is not None:
            results[name] = done
            if echo:
                echo(f"{name}: complete already, skipped (--resume)")
        else:
            todo.append((study, name))
    t0 = time.time()

    def report(res, count):
        results[res.run] = res
        if echo:
            left = (time.time() - t0) / count * (len(todo) - count)
            echo(f"[{count}/{len(todo)}] {res.run}: {res.status} in {res.seconds:.1f} s"
                 + (f", about {left:.0f} s left" if count < len(todo) else "")
                 + "".join(f"\n    {e}" for e in res.errors))

    try:
        if jobs <= 1 or len(todo) <= 1:
            for count, (study, name) in enumerate(todo, 1):
                report(run_study(study, out, notebooks_dir, kernel_name, timeout, run_name=name), count)
        else:
            context = multiprocessing.get_context("spawn")  # fresh interpreters: nothing shared between runs
            with cf.ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
                futures = {pool.submit(run_study, study, out, notebooks_dir, kernel_name, timeout, name): name
                           for study, name in todo}
                try:
                    for count, future in enumerate(cf.as_completed(futures), 1):
                        try:
                            res = future.result()
                        except Exception as exc:  # a worker that died: the run failed, the batch goes on
                            res = RunResult(run=futures[future], study="", status="failed",
                                            errors=[f"the run's process ended: {type(exc).__name__}: {exc}"])
                        report(res, count)
                except KeyboardInterrupt:
                    pool.shutdown(wait=False, cancel_futures=True)
                    raise
    finally:
        ordered = [results[n] for n in names if n in results]
        write_index(out, ordered)
    return ordered


def _metric_cells(metrics):
    jm = metrics.get("journey_model", {})
    counts = jm.get("counts", {})
    gaps = jm.get("gaps_by_severity", {})
    top = (metrics.get("needs") or {}).get("top_opportunity") or {}
    return [
        str(counts.get("step", "")), str(counts.get("touchpoint", "")), str(counts.get("need", "")),
        f"{gaps.get('high', 0)} / {gaps.get('medium', 0)} / {gaps.get('low', 0)}" if jm else "",
        f"{top.get('opportunity', '')} {top.get('statement', '')}".strip() if top else "",
    ]


def write_index(out, results):
    """Write ``out/index.html``: one row per run with status, links, key figures and errors.

    Every text that comes from a model or data is HTML-escaped.
    """
    e = html.escape
    rows = []
    for r in results:
        links = " ".join(f'<a href="{e(r.folder)}/{e(nb["html"])}">{e(nb["notebook"].replace(".ipynb", ""))}</a>'
                         for nb in r.notebooks if nb.get("html"))
        errors = "".join(f"<li>{e(x)}</li>" for x in r.errors)
        extra = (f'<ul class="err">{errors}</ul><a href="{e(r.folder)}/log.txt">log</a>' if errors else "")
        values = _metric_cells(r.metrics)
        cells = "".join(f"<td class='num'>{e(c)}</td>" for c in values[:-1]) + f"<td>{e(values[-1])}</td>"
        rows.append(f"<tr class='{e(r.status)}'><td><b>{e(r.title or r.run)}</b><br><small>{e(r.study)}</small></td>"
                    f"<td class='status'>{e(r.status)}</td><td>{links}{extra}</td>{cells}"
                    f"<td class='num'>{r.seconds:.1f}</td></tr>")
    n_failed = sum(r.status != "ok" for r in results)
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>cem reports</title>
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
</style></head><body>
<h1>cem reports</h1>
<p>{len(results)} run(s), {n_failed} failed. Generated {e(time.strftime('%Y-%m-%d %H:%M'))}.</p>
<table><thead><tr><th>study</th><th>status</th><th>reports</th><th>steps</th><th>touchpoints</th>
<th>needs</th><th>gaps high / medium / low</th><th>top opportunity</th><th>seconds</th></tr></thead>
<tbody>
{chr(10).join(rows)}
</tbody></table>
</body></html>
"""
    path = Path(out) / "index.html"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".html.tmp")
    tmp.write_text(page, encoding="utf-8")
    os.replace(tmp, path)
    return path
