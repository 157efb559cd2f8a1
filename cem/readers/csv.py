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
        names = next(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=sep, skipinitialspace=True))
    except (csv.Error, StopIteration):
        names = list(table.columns)
    if len(names) != len(table.columns):
        names = list(table.columns)
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


