"""The journey graph: built from validated tables, and queried.

One :class:`networkx.MultiDiGraph` per model. Every node has ``kind`` (job, step, entity,
actor, touchpoint, need, resource); every edge has ``relation`` and uses the relation as its
key, so ``G.has_edge(u, v, "serves")`` asks a question in the model's own words. ``G.graph``
holds the model's metadata (name, version, currency, source file).

The queries are plain functions over ``G`` in the style of networkx: they return lists,
dicts or DataFrames and never change the graph.
"""
from __future__ import annotations


import networkx as nx
import pandas as pd

from .schema import SHORTHAND_LINKS, STAGES

__all__ = [
    "build_graph",
    "nodes_of",
    "related",
    "customer_jobs",
    "company_jobs",
    "job_steps",
    "journey_steps",
    "is_customer_step",
    "touchpoints_at",
    "actors_at",
    "needs_at",
    "resources_at",
    "supporting_steps",
    "next_steps",
    "anchor_step",
    "summary",
    "step_table",
]

_INTERNAL = ("_path", "_label", "_ok")


def build_graph(tables: dict, source: str | None = None) -> nx.MultiDiGraph:
    """Build the journey graph from clean tables (see :func:`cem.validate.check_tables`).

    The shorthand columns become links (``touchpoints.step`` -> ``serves``, ...); within a
    job, ``next`` follows ``position`` except from a step that has explicit ``next`` links to
    steps of its own job. Implicit ``next`` edges carry ``implicit=True``.

    Parameters
    ----------
    tables : dict
        ``{"model": {...}, "nodes": {kind: [records]}, "links": [records]}``.
    source : str, optional
        The file the model came from, stored in ``G.graph["source"]``.

    Returns
    -------
    networkx.MultiDiGraph

    Examples
    --------
    >>> tables = {"model": {"name": "Demo"}, "links": [],
    ...           "nodes": {"job": [{"id": "J", "name": "Get paid", "performer": "customer"}],
    ...                     "step": [{"id": "A", "job": "J", "name": "Agree", "position": 1, "stage": "purchase"},
    ...                              {"id": "B", "job": "J", "name": "Use", "position": 2, "stage": "use"}]}}
    >>> G = build_graph(tables)
    >>> sorted(G.edges(keys=True))
    [('A', 'B', 'next'), ('J', 'A', 'has_step'), ('J', 'B', 'has_step')]
    """
    G = nx.MultiDiGraph()
    G.graph.update(tables.get("model", {}))
    if source is not None:
        G.graph["source"] = str(source)
    for kind, records in tables["nodes"].items():
        for rec in records:
            attrs = {"kind": kind}
            for k, v in rec.items():
                if k in _INTERNAL or k == "id" or (kind, k) in SHORTHAND_LINKS and isinstance(v, list):
                    continue
                attrs[k] = v
            if kind == "touchpoint":
                attrs.setdefault("cost", 0.0)
            if kind == "need" and "direction" not in attrs:
                first = str(attrs.get("statement", "")).split(" ", 1)[0].lower()
                if first in ("minimize", "maximize"):
                    attrs["direction"] = first
            G.add_node(rec["id"], **attrs)
    for kind, records in tables["nodes"].items():
        for rec in records:
            for (k_kind, column), (relation, node_is_source) in SHORTHAND_LINKS.items():
                if k_kind != kind or column not in rec:
                    continue
                others = rec[column] if isinstance(rec[column], list) else [rec[column]]
                for other in others:
                    u, v = (rec["id"], other) if node_is_source else (other, rec["id"])
                    G.add_edge(u, v, key=relation, relation=relation)
    explicit = [link for link in tables["links"]]
    own_job_next = {l["from"] for l in explicit if l["relation"] == "next"
                    and G.nodes[l["from"]].get("job") == G.nodes[l["to"]].get("job")}
    for job in nodes_of(G, "job"):
        order = job_steps(G, job)
        for a, b in zip(order, order[1:]):
            if a not in own_job_next:
                G.add_edge(a, b, key="next", relation="next", implicit=True)
    for link in explicit:
        attrs = {k: v for k, v in link.items() if k not in ("from", "to") and k not in _INTERNAL}
        G.add_edge(link["from"], link["to"], key=link["relation"], **attrs)
    return G


def nodes_of(G: nx.MultiDiGraph, kind: str) -> list[str]:
    """Ids of the nodes of one kind, in the order they were written.

    Examples
    --------
    >>> G = nx.MultiDiGraph(); G.add_node("a", kind="actor"); G.add_node("s", kind="step")
    >>> nodes_of(G, "actor")
    ['a']
    """
    return [n for n, k in G.nodes(data="kind") if k == kind]


def related(G: nx.MultiDiGraph, node: str, relation: str, direction: str = "out") -> list[str]:
    """Nodes joined to ``node`` by ``relation``: its targets (``out``) or sources (``in``).

    Examples
    --------
    >>> G = nx.MultiDiGraph(); _ = G.add_edge("t", "s", key="serves", relation="serves")
    >>> related(G, "s", "serves", "in")
    ['t']
    """
    if direction == "out":
        return [v for _, v, k in G.out_edges(node, keys=True) if k == relation]
    return [u for u, _, k in G.in_edges(node, keys=True) if k == relation]


def customer_jobs(G: nx.MultiDiGraph) -> list[str]:
    """Jobs whose performer is the customer."""
    return [j for j in nodes_of(G, "job") if G.nodes[j].get("performer") == "customer"]


