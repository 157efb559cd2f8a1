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
from cem.reporting import SUITE, run_report, run_study, safe_name
from conftest import EXAMPLES, MINI, ROOT

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
        results = run_report([EXAMPLES / "solar", broken, xss], out, jobs=2)
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
    # the notebooks' pages, then the run's executive summary (cem.reporting.executive), linked like them
    assert [nb["notebook"] for nb in results["solar"].notebooks] == list(SUITE) + ["executive"]
    assert [nb["notebook"] for nb in results["xss"].notebooks] == ["00_summary.ipynb", "01_journey_model.ipynb",
                                                                   "executive"]
    assert 'href="solar/executive.html"' in index and (out / "solar" / "executive.html").is_file()
    log = (out / "xss" / "log.txt").read_text()
    assert "02_needs_opportunities.ipynb: skipped, the study has no survey data" in log
    assert "03_value_by_step.ipynb: skipped, the study has no survey or events data" in log
    assert "steps[S2].stage: stage &#39;usage&#39; is not one of" in index  # Jinja2's autoescape


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
    nbdir = _suite(tmp_path / "suite")
    nb = nbformat.read(str(nbdir / "01_journey_model.ipynb"), as_version=4)
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
    # private/ is the consultant's owner-only key from pseudonym to customer (cem.privacy.save_pseudonym_map):
    # it holds the ids by design, is never linked from a page and is checked to be owner-only.
    private = out / "solar" / "private"
    assert private.is_dir() and private.stat().st_mode & 0o077 == 0
    files = [p for p in (out / "solar").rglob("*") if p.is_file() and private not in p.parents
             and p.suffix in (".html", ".ipynb", ".csv", ".json", ".svg", ".txt")]
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
    """Two workers give the same reports as one; a batch again runs only what is missing, changed or failed."""
    studies = []
    for i, text in enumerate([MINI, MINI.replace("name: Mini", "name: Mini two"), "jobs: [\n"]):
        folder = tmp_path / f"s{i}"
        folder.mkdir()
        (folder / "model.yaml").write_text(text)
        studies.append(folder)
    lines = []
    out = tmp_path / "out"
    from cem.reporting.outdir import claim_folder, new_staging

    claim_folder(out)
    leftover = new_staging(out, "s0")  # what an interrupted batch leaves
    (out / ".mine").mkdir()  # a hidden folder cem did not make
    suite = _suite(tmp_path / "suite")  # a copy: the batches below must see the same notebooks
    results = run_report(studies, out, notebooks_dir=suite, jobs=2, echo=lines.append)
    assert [r.run for r in results] == ["s0", "s1", "s2"]  # the order asked for, not of completion
    assert [r.status for r in results] == ["ok", "ok", "failed"]
    assert not leftover.exists() and (out / ".mine").is_dir()
    assert any("left" in l for l in lines[:-1])  # progress with the time left
    serial = run_report(studies[:2], tmp_path / "serial", notebooks_dir=suite, jobs=1)
    for r in serial:
        a = json.loads((out / r.run / "metrics.json").read_text())
        b = json.loads((tmp_path / "serial" / r.run / "metrics.json").read_text())
        assert a == b
    # Fix the broken study; the batch again runs it alone and reuses the two good reports as they are.
    (studies[2] / "model.yaml").write_text(MINI)
    before = (out / "s0" / "run.json").stat().st_mtime_ns
    lines.clear()
    results = run_report(studies, out, notebooks_dir=suite, jobs=2, echo=lines.append)
    assert [r.status for r in results] == ["ok", "ok", "ok"]
    assert sum(l.startswith("reused: ") for l in lines) == 2 and any(" 1/1 s2: ok" in l for l in lines)
    assert (out / "s0" / "run.json").stat().st_mtime_ns == before
    assert "3 run(s), 0 failed" in (out / "index.html").read_text()


# --- A batch that meets every kind of failure -------------------------------------------------

KILLER = ("import os, pathlib\n"
          "if pathlib.Path(study_path, 'KILL').exists():\n"
          "    os.kill(os.getpid(), 9)  # the kernel dies, as under the out-of-memory killer")
