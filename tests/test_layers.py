"""The package imports only downward (docs/design.md), imports inside functions included.

Every ``import`` and ``from ... import`` anywhere in a module (an ast walk, so an import inside
a function counts as much as one at the top) must name a module of a lower layer, or of the
same package folder (``cem.readers.csv`` may use ``cem.readers.mapping``). Two modules of
one layer are independent: ``cem.gaps`` never imports ``cem.needs``.
"""
import ast
from pathlib import Path

import pytest

from conftest import ROOT

#: The layers, lowest first. A module belongs to the first entry its name starts with.
LAYERS = [
    ("cem.errors", "cem.schema", "cem.markup", "cem._text", "cem.tables"),  # words and rules, client tables
    ("cem._files", "cem.outcomes", "cem.privacy"),             # files, statements, pseudonyms
    ("cem.readers",),                                          # one file in, a validated table out
    ("cem.graph",),                                            # the journey graph and its queries
    ("cem.convert",),                                          # model file <-> graph <-> tables, exports
    ("cem.study",),                                            # a Study: each table read once, segments
    ("cem.gaps", "cem.needs", "cem.value", "cem.journeys", "cem.clv", "cem.diff",
     "cem.provenance", "cem.voice"),                           # the analyses; what the data is
    ("cem.summary",),                                          # what to fix first, from the analyses
    ("cem.plots",),                                            # figures
    ("cem.narrative", "cem.metrics"),                          # report text, metrics.json
    ("cem.valuation",),                                        # the run's one value model, saved once
    ("cem.reporting",),                                        # suite, runs, executors, HTML, index
    ("cem.synth", "cem.scaffold"),                             # example data, new study folders
    ("cem.cli",),                                              # the command line
    ("cem",),                                                  # the package's front door
]


def layer_of(module):
    """(layer index, the layer entry the module falls under) of a cem module."""
    for i, names in enumerate(LAYERS):
        for name in names:
            if module == name or module.startswith(name + "."):
                return i, name
    raise KeyError(f"{module} is in no layer of tests/test_layers.py: add it to LAYERS and docs/design.md")


def module_name(path, root):
    parts = list(Path(path).relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def imported(source, module, is_package, known):
    """The cem modules a module's source imports: (line, module), wherever the import stands."""
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "cem" or alias.name.startswith("cem."):
                    yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if not (target == "cem" or target.startswith("cem.")):
                continue
            # ``from . import plots`` imports the module cem.plots; ``from .. import __version__``
            # imports the package itself.
            subs = [f"{target}.{a.name}" for a in node.names if f"{target}.{a.name}" in known]
            yield from ((node.lineno, s) for s in subs) if subs else [(node.lineno, target)]


def upward_imports(files, root):
    """Every import that goes up (or sideways between two modules of one layer), as text lines."""
    known = {module_name(p, root) for p in files}
    bad = []
    for path, source in files.items():
        module = module_name(path, root)
        here, entry = layer_of(module)
        for line, target in imported(source, module, Path(path).name == "__init__.py", known):
            there, other = layer_of(target)
            if there < here or entry == other:
                continue
            what = "up" if there > here else "sideways"
            bad.append(f"{Path(path).relative_to(root)}:{line}: {module} imports {target} ({what}: "
                       f"layer {here} -> {there})")
    return bad


def package_files(root):
    return {p: p.read_text(encoding="utf-8") for p in sorted((root / "cem").rglob("*.py"))}


def test_the_package_imports_only_downward():
    assert upward_imports(package_files(ROOT), ROOT) == []


def test_every_module_has_a_layer():
    for path in package_files(ROOT):
        layer_of(module_name(path, ROOT))


@pytest.mark.parametrize("where, line, expected", [
    # An upward import hidden inside a function is found, as one at the top is.
    ("cem/readers/csv.py", "def f():\n    from ..plots import journey_map\n", "cem.readers.csv imports cem.plots (up"),
    ("cem/graph.py", "from .study import load_study\n", "cem.graph imports cem.study (up"),
    ("cem/gaps.py", "def f():\n    from . import needs\n", "cem.gaps imports cem.needs (sideways"),
    ("cem/reporting/runs.py", "from .. import __version__\n", "cem.reporting.runs imports cem (up"),
    ("cem/clv/churn.py", "import cem.summary\n", "cem.clv.churn imports cem.summary (up"),
])
def test_an_upward_import_is_caught(where, line, expected):
    files = package_files(ROOT)
    files[ROOT / where] = files.get(ROOT / where, "") + "\n" + line
    bad = upward_imports(files, ROOT)
    assert len(bad) == 1 and expected in bad[0], bad


def test_a_downward_import_is_allowed():
    files = package_files(ROOT)
    files[ROOT / "cem/summary.py"] += "\ndef f():\n    from .readers import read_csv\n"
    assert upward_imports(files, ROOT) == []
