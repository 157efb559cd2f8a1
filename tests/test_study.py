"""A Study reads each data file once and hands the same validated tables to every analysis; it reads the
settings with the model, joins the customers and keeps one segment only."""
import json
import shutil
import subprocess
import sys

import pandas as pd
import pytest

from cem.errors import InputError
from cem.readers import read_customers, read_survey
from cem.study import check_study, join_customers, load_study
from cem.study import parse_segment, segment_values, select_segment
from conftest import EXAMPLES, MINI

# Runs in a child process: an audit hook (PEP 578) sees every open of a file, by any library
# (pandas, pyarrow, gzip, openpyxl), and cannot be removed, so it must not stay in the tests' process.
COUNT_OPENS = r"""
import collections, json, os, sys
folder = os.path.realpath(sys.argv[1])
opens = collections.Counter()
def hook(event, args):
    if event == "open" and isinstance(args[0], (str, bytes, os.PathLike)):
        path = os.path.realpath(os.fsdecode(args[0]))
        if path.startswith(folder + os.sep):
            opens[os.path.basename(path)] += 1
sys.addaudithook(hook)

from cem import clv, journeys, needs, summary, value
from cem.study import check_study

study, _ = check_study(folder)
G = study.graph
before = dict(opens)
opp = needs.opportunity(study.survey(), G)
needs.unmet_by_step(opp, G)
value.step_value(G, needs=opp, events=study.events())
summary.priorities(study)
journeys.dfg(study.events())
journeys.funnel(study.events(), G)
journeys.rework(study.events())
rfm = clv.rfm(study.transactions(), unit="W")
clv.fit_bgnbd(rfm)
clv.study_value_at_stake(study)
study.customers()
print(json.dumps({"after_check": before, "total": dict(opens)}))
"""


