"""The maximum-likelihood machinery the customer-base models share.

Each model writes its log-likelihood per customer; :func:`_compress` computes identical
customers once, :func:`_fit` maximises the sum over log-parameters (so every parameter stays
positive; covariate coefficients, when a model has them, stay on their own scale),
:func:`_inference` reads standard errors off the Hessian at the optimum and says in a plain
sentence when the optimum is not one the data pin down (:func:`_fit_warning`), :class:`_Model`
holds the result. A model hands :func:`_maximum_likelihood` its negative log-likelihood and
gradient (wrapped by :func:`_guarded`, so a search never stops on a value it cannot compute)
and gets all of the model's fields back: BG/NBD, Pareto/NBD, MBG/NBD, sBG and BG/BB are fitted
and judged by the same rules. Fits refuse data too thin to pin the parameters down (:func:`_refuse_if_too_few`,
with the thresholds of :func:`cem.readers.transactions.too_few_to_fit`).

Covariates (:func:`_covariate_matrices`) follow Fader & Hardie (2007), "Incorporating
time-invariant covariates into the Pareto/NBD and BG/NBD models"
(http://www.brucehardie.com/notes/019/), in the parameterisation of the R package CLVTools: a
scale parameter of a process times ``exp(-gamma' x_i)`` (or ``exp(gamma' x_i)``, as the model says).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import optimize

from ..errors import InputError
from ..readers.transactions import too_few_to_fit

#: Gauss-Laguerre nodes and weights for discounted expectations (:func:`_discounted`).
_LAGUERRE = np.polynomial.laguerre.laggauss(64)

#: The models' log-scale parameters are searched within +-20 (5e-9 to 5e8): beyond, the differences
#: of log-gamma functions in their likelihoods lose their significant digits and a runaway
#: parameter (BG/NBD's a and b when customers drop out alike) would score a false optimum.
_LOG_LIMIT = 20.0


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

    One sort of the rows (``numpy.lexsort``, n log n) and a comparison of neighbours: no pandas
    grouping, which spends most of its time building the index of the groups. The unique rows
    come in ascending order of the columns.

    Examples
    --------
    >>> (x, t), w = _compress([0, 1, 0], [5.0, 2.0, 5.0])
    >>> x.tolist(), t.tolist(), w.tolist()
    ([0.0, 1.0], [5.0, 2.0], [2.0, 1.0])
    """
    cols = [np.asarray(c, dtype=float).ravel() for c in columns]
    n = len(cols[0]) if cols else 0
    if n == 0:
        return [np.zeros(0) for _ in cols], np.zeros(0)
    order = np.lexsort(cols[::-1])  # the first column is the primary key
    ordered = [c[order] for c in cols]
    new = np.zeros(n, dtype=bool)
    new[0] = True
    for c in ordered:  # a row starts a group when any column differs from the row before (NaN equals NaN)
        same = (c[1:] == c[:-1]) | (np.isnan(c[1:]) & np.isnan(c[:-1]))
        new[1:] |= ~same
    starts = np.flatnonzero(new)
    counts = np.diff(np.r_[starts, n]).astype(float)
    return [c[starts] for c in ordered], counts


