"""Maximum likelihood with analytic gradients, standard errors and a warning when the fit is on
a ridge or a boundary: what the MBG/NBD, sBG and BG/BB fits share.

Each model gives its negative log-likelihood and its gradient, both over the logarithms of the
parameters (so every parameter stays positive). :func:`_maximise` searches with
``scipy.optimize.minimize`` (BFGS, falling back to bounded L-BFGS-B); :func:`_inference` takes
the Hessian as central differences of the analytic gradient and turns it into standard errors
on the natural scale (delta method: ``se(theta) = theta * se(log theta)``, exact at the optimum)
and, where the likelihood does not pin the parameters down, a plain-words ``fit_warning``.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import optimize

from ._mle import _Model

#: A parameter beyond these (natural scale) has run to the edge of the search: a boundary of the model.
EDGE_LOW, EDGE_HIGH = 1e-4, 1e4
#: A Hessian whose smallest eigenvalue is below this share of its largest is singular: a ridge.
RIDGE = 1e-10


def _maximise(fun_grad, starts, names):
    """Minimise ``fun_grad(log_params) -> (negll, gradient)`` from each start; keep the best.

    Returns
    -------
    params : dict
        By ``names``, on the natural scale.
    loglik : float
    result : scipy.optimize.OptimizeResult

    Examples
    --------
    >>> f = lambda lp: (float(np.sum((lp - np.log([2.0, 3.0])) ** 2)), 2 * (lp - np.log([2.0, 3.0])))
    >>> params, loglik, res = _maximise(f, [(1, 1)], ["a", "b"])
    >>> {k: round(float(v), 6) for k, v in params.items()}, round(loglik, 9), res.converged
    ({'a': 2.0, 'b': 3.0}, -0.0, True)
    """
    def safe(lp):
        with np.errstate(all="ignore"):
            value, grad = fun_grad(lp)
        if not (np.isfinite(value) and np.all(np.isfinite(grad))):
            return 1e20, np.zeros_like(lp)
        return value, grad

    best = None
    for start in starts:
        x0 = np.log(np.asarray(start, dtype=float))
        res = optimize.minimize(safe, x0, jac=True, method="BFGS", options={"gtol": 1e-9, "maxiter": 5000})
        if not (np.isfinite(res.fun) and res.fun < 1e19 and (res.success or res.status == 2)):
            res = optimize.minimize(safe, x0, jac=True, method="L-BFGS-B", bounds=[(-15, 15)] * len(x0),
                                    options={"maxiter": 10000, "ftol": 1e-15, "gtol": 1e-10})
        # BFGS stopping for "precision loss" with a gradient at the noise level is at the optimum.
        res.converged = bool(np.isfinite(res.fun) and res.fun < 1e19 and (res.success or res.status == 2)
                             and np.max(np.abs(res.jac)) < 1e-4 * max(1.0, abs(res.fun)))
        if best is None or res.fun < best.fun:
            best = res
        if res.converged:
            break
    return {n: float(v) for n, v in zip(names, np.exp(best.x))}, -float(best.fun), best


def _hessian(grad, x, step=1e-5):
    """Hessian of a function at ``x`` from central differences of its analytic ``grad``.

    Examples
    --------
    >>> h = _hessian(lambda v: np.array([2 * v[0] + v[1], v[0] + 6 * v[1]]), np.array([1.0, 2.0]))
    >>> np.round(h, 6).tolist()
    [[2.0, 1.0], [1.0, 6.0]]
    """
    x = np.asarray(x, dtype=float)
    h = np.empty((len(x), len(x)))
    for i in range(len(x)):
        e = np.zeros_like(x)
        e[i] = step * max(1.0, abs(x[i]))
        h[i] = (grad(x + e) - grad(x - e)) / (2 * e[i])
    return (h + h.T) / 2


def _inference(grad, res, names):
    """Standard errors (natural scale) and a warning when the fit sits on a ridge or boundary.

    ``grad`` is the gradient of the negative log-likelihood over log-parameters, ``res`` the
    search result of :func:`_maximise`.

    Returns
    -------
    std_errors : dict
        By name; NaN where the Hessian cannot be inverted.
    fit_warning : str or None

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> flat = lambda lp: np.array([2 * (lp[0] + lp[1]), 2 * (lp[0] + lp[1])])  # only a + b is pinned down
    >>> se, why = _inference(flat, SimpleNamespace(x=np.zeros(2), converged=True), ["a", "b"])
    >>> why
    'the likelihood is flat along a ridge (singular Hessian): a, b are not identified separately; standard errors are NaN'
    """
    theta = np.exp(res.x)
    problems = []
    if not res.converged:
        problems.append(f"the search did not converge ({res.message})")
    edge = [f"{n} = {t:.3g}" for n, t in zip(names, theta) if not EDGE_LOW < t < EDGE_HIGH]
    if edge:
        problems.append(f"parameters ran to the edge of the search ({', '.join(edge)}): "
                        "the best fit is on a boundary of the model")
    with np.errstate(all="ignore"):
        h = _hessian(grad, res.x)
    se = np.full(len(names), np.nan)
    if np.all(np.isfinite(h)):
        eig, vec = np.linalg.eigh(h)
        if eig[0] > RIDGE * max(abs(eig[-1]), 1e-300):
            se = theta * np.sqrt(np.diag(np.linalg.inv(h)))
        else:
            weak = [n for n, w in zip(names, np.abs(vec[:, 0])) if w > 0.1]
            problems.append("the likelihood is flat along a ridge (singular Hessian): "
                            f"{', '.join(weak)} are not identified separately; standard errors are NaN")
    else:
        problems.append("the Hessian could not be evaluated at the optimum; standard errors are NaN")
    return dict(zip(names, se.tolist())), "; ".join(problems) or None


@dataclass
class _Fitted(_Model):
    """A fitted model with ``std_errors`` by parameter and ``fit_warning`` (None when the fit is clean)."""

    std_errors: dict = field(default_factory=dict)
    fit_warning: str | None = None

    def estimates(self):
        """Estimates with standard errors and Wald 95 % intervals, one row per parameter.

        Examples
        --------
        >>> m = _Fitted(params={"a": 2.0}, loglik=-1.0, n=10, std_errors={"a": 0.5})
        >>> m.estimates().round(3).to_dict("index")
        {'a': {'estimate': 2.0, 'std_error': 0.5, 'lower_95': 1.02, 'upper_95': 2.98}}
        """
        est = pd.Series(self.params, dtype=float)
        se = pd.Series(self.std_errors, dtype=float).reindex(est.index)
        return pd.DataFrame({"estimate": est, "std_error": se, "lower_95": est - 1.959964 * se,
                             "upper_95": est + 1.959964 * se})
