"""Pareto/NBD: the published CDNOW estimates and consistent predictions."""
import pytest

from cem.clv import fit_pareto_nbd


def test_pareto_nbd_reproduces_the_published_estimates(cdnow, rounded):
    # Fader, Hardie & Lee (2005), the Pareto/NBD benchmark on the same data: r = 0.553,
    # alpha = 10.578, s = 0.606, beta = 11.669, LL = -9595.0.
    m = fit_pareto_nbd(cdnow[1])
    assert rounded(m.params, dict(r=3, alpha=3, s=3, beta=3)) == {"r": 0.553, "alpha": 10.578, "s": 0.606,
                                                                  "beta": 11.669}
    assert round(m.loglik, 1) == -9595.0


def test_pareto_nbd_predictions_are_consistent(cdnow):
    m = fit_pareto_nbd(cdnow[1])
    assert m.prob_alive(5, 10, 39) < m.prob_alive(5, 38, 39)  # a long silence lowers the odds
    assert 0 < m.prob_alive(0, 0, 39) < 1  # unlike BG/NBD, a customer may die before buying again
    # Conditional expectation of a brand-new customer equals the unconditional one.
    assert m.expected_purchases(39, 0, 0, 0) == pytest.approx(m.expected_purchases(39), rel=1e-6)
