"""Touchpoint event logs: read, checked and placed on the model's steps.

An event is one interaction of one customer: ``customer_id``, ``timestamp`` and where it
happened, as a model ``step``, a ``touchpoint`` (placed on the step it serves) or an
``activity`` mapped to a step in ``study.yaml``::

    mappings:
      events:
        customer_id: case:concept:name    # a column rename
        activities: {Take in charge ticket: S_help, Resolve ticket: S_fix}
        activities_file: activity_map.csv  # or a CSV (activity, step) beside the events

XES column names (``case:concept:name``, ``concept:name``, ``time:timestamp``) are understood
without a mapping. Optional measures: ``rating`` (1-5), ``effort``, ``revenue``, ``cost``.

Rows whose timestamp cannot be read or whose customer id is blank are counted, reported as a
warning and left out, never dropped silently; activities that map to no step are listed with
their counts.
"""
from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .._files import check_size, study_file
from .._text import file_lines, nfc
from ..errors import InputError, Problem
from ..schema import suggest
from .csv import read_csv
from .mapping import apply_renames
from .timestamps import parse_timestamps
from .xes import read_xes

if TYPE_CHECKING:
    import networkx as nx

__all__ = ["read_events", "unplaced", "XES_COLUMNS", "MEASURES", "MIN_DATE"]


#: XES attribute names and the column each stands for.
XES_COLUMNS = {"case:concept:name": "customer_id", "concept:name": "activity", "time:timestamp": "timestamp",
               "org:resource": "resource"}


#: Events dated before this are refused: a year 0001 or 1677 is a placeholder or a typo.
MIN_DATE = "1900-01-01"


#: Optional numeric columns of an event.
MEASURES = ("rating", "effort", "revenue", "cost")


def _read_table(path, keep=()):
    """The event file as a table of text cells, by its suffix: CSV, Parquet or XES (.gz).

    ``keep``: XES attributes to keep beyond those cem reads (the columns study.yaml maps).
    """
    name = str(path).lower()
    if name.endswith((".xes", ".xes.gz")):
        return read_xes(path, keep=keep)
    if name.endswith(".parquet"):
        import pyarrow


        check_size(path, Path(path).stat().st_size, "events")
        try:
            table = pd.read_parquet(path)
        except (OSError, pyarrow.ArrowException) as exc:
            raise InputError.single(str(path), f"is not a readable Parquet file ({exc})") from None
        for col in table.columns:  # validation reads text, as from CSV; dates keep ISO form
            if pd.api.types.is_datetime64_any_dtype(table[col]):
                table[col] = table[col].dt.strftime("%Y-%m-%dT%H:%M:%S.%f%z")
            table[col] = table[col].astype(str).where(table[col].notna(), "")
        return table, []
    return read_csv(path, "events")


def _activity_map(path):
    """``activity -> step`` from a CSV with columns ``activity`` and ``step``."""
    table, _ = read_csv(path, "activity mapping")
    missing = [c for c in ("activity", "step") if c not in table.columns]
    if missing:
        raise InputError.single(str(path), f"needs columns activity and step; missing {', '.join(missing)}", "1")
    return dict(zip(table["activity"].str.strip(), table["step"].str.strip()))


