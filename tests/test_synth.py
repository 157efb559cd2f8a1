"""The generator: deterministic, honest about what it planted, careful with existing files."""
import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from cem import InputError, load_model
from cem.synth import customer_needs, survey, write_study_data
from conftest import EXAMPLES, MINI


def test_same_seed_same_data_other_seed_other_data():
    G = load_model(EXAMPLES / "payroll")
    a1, c1, t1 = survey(G, n=50, seed=5)
    a2, c2, t2 = survey(G, n=50, seed=5)
    a3, _, _ = survey(G, n=50, seed=6)
    pd.testing.assert_frame_equal(a1, a2)
    pd.testing.assert_frame_equal(c1, c2)
    assert t1 == t2 and not a1.equals(a3)


def test_only_customer_side_needs_are_surveyed():
    G = load_model(EXAMPLES / "solar")
    needs = customer_needs(G)
    assert "N_price_time" in needs and "N_income_check" not in needs  # the loan officer's need
    answers, _, _ = survey(G, n=10, seed=0)
    assert set(answers["need_id"]) == set(needs)
    assert answers[["importance", "satisfaction"]].stack().dropna().between(1, 5).all()


def test_planted_needs_must_be_customer_needs():
    G = load_model(EXAMPLES / "solar")
    with pytest.raises(ValueError, match="not a customer need"):
        survey(G, n=10, underserved=["N_income_check"])


def test_write_refuses_to_overwrite_and_copies_the_model(tmp_path):
    study = tmp_path / "bikes"
    study.mkdir()
    (study / "model.yaml").write_text(MINI.replace("needs:\n", "needs:\n  - {id: N2, step: S2, actor: rider, "
                                                   "dimension: social, statement: Maximize the pride of a quiet bike}\n"))
    out = tmp_path / "generated"
    written = write_study_data(study, out, n=20, seed=1, customers=50, prospects=10)
    assert {p.name for p in written} == {"model.yaml", "survey.csv", "customers.csv", "events.csv",
                                         "transactions.csv", "synth_truth.json"}
    before = (out / "survey.csv").read_text()
    with pytest.raises(InputError, match="exists already; pass --force"):
        write_study_data(study, out, n=30, seed=2)
    assert (out / "survey.csv").read_text() == before  # nothing overwritten
    write_study_data(study, out, n=30, seed=2, force=True, customers=40, prospects=0)
    truth = json.loads((out / "synth_truth.json").read_text())
    assert truth["respondents"] == 30 and truth["customers"] == 40


@pytest.mark.parametrize("name, seed, names, value", [("solar", 7, "mainstream,early_adopter", 12000),
                                                      ("payroll", 11, "steady,scaling", 25000)])
