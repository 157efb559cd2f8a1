"""One tool doing one task, from the file to the result, in the environment of the tool measured.

Usage: python bench_side.py TOOL TASK INPUT OUT_PREFIX [END_OR_REPEATS]

TOOL is cem, lifetimes, pm4py, duckdb or polars; TASK is

- ``rfm``: read the transactions CSV (``customer_id,date,amount``) and make the per-customer
  summary (frequency, recency and T in days, monetary value) at the end of observation END;
- ``fits``: the same, then the summary in weeks, then the BG/NBD fit and the Pareto/NBD fit;
- ``predict`` (cem only): INPUT is a summary in weeks (parquet); BG/NBD and Pareto/NBD fits,
  then each customer's expected purchases in 52 weeks, probability alive and DERT;
- ``events``: read the event log (CSV with XES column names, or XES) and make the
  directly-follows graph and the variants; the last argument is the number of repeats.

Each run is one process: ``OUT_PREFIX.json`` has the best wall-clock seconds of each step over
the repeats and the peak resident memory of the whole process (VmHWM: imports, reading,
everything). The results to compare are written after the clock stops: ``OUT_PREFIX.summary.parquet``
(customer_id as text), ``OUT_PREFIX.dfg.json`` and ``OUT_PREFIX.variants.json``.
"""
import json
import resource
import sys
import time
import warnings
from pathlib import Path

warnings.filterwarnings("ignore")
tool, task, src, prefix = sys.argv[1], sys.argv[2], sys.argv[3], Path(sys.argv[4])
end = sys.argv[5] if len(sys.argv) > 5 else None
CASE, ACT, TIME = "case:concept:name", "concept:name", "time:timestamp"
COLUMNS = ["frequency", "recency", "T", "monetary_value"]


def best(fn, repeats):
    """Best wall-clock seconds of ``repeats`` runs (the first of either tool pays one-off costs) and the result."""
    times, result = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return min(times), result


# -- RFM summary: read the file, one row per customer ------------------------------------------------
def summary_cem():
    from cem.clv import rfm
    from cem.readers import read_transactions

    tx, _ = read_transactions(src)
    return rfm(tx, end=end, freq="D")[COLUMNS]


def summary_lifetimes():
    import pandas as pd
    from lifetimes.utils import summary_data_from_transaction_data

    tx = pd.read_csv(src, parse_dates=["date"])
    return summary_data_from_transaction_data(tx, "customer_id", "date", "amount", observation_period_end=end,
                                              freq="D")[COLUMNS]


def summary_duckdb():
    import duckdb

    con = duckdb.connect()
    return con.execute(f"""
        WITH occasions AS (  -- purchases of one day are one occasion, their amounts summed
            SELECT customer_id, CAST(date AS DATE) AS day, sum(amount) AS amount
            FROM read_csv('{src}', types={{'date': 'DATE', 'amount': 'DOUBLE'}}, header=true)
            WHERE CAST(date AS DATE) <= DATE '{end}'
            GROUP BY ALL)
        SELECT customer_id, count(*) - 1 AS frequency,
               date_diff('day', min(day), max(day)) AS recency,
               date_diff('day', min(day), DATE '{end}') AS T,
               coalesce((sum(amount) - arg_min(amount, day)) / nullif(count(*) - 1, 0), 0) AS monetary_value
        FROM occasions GROUP BY customer_id""").df().set_index("customer_id")


def summary_polars():
    import polars as pl

    last = pl.lit(end).str.to_date()
    out = (pl.scan_csv(src, schema_overrides={"date": pl.Date, "amount": pl.Float64})
           .filter(pl.col("date") <= last)
           .group_by("customer_id", "date").agg(pl.col("amount").sum())
           .group_by("customer_id").agg(
               n=pl.len(), first=pl.col("date").min(), last=pl.col("date").max(), total=pl.col("amount").sum(),
               first_amount=pl.col("amount").sort_by("date").first())
           .select("customer_id", frequency=pl.col("n") - 1,
                   recency=(pl.col("last") - pl.col("first")).dt.total_days(),
                   T=(last - pl.col("first")).dt.total_days(),
                   monetary_value=pl.when(pl.col("n") > 1).then((pl.col("total") - pl.col("first_amount"))
                                                                / (pl.col("n") - 1)).otherwise(0.0))
           .collect())
    return out.to_pandas().set_index("customer_id")


def save_summary(summary):
    import pandas as pd

    s = summary.reset_index()
    s = s.rename(columns={s.columns[0]: "customer_id"})
    s["customer_id"] = s["customer_id"].astype(str)
    pd.DataFrame({"customer_id": s["customer_id"], **{c: s[c].astype(float) for c in COLUMNS}}).to_parquet(
        f"{prefix}.summary.parquet", index=False)


# -- BG/NBD and Pareto/NBD -----------------------------------------------------------------------------
def fitters():
    if tool == "cem":
        from cem.clv import fit_bgnbd, fit_pareto_nbd
        return (lambda s: fit_bgnbd(s).params), (lambda s: fit_pareto_nbd(s).params)
    from lifetimes import BetaGeoFitter, ParetoNBDFitter

    def fit(cls):
        return lambda s: dict(cls().fit(s["frequency"], s["recency"], s["T"]).params_)
    return fit(BetaGeoFitter), fit(ParetoNBDFitter)


def weeks(summary):
    s = summary.copy()
    s[["recency", "T"]] = s[["recency", "T"]] / 7.0  # the papers' unit
    return s


# -- event logs: directly-follows graph and variants ---------------------------------------------------
def events_cem():
    from cem import journeys
    from cem.readers import read_events

    events, _ = read_events(src)
    d = journeys.dfg(events, activity="activity")
    v = journeys.variants(events, activity="activity")
    return ({f"{a} -> {b}": int(c) for a, b, c in zip(d["source"], d["target"], d["count"])},
            dict(zip(v["variant"], map(int, v["cases"]))))


