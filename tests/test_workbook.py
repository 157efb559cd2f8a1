"""Workbook and YAML carry the same model: written, read, validated by cell, round-tripped."""
import subprocess
import sys

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from cem import InputError, load_model
from cem.graph import build_graph
from cem.schema import CHANNELS, NEED_DIMENSIONS, STAGES
from cem.readers import check_tables
from cem.convert import graph_to_tables, write_model_yaml, write_workbook
from cem.readers import read_workbook
from conftest import EXAMPLES


def same_graph(G, H):
    assert set(G.nodes) == set(H.nodes)
    for n in G:
        assert G.nodes[n] == H.nodes[n], n
    eg = {(u, v, k): d for u, v, k, d in G.edges(keys=True, data=True)}
    eh = {(u, v, k): d for u, v, k, d in H.edges(keys=True, data=True)}
    assert eg == eh
    assert {k: v for k, v in G.graph.items() if k != "source"} == {k: v for k, v in H.graph.items() if k != "source"}


def via_workbook(G, path):
    write_workbook(G, path)
    data, locate = read_workbook(path)
    tables, problems, _ = check_tables(data, str(path), locate)
    assert problems == []
    return build_graph(tables)


def test_examples_round_trip_yaml_workbook_yaml(tmp_path):
    for name in ("solar", "payroll"):
        G = load_model(EXAMPLES / name)
        same_graph(G, via_workbook(G, tmp_path / f"{name}.xlsx"))
        same_graph(G, load_model(write_model_yaml(G, tmp_path / f"{name}.yaml")))


names = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=30).filter(
    lambda s: s.strip() == s)  # formula-like text too: every cell is written through safe_cell


@st.composite
def models(draw):
    """A valid model: a customer job and a company job, steps in order, actors, touchpoints, needs, links."""
    n_steps = draw(st.integers(2, 8))
    tables = {"model": {"name": draw(names), "currency": draw(st.sampled_from(["EUR", "USD", "CHF"]))},
              "jobs": [{"id": "J", "name": draw(names), "performer": "customer"},
                       {"id": "K", "name": draw(names), "performer": "company"}],
              "entities": [{"id": "E1", "name": draw(names), "type": "customer"},
                           {"id": "E2", "name": draw(names), "type": "provider"}],
              "actors": [{"id": "A1", "name": draw(names), "entity": "E1"}, {"id": "A2", "name": draw(names), "entity": "E2"}],
              "steps": [], "touchpoints": [], "needs": [], "resources": [], "links": []}
    for i in range(n_steps):
        tables["steps"].append({"id": f"S{i}", "job": "J", "position": i + 1, "name": draw(names),
                                "stage": draw(st.sampled_from(STAGES))})
    tables["steps"].append({"id": "C0", "job": "K", "position": 1, "name": draw(names), "stage": "use"})
    for i in range(draw(st.integers(0, 4))):
        served = draw(st.lists(st.integers(0, n_steps - 1), min_size=1, max_size=3, unique=True))
        tables["touchpoints"].append({"id": f"T{i}", "name": draw(names), "channel": draw(st.sampled_from(CHANNELS)),
                                      "step": [f"S{j}" for j in served] if len(served) > 1 else f"S{served[0]}",
                                      "owner": "A2", "cost": draw(st.floats(0, 1000, allow_nan=False).map(lambda x: round(x, 2)))})
    for i in range(draw(st.integers(0, 4))):
        tables["needs"].append({"id": f"N{i}", "step": f"S{draw(st.integers(0, n_steps - 1))}", "actor": "A1",
                                "dimension": draw(st.sampled_from(NEED_DIMENSIONS)),
                                "statement": "Minimize the time it takes to " + draw(names)})
    tables["links"].append({"relation": "supports", "from": "C0", "to": "S0"})
    for i in range(n_steps):
        if draw(st.booleans()):
            tables["links"].append({"relation": "performs", "from": "A1", "to": f"S{i}",
                                    "role": draw(st.sampled_from(["executor", "helper"]))})
    for t in tables["touchpoints"]:
        for n in tables["needs"]:
            if draw(st.booleans()):
                tables["links"].append({"relation": "addresses", "from": t["id"], "to": n["id"],
                                        "strength": draw(st.sampled_from([0.2, 0.5, 1.0]))})
    return tables


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(models())
def test_generated_models_round_trip(tmp_path, tables):
    clean, problems, _ = check_tables(tables, "generated")
    assert problems == []
    G = build_graph(clean)
    same_graph(G, via_workbook(G, tmp_path / "m.xlsx"))
    same_graph(G, load_model(write_model_yaml(G, tmp_path / "m.yaml")))
    same_graph(G, build_graph(check_tables(graph_to_tables(G), "again")[0]))