SLEEPER = ("import pathlib, time\n"
           "if pathlib.Path(study_path, 'SLOW').exists():\n"
           "    time.sleep(600)")


def _suite(folder, **inserts):
    """A copy of the suite with a cell put after the parameters of some notebooks; no CDNOW section."""
    folder.mkdir()
    for name in SUITE:
        nb = nbformat.read(str(ROOT / "cem" / "notebooks" / name), as_version=4)
        for cell in nb.cells:
            if "parameters" in cell.metadata.get("tags", []):
                cell.source = cell.source.replace('cdnow_path = "../../data/external/cdnow/CDNOW_sample.txt"',
                                                  'cdnow_path = ""')
        if name[:2] in inserts:
            at = next(i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", [])) + 1
            nb.cells.insert(at, nbformat.v4.new_code_cell(inserts[name[:2]]))
        nbformat.write(nb, str(folder / name))
    return folder


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    """A small study with every kind of data and two segments."""
    from cem.synth import write_study_data

    folder = tmp_path_factory.mktemp("studies") / "shop"
    shutil.copytree(EXAMPLES / "solar", folder, ignore=shutil.ignore_patterns("*.csv", "*.json"))
    write_study_data(folder, n=90, seed=5, customers=160, prospects=40, segment_names=("north", "south"),
                     purchase_value=500)
    return folder


def _cli(*args, timeout=900):
    return subprocess.run([sys.executable, "-m", "cem.cli", "report", *map(str, args)], capture_output=True,
                          text=True, timeout=timeout)


def _metrics(out):
    return {p.parent.name: json.loads(p.read_text()) for p in sorted(out.glob("*/metrics.json"))}


def test_failures_are_listed_resumed_and_dask_gives_the_same_metrics(shop, tmp_path):
    """A broken study and a notebook that kills its kernel fail alone; a batch again redoes only them;
    the same batch on a Dask LocalCluster writes the same metrics.json files."""
    suite = _suite(tmp_path / "suite", **{"05": KILLER})
    broken = tmp_path / "broken"
    shutil.copytree(shop, broken)
    survey = (broken / "survey.csv").read_text().splitlines()
    survey[3] = ",".join(survey[3].split(",")[:2] + ["eleven"] + survey[3].split(",")[3:])
    (broken / "survey.csv").write_text("\n".join(survey) + "\n")
    killer = tmp_path / "killer"
    shutil.copytree(shop, killer)
    (killer / "KILL").write_text("")
    out = tmp_path / "out"
    studies = [shop, broken, killer]

    r = _cli(*studies, "--out", out, "--notebooks", suite, "--jobs", 2)
    assert r.returncode == 1, r.stderr[-2000:]
    assert "Traceback" not in r.stderr
    runs = {p.parent.name: json.loads(p.read_text()) for p in out.glob("*/run.json")}
    assert runs["shop"]["status"] == "ok" and len(runs["shop"]["notebooks"]) == len(SUITE) + 1  # + executive
    assert runs["broken"]["status"] == "failed" and "survey.csv:4: importance must be a rating" in runs["broken"]["errors"][0]
    dead = [e for e in runs["killer"]["errors"] if e.startswith("05_actual_vs_designed.ipynb")]
    assert dead and "cell 3 (import os, pathlib)" in dead[0] and "DeadKernelError" in dead[0], runs["killer"]
    assert [nb["status"] for nb in runs["killer"]["notebooks"]] == ["ok"] * 5 + ["failed"]  # others done
    log = (out / "killer" / "log.txt").read_text()
    assert "os.kill(os.getpid(), 9)" in log  # the cell, in the run's log
    index = (out / "index.html").read_text()
    assert "3 run(s), 2 failed" in index and 'href="killer/log.txt"' in index and "DeadKernelError" in index
    assert "eleven" in index  # the bad value, named
    assert "failed: broken:" in r.stderr and "failed: killer:" in r.stderr

    # Repair both; the batch again (--resume, now the default, still accepted) runs them alone.
    shutil.copy(shop / "survey.csv", broken / "survey.csv")
    (killer / "KILL").unlink()
    before = (out / "shop" / "run.json").stat().st_mtime_ns
    r = _cli(*studies, "--out", out, "--notebooks", suite, "--jobs", 2, "--resume")
    assert r.returncode == 0, r.stderr[-2000:]
    assert "reused: shop (inputs unchanged)" in r.stderr and " 2/2 " in r.stderr
    assert (out / "shop" / "run.json").stat().st_mtime_ns == before
    assert "3 run(s), 0 failed" in (out / "index.html").read_text()

    # The same batch on a Dask cluster, reached by its scheduler's address as a real cluster would be.
    from distributed import LocalCluster

    dask_out = tmp_path / "dask"
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        r = _cli(*studies, "--out", dask_out, "--notebooks", suite, "--executor", "dask",
                 "--scheduler", cluster.scheduler_address)
    assert r.returncode == 0, r.stderr[-2000:]
    local = _metrics(out)
    assert set(local) == {"shop", "broken", "killer"}
    assert _metrics(dask_out) == local


def test_by_makes_a_run_per_segment_of_those_customers(shop, tmp_path):
    suite = _suite(tmp_path / "suite")
    results = run_report([shop], tmp_path / "out", notebooks_dir=suite, by="segment", jobs=2)
    assert [r.run for r in results] == ["shop", "shop__north", "shop__south"]  # all customers, then each segment
    assert all(r.status == "ok" for r in results), [r.errors for r in results]
    customers = {r.run: r.metrics["lifetime_value"]["customers"] for r in results}
    import pandas as pd

    table = pd.read_csv(shop / "customers.csv")
    buyers = set(pd.read_csv(shop / "transactions.csv")["customer_id"])
    for value in ("north", "south"):
        assert customers[f"shop__{value}"] == len(set(table.loc[table["segment"] == value, "customer_id"]) & buyers)
    assert customers["shop"] == len(set(table["customer_id"]) & buyers)
    index = (tmp_path / "out" / "index.html").read_text()
    assert "(segment = north)" in index and "(segment = south)" in index
    # the runs side by side, linked from the index (#15 item 5)
    page = (tmp_path / "out" / "segments.html").read_text()
    assert 'href="segments.html"' in index and "All customers" in page and "segment: north" in page
    # A column the study does not have fails that study's batch entry, with a suggestion.
    results = run_report([shop], tmp_path / "out2", notebooks_dir=suite, by="segmnet")
    assert results[0].status == "failed" and "did you mean 'segment'" in results[0].errors[0]


def test_a_cell_past_its_timeout_fails_its_run(tmp_path):
    study = tmp_path / "slow"
    study.mkdir()
    (study / "model.yaml").write_text(MINI)
    (study / "SLOW").write_text("")
    suite = _suite(tmp_path / "suite", **{"01": SLEEPER})
    res = run_study(study, tmp_path / "out", notebooks_dir=suite, timeout=3)
    assert res.status == "failed"
    # On a loaded machine another notebook's cell may pass 3 s too; the sleeper's must be named.
    assert any(e.startswith("01_journey_model.ipynb: cell 3 (import pathlib, time)") and "past the time limit" in e
               for e in res.errors), res.errors


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_ctrl_c_keeps_every_finished_run(tmp_path, jobs):
    import signal
    import time

    suite = _suite(tmp_path / "suite", **{"01": SLEEPER})
    studies = []
    for i in range(4):
        folder = tmp_path / f"s{i}"
        folder.mkdir()
        (folder / "model.yaml").write_text(MINI)
        if i >= 2:
            (folder / "SLOW").write_text("")
        studies.append(folder)
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "cem.cli", "report", *map(str, studies), "--out", str(out),
                             "--notebooks", str(suite), "--jobs", jobs], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    deadline = time.time() + 240
    while time.time() < deadline and not all((out / f"s{i}" / "run.json").exists() for i in (0, 1)):
        time.sleep(0.5)
    time.sleep(2)  # the slow runs are under way
    os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal does: the whole process group
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err[-2000:]
    assert "interrupted" in err and "Traceback" not in err
    for i in (0, 1):
        assert json.loads((out / f"s{i}" / "run.json").read_text())["status"] == "ok"
        assert (out / f"s{i}" / "01_journey_model.html").stat().st_size > 1000
    assert not (out / "s2").exists() and not (out / "s3").exists()  # no half report that looks finished
    index = (out / "index.html").read_text()
    assert 'href="s0/01_journey_model.html"' in index and 'href="s1/01_journey_model.html"' in index


