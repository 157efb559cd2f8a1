"""Customer lifetime value: RFM summaries, the customer-base models, value over a horizon.

Models (fitted by maximum likelihood with scipy; parameters on the log scale while searching):

* **BG/NBD** (Fader, Hardie & Lee 2005, "Counting your customers the easy way"): while alive a
  customer buys at rate ``lambda ~ Gamma(r, alpha)``; after each purchase they drop out with
  probability ``p ~ Beta(a, b)``. Per customer with ``x`` repeat purchases, last at ``t_x``,
  observed for ``T``::

      L = Gamma(r+x) alpha^r / Gamma(r) * B(a, b+x) / B(a, b)
          * [ (alpha+T)^-(r+x) + [x>0] a / (b+x-1) * (alpha+t_x)^-(r+x) ]

* **Pareto/NBD** (Schmittlein, Morrison & Colombo 1987; likelihood as in Fader & Hardie's
  note on its derivation): purchases at ``lambda ~ Gamma(r, alpha)``, lifetime exponential with
  ``mu ~ Gamma(s, beta)``::

      L = Gamma(r+x) alpha^r beta^s / Gamma(r)
          * [ 1 / ((alpha+T)^(r+x) (beta+T)^s) + s / (r+s+x) * A0 ]

  with ``A0`` from the Gauss hypergeometric function (``scipy.special.hyp2f1``).

* **Gamma-Gamma** (Fader, Hardie & Lee 2005, "RFM and CLV"; Fader & Hardie's note on the
  model of monetary value): a customer's transaction values are ``Gamma(p, nu)``, with
  ``nu ~ Gamma(q, gamma)`` across customers; fitted on customers with repeat purchases, ``x``
  of them with mean value ``m``::

      L = Gamma(p x + q) / (Gamma(p x) Gamma(q)) * gamma^q * m^(p x - 1) * x^(p x)
          / (gamma + m x)^(p x + q)

  Expected mean spend ``E[M | x, m] = (gamma + m x) p / (p x + q - 1)``.

* **Lifetime value**: ``CLV = margin * E[M] * sum_k (E[X(k d)] - E[X((k-1) d)]) / (1 + i)^k`` over
  the months ``k`` of the horizon (``d`` a month in the model's time unit, ``i`` the monthly
  discount rate from the yearly one). Where only retention is known:
  ``CLV = m * r / (1 + d - r)`` (margin ``m`` per period, retention ``r``, discount ``d``).

The CDNOW sample reproduces the published estimates (see tests/test_clv.py).

Decisions about the data (as CLVTools and lifetimes practise them):

* **Refunds** (amounts below zero) are valid input. A customer's transactions of one day are
  one purchase occasion, amounts summed, so a same-day refund nets against that day's purchase;
  a refund on a day without purchases nets into the customer's previous purchase occasion (one
  with no earlier purchase is left out). An occasion that holds refunds and nets to zero or less
  is a return, not a purchase: it counts in neither frequency, recency nor spend. An occasion
  without refunds is a purchase whatever its amount (CDNOW's $0 orders count in the published
  estimates). ``cem validate`` says these counts in a warning, computed by the same
  :func:`rfm` the lifetime-value notebook fits on, so the two agree.
* **Gamma-Gamma** is fitted on customers with repeat purchases and a positive mean spend only
  (its likelihood needs ``m > 0``); others get the model's expected spend given ``x`` and ``m``.
* **Too few customers**: below :data:`MIN_FIT_CUSTOMERS` customers (or
  :data:`MIN_REPEAT_CUSTOMERS` with repeat purchases; :data:`MIN_SPEND_CUSTOMERS` for
  Gamma-Gamma) a fit raises :class:`cem.errors.InputError` saying so instead of returning
  parameters the data cannot pin down; ``cem validate`` warns with the same sentence.
* **Dates** with a time zone are converted to UTC; dates without one are taken as UTC. Dates
  before :data:`MIN_DATE` are refused as placeholders or typos.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import optimize, special

__all__ = [
    "MIN_SPEND_CUSTOMERS",
    "MIN_FIT_CUSTOMERS",
    "too_few_to_fit",
    "rfm",
    "calibration_holdout",
    "fit_bgnbd",
    "fit_pareto_nbd",
    "fit_gamma_gamma",
    "BGNBD",
    "ParetoNBD",
    "GammaGamma",
    "holdout_error",
    "lifetime_value",
    "retention_clv",
    "read_cdnow",
    "experience_matrix",
    "step_effects",
    "StepEffects",
    "value_at_stake",
    "read_transactions",
    "load_transactions",
    "customers_table",
    "study_terms",
    "study_value_at_stake",
]

#: Larger (or infinite) amounts in transactions.csv are refused as implausible.
MAX_AMOUNT = 1e12

#: BG/NBD and Pareto/NBD (four parameters each) are not fitted on fewer customers than this ...
MIN_FIT_CUSTOMERS = 20

#: ... of whom at least this many made a repeat purchase: the dropout process shows only in repeats.
MIN_REPEAT_CUSTOMERS = 5

#: Gamma-Gamma (three parameters) needs this many customers with repeat purchases and a positive spend.
MIN_SPEND_CUSTOMERS = 10

#: Purchases dated before this are refused: a year 0001 or 1677 is a placeholder or a typo, not a sale.
MIN_DATE = pd.Timestamp("1900-01-01")

_UNIT_DAYS = {"D": 1.0, "W": 7.0, "M": 365.25 / 12, "Y": 365.25}


def _unit_days(unit):
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


def _occasions(codes, period, amounts, n_customers, has_amount=True):
    """Purchase occasions, one per customer and period, with refunds netted against purchases.

    The practice of the customer-base literature and its tools (CLVTools aggregates a
    customer's transactions of one day; lifetimes and Fader & Hardie's Gamma-Gamma need a
    positive spend per customer):

    * the transactions of a customer in one period are one occasion, their amounts summed, so
      a same-day refund nets against that day's purchase;
    * an occasion that nets below zero is a refund of something bought before: its amount is
      netted into the customer's previous purchase occasion (a refund with no earlier purchase
      is left out);
    * an occasion holding refunds whose net amount is zero or less is a return, not a purchase;
      an occasion without refunds is a purchase whatever its amount (CDNOW's zero-value orders
      are purchases in the published estimates).

    Returns
    -------
    occ_c, occ_p, occ_amount : numpy arrays
        The purchase occasions' customer codes, periods and net amounts, sorted by customer and
        period.
    stats : dict
        ``refunds`` (transactions below zero), ``netted_earlier`` (refund occasions netted into
        an earlier purchase), ``unmatched`` (refunds with no earlier purchase, left out),
        ``returns`` (occasions that net to zero or less, left out), ``n_transactions`` per customer.
    """
    lo = period.min() if len(period) else 0
    key = codes.astype(np.int64) * (int(period.max() - lo) + 1 if len(period) else 1) + (period - lo)
    order = np.argsort(key, kind="stable")  # one combined key: cheap when the log is already ordered
    k, p, c, a = key[order], period[order], codes[order], amounts[order]
    starts = np.flatnonzero(np.r_[True, k[1:] != k[:-1]]) if len(k) else np.array([], dtype=np.int64)
    occ_c, occ_p = c[starts], p[starts]
    occ_amount = np.add.reduceat(a, starts) if len(a) else np.array([])
    stats = {"refunds": 0, "netted_earlier": 0, "unmatched": 0, "returns": 0,
             "n_transactions": np.bincount(c, minlength=n_customers)}
    if not has_amount or not len(a) or not (a < 0).any():
        return occ_c, occ_p, occ_amount, stats
    stats["refunds"] = int((a < 0).sum())
    has_refund = np.minimum.reduceat(a, starts) < 0
    purchase = (occ_amount > 0) | ((occ_amount == 0) & ~has_refund)
    refund = occ_amount < 0
    # Each refund occasion's target: the last purchase occasion before it (same customer).
    last = np.maximum.accumulate(np.where(purchase, np.arange(len(purchase)), -1))
    target = last[refund]
    matched = (target >= 0) & (occ_c[np.maximum(target, 0)] == occ_c[refund])
    np.add.at(occ_amount, target[matched], occ_amount[refund][matched])
    received = np.zeros(len(purchase), dtype=bool)
    received[target[matched]] = True
    returned = purchase & (received | has_refund) & (occ_amount <= 0)
    stats.update(netted_earlier=int(matched.sum()), unmatched=int((~matched).sum()),
                 returns=int(returned.sum() + (has_refund & ~purchase & ~refund).sum()))
    keep = purchase & ~returned
    return occ_c[keep], occ_p[keep], occ_amount[keep], stats


def _purchases(transactions, customer, date, amount, end, freq):
    """The purchase occasions of the transactions up to ``end`` (see :func:`_occasions`)."""
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
    codes, uniques = pd.factorize(ids, sort=False)
    amounts = (transactions[amount].to_numpy(dtype=float)[keep] if amount is not None else np.zeros(len(codes)))
    occ = _occasions(codes, period, amounts, len(uniques), has_amount=amount is not None)
    return (*occ, uniques, end_day, step)


def rfm(transactions, customer="customer_id", date="date", amount="amount", end=None, freq="D", unit=None):
    """Recency, frequency and monetary value per customer, as the customer-base models need them.

    Conventions of the customer-base literature (the lifetimes package's summary table):
    transactions in the same period (``freq``) count as one purchase occasion, their amounts
    summed; the first occasion is the customer's birth. Refunds (amounts below zero) net
    against the purchase of the same occasion, else the customer's previous one; an occasion
    that nets to zero or less after a refund is a return, not a purchase (see
    :func:`_occasions`). Customers left with no purchase are not in the result; the counts are
    in ``attrs["refunds"]``. Time-zone-aware dates are taken in UTC.

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

    Returns
    -------
    pandas.DataFrame
        Indexed by customer: ``frequency`` (repeat occasions), ``recency`` (first to last
        occasion), ``T`` (first occasion to ``end``), ``monetary_value`` (mean amount of the
        repeat occasions, 0 without repeats), ``first``, ``n_transactions``.

    Examples
    --------
    >>> tx = pd.DataFrame({"customer_id": ["a", "a", "a", "b"],
    ...                    "date": pd.to_datetime(["2024-01-01", "2024-01-01", "2024-01-08", "2024-01-05"]),
    ...                    "amount": [10.0, 5.0, 20.0, 7.0]})
    >>> rfm(tx, end="2024-01-15")[["frequency", "recency", "T", "monetary_value"]].to_dict("index")
    {'a': {'frequency': 1, 'recency': 7.0, 'T': 14.0, 'monetary_value': 20.0}, 'b': {'frequency': 0, 'recency': 0.0, 'T': 10.0, 'monetary_value': 0.0}}

    A refund a week later nets into the purchase it returns:

    >>> tx.loc[len(tx)] = ["a", pd.Timestamp("2024-01-12"), -5.0]
    >>> s = rfm(tx, end="2024-01-15")
    >>> int(s.loc["a", "frequency"]), float(s.loc["a", "monetary_value"])
    (1, 15.0)
    """
    occ_c, occ_p, occ_amount, stats, uniques, end_day, step = _purchases(transactions, customer, date, amount,
                                                                          end, freq)
    scale = _unit_days(unit or freq)
    n = len(uniques)
    first_idx = np.flatnonzero(np.r_[True, occ_c[1:] != occ_c[:-1]]) if len(occ_c) else np.array([], int)
    n_occ = np.bincount(occ_c, minlength=n)
    first_p = np.zeros(n, dtype=np.int64)
    last_p = np.zeros(n, dtype=np.int64)
    first_amount = np.zeros(n)
    if len(occ_c):
        first_p[occ_c[first_idx]] = occ_p[first_idx]
        last_idx = np.r_[first_idx[1:] - 1, len(occ_p) - 1]
        last_p[occ_c[last_idx]] = occ_p[last_idx]
        first_amount[occ_c[first_idx]] = occ_amount[first_idx]
    total = np.bincount(occ_c, weights=occ_amount, minlength=n)
    frequency = np.maximum(n_occ - 1, 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        monetary = np.where(frequency > 0, (total - first_amount) / np.maximum(frequency, 1), 0.0)
    # Recency and T from the periods' starts, in the unit asked for.
    recency = (last_p - first_p) * step / scale
    T = (np.floor(end_day / step) - first_p) * step / scale
    out = pd.DataFrame({"frequency": frequency.astype(int), "recency": recency.astype(float), "T": T.astype(float),
                        "monetary_value": monetary, "first": pd.to_datetime(first_p * step, unit="D"),
                        "n_transactions": stats.pop("n_transactions")}, index=pd.Index(uniques, name=customer))
    bought = n_occ > 0
    if not bought.all():  # customers whose every transaction was refunded made no purchase
        out = out[bought]
    out.attrs = {"source": transactions.attrs.get("source", "transactions"),
                 "refunds": {**stats, "customers_without_purchase": int((~bought).sum())}}
    return out


def calibration_holdout(transactions, calibration_end, holdout_end=None, customer="customer_id", date="date",
                        amount="amount", freq="D", unit=None):
    """RFM in a calibration period and the repeat purchases each customer made in the holdout.

    Refunds are netted as in :func:`rfm`, within each period.

    Returns
    -------
    pandas.DataFrame
        The :func:`rfm` columns of the calibration period plus ``frequency_holdout`` (purchase
        occasions after ``calibration_end`` up to ``holdout_end``), ``monetary_holdout`` and
        ``duration_holdout`` (in ``unit``). Customers born after ``calibration_end`` are left out.
    """
    dates = _naive_utc(transactions[date])
    cal_end = _naive_utc(pd.Timestamp(calibration_end))
    hold_end = _naive_utc(pd.Timestamp(holdout_end)) if holdout_end is not None else dates.max()
    cal = rfm(transactions, customer, date, amount, end=cal_end, freq=freq, unit=unit)
    later = transactions[((dates > cal_end) & (dates <= hold_end)).to_numpy()]
    if len(later):
        occ_c, _, occ_amount, _, uniques, _, _ = _purchases(later, customer, date, amount, hold_end, freq)
        n_occ = np.bincount(occ_c, minlength=len(uniques))
        counts = pd.Series(n_occ, index=uniques)
        spend = (pd.Series(np.bincount(occ_c, weights=occ_amount, minlength=len(uniques)) / np.maximum(n_occ, 1),
                           index=uniques) if amount is not None else None)
    else:
        counts, spend = pd.Series(dtype=float), None
    attrs = dict(cal.attrs)
    cal["frequency_holdout"] = counts.reindex(cal.index).fillna(0).astype(int)
    cal["monetary_holdout"] = spend.reindex(cal.index).fillna(0.0) if spend is not None else 0.0
    cal["duration_holdout"] = (hold_end - cal_end) / pd.Timedelta(days=_unit_days(unit or freq))
    cal.attrs = attrs
    return cal


def too_few_to_fit(summary, frequency="frequency", monetary="monetary_value", spend=True):
    """Why the customer-base models cannot be estimated from these customers; None when they can.

    Below :data:`MIN_FIT_CUSTOMERS` customers (or :data:`MIN_REPEAT_CUSTOMERS` with repeat
    purchases) a fit returns parameters the data cannot pin down, so the fits refuse instead;
    with ``spend``, Gamma-Gamma's :data:`MIN_SPEND_CUSTOMERS` is checked too.

    Examples
    --------
    >>> s = pd.DataFrame({"frequency": [3], "monetary_value": [10.0]})
    >>> print(too_few_to_fit(s))
    1 customer with purchases (1 with repeat purchases): too few to fit the customer-base models, which need at least 20 customers, 5 of them with repeat purchases
    """
    x = np.asarray(summary[frequency])
    n, repeat = len(x), int((x > 0).sum())
    if n < MIN_FIT_CUSTOMERS or repeat < MIN_REPEAT_CUSTOMERS:
        return (f"{n:,} customer{'s' if n != 1 else ''} with purchases ({repeat:,} with repeat purchases): too few "
                f"to fit the customer-base models, which need at least {MIN_FIT_CUSTOMERS} customers, "
                f"{MIN_REPEAT_CUSTOMERS} of them with repeat purchases")
    if spend and monetary in summary:
        k = int(((x > 0) & (np.asarray(summary[monetary]) > 0)).sum())
        if k < MIN_SPEND_CUSTOMERS:
            return (f"{k:,} customer{'s' if k != 1 else ''} with repeat purchases of a positive value: too few to "
                    f"fit the Gamma-Gamma spend model, which needs at least {MIN_SPEND_CUSTOMERS}")
    return None


def _refuse_if_too_few(summary, frequency, monetary="monetary_value", spend=False):
    why = too_few_to_fit(summary, frequency, monetary, spend)
    if why:
        from .errors import InputError

        raise InputError.single(str(summary.attrs.get("source", "transactions")), why)


def _compress(*columns):
    """Unique rows and their counts: the likelihood is a sum over customers, so identical
    customers are computed once (CDNOW: 2357 customers, about 1/3 as many distinct rows)."""
    frame = pd.DataFrame({i: np.asarray(c, dtype=float) for i, c in enumerate(columns)})
    grouped = frame.groupby(list(frame.columns), sort=False).size()
    keys = np.array(grouped.index.tolist(), dtype=float).reshape(len(grouped), len(columns))
    return [keys[:, i] for i in range(len(columns))], grouped.to_numpy(dtype=float)


def _fit(negll, x0, names):
    """Maximise the likelihood over log-parameters from each start; keep the best.

    BFGS first: it follows the flat ridges of these likelihoods (Pareto/NBD's s and beta) to
    the published precision. A BFGS run that stops for "precision loss" with a near-zero
    gradient is on such a ridge, at the optimum's likelihood; one that cannot be evaluated
    falls back to bounded L-BFGS-B. The next start is tried only when a start did not reach an
    optimum: on a ridge each start costs hundreds of likelihood evaluations.
    """
    best = None
    for start in x0:
        with np.errstate(all="ignore"):  # the search tries extreme parameters; bad ones score 1e20
            res = optimize.minimize(negll, np.log(start), method="BFGS", options={"gtol": 1e-8, "maxiter": 2000})
            if not _usable(res):
                res = optimize.minimize(negll, np.log(start), method="L-BFGS-B", bounds=[(-12, 12)] * len(start),
                                        options={"maxiter": 5000, "ftol": 1e-15, "gtol": 1e-10})
        if best is None or res.fun < best.fun:
            best = res
        # A gradient at the noise level of its finite differences (about 1e-6 of the likelihood): an optimum.
        if _usable(res) and (res.success or np.max(np.abs(res.jac)) < 1e-6 * max(1.0, abs(res.fun))):
            break
    return dict(zip(names, np.exp(best.x))), -best.fun, best


def _usable(res):
    """A search that ended at a finite likelihood: converged, or stopped on a flat ridge."""
    return bool(np.isfinite(res.fun) and res.fun < 1e19 and (res.success or res.status == 2))


@dataclass
class _Model:
    params: dict
    loglik: float
    n: int
    converged: bool = True
    extra: dict = field(default_factory=dict)

    def summary(self):
        """Parameters and log-likelihood as a one-row DataFrame."""
        return pd.DataFrame([{**self.params, "loglik": self.loglik, "customers": self.n}])


def _bgnbd_ll(params, x, tx, T):
    r, alpha, a, b = params
    A1 = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha)
    A2 = special.gammaln(a + b) + special.gammaln(b + x) - special.gammaln(b) - special.gammaln(a + b + x)
    A3 = -(r + x) * np.log(alpha + T)
    with np.errstate(divide="ignore", invalid="ignore"):
        A4 = np.where(x > 0, np.log(a) - np.log(np.maximum(b + x - 1, 1e-300)) - (r + x) * np.log(alpha + tx), -np.inf)
    return A1 + A2 + np.logaddexp(A3, A4)


class BGNBD(_Model):
    """A fitted BG/NBD model: ``params`` r, alpha, a, b; ``loglik``; predictions."""

    def _p(self):
        p = self.params
        return p["r"], p["alpha"], p["a"], p["b"]

    def expected_purchases(self, t, frequency=None, recency=None, T=None):
        """Expected purchases in the next ``t`` time units: of a new customer when only ``t`` is
        given, else conditional on each customer's history (FHL 2005, eq. 10)."""
        r, alpha, a, b = self._p()
        if frequency is None:
            hyp = special.hyp2f1(r, b, a + b - 1, t / (alpha + t))
            return (a + b - 1) / (a - 1) * (1 - (alpha / (alpha + t)) ** r * hyp)
        x, tx, T = (np.asarray(v, dtype=float) for v in (frequency, recency, T))
        hyp = special.hyp2f1(r + x, b + x, a + b + x - 1, t / (alpha + T + t))
        first = (a + b + x - 1) / (a - 1) * (1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * hyp)
        return first * self.prob_alive(x, tx, T)

    def prob_alive(self, frequency, recency, T):
        """Probability each customer is still alive at the end of observation."""
        r, alpha, a, b = self._p()
        x, tx, T = (np.asarray(v, dtype=float) for v in (frequency, recency, T))
        with np.errstate(divide="ignore", over="ignore"):
            ratio = np.where(x > 0, a / np.maximum(b + x - 1, 1e-300) * np.exp((r + x) * (np.log(alpha + T) -
                                                                                      np.log(alpha + tx))), 0.0)
        return 1.0 / (1.0 + ratio)


def fit_bgnbd(summary, frequency="frequency", recency="recency", T="T"):
    """Fit BG/NBD by maximum likelihood.

    Parameters
    ----------
    summary : pandas.DataFrame
        From :func:`rfm` (or any table with frequency, recency and T).

    Returns
    -------
    BGNBD

    Examples
    --------
    >>> cdnow = rfm(read_cdnow("data/external/cdnow/CDNOW_sample.txt"), end="1997-09-30", unit="W")  # doctest: +SKIP
    >>> fit_bgnbd(cdnow).params  # doctest: +SKIP
    {'r': 0.2426, 'alpha': 4.4136, 'a': 0.7929, 'b': 2.4259}
    """
    _refuse_if_too_few(summary, frequency)
    (x, tx, TT), w = _compress(summary[frequency], summary[recency], summary[T])

    def negll(lp):
        value = -np.sum(w * _bgnbd_ll(np.exp(lp), x, tx, TT))
        return value if np.isfinite(value) else 1e20

    params, ll, res = _fit(negll, [(1, 1, 1, 1), (0.5, max(np.mean(TT), 1) / 4, 0.8, 2.5)], ["r", "alpha", "a", "b"])
    return BGNBD(params=params, loglik=float(ll), n=int(w.sum()), converged=_usable(res))


def _pnbd_ll(params, x, tx, T):
    r, alpha, s, beta = params
    maxab = np.maximum(alpha, beta)
    absab = np.abs(alpha - beta)
    param2 = s + 1 if alpha >= beta else r + x
    rsx = r + s + x
    F1 = special.hyp2f1(rsx, param2, rsx + 1, absab / (maxab + tx))
    F2 = special.hyp2f1(rsx, param2, rsx + 1, absab / (maxab + T))
    l1 = np.log(F1) - rsx * np.log(maxab + tx)
    l2 = np.log(F2) - rsx * np.log(maxab + T)
    with np.errstate(divide="ignore", invalid="ignore"):
        # t_x = T makes A0 exactly 0; rounding can put l2 a hair above l1, which must not give NaN.
        logA0 = l1 + np.log1p(-np.minimum(np.exp(l2 - l1), 1.0))
    part1 = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha) + s * np.log(beta)
    term1 = -(r + x) * np.log(alpha + T) - s * np.log(beta + T)
    term2 = np.log(s) - np.log(rsx) + logA0
    return part1 + np.logaddexp(term1, term2)


class ParetoNBD(_Model):
    """A fitted Pareto/NBD model: ``params`` r, alpha, s, beta; ``loglik``; predictions."""

    def _p(self):
        p = self.params
        return p["r"], p["alpha"], p["s"], p["beta"]

    def prob_alive(self, frequency, recency, T):
        """Probability each customer is still alive at the end of observation."""
        r, alpha, s, beta = self._p()
        x, tx, T = (np.asarray(v, dtype=float) for v in (frequency, recency, T))
        ll = _pnbd_ll((r, alpha, s, beta), x, tx, T)
        alive_part = (special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha) + s * np.log(beta)
                      - (r + x) * np.log(alpha + T) - s * np.log(beta + T))
        return np.exp(alive_part - ll)

    def expected_purchases(self, t, frequency=None, recency=None, T=None):
        """Expected purchases in the next ``t`` time units (new customer, or conditional)."""
        r, alpha, s, beta = self._p()
        if frequency is None:
            return r * beta / (alpha * (s - 1)) * (1 - (beta / (beta + t)) ** (s - 1))
        x, tx, T = (np.asarray(v, dtype=float) for v in (frequency, recency, T))
        rate = (r + x) * (beta + T) / ((alpha + T) * (s - 1))
        return rate * (1 - ((beta + T) / (beta + T + t)) ** (s - 1)) * self.prob_alive(x, tx, T)


