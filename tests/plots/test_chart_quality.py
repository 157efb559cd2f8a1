"""Chart quality as a tested property (issue #15): every public chart of cem.plots, drawn from real
studies at every size of cem's style (screen and print), has

- no two texts over each other (tick labels, axis labels, titles, legends, annotations, keys);
- nothing beyond the figure's edges, and no bar, arc or box cut by the edge of its axes;
- no text smaller than the size's readable minimum (7 pt);
- no offset or exponent on an axis ("1e7"): money reads "12.9 M EUR".

``cem.plots.__all__`` is enumerated, so a new chart cannot escape: it needs an entry in
tests/plots/chart_inputs.py (or to be named there as not a chart). Each drawn chart is saved as a
PNG under $CEM_CHART_DIR (default: the test's temporary folder) to be looked at.
"""
from __future__ import annotations

import importlib
import inspect
import itertools
import os
import pkgutil
import re
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.legend import Legend
from matplotlib.lines import Line2D
from matplotlib.text import Text

import cem.plots

from .chart_inputs import CHARTS, NOT_CHARTS, figure_of, inputs

SIZES = list(cem.plots.SIZES)
#: How far (pixels) a text may reach past another or past the figure before it counts.
TOLERANCE = 1.0


def public_names():
    """Every public name of cem.plots and of each of its modules (a chart a module exports but the
    package does not is still a chart a notebook draws)."""
    names = {n: getattr(cem.plots, n) for n in cem.plots.__all__}
    for info in pkgutil.iter_modules(cem.plots.__path__):
        if not info.name.startswith("_"):
            module = importlib.import_module(f"cem.plots.{info.name}")
            names.update({n: getattr(module, n) for n in getattr(module, "__all__", [])})
    return names


def test_every_public_chart_is_checked():
    public = public_names()
    assert sorted(set(public) - set(CHARTS) - NOT_CHARTS) == []  # a new chart needs inputs in chart_inputs.py
    assert sorted(set(CHARTS) - set(public)) == []
    # every chart draws at every size of the style
    assert [n for n in CHARTS if "size" not in inspect.signature(public[n]).parameters] == []


def _drawn_ticklabels(axis):
    """The tick labels matplotlib draws (inside the view), not the spare ticks it keeps."""
    ticks = axis._update_ticks()  # the ticks inside the view interval: the ones drawn
    return [label for tick in ticks for label in (tick.label1, tick.label2) if label.get_visible()]


def texts_of(fig):
    """Every text drawn in a figure: titles, axis labels, drawn tick labels, offset texts, texts and
    annotations, legends (and their titles), figure texts."""
    found = []
    for ax in fig.axes:
        if not ax.get_visible():
            continue
        found += [ax.title, ax._left_title, ax._right_title]
        if ax.axison:
            for axis in (ax.xaxis, ax.yaxis):
                if axis.get_visible():
                    found += [axis.label, axis.get_offset_text()] + _drawn_ticklabels(axis)
        found += ax.texts
        legends = [ax.get_legend()] + [c for c in ax.get_children() if isinstance(c, Legend)]
        for legend in {id(lg): lg for lg in legends if lg is not None}.values():
            found += legend.get_texts() + [legend.get_title()]
    found += fig.texts + [t for lg in fig.legends for t in lg.get_texts() + [lg.get_title()]]
    if fig._suptitle is not None:
        found.append(fig._suptitle)
    unique = {id(t): t for t in found}.values()  # a suptitle is also among the figure's texts
    return [t for t in unique if t.get_visible() and t.get_text().strip()]