def test_an_unreachable_scheduler_is_a_clear_error(tmp_path):
    study = tmp_path / "s"
    study.mkdir()
    (study / "model.yaml").write_text(MINI)
    r = _cli(study, "--out", tmp_path / "out", "--executor", "dask", "--scheduler", "tcp://127.0.0.1:9", timeout=120)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in r.stderr
    assert not (tmp_path / "out").exists()  # nothing written


# --- The report folder is the user's: cem touches only what it wrote (hardening, round two) -----

def _mini(folder, customers=None, slow=False):
    folder.mkdir(parents=True)
    (folder / "model.yaml").write_text(MINI)
    if customers:
        (folder / "customers.csv").write_text(customers)
    if slow:
        (folder / "SLOW").write_text("")
    return folder


def test_a_folder_with_a_git_repository_is_refused_and_never_touched(tmp_path):
    study = _mini(tmp_path / "bikes")
    out = tmp_path / "o"
    (out / ".git" / "objects").mkdir(parents=True)
    (out / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (out / ".venv").mkdir()
    r = _cli(study, "--out", out, timeout=300)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "is not a cem report folder and is not empty" in r.stderr and "--into-existing" in r.stderr
    assert sorted(p.name for p in out.iterdir()) == [".git", ".venv"]
    r = _cli(study, "--out", out, "--into-existing", "--notebooks", _suite(tmp_path / "suite"), timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    assert (out / ".git" / "HEAD").read_text() == "ref: refs/heads/main\n" and (out / ".venv").is_dir()
    assert (out / "bikes" / "01_journey_model.html").exists()
    # A user's own index.html is never overwritten.
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "index.html").write_text("<p>my page</p>")
    r = _cli(study, "--out", mine, "--into-existing", timeout=300)
    assert r.returncode == 2 and "index.html that cem did not write" in r.stderr
    assert (mine / "index.html").read_text() == "<p>my page</p>"


@pytest.mark.parametrize("args, says", [
    (["--timeout", "0"], "--timeout: must be a number of seconds above 0"),
    (["--timeout", "-1"], "--timeout: must be a number of seconds above 0"),
    (["--timeout", "nan"], "--timeout: must be a number of seconds above 0"),
    (["--jobs", "0"], "--jobs: must be a whole number from 1 to 256"),
    (["--jobs", "-2"], "--jobs: must be a whole number from 1 to 256"),
])
def test_settings_are_checked_before_anything_is_written(tmp_path, args, says):
    from cem.cli import main

    study = _mini(tmp_path / "bikes")
    assert main(["report", str(study), "--out", str(tmp_path / "out"), *args]) == 2
    assert not (tmp_path / "out").exists()


def test_a_full_disk_is_a_clear_error_and_leaves_no_temporary_file(tmp_path, monkeypatch):
    import errno
    from pathlib import Path

    from cem.errors import CemError
    from cem.reporting import write_index

    def full(self, *a, **k):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Path, "write_text", full)
    with pytest.raises(CemError, match="No space left on device"):
        write_index(tmp_path, [])
    monkeypatch.undo()
    assert list(tmp_path.iterdir()) == []


