"""Models written (cem.convert): workbook and YAML carry the same model and round-trip; every text cell is
written as text; GraphML, node-link JSON and Mermaid keep what the graph holds."""
import json
import subprocess
import sys

import networkx as nx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from cem import load_model
from cem.convert import graph_to_tables, mermaid_ids, to_mermaid, write_graphml, write_model_yaml, write_node_link
from cem.convert import write_workbook
from cem.graph import build_graph
from cem.readers import check_tables, read_workbook
from cem.schema import CHANNELS, NEED_DIMENSIONS, STAGES
from conftest import EXAMPLES


def same_graph(G, H):
    assert set(G.nodes) == set(H.nodes)
    for n in G:
        assert G.nodes[n] == H.nodes[n], n
    eg = {(u, v, k): d for u, v, k, d in G.edges(keys=True, data=True)}
    eh = {(u, v, k): d for u, v, k, d in H.edges(keys=True, data=True)}
    assert eg == eh
    assert {k: v for k, v in G.graph.items() if k != "source"} == {k: v for k, v in H.graph.items() if k != "source"}


def via_workbook(G, path):
    write_workbook(G, path)
    data, locate = read_workbook(path)
    tables, problems, _ = check_tables(data, str(path), locate)
    assert problems == []
    return build_graph(tables)


def test_examples_round_trip_yaml_workbook_yaml(tmp_path):
    for name in ("solar", "payroll"):
        G = load_model(EXAMPLES / name)
        same_graph(G, via_workbook(G, tmp_path / f"{name}.xlsx"))
        same_graph(G, load_model(write_model_yaml(G, tmp_path / f"{name}.yaml")))


names = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=30).filter(
    lambda s: s.strip() == s)  # formula-like text too: every cell is written through safe_cell


@st.composite
def models(draw):
    """A valid model: a customer job and a company job, steps in order, actors, touchpoints, needs, links."""
    n_steps = draw(st.integers(2, 8))
    tables = {"model": {"name": draw(names), "currency": draw(st.sampled_from(["EUR", "USD", "CHF"]))},
              "jobs": [{"id": "J", "name": draw(names), "performer": "customer"},
                       {"id": "K", "name": draw(names), "performer": "company"}],
              "entities": [{"id": "E1", "name": draw(names), "type": "customer"},
                           {"id": "E2", "name": draw(names), "type": "provider"}],
              "actors": [{"id": "A1", "name": draw(names), "entity": "E1"}, {"id": "A2", "name": draw(names), "entity": "E2"}],
              "steps": [], "touchpoints": [], "needs": [], "resources": [], "links": []}
    for i in range(n_steps):
        tables["steps"].append({"id": f"S{i}", "job": "J", "position": i + 1, "name": draw(names),
                                "stage": draw(st.sampled_from(STAGES))})
    tables["steps"].append({"id": "C0", "job": "K", "position": 1, "name": draw(names), "stage": "use"})
    for i in range(draw(st.integers(0, 4))):
        served = draw(st.lists(st.integers(0, n_steps - 1), min_size=1, max_size=3, unique=True))
        tables["touchpoints"].append({"id": f"T{i}", "name": draw(names), "channel": draw(st.sampled_from(CHANNELS)),
                                      "step": [f"S{j}" for j in served] if len(served) > 1 else f"S{served[0]}",
                                      "owner": "A2", "cost": draw(st.floats(0, 1000, allow_nan=False).map(lambda x: round(x, 2)))})
    for i in range(draw(st.integers(0, 4))):
        tables["needs"].append({"id": f"N{i}", "step": f"S{draw(st.integers(0, n_steps - 1))}", "actor": "A1",
                                "dimension": draw(st.sampled_from(NEED_DIMENSIONS)),
                                "statement": "Minimize the time it takes to " + draw(names)})
    tables["links"].append({"relation": "supports", "from": "C0", "to": "S0"})
    for i in range(n_steps):
        if draw(st.booleans()):
            tables["links"].append({"relation": "performs", "from": "A1", "to": f"S{i}",
                                    "role": draw(st.sampled_from(["executor", "helper"]))})
    for t in tables["touchpoints"]:
        for n in tables["needs"]:
            if draw(st.booleans()):
                tables["links"].append({"relation": "addresses", "from": t["id"], "to": n["id"],
                                        "strength": draw(st.sampled_from([0.2, 0.5, 1.0]))})
    return tables


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(models())
def test_generated_models_round_trip(tmp_path, tables):
    clean, problems, _ = check_tables(tables, "generated")
    assert problems == []
    G = build_graph(clean)
    same_graph(G, via_workbook(G, tmp_path / "m.xlsx"))
    same_graph(G, load_model(write_model_yaml(G, tmp_path / "m.yaml")))
    same_graph(G, build_graph(check_tables(graph_to_tables(G), "again")[0]))


