"""Structural gaps of a journey model: what the design leaves out.

:func:`find_gaps` reads only the model (no measured data) and lists, one row per finding:

=========================  ==========================================================  ========
gap                        what it means                                               severity
=========================  ==========================================================  ========
no_touchpoint              a customer step with no touchpoint serving it               high
no_actor                   a step nobody performs                                      high (customer) / medium (company)
unreachable_step           a step the designed order never reaches from its job's       high
                           first step
unprovided_resource        a resource a step requires that no entity provides          high
unsupported_step           a customer step no company step supports                    medium
unaddressed_need           a need no touchpoint is designed to meet                    medium
no_needs                   a customer step where no need is recorded                   medium
unowned_touchpoint         a touchpoint nobody is accountable for                      medium
missing_stage              a lifecycle stage the customer's job never reaches          medium for purchase, use,
                                                                                       get_help, dispose, next_cycle;
                                                                                       low otherwise
no_emotional_social_need   a customer step whose needs are all functional/financial    low
idle_company_step          a company step that supports no customer step               low
=========================  ==========================================================  ========

Severity says how directly the gap hurts the customer's job: high when a step cannot happen
as designed, medium when it happens unmanaged or unmeasured, low when the model is thin.
"""
from __future__ import annotations

import networkx as nx
import pandas as pd

from .graph import (
    actors_at,
    company_jobs,
    customer_jobs,
    is_customer_step,
    job_steps,
    journey_steps,
    needs_at,
    nodes_of,
    related,
    supporting_steps,
    touchpoints_at,
)
from .schema import STAGES

__all__ = ["find_gaps", "gap_list", "gap_counts", "gap_metrics", "explain_gaps", "GAP_TYPES", "SEVERITIES"]

SEVERITIES = ("high", "medium", "low")

#: gap type -> short title used in tables and figures.
GAP_TYPES = {
    "no_touchpoint": "Step without a touchpoint",
    "no_actor": "Step nobody performs",
    "unreachable_step": "Step the designed order never reaches",
    "unprovided_resource": "Required resource nobody provides",
    "unsupported_step": "Customer step no company step supports",
    "unaddressed_need": "Need no touchpoint addresses",
    "no_needs": "Customer step without recorded needs",
    "unowned_touchpoint": "Touchpoint nobody owns",
    "missing_stage": "Lifecycle stage missing from the customer's job",
    "no_emotional_social_need": "Step without an emotional or social need",
    "idle_company_step": "Company step that supports no customer step",
}

_KEY_STAGES = ("purchase", "use", "get_help", "dispose", "next_cycle")
_COLUMNS = ["gap", "node", "step", "severity", "explanation"]


def _name(G, n):
    d = G.nodes[n]
    return d.get("name") or d.get("statement") or n


