"""Error types of cem.

Every problem found in a user's input is a :class:`Problem`: the file, where in the file
(a line, a key path, a sheet cell or a row), and what is wrong and what would be right.
Validation collects all problems first and raises a single :class:`InputError` carrying
them, so a consultant fixes a file in one pass instead of one error per run.

The command line prints ``str(problem)`` for each, one line each, and exits with code 2.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

__all__ = ["Problem", "InputError", "CemError"]


class CemError(Exception):
    """Base class of cem's own exceptions."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input.

    Parameters
    ----------
    file : str
        The file (or folder) the problem is in, as the user named it.
    location : str
        Where in the file: ``"12"`` (a line), ``"steps[S_quote].stage"`` (a key),
        ``"12: steps[S_quote].stage"`` (both), ``"Steps!C7"`` (a cell). Empty when the
        problem is about the whole file.
    message : str
        What is wrong and, where possible, what would be right.
    severity : {"error", "warning"}
        Warnings are reported but do not stop a run.

    Examples
    --------
    >>> str(Problem("model.yaml", "14: steps[S_x].stage", "unknown stage 'instal'"))
    "model.yaml:14: steps[S_x].stage: unknown stage 'instal'"
    """

    file: str
    location: str
    message: str
    severity: str = "error"

    def __str__(self) -> str:
        where = f"{self.file}:{self.location}" if self.location else str(self.file)
        prefix = "warning: " if self.severity == "warning" else ""
        return f"{where}: {prefix}{self.message}"


class InputError(CemError, ValueError):
    """Bad input: carries every :class:`Problem` found, reported together.

    Examples
    --------
    >>> err = InputError([Problem("a.yaml", "3", "x is missing"), Problem("a.yaml", "9", "y")])
    >>> print(err)
    a.yaml:3: x is missing
    a.yaml:9: y
    """

    def __init__(self, problems, warnings=()):
        self.problems = list(problems)
        self.warnings = list(warnings)
        super().__init__("\n".join(str(p) for p in self.problems))

    @classmethod
    def single(cls, file, message, location=""):
        """An error with one problem, for a file that cannot be read at all."""
        return cls([Problem(str(file) if isinstance(file, Path) else file, location, message)])
