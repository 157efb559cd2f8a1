"""Conversions of the journey graph: a model file into the graph, the graph into tables, YAML,
a workbook, GraphML, node-link JSON and Mermaid.

A model converts YAML -> graph -> workbook -> graph (or back to YAML) without loss
(:func:`graph_to_tables` turns a graph back into the model's tables). Every file is written
atomically (:func:`cem._files.atomic_write_text`): a crash leaves no half file.
"""
from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable
from pathlib import Path

import networkx as nx
import yaml
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from ._files import atomic_write_text
from .errors import InputError, Problem
from .graph import build_graph, related
from .readers.model import check_structure, find_model_file, read_model_tables
from .readers.workbook import SHEETS
from .schema import SECTIONS, SHORTHAND_LINKS

__all__ = ["load_model", "model_from_file", "graph_to_tables", "write_model_yaml", "write_workbook",
           "write_graphml", "write_node_link", "to_mermaid", "write_mermaid", "mermaid_ids", "mermaid_label"]


def model_from_file(path: str | Path) -> tuple[nx.MultiDiGraph, list[Problem]]:
    """Graph and warnings of a model file; raises InputError with every problem."""
    tables, locate, warnings = read_model_tables(path)
    file = str(path)
    G = build_graph(tables, source=file)
    problems = check_structure(G, tables, file, locate)
    if problems:
        raise InputError(problems, warnings)
    return G, warnings


def load_model(path: str | Path) -> nx.MultiDiGraph:
    """Read and validate a model; return its graph.

    Parameters
    ----------
    path : str or Path
        A model YAML file, or a study folder holding one.

    Returns
    -------
    networkx.MultiDiGraph
        Every node has ``kind``, every edge ``relation`` (also its key).

    Raises
    ------
    InputError
        With every problem of the model, one per line ``file:line: key: what is wrong``.

    Examples
    --------
    >>> import cem
    >>> G = cem.load_model("cem/examples/solar")  # doctest: +SKIP
    >>> G.nodes["S_quote"]["stage"]  # doctest: +SKIP
    'evaluate'
    """
    G, _ = model_from_file(find_model_file(path))
    return G


_MODEL_FIELDS = ("name", "version", "currency", "client", "description", "author")


_LINK_FIELDS = ("relation", "from", "to", "strength", "role", "note")


_INSTRUCTIONS = [
    "How to fill in this workbook",
    "",
    "Each sheet is one kind of thing in the customer's journey; each row is one of them.",
    "Give every row an id that is unique in the whole workbook (letters, digits, _), e.g. S_quote.",
    "Columns with a dropdown take one of its values; the Lists sheet (hidden) holds them.",
    "Jobs: the customer's job (performer customer) and the company's jobs (performer company or partner).",
    "Steps: the steps of each job, numbered by position in the order they happen; stage from the dropdown.",
    "Entities and Actors: every party of the value chain, and the roles inside each.",
    "Touchpoints: where a step happens; step may list several step ids separated by commas.",
    "Needs: desired outcomes, written 'Minimize the time it takes to ...'; give the step and the actor.",
    "Resources: what a step needs, and which entity provides it.",
    "Links: who performs which step, which company step supports which customer step, which",
    "touchpoint addresses which need (strength 0-1), and 'next' links for branches or loops.",
    "",
    "Check it with:  cem validate model.xlsx   - every problem is named by sheet and cell.",
]


def _fields(section):
    return ["id", *[f.name for f in SECTIONS[section][1]]]


