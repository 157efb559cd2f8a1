"""The cem command as a new user meets it: one line per problem, exit 2, never a traceback."""
import subprocess
import sys

import pytest

from conftest import EXAMPLES, MINI


def cem(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "cem.cli", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, timeout=300)


def test_validate_valid_examples_prints_counts():
    r = cem("validate", EXAMPLES / "solar", EXAMPLES / "payroll")
    assert r.returncode == 0, r.stderr
    assert "valid: 6 jobs, 27 steps, 5 entities, 10 actors, 19 touchpoints, 33 needs, 9 resources" in r.stdout
    assert r.stdout.count("valid:") == 2


BROKEN = {
    "duplicate_id": (MINI.replace("{id: R1,", "{id: T1,"), ["duplicate id 'T1'"]),
    "unknown_stage": (MINI.replace("stage: use}", "stage: usage}", 1), [":13: steps[S2].stage: stage 'usage'",
                                                                    "did you mean 'use'?"]),
    "missing_step": (MINI.replace("step: S1, owner", "step: S7, owner"), [":16: touchpoints[T1].step: step 'S7' does not exist"]),
    "malformed": ("jobs:\n  - {id: J\n", ["malformed YAML"]),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_validate_broken_models(tmp_path, case):
    text, expected = BROKEN[case]
    path = tmp_path / "model.yaml"
    path.write_text(text)
    r = cem("validate", path)
    assert r.returncode == 2
    assert "Traceback" not in r.stderr and r.stdout == ""
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"{path}:")
    for fragment in expected:
        assert fragment in lines[0]


def test_validate_several_problems_one_line_each(tmp_path):
    path = tmp_path / "model.yaml"
    path.write_text(MINI.replace("{id: R1,", "{id: T1,").replace("stage: use}", "stage: usage}", 1)
                    .replace("step: S1, owner", "step: S7, owner"))
    r = cem("validate", path)
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 3 and "Traceback" not in r.stderr


@pytest.mark.parametrize("setup, message", [
    (lambda p: p / "nope.yaml", "no such file or folder"),
    (lambda p: (p / "e.yaml").write_text("") and p / "e.yaml" or p / "e.yaml", "is empty"),
    (lambda p: p, "holds no model"),
    (lambda p: (p / "b.yaml").write_bytes(bytes(range(256))) and p / "b.yaml", "is a binary file"),
])
def test_validate_unreadable_paths(tmp_path, setup, message):
    path = setup(tmp_path)
    r = cem("validate", path)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert r.stderr.strip() == f"{path}: {message}" or r.stderr.startswith(f"{path}: {message}")


def test_export_graphml_and_json(tmp_path):
    for ext in ("graphml", "json"):
        out = tmp_path / f"solar.{ext}"
        r = cem("export", EXAMPLES / "solar", out)
        assert r.returncode == 0, r.stderr
        assert out.stat().st_size > 10_000


def test_export_unknown_format_and_bad_model(tmp_path):
    r = cem("export", EXAMPLES / "solar", tmp_path / "solar.docx")
    assert r.returncode == 2 and "unknown export format '.docx'" in r.stderr
    assert not (tmp_path / "solar.docx").exists()
    r = cem("export", tmp_path / "missing", tmp_path / "x.json")
    assert r.returncode == 2 and "no such file" in r.stderr and not (tmp_path / "x.json").exists()


def test_usage_errors_exit_2():
    r = cem("validate")
    assert r.returncode == 2 and "usage:" in r.stderr


def _synth_study(tmp_path):
    study = tmp_path / "gym"
    study.mkdir()
    (study / "model.yaml").write_text((EXAMPLES / "payroll" / "model.yaml").read_text())
    (study / "study.yaml").write_text("title: Gym\npseudonym_key: secret\n")
    (study / "study.yaml").chmod(0o600)
    return study


SMALL = ["--respondents", "30", "--customers", "60", "--prospects", "5"]


