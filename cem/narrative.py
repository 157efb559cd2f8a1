"""The plain-language text of the reports that is not a figure: problems listed for a reader."""
from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import Problem
from .markup import md_escape

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["problems_table", "problems_markdown"]


def problems_table(problems: Iterable[Problem]) -> pd.DataFrame:
    """Problems as a DataFrame (file, where, what, severity) to show in a notebook."""
    import pandas as pd

    return pd.DataFrame([(Path(p.file).name, p.location, p.message, p.severity) for p in problems],
                        columns=["file", "where", "what", "severity"])


def problems_markdown(problems: Iterable[Problem]) -> str:
    """Problems as a Markdown list, in full, escaped as text (:func:`cem.markup.md_escape`), for a workshop notebook.

    Examples
    --------
    >>> print(problems_markdown([Problem("m.xlsx", "Steps!E3", "stage 'x' is not one of ...")]))
    - **m\\.xlsx, Steps\\!E3**: stage \\'x\\' is not one of \\.\\.\\.
    """
    return "\n".join(f"- **{md_escape(Path(p.file).name)}, {md_escape(p.location)}**: "
                      f"{md_escape(p.message)}" for p in problems)


