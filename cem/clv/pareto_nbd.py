"""Pareto/NBD: purchases while alive, an unobserved exponential lifetime.

Schmittlein, Morrison & Colombo (1987), "Counting your customers: who are they and what will
they do next?", Management Science 33(1); the likelihood as in Fader & Hardie (2005), "A note on
deriving the Pareto/NBD model and related expressions". Purchases at
``lambda ~ Gamma(r, alpha)``, lifetime exponential with ``mu ~ Gamma(s, beta)``::

    L = Gamma(r+x) alpha^r beta^s / Gamma(r)
        * [ 1 / ((alpha+T)^(r+x) (beta+T)^s) + s / (r+s+x) * A0 ]

with ``A0`` from the Gauss hypergeometric function (``scipy.special.hyp2f1``). The CDNOW
sample gives the published r = 0.553, alpha = 10.578, s = 0.606, beta = 11.669, LL = -9595.0
(tests/clv/test_pareto_nbd.py).
"""
from __future__ import annotations

import numpy as np
from scipy import special

from ._mle import _compress, _fit, _Model, _refuse_if_too_few, _usable

__all__ = ["ParetoNBD", "fit_pareto_nbd"]


def _pnbd_ll(params, x, tx, T):
    """Log-likelihood of each customer (the formula of the module docstring)."""
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
    """A fitted Pareto/NBD model: ``params`` r, alpha, s, beta; ``loglik``; predictions.

    Examples
    --------
    >>> m = ParetoNBD(params={"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}, loglik=-9595.0, n=2357)
    >>> bool(m.prob_alive(5, 10, 39) < m.prob_alive(5, 38, 39))  # a long silence lowers the odds
    True
    >>> round(float(m.expected_purchases(39)), 3)  # a new customer's purchases in 39 weeks
    1.213
    """

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


def fit_pareto_nbd(summary, frequency="frequency", recency="recency", T="T", source="transactions"):
    """Fit Pareto/NBD by maximum likelihood (see the module docstring).

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
    ParetoNBD

    Raises
    ------
    InputError
        Too few customers to fit (:func:`cem.clv.too_few_to_fit`).

    Examples
    --------
    >>> from cem.clv import read_cdnow, rfm
    >>> cdnow = rfm(read_cdnow("data/external/cdnow/CDNOW_sample.txt"), end="1997-09-30", unit="W")  # doctest: +SKIP
    >>> {k: round(float(v), 4) for k, v in fit_pareto_nbd(cdnow).params.items()}  # doctest: +SKIP
    {'r': 0.5533, 'alpha': 10.5777, 's': 0.6062, 'beta': 11.6688}
    """
    _refuse_if_too_few(summary, frequency, source=source)
    (x, tx, TT), w = _compress(summary[frequency], summary[recency], summary[T])

    def negll(lp):
        value = -np.sum(w * _pnbd_ll(np.exp(lp), x, tx, TT))
        return value if np.isfinite(value) else 1e20

    params, ll, res = _fit(negll, [(0.5, 10, 0.5, 10), (1, 1, 1, 1)], ["r", "alpha", "s", "beta"])
    return ParetoNBD(params=params, loglik=float(ll), n=int(w.sum()), converged=_usable(res))
