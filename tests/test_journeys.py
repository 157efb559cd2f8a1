"""Event logs: read, placed on steps, problems reported, rows never dropped silently."""
import pytest

from cem import InputError, load_model
from cem.readers import read_events
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


# --- Process mining on known answers -------------------------------------------------------

import gzip
import subprocess
import sys

import pandas as pd

from cem import load_study
from cem.journeys import case_durations, conformance, dfg, funnel, rework, variants
from cem.readers import read_xes
from cem.readers.events import unplaced
from conftest import ROOT

HELPDESK = ROOT / "data" / "external" / "helpdesk"


def log(rows):
    """Events from (case, hour, step) rows."""
    t0 = pd.Timestamp("2024-01-01", tz="UTC")
    return pd.DataFrame({"customer_id": [r[0] for r in rows], "timestamp": [t0 + pd.Timedelta(hours=r[1]) for r in rows],
                         "step": [r[2] for r in rows]})


def test_dfg_variants_rework_by_hand():
    e = log([("a", 0, "S1"), ("a", 1, "S2"), ("a", 3, "S1"), ("a", 4, "S2"),
             ("b", 0, "S1"), ("b", 2, "S2"), ("c", 5, "S1")])
    d = dfg(e).set_index(["source", "target"])
    assert d.loc[("S1", "S2"), "count"] == 3 and d.loc[("S2", "S1"), "count"] == 1
    assert d.loc[("S1", "S2"), "median_hours"] == 1.0 and d.loc[("S2", "S1"), "median_hours"] == 2.0
    v = variants(e)
    assert v.values.tolist() == [["S1", 1, 1, 1 / 3], ["S1 > S2", 2, 1, 1 / 3], ["S1 > S2 > S1 > S2", 4, 1, 1 / 3]]
    r = rework(e).set_index("activity")
    assert r.loc["S1", "cases"] == 1 and r.loc["S1", "extra_visits"] == 1 and r.loc["S1", "share"] == pytest.approx(1 / 3)
    assert case_durations(e).loc["a", "days"] == pytest.approx(4 / 24)


def test_time_order_wins_over_file_order():
    e = log([("a", 2, "S2"), ("a", 1, "S1")])
    assert dfg(e)[["source", "target"]].values.tolist() == [["S1", "S2"]]


def test_conformance_and_funnel_by_hand(write_model):
    text = MINI.replace("  - {id: C1,", "  - {id: S3, job: J, name: Pay, position: 3, stage: use}\n  - {id: C1,")
    G = load_model(write_model(text))
    e = log([("a", 0, "S1"), ("a", 1, "S2"), ("a", 2, "S3"),     # as designed
             ("b", 0, "S1"), ("b", 1, "S3"),                     # skips S2
             ("c", 0, "S3"), ("c", 1, "S1"), ("c", 2, None)])   # backward, then an unmapped event
    summary, table, cases = conformance(e, G)
    assert summary["transitions"] == 5 and summary["designed"] == 2 and summary["skip"] == 1
    assert summary["backward"] == 1 and summary["unexpected"] == 1
    assert summary["designed_share"] == pytest.approx(2 / 5)
    assert table.set_index(["source", "target"]).loc[("S1", "S3"), "skipped"] == "S2"
    assert cases.loc["a", "fitness"] == 1.0 and cases.loc["b", "skipped_steps"] == 1
    assert cases.index[0] == "c" and cases.loc["c", "fitness"] == 0.0  # ranked by deviation
    f = funnel(e.dropna(subset=["step"]), G)
    assert f["customers"].tolist() == [3, 1, 3] and f["drop_off"].iloc[1] == pytest.approx(2 / 3)


def test_real_help_desk_log_as_pm4py_counts_it():
    # 4,580 cases and 21,348 events (the data's README); 55 directly-follows pairs and 226 variants,
    # the same counts pm4py gives (benchmarks/run.py compares every count, pair by pair).
    study = load_study(HELPDESK)
    events = study.events()
    assert len(events) == 21348 and events["customer_id"].nunique() == 4580
    d = dfg(events, activity="activity")
    assert len(d) == 55 and d["count"].sum() == 21348 - 4580
    top = d.iloc[0]
    assert (top["source"], top["target"]) == ("Resolve ticket", "Closed")
    v = variants(events, activity="activity")
    assert len(v) == 226 and v["cases"].sum() == 4580
    assert v.iloc[0]["variant"] == "Assign seriousness > Take in charge ticket > Resolve ticket > Closed"
    assert unplaced(events).empty  # study.yaml maps all 14 activities


