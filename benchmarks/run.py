"""Run every benchmark in one go and write the results into benchmarks/results.json and README.md.

Usage (from the project root, after `make bench` made the environments): python benchmarks/run.py
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

    G = cem.load_model(ROOT / "data" / "examples" / "solar")
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


def main():
    OUT.mkdir(parents=True, exist_ok=True)
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
    jrows, scale = journeys_benchmark() if PM4PY.exists() else ([], None)
    result = {"date": time.strftime("%Y-%m-%d"), "machine": f"{platform.machine()}, {platform.python_version()}",
              "rows": rows, "checks": checks, "journeys": jrows, "scale_10m": scale}
    (ROOT / "benchmarks" / "results.json").write_text(json.dumps(result, indent=2) + "\n")
    table = ["| operation | cem (s) | lifetimes (s) | cem faster by |", "|---|---|---|---|"]
    table += [f"| {r['operation']} | {r['cem_s']} | {r['lifetimes_s']} | {r['speedup']}x |" for r in rows]
    text = "\n".join([MARK_BEGIN, f"Measured {result['date']} in one run of `make bench` ({result['machine']}, 2 cores).",
                      "", *table, "",
                      f"Per-customer summaries identical to lifetimes': CDNOW {checks['identical_summary_cdnow']}, "
                      f"5 million rows {checks['identical_summary_generated']} "
                      f"(date order {checks['identical_summary_generated_by_date']}). BG/NBD on CDNOW: cem "
                      f"{checks['bgnbd_params_cem']}, lifetimes {checks['bgnbd_params_lifetimes']}.", "",
                      *journey_table(jrows, scale), MARK_END])
    readme = (ROOT / "README.md").read_text()
    if MARK_BEGIN in readme:
        head, rest = readme.split(MARK_BEGIN, 1)
        readme = head + text + rest.split(MARK_END, 1)[1]
    else:
        readme += "\n## Benchmarks\n\n" + text + "\n"
    (ROOT / "README.md").write_text(readme)
    print(text)


if __name__ == "__main__":
    main()
