"""Timestamps of a text column, parsed once for the whole column, not once per row.

The readers of event logs and transactions take dates as people write them: ISO 8601 with or
without a time zone (``2024-03-01``, ``2024-03-01 14:05``, ``2024-03-01T14:05:00+01:00``,
``...Z``), or any one other format a spreadsheet writes (``03/01/2024 14:05``). A date with a
zone is converted to UTC; a date without one is taken as UTC already.

How, so that two million timestamps cost a fraction of a second, not seconds:

1. ISO 8601 (nearly every export) is parsed by pyarrow's vectorised cast, the whole column at
   once: zoned values into UTC, values without a zone as UTC;
2. values pyarrow's cast does not read (another format, a typo) are parsed with one format
   inferred from the first of them (:func:`pandas.tseries.api.guess_datetime_format`), by
   pyarrow's vectorised ``strptime``; a format is inferred once per column, never per row;
3. only the values that fit neither (typos, a stray second format) are tried one by one
   (pandas' ``format="mixed"``), so they are read where they can be and reported where not.

Step 1 reads exactly what ``pandas.to_datetime(..., format="mixed")`` reads, with the same
result (tests/readers/test_timestamps.py compares them); step 2 reads a column written in one
format consistently (``01/03/2024`` after ``13/03/2024`` is the 1st of March, not the 3rd of
January as a row-by-row guess would have it).
"""
from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd

__all__ = ["parse_timestamps"]

#: What marks a value as carrying its time zone: a time, then ``Z`` or an offset at the end.
_ZONED = r"\d[T ]\d.*(?:Z|[+-]\d\d(?::?\d\d)?)$"

#: ISO 8601 as pyarrow's cast reads it: a date, a time (hours at least), a zone, or a date alone.
_ISO_TIME = r"\d\d(?::\d\d(?::\d\d(?:\.\d{1,6})?)?)?"
_ISO_NAIVE = re.compile(r"\d{4}-\d\d-\d\d(?:[T ]" + _ISO_TIME + ")?")
_ISO_ZONED = re.compile(r"\d{4}-\d\d-\d\d[T ]" + _ISO_TIME + r"(?:Z|[+-]\d\d(?::?\d\d)?)")

_NAT = np.iinfo(np.int64).min


def _arrow_text(values):
    """The values as a pyarrow string array, stripped of surrounding white space; blanks null."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if isinstance(values, pd.Series):
        values = values.array
    try:
        arr = pa.array(values, from_pandas=True)  # Arrow-backed text: no copy
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        arr = None
    if arr is None or not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        arr = pa.array(pd.Series(values).astype(str).to_numpy(dtype=object), type=pa.large_string())
    arr = pc.utf8_trim_whitespace(arr)
    blank = pc.equal(arr, "")
    return pc.if_else(blank, pa.scalar(None, arr.type), arr) if pc.any(blank).as_py() else arr


def _cast(arr, zoned):
    """Microseconds since 1970 (UTC) of ISO 8601 values, or None when pyarrow's cast cannot read them all."""
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        ts = pc.cast(arr, pa.timestamp("us", tz="UTC") if zoned else pa.timestamp("us"))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    return pc.fill_null(pc.cast(ts, pa.int64()), _NAT).to_numpy(zero_copy_only=False)


#: Distinct unreadable values set aside before the column is parsed the slow way (each costs a pass).
_MAX_TYPOS = 3


