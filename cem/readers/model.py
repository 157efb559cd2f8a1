"""Validate a model as a whole: every problem collected, then raised once.

Two passes, like pandera's lazy validation:

1. :func:`check_tables` turns the raw sections of a model file (a dict of lists of dicts,
   from YAML or a workbook) into clean tables: required fields present, types right, closed
   vocabularies respected (with the closest valid value suggested), ids unique across the
   model, every reference pointing at a node of the right kind, links joining the right kinds.
2. :func:`check_structure` looks at the graph built from clean tables: the steps of each job
   must be connected by ``next``.

Both return lists of :class:`cem.errors.Problem`; :func:`cem.convert.load_model` raises one
:class:`cem.errors.InputError` with all of them. Nothing is computed on a model that failed.

Each problem is located by a *locator*: a callable ``locate(path, key) -> str`` where
``path`` is the position in the raw data (``("steps", 3, "stage")``) and ``key`` a readable
name (``"steps[S_quote].stage"``). The YAML reader's locator answers ``"14: steps[S_quote].stage"``
(line and key); a workbook's answers ``"Steps!D5"``.
"""
from __future__ import annotations

import math
import unicodedata
from collections import defaultdict
from collections.abc import Callable

import networkx as nx

from pathlib import Path

from ..errors import InputError, Problem
from ..outcomes import check_outcome_statement
from ..schema import (
    LINK_ATTRIBUTES,
    RELATIONS,
    SECTION_OF,
    SECTIONS,
    TOP_LEVEL_KEYS,
    ascii_lookalike,
    suggest,
)

__all__ = ["check_tables", "check_structure", "read_model_tables", "find_model_file", "MODEL_FILES"]

#: Bounds of plausible numbers in a model: positions, costs per interaction.
MAX_POSITION = 100_000
MAX_NUMBER = 1e9

#: Digits of the longest number written as text (a workbook cell, a quoted YAML value) that is
#: still read as one: longer is no plausible position or cost (and Python cannot even convert
#: integers of 4,300 digits).
MAX_NUMBER_DIGITS = 30

#: Bad references get a "did you mean" for the first this many; past them the problems are
#: listed without (the first 20 of each kind are printed anyway, see cem.errors).
MAX_SUGGESTIONS = 100

_MODEL_KEYS = ("name", "version", "currency", "description", "client", "author")


def _plain_locator(path, key):
    return key


def _did_you_mean(value, choices, c=None):
    if c is not None:  # a collector counts its suggestions: each costs a look-up, and few are read
        c.suggestions += 1
        if c.suggestions > MAX_SUGGESTIONS:
            return ""
    hint = suggest(value, choices)
    if hint and ascii_lookalike(value) == hint and hint != value:
        odd = ", ".join(f"'{ch}' (U+{ord(ch):04X})" for ch in str(value) if ord(ch) > 127)
        return f"; it has look-alike characters {odd}: did you mean '{hint}'?"
    return f"; did you mean '{hint}'?" if hint else ""


def _choices_text(choices):
    return ", ".join(choices)


class _Collector:
    def __init__(self, file, locate):
        self.file = file
        self.locate = locate or _plain_locator
        self.problems = []
        self.warnings = []
        self.suggestions = 0

    def error(self, path, key, message):
        self.problems.append(Problem(self.file, self.locate(path, key), message))

    def warn(self, path, key, message):
        self.warnings.append(Problem(self.file, self.locate(path, key), message, "warning"))


def _is_blank(value):
    # A YAML .nan is a value (and an error where a number is expected), not a blank cell.
    return value is None or (isinstance(value, str) and not value.strip())


def _as_text(value):
    """Scalars as text (ids and names written as numbers are fine); None for anything else."""
    if isinstance(value, bool) or isinstance(value, (list, dict)):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    # Unicode normal form C, as the data files are read (cem.io.read_csv): an id typed with
    # "é" as one code point or as "e" and an accent is one id.
    return text if text.isascii() else unicodedata.normalize("NFC", text)


