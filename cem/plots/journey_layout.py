"""Where everything of the journey map goes, computed without drawing.

The journey map is drawn on a grid: one column per customer step, left to right in the
designed order, under a band naming the lifecycle stage; one lane per company job, per actor
(grouped by entity) and per touchpoint channel. Sizes are counted in text lines so the
figure grows with the model instead of shrinking its text: at 20+ steps it gets wider, not
smaller.

:func:`journey_layout` decides the columns, the lanes, what each cell holds (its text already
wrapped), each lane's height and the figure's size; :func:`cem.plots.journey_draw.draw_journey`
only draws what it is given.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..gaps import SEVERITIES, find_gaps
from ..graph import anchor_step, company_jobs, job_steps, journey_steps, needs_at, nodes_of, related
from ..schema import ENTITY_TYPES
from ._style import _COL_IN, _LABEL_COLS, _LINE_IN, _WRAP, _plain, _wrap

if TYPE_CHECKING:
    import networkx as nx
    import pandas as pd

__all__ = ["JourneyLayout", "Lane", "journey_layout"]

#: Height of the stage band above the lanes, in text lines.
STAGE_LINES = 2.0


@dataclass
class Lane:
    """One row of the journey map.

    ``cells`` maps a column to what the lane shows there, by ``kind``:

    - ``"step"``: the step's name in lines, then its needs badge as the last line;
    - ``"company"``, ``"touchpoint"``: a list of ``(node, lines)``, top to bottom;
    - ``"actor"``: ``(own, n_needs)``; ``own`` when the actor performs the customer step itself
      rather than a company step supporting it.
    """

    label: str
    kind: str
    cells: dict
    height: float  # in text lines
    label_lines: list = field(default_factory=list)  # the label wrapped for the margin
    entity_type: str | None = None  # actor lanes: the entity's type, which sets the colour


@dataclass
class JourneyLayout:
    """The journey map's grid, in columns (x) and text lines (y); see :func:`journey_layout`."""

    name: str  # the model's name, the map's default title
    steps: list  # the customer step of each column
    lanes: list  # of Lane, top to bottom under the stage band
    stage_runs: list  # (first column, column after the last, stage): one box per run of a stage
    gaps: dict  # node -> the severity of each of its gaps
    stage_lines: float = STAGE_LINES

    def worst_gap(self, node):
        """The most severe of a node's gaps (``cem.gaps.SEVERITIES`` order), None without gaps."""
        sev = self.gaps.get(node)
        if not sev:
            return None
        rank = {s: i for i, s in enumerate(SEVERITIES)}
        return min(sev, key=rank.get)

    @property
    def ncols(self):
        """Columns of the grid (at least one, so an empty map still has a width)."""
        return max(len(self.steps), 1)

    @property
    def total_lines(self):
        """Height of the map in text lines: the stage band and every lane."""
        return self.stage_lines + sum(lane.height for lane in self.lanes)

    @property
    def figsize(self):
        """The figure's size in inches when the map gets a figure of its own: one
        ``_COL_IN`` per column plus the lane-label margin wide, ``_LINE_IN`` per text line high
        (at least 6 x 4: below that the title and the legend below the map leave it no room)."""
        width = (_LABEL_COLS + self.ncols) * _COL_IN
        height = self.total_lines * _LINE_IN + 0.6
        return (max(width, 6), max(height, 4))


def _need_badge(G, needs):
    counts = defaultdict(int)
    for n in needs:
        counts[G.nodes[n].get("dimension", "?")] += 1
    if not needs:
        return "no needs"
    parts = [f"{counts[d]}{d[0].upper()}" for d in ("functional", "emotional", "social", "financial") if counts[d]]
    return f"{len(needs)} needs: " + " ".join(parts)


def touchpoints_at_all(G, touchpoint):
    """Steps a touchpoint serves."""
    return related(G, touchpoint, "serves")


def _stacked_lines(cells):
    """Height of a lane of stacked boxes: its tallest cell's lines plus 0.4 between boxes."""
    return max((sum(len(lines) for _, lines in v) + 0.4 * (len(v) - 1) for v in cells.values()), default=1) + 1.0


