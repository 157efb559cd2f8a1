"""Figures of needs and of the design's alignment: their labels do not run into each other."""
import itertools

import matplotlib.pyplot as plt

from cem import load_model
from conftest import EXAMPLES

from .helpers import RED


def test_opportunity_landscape_labels_do_not_overlap():
    from matplotlib.text import Text

    from cem.needs import opportunity, unmet_by_step
    from cem.plots import opportunity_landscape, opportunity_landscapes, unmet_chart
    from cem.synth import survey

    G = load_model(EXAMPLES / "solar")
    answers, customers, _ = survey(G, n=200, seed=2)
    opp = opportunity(answers, G)
    ax = opportunity_landscape(opp, top=12)
    fig = ax.figure
    fig.canvas.draw()
    r = fig.canvas.get_renderer()
    # The label's own box, not its leader line (an Annotation's extent includes the arrow).
    labels = [(t.get_text(), Text.get_window_extent(t, r)) for t in ax.texts if t.get_text().isdigit()]
    assert sorted(int(t) for t, _ in labels) == list(range(1, 13))  # numbered by opportunity
    assert not [(a, b) for (a, ba), (b, bb) in itertools.combinations(labels, 2) if ba.overlaps(bb)]
    # The key names each number by its need's statement, not its id.
    key = next(t.get_text() for t in ax.texts if t.get_text().startswith(" 1  "))
    first = opp.nlargest(1, "opportunity").iloc[0]
    assert first["statement"][:20] in key and "N_" not in key
    plt.close(fig)
    seg = opportunity(answers.merge(customers, left_on="respondent_id", right_on="customer_id"), G, by="segment")
    axes = opportunity_landscapes(seg, "segment")
    assert sum(1 for a in axes.flat if a.get_title(loc="left").startswith("segment = ")) == 2
    plt.close(axes.flat[0].figure)
    assert unmet_chart(unmet_by_step(opp, G)).get_xlabel().startswith("unmet need")
    plt.close("all")


def test_needs_heatmap_and_alignment_chart_texts_do_not_overlap():
    from cem import load_study
    from cem.needs import opportunity
    from cem.plots import alignment_chart, needs_heatmap

    study = load_study(EXAMPLES / "solar")
    G = study.graph
    for ax, heat in ((needs_heatmap(G), True), (needs_heatmap(G, opportunity(study.survey(), G)), True),
                     (alignment_chart(G), False)):
        fig = ax.figure
        fig.canvas.draw()
        r = fig.canvas.get_renderer()
        labels = [t for t in ax.get_yticklabels() if t.get_text()] if heat else [t for t in ax.texts
                                                                                 if t.get_bbox_patch() is not None]
        boxes = [t.get_window_extent(r) for t in labels]
        assert len(boxes) >= 10
        assert not [(a, b) for a, b in itertools.combinations(range(len(boxes)), 2) if boxes[a].overlaps(boxes[b])]
        plt.close(fig)
    # the alignment chart marks the misalignments of the gaps table in red
    ax = alignment_chart(G)
    red = [t.get_text().replace("\n", " ") for t in ax.texts if t.get_bbox_patch() is not None
           and t.get_bbox_patch().get_edgecolor()[:3] == RED]
    assert any("Cross-sell" in t for t in red) and any("Decide on the next" in t for t in red)
    plt.close(ax.figure)
