"""Workbooks read (cem.readers.workbook): problems at sheet and cell; macros, hidden and long sheets, and
files that are no workbook refused."""
import subprocess
import sys

from openpyxl import load_workbook

from cem import InputError, load_model
from cem.convert import write_workbook
from cem.readers import read_workbook
from conftest import EXAMPLES


def test_problems_point_at_sheet_and_cell(tmp_path):
    path = write_workbook(load_model(EXAMPLES / "solar"), tmp_path / "model.xlsx")
    wb = load_workbook(path)
    wb["Steps"]["E7"] = "instal"
    wb["Touchpoints"]["D3"] = "S_nowhere"
    wb.save(path)
    r = subprocess.run([sys.executable, "-m", "cem.cli", "validate", str(tmp_path)], capture_output=True, text=True)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    lines = r.stderr.strip().splitlines()
    assert f"{path}:Steps!E7: stage 'instal' is not one of" in lines[0] and lines[0].endswith("did you mean 'setup'?")
    assert any(l.startswith(f"{path}:Touchpoints!D3: step 'S_nowhere' does not exist") for l in lines)


def test_cem_new_as_a_new_user_would(tmp_path):
    folder = tmp_path / "client"
    r = subprocess.run([sys.executable, "-m", "cem.cli", "new", str(folder)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert {p.name for p in folder.iterdir()} == {"model.xlsx", "study.yaml", "survey_template.csv"}
    # Fill in a few rows, as in a workshop: a new step and a touchpoint for it.
    wb = load_workbook(folder / "model.xlsx")
    wb["Steps"].append(["S_help", "J_main", "Get help when stuck", 5, "get_help"])
    wb["Touchpoints"].append(["T_phone", "Help line", "phone", "S_help", "seller", 4])
    wb.save(folder / "model.xlsx")
    r = subprocess.run([sys.executable, "-m", "cem.cli", "validate", str(folder)], capture_output=True, text=True)
    assert r.returncode == 0 and "6 steps" in r.stdout and "2 touchpoints" in r.stdout
    G = load_model(folder)
    assert G.has_edge("T_phone", "S_help", "serves") and G.has_edge("S_use", "S_help", "next")
    r = subprocess.run([sys.executable, "-m", "cem.cli", "new", str(folder)], capture_output=True, text=True)
    assert r.returncode == 2 and "exists already" in r.stderr
    r = subprocess.run([sys.executable, "-m", "cem.cli", "new", str(tmp_path / "p"), "--from", "payroll"],
                       capture_output=True, text=True)
    assert r.returncode == 0 and load_model(tmp_path / "p").number_of_nodes() == load_model(EXAMPLES / "payroll").number_of_nodes()


def test_not_a_workbook(tmp_path):
    p = tmp_path / "model.xlsx"
    p.write_text("id,name\nJ,x\n")
    try:
        read_workbook(p)
    except InputError as exc:
        assert "is not an Excel workbook" in str(exc)
    else:
        raise AssertionError("a CSV renamed .xlsx was read")


# Hardening, round two: macros, hidden and long sheets.

def rezip(path, out, change):
    """Copy a workbook, passing each part's bytes through ``change(name, data)``."""
    import zipfile

    with zipfile.ZipFile(path) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info, change(info.filename, src.read(info.filename)))
        return out


def refused(path):
    try:
        read_workbook(path)
    except InputError as exc:
        return [str(p) for p in exc.problems]
    raise AssertionError(f"{path} was read")


def test_a_macro_enabled_workbook_renamed_xlsx_is_refused(tmp_path):
    good = write_workbook(load_model(EXAMPLES / "solar"), tmp_path / "good.xlsx")
    ctype = rezip(good, tmp_path / "ctype.xlsx", lambda n, d: d.replace(
        b"spreadsheetml.sheet.main+xml", b"ms-excel.sheet.macroEnabled.main+xml") if n == "[Content_Types].xml" else d)
    assert "is a macro-enabled workbook" in refused(ctype)[0]

    import zipfile

    vba = rezip(good, tmp_path / "vba.xlsx", lambda n, d: d)

    with zipfile.ZipFile(vba, "a") as z:
        z.writestr("xl/vbaProject.bin", b"\x00" * 64)
    assert "is a macro-enabled workbook (.xlsm: xl/vbaProject.bin)" in refused(vba)[0]


def test_hidden_model_sheets_are_refused_by_name(tmp_path):
    G = load_model(EXAMPLES / "solar")
    path = write_workbook(G, tmp_path / "m.xlsx")
    wb = load_workbook(path)
    wb["Needs"].sheet_state = "hidden"
    wb["Touchpoints"].sheet_state = "veryHidden"
    wb.save(path)
    lines = refused(path)
    assert any(line.startswith(f"{path}:Needs: the sheet is hidden") for line in lines)
    assert any(line.startswith(f"{path}:Touchpoints: the sheet is very hidden") for line in lines)


def test_a_sheet_over_the_row_cap_is_refused_with_one_line(tmp_path, monkeypatch, mini):
    import cem.readers.workbook as wbmod

    monkeypatch.setattr(wbmod, "MAX_SHEET_ROWS", 50)
    G = load_model(mini)
    path = write_workbook(G, tmp_path / "m.xlsx")
    wb = load_workbook(path)
    for i in range(60):
        wb["Steps"].append([f"X{i}"])
    wb.save(path)
    (line,) = refused(path)
    assert line.startswith(f"{path}:Steps: the sheet has ") and "at most 50" in line


def test_a_number_too_long_to_read_is_a_located_error(tmp_path, mini, capsys):
    """A cell of 5,001 digits: openpyxl cannot convert it; cem names the sheet instead of crashing."""
    import re
    import zipfile

    from cem.cli import main
    from cem.convert import load_model as _load
    from cem.convert import write_workbook as _write

    good = tmp_path / "good.xlsx"
    _write(_load(mini), good)
    bad = tmp_path / "model.xlsx"
    with zipfile.ZipFile(good) as zin, zipfile.ZipFile(bad, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if re.search(rb"<(?:\w+:)?v>\d+</(?:\w+:)?v>", data) and b"sheet" in item.filename.encode():
                data = re.sub(rb"(<(?:\w+:)?v>)\d+(</(?:\w+:)?v>)", rb"\g<1>" + b"9" * 5001 + rb"\g<2>", data, count=1)
            zout.writestr(item, data)
    assert main(["validate", str(bad)]) == 2
    assert "cannot be read as a number" in capsys.readouterr().err
