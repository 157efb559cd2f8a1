"""Incremental batches (#16 item 4): a run the folder holds, good and made from the same inputs by
content, is reused in about a second and said so; a changed study reruns alone; --force reruns
everything; a failed run is never reused. And the time left of a batch with parallel runs."""
import json
import os
import subprocess
import sys
import time

import pytest

from cem.reporting import batch as batch_module
from cem.reporting import run_report
from cem.reporting.batch import _time_left
from cem.reporting.runs import MANIFEST
from conftest import MINI

CUSTOMERS = "customer_id,segment\nc1,north\nc2,south\nc3,north\n"


def _study(folder, model=MINI, customers=CUSTOMERS):
    folder.mkdir(parents=True)
    (folder / "model.yaml").write_text(model)
    if customers:
        (folder / "customers.csv").write_text(customers)
    return folder


def _stamps(out, names):
    """What a rerun would change: each run's record and manifest, by modification time."""
    return {n: ((out / n / "run.json").stat().st_mtime_ns, (out / n / MANIFEST).stat().st_mtime_ns) for n in names}


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """A batch of two studies, run once."""
    import shutil

    from cem.reporting import default_notebooks_dir

    base = tmp_path_factory.mktemp("incremental")
    suite = base / "suite"  # a copy, so the notebooks stay as they are for the batches of these tests
    shutil.copytree(default_notebooks_dir(), suite, ignore=shutil.ignore_patterns(".*"))
    a = _study(base / "a")
    b = _study(base / "b", model=MINI.replace("name: Mini", "name: Mini two"))
    out = base / "out"
    results = run_report([a, b], out, notebooks_dir=suite, jobs=2)
    assert [r.status for r in results] == ["ok", "ok"], [r.errors for r in results]
    return base, a, b, out, suite


def test_a_good_run_has_a_manifest_of_its_inputs_and_no_data_left(made):
    _, _, _, out, _ = made
    for name in ("a", "b"):
        manifest = json.loads((out / name / MANIFEST).read_text())
        record = json.loads((out / name / "run.json").read_text())
        assert manifest["inputs"] == record["inputs"] and len(manifest["inputs"]) == 16
        assert manifest["identity"] == record["identity"]
        # The notebooks' shared data cache is removed before the run is moved into place.
        assert not (out / name / ".data").exists() and not list((out / name).glob("**/*.parquet"))


def test_an_unchanged_batch_reuses_every_run_without_executing_a_notebook(made, monkeypatch):
    base, a, b, out, suite = made
    before = _stamps(out, ["a", "b"])
    # Touching the files changes their times, not their content: still the same inputs.
    for f in (a / "model.yaml", b / "customers.csv"):
        os.utime(f, (time.time() + 5, time.time() + 5))

    def no_execution(*args, **kwargs):
        raise AssertionError("a notebook was executed")

    monkeypatch.setattr(batch_module, "_run_local", no_execution)
    lines = []
    t0 = time.perf_counter()
    results = run_report([a, b], out, notebooks_dir=suite, jobs=2, echo=lines.append)
    seconds = time.perf_counter() - t0
    assert [r.status for r in results] == ["ok", "ok"]
    assert lines == ["reused: a (inputs unchanged)", "reused: b (inputs unchanged)"]
    assert _stamps(out, ["a", "b"]) == before
    assert seconds < 5, seconds  # about a second on a quiet machine; a margin for a busy one
    index = (out / "index.html").read_text()
    assert "2 run(s), 0 failed" in index
    assert 'href="a/01_journey_model.html"' in index and 'href="b/01_journey_model.html"' in index


def test_an_edited_data_file_reruns_that_study_alone(made):
    base, a, b, out, suite = made
    before = _stamps(out, ["a", "b"])
    (b / "customers.csv").write_text(CUSTOMERS + "c4,south\n")
    lines = []
    results = run_report([a, b], out, notebooks_dir=suite, jobs=2, echo=lines.append)
    assert [r.status for r in results] == ["ok", "ok"]
    assert "reused: a (inputs unchanged)" in lines
    assert not any(line.startswith("reused: b") for line in lines)
    assert any(" 1/1 b: ok" in line for line in lines), lines
    after = _stamps(out, ["a", "b"])
    assert after["a"] == before["a"] and after["b"] != before["b"]
    assert "2 run(s), 0 failed" in (out / "index.html").read_text()


