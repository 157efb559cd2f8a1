"""Column mappings of study.yaml applied to a data file's header (``name cem expects: column in the file``)."""
from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from ..errors import Problem

__all__ = ["apply_renames"]


def apply_renames(table: pd.DataFrame, mapping: Mapping[str, object], file: str,
                  what: str) -> tuple[pd.DataFrame, list[Problem]]:
    """Rename a file's columns as ``study.yaml``'s ``mappings: <what>:`` says (``name cem expects: column``).

    A rename onto a column the file already has, or two names mapped onto one column, would
    silently lose data (which ``respondent_id`` is the real one?): each is a problem naming
    both columns, located on the header line.

    Returns
    -------
    table : pandas.DataFrame
    problems : list of Problem

    Examples
    --------
    >>> t = pd.DataFrame(columns=["respondent_id", "Q1"])
    >>> print(apply_renames(t, {"respondent_id": "Q1"}, "survey.csv", "survey")[1][0])
    survey.csv:1: study.yaml maps respondent_id to column 'Q1', but the file has a 'respondent_id' column too; map respondent_id to one column only (rename or drop the other in the file)
    """
    problems = []
    by_column = {}
    for name, column in mapping.items():
        if isinstance(column, str):
            by_column.setdefault(column, []).append(str(name))
    renames = {}
    for column, names in by_column.items():
        if len(names) > 1:
            problems.append(Problem(file, "1", f"study.yaml maps {' and '.join(repr(n) for n in names)} onto the same "
                                    f"column '{column}' (mappings: {what}:); give each its own column"))
            continue
        name = names[0]
        if name == column or column not in table.columns:
            continue
        if name in table.columns and name not in by_column:
            problems.append(Problem(file, "1", f"study.yaml maps {name} to column '{column}', but the file has a "
                                    f"'{name}' column too; map {name} to one column only (rename or drop the other "
                                    "in the file)"))
            continue
        renames[column] = name
    return table.rename(columns=renames), problems