def test_workbook_has_dropdowns_and_instructions(tmp_path):
    path = write_workbook(load_model(EXAMPLES / "payroll"), tmp_path / "m.xlsx")
    wb = load_workbook(path)
    assert wb.sheetnames[0] == "Instructions" and wb["Lists"].sheet_state == "hidden"
    rules = {str(dv.sqref): dv.formula1 for dv in wb["Steps"].data_validations.dataValidation}
    assert any(r.startswith("E2") for r in rules) and all(f.startswith("=Lists!") for f in rules.values())
    assert wb["Steps"]["E1"].value == "stage" and wb["Steps"]["E2"].value == "awareness"


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


def test_export_to_workbook_and_yaml(tmp_path):
    for ext in ("xlsx", "yaml"):
        out = tmp_path / f"solar.{ext}"
        r = subprocess.run([sys.executable, "-m", "cem.cli", "export", str(EXAMPLES / "solar"), str(out)],
                           capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        same_graph(load_model(EXAMPLES / "solar"), load_model(out))


def test_formula_text_is_kept_as_text(tmp_path):
    G = load_model(EXAMPLES / "solar")
    G.nodes["S_aware"]["name"] = "=HYPERLINK(\"http://x\")"
    path = write_workbook(G, tmp_path / "m.xlsx")
    cell = next(c for row in load_workbook(path)["Steps"].iter_rows() for c in row if c.value and "HYPERLINK" in str(c.value))
    assert cell.data_type == "s" and str(cell.value).startswith("'=")
    data, _ = read_workbook(path)
    assert any(s["name"] == "=HYPERLINK(\"http://x\")" for s in data["steps"])


def test_not_a_workbook(tmp_path):
    p = tmp_path / "model.xlsx"
    p.write_text("id,name\nJ,x\n")
    try:
        read_workbook(p)
    except InputError as exc:
        assert "is not an Excel workbook" in str(exc)
    else:
        raise AssertionError("a CSV renamed .xlsx was read")


# Hardening, round two: every text cell safe and round-tripping, macros, hidden and long sheets.

TRICKY = ["=cmd|' /C calc'!A0", "+1+1", "-2", "@SUM(A1)", "'=already quoted", "''", "'plain", "\tTab"]


def test_every_text_cell_written_is_text_and_reads_back_exactly(tmp_path):
    G = load_model(EXAMPLES / "solar")
    G.graph["name"] = TRICKY[0]
    G.graph["client"] = TRICKY[4]
    for i, text in enumerate(TRICKY):
        G.nodes["S_aware"][f"=extra{i}"] = text  # an extra column: its header and value are the client's text
    path = write_workbook(G, tmp_path / "m.xlsx")
    wb = load_workbook(path)
    formulas = [f"{ws.title}!{c.coordinate}" for ws in wb.worksheets for row in ws.iter_rows() for c in row
                if c.data_type == "f"]
    assert formulas == []
    data, _ = read_workbook(path)
    assert data["model"]["name"] == TRICKY[0] and data["model"]["client"] == TRICKY[4]
    step = next(s for s in data["steps"] if s["id"] == "S_aware")
    assert all(step[f"=extra{i}"] == text for i, text in enumerate(TRICKY))


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
