"""BG/NBD: the beta-geometric / negative binomial model of repeat purchasing.

Fader, Hardie & Lee (2005), "'Counting your customers' the easy way: an alternative to the
Pareto/NBD model", Marketing Science 24(2). While alive a customer buys at rate
``lambda ~ Gamma(r, alpha)``; after each purchase they drop out with probability
``p ~ Beta(a, b)``. Per customer with ``x`` repeat purchases, last at ``t_x``, observed for ``T``::

    L = Gamma(r+x) alpha^r / Gamma(r) * B(a, b+x) / B(a, b)
        * [ (alpha+T)^-(r+x) + [x>0] a / (b+x-1) * (alpha+t_x)^-(r+x) ]

Time-invariant covariates (Fader & Hardie 2007, "Incorporating time-invariant covariates into
the Pareto/NBD and BG/NBD models", http://www.brucehardie.com/notes/019/), in the
parameterisation of the R package CLVTools (``bgnbd_staticcov_LL_ind``)::

    alpha_i = alpha * exp(-gamma_trans' x_i)       (purchase)
    a_i = a * exp(gamma_life' x_i),  b_i = b * exp(gamma_life' x_i)   (dropout)

so a positive ``trans.`` coefficient raises the purchase rate; a ``life.`` coefficient scales
``a`` and ``b`` together (the mean dropout probability ``a/(a+b)`` stays, its spread narrows
as the coefficient grows).

Fitted by maximum likelihood (:mod:`cem.clv._mle`) with the analytic gradient of
:func:`_bgnbd_ll_grad`; the CDNOW sample gives the published r = 0.243, alpha = 4.414,
a = 0.793, b = 2.426, LL = -9582.4 (tests/clv/test_bgnbd.py).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from scipy import special

from ._mle import _covariate_effects, _discounted, _fit_covariate_model, _individual_params, _PurchaseModel

__all__ = ["BGNBD", "fit_bgnbd"]


def _bgnbd_ll(params, x, tx, T):
    """Log-likelihood of each customer (the formula of the module docstring); ``params`` are
    ``(r, alpha, a, b)``, each a number or an array per customer."""
    r, alpha, a, b = params
    A1 = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha)
    A2 = special.gammaln(a + b) + special.gammaln(b + x) - special.gammaln(b) - special.gammaln(a + b + x)
    A3 = -(r + x) * np.log(alpha + T)
    with np.errstate(divide="ignore", invalid="ignore"):
        A4 = np.where(x > 0, np.log(a) - np.log(np.maximum(b + x - 1, 1e-300)) - (r + x) * np.log(alpha + tx), -np.inf)
    return A1 + A2 + np.logaddexp(A3, A4)


def _bgnbd_ll_grad(params, x, tx, T):
    """Log-likelihood of each customer and its partial derivatives in ``r, alpha, a, b``.

    With ``D = log(exp(A3) + exp(A4))`` and the shares ``p3 = exp(A3 - D)``, ``p4 = exp(A4 - D)``::

        d/dr     = psi(r+x) - psi(r) + log(alpha) - p3 log(alpha+T) - p4 log(alpha+t_x)
        d/dalpha = r/alpha - (r+x) [p3 / (alpha+T) + p4 / (alpha+t_x)]
        d/da     = psi(a+b) - psi(a+b+x) + p4 / a
        d/db     = psi(a+b) + psi(b+x) - psi(b) - psi(a+b+x) - p4 / (b+x-1)

    Returns
    -------
    ll : ndarray
    grad : tuple of 4 ndarrays
    """
    r, alpha, a, b = params
    A3 = -(r + x) * np.log(alpha + T)
    repeat = x > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        bx1 = np.maximum(b + x - 1, 1e-300)
        A4 = np.where(repeat, np.log(a) - np.log(bx1) - (r + x) * np.log(alpha + tx), -np.inf)
    D = np.logaddexp(A3, A4)
    p3, p4 = np.exp(A3 - D), np.exp(A4 - D)
    ll = (special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha) + special.gammaln(a + b)
          + special.gammaln(b + x) - special.gammaln(b) - special.gammaln(a + b + x) + D)
    psi_ab, psi_abx = special.digamma(a + b), special.digamma(a + b + x)
    with np.errstate(invalid="ignore"):
        d_r = (special.digamma(r + x) - special.digamma(r) + np.log(alpha) - p3 * np.log(alpha + T)
               - np.where(repeat, p4 * np.log(alpha + tx), 0.0))
        d_alpha = r / alpha - (r + x) * (p3 / (alpha + T) + np.where(repeat, p4 / (alpha + tx), 0.0))
        d_a = psi_ab - psi_abx + p4 / a
        d_b = psi_ab + special.digamma(b + x) - special.digamma(b) - psi_abx - np.where(repeat, p4 / bx1, 0.0)
    return ll, (d_r, d_alpha, d_a, d_b)


def _individual(theta, Xt, Xl):
    """``(r, alpha_i, a_i, b_i)`` from the natural-scale vector ``(r, alpha, a, b, life..., trans...)``."""
    (r, _, a, b), alpha_i, life = _covariate_effects(theta, Xt, Xl)
    scale = np.exp(life)
    return r, alpha_i, a * scale, b * scale


def _plain_objective(x, tx, T, w):
    """:func:`_objective` without covariates, the same sums grouped: every term of the
    log-likelihood and its gradient but ``D`` (the last term of :func:`_bgnbd_ll_grad`) depends on
    the customer's ``x`` alone, so the log-gamma and digamma functions are evaluated once per
    distinct frequency and weighted by the customers who have it; only ``D`` and its shares are
    computed per (compressed) customer, with two logarithms and an exponential each."""
    ux, inv = np.unique(x, return_inverse=True)
    W = np.bincount(inv.ravel(), weights=w, minlength=len(ux))  # customers per distinct frequency
    N = float(np.sum(w))
    rep = x > 0
    x0, T0, w0 = x[~rep], T[~rep], w[~rep]  # no repeat purchase: D = -r log(alpha + T)
    x1, tx1, T1, w1 = x[rep], tx[rep], T[rep], w[rep]
    xm1 = x1 - 1  # b + x - 1, offset by b in each evaluation

    def dot(u, v):  # not BLAS's dot: its threads cost more than the sum of 50,000 products
        return float(np.sum(u * v))

    def negll(v):
        r, alpha, a, b = np.exp(v[:4])
        lT0 = np.log(alpha + T0)
        lT1, ltx1 = np.log(alpha + T1), np.log(alpha + tx1)
        A3 = -(r + x1) * lT1
        A4 = np.log(a) - np.log(b + xm1) - (r + x1) * ltx1
        d = A4 - A3  # D = log(e^A3 + e^A4) and the shares p3, p4, as logaddexp would give them, cheaper
        e = np.exp(-np.abs(d))
        D = np.maximum(A3, A4) + np.log1p(e)
        p4 = np.where(d > 0, 1.0, e) / (1.0 + e)
        p3 = 1.0 - p4
        gl = special.gammaln
        ll = (dot(W, gl(r + ux) + gl(b + ux) - gl(a + b + ux))
              + N * (-gl(r) + r * np.log(alpha) + gl(a + b) - gl(b)) - r * dot(w0, lT0) + dot(w1, D))
        psi_ab, psi_abx = special.digamma(a + b), dot(W, special.digamma(a + b + ux))
        d_r = (dot(W, special.digamma(r + ux)) - N * special.digamma(r) + N * np.log(alpha) - dot(w0, lT0)
               - dot(w1, p3 * lT1 + p4 * ltx1))
        d_alpha = N * r / alpha - r * dot(w0, 1 / (alpha + T0)) - dot(w1, (r + x1) * (p3 / (alpha + T1)
                                                                                  + p4 / (alpha + tx1)))
        d_a = N * psi_ab - psi_abx + np.sum(w1 * p4) / a
        d_b = N * psi_ab + dot(W, special.digamma(b + ux)) - N * special.digamma(b) - psi_abx - dot(w1, p4 / (b + xm1))
        return -ll, -np.array([r * d_r, alpha * d_alpha, a * d_a, b * d_b])
    return negll


def _objective(x, tx, T, w, Xt, Xl):
    """Negative log-likelihood and its gradient in the search vector ``(log r, log alpha, log a, log b,
    life..., trans...)``: the chain rule through ``alpha_i``, ``a_i``, ``b_i`` of :func:`_individual`
    (:func:`cem.clv._mle._guarded` scores what cannot be computed). Without covariates the
    same sums grouped by frequency (:func:`_plain_objective`)."""
    if Xt.shape[1] == 0 and Xl.shape[1] == 0:
        return _plain_objective(np.asarray(x, dtype=float), np.asarray(tx, dtype=float),
                                np.asarray(T, dtype=float), np.asarray(w, dtype=float))

    def negll(v):
        theta = np.r_[np.exp(v[:4]), v[4:]]
        r, alpha_i, a_i, b_i = _individual(theta, Xt, Xl)
        ll, (d_r, d_alpha, d_a, d_b) = _bgnbd_ll_grad((r, alpha_i, a_i, b_i), x, tx, T)
        value = -np.sum(w * ll)
        e_alpha = w * alpha_i * d_alpha  # d ll / d log alpha_i
        e_life = w * (a_i * d_a + b_i * d_b)
        grad = np.r_[np.sum(w * d_r) * r, np.sum(e_alpha), np.sum(w * a_i * d_a), np.sum(w * b_i * d_b),
                     Xl.T @ e_life, -(Xt.T @ e_alpha)]
        return value, -grad
    return negll


class BGNBD(_PurchaseModel):
    """A fitted BG/NBD model: ``params`` r, alpha, a, b (and ``life.*``, ``trans.*`` covariate
    coefficients); ``loglik``; ``std_errors``; ``optimizer``; ``fit_warning``; predictions.

    A model fitted with covariates predicts for customers given with theirs (``covariates=``,
    as given to :func:`fit_bgnbd`).

    Examples
    --------
    >>> m = BGNBD(params={"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}, loglik=-9582.4, n=2357)
    >>> float(m.prob_alive(0, 0, 39))  # no repeat purchase: alive for sure
    1.0
    >>> round(float(m.expected_purchases(39)), 3)  # a new customer's purchases in 39 weeks
    1.197

    Per customer of a summary, with the discounted expected residual purchases (``dert``, numerical:
    BG/NBD has no closed form for it):

    >>> s = pd.DataFrame({"frequency": [0, 3], "recency": [0.0, 30.0], "T": [39.0, 39.0]}, index=["a", "b"])
    >>> m.predict(s, 39, discount_rate=0.01).round(3).to_dict("index")
    {'a': {'expected_purchases': 0.195, 'prob_alive': 1.0, 'dert': 0.395}, 'b': {'expected_purchases': 1.735, 'prob_alive': 0.724, 'dert': 3.142}}
    """

    def _p(self, covariates=None, like=0):
        return _individual_params(self, ("r", "alpha", "a", "b"), _individual, covariates, like)

    def expected_purchases(self, t, frequency=None, recency=None, T=None, covariates=None):
        """Expected purchases in the next ``t`` time units: of a new customer when only ``t`` is
        given, else conditional on each customer's history (FHL 2005, eq. 10)::

            E[X(t)] = (a+b-1)/(a-1) [1 - (alpha/(alpha+t))^r 2F1(r, b; a+b-1; t/(alpha+t))]

        (:meth:`_while_alive` with ``x = T = 0``; the conditional one times :meth:`prob_alive`).
        """
        if frequency is None:
            r, alpha, a, b = self._p(covariates, covariates.iloc[:, 0] if isinstance(covariates, pd.DataFrame)
                                     else 0)
            return self._while_alive(t, 0.0, 0.0, r, alpha, a, b)
        r, alpha, a, b = self._p(covariates, frequency)
        x, tx, T = (np.asarray(v, dtype=float) for v in (frequency, recency, T))
        return self._while_alive(t, x, T, r, alpha, a, b) * self._alive(x, tx, T, r, alpha, a, b)

    @staticmethod
    def _while_alive(t, x, T, r, alpha, a, b):
        """Expected purchases in the next ``t`` of a customer alive at ``T`` with ``x`` repeat
        purchases (FHL 2005, eq. 10 without P(alive))::

            (a+b+x-1)/(a-1) [1 - ((alpha+T)/(alpha+T+t))^(r+x) 2F1(r+x, b+x; a+b+x-1; z)],  z = t/(alpha+T+t)

        computed after Euler's transformation ``2F1(A, B; C; z) = (1-z)^(C-A-B) 2F1(C-A, C-B; C; z)``
        as ``((alpha+T)/(alpha+T+t))^(a-1) 2F1(a+b-1-r, a-1; a+b+x-1; z)``: the same number, but
        finite for the long horizons a discounted sum needs (as ``t`` grows the first form's 2F1
        overflows while its factor vanishes: NaN).

        Examples
        --------
        >>> from scipy import special
        >>> r, alpha, a, b, x, T, t = 0.8, 4.2, 0.5, 4.0, 5.0, 50.0, 30.0
        >>> z = t / (alpha + T + t)
        >>> direct = (a + b + x - 1) / (a - 1) * (1 - (1 - z) ** (r + x) * special.hyp2f1(r + x, b + x, a + b + x - 1, z))
        >>> bool(np.isclose(BGNBD._while_alive(t, x, T, r, alpha, a, b), direct, rtol=1e-12))
        True
        """
        c = a + b + x - 1
        with np.errstate(over="ignore"):
            return c / (a - 1) * (1 - ((alpha + T) / (alpha + T + t)) ** (a - 1)
                                  * special.hyp2f1(c - r - x, a - 1, c, t / (alpha + T + t)))

    def dert(self, discount_rate, frequency, recency, T, covariates=None):
        """Discounted expected residual purchases at a continuous ``discount_rate`` per time unit:
        ``P(alive) * integral_0^inf rate exp(-rate t) E(t | alive) dt`` by Gauss-Laguerre quadrature
        (:func:`cem.clv._mle._discounted`; BG/NBD has no closed form). The integral depends on the
        customer through ``x`` and ``T`` only: without covariates it is computed once per distinct
        pair (64 2F1 each), so 200,000 customers take a second or two, not minutes.
        """
        r, alpha, a, b = self._p(covariates, frequency)
        x, tx, T = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (frequency, recency, T)))
        alive = self._alive(x, tx, T, r, alpha, a, b)
        if all(np.ndim(p) == 0 for p in (r, alpha, a, b)):
            keys, inv = np.unique(np.column_stack([x.ravel(), T.ravel()]), axis=0, return_inverse=True)
            ux, uT = keys[:, 0], keys[:, 1]
            per = _discounted(lambda h: self._while_alive(h, ux, uT, r, alpha, a, b), discount_rate)
            return per[inv.ravel()].reshape(x.shape) * alive
        return _discounted(lambda h: self._while_alive(h, x, T, r, alpha, a, b), discount_rate) * alive

    def prob_alive(self, frequency, recency, T, covariates=None):
        """Probability each customer is still alive at the end of observation (FHL 2005, eq. 11)::

            P(alive) = 1 / (1 + [x>0] a/(b+x-1) ((alpha+T)/(alpha+t_x))^(r+x))
        """
        r, alpha, a, b = self._p(covariates, frequency)
        x, tx, T = (np.asarray(v, dtype=float) for v in (frequency, recency, T))
        return self._alive(x, tx, T, r, alpha, a, b)

    @staticmethod
    def _alive(x, tx, T, r, alpha, a, b):
        with np.errstate(divide="ignore", over="ignore"):
            ratio = np.where(x > 0, a / np.maximum(b + x - 1, 1e-300) * np.exp((r + x) * (np.log(alpha + T) -
                                                                                      np.log(alpha + tx))), 0.0)
        return 1.0 / (1.0 + ratio)


def fit_bgnbd(summary: pd.DataFrame, frequency: str = "frequency", recency: str = "recency", T: str = "T",
              source: str | Path = "transactions",
              covariates: pd.DataFrame | dict[str, pd.DataFrame] | None = None) -> BGNBD:
    """Fit BG/NBD by maximum likelihood, optionally with time-invariant covariates.

    Parameters
    ----------
    summary : pandas.DataFrame
        From :func:`cem.clv.rfm` (or any table with frequency, recency and T), indexed by customer.
    frequency, recency, T : str
        Column names.
    source : str or path
        What the summary was made from (the transactions file), named when the fit refuses.
    covariates : pandas.DataFrame or dict, optional
        Numeric columns per customer, indexed like ``summary``: one DataFrame for the same
        covariates in both processes, or ``{"purchase": DataFrame, "dropout": DataFrame}``
        (CLVTools' ``names.cov.trans`` and ``names.cov.life``). Coefficients are named
        ``trans.<column>`` (purchase, on ``alpha``) and ``life.<column>`` (dropout, on ``a`` and
        ``b``); see the module docstring.

    Returns
    -------
    BGNBD
        With ``std_errors`` from the Hessian, the ``optimizer``'s report and ``fit_warning``.

    Raises
    ------
    InputError
        Too few customers to fit (:func:`cem.clv.too_few_to_fit`); covariates missing for a
        customer or not numeric.

    Examples
    --------
    >>> from cem.clv import read_cdnow, rfm
    >>> cdnow = rfm(read_cdnow("data/external/cdnow/CDNOW_sample.txt"), end="1997-09-30", unit="W")  # doctest: +SKIP
    >>> {k: round(float(v), 4) for k, v in fit_bgnbd(cdnow).params.items()}  # doctest: +SKIP
    {'r': 0.2426, 'alpha': 4.4136, 'a': 0.7929, 'b': 2.4259}
    """
    return _fit_covariate_model(BGNBD, _objective, summary, (frequency, recency, T), covariates, source,
                                ["r", "alpha", "a", "b"],
                                lambda TT: [(0.5, max(np.mean(TT), 1) / 4, 0.8, 2.5), (1, 1, 1, 1)])