def read_events(path: str | Path, G: nx.MultiDiGraph | None = None,
                mapping: Mapping[str, object] | None = None) -> tuple[pd.DataFrame, list[Problem]]:
    """Read an event log (CSV, Parquet or XES) and place every event on a step of the model.

    Parameters
    ----------
    path : str or Path
    G : networkx.MultiDiGraph, optional
        Steps and touchpoints are checked against it and ``step`` is filled in.
    mapping : dict, optional
        ``study.yaml``'s ``mappings: events:`` (column renames, ``activities``).

    Returns
    -------
    events : pandas.DataFrame
        ``customer_id`` (text), ``timestamp`` (UTC), ``step`` (model step id or NaN when
        unmapped), the source columns (``touchpoint``, ``activity``) and measures as numbers,
        sorted by customer and time (:func:`unplaced` counts the events placed on no step).
    warnings : list of Problem

    Raises
    ------
    InputError
        Missing columns, unknown step or touchpoint ids, measures that are not numbers.
    """
    file = str(path)
    mapping = dict(mapping or {})
    table, warnings = _read_table(path, keep=[v for v in mapping.values() if isinstance(v, str)])
    activities = dict(mapping.pop("activities", None) or {})
    mapping_file = mapping.pop("activities_file", None)
    if mapping_file:
        activities.update(_activity_map(study_file(Path(path).parent, mapping_file, "mappings: events: activities_file")))
    # study.yaml's renames first (a rename onto a column the file has is refused, naming both),
    # then the XES names, unless the file has the column they stand for already.
    table, problems = apply_renames(table, mapping, file, "events")
    if problems:
        raise InputError(problems, warnings)
    mapped = {v for v in mapping.values() if isinstance(v, str)}
    standard = {}
    for key, name in XES_COLUMNS.items():
        if key in table.columns and key not in mapped:
            if name in table.columns:
                warnings.append(Problem(file, "1", f"has both '{name}' and the XES attribute '{key}'; '{name}' is "
                                        f"used and '{key}' kept under its own name", "warning"))
            else:
                standard[key] = name
    table = table.rename(columns=standard)
    if table.empty:
        raise InputError.single(file, "has a header but no events")
    for col in ("customer_id", "timestamp"):
        if col not in table.columns:
            hint = suggest(col, list(table.columns))
            problems.append(Problem(file, "1", f"no '{col}' column" + (f"; did you mean '{hint}'?" if hint else
                                    f"; columns are {', '.join(table.columns)}")))
    where = [c for c in ("step", "touchpoint", "activity") if c in table.columns]
    if not where:
        problems.append(Problem(file, "1", "no column saying where each event happened: expected step, "
                                "touchpoint or activity"))
    if problems:
        raise InputError(problems, warnings)

    table["customer_id"] = nfc(table["customer_id"].astype(str).str.strip())
    ts, _ = parse_timestamps(table["timestamp"])  # the whole column at once (cem.readers.timestamps)
    bad_time = ts.isna()
    if bad_time.all():  # not a few bad rows: the column is not timestamps at all
        sample = ", ".join(repr(v) for v in table["timestamp"].unique()[:3])
        raise InputError([Problem(file, file_lines(table.index[:5]), f"no timestamp can be read ({sample}); write "
                                  "them as ISO 8601, e.g. 2024-03-01T14:05:00+01:00")], warnings)
    if bad_time.any():
        sample = ", ".join(repr(v) for v in table.loc[bad_time, "timestamp"].unique()[:3])
        warnings.append(Problem(file, file_lines(table.index[bad_time]), f"{int(bad_time.sum())} event(s) with a "
                                f"timestamp that cannot be read ({sample}) are left out", "warning", rows=int(bad_time.sum())))
    blank_id = table["customer_id"] == ""
    if blank_id.any():
        warnings.append(Problem(file, file_lines(table.index[blank_id]), f"{int(blank_id.sum())} event(s) without a "
                                "customer_id are left out", "warning", rows=int(blank_id.sum())))
    early = ts < pd.Timestamp(MIN_DATE, tz="UTC")
    if early.any():
        sample = ", ".join(repr(v) for v in table.loc[early, "timestamp"].unique()[:3])
        problems.append(Problem(file, file_lines(table.index[early]), f"timestamp is not a plausible date ({sample}); "
                                f"events must be from {MIN_DATE} on"))
    future = ts > pd.Timestamp.now(tz="UTC") + pd.Timedelta(days=1)
    if future.any():
        sample = ", ".join(repr(v) for v in table.loc[future, "timestamp"].unique()[:3])
        problems.append(Problem(file, file_lines(table.index[future]), f"timestamp is in the future ({sample}); "
                                "check the date format"))
    table["timestamp"] = ts
    for m in MEASURES:
        if m in table.columns:
            text = table[m].astype(str).str.strip()
            values = pd.to_numeric(text.where(text != ""), errors="coerce")
            bad = (values.isna() & (text != "")) | ~np.isfinite(values.fillna(0))
            if bad.any():
                sample = ", ".join(repr(v) for v in text[bad].unique()[:3])
                problems.append(Problem(file, file_lines(table.index[bad]), f"{m} must be a number; got {sample}"))
            table[m] = values

    step = pd.Series(np.nan, index=table.index, dtype=object)
    if G is not None:
        kinds = dict(G.nodes(data="kind"))
        if "step" in table.columns:
            ids = table["step"].astype(str).str.strip()
            unknown = ~ids.isin([n for n, k in kinds.items() if k == "step"]) & (ids != "")
            for sid, rows in table.index[unknown].to_series().groupby(ids[unknown]):
                hint = suggest(sid, [n for n, k in kinds.items() if k == "step"])
                problems.append(Problem(file, file_lines(rows.index), f"step '{sid}' is not a step of the model"
                                        + (f"; did you mean '{hint}'?" if hint else "")))
            step = ids.where(~unknown & (ids != ""))
        if "touchpoint" in table.columns:
            tp = table["touchpoint"].astype(str).str.strip()
            served = {t: next((v for _, v, k in G.out_edges(t, keys=True) if k == "serves"), None)
                      for t, k in kinds.items() if k == "touchpoint"}
            unknown = ~tp.isin(list(served)) & (tp != "")
            for tid, rows in table.index[unknown].to_series().groupby(tp[unknown]):
                hint = suggest(tid, list(served))
                problems.append(Problem(file, file_lines(rows.index), f"touchpoint '{tid}' is not a touchpoint of the "
                                        "model" + (f"; did you mean '{hint}'?" if hint else "")))
            step = step.where(step.notna(), tp.map(served))
        if "activity" in table.columns:
            act = table["activity"].astype(str).str.strip()
            for a, s in activities.items():
                if kinds.get(s) != "step":
                    problems.append(Problem(file, "", f"study.yaml maps activity '{a}' to '{s}', which is not a "
                                            "step of the model"))
            step = step.where(step.notna(), act.map(activities))
    if problems:
        raise InputError(problems, warnings)
    table["step"] = step
    events = _in_case_order(table, ~bad_time & ~blank_id)
    unmapped = unplaced(events) if G is not None else pd.Series(dtype=int)
    if G is not None and len(unmapped):
        listing = ", ".join(f"'{k}' ({v})" for k, v in unmapped.head(8).items())
        warnings.append(Problem(file, "", f"{int(unmapped.sum())} event(s) of {len(unmapped)} kind(s) map to "
                                f"no step of the model: {listing}" + (" ..." if len(unmapped) > 8 else ""), "warning"))
    return events, warnings


