"""Figures of the journeys customers actually take (from an event log): the flow over the designed
journey, the funnel, and the most frequent variants."""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..graph import journey_steps
from ._style import _plt, _wrap

if TYPE_CHECKING:
    import networkx as nx
    import pandas as pd
    from matplotlib.axes import Axes

__all__ = ["flow_map", "funnel_chart", "variants_chart"]


def flow_map(G: nx.MultiDiGraph, transitions: pd.DataFrame, *, ax: Axes | None = None,
             min_share: float = 0.005) -> Axes:
    """The actual flow drawn over the designed journey.

    Customer steps stand left to right in the designed order. Grey arcs below the line are the
    designed ``next`` edges; arcs above are the observed transitions between different steps,
    their width by volume: blue where the design has them, red where it does not (skips,
    returns, unexpected paths). Transitions under ``min_share`` of all are left out for
    legibility.

    Parameters
    ----------
    G : networkx.MultiDiGraph
    transitions : pandas.DataFrame
        ``source, target, count`` between steps (:func:`cem.journeys.dfg` on ``step``).
    """
    plt = _plt()
    from matplotlib.patches import FancyArrowPatch

    steps = journey_steps(G)
    x = {s: i for i, s in enumerate(steps)}
    if ax is None:
        _, ax = plt.subplots(figsize=(max(8, 1.25 * len(steps)), 5.5))
    t = transitions[(transitions["source"] != transitions["target"]) & transitions["source"].isin(x)
                    & transitions["target"].isin(x)]
    total = t["count"].sum() or 1
    t = t[t["count"] / total >= min_share]
    top = t["count"].max() if len(t) else 1
    for u, v, k in G.edges(keys=True):
        if k == "next" and u in x and v in x:
            ax.add_patch(FancyArrowPatch((x[u], -0.15), (x[v], -0.15), connectionstyle=f"arc3,rad={0.25 if x[v] > x[u] else -0.25}",
                                         arrowstyle="-|>", mutation_scale=8, color="#b3b6b7", lw=1.2))
    for row in t.itertuples():
        designed = G.has_edge(row.source, row.target, "next")
        a, b = x[row.source], x[row.target]
        rad = -0.35 if b > a else 0.35
        ax.add_patch(FancyArrowPatch((a, 0.15), (b, 0.15), connectionstyle=f"arc3,rad={rad}", arrowstyle="-|>",
                                     mutation_scale=10, lw=0.6 + 6 * row.count / top, alpha=0.75,
                                     color="#2e86c1" if designed else "#c0392b"))
    for s, i in x.items():
        ax.text(i, 0, "\n".join(_wrap(G.nodes[s].get("name", s), 14, 3)), ha="center", va="center", fontsize=7,
                bbox=dict(boxstyle="round,pad=0.3", fc="white", ec="#5d6d7e", lw=0.8))
    span = max(len(steps) - 1, 1)
    ax.set_xlim(-0.7, len(steps) - 0.3)
    ax.set_ylim(-0.6 - 0.05 * span, 0.6 + 0.18 * span)
    ax.axis("off")
    from matplotlib.lines import Line2D

    ax.legend(handles=[Line2D([], [], color="#2e86c1", lw=3, label="observed, designed"),
                       Line2D([], [], color="#c0392b", lw=3, label="observed, not designed"),
                       Line2D([], [], color="#b3b6b7", lw=1.5, label="designed order")],
              loc="lower left", frameon=False, fontsize=8, ncol=3)
    ax.set_title("Actual flow over the designed journey (width: volume)", loc="left", fontsize=10)
    return ax


def funnel_chart(funnel: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Customers reaching each designed step, as bars in the journey's order, with the drop-off."""
    plt = _plt()
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 0.35 * max(len(funnel), 4) + 1))
    y = list(range(len(funnel)))
    ax.barh(y, funnel["customers"], color="#5dade2")
    for i, (n, d) in enumerate(zip(funnel["customers"], funnel["drop_off"])):
        label = f"{n:,}" + (f"  (-{d:.0%})" if pd_notna(d) and d > 0 else "")
        ax.text(n, i, " " + label, va="center", fontsize=7)
    ax.set_yticks(y, ["\n".join(_wrap(t, 36, 2)) for t in funnel["name"].fillna(funnel["step"])], fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel("customers reaching the step")
    ax.spines[["top", "right"]].set_visible(False)
    return ax


def variants_chart(variants: pd.DataFrame, *, ax: Axes | None = None, top: int = 10) -> Axes:
    """The most frequent variants (paths) and the share of cases that take each."""
    plt = _plt()
    head = variants.head(top)
    if ax is None:
        _, ax = plt.subplots(figsize=(9, 0.5 * max(len(head), 3) + 1))
    y = list(range(len(head)))
    ax.barh(y, head["share"] * 100, color="#48c9b0")
    labels = []
    for v in head["variant"]:
        parts = v.split(" > ")
        text = " > ".join(parts) if len(parts) <= 6 else " > ".join(parts[:3] + ["..."] + parts[-2:])
        labels.append("\n".join(_wrap(text, 70, 2)))
    ax.set_yticks(y, labels, fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel("share of cases (%)")
    ax.spines[["top", "right"]].set_visible(False)
    return ax


def pd_notna(value):
    """True for a value that is neither None nor NaN."""
    return value is not None and value == value
