"""RFM summaries: the CDNOW sample, by hand, refunds netted, the calibration/holdout split."""
import numpy as np
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


def _lifetimes_summary(tx, end):
    """lifetimes' summary_data_from_transaction_data (freq="D"), written out with pandas groupby:
    one occasion per customer and day (amounts summed), frequency = occasions - 1, recency and T
    in days from the first occasion, monetary value = mean of the repeat occasions; the end's
    whole day is observed."""
    tx = tx.assign(day=tx["date"].dt.floor("D"))
    tx = tx[tx["day"] <= pd.Timestamp(end).floor("D")]  # periods compared, as lifetimes does
    occ = tx.groupby(["customer_id", "day"], as_index=False)["amount"].sum().sort_values(["customer_id", "day"])
    g = occ.groupby("customer_id")
    first, last = g["day"].min(), g["day"].max()
    first_amount = g["amount"].first()
    n = g.size()
    out = pd.DataFrame({"frequency": n - 1, "recency": (last - first).dt.days.astype(float),
                        "T": (pd.Timestamp(end).floor("D") - first).dt.days.astype(float)})
    out["monetary_value"] = ((g["amount"].sum() - first_amount) / out["frequency"].where(out["frequency"] > 0)).fillna(0.0)
    return out


@pytest.mark.parametrize("text_ids", [False, True])
def test_random_order_gives_the_summary_of_lifetimes_definition(text_ids):
    rng = np.random.default_rng(5)
    n = 20_000
    ids = rng.integers(0, 2_000, n) * 7 + 1000
    tx = pd.DataFrame({"customer_id": np.char.add("id-", ids.astype(str)) if text_ids else ids,
                       "date": pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.integers(0, 400 * 24, n), unit="h"),
                       "amount": rng.integers(0, 10_000, n) / 100})
    if text_ids:
        tx["customer_id"] = tx["customer_id"].astype("str")
    end = pd.Timestamp("2024-01-20 12:00")
    expected = _lifetimes_summary(tx, end)
    for order in (np.arange(n), rng.permutation(n), np.argsort(tx["date"].to_numpy(), kind="stable")):
        s = rfm(tx.iloc[order].reset_index(drop=True), end=end)[["frequency", "recency", "T", "monetary_value"]]
        assert set(s.index) == set(expected.index)
        s = s.loc[expected.index]
        assert (s["frequency"].to_numpy() == expected["frequency"].to_numpy()).all()
        for col in ("recency", "T", "monetary_value"):
            np.testing.assert_allclose(s[col].to_numpy(), expected[col].to_numpy(), rtol=1e-12, atol=1e-9)


def test_refunds_in_random_order_give_the_summary_in_date_order():
    rng = np.random.default_rng(8)
    n = 5_000
    tx = pd.DataFrame({"customer_id": rng.integers(0, 300, n),
                       "date": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 200, n), unit="D"),
                       "amount": np.round(rng.normal(20, 30, n), 2)})
    tx = tx.sort_values(["customer_id", "date"], kind="stable").reset_index(drop=True)
    # Same-day transactions net whatever their order; shuffling across days only.
    expected, said = rfm(tx, return_refunds=True)
    assert said["refunds"] > 0 and said["netted_earlier"] > 0
    shuffled, said_shuffled = rfm(tx.sample(frac=1, random_state=3).reset_index(drop=True), return_refunds=True)
    assert said_shuffled == said
    pd.testing.assert_frame_equal(shuffled.loc[expected.index], expected, check_exact=False, rtol=1e-12)
