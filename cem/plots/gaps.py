"""Figures of the design gaps: how many of each type (:func:`gap_chart`), and the customer's steps
against the company steps supporting them (:func:`alignment_chart`)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..gaps import GAP_TYPES, SEVERITIES
from ..graph import company_jobs, job_steps, journey_steps, related
from ._style import SEVERITY_COLORS, _wrap
from .style import PALETTE, figure_style, finish_axes, new_figure

if TYPE_CHECKING:
    import networkx as nx
    import pandas as pd
    from matplotlib.axes import Axes

__all__ = ["gap_chart", "alignment_chart"]


def gap_chart(gaps: pd.DataFrame, *, ax: Axes | None = None, size: str = "screen") -> Axes:
    """Horizontal bars: how many gaps of each type, stacked by severity.

    Parameters
    ----------
    gaps : pandas.DataFrame
        From :func:`cem.gaps.find_gaps`.
    ax : matplotlib.axes.Axes, optional
    size : {"screen", "print"}

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import pandas as pd
    >>> gaps = pd.DataFrame({"gap": ["untouched_step"], "severity": ["high"]})
    >>> gap_chart(gaps).get_xlabel()
    'number of gaps'
    """
    import pandas as pd

    table = pd.crosstab(gaps["gap"], gaps["severity"]).reindex(columns=list(SEVERITIES), fill_value=0)
    table = table.loc[table.sum(axis=1).sort_values(ascending=False).index]
    with figure_style(size) as m:
        if ax is None:
            _, ax = new_figure(m, 0.34 * max(len(table), 3) + 1.2)
        left = None
        labels = ["\n".join(_wrap(GAP_TYPES.get(g, g), 40, 2)) for g in table.index]
        y = list(range(len(table)))
        for sev in SEVERITIES:
            vals = table[sev].to_numpy()
            ax.barh(y, vals, left=left, color=SEVERITY_COLORS[sev], label=sev, height=0.7)
            left = vals if left is None else left + vals
        ax.set_yticks(y, labels)
        ax.set_ylim(len(table) - 0.5, -0.5)
        ax.set_xlabel("number of gaps")
        ax.legend(title="severity", loc="lower right")
        ax.xaxis.get_major_locator().set_params(integer=True)
        finish_axes(ax, m, grid="x")
    return ax


def alignment_chart(G: nx.MultiDiGraph, *, ax: Axes | None = None, size: str = "screen") -> Axes:
    """Customer steps (left, top to bottom) against the company steps that support them (right),
    joined by lines.

    Customer steps no company step supports, and company steps that support nothing, are drawn
    in red: the misalignments the gaps table lists.

    Examples
    --------
    >>> import cem
    >>> ax = alignment_chart(cem.load_model("cem/examples/solar"))  # doctest: +SKIP
    """
    customer = journey_steps(G)
    company = [s for j in company_jobs(G) for s in job_steps(G, j)]
    rows = max(len(customer), len(company), 1)
    span = max(rows - 1, 1)
    yc = {s: (i * span / max(len(customer) - 1, 1) if len(customer) > 1 else span / 2) for i, s in enumerate(customer)}
    yk = {s: (i * span / max(len(company) - 1, 1) if len(company) > 1 else span / 2) for i, s in enumerate(company)}
    with figure_style(size) as m:
        if ax is None:
            per_row = 0.36 if m.name == "print" else 0.42
            _, ax = new_figure(m, per_row * rows + 1.0)
        # Columns at 0 (customer) and 1 (company); boxes wrapped to a third of the width each.
        chars = max(20, int(ax.figure.get_figwidth() * 0.27 * 72 / (0.55 * m.min_font)))
        for c in company:
            for s in related(G, c, "supports"):
                if s in yc:
                    ax.plot([0.3, 0.7], [yc[s], yk[c]], color=PALETTE["muted"], lw=0.9, alpha=0.7)
        for s, y in yc.items():
            alone = not related(G, s, "supports", "in")
            ax.text(0.3, y, "\n".join(_wrap(G.nodes[s].get("name", s), chars, 2)), ha="right", va="center",
                    fontsize=m.min_font,
                    bbox=dict(boxstyle="round,pad=0.25", fc="#fdedec" if alone else "#ebf5fb",
                              ec="#c0392b" if alone else "#2e86c1"))
        for c, y in yk.items():
            idle = not related(G, c, "supports")
            ax.text(0.7, y, "\n".join(_wrap(G.nodes[c].get("name", c), chars, 2)), ha="left", va="center",
                    fontsize=m.min_font,
                    bbox=dict(boxstyle="round,pad=0.25", fc="#fdedec" if idle else "#fef9e7",
                              ec="#c0392b" if idle else "#b7950b"))
        ax.set_xlim(0, 1)
        ax.set_ylim(span + 0.6, -0.6)
        ax.axis("off")
        ax.set_title("Customer's steps (left) and the company's and partners' steps supporting them (right)",
                     fontsize=m.font, fontweight="bold")
        ax.text(0.5, -0.01, "red: a customer step nothing supports, or a company step that supports nothing",
                transform=ax.transAxes, ha="center", va="top", fontsize=m.small, color=PALETTE["bad"])
    return ax
