"""The journey map's layout, computed without drawing: a three-step model worked out by hand."""
import matplotlib.pyplot as plt
import pandas as pd
import pytest

from cem.graph import build_graph
from cem.plots import JourneyLayout, draw_journey, journey_layout, journey_map


def three_steps():
    """Three customer steps over two stages, a company step supporting the second, two actors of two
    entities, and touchpoints on two channels (two web touchpoints at the first step)."""
    step = lambda i, job, name, pos, stage: {"id": i, "job": job, "name": name, "position": pos, "stage": stage}
    tp = lambda i, name, channel, s: {"id": i, "name": name, "channel": channel, "step": s, "owner": "mech"}
    tables = {
        "model": {"name": "Three"},
        "nodes": {
            "job": [{"id": "J", "name": "Get a bike repaired", "performer": "customer"},
                    {"id": "K", "name": "Repair bikes", "performer": "company"}],
            "entity": [{"id": "shop", "name": "Bike shop", "type": "provider"},
                       {"id": "hh", "name": "Household", "type": "customer"}],
            "actor": [{"id": "rider", "name": "Rider", "entity": "hh"},
                      {"id": "mech", "name": "Mechanic", "entity": "shop"}],
            "step": [step("S1", "J", "Book", 1, "purchase"),
                     step("S2", "J", "Drop off the bike", 2, "purchase"),
                     step("S3", "J", "Ride the bike again and again", 3, "use"),  # 2 lines at 17 characters
                     step("C1", "K", "Repair the bike", 1, "use")],
            "touchpoint": [tp("T1", "Booking page", "web", "S1"), tp("T4", "Chat", "web", "S1"),
                           tp("T2", "Hotline", "phone", "S1"), tp("T3", "Ride app", "web", "S3")],
            "need": [{"id": "N1", "step": "S1", "actor": "rider", "dimension": "functional",
                      "statement": "Minimize the time to get a slot"},
                     {"id": "N2", "step": "S1", "actor": "rider", "dimension": "emotional",
                      "statement": "Minimize the worry about the cost"}],
        },
        "links": [{"relation": "performs", "from": "rider", "to": "S1"},
                  {"relation": "performs", "from": "rider", "to": "S3"},
                  {"relation": "performs", "from": "mech", "to": "C1"},
                  {"relation": "supports", "from": "C1", "to": "S2"}],
    }
    return build_graph(tables)


NO_GAPS = pd.DataFrame({"node": [], "severity": []})


def test_layout_of_three_steps():
    layout = journey_layout(three_steps(), gaps=NO_GAPS)
    assert isinstance(layout, JourneyLayout)
    assert layout.steps == ["S1", "S2", "S3"] and layout.ncols == 3
    assert layout.stage_runs == [(0, 2, "purchase"), (2, 3, "use")]
    # Lanes top to bottom: the steps, the company job, one per actor (customer entities first), one per channel.
    assert [(lane.kind, lane.label) for lane in layout.lanes] == [
        ("step", "Customer steps"), ("company", "Repair bikes"),
        ("actor", "Household \u00b7 Rider"), ("actor", "Bike shop \u00b7 Mechanic"),
        ("touchpoint", "Touchpoints \u00b7 phone"), ("touchpoint", "Touchpoints \u00b7 web")]
    steps, company, rider, mech, phone, web = layout.lanes
    assert steps.cells == {0: ["Book", "2 needs: 1F 1E"], 1: ["Drop off the bike", "no needs"],
                           2: ["Ride the bike", "again and again", "no needs"]}
    assert company.cells == {1: [("C1", ["Repair the bike"])]}  # under the customer step it supports
    assert rider.cells == {0: (True, 2), 2: (True, 0)} and rider.entity_type == "customer"
    assert mech.cells == {1: (False, 0)} and mech.entity_type == "provider"  # supports S2, not its own
    assert web.cells == {0: [("T1", ["Booking page"]), ("T4", ["Chat"])], 2: [("T3", ["Ride app"])]}
    # Heights in text lines: the tallest step cell (3 lines) + 1.8; a box of 1 line + 1.0; two boxes
    # of 1 line, 0.4 apart, + 1.0; actors 2.0; plus the stage band's 2.0.
    assert [lane.height for lane in layout.lanes] == pytest.approx([4.8, 2.0, 2.0, 2.0, 2.0, 3.4])
    assert layout.total_lines == pytest.approx(2.0 + 4.8 + 2.0 + 2.0 + 2.0 + 2.0 + 3.4)  # 18.2
    # Width: 3 columns and the 1.6-column label margin at 1.35 inches a column; height: 0.14 inches
    # a line plus 0.6, but at least 4 (the title and the legend need room beside a small map).
    assert layout.figsize == pytest.approx(((3 + 1.6) * 1.35, 4.0))  # (6.21, max(3.148, 4))