def test_force_reruns_everything(made):
    base, a, b, out, suite = made
    before = _stamps(out, ["a", "b"])
    r = subprocess.run([sys.executable, "-m", "cem.cli", "report", str(a), str(b), "--out", str(out), "--jobs", "2",
                        "--notebooks", str(suite), "--force"], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    assert "reused" not in r.stderr and " 2/2 " in r.stderr
    after = _stamps(out, ["a", "b"])
    assert all(after[n] != before[n] for n in ("a", "b"))
    # And without --force, the command line reuses both.
    r = subprocess.run([sys.executable, "-m", "cem.cli", "report", str(a), str(b), "--out", str(out), "--notebooks",
                        str(suite)],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0 and r.stderr.count("(inputs unchanged)") == 2, r.stderr[-2000:]
    assert _stamps(out, ["a", "b"]) == after


def test_changed_notebooks_rerun_and_a_copy_of_the_same_notebooks_does_not(made, tmp_path):
    import shutil

    base, a, _, out, suite = made
    copy = tmp_path / "suite"
    shutil.copytree(suite, copy)
    lines = []
    run_report([a], out, notebooks_dir=copy, jobs=1, echo=lines.append)
    assert lines == ["reused: a (inputs unchanged)"]  # the same notebooks, by content, elsewhere
    import nbformat

    nb = nbformat.read(str(copy / "01_journey_model.ipynb"), as_version=4)
    nb.cells.append(nbformat.v4.new_markdown_cell("One more paragraph."))
    nbformat.write(nb, str(copy / "01_journey_model.ipynb"))
    lines = []
    results = run_report([a], out, notebooks_dir=copy, jobs=1, echo=lines.append)
    assert results[0].status == "ok" and not any(line.startswith("reused") for line in lines), lines


def test_a_failed_run_is_never_reused(tmp_path):
    bad = _study(tmp_path / "bad", customers="customer_id,segment\n,north\n,south\n")  # no id at all
    (bad / "model.yaml").write_text(MINI.replace("stage: use}", "stage: usage}", 1))
    out = tmp_path / "out"
    first = run_report([bad], out, jobs=1)
    assert first[0].status == "failed" and not (out / "bad" / MANIFEST).exists()
    lines = []
    again = run_report([bad], out, jobs=1, echo=lines.append)
    assert again[0].status == "failed"
    assert not any(line.startswith("reused") for line in lines) and any(" 1/1 bad: failed" in x for x in lines)


def test_a_manifest_of_other_inputs_is_not_reused(made):
    """run.json alone is not enough: the manifest, written after the run succeeded, must agree."""
    base, a, _, out, suite = made
    manifest = out / "a" / MANIFEST
    saved = manifest.read_text()
    try:
        manifest.write_text(json.dumps({"inputs": "0" * 16, "identity": ""}))
        lines = []
        run_report([a], out, notebooks_dir=suite, jobs=1, echo=lines.append)
        assert not any(line.startswith("reused") for line in lines)
        assert json.loads(manifest.read_text())["inputs"] == json.loads((out / "a" / "run.json").read_text())["inputs"]
    finally:
        if not manifest.exists():
            manifest.write_text(saved)


@pytest.mark.parametrize("now, run_seconds, started, queued, workers, expected", [
    (10.0, 10.0, [10.0], 7, 1, 80.0),  # one at a time: the mean time of a run times the runs left
    # 8 runs of 10 s on 4 workers: the first 4 finish together at t = 10, one is counted done; three
    # more end at once, and the 4 queued take one more round: 10 s left, not 70 s.
    (10.0, 10.0, [0.0, 0.0, 0.0], 4, 4, 10.0),
    (10.0, 10.0, [0.0, 0.0, 0.0], 0, 4, 0.0),  # the last three are due now
    (25.0, 10.0, [20.0, 22.0], 3, 2, 25.0),  # under way end at 30 and 32; queued ones end at 40, 42, 50
])
def test_time_left_counts_runs_that_overlap_once(now, run_seconds, started, queued, workers, expected):
    assert _time_left(now, run_seconds, started, queued, workers) == pytest.approx(expected)
