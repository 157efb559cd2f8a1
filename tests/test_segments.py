"""Segments: a study looked at for one group of customers; every loader keeps that group only."""
import pandas as pd
import pytest


from cem.errors import InputError
from cem.study import check_study, load_study
from cem.study import parse_segment, segment_values, select_segment
from conftest import EXAMPLES, MINI

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
