"""Survey answers: read, checked against the model, in one long table.

The long form has one row per respondent x need::

    respondent_id, need_id, importance, satisfaction[, functional, dysfunctional][, other columns]

Importance and satisfaction are ratings 1 (low) to 5 (high). The Kano pair, where asked, takes
the five standard answers, as codes or words: 1 like, 2 expect (must-be), 3 neutral,
4 live with, 5 dislike.

The *wide* export of survey tools (one row per respondent, one column per need and measure)
is turned into the long form. Its columns are found either from ``study.yaml``::

    mappings:
      survey:
        respondent_id: ResponseId          # rename a column to the name cem expects
        wide:                              # need id -> its columns
          N_price_time: {importance: Q5_1, satisfaction: Q6_1}

or, without a mapping, from column names ``<need_id>_importance``, ``<need_id>_satisfaction``,
``<need_id>_functional``, ``<need_id>_dysfunctional``.

Every problem is collected before failing: ratings outside 1-5 or not numbers, need ids that
are not needs of the model (with the closest id suggested), duplicate respondent x need rows,
missing columns. Blank answers are not errors: they are counted, reported as a warning and
left out of every share.
"""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .._text import line_list, nfc
from ..errors import InputError, Problem
from ..schema import suggest
from .csv import read_csv
from .mapping import apply_renames

if TYPE_CHECKING:
    import networkx as nx

__all__ = ["read_survey", "RATINGS", "MEASURES", "KANO_ANSWERS"]

#: The rating measures of the long form, each a 1-5 scale.
RATINGS = ("importance", "satisfaction")

#: Kano answers: code -> name, and words accepted for each code.
KANO_ANSWERS = {1: "like", 2: "expect", 3: "neutral", 4: "live with", 5: "dislike"}
_KANO_WORDS = {"like": 1, "i like it": 1, "expect": 2, "must-be": 2, "must be": 2, "i expect it": 2,
               "neutral": 3, "i am neutral": 3, "live with": 4, "tolerate": 4, "i can live with it": 4,
               "dislike": 5, "i dislike it": 5}

MEASURES = RATINGS + ("functional", "dysfunctional")


def _wide_to_long(table, wide, file):
    """Stack a wide export into the long form; ``wide`` maps need id -> {measure: column}.

    A column may hold one need's one measure: two needs (or measures) mapped onto one column
    would count the same answers twice, so that is a problem naming both.
    """
    problems, frames = [], []
    used = {}
    for need, columns in wide.items():
        for measure, column in (columns.items() if isinstance(columns, dict) else ()):
            if isinstance(column, str) and column in used:
                other = used[column]
                problems.append(Problem(file, "1", f"study.yaml maps need '{need}' ({measure}) onto column "
                                        f"'{column}', which need '{other[0]}' ({other[1]}) uses already; give each "
                                        "need and measure its own column"))
            elif isinstance(column, str):
                used[column] = (need, measure)
    if problems:
        return None, problems
    for need, columns in wide.items():
        if not isinstance(columns, dict):
            problems.append(Problem(file, "", f"mapping for need '{need}' must be {{importance: COLUMN, "
                                    "satisfaction: COLUMN}}"))
            continue
        part = pd.DataFrame({"respondent_id": table["respondent_id"], "need_id": need, "_line": table["_line"]})
        for measure, column in columns.items():
            if measure not in MEASURES:
                problems.append(Problem(file, "", f"mapping for need '{need}': unknown measure '{measure}'; "
                                        f"expected {', '.join(MEASURES)}"))
            elif column not in table.columns:
                hint = suggest(column, list(table.columns))
                problems.append(Problem(file, "1", f"column '{column}' (need '{need}', {measure}) is not in the "
                                        "file" + (f"; did you mean '{hint}'?" if hint else "")))
            else:
                part[measure] = table[column]
        frames.append(part)
    if not frames:
        return None, problems
    return pd.concat(frames, ignore_index=True), problems


def _auto_wide(columns):
    wide = {}
    for c in columns:
        for m in MEASURES:
            if c.endswith("_" + m) and len(c) > len(m) + 1:
                wide.setdefault(c[: -len(m) - 1], {})[m] = c
    return wide