def test_segment_values_that_share_a_safe_name_never_share_a_run(tmp_path):
    values = ["x y", "x_y", "x\ty"]
    rows = "".join(f'c{i},"{v}"\n' for i, v in enumerate(values))
    study = _mini(tmp_path / "shop", customers="customer_id,segment\n" + rows)
    suite = _suite(tmp_path / "suite")
    out = tmp_path / "out"
    results = run_report([study], out, notebooks_dir=suite, by="segment", jobs=2)
    assert [r.status for r in results] == ["ok"] * 4, [r.errors for r in results]  # all customers + 3
    assert len({r.run for r in results}) == 4
    from cem.reporting.outdir import run_name

    seen = set()
    for r in results[1:]:
        data = json.loads((out / r.run / "run.json").read_text())
        column, value = data["segment"]
        assert r.run == run_name("shop", value) and data["title"].endswith(f"(segment = {value})")
        seen.add(value)
    assert seen == set(values)
    lines = []
    again = run_report([study], out, notebooks_dir=suite, by="segment", jobs=2, echo=lines.append)
    assert [r.run for r in again] == [r.run for r in results]
    assert sum(line.startswith("reused: shop") for line in lines) == 4
    assert (out / "index.html").read_text().count("<tr class=") == 4


def test_a_run_is_resumed_by_its_inputs_and_a_stale_failure_does_not_rerun_it(tmp_path):
    suite = _suite(tmp_path / "suite")
    a, b = _mini(tmp_path / "a" / "bikes"), _mini(tmp_path / "b" / "bikes")
    out = tmp_path / "out"
    first = run_report([a], out, notebooks_dir=suite, jobs=1)
    second = run_report([b], out, notebooks_dir=suite, jobs=1)  # another study of the same name
    assert first[0].run == "bikes" and second[0].run == "bikes-2"
    assert json.loads((out / "bikes" / "run.json").read_text())["study"] == str(a)
    # A changed input is not the same run: it runs again.
    (a / "model.yaml").write_text(MINI.replace("Book a repair", "Book a repair online"))
    lines = []
    run_report([a, b], out, notebooks_dir=suite, jobs=1, echo=lines.append)
    assert "reused: bikes-2 (inputs unchanged)" in lines and any(" 1/1 bikes: ok" in x for x in lines)
    # An old failed attempt beside a newer good run is history: it does not rerun it forever.
    failed = out / "bikes.failed"
    failed.mkdir()
    (failed / "run.json").write_text(json.dumps({"run": "bikes", "status": "failed", "finished": "2000-01-01T00:00:00",
                                                 "inputs": json.loads((out / "bikes" / "run.json").read_text())["inputs"]}))
    lines = []
    run_report([a, b], out, notebooks_dir=suite, jobs=1, echo=lines.append)
    assert sum(x.startswith("reused: ") for x in lines) == 2