def company_jobs(G: nx.MultiDiGraph) -> list[str]:
    """Jobs of the company and its partners."""
    return [j for j in nodes_of(G, "job") if G.nodes[j].get("performer") != "customer"]


def job_steps(G: nx.MultiDiGraph, job: str) -> list[str]:
    """Steps of one job by designed position."""
    steps = [s for s in related(G, job, "has_step")]
    return sorted(steps, key=lambda s: G.nodes[s].get("position", 0))


def journey_steps(G: nx.MultiDiGraph) -> list[str]:
    """The customer's steps in designed order: customer jobs in model order, each by position.

    Related jobs (``part_of`` another job) follow their main job.
    """
    jobs = customer_jobs(G)
    mains = [j for j in jobs if not related(G, j, "part_of")]
    ordered = []
    for j in mains:
        ordered.append(j)
        ordered.extend(r for r in related(G, j, "part_of", "in") if r in jobs and r not in ordered)
    ordered.extend(j for j in jobs if j not in ordered)
    return [s for j in ordered for s in job_steps(G, j)]


def is_customer_step(G: nx.MultiDiGraph, step: str) -> bool:
    """Whether the step belongs to a job the customer performs."""
    job = G.nodes[step].get("job")
    return job is not None and G.nodes[job].get("performer") == "customer"


def touchpoints_at(G: nx.MultiDiGraph, step: str) -> list[str]:
    """Touchpoints that serve the step."""
    return related(G, step, "serves", "in")


def actors_at(G: nx.MultiDiGraph, step: str) -> list[str]:
    """Actors that perform the step."""
    return related(G, step, "performs", "in")


def needs_at(G: nx.MultiDiGraph, step: str, *, actor: str | None = None) -> list[str]:
    """Needs arising at the step (for one actor when ``actor`` is given)."""
    needs = related(G, step, "has_need")
    if actor is not None:
        needs = [n for n in needs if G.has_edge(actor, n, "has_need")]
    return needs


def resources_at(G: nx.MultiDiGraph, step: str) -> list[str]:
    """Resources the step requires."""
    return related(G, step, "requires")


def supporting_steps(G: nx.MultiDiGraph, step: str) -> list[str]:
    """Company steps that support a customer step."""
    return related(G, step, "supports", "in")


def next_steps(G: nx.MultiDiGraph, step: str) -> list[str]:
    """Designed successors of a step."""
    return related(G, step, "next")


def anchor_step(G: nx.MultiDiGraph, step: str) -> str | None:
    """The customer step a step belongs to on the journey.

    A customer step is its own anchor. A company step is anchored at the first customer step
    it supports or, failing that, at the first customer step of the same stage, so the
    company's work lines up under the customer's journey in tables and figures. None when
    there is no such step.
    """
    if is_customer_step(G, step):
        return step
    journey = journey_steps(G)
    supported = [s for s in journey if G.has_edge(step, s, "supports")]
    if supported:
        return supported[0]
    same_stage = [s for s in journey if G.nodes[s].get("stage") == G.nodes[step].get("stage")]
    return same_stage[0] if same_stage else None


def summary(G: nx.MultiDiGraph) -> pd.DataFrame:
    """Counts of nodes per kind and of edges per relation.

    Returns
    -------
    pandas.DataFrame
        Columns ``what`` (``"kind"`` or ``"relation"``), ``name``, ``count``.

    Examples
    --------
    >>> G = nx.MultiDiGraph(); G.add_node("a", kind="actor")
    >>> summary(G).query("name == 'actor'")["count"].item()
    1
    """
    from .schema import KINDS, RELATIONS

    kinds = pd.Series([k for _, k in G.nodes(data="kind")]).value_counts()
    rels = pd.Series([k for *_, k in G.edges(keys=True)], dtype=object).value_counts()
    rows = [("kind", k, int(kinds.get(k, 0))) for k in KINDS]
    rows += [("relation", r, int(rels.get(r, 0))) for r in RELATIONS]
    return pd.DataFrame(rows, columns=["what", "name", "count"])


def step_table(G: nx.MultiDiGraph) -> pd.DataFrame:
    """One row per step: job, stage, position and what happens there.

    Returns
    -------
    pandas.DataFrame
        Columns ``step, name, job, performer, stage, position, actors, touchpoints, needs,
        resources, supported_by``, customer steps first in journey order, then company steps.
    """
    rows = []
    journey = journey_steps(G)
    others = [s for j in company_jobs(G) for s in job_steps(G, j)]
    for s in journey + others:
        d = G.nodes[s]
        rows.append({
            "step": s,
            "name": d.get("name"),
            "job": d.get("job"),
            "performer": G.nodes[d["job"]].get("performer") if d.get("job") in G else None,
            "stage": d.get("stage"),
            "position": d.get("position"),
            "actors": len(actors_at(G, s)),
            "touchpoints": len(touchpoints_at(G, s)),
            "needs": len(needs_at(G, s)),
            "resources": len(resources_at(G, s)),
            "supported_by": ", ".join(supporting_steps(G, s)),
        })
    table = pd.DataFrame(rows, columns=["step", "name", "job", "performer", "stage", "position", "actors",
                                        "touchpoints", "needs", "resources", "supported_by"])
    table["stage"] = pd.Categorical(table["stage"], categories=STAGES, ordered=True)
    return table
