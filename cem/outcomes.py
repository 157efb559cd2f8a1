"""Outcome statements: is a need written as a measurable desired outcome?

A desired outcome (Ulwick) reads *direction + metric + object of control + clarifier*:
"**Minimize** the **time it takes** to **get a firm price** for my roof". The direction says
which way is better, the metric what to measure, the object what is being controlled. A need
written as a solution ("a better app") or a feeling with no measure cannot be rated
consistently by respondents, so it is flagged, as a warning, with a rewrite pattern.
"""
from __future__ import annotations

import re

__all__ = ["check_outcome_statement", "DIRECTIONS_WORDS", "METRIC_WORDS", "PATTERN"]

#: Accepted direction verbs, and what to write instead of common near-misses.
DIRECTIONS_WORDS = {"minimize": "minimize", "maximize": "maximize", "minimise": "minimize",
                    "maximise": "maximize", "reduce": "minimize", "decrease": "minimize", "lower": "minimize",
                    "avoid": "minimize", "increase": "maximize", "improve": "maximize", "raise": "maximize"}

#: Metrics a desired outcome may measure (the noun after the direction).
METRIC_WORDS = (
    "time", "effort", "likelihood", "number", "amount", "cost", "risk", "frequency", "chance", "share",
    "probability", "accuracy", "speed", "difficulty", "ease", "uncertainty", "certainty", "confidence",
    "worry", "frustration", "stress", "fear", "feeling", "embarrassment", "pride", "agreement", "disruption",
    "paperwork", "income", "savings", "evidence", "ability", "variability", "waste", "distance", "lock-in",
    "length", "delay", "errors", "mistakes", "steps", "trips", "money", "energy", "satisfaction", "value",
)

PATTERN = "Minimize|Maximize the <metric: time it takes, likelihood, number of, effort ...> to <verb> <object> <clarifier>"


def check_outcome_statement(statement: object, direction: str | None = None) -> list[str]:
    """Problems of one outcome statement, each with a suggested rewrite.

    Parameters
    ----------
    statement : str
    direction : {"minimize", "maximize"}, optional
        The need's ``direction`` attribute, checked against the statement's verb.

    Returns
    -------
    list of str
        Empty when the statement reads as a desired outcome.

    Examples
    --------
    >>> check_outcome_statement("Minimize the time it takes to get a firm price")
    []
    >>> for p in check_outcome_statement("Reduce waiting for the installer"):
    ...     print(p)
    starts with 'Reduce', not Minimize or Maximize; write 'Minimize ...'
    names no metric after the direction; write it as: Minimize|Maximize the <metric: time it takes, likelihood, number of, effort ...> to <verb> <object> <clarifier>
    >>> check_outcome_statement("A nicer app")
    ['has no direction; write it as: Minimize|Maximize the <metric: time it takes, likelihood, number of, effort ...> to <verb> <object> <clarifier>']
    """
    problems = []
    words = re.findall(r"[A-Za-z][A-Za-z'-]*", str(statement))
    if not words:
        return [f"is empty; write it as: {PATTERN}"]
    first = words[0].lower()
    canonical = DIRECTIONS_WORDS.get(first)
    if canonical is None:
        return [f"has no direction; write it as: {PATTERN}"]
    if first not in ("minimize", "maximize"):
        problems.append(f"starts with '{words[0]}', not Minimize or Maximize; write '{canonical.capitalize()} ...'")
    rest = [w.lower() for w in words[1:6]]
    if not any(w in METRIC_WORDS or w.rstrip("s") in METRIC_WORDS for w in rest):
        problems.append(f"names no metric after the direction; write it as: {PATTERN}")
    if direction is not None and direction != canonical:
        problems.append(f"says '{canonical}' but the need's direction is '{direction}'")
    return problems