def _cast_around_typos(arr, zoned):
    """As :func:`_cast`, setting aside (as NaT) up to :data:`_MAX_TYPOS` distinct values the cast
    names as unreadable: a few typos in an ISO column do not send the whole column to pandas.

    Returns
    -------
    (int64 array, numpy bool array of the values set aside) or None
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    aside = None
    for _ in range(_MAX_TYPOS + 1):
        try:
            ts = pc.cast(arr, pa.timestamp("us", tz="UTC") if zoned else pa.timestamp("us"))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
            bad = re.search(r"Failed to parse string: '(.*)' as a scalar of type", str(exc), re.S)
            if bad is None:
                return None
            same = pc.fill_null(pc.equal(arr, bad.group(1)), False)
            if not pc.any(same).as_py():
                return None
            arr = pc.if_else(same, pa.scalar(None, arr.type), arr)
            same = same.to_numpy(zero_copy_only=False)
            aside = same if aside is None else aside | same
            continue
        out = pc.fill_null(pc.cast(ts, pa.int64()), _NAT).to_numpy(zero_copy_only=False)
        return np.array(out, copy=not out.flags.writeable), (aside if aside is not None else np.zeros(len(out), dtype=bool))
    return None


def _by_format(text):
    """Microseconds since 1970 (UTC) of values in one non-ISO format (inferred once, from the first
    value it can be), the odd ones parsed one by one; NaT (as int) where nothing reads them.

    A format without a zone is applied by pyarrow's vectorised ``strptime`` (pandas applies a
    format through a regular expression per value, ten times slower), values it leaves unread
    by pandas with the same format, and what is left by pandas' ``format="mixed"``.
    """
    import pyarrow as pa
    import pyarrow.compute as pc
    from pandas.tseries.api import guess_datetime_format

    out = np.full(len(text), _NAT, dtype=np.int64)
    if not len(text):
        return out
    fmt = None
    with warnings.catch_warnings():  # "dayfirst" hints: the format found is what is used, said or not
        warnings.simplefilter("ignore")
        for value in text[:50]:  # the first value a format can be inferred from
            fmt = guess_datetime_format(value)
            if fmt is not None:
                break
    left = np.ones(len(text), dtype=bool)
    if fmt is not None and "%z" not in fmt and "%Z" not in fmt:
        # pyarrow's strptime is C's: it reads "30/02/2024" as the 1st of March and "3/1/2024"
        # like "03/01/2024". A value it reads counts only if writing the time back in the format
        # gives the value again; the others (unpadded, impossible dates) are left to pandas.
        try:
            texts = pa.array(text, type=pa.large_string())
            ts = pc.strptime(texts, format=fmt, unit="us", error_is_null=True)
            ok = pc.fill_null(pc.equal(pc.strftime(ts, format=fmt), texts), False).to_numpy(zero_copy_only=False)
            got = pc.fill_null(pc.cast(ts, pa.int64()), _NAT).to_numpy(zero_copy_only=False)
            out[ok] = got[ok]
            left = ~ok
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            pass
    for how in ((fmt,) if fmt is not None else ()) + ("mixed",):
        if not left.any():
            break
        rows = np.flatnonzero(left)
        parsed = pd.to_datetime(pd.Series(text[rows]), format=how, errors="coerce", utc=True)
        ok = parsed.notna().to_numpy()
        out[rows[ok]] = pd.DatetimeIndex(parsed[ok]).as_unit("us").asi8
        left[rows[ok]] = False
    return out


def parse_timestamps(values: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Timestamps of a column of text, in UTC, and which values carried a time zone.

    ISO 8601 values are parsed by pyarrow's vectorised cast; other values with one format
    inferred once from the first of them; what is left, one by one (see the module's notes).
    Blank and unreadable values are NaT.

    Parameters
    ----------
    values : pandas.Series
        Text (surrounding spaces are ignored).

    Returns
    -------
    timestamps : pandas.Series
        ``datetime64[us, UTC]``, on the index of ``values``.
    zoned : numpy.ndarray of bool
        True where the value gave a time zone (``Z`` or an offset after a time).

    Examples
    --------
    >>> ts, zoned = parse_timestamps(pd.Series(["2024-03-01T14:05:00+01:00", "2024-03-02", "soon", ""]))
    >>> [str(t) for t in ts], zoned.tolist()
    (['2024-03-01 13:05:00+00:00', '2024-03-02 00:00:00+00:00', 'NaT', 'NaT'], [True, False, False, False])
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    index = values.index if isinstance(values, pd.Series) else pd.RangeIndex(len(values))
    arr = _arrow_text(values)
    n = len(arr)
    present = pc.is_valid(arr).to_numpy(zero_copy_only=False)
    out = None
    zoned = np.zeros(n, dtype=bool)
    first = pc.drop_null(arr)[:1].to_pylist()
    # The common cases first, told by the first value (a failed cast costs a pass over the
    # column): every value zoned, or every value without a zone, cast at once; a few typos
    # are set aside and read below.
    if first and (_ISO_ZONED.fullmatch(first[0]) or _ISO_NAIVE.fullmatch(first[0])):
        is_zoned = bool(_ISO_ZONED.fullmatch(first[0]))
        got = _cast_around_typos(arr, zoned=is_zoned)
        if got is not None:
            out, aside = got
            if is_zoned:
                zoned = present & ~aside
            if aside.any():
                rows = np.flatnonzero(aside)
                odd = arr.take(pa.array(rows))
                out[rows] = _by_format(odd.to_numpy(zero_copy_only=False))
                zoned[rows] = pc.fill_null(pc.match_substring_regex(odd, _ZONED), False).to_numpy(zero_copy_only=False)
    if out is None and first and not (_ISO_ZONED.fullmatch(first[0]) or _ISO_NAIVE.fullmatch(first[0])):
        # Not ISO: one format, inferred once (pyarrow's cast is not tried on a column it cannot read).
        out = _by_format(arr.to_numpy(zero_copy_only=False))
        zoned = pc.fill_null(pc.match_substring_regex(arr, _ZONED), False).to_numpy(zero_copy_only=False)
    if out is None:  # ISO with and without zones mixed, or more typos: each kind cast apart
        zoned = pc.fill_null(pc.match_substring_regex(arr, _ZONED), False).to_numpy(zero_copy_only=False)
        out = np.full(n, _NAT, dtype=np.int64)
        left = present.copy()
        for mask in (zoned, present & ~zoned):
            rows = np.flatnonzero(mask)
            got = _cast_around_typos(arr.take(pa.array(rows)), zoned=mask is zoned) if len(rows) else None
            if got is not None:
                part, aside = got
                out[rows] = part
                left[rows[~aside]] = False
        if left.any():  # another format, or the typos set aside: a format inferred once, then row by row
            rows = np.flatnonzero(left)
            out[rows] = _by_format(arr.take(pa.array(rows)).to_numpy(zero_copy_only=False))
    stamps = pd.Series(out.view("datetime64[us]"), index=index).dt.tz_localize("UTC")
    return stamps, zoned
