"""The notebook suite: which notebooks a run executes, in which order, and where they are.

The notebooks ship inside the package (``cem/notebooks/``, package data), so an installed cem
finds them as a source checkout does.
"""
from __future__ import annotations

from pathlib import Path

__all__ = ["SUITE", "default_notebooks_dir"]

#: Notebooks of the suite, in order, with the study inputs each needs besides the model: a
#: notebook runs when the study has all the inputs of at least one of its alternatives.
SUITE = {
    "00_summary.ipynb": [()],
    "01_journey_model.ipynb": [()],
    "02_needs_opportunities.ipynb": [("survey",)],
    "03_value_by_step.ipynb": [("survey",), ("events",)],
    "04_lifetime_value.ipynb": [("transactions",)],
    "05_actual_vs_designed.ipynb": [("events",)],
}


def default_notebooks_dir() -> Path:
    """The suite's folder: ``cem/notebooks`` inside the installed package.

    Examples
    --------
    >>> all((default_notebooks_dir() / name).is_file() for name in SUITE)
    True
    """
    return Path(__file__).resolve().parent.parent / "notebooks"
