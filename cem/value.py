"""Value created at each step of the journey.

:func:`step_value` puts, for every customer step in the designed order:

* from the needs (the survey's opportunity table): the importance-weighted satisfaction
  ``experience = sum(I * S) / sum(I * 10)`` (0..1) and the unmet part ``unmet = sum(max(I - S, 0))``;
* from the events: ``customers`` reaching the step, ``conversion`` (the share of them seen later at
  a step the designed order reaches from it, an optional step skipped or not; the last step's loop
  back to the start counts customers who came back), ``through`` (of the customers seen at those later steps, the
  share who came from this step: where few did, the next step is a side path and a low conversion
  is no drop-off), ``interactions``, ``cost_to_serve`` (the events' ``cost``, or the
  touchpoint's cost per interaction times the interactions), ``revenue`` and ``net`` (revenue -
  cost), and the mean ``rating``;
* cumulative along the designed order: ``cum_cost``, ``cum_revenue``, ``cum_net``,
  ``cum_unmet``, and ``cum_experience`` (importance-weighted over the steps so far).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import networkx as nx
import numpy as np
import pandas as pd

from .graph import journey_steps, next_steps

__all__ = ["step_value", "value_metrics", "defined_conversion", "MIN_THROUGH", "MIN_DROP_OFF"]

#: Least share of a step's designed successors' customers who came from it for its conversion to
#: count as a drop-off (:func:`value_metrics`): the end of a service journey, followed in the design
#: by a step customers reach another way (a help desk's upgrade), is not its weakest step.
MIN_THROUGH = 0.5
#: Least share of a step's customers not seen going on for :func:`value_metrics` to name a drop-off.
MIN_DROP_OFF = 0.05


def _needs_part(needs, keys):
    d = needs.dropna(subset=["step", "importance", "satisfaction"]).copy()
    d["_is"] = d["importance"] * d["satisfaction"]
    d["_i10"] = d["importance"] * 10
    d["_unmet"] = (d["importance"] - d["satisfaction"]).clip(lower=0)
    g = d.groupby(keys, sort=False)
    out = pd.DataFrame({"needs": g.size(), "_is": g["_is"].sum(), "_i10": g["_i10"].sum(), "unmet": g["_unmet"].sum()})
    out["experience"] = out["_is"] / out["_i10"].replace(0, np.nan)
    return out


def _later_steps(G, step, order):
    """The steps the designed order reaches from ``step`` without going back through its job's first
    step, and its direct successors (so the last step's loop back to the start counts customers who
    came back): a customer seen later at any of them went on, skipping an optional step or not."""
    succ = set(next_steps(G, step))
    job = G.nodes[step].get("job")
    firsts = {s for s in order.nodes if G.nodes[s].get("job") == job and G.nodes[s].get("position") == min(
        (G.nodes[x].get("position", 0) for x in order.nodes if G.nodes[x].get("job") == job), default=0)}
    if step in order:
        sub = order.subgraph(n for n in order.nodes if n not in firsts or n == step)
        succ |= nx.descendants(sub, step)
    succ.discard(step)
    return sorted(succ)


def _events_part(G, events, keys, by):
    e = events.dropna(subset=["step"])
    cost = e["cost"] if "cost" in e.columns else None
    if cost is None and "touchpoint" in e.columns:
        unit = {t: float(G.nodes[t].get("cost", 0.0)) for t in e["touchpoint"].dropna().unique() if t in G}
        cost = e["touchpoint"].map(unit)
    e = e.assign(_cost=cost if cost is not None else np.nan,
                 _revenue=e["revenue"] if "revenue" in e.columns else np.nan,
                 _rating=e["rating"] if "rating" in e.columns else np.nan)
    g = e.groupby(keys, sort=False)
    out = pd.DataFrame({"customers": g["customer_id"].nunique(), "interactions": g.size(),
                        "cost_to_serve": g["_cost"].sum(min_count=1), "revenue": g["_revenue"].sum(min_count=1),
                        "rating": g["_rating"].mean()})
    # Conversion: of the customers at a step, the share seen later at one of its designed successors
    # (later in time, so a loop back to the first step counts only customers who came back).
    seg_keys = ([by] if by else []) + ["step", "customer_id"]
    first = e.groupby(seg_keys)["timestamp"].min()
    last = e.groupby(seg_keys)["timestamp"].max()
    conv, through = {}, {}
    later_steps = {}
    order = nx.DiGraph((u, v) for u, v, k in G.edges(keys=True) if k == "next")
    for idx in out.index:
        seg, step = (idx if by else (None, idx))
        pre = (seg,) if by else ()
        succ = later_steps.get(step)
        if succ is None:
            succ = later_steps[step] = _later_steps(G, step, order)
        try:
            here = first.loc[pre + (step,)]
        except KeyError:
            continue
        if not succ:
            conv[idx] = through[idx] = np.nan
            continue
        later = pd.Series(False, index=here.index)
        reached = pd.Index([])
        for s2 in succ:
            try:
                then = last.loc[pre + (s2,)]
            except KeyError:
                continue
            later |= then.reindex(here.index).gt(here).fillna(False)
            reached = reached.union(then.index)
        conv[idx] = float(later.mean())
        through[idx] = float(later.sum() / len(reached)) if len(reached) else np.nan
    out["conversion"] = pd.Series(conv)
    out["through"] = pd.Series(through)
    return out


def step_value(G: nx.MultiDiGraph, needs: pd.DataFrame | None = None, events: pd.DataFrame | None = None, *,
               by: str | None = None) -> pd.DataFrame:
    """Value created and lost at each customer step, and cumulated along the journey.

    Parameters
    ----------
    G : networkx.MultiDiGraph
    needs : pandas.DataFrame, optional
        From :func:`cem.needs.opportunity` (with ``by`` the same segment column when given).
    events : pandas.DataFrame, optional
        From :func:`cem.journeys.read_events` (joined with customers for ``by``).
    by : str, optional
        A segment column present in ``needs`` and ``events``: one block of steps per segment.

    Returns
    -------
    pandas.DataFrame
        One row per customer step (per segment) in the designed order; see the module
        docstring for the columns. Steps no data speaks about keep NaN.

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.MultiDiGraph()
    >>> G.add_node("J", kind="job", performer="customer")
    >>> for i, s in enumerate(["A", "B"], 1):
    ...     G.add_node(s, kind="step", job="J", position=i, name=s, stage="use")
    ...     _ = G.add_edge("J", s, key="has_step")
    >>> _ = G.add_edge("A", "B", key="next")
    >>> needs = pd.DataFrame({"step": ["A", "A", "B"], "importance": [8.0, 4.0, 6.0],
    ...                       "satisfaction": [2.0, 6.0, 6.0]})
    >>> step_value(G, needs)[["step", "experience", "unmet", "cum_unmet"]].round(3).values.tolist()
    [['A', 0.333, 6.0, 6.0], ['B', 0.6, 0.0, 6.0]]
    """
    steps = journey_steps(G)
    keys = ([by] if by else []) + ["step"]
    segments = [None]
    parts = []
    if needs is not None:
        parts.append(_needs_part(needs, keys))
    if events is not None:
        parts.append(_events_part(G, events, keys, by))
    if by:
        segments = sorted(set().union(*[set(p.index.get_level_values(0)) for p in parts])) if parts else []
    index = pd.MultiIndex.from_product([segments, steps], names=keys) if by else pd.Index(steps, name="step")
    out = pd.DataFrame(index=index)
    for p in parts:
        out = out.join(p, how="left")
    out = out.reset_index()
    out.insert(len(keys), "name", out["step"].map(lambda s: G.nodes[s].get("name")))
    out.insert(len(keys) + 1, "stage", out["step"].map(lambda s: G.nodes[s].get("stage")))
    if "cost_to_serve" in out.columns:
        out["net"] = out["revenue"].fillna(0) - out["cost_to_serve"].fillna(0)
    grouped = out.groupby(by, sort=False) if by else None
    for col, cum in (("cost_to_serve", "cum_cost"), ("revenue", "cum_revenue"), ("net", "cum_net"),
                     ("unmet", "cum_unmet")):
        if col in out.columns:
            out[cum] = (grouped[col] if by else out[col]).transform(lambda s: s.fillna(0).cumsum())
    if "_is" in out.columns:
        num = (grouped["_is"] if by else out["_is"]).transform(lambda s: s.fillna(0).cumsum())
        den = (grouped["_i10"] if by else out["_i10"]).transform(lambda s: s.fillna(0).cumsum())
        out["cum_experience"] = num / den.replace(0, np.nan)
        out = out.drop(columns=["_is", "_i10"])
    return out


def defined_conversion(values: pd.DataFrame) -> pd.Series:
    """Each step's conversion where it measures a drop-off (:data:`MIN_THROUGH`), NaN elsewhere.

    Examples
    --------
    >>> v = pd.DataFrame({"conversion": [0.8, 0.0], "through": [0.9, 0.0]})
    >>> defined_conversion(v).tolist()
    [0.8, nan]
    """
    if "through" not in values.columns:
        return values["conversion"]
    return values["conversion"].where(values["through"] >= MIN_THROUGH)


def value_metrics(values: pd.DataFrame, value_model: object = None) -> dict:
    """Key figures of a step-value table for ``metrics.json``.

    ``value_model``: the run's value model (:class:`cem.clv.ValueModel`), named with its base value.
    ``largest_drop_off`` is the step of lowest conversion among those whose conversion is a
    drop-off: not the last step, at least :data:`MIN_THROUGH` of the customers at its later steps
    came from it, and at least :data:`MIN_DROP_OFF` of its customers do not go on; none otherwise.

    Examples
    --------
    >>> v = pd.DataFrame({"step": ["A", "B", "C"], "name": ["a", "b", "c"], "conversion": [0.8, 0.0, None],
    ...                   "through": [0.9, 0.0, None]})
    >>> value_metrics(v)["largest_drop_off"]["step"]  # B's successor is reached by other paths
    'A'
    """
    out = {"steps": int(len(values))}
    if "experience" in values.columns and values["experience"].notna().any():
        worst = values.loc[values["experience"].idxmin()]
        out["lowest_experience"] = {"step": worst["step"], "name": worst["name"],
                                    "experience": round(float(worst["experience"]), 3)}
        out["journey_experience"] = round(float(values["cum_experience"].dropna().iloc[-1]), 3)
    # The last step leads only back to the start (the next cycle): not a drop-off between steps; nor is
    # a step whose designed successor customers mostly reach by another path (MIN_THROUGH).
    inner = values.iloc[:-1]
    if "through" in inner.columns:
        inner = inner[inner["through"] >= MIN_THROUGH]
    if "conversion" in inner.columns:
        inner = inner[inner["conversion"] <= 1 - MIN_DROP_OFF]  # nobody to speak of lost: no weakest step
    if "conversion" in inner.columns and inner["conversion"].notna().any():
        drop = inner.loc[inner["conversion"].idxmin()]
        out["largest_drop_off"] = {"step": drop["step"], "name": drop["name"],
                                   "conversion": round(float(drop["conversion"]), 3)}
    if "cum_net" in values.columns:
        out["net_value"] = round(float(values["cum_net"].iloc[-1]), 2)
        out["cost_to_serve"] = round(float(values["cum_cost"].iloc[-1]), 2)
    if value_model is not None:
        out["value_model"] = {"model": value_model.model, "base_value": value_model.to_dict()["base_value"]}
    else:
        out["value_model"] = None
    return out