def fit_pareto_nbd(summary, frequency="frequency", recency="recency", T="T"):
    """Fit Pareto/NBD by maximum likelihood (see the module docstring).

    Returns
    -------
    ParetoNBD
    """
    _refuse_if_too_few(summary, frequency)
    (x, tx, TT), w = _compress(summary[frequency], summary[recency], summary[T])

    def negll(lp):
        value = -np.sum(w * _pnbd_ll(np.exp(lp), x, tx, TT))
        return value if np.isfinite(value) else 1e20

    params, ll, res = _fit(negll, [(0.5, 10, 0.5, 10), (1, 1, 1, 1)], ["r", "alpha", "s", "beta"])
    return ParetoNBD(params=params, loglik=float(ll), n=int(w.sum()), converged=_usable(res))


def _gg_ll(params, x, m):
    p, q, g = params
    return (special.gammaln(p * x + q) - special.gammaln(p * x) - special.gammaln(q) + q * np.log(g)
            + (p * x - 1) * np.log(m) + p * x * np.log(x) - (p * x + q) * np.log(g + m * x))


class GammaGamma(_Model):
    """A fitted Gamma-Gamma spend model: ``params`` p, q, gamma; ``loglik``; expected spend."""

    def expected_spend(self, frequency, monetary_value):
        """``E[M | x, m] = (gamma + m x) p / (p x + q - 1)``; the population mean where x = 0."""
        p, q, g = self.params["p"], self.params["q"], self.params["gamma"]
        x = np.asarray(frequency, dtype=float)
        m = np.asarray(monetary_value, dtype=float)
        return (g + m * x) * p / (p * x + q - 1)

    @property
    def mean_spend(self):
        """Population mean transaction value ``p gamma / (q - 1)``."""
        return self.params["p"] * self.params["gamma"] / (self.params["q"] - 1)


