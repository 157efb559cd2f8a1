"""Run every benchmark in one go and write the results into benchmarks/results.json and README.md.

Usage (from the project root, after `make bench` made the environments):
python benchmarks/run.py [clv] [journeys] [batch]   (every section by default)
python benchmarks/run.py render                     (only rewrite README's tables from results.json)

Every row times what a user runs, from the file to the result, each tool in its own process
(bench_side.py), on files in the order they come in: transactions in random order, event logs
with each case's events out of time order, integer and text ids.

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


TOOLS_CLV = ("cem", "lifetimes", "duckdb", "polars")
TOOLS_EVENTS = ("cem", "pm4py", "duckdb", "polars")


def python_of(tool):
    """The interpreter that runs ``tool``: cem's own venv, pm4py's, or the reference venv."""
    return {"cem": Path(sys.executable), "pm4py": PM4PY}.get(tool, REF)


def shuffled(frame, seed):
    """``frame``'s rows in random order, as exports from a shop or a CRM come."""
    return frame.sample(frac=1.0, random_state=seed).reset_index(drop=True)


def generated_transactions():
    """Transactions CSVs in random row order (``customer_id,date,amount``, one day per date): the real
    CDNOW sample; 50,000 generated customers (text ids); 500,000 generated customers, about 5.4 million
    rows, once with integer ids and once with text ids. Returns ``{name: (path, end of observation)}``."""
    from cem.readers import read_cdnow
    from cem.synth import transactions

    files = {}
    path = OUT / "tx_cdnow.csv"
    if not path.exists():
        cdnow = read_cdnow(CDNOW)[["customer_id", "date", "amount"]]
        shuffled(cdnow, 1).to_csv(path, index=False, date_format="%Y-%m-%d")
    files["cdnow"] = (path, "1997-09-30")
    for name, n, seed in (("50k", 50_000, 3), ("5m", 500_000, 2)):
        text = OUT / f"tx_{name}_text.csv"
        if not text.exists():
            tx = shuffled(transactions(n, bgnbd=(0.8, 4.0, 0.5, 4.0), weeks=104, seed=seed), seed)
            tx.to_csv(text, index=False, date_format="%Y-%m-%d")
            if name == "5m":
                tx["customer_id"] = tx["customer_id"].str[1:].astype(np.int64)
                tx.to_csv(OUT / "tx_5m_int.csv", index=False, date_format="%Y-%m-%d")
        end = str(pd.read_csv(text, usecols=["date"])["date"].max())
        files[f"{name}_text"] = (text, end)
        if name == "5m":
            files["5m_int"] = (OUT / "tx_5m_int.csv", end)
            hexed = OUT / "tx_5m_hex.csv"  # ids with no number in them (as UUIDs, e-mail hashes): hashed as text
            if not hexed.exists():
                tx = pd.read_csv(text, dtype={"customer_id": str})
                codes, uniques = pd.factorize(tx["customer_id"])
                tokens = np.array([f"{v:012x}" for v in np.random.default_rng(5).choice(2 ** 48, len(uniques),
                                                                                        replace=False)])
                tx["customer_id"] = tokens[codes]
                tx.to_csv(hexed, index=False)
            files["5m_hex"] = (hexed, end)
    return files


def generated_logs():
    """Event logs along the solar example's journey (cem.synth.event_log) as CSVs with XES column
    names, each case's events together but not in time order (shuffled within the case): 2 million
    events with text and with integer case ids, 10 million with text ids."""
    import cem
    from cem.synth import event_log

    G = cem.load_model(ROOT / "cem" / "examples" / "solar")
    paths = {}
    for name, n, integer in (("2m_text", 2_000_000, False), ("2m_int", 2_000_000, True),
                             ("10m_text", 10_000_000, False)):
        path = OUT / f"events_{name}.csv"
        if not path.exists():
            ev = event_log(G, n, seed=1)
            rng = np.random.default_rng(7)
            order = np.lexsort((rng.random(len(ev)), ev["customer_id"].to_numpy()))  # time order lost within a case
            ev = ev.iloc[order]
            case = ev["customer_id"].str[1:].astype(np.int64) if integer else ev["customer_id"]
            pd.DataFrame({"case:concept:name": case.to_numpy(), "concept:name": ev["step"].astype(str).to_numpy(),
                          "time:timestamp": ev["timestamp"].dt.strftime("%Y-%m-%dT%H:%M:%S+00:00").to_numpy()}
                         ).to_csv(path, index=False)
        paths[name] = path
    return paths


