"""Figures of the journeys customers actually take (from an event log): the flow over the designed
journey, the funnel, and the most frequent variants."""
from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from ..graph import journey_steps
from ._style import _wrap
from .style import PALETTE, figure_style, finish_axes, format_percent, new_figure, percent_formatter, step_names

if TYPE_CHECKING:
    import networkx as nx
    import pandas as pd
    from matplotlib.axes import Axes

__all__ = ["flow_map", "funnel_chart", "variants_chart"]

#: Bend of the arcs: observed transitions above the steps, the designed order below.
_OBSERVED_RAD, _DESIGNED_RAD = 0.35, 0.25
#: Half the height of a step's box, in step widths (the x unit; the axes keep x and y equal).
_BOX = 0.3


def flow_map(G: nx.MultiDiGraph, transitions: pd.DataFrame, *, ax: Axes | None = None,
             min_share: float = 0.005, size: str = "screen") -> Axes:
    """The actual flow drawn over the designed journey.

    Customer steps stand left to right in the designed order. Grey arcs below the line are the
    designed ``next`` edges; arcs above are the observed transitions between different steps,
    their width by volume: blue where the design has them, red where it does not (skips,
    returns, unexpected paths). Transitions under ``min_share`` of all are left out for
    legibility.

    The axes keep one unit of x equal to one of y, so an arc between steps ``d`` apart bends
    ``rad * d / 2`` away from the line (a quadratic Bezier through a control point ``rad * d``
    off the chord); the limits are set from the highest arc drawn, so no arc is cut and no band
    is left empty.

    Parameters
    ----------
    G : networkx.MultiDiGraph
    transitions : pandas.DataFrame
        ``source, target, count`` between steps (:func:`cem.journeys.dfg` on ``step``).
    ax : matplotlib.axes.Axes, optional
    min_share : float
    size : {"screen", "print"}

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import cem, pandas as pd
    >>> G = cem.load_model("cem/examples/payroll")  # doctest: +SKIP
    >>> flow_map(G, pd.DataFrame(columns=["source", "target", "count"]))  # doctest: +SKIP
    """
    from matplotlib.lines import Line2D
    from matplotlib.patches import FancyArrowPatch

    steps = journey_steps(G)
    x = {s: i for i, s in enumerate(steps)}
    t = transitions[(transitions["source"] != transitions["target"]) & transitions["source"].isin(x)
                    & transitions["target"].isin(x)]
    total = t["count"].sum() or 1
    t = t[t["count"] / total >= min_share]
    top = t["count"].max() if len(t) else 1
    designed = [(x[u], x[v]) for u, v, k in G.edges(keys=True) if k == "next" and u in x and v in x]
    # An arc3 arc between points d apart bulges rad * d / 2 (equal axes); its sign picks the side.
    above = max([_OBSERVED_RAD * abs(b - a) / 2 for a, b in zip(t["source"].map(x), t["target"].map(x))],
                default=0)
    below = max([_DESIGNED_RAD * abs(b - a) / 2 for a, b in designed], default=0)
    width = len(steps) + 0.4
    height = 2 * _BOX + 0.3 + above + below + 0.25
    with figure_style(size) as m:
        axes_w = m.width - 0.2 if ax is None else ax.figure.get_figwidth() * ax.get_position().width
        # Characters a step's box holds at the smallest font (about 0.6 em a character); below
        # eight, the boxes show the steps' numbers and a key below names them.
        chars = int(axes_w / width * 72 * 0.9 / (0.6 * m.min_font))
        numbered = chars < 8
        cols = 2 if m.name == "print" else 3
        per_col = -(-len(steps) // cols)
        key = []
        if numbered:
            for c in range(cols):
                entries = []
                for i, s in list(enumerate(steps))[c * per_col:(c + 1) * per_col]:
                    lines = _wrap(G.nodes[s].get("name", s), 88 // cols - 6, 2)
                    entries.append(f"{i + 1:>2}  {lines[0]}" + "".join(f"\n      {line}" for line in lines[1:]))
                key.append("\n".join(entries))
        if ax is None:
            key_in = max((k.count("\n") + 1 for k in key), default=0) * m.small * 1.6 / 72
            _, ax = new_figure(m, axes_w * height / width + 1.1 + key_in)
        for a, b in designed:
            ax.add_patch(FancyArrowPatch((a, -_BOX), (b, -_BOX),
                                         connectionstyle=f"arc3,rad={_DESIGNED_RAD if b > a else -_DESIGNED_RAD}",
                                         arrowstyle="-|>", mutation_scale=8, color="#b3b6b7", lw=1.2))
        for row in t.itertuples():
            is_designed = G.has_edge(row.source, row.target, "next")
            a, b = x[row.source], x[row.target]
            rad = -_OBSERVED_RAD if b > a else _OBSERVED_RAD
            ax.add_patch(FancyArrowPatch((a, _BOX), (b, _BOX), connectionstyle=f"arc3,rad={rad}", arrowstyle="-|>",
                                         mutation_scale=10, lw=0.6 + 5 * row.count / top, alpha=0.75,
                                         color=PALETTE["secondary"] if is_designed else PALETTE["bad"]))
        for s, i in x.items():
            label = str(i + 1) if numbered else "\n".join(_wrap(G.nodes[s].get("name", s), min(chars, 16), 4))
            ax.text(i, 0, label, ha="center", va="center", fontsize=m.min_font if not numbered else m.small,
                    bbox=dict(boxstyle="round,pad=0.3", fc="white", ec=PALETTE["muted"], lw=0.8))
        ax.set_xlim(-0.7, len(steps) - 0.3)
        ax.set_ylim(-(_BOX + below + 0.15), _BOX + above + 0.15)
        ax.set_aspect("equal", adjustable="box")  # both limits fixed: the box, not the limits, gives way
        ax.axis("off")
        legend = ax.legend(handles=[Line2D([], [], color=PALETTE["secondary"], lw=3, label="observed, designed"),
                                    Line2D([], [], color=PALETTE["bad"], lw=3, label="observed, not designed"),
                                    Line2D([], [], color="#b3b6b7", lw=1.5, label="designed order")],
                           loc="upper center", bbox_to_anchor=(0.5, 0), ncol=3, fontsize=m.small)
        for c, text in enumerate(key):  # the key of the numbered steps, in columns under the legend
            ax.annotate(text, xy=(c / cols, 0), xycoords=("axes fraction", legend), xytext=(0, -4),
                        textcoords="offset points", ha="left", va="top", fontsize=m.small)
        ax.set_title("Actual flow over the designed journey (width: volume)", fontsize=m.title)
    return ax


def funnel_chart(funnel: pd.DataFrame, *, ax: Axes | None = None, size: str = "screen") -> Axes:
    """Customers reaching each designed step, as bars in the journey's order, with the drop-off.

    A drop-off is written only where it is a loss (more customers reach a step than the next);
    a step reached by more customers than the one before it (returns, or a step the log starts at)
    shows its count alone.

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame({"step": ["A", "B"], "name": ["Apply", "Pay"], "customers": [100, 80],
    ...                       "drop_off": [None, 0.2]})
    >>> [t.get_text() for t in funnel_chart(table).texts]
    [' 100', ' 80  (-20 %)']
    """
    from matplotlib.ticker import FuncFormatter

    with figure_style(size) as m:
        if ax is None:
            per_row = 0.34 if m.name == "print" else 0.4
            _, ax = new_figure(m, per_row * max(len(funnel), 4) + 1.0)
        y = list(range(len(funnel)))
        ax.barh(y, funnel["customers"], color=PALETTE["light"], height=0.7)
        for i, (n, d) in enumerate(zip(funnel["customers"], funnel["drop_off"])):
            label = f"{n:,}" + (f"  (-{format_percent(d, places=0 if d >= 0.01 else 1)})"
                                if pd_notna(d) and d >= 0.0005 else "")
            ax.text(n, i, " " + label, va="center", fontsize=m.small)
        ax.set_xlim(0, max(funnel["customers"].max(), 1) * 1.3)
        names = funnel["name"].fillna(funnel["step"]) if "name" in funnel else funnel["step"]
        ax.set_yticks(y, ["\n".join(_wrap(t, 30, 2)) for t in names])
        ax.set_ylim(len(funnel) - 0.5, -0.5)
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:,.0f}"))
        ax.set_xlabel("customers reaching the step")
        finish_axes(ax, m, grid="x")
    return ax


def variants_chart(variants: pd.DataFrame, *, ax: Axes | None = None, top: int = 10,
                   names: nx.MultiDiGraph | Mapping[str, str] | None = None, size: str = "screen") -> Axes:
    """The most frequent variants (paths) and the share of cases that take each.

    Parameters
    ----------
    variants : pandas.DataFrame
        :func:`cem.journeys.variants`: ``variant`` ("A > B > C") and ``share``.
    ax : matplotlib.axes.Axes, optional
    top : int
    names : networkx.MultiDiGraph or mapping, optional
        Names the parts of a variant are shown by (step ids become step names).
    size : {"screen", "print"}

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame({"variant": ["S1 > S2", "S1"], "share": [0.75, 0.25]})
    >>> ax = variants_chart(table, names={"S1": "Apply", "S2": "Pay"})
    >>> [t.get_text() for t in ax.get_yticklabels()], ax.xaxis.get_major_formatter()(50, 0)
    (['Apply > Pay', 'Apply'], '50 %')
    """
    lookup = step_names(names)
    head = variants.head(top)
    with figure_style(size) as m:
        if ax is None:
            per_row = 0.42 if m.name == "print" else 0.5
            _, ax = new_figure(m, per_row * max(len(head), 3) + 1.0)
        y = list(range(len(head)))
        ax.barh(y, head["share"] * 100, color=PALETTE["teal"], height=0.7)
        width = 60 if m.name == "print" else 90
        labels = []
        for v in head["variant"]:
            parts = [lookup.get(p, p) for p in str(v).split(" > ")]
            text = " > ".join(parts) if len(parts) <= 6 else " > ".join(parts[:3] + ["..."] + parts[-2:])
            labels.append("\n".join(_wrap(text, width, 3)))
        ax.set_yticks(y, labels)
        ax.set_ylim(len(head) - 0.5, -0.5)
        ax.xaxis.set_major_formatter(percent_formatter(scale=100))
        ax.set_xlabel("share of cases")
        finish_axes(ax, m, grid="x")
    return ax


def pd_notna(value):
    """True for a value that is neither None nor NaN."""
    return value is not None and value == value
