"""The generator: deterministic, honest about what it planted, careful with existing files."""
import json
import subprocess
import sys

import pandas as pd
import pytest

from cem import InputError, load_model
from cem.synth import customer_needs, survey, write_study_data
from conftest import EXAMPLES, MINI


def test_same_seed_same_data_other_seed_other_data():
    G = load_model(EXAMPLES / "payroll")
    a1, c1, t1 = survey(G, n=50, seed=5)
    a2, c2, t2 = survey(G, n=50, seed=5)
    a3, _, _ = survey(G, n=50, seed=6)
    pd.testing.assert_frame_equal(a1, a2)
    pd.testing.assert_frame_equal(c1, c2)
    assert t1 == t2 and not a1.equals(a3)


def test_only_customer_side_needs_are_surveyed():
    G = load_model(EXAMPLES / "solar")
    needs = customer_needs(G)
    assert "N_price_time" in needs and "N_income_check" not in needs  # the loan officer's need
    answers, _, _ = survey(G, n=10, seed=0)
    assert set(answers["need_id"]) == set(needs)
    assert answers[["importance", "satisfaction"]].stack().dropna().between(1, 5).all()


def test_planted_needs_must_be_customer_needs():
    G = load_model(EXAMPLES / "solar")
    with pytest.raises(ValueError, match="not a customer need"):
        survey(G, n=10, underserved=["N_income_check"])


def test_write_refuses_to_overwrite_and_copies_the_model(tmp_path):
    study = tmp_path / "bikes"
    study.mkdir()
    (study / "model.yaml").write_text(MINI.replace("needs:\n", "needs:\n  - {id: N2, step: S2, actor: rider, "
                                                   "dimension: social, statement: Maximize the pride of a quiet bike}\n"))
    out = tmp_path / "generated"
    written = write_study_data(study, out, n=20, seed=1)
    assert {p.name for p in written} == {"model.yaml", "survey.csv", "customers.csv", "synth_truth.json"}
    before = (out / "survey.csv").read_text()
    with pytest.raises(InputError, match="exists already; pass --force"):
        write_study_data(study, out, n=30, seed=2)
    assert (out / "survey.csv").read_text() == before  # nothing overwritten
    write_study_data(study, out, n=30, seed=2, force=True)
    assert json.loads((out / "synth_truth.json").read_text())["respondents"] == 30


@pytest.mark.parametrize("name, seed, names", [("solar", 7, "mainstream,early_adopter"), ("payroll", 11, "steady,scaling")])
def test_committed_example_data_is_reproducible(tmp_path, name, seed, names):
    r = subprocess.run([sys.executable, "-m", "cem.cli", "synth", str(EXAMPLES / name), "--out", str(tmp_path),
                        "--seed", str(seed), "--segments", names], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    for f in ("survey.csv", "customers.csv", "synth_truth.json"):
        assert (tmp_path / f).read_bytes() == (EXAMPLES / name / f).read_bytes(), f
    assert json.loads((tmp_path / "synth_truth.json").read_text())["respondents"] >= 300


def test_cli_synth_bad_segments(tmp_path):
    r = subprocess.run([sys.executable, "-m", "cem.cli", "synth", str(EXAMPLES / "solar"), "--out", str(tmp_path),
                        "--segments", "onlyone"], capture_output=True, text=True)
    assert r.returncode == 2 and "expects two names" in r.stderr and not list(tmp_path.iterdir())
