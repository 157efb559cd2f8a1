"""Gamma-Gamma: the published CDNOW estimates; too few spenders refused."""
import pandas as pd
import pytest

from cem import InputError
from cem.clv import fit_bgnbd, fit_gamma_gamma


def test_gamma_gamma_reproduces_the_published_estimates(cdnow, rounded):
    # Fader & Hardie, "The Gamma-Gamma model of monetary value" (2013), on the 946 repeat buyers:
    # p = 6.25, q = 3.74, gamma = 15.44.
    m = fit_gamma_gamma(cdnow[1])
    assert m.n == 946
    assert rounded(m.params, dict(p=2, q=2, gamma=2)) == {"p": 6.25, "q": 3.74, "gamma": 15.44}
    assert m.mean_spend == pytest.approx(6.25 * 15.44 / 2.74, rel=1e-2)


def test_too_few_spenders_for_gamma_gamma():
    s = pd.DataFrame({"frequency": [0] * 20 + [2] * 6, "recency": [0.0] * 20 + [5.0] * 6, "T": [10.0] * 26,
                      "monetary_value": [0.0] * 20 + [9.0] * 6})
    fit_bgnbd(s)  # 26 customers, 6 with repeats: enough to count purchases
    with pytest.raises(InputError, match="6 customers with repeat purchases of a positive value"):
        fit_gamma_gamma(s)


def test_gamma_gamma_gradient_and_standard_errors(cdnow):
    import numpy as np
    from scipy import optimize

    from cem.clv.gamma_gamma import _objective

    rng = np.random.default_rng(2)
    x = rng.integers(1, 8, 300).astype(float)
    m = rng.gamma(3.0, 10.0, 300)
    f = _objective(x, m, np.ones(300))
    v = np.log([4.0, 3.0, 12.0])
    assert np.allclose(f(v)[1], optimize.approx_fprime(v, lambda u: f(u)[0], 1e-6), rtol=1e-4, atol=1e-3)
    fit = fit_gamma_gamma(cdnow[1])
    assert fit.fit_warning is None and fit.optimizer["converged"]
    assert set(fit.std_errors) == {"p", "q", "gamma"} and all(v > 0 for v in fit.std_errors.values())
    # The standard errors are the curvature of the likelihood at the optimum: here from second
    # differences of the likelihood's values alone (no gradient), on the log scale of the search.
    s = cdnow[1]
    keep = (s["frequency"] > 0) & (s["monetary_value"] > 0)
    g = _objective(s.loc[keep, "frequency"].to_numpy(float), s.loc[keep, "monetary_value"].to_numpy(float),
                   np.ones(int(keep.sum())))
    v0, h = np.log([fit.params[k] for k in ("p", "q", "gamma")]), 1e-3
    H = np.array([[(g(v0 + h * (np.eye(3)[i] + np.eye(3)[j]))[0] - g(v0 + h * (np.eye(3)[i] - np.eye(3)[j]))[0]
                    - g(v0 - h * (np.eye(3)[i] - np.eye(3)[j]))[0] + g(v0 - h * (np.eye(3)[i] + np.eye(3)[j]))[0])
                   / (4 * h * h) for j in range(3)] for i in range(3)])
    se = np.exp(v0) * np.sqrt(np.diag(np.linalg.inv(H)))
    assert np.allclose([fit.std_errors[k] for k in ("p", "q", "gamma")], se, rtol=1e-3)
