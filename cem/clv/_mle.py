"""The maximum-likelihood machinery the customer-base models share.

Each model writes its log-likelihood per customer; :func:`_compress` computes identical
customers once, :func:`_fit` maximises the sum over log-parameters (so every parameter stays
positive), :class:`_Model` holds the result. Fits refuse data too thin to pin the parameters
down (:func:`_refuse_if_too_few`, with the thresholds of :func:`cem.readers.transactions.too_few_to_fit`).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import optimize

from ..errors import InputError
from ..readers.transactions import too_few_to_fit


def _refuse_if_too_few(summary, frequency, monetary="monetary_value", spend=False, source="transactions"):
    """Raise :class:`cem.errors.InputError` (naming ``source``) when :func:`too_few_to_fit` says why.

    Examples
    --------
    >>> s = pd.DataFrame({"frequency": [3]})
    >>> _refuse_if_too_few(s, "frequency", source="shop/transactions.csv")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    cem.errors.InputError: shop/transactions.csv: 1 customer with purchases (1 with repeat purchases): too few ...
    """
    why = too_few_to_fit(summary, frequency, monetary, spend)
    if why:
        raise InputError.single(str(source), why)


def _compress(*columns):
    """Unique rows and their counts: the likelihood is a sum over customers, so identical
    customers are computed once (CDNOW: 2357 customers, about 1/3 as many distinct rows).

    Examples
    --------
    >>> (x, t), w = _compress([0, 1, 0], [5.0, 2.0, 5.0])
    >>> x.tolist(), t.tolist(), w.tolist()
    ([0.0, 1.0], [5.0, 2.0], [2.0, 1.0])
    """
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

    Returns
    -------
    params : dict
        By ``names``, on the natural scale.
    loglik : float
    result : scipy.optimize.OptimizeResult
        The best search.

    Examples
    --------
    >>> params, loglik, _ = _fit(lambda lp: float(np.sum((lp - np.log([2.0, 3.0])) ** 2)), [(1, 1)], ["a", "b"])
    >>> {k: round(float(v), 6) for k, v in params.items()}, round(loglik, 9)
    ({'a': 2.0, 'b': 3.0}, -0.0)
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
    """A fitted model: ``params`` by name, ``loglik``, ``n`` customers, whether the search ``converged``."""

    params: dict
    loglik: float
    n: int
    converged: bool = True
    extra: dict = field(default_factory=dict)

    def summary(self):
        """Parameters and log-likelihood as a one-row DataFrame.

        Examples
        --------
        >>> _Model(params={"r": 0.5}, loglik=-10.0, n=3).summary().to_dict("records")
        [{'r': 0.5, 'loglik': -10.0, 'customers': 3}]
        """
        return pd.DataFrame([{**self.params, "loglik": self.loglik, "customers": self.n}])
