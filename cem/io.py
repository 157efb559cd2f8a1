"""Read and write models and study folders.

Reading is defensive: a model file is refused with a clear :class:`cem.errors.InputError`
when it is missing, empty, binary, too large, not UTF-8, malformed YAML, or expanded by YAML
aliases past a million values (a "billion laughs" document). YAML is read with safe-loader
semantics in one linear pass over the parser's events (:func:`_compose`): nesting deeper than
:data:`MAX_YAML_DEPTH`, integers past 1e308, alias cycles, tags on lists and mappings and
second documents are refused where they stand. Every problem of a readable model is collected
by :mod:`cem.validate` and raised once.

Files of a study folder are read from inside it only: a symbolic link out of the folder, or a
setting naming a file outside it (:func:`study_file`), is refused without reading it.

A *study folder* holds ``model.yaml`` (or ``model.yml``), an optional ``study.yaml`` with
the study's settings, and optional measured data (``survey.csv``, ``events.csv``,
``transactions.csv``, ``customers.csv``), see :data:`DATA_FILES`.
"""
from __future__ import annotations

import datetime
import json
import math
import re
import os
import tempfile
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import networkx as nx
import yaml

from . import validate
from .errors import InputError, Problem, shorten
from .graph import build_graph
from .schema import SURVEY_MEASURES, suggest

__all__ = [
    "Study",
    "load_model",
    "load_study",
    "check_study",
    "try_load_study",
    "problems_table",
    "problems_markdown",
    "read_yaml",
    "find_model_file",
    "study_file",
    "write_graphml",
    "write_node_link",
    "to_mermaid",
    "write_mermaid",
    "mermaid_ids",
    "mermaid_label",
    "read_csv",
    "line_list",
    "decode_text",
    "max_data_bytes",
    "MODEL_FILES",
    "DATA_FILES",
    "MAX_MODEL_BYTES",
    "MAX_YAML_NODES",
    "MAX_YAML_DEPTH",
    "MAX_INT_DIGITS",
    "STUDY_RANGES",
]

#: File names a study folder's model may have, in order of preference.
MODEL_FILES = ("model.yaml", "model.yml", "model.xlsx")

#: Optional measured data of a study: key -> accepted file names.
DATA_FILES = {
    "survey": ("survey.csv",),
    "events": ("events.csv", "events.parquet", "events.xes", "events.xes.gz"),
    "transactions": ("transactions.csv",),
    "customers": ("customers.csv",),
}

#: Model files above this size are refused before parsing (a model is a few hundred rows).
MAX_MODEL_BYTES = 20 * 1024 * 1024

#: Data files (survey, events, transactions) above this size are refused before reading;
#: the environment variable CEM_MAX_INPUT_BYTES sets another limit.
MAX_DATA_BYTES = 2 * 1024 ** 3


def max_data_bytes():
    """The size limit of data files: ``CEM_MAX_INPUT_BYTES`` if set, else :data:`MAX_DATA_BYTES`."""
    value = os.environ.get("CEM_MAX_INPUT_BYTES", "")
    return int(value) if value.strip().isdigit() else MAX_DATA_BYTES


def check_size(path, size, what):
    """Refuse a data file (or its decompressed content) larger than :func:`max_data_bytes`."""
    limit = max_data_bytes()
    if size > limit:
        raise InputError.single(str(path), f"is {size / 2**20:,.0f} MiB{' decompressed' if what == 'xes' else ''}; "
                                f"data files may be at most {limit / 2**20:,.0f} MiB (set CEM_MAX_INPUT_BYTES to "
                                "allow more, or split the file)")


#: A document whose aliases expand it past this many nodes is refused (a "billion laughs").
MAX_YAML_NODES = 1_000_000

#: Settings a study.yaml may hold: key -> (type, doc).
STUDY_KEYS = {
    "title": ("str", "title shown on the report"),
    "client": ("str", "client name"),
    "description": ("str", "what the study is about"),
    "currency": ("str", "currency code of money figures, e.g. EUR"),
    "discount_rate": ("rate", "yearly discount rate for lifetime value, 0..1"),
    "horizon": ("number", "lifetime value horizon, in years"),
    "margin": ("rate", "gross margin on revenue, 0..1"),
    "segment": ("str", "column of customers.csv or survey.csv that names the segment"),
    "mappings": ("mapping", "column mappings of the data files"),
    "pseudonym_key": ("str", "key of the customer pseudonyms in reports (CEM_PSEUDONYM_KEY wins)"),
}


