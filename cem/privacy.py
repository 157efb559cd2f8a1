"""Private customer data in reports: pseudonyms, opt-outs, spreadsheet-safe tables.

* **Pseudonyms**: every customer or respondent id shown in a report output is replaced by a keyed
  hash, ``HMAC-SHA256(key, id)`` cut to 12 hex digits (``c-3f9a...``). The same key gives the same
  pseudonym in every run, so a consultant can follow a customer across reports and, holding the
  key, find them in the client's systems; without the key the id cannot be recovered. The key
  comes from the ``CEM_PSEUDONYM_KEY`` environment variable, else ``study.yaml``'s
  ``pseudonym_key``; with neither, a random key is made for the run (pseudonyms then differ between
  runs) and the report says so.
* **Opt-outs**: customers whose ``opt_in`` is no/false/0 never appear in a list of customers to
  contact.
* **Formula injection**: text written to CSV for spreadsheets has cells starting with ``=``, ``+``,
  ``-``, ``@``, a tab or a carriage return prefixed with a quote, so a spreadsheet shows them as
  text instead of running them.
"""
from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from collections.abc import Mapping

import pandas as pd

__all__ = ["pseudonym_key", "pseudonymise", "contactable", "spreadsheet_safe", "safe_cell", "unquote_cell",
           "KEY_VARIABLE"]

KEY_VARIABLE = "CEM_PSEUDONYM_KEY"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def pseudonym_key(config: Mapping[str, object] | None = None) -> tuple[str, str]:
    """The pseudonymisation key and where it came from: ``(key, "environment" | "study.yaml" | "random")``."""
    if os.environ.get(KEY_VARIABLE):
        return os.environ[KEY_VARIABLE], "environment"
    if config and config.get("pseudonym_key"):
        return str(config["pseudonym_key"]), "study.yaml"
    return secrets.token_hex(16), "random"


def pseudonymise(ids: object, key: str, *, prefix: str = "c-") -> str | list[str] | pd.Series | pd.Index:
    """Keyed pseudonyms for ids (a scalar, a list, a Series or an Index).

    Examples
    --------
    >>> pseudonymise("C00042", "secret")
    'c-ec9abc0a93e9'
    >>> pseudonymise(["a", "a"], "k")[0] == pseudonymise(["a", "a"], "k")[1]
    True
    """
    def one(value):
        digest = hmac.new(str(key).encode(), str(value).encode(), hashlib.sha256).hexdigest()
        return prefix + digest[:12]

    if isinstance(ids, pd.Index):
        return pd.Index([one(v) for v in ids], name=ids.name)
    if isinstance(ids, pd.Series):
        return ids.map(one)
    if isinstance(ids, (list, tuple)):
        return [one(v) for v in ids]
    return one(ids)


def contactable(customers: pd.DataFrame, *, column: str = "opt_in") -> pd.DataFrame:
    """The customers who may be contacted: ``opt_in`` is yes/true/1 (missing counts as no).

    Examples
    --------
    >>> c = pd.DataFrame({"opt_in": ["yes", "no", None, "1"]}, index=["a", "b", "c", "d"])
    >>> list(contactable(c).index)
    ['a', 'd']
    """
    if column not in customers.columns:
        return customers.iloc[0:0]
    from ._text import yes_no

    return customers[(yes_no(customers[column]) == 1).to_numpy()]


def safe_cell(value: object) -> object:
    """A cell value a spreadsheet shows as text: a quote before text that would start a formula.

    Text that starts with a quote followed by a formula character or another quote gets one
    more quote, so :func:`unquote_cell` gives back exactly the original text.

    Examples
    --------
    >>> safe_cell("=1+1"), safe_cell("ok"), safe_cell(-3), safe_cell("'=x")
    ("'=1+1", 'ok', -3, "''=x")
    """
    if not isinstance(value, str):
        return value
    if value.startswith(_FORMULA_START) or (value[:1] == "'" and value[1:2] in (*_FORMULA_START, "'")):
        return "'" + value
    return value


def unquote_cell(value: object) -> object:
    """The original text of a cell :func:`safe_cell` wrote: its added quote taken off.

    Examples
    --------
    >>> [unquote_cell(safe_cell(v)) for v in ("=1+1", "'=x", "''", "'plain", 3)]
    ['=1+1', "'=x", "''", "'plain", 3]
    """
    if isinstance(value, str) and value[:1] == "'" and value[1:2] in (*_FORMULA_START, "'"):
        return value[1:]
    return value


def spreadsheet_safe(table: pd.DataFrame) -> pd.DataFrame:
    """A copy of a table whose text cells cannot run as spreadsheet formulas.

    Examples
    --------
    >>> spreadsheet_safe(pd.DataFrame({"x": ["=HYPERLINK(1)", "ok", -1]}))["x"].tolist()
    ["'=HYPERLINK(1)", 'ok', -1]
    """
    cell = safe_cell
    out = table.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(cell)
    out.columns = [cell(str(c)) for c in out.columns]
    if out.index.dtype == object or pd.api.types.is_string_dtype(out.index):
        out.index = out.index.map(cell)
    return out
