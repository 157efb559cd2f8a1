"""The bad-input corpus (tests/bad_inputs/, written by make_corpus.py): every broken or hostile
file gives a clear line naming it, exit code 2, no traceback, and nothing written; files that
can be read safely (BOM, Latin-1, UTF-16, semicolons) are, with a warning that says so."""
import hashlib
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from cem.cli import main

CORPUS = Path(__file__).resolve().parent / "bad_inputs"
CASES = yaml.safe_load((CORPUS / "cases.yaml").read_text(encoding="utf-8"))


def snapshot(folder):
    """Every file under the case folder (links as links, never followed), with its content's hash."""
    out = {}
    for p in sorted(folder.rglob("*")):
        rel = str(p.relative_to(folder))
        if p.is_symlink():
            out[rel] = "link:" + str(p.readlink())
        elif p.is_file():
            out[rel] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def test_the_corpus_is_complete():
    folders = {p.name for p in CORPUS.iterdir() if p.is_dir() and not p.name.startswith("__")}
    assert folders == set(CASES)
    assert len(CASES) >= 150
    assert sum(c["expect"] == "error" for c in CASES.values()) >= 120


@pytest.mark.parametrize("case", sorted(CASES))
def test_case(case, capsys, tmp_path):
    folder = CORPUS / case
    before = snapshot(folder)
    argv = [a.replace("{case}", str(folder)).replace("{tmp}", str(tmp_path))
            for a in CASES[case].get("argv", ["validate", "{case}"])]
    code = main(argv)
    out, err = capsys.readouterr()
    expect, says = CASES[case]["expect"], CASES[case]["says"]
    assert "Traceback" not in err and "Traceback" not in out
    assert says in (err + out), f"{case}: {err}"
    if expect == "error":
        assert code == 2
        lines = [line for line in err.splitlines() if line.strip()]
        if "argv" not in CASES[case]:  # a validate line names its file; other commands name file or option
            assert lines and all(line.startswith(str(folder)) for line in lines)
        assert lines and len(lines) <= 60 and all(len(line) <= 2000 for line in lines)  # capped
    else:
        assert code == 0
        if expect == "warning":
            assert "warning:" in err
    assert snapshot(folder) == before  # nothing written, nothing changed


@pytest.mark.parametrize("case", ["model_alias_bomb", "events_entity_expansion", "model_binary", "events_truncated_gzip"])
def test_hostile_cases_from_the_shell(case):
    r = subprocess.run([sys.executable, "-m", "cem.cli", "validate", str(CORPUS / case)], capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 2 and "Traceback" not in r.stderr and r.stderr.strip()


def test_size_limit_is_enforced_and_configurable(tmp_path, monkeypatch, capsys):
    import gzip

    (tmp_path / "model.yaml").write_text((CORPUS / "survey_empty" / "model.yaml").read_text())
    (tmp_path / "survey.csv").write_text("respondent_id,need_id,importance,satisfaction\n" + "r1,N1,4,2\n" * 200)
    monkeypatch.setenv("CEM_MAX_INPUT_BYTES", "1000")
    assert main(["validate", str(tmp_path)]) == 2
    assert "data files may be at most" in capsys.readouterr().err
    # A gzip that expands past the limit stops while being read (a zip bomb never fills memory).
    (tmp_path / "survey.csv").unlink()
    (tmp_path / "events.xes.gz").write_bytes(gzip.compress(b"<log>" + b" " * 50_000 + b"</log>"))
    assert main(["validate", str(tmp_path)]) == 2
    assert "decompressed" in capsys.readouterr().err
    monkeypatch.delenv("CEM_MAX_INPUT_BYTES")


def test_the_corpus_generator_is_reproducible(tmp_path):
    """make_corpus.py rewrites the committed corpus byte for byte (so the corpus is reviewable code)."""
    import shutil

    copy = tmp_path / "bad_inputs"
    shutil.copytree(CORPUS, copy, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(CORPUS.parent / "conftest.py", tmp_path / "conftest.py")  # the generator takes MINI from it
    before = {p.relative_to(copy): p.read_bytes() for p in copy.rglob("*") if p.is_file()}
    r = subprocess.run([sys.executable, str(copy / "make_corpus.py")], capture_output=True, text=True, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    after = {p.relative_to(copy): p.read_bytes() for p in copy.rglob("*") if p.is_file() and "__pycache__" not in p.parts}
    assert after == before
