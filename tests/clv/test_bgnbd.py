"""BG/NBD: the published CDNOW estimates, consistent predictions, parameters recovered."""
import pandas as pd
import pytest

from cem.clv import BGNBD, fit_bgnbd, rfm
from cem.synth import transactions


def test_bgnbd_reproduces_fader_hardie_lee_2005(cdnow, rounded):
    # Fader, Hardie & Lee (2005), Marketing Science 24(2): r = 0.243, alpha = 4.414, a = 0.793,
    # b = 2.426, LL = -9582.4.
    m = fit_bgnbd(cdnow[1])
    assert rounded(m.params, dict(r=3, alpha=3, a=3, b=3)) == {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    assert round(m.loglik, 1) == -9582.4 and m.converged


def test_bgnbd_predictions_are_consistent(cdnow):
    m = fit_bgnbd(cdnow[1])
    # A customer with no repeat purchase is alive for sure under BG/NBD.
    assert m.prob_alive(0, 0, 39) == pytest.approx(1.0)
    assert m.prob_alive(5, 10, 39) < m.prob_alive(5, 38, 39)  # a long silence lowers the odds
    # Conditional expectation of a brand-new customer equals the unconditional one.
    assert m.expected_purchases(39, 0, 0, 0) == pytest.approx(m.expected_purchases(39), rel=1e-6)


def test_parameters_are_recovered_from_generated_transactions():
    from cem.clv import fit_gamma_gamma

    truth = {"r": 0.25, "alpha": 4.0, "a": 0.8, "b": 2.5}
    tx = transactions(8000, bgnbd=tuple(truth.values()), gamma_gamma=(6.0, 4.0, 15.0), weeks=78, seed=11)
    s = rfm(tx, unit="W", end=pd.Timestamp("2024-01-01") + pd.Timedelta(weeks=78))
    fit = fit_bgnbd(s).params
    for k, v in truth.items():
        assert fit[k] == pytest.approx(v, rel=0.15), k
    gg = fit_gamma_gamma(s)
    assert gg.mean_spend == pytest.approx(6.0 * 15.0 / 3.0, rel=0.1)


def test_gradient_matches_finite_differences_and_covariates_at_zero_are_the_plain_model():
    import numpy as np
    from scipy import optimize

    from cem.clv.bgnbd import _bgnbd_ll, _objective

    rng = np.random.default_rng(5)
    n = 500
    x = rng.poisson(2.0, n).astype(float)
    T = rng.uniform(20, 60, n)
    tx = np.where(x > 0, T * rng.uniform(0, 1, n), 0.0)
    X = rng.normal(size=(n, 3))
    w = rng.integers(1, 4, n).astype(float)
    f = _objective(x, tx, T, w, X[:, :1], X[:, 1:])
    v = np.r_[np.log([0.4, 5.0, 0.9, 2.0]), rng.normal(0, 0.3, 3)]
    assert np.allclose(f(v)[1], optimize.approx_fprime(v, lambda u: f(u)[0], 1e-6), rtol=1e-4, atol=1e-3)
    plain = -np.sum(w * _bgnbd_ll(np.exp(v[:4]), x, tx, T))
    assert f(np.r_[v[:4], 0.0, 0.0, 0.0])[0] == pytest.approx(plain, rel=1e-12)


def test_bgnbd_with_covariates_on_cdnow_like_data(cdnow):
    import numpy as np

    s = cdnow[1]
    m = fit_bgnbd(s)
    assert m.fit_warning is None and m.optimizer["converged"]
    assert set(m.std_errors) == {"r", "alpha", "a", "b"} and all(v > 0 for v in m.std_errors.values())
    # A covariate of pure noise: coefficients near 0, the likelihood barely better.
    noise = pd.DataFrame({"noise": np.random.default_rng(0).integers(0, 2, len(s)).astype(float)}, index=s.index)
    mc = fit_bgnbd(s, covariates={"purchase": noise, "dropout": noise})
    assert list(mc.params) == ["r", "alpha", "a", "b", "life.noise", "trans.noise"]
    assert 0 <= mc.loglik - m.loglik < 3
    assert abs(mc.params["trans.noise"]) < 3 * mc.std_errors["trans.noise"]
    p = mc.predict(s, 39, discount_rate=0.01, covariates=noise)
    assert list(p.columns) == ["expected_purchases", "prob_alive", "dert"]
    assert p["expected_purchases"].sum() == pytest.approx(m.expected_purchases(39, s["frequency"], s["recency"],
                                                                               s["T"]).sum(), rel=0.02)


def test_the_grouped_likelihood_without_covariates_is_the_per_customer_one():
    # _plain_objective sums the frequency-only terms once per distinct x: the same value and gradient.
    import numpy as np

    from cem.clv.bgnbd import _objective

    rng = np.random.default_rng(3)
    n = 600
    x = rng.poisson(1.5, n).astype(float)
    T = rng.uniform(10, 50, n)
    tx = np.where(x > 0, T * rng.uniform(0, 1, n), 0.0)
    w = rng.integers(1, 5, n).astype(float)
    X = rng.normal(size=(n, 1))
    plain, general = _objective(x, tx, T, w, X[:, :0], X[:, :0]), _objective(x, tx, T, w, X, X)
    for v in (np.log([0.4, 5.0, 0.9, 2.0]), np.log([2.0, 0.5, 3.0, 0.2])):
        value, grad = plain(v)
        value_c, grad_c = general(np.r_[v, 0.0, 0.0])
        assert value == pytest.approx(value_c, rel=1e-12)
        assert np.allclose(grad, grad_c[:4], rtol=1e-10, atol=1e-8)


def test_dert_is_finite_for_every_customer_and_matches_the_discounted_expectation():
    # With a < 1 the conditional expectation's 2F1 overflows at the long horizons of the quadrature
    # unless transformed (Euler): DERT was NaN or inf for some customers before.
    import numpy as np

    from cem.clv._mle import _discounted

    m = BGNBD(params={"r": 0.82, "alpha": 4.2, "a": 0.5, "b": 4.0}, loglik=0.0, n=1)
    x = np.array([0, 1, 5, 40, 120, 120], dtype=float)
    T = np.array([30, 50, 80, 100, 104, 104], dtype=float)
    tx = np.array([0, 20, 70, 99, 103, 103], dtype=float)
    d = m.dert(0.15 / 52, x, tx, T)
    assert np.all(np.isfinite(d)) and np.all(d > 0) and d[4] == d[5]
    # The same as discounting the expectation at horizons where the untransformed formula holds.
    short = _discounted(lambda h: m.expected_purchases(np.minimum(h, 2000.0), x, tx, T), 0.5)
    assert np.allclose(m.dert(0.5, x, tx, T), short, rtol=1e-6)
    # E(t) through Euler's transformation is FHL's eq. 10 where both are finite.
    from scipy import special

    r, alpha, a, b, t = 0.82, 4.2, 0.5, 4.0, 39.0
    z = t / (alpha + T + t)
    eq10 = (a + b + x - 1) / (a - 1) * (1 - (1 - z) ** (r + x) * special.hyp2f1(r + x, b + x, a + b + x - 1, z))
    assert np.allclose(m.expected_purchases(t, x, tx, T), eq10 * m.prob_alive(x, tx, T), rtol=1e-10)