def fit_gamma_gamma(summary, frequency="frequency", monetary="monetary_value"):
    """Fit the Gamma-Gamma spend model on customers with repeat purchases and positive spend.

    Returns
    -------
    GammaGamma
    """
    _refuse_if_too_few(summary, frequency, monetary, spend=True)
    keep = (summary[frequency] > 0) & (summary[monetary] > 0)
    (x, m), w = _compress(summary.loc[keep, frequency], summary.loc[keep, monetary])

    def negll(lp):
        return -np.sum(w * _gg_ll(np.exp(lp), x, m))

    params, ll, res = _fit(negll, [(1, 1, 1), (5, 3, 15)], ["p", "q", "gamma"])
    corr = float(np.corrcoef(summary.loc[keep, frequency], summary.loc[keep, monetary])[0, 1]) if keep.sum() > 2 else np.nan
    return GammaGamma(params=params, loglik=float(ll), n=int(w.sum()), converged=_usable(res),
                      extra={"frequency_spend_correlation": corr})


def holdout_error(model, data, frequency="frequency", recency="recency", T="T", actual="frequency_holdout",
                  duration="duration_holdout"):
    """How well a fitted model predicts the holdout period, customer by customer.

    Returns
    -------
    dict
        ``predicted_total``, ``actual_total``, ``total_error`` (relative), ``mae``, ``rmse``,
        ``correlation`` and ``by_frequency``: mean predicted and actual holdout purchases by
        calibration frequency (0..7+), the conditional-expectations check of the papers.
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


def lifetime_value(purchase_model, spend_model, summary, horizon, margin=1.0, discount_rate=0.1,
                   periods_per_year=52.0, frequency="frequency", recency="recency", T="T",
                   monetary="monetary_value"):
    """Discounted expected margin of each customer over a horizon.

    ``CLV = margin * E[M] * sum_k (E[X(k d)] - E[X((k-1) d)]) / (1 + i)^k`` with ``d`` one month
    in the model's time unit, ``k`` the months of the horizon, ``i = (1 + discount_rate)^(1/12) - 1``.

    Parameters
    ----------
    purchase_model : BGNBD or ParetoNBD
    spend_model : GammaGamma or float
        A fitted spend model, or a fixed value per purchase.
    summary : pandas.DataFrame
        From :func:`rfm`, one row per customer.
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
    """
    month = periods_per_year / 12
    n_months = int(np.ceil(horizon / month))
    i = (1 + discount_rate) ** (1 / 12) - 1
    x, tx, TT = summary[frequency], summary[recency], summary[T]
    total = np.zeros(len(summary))
    prev = np.zeros(len(summary))
    for k in range(1, n_months + 1):
        cum = purchase_model.expected_purchases(min(k * month, horizon), x, tx, TT)
        total += (cum - prev) / (1 + i) ** k
        prev = cum
    spend = (spend_model.expected_spend(x, summary[monetary]) if hasattr(spend_model, "expected_spend")
             else np.full(len(summary), float(spend_model)))
    return pd.Series(margin * spend * total, index=summary.index, name="clv")


def retention_clv(margin, retention, discount_rate, horizon=None):
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


def read_cdnow(path):
    """Read a CDNOW file (master with header, or the sample without) into transactions.

    Returns
    -------
    pandas.DataFrame
        ``customer_id, date, cds, amount``.
    """
    with open(path, encoding="ascii") as fh:
        first = fh.readline()
    header = "customer_id" in first
    if header:
        t = pd.read_csv(path, sep=r"\s+", dtype={"customer_id": str, "date": str})
        t = t.rename(columns={"number_of_cds": "cds", "dollar_value": "amount"})
    else:
        t = pd.read_csv(path, sep=r"\s+", header=None, names=["customer_id", "sample_id", "date", "cds", "amount"],
                        dtype={"customer_id": str, "date": str}).drop(columns="sample_id")
    t["date"] = pd.to_datetime(t["date"], format="%Y%m%d")
    return t[["customer_id", "date", "cds", "amount"]]


def experience_matrix(events, rating="rating", customer="customer_id", step="step"):
    """Each customer's experience at each step: the mean of their ratings there (customers x steps).

    Examples
    --------
    >>> e = pd.DataFrame({"customer_id": ["a", "a", "b"], "step": ["S1", "S1", "S2"], "rating": [4, 2, 5]})
    >>> experience_matrix(e).to_dict()
    {'S1': {'a': 3.0, 'b': nan}, 'S2': {'a': nan, 'b': 5.0}}
    """
    rated = events.dropna(subset=[rating, step])
    return rated.pivot_table(index=customer, columns=step, values=rating, aggfunc="mean", sort=False)


@dataclass
class StepEffects:
    """How each step's experience moves churn: a logistic regression, one coefficient per step.

    Attributes
    ----------
    table : pandas.DataFrame
        Per step: ``coef`` (change in the log-odds of churning per rating point), ``se``,
        ``ci_low``, ``ci_high`` (95 %), ``p_value``, ``odds_ratio``, ``rated`` (customers who
        rated it), ``mean_rating``; sorted by how much a point of rating cuts churn.
    intercept : float
    coefs : pandas.Series
    fill : pandas.Series
        Step means used for customers who did not rate a step.
    n : int
        Customers in the regression.
    churn_rate : float
    """

    table: pd.DataFrame
    intercept: float
    coefs: pd.Series
    fill: pd.Series
    n: int
    churn_rate: float

    def churn_probability(self, experience, coefs=None):
        """Predicted churn probability of each customer (missing ratings at the step mean)."""
        X = experience.reindex(columns=self.coefs.index).fillna(self.fill)
        b = self.coefs if coefs is None else coefs
        return 1 / (1 + np.exp(-(self.intercept + X.to_numpy() @ b.to_numpy())))


def step_effects(experience, churned, min_rated=30):
    """Estimate each step's effect on churn, with its uncertainty (statsmodels logistic regression).

    ``logit P(churn) = b0 + sum_s b_s * rating_s``: ``b_s`` is the step's effect, holding the other
    steps' experience fixed. A customer who did not rate a step gets the step's mean rating, so
    the missing rating carries no effect.

    Parameters
    ----------
    experience : pandas.DataFrame
        Customers x steps, from :func:`experience_matrix`.
    churned : pandas.Series
        1 (or True) for customers who left, indexed by customer id.
    min_rated : int
        Steps rated by fewer customers are left out (too little to estimate from).

    Returns
    -------
    StepEffects
    """
    import statsmodels.api as sm

    y = pd.Series(churned).astype(float)
    common = experience.index.intersection(y.index)
    X = experience.loc[common]
    X = X.loc[:, X.notna().sum() >= min_rated]
    fill = X.mean()
    Xf = X.fillna(fill)
    fit = sm.Logit(y.loc[common].to_numpy(), sm.add_constant(Xf.to_numpy(), has_constant="add")).fit(disp=0)
    params, bse = np.asarray(fit.params), np.asarray(fit.bse)
    ci = np.asarray(fit.conf_int(0.05))
    table = pd.DataFrame({"step": X.columns, "coef": params[1:], "se": bse[1:], "ci_low": ci[1:, 0],
                          "ci_high": ci[1:, 1], "p_value": np.asarray(fit.pvalues)[1:],
                          "odds_ratio": np.exp(params[1:]), "rated": X.notna().sum().to_numpy(),
                          "mean_rating": fill.to_numpy()})
    table = table.sort_values("coef").reset_index(drop=True)
    return StepEffects(table=table, intercept=float(params[0]), coefs=pd.Series(params[1:], index=X.columns),
                       fill=fill, n=int(len(common)), churn_rate=float(y.loc[common].mean()))


def value_at_stake(effects, experience, margin, discount_rate, target=5.0, horizon=None):
    """Lifetime value at stake per step: what the customer base would be worth if the step's
    experience reached ``target`` for everyone below it, all else equal.

    Each customer's yearly retention is ``r = 1 - P(churn)`` from the fitted effects, their value
    :func:`retention_clv` (over ``horizon`` years, or without end); the value at stake of a step is the sum over customers of the value with
    the step's rating raised to ``target`` minus the value now. ``at_stake_low`` and
    ``at_stake_high`` use the ends of the step coefficient's 95 % interval.

    Parameters
    ----------
    effects : StepEffects
    experience : pandas.DataFrame
        Customers x steps (the customers to value).
    margin : float or pandas.Series
        Yearly margin per customer (a Series indexed by customer, or one value for all).
    discount_rate : float
        Yearly.
    target : float
        Rating the step is raised to.
    horizon : float, optional
        Years valued, as for the lifetime value it is compared with; None: without end.

    Returns
    -------
    pandas.DataFrame
        ``step, below_target`` (customers), ``value_now``, ``value_at_target``, ``at_stake``,
        ``at_stake_low``, ``at_stake_high``, largest first.
    """
    X = experience.reindex(columns=effects.coefs.index).fillna(effects.fill)
    if isinstance(margin, pd.Series):  # value only the customers the margins are for
        X = X.loc[X.index.intersection(margin.index)]
        m = margin.reindex(X.index).fillna(margin.mean()).to_numpy()
    else:
        m = margin
    now = retention_clv(m, 1 - effects.churn_probability(X), discount_rate, horizon)
    rows = []
    for step in effects.coefs.index:
        raised = X.copy()
        raised[step] = np.maximum(raised[step], target)
        row = effects.table.set_index("step").loc[step]
        values = []
        for coef in (effects.coefs[step], row["ci_low"], row["ci_high"]):
            b = effects.coefs.copy()
            b[step] = coef
            base = retention_clv(m, 1 - effects.churn_probability(X, b), discount_rate, horizon)
            better = retention_clv(m, 1 - effects.churn_probability(raised, b), discount_rate, horizon)
            values.append(float(np.sum(better - base)))
        rows.append({"step": step, "below_target": int((X[step] < target).sum()), "value_now": float(np.sum(now)),
                     "value_at_target": float(np.sum(now)) + values[0], "at_stake": values[0],
                     "at_stake_low": min(values[1:]), "at_stake_high": max(values[1:])})
    return pd.DataFrame(rows).sort_values("at_stake", ascending=False).reset_index(drop=True)


def _parse_dates(text):
    """Dates of a text column as naive UTC, and whether naive and zoned dates were mixed.

    A date with a zone (``Z``, ``+01:00``) is converted to UTC; a date without one is taken as
    UTC already. Unreadable dates are NaT.
    """
    text = text.astype(str).str.strip()
    zoned = text.str.contains(r"(?:Z|[+-]\d\d(?::?\d\d)?)$", regex=True) & text.str.contains(r"\d[T ]\d", regex=True)
    dates = pd.to_datetime(text, errors="coerce", format="mixed", utc=True).dt.tz_localize(None)
    readable = dates.notna()
    mixed = bool((zoned & readable).any() and (~zoned & readable).any())
    return dates, mixed


def read_transactions(path, customer="customer_id", date="date", amount="amount"):
    """Read ``transactions.csv`` (one row per purchase), refusing plainly what cannot be used.

    Dates may carry a time zone (``2024-01-01T10:00:00+02:00``, ``...Z``): they are converted to
    UTC; dates without one are taken as UTC (a warning says so when both kinds are mixed).
    Amounts below zero are refunds: they are kept, and the models net them against purchases
    (see :func:`rfm`); a warning gives the counts, the same the models use.

    Returns
    -------
    transactions : pandas.DataFrame
        ``customer_id`` (text, NFC), ``date`` (datetime, naive UTC), ``amount`` (float);
        ``attrs["source"]`` the file.
    warnings : list of Problem

    Raises
    ------
    InputError
        Missing columns, unreadable or implausible dates (before :data:`MIN_DATE` or in the
        future), amounts that are not numbers, blank ids.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "transactions.csv"
    >>> _ = f.write_text("customer_id,date,amount\\na,2024-01-01T01:00:00+02:00,10\\na,2024-01-02,-4\\n")
    >>> tx, warnings = read_transactions(f)
    >>> [str(d) for d in tx["date"]]
    ['2023-12-31 23:00:00', '2024-01-02 00:00:00']
    >>> print(warnings[0].message)  # doctest: +ELLIPSIS
    dates mix time zones and dates without one (...); those without are taken as UTC
    """
    from .errors import InputError, Problem
    from .io import line_list, read_csv
    from .segments import nfc

    file = str(path)
    table, warnings = read_csv(path, "transactions")
    missing = [c for c in (customer, date, amount) if c not in table.columns]
    if missing:
        raise InputError.single(file, f"missing column(s) {', '.join(missing)}; expected {customer}, {date}, "
                                f"{amount}; columns are {', '.join(table.columns)}", "1")
    if table.empty:
        raise InputError.single(file, "has a header but no transactions")
    problems = []
    lines = np.arange(2, len(table) + 2)

    def where(mask):
        return line_list(lines[np.asarray(mask)])

    ids = nfc(table[customer].astype(str).str.strip())
    if (ids == "").any():
        problems.append(Problem(file, where(ids == ""), f"{customer} is blank"))
    dates, mixed = _parse_dates(table[date])
    if dates.isna().any():
        sample = ", ".join(repr(v) for v in table.loc[dates.isna(), date].unique()[:3])
        problems.append(Problem(file, where(dates.isna()), f"{date} cannot be read as a date ({sample}); "
                                "write dates as YYYY-MM-DD"))
    early = dates < MIN_DATE
    if early.any():
        sample = ", ".join(repr(v) for v in table.loc[early, date].unique()[:3])
        problems.append(Problem(file, where(early), f"{date} is not a plausible purchase date ({sample}); dates "
                                f"must be from {MIN_DATE:%Y-%m-%d} on"))
    future = dates > pd.Timestamp.now() + pd.Timedelta(days=1)
    if future.any():
        sample = ", ".join(repr(v) for v in table.loc[future, date].unique()[:3])
        problems.append(Problem(file, where(future), f"{date} is in the future ({sample}); check the date format"))
    if mixed:
        warnings.append(Problem(file, "", f"{date}s mix time zones and dates without one (e.g. "
                                f"{table[date].iloc[0]!r}); those without are taken as UTC", "warning"))
    values = pd.to_numeric(table[amount].str.strip(), errors="coerce")
    if values.isna().any():
        sample = ", ".join(repr(v) for v in table.loc[values.isna(), amount].unique()[:3])
        problems.append(Problem(file, where(values.isna()), f"{amount} must be a number ({sample})"))
    absurd = values.notna() & ~(values.abs() < MAX_AMOUNT)
    if absurd.any():
        sample = ", ".join(repr(v) for v in table.loc[absurd, amount].unique()[:3])
        problems.append(Problem(file, where(absurd), f"{amount} is not a plausible purchase ({sample}); amounts "
                                f"must be finite and below {MAX_AMOUNT:,.0f}"))
    if problems:
        raise InputError(problems, warnings)
    out = pd.DataFrame({"customer_id": ids, "date": dates, "amount": values.astype(float)})
    out.attrs["source"] = file
    summary = rfm(out, unit="W")
    said = summary.attrs["refunds"]
    if said["refunds"]:
        negative = values < 0
        parts = [f"{said['refunds']:,} refund(s) (amounts below zero, e.g. line {where(negative).split(',')[0]}) "
                 "are netted against the same customer's purchase of that day, else their previous one"]
        if said["unmatched"]:
            parts.append(f"{said['unmatched']:,} with no earlier purchase are left out")
        if said["returns"]:
            parts.append(f"{said['returns']:,} purchase(s) netting to zero or less are returns, not purchases")
        if said["customers_without_purchase"]:
            parts.append(f"{said['customers_without_purchase']:,} customer(s) are left with no purchase")
        warnings.append(Problem(file, "", "; ".join(parts), "warning"))
    why = too_few_to_fit(summary)
    if why:
        warnings.append(Problem(file, "", why + "; the lifetime-value report will stop with this message", "warning"))
    return out, warnings


def load_transactions(study):
    """The transactions of a loaded study (see :func:`read_transactions`); the segment's only."""
    from .errors import InputError
    from .segments import select_segment

    if "transactions" not in study.files:
        raise InputError.single(str(study.path), "has no transactions.csv")
    return select_segment(read_transactions(study.files["transactions"])[0], study)