def _too_long_number(value):
    """Digits of a number written as text when there are too many to be a plausible one, else 0."""
    if isinstance(value, str) and len(value) > MAX_NUMBER_DIGITS:
        digits = sum(ch.isdigit() for ch in value)
        return digits if digits > MAX_NUMBER_DIGITS else 0
    return 0


def _as_int(value):
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    return None


def _as_number(value):
    if isinstance(value, bool) or isinstance(value, (list, dict)) or value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):  # an integer past 1e308 is no number either
        return None
    return number if math.isfinite(number) else None


def _describe(value):
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10 ** 30:
        return f"a number of {len(str(abs(value))):,} digits"  # repr of 4,300 digits raises
    return repr(value)


def _format(number):
    """A number for a message, whatever its size."""
    try:
        return f"{number:g}"
    except OverflowError:
        return _describe(number)


def _check_field(c, field, value, path, key):
    """Return the clean value of one field, or None after recording a problem."""
    if field.type in ("int", "number") and _too_long_number(value):
        c.error(path, key, f"{field.name} is not a plausible number ({_too_long_number(value):,} digits; at most "
                f"{MAX_NUMBER_DIGITS})")
        return None
    if field.type in ("id", "str"):
        text = _as_text(value)
        if text is None:
            c.error(path, key, f"{field.name} must be text; got {_describe(value)}")
            return None
        if field.choices is not None:
            norm = text.lower()
            if norm not in field.choices:
                c.error(path, key, f"{field.name} '{text}' is not one of "
                        f"{_choices_text(field.choices)}{_did_you_mean(text, field.choices)}")
                return None
            return norm
        return text
    if field.type == "ids":
        items = value if isinstance(value, list) else [value]
        out = []
        for item in items:
            text = _as_text(item)
            if text is None or not text:
                c.error(path, key, f"{field.name} must be an id or a list of ids; got {_describe(value)}")
                return None
            out.append(text)
        return out
    if field.type == "int":
        number = _as_int(value)
        if number is None:
            c.error(path, key, f"{field.name} must be a whole number; got {_describe(value)}")
        elif not 0 <= number <= MAX_POSITION:
            c.error(path, key, f"{field.name} must be between 0 and {MAX_POSITION:,}; got {_format(number)}")
            return None
        return number
    if field.type == "number":
        number = _as_number(value)
        if number is None:
            c.error(path, key, f"{field.name} must be a finite number; got {_describe(value)}")
        elif number < 0:
            c.error(path, key, f"{field.name} must not be negative; got {_format(number)}")
            return None
        elif number > MAX_NUMBER:
            c.error(path, key, f"{field.name} {_format(number)} is not plausible; at most {MAX_NUMBER:,.0f}")
            return None
        return number
    raise AssertionError(field.type)  # a schema bug, not an input problem


def _check_model_meta(c, meta, default_name):
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        c.error(("model",), "model", f"model must be a mapping such as {{name: ..., currency: EUR}}; got {_describe(meta)}")
        return {"name": default_name}
    clean = {}
    for k, v in meta.items():
        if k not in _MODEL_KEYS:
            c.error(("model", k), f"model.{k}", f"unknown key '{k}'; expected one of "
                    f"{_choices_text(_MODEL_KEYS)}{_did_you_mean(k, _MODEL_KEYS)}")
            continue
        text = _as_text(v)
        if text is None:
            c.error(("model", k), f"model.{k}", f"{k} must be text; got {_describe(v)}")
            continue
        clean[k] = text
    if not clean.get("name"):
        c.warn(("model",), "model.name", f"the model has no name; using '{default_name}'")
        clean["name"] = default_name
    return clean


