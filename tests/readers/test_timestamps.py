"""Timestamps parsed once per column (cem.readers.timestamps): the same instants as pandas' row-by-row
``format="mixed"`` on every ISO form, typos set aside, zones told apart, one format per column."""
import numpy as np
import pandas as pd
import pytest

from cem.readers.timestamps import parse_timestamps

#: Forms people write, with pandas' row-by-row reading as the known answer.
FORMS = ["2024-03-01", "2024-03-01T14:05:00", "2024-03-01 14:05", "2024-03-01T14:05:00Z",
         "2024-03-01T14:05:00+01:00", "2024-03-01T14:05:00+0100", "2024-03-01T14:05:00+01",
         "2024-03-01T14:05:00.123456", "2024-03-01T14:05:00.5+02:00", "2024-03-01 14", "20240301", "2024-3-1",
         "0001-01-01", "1600-01-01", "9999-12-31", "2024-02-30", "2024-03-01T24:00:00", "01/03/2024",
         "2024-03-01T14:05:00 +01:00", "2024-03-01t14:05:00z", "2024-W09", "", "  2024-03-01  ", "yesterday",
         "1 March 2024", "2024-03-01T14:05:00-05:30", "03/01/2024 14:05", "3/1/2024", "2024/03/01"]


def mixed(values):
    return pd.to_datetime(pd.Series(values, dtype="str").str.strip(), errors="coerce", utc=True, format="mixed")


@pytest.mark.parametrize("value", FORMS)
def test_each_form_reads_as_pandas_reads_it_row_by_row(value):
    got, _ = parse_timestamps(pd.Series([value] * 3, dtype="str"))
    expected = mixed([value] * 3)
    assert got.isna().tolist() == expected.isna().tolist()
    assert (got[got.notna()] == expected[expected.notna()]).all()


@pytest.mark.parametrize("values", [FORMS, [v for v in FORMS if v.startswith("2024-")],
                                    ["2024-03-01T14:05:00Z"] * 3 + ["2024-03-01"],
                                    ["2024-03-01"] * 3 + ["2024-03-01T14:05:00+01:00"]])
def test_a_column_of_forms_reads_as_pandas_reads_it_row_by_row(values):
    got, zoned = parse_timestamps(pd.Series(values, dtype="str"))
    expected = mixed(values)
    assert got.dtype == "datetime64[us, UTC]"
    assert got.isna().tolist() == expected.isna().tolist()
    assert (got[got.notna()] == expected[expected.notna()]).all()
    readable = got.notna().to_numpy()
    # A zone is a Z or an offset after a time.
    assert zoned[readable].tolist() == [v.strip().endswith(("Z", "+01:00", "+0100", "+01", "+02:00", "-05:30"))
                                        for v, ok in zip(values, readable) if ok]


def test_typos_in_an_iso_column_are_nat_and_the_rest_read():
    n = 10_000
    stamps = pd.Timestamp("2024-01-01") + pd.to_timedelta(np.arange(n) * 37, unit="min")
    text = pd.Series(stamps.strftime("%Y-%m-%dT%H:%M:%S"), dtype="str")
    text.iloc[::1000] = "2024-13-45"
    text.iloc[5::1000] = "2024-03-01T10:00:00+01:00"  # a zoned value among zoneless ones
    got, zoned = parse_timestamps(text)
    assert got.isna().sum() == 10 and got.isna().to_numpy()[::1000].all()
    assert zoned.sum() == 10 and zoned[5::1000].all()
    assert (got.iloc[5::1000] == pd.Timestamp("2024-03-01T09:00:00", tz="UTC")).all()
    ok = ~text.isin(["2024-13-45", "2024-03-01T10:00:00+01:00"]).to_numpy()
    assert (got[ok].dt.tz_localize(None).to_numpy() == stamps.to_numpy()[ok]).all()


def test_a_day_first_column_is_read_with_one_format():
    # "13/03/2024" tells the format (day first); "01/03/2024" is then the 1st of March, as the
    # column means it, where a row-by-row reading takes it for the 3rd of January.
    got, _ = parse_timestamps(pd.Series(["13/03/2024 10:00", "01/03/2024 09:30", "30/02/2024 10:00", "1/3/2024 8:00"]))
    assert [str(t) for t in got] == ["2024-03-13 10:00:00+00:00", "2024-03-01 09:30:00+00:00", "NaT",
                                     "2024-03-01 08:00:00+00:00"]  # no 30th of February; unpadded read too


def test_blank_and_spaces_are_nat_and_object_columns_are_read():
    got, zoned = parse_timestamps(pd.Series([" 2024-03-01 ", "", "   ", None], dtype=object))
    assert [str(t) for t in got] == ["2024-03-01 00:00:00+00:00", "NaT", "NaT", "NaT"] and not zoned.any()
