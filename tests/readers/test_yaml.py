"""YAML files read (cem.readers.yaml): empty and binary files refused, Latin-1 and UTF-16 read with a
warning, a UTF-8 byte-order mark accepted."""
import pytest

from cem import InputError, load_model
from conftest import MINI


@pytest.mark.parametrize("content, message", [
    (b"", "is empty"),
    (b"  \n\n", "is empty"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00", "is a binary file"),
])
def test_unreadable_files(tmp_path, content, message):
    path = tmp_path / "model.yaml"
    path.write_bytes(content)
    with pytest.raises(InputError, match=message):
        load_model(path)


def test_latin1_and_utf16_models_are_read_with_a_warning(tmp_path):
    from cem.study import load_study

    path = tmp_path / "model.yaml"
    path.write_bytes(MINI.replace("Mini", "Café").encode("latin-1"))
    study = load_study(path)
    assert study.graph.graph["name"] == "Café" and "read as Latin-1" in str(study.warnings[0])
    path.write_bytes(MINI.encode("utf-16"))
    study = load_study(path)
    assert study.graph.graph["name"] == "Mini" and "is UTF-16" in str(study.warnings[0])


def test_utf8_bom_is_read(tmp_path):
    path = tmp_path / "model.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + MINI.encode())
    assert load_model(path).graph["name"] == "Mini"
