import networkx as nx

from cem import load_model
from cem.graph import (
    actors_at,
    anchor_step,
    job_steps,
    journey_steps,
    needs_at,
    next_steps,
    step_table,
    summary,
    supporting_steps,
    touchpoints_at,
)
from conftest import EXAMPLES, MINI


def test_every_node_has_a_kind_and_every_edge_a_relation(mini):
    G = load_model(mini)
    assert isinstance(G, nx.MultiDiGraph)
    assert all(k for _, k in G.nodes(data="kind"))
    assert all(d["relation"] == k for *_, k, d in G.edges(keys=True, data=True))
    assert G.graph["name"] == "Mini" and G.graph["currency"] == "EUR" and G.graph["source"].endswith("model.yaml")


def test_shorthand_columns_become_links(mini):
    G = load_model(mini)
    assert G.has_edge("J", "S1", "has_step")
    assert G.has_edge("rider", "hh", "member_of")
    assert G.has_edge("T1", "S1", "serves") and G.has_edge("mech", "T1", "owns")
    assert G.has_edge("S1", "N1", "has_need") and G.has_edge("rider", "N1", "has_need")
    assert G.has_edge("C1", "R1", "requires") and G.has_edge("shop", "R1", "provides")
    assert G.edges["T1", "N1", "addresses"]["strength"] == 0.8


def test_implicit_next_follows_position(mini):
    G = load_model(mini)
    assert next_steps(G, "S1") == ["S2"]
    assert G.edges["S1", "S2", "next"]["implicit"] is True


def test_explicit_next_in_own_job_replaces_the_implicit_one(write_model):
    text = MINI.replace("  - {id: C1,", "  - {id: S3, job: J, name: Pay, position: 3, stage: purchase}\n  - {id: C1,")
    G = load_model(write_model(text + "  - {relation: next, from: S1, to: S3}\n  - {relation: next, from: S3, to: S1}\n"))
    assert next_steps(G, "S1") == ["S3"]  # the skip replaced S1 -> S2
    assert next_steps(G, "S2") == ["S3"]  # the implicit order still holds from S2
    assert next_steps(G, "S3") == ["S1"]  # a loop back to the start


def test_queries(mini):
    G = load_model(mini)
    assert journey_steps(G) == ["S1", "S2"]
    assert job_steps(G, "K") == ["C1"]
    assert touchpoints_at(G, "S1") == ["T1"]
    assert actors_at(G, "S1") == ["rider"]
    assert needs_at(G, "S1") == ["N1"] and needs_at(G, "S1", actor="mech") == []
    assert supporting_steps(G, "S2") == ["C1"]
    assert anchor_step(G, "C1") == "S2" and anchor_step(G, "S1") == "S1"


def test_summary_and_step_table(mini):
    G = load_model(mini)
    counts = summary(G).set_index("name")["count"]
    assert counts["step"] == 3 and counts["has_need"] == 2 and counts["next"] == 1
    table = step_table(G)
    assert list(table["step"]) == ["S1", "S2", "C1"]
    assert table.set_index("step").loc["S2", "supported_by"] == "C1"


def test_examples_journeys_run_from_awareness():
    for name in ("solar", "payroll"):
        G = load_model(EXAMPLES / name)
        steps = journey_steps(G)
        assert G.nodes[steps[0]]["stage"] == "awareness"
