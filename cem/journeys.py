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

from pathlib import Path

import numpy as np
import pandas as pd

from .errors import InputError, Problem
from .io import line_list, read_csv, study_file
from .xes import read_xes
from .schema import suggest
from .segments import nfc, select_segment
from .survey import apply_renames

__all__ = ["read_events", "load_events", "dfg", "variants", "funnel", "case_durations", "rework", "conformance",
           "dropoff_and_opportunity",
           "XES_COLUMNS", "MEASURES"]

#: XES attribute names and the column each stands for.
XES_COLUMNS = {"case:concept:name": "customer_id", "concept:name": "activity", "time:timestamp": "timestamp",
               "org:resource": "resource"}

#: Below this many transitions the DFG sorts times too (no loop); above, a loop over pairs.
_SMALL_LOG = 200_000

#: Events dated before this are refused: a year 0001 or 1677 is a placeholder or a typo.
MIN_DATE = "1900-01-01"

#: Optional numeric columns of an event.
MEASURES = ("rating", "effort", "revenue", "cost")


def _lines(index):
    """File lines of table rows: the header is line 1, the first row line 2."""
    return line_list(int(i) + 2 for i in index)


def _read_table(path, keep=()):
    """The event file as a table of text cells, by its suffix: CSV, Parquet or XES (.gz).

    ``keep``: XES attributes to keep beyond those cem reads (the columns study.yaml maps).
    """
    name = str(path).lower()
    if name.endswith((".xes", ".xes.gz")):
        table = read_xes(path, keep=keep)
        return table, list(table.attrs.pop("warnings", []))
    if name.endswith(".parquet"):
        import pyarrow

        from .io import check_size

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