def warm(path):
    """Read ``path`` once so that every tool finds it in the page cache (the first to run would pay the disk)."""
    with open(path, "rb") as f:
        while f.read(1 << 24):
            pass


def side(tool, task, src, name, extra=None):
    """Run one tool on one task in its own process (its own peak memory); its JSON, or None when its
    environment is missing or it failed (the error is kept in out/<name>.err)."""
    python = python_of(tool)
    if not python.exists():
        return None
    prefix = OUT / f"{name}_{tool}"
    cmd = [str(python), str(ROOT / "benchmarks" / "bench_side.py"), tool, task, str(src), str(prefix)]
    cmd += [str(extra)] if extra is not None else []
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode:
        (OUT / f"{name}_{tool}.err").write_text(done.stderr)
        print(f"{tool} {task} {name} failed: {done.stderr[-800:]}", file=sys.stderr)
        return None
    print(f"  {tool:9s} {task:7s} {name}: {done.stdout.strip()[:200]}", file=sys.stderr)
    return json.loads(Path(f"{prefix}.json").read_text())


def _by_customer(path):
    """A saved summary indexed by customer: ids that are all digits as numbers (cem keeps ids as text,
    "06821"; pandas, DuckDB and polars read them as integers, 6821)."""
    s = pd.read_parquet(path)
    ids = s["customer_id"].astype(str)
    if ids.str.fullmatch(r"\d+").all():
        ids = ids.astype(np.int64)
    return s.assign(customer_id=ids).set_index("customer_id").sort_index()


def same_summaries(name, tool):
    """``tool``'s per-customer summary equal to cem's (same customers, values to 1e-9)."""
    a = _by_customer(OUT / f"{name}_cem.summary.parquet")
    b = _by_customer(OUT / f"{name}_{tool}.summary.parquet")
    return bool(len(a) == len(b) and a.index.equals(b.index) and all(
        np.allclose(a[c], b[c], rtol=1e-9, atol=1e-6) for c in ["frequency", "recency", "T", "monetary_value"]))


def same_json(name, tool, what):
    a = json.loads((OUT / f"{name}_cem.{what}.json").read_text())
    b = json.loads((OUT / f"{name}_{tool}.{what}.json").read_text())
    return a == b


def rounded(params, digits=4):
    """Parameters to ``digits`` significant digits."""
    return {k: float(f"{v:.{digits}g}") for k, v in params.items()}


def max_rel_diff(a, b):
    return max(abs(a[k] - b[k]) / abs(b[k]) for k in b)


TX_LABELS = {"cdnow": "CDNOW sample (real): 6,919 rows, 2,357 customers, text ids",
             "50k_text": "generated: 50,000 customers, text ids", "5m_int": "generated: 500,000 customers, integer ids",
             "5m_text": "generated: 500,000 customers, text ids (C0000042)",
             "5m_hex": "generated: 500,000 customers, text ids without a number (hex, 5c1f0e9a3b27)"}


