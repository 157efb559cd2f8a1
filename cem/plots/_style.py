"""What every figure shares: colours, sizes, and model text made safe to draw.

Every text from a model or data (names, ids, currency, segment values) is drawn as plain text:
matplotlib reads text between two ``$`` as mathtext, so "Pay $50 now, $20 later" would come
out garbled (or fail to draw). :func:`_plain` escapes ``$`` as ``\\$``, which matplotlib draws
as a dollar sign; the escape lives in the string itself, so it also holds for tick labels
matplotlib makes afresh at draw time (``parse_math=False`` would not carry over to those).
"""
from __future__ import annotations

import textwrap

from ..schema import ENTITY_TYPES

__all__ = ["SEVERITY_COLORS"]

SEVERITY_COLORS = {"high": "#c0392b", "medium": "#e67e22", "low": "#f1c40f"}
_ENTITY_COLORS = dict(zip(ENTITY_TYPES, ["#1f77b4", "#2ca02c", "#9467bd", "#8c564b", "#17becf", "#7f7f7f"]))
_STAGE_COLORS = ["#eaf2f8", "#d6eaf8"]
_COL_IN = 1.35  # inches per step column
_LINE_IN = 0.14  # inches per text line
_LABEL_COLS = 1.6  # lane-label margin, in columns
_WRAP = 17  # characters per line in a column
_FONT = 7.5  # the journey map's text; its smallest texts are half a point smaller (7 pt)


def _plt():
    """matplotlib.pyplot, imported when a figure is first drawn (importing cem stays light)."""
    import matplotlib.pyplot as plt

    return plt


def _plain(text):
    """Text from a model or data as matplotlib draws it literally: no mathtext.

    Examples
    --------
    >>> _plain("Pay $50 now, $20 later")
    'Pay \\\\$50 now, \\\\$20 later'
    >>> _plain(None), _plain(3)
    ('', '3')
    """
    return "" if text is None else str(text).replace("$", "\\$")


def _wrap(text, width=_WRAP, max_lines=None):
    """Model text in lines of ``width`` characters at most, each line made :func:`_plain`.

    Examples
    --------
    >>> _wrap("Install the panels on the roof", 12)
    ['Install the', 'panels on', 'the roof']
    >>> _wrap("Install the panels on the roof", 12, max_lines=2)
    ['Install the', 'panels on…']
    """
    lines = textwrap.wrap(str(text), width=width, break_long_words=True) or [""]
    if max_lines and len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = lines[-1][: width - 1] + "\u2026"
    # Escaped after wrapping: a "\\$" is never split across lines, and widths count what is drawn.
    return [_plain(line) for line in lines]