def _in_case_order(table, keep):
    """The rows kept, sorted by customer id, then time; rows at one time keep their file order.

    One sort of integers: the ids are hashed once into codes ranked as the ids sort
    (``pd.factorize(sort=True)`` sorts only the distinct ids), and ``np.lexsort`` (stable) orders
    the codes and the times; a log already in order is not moved. Sorting the table by its
    text column instead costs several times more.
    """
    rows = np.flatnonzero(np.asarray(keep))
    codes, _ = pd.factorize(table["customer_id"].to_numpy()[rows] if len(rows) < len(table) else
                            table["customer_id"], sort=True)
    t = pd.DatetimeIndex(table["timestamp"]).asi8[rows]
    ordered = len(rows) < 2 or bool(np.all((codes[1:] > codes[:-1]) |
                                           ((codes[1:] == codes[:-1]) & (t[1:] >= t[:-1]))))
    if not ordered:
        rows = rows[_case_time_order(codes, t)]
    if len(rows) == len(table) and ordered:
        return table.reset_index(drop=True)
    # Column by column on threads: pyarrow's take (the text columns) runs without the GIL.
    from concurrent.futures import ThreadPoolExecutor

    def take(column):
        return table[column].take(rows).reset_index(drop=True)

    with ThreadPoolExecutor(max_workers=max(1, min(4, os.cpu_count() or 1))) as pool:
        columns = list(pool.map(take, table.columns))
    return pd.DataFrame(dict(zip(table.columns, columns)))


def _case_time_order(codes, t):
    """Positions that order rows by code, then time, ties in their order (a stable sort).

    Codes and times packed into one 64-bit key when they fit (times as microseconds since the
    first, or as their rank among the distinct times), so one stable argsort of integers does
    it (numpy's radix sort: several times faster than ``np.lexsort`` of the two); else lexsort.
    """
    n_codes = int(codes.max()) + 1 if len(codes) else 1
    t = t - t.min() if len(t) else t
    span = int(t.max()) + 1 if len(t) else 1
    if n_codes * span >= 2**63:  # too long a period in microseconds: the times' ranks instead
        by_time = np.argsort(t)  # any order of equal times: only the ranks are used
        ranks = np.empty(len(t), dtype=np.int64)
        ranks[by_time] = np.cumsum(np.r_[False, np.diff(t[by_time]) != 0])
        t, span = ranks, int(ranks.max()) + 1
        if n_codes * span >= 2**63:
            return np.lexsort((t, codes))
    return np.argsort(codes.astype(np.int64) * span + t, kind="stable")


def unplaced(events: pd.DataFrame) -> pd.Series:
    """Events placed on no step of the model, counted by what they say: their activity, else
    their touchpoint, else the step id they name; most frequent first.

    Examples
    --------
    >>> e = pd.DataFrame({"step": ["S1", None, None], "activity": ["a", "Call", "Call"]})
    >>> unplaced(e).to_dict()
    {'Call': 2}
    """
    events = events[events["step"].isna().to_numpy()]  # only the events placed nowhere are labelled
    label = pd.Series("", index=events.index)
    for col in ("step", "touchpoint", "activity"):
        if col in events.columns:
            text = events[col].astype(str).str.strip().replace({"nan": "", "None": ""})
            label = label.where(text == "", text)
    counts = label.value_counts()
    counts.index.name = None
    return counts.rename(None)