def customers_table(study):
    """The study's ``customers.csv`` (its segment's rows) by customer id, ``churned`` as 0/1 when present."""
    from .survey import read_customers

    from .segments import select_segment

    customers = select_segment(read_customers(study.files["customers"])[0], study).set_index("customer_id")
    if "churned" in customers.columns:
        flag = customers["churned"].astype(str).str.strip().str.lower()
        customers["churned"] = flag.map({"1": 1, "0": 0, "yes": 1, "no": 0, "true": 1, "false": 0})
    return customers


def study_terms(study):
    """The money terms of a study from study.yaml: margin, yearly discount rate, horizon in years, currency.

    Defaults when a study says nothing: margin 0.3, discount rate 0.1, horizon 3 years.
    """
    G = study.graph
    return {"margin": float(study.config.get("margin", 0.3)),
            "discount_rate": float(study.config.get("discount_rate", 0.1)),
            "horizon": float(study.config.get("horizon", 3)),
            "currency": str(study.config.get("currency", G.graph.get("currency", "")))}


def study_value_at_stake(study, target=5.0, transactions=None, events=None):
    """Step effects on churn and the lifetime value at stake per step, for a loaded study.

    Needs touchpoint events with ratings, ``customers.csv`` with a ``churned`` column and
    transactions. A customer's yearly margin is their spend over the observed years times the
    study's margin; values run over the study's horizon at its discount rate
    (:func:`value_at_stake`).

    Returns
    -------
    (StepEffects, pandas.DataFrame) or None
        The effects and the value-at-stake table (with the step names), or None when the study
        lacks one of the inputs.
    """
    if not {"events", "customers", "transactions"} <= set(study.files):
        return None
    customers = customers_table(study)
    if "churned" not in customers.columns:
        return None
    from .journeys import load_events

    events = load_events(study) if events is None else events
    if "rating" not in events.columns:
        return None
    tx = load_transactions(study) if transactions is None else transactions
    terms = study_terms(study)
    experience = experience_matrix(events).reindex(customers.index).dropna(how="all")
    effects = step_effects(experience, customers["churned"])
    years = max((tx["date"].max() - tx["date"].min()).days / 365.25, 1 / 12)
    yearly = tx.groupby("customer_id")["amount"].sum() / years * terms["margin"]
    stake = value_at_stake(effects, experience, yearly, terms["discount_rate"], target=target,
                           horizon=terms["horizon"])
    stake.insert(1, "name", stake["step"].map(lambda s: study.graph.nodes[s].get("name", s)))
    return effects, stake
