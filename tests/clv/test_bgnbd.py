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
