"""The run's value model recovers the effect planted in the generated studies."""
import json

import pytest

from cem import load_study, valuation
from conftest import EXAMPLES


@pytest.mark.parametrize("name", ["solar", "payroll"])
def test_the_planted_step_has_the_largest_value_at_stake_and_its_effect_is_recovered(name, tmp_path):
    truth = json.loads((EXAMPLES / name / "synth_truth.json").read_text())
    planted = truth["transactions"]["dropout_effect"]
    vm = valuation.value_model(load_study(EXAMPLES / name), tmp_path, draws=100)
    # Payroll is a contractual service (study.yaml): its base is valued by the sBG, solar's by a purchase model.
    assert (vm.relationship, vm.model) == ("contractual", "sBG") if name == "payroll" else vm.model in {
        "BG/NBD", "Pareto/NBD", "MBG/NBD"}
    saved = json.loads((tmp_path / "metrics.json").read_text())["value_model"]
    assert saved["base_value"] == round(vm.base_value, 2) and saved["relationship"] == vm.relationship
    # The planted effect (log of the dropout factor per rating point) lies in the estimate's 95 % interval.
    est = vm.estimates.set_index("parameter").loc[f"life.{planted['step']}"]
    assert est["estimate"] - 1.96 * est["std_error"] < planted["per_rating_point"] < est["estimate"] + 1.96 * est["std_error"]
    top = vm.at_stake.iloc[0]
    assert top["step"] == planted["step"] and top["low"] > 0
    # The other steps carry no planted effect, but each 95 % interval misses zero one time in twenty
    # by chance: of 12-13 steps, 2 or more miss it in 14 % of studies, 4 or more in 0.3 % (binomial).
    # (On 40 null coefficients of generated data, 7.5 % of the intervals missed zero, sd of z 1.06.)
    others = vm.at_stake.iloc[1:]
    assert ((others["low"] > 0) | (others["high"] < 0)).sum() <= 3
    assert top["value"] > 3 * others["value"].abs().max()
    # All steps at once is its own computation, not the sum of the steps.
    assert vm.all_steps["value"] != pytest.approx(vm.at_stake["value"].sum(), rel=1e-3)