@dataclass
class Study:
    """A study folder, loaded: the model's graph, the settings, and the data files present.

    Attributes
    ----------
    path : pathlib.Path
        The study folder.
    name : str
        Short name of the study (the folder's name), used for its report run.
    graph : networkx.MultiDiGraph
        The validated model.
    config : dict
        Settings from study.yaml (empty when there is none).
    files : dict
        Data files present: key of :data:`DATA_FILES` -> path.
    warnings : list of Problem
        Things worth knowing that did not stop the load.
    segment : tuple of (str, str) or None
        ``(column, value)`` when the study is looked at for one segment of customers only:
        the data loaders keep the rows of those customers (see :mod:`cem.segments`).
    """

    path: Path
    name: str
    graph: nx.MultiDiGraph
    config: dict = field(default_factory=dict)
    files: dict = field(default_factory=dict)
    warnings: list = field(default_factory=list)
    segment: tuple | None = None

    @property
    def title(self):
        """The study's title: study.yaml's title, else the model's name; and the segment, if any."""
        title = self.config.get("title") or self.graph.graph.get("name") or self.name
        return f"{title} ({self.segment[0]} = {self.segment[1]})" if self.segment else title

    def missing(self):
        """Keys of :data:`DATA_FILES` this study has no file for."""
        return [k for k in DATA_FILES if k not in self.files]


def decode_text(raw, file):
    """Text of a file's bytes, and a warning when it was not plain UTF-8.

    UTF-8 (with or without a byte-order mark) is read as is; UTF-16 with its byte-order mark is
    read with a warning; anything else that is not UTF-8 is read as Latin-1 with a warning. A
    file with NUL bytes and no UTF-16 mark is binary: None.

    Examples
    --------
    >>> decode_text("café".encode("latin-1"), "f.csv")[1][0].message
    'is not UTF-8 (byte 3); read as Latin-1: check accented names'
    """
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return raw.decode("utf-16"), [Problem(file, "", "is UTF-16; read it as such (save as UTF-8 to "
                                                  "avoid this warning)", "warning")]
        except UnicodeDecodeError:
            return None, []
    if b"\x00" in raw[:8192]:
        return None, []
    try:
        return raw.decode("utf-8-sig"), []
    except UnicodeDecodeError as exc:
        return raw.decode("latin-1"), [Problem(file, "", f"is not UTF-8 (byte {exc.start}); read as Latin-1: "
                                               "check accented names", "warning")]


def _read_text(path, what="model"):
    """The text of a file and its warnings, or an InputError saying plainly why it cannot be read."""
    p = Path(path)
    if not p.exists():
        raise InputError.single(str(path), "no such file or folder")
    if p.is_dir():
        raise InputError.single(str(path), f"is a folder; expected a {what} file")
    size = p.stat().st_size
    if size > MAX_MODEL_BYTES:
        raise InputError.single(str(path), f"is {size / 2**20:.0f} MiB; a {what} file may be at most "
                                f"{MAX_MODEL_BYTES / 2**20:.0f} MiB")
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise InputError.single(str(path), f"cannot be read: {exc.strerror}") from None
    text, warnings = decode_text(raw, str(path))
    if text is None:
        raise InputError.single(str(path), f"is a binary file, not a YAML {what}")
    if not text.strip():
        raise InputError.single(str(path), f"is empty; expected a YAML {what}")
    return text, warnings


#: The fast parser (libyaml) when PyYAML was built with it; the pure-Python one otherwise. Only
#: its *events* are used: :func:`_compose` builds the data itself, without recursion, so neither
#: a deep document (libyaml's own composer recurses in C and crashes past ~100,000 levels) nor
#: a long one (PyYAML's composer and resolver cost ~25 s for 50,000 links) is a risk.
_PARSER = yaml.CSafeLoader if getattr(yaml, "__with_libyaml__", False) else yaml.SafeLoader

#: Deepest nesting of lists and mappings a model or study.yaml may have (a model is 4 deep,
#: study.yaml's mappings 5): deeper is refused as it is read, before any of it is built.
MAX_YAML_DEPTH = 32

#: The largest integer a YAML file may hold (1e308, about the largest float): past it a value
#: is no plausible number, and Python refuses even to print integers of 4,300 digits. A value
#: longer than MAX_INT_DIGITS characters is refused without being converted at all.
_LARGEST_INT = 10 ** 308
MAX_INT_DIGITS = 308

_MAP_TAGS = (None, "!", "tag:yaml.org,2002:map")
_SEQ_TAGS = (None, "!", "tag:yaml.org,2002:seq")
_INT_TAG = "tag:yaml.org,2002:int"
_MERGE_TAG = "tag:yaml.org,2002:merge"
_MERGE = type("_Merge", (), {"__repr__": lambda self: "<<"})()  # the key of a << merge


class _Frame:
    """An open list or mapping while :func:`_compose` reads the events inside it."""

    __slots__ = ("obj", "path", "size", "anchor", "key", "has_key", "merges", "line")

    def __init__(self, obj, path, anchor, line):
        self.obj, self.path, self.anchor, self.line = obj, path, anchor, line
        self.size = 1
        self.key, self.has_key, self.merges = None, False, None


