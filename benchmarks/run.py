"""Run every benchmark in one go and write the results into benchmarks/results.json and README.md.

Usage (from the project root, after `make bench` made the environments):
python benchmarks/run.py [clv] [journeys] [batch]   (every section by default)

Each section is measured in one run; results.json keeps the last run of each section.
"""
import json
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "out"
REF = ROOT / "benchmarks" / ".venv-ref" / "bin" / "python"
PM4PY = ROOT / "benchmarks" / ".venv-pm4py" / "bin" / "python"
REAL = ROOT.parent / "shared" / "data" / "real"
CDNOW = ROOT / "data" / "external" / "cdnow" / "CDNOW_sample.txt"
MARK_BEGIN, MARK_END = "<!-- bench:begin -->", "<!-- bench:end -->"


def generated_transactions():
    """5 million generated transactions of 500,000 customers (cem.synth, seed 2)."""
    from cem.synth import transactions

    path = OUT / "generated_5m.csv"
    if not path.exists():
        tx = transactions(500_000, bgnbd=(0.8, 4.0, 0.5, 4.0), weeks=104, seed=2)
        tx.to_csv(path, index=False, date_format="%Y-%m-%d")
    return path


def generated_logs():
    """Event logs of 1 and 10 million events along the solar example's journey (cem.synth)."""
    import cem
    from cem.synth import event_log

    G = cem.load_model(ROOT / "cem" / "examples" / "solar")
    paths = {}
    for name, n in (("generated_1m", 1_000_000), ("generated_10m", 10_000_000)):
        path = OUT / f"events_{name}.parquet"
        if not path.exists():
            event_log(G, n, seed=1).to_parquet(path)
        paths[name] = path
    return paths


def journeys_side(python, tool, logs):
    args = [f"{k}={v}" for k, v in logs.items()]
    cmd = [str(python), str(ROOT / "benchmarks" / "bench_journeys_side.py"), tool, str(OUT), *args]
    subprocess.run(cmd, check=True, capture_output=True, text=True)
    return json.loads((OUT / f"journeys_{tool}.json").read_text())


def same_json(tool_a, tool_b, name, what):
    a = json.loads((OUT / f"journeys_{tool_a}_{name}_{what}.json").read_text())
    b = json.loads((OUT / f"journeys_{tool_b}_{name}_{what}.json").read_text())
    return a == b


def journeys_benchmark():
    logs = {"helpdesk": REAL / "helpdesk.xes.gz", "receipt": REAL / "receipt.csv", **generated_logs()}
    cem = journeys_side(sys.executable, "cem", logs)
    ref = journeys_side(PM4PY, "pm4py", logs)
    rows = []
    labels = {"helpdesk": "help-desk log (real, 21,348 events)", "receipt": "permit receipt log (real, 8,577 events)",
              "generated_1m": "generated, 1,000,000 events", "generated_10m": "generated, 10,000,000 events"}
    for name in logs:
        c, r = cem["logs"][name], ref["logs"][name]
        rows.append({"log": labels[name], "cem_dfg_s": round(c["dfg_s"], 3), "pm4py_dfg_s": round(r["dfg_s"], 3),
                     "dfg_speedup": round(r["dfg_s"] / c["dfg_s"], 1),
                     "cem_variants_s": round(c["variants_s"], 3), "pm4py_variants_s": round(r["variants_s"], 3),
                     "variants_speedup": round(r["variants_s"] / c["variants_s"], 1),
                     "identical_dfg": same_json("cem", "pm4py", name, "dfg"),
                     "identical_variants": same_json("cem", "pm4py", name, "variants"),
                     "dfg_edges": c["dfg_edges"], "variants": c["variants"]})
    big = cem["logs"]["generated_10m"]
    scale = {"seconds_all_four": round(big["dfg_s"] + big["variants_s"] + big["funnel_s"] + big["conformance_s"], 2),
             **{k: round(big[k], 2) for k in ("dfg_s", "variants_s", "funnel_s", "conformance_s")},
             "peak_memory_gib": round(cem["peak_memory_gib"], 2), "pm4py_peak_memory_gib": round(ref["peak_memory_gib"], 2)}
    return rows, scale


