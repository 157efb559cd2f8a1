"""Event logs read (cem.readers.events): placed on steps, problems reported, rows never dropped silently."""
import gzip
import subprocess
import sys

import pytest

from cem import InputError, load_model
from cem.journeys import dfg, variants
from cem.readers import read_events
from cem.readers.events import unplaced
from conftest import MINI, ROOT
from conftest import events_by_hour as log


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
    assert unplaced(ev).to_dict() == {"Unknown thing": 1}
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
    assert len(ev) == 1 and ev.attrs == {}  # what was left out is said in the warnings, not hidden in the table
    assert sum(w.rows for w in warnings) == 2
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


def test_real_receipt_log_reads_with_xes_names():
    events, warnings = read_events(ROOT / "data" / "external" / "receipt.csv")
    assert len(events) == 8577 and events["customer_id"].nunique() == 1434
    assert len(variants(events, activity="activity")) == 116 and len(dfg(events, activity="activity")) == 99


def test_cem_validate_on_broken_event_files(tmp_path):
    (tmp_path / "model.yaml").write_text(MINI)
    # An event file that says nowhere where the events happened.
    (tmp_path / "events.csv").write_text("customer_id,timestamp\nc1,2024-01-01\n")
    r = subprocess.run([sys.executable, "-m", "cem.cli", "validate", str(tmp_path)], capture_output=True, text=True)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "no column saying where each event happened" in r.stderr
    (tmp_path / "events.csv").unlink()
    (tmp_path / "events.xes.gz").write_bytes(gzip.compress(b"<log><trace><event>")[:-6])
    r = subprocess.run([sys.executable, "-m", "cem.cli", "validate", str(tmp_path)], capture_output=True, text=True)
    assert r.returncode == 2 and "Traceback" not in r.stderr and "events.xes.gz" in r.stderr


def test_parquet_events(tmp_path, G):
    e = log([("a", 0, "S1"), ("a", 1, "S2")])
    e.to_parquet(tmp_path / "events.parquet")
    events, _ = read_events(tmp_path / "events.parquet", G)
    assert events["step"].tolist() == ["S1", "S2"] and str(events["timestamp"].dt.tz) == "UTC"


def test_activity_mapping_from_a_csv(tmp_path, G):
    (tmp_path / "map.csv").write_text("activity,step\nBook,S1\nRide,S2\n")
    p = write(tmp_path, "customer_id,timestamp,activity\nc1,2024-01-01,Book\nc1,2024-01-02,Ride\n")
    events, _ = read_events(p, G, {"activities_file": "map.csv"})
    assert events["step"].tolist() == ["S1", "S2"]
    (tmp_path / "bad.csv").write_text("from,to\nBook,S1\n")
    with pytest.raises(InputError, match="needs columns activity and step"):
        read_events(p, G, {"activities_file": "bad.csv"})


def test_a_file_of_unreadable_timestamps_is_an_error(tmp_path, G):
    p = write(tmp_path, "customer_id,timestamp,step\nc1,yesterday,S1\nc2,soon,S2\n")
    with pytest.raises(InputError, match="no timestamp can be read"):
        read_events(p, G)


# Hardening, round two: renames, implausible dates.

def test_a_rename_onto_an_existing_column_is_refused(tmp_path, G):
    p = write(tmp_path, "customer_id,timestamp,date,step\nc1,2024-01-01,2024-01-02,S1\n")
    with pytest.raises(InputError) as err:
        read_events(p, G, {"timestamp": "date"})
    (line,) = [str(x) for x in err.value.problems]
    assert line.startswith(f"{p}:1: ") and "'date'" in line and "'timestamp' column too" in line


def test_an_xes_name_beside_the_column_it_stands_for_is_a_warning(tmp_path, G):
    p = write(tmp_path, "customer_id,case:concept:name,timestamp,step\nc1,x9,2024-01-01,S1\n")
    ev, warnings = read_events(p, G)
    assert ev.loc[0, "customer_id"] == "c1" and any("'case:concept:name'" in w.message for w in warnings)


