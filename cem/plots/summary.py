"""The summary's figure: what to fix first."""
from __future__ import annotations

from typing import TYPE_CHECKING

from ._style import _plt, _wrap

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from ..summary import Priorities

__all__ = ["priority_chart"]


def priority_chart(plan: Priorities, *, ax: Axes | None = None) -> Axes:
    """What to fix first: each step's priority as stacked bars of its parts, best at the top.

    Parameters
    ----------
    plan : cem.summary.Priorities
        From :func:`cem.summary.priorities`: ``stake_share`` and ``unmet_share`` of its table
        make the priority; when the study measured neither, the bar is the step's share of the
        rework or of the design-gap weight, as ``plan.basis`` says.
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    plt = _plt()
    table = plan.table
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 0.45 * max(len(table), 3) + 1))
    y = list(range(len(table)))
    labels = [f"{r}. " + "\n".join(_wrap(n, 40, 2)) for r, n in zip(table["rank"], table["name"])]
    stake = table["stake_share"].fillna(0) if "stake_share" in table else 0 * table["priority"]
    unmet = table["unmet_share"].fillna(0) if "unmet_share" in table else 0 * table["priority"]
    if (stake + unmet).sum() > 0:
        ax.barh(y, stake, color="#1f4e79", label="share of lifetime value at stake")
        ax.barh(y, unmet, left=stake, color="#e67e22", label="share of unmet need")
        ax.legend(loc="lower right", fontsize=7, frameon=False)
    else:
        label = "share of the rework in the event log" if plan.basis.startswith("rework") else "share of weighted design gaps"
        ax.barh(y, table["priority"], color="#c0392b", label=label)
        ax.legend(loc="lower right", fontsize=7, frameon=False)
    ax.set_yticks(y, labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("priority")
    ax.spines[["top", "right"]].set_visible(False)
    return ax
