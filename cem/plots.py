"""Every figure of cem. Each takes ``ax=`` (a new figure when None) and returns the axes.

Every text from a model or data (names, ids, currency, segment values) is drawn as plain text:
matplotlib reads text between two ``$`` as mathtext, so "Pay $50 now, $20 later" would come
out garbled (or fail to draw). :func:`_plain` escapes ``$`` as ``\\$``, which matplotlib draws
as a dollar sign; the escape lives in the string itself, so it also holds for tick labels
matplotlib makes afresh at draw time (``parse_math=False`` would not carry over to those).

The journey map is drawn on a grid: one column per customer step, left to right in the
designed order, under a band naming the lifecycle stage; one lane per company job, per actor
(grouped by entity) and per touchpoint channel. Sizes are counted in text lines so the
figure grows with the model instead of shrinking its text: at 20+ steps it gets wider, not
smaller.
"""
from __future__ import annotations

import textwrap
from collections import defaultdict
from pathlib import Path

import matplotlib

from .gaps import GAP_TYPES, SEVERITIES, find_gaps
from .graph import (
    anchor_step,
    company_jobs,
    job_steps,
    journey_steps,
    needs_at,
    nodes_of,
    related,
)
from .schema import ENTITY_TYPES

__all__ = ["journey_map", "gap_chart", "opportunity_landscape", "opportunity_landscapes", "unmet_chart",
           "experience_curve", "value_waterfall", "step_effects_chart", "clv_distribution", "holdout_chart",
           "flow_map", "funnel_chart", "variants_chart", "needs_heatmap", "alignment_chart", "poster",
           "priority_chart", "save_figure", "SEVERITY_COLORS"]

SEVERITY_COLORS = {"high": "#c0392b", "medium": "#e67e22", "low": "#f1c40f"}
_ENTITY_COLORS = dict(zip(ENTITY_TYPES, ["#1f77b4", "#2ca02c", "#9467bd", "#8c564b", "#17becf", "#7f7f7f"]))
_STAGE_COLORS = ["#eaf2f8", "#d6eaf8"]
_COL_IN = 1.35  # inches per step column
_LINE_IN = 0.14  # inches per text line
_LABEL_COLS = 1.6  # lane-label margin, in columns
_WRAP = 17  # characters per line in a column
_FONT = 6.5


def _plt():
    import matplotlib.pyplot as plt

    return plt


def _plain(text):
    """Text from a model or data as matplotlib draws it literally: no mathtext.

    Examples
    --------
    >>> _plain("Pay $50 now, $20 later")
    'Pay \\\\$50 now, \\\\$20 later'
    >>> _plain(None), _plain(3)
    ('', '3')
    """
    return "" if text is None else str(text).replace("$", "\\$")


def _wrap(text, width=_WRAP, max_lines=None):
    """Model text in lines of ``width`` characters at most, each line made :func:`_plain`."""
    lines = textwrap.wrap(str(text), width=width, break_long_words=True) or [""]
    if max_lines and len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = lines[-1][: width - 1] + "\u2026"
    # Escaped after wrapping: a "\\$" is never split across lines, and widths count what is drawn.
    return [_plain(line) for line in lines]


def _need_badge(G, needs):
    counts = defaultdict(int)
    for n in needs:
        counts[G.nodes[n].get("dimension", "?")] += 1
    if not needs:
        return "no needs"
    parts = [f"{counts[d]}{d[0].upper()}" for d in ("functional", "emotional", "social", "financial") if counts[d]]
    return f"{len(needs)} needs: " + " ".join(parts)