def side(python, tool, generated):
    cmd = [str(python), str(ROOT / "benchmarks" / "bench_clv_side.py"), tool, str(CDNOW), str(generated), str(OUT)]
    subprocess.run(cmd, check=True, capture_output=True, text=True)
    return json.loads((OUT / f"{tool}.json").read_text())


def same_summaries(name):
    a = pd.read_csv(OUT / f"cem_summary_{name}.csv", dtype={"customer_id": str}).set_index("customer_id")
    b = pd.read_csv(OUT / f"lifetimes_summary_{name}.csv", dtype={"customer_id": str}).set_index("customer_id")
    b = b.reindex(a.index)
    return bool(len(a) == len(b) and all(np.allclose(a[c], b[c], rtol=1e-9, atol=1e-6)
                                         for c in ["frequency", "recency", "T", "monetary_value"]))


def journey_table(rows, scale):
    if not rows:
        return ["(event-log benchmark not run: benchmarks/.venv-pm4py is missing)"]
    out = ["| event log | cem DFG (s) | pm4py DFG (s) | DFG faster by | cem variants (s) | pm4py variants (s) | "
           "variants faster by | identical DFG counts | identical variants |", "|---|---|---|---|---|---|---|---|---|"]
    out += [f"| {r['log']} ({r['dfg_edges']} edges, {r['variants']} variants) | {r['cem_dfg_s']} | {r['pm4py_dfg_s']} | "
            f"{r['dfg_speedup']}x | {r['cem_variants_s']} | {r['pm4py_variants_s']} | {r['variants_speedup']}x | "
            f"{r['identical_dfg']} | {r['identical_variants']} |" for r in rows]
    out += ["", f"10 million events: DFG {scale['dfg_s']} s, variants {scale['variants_s']} s, funnel "
            f"{scale['funnel_s']} s, conformance {scale['conformance_s']} s: {scale['seconds_all_four']} s together "
            f"(target 30 s); peak memory of the whole run, reading included, {scale['peak_memory_gib']} GiB "
            f"(target 4 GiB; pm4py's run {scale['pm4py_peak_memory_gib']} GiB)."]
    return out


def clv_benchmark():
    """RFM summary and BG/NBD fit against lifetimes, on CDNOW and 5 million generated rows."""
    if not REF.exists():
        sys.exit("benchmarks/.venv-ref is missing: run `make bench`")
    gen = generated_transactions()
    cem = side(sys.executable, "cem", gen)
    ref = side(REF, "lifetimes", gen)
    rows = []
    for key, label in [("rfm_cdnow", "RFM summary, CDNOW sample (6,919 rows)"),
                       ("rfm_generated", "RFM summary, 5,000,000 generated rows, 500,000 customers, rows by customer"),
                       ("rfm_generated_by_date", "RFM summary, the same 5,000,000 rows in date order"),
                       ("fit_bgnbd_cdnow", "BG/NBD fit, CDNOW sample (2,357 customers)")]:
        c, r = cem[key]["seconds"], ref[key]["seconds"]
        rows.append({"operation": label, "cem_s": round(c, 4), "lifetimes_s": round(r, 4), "speedup": round(r / c, 1)})
    checks = {"identical_summary_cdnow": same_summaries("cdnow"),
              "identical_summary_generated": same_summaries("generated"),
              "identical_summary_generated_by_date": same_summaries("generated_by_date"),
              "bgnbd_params_cem": {k: round(v, 4) for k, v in cem["fit_bgnbd_cdnow"]["params"].items()},
              "bgnbd_params_lifetimes": {k: round(v, 4) for k, v in ref["fit_bgnbd_cdnow"]["params"].items()}}
    return {"rows": rows, "checks": checks}


def clv_text(res):
    checks = res["checks"]
    table = ["| operation | cem (s) | lifetimes (s) | cem faster by |", "|---|---|---|---|"]
    table += [f"| {r['operation']} | {r['cem_s']} | {r['lifetimes_s']} | {r['speedup']}x |" for r in res["rows"]]
    return [*table, "", f"Per-customer summaries identical to lifetimes': CDNOW {checks['identical_summary_cdnow']}, "
            f"5 million rows {checks['identical_summary_generated']} "
            f"(date order {checks['identical_summary_generated_by_date']}). BG/NBD on CDNOW: cem "
            f"{checks['bgnbd_params_cem']}, lifetimes {checks['bgnbd_params_lifetimes']}."]


