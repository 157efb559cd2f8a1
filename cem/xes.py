"""Read XES event logs (plain or gzipped) safely and fast, as a flat table.

XES is XML: one ``<trace>`` per case holding ``<event>`` elements, each with typed attributes
(``<string key=... value=...>``, ``<date ...>``, ``<int ...>``, ...). The parser is expat driven
by hand, streaming: a document type declaration, an entity declaration or an external entity
is refused outright (no "billion laughs", no file or network fetched); a truncated gzip or
malformed XML becomes one clear :class:`cem.errors.InputError` naming the line.

Trace attributes become ``case:<key>`` columns, as pm4py and the XES standard's CSV
convention name them; event attributes keep their key.
"""
from __future__ import annotations

import gzip
import zlib
from pathlib import Path
from xml.parsers import expat

import pandas as pd

from .errors import InputError

__all__ = ["read_xes"]

_ATTRS = {"string", "date", "int", "float", "boolean", "id"}


class _Refused(Exception):
    pass


def read_xes(path, max_events=50_000_000):
    """Read an XES file into a DataFrame of text cells, one row per event.

    Parameters
    ----------
    path : str or Path
        ``.xes`` or ``.xes.gz``.
    max_events : int
        Refuse logs with more events (memory guard).

    Returns
    -------
    pandas.DataFrame
        ``case:concept:name``, ``concept:name``, ``time:timestamp`` and every other attribute,
        as text; events in file order.

    Raises
    ------
    InputError
        Missing, truncated or malformed file, DTD or entities, too many events.
    """
    p = Path(path)
    file = str(path)
    if not p.is_file():
        raise InputError.single(file, "no such file")
    columns = {}
    n = 0
    case_attrs = {}
    event = None
    depth_nested = 0
    in_trace = False

    def start(tag, attrs):
        nonlocal event, in_trace, depth_nested, n
        if depth_nested:
            depth_nested += 1
            return
        if tag == "trace":
            in_trace = True
            case_attrs.clear()
        elif tag == "event":
            event = {}
        elif tag in _ATTRS and "key" in attrs:
            if event is not None:
                event[attrs["key"]] = attrs.get("value", "")
            elif in_trace:
                case_attrs["case:" + attrs["key"]] = attrs.get("value", "")
            depth_nested = 1  # nested attributes (lists, containers) below are not read
        elif tag in ("list", "container"):
            depth_nested = 1

    def end(tag):
        nonlocal event, in_trace, depth_nested, n
        if depth_nested:
            depth_nested -= 1
            return
        if tag == "event" and event is not None:
            row = {**case_attrs, **event}
            for k in sorted(row.keys() - columns.keys()):
                columns[k] = [None] * n
            for k, col in columns.items():
                col.append(row.get(k))
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
    from .io import check_size

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
    return pd.DataFrame(columns)
