"""The report folder's ``index.html``: every run in the folder, its status, links and key figures.

The page is rendered from the Jinja2 template ``templates/report_index.html.j2`` with
autoescaping on: every text that comes from a model or data is HTML-escaped. It carries the
report pages' Content-Security-Policy (:func:`cem.reporting.pages.csp_meta`), so it loads nothing
and runs no script, and its links are relative to the folder.
"""
from __future__ import annotations

import functools
import os
import time
from collections.abc import Iterable, Mapping
from pathlib import Path

from ..errors import CemError
from . import outdir
from .runs import RunResult

__all__ = ["INDEX_COLUMNS", "write_index"]

#: Key figure columns of index.html, after the run, its status and its links.
INDEX_COLUMNS = ("fix first", "gaps high / medium / low", "top opportunity", "weakest step", "lifetime value",
                 "value at stake, top step")


def _metric_cells(metrics):
    """The key figures of a run for index.html, as texts (empty when the run has not the analysis)."""
    jm = metrics.get("journey_model") or {}
    gaps = jm.get("gaps_by_severity") or {}
    top = (metrics.get("needs") or {}).get("top_opportunity") or {}
    sv = metrics.get("step_value") or {}
    weak = sv.get("lowest_experience") or sv.get("largest_drop_off") or {}
    # Money comes from the run's one value model (cem.valuation), as on every page of the run.
    vm = metrics.get("value_model") or {}
    # The first step whose value at stake is above zero across its 95 % interval, as the summary counts it.
    stake = next((s for s in vm.get("at_stake") or [] if isinstance(s.get("low"), (int, float)) and s["low"] > 0), {})
    currency = vm.get("currency", "")
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
        f"{vm['base_value']:,.0f} {currency} ({vm.get('model', '')})".strip()
        if isinstance(vm.get("base_value"), (int, float)) else "",
        f"{stake.get('name', stake.get('step', ''))}: {stake['value']:,.0f} {currency}".strip()
        if isinstance(stake.get("value"), (int, float)) else "",
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
        if not isinstance(res.generated, bool):
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


def write_index(out: str | Path, results: Iterable[RunResult], *, earlier: Mapping[str, dict] | None = None) -> Path:
    """Write ``out/index.html``: one row per run in the folder with status, links, key figures and errors.

    The runs of this batch come first, in their order, then the runs of earlier batches still in
    the folder (``earlier``: :func:`cem.reporting.outdir.read_runs` of the folder, read when not
    given); a good run whose latest attempt failed is listed with a note and a link to that
    attempt's log. Every text that comes from a model or data is HTML-escaped (the template is
    autoescaped); links are relative to the folder, and the page's content security policy
    forbids loading anything from elsewhere.
    """
    if earlier is None:
        earlier = outdir.read_runs(out)
    # Failed attempts still on disk (a later success removes a stale one during the batch).
    failed_attempts = {name[:-len(".failed")] for name in earlier
                       if name.endswith(".failed") and (Path(out) / name).is_dir()}
    failed_attempts |= {r.run for r in results if r.folder == f"{r.run}.failed"}
    results = _index_results(results, earlier)
    # --by batches' pages of segments side by side (cem.reporting.segments), linked above the runs
    comparisons = sorted(p.name for p in Path(out).glob("*segments.html"))
    methods = (Path(out) / "methods" / "real_data.html").is_file()  # cem methods --out <folder>/methods
    page = render_index(results, failed_attempts, comparisons, methods)
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


def render_index(results, failed_attempts=frozenset(), comparisons=(), methods=False):
    """The text of ``index.html`` for these runs (RunResult, in the order shown).

    ``failed_attempts`` names the runs whose latest attempt failed beside a good report;
    ``comparisons`` the folder's pages comparing a study's segments; ``methods`` whether the folder
    holds cem's methods report (``methods/real_data.html``), linked apart from the clients' runs.

    Examples
    --------
    >>> page = render_index([RunResult(run="<script>x</script>", study="s", status="failed",
    ...                                errors=["bad 'value'"])])
    >>> "<script>x" in page, "&lt;script&gt;x&lt;/script&gt;" in page, "bad &#39;value&#39;" in page
    (False, True, True)
    >>> page.count('http-equiv="Content-Security-Policy"'), "1 run(s), 1 failed" in page
    (1, True)
    """
    from .pages import csp_meta

    rows = []
    for r in results:
        folder = r.folder
        rows.append({
            "status": r.status,
            "title": r.title or r.run,
            "study": r.study,
            "finished": r.finished.replace("T", " "),
            "links": [{"href": _href(folder, nb["html"]), "name": nb["notebook"].replace(".ipynb", ""),
                       "pdf": _href(folder, nb["pdf"]) if nb.get("pdf") else ""}
                      for nb in r.notebooks if nb.get("html") and folder],
            "errors": r.errors[:20],
            "more": max(len(r.errors) - 20, 0),
            "log": _href(folder, "log.txt") if folder else "",
            "later_failed": (_href(r.run + ".failed", "log.txt")
                             if r.status == "ok" and folder == r.run and r.run in failed_attempts else ""),
            "cells": _metric_cells(r.metrics),
            "seconds": f"{r.seconds:,.0f}",  # whole seconds, as a client reads a duration (#15)
            "generated": bool(getattr(r, "generated", False)),
        })
    from markupsafe import Markup

    return _template().render(
        csp_meta=Markup(csp_meta()),  # built and escaped by pages.csp_meta, as on every report page
        generator=outdir.INDEX_GENERATOR,
        rows=rows,
        n_failed=sum(r.status != "ok" for r in results),
        n_generated=sum(row["generated"] for row in rows),
        generated=time.strftime("%Y-%m-%d %H:%M"),
        columns=INDEX_COLUMNS,
        comparisons=[{"href": _href_file(name), "name": name} for name in comparisons],
        methods=methods,
    )


@functools.lru_cache(maxsize=None)
def _template():
    """The index page's template, from ``templates/`` beside this module, autoescaped."""
    import jinja2

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(Path(__file__).parent / "templates")),
                             autoescape=True, keep_trailing_newline=True, undefined=jinja2.StrictUndefined)
    return env.get_template("report_index.html.j2")


def _href_file(name):
    """A link to a file of the report folder itself, percent-encoded."""
    from urllib.parse import quote

    return quote(str(name), safe="")


def _href(folder, name):
    """A link to a file of a run: relative, each part percent-encoded (a name can hold '#', '?' or ':').

    Not escaped: the template escapes it.
    """
    from urllib.parse import quote

    return f"{quote(str(folder), safe='')}/{quote(str(name), safe='')}"