def read_events(path, G=None, mapping=None):
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
        sorted by customer and time. ``attrs["excluded"]`` counts rows left out by reason,
        ``attrs["unmapped"]`` the activities that map to no step.
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
    ts = pd.to_datetime(table["timestamp"].astype(str).str.strip(), errors="coerce", utc=True, format="mixed")
    excluded = {}
    bad_time = ts.isna()
    if bad_time.all():  # not a few bad rows: the column is not timestamps at all
        sample = ", ".join(repr(v) for v in table["timestamp"].unique()[:3])
        raise InputError([Problem(file, _lines(table.index[:5]), f"no timestamp can be read ({sample}); write "
                                  "them as ISO 8601, e.g. 2024-03-01T14:05:00+01:00")], warnings)
    if bad_time.any():
        excluded["unreadable timestamp"] = int(bad_time.sum())
        sample = ", ".join(repr(v) for v in table.loc[bad_time, "timestamp"].unique()[:3])
        warnings.append(Problem(file, _lines(table.index[bad_time]), f"{int(bad_time.sum())} event(s) with a "
                                f"timestamp that cannot be read ({sample}) are left out", "warning"))
    blank_id = table["customer_id"] == ""
    if blank_id.any():
        excluded["blank customer_id"] = int(blank_id.sum())
        warnings.append(Problem(file, _lines(table.index[blank_id]), f"{int(blank_id.sum())} event(s) without a "
                                "customer_id are left out", "warning"))
    early = ts < pd.Timestamp(MIN_DATE, tz="UTC")
    if early.any():
        sample = ", ".join(repr(v) for v in table.loc[early, "timestamp"].unique()[:3])
        problems.append(Problem(file, _lines(table.index[early]), f"timestamp is not a plausible date ({sample}); "
                                f"events must be from {MIN_DATE} on"))
    future = ts > pd.Timestamp.now(tz="UTC") + pd.Timedelta(days=1)
    if future.any():
        sample = ", ".join(repr(v) for v in table.loc[future, "timestamp"].unique()[:3])
        problems.append(Problem(file, _lines(table.index[future]), f"timestamp is in the future ({sample}); "
                                "check the date format"))
    table["timestamp"] = ts
    for m in MEASURES:
        if m in table.columns:
            text = table[m].astype(str).str.strip()
            values = pd.to_numeric(text.where(text != ""), errors="coerce")
            bad = (values.isna() & (text != "")) | ~np.isfinite(values.fillna(0))
            if bad.any():
                sample = ", ".join(repr(v) for v in text[bad].unique()[:3])
                problems.append(Problem(file, _lines(table.index[bad]), f"{m} must be a number; got {sample}"))
            table[m] = values

    step = pd.Series(np.nan, index=table.index, dtype=object)
    if G is not None:
        kinds = dict(G.nodes(data="kind"))
        if "step" in table.columns:
            ids = table["step"].astype(str).str.strip()
            unknown = ~ids.map(lambda s: kinds.get(s) == "step") & (ids != "")
            for sid, rows in table.index[unknown].to_series().groupby(ids[unknown]):
                hint = suggest(sid, [n for n, k in kinds.items() if k == "step"])
                problems.append(Problem(file, _lines(rows.index), f"step '{sid}' is not a step of the model"
                                        + (f"; did you mean '{hint}'?" if hint else "")))
            step = ids.where(~unknown & (ids != ""))
        if "touchpoint" in table.columns:
            tp = table["touchpoint"].astype(str).str.strip()
            served = {t: next((v for _, v, k in G.out_edges(t, keys=True) if k == "serves"), None)
                      for t, k in kinds.items() if k == "touchpoint"}
            unknown = ~tp.isin(list(served)) & (tp != "")
            for tid, rows in table.index[unknown].to_series().groupby(tp[unknown]):
                hint = suggest(tid, list(served))
                problems.append(Problem(file, _lines(rows.index), f"touchpoint '{tid}' is not a touchpoint of the "
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
    keep = ~bad_time & ~blank_id
    events = table[keep].sort_values(["customer_id", "timestamp"], kind="stable").reset_index(drop=True)
    # Name each unplaced event by what it says: its activity, else its touchpoint, else its step.
    label = pd.Series("", index=events.index)
    for col in ("step", "touchpoint", "activity"):
        if col in events.columns:
            text = events[col].astype(str).str.strip().replace("nan", "")
            label = label.where(text == "", text)
    unmapped = label[events["step"].isna()].value_counts() if G is not None else pd.Series(dtype=int)
    if G is not None and len(unmapped):
        listing = ", ".join(f"'{k}' ({v})" for k, v in unmapped.head(8).items())
        warnings.append(Problem(file, "", f"{int(unmapped.sum())} event(s) of {len(unmapped)} kind(s) map to "
                                f"no step of the model: {listing}" + (" ..." if len(unmapped) > 8 else ""), "warning"))
    events.attrs.update({"excluded": excluded, "unmapped": {str(k): int(v) for k, v in unmapped.items()},
                         "source": file})
    return events, warnings


def load_events(study):
    """The events of a loaded study, placed on its steps and joined with its customers.

    Returns
    -------
    pandas.DataFrame
        See :func:`read_events`; the columns of ``customers.csv`` added (segment, churned, ...);
        the study's segment's customers only, if it has one;
        ``attrs["warnings"]`` holds the warnings as text lines.
    """
    from .survey import read_customers

    if "events" not in study.files:
        raise InputError.single(str(study.path), "has no events.csv")
    events, warnings = read_events(study.files["events"], study.graph, (study.config.get("mappings") or {}).get("events"))
    if "customers" in study.files:
        customers, more = read_customers(study.files["customers"])
        warnings += more
        extra = [c for c in customers.columns if c not in events.columns]
        attrs = dict(events.attrs)
        events = events.merge(customers[["customer_id", *extra]], how="left", on="customer_id")
        events.attrs = attrs
    events = select_segment(events, study)
    events.attrs["warnings"] = [str(w) for w in warnings]
    return events


def _codes(values):
    """Integer codes and their labels: free for a categorical column, hashed otherwise."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        return values.cat.codes.to_numpy(), np.asarray(values.cat.categories, dtype=object)
    codes, labels = pd.factorize(values, sort=False)
    return codes, np.asarray(labels, dtype=object)


def _coded(events, activity, case="customer_id", timestamp="timestamp"):
    """Events with an activity, in case and time order (stable: ties keep file order), as arrays.

    Works on integer codes throughout, so ten million events cost seconds: a log already
    grouped by case and ordered in time (as exports and :func:`read_events` give it) is not
    sorted again.

    Returns
    -------
    cases, case_names, acts, act_names, seconds, same
        ``seconds`` since the first event (float); ``same[i]``: event ``i + 1`` is of the same case.
    """
    acts, act_names = _codes(events[activity])
    cases, case_names = _codes(events[case])
    stamps = events[timestamp]
    if getattr(stamps.dtype, "tz", None) is not None:
        stamps = stamps.dt.tz_localize(None)
    t = stamps.to_numpy().astype("datetime64[us]").astype(np.int64)
    keep = acts >= 0
    if not keep.all():
        acts, cases, t = acts[keep], cases[keep], t[keep]
    if len(cases) and not (np.all(np.diff(cases) >= 0) and np.all((np.diff(t) >= 0) | (np.diff(cases) != 0))):
        order = np.lexsort((t, cases))  # lexsort is stable: ties keep file order
        acts, cases, t = acts[order], cases[order], t[order]
    seconds = (t - (t.min() if len(t) else 0)) / 1e6
    same = np.r_[cases[1:] == cases[:-1], False] if len(cases) else np.array([], dtype=bool)
    return cases, case_names, acts, act_names, seconds, same


def dfg(events, activity="step", case="customer_id", timestamp="timestamp"):
    """Directly-follows graph: how often one activity directly follows another within a case.

    Events are taken in case and time order; events at the same time keep their file order.

    Returns
    -------
    pandas.DataFrame
        ``source, target, count, median_hours, p90_hours`` (time between the two events),
        most frequent first.

    Examples
    --------
    >>> t = pd.to_datetime(["2024-01-01 10:00", "2024-01-01 12:00", "2024-01-01 11:00", "2024-01-01 13:00"])
    >>> e = pd.DataFrame({"customer_id": ["a", "a", "b", "b"], "timestamp": t, "step": ["X", "Y", "X", "Y"]})
    >>> dfg(e)[["source", "target", "count", "median_hours"]].values.tolist()
    [['X', 'Y', 2, 2.0]]
    """
    cases, _, acts, names, ts, same = _coded(events, activity, case, timestamp)
    if not same.any():
        return pd.DataFrame(columns=["source", "target", "count", "median_hours", "p90_hours"])
    k = len(names)
    src = acts[:-1][same[:-1]]
    dst = acts[1:][same[:-1]]
    hours = ((ts[1:] - ts[:-1]) / 3600.0)[same[:-1]]
    key = src.astype(np.int64) * k + dst
    if len(key) < _SMALL_LOG:
        # Small logs: sort by pair, then by time within it, and read each pair's quantiles off
        # positions, with no Python loop over pairs.
        order = np.lexsort((hours, key))
        key_sorted, hours_sorted = key[order], hours[order]
        starts = np.flatnonzero(np.r_[True, key_sorted[1:] != key_sorted[:-1]])
        counts = np.diff(np.r_[starts, len(key_sorted)])

        def quantile(q):  # linear interpolation, as numpy's default
            pos = starts + q * (counts - 1)
            lo = np.floor(pos).astype(np.int64)
            hi = np.minimum(lo + 1, starts + counts - 1)
            return hours_sorted[lo] + (pos - lo) * (hours_sorted[hi] - hours_sorted[lo])

        median, p90 = quantile(0.5), quantile(0.9)
    else:
        # Large logs have few distinct pairs: sorting the integer keys alone is much cheaper than
        # sorting times too, and a quantile per pair is then a short loop.
        order = np.argsort(key, kind="stable")
        key_sorted, hours_sorted = key[order], hours[order]
        starts = np.flatnonzero(np.r_[True, key_sorted[1:] != key_sorted[:-1]])
        counts = np.diff(np.r_[starts, len(key_sorted)])
        stats = [np.percentile(hours_sorted[a:a + c], [50, 90]) for a, c in zip(starts, counts)]
        median, p90 = np.array([x[0] for x in stats]), np.array([x[1] for x in stats])
    pairs = key_sorted[starts]
    rows = {"source": names[pairs // k], "target": names[pairs % k], "count": counts,
            "median_hours": median, "p90_hours": p90}
    order = np.lexsort((rows["target"].astype(str), rows["source"].astype(str), -counts))
    return pd.DataFrame({c: v[order] for c, v in rows.items()})


def variants(events, activity="step", case="customer_id", timestamp="timestamp"):
    """Variants: the distinct paths cases take, with how many cases take each.

    Returns
    -------
    pandas.DataFrame
        ``variant`` (the activities joined by " > "), ``length``, ``cases``, ``share``, most
        frequent first.

    Examples
    --------
    >>> e = pd.DataFrame({"customer_id": ["a", "a", "b", "b", "c"], "timestamp": pd.to_datetime(["2024"] * 5),
    ...                   "step": ["X", "Y", "X", "Y", "X"]})
    >>> variants(e)[["variant", "cases"]].values.tolist()
    [['X > Y', 2], ['X', 1]]
    """
    cases, case_names, acts, names, ts, same = _coded(events, activity, case, timestamp)
    if not len(cases):
        return pd.DataFrame(columns=["variant", "length", "cases", "share"])
    # A 64-bit polynomial hash of each case's sequence (wrapping arithmetic), plus its length:
    # variants are grouped without building a tuple per case.
    starts = np.flatnonzero(np.r_[True, cases[1:] != cases[:-1]])
    lengths = np.diff(np.r_[starts, len(cases)])
    pos = np.arange(len(cases)) - np.repeat(starts, lengths)
    with np.errstate(over="ignore"):
        powers = np.cumprod(np.full(int(lengths.max()), np.uint64(1_000_003), dtype=np.uint64)) if len(lengths) else []
        powers = np.r_[np.uint64(1), powers[:-1]].astype(np.uint64)
        terms = (acts.astype(np.uint64) + np.uint64(1)) * powers[pos]
        h = np.add.reduceat(terms, starts) if len(terms) else np.array([], dtype=np.uint64)
    with np.errstate(over="ignore"):
        ident = h * np.uint64(0x9E3779B97F4A7C15) + lengths.astype(np.uint64)  # the length joins the hash
    _, first_case, inverse, counts = np.unique(ident, return_index=True, return_inverse=True, return_counts=True)
    first = starts[first_case]
    n = lengths[first_case]
    names_v = np.array([" > ".join(names[acts[f:f + m]]) for f, m in zip(first, n)], dtype=object)
    order = np.lexsort((names_v.astype(str), -counts))
    return pd.DataFrame({"variant": names_v[order], "length": n[order], "cases": counts[order],
                         "share": counts[order] / len(starts)})


def funnel(events, G, case="customer_id"):
    """Customers reaching each designed customer step, in the journey's order, and drop-off.

    Returns
    -------
    pandas.DataFrame
        ``step, name, stage, customers``, ``share`` (of those at the first step anyone reached),
        ``drop_off`` (the share lost since the previous step; negative when more arrive there, as
        after an optional step some customers skip).
    """
    from .graph import journey_steps

    steps = journey_steps(G)
    reached = events.dropna(subset=["step"]).groupby("step")[case].nunique().reindex(steps).fillna(0).astype(int)
    out = pd.DataFrame({"step": steps, "name": [G.nodes[s].get("name") for s in steps],
                        "stage": [G.nodes[s].get("stage") for s in steps], "customers": reached.to_numpy()})
    # The log may start later in the journey (a help-desk log has no "notice the problem"): the
    # funnel starts at the first step anyone reached.
    observed = out.index[out["customers"] > 0]
    start = observed[0] if len(observed) else len(out)
    first = out["customers"].iloc[start] if len(observed) else 0
    out["share"] = (out["customers"] / first).where(out.index >= start) if first else np.nan
    prev = out["customers"].shift(1)
    out["drop_off"] = (1 - out["customers"] / prev.replace(0, np.nan)).where(out.index > start)
    return out


def case_durations(events, case="customer_id", timestamp="timestamp"):
    """Time from each case's first to its last event, in days, with its number of events."""
    g = events.groupby(case)[timestamp]
    return pd.DataFrame({"days": (g.max() - g.min()) / pd.Timedelta(days=1), "events": g.size()})


def rework(events, activity="step", case="customer_id"):
    """Activities done more than once within a case (not counting repeats in a row at one step).

    Returns
    -------
    pandas.DataFrame
        ``activity``, ``cases`` with rework there, ``share`` of the cases that reached it,
        ``extra_visits``: returns beyond the first.
    """
    cases, case_names, acts, names, ts, same = _coded(events, activity, case)
    if not len(acts):
        return pd.DataFrame(columns=["activity", "cases", "share", "extra_visits"])
    # A visit starts when the activity differs from the previous event's in the same case.
    prev_same_case = np.r_[False, cases[1:] == cases[:-1]]
    new_visit = ~(prev_same_case & np.r_[False, acts[1:] == acts[:-1]])
    v = pd.DataFrame({"c": cases[new_visit], "a": acts[new_visit]})
    visits = v.groupby(["a", "c"]).size()
    per_act = visits.groupby(level=0)
    out = pd.DataFrame({"activity": names[per_act.size().index], "reached": per_act.size().to_numpy(),
                        "cases": per_act.apply(lambda s: int((s > 1).sum())).to_numpy(),
                        "extra_visits": per_act.apply(lambda s: int((s - 1).sum())).to_numpy()})
    out["share"] = out["cases"] / out["reached"]
    out = out[out["cases"] > 0][["activity", "cases", "share", "extra_visits"]]
    return out.sort_values("cases", ascending=False).reset_index(drop=True)


def conformance(events, G, case="customer_id"):
    """How closely customers follow the designed order of steps.

    Each observed transition between two consecutive events of a case is classed:
    ``designed`` (a ``next`` edge of the model, or a repeat at the same step), ``skip`` (forward
    along the designed order past one or more steps, which are then counted as skipped),
    ``backward`` (to an earlier step), or ``unexpected`` (between steps the designed order does
    not connect, or to or from an event mapped to no step).

    Returns
    -------
    summary : dict
        ``transitions``, ``designed_share`` (the share of observed transitions the model allows),
        the count of each class, ``mean_fitness``.
    transitions : pandas.DataFrame
        Each distinct observed transition with its class, count and the steps it skips.
    cases : pandas.DataFrame
        Per case: ``transitions``, ``designed``, ``fitness`` (designed / transitions; 1 for a
        one-event case), ``skipped_steps``, ``unexpected``, ranked by deviation (lowest fitness,
        then most unexpected) first.
    """
    import networkx as nx

    from .graph import journey_steps

    steps = journey_steps(G)
    nxt = nx.DiGraph((u, v) for u, v, k in G.edges(keys=True) if k == "next")
    # Unmapped events take part as "(unmapped)", so transitions to and from them are counted.
    step_col = events["step"]
    if isinstance(step_col.dtype, pd.CategoricalDtype):
        marked = step_col.cat.add_categories(["(unmapped)"]).fillna("(unmapped)")
    else:
        marked = step_col.fillna("(unmapped)")
    cases, case_names, acts, names, ts, same = _coded(events.assign(_act=marked), "_act", case)
    pair = same[:-1] if len(same) else same
    src, dst = acts[:-1][pair], acts[1:][pair]
    owner = cases[:-1][pair]
    k = len(names)
    key = src.astype(np.int64) * k + dst
    uniq, inverse, counts = np.unique(key, return_inverse=True, return_counts=True)
    classes, skipped = [], []
    for u in uniq:
        a, b = names[u // k], names[u % k]
        sk = []
        if a == "(unmapped)" or b == "(unmapped)":
            c = "unexpected"
        elif a == b or nxt.has_edge(a, b):
            c = "designed"
        elif a in nxt and b in nxt and nx.has_path(nxt, a, b) and (a not in steps or b not in steps
                                                                   or steps.index(b) > steps.index(a)):
            c = "skip"
            sk = nx.shortest_path(nxt, a, b)[1:-1]
        elif a in steps and b in steps and steps.index(b) < steps.index(a):
            c = "backward"
        else:
            c = "unexpected"
        classes.append(c)
        skipped.append(sk)
    table = pd.DataFrame({"source": names[uniq // k], "target": names[uniq % k], "count": counts,
                          "class": classes, "skipped": [", ".join(s) for s in skipped]})
    cls = np.array(classes, dtype=object)[inverse] if len(inverse) else np.array([], dtype=object)
    n_skip = np.array([len(s) for s in skipped])[inverse] if len(inverse) else np.array([], dtype=int)
    per = pd.DataFrame({"c": owner, "designed": cls == "designed", "unexpected": cls == "unexpected",
                        "skipped": n_skip}).groupby("c").agg(transitions=("designed", "size"),
                                                             designed=("designed", "sum"),
                                                             unexpected=("unexpected", "sum"),
                                                             skipped_steps=("skipped", "sum"))
    per = per.reindex(range(len(case_names)), fill_value=0)
    per["fitness"] = np.where(per["transitions"] > 0, per["designed"] / per["transitions"].replace(0, 1), 1.0)
    per.index = pd.Index(case_names, name=case)
    per = per.sort_values(["fitness", "unexpected", "skipped_steps"], ascending=[True, False, False], kind="stable")
    total = int(counts.sum())
    summary = {"transitions": total, "cases": int(len(case_names)),
               "designed_share": float(counts[np.array(classes) == "designed"].sum() / total) if total else np.nan,
               **{c: int(counts[np.array(classes) == c].sum()) for c in ("designed", "skip", "backward", "unexpected")},
               "mean_fitness": float(per["fitness"].mean()) if len(per) else np.nan}
    return summary, table.sort_values("count", ascending=False).reset_index(drop=True), per[
        ["transitions", "designed", "fitness", "skipped_steps", "unexpected"]]


def dropoff_and_opportunity(funnel_table, unmet):
    """Steps where customers drop off and needs are underserved at once: the places to act.

    Parameters
    ----------
    funnel_table : pandas.DataFrame
        From :func:`funnel`.
    unmet : pandas.DataFrame
        From :func:`cem.needs.unmet_by_step`.

    Returns
    -------
    pandas.DataFrame
        ``step, name, drop_off, max_opportunity, unmet``, and ``both_high``: drop-off above the
        journey's median and an opportunity above 10; both-high steps first.
    """
    joined = funnel_table[["step", "name", "drop_off"]].merge(unmet[["step", "max_opportunity", "unmet"]],
                                                              on="step", how="left")
    median = joined["drop_off"].median()
    joined["both_high"] = (joined["drop_off"] > median) & (joined["max_opportunity"] > 10)
    return joined.sort_values(["both_high", "drop_off"], ascending=[False, False]).reset_index(drop=True)