def _covariate_matrices(summary, covariates, processes=("purchase", "dropout"), source="covariates"):
    """The covariates of each process as matrices in the order of ``summary``'s rows.

    ``covariates`` is None, one DataFrame (the same columns in every process) or a dict
    ``{process: DataFrame}``; each DataFrame is indexed by customer like ``summary``, numeric
    columns only, a row for every customer. A process left out of the dict has no covariates.

    Returns
    -------
    dict
        ``{process: (names, matrix)}`` with a ``(len(summary), k)`` float matrix (``k`` may be 0).

    Raises
    ------
    InputError
        A customer without covariates, a column that is not numeric or holds a missing value,
        an unknown process.

    Examples
    --------
    >>> s = pd.DataFrame({"frequency": [1, 0]}, index=["a", "b"])
    >>> cov = pd.DataFrame({"Gender": [1.0, 0.0]}, index=["b", "a"])
    >>> m = _covariate_matrices(s, {"dropout": cov})
    >>> m["dropout"][0], m["dropout"][1].tolist(), m["purchase"][1].shape
    (['Gender'], [[0.0], [1.0]], (2, 0))
    """
    empty = ([], np.zeros((len(summary), 0)))
    if covariates is None:
        return {p: empty for p in processes}
    if isinstance(covariates, pd.DataFrame):
        covariates = {p: covariates for p in processes}
    unknown = sorted(set(covariates) - set(processes))
    if unknown:
        raise InputError.single(str(source), f"covariates for {', '.join(map(repr, unknown))}: the processes "
                                             f"are {', '.join(map(repr, processes))}")
    out = {}
    for p in processes:
        frame = covariates.get(p)
        if frame is None or frame.shape[1] == 0:
            out[p] = empty
            continue
        bad = [c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])]
        if bad:
            raise InputError.single(str(source), f"{p} covariates {', '.join(map(str, bad))} are not numeric: "
                                                 "code categories as 0/1 columns")
        aligned = frame.reindex(summary.index)
        missing = aligned.isna().any(axis=1)
        if missing.any():
            raise InputError.single(str(source), f"{int(missing.sum())} customers have no or missing {p} "
                                                 f"covariates (first: {summary.index[missing.to_numpy()][0]!r})")
        out[p] = ([str(c) for c in frame.columns], aligned.to_numpy(dtype=float))
    return out


def _fit(negll, x0, names, jac=None, n_log=None, relative_gtol=False):
    """Maximise the likelihood from each start; keep the best.

    The first ``n_log`` parameters (all by default) are searched on the log scale, so they stay
    positive; the others (covariate coefficients) on their own scale. ``negll`` takes the
    search vector. ``jac``: its gradient, or True when ``negll`` returns ``(value, gradient)``;
    without it scipy takes finite differences.

    BFGS first: it follows the flat ridges of these likelihoods (Pareto/NBD's s and beta) to
    the published precision. A BFGS run that stops for "precision loss" with a near-zero
    gradient is on such a ridge, at the optimum's likelihood; one that cannot be evaluated
    falls back to bounded L-BFGS-B. The next start is tried only when a start did not reach an
    optimum: on a ridge each start costs hundreds of likelihood evaluations.

    BFGS stops when every component of the gradient is below 1e-8; with ``relative_gtol`` below
    1e-8 of the negative log-likelihood at the start instead. On 50,000 customers (a
    log-likelihood near 10^6) the absolute 1e-8 is below the rounding of the sum: BFGS then ends in
    "precision loss" after some 70 futile evaluations of its last line search, at the estimates
    the relative tolerance reaches in 20 (the same to 7 significant digits).

    Returns
    -------
    params : dict
        By ``names``, on the natural scale.
    loglik : float
    result : scipy.optimize.OptimizeResult
        The best search (``x`` on the search scale).

    Examples
    --------
    >>> params, loglik, _ = _fit(lambda lp: float(np.sum((lp - np.log([2.0, 3.0])) ** 2)), [(1, 1)], ["a", "b"])
    >>> {k: round(float(v), 6) for k, v in params.items()}, round(loglik, 9)
    ({'a': 2.0, 'b': 3.0}, -0.0)
    """
    best = None
    for start in x0:
        n = len(start) if n_log is None else n_log
        x = np.r_[np.log(np.asarray(start[:n], dtype=float)), np.asarray(start[n:], dtype=float)]
        bounds = [(-12, 12)] * n + [(-20, 20)] * (len(start) - n)
        with np.errstate(all="ignore"):  # the search tries extreme parameters; bad ones score 1e20
            gtol = 1e-8
            if relative_gtol:
                f0 = negll(x)
                f0 = f0[0] if jac is True else f0
                gtol = 1e-8 * max(1.0, abs(f0)) if np.isfinite(f0) and abs(f0) < 1e19 else 1e-8
            res = optimize.minimize(negll, x, jac=jac, method="BFGS", options={"gtol": gtol, "maxiter": 2000})
            if not _usable(res):
                res = optimize.minimize(negll, x, jac=jac, method="L-BFGS-B", bounds=bounds,
                                        options={"maxiter": 5000, "ftol": 1e-15, "gtol": 1e-10})
        res.n_log = n
        if best is None or res.fun < best.fun:
            best = res
        # A gradient at the noise level of its finite differences (about 1e-6 of the likelihood): an optimum.
        if _usable(res) and (res.success or np.max(np.abs(res.jac)) < 1e-6 * max(1.0, abs(res.fun))):
            break
    return dict(zip(names, _natural(best.x, best.n_log))), -float(best.fun), best