def _compose(text, file):
    """Parse YAML text into Python data and the line of every key path, in one linear pass.

    Safe-loader semantics (plain data, YAML 1.1 scalars, ``<<`` merge keys, anchors shared as
    one object), and these guards, each a located :class:`InputError`:

    * aliases may add at most :data:`MAX_YAML_NODES` values (the sum, over every ``*alias``, of
      the size of the node it repeats): a "billion laughs" stops as soon as it passes the limit,
      while a plain file of any length is never counted (its size is bounded by the file limit);
    * lists and mappings may nest :data:`MAX_YAML_DEPTH` deep;
    * an integer may have :data:`MAX_INT_DIGITS` digits (all such integers are listed);
    * an alias may not repeat a node it is inside (a cycle), a key may not be a list or
      mapping, a file holds one document, and collections take no tags (``!!set``, ``!!omap``).

    Returns
    -------
    data : object
    lines : dict
        Key path (tuple of keys and list positions) -> 1-based line.
    """
    helper = yaml.SafeLoader("")  # resolves and constructs scalars exactly as the safe loader does
    constructors = helper.yaml_constructors
    lines = {(): 1}
    anchors = {}
    stack = []
    root = None
    expanded = 0
    problems = []
    cache = {}
    documents = 0

    def fail(mark, message):
        raise InputError.single(file, message, str(mark.line + 1))

    def where_of(path):
        return "".join(f"[{k}]" if isinstance(k, int) else f".{k}" for k in path).lstrip(".")

    def scalar(ev, path):
        key = (ev.value, ev.tag, ev.implicit)
        hit = cache.get(key)
        if hit is not None or key in cache:
            return hit
        tag = ev.tag
        if tag is None or tag == "!":
            tag = helper.resolve(yaml.ScalarNode, ev.value, ev.implicit)
        if tag == _MERGE_TAG:
            return _MERGE
        if tag == _INT_TAG and len(ev.value) > MAX_INT_DIGITS + 4:
            value = None  # not even converted: a long YAML 1.1 sexagesimal int costs quadratic time
        else:
            node = yaml.ScalarNode(tag, ev.value, ev.start_mark, ev.end_mark, ev.style)
            try:
                value = constructors.get(tag, constructors[None])(helper, node)
            except (ValueError, TypeError, KeyError, AttributeError, OverflowError) as exc:
                # PyYAML's own constructors raise these for 2024-13-45 (read as a date) or
                # "!!bool maybe": the value cannot be what it looks like or is tagged as.
                kind = tag.rsplit(":", 1)[-1]
                kind = {"int": "whole number", "float": "number", "bool": "true or false", "timestamp": "date",
                        "binary": "base64 binary"}.get(kind, kind)
                reason = str(exc) if isinstance(exc, ValueError) and str(exc) else f"not a valid {kind}"
                problems.append(Problem(file, f"{ev.start_mark.line + 1}: {where_of(path)}".rstrip(": "),
                                        f"'{shorten(ev.value, 40)}' cannot be read as {'' if kind == 'true or false' else 'a '}{kind} "
                                        f"({shorten(reason, 60)}); "
                                        "quote it if it is text"))
                return None
        if tag == _INT_TAG and (value is None or abs(value) > _LARGEST_INT):
            where = where_of(path)
            digits = len(ev.value.lstrip("+-0").replace("_", ""))
            problems.append(Problem(file, f"{ev.start_mark.line + 1}: {where}" if where else str(ev.start_mark.line + 1),
                                    f"{shorten(ev.value, 24)} is not a plausible number ({digits:,} digits; past 1e308)"
                                    "; quote it if it is text, such as an id"))
            return None  # not cached: each place it appears is reported
        cache[key] = value
        return value

    for ev in yaml.parse(text, Loader=_PARSER):
        cls = type(ev)
        top = stack[-1] if stack else None
        if top is None:
            path = ()
        elif type(top.obj) is list:
            path = top.path + (len(top.obj),)
        elif top.has_key:
            path = top.path + (top.key,)
        else:
            path = top.path + ("?",)  # a key itself
        if cls is yaml.ScalarEvent:
            value, size = scalar(ev, path), 1
            if ev.anchor is not None:
                anchors[ev.anchor] = (value, 1)
        elif cls is yaml.AliasEvent:
            if ev.anchor not in anchors:
                fail(ev.start_mark, f"malformed YAML: alias *{shorten(ev.anchor, 40)} names no anchor "
                     f"(&{shorten(ev.anchor, 40)}) written before it")
            value, size = anchors[ev.anchor]
            if size is None:
                fail(ev.start_mark, f"alias *{shorten(ev.anchor, 40)} repeats a list or mapping it is inside "
                     "(a cycle); write the values out instead")
            expanded += size
            if expanded > MAX_YAML_NODES:
                fail(ev.start_mark, f"expands to more than {MAX_YAML_NODES:,} values through YAML aliases "
                     "(&anchor / *alias); write the values out instead")
        elif cls is yaml.MappingStartEvent or cls is yaml.SequenceStartEvent:
            if len(stack) >= MAX_YAML_DEPTH:
                fail(ev.start_mark, f"YAML nested too deeply: more than {MAX_YAML_DEPTH} levels of lists and "
                     "mappings")
            mapping = cls is yaml.MappingStartEvent
            if ev.tag not in (_MAP_TAGS if mapping else _SEQ_TAGS):
                fail(ev.start_mark, f"the YAML tag {shorten(ev.tag, 40)} is not supported; write a plain "
                     f"{'mapping' if mapping else 'list'}")
            frame = _Frame({} if mapping else [], path, ev.anchor, ev.start_mark.line + 1)
            if ev.anchor is not None:
                anchors[ev.anchor] = (frame.obj, None)  # open: an alias to it now would be a cycle
            lines.setdefault(path, frame.line)
            stack.append(frame)
            continue
        elif cls is yaml.MappingEndEvent or cls is yaml.SequenceEndEvent:
            frame = stack.pop()
            if frame.merges:
                explicit = dict(frame.obj)
                frame.obj.clear()
                for merged in reversed(frame.merges):  # the first merged mapping wins, then the keys written
                    frame.obj.update(merged)
                frame.obj.update(explicit)
            value, size = frame.obj, frame.size
            if frame.anchor is not None:
                anchors[frame.anchor] = (value, size)
            top = stack[-1] if stack else None
        elif cls is yaml.DocumentStartEvent:
            documents += 1
            if documents > 1:
                fail(ev.start_mark, "holds more than one YAML document (a second '---'); keep one")
            continue
        else:  # stream start and end, document end
            continue
        # Place the finished value in its parent.
        line = ev.start_mark.line + 1 if cls is not yaml.MappingEndEvent and cls is not yaml.SequenceEndEvent \
            else frame.line
        if top is None:
            root = value
            continue
        top.size += size
        if value is _MERGE and (type(top.obj) is list or top.has_key):
            fail(ev.start_mark, "<< is a merge key: write it as a key (<<: *anchor), or quote it")
        if type(top.obj) is list:
            lines.setdefault(top.path + (len(top.obj),), line)
            top.obj.append(value)
        elif not top.has_key:
            if isinstance(value, (list, dict)):
                fail(ev.start_mark, "a mapping key must be text or a number, not a list or mapping")
            top.key, top.has_key = value, True
            lines[top.path + (value,)] = line
            if not isinstance(value, str) and value is not None and value is not _MERGE:
                lines.setdefault(top.path + (str(value),), line)  # validate names keys as text
        else:
            top.has_key = False
            if top.key is _MERGE:
                merged = value if isinstance(value, list) else [value]
                if not all(isinstance(m, dict) for m in merged):
                    fail(ev.start_mark, "a << merge key takes a mapping or a list of mappings")
                top.merges = (top.merges or []) + merged
            else:
                top.obj[top.key] = value
    if problems:
        raise InputError(problems)
    return root, lines


