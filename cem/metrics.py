"""What a notebook of the suite writes beside its figures: key figures and tables.

Every notebook ends by merging its key figures into ``output_dir/metrics.json`` under its own
section (:func:`save_metrics`); the report index and ``run.json`` read them back. Tables a client
may open in a spreadsheet go to ``output_dir/tables/<name>.csv`` (:func:`save_table`).

This module sits below :mod:`cem.reporting`: the notebooks use it without the batch machinery,
and the reporting layer takes :func:`safe_name` from here for its run folders.

Examples
--------
>>> from cem import metrics                                     # doctest: +SKIP
>>> metrics.save_metrics(output_dir, "journey_model", {"steps": 14})  # doctest: +SKIP
>>> metrics.save_table(gaps, output_dir, "gaps", index=False)   # doctest: +SKIP
"""
from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["save_metrics", "save_table", "safe_name", "journeys_metrics", "NAME_MAX_BYTES"]

#: Longest run name in bytes: with the staging prefix and ``.failed`` suffix it stays well inside
#: the 255-byte file-name limit of common file systems, whatever the script of the name.
NAME_MAX_BYTES = 100


def _digest(text, n=8):
    return hashlib.sha256(str(text).encode("utf-8", "surrogatepass")).hexdigest()[:n]


def _cut_bytes(text, limit):
    """``text`` cut to at most ``limit`` UTF-8 bytes, never inside a character."""
    return text.encode("utf-8")[:limit].decode("utf-8", "ignore")


def safe_name(text: object, *, max_bytes: int = NAME_MAX_BYTES) -> str:
    """A file-system-safe name: letters, digits, ``-``, ``_``, ``.``; at most ``max_bytes`` bytes.

    A name longer than that is cut and given a stable hash of the whole text, so two long names
    that share a beginning stay apart and a rerun finds the same name.

    Examples
    --------
    >>> safe_name("../../etc/passwd")
    'etc_passwd'
    >>> safe_name("Région Sud / B2B")
    'Région_Sud_B2B'
    >>> len(safe_name("語" * 80).encode()) <= 100  # 240 bytes of CJK, cut by bytes
    True
    """
    name = re.sub(r"[^\w.-]+", "_", str(text), flags=re.UNICODE).strip("._-") or "run"
    if len(name.encode("utf-8")) > max_bytes:
        name = _cut_bytes(name, max_bytes - 9).rstrip("._-") + "-" + _digest(text)
    return name


def save_metrics(folder: str | Path, section: str, metrics: dict) -> Path:
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
    tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False, default=json_default) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return path


def save_table(table: pd.DataFrame, folder: str | Path, name: str, *, index: bool = True) -> Path:
    """Write a table a client may open in a spreadsheet: ``folder/tables/<name>.csv``.

    Text cells that a spreadsheet would run as a formula are neutralised
    (:func:`cem.privacy.spreadsheet_safe`); ``name`` is made a safe file name.
    """
    from .privacy import spreadsheet_safe

    path = Path(folder) / "tables" / f"{safe_name(name)}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    spreadsheet_safe(table).to_csv(path, index=index)
    return path


def journeys_metrics(events: pd.DataFrame, flows: pd.DataFrame, paths: pd.DataFrame, conformance: dict,
                     durations: pd.DataFrame, *, rows_left_out: int = 0, unmapped: int = 0) -> dict:
    """Key figures of the actual-vs-designed page (notebook 05) for ``metrics.json``: events, cases,
    directly-follows edges, variants, the top variant's share, the designed share and mean fitness
    (:func:`cem.journeys.conformance`), the median days per case, rows left out, unmapped events.

    Examples
    --------
    >>> import pandas as pd
    >>> m = journeys_metrics(pd.DataFrame({"customer_id": ["a", "a", "b"]}), pd.DataFrame(index=[0, 1]),
    ...                      pd.DataFrame({"share": [0.5, 0.5]}), {"designed_share": 0.75, "mean_fitness": 0.8},
    ...                      pd.DataFrame({"days": [1.0, 3.0]}))
    >>> m["cases"], m["median_days"], m["designed_share"]
    (2, 2.0, 0.75)
    """
    return {"events": int(len(events)), "cases": int(events["customer_id"].nunique()),
            "dfg_edges": int(len(flows)), "variants": int(len(paths)),
            "top_variant_share": round(float(paths["share"].iloc[0]), 4) if len(paths) else None,
            "designed_share": round(float(conformance["designed_share"]), 4),
            "mean_fitness": round(float(conformance["mean_fitness"]), 4),
            "median_days": round(float(durations["days"].median()), 2), "rows_left_out": int(rows_left_out),
            "unmapped_events": int(unmapped)}


def json_default(value):
    """JSON for what :mod:`json` cannot write: numpy scalars and arrays as numbers, the rest as text.

    Examples
    --------
    >>> import numpy as np
    >>> json_default(np.int64(3)), json_default(np.float32(0.5)), json_default(object)
    (3, 0.5, "<class 'object'>")
    """
    if hasattr(value, "item"):
        return value.item()
    if hasattr(value, "tolist"):
        return value.tolist()
    return str(value)
