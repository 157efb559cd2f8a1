"""Whole figures: saving one in several formats, and the journey map as a printable poster."""
from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib

from ..gaps import find_gaps
from ..graph import journey_steps
from ._style import _COL_IN, _FONT, _LABEL_COLS, _LINE_IN, _WRAP, _plain, _plt
from .journey_draw import journey_map
from .journey_layout import journey_layout

if TYPE_CHECKING:
    import networkx as nx
    import pandas as pd
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["save_figure", "poster", "A3_LANDSCAPE"]


def save_figure(ax_or_fig: Axes | Figure, folder: str | Path, name: str, *, formats: Iterable[str] = ("png", "svg"),
                dpi: float = 150) -> list[Path]:
    """Save a figure under ``folder/name.<format>`` for every format; return the paths.

    Examples
    --------
    >>> import matplotlib.pyplot as plt, tempfile
    >>> fig, ax = plt.subplots()
    >>> [p.suffix for p in save_figure(ax, tempfile.mkdtemp(), "empty")]
    ['.png', '.svg']
    """
    fig = ax_or_fig.figure if hasattr(ax_or_fig, "figure") and not isinstance(ax_or_fig, matplotlib.figure.Figure) \
        else ax_or_fig
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for fmt in formats:
        path = folder / f"{name}.{fmt}"
        fig.savefig(path, dpi=dpi, bbox_inches="tight")
        paths.append(path)
    return paths


#: A3 landscape, in inches.
A3_LANDSCAPE = (16.54, 11.69)


def poster(G: nx.MultiDiGraph, gaps: pd.DataFrame | None = None, *, steps_per_row: int = 12, title: str | None = None,
           size: tuple[float, float] = A3_LANDSCAPE) -> Figure:
    """The journey map as a poster: one page (A3 landscape by default), the journey in rows.

    Steps are split into rows of at most ``steps_per_row``; each row is a compact journey map
    (a lane per entity, one touchpoint lane). Font size and line width are chosen so the rows fill
    the page without text running into text; a 30-step model prints at about 5-6 pt.

    Returns
    -------
    matplotlib.figure.Figure
        Save it with :func:`save_figure` (PNG, SVG or PDF keep the page size).

    Examples
    --------
    >>> import cem
    >>> fig = cem.plots.poster(cem.load_model("cem/examples/solar"))  # doctest: +SKIP
    >>> cem.plots.save_figure(fig, "out", "poster", formats=("pdf",))  # doctest: +SKIP
    """
    plt = _plt()
    from matplotlib.gridspec import GridSpec

    if gaps is None:
        gaps = find_gaps(G)
    steps = journey_steps(G)
    n_rows = max(1, -(-len(steps) // steps_per_row))
    per_row = -(-len(steps) // n_rows)
    chunks = [steps[i:i + per_row] for i in range(0, len(steps), per_row)]
    width, height = size
    col_in = (width - 0.5) / (per_row + _LABEL_COLS)
    # Each row's height in text lines at the default wrap, then the font scaled to the page.
    lines = [journey_layout(G, gaps=gaps, steps=chunk, compact=True).total_lines for chunk in chunks]
    usable = height - 1.2 - 0.35 * len(chunks)  # title, legend and gaps between rows
    line_in = min(_LINE_IN, usable / sum(lines), col_in / _COL_IN * _LINE_IN)
    font = _FONT * line_in / _LINE_IN
    wrap = max(8, int(_WRAP * (col_in / _COL_IN) * (_FONT / font) * 0.92))
    fig = plt.figure(figsize=size)
    grid = GridSpec(len(chunks), 1, figure=fig, height_ratios=lines, left=0.01, right=0.99, top=0.93, bottom=0.07,
                    hspace=0.35 / max(usable / len(chunks), 1))
    for i, chunk in enumerate(chunks):
        ax = fig.add_subplot(grid[i])
        journey_map(G, gaps=gaps, ax=ax, steps=chunk, compact=True, font=font, wrap=wrap, title="",
                    legend=i == len(chunks) - 1)
        ax.set_xlim(-_LABEL_COLS, per_row)
    fig.suptitle(_plain(title or G.graph.get("name", "Journey map")), x=0.01, ha="left", fontsize=14, fontweight="bold")
    return fig
