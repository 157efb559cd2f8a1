"""Figures of value and lifetime value: the experience along the journey, value created and lost per
step, each step's effect on churn, the spread of lifetime values and the holdout check.

Every chart draws in cem's style (:mod:`cem.plots.style`) at a ``size`` ("screen" or "print"); money
axes read "12.9 M EUR", never "1e7"; steps are labelled with their names.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np

from ._style import _plain, _wrap
from .style import (
    PALETTE,
    figure_style,
    finish_axes,
    format_money,
    legend_below,
    money_formatter,
    new_figure,
    step_names,
)

if TYPE_CHECKING:
    import networkx as nx
    import pandas as pd
    from matplotlib.axes import Axes

__all__ = ["experience_curve", "value_waterfall", "step_effects_chart", "at_stake_chart", "clv_distribution",
           "holdout_chart"]

#: Characters per line of a step's name beside a horizontal chart, and lines at most.
_NAME_WIDTH, _NAME_LINES = 30, 2


def _step_labels(values, names=None):
    """Each row's step name (the ``name`` column, else ``names``, else the id), wrapped."""
    lookup = step_names(names)
    given = values["name"] if "name" in values else [None] * len(values)
    labels = [n if isinstance(n, str) and n.strip() else lookup.get(str(s), str(s)) for s, n in zip(values["step"], given)]
    return ["\n".join(_wrap(n, _NAME_WIDTH, _NAME_LINES)) for n in labels]


def _rows_height(n, size):
    """Figure height for a chart of ``n`` labelled rows (two lines of name each)."""
    per_row = 0.34 if size.name == "print" else 0.4
    return per_row * max(n, 4) + 1.3


def experience_curve(values: pd.DataFrame, *, ax: Axes | None = None, size: str = "screen") -> Axes:
    """The experience along the journey: each step's importance-weighted satisfaction (0..1),
    the running value over the steps so far, and the mean event rating (1-5, top axis).

    The journey reads top to bottom, one row per step named in full, so the chart stays readable
    at any number of steps and on a printed page.

    Parameters
    ----------
    values : pandas.DataFrame
        One block of :func:`cem.value.step_value`.
    ax : matplotlib.axes.Axes, optional
    size : {"screen", "print"}
        Sizes and fonts of :data:`cem.plots.style.SIZES`.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import pandas as pd
    >>> values = pd.DataFrame({"step": ["A", "B"], "name": ["Agree", "Pay"], "experience": [0.6, 0.4],
    ...                        "cum_experience": [0.6, 0.5], "rating": [4.1, 3.2]})
    >>> [t.get_text() for t in experience_curve(values).get_yticklabels()]
    ['Agree', 'Pay']
    """
    with figure_style(size) as m:
        if ax is None:
            _, ax = new_figure(m, _rows_height(len(values), m))
        y = list(range(len(values)))
        handles = []
        if "experience" in values.columns:
            handles += ax.plot(values["experience"], y, marker="o", color=PALETTE["secondary"],
                               label="experience at the step (0-1)")
            handles += ax.plot(values["cum_experience"], y, ls="--", color=PALETTE["light"],
                               label="experience so far (0-1)")
        ax.set_xlim(0, 1)
        ax.set_xlabel("importance-weighted satisfaction (0-1)")
        if "rating" in values.columns and values["rating"].notna().any():
            ax2 = ax.twiny()
            handles += ax2.plot(values["rating"], y, marker="s", color=PALETTE["accent"], alpha=0.85,
                                label="mean event rating (1-5, top axis)")
            ax2.set_xlim(1, 5)
            ax2.set_xlabel("mean event rating (1-5)")
            ax2.spines[["top"]].set_visible(True)
            finish_axes(ax2, m)
        ax.set_yticks(y, _step_labels(values))
        ax.set_ylim(len(values) - 0.5, -0.5)
        if handles:
            legend_below(ax, handles, ncol=3 if m.name == "screen" else 2)
        ax.set_title("Experience along the journey", fontsize=m.title)
        finish_axes(ax, m, grid="x")
    return ax


