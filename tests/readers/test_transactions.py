"""Reading transactions.csv and the CDNOW files: problems located, dates in UTC, refunds counted
as the models net them, too few customers warned about."""
import numpy as np
import pandas as pd
import pytest

from cem import InputError
from cem.clv import fit_bgnbd, fit_gamma_gamma, lifetime_value, rfm
from cem.readers.transactions import _daily_summary, read_cdnow, read_transactions
from cem.synth import transactions
from conftest import ROOT


def write_tx(tmp_path, body):
    p = tmp_path / "transactions.csv"
    p.write_text("customer_id,date,amount\n" + body, encoding="utf-8")
    return p


def test_read_transactions_problems(tmp_path):
    p = tmp_path / "transactions.csv"
    p.write_text("customer_id,date,amount\nc1,2024-01-01,10\nc2,yesterday,5\n,2024-01-03,x\n")
    with pytest.raises(InputError) as info:
        read_transactions(p)
    lines = [str(x) for x in info.value.problems]
    assert lines == [f"{p}:4: customer_id is blank",
                     f"{p}:3: date cannot be read as a date ('yesterday'); write dates as YYYY-MM-DD",
                     f"{p}:4: amount must be a number ('x')"]


def test_zoned_and_mixed_dates_are_read_in_utc(tmp_path):
    # c1 buys 2024-01-01T01:00+02:00 = 2023-12-31 23:00 UTC (day 0), then 2024-01-07 (Z, day 7),
    # then 2024-01-15 10:00 naive (taken as UTC, day 15); c2 once, 2024-01-10 23:30-01:00 = 01-11 UTC.
    p = write_tx(tmp_path, "c1,2024-01-01T01:00:00+02:00,10\nc1,2024-01-07T12:00:00Z,20\n"
                           "c1,2024-01-15 10:00,30\nc2,2024-01-10T23:30:00-01:00,5\n")
    tx, warnings = read_transactions(p)
    assert [str(d) for d in tx["date"]] == ["2023-12-31 23:00:00", "2024-01-07 12:00:00", "2024-01-15 10:00:00",
                                            "2024-01-11 00:30:00"]
    assert any("taken as UTC" in w.message for w in warnings)
    s = rfm(tx, end="2024-01-21")
    # By hand, in days: c1 first 2023-12-31, last 2024-01-15: recency 15, T 21; c2: recency 0, T 10.
    assert s.loc["c1", ["frequency", "recency", "T"]].tolist() == [2, 15.0, 21.0]
    assert s.loc["c2", ["frequency", "recency", "T"]].tolist() == [0, 0.0, 10.0]
    assert s.loc["c1", "monetary_value"] == 25.0


def test_all_zoned_dates_read_without_a_mixing_warning(tmp_path):
    tx, warnings = read_transactions(write_tx(tmp_path, "c1,2024-01-01T10:00:00+02:00,10\n"
                                                        "c1,2024-01-02T10:00:00+02:00,5\n"))
    assert [str(d) for d in tx["date"]] == ["2024-01-01 08:00:00", "2024-01-02 08:00:00"]
    assert not any("taken as UTC" in w.message for w in warnings)


@pytest.mark.parametrize("year", ["0001", "1677", "1899"])
def test_implausible_years_are_located_errors(tmp_path, year):
    with pytest.raises(InputError) as err:
        read_transactions(write_tx(tmp_path, f"c1,2024-01-01,10\nc1,{year}-06-01,5\n"))
    (problem,) = err.value.problems
    assert problem.location == "3" and "not a plausible purchase date" in problem.message