def test_every_data_file_is_opened_once_across_the_analyses(tmp_path):
    folder = tmp_path / "solar"
    shutil.copytree(EXAMPLES / "solar", folder)
    out = subprocess.run([sys.executable, "-c", COUNT_OPENS, str(folder)], capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    counts = json.loads(out.stdout.strip().splitlines()[-1])
    data = {"survey.csv", "events.csv", "transactions.csv", "customers.csv"}
    assert data <= set(counts["total"]), counts
    # Each data file: one open, when check_study validated it; the analyses then open nothing.
    assert {name: counts["total"][name] for name in data} == dict.fromkeys(data, 1)
    assert counts["total"] == counts["after_check"]


def test_tables_handed_out_are_copies_the_study_keeps_its_own():
    study = load_study(EXAMPLES / "solar")
    first = study.survey()
    first["importance"] = 0
    first.iloc[0, 0] = "someone else"
    again = study.survey()
    assert again.equals(load_study(EXAMPLES / "solar").survey())
    assert (again["importance"] != 0).all() and again.iloc[0, 0] != "someone else"


def test_the_segment_is_applied_to_every_table():
    study = load_study(EXAMPLES / "solar", segment="segment=mainstream")
    whole = load_study(EXAMPLES / "solar")
    assert 0 < len(study.events()) < len(whole.events())
    assert 0 < len(study.transactions()) < len(whole.transactions())
    assert set(study.customers()["segment"]) == {"mainstream"}


def test_a_study_without_the_file_says_so(tmp_path):
    (tmp_path / "model.yaml").write_text(MINI)
    study = load_study(tmp_path)
    assert study.missing() == ["survey", "events", "transactions", "customers"]
    with pytest.raises(InputError, match="has no survey.csv"):
        study.survey()


def test_check_study_keeps_what_it_read():
    study, _ = check_study(EXAMPLES / "solar")
    assert set(study._read) == set(study.files)


# --- Loading a study: settings with the model, problems of both, links out of the folder

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


# --- The customers join

def write(tmp_path, text, name="survey.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_customers_join_and_checks(tmp_path):
    good = write(tmp_path, "customer_id,segment\nr1,a\nr2,b\n", "customers.csv")
    customers, _ = read_customers(good)
    survey, _ = read_survey(write(tmp_path, "respondent_id,need_id,importance\nr1,N1,5\nr2,N1,1\n"))
    assert join_customers(survey, customers)["segment"].tolist() == ["a", "b"]
    bad = write(tmp_path, "customer_id,segment\nr1,a\nr1,b\n,c\n", "customers.csv")
    with pytest.raises(InputError) as info:
        read_customers(bad)
    lines = [str(p) for p in info.value.problems]
    assert lines == [f"{bad}:4: customer_id is blank", f"{bad}:2,3: customer_id repeated (r1); one row per customer"]


# --- Segments: a study looked at for one group of customers; every loader keeps that group only

SOLAR = EXAMPLES / "solar"


def test_parse_segment_forms():
    assert parse_segment("segment=mainstream") == ("segment", "mainstream")
    assert parse_segment(["region", "north"]) == ("region", "north")
    assert parse_segment(None) is None and parse_segment("") is None
    with pytest.raises(InputError, match="not column=value"):
        parse_segment("mainstream")


def test_segment_values_come_from_customers():
    assert segment_values(load_study(SOLAR), "segment") == ["early_adopter", "mainstream"]
    assert segment_values(load_study(SOLAR), "region") == sorted(
        pd.read_csv(SOLAR / "customers.csv")["region"].unique())


def test_unknown_column_is_named_with_the_files_looked_in():
    with pytest.raises(InputError) as err:
        segment_values(load_study(SOLAR), "segmnet")
    text = str(err.value.problems[0])
    assert "customers.csv" in text and "no column 'segmnet'" in text and "did you mean 'segment'" in text


def test_every_loader_keeps_the_segment_only():
    customers = pd.read_csv(SOLAR / "customers.csv", dtype=str)
    ids = set(customers.loc[customers["segment"] == "mainstream", "customer_id"])
    study = load_study(SOLAR, segment="segment=mainstream")
    assert study.title.endswith("(segment = mainstream)")
    answers = study.survey()
    events = study.events()
    tx = study.transactions()
    table = study.customers()
    assert set(answers["respondent_id"]) <= ids and set(answers["segment"]) == {"mainstream"}
    assert set(events["customer_id"]) <= ids and len(events) > 0
    assert set(tx["customer_id"]) <= ids and len(tx) > 0
    assert set(table.index) == ids
    # Together the segments make the whole: nothing lost, nothing counted twice.
    whole = load_study(SOLAR).survey()
    other = load_study(SOLAR, segment=("segment", "early_adopter")).survey()
    assert len(answers) + len(other) == len(whole[whole["segment"].notna()])


def test_a_value_no_customer_has_is_an_input_error():
    with pytest.raises(InputError) as err:
        check_study(SOLAR, segment="segment=enterprise")
    message = str(err.value.problems[0])
    assert "no customer has segment = 'enterprise'" in message and "early_adopter, mainstream" in message


def test_select_segment_through_customer_ids(tmp_path):
    (tmp_path / "customers.csv").write_text("customer_id,tier\na,gold\nb,silver\n")
    (tmp_path / "model.yaml").write_text(MINI)
    study = load_study(tmp_path, segment="tier=gold")
    tx = pd.DataFrame({"customer_id": ["a", "b", "a"], "amount": [1, 2, 3]})
    assert select_segment(tx, study)["amount"].tolist() == [1, 3]



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


def test_a_segment_column_only_in_the_events_or_survey_selects_through_their_customer_ids(tmp_path):
    """Issue #15: `--by` on a column of the events (or survey) only made transactions() and customers()
    raise 'no column in customers.csv'; the segment's customers are now those the events name."""
    study_dir = tmp_path / "s"
    shutil.copytree(SOLAR, study_dir)
    customers = pd.read_csv(study_dir / "customers.csv", dtype=str)
    region = dict(zip(customers["customer_id"], customers["region"]))
    customers.drop(columns="region").to_csv(study_dir / "customers.csv", index=False)
    events = pd.read_csv(study_dir / "events.csv", dtype=str)
    events["region"] = events["customer_id"].map(region).fillna("prospect")
    events.to_csv(study_dir / "events.csv", index=False)
    north = {c for c, r in region.items() if r == "north"} & set(events["customer_id"])
    assert segment_values(load_study(study_dir), "region") == ["east", "north", "prospect", "south", "west"]
    study = load_study(study_dir, segment="region=north")
    assert set(study.events()["customer_id"]) == north
    assert set(study.transactions()["customer_id"]) <= north and len(study.transactions()) > 0
    assert set(study.customers().index) == north
    assert set(study.survey()["respondent_id"]) <= north and len(study.survey()) > 0
    whole = load_study(study_dir)
    tx = whole.transactions()
    assert len(study.transactions()) == tx["customer_id"].isin(north).sum()

    # The same column in the survey only: the segment is the respondents who answered so.
    survey = pd.read_csv(study_dir / "survey.csv", dtype=str)
    survey["region"] = survey["respondent_id"].map(region)
    survey.to_csv(study_dir / "survey.csv", index=False)
    events.drop(columns="region").to_csv(study_dir / "events.csv", index=False)
    study = load_study(study_dir, segment="region=south")
    south = {c for c, r in region.items() if r == "south"} & set(survey["respondent_id"])
    assert set(study.customers().index) == south and set(study.transactions()["customer_id"]) <= south


def test_a_segment_column_in_no_data_file_is_a_clear_error(tmp_path):
    from types import SimpleNamespace

    (tmp_path / "customers.csv").write_text("customer_id,tier\na,gold\n")
    (tmp_path / "model.yaml").write_text(MINI)
    study = load_study(tmp_path)
    study.segment = ("plan", "gold")
    with pytest.raises(InputError) as info:
        select_segment(pd.DataFrame({"customer_id": ["a"]}), study)
    assert "customers.csv" in str(info.value) and "no column 'plan'" in str(info.value)
    assert select_segment(pd.DataFrame({"plan": ["gold", "x"]}), SimpleNamespace(segment=("plan", "gold"))).shape[0] == 1


def test_generated_data_is_known_by_its_truth_file_or_study_yaml(tmp_path):
    """Issue #15: a report from `cem synth` data must say its data is generated."""
    assert load_study(SOLAR).generated  # its data was made by cem synth (synth_truth.json)
    (tmp_path / "model.yaml").write_text(MINI)
    assert not load_study(tmp_path).generated
    (tmp_path / "study.yaml").write_text("generated: true\n")
    assert load_study(tmp_path).generated
    (tmp_path / "study.yaml").write_text("generated: false\n")
    assert not load_study(tmp_path).generated
    (tmp_path / "synth_truth.json").write_text("{}")
    assert load_study(tmp_path).generated
    (tmp_path / "study.yaml").write_text("generated: maybe\n")
    with pytest.raises(InputError, match="generated must be true or false"):
        load_study(tmp_path)


# --- The run's cache of checked tables (#16 item 2) ---------------------------------------------

def _refuse_reading(monkeypatch):
    import cem.study

    def boom(*args, **kwargs):
        raise AssertionError("a data file was parsed again")

    for name in ("read_survey", "read_events", "read_customers", "read_transactions"):
        monkeypatch.setattr(cem.study, name, boom)


def test_a_cached_load_gives_the_same_tables_and_warnings_without_parsing_again(tmp_path, monkeypatch):
    folder = tmp_path / "solar"
    shutil.copytree(EXAMPLES / "solar", folder)
    cache = tmp_path / "cache"
    plain, plain_warnings = check_study(folder)
    plain_north = load_study(folder, segment="segment=mainstream")
    plain_north_tables = plain_north.events(), plain_north.survey()
    first, first_warnings = check_study(folder, cache_dir=cache)
    assert len(list(cache.glob("*.parquet"))) == 4 and len(list(cache.glob("*.json"))) == 4
    assert not list(cache.glob(".*"))  # no temporary file left
    _refuse_reading(monkeypatch)
    again, again_warnings = check_study(folder, cache_dir=cache)
    assert [str(w) for w in again_warnings] == [str(w) for w in plain_warnings] == [str(w) for w in first_warnings]
    assert any("survey.csv" in str(w) for w in again_warnings)  # the example's survey warning, still shown
    assert again.rows_left_out("survey") == plain.rows_left_out("survey")
    for key in plain.files:
        pd.testing.assert_frame_equal(again.read(key)[0], plain.read(key)[0], check_exact=True)
    # The segment is applied after the cache, as without it.
    north = load_study(folder, segment="segment=mainstream", cache_dir=cache)
    pd.testing.assert_frame_equal(north.events(), plain_north_tables[0])
    pd.testing.assert_frame_equal(north.survey(), plain_north_tables[1])


def test_an_edited_file_or_model_is_read_again(tmp_path, monkeypatch):
    from cem.study import read_key

    folder = tmp_path / "solar"
    shutil.copytree(EXAMPLES / "solar", folder)
    cache = tmp_path / "cache"
    study, _ = check_study(folder, cache_dir=cache)
    keys = {k: read_key(study, k) for k in study.files}
    # One customer less: only customers.csv's entry changes.
    lines = (folder / "customers.csv").read_text().splitlines()
    (folder / "customers.csv").write_text("\n".join(lines[:-1]) + "\n")
    study = load_study(folder, cache_dir=cache)
    assert {k: read_key(study, k) == keys[k] for k in keys} == {"survey": True, "events": True,
                                                                 "transactions": True, "customers": False}
    assert len(study.read("customers")[0]) == len(lines) - 2
    # The model: survey and events are placed on its steps, so their entries change; the others do not.
    (folder / "model.yaml").write_text((folder / "model.yaml").read_text() + "\n# a comment\n")
    study = load_study(folder, cache_dir=cache)
    assert read_key(study, "survey") != keys["survey"] and read_key(study, "events") != keys["events"]
    assert read_key(study, "transactions") == keys["transactions"]
    # A copy of the same content elsewhere is another file name (the warnings quote it): its own entry.
    other = tmp_path / "other"
    shutil.copytree(folder, other)
    assert read_key(load_study(other), "transactions") != keys["transactions"]


def test_a_file_with_problems_raises_as_without_the_cache_and_nothing_is_kept(tmp_path):
    (tmp_path / "model.yaml").write_text(MINI)
    (tmp_path / "customers.csv").write_text("customer_id,segment\n,north\n")  # no id
    cache = tmp_path / ".cache"
    with pytest.raises(InputError) as plain:
        check_study(tmp_path)
    with pytest.raises(InputError) as cached:
        check_study(tmp_path, cache_dir=cache)
    assert [str(p) for p in cached.value.problems] == [str(p) for p in plain.value.problems]
    assert not cache.exists() or not list(cache.iterdir())


def test_a_damaged_cache_entry_is_read_from_the_file(tmp_path):
    (tmp_path / "model.yaml").write_text(MINI)
    (tmp_path / "customers.csv").write_text("customer_id,segment\na,north\nb,south\n")
    cache = tmp_path / ".cache"
    check_study(tmp_path, cache_dir=cache)
    (table,) = cache.glob("*.parquet")
    table.write_bytes(b"not parquet")
    study, _ = check_study(tmp_path, cache_dir=cache)
    assert study.read("customers")[0]["customer_id"].tolist() == ["a", "b"]


def test_a_load_that_names_the_folder_otherwise_finds_the_same_entry(tmp_path, monkeypatch):
    """The run's check names the study as the user did; the notebooks get its full path."""
    folder = tmp_path / "solar"
    shutil.copytree(EXAMPLES / "solar", folder)
    cache = tmp_path / "cache"
    monkeypatch.chdir(tmp_path)
    _, relative = check_study("solar", cache_dir=cache)
    _refuse_reading(monkeypatch)
    _, absolute = check_study(folder, cache_dir=cache)
    assert any(w.file == "solar/survey.csv" for w in relative)
    assert [str(w) for w in absolute] == [str(w).replace("solar/", f"{folder}/", 1) for w in relative]
