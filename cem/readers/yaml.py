"""YAML files read safely, in one linear pass over the parser's events, keeping the line of every key.

A model file is refused with a clear :class:`cem.errors.InputError` when it is missing,
empty, binary, too large, not UTF-8, malformed YAML, or expanded by YAML aliases past a million
values (a "billion laughs" document). Nesting deeper than :data:`MAX_YAML_DEPTH`, integers
past 1e308, alias cycles, tags on lists and mappings and second documents are refused where
they stand.
"""
from __future__ import annotations


from collections.abc import Callable
from pathlib import Path

import yaml

from .._files import read_text
from ..errors import InputError, Problem, shorten

__all__ = ["read_yaml", "MAX_YAML_NODES", "MAX_YAML_DEPTH", "MAX_INT_DIGITS"]


#: A document whose aliases expand it past this many nodes is refused (a "billion laughs").
MAX_YAML_NODES = 1_000_000


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


def read_yaml(path: str | Path, what: str = "model") -> tuple[object, Callable[[tuple, str], str], list[Problem]]:
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
    text, warnings = read_text(path, what)
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


