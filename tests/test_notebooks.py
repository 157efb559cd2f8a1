"""The notebooks executed by papermill, as a report run would, with assertions on what they write.

nbval runs them too (`pytest --nbval-lax cem/notebooks/`, part of `make test`).
"""
import json
import re

import nbformat
import papermill as pm
import pytest

from cem import load_model
from cem.gaps import find_gaps
from cem.reporting import ensure_kernel
from conftest import EXAMPLES, ROOT

NOTEBOOKS = sorted((ROOT / "cem" / "notebooks").rglob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_default_parameters_point_at_files_that_exist(path):
    """Opened in JupyterLab as it is, a notebook runs on its default study (the tests below run
    every notebook with papermill; this checks what only interactive use would meet)."""
    cell = next(c for c in nbformat.read(str(path), as_version=4).cells if c.cell_type == "code")
    defaults = {}
    exec(cell.source, {}, defaults)  # the parameters cell: assignments of literals only
    for name in ("study_path", "cdnow_path"):
        if defaults.get(name):
            assert (path.parent / defaults[name]).exists(), f"{path.name}: {name} = {defaults[name]!r}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebooks_are_thin(path):
    nb = nbformat.read(str(path), as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert "parameters" in code[0].metadata.get("tags", []), "the first code cell must be tagged 'parameters'"
    for cell in code:
        assert not re.search(r"^\s*(def|class)\s", cell.source, re.M), "computations belong in cem/, not notebooks"
        assert not cell.get("outputs"), "notebooks are committed without outputs"


def test_journey_model_notebook_writes_metrics_and_figures(tmp_path):
    ensure_kernel("cem")
    out = tmp_path / "run"
    pm.execute_notebook(str(ROOT / "cem" / "notebooks" / "01_journey_model.ipynb"), str(tmp_path / "out.ipynb"),
                        parameters={"study_path": str(EXAMPLES / "payroll"), "output_dir": str(out)},
                        kernel_name="cem", cwd=str(ROOT / "cem" / "notebooks"), progress_bar=False)
    metrics = json.loads((out / "metrics.json").read_text())["journey_model"]
    G = load_model(EXAMPLES / "payroll")
    gaps = find_gaps(G)
    assert metrics["gaps_total"] == len(gaps) == 24
    assert metrics["gaps_by_type"]["missing_stage"] == 2
    assert metrics["customer_steps"] == 13 and metrics["counts"]["need"] == 32
    assert (out / "figures" / "journey_map.png").stat().st_size > 50_000


def run(notebook, study, out, **parameters):
    ensure_kernel("cem")
    folder = EXAMPLES / study if (EXAMPLES / study).exists() else ROOT / "data" / "external" / study
    pm.execute_notebook(str(ROOT / "cem" / "notebooks" / notebook), str(out.parent / f"{notebook}.out.ipynb"),
                        parameters={"study_path": str(folder), "output_dir": str(out), **parameters},
                        kernel_name="cem", cwd=str(ROOT / "cem" / "notebooks"), progress_bar=False)
    return json.loads((out / "metrics.json").read_text())


def test_needs_notebook_finds_the_planted_needs(tmp_path):
    out = tmp_path / "run"
    metrics = run("02_needs_opportunities.ipynb", "payroll", out)["needs"]
    truth = json.loads((EXAMPLES / "payroll" / "synth_truth.json").read_text())
    assert metrics["respondents"] == truth["respondents"]
    assert metrics["top_opportunity"]["need_id"] in truth["underserved"]
    assert metrics["underserved"] >= len(truth["underserved"])
    assert metrics["outcome_segments"]["k"] == 2
    assert {"opportunity_landscape.png", "opportunity_by_segment.png", "unmet_by_step.png"} <= {
        p.name for p in (out / "figures").iterdir()}


def test_value_notebook(tmp_path):
    metrics = run("03_value_by_step.ipynb", "solar", tmp_path / "run")["step_value"]
    assert metrics["steps"] == 14 and metrics["cost_to_serve"] > 0
    assert metrics["lowest_experience"]["step"] == "S_dispose"  # the end of life nobody designed


def test_lifetime_value_notebook_values_a_contractual_study_and_finds_the_planted_step(tmp_path):
    out = tmp_path / "run"
    everything = run("04_lifetime_value.ipynb", "payroll", out)
    metrics, vm = everything["lifetime_value"], everything["value_model"]
    truth = json.loads((EXAMPLES / "payroll" / "synth_truth.json").read_text())
    # payroll's study.yaml: relationship: contractual, period: month -> the sBG, its renewal curves.
    assert metrics["relationship"] == "contractual" and metrics["model"] == vm["model"] == "sBG"
    assert metrics["renewals"]["period"] == "month" and metrics["renewals"]["customers"] == vm["customers"]
    assert abs(metrics["renewals"]["observed_survival_last"] - metrics["renewals"]["model_survival_last"]) < 0.05
    assert {"survival.png", "retention.png", "value_at_stake.png"} <= {p.name for p in (out / "figures").iterdir()}
    assert metrics["total_clv"] == vm["base_value"] > 0
    top = vm["at_stake"][0]
    assert metrics["top_step_at_stake"]["step"] == top["step"] == truth["planted_step"] and top["low"] > 0
    # The planted effect (a rating point multiplies the churn probabilities' alpha by exp(effect)) is recovered.
    effect = metrics["step_effects"][truth["planted_step"]]
    planted = truth["transactions"]["dropout_effect"]["per_rating_point"]
    assert effect["ci_low"] < planted < effect["ci_high"]
    shown = json.dumps(nbformat.read(str(tmp_path / "04_lifetime_value.ipynb.out.ipynb"), as_version=4)["cells"])
    assert "CDNOW" not in shown and "cdnow" not in shown  # no other company's data in a client's report
    assert (out / "private" / "win_back_ids.csv").is_file()  # the win-back list's way back (#15)


def test_methods_notebook_reproduces_published_estimates_on_real_data(tmp_path):
    """cem's evidence on real published data, kept out of client reports (issue #15)."""
    from cem.reporting.methods import write_methods_report

    out = tmp_path / "run"
    page = write_methods_report(out, cdnow=ROOT / "data/external/cdnow/CDNOW_sample.txt",
                                grocery=ROOT / "tests/data/grocery/groceryElog.csv",
                                donations=ROOT / "tests/data/donations/donations.csv")
    assert page == out / "real_data.html" and "CDNOW" in page.read_text(encoding="utf-8")
    metrics = json.loads((out / "metrics.json").read_text())["methods_real_data"]
    checks = metrics["checks"]
    assert len(checks) >= 8 and all(c["matches"] for c in checks), [c for c in checks if not c["matches"]]
    assert {c["data"] for c in checks} >= {"CDNOW", "grocery", "sBG regular", "sBG high end", "donations"}


def test_actual_vs_designed_notebook_on_the_real_help_desk_log(tmp_path):
    metrics = run("05_actual_vs_designed.ipynb", "helpdesk", tmp_path / "run")["journeys"]
    assert metrics["events"] == 21348 and metrics["cases"] == 4580
    assert metrics["dfg_edges"] == 55 and metrics["variants"] == 226
    assert 0.5 < metrics["designed_share"] < 0.9  # the real help desk does not follow the design
    assert {"flow_map.png", "funnel.png", "variants.png"} <= {p.name for p in (tmp_path / "run" / "figures").iterdir()}
    # The pseudonyms of the cases listed map back for the consultant, outside the pages (#15).
    assert (tmp_path / "run" / "private" / "cases_by_deviation_ids.csv").is_file()


WORKSHOP = sorted((ROOT / "cem" / "notebooks" / "workshop").glob("*.ipynb"))


@pytest.mark.parametrize("path", WORKSHOP, ids=lambda p: p.name)
def test_workshop_notebooks_draw_a_new_workbook_and_show_problems_of_a_broken_one(tmp_path, path):
    import subprocess
    import sys

    from openpyxl import load_workbook

    ensure_kernel("cem")
    study = tmp_path / "workshop"
    subprocess.run([sys.executable, "-m", "cem.cli", "new", str(study)], check=True, capture_output=True)
    out = pm.execute_notebook(str(path), str(tmp_path / "ok.ipynb"), kernel_name="cem", progress_bar=False,
                              cwd=str(path.parent), parameters={"study_path": str(study), "output_dir": str(tmp_path / "o")})
    outputs = [o for c in out["cells"] for o in c.get("outputs", [])]
    assert "reads cleanly" in json.dumps(outputs) and "error" not in [o.get("output_type") for o in outputs]
    assert any("image/png" in o.get("data", {}) for o in outputs) or path.name.startswith("4_")  # it draws
    wb = load_workbook(study / "model.xlsx")
    wb["Steps"]["E3"] = "instal"  # a typo, as in a workshop
    wb.save(study / "model.xlsx")
    out = pm.execute_notebook(str(path), str(tmp_path / "broken.ipynb"), kernel_name="cem", progress_bar=False,
                              cwd=str(path.parent), parameters={"study_path": str(study), "output_dir": str(tmp_path / "o")})
    import html
    import re

    # What the reader sees: Markdown's backslash escapes and HTML entities read as the characters.
    shown = [html.unescape(re.sub(r"\\(.)", r"\1", "".join(o.get("data", {}).get("text/markdown", "")))) + json.dumps(o)
             for c in out["cells"] for o in c.get("outputs", [])]
    text = "\n".join(shown)
    assert "thing(s) to fix in the workbook" in text and "Steps!E3" in text and "did you mean 'setup'" in text


@pytest.mark.parametrize("study, models", [("solar", {"Pareto/NBD", "BG/NBD", "MBG/NBD"}),
                                           ("payroll", {"sBG"})])  # payroll: relationship: contractual
def test_one_value_model_on_every_page(tmp_path, study, models):
    """The summary, value by step and lifetime value pages of a run show one base value: the run's value model."""
    out = tmp_path / "run"
    for notebook in ("00_summary.ipynb", "03_value_by_step.ipynb", "04_lifetime_value.ipynb"):
        metrics = run(notebook, study, out)
    vm = metrics["value_model"]
    assert vm["model"] in models and vm["base_low"] < vm["base_value"] < vm["base_high"]
    assert vm["relationship"] == ("contractual" if study == "payroll" else "non-contractual")
    assert metrics["lifetime_value"]["total_clv"] == vm["base_value"]
    assert metrics["step_value"]["value_model"]["base_value"] == vm["base_value"]
    assert metrics["lifetime_value"]["top_step_at_stake"]["at_stake"] == vm["at_stake"][0]["value"]
    # The chosen model's fit is not flagged; the summary's first item quotes the same base value.
    assert not next(c for c in vm["candidates"] if c["chosen"])["fit_warning"]
    summary = nbformat.read(str(tmp_path / "00_summary.ipynb.out.ipynb"), as_version=4)
    shown = "".join(o.get("data", {}).get("text/markdown", "") for c in summary.cells if c.cell_type == "code"
                    for o in c.get("outputs", []))
    assert f"{vm['base_value']:,.0f}" in shown
