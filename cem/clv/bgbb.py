"""BG/BB: the beta-geometric / beta-Bernoulli model of repeat transactions at discrete occasions.

Fader, Hardie & Shang (2010), "Customer-base analysis in a discrete-time noncontractual
setting", Marketing Science 29(6). Each period (a yearly gala, a weekly issue, ...) an alive
customer transacts with probability ``p ~ Beta(alpha, beta)``; at the start of each period after
the first they drop out for good with probability ``theta ~ Beta(gamma, delta)``. Per customer
with ``x`` transactions in ``n`` repeat opportunities, the last at opportunity ``t_x`` (0 when
``x = 0``)::

    L = B(alpha+x, beta+n-x) / B(alpha, beta) * B(gamma, delta+n) / B(gamma, delta)
        + sum_(i=0..n-t_x-1) B(alpha+x, beta+t_x-x+i) / B(alpha, beta)
                             * B(gamma+1, delta+t_x+i) / B(gamma, delta)

    E[X(n)] = alpha/(alpha+beta) * delta/(gamma-1)
              * [1 - Gamma(gamma+delta) Gamma(1+delta+n) / (Gamma(gamma+delta+n) Gamma(1+delta))]
    E[X(n, n+n*) | x, t_x, n] = 1/L * B(alpha+x+1, beta+n-x) / B(alpha, beta) * delta/(gamma-1)
              * Gamma(gamma+delta)/Gamma(1+delta)
              * [Gamma(1+delta+n)/Gamma(gamma+delta+n) - Gamma(1+delta+n+n*)/Gamma(gamma+delta+n+n*)]
    P(alive at n+1 | x, t_x, n) = B(alpha+x, beta+n-x) / B(alpha, beta)
              * B(gamma, delta+n+1) / B(gamma, delta) / L
    DERT(d | x, t_x, n) = B(alpha+x+1, beta+n-x) / B(alpha, beta)
              * B(gamma, delta+n+1) / (B(gamma, delta) (1+d))
              * 2F1(1, delta+n+1; gamma+delta+n+1; 1/(1+d)) / L

DERT, the discounted expected residual transactions, times the value per transaction is the
customer's residual lifetime value. Fitted by maximum likelihood with the analytic gradient
(:mod:`cem.clv._mle`); the 1995 donor cohort of the paper (11,104 donors, 6 repeat
opportunities) gives its alpha = 1.204, beta = 0.750, gamma = 0.657, delta = 2.783,
LL = -33,225.6 (tests/clv/test_bgbb.py).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from scipy import special

from ..errors import InputError
from ._mle import _maximum_likelihood, _Model

__all__ = ["BGBB", "fit_bgbb"]

_NAMES = ["alpha", "beta", "gamma", "delta"]


def _terms(params, x, tx, n):
    """The log of each term of the likelihood sum (columns; ``-inf`` where a customer has fewer)
    and their derivatives by alpha, beta, gamma, delta (last axis)."""
    a, b, g, d = params
    width = int(np.max(n - tx)) if len(n) else 0
    i = np.arange(width)[None, :]
    m = tx[:, None] + i  # the term of a customer who dropped out after opportunity t_x + i
    valid = i < (n - tx)[:, None]
    m_all = np.concatenate([n[:, None], np.where(valid, m, n[:, None])], axis=1)  # column 0: alive to the end
    first = np.zeros_like(m_all, dtype=bool)
    first[:, 0] = True
    xx = x[:, None]
    dgab, dgg = special.digamma(a + b), special.digamma(g + d)
    with np.errstate(invalid="ignore"):
        log_t = (special.betaln(a + xx, b + m_all - xx) - special.betaln(a, b)
                 + np.where(first, special.betaln(g, d + m_all), special.betaln(g + 1, d + m_all))
                 - special.betaln(g, d))
        da = special.digamma(a + xx) - special.digamma(a + b + m_all) - special.digamma(a) + dgab
        db = special.digamma(b + m_all - xx) - special.digamma(a + b + m_all) - special.digamma(b) + dgab
        dg = np.where(first, special.digamma(g) - special.digamma(g + d + m_all),
                      special.digamma(g + 1) - special.digamma(g + d + m_all + 1)) - special.digamma(g) + dgg
        dd = np.where(first, special.digamma(d + m_all) - special.digamma(g + d + m_all),
                      special.digamma(d + m_all) - special.digamma(g + d + m_all + 1)) - special.digamma(d) + dgg
    keep = np.concatenate([np.ones((len(x), 1), dtype=bool), valid], axis=1)
    log_t = np.where(keep, log_t, -np.inf)
    return log_t, np.stack([da, db, dg, dd], axis=-1), keep


def _bgbb_ll(params, x, tx, n, gradient=False):
    """Log-likelihood of each customer (the formula of the module docstring) and, with
    ``gradient``, its derivatives by alpha, beta, gamma, delta (one row per customer)."""
    log_t, dlog, keep = _terms(params, x, tx, n)
    ll = special.logsumexp(log_t, axis=1)
    if not gradient:
        return ll
    share = np.where(keep, np.exp(log_t - ll[:, None]), 0.0)
    return ll, np.einsum("ij,ijk->ik", share, np.where(keep[..., None], dlog, 0.0))


class BGBB(_Model):
    """A fitted BG/BB model: ``params`` alpha, beta, gamma, delta; ``loglik``; ``std_errors``;
    ``optimizer``; ``fit_warning``; predictions per customer (formulas of the module docstring).

    Examples
    --------
    >>> m = BGBB(params={"alpha": 1.204, "beta": 0.750, "gamma": 0.657, "delta": 2.783}, loglik=0.0, n=11104)
    >>> round(float(m.expected_purchases(5)), 3)  # a new donor's donations in 5 opportunities
    1.938
    >>> [round(float(v), 3) for v in m.prob_alive([6, 3], [6, 3], [6, 6])]  # every year; none since year 3
    [0.93, 0.095]
    >>> round(float(m.expected_purchases(5, 6, 6, 6)[0]), 3)  # gave every year: next 5 years
    3.752
    """

    def _p(self):
        p = self.params
        return p["alpha"], p["beta"], p["gamma"], p["delta"]

    def _loglik(self, x, tx, n):
        x, tx, n = np.broadcast_arrays(*(np.atleast_1d(np.asarray(v, dtype=float)) for v in (x, tx, n)))
        return x, tx, n, _bgbb_ll(self._p(), x, tx, n)

    def expected_purchases(self, n_star, frequency=None, recency=None, n_periods=None):
        """Expected transactions in the next ``n_star`` opportunities: of a new customer when only
        ``n_star`` is given, else conditional on each customer's ``x``, ``t_x``, ``n``."""
        a, b, g, d = self._p()
        lead = a / (a + b) * d / (g - 1) if frequency is None else d / (g - 1)
        if frequency is None:
            n = np.asarray(n_star, dtype=float)
            ratio = np.exp(special.gammaln(g + d) + special.gammaln(1 + d + n) - special.gammaln(g + d + n)
                           - special.gammaln(1 + d))
            return lead * (1 - ratio)
        x, tx, n, ll = self._loglik(frequency, recency, n_periods)
        gam = lambda k: np.exp(special.gammaln(1 + d + k) - special.gammaln(g + d + k))  # noqa: E731
        log_front = special.betaln(a + x + 1, b + n - x) - special.betaln(a, b) - ll
        tail = gam(n) - gam(n + n_star)
        return np.exp(log_front) * lead * np.exp(special.gammaln(g + d) - special.gammaln(1 + d)) * tail

    def prob_alive(self, frequency, recency, n_periods):
        """Probability each customer is alive at the next opportunity (``n + 1``)."""
        a, b, g, d = self._p()
        x, tx, n, ll = self._loglik(frequency, recency, n_periods)
        return np.exp(special.betaln(a + x, b + n - x) - special.betaln(a, b)
                      + special.betaln(g, d + n + 1) - special.betaln(g, d) - ll)

    def dert(self, discount_rate, frequency, recency, n_periods):
        """Discounted expected residual transactions from opportunity ``n + 1`` on, each
        discounted ``1/(1+d)`` per period (Fader, Hardie & Shang 2010, eq. 16)."""
        a, b, g, d = self._p()
        x, tx, n, ll = self._loglik(frequency, recency, n_periods)
        log_front = (special.betaln(a + x + 1, b + n - x) - special.betaln(a, b)
                     + special.betaln(g, d + n + 1) - special.betaln(g, d) - ll)
        hyp = special.hyp2f1(1.0, d + n + 1, g + d + n + 1, 1.0 / (1.0 + discount_rate))
        return np.exp(log_front) * hyp / (1.0 + discount_rate)