def read_yaml(path, what="model"):
    """Read a YAML file safely, keeping the line of every key.

    Parameters
    ----------
    path : str or Path
    what : str
        What the file should hold, for messages.

    Returns
    -------
    data : object
        The parsed document.
    locate : callable
        ``locate(path, key) -> "line: key"``, the locator :mod:`cem.validate` uses.
    warnings : list of Problem
        About the file's encoding, when it was not UTF-8.

    Raises
    ------
    InputError
        Missing, empty, binary or malformed file.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "m.yaml"
    >>> _ = f.write_text("model:\\n  name: Demo\\njobs:\\n  - {id: J, name: x}\\n")
    >>> data, locate, warnings = read_yaml(f)
    >>> locate(("jobs", 0, "name"), "jobs[J].name")
    '4: jobs[J].name'
    """
    text, warnings = _read_text(path, what)
    try:
        data, lines = _compose(text, str(path))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = str(mark.line + 1) if mark is not None else ""
        what_wrong = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        context = getattr(exc, "context", None)
        cmark = getattr(exc, "context_mark", None)
        if context and cmark is not None and mark is not None and cmark.line != mark.line:
            context = f"{context} that starts at line {cmark.line + 1}"
        detail = f"{what_wrong} ({context})" if context else what_wrong
        raise InputError.single(str(path), f"malformed YAML: {detail}", line) from None
    except MemoryError:
        raise InputError.single(str(path), f"is too large to read into memory ({len(text) / 2**20:,.1f} MiB of "
                                "text)") from None

    def locate(key_path, key):
        for n in range(len(key_path), -1, -1):
            line = lines.get(tuple(key_path[:n]))
            if line is not None:
                return f"{line}: {key}" if key else str(line)
        return key

    return data, locate, warnings


def find_model_file(path):
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


def _model_from_file(path):
    """Graph and warnings of a model file; raises InputError with every problem."""
    path = Path(path)
    if path.suffix.lower() == ".xlsx":
        from .workbook import read_workbook

        data, locate = read_workbook(path)
        read_warnings = []
    else:
        data, locate, read_warnings = read_yaml(path)
    file = str(path)
    tables, problems, warnings = validate.check_tables(data, file, locate, default_name=path.parent.name
                                                       if path.stem == "model" else path.stem)
    warnings = read_warnings + warnings
    if problems:
        raise InputError(problems, warnings)
    G = build_graph(tables, source=file)
    problems = validate.check_structure(G, tables, file, locate)
    if problems:
        raise InputError(problems, warnings)
    return G, warnings


