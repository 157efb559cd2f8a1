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

__all__ = ["problems_table", "problems_markdown", "explain_value_model", "explain_all_steps"]


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


def explain_all_steps(value: ValueModel) -> str:
    """The value at stake of raising every step at once, in words: the amount with its interval
    where the interval stays above zero, else "no measurable gain" (never a negative amount).

    Examples
    --------
    >>> import pandas as pd
    >>> from cem.clv import ValueModel
    >>> vm = ValueModel("BG/NBD", 1e6, 9e5, 1.1e6, "EUR", 3.0, 400, pd.DataFrame(),
    ...                 {"value": 13356599.07, "low": 8248881.02, "high": 18460184.67}, pd.DataFrame(), "")
    >>> print(explain_all_steps(vm))
    Value at stake: the lifetime value over 3 years gained if the step's experience rose to 5 for everyone below it. All steps at once: **13,356,599 EUR** (95 % interval 8,248,881 to 18,460,185 EUR).
    >>> vm.all_steps = {"value": -5.0, "low": -900.0, "high": 700.0}
    >>> print(explain_all_steps(vm).split(". ")[-1])
    All steps at once: no measurable gain (in EUR, its 95 % interval runs from -900 to 700).
    """
    cur = md_escape(value.currency)
    text = (f"Value at stake: the lifetime value over {value.horizon_years:g} years gained if the step's experience "
            f"rose to {value.target:g} for everyone below it.")
    every = value.all_steps or {}
    v, lo, hi = every.get("value"), every.get("low"), every.get("high")
    if v is None or v != v:
        return text
    if lo is not None and hi is not None and lo == lo and lo > 0:
        return text + f" All steps at once: **{v:,.0f} {cur}** (95 % interval {lo:,.0f} to {hi:,.0f} {cur})."
    if lo is None or hi is None or lo != lo or hi != hi:
        return text + " All steps at once: no measurable gain (no interval could be drawn)."
    return text + f" All steps at once: no measurable gain (in {cur}, its 95 % interval runs from {lo:,.0f} to {hi:,.0f})."
