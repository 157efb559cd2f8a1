"""CSV files read as text cells, refusing plainly what cannot be read."""
from __future__ import annotations

import csv
import io
import re
import unicodedata
from pathlib import Path

import pandas as pd

from .._files import check_size, decode_text
from .._text import nfc_text
from ..errors import InputError, Problem

__all__ = ["read_csv"]


def read_csv(path: str | Path, what: str = "table") -> tuple[pd.DataFrame, list[Problem]]:
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


def _read_csv_text(p, path, what):
    raw = p.read_bytes()
    if not raw or raw.isspace():
        raise InputError.single(str(path), f"is empty; expected a {what} CSV file with a header row")
    fast = _read_with_arrow(raw, path)
    if fast is not None:
        table, names, warnings = fast
        del raw
    else:
        table, names, warnings = _read_with_pandas(raw, path, what)
    names = [nfc_text(str(n).strip()) for n in names]
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


def _separator(header, path):
    """The field separator, from the header line: commas, else semicolons or tabs (said so)."""
    if "," not in header:
        for other, name in ((";", "semicolons"), ("\t", "tabs")):
            if other in header:
                return other, [Problem(str(path), "1", f"separates fields with {name}, not commas; read it so",
                                       "warning")]
    return ",", []


#: Bytes of the file's start in which its header line is looked for by the fast reader.
_HEADER_BYTES = 1 << 20


def _read_with_arrow(raw, path):
    """The file read by pyarrow's CSV parser, or None when only pandas' reader would read it as cem does.

    Why pyarrow: its parser is multi-threaded C++, converts nothing when every column is read as
    text, validates UTF-8 while parsing and hands pandas Arrow-backed strings without a copy; a
    2-million-row event log parses in about a second where pandas' C parser (which also builds
    a Python string per cell) takes several times longer. Polars and DuckDB are as fast but would
    be new dependencies; pyarrow is one already (pandas' string columns are Arrow arrays).

    It reads exactly what the pandas reader (:func:`_read_with_pandas`) reads, so the problems
    found and their messages stay the same; whatever pyarrow would read differently is left to
    pandas: a file that is not UTF-8 (or is UTF-16, or binary), a header line that is long or
    quoted across lines, rows with more or fewer fields than the header (pandas reports those
    with its own line numbers), and cells that start with spaces (pandas' ``skipinitialspace``
    drops them and reads a quoted value after them).

    Returns
    -------
    (table, names, warnings) or None
        ``names``: the header cells as written (the table's columns are pyarrow's names).
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv

    if raw.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in raw[:8192]:
        return None
    end = raw.find(b"\n", 0, _HEADER_BYTES)
    if end < 0:
        if len(raw) >= _HEADER_BYTES:
            return None
        end = len(raw)
    try:
        header = raw[:end].decode("utf-8-sig").rstrip("\r")
    except UnicodeDecodeError:
        return None
    if '"' in header:  # a quoted header cell: leave its parsing (and any newline in it) to pandas
        return None
    sep, warnings = _separator(header, path)
    names = header.split(sep)
    try:
        table = pacsv.read_csv(
            pa.py_buffer(raw),
            parse_options=pacsv.ParseOptions(delimiter=sep, newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(column_types={n: pa.string() for n in names},
                                                 strings_can_be_null=False))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):  # ragged rows, not UTF-8, ...: pandas says what
        return None
    if table.num_columns != len(names) or not all(pa.types.is_string(t) for t in table.schema.types):
        return None
    for column in table.columns:
        if pa.compute.any(pa.compute.starts_with(column, " ")).as_py():
            return None
    frame = table.to_pandas()
    frame.columns = [f"Unnamed: {i}" if not n.strip() else n for i, n in enumerate(names)]
    return frame, [n.strip() for n in names], warnings


def _read_with_pandas(raw, path, what):
    """The file read by pandas' C parser (any encoding :func:`decode_text` accepts, cells after spaces)."""
    text, warnings = decode_text(raw, str(path))
    del raw
    if text is None:
        raise InputError.single(str(path), f"is a binary file, not a {what} CSV file (a spreadsheet? save it as "
                                "CSV UTF-8)")
    text = text.lstrip("\ufeff")
    newline = text.find("\n")
    sep, more = _separator(text[:newline] if newline >= 0 else text, path)
    warnings += more
    try:
        table = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, skipinitialspace=True, sep=sep)
    except pd.errors.ParserError as exc:
        line = re.search(r"line (\d+)", str(exc))
        raise InputError.single(str(path), f"is not a well-formed CSV file: {str(exc).strip()}",
                                line.group(1) if line else "") from None
    except pd.errors.EmptyDataError:
        raise InputError.single(str(path), f"is empty; expected a {what} CSV file with a header row") from None
    # The header as written: pandas renames a repeated column ("importance" twice gives
    # "importance.1"), which would silently read one of the two; a repeat is refused instead.
    try:
        names = next(csv.reader(io.StringIO(text[:max(newline, 0) + _HEADER_BYTES]), delimiter=sep,
                                skipinitialspace=True))
    except (csv.Error, StopIteration):
        names = list(table.columns)
    if len(names) != len(table.columns):
        names = list(table.columns)
    return table, names, warnings
