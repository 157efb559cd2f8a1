"""The journey map and its poster: they draw, mark the gaps, and stay readable at 20+ steps."""
import itertools

import matplotlib.pyplot as plt
import pytest

from cem import load_model
from cem.gaps import find_gaps
from cem.plots import gap_chart, journey_map, save_figure
from conftest import EXAMPLES

from .helpers import big_model, text_boxes


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
