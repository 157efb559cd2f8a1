"""Figures of the customer's needs: the opportunity landscape (one or one per segment), unmet need
per step or actor, and needs by step and actor as a heat map."""
from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from ..graph import journey_steps, needs_at, nodes_of, related
from ..needs import priority_class
from ..schema import EXTREME_OPPORTUNITY, HIGH_OPPORTUNITY, UNDERSERVED
from ._style import _plain, _plt, _wrap
from .style import PALETTE, figure_style, finish_axes, new_figure

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
                          title: str | None = None, size: str = "screen", key: bool = True) -> Axes:
    """The opportunity landscape: importance (x) against satisfaction (y), 0..10.

    The lines ``Opp = 10, 12, 15`` (``S = 2I - Opp``) bound the underserved, high and extreme
    zones (lower right); above the diagonal ``S = I`` needs are overserved. The ``top`` needs
    by opportunity are numbered 1, 2, ... (largest first) beside their points, each number on its
    own line so none collide, and a key under the chart gives each number's need statement.

    Parameters
    ----------
    opp : pandas.DataFrame
        One block of :func:`cem.needs.opportunity` (filter a segment first).
    ax : matplotlib.axes.Axes, optional
    top : int
        How many needs to label.
    title : str, optional
    size : {"screen", "print"}
    key : bool
        Write the key of the numbered needs under the chart.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import pandas as pd
    >>> opp = pd.DataFrame({"need_id": ["N1", "N2"], "statement": ["Minimize the wait", "Maximize savings"],
    ...                     "importance": [9.0, 3.0], "satisfaction": [2.0, 6.0], "opportunity": [16.0, 3.0],
    ...                     "served": ["underserved", "overserved"]})
    >>> ax = opportunity_landscape(opp, top=2)
    >>> [t.get_text() for t in ax.texts if t.get_text().isdigit()]
    ['1', '2']
    """
    with figure_style(size) as m:
        if ax is None:
            side = min(m.width, 6.5)
            _, ax = new_figure(m, side + (0.17 * top * m.small / 7 + 0.2 if key else 0), width=side)
        x = [0, 10]
        ax.plot(x, x, color=PALETTE["neutral"], lw=0.8, ls=":")
        for level, style in ((UNDERSERVED, "-"), (HIGH_OPPORTUNITY, "--"), (EXTREME_OPPORTUNITY, "-.")):
            i0 = level / 2
            ax.plot([i0, 10], [0, 20 - level], color=PALETTE["bad"], lw=0.9, ls=style, alpha=0.8)
            # Inside the axes, at the line's top end, so nothing runs into a neighbouring chart.
            ax.text(9.9, 20 - level + 0.15, f"Opp {level:g}", fontsize=m.min_font, color=PALETTE["bad"],
                    ha="right", va="bottom", rotation=0)
        ax.text(0.3, 9.6, "overserved", fontsize=m.small, color="#2980b9", va="top")
        data = opp.dropna(subset=["importance", "satisfaction"])
        colors = [_SERVED_COLORS.get(s, "#bbbbbb") for s in data["served"]]
        ax.scatter(data["importance"], data["satisfaction"], c=colors, s=22, alpha=0.85, edgecolors="white", lw=0.5,
                   clip_on=False)
        labelled = data.nlargest(top, "opportunity")
        _label_points(ax, labelled, m)
        ax.set_xlim(0, 10)
        ax.set_ylim(0, 10)
        ax.set_xlabel("importance (% rating 4-5, /10)")
        ax.set_ylabel("satisfaction (% rating 4-5, /10)")
        ax.set_aspect("equal")
        ax.set_title(_plain(title or "Opportunity landscape"), fontsize=m.title)
        if key and len(labelled):
            width = max(30, int(ax.figure.get_figwidth() * ax.get_position().width * 72 / (0.55 * m.small)) - 8)
            lines = []
            for k, row in enumerate(labelled.itertuples(), start=1):
                text = getattr(row, "statement", None) or row.need_id
                wrapped = _wrap(text if isinstance(text, str) else row.need_id, width, 2)
                lines.append(f"{k:>2}  {wrapped[0]}" + "".join(f"\n      {w}" for w in wrapped[1:]))
            # Under the x axis' label wherever the layout puts it: anchored to the label's box.
            ax.annotate("\n".join(lines), xy=(0, 0), xycoords=("axes fraction", ax.xaxis.label), xytext=(0, -4),
                        textcoords="offset points", ha="left", va="top", fontsize=m.small, linespacing=1.25)
        finish_axes(ax, m)
    return ax


