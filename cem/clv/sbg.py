"""sBG: the shifted-beta-geometric model of contract renewals (retention by period).

Fader & Hardie (2007), "How to project customer retention", Journal of Interactive Marketing
21(1). At the end of each period a customer cancels with probability ``theta``; ``theta ~
Beta(alpha, beta)`` across customers. From a cohort's survivors per period (``S_0`` at the
start, ``S_1``, ..., ``S_n``), with ``n_t = S_(t-1) - S_t`` cancelling in period ``t``::

    P(T = t) = B(alpha+1, beta+t-1) / B(alpha, beta)        (cancels in period t)
    S(t)     = B(alpha, beta+t) / B(alpha, beta)            (survives t periods)
    LL       = sum_t n_t log P(T = t) + S_n log S(n)
    r_t      = (beta+t-1) / (alpha+beta+t-1)                (retention rate of period t)

Customer value from it (Fader & Hardie 2010, "Customer-base valuation in a contractual
setting: the perils of ignoring heterogeneity", Marketing Science 29(1)), with discount rate
``d`` per period:

    DEL(d)                  = 2F1(1, beta; alpha+beta; 1/(1+d))    (new customer, first payment included)
    DERL(d | n-1 renewals)  = B(alpha, beta+n) / B(alpha, beta+n-1) * 2F1(1, beta+n; alpha+beta+n; 1/(1+d))

DERL counts the payments still to come of a customer who has paid ``n`` times (``n-1``
renewals), standing at the end of the ``n``-th period just before the renewal decision:
``sum_(t>=n) S(t) / S(n-1) / (1+d)^(t-n)``, the next payment (if they renew) undiscounted, the
one after by ``1/(1+d)``, and so on. Times the payment per period it is the customer's expected
residual lifetime value. Over a horizon of ``H`` periods DERL is the
first ``H`` terms of that sum (the terms of the 2F1 series, ``S(t+1)/S(t) = (beta+t)/(alpha+beta+t)``).
Fitted by maximum likelihood with the analytic
gradient (:mod:`cem.clv._mle`).

**Customers with covariates** (:func:`fit_sbg_customers`): each customer's own renewal history
(periods paid, whether they cancelled) instead of a cohort's counts, and each customer's churn
probability ``theta_i ~ Beta(alpha_i, beta)`` with ``alpha_i = alpha exp(gamma' x_i)``: the
parameterisation of the BG/NBD's dropout Beta in Fader & Hardie (2007), "Incorporating
time-invariant covariates into the Pareto/NBD and BG/NBD models" (brucehardie.com/notes/019,
``a_i = a0 exp(gamma' x_i)``), applied to the sBG's Beta. A positive coefficient raises the
churn probabilities; while alpha is small beside beta, one unit of ``x`` multiplies the
expected churn probability ``alpha_i / (alpha_i + beta)`` by about ``exp(gamma)``. A customer who
paid ``t`` periods and cancelled contributes ``P(T = t)``; one still paying after ``t`` periods
``S(t-1)`` (they have renewed ``t-1`` times; the next renewal is not seen yet), both with ``alpha_i``. The "regular" and "high end" cohorts of the paper,
fitted on their first 7 years, give its alpha = 0.704, beta = 1.182 and alpha = 0.668,
beta = 3.806 (tests/clv/test_sbg.py).
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import special

from ..errors import InputError
from ._mle import _compress, _covariate_matrices, _maximum_likelihood, _Model

__all__ = ["SBG", "fit_sbg", "fit_sbg_customers"]

_NAMES = ["alpha", "beta"]


def _sbg_ll(params, lost, survivors, gradient=False):
    """Log-likelihood of a cohort (the formula of the module docstring) and, with ``gradient``,
    its derivatives by alpha and beta."""
    a, b = params
    t = np.arange(1, len(lost) + 1, dtype=float)
    n = len(lost)
    base = special.betaln(a, b)
    ll = float(np.sum(lost * (special.betaln(a + 1, b + t - 1) - base)) + survivors * (special.betaln(a, b + n) - base))
    if not gradient:
        return ll
    dab = special.digamma(a + b)
    d_base = np.array([special.digamma(a) - dab, special.digamma(b) - dab])
    da = np.sum(lost * (special.digamma(a + 1) - special.digamma(a + b + t))) + survivors * (
        special.digamma(a) - special.digamma(a + b + n))
    db = np.sum(lost * (special.digamma(b + t - 1) - special.digamma(a + b + t))) + survivors * (
        special.digamma(b + n) - special.digamma(a + b + n))
    return ll, np.array([da, db]) - (lost.sum() + survivors) * d_base


class SBG(_Model):
    """A fitted sBG model: ``params`` alpha, beta; ``loglik``; ``std_errors``; ``optimizer``; ``fit_warning``;
    retention and survival curves; discounted expected (residual) lifetimes.

    Examples
    --------
    >>> m = SBG(params={"alpha": 1.0, "beta": 2.0}, loglik=0.0, n=1000)
    >>> [round(float(v), 4) for v in m.survival([0, 1, 2])]  # B(1, 2+t) / B(1, 2) = 2 / (2+t)
    [1.0, 0.6667, 0.5]
    >>> [round(float(v), 4) for v in m.retention([1, 2])]  # (beta+t-1) / (alpha+beta+t-1)
    [0.6667, 0.75]
    >>> round(float(m.derl(0.1, renewals=0)), 4), round(float(m.expected_discounted_lifetime(0.1)), 4)
    (2.8632, 3.6029)
    """

    def _p(self, covariates=None):
        """alpha (one per customer with ``covariates``: ``alpha exp(gamma' x_i)``) and beta."""
        a, b = self.params["alpha"], self.params["beta"]
        names = self.extra.get("covariates", {}).get("dropout", []) if self.extra else []
        if covariates is None or not names:
            return a, b
        X = (covariates.reindex(columns=names, fill_value=0.0) if isinstance(covariates, pd.DataFrame)
             else pd.DataFrame(np.atleast_2d(covariates), columns=names)).to_numpy(dtype=float)
        return a * np.exp(X @ np.array([self.params[f"life.{k}"] for k in names])), b

    def survival(self, t, covariates=None):
        """Share of the cohort still a customer after ``t`` periods, ``B(alpha, beta+t) / B(alpha, beta)``
        (one row per customer and a column per ``t`` with ``covariates``)."""
        a, b = self._p(covariates)
        t = np.asarray(t, dtype=float)
        if np.ndim(a):
            a, t = np.asarray(a)[:, None], t[None, :] if t.ndim else t
        return np.exp(special.betaln(a, b + t) - special.betaln(a, b))

    def retention(self, t):
        """Retention rate of period ``t`` (1, 2, ...): the share of those alive at ``t-1`` who renew,
        ``(beta+t-1) / (alpha+beta+t-1)``; it rises with ``t`` as the likely cancellers leave."""
        a, b = self._p()
        t = np.asarray(t, dtype=float)
        return (b + t - 1) / (a + b + t - 1)

    def churn_probability(self, t):
        """Probability a new customer cancels in period ``t`` (1, 2, ...), ``B(alpha+1, beta+t-1) / B(alpha, beta)``."""
        a, b = self._p()
        t = np.asarray(t, dtype=float)
        return np.exp(special.betaln(a + 1, b + t - 1) - special.betaln(a, b))

    def expected_discounted_lifetime(self, discount_rate, covariates=None):
        """DEL: discounted expected number of payments of a new customer, the first one (now)
        included, ``2F1(1, beta; alpha+beta; 1/(1+d))`` (Fader & Hardie 2010)."""
        a, b = self._p(covariates)
        return special.hyp2f1(1.0, b, a + b, 1.0 / (1.0 + discount_rate))

    def derl(self, discount_rate, renewals=0, horizon=None, covariates=None):
        """DERL: discounted expected residual lifetime of a customer who has made ``renewals``
        renewals (paid ``renewals + 1`` times), at the end of their current period just before
        deciding to renew: ``sum_(t>=n) S(t) / S(n-1) / (1+d)^(t-n)`` with ``n = renewals + 1``, the
        next payment undiscounted; in closed form (Fader & Hardie 2010, "Customer-base valuation
        in a contractual setting: the perils of ignoring heterogeneity", Marketing Science 29(1),
        their expression for DERL) ``DERL = B(alpha, beta+n) / B(alpha, beta+n-1) * 2F1(1, beta+n; alpha+beta+n; 1/(1+d))``.
        Times the payment per period it is the customer's expected residual lifetime value.

        ``horizon``: the first ``horizon`` periods only (the sum's first terms), e.g. the study's
        horizon in periods; None for the whole lifetime (the closed form). ``covariates``: one row
        per customer (``renewals`` one per customer too), each with their own ``alpha_i``.

        Examples
        --------
        >>> m = SBG(params={"alpha": 0.704, "beta": 1.182}, loglik=0.0, n=1000)
        >>> round(float(m.derl(0.1, renewals=4)), 3), round(float(m.derl(0.1, renewals=4, horizon=2000)), 3)
        (5.894, 5.894)
        >>> round(float(m.derl(0.0, renewals=0, horizon=2)), 4)  # S(1)/S(0) + S(2)/S(0), undiscounted
        1.1006
        """
        a, b = self._p(covariates)
        n = np.asarray(renewals, dtype=float) + 1
        z = 1.0 / (1.0 + discount_rate)
        if horizon is None:
            ratio = np.exp(special.betaln(a, b + n) - special.betaln(a, b + n - 1))
            return ratio * special.hyp2f1(1.0, b + n, a + b + n, z)
        a, n = np.broadcast_arrays(np.asarray(a, dtype=float), n)
        term = (b + n - 1) / (a + b + n - 1)  # S(n) / S(n-1): the next renewal
        total = np.zeros(a.shape)
        for k in range(int(np.ceil(horizon))):
            total = total + term
            term = term * z * (b + n + k) / (a + b + n + k)
        return total


def fit_sbg(alive: Sequence[float] | np.ndarray, source: str = "survivors") -> SBG:
    """Fit the sBG model to a cohort's survivors per period by maximum likelihood.

    Parameters
    ----------
    alive : sequence of float
        Customers still active at the start (period 0) and after each period: counts
        (``[1000, 631, 468, ...]``) or shares (``[1.0, 0.631, ...]``). Never rising.
    source : str
        What the numbers are, named when the fit refuses.

    Returns
    -------
    SBG
        ``n`` is the cohort at the start. From shares (a cohort of 1.0) the log-likelihood is per
        customer and the standard errors are those of a single customer (far too wide): give counts.

    Raises
    ------
    InputError
        Fewer than two periods, a negative count or a cohort that grows.

    Examples
    --------
    >>> m = fit_sbg([1000, 631, 468, 382, 326, 289, 262, 241])  # "regular" cohort, years 0-7
    >>> {k: round(v, 3) for k, v in m.params.items()}, m.fit_warning
    ({'alpha': 0.704, 'beta': 1.182}, None)
    >>> [round(float(v) * 1000) for v in m.survival([8, 12])]  # projected survivors, years 8 and 12
    [220, 170]
    """
    s = np.asarray(alive, dtype=float)
    if s.ndim != 1 or len(s) < 3:
        raise InputError.single(str(source), "the sBG model needs the cohort at the start and after at least two periods")
    if not np.all(np.isfinite(s)) or np.any(s < 0) or s[0] <= 0:
        raise InputError.single(str(source), "survivor counts must be finite, not negative, and the cohort must start above 0")
    if np.any(np.diff(s) > 0):
        raise InputError.single(str(source), "survivors rise from one period to the next; give a single cohort's survivors")
    lost, last = -np.diff(s), s[-1]

    def fun_grad(lp):
        ll, g = _sbg_ll(np.exp(lp), lost, last, gradient=True)
        return -ll, -g * np.exp(lp)

    return SBG(n=int(round(s[0])) if s[0] >= 1 else 1,
               **_maximum_likelihood(fun_grad, [(1, 1), (0.5, 2.0), (2.0, 8.0)], _NAMES))


def _customers_ll(params, t, churned, X, w, gradient=False):
    """Log-likelihood of customers' renewal histories (paid ``t`` periods; ``churned`` 1/0) with
    ``alpha_i = alpha exp(X gamma)`` and its gradient by (log alpha, log beta, gamma)."""
    a0, b, g = params[0], params[1], params[2:]
    a = a0 * np.exp(X @ g) if len(g) else np.full(len(t), a0)
    base = special.betaln(a, b)
    ll = np.where(churned > 0, special.betaln(a + 1, b + t - 1), special.betaln(a, b + t - 1)) - base
    total = float(w @ ll)
    if not gradient:
        return total
    d_base_a, d_base_b = special.digamma(a) - special.digamma(a + b), special.digamma(b) - special.digamma(a + b)
    da = np.where(churned > 0, special.digamma(a + 1) - special.digamma(a + b + t),
                  special.digamma(a) - special.digamma(a + b + t - 1)) - d_base_a
    db = np.where(churned > 0, special.digamma(b + t - 1) - special.digamma(a + b + t),
                  special.digamma(b + t - 1) - special.digamma(a + b + t - 1)) - d_base_b
    wa = w * da * a  # by log alpha_i: log alpha and each gamma through it
    return total, np.r_[wa.sum(), float(w @ db) * b, X.T @ wa]


def fit_sbg_customers(histories: pd.DataFrame, covariates: pd.DataFrame | None = None, periods: str = "periods",
                      churned: str = "churned", source: str = "transactions") -> SBG:
    """Fit the sBG to each customer's renewal history, with covariates of the churn probability.

    The model of the module docstring, customer by customer: ``theta_i ~ Beta(alpha exp(gamma'
    x_i), beta)``; a cancelled customer contributes ``P(T = t) = B(alpha_i+1, beta+t-1) /
    B(alpha_i, beta)``, one still paying ``S(t-1) = B(alpha_i, beta+t-1) / B(alpha_i, beta)``.
    Customers of different start dates (cohorts) are fitted together, each with their own
    number of periods observed. Identical histories are computed once.

    Parameters
    ----------
    histories : pandas.DataFrame
        One row per customer: ``periods`` (whole periods paid, 1 or more) and ``churned``
        (1 when the customer cancelled: a whole period after their last payment went unpaid).
    covariates : pandas.DataFrame, optional
        Numeric, indexed like ``histories``; coefficients ``life.<column>`` (positive: more churn).
    periods, churned : str
        Column names.
    source : str
        What the histories were made from, named when the fit refuses.

    Returns
    -------
    SBG
        ``params`` alpha, beta and ``life.<column>``; ``extra["covariates"]["dropout"]`` the columns.

    Raises
    ------
    InputError
        Fewer than 20 customers, a history of less than one period, or covariates that do not
        cover every customer.

    Examples
    --------
    >>> s = pd.DataFrame({"periods": [1, 2, 3, 7, 7, 7] * 10, "churned": [1, 1, 1, 0, 0, 1] * 10})
    >>> m = fit_sbg_customers(s)
    >>> sorted(m.params), m.n
    (['alpha', 'beta'], 60)
    """
    t = pd.to_numeric(histories[periods]).to_numpy(dtype=float)
    c = pd.to_numeric(histories[churned]).to_numpy(dtype=float)
    if len(t) < 20:
        raise InputError.single(str(source), f"{len(t)} customers with renewal histories: too few to fit the sBG "
                                             "model (20 or more are needed)")
    if np.any(~np.isfinite(t) | (t < 1) | (t != np.round(t))) or np.any(~np.isin(c, (0, 1))):
        raise InputError.single(str(source), "renewal histories need whole periods paid of 1 or more and churned 0 or 1")
    names, X = _covariate_matrices(histories, None if covariates is None else {"dropout": covariates},
                                   processes=("dropout",), source=source)["dropout"]
    cols, w = _compress(t, c, *X.T)
    t, c = cols[0], cols[1]
    X = np.column_stack(cols[2:]) if names else np.zeros((len(t), 0))
    zeros = (0.0,) * len(names)

    def fun_grad(v):
        ll, g = _customers_ll(np.r_[np.exp(v[:2]), v[2:]], t, c, X, w, gradient=True)
        return -ll, -g

    fitted = _maximum_likelihood(fun_grad, [(1.0, 1.0, *zeros), (0.5, 2.0, *zeros), (2.0, 8.0, *zeros)],
                                 [*_NAMES, *(f"life.{k}" for k in names)], n_log=2)
    return SBG(n=int(round(w.sum())), **fitted, extra={"covariates": {"dropout": list(names)}})