def journey_map(G, gaps=None, ax=None, title=None, steps=None, compact=False, font=None, wrap=None, legend=True):
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

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import cem
    >>> G = cem.load_model("data/examples/solar")  # doctest: +SKIP
    >>> ax = cem.plots.journey_map(G)  # doctest: +SKIP
    >>> ax.figure.savefig("journey.png")  # doctest: +SKIP
    """
    plt = _plt()
    from matplotlib.patches import FancyBboxPatch, Rectangle

    F = font or _FONT
    W = wrap or _WRAP

    if gaps is None:
        gaps = find_gaps(G)
    sev_rank = {s: i for i, s in enumerate(SEVERITIES)}
    gap_at = defaultdict(list)
    for row in gaps.itertuples():
        gap_at[row.node].append(row.severity)

    steps = [s for s in journey_steps(G) if steps is None or s in steps]
    col = {s: i for i, s in enumerate(steps)}
    ncols = max(len(steps), 1)

    # Lanes: (label, kind, cells) where cells maps column -> list of (text, style).
    lanes = []
    step_cells = {}
    for s in steps:
        lines = _wrap(G.nodes[s].get("name", s), max_lines=4, width=W)
        step_cells[col[s]] = lines + [_plain(_need_badge(G, needs_at(G, s)))]
    lanes.append(("Customer steps", "step", step_cells))

    for job in company_jobs(G):
        cells = defaultdict(list)
        for s in job_steps(G, job):
            anchor = anchor_step(G, s)
            if anchor is None or anchor not in col:
                continue
            cells[col[anchor]].append(s)
        if cells:
            label = G.nodes[job].get("name", job)
            lanes.append((label, "company", dict(cells)))

    actors_by_entity = defaultdict(list)
    for a in nodes_of(G, "actor"):
        actors_by_entity[G.nodes[a].get("entity")].append(a)
    entities = sorted(nodes_of(G, "entity"), key=lambda e: ENTITY_TYPES.index(G.nodes[e].get("type", "customer")))
    if compact:  # one lane per entity: its actors together
        actors_by_entity = {e: [actors_by_entity.get(e, [])] for e in entities}
    for e in entities:
        for a in actors_by_entity.get(e, []):
            group = a if isinstance(a, list) else [a]
            cells = {}
            for member in group:
                for s in related(G, member, "performs"):
                    anchor = anchor_step(G, s)
                    if anchor is None or anchor not in col:
                        continue
                    own = s in col
                    n_needs = len(needs_at(G, anchor, actor=member)) if own else len(needs_at(G, s, actor=member))
                    prev = cells.get(col[anchor])
                    if prev is None or (own and not prev[0]):
                        cells[col[anchor]] = (own, n_needs)
                    elif own and prev[0]:
                        cells[col[anchor]] = (True, prev[1] + n_needs)
            who = (G.nodes[e].get("name", e) if len(group) != 1 or compact
                   else f"{G.nodes[e].get('name', e)} \u00b7 {G.nodes[group[0]].get('name', group[0])}")
            lanes.append((who, "actor", {"cells": cells, "entity_type": G.nodes[e].get("type")}))

    channels = defaultdict(lambda: defaultdict(list))
    for t in nodes_of(G, "touchpoint"):
        for s in touchpoints_at_all(G, t):
            if s in col:
                channels[G.nodes[t].get("channel", "other")][col[s]].append(t)
    if compact:  # all channels in one lane
        merged = defaultdict(list)
        for ch in sorted(channels):
            for c, ts in channels[ch].items():
                merged[c].extend(ts)
        channels = {"all channels": merged} if merged else {}
    for ch in sorted(channels):
        lanes.append((f"Touchpoints \u00b7 {ch.replace('_', ' ')}", "touchpoint", dict(channels[ch])))

    # Row heights in text lines, from the tallest cell of each lane.
    def lane_lines(kind, cells):
        if kind == "step":
            return max((len(v) for v in cells.values()), default=1) + 1.8
        if kind == "company":
            return max((sum(len(_wrap(G.nodes[s].get("name", s), max_lines=3, width=W)) for s in v) + 0.4 * (len(v) - 1)
                        for v in cells.values()), default=1) + 1.0
        if kind == "touchpoint":
            return max((sum(len(_wrap(G.nodes[t].get("name", t), max_lines=3, width=W)) for t in v) + 0.4 * (len(v) - 1)
                        for v in cells.values()), default=1) + 1.0
        return 2.0

    heights = [lane_lines(kind, cells if kind != "actor" else {}) for _, kind, cells in lanes]
    stage_h = 2.0
    total = stage_h + sum(heights)
    if ax is None:
        width = (_LABEL_COLS + ncols) * _COL_IN
        height = total * _LINE_IN + 0.6
        _, ax = plt.subplots(figsize=(max(width, 6), max(height, 3)))
    ax.set_xlim(-_LABEL_COLS, ncols)
    ax.set_ylim(total, 0)
    ax.axis("off")

    # Stage band: one box per run of steps in the same stage.
    runs, start = [], 0
    for i in range(1, len(steps) + 1):
        if i == len(steps) or G.nodes[steps[i]].get("stage") != G.nodes[steps[start]].get("stage"):
            runs.append((start, i, G.nodes[steps[start]].get("stage", "")))
            start = i
    for k, (a, b, stage) in enumerate(runs):
        ax.add_patch(Rectangle((a + 0.02, 0.2), b - a - 0.04, stage_h - 0.4, color=_STAGE_COLORS[k % 2], lw=0))
        ax.text((a + b) / 2, stage_h / 2, _plain(str(stage).replace("_", " ").upper()), ha="center", va="center",
                fontsize=F, fontweight="bold", color="#1b4f72")

    def outline(node):
        sev = gap_at.get(node)
        if not sev:
            return None
        return SEVERITY_COLORS[min(sev, key=sev_rank.get)]

    def gap_flag(x, y, node):
        color = outline(node)
        if color:
            ax.text(x, y, f"! {len(gap_at[node])}", ha="right", va="top", fontsize=F - 0.5,
                    color="white", fontweight="bold",
                    bbox=dict(boxstyle="round,pad=0.15", fc=color, ec="none"))

    y = stage_h
    for (label, kind, cells), h in zip(lanes, heights):
        ax.axhline(y, color="#dddddd", lw=0.5, xmin=0, xmax=1)
        ax.text(-_LABEL_COLS + 0.05, y + h / 2, "\n".join(_wrap(label, 26, 3)), ha="left", va="center",
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
                ax.text(c + 0.5, y + h - 0.5, lines[-1], ha="center", va="bottom", fontsize=F - 1,
                        color="#555555", style="italic")
                gap_flag(c + 0.93, y + 0.05, node)
        elif kind in ("company", "touchpoint"):
            for c, nodes in cells.items():
                yy = y + 0.5
                for node in nodes:
                    lines = _wrap(G.nodes[node].get("name", node), max_lines=3, width=W)
                    color = outline(node)
                    fc = "#fef9e7" if kind == "company" else "#f4ecf7"
                    ax.text(c + 0.5, yy, "\n".join(lines), ha="center", va="top", fontsize=F - 0.5,
                            linespacing=1.05, bbox=dict(boxstyle="round,pad=0.25", fc=fc, ec=color or "#bbbbbb",
                                                        lw=1.4 if color else 0.5, ls="--" if color else "-"))
                    if color:
                        ax.plot([c + 0.9], [yy + 0.1], marker="o", ms=4, color=color)
                    yy += len(lines) + 0.4
        else:
            etype = cells["entity_type"]
            for c, (own, n_needs) in cells["cells"].items():
                fc = _ENTITY_COLORS.get(etype, "#7f7f7f") if own else "white"
                ax.plot([c + 0.5], [y + h / 2], marker="o", ms=11, mfc=fc, mec=_ENTITY_COLORS.get(etype, "#7f7f7f"),
                        mew=1.2)
                if n_needs:
                    ax.text(c + 0.5, y + h / 2, str(n_needs), ha="center", va="center", fontsize=F - 0.5,
                            color="white" if own else "#333333", fontweight="bold")
        y += h
    ax.axhline(y, color="#dddddd", lw=0.5)

    ax.set_title(_plain(G.graph.get("name", "Journey map") if title is None else title), loc="left", fontsize=F + 4,
                 fontweight="bold")
    from matplotlib.lines import Line2D

    handles = [Line2D([], [], marker="o", ls="", mfc=_ENTITY_COLORS["customer"], mec=_ENTITY_COLORS["customer"],
                      label="performs the customer step (number: its needs)"),
               Line2D([], [], marker="o", ls="", mfc="white", mec="#555555",
                      label="performs a company step supporting it")]
    handles += [Line2D([], [], marker="s", ls="", mfc=c, mec=c, label=f"{s} gap") for s, c in SEVERITY_COLORS.items()]
    if legend:
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(0, 0), ncol=5, fontsize=F, frameon=False,
                  borderaxespad=0.2)
    return ax


def touchpoints_at_all(G, touchpoint):
    """Steps a touchpoint serves."""
    return related(G, touchpoint, "serves")


def gap_chart(gaps, ax=None):
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


def save_figure(ax_or_fig, folder, name, formats=("png", "svg"), dpi=150):
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


_SERVED_COLORS = {"underserved": "#c0392b", "appropriately served": "#7f8c8d", "overserved": "#2980b9", "": "#bbbbbb"}


def opportunity_landscape(opp, ax=None, top=8, title=None):
    """The opportunity landscape: importance (x) against satisfaction (y), 0..10.

    The lines ``Opp = 10, 12, 15`` (``S = 2I - Opp``) bound the underserved, high and extreme
    zones (lower right); above the diagonal ``S = I`` needs are overserved. The ``top`` needs
    by opportunity are labelled with their id.

    Parameters
    ----------
    opp : pandas.DataFrame
        One block of :func:`cem.needs.opportunity` (filter a segment first).
    ax : matplotlib.axes.Axes, optional
    top : int
        How many needs to label.
    title : str, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    plt = _plt()
    if ax is None:
        _, ax = plt.subplots(figsize=(6.5, 6))
    x = [0, 10]
    ax.plot(x, x, color="#95a5a6", lw=0.8, ls=":")
    for level, style in ((10, "-"), (12, "--"), (15, "-.")):
        i0 = level / 2
        ax.plot([i0, 10], [0, 20 - level], color="#c0392b", lw=0.9, ls=style, alpha=0.8)
        ax.text(10.05, 20 - level, f"Opp {level}", fontsize=7, color="#c0392b", va="center")
    ax.text(1, 9.3, "overserved", fontsize=8, color="#2980b9")
    data = opp.dropna(subset=["importance", "satisfaction"])
    colors = [_SERVED_COLORS.get(s, "#bbbbbb") for s in data["served"]]
    ax.scatter(data["importance"], data["satisfaction"], c=colors, s=22, alpha=0.85, edgecolors="white", lw=0.5)
    _label_points(ax, data.nlargest(top, "opportunity"))
    ax.set_xlim(0, 10)
    ax.set_ylim(0, 10)
    ax.set_xlabel("importance (% rating 4-5, /10)")
    ax.set_ylabel("satisfaction (% rating 4-5, /10)")
    ax.set_aspect("equal")
    ax.set_title(_plain(title or "Opportunity landscape"), loc="left", fontsize=10)
    ax.spines[["top", "right"]].set_visible(False)
    return ax