def clv_benchmark():
    """RFM summaries and fits from the transactions file, against lifetimes, DuckDB and polars."""
    files = generated_transactions()
    rfm_rows, fit_rows = [], []
    for name, (path, end) in files.items():
        warm(path)
        rows_in_file = sum(1 for _ in open(path)) - 1
        task = "fits" if name in ("cdnow", "50k_text") else "rfm"
        res = {tool: side(tool, task if tool in ("cem", "lifetimes") else "rfm", path, f"tx_{name}", end)
               for tool in TOOLS_CLV}
        c, lt = res["cem"], res["lifetimes"]
        row = {"data": TX_LABELS[name], "rows": rows_in_file, "customers": c["customers"],
               **{f"{t}_s": round(r["summary_s"], 3) if r else None for t, r in res.items()},
               **{f"{t}_peak_gib": round(r["summary_peak_gib"], 2) if r else None for t, r in res.items()},
               "speedup_lifetimes": round(lt["summary_s"] / c["summary_s"], 1),
               "identical": {t: same_summaries(f"tx_{name}", t) for t, r in res.items() if r and t != "cem"}}
        rfm_rows.append(row)
        if task == "fits":
            for model, label in (("bgnbd", "BG/NBD"), ("pnbd", "Pareto/NBD")):
                fit_rows.append({"data": TX_LABELS[name], "model": label, "customers": c["customers"],
                                 "cem_s": round(c[f"{model}_s"], 3), "lifetimes_s": round(lt[f"{model}_s"], 3),
                                 "speedup": round(lt[f"{model}_s"] / c[f"{model}_s"], 1),
                                 "cem_file_to_fit_s": round(c["summary_s"] + c[f"{model}_s"], 3),
                                 "lifetimes_file_to_fit_s": round(lt["summary_s"] + lt[f"{model}_s"], 3),
                                 "cem_params": rounded(c[model]), "lifetimes_params": rounded(lt[model]),
                                 "max_rel_diff": float(f"{max_rel_diff(c[model], lt[model]):.2g}")})
    # Fits and predictions at client scale: the first 200,000 customers of cem's 5-million-row summary, in weeks.
    big = pd.read_parquet(OUT / "tx_5m_int_cem.summary.parquet").sort_values("customer_id").iloc[:200_000]
    big[["recency", "T"]] /= 7.0
    big.to_parquet(OUT / "summary_200k.parquet", index=False)
    p = side("cem", "predict", OUT / "summary_200k.parquet", "predict_200k")
    scale = {k: (round(v, 2) if isinstance(v, float) else v) for k, v in p.items() if k not in ("tool", "task")}
    return {"rfm": rfm_rows, "fits": fit_rows, "predict_200k": scale}


LOG_LABELS = {"helpdesk": "help-desk (real, XES)", "receipt": "permit receipt (real, CSV)",
              "2m_text": "generated 2 M, text ids", "2m_int": "generated 2 M, integer ids",
              "10m_text": "generated 10 M, text ids"}


def journeys_benchmark():
    """Read + DFG + variants from the event-log file, against pm4py, DuckDB and polars."""
    logs = {"helpdesk": REAL / "helpdesk.xes.gz", "receipt": REAL / "receipt.csv", **generated_logs()}
    repeats = {"helpdesk": 5, "receipt": 5, "2m_text": 3, "2m_int": 3, "10m_text": 1}  # pm4py: 2 minutes a 10 M run
    rows = []
    for name, path in logs.items():
        warm(path)
        tools = TOOLS_EVENTS if path.suffix == ".csv" else ("cem", "pm4py")  # DuckDB and polars read no XES
        res = {tool: side(tool, "events", path, f"events_{name}", repeats[name]) for tool in tools}
        c, p = res["cem"], res["pm4py"]
        rows.append({"log": LOG_LABELS[name], "events": c["events"],
                     "cases": sum(json.loads((OUT / f"events_{name}_cem.variants.json").read_text()).values()),
                     "dfg_edges": c["dfg_edges"], "variants": c["variants"],
                     **{f"{t}_s": round(r["seconds"], 3) if r else None for t, r in res.items()},
                     **{f"{t}_peak_gib": round(r["peak_gib"], 2) if r else None for t, r in res.items()},
                     "speedup_pm4py": round(p["seconds"] / c["seconds"], 1) if p else None,
                     "identical": {t: same_json(f"events_{name}", t, "dfg") and same_json(f"events_{name}", t, "variants")
                                   for t, r in res.items() if r and t != "cem"}})
    return rows


def fmt(v, unit=""):
    return "n/a" if v is None else f"{v}{unit}"


