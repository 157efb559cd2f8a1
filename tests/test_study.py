"""A Study reads each data file once and hands the same validated tables to every analysis."""
import json
import shutil
import subprocess
import sys

import pytest

from cem.errors import InputError
from cem.study import check_study, load_study
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