def _guarded(negll, n_log=None):
    """``negll`` (search vector -> value and gradient) scoring ``1e20`` with a zero gradient where
    the likelihood cannot be computed: a log-scale parameter (the first ``n_log``, all by default)
    beyond :data:`_LOG_LIMIT`, or a value or gradient that is not finite. The search then steps
    back instead of stopping on a NaN.

    Examples
    --------
    >>> f = _guarded(lambda v: (float(np.sum(np.log(v))), 1 / v))
    >>> bool(f(np.array([1.0, 2.0]))[0] == np.log(2.0)), f(np.array([-1.0, 2.0]))[0], f(np.array([25.0, 1.0]))[0]
    (True, 1e+20, 1e+20)
    """
    def guarded(v):
        v = np.asarray(v, dtype=float)
        n = len(v) if n_log is None else n_log
        if np.any(np.abs(v[:n]) > _LOG_LIMIT):  # beyond e^20 the log-gamma differences lose their digits
            return 1e20, np.zeros(len(v))
        with np.errstate(all="ignore"):
            value, grad = negll(v)
        if not (np.isfinite(value) and np.all(np.isfinite(grad))):
            return 1e20, np.zeros(len(v))
        return float(value), np.asarray(grad, dtype=float)
    return guarded


def _maximum_likelihood(negll, starts, names, n_log=None, relative_gtol=False):
    """Fit (:func:`_fit`) and judge the fit (:func:`_inference`): the fields of a :class:`_Model`
    but ``n`` and ``extra``.

    ``negll`` returns the negative log-likelihood and its gradient in the search vector (the
    first ``n_log`` parameters on the log scale, all by default); it is wrapped by :func:`_guarded`.
    ``relative_gtol``: see :func:`_fit`.

    Returns
    -------
    dict
        ``params``, ``loglik``, ``converged``, ``std_errors``, ``optimizer``, ``fit_warning``, ``covariance``.

    Examples
    --------
    >>> def nll(v):
    ...     d = v - np.log([2.0, 3.0])
    ...     return float(50 * d @ d), 100 * d
    >>> fitted = _maximum_likelihood(nll, [(1, 1)], ["a", "b"])
    >>> {k: round(v, 6) for k, v in fitted["params"].items()}, round(fitted["std_errors"]["a"], 4), fitted["fit_warning"]
    ({'a': 2.0, 'b': 3.0}, 0.2, None)
    """
    negll = _guarded(negll, n_log)
    params, loglik, res = _fit(negll, starts, names, jac=True, n_log=n_log, relative_gtol=relative_gtol)
    se, optimizer, warning, covariance = _inference(negll, res, names, jac=True)
    return {"params": {k: float(v) for k, v in params.items()}, "loglik": float(loglik), "converged": _usable(res),
            "std_errors": se, "optimizer": optimizer, "fit_warning": warning, "covariance": covariance}


