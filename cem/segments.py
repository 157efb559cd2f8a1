"""Segments: look at a study for one group of customers only.

A *segment* is a column of the study's data and one of its values, written
``"column=value"`` (``region=north``). The column is looked up in ``customers.csv`` first, then
in the survey and the events, so a segment can be any customer attribute the study records.
``cem report --by COLUMN`` makes one run per value; in a run the notebooks load the study with
``load_study(path, segment=...)`` and every data loader keeps the rows of that segment's
customers only (:func:`select_segment`).
"""
from __future__ import annotations

import pandas as pd

from .errors import InputError, Problem
from .schema import suggest

__all__ = ["parse_segment", "segment_values", "select_segment", "nfc"]


def nfc(values):
    """Text in Unicode normal form C, so one id typed two ways ("é" as one code point or as
    "e" + accent) is one id when files are matched by id.

    Only non-ASCII cells are normalised (ASCII is NFC already), so ids cost nothing extra.

    Examples
    --------
    >>> nfc(pd.Series(["Rene\u0301", "Ren\u00e9", "r1"])).tolist() == ["Ren\u00e9", "Ren\u00e9", "r1"]
    True
    """
    import unicodedata

    text = values.astype(str)
    odd = ~text.str.isascii()
    if odd.any():
        text = text.copy()
        text[odd] = [unicodedata.normalize("NFC", v) for v in text[odd]]
    return text


def parse_segment(segment):
    """``(column, value)`` from ``"column=value"``, a pair, or None.

    Examples
    --------
    >>> parse_segment("region = north")
    ('region', 'north')
    >>> parse_segment(None) is None
    True
    """
    if segment is None or segment == "":
        return None
    if isinstance(segment, str):
        column, sep, value = segment.partition("=")
        if not sep or not column.strip():
            raise InputError.single("segment", f"'{segment}' is not column=value (for example region=north)")
        return column.strip(), value.strip()
    column, value = segment
    return str(column).strip(), str(value).strip()


def _columns_and_values(study):
    """Yield (file, table) for each table of the study that may hold a segment column."""
    from .journeys import read_events
    from .survey import read_customers, read_survey

    maps = study.config.get("mappings") or {}
    if "customers" in study.files:
        yield study.files["customers"], read_customers(study.files["customers"])[0]
    if "survey" in study.files:
        yield study.files["survey"], read_survey(study.files["survey"], study.graph, maps.get("survey"))[0]
    if "events" in study.files:
        yield study.files["events"], read_events(study.files["events"], study.graph, maps.get("events"))[0]


def segment_values(study, column):
    """The values of ``column`` in the study's data, sorted, blanks left out.

    Raises
    ------
    InputError
        No data file of the study has the column; the message names the files looked in and
        the closest column name.
    """
    looked, names = [], []
    for file, table in _columns_and_values(study):
        if column in table.columns:
            values = table[column].dropna().astype(str).str.strip()
            return sorted(v for v in values.unique() if v)
        looked.append(str(file))
        names += [str(c) for c in table.columns]
    hint = suggest(column, names)
    where = ", ".join(looked) if looked else f"{study.path} (it has no customers, survey or events file)"
    raise InputError([Problem(where, column, f"no column '{column}' to make segments of"
                              + (f"; did you mean '{hint}'?" if hint else ""))])


def select_segment(table, study, id_column="customer_id"):
    """The rows of ``table`` that belong to the study's segment; all rows without a segment.

    The segment's column is used from ``table`` when it has it, else through the customer ids
    of ``customers.csv``.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> t = pd.DataFrame({"customer_id": ["a", "b", "c"], "region": ["n", "s", "n"]})
    >>> select_segment(t, SimpleNamespace(segment=("region", "n")))["customer_id"].tolist()
    ['a', 'c']
    """
    if getattr(study, "segment", None) is None:
        return table
    column, value = study.segment
    attrs = dict(table.attrs)
    if column in table.columns:
        keep = table[column].astype(str).str.strip() == value
    else:
        if "customers" not in study.files:
            raise InputError.single(str(study.path), f"the segment column '{column}' is not in the data and "
                                    "there is no customers.csv to find it in")
        from .survey import read_customers

        customers = read_customers(study.files["customers"])[0]
        if column not in customers.columns:
            raise InputError.single(str(study.files["customers"]), f"no column '{column}' for the segment", "1")
        ids = customers.loc[customers[column].astype(str).str.strip() == value, "customer_id"]
        keep = table[id_column].astype(str).isin(set(ids)) if id_column in table.columns \
            else pd.Series(table.index.astype(str).isin(set(ids)), index=table.index)
    picked = table[keep.to_numpy()].copy()
    picked.attrs = attrs
    picked.attrs["segment"] = f"{column}={value}"
    return picked
