"""MBG/NBD: the published log-likelihoods on the grocery and CDNOW data, hand-checked cases."""
import numpy as np
import pandas as pd
import pytest
from scipy import special

from cem.clv import MBGNBD, fit_mbgnbd, rfm
from conftest import ROOT

GROCERY = ROOT / "tests" / "data" / "grocery" / "groceryElog.csv"


@pytest.fixture(scope="module")
def grocery():
    """BTYDplus's set-up: calibration to 2006-12-31, time in weeks, same-day purchases merged."""
    tx = pd.read_csv(GROCERY, parse_dates=["date"])
    return rfm(tx, customer="cust", date="date", amount=None, end="2006-12-31", unit="W")


def test_mbgnbd_reproduces_the_published_grocery_fit(grocery):
    # Platzer & Reutterer's replication script for the (M)BG/CNBD-k paper prints the MBG/NBD
    # (mbgcnbd.EstimateParameters(cbs, k=1)) log-likelihood on this data as -15781.939.
    # The BTYDplus vignette's printed parameter table could not be retrieved here; the
    # parameters below are ours (at the published optimum) and guard against regressions.
    assert len(grocery) == 1525
    m = fit_mbgnbd(grocery)
    assert round(m.loglik, 3) == -15781.939
    assert {k: round(v, 3) for k, v in m.params.items()} == {"r": 1.257, "alpha": 6.039, "a": 0.368, "b": 0.716}
    assert m.converged and m.fit_warning is None
    assert all(0 < se < 0.2 * m.params[k] for k, se in m.std_errors.items())


def test_mbgnbd_reproduces_the_published_cdnow_fit(cdnow):
    # Same script: MBG/NBD on the CDNOW sample (39 weeks) LL = -9582.136.
    m = fit_mbgnbd(cdnow[1])
    assert round(m.loglik, 3) == -9582.136 and m.fit_warning is None


def test_mbgnbd_hand_checked_likelihood():
    # x = 0: gone at the first purchase (a / (a+b)) or alive and silent for T:
    # L = a/(a+b) + b/(a+b) (alpha/(alpha+T))^r.
    from cem.clv.mbgnbd import _mbgnbd_ll

    r, alpha, a, b, T = 0.8, 4.0, 1.5, 3.0, 10.0
    want = a / (a + b) + b / (a + b) * (alpha / (alpha + T)) ** r
    assert np.exp(_mbgnbd_ll((r, alpha, a, b), np.array([0.0]), np.array([0.0]), np.array([T])))[0] == pytest.approx(want)
    # x = 1 at t_x, by integrating over lambda by hand (numerically) at p fixed, then over p ~ Beta(a, b):
    # per (lambda, p): (1-p) lambda e^(-lambda t_x) [p + (1-p) e^(-lambda (T - t_x))]
    from scipy import integrate, stats

    tx = 4.0
    def inner(lam, p):
        return ((1 - p) * lam * np.exp(-lam * tx) * (p + (1 - p) * np.exp(-lam * (T - tx)))
                * stats.gamma.pdf(lam, r, scale=1 / alpha) * stats.beta.pdf(p, a, b))
    num, _ = integrate.dblquad(inner, 0, 1, 0, np.inf, epsabs=1e-12)
    got = np.exp(_mbgnbd_ll((r, alpha, a, b), np.array([1.0]), np.array([tx]), np.array([T])))[0]
    assert got == pytest.approx(num, rel=1e-6)


def test_mbgnbd_predictions_are_consistent():
    m = MBGNBD(params={"r": 1.257, "alpha": 6.039, "a": 0.368, "b": 0.716}, loglik=0.0, n=1525)
    r, alpha, a, b = 1.257, 6.039, 0.368, 0.716
    # Just born: alive unless gone at the first purchase.
    assert m.prob_alive(0, 0, 0) == pytest.approx(b / (a + b))
    # A new customer's expectation equals the conditional one at x = t_x = T = 0, and the
    # derivative of E[X(t)] at t = 0 is the purchase rate of those alive: b/(a+b) * r/alpha.
    assert m.expected_purchases(26, 0, 0, 0) == pytest.approx(m.expected_purchases(26), rel=1e-9)
    h = 1e-6
    assert (m.expected_purchases(h) / h) == pytest.approx(b / (a + b) * r / alpha, rel=1e-4)
    assert m.prob_alive(5, 10, 52) < m.prob_alive(5, 50, 52)
    # P(alive) of the formula against its definition from the likelihood's two branches.
    x, tx, T = 3.0, 20.0, 52.0
    alive = special.betaln(a, b + x + 1) - special.betaln(a, b) - (r + x) * np.log(alpha + T)
    dead = np.log(a / (b + x)) + special.betaln(a, b + x + 1) - special.betaln(a, b) - (r + x) * np.log(alpha + tx)
    assert m.prob_alive(x, tx, T) == pytest.approx(1 / (1 + np.exp(dead - alive)))
