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