def test_committed_example_data_is_reproducible(tmp_path, name, seed, names, value):
    # The commands that made the examples' data (README: Generated data).
    r = subprocess.run([sys.executable, "-m", "cem.cli", "synth", str(EXAMPLES / name), "--out", str(tmp_path),
                        "--seed", str(seed), "--segments", names, "--purchase-value", str(value)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    for f in ("survey.csv", "customers.csv", "events.csv", "transactions.csv", "synth_truth.json"):
        assert (tmp_path / f).read_bytes() == (EXAMPLES / name / f).read_bytes(), f
    assert json.loads((tmp_path / "synth_truth.json").read_text())["respondents"] >= 300


def test_cli_synth_bad_segments(tmp_path):
    r = subprocess.run([sys.executable, "-m", "cem.cli", "synth", str(EXAMPLES / "solar"), "--out", str(tmp_path),
                        "--segments", "onlyone"], capture_output=True, text=True)
    assert r.returncode == 2 and "expects two names" in r.stderr and not list(tmp_path.iterdir())


def test_events_follow_the_designed_journey():
    G = load_model(EXAMPLES / "solar")
    from cem.graph import journey_steps
    from cem.synth import journey_events

    events, churned, truth = journey_events(G, [f"C{i}" for i in range(200)], prospects=100, seed=1)
    order = {s: i for i, s in enumerate(journey_steps(G))}
    for _, e in events.groupby("customer_id"):
        positions = e.sort_values("timestamp")["step"].map(order).tolist()
        assert positions == sorted(positions)  # nobody walks the journey backwards
    prospects = events[events["customer_id"].str.startswith("P")]
    assert prospects["revenue"].isna().all() and not prospects["step"].isin(["S_install", "S_monitor"]).any()
    assert 0.1 < churned.mean() < 0.35 and truth["planted_step"] == "S_permit"


def test_large_event_log_from_the_command_line(tmp_path):
    from cem.journeys import conformance
    from cem.readers import read_events

    r = subprocess.run([sys.executable, "-m", "cem.cli", "synth", str(EXAMPLES / "solar"), "--out", str(tmp_path),
                        "--log-events", "20000", "--seed", "3"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    G = load_model(tmp_path)
    events, _ = read_events(tmp_path / "events.parquet", G)
    assert len(events) == 20000 and events["step"].notna().all()
    summary, table, cases = conformance(events, G)
    # Planted: 80 % designed moves and 8 % repeats (both designed), 5 % skips, 2 % steps back.
    assert 0.85 < summary["designed_share"] < 0.97 and summary["skip"] > 0 and summary["backward"] > 0
    r = subprocess.run([sys.executable, "-m", "cem.cli", "synth", str(EXAMPLES / "solar"), "--out", str(tmp_path),
                        "--log-events", "100"], capture_output=True, text=True)
    assert r.returncode == 2 and "exists already" in r.stderr


@pytest.mark.parametrize("args, says", [
    (["--respondents", "-5"], "--respondents: must be a positive whole number; got -5"),
    (["--respondents", "0"], "--respondents: must be a positive whole number; got 0"),
    (["--customers", "0"], "--customers: must be a positive whole number; got 0"),
    (["--prospects", "-1"], "--prospects: must be a whole number of at least 0; got -1"),
    (["--seed", "-3"], "--seed: must be a whole number of at least 0; got -3"),
    (["--purchase-value", "-10"], "--purchase-value: must be a positive amount; got -10.0"),
    (["--planted-step", "S_1"], "--planted-step: 'S_1' is not a customer step of the model; did you mean 'S1'?"),
    (["--log-events", "-1"], "--log-events: must be a positive whole number; got -1"),
])
def test_bad_options_are_refused_before_anything_is_written(tmp_path, write_model, capsys, args, says):
    from cem.cli import main

    write_model(MINI)
    out = tmp_path / "out"
    assert main(["synth", str(tmp_path), "--out", str(out), *args]) == 2
    assert capsys.readouterr().err.strip() == says
    assert not out.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["model.yaml", "out"][:1]


def test_a_contractual_study_gets_monthly_payments_until_the_customer_cancels(tmp_path):
    # payroll's study.yaml: relationship: contractual, period: month
    write_study_data(EXAMPLES / "payroll", tmp_path, n=40, seed=3, customers=400, prospects=0)
    truth = json.loads((tmp_path / "synth_truth.json").read_text())["transactions"]
    assert truth["relationship"] == "contractual" and truth["period"] == "month"
    assert truth["dropout_effect"]["per_rating_point"] == -0.9 and "Beta(alpha exp(per_rating_point" in \
        truth["dropout_effect"]["note"]
    tx = pd.read_csv(tmp_path / "transactions.csv", parse_dates=["date"])
    customers = pd.read_csv(tmp_path / "customers.csv").set_index("customer_id")
    month = tx["date"].dt.year * 12 + tx["date"].dt.month
    # One payment a month, in consecutive months from the first: a contract, not purchases at will.
    assert not tx.assign(m=month).duplicated(["customer_id", "m"]).any()
    span = month.groupby(tx["customer_id"]).agg(["min", "max", "size"])
    assert (span["max"] - span["min"] + 1 == span["size"]).all()
    # Those who missed a whole month before the data end cancelled; those under contract paid lately.
    last = month.max()  # the data may end on the first days of a month
    stopped = span["max"] < last - 1
    assert (customers.loc[span.index[stopped], "churned"] == 1).all() and stopped.mean() > 0.3
    assert (customers.loc[customers["churned"] == 0].index.isin(span.index[~stopped])).all()


def test_contractual_payments_follow_the_planted_churn_factor():
    from cem.synth import contractual_transactions

    x = np.r_[np.zeros(4000), np.ones(4000)]
    tx, alive = contractual_transactions(x, effect=-0.9, sbg=(0.5, 20.0), weeks=52, seed=5)
    first = tx.groupby("customer_id")["date"].size()
    # Churn after the first month: E[theta] = alpha / (alpha + beta), alpha multiplied by exp(-0.9) for x = 1.
    one = first.reindex(range(8000), fill_value=0)
    churn_first = [(one[:4000] == 1).mean(), (one[4000:] == 1).mean()]
    assert churn_first[0] == pytest.approx(0.5 / 20.5, abs=0.01)
    assert churn_first[1] == pytest.approx(0.5 * np.exp(-0.9) / (0.5 * np.exp(-0.9) + 20), abs=0.006)
    assert alive[4000:].mean() > alive[:4000].mean()


def test_weekly_contracts_pay_every_seven_days():
    from cem.synth import contractual_transactions

    tx, alive = contractual_transactions(np.zeros(300), period="week", sbg=(1.0, 30.0), weeks=20, seed=2)
    gaps = tx.groupby("customer_id")["date"].diff().dropna().dt.days
    assert len(gaps) > 1000 and (gaps == 7).all()
    assert tx["date"].max() <= pd.Timestamp("2024-01-01") + pd.Timedelta(weeks=20) and 0 < alive.mean() < 1