def value_waterfall(values: pd.DataFrame, *, ax: Axes | None = None, column: str = "net", currency: str = "",
                    size: str = "screen") -> Axes:
    """Value created and lost per step as a waterfall: each bar starts where the journey's running
    total stands, green when the step adds value (revenue above its cost to serve), red when it
    costs more than it brings. The journey reads top to bottom; the axis is in money
    ("12.9 M EUR").

    Parameters
    ----------
    values : pandas.DataFrame
        One block of :func:`cem.value.step_value` with the ``column`` (default ``net``).
    ax : matplotlib.axes.Axes, optional
    column : str
    currency : str
        Written after every amount (the study's currency).
    size : {"screen", "print"}

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import pandas as pd
    >>> values = pd.DataFrame({"step": ["A", "B"], "name": ["Agree", "Pay"], "net": [-2e5, 1.3e7]})
    >>> ax = value_waterfall(values, currency="EUR")
    >>> ax.xaxis.get_major_formatter()(1.3e7, 0)
    '13 M EUR'
    """
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    with figure_style(size) as m:
        if ax is None:
            _, ax = new_figure(m, _rows_height(len(values), m))
        v = values[column].fillna(0).to_numpy(dtype=float)
        ends = np.cumsum(v)
        starts = ends - v
        y = np.arange(len(v))
        colors = [PALETTE["good"] if d >= 0 else PALETTE["bad"] for d in v]
        ax.barh(y, v, left=starts, color=colors, height=0.7)
        ax.axvline(0, color=PALETTE["muted"], lw=0.6)
        # The connectors of a waterfall: from each bar's end down to where the next bar starts.
        ax.vlines(ends[:-1], y[:-1] + 0.35, y[1:] - 0.35, color=PALETTE["ink"], lw=0.8)
        low, high = min(0.0, starts.min(initial=0), ends.min(initial=0)), max(0.0, starts.max(initial=0),
                                                                               ends.max(initial=0))
        pad = 0.06 * (high - low or 1.0)
        ax.set_xlim(low - pad, high + pad)
        ax.set_ylim(len(v) - 0.5, -0.5)
        ax.xaxis.set_major_formatter(money_formatter(_plain(currency)))
        ax.xaxis.get_major_locator().set_params(nbins=5 if m.name == "print" else 7)
        ax.set_yticks(y, _step_labels(values))
        ax.set_xlabel(_plain(f"revenue - cost to serve, running total ({currency})".replace(" ()", "")))
        ax.set_title("Value created and lost per step", fontsize=m.title)
        legend_below(ax, [Patch(color=PALETTE["good"], label="adds value"),
                          Patch(color=PALETTE["bad"], label="costs more than it brings"),
                          Line2D([], [], color=PALETTE["ink"], lw=0.8, label="running total (connectors)")])
        finish_axes(ax, m, grid="x")
    return ax


def step_effects_chart(table: pd.DataFrame, *, ax: Axes | None = None,
                       names: nx.MultiDiGraph | Mapping[str, str] | None = None, size: str = "screen") -> Axes:
    """Each step's effect on churn with its 95 % interval (log-odds per rating point; left of zero:
    a better experience there keeps customers).

    Parameters
    ----------
    table : pandas.DataFrame
        ``step, coef, ci_low, ci_high`` per step.
    ax : matplotlib.axes.Axes, optional
    names : networkx.MultiDiGraph or mapping, optional
        The model (or names by id) the steps are labelled from; ids only where no name exists.
    size : {"screen", "print"}

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame({"step": ["S1"], "coef": [-0.3], "ci_low": [-0.5], "ci_high": [-0.1]})
    >>> [t.get_text() for t in step_effects_chart(table, names={"S1": "Book"}).get_yticklabels()]
    ['Book']
    """
    with figure_style(size) as m:
        if ax is None:
            _, ax = new_figure(m, _rows_height(len(table), m))
        y = list(range(len(table)))
        significant = (table["ci_high"] < 0) | (table["ci_low"] > 0)
        ax.errorbar(table["coef"], y, xerr=[table["coef"] - table["ci_low"], table["ci_high"] - table["coef"]],
                    fmt="none", ecolor=PALETTE["neutral"], elinewidth=1)
        ax.scatter(table["coef"], y, c=[PALETTE["bad"] if s else PALETTE["muted"] for s in significant], zorder=3)
        ax.axvline(0, color=PALETTE["ink"], lw=0.6)
        ax.set_yticks(y, _step_labels(table[["step"]], names))
        ax.set_ylim(len(table) - 0.5, -0.5)
        ax.set_xlabel("effect on the log-odds of churning, per rating point (95 % interval)")
        finish_axes(ax, m, grid="x")
    return ax


