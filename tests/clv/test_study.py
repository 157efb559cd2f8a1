"""The customer-base analyses of an example study: its transactions, terms and value at stake."""
from cem import load_study
from cem.clv import study_terms, study_value_at_stake
from conftest import EXAMPLES


def test_an_example_study_values_its_steps():
    study = load_study(EXAMPLES / "solar")
    tx = study.transactions()
    assert tx.columns.tolist() == ["customer_id", "date", "amount"] and len(tx) > 0
    assert set(study.customers()["churned"].dropna()) <= {0, 1}
    terms = study_terms(study)
    assert set(terms) == {"margin", "discount_rate", "horizon", "currency", "relationship", "period", "period_given"}
    assert terms["relationship"] == "non-contractual" and study_terms(load_study(EXAMPLES / "payroll"))["period"] == "month"
    effects, stake = study_value_at_stake(study, transactions=tx)
    assert list(stake.columns[:2]) == ["step", "name"] and set(stake["step"]) == set(effects.coefs.index)
