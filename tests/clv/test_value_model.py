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