def test_synth_writes_a_new_study_folder_beside_the_study_by_default(tmp_path, capsys):
    """Issue #15: `cem synth STUDY` wrote generated data into the client's study folder."""
    from cem.cli import main

    study = _synth_study(tmp_path)
    (study / "customers.csv").write_text("customer_id\nreal-1\n")  # the client's own data
    assert main(["synth", str(study), *SMALL]) == 0, capsys.readouterr().err
    out = tmp_path / "gym-synth"
    assert sorted(p.name for p in study.iterdir()) == ["customers.csv", "model.yaml", "study.yaml"]
    assert (study / "customers.csv").read_text() == "customer_id\nreal-1\n"
    assert {"model.yaml", "study.yaml", "survey.csv", "customers.csv", "events.csv", "transactions.csv",
            "synth_truth.json"} == {p.name for p in out.iterdir()}
    assert "generated data (not measured: reports of it say so) in" in capsys.readouterr().out
    assert (out / "study.yaml").stat().st_mode == (study / "study.yaml").stat().st_mode  # the key's file stays as private
    # Again: the generated files exist; nothing is written over without --force.
    before = (out / "survey.csv").read_text()
    assert main(["synth", str(study), *SMALL, "--seed", "3"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"{out / 'survey.csv'}: exists already: cem synth does not write over data files; name a new " \
                  "folder with --out DIR, or pass --force to replace it"
    assert (out / "survey.csv").read_text() == before
    assert main(["synth", str(study), *SMALL, "--seed", "3", "--force"]) == 0
    assert (out / "survey.csv").read_text() != before


def test_synth_beside_data_only_when_asked_and_never_over_a_file_silently(tmp_path, capsys):
    from cem.cli import main

    study = _synth_study(tmp_path)
    (study / "customers.csv").write_text("customer_id\nreal-1\n")
    assert main(["synth", str(study), *SMALL, "--beside-data"]) == 2
    assert capsys.readouterr().err.strip().startswith(f"{study / 'customers.csv'}: exists already")
    assert (study / "customers.csv").read_text() == "customer_id\nreal-1\n"
    (study / "customers.csv").unlink()
    (study / "events.parquet").write_bytes(b"PAR1")  # the study's own events, under another name
    assert main(["synth", str(study), *SMALL, "--beside-data"]) == 2
    assert capsys.readouterr().err.strip().startswith(f"{study / 'events.parquet'}: is this folder's events data")
    (study / "events.parquet").unlink()
    assert main(["synth", str(study), *SMALL, "--beside-data"]) == 0
    assert (study / "synth_truth.json").is_file() and not (tmp_path / "gym-synth").exists()
    assert main(["synth", str(study), "--beside-data", "--out", str(tmp_path / "x")]) == 2
    assert "--beside-data: writes into the study folder itself" in capsys.readouterr().err


def test_synth_into_a_folder_with_another_model_or_settings_is_refused(tmp_path, capsys):
    from cem.cli import main

    study = _synth_study(tmp_path)
    out = tmp_path / "elsewhere"
    out.mkdir()
    (out / "study.yaml").write_text("title: Someone else's\n")
    assert main(["synth", str(study), *SMALL, "--out", str(out)]) == 2
    assert capsys.readouterr().err.strip().startswith(f"{out / 'study.yaml'}: exists already and differs from")
    assert (out / "study.yaml").read_text() == "title: Someone else's\n" and len(list(out.iterdir())) == 1
    (out / "study.yaml").write_text("title: Gym\npseudonym_key: secret\n")  # the same settings: nothing changes
    assert main(["synth", str(study), *SMALL, "--out", str(out)]) == 0


def test_synth_of_a_model_with_one_need_is_bad_input_not_a_crash(tmp_path, capsys):
    """`cem new gym && cem synth gym`: the starter model has one need; cem synth said 'internal error'."""
    from cem.cli import main
    from cem.scaffold import new_study

    new_study(tmp_path / "gym")
    assert main(["synth", str(tmp_path / "gym")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.endswith("model.xlsx: has 1 need(s) of customers' actors; cem synth needs at least two to make a "
                        "survey: add needs to the model"), err
    assert not (tmp_path / "gym-synth").exists()
