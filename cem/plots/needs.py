"""Figures of the customer's needs: the opportunity landscape (one or one per segment), unmet need
per step or actor, and needs by step and actor as a heat map."""
from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from ..graph import journey_steps, needs_at, nodes_of, related
from ..needs import priority_class
from ..schema import EXTREME_OPPORTUNITY, HIGH_OPPORTUNITY, UNDERSERVED
from ._style import _plain, _plt, _wrap

if TYPE_CHECKING:
    import networkx as nx
    import pandas as pd
    from matplotlib.axes import Axes
    import numpy as np

__all__ = ["opportunity_landscape", "opportunity_landscapes", "unmet_chart", "needs_heatmap"]


#: Bar colour of an opportunity by its class (:func:`cem.needs.priority_class`).
_PRIORITY_COLORS = {"extreme": "#c0392b", "high": "#e67e22", "moderate": "#f1c40f", "": "#95a5a6"}
_SERVED_COLORS = {"underserved": "#c0392b", "appropriately served": "#7f8c8d", "overserved": "#2980b9", "": "#bbbbbb"}


def opportunity_landscape(opp: pd.DataFrame, *, ax: Axes | None = None, top: int = 8,
                          title: str | None = None) -> Axes:
    """The opportunity landscape: importance (x) against satisfaction (y), 0..10.

    The lines ``Opp = 10, 12, 15`` (``S = 2I - Opp``) bound the underserved, high and extreme
    zones (lower right); above the diagonal ``S = I`` needs are overserved. The ``top`` needs
    by opportunity are labelled with their id.

    Parameters
    ----------
    opp : pandas.DataFrame
        One block of :func:`cem.needs.opportunity` (filter a segment first).
    ax : matplotlib.axes.Axes, optional
    top : int
        How many needs to label.
    title : str, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    plt = _plt()
    if ax is None:
        _, ax = plt.subplots(figsize=(6.5, 6))
    x = [0, 10]
    ax.plot(x, x, color="#95a5a6", lw=0.8, ls=":")
    for level, style in ((UNDERSERVED, "-"), (HIGH_OPPORTUNITY, "--"), (EXTREME_OPPORTUNITY, "-.")):
        i0 = level / 2
        ax.plot([i0, 10], [0, 20 - level], color="#c0392b", lw=0.9, ls=style, alpha=0.8)
        ax.text(10.05, 20 - level, f"Opp {level:g}", fontsize=7, color="#c0392b", va="center")
    ax.text(1, 9.3, "overserved", fontsize=8, color="#2980b9")
    data = opp.dropna(subset=["importance", "satisfaction"])
    colors = [_SERVED_COLORS.get(s, "#bbbbbb") for s in data["served"]]
    ax.scatter(data["importance"], data["satisfaction"], c=colors, s=22, alpha=0.85, edgecolors="white", lw=0.5)
    _label_points(ax, data.nlargest(top, "opportunity"))
    ax.set_xlim(0, 10)
    ax.set_ylim(0, 10)
    ax.set_xlabel("importance (% rating 4-5, /10)")
    ax.set_ylabel("satisfaction (% rating 4-5, /10)")
    ax.set_aspect("equal")
    ax.set_title(_plain(title or "Opportunity landscape"), loc="left", fontsize=10)
    ax.spines[["top", "right"]].set_visible(False)
    return ax


def _label_points(ax, rows, gap=0.45):
    """Label points with their need id, each label on its own line so none overlap.

    Labels keep the points' vertical order, at least ``gap`` apart, to the left of their point
    (to the right for points near the left edge), joined to it by a thin line.
    """
    rows = rows.sort_values("satisfaction")
    ys = []
    for y in rows["satisfaction"]:
        ys.append(max(y, ys[-1] + gap) if ys else y)
    shift = max(0.0, ys[-1] - 9.7) if ys else 0.0  # keep the top label inside the axes
    for row, y in zip(rows.itertuples(), ys):
        left = row.importance > 2.5
        ax.annotate(_plain(row.need_id), (row.importance, row.satisfaction),
                    xytext=(row.importance - 0.7 if left else row.importance + 0.7, y - shift), fontsize=7,
                    ha="right" if left else "left", va="center", arrowprops=dict(arrowstyle="-", lw=0.4,
                                                                                  color="#7f8c8d"))


def opportunity_landscapes(opp: pd.DataFrame, by: str, *, axes: np.ndarray | Sequence[Axes] | None = None,
                           top: int = 5) -> np.ndarray | Sequence[Axes]:
    """One opportunity landscape per segment, side by side; returns the array of axes."""
    plt = _plt()
    segments = list(dict.fromkeys(opp[by].dropna()))
    if axes is None:
        cols = min(len(segments), 3)
        rows = -(-len(segments) // cols)
        _, axes = plt.subplots(rows, cols, figsize=(5 * cols, 4.8 * rows), squeeze=False)
    flat = list(getattr(axes, "flat", axes))
    for ax, seg in zip(flat, segments):
        opportunity_landscape(opp[opp[by] == seg], ax=ax, top=top, title=f"{by} = {seg}")
    for ax in flat[len(segments):]:
        ax.axis("off")
    return axes


def unmet_chart(rollup: pd.DataFrame, *, ax: Axes | None = None, label: str = "name") -> Axes:
    """Unmet need per step (or actor) as bars, in the order given; the colour shows its largest
    opportunity (red: some need is underserved).

    Parameters
    ----------
    rollup : pandas.DataFrame
        From :func:`cem.needs.unmet_by_step` or :func:`cem.needs.unmet_by_actor`.
    """
    plt = _plt()
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 0.32 * max(len(rollup), 4) + 1))
    labels = ["\n".join(_wrap(t, 40, 2)) for t in rollup[label].fillna("")]
    colors = [_PRIORITY_COLORS[priority_class(o)] for o in rollup["max_opportunity"]]
    y = range(len(rollup))
    ax.barh(list(y), rollup["unmet"], color=colors)
    ax.set_yticks(list(y), labels, fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel("unmet need: sum of max(I - S, 0) over the needs")
    ax.spines[["top", "right"]].set_visible(False)
    return ax


def needs_heatmap(G: nx.MultiDiGraph, opp: pd.DataFrame | None = None, *, ax: Axes | None = None) -> Axes:
    """Needs per step and actor: how many needs each actor has at each customer step, or, given
    the survey's opportunity table, the largest opportunity there (the hot spots).

    Parameters
    ----------
    G : networkx.MultiDiGraph
    opp : pandas.DataFrame, optional
        From :func:`cem.needs.opportunity`.
    """
    plt = _plt()
    import numpy as np

    steps = journey_steps(G)
    actors = [a for a in nodes_of(G, "actor") if any(G.has_edge(a, n, "has_need") for n in related(G, a, "has_need"))]
    score = {}
    if opp is not None:
        for row in opp.dropna(subset=["step", "actor", "opportunity"]).itertuples():
            key = (row.step, row.actor)
            score[key] = max(score.get(key, 0), row.opportunity)
    M = np.full((len(actors), len(steps)), np.nan)
    for i, a in enumerate(actors):
        for j, s in enumerate(steps):
            n = len(needs_at(G, s, actor=a))
            if opp is not None:
                M[i, j] = score.get((s, a), np.nan)
            elif n:
                M[i, j] = n
    if ax is None:
        _, ax = plt.subplots(figsize=(max(7, 1.0 * len(steps) + 3.5), 0.45 * max(len(actors), 3) + 2))
    cmap = plt.get_cmap("Reds" if opp is not None else "Blues").with_extremes(bad="#f4f6f7")
    im = ax.imshow(np.ma.masked_invalid(M), aspect="auto", cmap=cmap, vmin=0, vmax=20 if opp is not None else None)
    for i in range(len(actors)):
        for j in range(len(steps)):
            if not np.isnan(M[i, j]):
                ax.text(j, i, f"{M[i, j]:.0f}", ha="center", va="center", fontsize=7)
    ax.set_xticks(range(len(steps)), ["\n".join(_wrap(G.nodes[s].get("name", s), 13, 3)) for s in steps],
                  fontsize=6)
    ax.set_yticks(range(len(actors)), [_plain(G.nodes[a].get("name", a)) for a in actors], fontsize=7)
    ax.figure.colorbar(im, ax=ax, label="largest opportunity" if opp is not None else "needs", shrink=0.8)
    ax.set_title("Needs by step and actor" + (": where opportunity is highest" if opp is not None else ""),
                 loc="left", fontsize=10)
    return ax