def load_model(path):
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
    >>> G = cem.load_model("data/examples/solar")  # doctest: +SKIP
    >>> G.nodes["S_quote"]["stage"]  # doctest: +SKIP
    'evaluate'
    """
    G, _ = _model_from_file(find_model_file(path))
    return G


#: Plausible ranges of study.yaml's numbers: key -> (lowest, highest, what it is). A horizon
#: of 10,000 years is a typo, and would keep a notebook computing until its timeout.
STUDY_RANGES = {
    "discount_rate": (0.0, 1.0, "a yearly rate from 0 to 1 (0.1 is 10%)"),
    "margin": (0.0, 1.0, "a share of revenue from 0 to 1 (0.3 is 30%)"),
    "horizon": (0.0, 50.0, "a number of years above 0 and at most 50"),
}

#: The data files study.yaml may map columns of, and what each mapping may hold beside renames
#: (``name cem expects: column in the file``): see cem.survey and cem.journeys.
MAPPING_SECTIONS = {"survey": ("wide",), "events": ("activities", "activities_file")}


def study_file(folder, relative, what="file"):
    """A file named in a study's settings, refused when it is not inside the study folder.

    The path is resolved (``..``, absolute paths, symbolic links), so nothing outside the
    folder is read through a setting; the message names the setting, never the file's content.

    Parameters
    ----------
    folder : str or Path
        The study folder.
    relative : str
        The path as study.yaml writes it, relative to the folder.
    what : str
        The setting that names it, for the message.

    Returns
    -------
    pathlib.Path
        ``folder / relative``.

    Raises
    ------
    InputError
        The path leaves the study folder.

    Examples
    --------
    >>> import tempfile
    >>> folder = tempfile.mkdtemp()
    >>> study_file(folder, "map.csv", "activities_file").name
    'map.csv'
    >>> study_file(folder, "../../etc/passwd", "activities_file")
    Traceback (most recent call last):
    ...
    cem.errors.InputError: ...: activities_file '../../etc/passwd' is outside the study folder; put the file in the study folder and name it relative to it
    """
    if not isinstance(relative, str) or not relative.strip():
        raise InputError.single(str(folder), f"{what} must be a file name relative to the study folder; "
                                f"got {relative!r}")
    path = Path(folder) / relative
    if not _inside(path, folder):
        raise InputError.single(str(folder), f"{what} '{relative}' is outside the study folder; put the file in "
                                "the study folder and name it relative to it")
    return path


def _inside(path, folder):
    """Whether a path, once resolved (symbolic links followed), is inside the folder."""
    try:
        return Path(path).resolve().is_relative_to(Path(folder).resolve())
    except (OSError, RuntimeError):  # a loop of links, a name too long: not a file cem reads
        return False


def _text_setting(value):
    """A column name or id as text; None when it is not a single value."""
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return None


def _kind_of(value):
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing"
    if isinstance(value, (str, int, float)):
        return shorten(repr(value), 40)
    return f"{type(value).__name__} {shorten(repr(value), 40)}"


def _check_mappings(value, file, locate, folder):
    """``mappings:`` of study.yaml checked to the last level: the shapes the readers expect.

    Returns the clean mappings (column names as text) and the problems, each located on its key.
    """
    problems, clean = [], {}

    def bad(path, message):
        problems.append(Problem(file, locate(path, ".".join(map(str, path))), message))

    if not isinstance(value, dict):
        bad(("mappings",), "mappings must be a mapping of data files to their columns, such as "
            f"survey: {{respondent_id: ResponseId}}; got {_kind_of(value)}")
        return clean, problems
    for section, entries in value.items():
        path = ("mappings", section)
        if section not in MAPPING_SECTIONS:
            hint = suggest(str(section), MAPPING_SECTIONS)
            bad(path, f"unknown data file '{section}'; mappings are read for {', '.join(MAPPING_SECTIONS)}"
                + (f"; did you mean '{hint}'?" if hint else ""))
            continue
        if entries is None:
            continue
        if not isinstance(entries, dict):
            bad(path, f"mappings.{section} must be a mapping such as {{customer_id: CustomerID}} (the name cem "
                f"expects: the column of your file); got {_kind_of(entries)}")
            continue
        out = {}
        for key, item in entries.items():
            where = path + (key,)
            name = f"mappings.{section}.{key}"
            if not isinstance(key, str):
                bad(where, f"{name}: a name cem expects must be text; got {_kind_of(key)}")
            elif key == "wide":
                out[key] = _check_wide(item, where, bad)
            elif key == "activities":
                out[key] = _check_pairs(item, where, bad, "an activity of the log", "a step id of the model",
                                        "{Resolve ticket: S_fix}")
            elif key == "activities_file":
                if _text_setting(item) is None or not str(item).strip():
                    bad(where, f"{name} must be the name of a CSV file in the study folder (columns activity, "
                        f"step); got {_kind_of(item)}")
                elif folder is not None and not _inside(Path(folder) / str(item), folder):
                    bad(where, f"{name} '{item}' is outside the study folder; put the file in the study folder "
                        "and name it relative to it")
                elif folder is not None and not (Path(folder) / str(item)).is_file():
                    bad(where, f"{name} '{item}' is not a file in the study folder")
                else:
                    out[key] = str(item)
            else:
                column = _text_setting(item)
                if column is None or not column.strip():
                    bad(where, f"{name} must be the name of one column of {section}.csv; got {_kind_of(item)}")
                else:
                    out[key] = column
        clean[section] = out
    return clean, problems


def _check_pairs(value, path, bad, left, right, example):
    """A mapping of text to text (``activities``), or the problems of one that is not."""
    if value is None:
        return {}
    name = ".".join(map(str, path))
    if not isinstance(value, dict):
        bad(path, f"{name} must be a mapping of {left} to {right}, such as {example}; got {_kind_of(value)}")
        return {}
    out = {}
    for k, v in value.items():
        text = _text_setting(v)
        if _text_setting(k) is None or text is None or not text.strip():
            bad(path + (k,), f"{name}: each entry maps {left} to {right}; got {_kind_of(k)} -> {_kind_of(v)}")
        else:
            out[_text_setting(k)] = text
    return out


def _check_wide(value, path, bad):
    """``wide:`` of the survey's mappings: need id -> {measure: column}."""
    if value is None:
        return {}
    name = ".".join(map(str, path))
    example = "{N_price: {importance: Q5_1, satisfaction: Q6_1}}"
    if not isinstance(value, dict):
        bad(path, f"{name} must be a mapping of need ids to their columns, such as {example}; got {_kind_of(value)}")
        return {}
    out = {}
    for need, columns in value.items():
        where = path + (need,)
        if _text_setting(need) is None:
            bad(where, f"{name}: a need id must be text; got {_kind_of(need)}")
            continue
        if not isinstance(columns, dict):
            bad(where, f"{name}.{need} must map measures to columns, such as {{importance: Q5_1, satisfaction: "
                f"Q6_1}}; got {_kind_of(columns)}")
            continue
        clean = {}
        for measure, column in columns.items():
            text = _text_setting(column)
            if measure not in SURVEY_MEASURES:
                hint = suggest(str(measure), SURVEY_MEASURES)
                bad(where + (measure,), f"{name}.{need}: unknown measure '{measure}'; expected "
                    f"{', '.join(SURVEY_MEASURES)}" + (f"; did you mean '{hint}'?" if hint else ""))
            elif text is None or not text.strip():
                bad(where + (measure,), f"{name}.{need}.{measure} must be the name of one column of survey.csv; "
                    f"got {_kind_of(column)}")
            else:
                clean[measure] = text
        out[_text_setting(need)] = clean
    return out


