"""The journey map drawn: :func:`journey_map` lays the model out (:func:`journey_layout`) and
:func:`draw_journey` draws that layout, one lane at a time under the stage band."""
from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from ._style import (
    _COL_IN,
    _ENTITY_COLORS,
    _FONT,
    _LABEL_COLS,
    _LINE_IN,
    _STAGE_COLORS,
    SEVERITY_COLORS,
    _plain,
    _plt,
)
from .style import figure_style
from .journey_layout import JourneyLayout, journey_layout

if TYPE_CHECKING:
    import networkx as nx
    import pandas as pd
    from matplotlib.axes import Axes

__all__ = ["journey_map", "draw_journey"]


def journey_map(G: nx.MultiDiGraph, gaps: pd.DataFrame | None = None, *, ax: Axes | None = None,
                title: str | None = None, steps: Sequence[str] | None = None, compact: bool = False,
                font: float | None = None, wrap: int | None = None, legend: bool = True,
                size: str = "screen") -> Axes:
    """Draw the journey map: steps by stage, lanes for company jobs, actors and channels.

    Parameters
    ----------
    G : networkx.MultiDiGraph
        The journey graph.
    gaps : pandas.DataFrame, optional
        From :func:`cem.gaps.find_gaps`; computed when None. Steps, company steps and
        touchpoints with a gap get a coloured outline and a count, in the colour of their most
        severe gap.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure sized to the model when None.
    title : str, optional
        Defaults to the model's name.
    steps : list of str, optional
        Draw only these customer steps (a slice of the journey, for a poster's rows).
    compact : bool
        One lane per entity instead of per actor, and one touchpoint lane for all channels.
    font, wrap : float, int, optional
        Font size and characters per line (defaults 6.5 and 17); a poster sets them to fit its page.
    legend : bool
        Draw the legend below the map.
    size : {"screen", "print"}
        cem's style at that size (type, colours); the map itself grows with the model, its texts
        never under 7 pt (a page-sized map is :func:`cem.plots.poster`).

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import cem
    >>> G = cem.load_model("cem/examples/solar")  # doctest: +SKIP
    >>> ax = cem.plots.journey_map(G)  # doctest: +SKIP
    >>> ax.figure.savefig("journey.png")  # doctest: +SKIP
    """
    layout = journey_layout(G, gaps=gaps, steps=steps, compact=compact, wrap=wrap)
    return draw_journey(layout, ax=ax, title=title, font=font, legend=legend, size=size)


def draw_journey(layout: JourneyLayout, *, ax: Axes | None = None, title: str | None = None,
                 font: float | None = None, legend: bool = True, size: str = "screen") -> Axes:
    """Draw a journey map's layout.

    Parameters
    ----------
    layout : JourneyLayout
        From :func:`cem.plots.journey_layout.journey_layout`.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure of ``layout.figsize`` when None.
    title : str, optional
        Defaults to ``layout.name``, the model's name.
    font : float, optional
        Font size (default 7.5; the smallest texts are half a point smaller).
    legend : bool
        Draw the legend below the map.
    size : {"screen", "print"}
        cem's style at that size.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> from cem.graph import build_graph
    >>> from cem.plots.journey_layout import journey_layout
    >>> tables = {"model": {"name": "Demo"}, "links": [],
    ...           "nodes": {"job": [{"id": "J", "name": "Get paid", "performer": "customer"}],
    ...                     "step": [{"id": "A", "job": "J", "name": "Agree", "position": 1, "stage": "purchase"}]}}
    >>> ax = draw_journey(journey_layout(build_graph(tables)))
    >>> ax.get_title(loc="left"), [float(v) for v in ax.get_xlim() + ax.get_ylim()]  # in columns and lines
    ('Demo', [-1.6, 1.0, 5.8, 0.0])
    >>> _plt().close(ax.figure)
    """
    with figure_style(size):
        return _draw_journey(layout, ax, title, font, legend)


