"""Lifetime value, retention value by hand, the holdout check on CDNOW."""
import numpy as np
import pytest

from cem.clv import calibration_holdout, fit_bgnbd, fit_gamma_gamma, holdout_error, lifetime_value, retention_clv


def test_holdout_error_on_cdnow(cdnow):
    tx, _ = cdnow
    ch = calibration_holdout(tx, "1997-09-30", "1998-06-30", unit="W")
    assert ch["duration_holdout"].iloc[0] == pytest.approx(39.0)
    err = holdout_error(fit_bgnbd(ch), ch)
    assert err["actual_total"] == ch["frequency_holdout"].sum()
    assert abs(err["total_error"]) < 0.2 and err["correlation"] > 0.5
    assert list(err["by_frequency"].index) == ["0", "1", "2", "3", "4", "5", "6", "7+"]


def test_lifetime_value(cdnow):
    _, s = cdnow
    bg, gg = fit_bgnbd(s), fit_gamma_gamma(s)
    clv = lifetime_value(bg, gg, s, horizon=52, margin=0.3, discount_rate=0.1)
    assert len(clv) == len(s) and (clv >= 0).all()
    # More purchases, recently: more value; the same history discounted harder: less value.
    assert clv.loc["00004"] > clv[s["frequency"] == 0].median()
    cheaper = lifetime_value(bg, gg, s, horizon=52, margin=0.3, discount_rate=0.5)
    assert (cheaper <= clv + 1e-9).all()
    fixed = lifetime_value(bg, 10.0, s.head(1), horizon=52, margin=1.0, discount_rate=0.0)
    expected = 10.0 * bg.expected_purchases(52, *s.head(1)[["frequency", "recency", "T"]].to_numpy().T)
    assert fixed.iloc[0] == pytest.approx(expected[0], rel=1e-9)


def test_retention_clv_by_hand():
    assert retention_clv(100, 0.8, 0.1) == pytest.approx(100 * 0.8 / 0.3)
    assert retention_clv(100, 0.0, 0.1) == 0
    np.testing.assert_allclose(retention_clv(np.array([10, 20]), 0.5, 0.0), [10, 20])


def test_retention_clv_over_a_horizon_by_hand():
    # Two years, 80 % retention, 10 % discount: 100 * (0.8 / 1.1 + 0.8**2 / 1.1**2).
    assert retention_clv(100, 0.8, 0.1, horizon=2) == pytest.approx(125.6198, abs=1e-4)
    assert retention_clv(100, 0.8, 0.1, horizon=500) == pytest.approx(retention_clv(100, 0.8, 0.1))
    assert retention_clv(100, 1.0, 0.0, horizon=3) == pytest.approx(300)
