"""Error types of cem.

Every problem found in a user's input is a :class:`Problem`: the file, where in the file
(a line, a key path, a sheet cell or a row), and what is wrong and what would be right.
Validation collects all problems first and raises a single :class:`InputError` carrying
them, so a consultant fixes a file in one pass instead of one error per run.

The command line prints ``str(problem)`` for each, one line each, and exits with code 2.

Caps, applied here once for every reader (a hostile file must not flood a terminal or a
report with its own content):

* :data:`MAX_ECHO` (80): a quoted value in a message or location longer than this is cut to it,
  ending in an ellipsis, and so is any run of text without spaces longer than :data:`MAX_WORD`
  (200); a message is at most :data:`MAX_MESSAGE`
  (1,000) characters, a location at most :data:`MAX_LOCATION` (200); line breaks in either
  are written ``\\n`` so a problem stays one line.
* :data:`MAX_PER_KIND` (20): an :class:`InputError` keeps the first 20 problems of each kind (same
  file, same message once its quoted values and numbers are blanked) and says
  ``... and N more like this`` after them.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Problem", "InputError", "CemError", "MAX_ECHO", "MAX_WORD", "MAX_MESSAGE", "MAX_LOCATION", "MAX_PER_KIND",
           "shorten"]

#: Longest quoted value (or run of text without spaces) a message echoes.
MAX_ECHO = 80
#: Longest message and location of a problem.
MAX_MESSAGE = 1_000
MAX_LOCATION = 200
#: Problems of one kind, in one file, listed before "... and N more like this".
MAX_PER_KIND = 20

# A quoted value: opened by a quote that no letter precedes (so "customer's" opens nothing),
# closed by the first quote that no letter follows.
_QUOTED = re.compile(r"""(?<![A-Za-z])(?:'([^'\n]{%d,})'|"([^"\n]{%d,})")(?![A-Za-z])""" % (MAX_ECHO + 1, MAX_ECHO + 1))
#: Runs of text without spaces longer than this (an unquoted value, never a word) are cut to
#: MAX_ECHO; long enough for the paths a message names.
MAX_WORD = 200
_LONG_WORD = re.compile(r"\S{%d,}" % (MAX_WORD + 1))
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
_KIND = re.compile(r"""'[^']*'|"[^"]*"|\d+""")


def _blank(match):
    text = match.group()
    return "…" if text[0].isdigit() else text[0] + "…" + text[0]


def shorten(text: object, limit: int = MAX_ECHO) -> str:
    """Text cut to ``limit`` characters, ending in an ellipsis when it was longer.

    Examples
    --------
    >>> shorten("x" * 100, 10)
    'xxxxxxxxx…'
    >>> shorten("short")
    'short'
    """
    text = str(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _shorten_quoted(match):
    quote = "'" if match.group(1) is not None else '"'
    return quote + shorten(match.group(1) if match.group(1) is not None else match.group(2)) + quote


def _one_line(text, limit, values=True):
    """A message or location made safe to print as one line of bounded length; with ``values``,
    its long quoted values and runs without spaces cut too (not in a file's path)."""
    if len(text) > 4 * limit:  # a value of hundreds of MB: keep both ends, never scan it all
        text = text[: 2 * limit] + "…" + text[-2 * limit:]
    text = _CONTROL.sub(lambda m: "\\n" if m.group() == "\n" else f"\\x{ord(m.group()):02x}", text)
    if values and len(text) > MAX_ECHO:
        text = _QUOTED.sub(_shorten_quoted, text)
        text = _LONG_WORD.sub(lambda m: shorten(m.group()), text)
    return shorten(text, limit)


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
    rows : int
        Rows of the file a warning leaves out of every analysis (an unreadable date, a blank
        id): counted here so a report can say how much was left out.

    Examples
    --------
    >>> str(Problem("model.yaml", "14: steps[S_x].stage", "unknown stage 'instal'"))
    "model.yaml:14: steps[S_x].stage: unknown stage 'instal'"
    """

    file: str
    location: str
    message: str
    severity: str = "error"
    rows: int = 0

    def __post_init__(self):
        # Every echoed value is capped here, once, whichever reader built the problem.
        object.__setattr__(self, "file", _one_line(str(self.file), MAX_LOCATION * 5, values=False))
        object.__setattr__(self, "location", _one_line(str(self.location), MAX_LOCATION))
        object.__setattr__(self, "message", _one_line(str(self.message), MAX_MESSAGE))

    @property
    def kind(self):
        """What sort of problem it is: file, severity and the message's first clause with its
        quoted values and numbers blanked (``"step '' is not a step of the model"``)."""
        return self.file, self.severity, _KIND.sub(_blank, self.message.split(";", 1)[0])

    def __str__(self) -> str:
        where = f"{self.file}:{self.location}" if self.location else str(self.file)
        prefix = "warning: " if self.severity == "warning" else ""
        return f"{where}: {prefix}{self.message}"


class InputError(CemError, ValueError):
    """Bad input: carries every :class:`Problem` found, reported together.

    Of each kind of problem (see :attr:`Problem.kind`) the first :data:`MAX_PER_KIND` are kept,
    then one line says how many more there are.

    Examples
    --------
    >>> err = InputError([Problem("a.yaml", "3", "x is missing"), Problem("a.yaml", "9", "y")])
    >>> print(err)
    a.yaml:3: x is missing
    a.yaml:9: y
    >>> many = InputError([Problem("s.csv", str(n), f"need_id 'N{n}' is not a need") for n in range(2, 100)])
    >>> len(many.problems), str(many.problems[-1])
    (21, "s.csv: ... and 78 more like this (need_id '…' is not a need)")
    """

    def __init__(self, problems, warnings=()):
        self.problems = cap_problems(problems)
        self.warnings = cap_problems(warnings)
        super().__init__("\n".join(str(p) for p in self.problems))

    @classmethod
    def single(cls, file, message, location=""):
        """An error with one problem, for a file that cannot be read at all."""
        return cls([Problem(str(file) if isinstance(file, Path) else file, location, message)])


def cap_problems(problems, per_kind=MAX_PER_KIND):
    """The first ``per_kind`` problems of each kind, each kind followed by a line counting the rest.

    Linear: one pass to count, one to build.

    Examples
    --------
    >>> ps = [Problem("f.csv", str(i), f"value {i} is bad") for i in range(5)]
    >>> [str(p) for p in cap_problems(ps, per_kind=2)]
    ['f.csv:0: value 0 is bad', 'f.csv:1: value 1 is bad', 'f.csv: ... and 3 more like this (value … is bad)']
    """
    problems = list(problems)
    if len(problems) <= per_kind:
        return problems
    counts = {}
    for p in problems:
        counts[p.kind] = counts.get(p.kind, 0) + 1
    out, seen = [], {}
    for p in problems:
        kind = p.kind
        seen[kind] = seen.get(kind, 0) + 1
        if seen[kind] <= per_kind:
            out.append(p)
        if seen[kind] == per_kind and counts[kind] > per_kind:
            out.append(Problem(p.file, "", f"... and {counts[kind] - per_kind:,} more like this ({kind[2]})",
                               p.severity))
    return out
