"""Report runs: the suite through papermill, offline HTML without code, index, failures kept apart."""
import json
import os
import re
import shutil
import subprocess
import sys

import nbformat
import pytest

from cem import load_model
from cem.gaps import find_gaps, gap_metrics
from cem.report import SUITE, run_report, run_study, safe_name
from conftest import EXAMPLES, MINI

XSS = MINI.replace("name: Mini,", "name: \"<script>alert(1)</script>\",").replace(
    "name: Book a repair", "name: \"<img src=x onerror=alert(2)>\"").replace(
    "name: Ride the bike again", "name: \"=HYPERLINK(\\\"http://x\\\",\\\"y\\\")\"")
KEY = "test-key"


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    base = tmp_path_factory.mktemp("batch")
    broken = base / "broken"
    broken.mkdir()
    (broken / "model.yaml").write_text(MINI.replace("stage: use}", "stage: usage}", 1))
    xss = base / "xss"
    xss.mkdir()
    (xss / "model.yaml").write_text(XSS)
    out = base / "out"
    os.environ["CEM_PSEUDONYM_KEY"] = KEY  # the kernels inherit it
    try:
        results = run_report([EXAMPLES / "solar", broken, xss], out)
    finally:
        del os.environ["CEM_PSEUDONYM_KEY"]
    return out, {r.run: r for r in results}


def test_each_study_gets_a_run_and_the_index_lists_them(batch):
    out, results = batch
    assert results["solar"].status == "ok" and results["xss"].status == "ok"
    assert results["broken"].status == "failed"
    index = (out / "index.html").read_text()
    assert 'href="solar/01_journey_model.html"' in index
    assert "3 run(s), 1 failed" in index
    assert 'href="solar/02_needs_opportunities.html"' in index  # the study has a survey
    assert [nb["notebook"] for nb in results["solar"].notebooks] == list(SUITE)
    assert [nb["notebook"] for nb in results["xss"].notebooks] == ["01_journey_model.ipynb"]  # no survey
    log = (out / "xss" / "log.txt").read_text()
    assert "02_needs_opportunities.ipynb: skipped, the study has no survey data" in log
    assert "03_value_by_step.ipynb: skipped, the study has no survey or events data" in log
    assert "steps[S2].stage: stage &#x27;usage&#x27; is not one of" in index


def test_report_html_has_no_code_and_opens_offline(batch):
    out, _ = batch
    page = (out / "solar" / "01_journey_model.html").read_text()
    assert "import cem" not in page and "cem.load_study" not in page
    assert 'class="jp-CodeMirrorEditor' not in page and 'class="highlight' not in page
    assert 'src="http' not in page and "<script src=" not in page
    assert page.count("data:image/png;base64") >= 2  # journey map and gap chart embedded
    assert "The journey map" in page and "Gaps in the design" in page
    assert {p.name for p in (out / "solar" / "figures").iterdir()} >= {"journey_map.png", "journey_map.svg",
                                                                       "gaps.png"}


def test_metrics_json_matches_the_analysis(batch):
    out, results = batch
    metrics = json.loads((out / "solar" / "metrics.json").read_text())["journey_model"]
    G = load_model(EXAMPLES / "solar")
    expected = json.loads(json.dumps(gap_metrics(G, find_gaps(G))))
    assert metrics == expected
    assert metrics["gaps_by_severity"] == {"high": 3, "medium": 12, "low": 6}
    assert results["solar"].metrics["journey_model"] == metrics


def test_model_text_is_escaped_in_every_html(batch):
    out, _ = batch
    for page in [out / "index.html", out / "xss" / "01_journey_model.html"]:
        text = page.read_text()
        assert "<script>alert(1)" not in text and "<img src=x" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in (out / "index.html").read_text()


def test_a_failing_cell_is_reported_and_the_last_good_report_kept(tmp_path):
    study = tmp_path / "bikes"
    study.mkdir()
    (study / "model.yaml").write_text(MINI)
    out = tmp_path / "out"
    good = run_study(study, out)
    assert good.status == "ok" and good.folder == "bikes"

    # A suite whose notebook raises in its third cell.
    nbdir = tmp_path / "suite"
    nbdir.mkdir()
    nb = nbformat.read(str(EXAMPLES.parent.parent / "notebooks" / "01_journey_model.ipynb"), as_version=4)
    nb.cells.insert(3, nbformat.v4.new_code_cell("raise ValueError('boom')"))
    nbformat.write(nb, str(nbdir / "01_journey_model.ipynb"))
    bad = run_study(study, out, notebooks_dir=nbdir)
    assert bad.status == "failed" and bad.folder == "bikes.failed"
    assert any("ValueError: boom" in e and e.startswith("01_journey_model.ipynb: cell ") for e in bad.errors)
    assert (out / "bikes.failed" / "01_journey_model.html").exists()  # the partial report, to read the error
    assert json.loads((out / "bikes" / "run.json").read_text())["status"] == "ok"  # last good kept
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no staging left behind