def _label_points(ax, rows, m, gap=None):
    """Number points 1, 2, ... by opportunity, each number on its own line so none overlap.

    Numbers keep the points' vertical order, at least ``gap`` apart (a line of the font, in data
    units of the axes' height), to the left of their point (to the right for points near the left
    edge), joined to it by a thin line.
    """
    fig = ax.figure
    axes_in = fig.get_figheight() * ax.get_position().height
    if gap is None:
        gap = max(0.35, 10 * (m.small * 1.5 / 72) / max(axes_in, 1.0))
    number = {need: k for k, need in enumerate(rows["need_id"], start=1)}
    rows = rows.sort_values("satisfaction")
    ys = []
    for y in rows["satisfaction"]:
        ys.append(max(y, ys[-1] + gap) if ys else max(y, gap / 2))
    shift = max(0.0, ys[-1] - (10 - gap / 2)) if ys else 0.0  # keep the top label inside the axes
    for row, y in zip(rows.itertuples(), ys):
        left = row.importance > 2.5
        ax.annotate(str(number[row.need_id]), (row.importance, row.satisfaction),
                    xytext=(row.importance - 0.7 if left else row.importance + 0.7, y - shift), fontsize=m.small,
                    ha="right" if left else "left", va="center", fontweight="bold",
                    arrowprops=dict(arrowstyle="-", lw=0.4, color="#7f8c8d"))