def _check_study_config(data, file, locate, folder=None):
    """study.yaml's settings checked: known keys, plausible numbers, mappings of the right shape."""
    problems = []
    if data is None:
        return {}, problems
    if not isinstance(data, dict):
        return {}, [Problem(file, "", "study.yaml must be a mapping of settings such as title: ..., currency: EUR")]
    clean = {}
    for key, value in data.items():
        where = locate((key,), str(key))
        spec = STUDY_KEYS.get(key)
        if spec is None:
            hint = suggest(str(key), STUDY_KEYS)
            problems.append(Problem(file, where, f"unknown setting '{key}'; expected one of "
                                    f"{', '.join(STUDY_KEYS)}" + (f"; did you mean '{hint}'?" if hint else "")))
            continue
        kind, doc = spec
        if kind == "mapping":
            value, more = _check_mappings(value, file, locate, folder)
            problems += more
            if more:
                continue
            ok = True
        elif kind == "str":
            # A title written as 2024-05-01 or 12 is read by YAML as a date or a number: text all the same.
            ok = isinstance(value, (str, int, float, datetime.date)) and not isinstance(value, bool)
            value = str(value) if ok else value
        else:
            low, high, what = STUDY_RANGES.get(key, (0.0, float("inf"), doc))
            ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) \
                and low <= value <= high and not (key == "horizon" and value == 0)
            if not ok:
                problems.append(Problem(file, where, f"{key} must be {what}; got {_kind_of(value)}"))
                continue
        if not ok:
            problems.append(Problem(file, where, f"{key} must be {doc}; got {_kind_of(value)}"))
            continue
        clean[key] = value
    return clean, problems


def load_study(path, segment=None):
    """Load a study folder: its model (validated), its settings and which data files it has.

    Parameters
    ----------
    path : str or Path
        A study folder, or a model file (a study of the model alone).
    segment : str or tuple, optional
        ``"column=value"`` or ``(column, value)``: look at the customers of one segment only
        (a column of customers.csv, or of the survey or events). None: every customer.

    Returns
    -------
    Study

    Raises
    ------
    InputError
        Every problem of the model and of study.yaml, together.
    """
    p = Path(path)
    model_file = find_model_file(p)
    folder = p if p.is_dir() else model_file.parent
    if p.is_dir():
        # Every file of a study folder is read from inside it: a symbolic link out of the folder
        # (to a home directory, to /etc) is refused before anything is read, and its target's
        # content is never echoed.
        outside = [Problem(str(f), "", "is a symbolic link to a file outside the study folder; cem reads only "
                           "files inside the study folder: copy the file in instead")
                   for f in [model_file, folder / "study.yaml"] + [folder / n for names in DATA_FILES.values()
                                                                    for n in names]
                   if f.is_symlink() and not _inside(f, folder)]
        if outside:
            raise InputError(outside)
    problems, warnings = [], []
    G = None
    try:
        G, warnings = _model_from_file(model_file)
    except InputError as exc:
        problems += exc.problems
        warnings += exc.warnings
    config = {}
    study_file = folder / "study.yaml"
    if p.is_dir() and study_file.exists():
        try:
            data, locate, more_warnings = read_yaml(study_file, what="study settings")
            warnings += more_warnings
            config, more = _check_study_config(data, str(study_file), locate, folder)
            problems += more
        except InputError as exc:
            problems += exc.problems
    if problems:
        raise InputError(problems, warnings)
    files = {}
    if p.is_dir():
        for key, names in DATA_FILES.items():
            for name in names:
                if (folder / name).is_file():
                    files[key] = folder / name
                    break
    if "currency" in config:
        G.graph["currency"] = config["currency"]
    from .segments import parse_segment

    study = Study(path=folder, name=folder.name if p.is_dir() else model_file.stem, graph=G,
                  config=config, files=files, warnings=warnings, segment=parse_segment(segment))
    if study.segment:
        problems = _segment_problems(study)
        if problems:
            raise InputError(problems, warnings)
    return study


