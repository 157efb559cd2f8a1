"""The plain-language text of the reports that is not a figure: problems listed for a reader."""
from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import Problem
from .markup import md_escape

if TYPE_CHECKING:
    import pandas as pd

    from .clv import ValueModel

__all__ = ["problems_table", "problems_markdown", "explain_value_model"]


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




def explain_value_model(value: ValueModel | None) -> str:
    """The run's value model in words for the client: what the base is worth, by which model and
    why that one, with its interval and sample size; what could not be valued, said plainly.

    Every page that shows money shows this paragraph, from the one value model of the run
    (:func:`cem.valuation.value_model`), so no two pages disagree.

    Examples
    --------
    >>> import pandas as pd
    >>> from cem.clv import ValueModel
    >>> vm = ValueModel("Pareto/NBD", 1.2e6, 1.0e6, 1.5e6, "EUR", 3.0, 400, pd.DataFrame(), None,
    ...                 pd.DataFrame(), "Pareto/NBD predicts the holdout period's purchases best (+2.0% on the total)")
    >>> print(explain_value_model(vm))
    The customer base of 400 customers is worth **1,200,000 EUR** over 3 years (95 % interval 1,000,000 to 1,500,000 EUR), valued by the Pareto\\/NBD model: Pareto\\/NBD predicts the holdout period\\'s purchases best \\(\\+2\\.0\\% on the total\\).
    """
    if value is None:
        return ("This study has no purchase records (transactions.csv), so no lifetime value and no value at stake "
                "are shown.")
    cur = md_escape(value.currency)
    if value.model == "none" or value.base_value != value.base_value:  # NaN: nothing could be valued
        text = f"No lifetime value is shown: {md_escape(value.reason)}."
    else:
        interval = (f" (95 % interval {value.base_low:,.0f} to {value.base_high:,.0f} {cur})"
                    if value.base_low is not None and value.base_high is not None else " (no interval: see below)")
        text = (f"The customer base of {value.customers:,} customers is worth **{value.base_value:,.0f} {cur}** over "
                f"{value.horizon_years:g} years{interval}, valued by the {md_escape(value.model)} model: "
                f"{md_escape(value.reason)}.")
    notes = [f"- {md_escape(note)}" for note in value.notes if not note.startswith("No lifetime value is shown")]
    return text + ("\n\n" + "\n".join(notes) if notes else "")