def clv_text(res):
    out = ["RFM summary, from the transactions CSV (rows in random order) to one row per customer "
           "(frequency, recency, T, monetary value; purchases of a day are one occasion):", "",
           "| transactions | rows | cem (s) | lifetimes (s) | cem faster than lifetimes by | DuckDB (s) | polars (s) | "
           "peak memory (GiB): cem / lifetimes / DuckDB / polars | summaries identical to cem's |",
           "|---|---|---|---|---|---|---|---|---|"]
    for r in res["rfm"]:
        same = ", ".join(f"{t} {v}" for t, v in r["identical"].items())
        out.append(f"| {r['data']} | {r['rows']:,} | {fmt(r['cem_s'])} | {fmt(r['lifetimes_s'])} | "
                   f"**{r['speedup_lifetimes']}x** | {fmt(r['duckdb_s'])} | {fmt(r['polars_s'])} | "
                   f"{fmt(r['cem_peak_gib'])} / {fmt(r['lifetimes_peak_gib'])} / {fmt(r['duckdb_peak_gib'])} / "
                   f"{fmt(r['polars_peak_gib'])} | {same} |")
    out += ["", "Fits on each tool's summary of the same file (time in weeks): cem's `fit_bgnbd` / `fit_pareto_nbd` "
            "against lifetimes' `BetaGeoFitter` / `ParetoNBDFitter`; file to fit = read + summary + fit:", "",
            "| data | model | cem fit (s) | lifetimes fit (s) | cem faster by | file to fit: cem / lifetimes (s) | "
            "estimates, cem | estimates, lifetimes | largest relative difference |", "|---|---|---|---|---|---|---|---|---|"]
    for r in res["fits"]:
        out.append(f"| {r['data']} | {r['model']} | {r['cem_s']} | {r['lifetimes_s']} | **{r['speedup']}x** | "
                   f"{r['cem_file_to_fit_s']} / {r['lifetimes_file_to_fit_s']} | {r['cem_params']} | "
                   f"{r['lifetimes_params']} | {r['max_rel_diff']} |")
    big = [r for r in res["rfm"] if r["rows"] > 1_000_000]
    fits50 = [r for r in res["fits"] if r["customers"] == 50_000]
    worst = max(r["max_rel_diff"] for r in res["fits"])
    out += ["", "Targets (issues 14 and 16): RFM summary at least 8x lifetimes on integer and on text ids in random order: "
            + "; ".join(f"{r['data'].split(': ', 1)[-1]} {r['speedup_lifetimes']}x "
                        f"({'met' if r['speedup_lifetimes'] >= 8 else 'not met'})" for r in big)
            + ". Fits at least 5x lifetimes' on the same 50,000 customers: "
            + "; ".join(f"{r['model']} {r['speedup']}x ({'met' if r['speedup'] >= 5 else 'not met'})" for r in fits50)
            + f"; the estimates of the two tools differ by at most {worst:.1g} (relative)"
            + (", i.e. agree to about 4 significant digits or better." if worst < 5e-4 else ".")]
    p = res["predict_200k"]
    out += ["", f"At client scale ({p['customers']:,} customers, cem alone): BG/NBD fit {p['bgnbd_fit_s']} s and "
            f"predictions (expected purchases in 52 weeks, probability alive, DERT) {p['bgnbd_predict_s']} s; "
            f"Pareto/NBD fit {p['pnbd_fit_s']} s and predictions {p['pnbd_predict_s']} s."]
    return out


