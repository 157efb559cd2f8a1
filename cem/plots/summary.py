"""The summary's figure: what to fix first."""
from __future__ import annotations

from typing import TYPE_CHECKING

from ._style import _wrap
from .style import PALETTE, figure_style, finish_axes, legend_below, new_figure, percent_formatter

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from ..summary import Priorities

__all__ = ["priority_chart"]


def priority_chart(plan: Priorities, *, ax: Axes | None = None, size: str = "screen") -> Axes:
    """What to fix first: each step's priority as stacked bars of its parts, best at the top.

    Parameters
    ----------
    plan : cem.summary.Priorities
        From :func:`cem.summary.priorities`: ``stake_share`` and ``unmet_share`` of its table
        make the priority; when the study measured neither, the bar is the step's share of the
        rework or of the design-gap weight, as ``plan.basis`` says.
    ax : matplotlib.axes.Axes, optional
    size : {"screen", "print"}

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import pandas as pd
    >>> from cem.summary import Priorities
    >>> table = pd.DataFrame({"rank": [1], "name": ["Approve"], "priority": [1.0]})
    >>> priority_chart(Priorities(table, basis="rework in the event log")).get_xlabel()
    'priority: the sum of its shares'
    """
    table = plan.table
    with figure_style(size) as m:
        if ax is None:
            per_row = 0.36 if m.name == "print" else 0.42
            _, ax = new_figure(m, per_row * max(len(table), 3) + 1.3)
        y = list(range(len(table)))
        labels = [f"{r}. " + "\n".join(_wrap(n, 34, 2)) for r, n in zip(table["rank"], table["name"])]
        stake = table["stake_share"].fillna(0) if "stake_share" in table else 0 * table["priority"]
        unmet = table["unmet_share"].fillna(0) if "unmet_share" in table else 0 * table["priority"]
        if (stake + unmet).sum() > 0:
            ax.barh(y, stake, color=PALETTE["primary"], label="share of lifetime value at stake", height=0.7)
            ax.barh(y, unmet, left=stake, color=PALETTE["accent"], label="share of unmet need", height=0.7)
        else:
            label = ("share of the rework in the event log" if plan.basis.startswith("rework")
                     else "share of weighted design gaps")
            ax.barh(y, table["priority"], color=PALETTE["bad"], label=label, height=0.7)
        legend_below(ax, ax.get_legend_handles_labels()[0], ncol=2)
        ax.set_yticks(y, labels)
        ax.set_ylim(len(table) - 0.5, -0.5)
        ax.xaxis.set_major_formatter(percent_formatter())
        ax.set_xlabel("priority: the sum of its shares")
        finish_axes(ax, m, grid="x")
    return ax
