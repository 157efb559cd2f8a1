"""The report folder: cem touches only what it wrote; one writer at a time; names that never collide."""
import json
import subprocess
import sys

import pytest

from cem.errors import CemError
from cem.reporting.outdir import (FOLDER_MARKER, FolderLock, claim_folder, clear_staging, holds_lock, move_into_place,
                        new_staging, read_runs, run_name, safe_name)


def test_names_are_cut_by_bytes_with_a_stable_hash():
    for text in ("語" * 80, "𝔘" * 63, "a" * 300, "é" * 200):
        name = safe_name(text)
        assert len(name.encode()) <= 100
        assert name == safe_name(text)  # stable: a rerun finds the same folder
        assert len((f".{name}.abcdefgh").encode()) < 255 and len(f"{name}.failed".encode()) < 255
    assert safe_name("a" * 300) != safe_name("a" * 299 + "b")  # long names that share a start stay apart


def test_segment_values_that_make_the_same_safe_text_get_different_names():
    names = {run_name("shop", v) for v in ("x y", "x_y", "x\ty", "x/y", "x  y")}
    assert len(names) == 5
    assert run_name("shop", "x_y") == "shop__x_y" and run_name("shop", "north") == "shop__north"
    assert run_name("shop", "x y").startswith("shop__x_y-")


def test_a_folder_someone_else_uses_is_refused(tmp_path):
    (tmp_path / ".git").mkdir()
    with pytest.raises(CemError, match=r"is not a cem report folder and is not empty \(it holds .git\)"):
        claim_folder(tmp_path)
    claim_folder(tmp_path, into_existing=True)  # asked: accepted, and marked
    assert (tmp_path / FOLDER_MARKER).exists() and (tmp_path / ".git").is_dir()


def test_a_users_index_is_never_replaced(tmp_path):
    (tmp_path / "index.html").write_text("<html><title>My notes</title></html>")
    with pytest.raises(CemError, match="index.html that cem did not write"):
        claim_folder(tmp_path, into_existing=True)
    assert "My notes" in (tmp_path / "index.html").read_text()


def test_an_earlier_cem_folder_and_an_empty_one_are_accepted(tmp_path):
    old = tmp_path / "old"
    old.mkdir()
    (old / "index.html").write_text("<!DOCTYPE html><html><head><title>cem reports</title></head><body><table>"
                                    "<thead><tr><th>run</th><th>status</th><th>reports</th></tr></thead></table>")
    (old / "solar").mkdir()
    claim_folder(old)
    empty = tmp_path / "empty"
    empty.mkdir()
    claim_folder(empty)
    claim_folder(tmp_path / "new" / "deeper")
    assert (tmp_path / "new" / "deeper" / FOLDER_MARKER).exists()


def test_a_users_page_titled_like_cems_is_still_the_users(tmp_path):
    (tmp_path / "index.html").write_text("<html><head><title>cem reports</title></head><body>mine</body></html>")
    with pytest.raises(CemError, match="index.html that cem did not write"):
        claim_folder(tmp_path, into_existing=True)


def test_a_name_ending_like_a_failed_attempt_is_its_own_run():
    assert not run_name("x.failed").endswith(".failed") and not run_name("shop", "v.failed").endswith(".failed")


def test_a_run_set_aside_when_the_batch_stopped_mid_move_is_put_back(tmp_path):
    old = tmp_path / ".solar.old-123-456"
    old.mkdir()
    (old / "run.json").write_text(json.dumps({"run": "solar", "status": "ok"}))
    (tmp_path / ".index.html.tmp-99").write_text("half")
    clear_staging(tmp_path)
    assert read_runs(tmp_path) == {"solar": {"run": "solar", "status": "ok"}}
    assert not (tmp_path / ".index.html.tmp-99").exists()


def test_out_that_is_a_file_is_refused(tmp_path):
    (tmp_path / "f").write_text("x")
    with pytest.raises(CemError, match="is a file, not a folder"):
        claim_folder(tmp_path / "f")


def test_only_marked_staging_folders_are_cleared(tmp_path):
    for name in (".git", ".venv", ".cache"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "keep").write_text("mine")
    staging = new_staging(tmp_path, "run1", "tok")
    (staging / "half.html").write_text("x")
    removed = clear_staging(tmp_path)
    assert removed == [staging.name] and not staging.exists()
    assert all((tmp_path / n / "keep").read_text() == "mine" for n in (".git", ".venv", ".cache"))


def test_a_run_folder_not_written_by_cem_is_never_replaced(tmp_path):
    mine = tmp_path / "solar"
    mine.mkdir()
    (mine / "notes.txt").write_text("mine")
    staging = new_staging(tmp_path, "solar")
    (staging / "run.json").write_text(json.dumps({"run": "solar", "status": "ok"}))
    with pytest.raises(CemError, match="was not written by cem"):
        move_into_place(staging, mine)
    assert (mine / "notes.txt").read_text() == "mine"
    move_into_place(staging, tmp_path / "solar-2")
    assert read_runs(tmp_path) == {"solar-2": {"run": "solar", "status": "ok"}}
    # A cem run is replaced by the next run of it.
    again = new_staging(tmp_path, "solar")
    (again / "run.json").write_text(json.dumps({"run": "solar", "status": "ok", "n": 2}))
    move_into_place(again, tmp_path / "solar-2")
    assert read_runs(tmp_path)["solar-2"]["n"] == 2 and not list(tmp_path.glob(".solar*"))


def test_one_writer_at_a_time_and_the_lock_ends_with_its_process(tmp_path):
    with FolderLock(tmp_path) as lock:
        assert holds_lock(tmp_path, lock.token) and not holds_lock(tmp_path, "another")
        with pytest.raises(CemError, match=r"another cem report is writing into it \(process \d+ on "):
            FolderLock(tmp_path).acquire()
    # A process killed outright releases it: the system drops a dead process's lock.
    code = ("import os, sys, time; from cem.reporting.outdir import FolderLock; FolderLock(sys.argv[1]).acquire(); "
            "print('held', flush=True); time.sleep(60)")
    proc = subprocess.Popen([sys.executable, "-c", code, str(tmp_path)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "held"
    with pytest.raises(CemError, match=f"process {proc.pid}"):
        FolderLock(tmp_path).acquire()
    proc.kill()
    proc.wait()
    with FolderLock(tmp_path):
        pass


@pytest.mark.parametrize("umask, folder_mode", [(0o022, 0o755), (0o027, 0o750)])
def test_run_folders_get_the_permissions_mkdir_would_give(tmp_path, umask, folder_mode):
    """Issue #15: run folders were owner-only (mkdtemp) while index.html beside them was world-readable."""
    import os
    import stat

    old = os.umask(umask)
    try:
        staging = new_staging(tmp_path, "shop", "t")
        (staging / "run.json").write_text(json.dumps({"run": "shop", "status": "ok"}), encoding="utf-8")
        final = move_into_place(staging, tmp_path / "shop")
        plain = tmp_path / "plain"
        plain.mkdir()
    finally:
        os.umask(old)
    assert stat.S_IMODE(final.stat().st_mode) == folder_mode == stat.S_IMODE(plain.stat().st_mode)
    assert stat.S_IMODE((final / "run.json").stat().st_mode) == 0o666 & ~umask
