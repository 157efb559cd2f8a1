"""The public API reads as documented: every public function is type-hinted and has a numpydoc docstring.

A public function is one a module lists in ``__all__`` and defines itself (a name it only
re-exports, as ``cem.plots`` does, is checked in the module that defines it). Its parameters
(``*args`` and ``**options`` included) and its return carry annotations; its docstring opens
with a one-line summary, and its sections are numpydoc's, underlined, in numpydoc's order.
"""
from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

import cem

#: Modules whose annotations are still being written (none now: add a module here only while it is being annotated).
SKIP: tuple[str, ...] = ()

#: numpydoc's sections, in the order numpydoc gives them.
SECTIONS = ("Parameters", "Returns", "Yields", "Receives", "Other Parameters", "Raises", "Warns", "Warnings",
            "See Also", "Notes", "References", "Examples", "Attributes", "Methods")


def modules():
    """Every module of the package, by name."""
    yield "cem"
    for info in pkgutil.walk_packages(cem.__path__, "cem."):
        yield info.name


def skipped(module):
    return any(module == s or module.startswith(s + ".") for s in SKIP)


def public_functions(module):
    """(qualified name, function) of every function ``module`` lists in ``__all__`` and defines."""
    mod = importlib.import_module(module)
    for name in getattr(mod, "__all__", ()):
        obj = getattr(mod, name)
        if inspect.isfunction(obj) and obj.__module__ == module:
            yield f"{module}.{name}", obj


def all_public_functions():
    return [(name, f) for module in modules() for name, f in public_functions(module)]


def missing_hints(func):
    """The parameters of ``func`` without an annotation, and ``return`` when the return has none."""
    hints = func.__annotations__
    missing = [p for p in inspect.signature(func).parameters if p not in hints]
    return missing + ([] if "return" in hints else ["return"])


def docstring_problems(func):
    """What keeps ``func``'s docstring from being a numpydoc docstring (empty when nothing does)."""
    doc = inspect.getdoc(func)
    if not doc or not doc.strip():
        return ["no docstring"]
    lines = doc.splitlines()
    problems = []
    if not lines[0].strip():
        problems.append("the docstring does not open with a summary line")
    seen = []
    for i in range(1, len(lines)):
        underline = lines[i].strip()
        if not underline or set(underline) != {"-"}:
            continue
        header = lines[i - 1].strip()
        if header not in SECTIONS:
            problems.append(f"line {i}: {header!r} is not a numpydoc section ({', '.join(SECTIONS)})")
        elif len(underline) != len(header):
            problems.append(f"line {i}: the underline of {header} is {len(underline)} long, not {len(header)}")
        elif header in seen:
            problems.append(f"line {i}: {header} is there twice")
        elif seen and SECTIONS.index(header) < SECTIONS.index(seen[-1]):
            problems.append(f"line {i}: {header} comes after {seen[-1]}; numpydoc's order is {', '.join(SECTIONS)}")
        seen.append(header)
    return problems


def test_there_are_public_functions_to_check():
    names = {name for name, _ in all_public_functions()}
    assert {"cem.journeys.dfg", "cem.plots.journey_draw.journey_map", "cem.needs.opportunity"} <= names


def test_every_public_function_is_type_hinted():
    missing = {name: gaps for name, f in all_public_functions()
               if not skipped(name.rpartition(".")[0]) and (gaps := missing_hints(f))}
    assert missing == {}


def test_every_public_function_has_a_numpydoc_docstring():
    bad = {name: problems for name, f in all_public_functions() if (problems := docstring_problems(f))}
    assert bad == {}


def test_the_skipped_modules_exist():
    """A name in SKIP that matches no module is a leftover: remove it."""
    names = list(modules())
    for s in SKIP:
        assert any(m == s or m.startswith(s + ".") for m in names), s


def _hinted(a: int, *rest: str, key: str = "", **more: int) -> None:
    """Hinted."""


def _half_hinted(a: int, b, *, key: str = "") -> int:
    """Half hinted."""


def _unhinted(a, **options):
    """Not hinted."""


def test_a_missing_hint_is_caught():
    assert missing_hints(_hinted) == []
    assert missing_hints(_half_hinted) == ["b"]
    assert missing_hints(_unhinted) == ["a", "options", "return"]


@pytest.mark.parametrize("doc, problem", [
    (None, "no docstring"),
    ("Summary.\n\nParams\n------\nx : int\n", "'Params' is not a numpydoc section"),
    ("Summary.\n\nReturns\n---\nint\n", "the underline of Returns is 3 long"),
    ("Summary.\n\nExamples\n--------\n>>> 1\n\nParameters\n----------\nx : int\n", "Parameters comes after Examples"),
])
def test_a_docstring_that_is_not_numpydoc_is_caught(doc, problem):
    def f():
        pass

    f.__doc__ = doc
    problems = docstring_problems(f)
    assert len(problems) == 1 and problem in problems[0], problems


def test_a_numpydoc_docstring_passes():
    def f():
        """Summary.

        Parameters
        ----------
        x : int

        Returns
        -------
        int

        Examples
        --------
        >>> 1
        1
        """

    assert docstring_problems(f) == []