def _covariate_effects(theta, Xt, Xl):
    """Split a natural-scale vector ``(r, alpha, <2 dropout parameters>, life..., trans...)`` into
    the four base parameters, each customer's purchase scale ``alpha_i = alpha exp(-gamma_trans' x_i)``
    and each customer's dropout index ``gamma_life' x_i`` (0 without covariates), for the model
    to apply to its dropout parameters (the parameterisation of CLVTools).

    Examples
    --------
    >>> base, alpha_i, life = _covariate_effects(np.array([0.5, 2.0, 1.0, 3.0, 0.1, np.log(2)]),
    ...                                          np.array([[1.0], [0.0]]), np.array([[1.0], [0.0]]))
    >>> base.tolist(), alpha_i.round(3).tolist(), life.tolist()
    ([0.5, 2.0, 1.0, 3.0], [1.0, 2.0], [0.1, 0.0])
    """
    kl = Xl.shape[1]
    g_life, g_trans = theta[4:4 + kl], theta[4 + kl:]
    alpha_i = theta[1] * np.exp(-(Xt @ g_trans)) if Xt.shape[1] else np.full(Xt.shape[0], theta[1])
    life = Xl @ g_life if kl else np.zeros(Xl.shape[0])
    return theta[:4], alpha_i, life


def _fit_covariate_model(model, objective, summary, columns, covariates, source, names, starts):
    """Fit a purchase-and-dropout model with optional covariates (BG/NBD, Pareto/NBD): refuse too
    few customers, align the covariates (:func:`_covariate_matrices`), compute identical
    customers once (:func:`_compress`) and maximise (:func:`_maximum_likelihood`).

    ``columns`` names frequency, recency and T in ``summary``; ``objective(x, tx, T, w, Xt, Xl)``
    returns the negative log-likelihood and gradient over ``(log names..., life..., trans...)``;
    ``starts(T)`` the starting values of ``names`` (the covariate coefficients start at 0).

    Returns
    -------
    model
        ``model`` (a :class:`_Model` class) with coefficients ``life.<column>`` and
        ``trans.<column>`` and ``extra["covariates"]``, the columns of each process.
    """
    frequency, recency, T = columns
    _refuse_if_too_few(summary, frequency, source=source)
    cov = _covariate_matrices(summary, covariates, source=source)
    (life, Xl), (trans, Xt) = cov["dropout"], cov["purchase"]
    cols, w = _compress(summary[frequency], summary[recency], summary[T], *Xl.T, *Xt.T)
    x, tx, TT = cols[:3]
    Xl = np.column_stack(cols[3:3 + len(life)]) if life else np.zeros((len(x), 0))
    Xt = np.column_stack(cols[3 + len(life):]) if trans else np.zeros((len(x), 0))
    all_names = [*names, *(f"life.{c}" for c in life), *(f"trans.{c}" for c in trans)]
    zeros = (0.0,) * (len(life) + len(trans))
    fitted = _maximum_likelihood(objective(x, tx, TT, w, Xt, Xl), [(*s, *zeros) for s in starts(TT)], all_names,
                                 n_log=len(names), relative_gtol=True)
    return model(n=int(w.sum()), **fitted, extra={"covariates": {"purchase": list(trans), "dropout": list(life)}})


def _natural(x, n_log):
    """Search vector -> natural scale: the first ``n_log`` exponentiated."""
    x = np.asarray(x, dtype=float)
    return np.r_[np.exp(x[:n_log]), x[n_log:]]


def _usable(res):
    """A search that ended at a finite likelihood: converged, or stopped on a flat ridge."""
    return bool(np.isfinite(res.fun) and res.fun < 1e19 and (res.success or res.status == 2))


def _hessian(negll, x, jac=None, step=1e-4):
    """Hessian of ``negll`` at ``x`` by central differences: of the gradient when ``jac`` is
    given (``jac=True``: ``negll`` returns ``(value, gradient)``), else of the values.

    Examples
    --------
    >>> H = _hessian(lambda v: float(v[0] ** 2 + 3 * v[0] * v[1] + 5 * v[1] ** 2), np.array([0.3, -0.2]))
    >>> np.round(H, 5).tolist()
    [[2.0, 3.0], [3.0, 10.0]]
    """
    x = np.asarray(x, dtype=float)
    k = len(x)
    h = step * np.maximum(1.0, np.abs(x))
    if jac is not None:
        grad = (lambda v: negll(v)[1]) if jac is True else jac
        H = np.empty((k, k))
        for i in range(k):
            e = np.zeros(k)
            e[i] = h[i]
            H[:, i] = (np.asarray(grad(x + e)) - np.asarray(grad(x - e))) / (2 * h[i])
        return (H + H.T) / 2
    f = (lambda v: negll(v)[0]) if jac is True else negll
    H = np.empty((k, k))
    f0 = f(x)
    for i in range(k):
        for j in range(i, k):
            ei, ej = np.zeros(k), np.zeros(k)
            ei[i], ej[j] = h[i], h[j]
            if i == j:
                H[i, i] = (f(x + ei) - 2 * f0 + f(x - ei)) / h[i] ** 2
            else:
                H[i, j] = H[j, i] = (f(x + ei + ej) - f(x + ei - ej) - f(x - ei + ej) + f(x - ei - ej)) / (4 * h[i] * h[j])
    return H