def find_gaps(G: nx.MultiDiGraph) -> pd.DataFrame:
    """List the structural gaps of a model.

    Parameters
    ----------
    G : networkx.MultiDiGraph
        A journey graph (:func:`cem.load_model`).

    Returns
    -------
    pandas.DataFrame
        Columns ``gap`` (a key of :data:`GAP_TYPES`), ``node`` (the node at fault),
        ``step`` (the step concerned, None for a whole-job gap), ``severity`` (high, medium,
        low) and ``explanation`` (a sentence for a client). Sorted by severity, then by the
        step's place in the journey.

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.MultiDiGraph()
    >>> G.add_node("J", kind="job", name="Heat the home", performer="customer")
    >>> G.add_node("S", kind="step", name="Order a pump", job="J", position=1, stage="purchase")
    >>> _ = G.add_edge("J", "S", key="has_step", relation="has_step")
    >>> sorted(find_gaps(G).query("node == 'S'")["gap"])
    ['no_actor', 'no_needs', 'no_touchpoint', 'unsupported_step']
    """
    rows = []

    def add(gap, node, step, severity, text):
        rows.append((gap, node, step, severity, text))

    customer_steps = journey_steps(G)
    company_steps = [s for j in company_jobs(G) for s in job_steps(G, j)]

    for s in customer_steps:
        name = _name(G, s)
        if not touchpoints_at(G, s):
            add("no_touchpoint", s, s, "high", f"'{name}' has no touchpoint: the customer does this step "
                "without any point of contact the company designed.")
        if not supporting_steps(G, s):
            add("unsupported_step", s, s, "medium", f"No company step supports '{name}': the customer is on "
                "their own here, and nobody in the company is organised to help.")
        needs = needs_at(G, s)
        if not needs:
            add("no_needs", s, s, "medium", f"No need is recorded at '{name}', so nothing here can be measured.")
        elif not any(G.nodes[n].get("dimension") in ("emotional", "social") for n in needs):
            add("no_emotional_social_need", s, s, "low", f"The needs at '{name}' are all functional or "
                "financial: how the customer wants to feel, and be seen, is not captured.")
    for s in customer_steps + company_steps:
        if not actors_at(G, s):
            cust = is_customer_step(G, s)
            add("no_actor", s, s, "high" if cust else "medium",
                f"Nobody performs '{_name(G, s)}': no actor of any party is named for this "
                f"{'customer' if cust else 'company'} step.")
    for s in company_steps:
        if not related(G, s, "supports"):
            add("idle_company_step", s, s, "low", f"The company step '{_name(G, s)}' supports no customer "
                "step: either link it to the customer step it serves, or question why it exists.")

    # Reachability follows the designed order from the first step of each job.
    nxt = nx.DiGraph((u, v) for u, v, k in G.edges(keys=True) if k == "next")
    for job in customer_jobs(G) + company_jobs(G):
        steps = job_steps(G, job)
        if not steps:
            continue
        nxt.add_nodes_from(steps)
        reached = nx.descendants(nxt, steps[0]) | {steps[0]}
        for s in steps:
            if s not in reached:
                add("unreachable_step", s, s, "high", f"'{_name(G, s)}' cannot be reached from "
                    f"'{_name(G, steps[0])}' along the designed order: no 'next' path leads to it.")

    for t in nodes_of(G, "touchpoint"):
        if not related(G, t, "owns", "in"):
            served = related(G, t, "serves")
            add("unowned_touchpoint", t, served[0] if served else None, "medium",
                f"Nobody owns the touchpoint '{_name(G, t)}': when it fails, no one is accountable.")
    for n in nodes_of(G, "need"):
        if not related(G, n, "addresses", "in"):
            steps = related(G, n, "has_need", "in")
            step = next((s for s in steps if G.nodes[s].get("kind") == "step"), None)
            add("unaddressed_need", n, step, "medium", f"No touchpoint is designed to meet the need "
                f"'{_name(G, n)}'.")
    for r in nodes_of(G, "resource"):
        users = related(G, r, "requires", "in")
        if users and not related(G, r, "provides", "in"):
            add("unprovided_resource", r, users[0], "high", f"'{_name(G, r)}' is needed at "
                f"{', '.join(repr(_name(G, s)) for s in users)} but no party provides it.")

    stages = {G.nodes[s].get("stage") for s in customer_steps}
    for job in [j for j in customer_jobs(G) if not related(G, j, "part_of")][:1]:
        for stage in STAGES:
            if stage not in stages:
                add("missing_stage", job, None, "medium" if stage in _KEY_STAGES else "low",
                    f"The customer's job '{_name(G, job)}' has no '{stage.replace('_', ' ')}' step"
                    + (": what happens at the end of the cycle is not designed." if stage in
                       ("dispose", "next_cycle", "renew") else "."))

    gaps = pd.DataFrame(rows, columns=_COLUMNS)
    order = {s: i for i, s in enumerate(customer_steps + company_steps)}
    gaps["_sev"] = gaps["severity"].map({s: i for i, s in enumerate(SEVERITIES)})
    gaps["_pos"] = gaps["step"].map(order).fillna(len(order))
    gaps = gaps.sort_values(["_sev", "_pos", "gap"], kind="stable").drop(columns=["_sev", "_pos"])
    return gaps.reset_index(drop=True)


