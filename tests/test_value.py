"""Value per step: hand-computed on a small journey, and on the examples' generated events."""
import networkx as nx
import numpy as np
import pandas as pd
import pytest

from cem import load_study
from cem.value import step_value, value_metrics
from conftest import EXAMPLES


@pytest.fixture
def G():
    G = nx.MultiDiGraph()
    G.add_node("J", kind="job", performer="customer")
    for i, s in enumerate(["A", "B", "C"], 1):
        G.add_node(s, kind="step", job="J", position=i, name=f"step {s}", stage="use")
        G.add_edge("J", s, key="has_step")
    G.add_edge("A", "B", key="next")
    G.add_edge("B", "C", key="next")
    G.add_node("T", kind="touchpoint", cost=2.5)
    G.add_edge("T", "B", key="serves")
    return G


def test_needs_side_by_hand(G):
    needs = pd.DataFrame({"step": ["A", "A", "B"], "importance": [8.0, 4.0, 6.0], "satisfaction": [2.0, 6.0, 6.0]})
    v = step_value(G, needs).set_index("step")
    assert v.loc["A", "experience"] == pytest.approx((16 + 24) / 120)
    assert v.loc["A", "unmet"] == 6 and v.loc["B", "unmet"] == 0
    assert v.loc["B", "cum_experience"] == pytest.approx((16 + 24 + 36) / 180)
    assert np.isnan(v.loc["C", "experience"]) and v.loc["C", "cum_unmet"] == 6


def test_events_side_by_hand(G):
    t = pd.Timestamp("2024-01-01", tz="UTC")
    ev = pd.DataFrame({
        "customer_id": ["x", "x", "x", "y", "y", "z"],
        "timestamp": [t, t + pd.Timedelta(days=1), t + pd.Timedelta(days=2), t, t + pd.Timedelta(days=3), t],
        "step": ["A", "B", "C", "A", "B", "A"],
        "touchpoint": [None, "T", None, None, "T", None],
        "rating": [5, 3, np.nan, 4, 1, np.nan],
        "revenue": [100.0, np.nan, np.nan, 50.0, np.nan, np.nan],
    })
    v = step_value(G, events=ev).set_index("step")
    assert v.loc["A", "customers"] == 3 and v.loc["A", "conversion"] == pytest.approx(2 / 3)
    assert v.loc["B", "conversion"] == pytest.approx(1 / 2) and np.isnan(v.loc["C", "conversion"])
    assert v.loc["B", "cost_to_serve"] == pytest.approx(2 * 2.5)  # touchpoint cost x interactions
    assert v.loc["A", "revenue"] == 150 and v.loc["B", "net"] == -5 and v.loc["C", "cum_net"] == 145
    assert v.loc["B", "rating"] == 2
    by = step_value(G, events=ev.assign(seg=["p", "p", "p", "q", "q", "q"]), by="seg")
    assert by.set_index(["seg", "step"]).loc[("q", "A"), "customers"] == 2


def test_examples_value_and_metrics():
    study = load_study(EXAMPLES / "payroll")
    events = study.events()
    v = step_value(study.graph, events=events)
    assert list(v["step"])[:2] == ["P_aware", "P_search"] and v["customers"].iloc[0] > v["customers"].iloc[3]
    m = value_metrics(v)
    assert m["steps"] == 13 and m["largest_drop_off"]["step"] != v["step"].iloc[-1]
    assert m["cost_to_serve"] > 0


def test_the_end_of_a_service_journey_is_not_its_weakest_step():
    """#15: the help desk's 'Confirm the ticket is closed' converts nobody to the upgrade the design
    puts after it, because tickets that need an upgrade get it before they close."""
    from conftest import HELPDESK
    from cem.value import MIN_THROUGH, defined_conversion

    study = load_study(HELPDESK)
    values = step_value(study.graph, events=study.events())
    closed = values.set_index("step").loc["H_closed"]
    assert closed["conversion"] == 0 and closed["through"] < MIN_THROUGH
    assert value_metrics(values).get("largest_drop_off", {}).get("step") != "H_closed"
    assert np.isnan(defined_conversion(values)[values["step"] == "H_closed"]).all()


def test_a_skipped_optional_step_is_no_drop_off():
    """Tickets taken in charge mostly skip 'Wait for a solution' and are resolved: they went on."""
    from conftest import HELPDESK

    study = load_study(HELPDESK)
    values = step_value(study.graph, events=study.events()).set_index("step")
    assert values.loc["H_taken", "conversion"] > 0.95
    assert "largest_drop_off" not in value_metrics(values.reset_index())  # nobody to speak of is lost
