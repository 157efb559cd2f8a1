"""BG/BB: the published estimates of Fader, Hardie & Shang (2010), hand-checked cases."""
import numpy as np
import pandas as pd
import pytest
from scipy import integrate, special, stats

from cem.clv import BGBB, fit_bgbb
from cem.errors import InputError
from conftest import ROOT

DONATIONS = ROOT / "tests" / "data" / "donations" / "donations.csv"
PUBLISHED = {"alpha": 1.204, "beta": 0.750, "gamma": 0.657, "delta": 2.783}


@pytest.fixture(scope="module")
def donations():
    return pd.read_csv(DONATIONS)


def test_bgbb_reproduces_fader_hardie_shang_2010(donations):
    # Fader, Hardie & Shang (2010), Marketing Science 29(6): the 1995 cohort of 11,104 donors,
    # 6 repeat opportunities: alpha = 1.204, beta = 0.750, gamma = 0.657, delta = 2.783, LL = -33,225.6.
    m = fit_bgbb(donations, n_periods="periods", weights="weights")
    assert m.n == 11104
    assert {k: round(v, 3) for k, v in m.params.items()} == PUBLISHED
    assert round(m.loglik, 1) == -33225.6
    assert m.converged and m.fit_warning is None
    assert all(0 < se < 0.25 * m.params[k] for k, se in m.std_errors.items())
    # One row per donor gives the same fit as the weighted table.
    long = donations.loc[donations.index.repeat(donations["weights"])].drop(columns="weights")
    assert fit_bgbb(long, n_periods="periods").loglik == pytest.approx(m.loglik, abs=1e-6)


def test_bgbb_hand_checked_likelihood():
    from cem.clv.bgbb import _bgbb_ll

    a, b, g, d = 1.2, 0.8, 0.7, 2.5
    ea, ed = a / (a + b), d / (g + d)
    # One opportunity, no transaction: alive and did not buy, or gone before it.
    got = np.exp(_bgbb_ll((a, b, g, d), np.array([0.0]), np.array([0.0]), np.array([1.0])))[0]
    assert got == pytest.approx((1 - ea) * ed + (1 - ed))
    # Two opportunities, bought at the first only, by integrating over p and theta:
    # p (1-theta) [ (1-p)(1-theta) + theta ].
    def f(theta, p):
        return (p * (1 - theta) * ((1 - p) * (1 - theta) + theta)
                * stats.beta.pdf(p, a, b) * stats.beta.pdf(theta, g, d))
    want, _ = integrate.dblquad(f, 0, 1, 0, 1, epsabs=1e-12)
    got = np.exp(_bgbb_ll((a, b, g, d), np.array([1.0]), np.array([1.0]), np.array([2.0])))[0]
    assert got == pytest.approx(want, rel=1e-7)


def test_bgbb_predictions_against_sums_and_integrals():
    m = BGBB(params=dict(PUBLISHED), loglik=0.0, n=11104)
    a, b, g, d = (PUBLISHED[k] for k in ("alpha", "beta", "gamma", "delta"))
    surv = lambda t: np.exp(special.betaln(g, d + t) - special.betaln(g, d))  # noqa: E731  P(alive at t)
    # A new customer: E[X(n)] = sum_(t=1..n) E[p] P(alive at t).
    assert m.expected_purchases(5) == pytest.approx(a / (a + b) * surv(np.arange(1, 6)).sum(), rel=1e-9)
    # Conditional on no history (x = t_x = n = 0) it is the same.
    assert m.expected_purchases(5, 0, 0, 0)[0] == pytest.approx(m.expected_purchases(5), rel=1e-9)
    # DERT of a new customer: sum_(t>=1) E[p] P(alive at t) / (1+d)^t.
    t = np.arange(1, 3000)
    assert m.dert(0.1, 0, 0, 0)[0] == pytest.approx(a / (a + b) * np.sum(surv(t) / 1.1 ** t), rel=1e-9)
    # A donor with x = 3, t_x = 4, n = 6: P(alive at 7) and E[X(6, 11)] by integrating over p, theta.
    x, tx, n = 3, 4, 6
    def like(theta, p):
        alive = p ** x * (1 - p) ** (n - x) * (1 - theta) ** n
        gone = sum(p ** x * (1 - p) ** (tx - x + i) * theta * (1 - theta) ** (tx + i) for i in range(n - tx))
        return alive, alive + gone
    prior = lambda theta, p: stats.beta.pdf(p, a, b) * stats.beta.pdf(theta, g, d)  # noqa: E731
    L, _ = integrate.dblquad(lambda th, p: like(th, p)[1] * prior(th, p), 0, 1, 0, 1, epsabs=1e-13)
    alive7, _ = integrate.dblquad(lambda th, p: like(th, p)[0] * (1 - th) * prior(th, p), 0, 1, 0, 1, epsabs=1e-13)
    future, _ = integrate.dblquad(
        lambda th, p: like(th, p)[0] * p * sum((1 - th) ** k for k in range(1, 6)) * prior(th, p), 0, 1, 0, 1,
        epsabs=1e-13)
    assert m.prob_alive(x, tx, n)[0] == pytest.approx(alive7 / L, rel=1e-6)
    assert m.expected_purchases(5, x, tx, n)[0] == pytest.approx(future / L, rel=1e-6)
    # Recent donors are more likely alive than lapsed ones with the same count.
    assert m.prob_alive(3, 6, 6)[0] > m.prob_alive(3, 3, 6)[0]


def test_bgbb_refuses_impossible_histories():
    with pytest.raises(InputError):
        fit_bgbb(pd.DataFrame({"frequency": [2], "recency": [1], "n_periods": [6]}))
    with pytest.raises(InputError):
        fit_bgbb(pd.DataFrame({"frequency": [1], "recency": [7], "n_periods": [6]}))