def _label_points(ax, rows, gap=0.45):
    """Label points with their need id, each label on its own line so none overlap.

    Labels keep the points' vertical order, at least ``gap`` apart, to the left of their point
    (to the right for points near the left edge), joined to it by a thin line.
    """
    rows = rows.sort_values("satisfaction")
    ys = []
    for y in rows["satisfaction"]:
        ys.append(max(y, ys[-1] + gap) if ys else y)
    shift = max(0.0, ys[-1] - 9.7) if ys else 0.0  # keep the top label inside the axes
    for row, y in zip(rows.itertuples(), ys):
        left = row.importance > 2.5
        ax.annotate(_plain(row.need_id), (row.importance, row.satisfaction),
                    xytext=(row.importance - 0.7 if left else row.importance + 0.7, y - shift), fontsize=7,
                    ha="right" if left else "left", va="center", arrowprops=dict(arrowstyle="-", lw=0.4,
                                                                                  color="#7f8c8d"))


def opportunity_landscapes(opp, by, axes=None, top=5):
    """One opportunity landscape per segment, side by side; returns the array of axes."""
    plt = _plt()
    segments = list(dict.fromkeys(opp[by].dropna()))
    if axes is None:
        cols = min(len(segments), 3)
        rows = -(-len(segments) // cols)
        _, axes = plt.subplots(rows, cols, figsize=(5 * cols, 4.8 * rows), squeeze=False)
    flat = list(getattr(axes, "flat", axes))
    for ax, seg in zip(flat, segments):
        opportunity_landscape(opp[opp[by] == seg], ax=ax, top=top, title=f"{by} = {seg}")
    for ax in flat[len(segments):]:
        ax.axis("off")
    return axes


def unmet_chart(rollup, ax=None, label="name"):
    """Unmet need per step (or actor) as bars, in the order given; the colour shows its largest
    opportunity (red: some need is underserved).

    Parameters
    ----------
    rollup : pandas.DataFrame
        From :func:`cem.needs.unmet_by_step` or :func:`cem.needs.unmet_by_actor`.
    """
    plt = _plt()
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 0.32 * max(len(rollup), 4) + 1))
    labels = ["\n".join(_wrap(t, 40, 2)) for t in rollup[label].fillna("")]
    colors = ["#c0392b" if o > 15 else "#e67e22" if o > 12 else "#f1c40f" if o > 10 else "#95a5a6"
              for o in rollup["max_opportunity"]]
    y = range(len(rollup))
    ax.barh(list(y), rollup["unmet"], color=colors)
    ax.set_yticks(list(y), labels, fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel("unmet need: sum of max(I - S, 0) over the needs")
    ax.spines[["top", "right"]].set_visible(False)
    return ax


def priority_chart(table, ax=None):
    """What to fix first: each step's priority as stacked bars of its parts, best at the top.

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`cem.summary.priorities`: ``stake_share`` and ``unmet_share`` make the
        priority; when the study measured neither, the bar is the step's share of the rework
        or of the design-gap weight, as ``table.attrs["basis"]`` says.
    """
    plt = _plt()
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 0.45 * max(len(table), 3) + 1))
    y = list(range(len(table)))
    labels = [f"{r}. " + "\n".join(_wrap(n, 40, 2)) for r, n in zip(table["rank"], table["name"])]
    stake = table["stake_share"].fillna(0) if "stake_share" in table else 0 * table["priority"]
    unmet = table["unmet_share"].fillna(0) if "unmet_share" in table else 0 * table["priority"]
    if (stake + unmet).sum() > 0:
        ax.barh(y, stake, color="#1f4e79", label="share of lifetime value at stake")
        ax.barh(y, unmet, left=stake, color="#e67e22", label="share of unmet need")
        ax.legend(loc="lower right", fontsize=7, frameon=False)
    else:
        basis = table.attrs.get("basis", "")
        label = "share of the rework in the event log" if basis.startswith("rework") else "share of weighted design gaps"
        ax.barh(y, table["priority"], color="#c0392b", label=label)
        ax.legend(loc="lower right", fontsize=7, frameon=False)
    ax.set_yticks(y, labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("priority")
    ax.spines[["top", "right"]].set_visible(False)
    return ax


def _step_labels(values, width=18):
    return ["\n".join(_wrap(n, width, 3)) for n in values["name"].fillna(values["step"])]


def experience_curve(values, ax=None):
    """The experience along the journey: each step's importance-weighted satisfaction (0..1),
    the running value over the steps so far, and the mean event rating (1-5, right axis).

    Parameters
    ----------
    values : pandas.DataFrame
        One block of :func:`cem.value.step_value`.
    """
    plt = _plt()
    if ax is None:
        _, ax = plt.subplots(figsize=(max(8, 0.75 * len(values)), 4.5))
    x = list(range(len(values)))
    if "experience" in values.columns:
        ax.plot(x, values["experience"], marker="o", color="#2e86c1", label="experience at the step")
        ax.plot(x, values["cum_experience"], ls="--", color="#85c1e9", label="experience so far")
    ax.set_ylim(0, 1)
    ax.set_ylabel("importance-weighted satisfaction (0-1)")
    if "rating" in values.columns and values["rating"].notna().any():
        ax2 = ax.twinx()
        ax2.plot(x, values["rating"], marker="s", color="#e67e22", alpha=0.8, label="mean event rating")
        ax2.set_ylim(1, 5)
        ax2.set_ylabel("mean rating (1-5)")
        ax2.legend(loc="lower right", frameon=False, fontsize=8)
    ax.set_xticks(x, _step_labels(values), fontsize=7, rotation=0)
    ax.legend(loc="lower left", frameon=False, fontsize=8)
    ax.set_title("Experience along the journey", loc="left", fontsize=10)
    ax.spines[["top"]].set_visible(False)
    return ax


def value_waterfall(values, ax=None, column="net"):
    """Value created and lost per step as a waterfall: each bar starts where the journey's running
    total stands, green when the step adds value (revenue above its cost to serve), red when it
    costs more than it brings.
    """
    plt = _plt()
    if ax is None:
        _, ax = plt.subplots(figsize=(max(8, 0.75 * len(values)), 4.5))
    v = values[column].fillna(0).to_numpy()
    bottoms = [0.0]
    for d in v[:-1]:
        bottoms.append(bottoms[-1] + d)
    colors = ["#27ae60" if d >= 0 else "#c0392b" for d in v]
    x = list(range(len(v)))
    ax.bar(x, v, bottom=bottoms, color=colors)
    ax.axhline(0, color="#7f8c8d", lw=0.6)
    ax.plot(x, [b + d for b, d in zip(bottoms, v)], color="#2c3e50", lw=0.8, marker=".", label="running total")
    ax.set_xticks(x, _step_labels(values), fontsize=7)
    ax.set_ylabel("revenue - cost to serve")
    ax.set_title("Value created and lost per step", loc="left", fontsize=10)
    ax.legend(frameon=False, fontsize=8)
    ax.spines[["top", "right"]].set_visible(False)
    return ax


def step_effects_chart(table, ax=None, names=None):
    """Each step's effect on churn with its 95 % interval (log-odds per rating point; left of zero:
    a better experience there keeps customers)."""
    plt = _plt()
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 0.35 * max(len(table), 4) + 1))
    y = list(range(len(table)))
    labels = [names.get(s, s) if names else s for s in table["step"]]
    significant = (table["ci_high"] < 0) | (table["ci_low"] > 0)
    ax.errorbar(table["coef"], y, xerr=[table["coef"] - table["ci_low"], table["ci_high"] - table["coef"]],
                fmt="none", ecolor="#95a5a6", elinewidth=1)
    ax.scatter(table["coef"], y, c=["#c0392b" if s else "#7f8c8d" for s in significant], zorder=3)
    ax.axvline(0, color="#2c3e50", lw=0.6)
    ax.set_yticks(y, ["\n".join(_wrap(l, 36, 2)) for l in labels], fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel("effect on the log-odds of churning, per rating point (95 % interval)")
    ax.spines[["top", "right"]].set_visible(False)
    return ax


def clv_distribution(clv, ax=None, currency=""):
    """Histogram of customer lifetime values, with the mean and the top decile's share."""
    plt = _plt()
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4))
    values = clv.dropna().to_numpy()
    ax.hist(values, bins=50, color="#5dade2")
    ax.axvline(values.mean(), color="#c0392b", lw=1, label=_plain(f"mean {values.mean():,.0f} {currency}".strip()))
    top = values[values >= (values.max() if len(values) < 10 else sorted(values)[int(0.9 * len(values))])]
    share = top.sum() / values.sum() if values.sum() else 0
    ax.set_title(f"Lifetime value per customer: the top 10 % hold {share:.0%}", loc="left", fontsize=10)
    ax.set_xlabel(_plain(f"lifetime value {currency}".strip()))
    ax.set_ylabel("customers")
    ax.legend(frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    return ax


def holdout_chart(by_frequency, ax=None):
    """Predicted against actual holdout purchases by calibration frequency (the papers' check)."""
    plt = _plt()
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4))
    x = list(range(len(by_frequency)))
    ax.plot(x, by_frequency["actual"], marker="o", color="#2c3e50", label="actual")
    ax.plot(x, by_frequency["predicted"], marker="s", ls="--", color="#e67e22", label="model")
    ax.set_xticks(x, [_plain(i) for i in by_frequency.index])
    ax.set_xlabel("repeat purchases in the calibration period")
    ax.set_ylabel("mean purchases in the holdout period")
    ax.legend(frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    return ax


def flow_map(G, transitions, ax=None, min_share=0.005):
    """The actual flow drawn over the designed journey.

    Customer steps stand left to right in the designed order. Grey arcs below the line are the
    designed ``next`` edges; arcs above are the observed transitions between different steps,
    their width by volume: blue where the design has them, red where it does not (skips,
    returns, unexpected paths). Transitions under ``min_share`` of all are left out for
    legibility.

    Parameters
    ----------
    G : networkx.MultiDiGraph
    transitions : pandas.DataFrame
        ``source, target, count`` between steps (:func:`cem.journeys.dfg` on ``step``).
    """
    plt = _plt()
    from matplotlib.patches import FancyArrowPatch

    steps = journey_steps(G)
    x = {s: i for i, s in enumerate(steps)}
    if ax is None:
        _, ax = plt.subplots(figsize=(max(8, 1.25 * len(steps)), 5.5))
    t = transitions[(transitions["source"] != transitions["target"]) & transitions["source"].isin(x)
                    & transitions["target"].isin(x)]
    total = t["count"].sum() or 1
    t = t[t["count"] / total >= min_share]
    top = t["count"].max() if len(t) else 1
    for u, v, k in G.edges(keys=True):
        if k == "next" and u in x and v in x:
            ax.add_patch(FancyArrowPatch((x[u], -0.15), (x[v], -0.15), connectionstyle=f"arc3,rad={0.25 if x[v] > x[u] else -0.25}",
                                         arrowstyle="-|>", mutation_scale=8, color="#b3b6b7", lw=1.2))
    for row in t.itertuples():
        designed = G.has_edge(row.source, row.target, "next")
        a, b = x[row.source], x[row.target]
        rad = -0.35 if b > a else 0.35
        ax.add_patch(FancyArrowPatch((a, 0.15), (b, 0.15), connectionstyle=f"arc3,rad={rad}", arrowstyle="-|>",
                                     mutation_scale=10, lw=0.6 + 6 * row.count / top, alpha=0.75,
                                     color="#2e86c1" if designed else "#c0392b"))
    for s, i in x.items():
        ax.text(i, 0, "\n".join(_wrap(G.nodes[s].get("name", s), 14, 3)), ha="center", va="center", fontsize=7,
                bbox=dict(boxstyle="round,pad=0.3", fc="white", ec="#5d6d7e", lw=0.8))
    span = max(len(steps) - 1, 1)
    ax.set_xlim(-0.7, len(steps) - 0.3)
    ax.set_ylim(-0.6 - 0.05 * span, 0.6 + 0.18 * span)
    ax.axis("off")
    from matplotlib.lines import Line2D

    ax.legend(handles=[Line2D([], [], color="#2e86c1", lw=3, label="observed, designed"),
                       Line2D([], [], color="#c0392b", lw=3, label="observed, not designed"),
                       Line2D([], [], color="#b3b6b7", lw=1.5, label="designed order")],
              loc="lower left", frameon=False, fontsize=8, ncol=3)
    ax.set_title("Actual flow over the designed journey (width: volume)", loc="left", fontsize=10)
    return ax


def funnel_chart(funnel, ax=None):
    """Customers reaching each designed step, as bars in the journey's order, with the drop-off."""
    plt = _plt()
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 0.35 * max(len(funnel), 4) + 1))
    y = list(range(len(funnel)))
    ax.barh(y, funnel["customers"], color="#5dade2")
    for i, (n, d) in enumerate(zip(funnel["customers"], funnel["drop_off"])):
        label = f"{n:,}" + (f"  (-{d:.0%})" if pd_notna(d) and d > 0 else "")
        ax.text(n, i, " " + label, va="center", fontsize=7)
    ax.set_yticks(y, ["\n".join(_wrap(t, 36, 2)) for t in funnel["name"].fillna(funnel["step"])], fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel("customers reaching the step")
    ax.spines[["top", "right"]].set_visible(False)
    return ax


def variants_chart(variants, ax=None, top=10):
    """The most frequent variants (paths) and the share of cases that take each."""
    plt = _plt()
    head = variants.head(top)
    if ax is None:
        _, ax = plt.subplots(figsize=(9, 0.5 * max(len(head), 3) + 1))
    y = list(range(len(head)))
    ax.barh(y, head["share"] * 100, color="#48c9b0")
    labels = []
    for v in head["variant"]:
        parts = v.split(" > ")
        text = " > ".join(parts) if len(parts) <= 6 else " > ".join(parts[:3] + ["..."] + parts[-2:])
        labels.append("\n".join(_wrap(text, 70, 2)))
    ax.set_yticks(y, labels, fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel("share of cases (%)")
    ax.spines[["top", "right"]].set_visible(False)
    return ax


def pd_notna(value):
    """True for a value that is neither None nor NaN."""
    return value is not None and value == value


def needs_heatmap(G, opp=None, ax=None):
    """Needs per step and actor: how many needs each actor has at each customer step, or, given
    the survey's opportunity table, the largest opportunity there (the hot spots).

    Parameters
    ----------
    G : networkx.MultiDiGraph
    opp : pandas.DataFrame, optional
        From :func:`cem.needs.opportunity`.
    """
    plt = _plt()
    import numpy as np

    steps = journey_steps(G)
    actors = [a for a in nodes_of(G, "actor") if any(G.has_edge(a, n, "has_need") for n in related(G, a, "has_need"))]
    score = {}
    if opp is not None:
        for row in opp.dropna(subset=["step", "actor", "opportunity"]).itertuples():
            key = (row.step, row.actor)
            score[key] = max(score.get(key, 0), row.opportunity)
    M = np.full((len(actors), len(steps)), np.nan)
    for i, a in enumerate(actors):
        for j, s in enumerate(steps):
            n = len(needs_at(G, s, actor=a))
            if opp is not None:
                M[i, j] = score.get((s, a), np.nan)
            elif n:
                M[i, j] = n
    if ax is None:
        _, ax = plt.subplots(figsize=(max(7, 1.0 * len(steps) + 3.5), 0.45 * max(len(actors), 3) + 2))
    cmap = plt.get_cmap("Reds" if opp is not None else "Blues").with_extremes(bad="#f4f6f7")
    im = ax.imshow(np.ma.masked_invalid(M), aspect="auto", cmap=cmap, vmin=0, vmax=20 if opp is not None else None)
    for i in range(len(actors)):
        for j in range(len(steps)):
            if not np.isnan(M[i, j]):
                ax.text(j, i, f"{M[i, j]:.0f}", ha="center", va="center", fontsize=7)
    ax.set_xticks(range(len(steps)), ["\n".join(_wrap(G.nodes[s].get("name", s), 13, 3)) for s in steps],
                  fontsize=6)
    ax.set_yticks(range(len(actors)), [_plain(G.nodes[a].get("name", a)) for a in actors], fontsize=7)
    ax.figure.colorbar(im, ax=ax, label="largest opportunity" if opp is not None else "needs", shrink=0.8)
    ax.set_title("Needs by step and actor" + (": where opportunity is highest" if opp is not None else ""),
                 loc="left", fontsize=10)
    return ax


def alignment_chart(G, ax=None):
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


#: A3 landscape, in inches.
A3_LANDSCAPE = (16.54, 11.69)


def poster(G, gaps=None, steps_per_row=12, title=None, size=A3_LANDSCAPE):
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
    >>> fig = cem.plots.poster(cem.load_model("data/examples/solar"))  # doctest: +SKIP
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
    # Measure each row's height in text lines at the default font, then scale the font to the page.
    scratch = plt.figure()
    lines = []
    for chunk in chunks:
        ax = journey_map(G, gaps=gaps, ax=scratch.add_subplot(), steps=chunk, compact=True, legend=False)
        lines.append(ax.get_ylim()[0])
        scratch.clf()
    plt.close(scratch)
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
