"""What changed between two versions of a model: nodes and links added, removed, changed.

Workshops revise a model many times; :func:`diff_models` tells the facilitator (and the client)
exactly what a revision did, attribute by attribute, and :func:`diff_summary` says it in a line.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    import networkx as nx

__all__ = ["diff_models", "diff_summary"]

_COLUMNS = ["change", "what", "id", "kind", "attribute", "before", "after"]


def diff_models(A: nx.MultiDiGraph, B: nx.MultiDiGraph) -> pd.DataFrame:
    """Differences between two journey graphs, ``A`` (before) and ``B`` (after).

    Returns
    -------
    pandas.DataFrame
        One row per difference: ``change`` (added, removed, changed), ``what`` (node or link),
        ``id`` (a node id, or ``relation: from -> to`` for a link), ``kind`` (the node's kind or
        the link's relation), ``attribute``, ``before``, ``after`` (for changed attributes).
        Sorted by what, change and id.

    Examples
    --------
    >>> import networkx as nx
    >>> A = nx.MultiDiGraph(); A.add_node("S1", kind="step", stage="use")
    >>> B = nx.MultiDiGraph(); B.add_node("S1", kind="step", stage="setup"); B.add_node("T1", kind="touchpoint")
    >>> diff_models(A, B)[["change", "id", "attribute", "before", "after"]].fillna("").values.tolist()
    [['added', 'T1', '', '', ''], ['changed', 'S1', 'stage', 'use', 'setup']]
    """
    rows = []
    for n in sorted(set(B) - set(A)):
        rows.append(("added", "node", n, B.nodes[n].get("kind"), None, None, None))
    for n in sorted(set(A) - set(B)):
        rows.append(("removed", "node", n, A.nodes[n].get("kind"), None, None, None))
    for n in sorted(set(A) & set(B)):
        a, b = A.nodes[n], B.nodes[n]
        for attr in sorted(set(a) | set(b)):
            if a.get(attr) != b.get(attr):
                rows.append(("changed", "node", n, b.get("kind"), attr, a.get(attr), b.get(attr)))
    la = {(u, v, k): d for u, v, k, d in A.edges(keys=True, data=True)}
    lb = {(u, v, k): d for u, v, k, d in B.edges(keys=True, data=True)}
    label = "{2}: {0} -> {1}".format
    for e in sorted(set(lb) - set(la)):
        rows.append(("added", "link", label(*e), e[2], None, None, None))
    for e in sorted(set(la) - set(lb)):
        rows.append(("removed", "link", label(*e), e[2], None, None, None))
    for e in sorted(set(la) & set(lb)):
        a, b = la[e], lb[e]
        for attr in sorted((set(a) | set(b)) - {"implicit"}):
            if a.get(attr) != b.get(attr):
                rows.append(("changed", "link", label(*e), e[2], attr, a.get(attr), b.get(attr)))
    out = pd.DataFrame(rows, columns=_COLUMNS)
    order = {"node": 0, "link": 1}
    rank = {"added": 0, "removed": 1, "changed": 2}
    out = out.iloc[sorted(range(len(out)), key=lambda i: (order[out.at[i, "what"]], rank[out.at[i, "change"]],
                                                          str(out.at[i, "id"]), str(out.at[i, "attribute"])))]
    return out.reset_index(drop=True)


def diff_summary(diff: pd.DataFrame) -> str:
    """One line: how many nodes and links were added, removed and changed.

    Examples
    --------
    >>> diff_summary(pd.DataFrame(columns=_COLUMNS))
    'no differences'
    """
    if diff.empty:
        return "no differences"
    parts = []
    for what in ("node", "link"):
        d = diff[diff["what"] == what]
        if d.empty:
            continue
        changed = d[d["change"] == "changed"]["id"].nunique()
        counts = [f"{(d['change'] == 'added').sum()} added", f"{(d['change'] == 'removed').sum()} removed",
                  f"{changed} changed"]
        parts.append(f"{what}s: " + ", ".join(counts))
    return "; ".join(parts)
