"""One side of the event-log benchmark, run in the environment of the tool measured.

Usage: python bench_journeys_side.py {cem|pm4py} OUT_DIR LOG...
Each LOG is NAME=PATH (.xes.gz, .csv with XES column names, or .parquet with customer_id,
timestamp, step). Writes OUT_DIR/journeys_<tool>.json: seconds per operation, peak memory, and
the DFG counts and variant counts, for the comparison.
"""
import json
import resource
import sys
import time
import warnings
from pathlib import Path

import pandas as pd

warnings.filterwarnings("ignore")
tool, out, logs = sys.argv[1], Path(sys.argv[2]), dict(a.split("=", 1) for a in sys.argv[3:])
CASE, ACT, TIME = "case:concept:name", "concept:name", "time:timestamp"


def timed(fn, repeats=3):
    """Best of ``repeats`` wall-clock runs (the first run of either tool pays one-off costs)."""
    best, result = None, None
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = fn()
        spent = time.perf_counter() - t0
        best = spent if best is None else min(best, spent)
    return best, result


results = {"tool": tool, "logs": {}}
for name, path in logs.items():
    entry = {}
    if tool == "pm4py":
        import pm4py

        if path.endswith(".xes.gz") or path.endswith(".xes"):
            df = pm4py.read_xes(path)
        elif path.endswith(".parquet"):
            df = pd.read_parquet(path).rename(columns={"customer_id": CASE, "step": ACT, "timestamp": TIME})
            df[ACT] = df[ACT].astype(str)
        else:
            df = pd.read_csv(path)
        df = pm4py.format_dataframe(df, case_id=CASE, activity_key=ACT, timestamp_key=TIME)
        entry["dfg_s"], (graph, _, _) = timed(lambda: pm4py.discover_dfg(df))
        entry["variants_s"], var = timed(lambda: pm4py.get_variants(df))
        dfg_counts = {f"{a} -> {b}": int(c) for (a, b), c in graph.items()}
        variant_counts = {" > ".join(v): int(c if isinstance(c, (int, float)) else len(c)) for v, c in var.items()}
    else:
        import cem
        from cem import journeys

        if path.endswith(".parquet"):
            events = pd.read_parquet(path)
            activity = "step"
        else:
            events, _ = journeys.read_events(path)
            activity = "activity"
        entry["dfg_s"], d = timed(lambda: journeys.dfg(events, activity=activity))
        entry["variants_s"], v = timed(lambda: journeys.variants(events, activity=activity))
        if path.endswith(".parquet"):
            G = cem.load_model(Path(__file__).resolve().parent.parent / "cem" / "examples" / "solar")
            entry["funnel_s"], _ = timed(lambda: journeys.funnel(events, G))
            entry["conformance_s"], _ = timed(lambda: journeys.conformance(events, G))
        dfg_counts = {f"{a} -> {b}": int(c) for a, b, c in zip(d["source"], d["target"], d["count"])}
        variant_counts = dict(zip(v["variant"], map(int, v["cases"])))
    entry["events"] = int(sum(dfg_counts.values()) + sum(variant_counts.values()))
    entry["dfg_edges"], entry["variants"] = len(dfg_counts), len(variant_counts)
    (out / f"journeys_{tool}_{name}_dfg.json").write_text(json.dumps(dfg_counts, sort_keys=True))
    (out / f"journeys_{tool}_{name}_variants.json").write_text(json.dumps(variant_counts, sort_keys=True))
    results["logs"][name] = entry
results["peak_memory_gib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2 ** 20
(out / f"journeys_{tool}.json").write_text(json.dumps(results, indent=2))
print(json.dumps(results))
