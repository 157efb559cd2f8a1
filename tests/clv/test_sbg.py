"""sBG: the published estimates of Fader & Hardie (2007), hand-checked curves and lifetimes."""
import numpy as np
import pytest
from scipy import special

from cem.clv import SBG, fit_sbg
from cem.errors import InputError

# Fader & Hardie (2007), "How to project customer retention", J. Interactive Marketing 21(1),
# Table 1: survivors of two cohorts of 1,000 customers, years 0-12. Years 0-7 checked against
# pymc-marketing's data/sbg_paper.csv (churn year per customer, censored at 8); years 8-12 are
# the paper's holdout, not checked there.
REGULAR = [1000, 631, 468, 382, 326, 289, 262, 241, 223, 207, 194, 183, 173]
HIGH_END = [1000, 869, 743, 653, 593, 551, 517, 491, 468, 445, 427, 409, 394]


@pytest.mark.parametrize("cohort, published", [
    (REGULAR, {"alpha": 0.704, "beta": 1.182}),
    (HIGH_END, {"alpha": 0.668, "beta": 3.806}),
])
def test_sbg_reproduces_fader_hardie_2007(cohort, published):
    # The paper fits years 1-7 (survivors at years 0..7, i.e. the first 8 numbers) and
    # projects years 8-12; fitting 8 or 12 years gives other estimates.
    m = fit_sbg(cohort[:8])
    assert {k: round(v, 3) for k, v in m.params.items()} == published
    assert m.converged and m.fit_warning is None and m.n == 1000
    assert all(0 < se < 0.25 * m.params[k] for k, se in m.std_errors.items())
    assert fit_sbg(cohort[:9]).params != m.params
    # The projection stays close to the holdout years (the paper's point).
    projected = m.survival(np.arange(8, 13)) * 1000
    assert np.max(np.abs(projected - np.array(cohort[8:])) / np.array(cohort[8:])) < 0.1


def test_shares_give_the_same_estimates():
    m = fit_sbg(np.array(REGULAR[:8]) / 1000)
    assert {k: round(v, 3) for k, v in m.params.items()} == {"alpha": 0.704, "beta": 1.182}


def test_sbg_hand_checked_small_case():
    a, b = 0.8, 2.5
    m = SBG(params={"alpha": a, "beta": b}, loglik=0.0, n=1)
    # Survival after 2 periods: B(a, b+2) / B(a, b) = b (b+1) / ((a+b) (a+b+1)).
    assert m.survival(2) == pytest.approx(b * (b + 1) / ((a + b) * (a + b + 1)))
    assert m.survival(2) == pytest.approx(np.exp(special.betaln(a, b + 2) - special.betaln(a, b)))
    # Churn in period 1 is E[theta] = a / (a+b); retention is the ratio of survivals.
    assert m.churn_probability(1) == pytest.approx(a / (a + b))
    assert m.retention(3) == pytest.approx(m.survival(3) / m.survival(2))
    # P(T = t) sums with the survivors to one.
    assert m.churn_probability(np.arange(1, 6)).sum() + m.survival(5) == pytest.approx(1.0)
    # The likelihood of a 2-period cohort of 10: 3 leave in period 1, 2 in period 2, 5 stay.
    from cem.clv.sbg import _sbg_ll

    want = (3 * np.log(a / (a + b)) + 2 * np.log(a * b / ((a + b) * (a + b + 1)))
            + 5 * np.log(b * (b + 1) / ((a + b) * (a + b + 1))))
    assert _sbg_ll((a, b), np.array([3.0, 2.0]), 5.0) == pytest.approx(want)


def test_del_and_derl_are_the_discounted_sums():
    # Fader & Hardie (2010): DEL = sum_(t>=0) S(t) / (1+d)^t; DERL after n-1 renewals =
    # sum_(t>=n) S(t) / S(n-1) / (1+d)^(t-n), by brute force over 3,000 periods.
    m = SBG(params={"alpha": 0.704, "beta": 1.182}, loglik=0.0, n=1000)
    d = 0.1
    t = np.arange(0, 3000)
    assert m.expected_discounted_lifetime(d) == pytest.approx(np.sum(m.survival(t) / (1 + d) ** t), rel=1e-9)
    for n in (1, 2, 5):
        tt = np.arange(n, 3000)
        series = np.sum(m.survival(tt) / m.survival(n - 1) / (1 + d) ** (tt - n))
        assert m.derl(d, renewals=n - 1) == pytest.approx(series, rel=1e-9)
    # Customers who have renewed more are worth more (the heterogeneity sorts them).
    assert m.derl(d, 0) < m.derl(d, 4)


def test_sbg_refuses_impossible_cohorts():
    with pytest.raises(InputError):
        fit_sbg([1000, 800])
    with pytest.raises(InputError):
        fit_sbg([1000, 800, 900])


def test_sbg_flags_a_boundary():
    # Nobody leaves: theta runs to 0 (beta to infinity), a boundary of the model.
    m = fit_sbg([1000, 1000, 1000, 1000])
    assert m.fit_warning is not None and "ran to the edge of the search" in m.fit_warning
