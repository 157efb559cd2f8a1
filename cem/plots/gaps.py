"""Figures of the design gaps: how many of each type (:func:`gap_chart`), and the customer's steps
against the company steps supporting them (:func:`alignment_chart`)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..gaps import GAP_TYPES, SEVERITIES
from ..graph import company_jobs, job_steps, journey_steps, related
from ._style import SEVERITY_COLORS, _plain, _plt, _wrap

if TYPE_CHECKING:
    import networkx as nx
    import pandas as pd
    from matplotlib.axes import Axes

__all__ = ["gap_chart", "alignment_chart"]


def gap_chart(gaps: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Horizontal bars: how many gaps of each type, stacked by severity.

    Parameters
    ----------
    gaps : pandas.DataFrame
        From :func:`cem.gaps.find_gaps`.
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    plt = _plt()
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 0.35 * max(len(GAP_TYPES), 3) + 1))
    import pandas as pd

    table = pd.crosstab(gaps["gap"], gaps["severity"]).reindex(columns=list(SEVERITIES), fill_value=0)
    table = table.loc[table.sum(axis=1).sort_values().index]
    left = None
    labels = [_plain(GAP_TYPES.get(g, g)) for g in table.index]
    for sev in SEVERITIES:
        vals = table[sev].to_numpy()
        ax.barh(labels, vals, left=left, color=SEVERITY_COLORS[sev], label=sev)
        left = vals if left is None else left + vals
    ax.set_xlabel("number of gaps")
    ax.legend(title="severity", frameon=False, fontsize=8)
    ax.spines[["top", "right"]].set_visible(False)
    ax.xaxis.get_major_locator().set_params(integer=True)
    return ax


def alignment_chart(G: nx.MultiDiGraph, *, ax: Axes | None = None) -> Axes:
    """Customer steps (top) against the company steps that support them (below), joined by lines.

    Customer steps no company step supports, and company steps that support nothing, are drawn
    in red: the misalignments the gaps table lists.
    """
    plt = _plt()
    customer = journey_steps(G)
    company = [s for j in company_jobs(G) for s in job_steps(G, j)]
    if ax is None:
        _, ax = plt.subplots(figsize=(max(8, 1.1 * max(len(customer), len(company))), 4.2))
    xc = {s: i for i, s in enumerate(customer)}
    span = max(len(customer) - 1, 1)
    xk = {s: (i * span / max(len(company) - 1, 1) if len(company) > 1 else span / 2) for i, s in enumerate(company)}
    for c in company:
        for s in related(G, c, "supports"):
            if s in xc:
                ax.plot([xk[c], xc[s]], [0, 1], color="#5d6d7e", lw=0.9, alpha=0.7)
    for s, x in xc.items():
        alone = not related(G, s, "supports", "in")
        ax.text(x, 1, "\n".join(_wrap(G.nodes[s].get("name", s), 13, 3)), ha="center", va="bottom", fontsize=6.5,
                bbox=dict(boxstyle="round,pad=0.25", fc="#fdedec" if alone else "#ebf5fb",
                          ec="#c0392b" if alone else "#2e86c1"))
    for c, x in xk.items():
        idle = not related(G, c, "supports")
        ax.text(x, 0, "\n".join(_wrap(G.nodes[c].get("name", c), 13, 3)), ha="center", va="top", fontsize=6.5,
                bbox=dict(boxstyle="round,pad=0.25", fc="#fdedec" if idle else "#fef9e7",
                          ec="#c0392b" if idle else "#b7950b"))
    ax.set_xlim(-0.8, span + 0.8)
    ax.set_ylim(-0.9, 1.9)
    ax.axis("off")
    ax.text(-0.8, 1.75, "Customer's steps", fontsize=9, fontweight="bold")
    ax.text(-0.8, -0.85, "Company's and partners' steps (red: supports nothing / supported by nothing)", fontsize=8)
    return ax