def _inference(negll, res, names, jac=None, n_customers=None):
    """Standard errors, the optimizer's report and a warning about the optimum.

    The covariance of the search vector is the inverse Hessian of the negative log-likelihood
    (:func:`_hessian`); a log-scale parameter's standard error on the natural scale is by the
    delta method, ``se(theta) = theta * se(log theta)`` (as CLVTools reports them).

    Returns
    -------
    std_errors : dict
        By ``names``; NaN where the Hessian cannot be inverted.
    optimizer : dict
        ``success`` (scipy's flag), ``converged`` (scipy's flag, or a gradient below 1e-4 of the
        likelihood: BFGS reports "precision loss" at an optimum it cannot improve on),
        ``message``, ``iterations``, ``evaluations``, ``method``.
    fit_warning : str or None
        See :func:`_fit_warning`.
    covariance : pandas.DataFrame or None
        The inverse Hessian: the covariance of the estimates on the search scale (the logarithm
        of each positive parameter, the covariate coefficients as they are), by ``names``; None
        where the Hessian cannot be inverted.

    Examples
    --------
    >>> def nll(v):  # value and gradient
    ...     d = v - np.array([np.log(2.0), 0.0])
    ...     return float(50 * d @ d), 100 * d
    >>> params, ll, res = _fit(nll, [(1.0, 0.5)], ["a", "g"], jac=True, n_log=1)
    >>> se, opt, warning, cov = _inference(nll, res, ["a", "g"], jac=True)
    >>> round(se["a"], 4), round(se["g"], 4), opt["success"], warning
    (0.2, 0.1, True, None)
    """
    x = np.asarray(res.x, dtype=float)
    n_log = getattr(res, "n_log", len(x))
    with np.errstate(all="ignore"):
        try:
            H = _hessian(negll, x, jac)
        except (FloatingPointError, ValueError, OverflowError):
            H = np.full((len(x), len(x)), np.nan)
    cov = None
    if np.all(np.isfinite(H)):
        try:
            cov = np.linalg.inv(H)
        except np.linalg.LinAlgError:
            cov = None
    with np.errstate(invalid="ignore"):  # a negative variance (not positive definite) is NaN
        se_search = np.sqrt(np.diag(cov)) if cov is not None else np.full(len(x), np.nan)
        se_search = np.where(np.isfinite(se_search), se_search, np.nan)
    natural = _natural(x, n_log)
    se = np.r_[natural[:n_log] * se_search[:n_log], se_search[n_log:]]
    jac_final = getattr(res, "jac", None)
    at_optimum = bool(res.success or (jac_final is not None and np.all(np.isfinite(jac_final))
                                      and np.max(np.abs(jac_final)) < 1e-4 * max(1.0, abs(res.fun))))
    optimizer = {"success": bool(res.success), "converged": at_optimum, "message": str(res.message),
                 "iterations": int(getattr(res, "nit", 0)),
                 "evaluations": int(getattr(res, "nfev", 0)), "method": "BFGS" if "hess_inv" in res and
                 not hasattr(res.hess_inv, "todense") else "L-BFGS-B"}
    warning = _fit_warning(names, x, n_log, H, se_search, res, n_customers)
    covariance = None if cov is None else pd.DataFrame(cov, index=names, columns=names)
    return dict(zip(names, map(float, se))), optimizer, warning, covariance


