"""Small text rules written once: Unicode normal form C for ids and cells, lists of file lines in messages."""
from __future__ import annotations

import unicodedata
from collections.abc import Iterable

import pandas as pd

__all__ = ["nfc", "nfc_text", "line_list", "file_lines", "yes_no", "YES", "NO"]


def nfc_text(text: str) -> str:
    """Text in Unicode normal form C (ASCII, nearly every cell, is NFC already and left as is).

    Examples
    --------
    >>> nfc_text("Rene\u0301") == "Ren\u00e9"
    True
    """
    return text if text.isascii() else unicodedata.normalize("NFC", text)


def nfc(values: pd.Series) -> pd.Series:
    """Text in Unicode normal form C, so one id typed two ways ("é" as one code point or as
    "e" + accent) is one id when files are matched by id.

    Only non-ASCII cells are normalised (ASCII is NFC already), so ids cost nothing extra.

    Examples
    --------
    >>> nfc(pd.Series(["Rene\u0301", "Ren\u00e9", "r1"])).tolist() == ["Ren\u00e9", "Ren\u00e9", "r1"]
    True
    """


    text = values.astype(str)
    odd = ~text.str.isascii()
    if odd.any():
        text = text.copy()
        text[odd] = [unicodedata.normalize("NFC", v) for v in text[odd]]
    return text


def line_list(lines: Iterable[object], limit: int = 5) -> str:
    """File lines named in a problem: the first ``limit``, then how many more.

    Examples
    --------
    >>> line_list([9, 2, 3, 4, 5, 6, 7])
    '2,3,4,5,6 (+2 more)'
    """
    lines = sorted(int(x) for x in lines)
    head = ",".join(str(x) for x in lines[:limit])
    return head + (f" (+{len(lines) - limit} more)" if len(lines) > limit else "")


def file_lines(index: Iterable[object], limit: int = 5) -> str:
    """File lines of table rows named in a problem: the header is line 1, the first row line 2.

    Examples
    --------
    >>> file_lines([0, 1, 7])
    '2,3,9'
    """
    return line_list((int(i) + 2 for i in index), limit)


#: Answers read as yes (1) or no (0) in flag columns (churned, opt_in), compared without case.
YES = frozenset({"1", "yes", "y", "true"})
NO = frozenset({"0", "no", "n", "false"})


def yes_no(values: pd.Series) -> pd.Series:
    """A flag column as 1 (yes), 0 (no) or NaN (blank or anything else), the one rule for flags.

    Examples
    --------
    >>> yes_no(pd.Series(["Yes", "0", "TRUE", "", "maybe"])).tolist()
    [1.0, 0.0, 1.0, nan, nan]
    """
    text = values.astype(str).str.strip().str.lower()
    return text.map(lambda v: 1 if v in YES else 0 if v in NO else None).astype(float)
