"""Figures of value and lifetime value: the experience along the journey, value created and lost per
step, each step's effect on churn, the spread of lifetime values and the holdout check."""
from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np

from ._style import _plain, _plt, _wrap

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes

__all__ = ["experience_curve", "value_waterfall", "step_effects_chart", "at_stake_chart", "clv_distribution",
           "holdout_chart"]


def _step_labels(values, width=18):
    return ["\n".join(_wrap(n, width, 3)) for n in values["name"].fillna(values["step"])]


def experience_curve(values: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """The experience along the journey: each step's importance-weighted satisfaction (0..1),
    the running value over the steps so far, and the mean event rating (1-5, right axis).

    Parameters
    ----------
    values : pandas.DataFrame
        One block of :func:`cem.value.step_value`.
    """
    plt = _plt()
    if ax is None:
        _, ax = plt.subplots(figsize=(max(8, 0.75 * len(values)), 4.5))
    x = list(range(len(values)))
    if "experience" in values.columns:
        ax.plot(x, values["experience"], marker="o", color="#2e86c1", label="experience at the step")
        ax.plot(x, values["cum_experience"], ls="--", color="#85c1e9", label="experience so far")
    ax.set_ylim(0, 1)
    ax.set_ylabel("importance-weighted satisfaction (0-1)")
    if "rating" in values.columns and values["rating"].notna().any():
        ax2 = ax.twinx()
        ax2.plot(x, values["rating"], marker="s", color="#e67e22", alpha=0.8, label="mean event rating")
        ax2.set_ylim(1, 5)
        ax2.set_ylabel("mean rating (1-5)")
        ax2.legend(loc="lower right", frameon=False, fontsize=8)
    ax.set_xticks(x, _step_labels(values), fontsize=7, rotation=0)
    ax.legend(loc="lower left", frameon=False, fontsize=8)
    ax.set_title("Experience along the journey", loc="left", fontsize=10)
    ax.spines[["top"]].set_visible(False)
    return ax


def value_waterfall(values: pd.DataFrame, *, ax: Axes | None = None, column: str = "net") -> Axes:
    """Value created and lost per step as a waterfall: each bar starts where the journey's running
    total stands, green when the step adds value (revenue above its cost to serve), red when it
    costs more than it brings.
    """
    plt = _plt()
    if ax is None:
        _, ax = plt.subplots(figsize=(max(8, 0.75 * len(values)), 4.5))
    v = values[column].fillna(0).to_numpy()
    bottoms = [0.0]
    for d in v[:-1]:
        bottoms.append(bottoms[-1] + d)
    colors = ["#27ae60" if d >= 0 else "#c0392b" for d in v]
    x = list(range(len(v)))
    ax.bar(x, v, bottom=bottoms, color=colors)
    ax.axhline(0, color="#7f8c8d", lw=0.6)
    ax.plot(x, [b + d for b, d in zip(bottoms, v)], color="#2c3e50", lw=0.8, marker=".", label="running total")
    ax.set_xticks(x, _step_labels(values), fontsize=7)
    ax.set_ylabel("revenue - cost to serve")
    ax.set_title("Value created and lost per step", loc="left", fontsize=10)
    ax.legend(frameon=False, fontsize=8)
    ax.spines[["top", "right"]].set_visible(False)
    return ax


def step_effects_chart(table: pd.DataFrame, *, ax: Axes | None = None,
                       names: Mapping[str, str] | None = None) -> Axes:
    """Each step's effect on churn with its 95 % interval (log-odds per rating point; left of zero:
    a better experience there keeps customers)."""
    plt = _plt()
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 0.35 * max(len(table), 4) + 1))
    y = list(range(len(table)))
    labels = [names.get(s, s) if names else s for s in table["step"]]
    significant = (table["ci_high"] < 0) | (table["ci_low"] > 0)
    ax.errorbar(table["coef"], y, xerr=[table["coef"] - table["ci_low"], table["ci_high"] - table["coef"]],
                fmt="none", ecolor="#95a5a6", elinewidth=1)
    ax.scatter(table["coef"], y, c=["#c0392b" if s else "#7f8c8d" for s in significant], zorder=3)
    ax.axvline(0, color="#2c3e50", lw=0.6)
    ax.set_yticks(y, ["\n".join(_wrap(l, 36, 2)) for l in labels], fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel("effect on the log-odds of churning, per rating point (95 % interval)")
    ax.spines[["top", "right"]].set_visible(False)
    return ax


def at_stake_chart(at_stake: pd.DataFrame, *, ax: Axes | None = None, currency: str = "") -> Axes:
    """Lifetime value at stake per step with its 95 % interval, largest first; red: the interval
    stays above zero.

    Parameters
    ----------
    at_stake : pandas.DataFrame
        ``name, value, low, high`` per step (:attr:`cem.clv.ValueModel.at_stake`).
    ax : matplotlib.axes.Axes, optional
    currency : str

    Returns
    -------
    matplotlib.axes.Axes
    """
    plt = _plt()
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 0.35 * max(len(at_stake), 4) + 1))
    y = list(range(len(at_stake)))
    value, low, high = (at_stake[c].to_numpy(dtype=float) for c in ("value", "low", "high"))
    ax.barh(y, value, color=["#c0392b" if lo > 0 else "#bdc3c7" for lo in low])
    # A percentile interval of a non-linear value need not contain its point estimate: no negative bars.
    ax.errorbar(value, y, xerr=[np.clip(value - low, 0, None), np.clip(high - value, 0, None)], fmt="none",
                ecolor="#2c3e50", elinewidth=1)
    ax.axvline(0, color="#2c3e50", lw=0.6)
    ax.set_yticks(y, ["\n".join(_wrap(_plain(str(n)), 36, 2)) for n in at_stake["name"]], fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel(_plain(f"lifetime value at stake, {currency} (95 % interval)".replace(" ,", ",")))
    ax.spines[["top", "right"]].set_visible(False)
    return ax


def clv_distribution(clv: pd.Series, *, ax: Axes | None = None, currency: str = "") -> Axes:
    """Histogram of customer lifetime values, with the mean and the top decile's share."""
    plt = _plt()
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4))
    values = clv.dropna().to_numpy()
    ax.hist(values, bins=50, color="#5dade2")
    ax.axvline(values.mean(), color="#c0392b", lw=1, label=_plain(f"mean {values.mean():,.0f} {currency}".strip()))
    top = values[values >= (values.max() if len(values) < 10 else sorted(values)[int(0.9 * len(values))])]
    share = top.sum() / values.sum() if values.sum() else 0
    ax.set_title(f"Lifetime value per customer: the top 10 % hold {share:.0%}", loc="left", fontsize=10)
    ax.set_xlabel(_plain(f"lifetime value {currency}".strip()))
    ax.set_ylabel("customers")
    ax.legend(frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    return ax


def holdout_chart(by_frequency: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Predicted against actual holdout purchases by calibration frequency (the papers' check)."""
    plt = _plt()
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4))
    x = list(range(len(by_frequency)))
    ax.plot(x, by_frequency["actual"], marker="o", color="#2c3e50", label="actual")
    ax.plot(x, by_frequency["predicted"], marker="s", ls="--", color="#e67e22", label="model")
    ax.set_xticks(x, [_plain(i) for i in by_frequency.index])
    ax.set_xlabel("repeat purchases in the calibration period")
    ax.set_ylabel("mean purchases in the holdout period")
    ax.legend(frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    return ax