def _check_section(c, section, rows):
    kind, fields = SECTIONS[section]
    by_name = {f.name: f for f in fields}
    known = ("id", *by_name)
    records = []
    if rows is None:
        return records
    if not isinstance(rows, list):
        c.error((section,), section, f"{section} must be a list of rows (one '- {{id: ..., ...}}' per {kind}); "
                f"got {_describe(rows)}")
        return records
    for i, row in enumerate(rows):
        base = (section, i)
        if not isinstance(row, dict):
            c.error(base, f"{section}[{i}]", f"each {kind} must be a mapping of fields; got {_describe(row)}")
            continue
        rid = _as_text(row.get("id")) if not _is_blank(row.get("id")) else None
        label = f"{section}[{rid}]" if rid else f"{section}[{i}]"
        if rid is None:
            c.error(base + ("id",), f"{label}.id", f"every {kind} needs an id (text, unique in the model)")
        rec = {"id": rid, "_path": base, "_label": label}
        ok = rid is not None
        for name, value in row.items():
            name_text = str(name)
            if name_text == "id":
                continue
            path, key = base + (name_text,), f"{label}.{name_text}"
            field = by_name.get(name_text)
            if field is None:
                hint = suggest(name_text, known)
                if hint:
                    c.error(path, key, f"unknown field '{name_text}'; did you mean '{hint}'?")
                    ok = False
                elif isinstance(value, (list, dict)):
                    c.error(path, key, f"extra field '{name_text}' must be text or a number; got {_describe(value)}")
                    ok = False
                elif not _is_blank(value):
                    rec[name_text] = value  # a consultant's own column, kept as an attribute
                continue
            if _is_blank(value) or value == []:
                continue  # missing; reported below when required
            clean = _check_field(c, field, value, path, key)
            if clean is None:
                ok = False
            else:
                rec[name_text] = clean
        for field in fields:
            if field.required and _is_blank(row.get(field.name)):
                c.error(base + (field.name,), f"{label}.{field.name}",
                        f"{field.name} is required for every {kind}" + (f" ({field.doc})" if field.doc else ""))
                ok = False
        rec["_ok"] = ok
        records.append(rec)
    return records


def _check_link_row(c, i, row, kinds, ids=None):
    base = ("links", i)
    if not isinstance(row, dict):
        c.error(base, f"links[{i}]", f"each link must be a mapping {{relation: ..., from: ..., to: ...}}; got {_describe(row)}")
        return None
    rel = _as_text(row.get("relation")) if not _is_blank(row.get("relation")) else None
    label = f"links[{i}]"
    ok = True
    if rel is None:
        c.error(base + ("relation",), f"{label}.relation",
                f"relation is required; one of {_choices_text(RELATIONS)}")
        ok = False
    else:
        rel = rel.lower()
        if rel not in RELATIONS:
            c.error(base + ("relation",), f"{label}.relation", f"relation '{rel}' is not one of "
                    f"{_choices_text(RELATIONS)}{_did_you_mean(rel, RELATIONS)}")
            ok = False
    ends = {}
    for end in ("from", "to"):
        value = row.get(end)
        text = _as_text(value) if not _is_blank(value) else None
        if text is None:
            c.error(base + (end,), f"{label}.{end}", f"'{end}' is required: the id of the link's "
                    f"{'source' if end == 'from' else 'target'} node")
            ok = False
            continue
        ends[end] = text
        if text not in kinds:
            c.error(base + (end,), f"{label}.{end}", f"'{text}' is not an id in the model"
                    f"{_did_you_mean(text, ids if ids is not None else tuple(kinds), c)}")
            ok = False
    attrs = {}
    for k, v in row.items():
        if k in ("relation", "from", "to") or _is_blank(v):
            continue
        spec = LINK_ATTRIBUTES.get(k)
        key = f"{label}.{k}"
        if spec is None:
            c.error(base + (k,), key, f"unknown link attribute '{k}'; links may carry "
                    f"{_choices_text(LINK_ATTRIBUTES)}{_did_you_mean(k, LINK_ATTRIBUTES)}")
            ok = False
        elif spec[0] == "number":
            number = _as_number(v)
            if number is None or not spec[1] <= number <= spec[2]:
                c.error(base + (k,), key, f"{k} must be a number from {spec[1]:g} to {spec[2]:g}; got {_describe(v)}")
                ok = False
            else:
                attrs[k] = number
        else:
            text = _as_text(v)
            if text is None:
                c.error(base + (k,), key, f"{k} must be text; got {_describe(v)}")
                ok = False
            elif spec[1] is not None and text.lower() not in spec[1]:
                c.error(base + (k,), key, f"{k} '{text}' is not one of {_choices_text(spec[1])}"
                        f"{_did_you_mean(text, spec[1])}")
                ok = False
            else:
                attrs[k] = text.lower() if spec[1] is not None else text
    if not ok:
        return None
    src_kinds, dst_kinds, meaning = RELATIONS[rel]
    a, b = ends["from"], ends["to"]
    if kinds[a] not in src_kinds or kinds[b] not in dst_kinds:
        c.error(base, f"{label}", f"{rel} links {' or '.join(src_kinds)} -> {' or '.join(dst_kinds)} "
                f"({meaning}); got {kinds[a]} '{a}' -> {kinds[b]} '{b}'")
        return None
    if rel == "has_step":
        c.error(base, label, f"has_step is set by the step's 'job' field; remove this link and set job: {a} on step '{b}'")
        return None
    return {"relation": rel, "from": a, "to": b, "_path": base, "_label": label, **attrs}