def at_stake_chart(at_stake: pd.DataFrame, *, ax: Axes | None = None, currency: str = "",
                   size: str = "screen") -> Axes:
    """Lifetime value at stake per step with its 95 % interval, largest first.

    A bar (red) only where the interval stays above zero: a measurable amount at stake. Where
    the interval includes zero (or lies below it) the estimate is a grey point with its interval,
    "no measurable effect", never a bar of a negative amount.

    Parameters
    ----------
    at_stake : pandas.DataFrame
        ``name, value, low, high`` per step (:attr:`cem.clv.ValueModel.at_stake`).
    ax : matplotlib.axes.Axes, optional
    currency : str
    size : {"screen", "print"}

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame({"name": ["Approve", "Pay"], "value": [1.29e7, -3e5], "low": [1e7, -9e5],
    ...                       "high": [1.5e7, 2e5]})
    >>> ax = at_stake_chart(table, currency="EUR")
    >>> len(ax.patches), ax.xaxis.get_major_formatter()(1e7, 0)  # one bar: the measurable one
    (1, '10 M EUR')
    """
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    with figure_style(size) as m:
        if ax is None:
            _, ax = new_figure(m, _rows_height(len(at_stake), m))
        y = np.arange(len(at_stake))
        value, low, high = (at_stake[c].to_numpy(dtype=float) for c in ("value", "low", "high"))
        measurable = low > 0
        ax.barh(y[measurable], value[measurable], color=PALETTE["bad"], height=0.7)
        ax.scatter(value[~measurable], y[~measurable], color=PALETTE["muted"], s=14, zorder=3)
        # A percentile interval of a non-linear value need not contain its point estimate.
        ax.errorbar(value, y, xerr=[np.clip(value - low, 0, None), np.clip(high - value, 0, None)], fmt="none",
                    ecolor=PALETTE["ink"], elinewidth=1)
        ax.axvline(0, color=PALETTE["ink"], lw=0.6)
        ax.xaxis.set_major_formatter(money_formatter(_plain(currency)))
        ax.xaxis.get_major_locator().set_params(nbins=5 if m.name == "print" else 7)
        ax.set_yticks(y, _step_labels(at_stake) if "step" in at_stake else
                      ["\n".join(_wrap(n, _NAME_WIDTH, _NAME_LINES)) for n in at_stake["name"].fillna("")])
        ax.set_ylim(len(at_stake) - 0.5, -0.5)
        ax.set_xlabel(_plain(f"lifetime value at stake ({currency}), 95 % interval".replace(" ()", "")))
        legend_below(ax, [Patch(color=PALETTE["bad"], label="at stake: interval above zero"),
                          Line2D([], [], color=PALETTE["muted"], marker="o", ls="", ms=4,
                                 label="no measurable gain: interval includes zero or lies below it")],
                     ncol=2 if m.name == "screen" else 1)
        finish_axes(ax, m, grid="x")
    return ax


def clv_distribution(clv: pd.Series, *, ax: Axes | None = None, currency: str = "", size: str = "screen") -> Axes:
    """Histogram of customer lifetime values, with the mean and the top decile's share.

    Examples
    --------
    >>> import pandas as pd
    >>> ax = clv_distribution(pd.Series([100.0, 200.0, 5000.0] * 10), currency="EUR")
    >>> ax.get_legend().get_texts()[0].get_text()
    'mean 1.77 k EUR'
    """
    with figure_style(size) as m:
        if ax is None:
            _, ax = new_figure(m, 0.6 * m.width)
        values = clv.dropna().to_numpy()
        ax.hist(values, bins=50, color=PALETTE["secondary"])
        ax.axvline(values.mean(), color=PALETTE["bad"], lw=1, label=_plain(f"mean {format_money(values.mean(), currency)}"))
        top = values[values >= (values.max() if len(values) < 10 else sorted(values)[int(0.9 * len(values))])]
        share = top.sum() / values.sum() if values.sum() else 0
        ax.set_title(f"Lifetime value per customer: the top 10 % hold {100 * share:.0f} %", fontsize=m.title)
        ax.xaxis.set_major_formatter(money_formatter(_plain(currency)))
        ax.xaxis.get_major_locator().set_params(nbins=5 if m.name == "print" else 7)
        ax.set_xlabel(_plain(f"lifetime value per customer ({currency})".replace(" ()", "")))
        ax.set_ylabel("customers")
        ax.legend()
        finish_axes(ax, m, grid="y")
    return ax


def holdout_chart(by_frequency: pd.DataFrame, *, ax: Axes | None = None, size: str = "screen") -> Axes:
    """Predicted against actual holdout purchases by calibration frequency (the papers' check).

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame({"actual": [0.2, 1.1], "predicted": [0.25, 1.0]}, index=[0, 1])
    >>> holdout_chart(table).get_xlabel()
    'repeat purchases in the calibration period'
    """
    with figure_style(size) as m:
        if ax is None:
            _, ax = new_figure(m, 0.6 * m.width, width=min(m.width, 7))
        x = list(range(len(by_frequency)))
        ax.plot(x, by_frequency["actual"], marker="o", color=PALETTE["ink"], label="actual")
        ax.plot(x, by_frequency["predicted"], marker="s", ls="--", color=PALETTE["accent"], label="model")
        ax.set_xticks(x, [_plain(i) for i in by_frequency.index])
        ax.set_xlabel("repeat purchases in the calibration period")
        ax.set_ylabel("mean purchases in the holdout period")
        ax.legend()
        finish_axes(ax, m, grid="y")
    return ax
