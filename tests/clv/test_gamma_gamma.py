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
