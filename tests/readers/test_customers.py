"""Customer lists (cem.readers.customers): one row per customer, ids compared in Unicode form C."""
import pytest

from cem import InputError
from cem.readers import read_customers


def write(tmp_path, text, name="survey.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_customer_ids_compare_in_nfc(tmp_path):
    p = write(tmp_path, "customer_id,segment\nRen\u00e9,a\nRene\u0301,b\n", "customers.csv")
    with pytest.raises(InputError, match="customer_id repeated"):
        read_customers(p)
