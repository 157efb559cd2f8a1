"""RFM summaries: recency, frequency and monetary value per customer, as the customer-base models need them.

Conventions of the customer-base literature (the lifetimes package's summary table, CLVTools):
transactions in the same period count as one purchase occasion, their amounts summed; the first
occasion is the customer's birth; refunds net against purchases
(:func:`cem.readers.transactions.purchase_occasions`, the rule ``cem validate`` counts with).
Time-zone-aware dates are taken in UTC.

The thresholds below which the models are not fitted (:data:`MIN_FIT_CUSTOMERS`,
:data:`MIN_REPEAT_CUSTOMERS`, :data:`MIN_SPEND_CUSTOMERS`) and :func:`too_few_to_fit` are
defined once in :mod:`cem.readers.transactions`, whose warnings use them, and named here too.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..readers.transactions import (
    MAX_AMOUNT,
    MIN_DATE,
    MIN_FIT_CUSTOMERS,
    MIN_REPEAT_CUSTOMERS,
    MIN_SPEND_CUSTOMERS,
    customer_codes,
    customer_totals,
    too_few_to_fit,
)

__all__ = [
    "MAX_AMOUNT",
    "MIN_DATE",
    "MIN_FIT_CUSTOMERS",
    "MIN_REPEAT_CUSTOMERS",
    "MIN_SPEND_CUSTOMERS",
    "too_few_to_fit",
    "rfm",
    "calibration_holdout",
]

_UNIT_DAYS = {"D": 1.0, "W": 7.0, "M": 365.25 / 12, "Y": 365.25}


def _unit_days(unit):
    """Days in a unit of time: ``"D"``, ``"W"``, ``"M"``, ``"Y"`` or a number of days.

    Examples
    --------
    >>> _unit_days("W"), _unit_days(2)
    (7.0, 2.0)
    """
    if isinstance(unit, (int, float)):
        return float(unit)
    try:
        return _UNIT_DAYS[unit]
    except KeyError:
        raise ValueError(f"unit must be one of {', '.join(_UNIT_DAYS)} or a number of days; got {unit!r}") from None


def _naive_utc(dates):
    """Datetimes as naive UTC: time-zone-aware values converted to UTC, naive ones kept (taken as UTC)."""
    dates = pd.to_datetime(dates)
    if isinstance(dates, pd.Series):
        return dates.dt.tz_convert("UTC").dt.tz_localize(None) if dates.dt.tz is not None else dates
    if isinstance(dates, pd.Timestamp):
        return dates.tz_convert("UTC").tz_localize(None) if dates.tz is not None else dates
    return dates


def _totals(transactions, customer, date, amount, end, freq):
    """Per-customer purchase totals of the transactions up to ``end`` (see
    :func:`cem.readers.transactions.customer_totals`).

    Transactions in any order: nothing here sorts rows, and the one sort is of integer keys.
    """
    dates = _naive_utc(transactions[date])
    end = _naive_utc(pd.Timestamp(end)) if end is not None else dates.max()
    step = _unit_days(freq)
    day = dates.to_numpy().astype("datetime64[D]").astype(np.int64)  # days since 1970, whole
    end_day = np.datetime64(end, "D").astype(np.int64)
    keep = day <= end_day
    if not keep.all():
        day = day[keep]
    period = day // int(step) if step == int(step) else np.floor(day / step).astype(np.int64)
    ids = transactions[customer] if keep.all() else transactions.loc[keep, customer]
    codes, uniques = customer_codes(ids)
    amounts = (transactions[amount].to_numpy(dtype=float)[keep] if amount is not None else np.zeros(len(codes)))
    totals, stats = customer_totals(codes, period, amounts, len(uniques), has_amount=amount is not None)
    return totals, stats, uniques, end_day, step


def rfm(transactions: pd.DataFrame, customer: str = "customer_id", date: str = "date", amount: str | None = "amount",
        end: str | pd.Timestamp | None = None, freq: str = "D", unit: str | float | None = None,
        return_refunds: bool = False) -> pd.DataFrame | tuple[pd.DataFrame, dict]:
    """Recency, frequency and monetary value per customer, as the customer-base models need them.

    Conventions of the customer-base literature (the lifetimes package's summary table):
    transactions in the same period (``freq``) count as one purchase occasion, their amounts
    summed; the first occasion is the customer's birth. Refunds (amounts below zero) net
    against the purchase of the same occasion, else the customer's previous one; an occasion
    that nets to zero or less after a refund is a return, not a purchase (see
    :func:`cem.readers.transactions.purchase_occasions`). Customers left with no purchase are
    not in the result; ``return_refunds`` gives the counts. Time-zone-aware dates are taken in UTC.

    Parameters
    ----------
    transactions : pandas.DataFrame
        One row per transaction.
    customer, date, amount : str
        Column names; ``amount`` may be missing (None) for counts only.
    end : str or Timestamp, optional
        End of observation; later transactions are ignored. The last date by default.
    freq : {"D", "W"}
        Length of a purchase occasion: transactions on the same day (week) are one.
    unit : {"D", "W", "M", "Y"} or float, optional
        Unit of recency and T (a number is days); ``freq`` by default. ``unit="W"`` with
        ``freq="D"`` gives the continuous weeks of the CDNOW papers (days / 7).
    return_refunds : bool
        Also return what the netting of refunds did.

    Returns
    -------
    summary : pandas.DataFrame
        Indexed by customer: ``frequency`` (repeat occasions), ``recency`` (first to last
        occasion), ``T`` (first occasion to ``end``), ``monetary_value`` (mean amount of the
        repeat occasions, 0 without repeats), ``first``, ``n_transactions``.
    refunds : dict
        Only with ``return_refunds``: ``refunds`` (transactions below zero), ``netted_earlier``
        (refunds netted into an earlier purchase), ``unmatched`` (refunds with no earlier
        purchase, left out), ``returns`` (occasions netting to zero or less, left out),
        ``customers_without_purchase`` (left out of ``summary``).

    Examples
    --------
    >>> tx = pd.DataFrame({"customer_id": ["a", "a", "a", "b"],
    ...                    "date": pd.to_datetime(["2024-01-01", "2024-01-01", "2024-01-08", "2024-01-05"]),
    ...                    "amount": [10.0, 5.0, 20.0, 7.0]})
    >>> rfm(tx, end="2024-01-15")[["frequency", "recency", "T", "monetary_value"]].to_dict("index")
    {'a': {'frequency': 1, 'recency': 7.0, 'T': 14.0, 'monetary_value': 20.0}, 'b': {'frequency': 0, 'recency': 0.0, 'T': 10.0, 'monetary_value': 0.0}}

    A refund a week later nets into the purchase it returns:

    >>> tx.loc[len(tx)] = ["a", pd.Timestamp("2024-01-12"), -5.0]
    >>> s, refunds = rfm(tx, end="2024-01-15", return_refunds=True)
    >>> int(s.loc["a", "frequency"]), float(s.loc["a", "monetary_value"])
    (1, 15.0)
    >>> refunds
    {'refunds': 1, 'netted_earlier': 1, 'unmatched': 0, 'returns': 0, 'customers_without_purchase': 0}
    """
    totals, stats, uniques, end_day, step = _totals(transactions, customer, date, amount, end, freq)
    scale = _unit_days(unit or freq)
    n_occ, first_p, last_p = totals["n_occ"], totals["first"], totals["last"]
    # Recency and T from the periods' starts, in the unit asked for.
    recency = (last_p - first_p) * step / scale
    T = (np.floor(end_day / step) - first_p) * step / scale
    out = pd.DataFrame({"frequency": totals["frequency"].astype(int), "recency": recency.astype(float),
                        "T": T.astype(float), "monetary_value": totals["monetary"],
                        "first": pd.to_datetime(first_p * step, unit="D"),
                        "n_transactions": totals["n_transactions"]}, index=pd.Index(uniques, name=customer))
    bought = n_occ > 0
    if not bought.all():  # customers whose every transaction was refunded made no purchase
        out = out[bought]
    if return_refunds:
        return out, {**stats, "customers_without_purchase": int((~bought).sum())}
    return out


def calibration_holdout(transactions: pd.DataFrame, calibration_end: str | pd.Timestamp,
                        holdout_end: str | pd.Timestamp | None = None, customer: str = "customer_id",
                        date: str = "date", amount: str | None = "amount", freq: str = "D",
                        unit: str | float | None = None) -> pd.DataFrame:
    """RFM in a calibration period and the repeat purchases each customer made in the holdout.

    Refunds are netted as in :func:`rfm`, within each period.

    Returns
    -------
    pandas.DataFrame
        The :func:`rfm` columns of the calibration period plus ``frequency_holdout`` (purchase
        occasions after ``calibration_end`` up to ``holdout_end``), ``monetary_holdout`` and
        ``duration_holdout`` (in ``unit``). Customers born after ``calibration_end`` are left out.

    Examples
    --------
    >>> tx = pd.DataFrame({"customer_id": ["a", "a", "a", "b"],
    ...                    "date": pd.to_datetime(["2024-01-01", "2024-01-08", "2024-01-20", "2024-01-25"]),
    ...                    "amount": [10.0, 20.0, 30.0, 7.0]})
    >>> ch = calibration_holdout(tx, "2024-01-14", "2024-01-28")
    >>> ch[["frequency", "frequency_holdout", "monetary_holdout", "duration_holdout"]].to_dict("index")
    {'a': {'frequency': 1, 'frequency_holdout': 1, 'monetary_holdout': 30.0, 'duration_holdout': 14.0}}
    """
    dates = _naive_utc(transactions[date])
    cal_end = _naive_utc(pd.Timestamp(calibration_end))
    hold_end = _naive_utc(pd.Timestamp(holdout_end)) if holdout_end is not None else dates.max()
    cal = rfm(transactions, customer, date, amount, end=cal_end, freq=freq, unit=unit)
    later = transactions[((dates > cal_end) & (dates <= hold_end)).to_numpy()]
    if len(later):
        totals, _, uniques, _, _ = _totals(later, customer, date, amount, hold_end, freq)
        n_occ = totals["n_occ"]
        counts = pd.Series(n_occ, index=uniques)
        spend = (pd.Series(totals["spend"] / np.maximum(n_occ, 1), index=uniques) if amount is not None else None)
    else:
        counts, spend = pd.Series(dtype=float), None
    cal["frequency_holdout"] = counts.reindex(cal.index).fillna(0).astype(int)
    cal["monetary_holdout"] = spend.reindex(cal.index).fillna(0.0) if spend is not None else 0.0
    cal["duration_holdout"] = (hold_end - cal_end) / pd.Timedelta(days=_unit_days(unit or freq))
    return cal
