"""MBG/NBD: the BG/NBD in which a customer may also drop out right after the first purchase.

Batislam, Denizel & Filiztekin (2007), "Empirical validation and comparison of models for
customer base analysis", International Journal of Research in Marketing 24(3); the likelihood as
BTYDplus writes it (``mbgcnbd`` with ``k = 1``, Platzer & Reutterer). While alive a customer buys
at rate ``lambda ~ Gamma(r, alpha)``; at the first purchase and after each repeat purchase they
drop out with probability ``p ~ Beta(a, b)``, so a customer without repeat purchases may be gone.
Per customer with ``x`` repeat purchases, last at ``t_x``, observed for ``T``::

    L = B(a, b+x+1) / B(a, b) * Gamma(r+x) alpha^r / Gamma(r) * (alpha+T)^-(r+x)
        * [ 1 + a / (b+x) * ((alpha+T) / (alpha+t_x))^(r+x) ]

    P(alive) = 1 / (1 + a / (b+x) * ((alpha+T) / (alpha+t_x))^(r+x))
    E[X(t)]  = b / (a-1) * [1 - (alpha/(alpha+t))^r 2F1(r, b+1; a+b; t/(alpha+t))]
    E[X(T, T+t) | x, t_x, T] = (a+b+x) / (a-1)
        * [1 - ((alpha+T)/(alpha+T+t))^(r+x) 2F1(r+x, b+x+1; a+b+x; t/(alpha+T+t))] * P(alive)

Fitted by maximum likelihood with the analytic gradient (:mod:`cem.clv._mle`). The online
grocery data of BTYDplus (calibration to 2006-12-31, weeks) give the estimates printed there
(tests/clv/test_mbgnbd.py).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from scipy import special

from ._mle import _compress, _maximum_likelihood, _Model, _refuse_if_too_few

__all__ = ["MBGNBD", "fit_mbgnbd"]

_NAMES = ["r", "alpha", "a", "b"]


def _mbgnbd_ll(params, x, tx, T, gradient=False):
    """Log-likelihood of each customer (the formula of the module docstring) and, with
    ``gradient``, its derivatives by r, alpha, a, b (one row per customer)."""
    r, alpha, a, b = params
    A = (special.betaln(a, b + x + 1) - special.betaln(a, b) + special.gammaln(r + x) - special.gammaln(r)
         + r * np.log(alpha) - (r + x) * np.log(alpha + T))
    D = np.log(a) - np.log(b + x) + (r + x) * (np.log(alpha + T) - np.log(alpha + tx))
    ll = A + np.logaddexp(0.0, D)
    if not gradient:
        return ll
    s = special.expit(D)  # share of the "dropped out after the last purchase" branch
    ab = special.digamma(a + b) - special.digamma(a + b + x + 1)
    grad = np.stack([
        special.digamma(r + x) - special.digamma(r) + np.log(alpha) - np.log(alpha + T)
        + s * (np.log(alpha + T) - np.log(alpha + tx)),
        r / alpha - (r + x) / (alpha + T) + s * (r + x) * (1 / (alpha + T) - 1 / (alpha + tx)),
        ab + s / a,
        special.digamma(b + x + 1) - special.digamma(b) + ab - s / (b + x),
    ], axis=1)
    return ll, grad


class MBGNBD(_Model):
    """A fitted MBG/NBD model: ``params`` r, alpha, a, b; ``loglik``; ``std_errors``; ``optimizer``;
    ``fit_warning``; ``covariance``; predictions.

    Examples
    --------
    >>> m = MBGNBD(params={"r": 1.0, "alpha": 10.0, "a": 2.0, "b": 6.0}, loglik=0.0, n=1)
    >>> round(float(m.prob_alive(0, 0, 0)), 4)  # just born: alive unless gone at the first purchase, b / (a + b)
    0.75
    >>> round(float(m.expected_purchases(10)), 4), round(float(m.expected_purchases(10, 0, 0, 0)), 4)
    (0.6204, 0.6204)
    >>> bool(m.prob_alive(3, 5, 30) < m.prob_alive(3, 29, 30))  # a long silence lowers the odds
    True
    """

    def _p(self):
        p = self.params
        return p["r"], p["alpha"], p["a"], p["b"]

    def prob_alive(self, frequency, recency, T):
        """Probability each customer is still alive at the end of observation (``T``)."""
        r, alpha, a, b = self._p()
        x, tx, T = (np.asarray(v, dtype=float) for v in (frequency, recency, T))
        D = np.log(a) - np.log(b + x) + (r + x) * (np.log(alpha + T) - np.log(alpha + tx))
        return special.expit(-D)

    def expected_purchases(self, t, frequency=None, recency=None, T=None):
        """Expected purchases in the next ``t`` time units: of a new customer when only ``t`` is
        given, else conditional on each customer's history (formulas of the module docstring)."""
        r, alpha, a, b = self._p()
        if frequency is None:
            hyp = special.hyp2f1(r, b + 1, a + b, t / (alpha + t))
            return b / (a - 1) * (1 - (alpha / (alpha + t)) ** r * hyp)
        x, tx, T = (np.asarray(v, dtype=float) for v in (frequency, recency, T))
        hyp = special.hyp2f1(r + x, b + x + 1, a + b + x, t / (alpha + T + t))
        first = (a + b + x) / (a - 1) * (1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * hyp)
        return first * self.prob_alive(x, tx, T)


def fit_mbgnbd(summary: pd.DataFrame, frequency: str = "frequency", recency: str = "recency", T: str = "T",
               source: str | Path = "transactions") -> MBGNBD:
    """Fit MBG/NBD by maximum likelihood (see the module docstring).

    Parameters
    ----------
    summary : pandas.DataFrame
        From :func:`cem.clv.rfm` (or any table with frequency, recency and T).
    frequency, recency, T : str
        Column names.
    source : str or path
        What the summary was made from (the transactions file), named when the fit refuses.

    Returns
    -------
    MBGNBD
        With ``std_errors`` from the Hessian, the ``optimizer``'s report, ``covariance`` and
        ``fit_warning`` (None, or why the estimates should not be trusted: a ridge, a boundary,
        no convergence).

    Raises
    ------
    InputError
        Too few customers to fit (:func:`cem.clv.too_few_to_fit`).

    Examples
    --------
    >>> from cem.clv import read_cdnow, rfm
    >>> cdnow = rfm(read_cdnow("data/external/cdnow/CDNOW_sample.txt"), end="1997-09-30", unit="W")  # doctest: +SKIP
    >>> m = fit_mbgnbd(cdnow)  # doctest: +SKIP
    >>> round(m.loglik, 3), m.fit_warning  # doctest: +SKIP
    (-9582.136, None)
    """
    _refuse_if_too_few(summary, frequency, source=source)
    (x, tx, TT), w = _compress(summary[frequency], summary[recency], summary[T])

    def fun_grad(lp):
        ll, g = _mbgnbd_ll(np.exp(lp), x, tx, TT, gradient=True)
        return -float(np.sum(w * ll)), -(w @ g) * np.exp(lp)

    starts = [(1, 3, 1, 3), (0.5, max(np.mean(TT), 1) / 4, 0.8, 2.5)]
    return MBGNBD(n=int(w.sum()), **_maximum_likelihood(fun_grad, starts, _NAMES))
