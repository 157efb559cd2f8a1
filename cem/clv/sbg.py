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
residual lifetime value. Fitted by maximum likelihood with the analytic
gradient (:mod:`cem.clv._mle`). The "regular" and "high end" cohorts of the paper,
fitted on their first 7 years, give its alpha = 0.704, beta = 1.182 and alpha = 0.668,
beta = 3.806 (tests/clv/test_sbg.py).
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import special

from ..errors import InputError
from ._mle import _maximum_likelihood, _Model

__all__ = ["SBG", "fit_sbg"]

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

    def _p(self):
        return self.params["alpha"], self.params["beta"]

    def survival(self, t):
        """Share of the cohort still a customer after ``t`` periods, ``B(alpha, beta+t) / B(alpha, beta)``."""
        a, b = self._p()
        t = np.asarray(t, dtype=float)
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

    def expected_discounted_lifetime(self, discount_rate):
        """DEL: discounted expected number of payments of a new customer, the first one (now)
        included, ``2F1(1, beta; alpha+beta; 1/(1+d))`` (Fader & Hardie 2010)."""
        a, b = self._p()
        return special.hyp2f1(1.0, b, a + b, 1.0 / (1.0 + discount_rate))

    def derl(self, discount_rate, renewals=0):
        """DERL: discounted expected residual lifetime of a customer who has made ``renewals``
        renewals (paid ``renewals + 1`` times), at the end of their current period just before
        deciding to renew: ``sum_(t>=n) S(t) / S(n-1) / (1+d)^(t-n)`` with ``n = renewals + 1``, the
        next payment undiscounted (Fader & Hardie 2010). Times the payment per period it is
        the customer's expected residual lifetime value."""
        a, b = self._p()
        n = np.asarray(renewals, dtype=float) + 1
        ratio = np.exp(special.betaln(a, b + n) - special.betaln(a, b + n - 1))
        return ratio * special.hyp2f1(1.0, b + n, a + b + n, 1.0 / (1.0 + discount_rate))


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
