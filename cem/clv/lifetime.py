"""Lifetime value over a horizon, from a fitted purchase and spend model or from retention alone;
and how well a purchase model predicts a holdout period.

* From the models (Fader, Hardie & Lee 2005, "RFM and CLV"):
  ``CLV = margin * E[M] * sum_k (E[X(k d)] - E[X((k-1) d)]) / (1 + i)^k`` over the months ``k``
  of the horizon (``d`` a month in the model's time unit, ``i`` the monthly discount rate from
  the yearly one).
* From retention alone (Gupta & Lehmann 2003, "Customers as assets", Journal of Interactive Marketing 17(1)):
  ``CLV = m * r / (1 + d - r)`` (margin ``m`` per period, retention ``r``, discount ``d``), or
  over ``H`` periods ``m q (1 - q^H) / (1 - q)`` with ``q = r / (1 + d)``.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from .bgnbd import BGNBD
    from .gamma_gamma import GammaGamma
    from .mbgnbd import MBGNBD
    from .pareto_nbd import ParetoNBD

__all__ = ["holdout_error", "lifetime_value", "retention_clv"]


def holdout_error(model: BGNBD | ParetoNBD | MBGNBD, data: pd.DataFrame, frequency: str = "frequency",
                  recency: str = "recency", T: str = "T", actual: str = "frequency_holdout",
                  duration: str = "duration_holdout") -> dict:
    """How well a fitted model predicts the holdout period, customer by customer.

    Parameters
    ----------
    model : BGNBD or ParetoNBD
    data : pandas.DataFrame
        From :func:`cem.clv.calibration_holdout`.

    Returns
    -------
    dict
        ``predicted_total``, ``actual_total``, ``total_error`` (relative), ``mae``, ``rmse``,
        ``correlation`` and ``by_frequency``: mean predicted and actual holdout purchases by
        calibration frequency (0..7+), the conditional-expectations check of the papers.

    Examples
    --------
    >>> from cem.clv import BGNBD
    >>> m = BGNBD(params={"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}, loglik=0.0, n=3)
    >>> data = pd.DataFrame({"frequency": [0, 2, 9], "recency": [0.0, 20.0, 35.0], "T": [39.0] * 3,
    ...                      "frequency_holdout": [0, 1, 6], "duration_holdout": [39.0] * 3})
    >>> err = holdout_error(m, data)
    >>> err["actual_total"], list(err["by_frequency"].index)
    (7.0, ['0', '2', '7+'])
    """
    t = float(np.asarray(data[duration])[0])
    pred = model.expected_purchases(t, data[frequency], data[recency], data[T])
    act = data[actual].to_numpy(dtype=float)
    err = pred - act
    bucket = np.minimum(data[frequency].to_numpy(), 7)
    by = pd.DataFrame({"frequency": bucket, "predicted": pred, "actual": act}).groupby("frequency").mean()
    by.index = [str(i) if i < 7 else "7+" for i in by.index]
    return {"predicted_total": float(pred.sum()), "actual_total": float(act.sum()),
            "total_error": float((pred.sum() - act.sum()) / act.sum()) if act.sum() else np.nan,
            "mae": float(np.abs(err).mean()), "rmse": float(np.sqrt((err ** 2).mean())),
            "correlation": float(np.corrcoef(pred, act)[0, 1]), "by_frequency": by}


def lifetime_value(purchase_model: BGNBD | ParetoNBD | MBGNBD, spend_model: GammaGamma | float,
                   summary: pd.DataFrame, horizon: float, margin: float = 1.0, discount_rate: float = 0.1,
                   periods_per_year: float = 52.0, frequency: str = "frequency", recency: str = "recency",
                   T: str = "T", monetary: str = "monetary_value") -> pd.Series:
    """Discounted expected margin of each customer over a horizon.

    ``CLV = margin * E[M] * sum_k (E[X(k d)] - E[X((k-1) d)]) / (1 + i)^k`` with ``d`` one month
    in the model's time unit, ``k`` the months of the horizon, ``i = (1 + discount_rate)^(1/12) - 1``.

    Parameters
    ----------
    purchase_model : BGNBD or ParetoNBD
    spend_model : GammaGamma or float
        A fitted spend model, or a fixed value per purchase.
    summary : pandas.DataFrame
        From :func:`cem.clv.rfm`, one row per customer.
    horizon : float
        In the model's time unit (weeks for CDNOW).
    margin : float
        Share of spend kept as margin.
    discount_rate : float
        Yearly.
    periods_per_year : float
        Model time units in a year (52 for weeks, 365 for days).

    Returns
    -------
    pandas.Series
        Lifetime value per customer.

    Examples
    --------
    Without discounting the value is the spend times the expected purchases over the horizon:

    >>> from cem.clv import BGNBD
    >>> m = BGNBD(params={"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}, loglik=0.0, n=1)
    >>> s = pd.DataFrame({"frequency": [2], "recency": [30.0], "T": [39.0], "monetary_value": [20.0]})
    >>> v = lifetime_value(m, 10.0, s, horizon=52, discount_rate=0.0)
    >>> bool(np.isclose(v.iloc[0], 10.0 * m.expected_purchases(52, 2, 30.0, 39.0)))
    True
    """
    month = periods_per_year / 12
    n_months = int(np.ceil(horizon / month))
    i = (1 + discount_rate) ** (1 / 12) - 1
    x, tx, TT = summary[frequency], summary[recency], summary[T]
    months = np.arange(1, n_months + 1)
    times = np.minimum(months * month, horizon)
    discount = (1 + i) ** -months.astype(float)
    total = np.zeros(len(summary))
    if hasattr(purchase_model, "purchases_curve"):
        # A model that can (Pareto/NBD) computes what does not depend on time once, then every
        # month of the horizon at once, a year of months at a time (memory stays small).
        curve = purchase_model.purchases_curve(x, tx, TT)
        prev = np.zeros(len(summary))
        for start in range(0, n_months, 12):
            cum = curve(times[start:start + 12, None])
            steps = np.diff(cum, axis=0, prepend=prev[None, :])
            total += discount[start:start + 12] @ steps
            prev = cum[-1]
    else:
        prev = np.zeros(len(summary))
        for k in range(n_months):
            cum = purchase_model.expected_purchases(times[k], x, tx, TT)
            total += (cum - prev) * discount[k]
            prev = cum
    spend = (spend_model.expected_spend(x, summary[monetary]) if hasattr(spend_model, "expected_spend")
             else np.full(len(summary), float(spend_model)))
    return pd.Series(margin * spend * total, index=summary.index, name="clv")


def retention_clv(margin: float | np.ndarray | pd.Series, retention: float | np.ndarray | pd.Series,
                  discount_rate: float, horizon: float | None = None) -> float | np.ndarray | pd.Series:
    """Lifetime value when only retention is known.

    Margin ``m`` per period, received at the end of each period the customer stays; retention
    ``r`` per period; discount rate ``d`` per period; ``q = r / (1 + d)``. Over ``H`` periods
    the value is ``m q (1 - q^H) / (1 - q)``; with no horizon, ``m r / (1 + d - r)``.

    Examples
    --------
    >>> round(retention_clv(100, 0.8, 0.1), 2)
    266.67
    >>> round(float(retention_clv(100, 0.8, 0.1, horizon=2)), 2)  # 100 (0.8/1.1 + 0.8**2/1.1**2)
    125.62
    """
    if horizon is None:
        return margin * retention / (1 + discount_rate - retention)
    q = np.asarray(retention, dtype=float) / (1 + discount_rate)
    # q = 1 only with no discounting and no churn: H periods of full margin.
    factor = np.where(np.isclose(q, 1.0), horizon, q * (1 - q ** horizon) / np.where(np.isclose(q, 1.0), 1, 1 - q))
    return margin * factor
