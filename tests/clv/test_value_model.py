"""The one value model: model choice, the base value, its round trip through metrics.json."""
import json

import numpy as np
import pandas as pd
import pytest

from cem import load_study, valuation
from cem.clv import ValueModel, calibration_holdout, choose_model, fit_value_model, lifetime_value
from cem.clv.value_model import _raised
from conftest import EXAMPLES


def test_a_flagged_fit_is_never_chosen(monkeypatch):
    from cem.clv import value_model as vm

    class Fit:
        def __init__(self, error, warning=None):
            self.error, self.fit_warning, self.loglik = error, warning, -1.0

    fits = {"A": Fit(0.01, "s and beta run away together (a ridge)"), "B": Fit(-0.08), "C": Fit(0.20)}
    monkeypatch.setattr(vm, "_fitters", lambda: {k: (lambda f: (lambda s, source=None: f))(f) for k, f in fits.items()})
    monkeypatch.setattr("cem.clv.lifetime.holdout_error", lambda m, d: {"total_error": m.error})
    chosen, table, reason = choose_model(pd.DataFrame())
    assert chosen == "B" and table.set_index("model")["chosen"].to_dict() == {"A": False, "B": True, "C": False}
    assert "B predicts the holdout period's purchases best (-8.0%" in reason and "A +1.0% (flagged: not used)" in reason


def test_every_fit_flagged_gives_no_model(monkeypatch):
    from cem.clv import value_model as vm

    class Fit:
        fit_warning, loglik = "a singular Hessian", -1.0

    monkeypatch.setattr(vm, "_fitters", lambda: {"A": lambda s, source=None: Fit()})
    monkeypatch.setattr("cem.clv.lifetime.holdout_error", lambda m, d: {"total_error": 0.0})
    chosen, _, reason = choose_model(pd.DataFrame())
    assert chosen is None and "no model values this base" in reason


def test_raising_a_step_moves_only_those_below_the_target():
    ratings = pd.DataFrame({"S1": [2.0, 5.0, np.nan], "S2": [3.0, 3.0, 4.0]}, index=["a", "b", "c"])
    centred = (ratings - ratings.mean()).fillna(0.0)
    raised = _raised(centred, ratings, ["S1"], 5.0)
    # a rated S1 2 (mean 3.5): raised to 5 -> +1.5; b is at the target; c did not rate it.
    assert raised["S1"].tolist() == [1.5, 1.5, 0.0] and raised["S2"].equals(centred["S2"])


@pytest.fixture(scope="module")
def solar_value():
    return fit_value_model(load_study(EXAMPLES / "solar"), draws=20)


def test_the_base_value_is_the_chosen_models_lifetime_value(solar_value):
    vm = solar_value
    assert vm.model in vm.candidates.loc[vm.candidates["chosen"], "model"].tolist()
    assert vm.customers > 0 and vm.base_value > 0 and vm.currency == "EUR" and vm.horizon_years == 20  # study.yaml
    flagged = vm.candidates[vm.candidates["fit_warning"].notna()]
    assert vm.model not in flagged["model"].tolist()


def test_the_value_model_round_trips_through_metrics(solar_value):
    data = json.loads(json.dumps(solar_value.to_dict()))
    back = ValueModel.from_dict(data)
    assert back.model == solar_value.model and back.base_value == pytest.approx(solar_value.base_value, abs=0.01)
    assert back.at_stake["step"].tolist() == solar_value.at_stake["step"].tolist()


def test_a_run_computes_the_value_model_once(tmp_path, monkeypatch):
    study = load_study(EXAMPLES / "solar")
    calls = []
    real = valuation.fit_value_model
    monkeypatch.setattr(valuation, "fit_value_model", lambda s, **o: calls.append(o) or real(s, **o))
    first = valuation.value_model(study, tmp_path, draws=5)
    again = valuation.value_model(load_study(EXAMPLES / "solar"), tmp_path, draws=5)
    assert len(calls) == 1 and again.base_value == pytest.approx(first.base_value, abs=0.01)
    saved = json.loads((tmp_path / "metrics.json").read_text())["value_model"]
    assert saved["base_value"] == round(first.base_value, 2) and saved["inputs"]
    valuation.value_model(study, tmp_path, draws=6)  # another option: fitted anew
    assert len(calls) == 2


