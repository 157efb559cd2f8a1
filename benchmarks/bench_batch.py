"""Batch reports: `cem report --by --jobs 2` against a shell loop of the papermill and nbconvert CLIs.

24 runs: the two example studies, each cut into 12 segments (a ``branch`` column added to a
copy of their customers.csv), every notebook of the suite in each run. The shell loop is what a
consultant writes today: for every run and notebook, ``papermill`` then
``jupyter nbconvert --to html --no-input``, one after another.

Both write the same ``metrics.json`` per run (checked); the times are wall-clock of one run
each. Overhead per run is its time minus the seconds spent inside the cells (papermill's
per-cell timings in the executed notebooks).
"""
from __future__ import annotations

import json
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
SEGMENTS = 12


def make_studies(folder):
    """Copies of the solar and payroll examples with a 12-value ``branch`` column in customers.csv."""
    studies = []
    for name in ("solar", "payroll"):
        dst = folder / name
        if dst.exists():
            shutil.rmtree(dst)
        shutil.copytree(ROOT / "cem" / "examples" / name, dst)
        customers = pd.read_csv(dst / "customers.csv", dtype=str, keep_default_na=False)
        customers["branch"] = [f"b{i % SEGMENTS + 1:02d}" for i in range(len(customers))]
        customers.to_csv(dst / "customers.csv", index=False)
        studies.append(dst)
    return studies


def _cell_seconds(notebook):
    nb = nbformat.read(str(notebook), as_version=4)
    return sum((c.metadata.get("papermill") or {}).get("duration") or 0 for c in nb.cells)


def run_cem(studies, out, jobs=2):
    """`cem report STUDIES --by branch --jobs 2`: wall seconds and the runs' own timings."""
    if out.exists():
        shutil.rmtree(out)
    t0 = time.perf_counter()
    subprocess.run([str(Path(sys.executable).parent / "cem"), "report", *map(str, studies), "--out", str(out),
                    "--by", "branch", "--jobs", str(jobs), "--kernel", "cem"], check=True, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    runs = [json.loads(p.read_text()) for p in sorted(out.glob("*/run.json"))]
    return {"wall_s": wall, "runs": len(runs), "ok": sum(r["status"] == "ok" for r in runs),
            "run_s": sum(r["seconds"] for r in runs), "cell_s": sum(r["cell_seconds"] for r in runs),
            "notebooks": sum(len(r["notebooks"]) for r in runs)}


def run_shell_loop(studies, out, runs):
    """The shell loop: papermill then nbconvert per notebook, one after another."""
    from cem.reporting import SUITE

    if out.exists():
        shutil.rmtree(out)
    lines = ["set -e", f"cd {shlex.quote(str(ROOT / 'cem' / 'notebooks'))}"]
    bindir = Path(sys.executable).parent
    for study, run, value in runs:
        folder = out / run
        lines.append(f"mkdir -p {shlex.quote(str(folder))}")
        for nb in SUITE:
            dst = folder / nb
            lines.append(f"{bindir / 'papermill'} {nb} {shlex.quote(str(dst))} -k cem --no-progress-bar "
                         f"-p study_path {shlex.quote(str(study))} -p output_dir {shlex.quote(str(folder))} "
                         f"-p segment branch={value} >/dev/null 2>&1")
            lines.append(f"{bindir / 'jupyter'} nbconvert --to html --no-input {shlex.quote(str(dst))} >/dev/null 2>&1")
    script = out.parent / "shell_loop.sh"
    script.write_text("\n".join(lines) + "\n")
    t0 = time.perf_counter()
    subprocess.run(["bash", str(script)], check=True)
    wall = time.perf_counter() - t0
    cells = sum(_cell_seconds(p) for p in out.glob("*/*.ipynb"))
    return {"wall_s": wall, "runs": len(runs), "cell_s": cells, "notebooks": len(list(out.glob("*/*.html")))}


def same_metrics(a, b):
    """Runs whose metrics.json differ between the two outputs (none when both did the same work)."""
    differ = []
    for path in sorted(a.glob("*/metrics.json")):
        other = b / path.parent.name / "metrics.json"
        if not other.exists() or json.loads(path.read_text()) != json.loads(other.read_text()):
            differ.append(path.parent.name)
    return differ


def batch_benchmark(work):
    """Both ways of making the 24 reports, measured one after the other on this machine."""
    work.mkdir(parents=True, exist_ok=True)
    studies = make_studies(work / "studies")
    runs = [(study, f"{study.name}__b{i:02d}", f"b{i:02d}") for study in studies for i in range(1, SEGMENTS + 1)]
    ours = run_cem(studies, work / "cem")
    loop = run_shell_loop(studies, work / "loop", runs)
    n = len(runs)
    return {
        "runs": n, "notebooks": loop["notebooks"], "cem_ok": ours["ok"],
        "cem_wall_s": round(ours["wall_s"], 1), "loop_wall_s": round(loop["wall_s"], 1),
        "speedup": round(loop["wall_s"] / ours["wall_s"], 2),
        "cem_cell_s_per_run": round(ours["cell_s"] / n, 2), "loop_cell_s_per_run": round(loop["cell_s"] / n, 2),
        "cem_overhead_s_per_run": round((ours["run_s"] - ours["cell_s"]) / n, 2),
        "loop_overhead_s_per_run": round((loop["wall_s"] - loop["cell_s"]) / n, 2),
        "cem_run_s_per_run": round(ours["run_s"] / n, 2), "loop_run_s_per_run": round(loop["wall_s"] / n, 2),
        "metrics_differ": same_metrics(work / "cem", work / "loop"),
    }


if __name__ == "__main__":
    print(json.dumps(batch_benchmark(ROOT / "benchmarks" / "out" / "batch"), indent=2))