def test_a_failed_runs_messages_carry_pseudonyms_not_customer_ids(tmp_path, monkeypatch):
    study = _mini(tmp_path / "shop", customers="customer_id,segment\nACME-000042,a\nACME-000042,b\n")
    monkeypatch.setenv("CEM_PSEUDONYM_KEY", KEY)
    res = run_study(study, tmp_path / "out")
    assert res.status == "failed"
    from cem.privacy import pseudonymise

    for name in ("run.json", "log.txt"):
        text = (tmp_path / "out" / "shop" / name).read_text()
        assert "ACME-000042" not in text and pseudonymise("ACME-000042", KEY) in text
    from cem.reporting import write_index

    write_index(tmp_path / "out", [res])
    assert "ACME-000042" not in (tmp_path / "out" / "index.html").read_text()


def _descendants(pid):
    import psutil

    return psutil.Process(pid).children(recursive=True)


def _wait_for(predicate, seconds):
    import time

    deadline = time.time() + seconds
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(0.3)
    return False


@pytest.mark.parametrize("how", ["SIGTERM", "SIGKILL"])
def test_a_batch_stopped_by_a_signal_leaves_no_process_and_resume_completes(tmp_path, how):
    """Two batches into one folder: the second is refused while the first writes. The first is
    stopped mid-run by SIGTERM or kill -9: within 5 s no worker or kernel is left, nothing is written
    after it, the index lists what finished, and the same batch again completes it."""
    import signal
    import time

    import psutil

    suite = _suite(tmp_path / "suite", **{"01": SLEEPER})
    fast = _mini(tmp_path / "fast")
    slow = _mini(tmp_path / "slow", slow=True)
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "cem.cli", "report", str(fast), str(slow), "--out", str(out),
                             "--notebooks", str(suite), "--jobs", "2"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    assert _wait_for(lambda: (out / "fast" / "run.json").exists(), 240)
    # The slow run's kernel is busy: a second batch into the same folder is refused, naming the first.
    second = _cli(fast, "--out", out, "--notebooks", suite, timeout=300)
    assert second.returncode == 2 and f"another cem report is writing into it (process {proc.pid}" in second.stderr
    assert _wait_for(lambda: any("ipykernel" in " ".join(p.cmdline()) for p in _descendants(proc.pid)), 60)
    family = _descendants(proc.pid)
    time.sleep(1)
    proc.send_signal(getattr(signal, how))
    _, err = proc.communicate(timeout=60)
    gone, alive = psutil.wait_procs(family, timeout=5)
    assert not alive, [p.cmdline() for p in alive]
    if how == "SIGTERM":
        assert proc.returncode == 128 + signal.SIGTERM and "stopped by signal" in err and "Traceback" not in err
    time.sleep(3)
    assert not (out / "slow").exists()  # nothing moved into place after the batch ended
    index = (out / "index.html").read_text()
    assert 'href="fast/01_journey_model.html"' in index
    (slow / "SLOW").unlink()
    r = _cli(fast, slow, "--out", out, "--notebooks", suite, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    assert "reused: fast (inputs unchanged)" in r.stderr and "1/1 slow: ok" in r.stderr
    assert not [p for p in out.iterdir() if p.name.startswith(".") and p.is_dir()]  # staging cleared
    assert "2 run(s), 0 failed" in (out / "index.html").read_text()


def test_the_index_lists_the_runs_of_earlier_batches(tmp_path):
    suite = _suite(tmp_path / "suite")
    out = tmp_path / "out"
    run_report([_mini(tmp_path / "one")], out, notebooks_dir=suite, jobs=1)
    run_report([_mini(tmp_path / "two")], out, notebooks_dir=suite, jobs=1)
    index = (out / "index.html").read_text()
    assert "2 run(s), 0 failed" in index
    assert 'href="one/01_journey_model.html"' in index and 'href="two/01_journey_model.html"' in index
    assert index.index('href="two/') < index.index('href="one/')  # this batch first


def test_the_index_keeps_the_last_good_report_after_a_failed_rerun_and_skips_malformed_records(tmp_path):
    from cem.reporting import write_index

    suite = _suite(tmp_path / "suite")
    study = _mini(tmp_path / "bikes")
    out = tmp_path / "out"
    assert run_report([study], out, notebooks_dir=suite, jobs=1)[0].status == "ok"
    (study / "model.yaml").write_text(MINI.replace("stage: use}", "stage: usage}", 1))
    again = run_report([study], out, notebooks_dir=suite, jobs=1)
    assert again[0].status == "failed" and again[0].folder == "bikes.failed"
    index = (out / "index.html").read_text()
    assert 'href="bikes/01_journey_model.html"' in index  # the last good report, still listed
    assert 'href="bikes.failed/log.txt"' in index and "this is the last good report" in index
    # Repaired: the next success removes the failed attempt, and the note goes with it.
    (study / "model.yaml").write_text(MINI)
    assert run_report([study], out, notebooks_dir=suite, jobs=1)[0].status == "ok"
    assert not (out / "bikes.failed").exists() and "last good report" not in (out / "index.html").read_text()
    # A run.json edited by hand into the wrong shapes is left out of the index, never a crash.
    junk = out / "junk"
    junk.mkdir()
    (junk / "run.json").write_text(json.dumps({"run": "junk", "status": "ok", "notebooks": "x", "seconds": "abc"}))
    write_index(out, [])
    assert "junk" not in (out / "index.html").read_text()


def test_a_run_for_a_segment_of_nobody_fails_with_one_line(tmp_path):
    res = run_study(EXAMPLES / "solar", tmp_path / "out", segment=("segment", "demanding"))
    assert res.status == "failed" and len(res.errors) == 1 and "Traceback" not in res.errors[0]
    assert "no customer has segment = 'demanding'" in res.errors[0] and not res.notebooks
