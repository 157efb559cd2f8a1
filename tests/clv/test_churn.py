"""Step effects on churn: a planted effect is found with its size, and its value at stake."""
import pandas as pd

from cem.clv import experience_matrix, step_effects, value_at_stake


def test_planted_step_effect_is_found_with_its_size():
    from cem import load_model
    from cem.synth import journey_events
    from conftest import EXAMPLES

    G = load_model(EXAMPLES / "payroll")
    ids = [f"C{i:05d}" for i in range(3000)]
    events, churned, truth = journey_events(G, ids, seed=4, planted_step="P_parallel", effect=-0.9)
    X = experience_matrix(events)
    fx = step_effects(X, churned)
    top = fx.table.iloc[0]
    assert top["step"] == "P_parallel" == truth["planted_step"]
    assert top["ci_low"] < -0.9 < top["ci_high"] and top["p_value"] < 1e-6
    others = fx.table.iloc[1:]
    assert (others["p_value"] > 0.001).all()  # no other step looks like it matters
    stake = value_at_stake(fx, X, pd.Series(1000.0, index=ids), 0.1)
    assert stake.iloc[0]["step"] == "P_parallel" and stake.iloc[0]["at_stake"] > 0
    assert stake.iloc[0]["at_stake_low"] <= stake.iloc[0]["at_stake"] <= stake.iloc[0]["at_stake_high"]