def test_real_receipt_log_reads_with_xes_names():
    events, warnings = read_events(ROOT / "data" / "external" / "receipt.csv")
    assert len(events) == 8577 and events["customer_id"].nunique() == 1434
    assert len(variants(events, activity="activity")) == 116 and len(dfg(events, activity="activity")) == 99


BROKEN = {
    "truncated.xes.gz": lambda: (HELPDESK / "events.xes.gz").read_bytes()[:5000],
    "malformed.xes": lambda: b"<log><trace><event><string key='concept:name' value='x'></event></trace></log>",
    "entities.xes": lambda: (b'<?xml version="1.0"?><!DOCTYPE log [<!ENTITY a "aaaaaaaaaa">'
                             b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><log>&b;</log>'),
    "external.xes": lambda: (b'<?xml version="1.0"?><!DOCTYPE log [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
                             b'<log><trace><event><string key="concept:name" value="&x;"/></event></trace></log>'),
    "empty.xes": lambda: b"<log></log>",
}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_broken_xes_files_are_refused_plainly(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(BROKEN[name]())
    with pytest.raises(InputError) as info:
        read_xes(path)
    (line,) = [str(p) for p in info.value.problems]
    assert line.startswith(str(path))
    assert any(word in line for word in ("truncated", "not well-formed", "DTD", "no events"))


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


def test_dfg_small_and_large_paths_agree(monkeypatch):
    import cem.journeys as journeys
    from cem.synth import event_log

    G = load_model(ROOT / "cem" / "examples" / "solar")
    events = event_log(G, 30_000, seed=5)
    small = journeys.dfg(events)
    monkeypatch.setattr(journeys, "_SMALL_LOG", 0)
    large = journeys.dfg(events)
    pd.testing.assert_frame_equal(small, large)


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


# Hardening, round two: renames, implausible dates, XES limits.

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


def xes_event(extra=""):
    return ('<event><string key="concept:name" value="S1"/><date key="time:timestamp" '
            f'value="2024-01-01T10:00:00"/>{extra}</event>')


def test_xes_keeps_the_attributes_cem_reads_and_caps_the_others(tmp_path):
    from cem.readers.xes import MAX_EXTRA_KEYS

    events = "".join(xes_event(f'<string key="k{i}" value="v"/><int key="rating" value="4"/>') for i in range(400))
    p = tmp_path / "log.xes"
    p.write_text(f'<log><trace><string key="concept:name" value="c1"/>{events}</trace></log>')
    table, warnings = read_xes(p, keep=["k399"])
    assert {"case:concept:name", "concept:name", "time:timestamp", "rating", "k0", "k399"} <= set(table.columns)
    assert len(table.columns) == 4 + MAX_EXTRA_KEYS + 1
    (warning,) = warnings
    assert f"{400 - MAX_EXTRA_KEYS - 1} more" in warning.message


def test_xes_values_over_the_cap(tmp_path):
    big = "x" * 20_000
    p = tmp_path / "log.xes"
    note = xes_event(f'<string key="note" value="{big}"/>')
    p.write_text(f'<log><trace><string key="concept:name" value="c1"/>{note}</trace></log>')
    table, warnings = read_xes(p)
    assert "note" not in table.columns and "longer than 10,000" in warnings[0].message
    p.write_text(f'<log><trace><string key="concept:name" value="{big}"/>{xes_event()}</trace></log>')
    with pytest.raises(InputError, match="'case:concept:name' holds 20,000 characters"):
        read_xes(p)


def test_a_huge_comment_in_a_gzip_stops_at_the_item_cap(tmp_path):
    import gzip
    import time

    p = tmp_path / "events.xes.gz"
    with gzip.open(p, "wb") as fh:
        fh.write(b"<log><!-- ")
        for _ in range(64):
            fh.write(b"a" * (1 << 20))
        fh.write(b" -->" + f'<trace><string key="concept:name" value="c"/>{xes_event()}</trace></log>'.encode())
    start = time.perf_counter()
    with pytest.raises(InputError, match="one XML item .* of more than 1 MiB"):
        read_xes(p)
    assert time.perf_counter() - start < 5