def gap_list(gaps: pd.DataFrame) -> pd.DataFrame:
    """The gaps as a client reads them: ``title`` (:data:`GAP_TYPES`), ``severity``, ``step`` and
    ``explanation``, in :func:`find_gaps`' order (show the step by name with
    :func:`cem.tables.client_table`).

    Examples
    --------
    >>> g = pd.DataFrame([("no_touchpoint", "S", "S", "high", "'Pay' has no touchpoint.")],
    ...                  columns=["gap", "node", "step", "severity", "explanation"])
    >>> gap_list(g).values.tolist()
    [['Step without a touchpoint', 'high', 'S', "'Pay' has no touchpoint."]]
    """
    return pd.DataFrame({"title": gaps["gap"].map(GAP_TYPES).fillna(gaps["gap"]), "severity": gaps["severity"],
                         "step": gaps["step"], "explanation": gaps["explanation"]})


def gap_counts(gaps: pd.DataFrame) -> pd.DataFrame:
    """Count gaps by type and severity, titled for a client.

    Parameters
    ----------
    gaps : pandas.DataFrame
        From :func:`find_gaps`.

    Returns
    -------
    pandas.DataFrame
        One row per gap type found: ``gap``, ``title``, ``high``, ``medium``, ``low``, ``total``.
    """
    table = pd.crosstab(gaps["gap"], gaps["severity"]).reindex(columns=list(SEVERITIES), fill_value=0)
    table["total"] = table.sum(axis=1)
    table = table.reset_index()
    table.insert(1, "title", table["gap"].map(GAP_TYPES))
    table.columns.name = None
    return table.sort_values(["high", "medium", "total"], ascending=False).reset_index(drop=True)


def gap_metrics(G: nx.MultiDiGraph, gaps: pd.DataFrame) -> dict:
    """Key figures of a model and its gaps, for ``metrics.json`` and the report index.

    Returns
    -------
    dict
        ``model``, ``counts`` (nodes per kind), ``customer_steps``, ``stages_covered``,
        ``gaps_total``, ``gaps_by_severity``, ``gaps_by_type``.
    """
    from .graph import summary

    counts = summary(G).query("what == 'kind'").set_index("name")["count"].astype(int).to_dict()
    steps = journey_steps(G)
    return {
        "model": G.graph.get("name"),
        "counts": counts,
        "customer_steps": len(steps),
        "stages_covered": [s for s in STAGES if any(G.nodes[x].get("stage") == s for x in steps)],
        "gaps_total": int(len(gaps)),
        "gaps_by_severity": {s: int((gaps["severity"] == s).sum()) for s in SEVERITIES},
        "gaps_by_type": {k: int(v) for k, v in gaps["gap"].value_counts().items()},
    }


def explain_gaps(gaps: pd.DataFrame, *, top: int = 5) -> str:
    """A plain-language reading of the gaps for a client, as Markdown.

    Text from the model reaches the Markdown as text only (:func:`cem.markup.md_escape`): a
    name cannot become a link, an image, HTML or math in a report.

    Parameters
    ----------
    gaps : pandas.DataFrame
        From :func:`find_gaps`.
    top : int
        How many of the most severe gaps to spell out.

    Returns
    -------
    str

    Examples
    --------
    >>> import pandas as pd
    >>> g = pd.DataFrame([("no_touchpoint", "S", "S", "high", "'<b>Pay</b> ![x](http://h/p.png)' has no touchpoint.")],
    ...                  columns=["gap", "node", "step", "severity", "explanation"])
    >>> print(explain_gaps(g))
    The model shows **1 gap**: 1 high, 0 medium, 0 low.
    <BLANKLINE>
    The most serious:
    <BLANKLINE>
    1. **Step without a touchpoint** (high): \\'\\<b\\>Pay\\<\\/b\\> \\!\\[x\\]\\(http\\:\\/\\/h\\/p\\.png\\)\\' has no touchpoint\\.
    """
    from .markup import md_escape

    if gaps.empty:
        return "The model shows **no structural gap**: every step is served, performed and supported."
    n = len(gaps)
    sev = {s: int((gaps["severity"] == s).sum()) for s in SEVERITIES}
    lines = [f"The model shows **{n} gap{'s' if n != 1 else ''}**: "
             + ", ".join(f"{sev[s]} {s}" for s in SEVERITIES) + ".", "", "The most serious:", ""]
    for i, row in enumerate(gaps.head(top).itertuples(), 1):
        lines.append(f"{i}. **{md_escape(GAP_TYPES.get(row.gap, row.gap))}** ({md_escape(row.severity)}): "
                     f"{md_escape(row.explanation)}")
    return "\n".join(lines)