def test_validate_and_the_models_agree_on_refunds(tmp_path):
    rows = [f"c{i},2024-01-0{1 + i % 5},{10 + i}\nc{i},2024-02-0{1 + i % 5},{20 + i}\n" for i in range(30)]
    p = write_tx(tmp_path, "".join(rows) + "c1,2024-02-02,-5\nc2,2024-02-10,-100\nc99,2024-02-10,-3\n")
    tx, warnings = read_transactions(p)
    assert tx.attrs == {}  # the table is the table; what was read is returned, not hidden in it
    said = [w.message for w in warnings if "refund" in w.message]
    assert said == ["3 refund(s) (amounts below zero, e.g. line 62) are netted against the same customer's purchase "
                    "of that day, else their previous one; 1 with no earlier purchase are left out; 1 purchase(s) "
                    "netting to zero or less are returns, not purchases; 1 customer(s) are left with no purchase"]
    s, refunds = rfm(tx, unit="W", return_refunds=True)
    assert refunds == {"refunds": 3, "netted_earlier": 1, "unmatched": 1, "returns": 1,
                       "customers_without_purchase": 1}
    assert s.loc["c2", "frequency"] == 0
    assert s.loc["c1", "monetary_value"] == 16.0  # 21 - 5 refunded the same day
    spend = fit_gamma_gamma(s)  # the notebook's fits run on what validate accepted
    assert np.isfinite(list(spend.params.values())).all()
    # Thirty customers who each bought twice, a month apart: BG/NBD cannot tell them apart and its
    # parameters run off; the fit says so (and a flagged fit is never used for money), else it values.
    purchases = fit_bgnbd(s)
    assert purchases.fit_warning or np.isfinite(lifetime_value(purchases, spend, s, horizon=52)).all()


def test_the_warnings_count_what_rfm_fits_on():
    tx = transactions(600, bgnbd=(0.25, 4.0, 0.8, 2.5), gamma_gamma=(6.0, 4.0, 15.0), weeks=52, seed=3)
    tx.loc[tx.index[::11], "amount"] *= -1  # refunds of every kind: same day, later, before any purchase
    summary, said = _daily_summary(tx)
    s, refunds = rfm(tx, unit="W", return_refunds=True)
    assert said == refunds and said["refunds"] > 0 and said["unmatched"] > 0
    assert summary["frequency"].tolist() == s["frequency"].tolist()
    np.testing.assert_array_equal(summary["monetary_value"].to_numpy(), s["monetary_value"].to_numpy())


def test_too_few_customers_is_a_warning_naming_the_file(tmp_path):
    p = write_tx(tmp_path, "".join(f"c{i:02d},2024-01-{1 + i:02d},{10 + i}\n" for i in range(25)))
    _, warnings = read_transactions(p)
    (warning,) = warnings
    assert warning.file == str(p) and warning.severity == "warning"
    assert warning.message.startswith("25 customers with purchases (0 with repeat purchases): too few to fit")


def test_read_cdnow_sample():
    tx = read_cdnow(ROOT / "data" / "external" / "cdnow" / "CDNOW_sample.txt")
    assert tx.columns.tolist() == ["customer_id", "date", "cds", "amount"] and len(tx) == 6919
    assert tx["date"].min() == pd.Timestamp("1997-01-01") and tx["customer_id"].iloc[0] == "00004"  # ids kept as text, zeros and all


@pytest.mark.parametrize("ids", [["C0042", "C0007", "C0042"], ["C7", "C07"], ["C7", "C10", "C7"], ["7", "10", "7"],
                                 ["a1", "b1"], ["C1", "C1x"], ["C", "C1"], ["C\u0661", "C1"], ["Ren\u00e91", "Ren\u00e92"],
                                 ["C0", "C10", "C0"], ["X-12-0042", "X-12-0007"], ["C" + "9" * 19, "C1"]])
def test_customer_codes_are_those_of_factorize(ids):
    # Ids of one prefix and a number are coded by their numbers only when that is one to one
    # ("C7" and "C07" are two customers); whatever the path, codes and ids are pandas.factorize's.
    from cem.readers.transactions import customer_codes

    ids = pd.Series(ids, dtype="str")
    codes, uniques = customer_codes(ids)
    expected_codes, expected = pd.factorize(ids)
    assert codes.tolist() == expected_codes.tolist() and list(uniques) == list(expected)
    assert str(uniques.dtype) == "str"