def check_study(path, segment=None):
    """Load a study and check every data file in it that cem reads; raise once with all problems.

    With ``segment`` (see :func:`load_study`), also check that the segment has customers.

    Returns
    -------
    study : Study
    warnings : list of Problem
        The model's warnings and those of the data files.

    Raises
    ------
    InputError
    """
    from . import clv as _clv, journeys as _journeys, survey as _survey

    study = load_study(path, segment)
    maps = study.config.get("mappings") or {}
    problems, warnings = [], list(study.warnings)
    readers = {
        "survey": lambda f: _survey.read_survey(f, study.graph, maps.get("survey")),
        "customers": _survey.read_customers,
        "events": lambda f: _journeys.read_events(f, study.graph, maps.get("events")),
        "transactions": _clv.read_transactions,
    }
    for key, reader in readers.items():
        if key in study.files:
            try:
                warnings += reader(study.files[key])[1]
            except InputError as exc:
                problems += exc.problems
                warnings += exc.warnings
    if problems:
        raise InputError(problems, warnings)
    return study, warnings


def _segment_problems(study):
    """Problems of a study looked at for one segment: a value no customer has (an analysis of nobody)."""
    from .segments import segment_values

    column, value = study.segment
    try:
        values = segment_values(study, column)
    except InputError as exc:
        return exc.problems
    if value in values:
        return []
    return [Problem(str(study.path), column, f"no customer has {column} = '{value}'; its values "
                    f"are {', '.join(values[:12])}" + (" ..." if len(values) > 12 else ""))]


def try_load_study(path):
    """Load and check a study without raising: ``(study, problems, warnings)``.

    For workshops, where a half-filled workbook is normal: the notebook shows the problems as a
    table instead of stopping. ``study`` is None when there are problems.

    Examples
    --------
    >>> study, problems, warnings = try_load_study("no/such/folder")
    >>> study is None, problems[0].message
    (True, 'no such file or folder')
    """
    try:
        study, warnings = check_study(path)
        return study, [], warnings
    except InputError as exc:
        return None, exc.problems, exc.warnings


def problems_table(problems):
    """Problems as a DataFrame (file, where, what, severity) to show in a notebook."""
    import pandas as pd

    return pd.DataFrame([(Path(p.file).name, p.location, p.message, p.severity) for p in problems],
                        columns=["file", "where", "what", "severity"])


def problems_markdown(problems):
    """Problems as a Markdown list, in full, escaped as text (:func:`cem.markup.md_escape`), for a workshop notebook.

    Examples
    --------
    >>> print(problems_markdown([Problem("m.xlsx", "Steps!E3", "stage 'x' is not one of ...")]))
    - **m\\.xlsx, Steps\\!E3**: stage \\'x\\' is not one of \\.\\.\\.
    """
    from .markup import md_escape

    return "\n".join(f"- **{md_escape(Path(p.file).name)}, {md_escape(p.location)}**: "
                      f"{md_escape(p.message)}" for p in problems)


