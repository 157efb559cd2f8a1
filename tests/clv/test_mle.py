"""The shared fitting machinery: refusing too few customers, naming the file it was asked to."""
import numpy as np
import pandas as pd
import pytest

from cem import InputError
from cem.clv import (MIN_FIT_CUSTOMERS, MIN_REPEAT_CUSTOMERS, calibration_holdout, fit_bgnbd, fit_gamma_gamma,
                     fit_pareto_nbd, rfm, too_few_to_fit)
from cem.clv._mle import _compress


def test_a_single_customer_with_a_million_transactions_is_refused_plainly():
    n = 1_000_000
    days = np.sort(np.random.default_rng(0).integers(0, 1500, n))
    tx = pd.DataFrame({"customer_id": "c1", "date": pd.Timestamp("2020-01-01") + pd.to_timedelta(days, unit="D"),
                       "amount": 10.0})
    s = rfm(tx, unit="W")
    assert s.loc["c1", "n_transactions"] == n
    for fit in (fit_bgnbd, fit_pareto_nbd, fit_gamma_gamma):
        with pytest.raises(InputError, match="1 customer with purchases .* too few to fit"):
            fit(s)
    cal = calibration_holdout(tx, "2022-01-01", unit="W")
    with pytest.raises(InputError, match="too few to fit"):
        fit_bgnbd(cal)


def test_a_refusal_names_the_source_it_is_given():
    s = pd.DataFrame({"frequency": [1, 0], "recency": [3.0, 0.0], "T": [5.0, 5.0], "monetary_value": [4.0, 0.0]})
    for fit in (fit_bgnbd, fit_pareto_nbd, fit_gamma_gamma):
        with pytest.raises(InputError) as err:
            fit(s, source="shop/transactions.csv")
        (problem,) = err.value.problems
        assert problem.file == "shop/transactions.csv" and problem.message == too_few_to_fit(s)
        with pytest.raises(InputError) as err:
            fit(s)
        assert err.value.problems[0].file == "transactions"


def test_the_thresholds_are_the_boundary():
    enough = pd.DataFrame({"frequency": [1] * MIN_REPEAT_CUSTOMERS + [0] * (MIN_FIT_CUSTOMERS - MIN_REPEAT_CUSTOMERS)})
    assert too_few_to_fit(enough, spend=False) is None
    assert too_few_to_fit(enough.iloc[1:], spend=False) is not None
    fewer_repeats = enough.assign(frequency=[1] * (MIN_REPEAT_CUSTOMERS - 1) + [0] * (len(enough) - 4))
    assert "4 with repeat purchases" in too_few_to_fit(fewer_repeats, spend=False)


def test_identical_customers_are_computed_once_with_their_count():
    (x, t), w = _compress([0, 2, 0, 2, 1], [0.0, 5.0, 0.0, 5.0, 3.0])
    assert sorted(zip(x, t, w)) == [(0.0, 0.0, 2.0), (1.0, 3.0, 1.0), (2.0, 5.0, 2.0)]
