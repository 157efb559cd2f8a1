"""The journey customers take, from their events: directly-follows graph, variants, funnel,
durations, rework, and conformance with the designed journey.

Every function takes the events table of :func:`cem.readers.read_events` (or of
:meth:`cem.study.Study.events`): one row per event, ``customer_id``, ``timestamp`` and ``step``.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .schema import UNDERSERVED

if TYPE_CHECKING:
    import networkx as nx

__all__ = ["dfg", "variants", "funnel", "case_durations", "rework", "conformance",
           "dropoff_and_opportunity"]


#: Below this many transitions the DFG sorts times too (no loop); above, a loop over pairs.
_SMALL_LOG = 200_000


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


def dfg(events: pd.DataFrame, *, activity: str = "step", case: str = "customer_id",
        timestamp: str = "timestamp") -> pd.DataFrame:
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


def variants(events: pd.DataFrame, *, activity: str = "step", case: str = "customer_id",
             timestamp: str = "timestamp") -> pd.DataFrame:
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


def funnel(events: pd.DataFrame, G: nx.MultiDiGraph, *, case: str = "customer_id") -> pd.DataFrame:
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


def case_durations(events: pd.DataFrame, *, case: str = "customer_id", timestamp: str = "timestamp") -> pd.DataFrame:
    """Time from each case's first to its last event, in days, with its number of events."""
    g = events.groupby(case)[timestamp]
    return pd.DataFrame({"days": (g.max() - g.min()) / pd.Timedelta(days=1), "events": g.size()})


def rework(events: pd.DataFrame, *, activity: str = "step", case: str = "customer_id") -> pd.DataFrame:
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
    act = visits.index.get_level_values(0)
    # Per activity, vectorised (no Python function per group): cases reaching it, cases back
    # there more than once, and the returns beyond the first.
    per_act = pd.DataFrame({"reached": 1, "cases": (visits.to_numpy() > 1).astype(int),
                            "extra_visits": visits.to_numpy() - 1},
                           index=act).groupby(level=0).sum()
    out = pd.DataFrame({"activity": names[per_act.index], "reached": per_act["reached"].to_numpy(),
                        "cases": per_act["cases"].to_numpy(), "extra_visits": per_act["extra_visits"].to_numpy()})
    out["share"] = out["cases"] / out["reached"]
    out = out[out["cases"] > 0][["activity", "cases", "share", "extra_visits"]]
    return out.sort_values("cases", ascending=False).reset_index(drop=True)


def conformance(events: pd.DataFrame, G: nx.MultiDiGraph, *,
                case: str = "customer_id") -> tuple[dict, pd.DataFrame, pd.DataFrame]:
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


def dropoff_and_opportunity(funnel_table: pd.DataFrame, unmet: pd.DataFrame) -> pd.DataFrame:
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
    joined["both_high"] = (joined["drop_off"] > median) & (joined["max_opportunity"] > UNDERSERVED)
    return joined.sort_values(["both_high", "drop_off"], ascending=[False, False]).reset_index(drop=True)