def test_compact_layout_has_a_lane_per_entity_and_one_for_all_channels():
    layout = journey_layout(three_steps(), gaps=NO_GAPS, compact=True)
    assert [(lane.kind, lane.label) for lane in layout.lanes] == [
        ("step", "Customer steps"), ("company", "Repair bikes"), ("actor", "Household"), ("actor", "Bike shop"),
        ("touchpoint", "Touchpoints \u00b7 all channels")]
    assert layout.lanes[-1].cells == {0: [("T2", ["Hotline"]), ("T1", ["Booking page"]), ("T4", ["Chat"])],
                                      2: [("T3", ["Ride app"])]}  # phone before web, as the lanes were
    assert layout.lanes[-1].height == pytest.approx(3 + 2 * 0.4 + 1.0)


def test_a_slice_of_steps_and_a_narrow_wrap():
    layout = journey_layout(three_steps(), gaps=NO_GAPS, steps=["S3", "S2"], wrap=8)
    assert layout.steps == ["S2", "S3"]  # in the journey's order, not the order asked
    assert layout.stage_runs == [(0, 1, "purchase"), (1, 2, "use")]
    assert layout.lanes[0].cells[1][:-1] == ["Ride the", "bike", "again", "and\u2026"]  # at most 4 lines
    assert layout.figsize[0] == 6  # (2 + 1.6) * 1.35 is under the 6-inch minimum
    # A company step under a step left out of the slice has no column: its lane is left out.
    assert "company" not in [lane.kind for lane in journey_layout(three_steps(), gaps=NO_GAPS, steps=["S1"]).lanes]


def test_gaps_mark_the_most_severe():
    gaps = pd.DataFrame({"node": ["S1", "S1", "T3"], "severity": ["low", "high", "medium"]})
    layout = journey_layout(three_steps(), gaps=gaps)
    assert layout.worst_gap("S1") == "high" and len(layout.gaps["S1"]) == 2
    assert layout.worst_gap("T3") == "medium" and layout.worst_gap("S2") is None
    ax = draw_journey(layout)
    assert sorted(t.get_text() for t in ax.texts if t.get_text().startswith("! ")) == ["! 2"]  # steps get a count
    plt.close(ax.figure)


def test_the_drawing_follows_the_layout():
    G = three_steps()
    layout = journey_layout(G, gaps=NO_GAPS)
    ax = journey_map(G, gaps=NO_GAPS)
    assert tuple(ax.figure.get_size_inches()) == pytest.approx(layout.figsize)
    assert ax.get_xlim() == pytest.approx((-1.6, 3)) and ax.get_ylim() == pytest.approx((18.2, 0))
    texts = [t.get_text() for t in ax.texts]
    assert "Ride the bike\nagain and again" in texts and "2 needs: 1F 1E" in texts
    assert ["PURCHASE", "USE"] == [t for t in texts if t.isupper()]
    assert ax.get_title(loc="left") == "Three"
    plt.close(ax.figure)
