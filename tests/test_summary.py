"""What to fix first: the planted problems come out on top, the rule is the one stated."""
import json

import pytest

from cem import load_study
from cem.clv import fit_value_model
from cem.needs import opportunity, unmet_by_step
from cem.summary import explain_priorities, missing_inputs, priorities, summary_metrics
from conftest import EXAMPLES, HELPDESK, MINI


@pytest.mark.parametrize("name", ["solar", "payroll"])
def test_the_planted_step_is_the_first_thing_to_fix(name):
    study = load_study(EXAMPLES / name)
    truth = json.loads((EXAMPLES / name / "synth_truth.json").read_text())
    plan = priorities(study, fit_value_model(study, draws=100), top=5)
    assert plan.table.iloc[0]["step"] == truth["planted_step"]
    assert plan.table.iloc[0]["significant"] and plan.table.iloc[0]["at_stake"] > 0
    assert plan.basis == "lifetime value at stake and unmet need" and plan.missing == []
    # The steps of the planted underserved needs follow among the first five.
    G = study.graph
    planted_steps = {s for n in truth["underserved"] for s, _, d in G.in_edges(n, data=True)
                     if d["relation"] == "has_need" and G.nodes[s]["kind"] == "step"}
    assert planted_steps and planted_steps <= set(plan.table["step"])


def test_priority_is_share_at_stake_plus_share_of_unmet_need():
    study = load_study(EXAMPLES / "solar")
    plan = priorities(study, fit_value_model(study, draws=100), top=20)
    assert plan.table["priority"].to_numpy() == pytest.approx((plan.table["stake_share"].fillna(0) + plan.table["unmet_share"]).to_numpy())
    assert plan.table["priority"].is_monotonic_decreasing
    # Only significant, positive values at stake count; the counted shares sum to one over the journey.
    assert (plan.table.loc[~plan.table["significant"], "stake_share"] == 0).all()
    unmet = unmet_by_step(opportunity(study.survey(), study.graph), study.graph).set_index("step")
    for row in plan.table.itertuples():
        assert row.unmet_share == pytest.approx(unmet["unmet_share"].get(row.step, 0.0))


def test_a_model_alone_is_ranked_by_its_gaps_and_says_what_is_missing(write_model):
    study = load_study(write_model(MINI))
    plan = priorities(study)
    assert plan.basis == "gaps in the design only (no measured data)"
    assert len(plan.missing) == 4 and plan.missing == missing_inputs(study)
    text = explain_priorities(plan)
    assert "Not measured in this study" in text and "No survey (survey.csv)" in text
    assert summary_metrics(plan)["fix_first"][0]["rank"] == 1


def test_model_text_is_escaped(write_model):
    study = load_study(write_model(MINI.replace("name: Book a repair", "name: \"<img src=x onerror=alert(1)>\"")))
    text = explain_priorities(priorities(study, top=10))
    # Markdown-escaped (cem.markup.md_escape): rendered as the page renders it, the name is text.
    from nbconvert.filters.markdown_mistune import markdown2html_mistune

    page = markdown2html_mistune(text)
    assert "<img" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page


def test_a_real_event_log_without_survey_or_churn_is_ranked_by_its_rework():
    """The real help-desk log: 562 of the tickets taken in charge are taken in charge again."""
    from cem.journeys import rework

    study = load_study(HELPDESK)
    plan = priorities(study)
    assert plan.basis.startswith("rework in the event log")
    again = rework(study.events(), activity="step").set_index("activity")
    assert again.loc["H_taken", "cases"] == 562
    assert plan.table.iloc[0]["step"] == "H_taken"
    assert plan.table.iloc[0]["rework"] == pytest.approx(again.loc["H_taken", "share"])
    assert plan.table["priority"].sum() == pytest.approx(plan.table["rework"].sum() / again["share"].reindex(
        [s for s in again.index if s in set(study.graph.nodes)]).sum())
    assert "13% of the cases that reach it go through it more than once" in plan.table.iloc[0]["evidence"]


def test_when_nothing_measured_stands_out_the_next_evidence_ranks(write_model, tmp_path):
    """A survey whose needs are all met: unmet need ranks nothing, so the design gaps do, and it says so."""
    study_dir = write_model(MINI).parent
    needs = [n for n, d in load_study(study_dir).graph.nodes(data=True) if d["kind"] == "need"]
    rows = ["respondent_id,need_id,importance,satisfaction"]
    rows += [f"r{i},{n},3,5" for i in range(20) for n in needs]
    (study_dir / "survey.csv").write_text("\n".join(rows) + "\n")
    plan = priorities(load_study(study_dir))
    assert plan.basis == "nothing stands out in the unmet need; ranked by gaps in the design"
    assert len(plan) > 0 and plan.table["priority"].sum() > 0


def test_on_the_help_desk_log_every_listed_step_has_evidence_above_the_threshold_and_no_negative_drop_off():
    """#15: the help-desk summary listed a step with 0.1 % rework and a drop-off of -37.093."""
    from cem.summary import MIN_REWORK, fix_first_table

    plan = priorities(load_study(HELPDESK), None, top=5)
    assert plan.basis.startswith("rework in the event log")
    assert len(plan) and (plan.table["rework"] >= MIN_REWORK).all()
    assert not (plan.table["drop_off"] < 0).any()
    shown = fix_first_table(plan)
    assert "at_stake" not in shown.columns and "5 %" in explain_priorities(plan)


def test_defined_drop_off_leaves_out_what_more_customers_reach():
    import pandas as pd

    from cem.summary import defined_drop_off

    # The help-desk funnel: 118 tickets reported, 4,495 classified (everyone, reported or not).
    f = pd.DataFrame({"step": ["H_report", "H_classify", "H_taken", "H_wait", "H_resolved"],
                      "customers": [118, 4495, 4285, 1240, 4571]})
    f["share"] = f["customers"] / 118
    f["drop_off"] = 1 - f["customers"] / f["customers"].shift()
    out = defined_drop_off(f)
    assert out["drop_off"].round(3).tolist()[1:] == [pytest.approx(float("nan"), nan_ok=True), 0.047, 0.711,
                                                     pytest.approx(float("nan"), nan_ok=True)]
    assert out["share"].notna().tolist() == [True, False, False, False, False]


def test_an_interval_through_zero_reads_no_measurable_effect():
    import pandas as pd

    from cem.summary import Priorities, fix_first_table

    t = pd.DataFrame({"rank": [1, 2, 3], "name": ["A", "B", "C"], "stage": ["use"] * 3, "priority": [0.5, 0.3, 0.2],
                      "at_stake": [900.0, -573141.0, 5.0], "at_stake_low": [100.0, -1759308.0, -10.0],
                      "at_stake_high": [2000.0, 456107.0, 20.0], "significant": [True, False, False]})
    shown = fix_first_table(Priorities(t, "x", currency="EUR"))
    assert shown["at_stake"].tolist() == [900.0, "no measurable effect", "no measurable effect"]
    assert shown["at_stake_interval"].tolist()[1] == "-1,759,308 to 456,107"
