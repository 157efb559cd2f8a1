import pytest

from cem.outcomes import check_outcome_statement


@pytest.mark.parametrize("statement", [
    "Minimize the time it takes to get a firm price for the roof",
    "Maximize the likelihood that pay arrives on time",
    "Minimize the number of payment files rejected",
])
def test_good_statements_pass(statement):
    assert check_outcome_statement(statement) == []


@pytest.mark.parametrize("statement, fragment", [
    ("A faster installation", "has no direction"),
    ("Reduce the time it takes to install", "starts with 'Reduce'"),
    ("Minimize installation", "names no metric"),
    ("", "is empty"),
])
def test_weak_statements_are_flagged(statement, fragment):
    assert any(fragment in p for p in check_outcome_statement(statement))


def test_direction_must_agree_with_the_statement():
    assert check_outcome_statement("Minimize the time it takes", direction="maximize") == [
        "says 'minimize' but the need's direction is 'maximize'"]


def test_warnings_reach_cem_validate(write_model):
    from cem.study import load_study
    from conftest import MINI

    path = write_model(MINI.replace("statement: Minimize the time it takes to get a slot", "statement: Quick slots"))
    study = load_study(path)
    (w,) = study.warnings
    assert str(w).startswith(f"{path}:18: needs[N1].statement: warning: the outcome statement has no direction")
