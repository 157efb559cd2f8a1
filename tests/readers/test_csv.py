"""CSV files read (cem.readers.csv): repeated headers refused, blank spreadsheet headers kept, text in
Unicode form C, memory errors said plainly."""
import pytest

from cem import InputError
from cem.readers import read_csv


def test_repeated_csv_headers_are_refused_naming_their_positions(tmp_path):
    f = tmp_path / "survey.csv"
    f.write_text("respondent_id,importance,need_id, importance,x,x\nr1,4,N1,5,a,b\n")
    with pytest.raises(InputError) as info:
        read_csv(f)
    lines = [str(p) for p in info.value.problems]
    assert lines == [f"{f}:1: column 'importance' appears 2 times (columns 2, 4); give each column its own name, "
                     "or drop the copies", f"{f}:1: column 'x' appears 2 times (columns 5, 6); give each column its "
                     "own name, or drop the copies"]


def test_blank_headers_of_a_spreadsheet_export_are_no_repeat(tmp_path):
    f = tmp_path / "survey.csv"
    f.write_text("respondent_id,need_id,,\nr1,N1,,\n")
    table, _ = read_csv(f)
    assert list(table.columns[:2]) == ["respondent_id", "need_id"] and len(table.columns) == 4


def test_csv_text_and_headers_are_nfc(tmp_path):
    f = tmp_path / "survey.csv"
    f.write_text("respondent_id,re\u0301gion\nRen\u00e9,a\nRene\u0301,b\nplain,c\n", encoding="utf-8")
    table, _ = read_csv(f)
    assert list(table.columns) == ["respondent_id", "r\u00e9gion"]
    assert table["respondent_id"].tolist() == ["Ren\u00e9", "Ren\u00e9", "plain"]
    assert table["respondent_id"].nunique() == 2


@pytest.mark.parametrize("cells", ["c1,2024-01-01,S1", "c1, 2024-01-01, S1"])  # pyarrow's reader; pandas'
def test_memory_error_is_reported_as_too_large_not_malformed(tmp_path, monkeypatch, cells):
    import pandas as pd
    import pyarrow as pa
    import pyarrow.csv as pacsv

    def no_memory(*args, **kwargs):
        raise MemoryError

    def no_arrow_memory(*args, **kwargs):
        raise pa.ArrowMemoryError("malloc of size 1 failed")

    f = tmp_path / "events.csv"
    f.write_text(f"customer_id,timestamp,step\n{cells}\n")
    monkeypatch.setattr(pd, "read_csv", no_memory)
    monkeypatch.setattr(pacsv, "read_csv", no_arrow_memory)
    with pytest.raises(InputError) as info:
        read_csv(f)
    (line,) = [str(p) for p in info.value.problems]
    assert "is too large to read into memory (0 MiB)" in line and "well-formed" not in line


@pytest.mark.parametrize("raw", [
    b"\xef\xbb\xbfcustomer_id,step\r\nc1,S1\r\nc2,S2\r\n",                   # byte-order mark, CRLF
    b"customer_id,note\nc1,\"two\nlines, and a comma\"\n\nc2,\"said \"\"hi\"\"\"\n",  # quotes, blank line
    b"customer_id,step,,\nc1,S1,,\n",                                       # blank headers of a spreadsheet
    b"customer_id;step\nc1;S1\n",                                           # semicolons (a warning)
    b"customer_id\tstep\nc1\tS1\n",                                         # tabs (a warning)
    "customer_id,r\u00e9gion\nRene\u0301,a\n".encode(),                     # accents, NFC
    b"customer_id,step\nc1,S1",                                             # no final newline
    b"customer_id,step\n",                                                  # a header only
])
def test_pyarrows_reader_reads_what_pandas_reader_reads(raw, tmp_path):
    from cem.readers.csv import _read_with_arrow, _read_with_pandas

    fast = _read_with_arrow(raw, "f.csv")
    assert fast is not None, "pyarrow's parser should take this file"
    slow = _read_with_pandas(raw, "f.csv", "table")
    assert list(fast[1]) == [str(n).strip() for n in slow[1]]
    assert [str(w) for w in fast[2]] == [str(w) for w in slow[2]]
    assert fast[0].equals(slow[0]) and list(fast[0].columns) == list(slow[0].columns)
    f = tmp_path / "f.csv"
    f.write_bytes(raw)
    table, _ = read_csv(f)
    assert all(str(t) == "str" for t in table.dtypes)


@pytest.mark.parametrize("raw", [
    b"customer_id, step\nc1, S1\n",                     # cells after spaces: pandas skips the spaces
    b'customer_id,step\nc1, "S1, S2"\n',                # a quoted cell after a space
    b'"customer id",step\nc1,S1\n',                     # a quoted header
    "customer_id,r\u00e9gion\nRen\u00e9,a\n".encode("latin-1"),  # not UTF-8
    b"customer_id,step\nc1\n",                          # a short row (pandas fills it)
    b"customer_id,step\nc1,S1,extra\n",                 # a long row (pandas says which line)
])
def test_what_pyarrow_would_read_differently_is_left_to_pandas(raw):
    from cem.readers.csv import _read_with_arrow

    assert _read_with_arrow(raw, "f.csv") is None


def test_a_long_row_is_reported_with_its_line_as_before(tmp_path):
    f = tmp_path / "events.csv"
    f.write_text("customer_id,step\nc1,S1\nc2,S2,extra\n")
    with pytest.raises(InputError) as info:
        read_csv(f)
    (line,) = [str(p) for p in info.value.problems]
    assert line.startswith(f"{f}:3: is not a well-formed CSV file") and "Expected 2 fields in line 3, saw 3" in line
