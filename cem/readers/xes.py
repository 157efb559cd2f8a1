"""Read XES event logs (plain or gzipped) safely and fast, as a flat table.

XES is XML: one ``<trace>`` per case holding ``<event>`` elements, each with typed attributes
(``<string key=... value=...>``, ``<date ...>``, ``<int ...>``, ...). The parser is expat driven
by hand, streaming: a document type declaration, an entity declaration or an external entity
is refused outright (no "billion laughs", no file or network fetched); a truncated gzip or
malformed XML becomes one clear :class:`cem.errors.InputError` naming the line.

Trace attributes become ``case:<key>`` columns, as pm4py and the XES standard's CSV
convention name them; event attributes keep their key.

Limits, so that a hostile or careless log costs bounded time and memory:

* the attributes cem reads (:data:`USED_KEYS`, plus those ``study.yaml`` maps) are always kept;
  of the others, the first :data:`MAX_EXTRA_KEYS` distinct keys are kept and later ones dropped,
  with a warning naming how many (a log with 20,000 distinct keys would otherwise make a column
  per key for every event);
* an attribute value longer than :data:`MAX_VALUE_CHARS` is refused when cem reads that
  attribute, else dropped with a warning;
* one XML item (a comment, a tag, a run of text) larger than :data:`MAX_ITEM_BYTES` is refused:
  expat (before 2.6) re-scans an unfinished item at every chunk, so a gigabyte comment would
  stall the parser for tens of minutes;
* the decompressed size counts against :func:`cem.io.max_data_bytes`, checked while streaming,
  so a gzip bomb stops at the limit.

Storage is sparse (per key: the rows that have it and their values), so reading costs time and
memory in proportion to the attributes present, not events x keys.
"""
from __future__ import annotations

import gzip
import zlib
from collections.abc import Iterable
from pathlib import Path
from xml.parsers import expat

import numpy as np
import pandas as pd

from ..errors import InputError, Problem

__all__ = ["read_xes", "USED_KEYS", "MAX_EXTRA_KEYS", "MAX_VALUE_CHARS", "MAX_ITEM_BYTES"]

_ATTRS = {"string", "date", "int", "float", "boolean", "id"}

#: Attributes cem reads from an event log (XES names and cem's own column names).
USED_KEYS = frozenset({"case:concept:name", "concept:name", "time:timestamp", "org:resource",
                       "customer_id", "timestamp", "step", "touchpoint", "activity", "resource",
                       "rating", "effort", "revenue", "cost"})

#: Distinct attribute keys kept beyond those cem reads; later keys are dropped with a warning.
MAX_EXTRA_KEYS = 256

#: Longest attribute value, in characters (10 kB of text).
MAX_VALUE_CHARS = 10_000

#: Largest single XML item (comment, tag, text run), in bytes: XES items are a few hundred bytes.
MAX_ITEM_BYTES = 1 << 20


class _Refused(Exception):
    pass


