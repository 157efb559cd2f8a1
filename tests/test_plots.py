"""Figures: they draw, return their axes, and stay readable at 20+ steps."""
import itertools

import matplotlib.pyplot as plt
import pytest

from cem import load_model
from cem.gaps import find_gaps
from cem.plots import gap_chart, journey_map, priority_chart, save_figure
from conftest import EXAMPLES

CHANNELS = ["web", "phone", "email", "store", "app"]
STAGES = ["awareness", "search", "evaluate", "purchase", "receive", "setup", "use", "get_help", "maintain",
          "renew", "dispose", "next_cycle"]


def big_model(n_steps=24):
    """A model with long names, several touchpoints per step and company steps under them."""
    lines = ["model: {name: Big}", "jobs:", "  - {id: J, name: Run the household, performer: customer}",
             "  - {id: K, name: Serve households, performer: company}",
             "entities:", "  - {id: hh, name: Household, type: customer}", "  - {id: co, name: Company, type: provider}",
             "actors:", "  - {id: a, name: Householder, entity: hh}", "  - {id: b, name: Agent, entity: co}",
             "steps:"]
    for i in range(n_steps):
        stage = STAGES[i * len(STAGES) // n_steps]
        lines.append(f"  - {{id: S{i}, job: J, position: {i}, stage: {stage}, "
                     f"name: Step number {i} with a rather long and wordy descriptive name}}")
        lines.append(f"  - {{id: C{i}, job: K, position: {i}, stage: {stage}, name: Company work for step {i}}}")
    lines.append("touchpoints:")
    for i, k in itertools.product(range(n_steps), range(2)):
        lines.append(f"  - {{id: T{i}_{k}, name: Touchpoint {k} of step {i} with long label, "
                     f"channel: {CHANNELS[(i + k) % 5]}, step: S{i}, owner: b}}")
    lines.append("needs:")
    for i in range(n_steps):
        lines.append(f"  - {{id: N{i}, step: S{i}, actor: a, dimension: functional, statement: Minimize time {i}}}")
    lines.append("links:")
    for i in range(n_steps):
        lines.append(f"  - {{relation: performs, from: a, to: S{i}}}")
        lines.append(f"  - {{relation: supports, from: C{i}, to: S{i}}}")
    return "\n".join(lines) + "\n"


def text_boxes(ax):
    fig = ax.figure
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    return [(t.get_text(), t.get_window_extent(renderer)) for t in ax.texts if t.get_text().strip()]


def test_journey_map_24_steps_has_no_overlapping_text(write_model):
    G = load_model(write_model(big_model(24)))
    ax = journey_map(G)
    boxes = text_boxes(ax)
    assert len(boxes) > 24 * 4
    overlaps = [(a, b) for (a, ba), (b, bb) in itertools.combinations(boxes, 2)
                if ba.overlaps(bb) and not (a.startswith("! ") or b.startswith("! "))]
    assert overlaps == []
    # The figure grows with the model rather than shrinking the text.
    assert ax.figure.get_size_inches()[0] > 24
    plt.close(ax.figure)


@pytest.mark.parametrize("name", ["solar", "payroll"])
def test_journey_map_of_examples_marks_gaps(name, tmp_path):
    G = load_model(EXAMPLES / name)
    gaps = find_gaps(G)
    ax = journey_map(G, gaps=gaps)
    texts = [t.get_text() for t in ax.texts]
    flags = [t for t in texts if t.startswith("! ")]
    gap_steps = {s for s in gaps["node"] if s in G and G.nodes[s]["kind"] == "step"
                 and G.nodes[G.nodes[s]["job"]]["performer"] == "customer"}
    assert len(flags) >= len(gap_steps) > 0
    assert "AWARENESS" in texts
    paths = save_figure(ax, tmp_path, "map")
    assert all(p.stat().st_size > 10_000 for p in paths)
    plt.close(ax.figure)


def test_plots_draw_into_a_given_ax(mini):
    G = load_model(mini)
    fig, (ax1, ax2) = plt.subplots(1, 2)
    assert journey_map(G, ax=ax1) is ax1
    assert gap_chart(find_gaps(G), ax=ax2) is ax2
    plt.close(fig)


def test_opportunity_landscape_labels_do_not_overlap():

    from cem.needs import opportunity
    from cem.plots import opportunity_landscape, opportunity_landscapes, unmet_chart
    from cem.synth import survey
    from cem.needs import unmet_by_step

    G = load_model(EXAMPLES / "solar")
    answers, customers, _ = survey(G, n=200, seed=2)
    opp = opportunity(answers, G)
    ax = opportunity_landscape(opp, top=12)
    fig = ax.figure
    fig.canvas.draw()
    r = fig.canvas.get_renderer()
    from matplotlib.text import Text

    # The label's own box, not its leader line (an Annotation's extent includes the arrow).
    labels = [(t.get_text(), Text.get_window_extent(t, r)) for t in ax.texts if t.get_text().startswith("N_")]
    assert len(labels) == 12
    assert not [(a, b) for (a, ba), (b, bb) in itertools.combinations(labels, 2) if ba.overlaps(bb)]
    plt.close(fig)
    seg = opportunity(answers.merge(customers, left_on="respondent_id", right_on="customer_id"), G, by="segment")
    axes = opportunity_landscapes(seg, "segment")
    assert sum(1 for a in axes.flat if a.get_title(loc="left").startswith("segment = ")) == 2
    plt.close(axes.flat[0].figure)
    assert unmet_chart(unmet_by_step(opp, G)).get_xlabel().startswith("unmet need")


def test_journey_figures_draw(tmp_path):
    from cem.journeys import dfg, funnel, variants
    from cem.plots import flow_map, funnel_chart, variants_chart
    from cem.synth import event_log

    G = load_model(EXAMPLES / "payroll")
    events = event_log(G, 5000, seed=1)
    events["step"] = events["step"].astype(str)
    ax = flow_map(G, dfg(events))
    reds = [p for p in ax.patches if getattr(p, "get_edgecolor", None) and p.get_edgecolor()[:3] == (0.7529411764705882, 0.2235294117647059, 0.16862745098039217)]
    assert reds  # skips and returns are drawn as not designed
    plt.close(ax.figure)
    assert funnel_chart(funnel(events, G)).get_xlabel() == "customers reaching the step"
    assert variants_chart(variants(events), top=5).get_xlabel() == "share of cases (%)"
    plt.close("all")


def test_needs_heatmap_and_alignment_chart_texts_do_not_overlap():
    from cem.needs import opportunity
    from cem.plots import alignment_chart, needs_heatmap
    from cem.survey import load_survey
    from cem import load_study

    study = load_study(EXAMPLES / "solar")
    G = study.graph
    for ax, heat in ((needs_heatmap(G), True), (needs_heatmap(G, opportunity(load_survey(study), G)), True),
                     (alignment_chart(G), False)):
        fig = ax.figure
        fig.canvas.draw()
        r = fig.canvas.get_renderer()
        labels = [t for t in ax.get_xticklabels() if t.get_text()] if heat else [t for t in ax.texts
                                                                                 if t.get_bbox_patch() is not None]
        boxes = [t.get_window_extent(r) for t in labels]
        assert len(boxes) >= 10
        assert not [(a, b) for a, b in itertools.combinations(range(len(boxes)), 2) if boxes[a].overlaps(boxes[b])]
        plt.close(fig)
    # the alignment chart marks the misalignments of the gaps table in red
    ax = alignment_chart(G)
    red = [t.get_text().replace("\n", " ") for t in ax.texts if t.get_bbox_patch() is not None
           and t.get_bbox_patch().get_edgecolor()[:3] == (0.7529411764705882, 0.2235294117647059, 0.16862745098039217)]
    assert any("Cross-sell" in t for t in red) and any("Decide on the next" in t for t in red)
    plt.close(ax.figure)


def test_a3_poster_of_a_30_step_model_has_no_overlapping_text(write_model, tmp_path):
    from cem.plots import A3_LANDSCAPE, poster

    G = load_model(write_model(big_model(32)))
    fig = poster(G)
    assert tuple(fig.get_size_inches()) == A3_LANDSCAPE
    fig.canvas.draw()
    r = fig.canvas.get_renderer()
    boxes = [(t.get_text(), t.get_window_extent(r)) for ax in fig.axes for t in ax.texts if t.get_text().strip()]
    assert sum(t.startswith("Step number") for t, _ in boxes) == 32  # every step drawn once
    overlaps = [(a, b) for (a, ba), (b, bb) in itertools.combinations(boxes, 2)
                if ba.overlaps(bb) and not (a.startswith("! ") or b.startswith("! "))]
    assert overlaps == []
    fontsizes = {t.get_fontsize() for ax in fig.axes for t in ax.texts}
    assert min(fontsizes) >= 4.5  # still readable when printed at A3
    paths = save_figure(fig, tmp_path, "poster", formats=("pdf", "svg", "png"))
    assert all(p.stat().st_size > 20_000 for p in paths)
    plt.close(fig)


def test_priority_chart_stacks_the_two_shares():
    import pandas as pd

    table = pd.DataFrame({"rank": [1, 2], "name": ["Approve", "Install"], "priority": [0.9, 0.4],
                          "stake_share": [0.6, 0.0], "unmet_share": [0.3, 0.4]})
    ax = priority_chart(table)
    widths = sorted(round(p.get_width(), 3) for p in ax.patches)
    assert widths == [0.0, 0.3, 0.4, 0.6]  # value at stake and unmet need, one bar each per step
    ends = sorted(round(p.get_x() + p.get_width(), 3) for p in ax.patches)
    assert ends[-1] == 0.9  # the stacked bar reaches the priority


#: Names a matplotlib label would read as mathtext: two "$" make a math span ("50 now, " in
#: italics), and "$x^$" is math that does not parse (drawing raises).
DOLLARS = {"step": "Pay $50 now, $20 later", "bad_math": "Cost $x^$ ok", "model": "Plan $x$ and $y$"}


def _dollar_model():
    """The payroll model with dollars in the model's name, step, company step, actor, entity and touchpoint names."""
    from cem.graph import journey_steps, nodes_of

    G = load_model(EXAMPLES / "payroll")
    G.graph["name"] = DOLLARS["model"]
    steps = journey_steps(G)
    G.nodes[steps[0]]["name"] = DOLLARS["step"]
    G.nodes[steps[1]]["name"] = DOLLARS["bad_math"]
    for kind in ("actor", "entity", "touchpoint", "job"):
        for node in nodes_of(G, kind)[:2]:
            G.nodes[node]["name"] = f"{G.nodes[node]['name']} {DOLLARS['bad_math']}"
    company = [s for s in nodes_of(G, "step") if s not in steps]
    G.nodes[company[0]]["name"] = DOLLARS["bad_math"]
    return G


def _drawn_texts(fig):
    """Every text of a drawn figure (tick labels included) as matplotlib shows it, and whether it is math."""
    from matplotlib.cbook import is_math_text
    from matplotlib.text import Text

    fig.canvas.draw()  # raises on mathtext that does not parse
    texts = [t.get_text() for t in fig.findobj(Text) if t.get_text()]
    assert not [t for t in texts if is_math_text(t)]  # no text is drawn as mathtext
    return [t.replace("\\$", "$") for t in texts]  # matplotlib draws "\$" as "$"


def test_dollars_in_names_are_drawn_as_text_not_mathtext(tmp_path):
    import pandas as pd

    from cem.journeys import dfg, funnel, variants
    from cem.needs import opportunity, unmet_by_step
    from cem.plots import (alignment_chart, clv_distribution, experience_curve, flow_map, funnel_chart,
                           needs_heatmap, opportunity_landscapes, poster, step_effects_chart, unmet_chart,
                           value_waterfall, variants_chart)
    from cem.synth import event_log, survey
    from cem.value import step_value

    G = _dollar_model()
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
        "priority": priority_chart(plan).figure,
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
    shown = {name: " ".join(_drawn_texts(fig)).replace("\n", " ") for name, fig in figures.items()}
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