def test_a_study_without_transactions_has_no_value_model(tmp_path):
    from conftest import MINI

    (tmp_path / "model.yaml").write_text(MINI)
    assert fit_value_model(load_study(tmp_path)) is None


def test_too_few_customers_value_nothing_and_say_why(tmp_path):
    from conftest import MINI

    from cem.narrative import explain_value_model
    from cem.summary import priorities

    (tmp_path / "model.yaml").write_text(MINI)
    rows = "".join(f"c{i},2024-01-0{1 + i % 5},{10 + i}\nc{i},2024-03-0{1 + i % 5},{20 + i}\n" for i in range(8))
    (tmp_path / "transactions.csv").write_text("customer_id,date,amount\n" + rows)
    study = load_study(tmp_path)
    vm = fit_value_model(study)
    assert vm.model == "none" and np.isnan(vm.base_value) and vm.at_stake.empty
    assert "too few" in vm.reason
    assert explain_value_model(vm).startswith("No lifetime value is shown: ")
    assert len(priorities(study, vm)) > 0  # the summary still ranks, by the design


# Contractual customers (relationship: contractual in study.yaml)

def test_renewal_histories_read_cancellations_only_from_whole_unpaid_periods():
    from cem.clv import renewal_histories

    tx = pd.DataFrame({"customer_id": ["a", "a", "b", "b", "b", "c", "d"],
                       "date": pd.to_datetime(["2024-01-10", "2024-02-10", "2024-01-03", "2024-02-03", "2024-04-03",
                                               "2024-04-10", "2024-04-20"]),
                       "amount": [10.0, 10.0, 5.0, 5.0, 5.0, 7.0, 8.0]})
    h, last = renewal_histories(tx, "month")
    # The data end on 2024-04-20: April is not whole, so its payments are left out and d (who
    # started in April) is not valued yet; a stopped paying after February: March went unpaid.
    assert sorted(h.index) == ["a", "b"] and h.loc["a", "churned"] == 1 and h.loc["a", "periods"] == 2
    # b skipped March (gaps are BG/BB's matter); its last whole month paid is February, March unpaid.
    assert h.loc["b", "paid"] == 2 and h.loc["b", "churned"] == 1
    h, _ = renewal_histories(tx, "month", end="2024-04-30")
    assert h.loc["b", "churned"] == 0 and h.loc["b", "periods"] == 4 and h.loc["b", "paid"] == 3
    assert h.loc["d", "periods"] == 1 and h.loc["d", "churned"] == 0 and h.loc["d", "spend"] == 8.0
    h, _ = renewal_histories(tx, "quarter", end="2024-06-30")
    assert h.loc["a", "periods"] == 1 and h.loc["a", "churned"] == 1 and h.loc["c", "churned"] == 0


@pytest.fixture(scope="module")
def payroll_value():
    return fit_value_model(load_study(EXAMPLES / "payroll"), draws=30)