def test_workbook_has_dropdowns_and_instructions(tmp_path):
    path = write_workbook(load_model(EXAMPLES / "payroll"), tmp_path / "m.xlsx")
    wb = load_workbook(path)
    assert wb.sheetnames[0] == "Instructions" and wb["Lists"].sheet_state == "hidden"
    rules = {str(dv.sqref): dv.formula1 for dv in wb["Steps"].data_validations.dataValidation}
    assert any(r.startswith("E2") for r in rules) and all(f.startswith("=Lists!") for f in rules.values())
    assert wb["Steps"]["E1"].value == "stage" and wb["Steps"]["E2"].value == "awareness"


def test_export_to_workbook_and_yaml(tmp_path):
    for ext in ("xlsx", "yaml"):
        out = tmp_path / f"solar.{ext}"
        r = subprocess.run([sys.executable, "-m", "cem.cli", "export", str(EXAMPLES / "solar"), str(out)],
                           capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        same_graph(load_model(EXAMPLES / "solar"), load_model(out))


def test_formula_text_is_kept_as_text(tmp_path):
    G = load_model(EXAMPLES / "solar")
    G.nodes["S_aware"]["name"] = "=HYPERLINK(\"http://x\")"
    path = write_workbook(G, tmp_path / "m.xlsx")
    cell = next(c for row in load_workbook(path)["Steps"].iter_rows() for c in row if c.value and "HYPERLINK" in str(c.value))
    assert cell.data_type == "s" and str(cell.value).startswith("'=")
    data, _ = read_workbook(path)
    assert any(s["name"] == "=HYPERLINK(\"http://x\")" for s in data["steps"])


# Hardening, round two: every text cell safe and round-tripping.

TRICKY = ["=cmd|' /C calc'!A0", "+1+1", "-2", "@SUM(A1)", "'=already quoted", "''", "'plain", "\tTab"]


def test_every_text_cell_written_is_text_and_reads_back_exactly(tmp_path):
    G = load_model(EXAMPLES / "solar")
    G.graph["name"] = TRICKY[0]
    G.graph["client"] = TRICKY[4]
    for i, text in enumerate(TRICKY):
        G.nodes["S_aware"][f"=extra{i}"] = text  # an extra column: its header and value are the client's text
    path = write_workbook(G, tmp_path / "m.xlsx")
    wb = load_workbook(path)
    formulas = [f"{ws.title}!{c.coordinate}" for ws in wb.worksheets for row in ws.iter_rows() for c in row
                if c.data_type == "f"]
    assert formulas == []
    data, _ = read_workbook(path)
    assert data["model"]["name"] == TRICKY[0] and data["model"]["client"] == TRICKY[4]
    step = next(s for s in data["steps"] if s["id"] == "S_aware")
    assert all(step[f"=extra{i}"] == text for i, text in enumerate(TRICKY))


# Graph formats: GraphML, node-link JSON, Mermaid.

def test_graphml_round_trip_keeps_kinds_relations_and_attributes(tmp_path):
    G = load_model(EXAMPLES / "solar")
    H = nx.read_graphml(write_graphml(G, tmp_path / "solar.graphml"), force_multigraph=True)
    assert set(H.nodes) == set(G.nodes)
    assert dict(H.nodes(data="kind")) == dict(G.nodes(data="kind"))
    assert sorted(H.edges(keys=True)) == sorted(G.edges(keys=True))
    assert H.nodes["T_crew"]["cost"] == 900.0 and H.nodes["S_quote"]["position"] == 3


def test_node_link_json_round_trip(tmp_path):
    G = load_model(EXAMPLES / "payroll")
    data = json.loads(write_node_link(G, tmp_path / "payroll.json").read_text())
    H = nx.node_link_graph(data, edges="edges")
    assert nx.utils.edges_equal(sorted(H.edges(keys=True)), sorted(G.edges(keys=True)))
    assert H.nodes["N_fair"] == G.nodes["N_fair"]


def test_mermaid_ids_are_distinct_and_safe_and_labels_escaped():
    G = nx.MultiDiGraph()
    G.add_node("J", kind="job", performer="customer")
    ids = ["S-1", "S_1", "S.1", "end", "order", "x1", "n_S_1"]
    for i, s in enumerate(ids, start=1):
        G.add_node(s, kind="step", job="J", position=i, stage="use", name=f'Step "{i}" #{i} [a] `b`\n{{c}} <d>')
        G.add_edge("J", s, key="has_step")
    for a, b in zip(ids, ids[1:]):
        G.add_edge(a, b, key="next")
    text = to_mermaid(G)
    mids = mermaid_ids(G.nodes)
    assert len(set(mids[s] for s in ids)) == len(ids)
    assert mids["S_1"] == "S_1" and mids["n_S_1"] == "n_S_1" and mids["S-1"] not in ("S_1", "n_S_1")
    assert all(mids[s].lower() != "end" and mids[s][0] not in "ox" for s in ids)
    body = [line.strip() for line in text.splitlines()]
    assert body.count("end") == 1  # the subgraph's own end only
    for line in body:
        if '["' in line and not line.startswith("subgraph"):
            label = line.split('["', 1)[1].rsplit('"]', 1)[0]
            assert not any(ch in label for ch in '"[]`<>{}\n') and "#quot;" in label
    assert len([line for line in body if "-->" in line]) == len(ids) - 1
    assert mermaid_ids(G.nodes) == mids  # stable


def _dropdowns(wb, title):
    """{column header: the values its dropdown offers} of one sheet, read from the Lists ranges."""
    import re

    from openpyxl.utils import column_index_from_string

    ws, lists = wb[title], wb["Lists"]
    found = {}
    for dv in ws.data_validations.dataValidation:
        m = re.fullmatch(r"=Lists!\$([A-Z]+)\$(\d+):\$([A-Z]+)\$(\d+)", dv.formula1)
        assert m and m.group(1) == m.group(3), dv.formula1
        col = column_index_from_string(m.group(1))
        values = tuple(lists.cell(r, col).value for r in range(int(m.group(2)), int(m.group(4)) + 1))
        for rng in str(dv.sqref).split():
            header = ws.cell(1, column_index_from_string(re.match(r"[A-Z]+", rng).group(0))).value
            found[header] = values
    return found


def test_every_dropdown_offers_exactly_its_columns_allowed_values(tmp_path):
    """Issue #15: the Resources `type` dropdown offered the entity types (one list per column name)."""
    from cem.readers.workbook import SHEETS
    from cem.schema import LINK_ATTRIBUTES, RELATIONS, RESOURCE_TYPES, SECTIONS

    for G in (load_model(EXAMPLES / "solar"), None):
        path = write_workbook(G, tmp_path / "m.xlsx", tables=None if G is not None else {})
        wb = load_workbook(path)
        for section, (_, fields) in SECTIONS.items():
            expected = {f.name: tuple(f.choices) for f in fields if f.choices}
            assert _dropdowns(wb, SHEETS[section]) == expected, section
        assert _dropdowns(wb, "Links") == {"relation": tuple(RELATIONS), "role": tuple(LINK_ATTRIBUTES["role"][1])}
        assert _dropdowns(wb, "Resources")["type"] == RESOURCE_TYPES
