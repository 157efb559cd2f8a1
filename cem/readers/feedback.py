"""Feedback: ``feedback.csv`` (or ``.parquet``), one row per review, open answer or ticket.

Columns: ``source`` (own site, marketplace, app store, community, survey, support, ...), ``date``,
``text``, and optionally ``rating`` (any numeric scale; the study states it), ``customer_id``,
``language`` and ``product``. Other columns are kept as they are.

The rules, as for the other data files:

* problems name the file and its lines (the header is line 1); nothing is dropped: a row
  without text (a star rating alone) is kept and counted in a warning, a rating that is not a
  number or lies outside the stated scale is refused with its lines;
* text is kept exactly as written (Unicode normal form C): HTML, script, formula-like cells,
  control characters and very long lines are data, shown and written as text by whoever
  displays them (:func:`cem.privacy.spreadsheet_safe`, :mod:`cem.markup`), never interpreted;
* dates with a time zone are converted to UTC, dates without one are taken as UTC
  (:func:`cem.readers.timestamps.parse_timestamps`, the readers' one date rule).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .._files import check_size
from .._text import line_list, nfc
from ..errors import InputError, Problem
from .csv import read_csv
from .timestamps import parse_timestamps

__all__ = ["read_feedback", "FEEDBACK_COLUMNS", "OPTIONAL_COLUMNS", "LONG_TEXT", "MIN_DATE"]

#: The columns every feedback file has.
FEEDBACK_COLUMNS = ("source", "date", "text")

#: The columns a feedback file may have; each is read when present.
OPTIONAL_COLUMNS = ("rating", "customer_id", "language", "product")

#: Texts longer than this (characters) are kept, and said to be long in a warning: cem.voice
#: places only their first :data:`LONG_TEXT` characters.
LONG_TEXT = 100_000

#: Feedback dated before this is refused as a placeholder or a typo.
MIN_DATE = pd.Timestamp("1990-01-01")


def _read_table(path, what):
    p = Path(path)
    if p.suffix.lower() != ".parquet":
        return read_csv(path, what)
    if not p.is_file():
        raise InputError.single(str(path), "no such file" if not p.exists() else "is a folder; expected a parquet file")
    check_size(path, p.stat().st_size, what)
    try:
        table = pd.read_parquet(p)
    except Exception as exc:  # pyarrow raises several kinds for a file that is not parquet
        raise InputError.single(str(path), f"cannot be read as a parquet file ({type(exc).__name__}: "
                                f"{str(exc)[:200]})") from None
    table.columns = [str(c).strip() for c in table.columns]
    out = {}
    for column in table.columns:
        values = table[column]
        if pd.api.types.is_datetime64_any_dtype(values):
            text = values.dt.strftime("%Y-%m-%dT%H:%M:%S%z" if values.dt.tz is not None else "%Y-%m-%dT%H:%M:%S")
        else:
            text = values.astype("string")
        out[column] = text.fillna("").astype(str)
    return pd.DataFrame(out, index=pd.RangeIndex(len(table))), []


def read_feedback(path: str | Path, *, scale: tuple[float, float] | None = None
                  ) -> tuple[pd.DataFrame, list[Problem]]:
    """Read ``feedback.csv`` or ``feedback.parquet``, refusing plainly what cannot be used.

    Parameters
    ----------
    path : str or Path
    scale : (low, high), optional
        The ratings' scale as the study states it (``(1, 5)`` stars, ``(0, 10)``): a rating
        outside it is refused with its lines. Without it any finite number is a rating.

    Returns
    -------
    feedback : pandas.DataFrame
        ``line`` (the row's line in the file, 2 for the first row), ``source``, ``date``
        (datetime, naive UTC), ``text`` (as written, NFC), ``rating`` (float, NaN when blank or
        absent), ``customer_id``, ``language``, ``product`` (text, "" when blank or absent), and
        any other column of the file as text.
    warnings : list of Problem
        Rows without text (counted, kept), very long texts, the file's own reading warnings.

    Raises
    ------
    InputError
        Missing columns, no rows, blank sources, unreadable or implausible dates, ratings
        that are not numbers or lie outside ``scale``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "feedback.csv"
    >>> _ = f.write_text("source,date,text,rating\\napp store,2024-03-01,Paying took ages.,2\\n"
    ...                  "own site,2024-03-02T10:00:00+01:00,<b>Great</b> staff!,5\\n")
    >>> fb, warnings = read_feedback(f, scale=(1, 5))
    >>> fb[["line", "source", "text", "rating"]].to_dict("list")  # doctest: +NORMALIZE_WHITESPACE
    {'line': [2, 3], 'source': ['app store', 'own site'], 'text': ['Paying took ages.', '<b>Great</b> staff!'],
     'rating': [2.0, 5.0]}
    >>> str(fb["date"].iloc[1])
    '2024-03-02 09:00:00'
    """
    file = str(path)
    table, warnings = _read_table(path, "feedback")
    missing = [c for c in FEEDBACK_COLUMNS if c not in table.columns]
    if missing:
        raise InputError.single(file, f"missing column(s) {', '.join(missing)}; expected {', '.join(FEEDBACK_COLUMNS)} "
                                f"(and optionally {', '.join(OPTIONAL_COLUMNS)}); columns are "
                                f"{', '.join(map(str, table.columns))}", "1")
    if table.empty:
        raise InputError.single(file, "has a header but no feedback rows")
    lines = np.arange(2, len(table) + 2)
    problems = []

    def where(mask):
        return line_list(lines[np.asarray(mask)])

    def sample(column, mask):
        return ", ".join(repr(v[:40]) for v in table.loc[np.asarray(mask), column].unique()[:3])

    source = nfc(table["source"].astype(str).str.strip())
    if (source == "").any():
        problems.append(Problem(file, where(source == ""), "source is blank; say where the feedback comes from "
                                "(own site, marketplace, app store, community, survey, support, ...)"))
    dates, zoned = parse_timestamps(table["date"])
    dates = dates.dt.tz_localize(None)
    bad = dates.isna().to_numpy()
    if bad.any():
        problems.append(Problem(file, where(bad), f"date cannot be read as a date ({sample('date', bad)}); write "
                                "dates as YYYY-MM-DD"))
    early = (dates < MIN_DATE).to_numpy()
    if early.any():
        problems.append(Problem(file, where(early), f"date is not a plausible feedback date ({sample('date', early)}); "
                                f"dates must be from {MIN_DATE:%Y-%m-%d} on"))
    future = (dates > pd.Timestamp.now() + pd.Timedelta(days=1)).to_numpy()
    if future.any():
        problems.append(Problem(file, where(future), f"date is in the future ({sample('date', future)}); check the "
                                "date format"))
    readable = ~bad
    if (zoned & readable).any() and (~zoned & readable).any():
        warnings.append(Problem(file, "", "dates mix time zones and dates without one; those without are taken as "
                                "UTC", "warning"))
    rating = pd.Series(np.nan, index=table.index)
    if "rating" in table.columns:
        raw = table["rating"].astype(str).str.strip()
        rating = pd.to_numeric(raw.str.replace(",", ".", regex=False), errors="coerce")
        not_number = ((raw != "") & ~np.isfinite(rating.fillna(np.inf))).to_numpy()
        if not_number.any():
            problems.append(Problem(file, where(not_number), f"rating must be a number ({sample('rating', not_number)}); "
                                    "leave it blank when there is none"))
        if scale is not None:
            low, high = scale
            outside = (rating.notna() & ((rating < low) | (rating > high))).to_numpy() & ~not_number
            if outside.any():
                problems.append(Problem(file, where(outside), f"rating is outside the scale {low:g} to {high:g} "
                                        f"({sample('rating', outside)}); check the scale stated in study.yaml"))
    if problems:
        raise InputError(problems, warnings)
    text = nfc(table["text"].astype(str))
    blank = (text.str.strip() == "").to_numpy()
    if blank.any():
        warnings.append(Problem(file, where(blank), f"{int(blank.sum()):,} row(s) have no text (a rating alone?); "
                                "they are kept: counted in ratings, not in what customers say", "warning"))
    long = (text.str.len() > LONG_TEXT).to_numpy()
    if long.any():
        warnings.append(Problem(file, where(long), f"{int(long.sum()):,} text(s) are longer than {LONG_TEXT:,} "
                                f"characters; they are kept, and only their first {LONG_TEXT:,} characters are placed "
                                "on the journey", "warning"))
    out = pd.DataFrame({"line": lines, "source": source, "date": dates, "text": text,
                        "rating": rating.astype(float)}, index=table.index)
    for column in OPTIONAL_COLUMNS[1:]:
        out[column] = nfc(table[column].astype(str).str.strip()) if column in table.columns else ""
    for column in table.columns:
        if column not in out.columns:
            out[column] = table[column]
    return out.reset_index(drop=True), warnings