def test_a_contractual_study_is_valued_by_the_sbg_with_derl(payroll_value):
    from cem.clv import SBG, customer_values, renewal_curves

    vm = payroll_value
    assert vm.relationship == "contractual" and vm.period == "month" and vm.model == "sBG"
    assert vm.candidates["model"].tolist() == ["sBG", "BG/BB"] and vm.candidates["holdout_error"].notna().all()
    assert abs(vm.candidates.set_index("model").loc["sBG", "holdout_error"]) < 0.05
    assert vm.base_low < vm.base_value < vm.base_high and vm.horizon_years == 5
    # Per customer from the saved parameters: margin x spend per month x DERL over 60 months.
    study = load_study(EXAMPLES / "payroll")
    per = customer_values(study, vm)
    assert per["clv"].sum() == pytest.approx(vm.base_value, rel=1e-6)
    assert (per.loc[per["p_alive"] == 0, "clv"] == 0).all() and (per.loc[per["p_alive"] == 1, "clv"] > 0).all()
    params = dict(zip(vm.estimates["parameter"], vm.estimates["estimate"]))
    one = per[per["p_alive"] == 1].iloc[0]
    x, _ = vm_covariates(study, [k[5:] for k in params if k.startswith("life.")])
    alpha = params["alpha"] * np.exp(sum(params[f"life.{s}"] * x.loc[one.name, s] for s in x.columns))
    sbg = SBG(params={"alpha": alpha, "beta": params["beta"]}, loglik=0.0, n=1)
    monthly = 1.1 ** (1 / 12) - 1
    S = sbg.survival(np.arange(0, 200))
    n = int(one["periods"])
    derl = sum(S[t] / S[n - 1] / (1 + monthly) ** (t - n) for t in range(n, n + 60))
    assert one["clv"] == pytest.approx(0.35 * one["spend"] * derl, rel=1e-9)
    curves = renewal_curves(study, vm)
    assert curves["observed_survival"].iloc[12] == pytest.approx(curves["model_survival"].iloc[12], abs=0.03)


def vm_covariates(study, steps):
    from cem.clv import experience_covariates, renewal_histories

    h, _ = renewal_histories(study.transactions(), "month")
    x, _ = experience_covariates(study.events(), h.index, min_rated=1)
    return x.reindex(columns=steps, fill_value=0.0), h


def test_a_contractual_value_model_round_trips(payroll_value):
    back = ValueModel.from_dict(json.loads(json.dumps(payroll_value.to_dict())))
    assert back.relationship == "contractual" and back.period == "month" and back.model == "sBG"


def test_a_flagged_contractual_fit_is_never_used_for_money(tmp_path, monkeypatch):
    import shutil

    import cem.clv.sbg as sbg

    for f in ("model.yaml", "study.yaml", "transactions.csv"):
        shutil.copy(EXAMPLES / "payroll" / f, tmp_path / f)

    original = sbg.fit_sbg_customers

    def flagged(*args, **kwargs):
        m = original(*args, **kwargs)
        m.fit_warning = "The likelihood is flat along beta"
        return m

    monkeypatch.setattr(sbg, "fit_sbg_customers", flagged)
    value = fit_value_model(load_study(tmp_path), draws=5)
    assert value.model == "none" and np.isnan(value.base_value) and value.at_stake.empty
    assert "every candidate's fit is on a boundary or ridge" in value.reason


@pytest.mark.parametrize("text, says", [
    ("relationship: subscription\n", "relationship must be one of non-contractual, contractual; got 'subscription'"),
    ("relationship: contractual\nperiod: monthly\n", "period must be one of month, week, quarter, year; got 'monthly'"
                                                     "; did you mean 'month'?"),
])
def test_a_bad_relationship_or_period_names_study_yaml_and_the_key(tmp_path, text, says):
    from cem.readers.study_config import read_study_config

    (tmp_path / "study.yaml").write_text(text)
    _, problems, _ = read_study_config(tmp_path / "study.yaml")
    assert [p.message for p in problems] == [says] and problems[0].file.endswith("study.yaml")
    key = says.split()[0]
    assert key in problems[0].location


