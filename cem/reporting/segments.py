"""The segments of a ``--by`` batch side by side: one page comparing the runs of one study.

A batch with ``--by COLUMN`` makes one run per value of the column, beside the run of all
customers. :func:`write_segment_comparison` reads each run's ``metrics.json`` and ``run.json`` (the
figures every page of that run shows) and writes one page, ``segments.html`` (and its PDF when
asked), with one column per run, all customers first:

* the customers and survey respondents each figure rests on;
* the base value of the customer base and the value per customer, each with its 95 % interval;
  two segments whose intervals do not overlap differ measurably, overlapping ones may not differ;
* the things to fix first, and the top opportunity (need) of each segment;
* the value at stake of each step in each segment, with its interval, or "no measurable effect"
  where the interval includes zero ("no measurable gain" where it is below zero), never a negative
  amount.

Steps and needs are shown by name, never by id. The page is rendered from
``templates/segments.html.j2`` (autoescaped, the report pages' Content-Security-Policy) with a
print stylesheet: A4 landscape, rows never cut.
"""
from __future__ import annotations

import json
import math
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import CemError
from .executive import _DEFAULT_COLOURS, _brand, _css_string, _template_named, format_money, score, stake_verdict

if TYPE_CHECKING:
    from ..study import Study

__all__ = ["segment_comparison", "render_segment_comparison", "write_segment_comparison", "SEGMENTS_NAME"]

#: File name (without suffix) of the comparison page in the report folder.
SEGMENTS_NAME = "segments"


def _read(run_dir):
    """(metrics.json, run.json) of a run folder; a clear error when it is not a finished run."""
    run_dir = Path(run_dir)
    out = []
    for name in ("metrics.json", "run.json"):
        path = run_dir / name
        try:
            out.append(json.loads(path.read_text(encoding="utf-8")))
        except FileNotFoundError:
            if name == "run.json":
                out.append({})
                continue
            raise CemError(f"{run_dir}: not the folder of a finished cem report run (it has no metrics.json)") from None
        except (OSError, ValueError) as exc:
            raise CemError(f"{path}: cannot be read as JSON ({exc})") from None
    return out


def _label(run):
    segment = run.get("segment")
    if isinstance(segment, (list, tuple)) and len(segment) == 2:
        return f"{str(segment[0]).replace('_', ' ')}: {str(segment[1]).replace('_', ' ')}"
    return "All customers"


def _per_customer(vm, key):
    value, customers = vm.get(key), vm.get("customers")
    ok = all(isinstance(v, (int, float)) and math.isfinite(v) for v in (value, customers)) and customers > 0
    return value / customers if ok else None


def _count(value):
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    return f"{int(value):,}" if ok else "–"