def journey_layout(G: nx.MultiDiGraph, gaps: pd.DataFrame | None = None, *, steps: Sequence[str] | None = None,
                   compact: bool = False, wrap: int | None = None) -> JourneyLayout:
    """The journey map's layout: its columns, lanes, cell texts and sizes, without drawing.

    Parameters
    ----------
    G : networkx.MultiDiGraph
        The journey graph.
    gaps : pandas.DataFrame, optional
        From :func:`cem.gaps.find_gaps`; computed when None.
    steps : list of str, optional
        Only these customer steps, in the journey's order.
    compact : bool
        One lane per entity instead of per actor, and one touchpoint lane for all channels.
    wrap : int, optional
        Characters per line in a column (default 17).

    Returns
    -------
    JourneyLayout

    Examples
    --------
    >>> from cem.graph import build_graph
    >>> tables = {"model": {"name": "Demo"}, "links": [],
    ...           "nodes": {"job": [{"id": "J", "name": "Get paid", "performer": "customer"}],
    ...                     "step": [{"id": "A", "job": "J", "name": "Agree on the terms", "position": 1,
    ...                               "stage": "purchase"},
    ...                              {"id": "B", "job": "J", "name": "Use", "position": 2, "stage": "use"}]}}
    >>> layout = journey_layout(build_graph(tables))
    >>> layout.ncols, [lane.kind for lane in layout.lanes], layout.stage_runs
    (2, ['step'], [(0, 1, 'purchase'), (1, 2, 'use')])
    >>> layout.lanes[0].cells[0]  # the step's name wrapped at 17 characters, then its needs
    ['Agree on the', 'terms', 'no needs']
    >>> layout.lanes[0].height, layout.total_lines  # the tallest cell's 3 lines + 1.8; + the stage band
    (4.8, 6.8)
    """
    W = wrap or _WRAP
    if gaps is None:
        gaps = find_gaps(G)
    gap_at = defaultdict(list)
    for row in gaps.itertuples():
        gap_at[row.node].append(row.severity)

    steps = [s for s in journey_steps(G) if steps is None or s in steps]
    col = {s: i for i, s in enumerate(steps)}

    def lane(label, kind, cells, height, entity_type=None):
        return Lane(label, kind, cells, height, _wrap(label, 26, 3), entity_type)

    def stacked(nodes):
        return [(n, _wrap(G.nodes[n].get("name", n), max_lines=3, width=W)) for n in nodes]

    lanes = []
    step_cells = {}
    for s in steps:
        lines = _wrap(G.nodes[s].get("name", s), max_lines=4, width=W)
        step_cells[col[s]] = lines + [_plain(_need_badge(G, needs_at(G, s)))]
    lanes.append(lane("Customer steps", "step", step_cells,
                      max((len(v) for v in step_cells.values()), default=1) + 1.8))

    for job in company_jobs(G):
        cells = defaultdict(list)
        for s in job_steps(G, job):
            anchor = anchor_step(G, s)
            if anchor is None or anchor not in col:
                continue
            cells[col[anchor]].append(s)
        if cells:
            cells = {c: stacked(v) for c, v in cells.items()}
            lanes.append(lane(G.nodes[job].get("name", job), "company", cells, _stacked_lines(cells)))

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
            lanes.append(lane(who, "actor", cells, 2.0, G.nodes[e].get("type")))

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
        cells = {c: stacked(ts) for c, ts in channels[ch].items()}
        lanes.append(lane(f"Touchpoints \u00b7 {ch.replace('_', ' ')}", "touchpoint", cells, _stacked_lines(cells)))

    # Stage band: one box per run of steps in the same stage.
    runs, start = [], 0
    for i in range(1, len(steps) + 1):
        if i == len(steps) or G.nodes[steps[i]].get("stage") != G.nodes[steps[start]].get("stage"):
            runs.append((start, i, G.nodes[steps[start]].get("stage", "")))
            start = i

    return JourneyLayout(name=G.graph.get("name", "Journey map"), steps=steps, lanes=lanes, stage_runs=runs,
                         gaps=dict(gap_at))