def test_rework_enters_the_model_and_its_reduction_is_valued(tmp_path):
    """A planted effect of rework on churn: each return to S1 multiplies the sBG's alpha by e^0.8."""
    from conftest import MINI

    from cem.synth import contractual_transactions

    rng = np.random.default_rng(8)
    n = 1500
    ids = [f"c{i:04d}" for i in range(n)]
    returns = rng.binomial(2, 0.3, n)  # how many times each customer came back to S1 (planted)
    other = rng.binomial(2, 0.3, n)  # and to S2 (no effect)
    rows = []
    for cid, k, j in zip(ids, returns, other):
        t = pd.Timestamp("2024-01-01") + pd.Timedelta(days=int(rng.integers(0, 60)))
        for step in ["S1"] + ["C1", "S1"] * int(k) + ["S2"] + ["C1", "S2"] * int(j):
            rows.append((cid, t, step))
            t += pd.Timedelta(days=2)
    pd.DataFrame(rows, columns=["customer_id", "timestamp", "step"]).to_csv(tmp_path / "events.csv", index=False)
    tx, _ = contractual_transactions(returns.astype(float), effect=0.8, sbg=(1.0, 12.0), seed=9)
    tx["customer_id"] = np.array(ids)[tx["customer_id"].to_numpy()]
    tx.to_csv(tmp_path / "transactions.csv", index=False)
    (tmp_path / "model.yaml").write_text(MINI)
    (tmp_path / "study.yaml").write_text("relationship: contractual\nperiod: month\nhorizon: 3\n")
    vm = fit_value_model(load_study(tmp_path), draws=40)
    assert vm.model == "sBG" and vm.at_stake.empty  # no ratings: no value at stake, but rework
    est = vm.estimates.set_index("parameter").loc["life.rework.S1"]
    assert est["estimate"] - 1.96 * est["std_error"] < 0.8 < est["estimate"] + 1.96 * est["std_error"]
    other_step = vm.estimates.set_index("parameter").loc["life.rework.S2"]
    assert abs(other_step["estimate"]) < 1.96 * other_step["std_error"] + 0.05
    scenarios = vm.rework[vm.rework["step"] == "S1"].set_index("reduction")
    assert (scenarios["customers"] == (returns > 0).sum()).all()
    assert 0 < scenarios.loc[0.25, "low"] < scenarios.loc[0.25, "value"] < scenarios.loc[0.5, "value"]
    s2 = vm.rework[vm.rework["step"] == "S2"].set_index("reduction")
    assert s2.loc[0.5, "low"] < 0 < s2.loc[0.5, "high"]  # no planted effect: its interval holds zero
    # Saved and read back as every page reads it.
    back = ValueModel.from_dict(json.loads(json.dumps(vm.to_dict())))
    assert back.rework["value"].tolist() == pytest.approx(vm.rework["value"].tolist(), abs=0.01)


def test_too_few_contract_customers_value_nothing_and_say_why(tmp_path):
    import shutil

    shutil.copy(EXAMPLES / "payroll" / "model.yaml", tmp_path / "model.yaml")
    (tmp_path / "study.yaml").write_text("relationship: contractual\nperiod: month\n")
    lines = (EXAMPLES / "payroll" / "transactions.csv").read_text().splitlines()[:40]
    (tmp_path / "transactions.csv").write_text("\n".join(lines) + "\n")
    vm = fit_value_model(load_study(tmp_path))
    assert vm.model == "none" and vm.relationship == "contractual" and np.isnan(vm.base_value)
    assert "too few to fit the sBG model" in vm.reason


def test_discrete_occasions_are_valued_with_bgbb(tmp_path):
    """A non-contractual study with a period: customers buy at most once a month, skip months and
    quietly leave (BG/BB's story, planted): BG/BB is chosen, recovers the planted parameters, and
    values the base; the sBG, which reads a skipped month as leaving, predicts the holdout worse."""
    from conftest import MINI

    rng = np.random.default_rng(5)
    n, months = 2000, 24
    p = rng.beta(3.0, 1.0, n)       # chance to buy at each occasion while alive
    theta = rng.beta(0.5, 8.0, n)   # chance to leave before each later occasion
    rows = []
    for i in range(n):
        first = int(rng.integers(0, 3))
        rows.append((f"c{i:04d}", first, 1))
        for k in range(first + 1, months):
            if rng.random() < theta[i]:
                break
            if rng.random() < p[i]:
                rows.append((f"c{i:04d}", k, 1))
    frame = pd.DataFrame(rows, columns=["customer_id", "month", "x"])
    frame["date"] = pd.Timestamp("2024-01-10") + frame["month"].map(lambda m: pd.DateOffset(months=m))
    frame["amount"] = 50.0
    frame[["customer_id", "date", "amount"]].to_csv(tmp_path / "transactions.csv", index=False)
    (tmp_path / "model.yaml").write_text(MINI)
    (tmp_path / "study.yaml").write_text("period: month\nhorizon: 2\nmargin: 0.5\n")
    vm = fit_value_model(load_study(tmp_path), draws=30)
    table = vm.candidates.set_index("model")
    assert vm.model == "BG/BB" and vm.relationship == "non-contractual" and vm.period == "month"
    assert abs(table.loc["BG/BB", "holdout_error"]) < abs(table.loc["sBG", "holdout_error"])
    est = vm.estimates.set_index("parameter")
    for name, planted in {"alpha": 3.0, "beta": 1.0, "gamma": 0.5, "delta": 8.0}.items():
        assert abs(est.loc[name, "estimate"] - planted) < 3 * est.loc[name, "std_error"] + 0.1 * planted, name
    assert vm.base_low < vm.base_value < vm.base_high and "months with a purchase" in vm.reason
    from cem.clv import customer_values

    per = customer_values(load_study(tmp_path), vm)
    assert per["clv"].sum() == pytest.approx(vm.base_value, rel=1e-6) and per["p_alive"].between(0, 1).all()