def segment_comparison(run_dirs: Sequence[str | Path], *, study: Study | None = None, top: int = 3) -> dict:
    """What the comparison page shows, for these runs (the all-customers run first, whatever the order given).

    Parameters
    ----------
    run_dirs : sequence of str or Path
        Finished runs of one study: its all-customers run and its segment runs.
    study : cem.study.Study, optional
        The study of the runs: the page carries its client's name, logo and colours (study.yaml's
        ``client`` and ``brand:``).
    top : int
        Things to fix first listed per run.
    name : str
        The page's file name without its suffix (a batch of several studies writes one per study).

    Returns
    -------
    dict
        The template's variables: ``columns`` (one per run: label, figures as texts),
        ``stakes`` (one row per step measurably at stake in some run: its name and one cell per run),
        ``nowhere`` (the names of the steps measurably at stake in no run), and the page's texts.

    Examples
    --------
    >>> import json, tempfile, pathlib
    >>> base = pathlib.Path(tempfile.mkdtemp())
    >>> for name, seg, low in (("all", None, 5.0), ("north", ["region", "north"], -1.0)):
    ...     d = base / name; d.mkdir()
    ...     vm = {"model": "BG/NBD", "base_value": 100.0, "base_low": 90.0, "base_high": 110.0, "customers": 10,
    ...           "currency": "EUR", "at_stake": [{"step": "S1", "name": "Book", "value": 8.0, "low": low,
    ...                                              "high": 12.0, "rated": 40}]}
    ...     _ = (d / "metrics.json").write_text(json.dumps({"value_model": vm}))
    ...     _ = (d / "run.json").write_text(json.dumps({"segment": seg, "title": "Shop"}))
    >>> c = segment_comparison([base / "north", base / "all"])
    >>> [col["label"] for col in c["columns"]], [cell["text"] for cell in c["stakes"][0]["cells"]], c["nowhere"]
    (['All customers', 'region: north'], ['€8', 'no measurable effect'], [])
    """
    runs = []
    for run_dir in run_dirs:
        metrics, run = _read(run_dir)
        runs.append((Path(run_dir), metrics, run))
    if not runs:
        raise CemError("a segment comparison needs at least one run")
    runs.sort(key=lambda r: _label(r[2]) != "All customers")  # stable: all customers first, then as given
    columns, step_names, cells = [], [], {}
    currency = next((r[1].get("value_model", {}).get("currency") for r in runs
                     if (r[1].get("value_model") or {}).get("currency")), "")
    for index, (run_dir, metrics, run) in enumerate(runs):
        vm = metrics.get("value_model") or {}
        has_value = isinstance(vm.get("base_value"), (int, float))
        needs = metrics.get("needs") or {}
        top_need = needs.get("top_opportunity") or {}
        fix = [f.get("name", "") for f in ((metrics.get("summary") or {}).get("fix_first") or [])[:top]]
        per = _per_customer(vm, "base_value")
        columns.append({
            "label": _label(run),
            "run": run_dir.name,
            "customers": _count(vm.get("customers")) if has_value else "–",
            "respondents": _count(needs.get("respondents")),
            "base_value": format_money(vm.get("base_value"), currency) if has_value else "not valued",
            "base_interval": (f"{format_money(vm.get('base_low'), currency)} to {format_money(vm.get('base_high'), currency)}"
                              if has_value and vm.get("base_low") is not None else ""),
            "per_customer": format_money(per, currency) if per is not None else "–",
            "per_interval": (f"{format_money(_per_customer(vm, 'base_low'), currency)} to "
                             f"{format_money(_per_customer(vm, 'base_high'), currency)}"
                             if per is not None and vm.get("base_low") is not None else ""),
            "per_range": ((_per_customer(vm, "base_low"), _per_customer(vm, "base_high"))
                          if per is not None and vm.get("base_low") is not None else None),
            "model": vm.get("model") or "",
            "notes": [str(n) for n in vm.get("notes") or []],
            "no_value": "" if has_value else (vm.get("reason") or "no purchases to value"),
            "fix_first": fix,
            "top_need": top_need.get("statement", ""),
            "top_need_score": (score(top_need["opportunity"])
                               if isinstance(top_need.get("opportunity"), (int, float)) else ""),
            "title": run.get("title", ""),
        })
        for s in vm.get("at_stake") or []:
            if not isinstance(s, dict) or not s.get("name"):
                continue
            if s["name"] not in cells:
                step_names.append(s["name"])
                cells[s["name"]] = {}
            verdict = stake_verdict(s.get("low"), s.get("high"))
            cells[s["name"]][index] = {
                "verdict": verdict,
                "text": format_money(s.get("value"), currency) if verdict == "at stake" else verdict,
                "interval": (f"{format_money(s.get('low'), currency)} to {format_money(s.get('high'), currency)}"
                             if verdict == "at stake" else ""),
                "rated": _count(s.get("rated")),
            }
    # Steps measurably at stake somewhere first, then the others, each in the order first met.
    step_names.sort(key=lambda name: not any(c["verdict"] == "at stake" for c in cells[name].values()))
    empty = {"verdict": "", "text": "not valued", "interval": "", "rated": ""}
    stakes = [{"name": name, "cells": [cells[name].get(i, empty) for i in range(len(columns))]} for name in step_names
              if any(c["verdict"] == "at stake" for c in cells[name].values())]
    # The steps measurably at stake nowhere are named in one sentence, not as rows of empty cells.
    nowhere = [name for name in step_names if not any(c["verdict"] == "at stake" for c in cells[name].values())]
    differ = _differences(columns)
    title = next((c["title"] for c in columns if c["title"]), "")
    for c in columns:
        c.pop("per_range")
    brand = _brand(study) if study is not None else {"client": "", "logo": "", "primary": _DEFAULT_COLOURS[0],
                                                       "accent": _DEFAULT_COLOURS[1], "ink": "#ffffff"}
    return {"title": title, "brand": brand, "columns": columns, "stakes": stakes, "nowhere": nowhere, "differences": differ,
            "currency": currency,
            "date": time.strftime("%Y-%m-%d")}


