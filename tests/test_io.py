import json

import networkx as nx
import pytest

from cem import InputError, load_model, load_study
from cem.readers import find_model_file
from cem.convert import write_graphml, write_node_link
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
    from cem.study import load_study

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


# --- Hardening, round two: study.yaml shapes and ranges, files outside the study, CSV, Mermaid

from cem.convert import mermaid_ids, to_mermaid

from cem.readers import read_csv

from cem._files import study_file  # noqa: E402


def study(tmp_path, settings, **files):
    (tmp_path / "model.yaml").write_text(MINI)
    (tmp_path / "study.yaml").write_text(settings)
    for name, text in files.items():
        (tmp_path / name.replace("_csv", ".csv")).write_text(text)
    return tmp_path


def settings_problems(tmp_path, settings, **files):
    with pytest.raises(InputError) as info:
        load_study(study(tmp_path, settings, **files))
    return [str(p) for p in info.value.problems]


@pytest.mark.parametrize("settings, says", [
    ("mappings: [survey]\n", "study.yaml:1: mappings: mappings must be a mapping of data files"),
    ("mappings:\n  events: activity\n", "study.yaml:2: mappings.events: mappings.events must be a mapping"),
    ("mappings:\n  survey:\n    wide: [N1]\n", "study.yaml:3: mappings.survey.wide: mappings.survey.wide must be"),
    ("mappings:\n  survey:\n    wide:\n      N1: [Q1]\n", "study.yaml:4: mappings.survey.wide.N1: "),
    ("mappings:\n  survey:\n    wide:\n      N1: {importance: {a: b}}\n", "mappings.survey.wide.N1.importance must be"),
    ("mappings:\n  events:\n    activities_file: [a.csv]\n", "activities_file must be the name of a CSV file"),
    ("mappings:\n  events:\n    activities: {Open: [S1]}\n", "each entry maps an activity of the log to a step"),
    ("mappings:\n  events:\n    customer_id: [a, b]\n", "mappings.events.customer_id must be the name of one column"),
    ("mappings:\n  survye: {}\n", "unknown data file 'survye'; mappings are read for survey, events; did you mean 'survey'?"),
])
def test_mappings_of_the_wrong_shape_are_located(tmp_path, settings, says):
    lines = settings_problems(tmp_path, settings)
    assert len(lines) == 1 and says in lines[0], lines


def test_mappings_of_the_right_shape_are_kept_with_columns_as_text(tmp_path):
    s = load_study(study(tmp_path, "mappings:\n  survey:\n    respondent_id: 17\n    wide: {N1: {importance: Q5}}\n"
                                   "  events:\n    activities: {Open: S1}\n    activities_file: map.csv\n",
                         map_csv="activity,step\nClose,S2\n"))
    assert s.config["mappings"] == {"survey": {"respondent_id": "17", "wide": {"N1": {"importance": "Q5"}}},
                                    "events": {"activities": {"Open": "S1"}, "activities_file": "map.csv"}}


@pytest.mark.parametrize("settings, says", [
    ("horizon: 10000\n", "horizon must be a number of years above 0 and at most 50; got 10000"),
    ("horizon: 0\n", "horizon must be a number of years above 0"),
    ("horizon: .nan\n", "got nan"),
    ("discount_rate: -.inf\n", "discount_rate must be a yearly rate from 0 to 1"),
    ("margin: 'nan'\n", "margin must be a share of revenue from 0 to 1 (0.3 is 30%); got 'nan'"),
    ("horizon: 1" + "0" * 400 + "\n", "is not a plausible number (401 digits; past 1e308)"),
    ("title: 1" + "0" * 5000 + "\n", "is not a plausible number (5,001 digits"),
])
def test_numeric_settings_are_bounded(tmp_path, settings, says):
    (line,) = settings_problems(tmp_path, settings)
    assert "study.yaml:1: " in line and says in line


@pytest.mark.parametrize("relative", ["../outside.csv", "/etc/passwd", "../../../../../../etc/passwd", "sub/../../x.csv"])
def test_study_file_refuses_paths_out_of_the_folder(tmp_path, relative):
    (tmp_path / "s").mkdir()
    with pytest.raises(InputError, match="is outside the study folder"):
        study_file(tmp_path / "s", relative, "activities_file")