def chart_problems(fig, min_font):
    """What is wrong with a drawn figure, as readable lines (empty when nothing is)."""
    fig.canvas.draw()
    r = fig.canvas.get_renderer()
    problems = []
    texts = texts_of(fig)
    boxes = [Text.get_window_extent(t, r) for t in texts]  # the text's own box, not an arrow
    width, height = fig.bbox.width, fig.bbox.height
    for t, b in zip(texts, boxes):
        label = repr(t.get_text()[:40])
        if b.x0 < -TOLERANCE or b.y0 < -TOLERANCE or b.x1 > width + TOLERANCE or b.y1 > height + TOLERANCE:
            problems.append(f"text {label} beyond the figure's edge")
        if t.get_fontsize() < min_font - 1e-6:
            problems.append(f"text {label} at {t.get_fontsize():.1f} pt, under {min_font} pt")
    # Pairs whose boxes overlap by more than the tolerance, in one numpy pass per text.
    arr = np.array([[b.x0, b.y0, b.x1, b.y1] for b in boxes]).reshape(-1, 4)
    for i in range(len(arr)):
        others = arr[i + 1:]
        dx = np.minimum(arr[i, 2], others[:, 2]) - np.maximum(arr[i, 0], others[:, 0])
        dy = np.minimum(arr[i, 3], others[:, 3]) - np.maximum(arr[i, 1], others[:, 1])
        for j in np.nonzero((dx > TOLERANCE) & (dy > TOLERANCE))[0]:
            a, b = texts[i].get_text(), texts[i + 1 + j].get_text()
            if a.startswith("! ") or b.startswith("! "):
                continue  # the journey map's gap flag sits on its box's corner on purpose
            problems.append(f"texts {a[:40]!r} and {b[:40]!r} overlap")
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            if axis.get_offset_text().get_visible() and axis.get_offset_text().get_text().strip():
                problems.append(f"offset text {axis.get_offset_text().get_text()!r} on an axis")
            for t in _drawn_ticklabels(axis):
                if re.search(r"\de[+-]?\d|\u00d710", t.get_text()):
                    problems.append(f"tick label {t.get_text()!r} in scientific notation")
        # Bars, arcs and boxes whole inside their axes: none cut at its edge.
        frame = ax.bbox
        artists = list(ax.patches) + [ln for ln in ax.lines if isinstance(ln, Line2D) and ln.get_transform()
                                      .contains_branch(ax.transData)]
        for artist in artists:
            if not artist.get_visible():
                continue
            e = artist.get_window_extent(r)
            if not np.all(np.isfinite([e.x0, e.y0, e.x1, e.y1])) or e.width == e.height == 0:
                continue
            slack = TOLERANCE + (artist.get_markersize() * fig.dpi / 72 / 2 + 1 if isinstance(artist, Line2D) else 0)
            if e.x0 < frame.x0 - slack or e.x1 > frame.x1 + slack or e.y0 < frame.y0 - slack or \
                    e.y1 > frame.y1 + slack:
                problems.append(f"{type(artist).__name__} cut at the edge of its axes "
                                f"({e.x0:.0f}..{e.x1:.0f} x {e.y0:.0f}..{e.y1:.0f} px beyond "
                                f"{frame.x0:.0f}..{frame.x1:.0f} x {frame.y0:.0f}..{frame.y1:.0f})")
    return problems


def _cases():
    return [pytest.param(name, i, size, id=f"{name}-{i}-{size}")
            for name, draws in CHARTS.items() for i in range(len(draws)) for size in SIZES]


@pytest.mark.parametrize(("name", "i", "size"), _cases())
def test_chart_is_clean(name, i, size, tmp_path):
    fig = figure_of(CHARTS[name][i](inputs(), size))
    try:
        problems = chart_problems(fig, cem.plots.SIZES[size].min_font)
        folder = Path(os.environ.get("CEM_CHART_DIR", tmp_path))
        folder.mkdir(parents=True, exist_ok=True)
        fig.savefig(folder / f"{name}-{i}-{size}.png", dpi=72)
    finally:
        plt.close(fig)
    assert problems == [], f"{name} ({size}): " + "; ".join(itertools.islice(problems, 12))


def test_the_check_sees_the_defects_it_is_for():
    """The checks fail on a chart with each defect: overlapping labels, an offset "1e7", a bar
    beyond its axes, text past the figure edge and a tiny font."""
    fig, ax = plt.subplots(figsize=(3, 2))
    ax.bar([0, 1], [2e7, 3e7])
    ax.set_ylim(0, 2.5e7)  # the second bar runs off the top
    ax.set_xticks([0, 0.05], ["a long label here", "another long label"])
    ax.text(2.5, 1e7, "beyond", fontsize=5)
    problems = " | ".join(chart_problems(fig, 7))
    plt.close(fig)
    for expected in ("overlap", "offset text", "cut at the edge", "beyond the figure", "under 7"):
        assert expected in problems
