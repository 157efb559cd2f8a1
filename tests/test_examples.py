"""The example studies hold what a consultant would show a client: checked against the brief."""
import pytest

from cem import find_gaps, load_study
from cem.graph import customer_jobs, company_jobs, journey_steps, nodes_of
from conftest import EXAMPLES


@pytest.mark.parametrize("name", ["solar", "payroll"])
def test_example_is_complete_and_coherent(name):
    study = load_study(EXAMPLES / name)
    G = study.graph
    assert study.warnings == []
    steps = journey_steps(G)
    assert len(steps) >= 12
    assert G.nodes[steps[0]]["stage"] == "awareness"
    assert G.nodes[steps[-1]]["stage"] in ("dispose", "renew", "next_cycle")
    assert customer_jobs(G) and company_jobs(G)
    actors, entities = nodes_of(G, "actor"), nodes_of(G, "entity")
    assert len(actors) >= 6 and len({G.nodes[a]["entity"] for a in actors}) >= 4 and len(entities) >= 4
    assert len(nodes_of(G, "touchpoint")) >= 15 and len(nodes_of(G, "resource")) >= 5
    needs = nodes_of(G, "need")
    assert len(needs) >= 30
    assert {G.nodes[n]["dimension"] for n in needs} == {"functional", "emotional", "social", "financial"}
    # Written as desired outcomes: a direction, then what is measured.
    assert all(G.nodes[n]["statement"].split()[0] in ("Minimize", "Maximize") for n in needs)
    assert all(G.nodes[n].get("direction") in ("minimize", "maximize") for n in needs)
    gaps = find_gaps(G)
    assert (gaps["severity"] == "high").sum() >= 2  # a few real gaps for the analysis to find


def test_payroll_is_a_contractual_service_and_solar_is_not():
    from cem.clv import study_terms

    payroll, solar = study_terms(load_study(EXAMPLES / "payroll")), study_terms(load_study(EXAMPLES / "solar"))
    assert (payroll["relationship"], payroll["period"]) == ("contractual", "month")
    assert solar["relationship"] == "non-contractual"
