"""Event logs: read, placed on steps, problems reported, rows never dropped silently."""
import pytest

from cem import InputError, load_model
from cem.journeys import read_events
from conftest import MINI


@pytest.fixture
def G(write_model):
    return load_model(write_model(MINI))


def write(tmp_path, text):
    p = tmp_path / "events.csv"
    p.write_text(text)
    return p


def test_steps_touchpoints_and_activities(tmp_path, G):
    p = write(tmp_path, "customer_id,timestamp,step,touchpoint,activity,rating\n"
                        "c1,2024-01-01T10:00:00,S1,,,4\nc1,2024-01-02 09:00,,T1,,\nc2,2024-01-03,,,Fixed it,5\n"
                        "c2,2024-01-04,,,Unknown thing,\n")
    ev, warnings = read_events(p, G, {"activities": {"Fixed it": "S2"}})
    assert ev["step"].tolist()[:3] == ["S1", "S1", "S2"] and ev["step"].isna().sum() == 1
    assert ev.attrs["unmapped"] == {"Unknown thing": 1}
    assert any("map to no step of the model: 'Unknown thing' (1)" in str(w) for w in warnings)
    assert str(ev["timestamp"].dt.tz) == "UTC"


def test_xes_column_names_out_of_the_box(tmp_path, G):
    p = write(tmp_path, "case:concept:name,concept:name,time:timestamp\nc1,Book,2024-01-01T10:00:00+01:00\n")
    ev, _ = read_events(p, G, {"activities": {"Book": "S1"}})
    assert ev.loc[0, "customer_id"] == "c1" and ev.loc[0, "step"] == "S1"
    assert ev.loc[0, "timestamp"].hour == 9  # converted to UTC


def test_bad_rows_counted_and_excluded(tmp_path, G):
    p = write(tmp_path, "customer_id,timestamp,step\nc1,2024-01-01,S1\nc2,not a date,S1\n,2024-01-02,S2\n")
    ev, warnings = read_events(p, G)
    assert len(ev) == 1 and ev.attrs["excluded"] == {"unreadable timestamp": 1, "blank customer_id": 1}
    text = [str(w) for w in warnings]
    assert any(":3: warning: 1 event(s) with a timestamp that cannot be read ('not a date')" in t for t in text)
    assert any(":4: warning: 1 event(s) without a customer_id are left out" in t for t in text)


def test_errors_all_at_once(tmp_path, G):
    p = write(tmp_path, "customer_id,timestamp,step,rating\nc1,2024-01-01,S9,4\nc1,2024-01-02,S1,good\n")
    with pytest.raises(InputError) as info:
        read_events(p, G)
    lines = [str(x) for x in info.value.problems]
    assert any(":3: rating must be a number; got 'good'" in l for l in lines)
    assert any(":2: step 'S9' is not a step of the model" in l for l in lines)


def test_missing_columns(tmp_path, G):
    with pytest.raises(InputError, match="no 'timestamp' column"):
        read_events(write(tmp_path, "customer_id,when,step\nc1,2024,S1\n"), G)