def test_implausible_event_years(tmp_path, G):
    p = write(tmp_path, GOOD_EVENTS + "c1,0001-01-01T00:00:00,S2\n")
    with pytest.raises(InputError, match="not a plausible date"):
        read_events(p, G)


GOOD_EVENTS = "customer_id,timestamp,step\nc1,2024-01-01T10:00:00,S1\n"


def test_events_out_of_time_order_read_as_the_sorted_log(tmp_path):
    # A log with XES names whose rows come in random order (as exports from several systems
    # merged do): read_events gives the log sorted by customer, then time; equal times keep
    # their file order; the DFG and variants are those of the sorted log, counted by hand.
    rows = [("b", "2024-01-01T09:00:00+00:00", "Open"), ("a", "2024-01-02T10:00:00+00:00", "Close"),
            ("a", "2024-01-01T10:00:00+00:00", "Open"), ("b", "2024-01-03T09:00:00+00:00", "Close"),
            ("a", "2024-01-01T12:00:00+00:00", "Fix"), ("b", "2024-01-01T09:00:00+00:00", "Note"),
            ("c", "2024-01-05T08:00:00+01:00", "Open"), ("c", "2024-01-05T07:30:00Z", "Close")]
    p = tmp_path / "log.csv"
    p.write_text("case:concept:name,concept:name,time:timestamp\n" + "".join(f"{c},{a},{t}\n" for c, t, a in rows))
    events, _ = read_events(p)
    assert events["customer_id"].tolist() == ["a", "a", "a", "b", "b", "b", "c", "c"]
    # b's Open and Note are at one time: file order; c's 08:00+01:00 is 07:00 UTC, before 07:30Z.
    assert events["activity"].tolist() == ["Open", "Fix", "Close", "Open", "Note", "Close", "Open", "Close"]
    assert str(events["timestamp"].dt.tz) == "UTC"
    d = dfg(events, activity="activity")
    assert sorted(zip(d["source"], d["target"], d["count"])) == [
        ("Fix", "Close", 1), ("Note", "Close", 1), ("Open", "Close", 1), ("Open", "Fix", 1), ("Open", "Note", 1)]
    v = variants(events, activity="activity")
    assert sorted(zip(v["variant"], v["cases"])) == [("Open > Close", 1), ("Open > Fix > Close", 1),
                                                     ("Open > Note > Close", 1)]


def test_a_large_shuffled_log_reads_as_the_same_log_in_order(tmp_path):
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(4)
    n_cases, per = 3_000, 6
    case = np.repeat(np.arange(n_cases), per)
    t = pd.Timestamp("2024-01-01", tz="UTC") + pd.to_timedelta(case * 3 + np.tile(np.arange(per), n_cases), unit="h")
    log_ = pd.DataFrame({"case:concept:name": [f"case {c:05d}" for c in case],
                         "concept:name": [f"A{(c + k) % 4}" for c, k in zip(case, np.tile(np.arange(per), n_cases))],
                         "time:timestamp": t.strftime("%Y-%m-%dT%H:%M:%S%z")})
    log_.to_csv(tmp_path / "in_order.csv", index=False)
    log_.sample(frac=1, random_state=2).to_csv(tmp_path / "shuffled.csv", index=False)
    ordered, _ = read_events(tmp_path / "in_order.csv")
    shuffled, _ = read_events(tmp_path / "shuffled.csv")
    pd.testing.assert_frame_equal(shuffled, ordered)
    assert ordered["customer_id"].tolist() == log_["case:concept:name"].tolist()
    pd.testing.assert_frame_equal(dfg(shuffled, activity="activity"), dfg(ordered, activity="activity"))
    assert dfg(shuffled, activity="activity")["count"].sum() == n_cases * (per - 1)
