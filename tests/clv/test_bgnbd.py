"""BG/NBD: the published CDNOW estimates, consistent predictions, parameters recovered."""
import pandas as pd
import pytest

from cem.clv import fit_bgnbd, rfm
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