def check_tables(data: object, file: str = "model", locate: Callable[[tuple, str], str] | None = None,
                 default_name: str = "model") -> tuple[dict, list[Problem], list[Problem]]:
    """Check the raw sections of a model and return clean tables.

    Parameters
    ----------
    data : object
        What the model file holds: normally a dict with ``model``, the node sections
        (``jobs``, ``steps``, ...) and ``links``.
    file : str
        File name used in problems.
    locate : callable, optional
        ``locate(path, key) -> str`` (see module docstring).
    default_name : str
        Model name when ``model.name`` is missing.

    Returns
    -------
    tables : dict
        ``{"model": {...}, "nodes": {kind: [record, ...]}, "links": [record, ...]}``.
    problems : list of Problem
        Errors; the tables are only usable when this is empty.
    warnings : list of Problem

    Examples
    --------
    >>> data = {"jobs": [{"id": "J", "name": "Get paid", "performer": "customer"}],
    ...         "steps": [{"id": "S1", "job": "J", "name": "Agree pay", "position": 1, "stage": "purchse"}]}
    >>> tables, problems, warnings = check_tables(data, "m.yaml")
    >>> print(problems[0])
    m.yaml:steps[S1].stage: stage 'purchse' is not one of awareness, search, evaluate, purchase, receive, setup, use, get_help, maintain, renew, dispose, next_cycle; did you mean 'purchase'?
    """
    c = _Collector(file, locate)
    tables = {"model": {}, "nodes": {kind: [] for kind, _ in SECTIONS.values()}, "links": []}
    if data is None:
        c.error((), "", "the file holds no model; expected sections " + ", ".join(TOP_LEVEL_KEYS))
        return tables, c.problems, c.warnings
    if not isinstance(data, dict):
        c.error((), "", f"expected a mapping with sections {', '.join(TOP_LEVEL_KEYS)}; got {_describe(data)}")
        return tables, c.problems, c.warnings
    for key in data:
        if key not in TOP_LEVEL_KEYS:
            c.error((key,), str(key), f"unknown section '{key}'; expected one of "
                    f"{_choices_text(TOP_LEVEL_KEYS)}{_did_you_mean(key, TOP_LEVEL_KEYS)}")
    tables["model"] = _check_model_meta(c, data.get("model"), default_name)

    # Ids are unique across the whole model: one namespace for every kind.
    kinds, first_seen = {}, {}  # first_seen: id -> where it was written (path, label), located when needed
    for section, (kind, _) in SECTIONS.items():
        for rec in _check_section(c, section, data.get(section)):
            rid = rec["id"]
            if rid is not None:
                if rid in kinds:
                    c.error(rec["_path"] + ("id",), f"{rec['_label']}.id",
                            f"duplicate id '{rid}': already used by the {kinds[rid]} at {c.locate(*first_seen[rid])}")
                    continue
                kinds[rid] = kind
                first_seen[rid] = (rec["_path"], rec["_label"])
            tables["nodes"][kind].append(rec)
    if not any(tables["nodes"].values()) and not c.problems:
        c.error((), "", "the model has no nodes; expected sections " + ", ".join(TOP_LEVEL_KEYS))

    # References made by the shorthand columns. The ids of each kind are listed once, when
    # first needed, for the suggestions (a list per bad reference would be quadratic).
    ids_of = {}

    def ids_of_kind(kind):
        if kind not in ids_of:
            ids_of[kind] = tuple(k for k, v in kinds.items() if v == kind)
        return ids_of[kind]

    for kind, records in tables["nodes"].items():
        fields = {f.name: f for f in SECTIONS[SECTION_OF[kind]][1]}
        for rec in records:
            for name, field in fields.items():
                if field.ref is None or name not in rec:
                    continue
                targets = rec[name] if isinstance(rec[name], list) else [rec[name]]
                for target in targets:
                    if target not in kinds:
                        c.error(rec["_path"] + (name,), f"{rec['_label']}.{name}", f"{field.ref} '{target}' "
                                f"does not exist{_did_you_mean(target, ids_of_kind(field.ref), c)}")
                        rec["_ok"] = False
                    elif kinds[target] != field.ref:
                        c.error(rec["_path"] + (name,), f"{rec['_label']}.{name}",
                                f"'{target}' is a {kinds[target]}; {name} must name a {field.ref}")
                        rec["_ok"] = False
    for rec in tables["nodes"]["need"]:
        if rec.get("_ok") and not rec.get("step") and not rec.get("actor"):
            c.error(rec["_path"], rec["_label"], "a need must say where it arises: give a step, an actor, or both")
        if rec.get("statement"):
            for text in check_outcome_statement(rec["statement"], rec.get("direction")):
                c.warn(rec["_path"] + ("statement",), f"{rec['_label']}.statement", f"the outcome statement {text}")

    # Links.
    links = data.get("links")
    if links is not None and not isinstance(links, list):
        c.error(("links",), "links", f"links must be a list of {{relation, from, to}} rows; got {_describe(links)}")
        links = []
    seen_links = {}
    all_ids = tuple(kinds)
    for i, row in enumerate(links or []):
        link = _check_link_row(c, i, row, kinds, all_ids)
        if link is None:
            continue
        ident = (link["relation"], link["from"], link["to"])
        if ident in seen_links:
            c.error(link["_path"], link["_label"], f"duplicate link {ident[0]} {ident[1]} -> {ident[2]} "
                    f"(already at {c.locate(*seen_links[ident])})")
            continue
        seen_links[ident] = (link["_path"], link["_label"])
        tables["links"].append(link)

    _check_jobs(c, tables)
    return tables, _by_line(c.problems), _by_line(c.warnings)


