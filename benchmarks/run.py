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
    result = {"date": time.strftime("%Y-%m-%d"), "machine": f"{platform.machine()}, {platform.python_version()}",
              "rows": rows, "checks": checks}
    (ROOT / "benchmarks" / "results.json").write_text(json.dumps(result, indent=2) + "\n")
    table = ["| operation | cem (s) | lifetimes (s) | cem faster by |", "|---|---|---|---|"]
    table += [f"| {r['operation']} | {r['cem_s']} | {r['lifetimes_s']} | {r['speedup']}x |" for r in rows]
    text = "\n".join([MARK_BEGIN, f"Measured {result['date']} in one run of `make bench` ({result['machine']}, 2 cores).",
                      "", *table, "",
                      f"Per-customer summaries identical to lifetimes': CDNOW {checks['identical_summary_cdnow']}, "
                      f"5 million rows {checks['identical_summary_generated']} "
                      f"(date order {checks['identical_summary_generated_by_date']}). BG/NBD on CDNOW: cem "
                      f"{checks['bgnbd_params_cem']}, lifetimes {checks['bgnbd_params_lifetimes']}.", MARK_END])
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