def test_study_file_follows_links(tmp_path):
    (tmp_path / "s" / "data").mkdir(parents=True)
    (tmp_path / "secret.csv").write_text("password\n")
    (tmp_path / "s" / "map.csv").symlink_to(tmp_path / "secret.csv")
    (tmp_path / "s" / "data" / "real.csv").write_text("activity,step\n")
    (tmp_path / "s" / "inside.csv").symlink_to("data/real.csv")
    with pytest.raises(InputError, match="is outside the study folder"):
        study_file(tmp_path / "s", "map.csv", "activities_file")
    assert study_file(tmp_path / "s", "inside.csv") == tmp_path / "s" / "inside.csv"


def test_activities_file_out_of_the_folder_is_refused_in_study_yaml(tmp_path):
    (line,) = settings_problems(tmp_path, "mappings:\n  events:\n    activities_file: ../../etc/passwd\n")
    assert "study.yaml:3: mappings.events.activities_file:" in line and "is outside the study folder" in line


@pytest.mark.parametrize("name", ["survey.csv", "events.csv", "customers.csv", "study.yaml", "model.yaml"])
def test_a_link_out_of_the_study_is_refused_without_echoing_its_target(tmp_path, name):
    secret = tmp_path / "secret.txt"
    secret.write_text("root:x:0:0:TOP-SECRET\n")
    folder = tmp_path / "s"
    folder.mkdir()
    (folder / "model.yaml").write_text(MINI)
    (folder / name).unlink(missing_ok=True)
    (folder / name).symlink_to(secret)
    with pytest.raises(InputError) as info:
        load_study(folder)
    text = str(info.value)
    assert f"{folder / name}: is a symbolic link to a file outside the study folder" in text
    assert "TOP-SECRET" not in text


def test_repeated_csv_headers_are_refused_naming_their_positions(tmp_path):
    f = tmp_path / "survey.csv"
    f.write_text("respondent_id,importance,need_id, importance,x,x\nr1,4,N1,5,a,b\n")
    with pytest.raises(InputError) as info:
        read_csv(f)
    lines = [str(p) for p in info.value.problems]
    assert lines == [f"{f}:1: column 'importance' appears 2 times (columns 2, 4); give each column its own name, "
                     "or drop the copies", f"{f}:1: column 'x' appears 2 times (columns 5, 6); give each column its "
                     "own name, or drop the copies"]


def test_blank_headers_of_a_spreadsheet_export_are_no_repeat(tmp_path):
    f = tmp_path / "survey.csv"
    f.write_text("respondent_id,need_id,,\nr1,N1,,\n")
    table, _ = read_csv(f)
    assert list(table.columns[:2]) == ["respondent_id", "need_id"] and len(table.columns) == 4


def test_csv_text_and_headers_are_nfc(tmp_path):
    f = tmp_path / "survey.csv"
    f.write_text("respondent_id,re\u0301gion\nRen\u00e9,a\nRene\u0301,b\nplain,c\n", encoding="utf-8")
    table, _ = read_csv(f)
    assert list(table.columns) == ["respondent_id", "r\u00e9gion"]
    assert table["respondent_id"].tolist() == ["Ren\u00e9", "Ren\u00e9", "plain"]
    assert table["respondent_id"].nunique() == 2


def test_memory_error_is_reported_as_too_large_not_malformed(tmp_path, monkeypatch):
    import pandas as pd

    def no_memory(*args, **kwargs):
        raise MemoryError

    f = tmp_path / "events.csv"
    f.write_text("customer_id,timestamp,step\nc1,2024-01-01,S1\n")
    monkeypatch.setattr(pd, "read_csv", no_memory)
    with pytest.raises(InputError) as info:
        read_csv(f)
    (line,) = [str(p) for p in info.value.problems]
    assert "is too large to read into memory (0 MiB)" in line and "well-formed" not in line


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


def test_a_segment_value_that_selects_nobody_is_an_input_error_from_load_study():
    """Once an analysis of nobody died deep inside numpy ('zero-size array'); now the load says why."""
    import pytest

    from cem import InputError, load_study
    from conftest import EXAMPLES

    with pytest.raises(InputError) as info:
        load_study(EXAMPLES / "solar", segment=("segment", "demanding"))
    (problem,) = info.value.problems
    assert "no customer has segment = 'demanding'; its values are early_adopter, mainstream" in str(problem)
    assert load_study(EXAMPLES / "solar", segment="segment=mainstream").segment == ("segment", "mainstream")
