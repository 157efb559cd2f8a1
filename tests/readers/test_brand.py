"""study.yaml's brand: the logo must be an image file in the study folder, the colours hex colours."""
from cem.readers.study_config import read_study_config


def _read(tmp_path, text):
    f = tmp_path / "study.yaml"
    f.write_text(text)
    return read_study_config(f, tmp_path)


def test_a_valid_brand_is_kept(tmp_path):
    (tmp_path / "logo.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    settings, problems, _ = _read(tmp_path, "brand:\n  logo: logo.svg\n  colours: ['#0B6E4F', '#fa0']\n")
    assert problems == []
    assert settings["brand"] == {"logo": "logo.svg", "colours": ["#0b6e4f", "#ffaa00"]}


def test_a_missing_logo_names_study_yaml_the_key_and_the_file(tmp_path):
    settings, problems, _ = _read(tmp_path, "title: T\nbrand:\n  logo: missing.png\n")
    assert "brand" not in settings and len(problems) == 1
    text = str(problems[0])
    assert text.startswith(str(tmp_path / "study.yaml") + ":3: brand.logo")
    assert "'missing.png' is not a file in the study folder" in text


def test_bad_brand_values_are_each_named(tmp_path):
    (tmp_path / "notes.txt").write_text("x")
    _, problems, _ = _read(tmp_path, "brand:\n  logo: notes.txt\n  colours: ['#12345g']\n  colors: x\n")
    messages = [p.message for p in problems]
    assert any("brand.logo 'notes.txt' is not an image" in m for m in messages)
    assert any("brand.colours[0] must be a hex colour" in m for m in messages)
    assert any("unknown key brand.colors" in m and "did you mean 'colours'" in m for m in messages)
    _, problems, _ = _read(tmp_path, "brand: blue\n")
    assert "brand must be a mapping" in problems[0].message
    _, problems, _ = _read(tmp_path, "brand:\n  logo: ../outside.png\n")
    assert "outside the study folder" in problems[0].message
    _, problems, _ = _read(tmp_path, "brand:\n  colours: ['#000', '#111', '#222', '#333', '#444']\n")
    assert "one to four hex colours" in problems[0].message