def fit_bgbb(summary: pd.DataFrame, frequency: str = "frequency", recency: str = "recency",
             n_periods: str = "n_periods", weights: str | None = None, source: str | Path = "transactions") -> BGBB:
    """Fit BG/BB by maximum likelihood (see the module docstring).

    Parameters
    ----------
    summary : pandas.DataFrame
        One row per customer (or per distinct history, with ``weights``): ``frequency`` (repeat
        transactions ``x``), ``recency`` (the opportunity of the last one, ``t_x``; 0 when
        ``x = 0``), ``n_periods`` (repeat opportunities ``n``).
    frequency, recency, n_periods : str
        Column names.
    weights : str, optional
        Column with the number of customers of each row.
    source : str or path
        What the summary was made from, named when the fit refuses.

    Returns
    -------
    BGBB

    Raises
    ------
    InputError
        An impossible history (``x > t_x`` or ``t_x > n``, negative or fractional counts) or no customers.

    Examples
    --------
    >>> import pandas as pd
    >>> s = pd.DataFrame({"frequency": [0, 1, 1, 2, 2, 3], "recency": [0, 1, 3, 2, 3, 3],
    ...                   "n_periods": [3] * 6, "customers": [50, 10, 12, 8, 9, 30]})
    >>> m = fit_bgbb(s, weights="customers")
    >>> sorted(m.params), m.n
    (['alpha', 'beta', 'delta', 'gamma'], 119)
    """
    x = pd.to_numeric(summary[frequency]).to_numpy(dtype=float)
    tx = pd.to_numeric(summary[recency]).to_numpy(dtype=float)
    n = pd.to_numeric(summary[n_periods]).to_numpy(dtype=float)
    w = np.ones(len(x)) if weights is None else pd.to_numeric(summary[weights]).to_numpy(dtype=float)
    bad = (~np.isfinite(x + tx + n + w) | (x < 0) | (x > tx) | (tx > n) | ((x == 0) & (tx != 0)) | (w < 0)
           | (x != np.round(x)) | (tx != np.round(tx)) | (n != np.round(n)))
    if bad.any():
        raise InputError.single(str(source), f"{int(bad.sum())} row(s) are not a BG/BB history: need whole "
                                "numbers 0 <= frequency <= recency <= n_periods (recency 0 when frequency is 0)")
    if w.sum() <= 0:
        raise InputError.single(str(source), "no customers to fit the BG/BB model on")
    frame = pd.DataFrame({"x": x, "tx": tx, "n": n, "w": w}).groupby(["x", "tx", "n"], sort=False)["w"].sum()
    # identical histories are computed once
    x, tx, n = (frame.index.get_level_values(k).to_numpy(dtype=float) for k in ("x", "tx", "n"))
    w = frame.to_numpy(dtype=float)

    def fun_grad(lp):
        ll, g = _bgbb_ll(np.exp(lp), x, tx, n, gradient=True)
        return -float(w @ ll), -(w @ g) * np.exp(lp)

    return BGBB(n=int(round(w.sum())), **_maximum_likelihood(fun_grad, [(1, 1, 1, 1), (0.5, 0.5, 0.5, 2.0)], _NAMES))