def _atomic_write_text(path, text):
    """Write a file through a temporary file in the same folder, so a crash leaves no half file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_graphml(G, path):
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
    return _atomic_write_text(path, "\n".join(lines) + "\n")


def write_node_link(G, path):
    """Write the graph as node-link JSON (d3, networkx ``node_link_graph``)."""
    data = nx.node_link_data(G, edges="edges")
    return _atomic_write_text(path, json.dumps(data, indent=1, ensure_ascii=False) + "\n")


def line_list(lines, limit=5):
    """File lines named in a problem: the first ``limit``, then how many more.

    Examples
    --------
    >>> line_list([9, 2, 3, 4, 5, 6, 7])
    '2,3,4,5,6 (+2 more)'
    """
    lines = sorted(int(x) for x in lines)
    head = ",".join(str(x) for x in lines[:limit])
    return head + (f" (+{len(lines) - limit} more)" if len(lines) > limit else "")


def read_csv(path, what="table"):
    """Read a CSV file as text cells, refusing plainly what cannot be read.

    Every cell is kept as a string (blank cells as ""), so validation sees exactly what the
    file holds: ``"4"``, ``"four"`` and ``""`` are different problems. Headers and cells are
    in Unicode normal form C (one id typed two ways is one id); a header repeated (after
    stripping spaces) is refused, naming its positions; a file too large for memory is said to
    be so, with its size. UTF-8 (with or
    without a byte-order mark) is read as is; UTF-16 with its mark, Latin-1, and files separated
    by semicolons or tabs are read with a warning saying so (:func:`decode_text`).

    Parameters
    ----------
    path : str or Path
    what : str
        What the file should hold, for messages.

    Returns
    -------
    table : pandas.DataFrame
        Column names stripped of surrounding spaces.
    warnings : list of Problem

    Raises
    ------
    InputError
        Missing, empty, binary or unparseable file.
    """
    import io as _io

    import pandas as pd

    p = Path(path)
    if not p.is_file():
        raise InputError.single(str(path), "no such file" if not p.exists() else f"is a folder; expected a {what} CSV file")
    size = p.stat().st_size
    check_size(path, size, what)
    try:
        return _read_csv_text(p, path, what)
    except MemoryError:
        # Not a malformed file: one too large for this machine's memory. Say so, with its size.
        raise InputError.single(str(path), f"is too large to read into memory ({size / 2**20:,.0f} MiB); split "
                                "the file, or read it on a machine with more memory") from None


def _nfc(text):
    """Text in Unicode normal form C (ASCII, nearly every cell, is NFC already and left as is)."""
    return text if text.isascii() else unicodedata.normalize("NFC", text)


def _read_csv_text(p, path, what):
    import csv
    import io as _io

    import pandas as pd

    raw = p.read_bytes()
    if not raw.strip():
        raise InputError.single(str(path), f"is empty; expected a {what} CSV file with a header row")
    text, warnings = decode_text(raw, str(path))
    del raw
    if text is None:
        raise InputError.single(str(path), f"is a binary file, not a {what} CSV file (a spreadsheet? save it as "
                                "CSV UTF-8)")
    header = text.lstrip("\ufeff").split("\n", 1)[0]
    sep = ","
    if "," not in header:
        for other, name in ((";", "semicolons"), ("\t", "tabs")):
            if other in header:
                sep = other
                warnings.append(Problem(str(path), "1", f"separates fields with {name}, not commas; read it so",
                                        "warning"))
                break
    try:
        table = pd.read_csv(_io.StringIO(text), dtype=str, keep_default_na=False, skipinitialspace=True, sep=sep)
    except pd.errors.ParserError as exc:
        line = re.search(r"line (\d+)", str(exc))
        raise InputError.single(str(path), f"is not a well-formed CSV file: {str(exc).strip()}",
                                line.group(1) if line else "") from None
    except pd.errors.EmptyDataError:
        raise InputError.single(str(path), f"is empty; expected a {what} CSV file with a header row") from None
    # The header as written: pandas renames a repeated column ("importance" twice gives
    # "importance.1"), which would silently read one of the two; a repeat is refused instead.
    try:
        names = next(csv.reader(_io.StringIO(text.lstrip("\ufeff")), delimiter=sep, skipinitialspace=True))
    except (csv.Error, StopIteration):
        names = list(table.columns)
    if len(names) != len(table.columns):
        names = list(table.columns)
    names = [_nfc(str(n).strip()) for n in names]
    positions = {}
    for i, name in enumerate(names, start=1):
        if name:  # blank headers (trailing commas of a spreadsheet export) keep pandas' "Unnamed: n"
            positions.setdefault(name, []).append(i)
    repeated = [(name, at) for name, at in positions.items() if len(at) > 1]
    if repeated:
        raise InputError([Problem(str(path), "1", f"column '{name}' appears {len(at)} times (columns "
                                  f"{', '.join(map(str, at))}); give each column its own name, or drop the copies")
                          for name, at in repeated], warnings)
    table.columns = [name or str(old).strip() for name, old in zip(names, table.columns)]
    # Text in Unicode normal form C: "René" typed with one code point or with "e" and an accent
    # is one respondent, one need id, one segment value.
    for column in table.columns:
        cells = table[column]
        odd = ~cells.str.isascii()
        if odd.any():
            table.loc[odd, column] = [unicodedata.normalize("NFC", v) for v in cells[odd]]
    return table, warnings


#: Words Mermaid's flowchart grammar reads as keywords wherever they stand (``end`` closes a
#: subgraph): a node whose id is one of them gets an escaped id. Compared without case.
_MERMAID_RESERVED = {"end", "graph", "flowchart", "subgraph", "style", "class", "classdef", "click", "call",
                     "href", "linkstyle", "interpolate", "direction", "default", "tb", "td", "bt", "lr", "rl"}
_MERMAID_SAFE_ID = re.compile(r"[A-Za-z][A-Za-z0-9_]*")


def mermaid_ids(nodes):
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


def mermaid_label(text):
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


def to_mermaid(G, direction="LR"):
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


def write_mermaid(G, path):
    """Write :func:`to_mermaid` to a file (``.mmd``; ``.md`` gets a fenced block)."""
    text = to_mermaid(G)
    if str(path).endswith(".md"):
        text = f"```mermaid\n{text}\n```"
    return _atomic_write_text(path, text + "\n")
