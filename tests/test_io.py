import json

import networkx as nx
import pytest

from cem import InputError, load_model, load_study
from cem.io import find_model_file, write_graphml, write_node_link
from conftest import EXAMPLES, MINI


def test_load_study_reads_settings_and_lists_data(tmp_path):
    (tmp_path / "model.yaml").write_text(MINI)
    (tmp_path / "study.yaml").write_text("title: Bikes\ncurrency: CHF\ndiscount_rate: 0.1\nhorizon: 5\n")
    (tmp_path / "survey.csv").write_text("respondent_id,need_id,importance,satisfaction\n")
    study = load_study(tmp_path)
    assert study.title == "Bikes" and study.config["discount_rate"] == 0.1
    assert study.graph.graph["currency"] == "CHF"  # the study's currency wins
    assert set(study.files) == {"survey"} and "events" in study.missing()


def test_bad_study_settings_reported_with_model_problems(tmp_path):
    (tmp_path / "model.yaml").write_text(MINI.replace("stage: use}", "stage: usage}"))
    (tmp_path / "study.yaml").write_text("title: Bikes\ndiscount_rte: 0.1\nmargin: 1.5\n")
    with pytest.raises(InputError) as info:
        load_study(tmp_path)
    lines = [str(p) for p in info.value.problems]
    assert any("model.yaml:13: steps[S2].stage" in l for l in lines)
    assert any("study.yaml:2: discount_rte: unknown setting 'discount_rte'" in l and "'discount_rate'" in l for l in lines)
    assert any("study.yaml:3: margin: margin must be a share of revenue from 0 to 1 (0.3 is 30%); got 1.5" in l for l in lines)


def test_find_model_file(tmp_path):
    with pytest.raises(InputError, match="holds no model"):
        find_model_file(tmp_path)
    (tmp_path / "model.yml").write_text(MINI)
    assert find_model_file(tmp_path).name == "model.yml"


@pytest.mark.parametrize("content, message", [
    (b"", "is empty"),
    (b"  \n\n", "is empty"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00", "is a binary file"),
])
def test_unreadable_files(tmp_path, content, message):
    path = tmp_path / "model.yaml"
    path.write_bytes(content)
    with pytest.raises(InputError, match=message):
        load_model(path)


def test_latin1_and_utf16_models_are_read_with_a_warning(tmp_path):
    from cem.io import load_study

    path = tmp_path / "model.yaml"
    path.write_bytes(MINI.replace("Mini", "Café").encode("latin-1"))
    study = load_study(path)
    assert study.graph.graph["name"] == "Café" and "read as Latin-1" in str(study.warnings[0])
    path.write_bytes(MINI.encode("utf-16"))
    study = load_study(path)
    assert study.graph.graph["name"] == "Mini" and "is UTF-16" in str(study.warnings[0])


def test_utf8_bom_is_read(tmp_path):
    path = tmp_path / "model.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + MINI.encode())
    assert load_model(path).graph["name"] == "Mini"


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
