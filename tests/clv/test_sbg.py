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


def _histories(cohort):
    """A cohort's survivors per period as one row per customer: periods paid and whether they left."""
    import pandas as pd

    s = np.asarray(cohort)
    lost = -np.diff(s)
    periods = np.r_[np.repeat(np.arange(1, len(lost) + 1), lost), np.full(s[-1], len(lost) + 1)]
    churned = np.r_[np.ones(lost.sum()), np.zeros(s[-1])]
    # A customer still there after n periods has paid n+1 times; the (n+1)-th renewal is not seen yet.
    return pd.DataFrame({"periods": periods, "churned": churned.astype(int)})


def test_customer_histories_give_the_cohort_fit_of_fader_hardie_2007():
    from cem.clv import fit_sbg_customers

    m = fit_sbg_customers(_histories(REGULAR[:8]))
    assert {k: round(v, 3) for k, v in m.params.items()} == {"alpha": 0.704, "beta": 1.182}
    assert m.loglik == pytest.approx(fit_sbg(REGULAR[:8]).loglik) and m.n == 1000 and m.fit_warning is None


def _planted(n=3000, effect=-0.9, seed=4):
    import pandas as pd

    rng = np.random.default_rng(seed)
    x = np.clip(np.rint(rng.normal(0, 1, n)), -2, 2)
    theta = rng.beta(1.0 * np.exp(effect * x), 10.0)
    life = rng.geometric(theta)
    seen = rng.integers(10, 20, n)
    h = pd.DataFrame({"periods": np.minimum(life, seen), "churned": (life < seen).astype(int)},
                     index=[f"c{i}" for i in range(n)])
    return h, pd.DataFrame({"S_good": x, "S_noise": rng.normal(0, 1, n)}, index=h.index)


def test_customer_sbg_recovers_a_planted_covariate_effect():
    from cem.clv import fit_sbg_customers

    h, x = _planted()
    m = fit_sbg_customers(h, x)
    est = m.estimates()
    assert est.loc["life.S_good", "lower_95"] < -0.9 < est.loc["life.S_good", "upper_95"]
    assert est.loc["life.S_noise", "lower_95"] < 0 < est.loc["life.S_noise", "upper_95"]
    assert est.loc["alpha", "lower_95"] < 1.0 < est.loc["alpha", "upper_95"] and m.fit_warning is None
    assert m.extra["covariates"]["dropout"] == ["S_good", "S_noise"]
    # Each customer's own alpha: a better experience, a higher survival.
    surv = m.survival([6], covariates=pd_frame([[1.0, 0.0], [-1.0, 0.0]], ["S_good", "S_noise"]))
    assert surv[0, 0] > surv[1, 0]


def pd_frame(rows, columns):
    import pandas as pd

    return pd.DataFrame(rows, columns=columns)


def test_customer_sbg_gradient_matches_finite_differences():
    from cem.clv.sbg import _customers_ll

    h, x = _planted(n=200)
    t, c, X, w = h["periods"].to_numpy(float), h["churned"].to_numpy(float), x.to_numpy(), np.ones(len(h))
    v = np.array([np.log(0.8), np.log(6.0), -0.5, 0.2])
    natural = lambda v: np.r_[np.exp(v[:2]), v[2:]]  # noqa: E731
    _, grad = _customers_ll(natural(v), t, c, X, w, gradient=True)
    eps = 1e-6
    numeric = [(_customers_ll(natural(v + e), t, c, X, w) - _customers_ll(natural(v - e), t, c, X, w)) / (2 * eps)
               for e in np.eye(4) * eps]
    assert grad == pytest.approx(numeric, rel=1e-5, abs=1e-6)


def test_derl_over_a_horizon_is_the_first_terms_of_the_closed_form():
    m = SBG(params={"alpha": 0.668, "beta": 3.806}, loglik=0.0, n=1000)
    d, n = 0.1, 3
    S = m.survival(np.arange(0, 200))
    brute = sum(S[t] / S[n - 1] / (1 + d) ** (t - n) for t in range(n, n + 7))
    assert m.derl(d, renewals=n - 1, horizon=7) == pytest.approx(brute, rel=1e-10)
    assert m.derl(d, renewals=n - 1, horizon=3000) == pytest.approx(m.derl(d, renewals=n - 1), rel=1e-9)
    # One alpha per customer: covariates at zero are the plain model.
    import pandas as pd

    mc = SBG(params={"alpha": 0.668, "beta": 3.806, "life.S": 0.5}, loglik=0.0, n=2,
             extra={"covariates": {"dropout": ["S"]}})
    values = mc.derl(d, renewals=[2, 2], horizon=7, covariates=pd.DataFrame({"S": [0.0, 1.0]}))
    assert values[0] == pytest.approx(brute) and values[1] < values[0]