def _by_line(problems):
    """Problems in the order of the file, where their location starts with a line number."""
    def line(p):
        head = p.location.split(":", 1)[0]
        return int(head) if head.isdigit() else 0
    return sorted(problems, key=line)


def _check_jobs(c, tables):
    jobs = {j["id"]: j for j in tables["nodes"]["job"] if j["id"]}
    if tables["nodes"]["job"] and not any(j.get("performer") == "customer" for j in jobs.values()):
        c.error(("jobs",), "jobs", "no job has performer 'customer': the model needs the customer's job")
    steps = {s["id"]: s for s in tables["nodes"]["step"] if s["id"]}
    by_job = defaultdict(list)
    for s in steps.values():
        if "job" in s and "position" in s:
            by_job[s["job"]].append(s)
    for job, members in by_job.items():
        seen = {}
        for s in sorted(members, key=lambda r: r["_path"]):
            if s["position"] in seen:
                c.error(s["_path"] + ("position",), f"{s['_label']}.position",
                        f"position {s['position']} is already taken by step '{seen[s['position']]}' in job '{job}'; "
                        "positions give the designed order and must differ")
            else:
                seen[s["position"]] = s["id"]
    for link in tables["links"]:
        if link["relation"] != "supports":
            continue
        src, dst = steps.get(link["from"]), steps.get(link["to"])
        perf_src = jobs.get(src.get("job"), {}).get("performer") if src else None
        perf_dst = jobs.get(dst.get("job"), {}).get("performer") if dst else None
        if perf_src == "customer" or (perf_dst and perf_dst != "customer"):
            c.error(link["_path"], link["_label"], f"supports goes from a company or partner step to a customer "
                    f"step; got a {perf_src} step '{link['from']}' -> a {perf_dst} step '{link['to']}'")


