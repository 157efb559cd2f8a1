"""Provenance: each data file's rows, dates and customers as the analyses see them; generated data flagged."""
import shutil

import pandas as pd

from cem import load_study
from cem.provenance import data_provenance, is_generated, model_version
from conftest import EXAMPLES


def test_rows_dates_and_customers_are_those_the_analyses_read():
    study = load_study(EXAMPLES / "solar")
    p = data_provenance(study).set_index("file")
    tx = study.transactions()
    assert p.loc["transactions.csv", "rows"] == len(tx) == p.loc["transactions.csv", "rows_in_file"]
    assert p.loc["transactions.csv", "first"] == pd.Timestamp(tx["date"].min()).tz_localize(None)
    assert p.loc["transactions.csv", "last"] == pd.Timestamp(tx["date"].max()).tz_localize(None)
    assert p.loc["transactions.csv", "customers"] == tx["customer_id"].nunique()
    assert p.loc["survey.csv", "customers"] == study.survey()["respondent_id"].nunique() == 400
    assert p.loc["customers.csv", "customers"] == len(study.customers())
    assert pd.isna(p.loc["survey.csv", "first"])  # the survey's rows are not dated
    assert p["generated"].all() and is_generated(study)


def test_a_segment_counts_its_own_rows(tmp_path):
    whole = data_provenance(load_study(EXAMPLES / "solar")).set_index("file")
    part = data_provenance(load_study(EXAMPLES / "solar", segment=["segment", "early_adopter"])).set_index("file")
    assert (part["rows"] < whole["rows"]).all()
    assert (part["rows_in_file"] == whole["rows_in_file"]).all()


def test_measured_data_is_not_flagged_and_the_model_hash_follows_its_bytes(tmp_path):
    folder = tmp_path / "s"
    shutil.copytree(EXAMPLES / "solar", folder, ignore=shutil.ignore_patterns("synth_truth.json"))
    study = load_study(folder)
    assert not data_provenance(study)["generated"].any()
    before = model_version(study)
    assert before["version"] == "1.0" and before["file"] == "model.yaml" and len(before["sha256"]) == 12
    (folder / "model.yaml").write_text((folder / "model.yaml").read_text() + "\n# revised\n")
    assert model_version(load_study(folder))["sha256"] != before["sha256"]