def read_xes(path: str | Path, *, max_events: int = 50_000_000,
             keep: Iterable[str] = ()) -> tuple[pd.DataFrame, list[Problem]]:
    """Read an XES file into a DataFrame of text cells, one row per event.

    Parameters
    ----------
    path : str or Path
        ``.xes`` or ``.xes.gz``.
    max_events : int
        Refuse logs with more events (memory guard).
    keep : iterable of str
        More attribute keys to keep whatever the cap on extra keys (the columns ``study.yaml``
        maps).

    Returns
    -------
    table : pandas.DataFrame
        ``case:concept:name``, ``concept:name``, ``time:timestamp`` and the other attributes
        (see the limits above), as text; events in file order.
    warnings : list of Problem
        What was dropped.

    Raises
    ------
    InputError
        Missing, truncated or malformed file, DTD or entities, too many events, an item or a
        value of an attribute cem reads over its limit, more data than the size limit.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "log.xes"
    >>> _ = f.write_text('<log><trace><string key="concept:name" value="c1"/><event>'
    ...                  '<string key="concept:name" value="Open"/><date key="time:timestamp" '
    ...                  'value="2024-01-01T10:00:00"/></event></trace></log>')
    >>> read_xes(f)[0].to_dict("records")
    [{'case:concept:name': 'c1', 'concept:name': 'Open', 'time:timestamp': '2024-01-01T10:00:00'}]
    """
    p = Path(path)
    file = str(path)
    if not p.is_file():
        raise InputError.single(file, "no such file")
    used = USED_KEYS | set(keep)
    columns = {}  # key -> ([row numbers], [values]): sparse, so cost follows the attributes present
    extra = 0
    dropped_keys = set()
    dropped_values = 0
    long_values = {}  # key -> count of values over the cap (extra keys, dropped)
    n = 0
    case_attrs = {}
    event = None
    depth_nested = 0
    in_trace = False
    mark = 0  # byte offset of the last element seen: how long the current item has grown

    def admit(key):
        nonlocal extra
        if key in columns:
            return True
        if key not in used:
            if extra >= MAX_EXTRA_KEYS:
                dropped_keys.add(key)
                return False
            extra += 1
        columns[key] = ([], [])
        return True

    def attribute(key, value):
        nonlocal dropped_values
        if len(value) > MAX_VALUE_CHARS:
            if key in used or key.removeprefix("case:") in used:
                raise _Refused(f"attribute '{key}' holds {len(value):,} characters; cem reads it, and values may "
                               f"be at most {MAX_VALUE_CHARS:,}")
            long_values[key] = long_values.get(key, 0) + 1
            return None
        return value

    def start(tag, attrs):
        nonlocal event, in_trace, depth_nested, mark
        mark = parser.CurrentByteIndex
        if depth_nested:
            depth_nested += 1
            return
        if tag == "trace":
            in_trace = True
            case_attrs.clear()
        elif tag == "event":
            event = {}
        elif tag in _ATTRS and "key" in attrs:
            key = attrs["key"]
            if event is not None:
                value = attribute(key, attrs.get("value", ""))
                if value is not None:
                    event[key] = value
            elif in_trace:
                value = attribute("case:" + key, attrs.get("value", ""))
                if value is not None:
                    case_attrs["case:" + key] = value
            depth_nested = 1  # nested attributes (lists, containers) below are not read
        elif tag in ("list", "container"):
            depth_nested = 1

    def end(tag):
        nonlocal event, in_trace, depth_nested, n, mark, dropped_values
        mark = parser.CurrentByteIndex
        if depth_nested:
            depth_nested -= 1
            return
        if tag == "event" and event is not None:
            for source in (case_attrs, event):
                for k, v in source.items():
                    if admit(k):
                        rows, values = columns[k]
                        rows.append(n)
                        values.append(v)
                    else:
                        dropped_values += 1
            n += 1
            if n > max_events:
                raise _Refused(f"has more than {max_events:,} events; split the log")
            event = None
        elif tag == "trace":
            in_trace = False

    def refuse(*_):
        raise _Refused("declares a DTD or entities; XES needs none, and they are refused for safety")

    parser = expat.ParserCreate()
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse
    from .._files import check_size

    opener = gzip.open if p.suffix == ".gz" else open
    fed = 0
    try:
        with opener(p, "rb") as fh:
            while True:
                chunk = fh.read(1 << 20)
                if not chunk:
                    break
                fed += len(chunk)
                check_size(path, fed, "xes")  # counts decompressed bytes: a gzip bomb stops early
                parser.Parse(chunk, False)
                if fed - mark > MAX_ITEM_BYTES:
                    raise _Refused(f"holds one XML item (a comment, tag or text) of more than "
                                   f"{MAX_ITEM_BYTES / 2**20:,.0f} MiB after byte {mark:,}; XES items are small, "
                                   "so this is refused")
            parser.Parse(b"", True)
    except _Refused as exc:
        raise InputError.single(file, str(exc), str(parser.CurrentLineNumber)) from None
    except expat.ExpatError as exc:
        raise InputError.single(file, f"is not well-formed XES (XML): {expat.ErrorString(exc.code)}",
                                str(exc.lineno)) from None
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise InputError.single(file, f"is a damaged or truncated gzip file ({exc})") from None
    if n == 0:
        raise InputError.single(file, "holds no events (no <trace><event> elements)")
    data = {}
    for key, (rows, values) in columns.items():
        if len(rows) == n:
            data[key] = values
        else:  # absent from some events: None there, as a missing cell
            col = np.full(n, None, dtype=object)
            col[np.asarray(rows, dtype=np.int64)] = values
            data[key] = col
    table = pd.DataFrame(data)
    warnings = []
    if dropped_keys:
        warnings.append(Problem(file, "", f"has more than {MAX_EXTRA_KEYS} distinct attribute keys beyond those cem "
                                f"reads; {len(dropped_keys):,} more (e.g. {sorted(dropped_keys)[0]!r}, "
                                f"{dropped_values:,} values) are left out", "warning"))
    if long_values:
        count = sum(long_values.values())
        warnings.append(Problem(file, "", f"{count:,} attribute value(s) longer than {MAX_VALUE_CHARS:,} characters "
                                f"(e.g. of {sorted(long_values)[0]!r}) are left out; cem does not read them",
                                "warning"))
    return table, warnings