def read_survey(path: str | Path, G: nx.MultiDiGraph | None = None,
                mapping: Mapping[str, object] | None = None) -> tuple[pd.DataFrame, list[Problem]]:
    """Read survey answers into the long form, checked against the model.

    Parameters
    ----------
    path : str or Path
        ``survey.csv``, long or wide.
    G : networkx.MultiDiGraph, optional
        The model: need ids are checked against its needs.
    mapping : dict, optional
        ``study.yaml``'s ``mappings: survey:`` (column renames and ``wide``).

    Returns
    -------
    survey : pandas.DataFrame
        ``respondent_id``, ``need_id`` (text), ``importance``, ``satisfaction`` (floats 1-5,
        NaN where blank), ``functional``, ``dysfunctional`` (Kano codes 1-5) when present, any
        other column kept as text. A blank answer is NaN (:func:`cem.needs.survey_overview` counts them).
    warnings : list of Problem

    Raises
    ------
    InputError
        Every problem of the file, one line each.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "survey.csv"
    >>> _ = f.write_text("respondent_id,need_id,importance,satisfaction\\nr1,N1,5,2\\nr2,N1,4,\\n")
    >>> survey, warnings = read_survey(f)
    >>> survey[["respondent_id", "importance", "satisfaction"]].to_dict("list")
    {'respondent_id': ['r1', 'r2'], 'importance': [5.0, 4.0], 'satisfaction': [2.0, nan]}
    >>> print(warnings[0].message)
    1 answer is blank (satisfaction: 1); blank answers are left out of every share
    """
    file = str(path)
    table, warnings = read_csv(path, "survey")
    mapping = dict(mapping or {})
    wide = mapping.pop("wide", None)
    table, problems = apply_renames(table, mapping, file, "survey")
    if problems:
        raise InputError(problems, warnings)
    if table.empty:
        raise InputError.single(file, "has a header but no answers")
    table["_line"] = np.arange(2, len(table) + 2)
    if "respondent_id" not in table.columns:
        hint = suggest("respondent_id", list(table.columns))
        raise InputError.single(file, "no 'respondent_id' column" + (f"; did you mean '{hint}'? (or map it in "
                                "study.yaml: mappings: survey: respondent_id: COLUMN)" if hint else
                                f"; columns are {', '.join(map(str, table.columns[:-1]))}"), "1")
    if "need_id" not in table.columns:
        wide = wide or _auto_wide(table.columns)
        if not wide:
            raise InputError.single(file, "has neither a 'need_id' column (long form) nor columns named "
                                    "<need_id>_importance / <need_id>_satisfaction (wide form), nor a "
                                    "mappings: survey: wide: entry in study.yaml", "1")
        table, problems = _wide_to_long(table, wide, file)
        if problems:  # the mapping does not fit the file: nothing below would be meaningful
            raise InputError(problems, warnings)
    present = [m for m in MEASURES if m in table.columns]
    if not any(m in table.columns for m in RATINGS) and not {"functional", "dysfunctional"} <= set(table.columns):
        raise InputError.single(file, "no answers: expected columns importance and satisfaction (1-5), "
                                "or functional and dysfunctional (Kano)", "1")

    # Ids compare in Unicode normal form C: "René" typed two ways is one respondent (wide
    # exports and files not read by read_csv are normalised here too).
    table["respondent_id"] = nfc(table["respondent_id"].astype(str).str.strip())
    table["need_id"] = nfc(table["need_id"].astype(str).str.strip())
    blank_id = table["respondent_id"] == ""
    if blank_id.any():
        problems.append(Problem(file, line_list(table.loc[blank_id, "_line"]), "respondent_id is blank"))
    if G is not None:
        needs = [n for n, k in G.nodes(data="kind") if k == "need"]
        unknown = table.loc[~table["need_id"].isin(needs) & (table["need_id"] != ""), ["need_id", "_line"]]
        for nid, rows in unknown.groupby("need_id")["_line"]:
            if nid in G:
                what = f"'{nid}' is a {G.nodes[nid].get('kind')}, not a need"
            else:
                hint = suggest(nid, needs)
                what = f"need_id '{nid}' is not a need of the model" + (f"; did you mean '{hint}'?" if hint else "")
            problems.append(Problem(file, line_list(rows), what))
    blank_need = table["need_id"] == ""
    if blank_need.any():
        problems.append(Problem(file, line_list(table.loc[blank_need, "_line"]), "need_id is blank"))

    missing = {}
    for m in present:
        text = table[m].astype(str).str.strip()
        blank = text == ""
        missing[m] = int(blank.sum())
        if m in RATINGS:
            values = pd.to_numeric(text.where(~blank), errors="coerce")
            bad_type = values.isna() & ~blank
            if bad_type.any():
                sample = ", ".join(repr(v) for v in text[bad_type].unique()[:3])
                problems.append(Problem(file, line_list(table.loc[bad_type, "_line"]),
                                        f"{m} must be a rating 1 (low) to 5 (high); got {sample}"))
            out_of_range = values.notna() & ~values.isin([1, 2, 3, 4, 5])
            if out_of_range.any():
                sample = ", ".join(repr(v) for v in text[out_of_range].unique()[:3])
                problems.append(Problem(file, line_list(table.loc[out_of_range, "_line"]),
                                        f"{m} is outside 1-5 ({sample}); ratings are whole numbers 1 (low) to 5 (high)"))
            table[m] = values.where(~out_of_range).astype(float)
        else:
            lowered = text.str.lower()
            words = lowered.map(_KANO_WORDS).astype(float)  # a dictionary lookup, not a function per row
            values = words.fillna(pd.to_numeric(lowered.where(~blank & words.isna()), errors="coerce"))
            bad = (values.isna() & ~blank) | (values.notna() & ~values.isin([1, 2, 3, 4, 5]))
            if bad.any():
                sample = ", ".join(repr(v) for v in text[bad].unique()[:3])
                problems.append(Problem(file, line_list(table.loc[bad, "_line"]),
                                        f"{m} must be a Kano answer: 1 like, 2 expect, 3 neutral, 4 live with, "
                                        f"5 dislike; got {sample}"))
            table[m] = values.where(~bad).astype(float)
    dup = table.duplicated(["respondent_id", "need_id"], keep=False) & ~blank_id & ~blank_need
    if dup.any():
        pairs = table.loc[dup].groupby(["respondent_id", "need_id"])["_line"].apply(list)
        first = "; ".join(f"{r} x {n} on lines {line_list(l, 3)}" for (r, n), l in list(pairs.items())[:3])
        problems.append(Problem(file, line_list(table.loc[dup, "_line"]),
                                f"{len(pairs)} respondent x need pair(s) answered more than once ({first}"
                                f"{'; ...' if len(pairs) > 3 else ''}); keep one row per respondent and need"))
    if problems:
        raise InputError(problems, warnings)
    total_blank = sum(missing.values())
    if total_blank:
        detail = ", ".join(f"{m}: {k}" for m, k in missing.items() if k)
        warnings.append(Problem(file, "", f"{total_blank} answer{'s are' if total_blank != 1 else ' is'} blank "
                                f"({detail}); blank answers are left out of every share", "warning"))
    return table.drop(columns="_line").reset_index(drop=True), warnings


