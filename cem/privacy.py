"""Private customer data in reports: pseudonyms, opt-outs, spreadsheet-safe tables.

* **Pseudonyms**: every customer or respondent id shown in a report output is replaced by a keyed
  hash, ``HMAC-SHA256(key, id)`` cut to 12 hex digits (``c-3f9a...``). The same key gives the same
  pseudonym in every run, so a consultant can follow a customer across reports and, holding the
  key, find them in the client's systems; without the key the id cannot be recovered. The key
  comes from the ``CEM_PSEUDONYM_KEY`` environment variable, else ``study.yaml``'s
  ``pseudonym_key`` (``cem new`` writes a random one there, with a comment saying to keep it
  secret); with neither, a random key is made for the run (pseudonyms then differ between runs)
  and the report says so (:func:`key_note`).
* **Mapping back**: every list of pseudonyms a run shows is matched to its customer ids in the
  run's ``private/`` folder (:func:`save_pseudonym_map`: ``private/<list>_ids.csv``, owner-only,
  never linked from a page), so the consultant can find the customers whatever the key's source;
  the folder is for the consultant, not for the client.
* **Ids in free text** (a failure's message): :func:`scrub_ids` replaces every known id, quoted
  or bare, however short, by its pseudonym.
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
import re
import secrets
from collections.abc import Collection, Iterable, Mapping
from pathlib import Path

import pandas as pd

__all__ = ["pseudonym_key", "pseudonymise", "contactable", "spreadsheet_safe", "safe_cell", "unquote_cell",
           "KEY_VARIABLE", "key_note", "pseudonym_map", "save_pseudonym_map", "scrub_ids", "PRIVATE_FOLDER"]

KEY_VARIABLE = "CEM_PSEUDONYM_KEY"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: The folder of a run that is for the consultant only: what maps pseudonyms back to customers.
PRIVATE_FOLDER = "private"


def pseudonym_key(config: Mapping[str, object] | None = None) -> tuple[str, str]:
    """The pseudonymisation key and where it came from: ``(key, "environment" | "study.yaml" | "random")``."""
    if os.environ.get(KEY_VARIABLE):
        return os.environ[KEY_VARIABLE], "environment"
    if config and config.get("pseudonym_key"):
        return str(config["pseudonym_key"]), "study.yaml"
    return secrets.token_hex(16), "random"


def key_note(source: str) -> str:
    """Where the pseudonyms' key came from, in a sentence fit for a report page.

    Examples
    --------
    >>> key_note("study.yaml")
    "The pseudonyms' key is study.yaml's pseudonym_key, so a customer has the same pseudonym in every run."
    """
    if source == "environment":
        return (f"The pseudonyms' key is {KEY_VARIABLE}'s, so a customer has the same pseudonym in every run "
                "with that key.")
    if source == "study.yaml":
        return "The pseudonyms' key is study.yaml's pseudonym_key, so a customer has the same pseudonym in every run."
    return ("The pseudonyms' key was made at random for this run, so they differ from one run to the next; set "
            "pseudonym_key in study.yaml to keep them.")


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


def pseudonym_map(ids: Iterable[object], key: str, *, prefix: str = "c-") -> pd.DataFrame:
    """The pseudonym of each id: a table of ``pseudonym`` and ``customer_id``, in the ids' order.

    Examples
    --------
    >>> pseudonym_map(["C00042"], "secret").to_dict("records")
    [{'pseudonym': 'c-ec9abc0a93e9', 'customer_id': 'C00042'}]
    """
    ids = [str(v) for v in ids]
    return pd.DataFrame({"pseudonym": pseudonymise(ids, key, prefix=prefix), "customer_id": ids})


_PRIVATE_README = """\
This folder is for the consultant, not for the client: do not send it with the report.

Each <list>_ids.csv matches the pseudonyms a page of this run shows (c-...) to the customer ids of
the client's data, so the customers can be found in the client's systems. The pages themselves
show pseudonyms only.
"""


def save_pseudonym_map(folder: str | Path, name: str, ids: Iterable[object], key: str, *,
                       prefix: str = "c-") -> Path:
    """Write ``<folder>/private/<name>_ids.csv``: the pseudonyms of a list a page shows, and their ids.

    The consultant's way back from a pseudonym to the customer, whatever the key's source (a
    random key included). ``private/`` is made owner-only (0o700) with a README saying it is
    not for the client; the file is owner-only (0o600), spreadsheet-safe, and no page links it.

    Parameters
    ----------
    folder : str or Path
        The run's output folder.
    name : str
        The list's name (``win_back``): the file is ``<name>_ids.csv``.
    ids : iterable
        The customer (or case) ids of the list, before pseudonymisation.
    key : str
        The key the page's pseudonyms were made with.

    Returns
    -------
    pathlib.Path

    Examples
    --------
    >>> import tempfile
    >>> path = save_pseudonym_map(tempfile.mkdtemp(), "win_back", ["C00042"], "secret")
    >>> path.name, path.read_text().splitlines()
    ('win_back_ids.csv', ['pseudonym,customer_id', 'c-ec9abc0a93e9,C00042'])
    """
    private = Path(folder) / PRIVATE_FOLDER
    private.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(private, 0o700)
    readme = private / "README.txt"
    if not readme.exists():
        readme.write_text(_PRIVATE_README, encoding="utf-8")
    path = private / f"{name}_ids.csv"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
        spreadsheet_safe(pseudonym_map(ids, key, prefix=prefix)).to_csv(fh, index=False)
    os.chmod(path, 0o600)
    return path


def scrub_ids(text: str, ids: Collection[str], key: str, *, prefix: str = "c-") -> str:
    """Text with every id of ``ids`` it names replaced by the id's pseudonym.

    An id is found quoted (``'C1'``, ``"C1"``, backquoted) or bare, between spaces and
    punctuation, however short it is (a bare ``17`` is replaced when ``17`` is an id); a full stop
    or question mark after it is kept. File locations (``survey.csv:12``, ``line 12``, ``cell 3``)
    are left as they are, so a message still says where the problem is.

    Examples
    --------
    >>> scrub_ids("customer 17 bought; KeyError: 'A9' (survey.csv:17)", {"17", "A9"}, "k") == (
    ...     "customer " + pseudonymise("17", "k") + " bought; KeyError: '" + pseudonymise("A9", "k")
    ...     + "' (survey.csv:17)")
    True
    """
    if not ids or not text:
        return text

    def quoted(m):
        return m.group(1) + pseudonymise(m.group(2), key, prefix=prefix) + m.group(1) \
            if m.group(2) in ids else m.group(0)

    def bare(m):
        token = m.group(0)
        if _LOCATION.search(m.string, max(m.start() - 60, 0), m.start()):  # a place in a file, not an id
            return token
        if token in ids:
            return pseudonymise(token, key, prefix=prefix)
        core = token.rstrip(".!?/")  # a sentence's full stop is not part of the id
        return pseudonymise(core, key, prefix=prefix) + token[len(core):] if core and core in ids else token

    text = re.sub(r"(['\"`])([^'\"`\n]{1,200})\1", quoted, text)
    return re.sub(r"[^\s'\"`(),;:=\[\]{}<>]+", bare, text)


#: Just before a number that says where, not who: ``file.csv:`` (``:2,9,`` of a list of lines), ``line ``, ``cell ``.
_LOCATION = re.compile(r"(?:\.[A-Za-z]{2,7}:(?:\d+,)*|\b(?:lines?|cells?|rows?|column) (?:\d+, )*)$")


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
