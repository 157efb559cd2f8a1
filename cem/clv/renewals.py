"""Contractual customers: renewal histories from payments, the candidate models' holdout check,
and each customer's residual lifetime value.

A contractual customer (a subscription, a service contract renewed each period) pays once per
period until they cancel; that they cancelled is seen, as a period that goes unpaid. From the
transactions (:func:`renewal_histories`):

* periods are calendar periods (``week``, ``month``, ``quarter``, ``year``) counted from each
  customer's first payment; only whole periods are used (the period holding the last date of the
  data is left out unless the data run to its last day, so a payment not yet due is not read
  as a cancellation);
* ``periods``: a customer's periods from the first payment to the last (their lifetime so far);
  ``churned``: a whole period after their last payment went unpaid; ``paid``: the periods with a
  payment; ``spend``: their mean payment per paid period.

Two candidate models (:func:`contractual_holdout`):

* **sBG** (Fader & Hardie 2007, :mod:`cem.clv.sbg`): churn seen, a churn probability per
  customer from a Beta;
* **BG/BB** (Fader, Hardie & Shang 2010, :mod:`cem.clv.bgbb`): each period a discrete
  opportunity to pay, churn not seen; it fits customers who skip periods and come back.

Each is fitted on the periods up to a split and asked to predict each customer's paid periods
after it. The value of a customer (:func:`contractual_values`) is
``margin x spend per period x DERL`` over the study's horizon in periods (Fader & Hardie 2010,
:meth:`cem.clv.SBG.derl`), or with BG/BB the discounted expected paid periods over the horizon.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["PERIODS", "renewal_histories", "contractual_holdout", "contractual_values", "retention_table"]

#: Periods a contractual study may renew in: name -> (months per period, periods per year); weeks by days.
PERIODS = {"week": (None, 52.0), "month": (1, 12.0), "quarter": (3, 4.0), "year": (12, 1.0)}


def _index(dates, period):
    """Calendar period of each date as a whole number (months since year 0 divided by the period's months; weeks since 1970)."""
    months, _ = PERIODS[period]
    dates = pd.DatetimeIndex(dates)
    if months is None:
        return np.asarray((dates - pd.Timestamp("1970-01-05")).days // 7, dtype=np.int64)  # weeks from a Monday
    return np.asarray((dates.year * 12 + dates.month - 1) // months, dtype=np.int64)


def renewal_histories(transactions: pd.DataFrame, period: str = "month", end: str | pd.Timestamp | None = None,
                      customer: str = "customer_id", date: str = "date", amount: str = "amount") -> tuple[pd.DataFrame, int]:
    """Each customer's renewal history from their payments (rules in the module docstring).

    Parameters
    ----------
    transactions : pandas.DataFrame
        ``customer_id, date, amount``.
    period : str
        ``week``, ``month``, ``quarter`` or ``year``.
    end : date, optional
        The end of the observation (the last date of the data when None); payments after it are
        left out.

    Returns
    -------
    histories : pandas.DataFrame
        By customer: ``first`` (period index of the first payment), ``last``, ``periods``
        (``last - first + 1``), ``paid``, ``churned`` (0/1), ``opportunities`` (whole periods
        after the first up to the end: BG/BB's ``n``), ``spend`` (mean payment per paid period).
        Customers whose first payment falls in the last, unfinished period are left out.
    last_period : int
        The index of the last whole period.

    Examples
    --------
    >>> tx = pd.DataFrame({"customer_id": ["a", "a", "a", "b", "b", "c"],
    ...                    "date": pd.to_datetime(["2024-01-05", "2024-02-05", "2024-03-05", "2024-01-20",
    ...                                            "2024-02-20", "2024-03-31"]),
    ...                    "amount": [10.0, 10.0, 10.0, 30.0, 30.0, 5.0]})
    >>> h, last = renewal_histories(tx, "month")
    >>> h[["periods", "churned", "paid", "opportunities", "spend"]].to_dict("index")  # doctest: +NORMALIZE_WHITESPACE
    {'a': {'periods': 3, 'churned': 0, 'paid': 3, 'opportunities': 2, 'spend': 10.0},
     'b': {'periods': 2, 'churned': 1, 'paid': 2, 'opportunities': 2, 'spend': 30.0},
     'c': {'periods': 1, 'churned': 0, 'paid': 1, 'opportunities': 0, 'spend': 5.0}}
    """
    if period not in PERIODS:
        raise ValueError(f"period must be one of {', '.join(PERIODS)}; got {period!r}")
    when = pd.to_datetime(transactions[date])
    end = when.max() if end is None else pd.Timestamp(end)
    # The last whole period: the one holding `end` counts only when `end` is its last day.
    last = int(_index([end + pd.Timedelta(days=1)], period)[0]) - 1
    frame = pd.DataFrame({"customer": transactions[customer].to_numpy(), "period": _index(when, period),
                          "amount": pd.to_numeric(transactions[amount]).to_numpy(dtype=float)})
    frame = frame[(when <= end).to_numpy() & (frame["period"].to_numpy() <= last)]
    per = frame.groupby(["customer", "period"], sort=False)["amount"].sum().reset_index()
    grouped = per.groupby("customer", sort=True)
    out = pd.DataFrame({"first": grouped["period"].min(), "last": grouped["period"].max(),
                        "paid": grouped["period"].size(), "spend": grouped["amount"].mean()})
    out["periods"] = out["last"] - out["first"] + 1
    out["churned"] = (out["last"] < last).astype(int)
    out["opportunities"] = last - out["first"]
    out.index.name = None
    return out[["first", "last", "periods", "paid", "churned", "opportunities", "spend"]], last


def _bgbb_summary(histories):
    """BG/BB's ``frequency`` (paid periods after the first), ``recency`` (the last one's period
    after the first; 0 when none) and ``n_periods`` (whole periods after the first)."""
    return pd.DataFrame({"frequency": histories["paid"] - 1,
                         "recency": np.where(histories["paid"] > 1, histories["last"] - histories["first"], 0),
                         "n_periods": histories["opportunities"]}, index=histories.index)


def _expected_paid(name, model, histories, n_ahead, covariates=None):
    """Expected paid periods of each customer in the next ``n_ahead`` whole periods."""
    if name == "sBG":
        alive = histories["churned"].to_numpy() == 0
        out = np.zeros(len(histories))
        if alive.any():
            cov = None if covariates is None else covariates[alive]
            out[alive] = model.derl(0.0, histories["periods"].to_numpy()[alive] - 1, horizon=n_ahead, covariates=cov)
        return out
    s = _bgbb_summary(histories)
    return np.asarray(model.expected_purchases(n_ahead, s["frequency"], s["recency"], s["n_periods"]), dtype=float)


def contractual_holdout(transactions: pd.DataFrame, period: str, split: str | pd.Timestamp,
                        source: str = "transactions") -> pd.DataFrame:
    """Fit sBG and BG/BB on the whole periods up to ``split`` and check their prediction of each
    customer's paid periods after it, to the end of the data.

    Returns
    -------
    pandas.DataFrame
        ``model, holdout_error`` (relative error of the holdout's paid periods in total),
        ``loglik, fit_warning, chosen`` (False: the choice is the caller's), ``predicted, actual``.

    Examples
    --------
    >>> from cem.synth import contractual_transactions
    >>> tx, _ = contractual_transactions(np.zeros(600), seed=3)
    >>> tx["customer_id"] = "c" + tx["customer_id"].astype(str)
    >>> table = contractual_holdout(tx, "month", "2024-12-31")
    >>> table["model"].tolist(), bool(abs(table.set_index("model").loc["sBG", "holdout_error"]) < 0.1)
    (['sBG', 'BG/BB'], True)
    """
    from ..errors import InputError
    from .bgbb import fit_bgbb
    from .sbg import fit_sbg_customers

    cal, cal_last = renewal_histories(transactions, period, end=split)
    full, last = renewal_histories(transactions, period)
    n_ahead = last - cal_last
    if n_ahead < 1 or cal.empty:
        raise InputError.single(str(source), f"no whole {period} after the calibration split to check the models on")
    when = pd.to_datetime(transactions["date"])
    periods = _index(when, period)
    later = pd.DataFrame({"customer": transactions["customer_id"].to_numpy(), "period": periods})
    later = later[(periods > cal_last) & (periods <= last)].drop_duplicates()
    actual = later.groupby("customer").size().reindex(cal.index, fill_value=0).to_numpy(dtype=float)
    fitters = {"sBG": lambda: fit_sbg_customers(cal, source=source),
               "BG/BB": lambda: fit_bgbb(_bgbb_summary(cal), source=source)}
    rows = []
    for name, fit in fitters.items():
        try:
            model = fit()
        except InputError:  # too few customers: said as such, not as a failed fit
            raise
        except (ValueError, FloatingPointError, np.linalg.LinAlgError) as exc:
            rows.append({"model": name, "holdout_error": np.nan, "loglik": np.nan,
                         "fit_warning": f"the fit failed ({exc})", "chosen": False, "predicted": np.nan,
                         "actual": actual.sum()})
            continue
        predicted = float(_expected_paid(name, model, cal, n_ahead).sum())
        rows.append({"model": name, "holdout_error": (predicted - actual.sum()) / actual.sum() if actual.sum() else np.nan,
                     "loglik": model.loglik, "fit_warning": model.fit_warning, "chosen": False,
                     "predicted": predicted, "actual": float(actual.sum())})
    return pd.DataFrame(rows, columns=["model", "holdout_error", "loglik", "fit_warning", "chosen", "predicted",
                                       "actual"])


def contractual_values(name: str, model: object, histories: pd.DataFrame, terms: dict, period: str,
                       covariates: pd.DataFrame | None = None) -> np.ndarray:
    """Each customer's residual lifetime value over the study's horizon: ``margin x spend per
    period x DERL`` (sBG; Fader & Hardie 2010, over the horizon's periods: see
    :meth:`cem.clv.SBG.derl`), or ``margin x spend per period x`` the discounted expected paid
    periods of BG/BB. The yearly discount rate becomes ``(1 + d)^(1/k) - 1`` per period (``k``
    periods a year); a customer who cancelled is worth nothing more.

    Parameters
    ----------
    name : str
        "sBG" or "BG/BB".
    model : SBG or BGBB
    histories : pandas.DataFrame
        From :func:`renewal_histories`.
    terms : dict
        :func:`cem.clv.study_terms`: margin, discount_rate (yearly), horizon (years).
    period : str
    covariates : pandas.DataFrame, optional
        The sBG's covariates, one row per customer of ``histories``.

    Returns
    -------
    numpy.ndarray

    Examples
    --------
    >>> from cem.clv import SBG
    >>> m = SBG(params={"alpha": 1.0, "beta": 9.0}, loglik=0.0, n=2)
    >>> h = pd.DataFrame({"periods": [3, 3], "churned": [0, 1], "spend": [100.0, 100.0]})
    >>> v = contractual_values("sBG", m, h, {"margin": 0.5, "discount_rate": 0.0, "horizon": 1.0}, "year")
    >>> [round(float(x), 2) for x in v]  # one year: the next renewal, (9+2)/(10+2), times 50
    [45.83, 0.0]
    """
    per_year = PERIODS[period][1]
    horizon = max(1, int(round(terms["horizon"] * per_year)))
    rate = (1 + terms["discount_rate"]) ** (1 / per_year) - 1
    spend = histories["spend"].to_numpy(dtype=float) * terms["margin"]
    if name == "sBG":
        alive = histories["churned"].to_numpy() == 0
        out = np.zeros(len(histories))
        if alive.any():
            cov = None if covariates is None else covariates[alive]
            out[alive] = model.derl(rate, histories["periods"].to_numpy()[alive] - 1, horizon=horizon, covariates=cov)
        return spend * out
    s = _bgbb_summary(histories)
    total, prev = np.zeros(len(histories)), np.zeros(len(histories))
    for k in range(1, horizon + 1):
        cum = np.asarray(model.expected_purchases(k, s["frequency"], s["recency"], s["n_periods"]), dtype=float)
        total += (cum - prev) / (1 + rate) ** (k - 1)  # the next period's payment as DERL counts it
        prev = cum
    return spend * total


def retention_table(model: object, histories: pd.DataFrame, covariates: pd.DataFrame | None = None,
                    periods: int | None = None) -> pd.DataFrame:
    """Survival and retention by period, observed (Kaplan-Meier over the customers' own start
    dates) beside the sBG's (the mean of each customer's ``S_i(t)``, their covariates included).

    Observed: of the customers who had reached renewal ``t`` (paid ``t`` periods and either
    paid the next or cancelled), the share who renewed; survival is the product of those shares.

    Returns
    -------
    pandas.DataFrame
        By period ``t`` (0, 1, ...): ``at_risk``, ``observed_retention``, ``observed_survival``,
        ``model_retention``, ``model_survival``.

    Examples
    --------
    >>> from cem.clv import SBG
    >>> m = SBG(params={"alpha": 1.0, "beta": 3.0}, loglik=0.0, n=4)
    >>> h = pd.DataFrame({"periods": [1, 2, 3, 3], "churned": [1, 1, 0, 1]})
    >>> retention_table(m, h)[["at_risk", "observed_survival", "model_survival"]].round(3).to_dict("list")
    {'at_risk': [4, 4, 3], 'observed_survival': [1.0, 0.75, 0.5], 'model_survival': [1.0, 0.75, 0.6]}
    """
    t_max = int(histories["periods"].max()) if periods is None else int(periods)
    life = histories["periods"].to_numpy()
    churned = histories["churned"].to_numpy() == 1
    t = np.arange(t_max)
    # Renewal t (after t paid periods; t >= 1) is seen for those who paid more than t, or cancelled after t.
    at_risk = np.array([len(life)] + [int(((life > k) | (churned & (life == k))).sum()) for k in t[1:]])
    lost = np.array([0] + [int((churned & (life == k)).sum()) for k in t[1:]])
    with np.errstate(invalid="ignore", divide="ignore"):
        observed = np.where(at_risk > 0, 1 - lost / np.maximum(at_risk, 1), np.nan)
    survival = model.survival(t, covariates=covariates)
    mean_survival = np.asarray(survival.mean(axis=0) if np.ndim(survival) == 2 else survival, dtype=float)
    model_retention = np.r_[1.0, mean_survival[1:] / mean_survival[:-1]]
    return pd.DataFrame({"period": t, "at_risk": at_risk, "observed_retention": observed,
                         "observed_survival": np.cumprod(observed), "model_retention": model_retention,
                         "model_survival": mean_survival})
