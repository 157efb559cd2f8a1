"""study.yaml read (cem.readers.study_config): mappings of the wrong shape and numbers out of range located
by line; files named in it kept inside the study folder."""
import pytest

from cem import InputError, load_study
from conftest import MINI


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


def test_activities_file_out_of_the_folder_is_refused_in_study_yaml(tmp_path):
    (line,) = settings_problems(tmp_path, "mappings:\n  events:\n    activities_file: ../../etc/passwd\n")
    assert "study.yaml:3: mappings.events.activities_file:" in line and "is outside the study folder" in line