def journey_table(rows):
    if not rows:
        return ["(event-log benchmark not run: benchmarks/.venv-pm4py is missing)"]
    out = ["Event logs, from the file to the directly-follows graph and the variants (read + DFG + variants; CSVs with "
           "XES column names, each case's events out of time order):", "",
           "| event log | events | cases | cem (s) | pm4py (s) | cem faster than pm4py by | DuckDB (s) | polars (s) | "
           "peak memory (GiB): cem / pm4py / DuckDB / polars | DFG and variants identical to cem's |",
           "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        same = ", ".join(f"{t} {v}" for t, v in r["identical"].items())
        out.append(f"| {r['log']} ({r['dfg_edges']} edges, {r['variants']:,} variants) | {r['events']:,} | "
                   f"{r['cases']:,} | {fmt(r['cem_s'])} | {fmt(r['pm4py_s'])} | **{fmt(r['speedup_pm4py'], 'x')}** | "
                   f"{fmt(r.get('duckdb_s'))} | {fmt(r.get('polars_s'))} | {fmt(r['cem_peak_gib'])} / "
                   f"{fmt(r['pm4py_peak_gib'])} / {fmt(r.get('duckdb_peak_gib'))} / {fmt(r.get('polars_peak_gib'))} | "
                   f"{same} |")
    met = [r for r in rows if r["speedup_pm4py"] is not None]
    out += ["", "Target (issue 16): at least 5x pm4py end to end: " + "; ".join(
        f"{r['log']} {r['speedup_pm4py']}x ({'met' if r['speedup_pm4py'] >= 5 else 'not met'})" for r in met) + "."]
    return out


def batch_text(b):
    return [
        "| 24 report runs (2 studies x 12 segments, " + f"{b['notebooks']} notebooks) | wall time (s) | per run: "
        "in cells (s) | per run: overhead (s) |", "|---|---|---|---|",
        f"| shell loop: `papermill` then `jupyter nbconvert --to html --no-input` per notebook | {b['loop_wall_s']} | "
        f"{b['loop_cell_s_per_run']} | {b['loop_overhead_s_per_run']} |",
        f"| `cem report --by branch --jobs 2` | {b['cem_wall_s']} | {b['cem_cell_s_per_run']} | "
        f"{b['cem_overhead_s_per_run']} |", "",
        f"cem is **{b['speedup']}x** faster (target 5x on 2 cores); {b['cem_ok']} of {b['runs']} runs ok; "
        f"metrics.json identical between the two in every run: {not b['metrics_differ']}"
        + (f" (differ: {', '.join(b['metrics_differ'])})" if b["metrics_differ"] else "") + ". Overhead per run is its "
        "time minus the seconds inside the cells; cem's is measured inside each worker (the two workers run "
        "side by side), the loop's is its wall time per run."]


SECTIONS = ("clv", "journeys", "batch")


def load_results(path):
    """The last results of each section, from results.json (sections in an older layout are dropped)."""
    results = json.loads(path.read_text()) if path.exists() else {}
    if "clv" in results and "rfm" not in results["clv"]:
        del results["clv"]
    if "journeys" in results and "scale_10m" in results["journeys"]:
        del results["journeys"]
    return {k: v for k, v in results.items() if k in SECTIONS}


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
            if not REF.exists():
                sys.exit("benchmarks/.venv-ref is missing: run `make bench`")
            results["clv"] = {**stamp, **clv_benchmark()}
        elif name == "journeys" and PM4PY.exists():
            results["journeys"] = {**stamp, "rows": journeys_benchmark()}
        elif name == "batch":
            from bench_batch import batch_benchmark

            results["batch"] = {**stamp, **batch_benchmark(OUT / "batch")}
    path.write_text(json.dumps(results, indent=2) + "\n")
    render(results)


def render(results):
    """Rewrite the tables between the README's bench markers from ``results``."""
    parts = [MARK_BEGIN]
    for name, title in (("clv", "Transactions to customer-base models: against lifetimes, DuckDB and polars"),
                        ("journeys", "Event logs: against pm4py, DuckDB and polars"), ("batch", "Batch reports")):
        res = results.get(name)
        if not res:
            continue
        how = ("wall-clock seconds of one run each" if name == "batch" else
               "wall-clock seconds from the file to the result, best of the repeats, each tool in its own process")
        parts += [f"**{title}**, measured {res['date']} in one run of `make bench` ({res['machine']}, 2 cores; "
                  f"{how}).", ""]
        if name == "clv":
            parts += clv_text(res)
        elif name == "journeys":
            parts += journey_table(res["rows"])
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