def graph_to_tables(G: nx.MultiDiGraph) -> dict:
    """The model's tables from its graph: the inverse of :func:`cem.graph.build_graph`.

    Shorthand columns (a step's job, a touchpoint's steps and owner, a need's step and actor, ...)
    are filled from the links; every other link, and every ``next`` link the positions do not
    imply, goes to the links table.

    Returns
    -------
    dict
        ``{"model": {...}, "<section>": [row, ...], "links": [row, ...]}`` as in a model file.
    """
    tables = {"model": {k: v for k, v in G.graph.items() if k in _MODEL_FIELDS}}
    covered = set()
    for section, (kind, fields) in SECTIONS.items():
        rows = []
        for n, d in G.nodes(data=True):
            if d.get("kind") != kind:
                continue
            row = {"id": n}
            for k, v in d.items():
                if k != "kind":
                    row[k] = v
            for (k_kind, column), (relation, node_is_source) in SHORTHAND_LINKS.items():
                if k_kind != kind:
                    continue
                others = related(G, n, relation, "out" if node_is_source else "in")
                if kind == "need" and relation == "has_need":
                    want = "step" if column == "step" else "actor"
                    others = [o for o in others if G.nodes[o].get("kind") == want]
                if not others:
                    continue
                field = next(f for f in fields if f.name == column)
                row[column] = others if field.type == "ids" and len(others) > 1 else others[0]
                if field.type != "ids" and len(others) > 1:
                    others = others[:1]  # a single-id column keeps the first; the rest stay links
                covered.update((n, o, relation) if node_is_source else (o, n, relation) for o in others)
            rows.append(row)
        tables[section] = rows
    links = []
    for u, v, k, d in G.edges(keys=True, data=True):
        if (u, v, k) in covered or d.get("implicit"):
            continue
        link = {"relation": k, "from": u, "to": v}
        link.update({a: b for a, b in d.items() if a not in ("relation", "implicit")})
        links.append(link)
    tables["links"] = links
    return tables


def write_model_yaml(G: nx.MultiDiGraph, path: str | Path) -> Path:
    """Write a model as YAML (the tables of :func:`graph_to_tables`), one flow-style row per line."""

    tables = graph_to_tables(G)
    parts = ["model: " + yaml.safe_dump(tables["model"], default_flow_style=True, allow_unicode=True,
                                        sort_keys=False, width=10_000).strip()]
    for section in (*SECTIONS, "links"):
        parts.append(f"{section}:")
        for row in tables[section]:
            text = yaml.safe_dump(row, default_flow_style=True, allow_unicode=True, sort_keys=False,
                                  width=10_000).strip()
            parts.append(f"  - {text}")
        if not tables[section]:
            parts[-1] += " []"
    return atomic_write_text(path, "\n".join(parts) + "\n")


def write_workbook(G: nx.MultiDiGraph | None = None, path: str | Path = "model.xlsx",
                   tables: dict | None = None) -> Path:
    """Write a model (a graph, or tables) as a workbook with dropdowns and instructions.

    Parameters
    ----------
    G : networkx.MultiDiGraph, optional
        The model; or give ``tables`` (e.g. an empty template).
    path : str or Path
    tables : dict, optional

    Returns
    -------
    pathlib.Path
    """
    from .privacy import safe_cell
    from .schema import LINK_ATTRIBUTES, RELATIONS

    tables = tables if tables is not None else graph_to_tables(G)
    wb = Workbook()
    ins = wb.active
    ins.title = "Instructions"
    for i, line in enumerate(_INSTRUCTIONS, 1):
        ins.cell(i, 1, safe_cell(line)).font = Font(bold=(i == 1), size=14 if i == 1 else 11)
    ins.column_dimensions["A"].width = 110
    lists = wb.create_sheet("Lists")
    # One list per sheet and column ("resources.type"), never per column name alone: entities and
    # resources both have a `type`, jobs and needs a `dimension`, with different allowed values.
    vocab = {}
    for section, (kind, fields) in SECTIONS.items():
        for f in fields:
            if f.choices:
                vocab[f"{section}.{f.name}"] = (len(vocab) + 1, tuple(f.choices))
    vocab["links.relation"] = (len(vocab) + 1, tuple(RELATIONS))
    vocab["links.role"] = (len(vocab) + 1, tuple(LINK_ATTRIBUTES["role"][1]))
    for name, (c, choices) in vocab.items():
        lists.cell(1, c, safe_cell(name))
        for r, value in enumerate(choices, 2):
            lists.cell(r, c, safe_cell(value))
    lists.sheet_state = "hidden"
    head_fill = PatternFill("solid", fgColor="D6EAF8")

    def sheet(title, columns, rows, choice_of):
        ws = wb.create_sheet(title)
        for c, name in enumerate(columns, 1):
            cell = ws.cell(1, c, safe_cell(name))  # extra columns come from the model: text, never a formula
            cell.font = Font(bold=True)
            cell.fill = head_fill
            ws.column_dimensions[get_column_letter(c)].width = 48 if name in ("name", "statement") else 16
        for r, row in enumerate(rows, 2):
            for c, name in enumerate(columns, 1):
                value = row.get(name)
                if isinstance(value, list):
                    value = ", ".join(map(str, value))
                value = safe_cell(value)  # text, never a formula
                if value is not None:
                    ws.cell(r, c, value)
        for c, name in enumerate(columns, 1):
            key = choice_of.get(name)
            if key in vocab:
                lc, choices = vocab[key]
                letter = get_column_letter(lc)
                dv = DataValidation(type="list", formula1=f"=Lists!${letter}$2:${letter}${len(choices) + 1}",
                                    allow_blank=True, showErrorMessage=True,
                                    error=f"Choose one of: {', '.join(choices)}", errorTitle=f"Unknown {name}")
                dv.add(f"{get_column_letter(c)}2:{get_column_letter(c)}1000")
                ws.add_data_validation(dv)
        ws.freeze_panes = "B2"

    model = wb.create_sheet("Model")
    model.cell(1, 1, "setting").font = Font(bold=True)
    model.cell(1, 2, "value").font = Font(bold=True)
    for r, key in enumerate(_MODEL_FIELDS, 2):
        model.cell(r, 1, safe_cell(key))
        if tables.get("model", {}).get(key) is not None:
            model.cell(r, 2, safe_cell(tables["model"][key]))  # the model's name is the client's text
    model.column_dimensions["B"].width = 60
    for section, (kind, fields) in SECTIONS.items():
        columns = _fields(section)
        extra = sorted({k for row in tables.get(section, []) for k in row} - set(columns))
        sheet(SHEETS[section], columns + extra, tables.get(section, []),
              {f.name: f"{section}.{f.name}" for f in fields if f.choices})
    link_cols = list(_LINK_FIELDS)
    sheet("Links", link_cols, tables.get("links", []), {"relation": "links.relation", "role": "links.role"})
    wb.move_sheet("Lists", offset=len(wb.sheetnames))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def write_graphml(G: nx.MultiDiGraph, path: str | Path) -> Path:
    """Write the graph as GraphML (for Gephi, yEd, Cytoscape).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> G = nx.MultiDiGraph(name="demo"); _ = G.add_edge("t", "s", key="serves", relation="serves")
    >>> p = write_graphml(G, pathlib.Path(tempfile.mkdtemp()) / "m.graphml")
    >>> sorted(nx.read_graphml(p, force_multigraph=True).edges(keys=True))
    [('t', 's', 'serves')]
    """
    lines = nx.generate_graphml(G, named_key_ids=True)
    return atomic_write_text(path, "\n".join(lines) + "\n")


