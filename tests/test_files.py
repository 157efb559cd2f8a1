"""Files at the bottom of the house (cem._files): text decoded with a warning when not UTF-8, data files
bounded by size, writes atomic, paths named in a study kept inside its folder."""
import os

import pytest

from cem import InputError
from cem._files import MAX_DATA_BYTES, atomic_write_text, check_size, decode_text, max_data_bytes, study_file


def test_decode_text_reads_utf8_boms_utf16_and_latin1_and_refuses_binary():
    assert decode_text("café".encode(), "f.csv") == ("café", [])
    assert decode_text(b"\xef\xbb\xbfcaf\xc3\xa9", "f.csv") == ("café", [])  # the UTF-8 mark is dropped
    text, (warning,) = decode_text("café".encode("utf-16"), "f.csv")
    assert text == "café" and warning.severity == "warning" and warning.file == "f.csv"
    assert warning.message.startswith("is UTF-16; read it as such")
    text, (warning,) = decode_text("café".encode("latin-1"), "f.csv")
    assert text == "café" and warning.message == "is not UTF-8 (byte 3); read as Latin-1: check accented names"
    assert decode_text(b"PK\x03\x04\x00\x00", "f.csv") == (None, [])  # a NUL byte and no UTF-16 mark: binary
    assert decode_text(b"\xff\xfea", "f.csv") == (None, [])  # a UTF-16 mark on an odd number of bytes
    assert decode_text(b"", "f.csv") == ("", [])


def test_check_size_follows_cem_max_input_bytes(monkeypatch):
    monkeypatch.delenv("CEM_MAX_INPUT_BYTES", raising=False)
    assert max_data_bytes() == MAX_DATA_BYTES == 2 * 1024 ** 3
    check_size("f.csv", MAX_DATA_BYTES, "csv")
    with pytest.raises(InputError, match="data files may be at most 2,048 MiB"):
        check_size("f.csv", MAX_DATA_BYTES + 1, "csv")
    monkeypatch.setenv("CEM_MAX_INPUT_BYTES", str(2 ** 20))
    assert max_data_bytes() == 2 ** 20
    check_size("f.csv", 2 ** 20, "csv")  # the limit itself is allowed
    with pytest.raises(InputError) as info:
        check_size("f.csv", 3 * 2 ** 20, "csv")
    assert str(info.value) == ("f.csv: is 3 MiB; data files may be at most 1 MiB (set CEM_MAX_INPUT_BYTES to allow "
                               "more, or split the file)")
    with pytest.raises(InputError, match="is 3 MiB decompressed; "):
        check_size("log.xes.gz", 3 * 2 ** 20, "xes")
    monkeypatch.setenv("CEM_MAX_INPUT_BYTES", "lots")  # not a number of bytes: the default stands
    assert max_data_bytes() == MAX_DATA_BYTES


def test_atomic_write_text_leaves_no_temporary_file(tmp_path, monkeypatch):
    path = tmp_path / "new" / "out.txt"
    assert atomic_write_text(path, "café\n") == path
    assert path.read_text(encoding="utf-8") == "café\n" and list(path.parent.iterdir()) == [path]
    atomic_write_text(path, "second")
    assert path.read_text(encoding="utf-8") == "second" and list(path.parent.iterdir()) == [path]

    def crash(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="disk full"):
        atomic_write_text(path, "third")
    # A write that fails leaves the old file whole and no temporary file beside it.
    assert path.read_text(encoding="utf-8") == "second" and list(path.parent.iterdir()) == [path]


def test_study_file_keeps_names_inside_the_folder(tmp_path):
    assert study_file(tmp_path, "data/map.csv", "activities_file") == tmp_path / "data" / "map.csv"
    assert study_file(tmp_path, "./data/../map.csv") == tmp_path / "./data/../map.csv"
    with pytest.raises(InputError) as info:
        study_file(tmp_path, "../map.csv", "activities_file")
    assert str(info.value) == (f"{tmp_path}: activities_file '../map.csv' is outside the study folder; put the file "
                               "in the study folder and name it relative to it")
    for blank in ("", "  ", None, ["map.csv"]):
        with pytest.raises(InputError, match="activities_file must be a file name relative to the study folder"):
            study_file(tmp_path, blank, "activities_file")


@pytest.mark.parametrize("relative", ["../outside.csv", "/etc/passwd", "../../../../../../etc/passwd", "sub/../../x.csv"])
def test_study_file_refuses_paths_out_of_the_folder(tmp_path, relative):
    (tmp_path / "s").mkdir()
    with pytest.raises(InputError, match="is outside the study folder"):
        study_file(tmp_path / "s", relative, "activities_file")


def test_study_file_follows_links(tmp_path):
    (tmp_path / "s" / "data").mkdir(parents=True)
    (tmp_path / "secret.csv").write_text("password\n")
    (tmp_path / "s" / "map.csv").symlink_to(tmp_path / "secret.csv")
    (tmp_path / "s" / "data" / "real.csv").write_text("activity,step\n")
    (tmp_path / "s" / "inside.csv").symlink_to("data/real.csv")
    with pytest.raises(InputError, match="is outside the study folder"):
        study_file(tmp_path / "s", "map.csv", "activities_file")
    assert study_file(tmp_path / "s", "inside.csv") == tmp_path / "s" / "inside.csv"


def test_atomic_write_text_gives_the_permissions_open_would(tmp_path):
    """Issue #15: files written through mkstemp were owner-only (0o600)."""
    import os
    import stat

    from cem._files import atomic_write_text, default_mode

    old = os.umask(0o022)
    try:
        assert default_mode() == 0o644 and default_mode(folder=True) == 0o755
        path = atomic_write_text(tmp_path / "m.yaml", "x: 1\n")
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
