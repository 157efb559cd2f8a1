"""Survey input (cem.readers.survey): long and wide forms, and one clear line per problem."""
import subprocess
import sys

import pytest

from cem import InputError, load_model
from cem.needs import survey_overview
from cem.readers import read_survey
from conftest import EXAMPLES, MINI


@pytest.fixture
def G(write_model):
    return load_model(write_model(MINI.replace("needs:\n", "needs:\n  - {id: N2, step: S2, actor: rider, "
                                               "dimension: social, statement: Maximize the pride of a quiet bike}\n")))


def write(tmp_path, text, name="survey.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def problems(path, G, mapping=None):
    with pytest.raises(InputError) as info:
        read_survey(path, G, mapping)
    return [str(p) for p in info.value.problems]


def test_long_form(tmp_path, G):
    path = write(tmp_path, "respondent_id,need_id,importance,satisfaction,region\nr1,N1,5,2,north\nr1,N2,3,\nr2,N1,4,4,south\n")
    survey, warnings = read_survey(path, G)
    assert survey.shape == (3, 5) and survey["importance"].tolist() == [5.0, 3.0, 4.0]
    assert survey_overview(survey)["blank_answers"] == {"importance": 0, "satisfaction": 1}
    assert "1 answer is blank (satisfaction: 1)" in str(warnings[0])


def test_wide_form_by_column_names(tmp_path, G):
    path = write(tmp_path, "respondent_id,N1_importance,N1_satisfaction,N2_importance,N2_satisfaction\n"
                           "r1,5,1,2,4\nr2,4,2,,5\n")
    survey, _ = read_survey(path, G)
    assert len(survey) == 4
    assert survey.set_index(["respondent_id", "need_id"]).loc[("r2", "N1"), "satisfaction"] == 2.0


def test_wide_form_by_mapping(tmp_path, G):
    path = write(tmp_path, "ResponseId,Q5_1,Q6_1,Q5_2,Q6_2\nr1,5,1,2,4\nr2,4,2,3,5\n")
    mapping = {"respondent_id": "ResponseId", "wide": {"N1": {"importance": "Q5_1", "satisfaction": "Q6_1"},
                                                       "N2": {"importance": "Q5_2", "satisfaction": "Q6_2"}}}
    survey, _ = read_survey(path, G, mapping)
    assert sorted(survey["need_id"].unique()) == ["N1", "N2"] and survey["importance"].sum() == 14
    bad = dict(mapping, wide={"N1": {"importance": "Q05_1"}})
    assert any("column 'Q05_1' (need 'N1', importance) is not in the file; did you mean 'Q5_1'?" in p
               for p in problems(path, G, bad))


def test_every_problem_of_a_bad_survey_at_once(tmp_path, G):
    path = write(tmp_path, "respondent_id,need_id,importance,satisfaction\n"
                           "r1,N1,7,2\n"       # line 2: outside 1-5
                           "r1,N9,4,2\n"       # line 3: not a need
                           "r2,N1,high,2\n"    # line 4: not a number
                           "r2,N2,4,0\n"       # line 5: outside 1-5
                           "r3,N1,4,4\n"
                           "r3,N1,5,4\n"       # lines 6-7: duplicate pair
                           "r4,S1,4,4\n"       # line 8: a step, not a need
                           "r5,N2,4.5,3\n")    # line 9: not a whole rating
    lines = problems(path, G)
    assert f"{path}:2,9: importance is outside 1-5 ('7', '4.5'); ratings are whole numbers 1 (low) to 5 (high)" in lines
    assert f"{path}:3: need_id 'N9' is not a need of the model" in lines
    assert f"{path}:4: importance must be a rating 1 (low) to 5 (high); got 'high'" in lines
    assert f"{path}:5: satisfaction is outside 1-5 ('0'); ratings are whole numbers 1 (low) to 5 (high)" in lines
    assert any(l.startswith(f"{path}:6,7: 1 respondent x need pair(s) answered more than once (r3 x N1") for l in lines)
    assert f"{path}:8: 'S1' is a step, not a need" in lines
    assert len(lines) == 6


@pytest.mark.parametrize("text, message", [
    ("", "is empty"),
    ("respondent_id,need_id,importance,satisfaction\n", "has a header but no answers"),
    ("resp,need_id,importance\nr1,N1,4\n", "no 'respondent_id' column"),
    ("respondent_id,importance\nr1,4\n", "has neither a 'need_id' column"),
    ("respondent_id,need_id,comment\nr1,N1,ok\n", "no answers: expected columns importance and satisfaction"),
])
def test_unusable_files(tmp_path, G, text, message):
    path = write(tmp_path, text)
    (line,) = problems(path, G)
    assert message in line


def test_many_bad_rows_are_summarised_on_one_line(tmp_path, G):
    rows = "".join(f"r{i},N1,9,1\n" for i in range(50))
    (line,) = problems(write(tmp_path, "respondent_id,need_id,importance,satisfaction\n" + rows), G)
    assert ":2,3,4,5,6 (+45 more): importance is outside 1-5 ('9')" in line


def test_kano_answers_as_words_or_codes(tmp_path, G):
    path = write(tmp_path, "respondent_id,need_id,importance,satisfaction,functional,dysfunctional\n"
                           "r1,N1,5,1,like,dislike\nr2,N1,4,2,2,5\nr3,N1,4,2,maybe,5\n")
    lines = problems(path, G)
    assert lines == [f"{path}:4: functional must be a Kano answer: 1 like, 2 expect, 3 neutral, 4 live with, "
                     "5 dislike; got 'maybe'"]


def test_latin1_file_is_read_with_a_warning(tmp_path, G):
    path = tmp_path / "survey.csv"
    path.write_bytes("respondent_id,need_id,importance,satisfaction,city\nr1,N1,5,2,Zürich\n".encode("latin-1"))
    survey, warnings = read_survey(path, G)
    assert survey.loc[0, "city"] == "Zürich" and "read as Latin-1" in str(warnings[0])


def test_cem_validate_on_a_study_with_a_bad_survey(tmp_path):
    (tmp_path / "model.yaml").write_text(MINI)
    (tmp_path / "survey.csv").write_text("respondent_id,need_id,importance,satisfaction\nr1,N1,6,2\nr1,NX,4,4\n")
    r = subprocess.run([sys.executable, "-m", "cem.cli", "validate", str(tmp_path)], capture_output=True, text=True)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 2 and all(l.startswith(str(tmp_path / "survey.csv")) for l in lines)


def test_example_surveys_are_valid():
    from cem.study import check_study

    for name in ("solar", "payroll"):
        study, warnings = check_study(EXAMPLES / name)
        assert {"survey", "customers"} <= set(study.files)
        assert all("blank" in w.message for w in warnings)


def test_a_million_row_survey_in_bounded_memory(tmp_path):
    """1,000,000 answers (50,000 respondents x 20 needs) read and scored in well under 1 GiB."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(0)
    n = 1_000_000
    path = tmp_path / "survey.csv"
    pd.DataFrame({"respondent_id": np.char.add("R", np.repeat(np.arange(n // 20), 20).astype(str)),
                  "need_id": np.tile(np.char.add("N", np.arange(20).astype(str)), n // 20),
                  "importance": rng.integers(1, 6, n), "satisfaction": rng.integers(1, 6, n)}).to_csv(path, index=False)
    code = ("import resource, sys\nfrom cem.readers import read_survey\nfrom cem.needs import opportunity\n"
            f"s, _ = read_survey({str(path)!r})\no = opportunity(s)\n"
            # VmHWM: this program's own peak (ru_maxrss can carry the peak of the forked test process)
            "hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM')]\n"
            "peak = int(hwm[0].split()[1]) if hwm else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
            "print(len(s), len(o), peak / 2**20)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    rows, needs, gib = r.stdout.split()
    assert (int(rows), int(needs)) == (n, 20)
    assert float(gib) < 1.0, f"peak memory {gib} GiB"


# Hardening, round two: renames onto existing columns, NFC ids, the wide mapping.

def test_a_rename_onto_an_existing_column_names_both(tmp_path, G):
    p = write(tmp_path, "respondent_id,Q1,need_id,importance,satisfaction\nr1,x1,N1,4,2\n")
    (line,) = problems(p, G, {"respondent_id": "Q1"})
    assert line.startswith(f"{p}:1: ") and "'Q1'" in line and "'respondent_id' column too" in line


def test_two_names_mapped_onto_one_column(tmp_path, G):
    p = write(tmp_path, "Q1,need_id,importance,satisfaction\nr1,N1,4,2\n")
    (line,) = problems(p, G, {"respondent_id": "Q1", "need_id": "Q1"})
    assert "'respondent_id' and 'need_id' onto the same column 'Q1'" in line


def test_a_swap_of_two_columns_is_not_a_clash(tmp_path, G):
    p = write(tmp_path, "need_id,respondent_id,importance,satisfaction\nr1,N1,4,2\n")
    survey, _ = read_survey(p, G, {"respondent_id": "need_id", "need_id": "respondent_id"})
    assert survey.loc[0, "respondent_id"] == "r1" and survey.loc[0, "need_id"] == "N1"


def test_nfc_and_nfd_ids_are_one_respondent(tmp_path, G):
    nfc, nfd = "Ren\u00e9", "Rene\u0301"
    p = write(tmp_path, f"respondent_id,need_id,importance,satisfaction\n{nfc},N1,4,2\n{nfd},N1,5,3\n")
    assert any("answered more than once" in line for line in problems(p, G))
    wide = write(tmp_path, f"respondent_id,N1_importance,N1_satisfaction\n{nfc},4,2\n{nfd},5,3\n", "wide.csv")
    assert any("answered more than once" in line for line in problems(wide, G))
    one = write(tmp_path, f"respondent_id,N1_importance,N1_satisfaction\n{nfd},4,2\n", "one.csv")
    assert read_survey(one, G)[0].loc[0, "respondent_id"] == nfc


def test_the_wide_mapping_cannot_put_two_needs_on_one_column(tmp_path, G):
    p = write(tmp_path, "respondent_id,Q5,Q6\nr1,4,2\n")
    (line,) = problems(p, G, {"wide": {"N1": {"importance": "Q5", "satisfaction": "Q6"},
                                       "N2": {"importance": "Q5"}}})
    assert line.startswith(f"{p}:1: ") and "need 'N2' (importance)" in line and "need 'N1' (importance)" in line