def check_structure(G: nx.MultiDiGraph, tables: dict, file: str = "model",
                    locate: Callable[[tuple, str], str] | None = None) -> list[Problem]:
    """Problems of the graph built from clean tables.

    The steps of every job must form one connected chain under ``next`` (within the job);
    a step cut off from the others of its job has no place in the designed order.

    Parameters
    ----------
    G : networkx.MultiDiGraph
        Built by :func:`cem.graph.build_graph` from ``tables``.
    tables : dict
        The clean tables, whose records know where in the file each node was written.
    """
    c = _Collector(file, locate)
    where = {r["id"]: (r["_path"], r["_label"]) for recs in tables["nodes"].values() for r in recs}
    steps_by_job = defaultdict(list)
    for n, d in G.nodes(data=True):
        if d.get("kind") == "step":
            steps_by_job[d.get("job")].append(n)
    for job, steps in steps_by_job.items():
        if len(steps) < 2:
            continue
        H = nx.Graph()
        H.add_nodes_from(steps)
        H.add_edges_from((u, v) for u, v, k in G.edges(steps, keys=True) if k == "next" and v in H)
        parts = sorted(nx.connected_components(H), key=lambda p: min(G.nodes[s]["position"] for s in p))
        first = min(parts[0], key=lambda x: G.nodes[x]["position"])  # once, not per cut-off step
        for part in parts[1:]:
            for s in sorted(part, key=lambda s: G.nodes[s]["position"]):
                path, label = where.get(s, ((), s))
                c.error(path, label, f"step '{s}' is not connected by 'next' to the other steps of job '{job}' "
                        f"(starting at '{first}'); add a next link to or from it")
    return c.problems


#: File names a study folder's model may have, in order of preference.
MODEL_FILES = ("model.yaml", "model.yml", "model.xlsx")


def find_model_file(path: str | Path) -> Path:
    """The model file of a study folder, or the path itself when it is a file.

    Raises
    ------
    InputError
        The path does not exist, or the folder holds no model file.
    """
    p = Path(path)
    if not p.exists():
        raise InputError.single(str(path), "no such file or folder")
    if p.is_file():
        return p
    for name in MODEL_FILES:
        if (p / name).is_file():
            return p / name
    raise InputError.single(str(path), f"holds no model: expected one of {', '.join(MODEL_FILES)}")


def read_model_tables(path: str | Path) -> tuple[dict, Callable[[tuple, str], str], list[Problem]]:
    """The clean tables of a model file (YAML or workbook), its locator and its warnings.

    Raises
    ------
    InputError
        Every problem of the tables (:func:`check_tables`), together.
    """
    path = Path(path)
    if path.suffix.lower() == ".xlsx":
        from .workbook import read_workbook

        data, locate = read_workbook(path)
        read_warnings = []
    else:
        from .yaml import read_yaml

        data, locate, read_warnings = read_yaml(path)
    file = str(path)
    tables, problems, warnings = check_tables(data, file, locate, default_name=path.parent.name
                                              if path.stem == "model" else path.stem)
    warnings = read_warnings + warnings
    if problems:
        raise InputError(problems, warnings)
    return tables, locate, warnings
