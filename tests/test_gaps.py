"""Gaps on a hand-made model whose gaps are known, one by one."""
import pytest

from cem import find_gaps, load_model
from cem.gaps import GAP_TYPES, explain_gaps, gap_counts, gap_metrics

KNOWN = """\
model: {name: Known gaps}
jobs:
  - {id: J, name: Keep the heating working, performer: customer}
  - {id: K, name: Service boilers, performer: company}
entities:
  - {id: hh, name: Household, type: customer}
  - {id: co, name: Heating firm, type: provider}
actors:
  - {id: a, name: Tenant, entity: hh, role: job_executor}
  - {id: b, name: Engineer, entity: co, role: frontline}
steps:
  - {id: S1, job: J, position: 1, stage: awareness, name: Notice the boiler is due}
  - {id: S2, job: J, position: 2, stage: purchase, name: Book a service}
  - {id: S3, job: J, position: 3, stage: use, name: Live with a warm home}
  - {id: S4, job: J, position: 4, stage: get_help, name: Report a breakdown}
  - {id: C1, job: K, position: 1, stage: purchase, name: Take bookings}
  - {id: C2, job: K, position: 2, stage: use, name: Send an annual letter}
touchpoints:
  - {id: T1, name: Reminder e-mail, channel: email, step: S1, owner: b}
  - {id: T2, name: Hotline, channel: phone, step: S3}
needs:
  - {id: N1, step: S1, actor: a, dimension: functional, statement: Minimize the likelihood of missing the service date}
  - {id: N2, step: S1, actor: a, dimension: emotional, statement: Minimize the worry of a cold house}
  - {id: N3, step: S3, actor: a, dimension: functional, statement: Minimize the time without heating}
resources:
  - {id: R1, name: Spare parts, type: asset, step: S3, provided_by: co}
  - {id: R2, name: Access to the flat, type: permission, step: S2}
links:
  - {relation: next, from: S1, to: S3}
  - {relation: performs, from: a, to: S1}
  - {relation: performs, from: a, to: S3}
  - {relation: performs, from: b, to: C1}
  - {relation: supports, from: C1, to: S2}
  - {relation: addresses, from: T1, to: N1}
  - {relation: addresses, from: T2, to: N3}
"""

EXPECTED = {
    ("no_touchpoint", "S2", "high"), ("no_touchpoint", "S4", "high"),
    ("no_actor", "S2", "high"), ("no_actor", "S4", "high"), ("no_actor", "C2", "medium"),
    ("unreachable_step", "S2", "high"),
    ("unprovided_resource", "R2", "high"),
    ("unsupported_step", "S1", "medium"), ("unsupported_step", "S3", "medium"), ("unsupported_step", "S4", "medium"),
    ("no_needs", "S2", "medium"), ("no_needs", "S4", "medium"),
    ("unowned_touchpoint", "T2", "medium"),
    ("unaddressed_need", "N2", "medium"),
    ("no_emotional_social_need", "S3", "low"),
    ("idle_company_step", "C2", "low"),
    ("missing_stage", "J", "medium"), ("missing_stage", "J", "low"),
}


@pytest.fixture
def gaps(write_model):
    return find_gaps(load_model(write_model(KNOWN)))


def test_known_gaps_exactly(gaps):
    assert set(gaps[["gap", "node", "severity"]].itertuples(index=False, name=None)) == EXPECTED
    assert set(gaps["gap"]) <= set(GAP_TYPES)


def test_missing_stages_are_the_ones_not_modelled(gaps):
    missing = gaps.query("gap == 'missing_stage'")
    stages = {e.split("no '")[1].split("'")[0] for e in missing["explanation"]}
    assert stages == {"search", "evaluate", "receive", "setup", "maintain", "renew", "dispose", "next cycle"}
    assert set(missing.query("severity == 'medium'")["explanation"].str.extract(r"no '([^']+)'")[0]) == {
        "dispose", "next cycle"}
    assert missing["step"].isna().all()


def test_gap_columns_and_order(gaps):
    assert list(gaps.columns) == ["gap", "node", "step", "severity", "explanation"]
    sev = list(gaps["severity"])
    assert sev == sorted(sev, key=["high", "medium", "low"].index)
    assert gaps.query("node == 'R2'")["step"].item() == "S2"  # a resource gap names the step that needs it


def test_no_gaps_in_a_complete_design(write_model):
    from conftest import MINI

    gaps = find_gaps(load_model(write_model(MINI)))
    assert "unreachable_step" not in set(gaps["gap"])
    assert "unprovided_resource" not in set(gaps["gap"])


def test_counts_metrics_and_explanation(gaps, write_model):
    counts = gap_counts(gaps).set_index("gap")
    assert counts.loc["no_actor", "high"] == 2 and counts.loc["no_actor", "medium"] == 1
    assert counts["total"].sum() == len(gaps)
    G = load_model(write_model(KNOWN))
    m = gap_metrics(G, gaps)
    assert m["gaps_total"] == len(gaps) == sum(m["gaps_by_severity"].values())
    assert m["customer_steps"] == 4 and m["counts"]["touchpoint"] == 2
    text = explain_gaps(gaps, top=3)
    assert f"**{len(gaps)} gaps**" in text and text.count("\n1. ") == 1 and "\n3. " in text


def test_examples_have_real_gaps():
    from conftest import EXAMPLES

    solar = find_gaps(load_model(EXAMPLES / "solar"))
    assert {("no_touchpoint", "S_dispose"), ("unprovided_resource", "R_roofcheck"), ("unowned_touchpoint", "T_forum"),
            ("idle_company_step", "C_battery"), ("unsupported_step", "S_tariff")} <= set(
        solar[["gap", "node"]].itertuples(index=False, name=None))
    payroll = find_gaps(load_model(EXAMPLES / "payroll"))
    assert {"dispose", "next_cycle"} <= {e.split("no '")[1].split("'")[0].replace(" ", "_")
                                         for e in payroll.query("gap == 'missing_stage'")["explanation"]}


def test_gap_list_titles_each_gap_for_a_client():
    from cem.gaps import gap_list
    from conftest import EXAMPLES

    G = load_model(EXAMPLES / "solar")
    gaps = find_gaps(G)
    shown = gap_list(gaps)
    assert list(shown.columns) == ["title", "severity", "step", "explanation"] and len(shown) == len(gaps)
    assert set(shown["title"]) <= set(GAP_TYPES.values())