def batch_text(b):
    return [
        "| 24 report runs (2 studies x 12 segments, " + f"{b['notebooks']} notebooks) | wall time (s) | per run: "
        "in cells (s) | per run: overhead (s) |", "|---|---|---|---|",
        f"| shell loop: `papermill` then `jupyter nbconvert --to html --no-input` per notebook | {b['loop_wall_s']} | "
        f"{b['loop_cell_s_per_run']} | {b['loop_overhead_s_per_run']} |",
        f"| `cem report --by branch --jobs 2` | {b['cem_wall_s']} | {b['cem_cell_s_per_run']} | "
        f"{b['cem_overhead_s_per_run']} |", "",
        f"cem is **{b['speedup']}x** faster (target 3x on 2 cores); {b['cem_ok']} of {b['runs']} runs ok; "
        f"metrics.json identical between the two in every run: {not b['metrics_differ']}"
        + (f" (differ: {', '.join(b['metrics_differ'])})" if b["metrics_differ"] else "") + ". Overhead per run is its "
        "time minus the seconds inside the cells; cem's is measured inside each worker (the two workers run "
        "side by side), the loop's is its wall time per run."]


SECTIONS = ("clv", "journeys", "batch")


def load_results(path):
    """The last results of each section, from results.json."""
    results = json.loads(path.read_text()) if path.exists() else {}
    if "rows" in results:  # the first layout: one flat run of clv and journeys
        results = {"clv": {"date": results["date"], "machine": results["machine"], "rows": results["rows"],
                           "checks": results["checks"]},
                   "journeys": {"date": results["date"], "machine": results["machine"], "rows": results["journeys"],
                                "scale_10m": results["scale_10m"]}}
    return results


def main(argv):
    """Run the sections named (all by default), merge them into results.json, rewrite README's tables."""
    OUT.mkdir(parents=True, exist_ok=True)
    path = ROOT / "benchmarks" / "results.json"
    if argv == ["render"]:  # only rewrite the README from results.json
        return render(load_results(path))
    wanted = argv or list(SECTIONS)
    unknown = [w for w in wanted if w not in SECTIONS]
    if unknown:
        sys.exit(f"unknown benchmark section {unknown[0]}; use {', '.join(SECTIONS)}")
    results = load_results(path)
    stamp = {"date": time.strftime("%Y-%m-%d"), "machine": f"{platform.machine()}, {platform.python_version()}"}
    for name in wanted:
        if name == "clv":
            results["clv"] = {**stamp, **clv_benchmark()}
        elif name == "journeys" and PM4PY.exists():
            rows, scale = journeys_benchmark()
            results["journeys"] = {**stamp, "rows": rows, "scale_10m": scale}
        elif name == "batch":
            from bench_batch import batch_benchmark

            results["batch"] = {**stamp, **batch_benchmark(OUT / "batch")}
    path.write_text(json.dumps(results, indent=2) + "\n")
    render(results)


def render(results):
    """Rewrite the tables between the README's bench markers from ``results``."""
    parts = [MARK_BEGIN]
    for name, title in (("clv", "Customer-base models against lifetimes"),
                        ("journeys", "Event logs against pm4py"), ("batch", "Batch reports")):
        res = results.get(name)
        if not res:
            continue
        parts += [f"**{title}**, measured {res['date']} in one run of `make bench` ({res['machine']}, 2 cores).", ""]
        if name == "clv":
            parts += clv_text(res)
        elif name == "journeys":
            parts += journey_table(res["rows"], res["scale_10m"])
        else:
            parts += batch_text(res)
        parts.append("")
    parts.append(MARK_END)
    text = "\n".join(parts)
    readme = (ROOT / "README.md").read_text()
    if MARK_BEGIN in readme:
        head, rest = readme.split(MARK_BEGIN, 1)
        readme = head + text + rest.split(MARK_END, 1)[1]
    else:
        readme += "\n## Benchmarks\n\n" + text + "\n"
    (ROOT / "README.md").write_text(readme)
    print(text)


if __name__ == "__main__":
    main(sys.argv[1:])
