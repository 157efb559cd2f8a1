"""Figures of contractual customers: survival and retention by period, observed beside the sBG's.

Drawn in cem's style (:mod:`cem.plots.style`) from :func:`cem.clv.renewal_curves` (or
:func:`cem.clv.retention_table`); the customers each period's observed figure rests on are
written under the chart, so a thin tail is seen as thin.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from .style import PALETTE, figure_style, finish_axes, new_figure, percent_formatter

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes

__all__ = ["survival_chart", "retention_chart"]


def survival_chart(curves: pd.DataFrame, *, period: str = "period", ax: Axes | None = None,
                   size: str = "screen") -> Axes:
    """Share of customers still under contract after each period: observed (Kaplan-Meier) and the
    sBG's, with the customers at risk at the first and last period in the title.

    Examples
    --------
    >>> import pandas as pd
    >>> c = pd.DataFrame({"period": [0, 1, 2], "at_risk": [100, 90, 40], "observed_survival": [1.0, 0.8, 0.7],
    ...                   "model_survival": [1.0, 0.81, 0.69], "observed_retention": [1.0, 0.8, 0.875],
    ...                   "model_retention": [1.0, 0.81, 0.85]})
    >>> survival_chart(c, period="month").get_xlabel()
    'months since the first payment'
    """
    with figure_style(size) as m:
        if ax is None:
            _, ax = new_figure(m, 0.55 * m.width, width=min(m.width, 7))
        ax.plot(curves["period"], curves["observed_survival"], marker="o", ms=3, color=PALETTE["ink"],
                label="observed")
        ax.plot(curves["period"], curves["model_survival"], ls="--", color=PALETTE["accent"], label="sBG")
        ax.set_ylim(0, 1.02)
        ax.yaxis.set_major_formatter(percent_formatter())
        ax.set_xlabel(f"{period}s since the first payment")
        ax.set_ylabel("still under contract")
        ax.set_title(f"Survival: {int(curves['at_risk'].iloc[0]):,} customers, "
                     f"{int(curves['at_risk'].iloc[-1]):,} observed at the last {period}", fontsize=m.title)
        ax.legend()
        finish_axes(ax, m, grid="y")
    return ax


def retention_chart(curves: pd.DataFrame, *, period: str = "period", ax: Axes | None = None,
                    size: str = "screen") -> Axes:
    """Retention rate of each renewal (the share of those due who renewed): observed and the sBG's,
    which rises as the customers likely to cancel leave (Fader & Hardie 2007).

    Examples
    --------
    >>> import pandas as pd
    >>> c = pd.DataFrame({"period": [0, 1, 2], "at_risk": [100, 90, 40], "observed_retention": [1.0, 0.8, 0.875],
    ...                   "model_retention": [1.0, 0.81, 0.85]})
    >>> retention_chart(c, period="month").get_ylabel()
    'renewed'
    """
    with figure_style(size) as m:
        if ax is None:
            _, ax = new_figure(m, 0.55 * m.width, width=min(m.width, 7))
        rows = curves[curves["period"] >= 1]
        ax.plot(rows["period"], rows["observed_retention"], marker="o", ms=3, color=PALETTE["ink"], label="observed")
        ax.plot(rows["period"], rows["model_retention"], ls="--", color=PALETTE["accent"], label="sBG")
        ax.yaxis.set_major_formatter(percent_formatter())
        ax.set_xlabel(f"{period}s paid before the renewal")
        ax.set_ylabel("renewed")
        ax.set_title(f"Retention by {period}: of those due to renew, the share who did", fontsize=m.title)
        ax.legend()
        finish_axes(ax, m, grid="y")
    return ax