#: Thresholds of :func:`_fit_warning`.
_RUNAWAY_LOG = np.log(1e4)   # a log-scale parameter above 10,000 or below 1/10,000
_RIDGE_SE = 1.0              # se(log theta) above 1: theta known only to within a factor e either way
_CONDITION = 1e12            # condition number of the Hessian beyond which it is taken as singular


def _fit_warning(names, x, n_log, H, se_search, res, n_customers=None):
    """A plain sentence when the optimum is not one the data pin down, else None.

    Checked in order: a parameter on the boundary of the search (log-scale beyond +-ln 10,000,
    i.e. above 10,000 or below 0.0001: "running away", as a heterogeneity shape going to
    infinity does when customers do not differ, or sBG's beta when nobody leaves; such a search
    often stops short of an optimum too, and the boundary is the reason); a search that did not
    end at an optimum; a Hessian that is not finite, singular (condition number above 1e12) or not positive
    definite; a log-scale parameter whose standard error exceeds 1 (known only to within a
    factor e either way: a flat ridge of the likelihood). The parameters named are those the
    flattest direction (the Hessian's eigenvector of the smallest eigenvalue) moves most.

    Examples
    --------
    >>> class R: success = True; message = "ok"; jac = np.zeros(2); fun = 10.0; status = 0
    >>> print(_fit_warning(["s", "beta"], np.log([127.8, 7935.0]), 2, np.array([[4.0, 3.99], [3.99, 4.0]]),
    ...                    np.array([7.1, 7.1]), R()))  # doctest: +NORMALIZE_WHITESPACE
    The likelihood is flat along s and beta (standard errors of their logarithms 7.1, 7.1): the data
    do not pin them down, and predictions that depend on them (survival, lifetime) are unreliable.
    """
    x = np.asarray(x, dtype=float)
    grad_small = res.jac is not None and np.all(np.isfinite(res.jac)) and \
        np.max(np.abs(res.jac)) < 1e-4 * max(1.0, abs(res.fun))
    runaway = [n for n, v in zip(names[:n_log], x[:n_log]) if abs(v) > _RUNAWAY_LOG]
    if runaway:
        values = ", ".join(f"{n} = {np.exp(v):.3g}" for n, v in zip(names[:n_log], x[:n_log]) if n in runaway)
        return (f"{_join(runaway)} ran to the edge of the search ({values}): the likelihood keeps rising as "
                f"{'it grows or shrinks' if len(runaway) == 1 else 'they grow or shrink'} without bound, so the data "
                "do not pin the model down (often: customers differ too little, or too few came back).")
    if not (res.success or grad_small):
        return (f"The search stopped before it reached an optimum ({res.message}); the estimates are not maximum "
                "likelihood estimates.")
    if not np.all(np.isfinite(H)):
        return "The Hessian at the optimum could not be computed: no standard errors, and the optimum may be a ridge."
    eig, vec = np.linalg.eigh(H)
    if eig[0] <= 0 or eig[-1] / eig[0] > _CONDITION:
        along = [n for n, c in zip(names, vec[:, 0]) if abs(c) > 0.3]
        values = ", ".join(f"{n} = {v:.4g}" for n, v in zip(names, _natural(x, n_log)) if n in along)
        return (f"The Hessian at the optimum is singular or not positive definite: the likelihood is flat along "
                f"{_join(along)} ({values}), so the data do not pin {'it' if len(along) == 1 else 'them'} down; "
                "standard errors are meaningless and predictions that depend on them (survival, lifetime) "
                "unreliable (often: customers differ too little, or too few came back).")
    flat = [i for i in range(n_log) if not np.isfinite(se_search[i]) or se_search[i] > _RIDGE_SE]
    if flat:
        ses = ", ".join(f"{se_search[i]:.2g}" for i in flat)
        return (f"The likelihood is flat along {_join([names[i] for i in flat])} (standard errors of "
                f"{'its logarithm' if len(flat) == 1 else 'their logarithms'} {ses}): the data do not pin "
                f"{'it' if len(flat) == 1 else 'them'} down, and predictions that depend on "
                f"{'it' if len(flat) == 1 else 'them'} (survival, lifetime) are unreliable.")
    return None


