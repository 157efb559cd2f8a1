"""Every figure draws model and data text literally: a '$' in a name is a dollar, not mathtext."""
import matplotlib.pyplot as plt
import pandas as pd

from cem.gaps import find_gaps
from cem.plots import gap_chart, journey_map, priority_chart, save_figure
from cem.summary import Priorities

from .helpers import DOLLARS, dollar_model, drawn_texts


def test_dollars_in_names_are_drawn_as_text_not_mathtext(tmp_path):
    from cem.journeys import dfg, funnel
    from cem.needs import opportunity, unmet_by_step
    from cem.plots import (alignment_chart, clv_distribution, experience_curve, flow_map, funnel_chart,
                           needs_heatmap, opportunity_landscapes, poster, step_effects_chart, unmet_chart,
                           value_waterfall, variants_chart)
    from cem.synth import event_log, survey
    from cem.value import step_value

    G = dollar_model()
    answers, _, _ = survey(G, n=120, seed=3)
    opp = opportunity(answers, G)
    by_segment = pd.concat([opp.assign(segment="Seg $a$"), opp.assign(segment="Seg $b^$")])  # segment values
    events = event_log(G, 3000, seed=1)
    events["step"] = events["step"].astype(str)
    values = step_value(G, needs=opp, events=events)
    steps = values["step"].tolist()
    plan = pd.DataFrame({"rank": [1, 2], "name": [DOLLARS["step"], DOLLARS["bad_math"]], "priority": [0.9, 0.4],
                         "stake_share": [0.6, 0.0], "unmet_share": [0.3, 0.4]})
    effects = pd.DataFrame({"step": steps[:2], "coef": [-0.5, 0.1], "ci_low": [-0.8, -0.2], "ci_high": [-0.2, 0.4]})
    variant_table = pd.DataFrame({"variant": [f"{DOLLARS['step']} > {DOLLARS['bad_math']}"], "share": [1.0]})
    figures = {
        "journey_map": journey_map(G).figure,
        "poster": poster(G, steps_per_row=8),
        "gap_chart": gap_chart(find_gaps(G)).figure,
        "landscapes": opportunity_landscapes(by_segment, "segment").flat[0].figure,
        "unmet": unmet_chart(unmet_by_step(opp, G)).figure,
        "priority": priority_chart(Priorities(plan, basis="unmet need")).figure,
        "experience": experience_curve(values).figure,
        "waterfall": value_waterfall(values).figure,
        "effects": step_effects_chart(effects, names={s: G.nodes[s]["name"] for s in steps}).figure,
        "clv": clv_distribution(pd.Series([10.0, 20.0, 35.0] * 5), currency="US$").figure,
        "flow": flow_map(G, dfg(events)).figure,
        "funnel": funnel_chart(funnel(events, G)).figure,
        "variants": variants_chart(variant_table).figure,
        "heatmap": needs_heatmap(G, opp).figure,
        "alignment": alignment_chart(G).figure,
    }
    shown = {name: " ".join(drawn_texts(fig)).replace("\n", " ") for name, fig in figures.items()}
    assert DOLLARS["model"] in shown["journey_map"] and DOLLARS["model"] in shown["poster"]
    for name in ("journey_map", "priority", "experience", "waterfall", "effects", "funnel", "variants", "heatmap",
                 "alignment", "flow"):
        assert "Pay $50 now," in shown[name], name  # wrapped, but every dollar where it was typed
    assert "Cost $x^$" in shown["priority"] and "Cost $x^$" in shown["alignment"]
    assert "Seg $b^$" in shown["landscapes"]
    assert "US$" in shown["clv"]
    for name, fig in figures.items():
        save_figure(fig, tmp_path, name, formats=("png",))  # drawing to PNG does not raise
        plt.close(fig)