def opportunity_landscapes(opp: pd.DataFrame, by: str, *, axes: np.ndarray | Sequence[Axes] | None = None,
                           top: int = 5, size: str = "screen") -> np.ndarray | Sequence[Axes]:
    """One opportunity landscape per segment, side by side, each with its key of numbered needs;
    returns the array of axes.

    Examples
    --------
    >>> import pandas as pd
    >>> opp = pd.DataFrame({"need_id": ["N1", "N1"], "statement": ["Minimize the wait"] * 2,
    ...                     "importance": [9.0, 4.0], "satisfaction": [2.0, 6.0], "opportunity": [16.0, 4.0],
    ...                     "served": ["underserved", "appropriately served"], "segment": ["a", "b"]})
    >>> [ax.get_title(loc="left") for ax in opportunity_landscapes(opp, "segment").flat]
    ['segment = a', 'segment = b']
    """
    segments = list(dict.fromkeys(opp[by].dropna()))
    with figure_style(size) as m:
        if axes is None:
            cols = min(len(segments), 2 if m.name == "print" else 3)
            rows = -(-len(segments) // cols)
            side = m.width / cols
            _, axes = new_figure(m, rows * (side + 0.3 * top * m.small / 7 + 0.6), nrows=rows, ncols=cols,
                                 squeeze=False)
        flat = list(getattr(axes, "flat", axes))
        for ax, seg in zip(flat, segments):
            opportunity_landscape(opp[opp[by] == seg], ax=ax, top=top, title=f"{by} = {seg}", size=m)
        for ax in flat[len(segments):]:
            ax.axis("off")
    return axes


def unmet_chart(rollup: pd.DataFrame, *, ax: Axes | None = None, label: str = "name", size: str = "screen") -> Axes:
    """Unmet need per step (or actor) as bars, in the order given; the colour shows its largest
    opportunity (red: some need is underserved).

    Parameters
    ----------
    rollup : pandas.DataFrame
        From :func:`cem.needs.unmet_by_step` or :func:`cem.needs.unmet_by_actor`.
    ax : matplotlib.axes.Axes, optional
    label : str
        The column naming each bar.
    size : {"screen", "print"}

    Examples
    --------
    >>> import pandas as pd
    >>> rollup = pd.DataFrame({"name": ["Book", "Pay"], "unmet": [3.0, 0.5], "max_opportunity": [13.0, 6.0]})
    >>> [t.get_text() for t in unmet_chart(rollup).get_yticklabels()]
    ['Book', 'Pay']
    """
    with figure_style(size) as m:
        if ax is None:
            per_row = 0.34 if m.name == "print" else 0.4
            _, ax = new_figure(m, per_row * max(len(rollup), 4) + 1.0)
        labels = ["\n".join(_wrap(t, 34, 2)) for t in rollup[label].fillna("")]
        colors = [_PRIORITY_COLORS[priority_class(o)] for o in rollup["max_opportunity"]]
        y = list(range(len(rollup)))
        ax.barh(y, rollup["unmet"], color=colors, height=0.7)
        ax.set_yticks(y, labels)
        ax.set_ylim(len(rollup) - 0.5, -0.5)
        ax.set_xlabel("unmet need: sum of max(I - S, 0) over the needs")
        finish_axes(ax, m, grid="x")
    return ax


def needs_heatmap(G: nx.MultiDiGraph, opp: pd.DataFrame | None = None, *, ax: Axes | None = None,
                  size: str = "screen") -> Axes:
    """Needs per step and actor: how many needs each actor has at each customer step, or, given
    the survey's opportunity table, the largest opportunity there (the hot spots).

    Steps are rows in the journey's order (named in full), actors columns.

    Parameters
    ----------
    G : networkx.MultiDiGraph
    opp : pandas.DataFrame, optional
        From :func:`cem.needs.opportunity`.
    ax : matplotlib.axes.Axes, optional
    size : {"screen", "print"}

    Examples
    --------
    >>> import cem
    >>> ax = needs_heatmap(cem.load_model("cem/examples/solar"))  # doctest: +SKIP
    """
    import numpy as np

    steps = journey_steps(G)
    actors = [a for a in nodes_of(G, "actor") if any(G.has_edge(a, n, "has_need") for n in related(G, a, "has_need"))]
    score = {}
    if opp is not None:
        for row in opp.dropna(subset=["step", "actor", "opportunity"]).itertuples():
            key = (row.step, row.actor)
            score[key] = max(score.get(key, 0), row.opportunity)
    M = np.full((len(steps), len(actors)), np.nan)
    for j, a in enumerate(actors):
        for i, s in enumerate(steps):
            n = len(needs_at(G, s, actor=a))
            if opp is not None:
                M[i, j] = score.get((s, a), np.nan)
            elif n:
                M[i, j] = n
    with figure_style(size) as m:
        plt = _plt()
        if ax is None:
            per_row = 0.34 if m.name == "print" else 0.4
            _, ax = new_figure(m, per_row * max(len(steps), 4) + 1.6)
        cmap = plt.get_cmap("Reds" if opp is not None else "Blues").with_extremes(bad="#f4f6f7")
        vmax = 20 if opp is not None else max(float(np.nanmax(M)) if np.isfinite(M).any() else 1.0, 1.0)
        im = ax.imshow(np.ma.masked_invalid(M), aspect="auto", cmap=cmap, vmin=0, vmax=vmax)
        for i in range(len(steps)):
            for j in range(len(actors)):
                if not np.isnan(M[i, j]):
                    ax.text(j, i, f"{M[i, j]:.0f}", ha="center", va="center", fontsize=m.small,
                            color="white" if M[i, j] > 0.6 * vmax else PALETTE["ink"])
        ax.set_yticks(range(len(steps)), ["\n".join(_wrap(G.nodes[s].get("name", s), 34, 2)) for s in steps])
        ax.set_xticks(range(len(actors)), ["\n".join(_wrap(G.nodes[a].get("name", a), 10, 3)) for a in actors])
        ax.xaxis.tick_top()
        ax.tick_params(axis="both", length=0)
        ax.spines[:].set_visible(False)
        cbar = ax.figure.colorbar(im, ax=ax, shrink=0.8)
        cbar.set_label("largest opportunity" if opp is not None else "needs", fontsize=m.font)
        finish_axes(cbar.ax, m)
        ax.set_title("Needs by step and actor" + (": where opportunity is highest" if opp is not None else ""),
                     fontsize=m.title)
        finish_axes(ax, m)
    return ax