def _join(words):
    """'a', 'a and b', 'a, b and c'."""
    words = list(words)
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _discounted(expected, rate):
    """Discounted expected purchases over an unlimited horizon: with continuous discounting at
    ``rate`` per time unit, ``DERT = integral_0^inf exp(-rate t) dE(t) = integral_0^inf rate
    exp(-rate t) E(t) dt`` (by parts, ``E(0) = 0``), where ``E(t)`` is the expected number of
    purchases in the next ``t`` units; evaluated by 64-point Gauss-Laguerre quadrature,
    ``sum_k w_k E(u_k / rate)``.

    Examples
    --------
    >>> round(float(_discounted(lambda t: 2.0 * t, 0.1)), 9)  # a constant rate of 2: 2 / 0.1
    20.0
    """
    nodes, weights = _LAGUERRE
    return sum(w * np.asarray(expected(u / rate), dtype=float) for u, w in zip(nodes, weights))


@dataclass
class _Model:
    """A fitted model: ``params`` by name, ``loglik``, ``n`` customers, whether the search
    ``converged``; ``std_errors`` by name (from the Hessian), the ``optimizer``'s report
    (success, message, iterations, evaluations, method) and ``fit_warning``, a sentence when
    the optimum is on a boundary or a ridge (else None); ``covariance``, the inverse Hessian on
    the search scale (log of the positive parameters, the ``life.*``/``trans.*`` coefficients as
    they are), for intervals of anything computed from the parameters."""

    params: dict
    loglik: float
    n: int
    converged: bool = True
    extra: dict = field(default_factory=dict)
    std_errors: dict = field(default_factory=dict)
    optimizer: dict = field(default_factory=dict)
    fit_warning: str | None = None
    covariance: pd.DataFrame | None = field(default=None, repr=False)

    def summary(self):
        """Parameters and log-likelihood as a one-row DataFrame.

        Examples
        --------
        >>> _Model(params={"r": 0.5}, loglik=-10.0, n=3).summary().to_dict("records")
        [{'r': 0.5, 'loglik': -10.0, 'customers': 3}]
        """
        return pd.DataFrame([{**self.params, "loglik": self.loglik, "customers": self.n}])

    def table(self):
        """Estimates with their standard errors, one row per parameter.

        Examples
        --------
        >>> _Model(params={"r": 0.5}, loglik=-10.0, n=3, std_errors={"r": 0.1}).table().to_dict("index")
        {'r': {'estimate': 0.5, 'std_error': 0.1}}
        """
        return pd.DataFrame({"estimate": pd.Series(self.params, dtype=float),
                             "std_error": pd.Series(self.std_errors, dtype=float).reindex(list(self.params))})

    def estimates(self):
        """:meth:`table` with Wald 95 % intervals, ``estimate -+ 1.96 std_error``.

        Examples
        --------
        >>> m = _Model(params={"a": 2.0}, loglik=-1.0, n=10, std_errors={"a": 0.5})
        >>> m.estimates().round(3).to_dict("index")
        {'a': {'estimate': 2.0, 'std_error': 0.5, 'lower_95': 1.02, 'upper_95': 2.98}}
        """
        t = self.table()
        return t.assign(lower_95=t["estimate"] - 1.959964 * t["std_error"],
                        upper_95=t["estimate"] + 1.959964 * t["std_error"])


