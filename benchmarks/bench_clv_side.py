"""One side of the CLV benchmark, run in the environment of the tool measured.

Usage: python bench_clv_side.py {cem|lifetimes} CDNOW_SAMPLE GENERATED_CSV OUT_DIR
Writes OUT_DIR/<tool>.json (timings, parameters) and OUT_DIR/<tool>_summary_<data>.csv.
"""
import json
import sys
import time
import warnings
from pathlib import Path

import pandas as pd

warnings.filterwarnings("ignore")
tool, cdnow_path, generated_path, out = sys.argv[1], sys.argv[2], sys.argv[3], Path(sys.argv[4])


def best_of(fn, repeats):
    times, result = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return min(times), result


cdnow = pd.read_csv(cdnow_path, sep=r"\s+", header=None, names=["customer_id", "sid", "date", "cds", "amount"],
                    dtype={"customer_id": str, "date": str})
cdnow["date"] = pd.to_datetime(cdnow["date"], format="%Y%m%d")
generated = pd.read_csv(generated_path, dtype={"customer_id": str}, parse_dates=["date"])
by_date = generated.sort_values("date", kind="stable").reset_index(drop=True)  # as many exports come

if tool == "cem":
    from cem.clv import fit_bgnbd, fit_pareto_nbd, rfm

    def summarise(tx, end):
        return rfm(tx, "customer_id", "date", "amount", end=end, freq="D")[["frequency", "recency", "T",
                                                                              "monetary_value"]]

    def fit(summary):
        return fit_bgnbd(summary).params

    def fit_pnbd(summary):
        return fit_pareto_nbd(summary).params
else:
    from lifetimes import BetaGeoFitter, ParetoNBDFitter
    from lifetimes.utils import summary_data_from_transaction_data

    def summarise(tx, end):
        return summary_data_from_transaction_data(tx, "customer_id", "date", "amount", observation_period_end=end,
                                                  freq="D")

    def fit(summary):
        f = BetaGeoFitter().fit(summary["frequency"], summary["recency"], summary["T"])
        return {k: float(v) for k, v in f.params_.items()}

    def fit_pnbd(summary):
        f = ParetoNBDFitter().fit(summary["frequency"], summary["recency"], summary["T"])
        return {k: float(v) for k, v in f.params_.items()}

results = {"tool": tool}
for name, tx, end, repeats in [("cdnow", cdnow, "1997-09-30", 5), ("generated", generated, None, 2),
                                ("generated_by_date", by_date, None, 2)]:
    end = end or tx["date"].max()
    seconds, summary = best_of(lambda: summarise(tx, end), repeats)
    summary.to_csv(out / f"{tool}_summary_{name}.csv")
    results[f"rfm_{name}"] = {"seconds": seconds, "rows": len(tx), "customers": len(summary)}
weeks = pd.read_csv(out / f"{tool}_summary_cdnow.csv", dtype={"customer_id": str}).set_index("customer_id")
weeks[["recency", "T"]] /= 7.0  # the papers' unit
seconds, params = best_of(lambda: fit(weeks), 3)
results["fit_bgnbd_cdnow"] = {"seconds": seconds, "params": {k: float(v) for k, v in params.items()}}
seconds, params = best_of(lambda: fit_pnbd(weeks), 3)
results["fit_pnbd_cdnow"] = {"seconds": seconds, "params": {k: float(v) for k, v in params.items()}}
# The fitters on 50,000 generated customers, time in weeks (the same summary for both tools).
many = pd.read_csv(out / f"{tool}_summary_generated.csv", dtype={"customer_id": str}).set_index("customer_id")
many = many.iloc[:50_000]
many[["recency", "T"]] /= 7.0
for name, fitter, repeats in [("fit_bgnbd_50k", fit, 3), ("fit_pnbd_50k", fit_pnbd, 1)]:
    seconds, params = best_of(lambda: fitter(many), repeats)
    results[name] = {"seconds": seconds, "customers": len(many), "params": {k: float(v) for k, v in params.items()}}
(out / f"{tool}.json").write_text(json.dumps(results, indent=2))
print(json.dumps(results))
