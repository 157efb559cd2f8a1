"""The segments of a --by batch side by side: per-customer values, measurable differences, value at stake per group."""
import json
import re
import shutil
import subprocess

import pytest

from cem.errors import CemError
from cem.reporting.segments import segment_comparison, write_segment_comparison


def _run(folder, segment, base, low, high, customers, stakes, model="Pareto/NBD", fix=("Sign the contract",)):
    folder.mkdir(parents=True)
    vm = {"model": model, "base_value": base, "base_low": low, "base_high": high, "customers": customers,
          "currency": "EUR", "notes": [],
          "at_stake": [{"step": f"S_{i}", "name": name, "value": v, "low": lo, "high": hi, "rated": 100}
                       for i, (name, v, lo, hi) in enumerate(stakes)]}
    metrics = {"value_model": vm, "summary": {"fix_first": [{"rank": i + 1, "step": f"S_{i}", "name": n}
                                                            for i, n in enumerate(fix)]},
               "needs": {"respondents": 40, "top_opportunity": {"need_id": "N_x", "statement": "Minimize the wait",
                                                                 "opportunity": 14.25}}}
    (folder / "metrics.json").write_text(json.dumps(metrics))
    (folder / "run.json").write_text(json.dumps({"segment": segment, "title": "Gym study"}))
    return folder


@pytest.fixture
def batch(tmp_path):
    """All customers and two segments; hand-made figures with known answers."""
    all_ = _run(tmp_path / "gym", None, 3_000_000.0, 2_700_000.0, 3_300_000.0, 1000,
                [("Book a class", 250_000.0, 100_000.0, 400_000.0), ("Pay the fee", -50_000.0, -90_000.0, 20_000.0),
                 ("Cancel", -80_000.0, -120_000.0, -10_000.0)])
    north = _run(tmp_path / "gym-north", ["home_region", "north_east"], 2_400_000.0, 2_200_000.0, 2_600_000.0, 600,
                 [("Book a class", 300_000.0, -20_000.0, 600_000.0), ("Pay the fee", 90_000.0, 10_000.0, 170_000.0)])
    south = _run(tmp_path / "gym-south", ["home_region", "south"], 600_000.0, 500_000.0, 700_000.0, 400,
                 [("Book a class", 30_000.0, -5_000.0, 60_000.0)], model="BG/NBD")
    return tmp_path, [north, all_, south]


def test_columns_figures_and_verdicts(batch):
    out, runs = batch
    c = segment_comparison(runs)
    assert [col["label"] for col in c["columns"]] == ["All customers", "home region: north east", "home region: south"]
    assert [col["per_customer"] for col in c["columns"]] == ["€3,000", "€4,000", "€1,500"]
    assert c["columns"][1]["per_interval"] == "€3,667 to €4,333"
    # north (3,667..4,333) and south (1,250..1,750) do not overlap: a measurable difference, said once
    assert len(c["differences"]) == 1 and "home region: north east is worth more" in c["differences"][0]
    rows = {r["name"]: [cell["text"] for cell in r["cells"]] for r in c["stakes"]}
    assert rows == {"Book a class": ["€250,000", "no measurable effect", "no measurable effect"],
                    "Pay the fee": ["no measurable effect", "€90,000", "not valued"]}
    assert c["nowhere"] == ["Cancel"]  # below zero everywhere: no row of amounts


def test_page_and_pdf_show_no_ids_and_no_negative_amounts(batch):
    out, runs = batch
    html, pdf = write_segment_comparison(runs, out, pdf=shutil.which("chromium") is not None)
    page = html.read_text()
    assert 'http-equiv="Content-Security-Policy"' in page
    assert "S_0" not in page and "N_x" not in page and "north_east" not in page
    assert not re.search(r"-€|€-", page)
    assert 'href="gym-north/executive.html"' in page  # each column opens its run's executive summary
    if pdf is None or shutil.which("pdftotext") is None:
        pytest.skip("chromium or pdftotext is not installed")
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "€3,000,000" in text and "Minimize the wait" in text and "no measurable effect" in text
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert int(re.search(r"Pages:\s+(\d+)", info).group(1)) <= 3
    assert re.search(r"Page size:\s+841\.\d+ x 59[45]\.\d+", info)  # A4 landscape


def test_not_a_run_is_a_clear_error(tmp_path):
    with pytest.raises(CemError, match="no metrics.json"):
        segment_comparison([tmp_path])
    html, pdf = write_segment_comparison([_run(tmp_path / "only", None, 10.0, 9.0, 11.0, 2, [])], tmp_path)
    assert pdf is None and "All customers" in html.read_text()


def test_the_page_carries_the_clients_name_and_colours(batch, tmp_path):
    from cem import load_study
    from conftest import EXAMPLES

    out, runs = batch
    study_dir = tmp_path / "branded"
    shutil.copytree(EXAMPLES / "solar", study_dir)
    (study_dir / "study.yaml").write_text((study_dir / "study.yaml").read_text()
                                          + "brand:\n  colours: ['#0B6E4F']\n")
    html, _ = write_segment_comparison(runs, out, study=load_study(study_dir))
    page = html.read_text()
    assert "SunRoof Installations (fictitious)" in page and "--primary: #0b6e4f" in page
