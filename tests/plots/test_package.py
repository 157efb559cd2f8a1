"""cem.plots is a package of topics that keeps the one module's names, and reaches no layer above it."""
import ast
from pathlib import Path

import cem
import cem.plots

#: Every name `from cem.plots import ...` gave before the split into topics.
BEFORE = ["journey_map", "gap_chart", "opportunity_landscape", "opportunity_landscapes", "unmet_chart",
          "experience_curve", "value_waterfall", "step_effects_chart", "clv_distribution", "holdout_chart",
          "flow_map", "funnel_chart", "variants_chart", "needs_heatmap", "alignment_chart", "poster",
          "priority_chart", "save_figure", "SEVERITY_COLORS", "A3_LANDSCAPE", "touchpoints_at_all", "pd_notna",
          "_plain", "_wrap"]

#: What a figure may import from cem: the layers below it.
ALLOWED = {"errors", "schema", "markup", "graph", "gaps", "needs", "value", "journeys", "clv", "summary", "plots"}


def test_the_names_of_cem_plots_are_kept():
    missing = [n for n in BEFORE if not hasattr(cem.plots, n)]
    assert missing == []
    assert set(BEFORE[:19]) <= set(cem.plots.__all__)
    assert all(hasattr(cem.plots, n) for n in cem.plots.__all__)
    assert callable(cem.plots.journey_map)  # the function, not the module of the same topic


def _cem_imports(path):
    """The cem modules a file imports (relative imports resolved), as (line, module under cem)."""
    package = "cem." + ".".join(path.relative_to(Path(cem.__file__).parent).with_suffix("").parts)
    if path.name == "__init__.py":
        package = package.rsplit(".", 1)[0] + "._"
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name[4:]) for a in node.names if a.name == "cem" or a.name.startswith("cem.")]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[:-node.level]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            if module == "cem":
                found.append((node.lineno, "(the top package)"))  # never `from cem import ...`
            elif module.startswith("cem."):
                found.append((node.lineno, module[4:]))
    return found


def test_figures_import_only_from_the_layers_below():
    folder = Path(cem.plots.__file__).parent
    upward = []
    for path in sorted(folder.rglob("*.py")):
        for line, module in _cem_imports(path):
            if module.split(".")[0] not in ALLOWED:
                upward.append(f"{path.name}:{line} imports cem.{module}")
    assert upward == []
