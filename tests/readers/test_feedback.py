"""Reading feedback.csv / .parquet: problems with file and line, nothing dropped, hostile text kept."""
import pandas as pd
import pytest

from cem import InputError
from cem.readers.feedback import LONG_TEXT, read_feedback


def write(tmp_path, body, header="source,date,text,rating,customer_id"):
    p = tmp_path / "feedback.csv"
    p.write_text(header + "\n" + body, encoding="utf-8")
    return p


def test_problems_are_named_with_file_and_line(tmp_path):
    p = write(tmp_path, "app,2024-01-01,fine,4,c1\n,2024-01-02,ok,3,c2\napp,someday,bad,x,c3\napp,2024-01-03,hm,9,c4\n")
    with pytest.raises(InputError) as info:
        read_feedback(p, scale=(1, 5))
    assert [str(x) for x in info.value.problems] == [
        f"{p}:3: source is blank; say where the feedback comes from (own site, marketplace, app store, community, "
        "survey, support, ...)",
        f"{p}:4: date cannot be read as a date ('someday'); write dates as YYYY-MM-DD",
        f"{p}:4: rating must be a number ('x'); leave it blank when there is none",
        f"{p}:5: rating is outside the scale 1 to 5 ('9'); check the scale stated in study.yaml"]


def test_missing_columns_and_empty_file(tmp_path):
    p = write(tmp_path, "app,hello\n", header="source,text")
    with pytest.raises(InputError, match="missing column\\(s\\) date"):
        read_feedback(p)
    p = write(tmp_path, "", header="source,date,text")
    with pytest.raises(InputError, match="no feedback rows"):
        read_feedback(p)


def test_nothing_dropped_and_hostile_text_kept_as_text(tmp_path):
    hostile = ['<script>alert(1)</script> the waiter was rude', '=HYPERLINK("http://x","click")',
               'bell\x07 and tab\t inside', "x" * (LONG_TEXT + 5)]
    frame = pd.DataFrame({"source": ["web"] * 5, "date": ["2024-02-01"] * 5,
                          "text": hostile + [""], "rating": ["", "1", "2,5", "", "4"]})
    p = tmp_path / "feedback.csv"
    frame.to_csv(p, index=False)
    fb, warnings = read_feedback(p)
    assert len(fb) == 5
    assert fb["text"].tolist() == hostile + [""]
    assert fb["rating"].tolist()[1:] == [1.0, 2.5, pytest.approx(float("nan"), nan_ok=True), 4.0]
    assert fb["line"].tolist() == [2, 3, 4, 5, 6]
    messages = [w.message for w in warnings]
    assert any("1 row(s) have no text" in m for m in messages)
    assert any(f"longer than {LONG_TEXT:,}" in m for m in messages)
    assert fb["customer_id"].tolist() == [""] * 5  # absent optional column: blank, not missing


def test_parquet_reads_like_csv(tmp_path):
    frame = pd.DataFrame({"source": ["web", "app"], "date": pd.to_datetime(["2024-01-01 00:00", "2024-01-02 10:00"]),
                          "text": ["Great food.", "Slow service!"], "rating": [5.0, None], "language": ["en", "en"]})
    p = tmp_path / "feedback.parquet"
    frame.to_parquet(p)
    fb, _ = read_feedback(p)
    assert fb["text"].tolist() == ["Great food.", "Slow service!"]
    assert [str(d) for d in fb["date"]] == ["2024-01-01 00:00:00", "2024-01-02 10:00:00"]
    assert fb["rating"].iloc[0] == 5.0 and pd.isna(fb["rating"].iloc[1])
    assert fb["language"].tolist() == ["en", "en"]
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(b"not parquet")
    with pytest.raises(InputError, match="cannot be read as a parquet file"):
        read_feedback(bad)


def test_zoned_dates_in_utc(tmp_path):
    fb, warnings = read_feedback(write(tmp_path, "app,2024-01-01T01:00:00+02:00,a,,\napp,2024-01-02,b,,\n"))
    assert [str(d) for d in fb["date"]] == ["2023-12-31 23:00:00", "2024-01-02 00:00:00"]
    assert any("taken as UTC" in w.message for w in warnings)


def test_latin1_file_is_read_with_a_warning(tmp_path):
    p = tmp_path / "feedback.csv"
    p.write_bytes("source,date,text\nweb,2024-01-01,Très bon café\n".encode("latin-1"))
    fb, warnings = read_feedback(p)
    assert fb["text"].tolist() == ["Très bon café"]
    assert any("Latin-1" in w.message for w in warnings)
