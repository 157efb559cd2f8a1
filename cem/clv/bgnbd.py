"""BG/NBD: the beta-geometric / negative binomial model of repeat purchasing.

Fader, Hardie & Lee (2005), "'Counting your customers' the easy way: an alternative to the
Pareto/NBD model", Marketing Science 24(2). While alive a customer buys at rate
``lambda ~ Gamma(r, alpha)``; after each purchase they drop out with probability
``p ~ Beta(a, b)``. Per customer with ``x`` repeat purchases, last at ``t_x``, observed for ``T``::

    L = Gamma(r+x) alpha^r / Gamma(r) * B(a, b+x) / B(a, b)
        * [ (alpha+T)^-(r+x) + [x>0] a / (b+x-1) * (alpha+t_x)^-(r+x) ]

Fitted by maximum likelihood (:mod:`cem.clv._mle`); the CDNOW sample gives the published
r = 0.243, alpha = 4.414, a = 0.793, b = 2.426, LL = -9582.4 (tests/clv/test_bgnbd.py).
"""
from __future__ import annotations

import numpy as np
from scipy import special

from ._mle import _compress, _fit, _Model, _refuse_if_too_few, _usable

__all__ = ["BGNBD", "fit_bgnbd"]


def _bgnbd_ll(params, x, tx, T):
    """Log-likelihood of each customer (the formula of the module docstring)."""
    r, alpha, a, b = params
    A1 = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha)
    A2 = special.gammaln(a + b) + special.gammaln(b + x) - special.gammaln(b) - special.gammaln(a + b + x)
    A3 = -(r + x) * np.log(alpha + T)
    with np.errstate(divide="ignore", invalid="ignore"):
        A4 = np.where(x > 0, np.log(a) - np.log(np.maximum(b + x - 1, 1e-300)) - (r + x) * np.log(alpha + tx), -np.inf)
    return A1 + A2 + np.logaddexp(A3, A4)


class BGNBD(_Model):
    """A fitted BG/NBD model: ``params`` r, alpha, a, b; ``loglik``; predictions.

    Examples
    --------
    >>> m = BGNBD(params={"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}, loglik=-9582.4, n=2357)
    >>> float(m.prob_alive(0, 0, 39))  # no repeat purchase: alive for sure
    1.0
    >>> round(float(m.expected_purchases(39)), 3)  # a new customer's purchases in 39 weeks
    1.197
    """

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
        """Probability each customer is still alive at the end of observation (FHL 2005, eq. 11)."""
        r, alpha, a, b = self._p()
        x, tx, T = (np.asarray(v, dtype=float) for v in (frequency, recency, T))
        with np.errstate(divide="ignore", over="ignore"):
            ratio = np.where(x > 0, a / np.maximum(b + x - 1, 1e-300) * np.exp((r + x) * (np.log(alpha + T) -
                                                                                      np.log(alpha + tx))), 0.0)
        return 1.0 / (1.0 + ratio)


def fit_bgnbd(summary, frequency="frequency", recency="recency", T="T", source="transactions"):
    """Fit BG/NBD by maximum likelihood.

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
    BGNBD

    Raises
    ------
    InputError
        Too few customers to fit (:func:`cem.clv.too_few_to_fit`).

    Examples
    --------
    >>> from cem.clv import read_cdnow, rfm
    >>> cdnow = rfm(read_cdnow("data/external/cdnow/CDNOW_sample.txt"), end="1997-09-30", unit="W")  # doctest: +SKIP
    >>> {k: round(float(v), 4) for k, v in fit_bgnbd(cdnow).params.items()}  # doctest: +SKIP
    {'r': 0.2426, 'alpha': 4.4136, 'a': 0.7929, 'b': 2.4259}
    """
    _refuse_if_too_few(summary, frequency, source=source)
    (x, tx, TT), w = _compress(summary[frequency], summary[recency], summary[T])

    def negll(lp):
        value = -np.sum(w * _bgnbd_ll(np.exp(lp), x, tx, TT))
        return value if np.isfinite(value) else 1e20

    params, ll, res = _fit(negll, [(1, 1, 1, 1), (0.5, max(np.mean(TT), 1) / 4, 0.8, 2.5)], ["r", "alpha", "a", "b"])
    return BGNBD(params=params, loglik=float(ll), n=int(w.sum()), converged=_usable(res))
