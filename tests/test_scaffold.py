"""cem new --from: the model's own text cannot break or add to the files it writes."""
import csv

import yaml

from cem.cli import main
from cem.study import load_study
from cem.scaffold import new_study, yaml_scalar
from conftest import MINI

HOSTILE = 'Acme: the journey\nhorizon: 10000 # "quoted" \'single\' {x: [1]} &a *a'


def source_with(tmp_path, name=HOSTILE, statement="=HYPERLINK(\"http://example.invalid\",\"x\")"):
    folder = tmp_path / "source"
    folder.mkdir()
    text = MINI.replace("model: {name: Mini, currency: EUR}", "model: {name: " + yaml_scalar(name) + ", currency: EUR}")
    text = text.replace("statement: Minimize the time it takes to get a slot", "statement: " + yaml_scalar(statement))
    (folder / "model.yaml").write_text(text, encoding="utf-8")
    return folder


def test_a_hostile_model_name_round_trips_as_exactly_that_name(tmp_path):
    new_study(tmp_path / "s", example=str(source_with(tmp_path)))
    settings = yaml.safe_load((tmp_path / "s" / "study.yaml").read_text(encoding="utf-8"))
    assert settings["title"] == HOSTILE
    assert settings["horizon"] == 3 and settings["currency"] == "EUR"  # nothing injected, nothing lost
    study = load_study(tmp_path / "s")
    assert study.config["title"] == HOSTILE and study.config["horizon"] == 3


def test_every_name_written_reads_back(tmp_path):
    for name in ["plain", "a: b", "- item", "# not a comment", "'", '"', "yes", "null", "12", "1e3", "[x]", "{y}",
                 "line\nbreak", "tab\there", "é\u0301 😀", "key: value\n---\nother: doc", "\\"]:
        assert yaml.safe_load("title: " + yaml_scalar(name)) == {"title": name}, name


def test_survey_template_cells_cannot_run_as_formulas(tmp_path):
    new_study(tmp_path / "s", example=str(source_with(tmp_path)))
    with open(tmp_path / "s" / "survey_template.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["respondent_id", "need_id", "importance", "satisfaction", "statement"]
    assert rows[1][4] == "'=HYPERLINK(\"http://example.invalid\",\"x\")"
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


def test_a_statement_with_quotes_and_commas_stays_one_cell(tmp_path):
    new_study(tmp_path / "s", example=str(source_with(tmp_path, statement='Minimize the time, "really", to book')))
    with open(tmp_path / "s" / "survey_template.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    assert rows[1] == ["R0001", "N1", "", "", 'Minimize the time, "really", to book']


def test_cem_new_from_a_broken_model_writes_nothing(tmp_path, capsys):
    source = source_with(tmp_path)
    (source / "model.yaml").write_text(MINI.replace("provided_by: shop", "provided_by: garage"), encoding="utf-8")
    assert main(["new", str(tmp_path / "s"), "--from", str(source)]) == 2
    assert "entity 'garage' does not exist" in capsys.readouterr().err
    assert not (tmp_path / "s").exists()


def test_cem_new_writes_a_secret_pseudonym_key_explained_in_study_yaml(tmp_path):
    """Issue #15: `cem new`'s study.yaml did not mention the key, so pseudonyms changed every run."""
    import stat

    from cem.privacy import pseudonym_key
    from cem.readers import read_study_config
    from cem.scaffold import new_study

    new_study(tmp_path / "a")
    new_study(tmp_path / "b", example="solar")
    text = (tmp_path / "a" / "study.yaml").read_text(encoding="utf-8")
    assert "KEEP IT SECRET" in text and "pseudonym" in text.lower() and "private/<list>_ids.csv" in text
    config, problems, _ = read_study_config(tmp_path / "a" / "study.yaml", tmp_path / "a")
    assert problems == [] and len(config["pseudonym_key"]) == 32
    other, _, _ = read_study_config(tmp_path / "b" / "study.yaml", tmp_path / "b")
    assert other["pseudonym_key"] != config["pseudonym_key"]  # each study its own secret
    assert pseudonym_key(config) == (config["pseudonym_key"], "study.yaml")
    assert stat.S_IMODE((tmp_path / "a" / "study.yaml").stat().st_mode) == 0o600
