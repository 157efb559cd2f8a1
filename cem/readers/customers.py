"""customers.csv: one row per customer, ``customer_id`` unique; any other columns (segment, region, churned, ...)."""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from .._text import file_lines, nfc
from ..errors import InputError, Problem
from ..schema import suggest
from .csv import read_csv

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["read_customers"]


def read_customers(path: str | Path) -> tuple[pd.DataFrame, list[Problem]]:
    """Read ``customers.csv``: one row per customer, ``customer_id`` unique.

    Returns
    -------
    customers : pandas.DataFrame
        Text columns; ``customer_id`` stripped.
    warnings : list of Problem
    """
    file = str(path)
    table, warnings = read_csv(path, "customers")
    if "customer_id" not in table.columns:
        hint = suggest("customer_id", list(table.columns))
        raise InputError.single(file, "no 'customer_id' column" + (f"; did you mean '{hint}'?" if hint else ""), "1")
    table["customer_id"] = nfc(table["customer_id"].astype(str).str.strip())
    problems = []
    blank = table["customer_id"] == ""
    if blank.any():
        problems.append(Problem(file, file_lines(table.index[blank.to_numpy()]), "customer_id is blank"))
    dup = table["customer_id"].duplicated(keep=False) & ~blank
    if dup.any():
        problems.append(Problem(file, file_lines(table.index[dup.to_numpy()]), f"customer_id repeated "
                                f"({', '.join(table.loc[dup, 'customer_id'].unique()[:3])}); one row per customer"))
    if problems:
        raise InputError(problems, warnings)
    return table, warnings