def _draw_journey(layout, ax, title, font, legend):
    plt = _plt()
    from matplotlib.lines import Line2D
    from matplotlib.patches import FancyBboxPatch, Rectangle

    F = font or _FONT
    steps = layout.steps
    ncols = layout.ncols
    stage_h = layout.stage_lines
    total = layout.total_lines
    if ax is None:
        _, ax = plt.subplots(figsize=layout.figsize, layout="constrained")
    ax.set_xlim(-_LABEL_COLS, ncols)
    ax.set_ylim(total, 0)
    ax.axis("off")

    for k, (a, b, stage) in enumerate(layout.stage_runs):
        ax.add_patch(Rectangle((a + 0.02, 0.2), b - a - 0.04, stage_h - 0.4, color=_STAGE_COLORS[k % 2], lw=0))
        ax.text((a + b) / 2, stage_h / 2, _plain(str(stage).replace("_", " ").upper()), ha="center", va="center",
                fontsize=F, fontweight="bold", color="#1b4f72")

    def outline(node):
        worst = layout.worst_gap(node)
        return None if worst is None else SEVERITY_COLORS[worst]

    def gap_flag(x, y, node):
        color = outline(node)
        if color:
            ax.text(x, y, f"! {len(layout.gaps[node])}", ha="right", va="top", fontsize=F - 0.5,
                    color="white", fontweight="bold",
                    bbox=dict(boxstyle="round,pad=0.15", fc=color, ec="none"))

    y = stage_h
    for lane in layout.lanes:
        kind, cells, h = lane.kind, lane.cells, lane.height
        ax.axhline(y, color="#dddddd", lw=0.5, xmin=0, xmax=1)
        ax.text(-_LABEL_COLS + 0.05, y + h / 2, "\n".join(lane.label_lines), ha="left", va="center",
                fontsize=F, color="#333333", fontweight="bold" if kind in ("step", "company") else "normal")
        if kind == "step":
            for c, lines in cells.items():
                node = steps[c]
                color = outline(node)
                ax.add_patch(FancyBboxPatch((c + 0.06, y + 0.3), 0.88, h - 0.6, boxstyle="round,pad=0,rounding_size=0.05",
                                            fc="#fdfefe", ec=color or "#2e86c1", lw=1.6 if color else 0.8,
                                            mutation_aspect=1 / (_COL_IN / _LINE_IN)))
                ax.text(c + 0.5, y + 1.2, "\n".join(lines[:-1]), ha="center", va="top", fontsize=F,
                        linespacing=1.1)
                ax.text(c + 0.5, y + h - 0.5, lines[-1], ha="center", va="bottom", fontsize=F - 0.5,
                        color="#555555", style="italic")
                gap_flag(c + 0.93, y + 0.05, node)
        elif kind in ("company", "touchpoint"):
            for c, boxes in cells.items():
                yy = y + 0.5
                for node, lines in boxes:
                    color = outline(node)
                    fc = "#fef9e7" if kind == "company" else "#f4ecf7"
                    ax.text(c + 0.5, yy, "\n".join(lines), ha="center", va="top", fontsize=F - 0.5,
                            linespacing=1.05, bbox=dict(boxstyle="round,pad=0.25", fc=fc, ec=color or "#bbbbbb",
                                                        lw=1.4 if color else 0.5, ls="--" if color else "-"))
                    if color:
                        ax.plot([c + 0.9], [yy + 0.1], marker="o", ms=4, color=color)
                    yy += len(lines) + 0.4
        else:
            etype = lane.entity_type
            for c, (own, n_needs) in cells.items():
                fc = _ENTITY_COLORS.get(etype, "#7f7f7f") if own else "white"
                ax.plot([c + 0.5], [y + h / 2], marker="o", ms=11, mfc=fc, mec=_ENTITY_COLORS.get(etype, "#7f7f7f"),
                        mew=1.2)
                if n_needs:
                    ax.text(c + 0.5, y + h / 2, str(n_needs), ha="center", va="center", fontsize=F - 0.5,
                            color="white" if own else "#333333", fontweight="bold")
        y += h
    ax.axhline(y, color="#dddddd", lw=0.5)

    ax.set_title(_plain(layout.name if title is None else title), loc="left", fontsize=F + 4, fontweight="bold")
    handles = [Line2D([], [], marker="o", ls="", mfc=_ENTITY_COLORS["customer"], mec=_ENTITY_COLORS["customer"],
                      label="performs the customer step (number: its needs)"),
               Line2D([], [], marker="o", ls="", mfc="white", mec="#555555",
                      label="performs a company step supporting it")]
    handles += [Line2D([], [], marker="s", ls="", mfc=c, mec=c, label=f"{s} gap") for s, c in SEVERITY_COLORS.items()]
    if legend:
        # one row of five keys takes about 11 inches: a narrower map (a small model) stacks them, or
        # the constrained layout squeezes the map to make room and still cuts the keys
        width = ax.figure.get_figwidth()
        ncol = 5 if width >= 11 else 3 if width >= 7.5 else 2
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(0, 0), ncol=ncol, fontsize=F, frameon=False,
                  borderaxespad=0.2)
    return ax