def test_cli_report_exit_code_1_when_a_run_fails(tmp_path):
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "model.yaml").write_text("jobs: [\n")
    r = subprocess.run([sys.executable, "-m", "cem.cli", "report", str(broken), "--out", str(tmp_path / "out")],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert "broken: failed" in r.stderr and "malformed YAML" in r.stderr
    assert (tmp_path / "out" / "index.html").exists()


def test_safe_names_cannot_escape_the_output_folder(tmp_path):
    for name in ["../../etc", "/abs/path", "..", "a/../../b", "con:txt", "", "...", "a\\..\\b"]:
        safe = safe_name(name)
        assert (tmp_path / safe).resolve().parent == tmp_path.resolve(), name
        assert safe not in ("", ".", "..")


def test_no_customer_id_in_any_report_output(batch):
    out, _ = batch
    files = [p for p in (out / "solar").rglob("*") if p.is_file() and p.suffix in (".html", ".ipynb", ".csv", ".json",
                                                                                  ".svg", ".txt")]
    assert len(files) > 10
    for p in files:
        assert not re.search(r"\bC\d{5}\b", p.read_text(encoding="utf-8", errors="ignore")), p


def test_win_back_list_holds_only_customers_who_may_be_contacted(batch):
    import pandas as pd

    from cem.privacy import pseudonymise

    out, _ = batch
    win_back = pd.read_csv(out / "solar" / "tables" / "win_back.csv")
    customers = pd.read_csv(EXAMPLES / "solar" / "customers.csv", dtype=str)
    allowed = set(pseudonymise(customers.loc[customers["opt_in"] == "yes", "customer_id"].tolist(), KEY))
    opted_out = set(pseudonymise(customers.loc[customers["opt_in"] != "yes", "customer_id"].tolist(), KEY))
    assert len(win_back) > 0 and set(win_back["customer"]) <= allowed
    assert not set(win_back["customer"]) & opted_out


def test_tables_for_spreadsheets_cannot_run_formulas(batch):
    out, _ = batch
    text = (out / "xss" / "tables" / "gaps.csv").read_text()
    assert "'=HYPERLINK" in text and ",=HYPERLINK" not in text


def test_hostile_model_text_runs_no_script_in_a_real_browser(tmp_path):
    """Chromium renders a report of a model full of HTML payloads: nothing runs, payloads show as text."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        if os.environ.get("CI"):
            pytest.fail("CI must have Debian's chromium (.ci/run installs it)")
        pytest.skip("no chromium on this machine")
    study = tmp_path / "hostile"
    study.mkdir()
    (study / "model.yaml").write_text(MINI.replace("name: Mini,", "name: \"<script>document.title='PWNED'</script>\",")
                                      .replace("name: Book a repair", "name: \"<img src=x onerror=document.title='PWNED'>\""))
    out = tmp_path / "out"
    run_report([study], out)
    for page in [out / "index.html", out / "hostile" / "01_journey_model.html"]:
        r = subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                            "--disable-component-update", "--disable-sync", "--no-first-run",
                            f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom", page.as_uri()],
                           capture_output=True, text=True, timeout=120)
        dom = r.stdout
        assert "<html" in dom, r.stderr[-500:]
        title = re.search(r"<title>(.*?)</title>", dom, re.S).group(1)
        assert "PWNED" not in title  # neither payload ran
        assert "&lt;script&gt;document.title" in dom or "&lt;img src=x" in dom  # shown as text


def test_parallel_batch_resume_and_interrupted_leftovers(tmp_path):
    """Two workers give the same reports as one; --resume runs only what is missing or failed."""
    studies = []
    for i, text in enumerate([MINI, MINI.replace("name: Mini", "name: Mini two"), "jobs: [\n"]):
        folder = tmp_path / f"s{i}"
        folder.mkdir()
        (folder / "model.yaml").write_text(text)
        studies.append(folder)
    lines = []
    out = tmp_path / "out"
    (out / ".s0.leftover").mkdir(parents=True)  # what an interrupted batch leaves
    results = run_report(studies, out, jobs=2, echo=lines.append)
    assert [r.run for r in results] == ["s0", "s1", "s2"]  # the order asked for, not of completion
    assert [r.status for r in results] == ["ok", "ok", "failed"]
    assert not (out / ".s0.leftover").exists()
    assert any("left" in l for l in lines[:-1])  # progress with the time left
    serial = run_report(studies[:2], tmp_path / "serial", jobs=1)
    for r in serial:
        a = json.loads((out / r.run / "metrics.json").read_text())
        b = json.loads((tmp_path / "serial" / r.run / "metrics.json").read_text())
        assert a == b
    # Fix the broken study; --resume runs it alone and keeps the two good reports as they are.
    (studies[2] / "model.yaml").write_text(MINI)
    before = (out / "s0" / "run.json").stat().st_mtime_ns
    lines.clear()
    results = run_report(studies, out, jobs=2, resume=True, echo=lines.append)
    assert [r.status for r in results] == ["ok", "ok", "ok"]
    assert sum("skipped (--resume)" in l for l in lines) == 2 and any(l.startswith("[1/1] s2: ok") for l in lines)
    assert (out / "s0" / "run.json").stat().st_mtime_ns == before
    assert "3 run(s), 0 failed" in (out / "index.html").read_text()