class _PurchaseModel(_Model):
    """A fitted model of purchases and dropout whose parameters may depend on covariates
    (BG/NBD, Pareto/NBD): ``expected_purchases(t, frequency, recency, T, covariates=)`` and
    ``prob_alive(frequency, recency, T, covariates=)`` come from the model; the residual
    purchases and the table of predictions per customer are computed from them alike."""

    def dert(self, discount_rate, frequency, recency, T, covariates=None):
        """Discounted expected residual purchases of each customer with continuous discounting at
        ``discount_rate`` per time unit: :func:`_discounted` of the conditional expected purchases
        (for a model without a closed form; Pareto/NBD has one)."""
        return _discounted(lambda h: self.expected_purchases(h, frequency, recency, T, covariates=covariates),
                           discount_rate)

    def predict(self, summary, t, discount_rate=None, covariates=None, frequency="frequency", recency="recency",
                T="T"):
        """Per customer of ``summary``: ``expected_purchases`` in the next ``t`` units,
        ``prob_alive``, and with a continuous ``discount_rate`` per unit ``dert`` (:meth:`dert`)."""
        x, tx, TT = summary[frequency], summary[recency], summary[T]
        out = pd.DataFrame({"expected_purchases": self.expected_purchases(t, x, tx, TT, covariates=covariates),
                            "prob_alive": self.prob_alive(x, tx, TT, covariates=covariates)}, index=summary.index)
        if discount_rate is not None:
            out["dert"] = self.dert(discount_rate, x, tx, TT, covariates=covariates)
        return out


def _prediction_covariates(model, covariates, like, processes=("purchase", "dropout")):
    """The covariate matrices of a fitted model's processes for the customers of ``like``.

    ``like`` is the frequency given to a prediction: a Series or DataFrame is matched to
    ``covariates`` by its index; an array or a number by position. A model fitted without
    covariates takes none (empty matrices); one fitted with them needs them.

    Examples
    --------
    >>> m = _Model(params={}, loglik=0.0, n=2, extra={"covariates": {"purchase": [], "dropout": ["g"]}})
    >>> cov = pd.DataFrame({"g": [1.0, 0.0]}, index=["a", "b"])
    >>> _prediction_covariates(m, cov, pd.Series([0, 1], index=["b", "a"]))["dropout"].tolist()
    [[0.0], [1.0]]
    """
    names = model.extra.get("covariates", {p: [] for p in processes})
    wanted = any(names[p] for p in processes)
    if not wanted:
        if covariates is not None:
            raise ValueError("this model was fitted without covariates; predict without them")
        return {p: None for p in processes}
    if covariates is None:
        raise ValueError("this model was fitted with covariates "
                         f"({', '.join(f'{p}: {_join(names[p])}' for p in processes if names[p])}); "
                         "give each customer's as covariates=")
    if isinstance(covariates, pd.DataFrame):
        covariates = {p: covariates for p in processes}
    if hasattr(like, "index"):
        index = like.index
    else:
        n = np.size(like)
        first = next(c for c in covariates.values() if c is not None)
        if len(first) != n and n != 1:
            raise ValueError(f"{n} customers but {len(first)} rows of covariates")
        index = first.index if n == len(first) else first.index[:1]
    frame = pd.DataFrame(index=index)
    out = {}
    for p in processes:
        if not names[p]:
            out[p] = np.zeros((len(index), 0))
            continue
        given = covariates.get(p)
        missing = [c for c in names[p] if given is None or c not in given.columns]
        if missing:
            raise ValueError(f"{p} covariates {_join(missing)} are missing")
        out[p] = _covariate_matrices(frame, {p: given[names[p]]}, processes=(p,))[p][1]
    return out


def _individual_params(model, base, individual, covariates=None, like=0):
    """A fitted model's parameters ``base`` (names, in order) for prediction: as fitted when the
    model has no covariates, else each customer's from ``individual(theta, X_purchase, X_dropout)``
    with ``theta`` the natural-scale vector ``(base..., life..., trans...)`` and the covariate
    matrices of :func:`_prediction_covariates` for the customers of ``like``.

    Examples
    --------
    >>> m = _Model(params={"r": 0.5, "alpha": 2.0}, loglik=0.0, n=1)
    >>> _individual_params(m, ("r", "alpha"), None)
    (0.5, 2.0)
    """
    p = model.params
    X = _prediction_covariates(model, covariates, like)
    if X["purchase"] is None:
        return tuple(p[k] for k in base)
    names = model.extra["covariates"]
    theta = np.r_[[p[k] for k in base], [p[f"life.{c}"] for c in names["dropout"]],
                  [p[f"trans.{c}"] for c in names["purchase"]]]
    return individual(theta, X["purchase"], X["dropout"])
