"""Process mining on known answers (cem.journeys): directly-follows graph, variants, rework, conformance
and the funnel, by hand and on a real help desk log."""
import pandas as pd
import pytest

from cem import load_model, load_study
from cem.journeys import case_durations, conformance, dfg, funnel, rework, variants
from cem.readers.events import unplaced
from conftest import HELPDESK, MINI, ROOT
from conftest import events_by_hour as log


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


def test_dfg_small_and_large_paths_agree(monkeypatch):
    import cem.journeys as journeys
    from cem.synth import event_log

    G = load_model(ROOT / "cem" / "examples" / "solar")
    events = event_log(G, 30_000, seed=5)
    small = journeys.dfg(events)
    monkeypatch.setattr(journeys, "_SMALL_LOG", 0)
    large = journeys.dfg(events)
    pd.testing.assert_frame_equal(small, large)


@pytest.mark.parametrize("small_log", [True, False])
def test_events_in_random_order_give_what_the_ordered_log_gives(monkeypatch, small_log):
    # Exports come in any order: the DFG, variants, rework and conformance of a shuffled log are
    # those of the same log sorted by customer and time (events at one time are given distinct
    # times here, so their order is the time's, not the file's).
    import numpy as np

    import cem.journeys as journeys
    from cem.synth import event_log

    G = load_model(ROOT / "cem" / "examples" / "solar")
    events = event_log(G, 3_000, seed=7)
    events["timestamp"] = events["timestamp"] + pd.to_timedelta(np.arange(len(events)), unit="us")
    ordered = events.sort_values(["customer_id", "timestamp"]).reset_index(drop=True)
    shuffled = events.sample(frac=1, random_state=1).reset_index(drop=True)
    if not small_log:
        monkeypatch.setattr(journeys, "_SMALL_LOG", 0)
    pd.testing.assert_frame_equal(dfg(shuffled), dfg(ordered))
    pd.testing.assert_frame_equal(variants(shuffled), variants(ordered))
    pd.testing.assert_frame_equal(rework(shuffled), rework(ordered))
    s1, t1, c1 = conformance(shuffled, G)
    s2, t2, c2 = conformance(ordered, G)
    assert s1 == s2
    pd.testing.assert_frame_equal(t1, t2)
    pd.testing.assert_frame_equal(c1.sort_index(), c2.sort_index())
    # The known answer: every case's transitions are its events less one.
    assert dfg(shuffled)["count"].sum() == len(events) - events["customer_id"].nunique()
