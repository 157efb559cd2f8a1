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