def _differences(columns):
    """Pairs of segments whose per-customer value intervals do not overlap: they differ measurably."""
    out = []
    segments = [c for c in columns if c["label"] != "All customers" and c["per_range"]]
    for i, a in enumerate(segments):
        for b in segments[i + 1:]:
            (alo, ahi), (blo, bhi) = a["per_range"], b["per_range"]
            if ahi < blo or bhi < alo:
                high, low = (a, b) if alo > bhi else (b, a)
                out.append(f"A customer of {high['label']} is worth more than one of {low['label']} "
                           f"({high['per_customer']} against {low['per_customer']}; the intervals do not overlap).")
    return out


def render_segment_comparison(content: dict) -> str:
    """The comparison page's HTML from :func:`segment_comparison`'s variables.

    Examples
    --------
    >>> brand = {"client": "", "logo": "", "primary": "#1f4e79", "accent": "#e07b00", "ink": "#ffffff"}
    >>> page = render_segment_comparison({"title": "<b>Shop</b>", "brand": brand, "columns": [], "stakes": [],
    ...                                   "differences": [],
    ...                                   "nowhere": [], "currency": "EUR", "date": "2026-01-01"})
    >>> "&lt;b&gt;Shop&lt;/b&gt;" in page, "<script" in page
    (True, False)
    """
    from markupsafe import Markup

    from .pages import csp_meta

    footer = Markup(_css_string(f"{content['title'] or 'Segments'} · segments side by side"))
    return _template_named("segments.html.j2").render(csp_meta=Markup(csp_meta()), footer_css=footer, **content)


def write_segment_comparison(run_dirs: Sequence[str | Path], out: str | Path, *, study: Study | None = None,
                             pdf: bool = False, top: int = 3, name: str = SEGMENTS_NAME) -> tuple[Path, Path | None]:
    """Write ``out/segments.html`` (and ``out/segments.pdf``): the runs of a ``--by`` batch side by side.

    Parameters
    ----------
    run_dirs : sequence of str or Path
        Finished runs of one study: the all-customers run and the segment runs.
    out : str or Path
        The report folder (the runs' links are relative to it).
    study : cem.study.Study, optional
        The study of the runs, for its client's name, logo and colours.
    pdf : bool
        Also print the page to PDF (headless Chromium).
    top : int
        Things to fix first listed per run.
    name : str
        The page's file name without its suffix (a batch of several studies writes one per study).

    Returns
    -------
    tuple of (Path, Path or None)

    Examples
    --------
    >>> write_segment_comparison(["reports/x/solar", "reports/x/solar-north"], "reports/x")  # doctest: +SKIP
    (PosixPath('reports/x/segments.html'), None)
    """
    from .._files import atomic_write_text

    out = Path(out)
    page = render_segment_comparison(segment_comparison(run_dirs, study=study, top=top))
    html = atomic_write_text(out / f"{name}.html", page)
    pdf_path = out / f"{name}.pdf"
    if pdf:
        from .browser import print_pdf

        return html, print_pdf(html, pdf_path)
    pdf_path.unlink(missing_ok=True)
    return html, None