def events_pm4py():
    import pandas as pd
    import pm4py
    from pm4py.util import constants

    constants.SHOW_PROGRESS_BAR = False  # its progress bar on stderr is not the work
    df = pm4py.read_xes(src) if src.endswith((".xes", ".xes.gz")) else pd.read_csv(src)
    df = pm4py.format_dataframe(df, case_id=CASE, activity_key=ACT, timestamp_key=TIME)
    graph, _, _ = pm4py.discover_dfg(df)
    var = pm4py.get_variants(df)
    return ({f"{a} -> {b}": int(c) for (a, b), c in graph.items()},
            {" > ".join(v): int(c if isinstance(c, (int, float)) else len(c)) for v, c in var.items()})


def events_duckdb():
    import duckdb

    con = duckdb.connect()
    con.execute(f"""
        CREATE TEMP TABLE ev AS
        SELECT CAST("{CASE}" AS VARCHAR) AS c, CAST("{ACT}" AS VARCHAR) AS a, CAST("{TIME}" AS TIMESTAMPTZ) AS t,
               row_number() OVER () AS rn  -- events at the same time keep their file order
        FROM read_csv('{src}', all_varchar=true, header=true)""")
    dfg = con.execute("""
        SELECT a, nxt, count(*) FROM (
            SELECT a, lead(a) OVER (PARTITION BY c ORDER BY t, rn) AS nxt FROM ev)
        WHERE nxt IS NOT NULL GROUP BY ALL""").fetchall()
    var = con.execute("""
        SELECT v, count(*) FROM (SELECT string_agg(a, ' > ' ORDER BY t, rn) AS v FROM ev GROUP BY c)
        GROUP BY v""").fetchall()
    return {f"{a} -> {b}": int(n) for a, b, n in dfg}, {v: int(n) for v, n in var}


def events_polars():
    import polars as pl

    ev = (pl.read_csv(src, infer_schema=False, columns=[CASE, ACT, TIME])
          .with_row_index("rn")
          .with_columns(pl.col(TIME).str.to_datetime(time_zone="UTC"))
          .sort(CASE, TIME, "rn"))
    nxt = ev.with_columns(pl.col(ACT).shift(-1).over(CASE).alias("next"))
    dfg = nxt.filter(pl.col("next").is_not_null()).group_by(ACT, "next").len()
    var = ev.group_by(CASE, maintain_order=True).agg(pl.col(ACT).str.join(" > ")).group_by(ACT).len()
    return ({f"{a} -> {b}": int(n) for a, b, n in dfg.iter_rows()},
            {v: int(n) for v, n in var.iter_rows()})


def peak_gib():
    """Peak resident memory of this process so far (VmHWM: ru_maxrss would carry the parent's over exec)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 2 ** 20
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2 ** 20


def warm_up():
    """Import the tool before the clock starts: the repeats time the work, not the imports."""
    modules = {"cem": ["cem", "cem.clv", "cem.journeys", "cem.readers"], "lifetimes": ["pandas", "lifetimes"],
               "pm4py": ["pandas", "pm4py"], "duckdb": ["duckdb", "pandas"], "polars": ["polars", "pyarrow"]}[tool]
    for m in modules:
        __import__(m)


def main():
    out = {"tool": tool, "task": task}
    warm_up()
    if task in ("rfm", "fits"):
        summarise = {"cem": summary_cem, "lifetimes": summary_lifetimes, "duckdb": summary_duckdb,
                     "polars": summary_polars}[tool]
        big = Path(src).stat().st_size > 50e6  # the 5-million-row files: lifetimes takes a minute a repeat
        out["summary_s"], summary = best(summarise, 2 if big else 3)
        out["customers"] = len(summary)
        out["summary_peak_gib"] = peak_gib()
        save_summary(summary)
        if task == "fits":
            bgnbd, pnbd = fitters()
            s = weeks(summary)
            out["bgnbd_s"], out["bgnbd"] = best(lambda: bgnbd(s), 3)
            out["pnbd_s"], out["pnbd"] = best(lambda: pnbd(s), 1)  # lifetimes' takes minutes
    elif task == "predict":
        import pandas as pd
        from cem.clv import fit_bgnbd, fit_pareto_nbd

        s = pd.read_parquet(src).set_index("customer_id")
        out["customers"] = len(s)
        for name, fit in (("bgnbd", fit_bgnbd), ("pnbd", fit_pareto_nbd)):
            out[f"{name}_fit_s"], m = best(lambda: fit(s), 1)
            out[f"{name}_predict_s"], p = best(lambda: m.predict(s, 52, discount_rate=0.15 / 52), 1)
            out[name] = m.params
            out[f"{name}_expected_purchases"] = float(p["expected_purchases"].sum())
    elif task == "events":
        run = {"cem": events_cem, "pm4py": events_pm4py, "duckdb": events_duckdb, "polars": events_polars}[tool]
        repeats = int(end or 3)
        out["seconds"], (dfg, variants) = best(run, repeats)
        out["dfg_edges"], out["variants"] = len(dfg), len(variants)
        out["events"] = sum(dfg.values()) + sum(variants.values())  # directly-follows pairs + cases
        Path(f"{prefix}.dfg.json").write_text(json.dumps(dfg, sort_keys=True))
        Path(f"{prefix}.variants.json").write_text(json.dumps(variants, sort_keys=True))
    else:
        sys.exit(f"unknown task {task}")
    out["peak_gib"] = peak_gib()
    Path(f"{prefix}.json").write_text(json.dumps(out, indent=2, default=float))
    print(json.dumps(out, default=float))


if __name__ == "__main__":
    main()