def write_node_link(G: nx.MultiDiGraph, path: str | Path) -> Path:
    """Write the graph as node-link JSON (d3, networkx ``node_link_graph``)."""
    data = nx.node_link_data(G, edges="edges")
    return atomic_write_text(path, json.dumps(data, indent=1, ensure_ascii=False) + "\n")


#: Words Mermaid's flowchart grammar reads as keywords wherever they stand (``end`` closes a
#: subgraph): a node whose id is one of them gets an escaped id. Compared without case.
_MERMAID_RESERVED = {"end", "graph", "flowchart", "subgraph", "style", "class", "classdef", "click", "call",
                     "href", "linkstyle", "interpolate", "direction", "default", "tb", "td", "bt", "lr", "rl"}


_MERMAID_SAFE_ID = re.compile(r"[A-Za-z][A-Za-z0-9_]*")


def mermaid_ids(nodes: Iterable[str]) -> dict[str, str]:
    """A Mermaid node id for each node: its own id when that is safe, else an escaped one.

    Safe: letters, digits and underscores, starting with a letter, not a Mermaid keyword
    (``end``) and not starting with ``o`` or ``x`` (after a link ``---`` they would make a circle
    or a cross edge). Other ids become ``n_`` and their letters and digits, every other character
    as ``_``; a clash (``S-1`` and ``S.1`` both ``n_S_1``) takes a number (``n_S_1_2``), so each
    node keeps a node of its own. Stable: the same nodes in the same order give the same ids.

    Examples
    --------
    >>> mermaid_ids(["S_1", "S-1", "S.1", "end", "order"])
    {'S_1': 'S_1', 'S-1': 'n_S_1', 'S.1': 'n_S_1_2', 'end': 'n_end', 'order': 'n_order'}
    """
    nodes = list(nodes)
    out, used = {}, set()
    for n in nodes:
        text = str(n)
        if _MERMAID_SAFE_ID.fullmatch(text) and text.lower() not in _MERMAID_RESERVED and text[0] not in "oxOX":
            out[n] = text
            used.add(text)
    for n in nodes:
        if n in out:
            continue
        base = "n_" + re.sub(r"[^A-Za-z0-9]", "_", ascii_safe(str(n)))[:60]
        ident, k = base, 1
        while ident in used:
            k += 1
            ident = f"{base}_{k}"
        out[n] = ident
        used.add(ident)
    return out