def test_the_page_tables_say_names_and_no_negative_amount_at_stake(payroll_value):
    """#15: what the lifetime value page shows of the value model: names, not ids; an interval that
    is not above zero reads "no measurable gain"; a flagged fit said in words; the metrics agree."""
    from cem.clv.value_model import at_stake_table, estimates_table, lifetime_metrics, model_choice_table

    vm = payroll_value
    ids = set(vm.at_stake["step"])
    shown = at_stake_table(vm)
    assert set(shown["name"]) == set(vm.at_stake["name"]) and not ids & set(shown["name"])
    for cell, low in zip(shown["at_stake"], vm.at_stake["low"]):
        assert cell == "no measurable gain" if not low > 0 else (isinstance(cell, float) and cell > 0)
    assert (shown["at_stake"] == "no measurable gain").any() and (shown["at_stake"] != "no measurable gain").any()
    choice = model_choice_table(vm)
    bgbb = choice.set_index("model").loc["BG/BB"]
    assert bgbb["fit_check"].startswith("flagged, not used for money: alpha ran to the edge") and not bgbb["chosen"]
    assert choice.set_index("model").loc["sBG", "fit_check"] == "sound"
    params = estimates_table(vm)
    assert params["parameter"].tolist()[:2] == ["alpha", "beta"]
    assert not any("life." in p or any(i in p for i in ids) for p in params["parameter"])
    assert "experience at Hand over employee and pay data" in params["parameter"].tolist()
    metrics = lifetime_metrics(vm, "contractual", "EUR")
    assert metrics["total_clv"] == vm.to_dict()["base_value"] and metrics["model"] == "sBG"
    assert metrics["top_step_at_stake"]["step"] == vm.at_stake.iloc[0]["step"]
    assert set(metrics["step_effects"]) == ids
    assert all(e["ci_low"] < e["coef"] < e["ci_high"] for e in metrics["step_effects"].values())
    assert lifetime_metrics(None, "contractual", "EUR")["total_clv"] is None


def test_the_model_choice_table_read_from_metrics_json_shows_the_holdout_error_the_text_does():
    """metrics.json keeps a holdout error to 0.01 %, so the table read back from it says -3.7 %, as the
    page's sentence computed from the fit does (it kept 2 decimals of the share: -4.0 %)."""
    from cem.clv.value_model import model_choice_table

    vm = ValueModel("Pareto/NBD", 1e6, 9e5, 1.1e6, "EUR", 20.0, 2000, pd.DataFrame(), None, pd.DataFrame({
        "model": ["BG/NBD", "Pareto/NBD"], "holdout_error": [0.0712, -0.0371], "loglik": [-15328.1, -15305.2],
        "fit_warning": [None, None], "chosen": [False, True]}), "")
    back = ValueModel.from_dict(json.loads(json.dumps(vm.to_dict())))
    assert model_choice_table(back)["holdout_error"].tolist() == ["+7.1 %", "-3.7 %"]
