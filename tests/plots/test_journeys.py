"""Figures of the journeys in an event log."""
import matplotlib.pyplot as plt

from cem import load_model
from conftest import EXAMPLES

from .helpers import RED


def test_journey_figures_draw():
    from cem.journeys import dfg, funnel, variants
    from cem.plots import flow_map, funnel_chart, variants_chart
    from cem.synth import event_log

    G = load_model(EXAMPLES / "payroll")
    events = event_log(G, 5000, seed=1)
    events["step"] = events["step"].astype(str)
    ax = flow_map(G, dfg(events))
    reds = [p for p in ax.patches if getattr(p, "get_edgecolor", None) and p.get_edgecolor()[:3] == RED]
    assert reds  # skips and returns are drawn as not designed
    plt.close(ax.figure)
    assert funnel_chart(funnel(events, G)).get_xlabel() == "customers reaching the step"
    ax = variants_chart(variants(events), top=5, names=G)
    assert ax.get_xlabel() == "share of cases"
    assert ax.xaxis.get_major_formatter()(40, 0) == "40 %"
    # the parts of a variant are the steps' names, not their ids
    labels = " ".join(t.get_text() for t in ax.get_yticklabels())
    assert G.nodes[events["step"].iloc[0]]["name"][:10] in labels and events["step"].iloc[0] + " " not in labels
    plt.close("all")
