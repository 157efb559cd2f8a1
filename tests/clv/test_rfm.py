"""RFM summaries: the CDNOW sample, by hand, refunds netted, the calibration/holdout split."""
import pandas as pd
import pytest

from cem.clv import calibration_holdout, rfm


def test_cdnow_sample_summary(cdnow):
    tx, s = cdnow
    assert len(tx) == 6919 and len(s) == 2357
    assert (s["frequency"] > 0).sum() == 946  # the repeat buyers of the Gamma-Gamma note
    assert s.loc["00004", "frequency"] == 2 and s.loc["00004", "recency"] == pytest.approx(213 / 7)


def test_rfm_by_hand():
    tx = pd.DataFrame({"customer_id": ["a", "a", "a", "a", "b", "c"],
                       "date": pd.to_datetime(["2024-01-01", "2024-01-01", "2024-01-08", "2024-01-22",
                                               "2024-01-05", "2024-02-01"]),
                       "amount": [10.0, 5.0, 20.0, 40.0, 7.0, 3.0]})
    s = rfm(tx, end="2024-01-29")  # c bought after the end: not a customer yet
    assert list(s.index) == ["a", "b"]
    assert s.loc["a"].tolist()[:4] == [2, 21.0, 28.0, 30.0]  # same-day purchases are one occasion
    assert s.loc["b"].tolist()[:4] == [0, 0.0, 24.0, 0.0]
    w = rfm(tx, end="2024-01-29", unit="W")
    assert w.loc["a", "recency"] == pytest.approx(3.0) and w.loc["a", "T"] == pytest.approx(4.0)


def test_refunds_net_into_purchase_occasions_by_hand():
    tx = pd.DataFrame({"customer_id": ["a", "a", "a", "a", "b", "b", "c", "d", "d"],
                       "date": pd.to_datetime(["2024-01-01", "2024-01-01", "2024-01-08", "2024-01-10",
                                               "2024-01-02", "2024-01-02", "2024-01-03", "2024-01-04",
                                               "2024-01-09"]),
                       "amount": [30.0, -10.0, 40.0, -15.0, 8.0, -8.0, -5.0, 0.0, 12.0]})
    s, refunds = rfm(tx, end="2024-01-15", return_refunds=True)
    # a: day 1 nets to 20; day 8 buys 40, day 10 refunds 15 of it: one repeat worth 25, last on day 8.
    assert s.loc["a", ["frequency", "recency", "monetary_value"]].tolist() == [1, 7.0, 25.0]
    # b returned everything the same day, c only refunded: neither made a purchase.
    assert "b" not in s.index and "c" not in s.index
    # d: a zero-value order is a purchase (as in CDNOW), not a refund.
    assert s.loc["d", ["frequency", "monetary_value"]].tolist() == [1, 12.0]
    assert refunds == {"refunds": 4, "netted_earlier": 1, "unmatched": 1, "returns": 1,
                       "customers_without_purchase": 2}


def test_results_are_returned_not_hidden_in_attrs():
    tx = pd.DataFrame({"customer_id": ["a", "a"], "date": pd.to_datetime(["2024-01-01", "2024-01-09"]),
                       "amount": [10.0, -3.0]})
    assert rfm(tx).attrs == {} and calibration_holdout(tx, "2024-01-05").attrs == {}
    s = rfm(tx, return_refunds=False)
    assert isinstance(s, pd.DataFrame) and s.loc["a", "frequency"] == 0


def test_calibration_holdout_by_hand():
    tx = pd.DataFrame({"customer_id": ["a", "a", "a", "a", "b", "c"],
                       "date": pd.to_datetime(["2024-01-01", "2024-01-08", "2024-01-20", "2024-01-20",
                                               "2024-01-03", "2024-01-25"]),
                       "amount": [10.0, 20.0, 30.0, 6.0, 7.0, 5.0]})
    ch = calibration_holdout(tx, "2024-01-14", "2024-01-28", unit="W")
    assert list(ch.index) == ["a", "b"]  # c is born in the holdout: left out
    # a: one holdout occasion (two transactions on one day, 36 in all); b: none.
    assert ch.loc["a", ["frequency", "frequency_holdout", "monetary_holdout"]].tolist() == [1, 1, 36.0]
    assert ch.loc["b", ["frequency_holdout", "monetary_holdout"]].tolist() == [0, 0.0]
    assert ch["duration_holdout"].iloc[0] == pytest.approx(2.0)