def ascii_safe(text):
    """Text with accents taken off and other characters left for the caller to replace."""
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


def mermaid_label(text: object) -> str:
    r"""Text safe inside a quoted Mermaid label: quotes, ``#``, brackets, backticks, ``<`` and
    ``>`` as Mermaid's entity codes, line breaks as spaces.

    Examples
    --------
    >>> mermaid_label('Say "hi" #1 [now] `x`\n<b>')
    'Say #quot;hi#quot; #35;1 #91;now#93; #96;x#96; #lt;b#gt;'
    """
    text = re.sub(r"[\r\n\t]+", " ", str(text))
    return re.sub(r'[#"\[\]{}()`<>|&;]', lambda m: _MERMAID_CODES[m.group()], text)


_MERMAID_CODES = {'"': "#quot;", "#": "#35;", "[": "#91;", "]": "#93;", "{": "#123;", "}": "#125;", "(": "#40;",
                  ")": "#41;", "`": "#96;", "<": "#lt;", ">": "#gt;", "|": "#124;", "&": "#amp;", ";": "#59;"}


def to_mermaid(G: nx.MultiDiGraph, *, direction: str = "LR") -> str:
    """The journey as a Mermaid flowchart, for Markdown docs (JupyterLab and GitHub render it).

    Customer steps are grouped by lifecycle stage in subgraphs and joined by the designed order;
    company steps are joined to the customer steps they support with dotted links. Node ids are
    the model's ids where Mermaid reads them as ids, escaped and kept distinct otherwise
    (:func:`mermaid_ids`); labels are quoted and escaped (:func:`mermaid_label`).

    Examples
    --------
    >>> G = nx.MultiDiGraph()
    >>> G.add_node("J", kind="job", performer="customer")
    >>> G.add_node("S1", kind="step", job="J", position=1, stage="use", name='Ride "fast"')
    >>> _ = G.add_edge("J", "S1", key="has_step")
    >>> print(to_mermaid(G))
    flowchart LR
      subgraph use["use"]
        S1["Ride #quot;fast#quot;"]
      end
    """
    from .graph import company_jobs, job_steps, journey_steps

    ids = mermaid_ids(G.nodes)

    def label(n):
        return mermaid_label(G.nodes[n].get("name") or G.nodes[n].get("statement") or n)

    lines = [f"flowchart {direction}"]
    steps = journey_steps(G)
    stages = []
    for s in steps:
        st = G.nodes[s].get("stage", "")
        if not stages or stages[-1][0] != st:
            stages.append((st, []))
        stages[-1][1].append(s)
    # Subgraph ids live in the nodes' namespace: a stage named like a node would merge them.
    names = [st for st, _ in stages]
    taken = set(ids.values())
    for i, (st, members) in enumerate(stages):
        ident = re.sub(r"\W", "_", str(st)) + ("_" + str(i) if names.count(st) > 1 else "")
        k = 0
        while not _MERMAID_SAFE_ID.fullmatch(ident) or ident.lower() in _MERMAID_RESERVED or ident in taken:
            k += 1
            ident = f"stage_group_{i}" + (f"_{k}" if k > 1 else "")
        taken.add(ident)
        lines.append(f'  subgraph {ident}["{mermaid_label(st)}"]')
        lines += [f'    {ids[s]}["{label(s)}"]' for s in members]
        lines.append("  end")
    for u, v, k in G.edges(keys=True):
        if k == "next" and u in steps and v in steps:
            lines.append(f"  {ids[u]} --> {ids[v]}")
    for job in company_jobs(G):
        for c in job_steps(G, job):
            lines.append(f'  {ids[c]}(["{label(c)}"])')
            for _, v, k in G.out_edges(c, keys=True):
                if k == "supports":
                    lines.append(f"  {ids[c]} -.-> {ids[v]}")
    return "\n".join(lines)


def write_mermaid(G: nx.MultiDiGraph, path: str | Path) -> Path:
    """Write :func:`to_mermaid` to a file (``.mmd``; ``.md`` gets a fenced block)."""
    text = to_mermaid(G)
    if str(path).endswith(".md"):
        text = f"```mermaid\n{text}\n```"
    return atomic_write_text(path, text + "\n")


