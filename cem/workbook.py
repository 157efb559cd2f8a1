"""The model as an Excel workbook, for workshops: read, written, and the same tables as YAML.

One sheet per kind of node (``Jobs``, ``Steps``, ``Entities``, ``Actors``, ``Touchpoints``,
``Needs``, ``Resources``), one of ``Links``, one ``Model`` sheet of settings (name, currency, ...),
an ``Instructions`` sheet, and a hidden ``Lists`` sheet holding the vocabularies that the
dropdowns (Excel data validation) of the closed columns use. Columns holding several ids (a
touchpoint serving two steps) take them separated by commas.

Problems found in a workbook point at the sheet and cell: ``model.xlsx:Steps!E7: stage 'instal'
is not one of ...; did you mean 'setup'?``.

:func:`graph_to_tables` turns a graph back into the tables, so a model converts YAML -> graph ->
workbook -> graph (or back to YAML) without loss; :func:`write_model_yaml` writes the YAML.
"""
from __future__ import annotations

import re
import zipfile
from pathlib import Path

import yaml
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from .errors import InputError, Problem
from .graph import related
from .schema import SECTIONS, SHORTHAND_LINKS

__all__ = ["read_workbook", "write_workbook", "graph_to_tables", "write_model_yaml", "SHEETS",
           "MAX_WORKBOOK_BYTES", "MAX_SHEET_ROWS"]

#: Sheet name of each section.
SHEETS = {section: section.capitalize() for section in SECTIONS} | {"links": "Links", "model": "Model"}

#: Rows a model sheet may have (header included, plus one): a model is a few hundred rows, and a
#: million-row sheet would give millions of error lines. Longer sheets are refused, named.
MAX_SHEET_ROWS = 20_000

#: Decompressed size above which a workbook is refused (a zip bomb stops here).
MAX_WORKBOOK_BYTES = 50 * 1024 * 1024

_MODEL_FIELDS = ("name", "version", "currency", "client", "description", "author")
_LINK_FIELDS = ("relation", "from", "to", "strength", "role", "note")
_INSTRUCTIONS = [
    "How to fill in this workbook",
    "",
    "Each sheet is one kind of thing in the customer's journey; each row is one of them.",
    "Give every row an id that is unique in the whole workbook (letters, digits, _), e.g. S_quote.",
    "Columns with a dropdown take one of its values; the Lists sheet (hidden) holds them.",
    "Jobs: the customer's job (performer customer) and the company's jobs (performer company or partner).",
    "Steps: the steps of each job, numbered by position in the order they happen; stage from the dropdown.",
    "Entities and Actors: every party of the value chain, and the roles inside each.",
    "Touchpoints: where a step happens; step may list several step ids separated by commas.",
    "Needs: desired outcomes, written 'Minimize the time it takes to ...'; give the step and the actor.",
    "Resources: what a step needs, and which entity provides it.",
    "Links: who performs which step, which company step supports which customer step, which",
    "touchpoint addresses which need (strength 0-1), and 'next' links for branches or loops.",
    "",
    "Check it with:  cem validate model.xlsx   - every problem is named by sheet and cell.",
]


def _fields(section):
    return ["id", *[f.name for f in SECTIONS[section][1]]]


def graph_to_tables(G):
    """The model's tables from its graph: the inverse of :func:`cem.graph.build_graph`.

    Shorthand columns (a step's job, a touchpoint's steps and owner, a need's step and actor, ...)
    are filled from the links; every other link, and every ``next`` link the positions do not
    imply, goes to the links table.

    Returns
    -------
    dict
        ``{"model": {...}, "<section>": [row, ...], "links": [row, ...]}`` as in a model file.
    """
    tables = {"model": {k: v for k, v in G.graph.items() if k in _MODEL_FIELDS}}
    covered = set()
    for section, (kind, fields) in SECTIONS.items():
        rows = []
        for n, d in G.nodes(data=True):
            if d.get("kind") != kind:
                continue
            row = {"id": n}
            for k, v in d.items():
                if k != "kind":
                    row[k] = v
            for (k_kind, column), (relation, node_is_source) in SHORTHAND_LINKS.items():
                if k_kind != kind:
                    continue
                others = related(G, n, relation, "out" if node_is_source else "in")
                if kind == "need" and relation == "has_need":
                    want = "step" if column == "step" else "actor"
                    others = [o for o in others if G.nodes[o].get("kind") == want]
                if not others:
                    continue
                field = next(f for f in fields if f.name == column)
                row[column] = others if field.type == "ids" and len(others) > 1 else others[0]
                if field.type != "ids" and len(others) > 1:
                    others = others[:1]  # a single-id column keeps the first; the rest stay links
                covered.update((n, o, relation) if node_is_source else (o, n, relation) for o in others)
            rows.append(row)
        tables[section] = rows
    links = []
    for u, v, k, d in G.edges(keys=True, data=True):
        if (u, v, k) in covered or d.get("implicit"):
            continue
        link = {"relation": k, "from": u, "to": v}
        link.update({a: b for a, b in d.items() if a not in ("relation", "implicit")})
        links.append(link)
    tables["links"] = links
    return tables


def write_model_yaml(G, path):
    """Write a model as YAML (the tables of :func:`graph_to_tables`), one flow-style row per line."""
    from .io import _atomic_write_text

    tables = graph_to_tables(G)
    parts = ["model: " + yaml.safe_dump(tables["model"], default_flow_style=True, allow_unicode=True,
                                        sort_keys=False, width=10_000).strip()]
    for section in (*SECTIONS, "links"):
        parts.append(f"{section}:")
        for row in tables[section]:
            text = yaml.safe_dump(row, default_flow_style=True, allow_unicode=True, sort_keys=False,
                                  width=10_000).strip()
            parts.append(f"  - {text}")
        if not tables[section]:
            parts[-1] += " []"
    return _atomic_write_text(path, "\n".join(parts) + "\n")


def write_workbook(G=None, path="model.xlsx", tables=None):
    """Write a model (a graph, or tables) as a workbook with dropdowns and instructions.

    Parameters
    ----------
    G : networkx.MultiDiGraph, optional
        The model; or give ``tables`` (e.g. an empty template).
    path : str or Path
    tables : dict, optional

    Returns
    -------
    pathlib.Path
    """
    from .privacy import safe_cell
    from .schema import LINK_ATTRIBUTES, RELATIONS

    tables = tables if tables is not None else graph_to_tables(G)
    wb = Workbook()
    ins = wb.active
    ins.title = "Instructions"
    for i, line in enumerate(_INSTRUCTIONS, 1):
        ins.cell(i, 1, safe_cell(line)).font = Font(bold=(i == 1), size=14 if i == 1 else 11)
    ins.column_dimensions["A"].width = 110
    lists = wb.create_sheet("Lists")
    vocab = {}
    col = 1
    for section, (kind, fields) in SECTIONS.items():
        for f in fields:
            if f.choices and f.name not in vocab:
                vocab[f.name] = (col, f.choices)
                col += 1
    vocab["relation"] = (col, tuple(RELATIONS))
    vocab["role_link"] = (col + 1, tuple(LINK_ATTRIBUTES["role"][1]))
    for name, (c, choices) in vocab.items():
        lists.cell(1, c, safe_cell(name))
        for r, value in enumerate(choices, 2):
            lists.cell(r, c, safe_cell(value))
    lists.sheet_state = "hidden"
    head_fill = PatternFill("solid", fgColor="D6EAF8")

    def sheet(title, columns, rows, choice_of):
        ws = wb.create_sheet(title)
        for c, name in enumerate(columns, 1):
            cell = ws.cell(1, c, safe_cell(name))  # extra columns come from the model: text, never a formula
            cell.font = Font(bold=True)
            cell.fill = head_fill
            ws.column_dimensions[get_column_letter(c)].width = 48 if name in ("name", "statement") else 16
        for r, row in enumerate(rows, 2):
            for c, name in enumerate(columns, 1):
                value = row.get(name)
                if isinstance(value, list):
                    value = ", ".join(map(str, value))
                value = safe_cell(value)  # text, never a formula
                if value is not None:
                    ws.cell(r, c, value)
        for c, name in enumerate(columns, 1):
            key = choice_of.get(name)
            if key in vocab:
                lc, choices = vocab[key]
                letter = get_column_letter(lc)
                dv = DataValidation(type="list", formula1=f"=Lists!${letter}$2:${letter}${len(choices) + 1}",
                                    allow_blank=True, showErrorMessage=True,
                                    error=f"Choose one of: {', '.join(choices)}", errorTitle=f"Unknown {name}")
                dv.add(f"{get_column_letter(c)}2:{get_column_letter(c)}1000")
                ws.add_data_validation(dv)
        ws.freeze_panes = "B2"

    model = wb.create_sheet("Model")
    model.cell(1, 1, "setting").font = Font(bold=True)
    model.cell(1, 2, "value").font = Font(bold=True)
    for r, key in enumerate(_MODEL_FIELDS, 2):
        model.cell(r, 1, safe_cell(key))
        if tables.get("model", {}).get(key) is not None:
            model.cell(r, 2, safe_cell(tables["model"][key]))  # the model's name is the client's text
    model.column_dimensions["B"].width = 60
    for section, (kind, fields) in SECTIONS.items():
        columns = _fields(section)
        extra = sorted({k for row in tables.get(section, []) for k in row} - set(columns))
        sheet(SHEETS[section], columns + extra, tables.get(section, []),
              {f.name: f.name for f in fields if f.choices})
    link_cols = list(_LINK_FIELDS)
    sheet("Links", link_cols, tables.get("links", []), {"relation": "relation", "role": "role_link"})
    wb.move_sheet("Lists", offset=len(wb.sheetnames))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def _split_ids(value):
    if isinstance(value, str) and "," in value:
        return [v.strip() for v in value.split(",") if v.strip()]
    return value


def _macro_parts(z):
    """The parts of an opened workbook zip that mark it macro-enabled (a VBA project), if any."""
    names = [i.filename for i in z.infolist()]
    found = [n for n in names if n.lower().endswith("vbaproject.bin")]
    if "[Content_Types].xml" in names:
        with z.open("[Content_Types].xml") as fh:
            types = fh.read(1 << 20)  # a content-types part is a few kB; more is not read
        if b"macroEnabled" in types or b"vbaProject" in types:
            found.append("[Content_Types].xml: macro-enabled content type")
    return found


def _too_long(rows):
    return (f"the sheet has {f'{rows - 1:,}' if rows else 'more than ' + format(MAX_SHEET_ROWS, ',')} rows; a model "
            f"sheet may have at most {MAX_SHEET_ROWS:,} (one row per job, step, need, ...; a model is a few hundred): "
            "delete the rows that are not the model's")


def _blank(row):
    return row is None or all(v is None or (isinstance(v, str) and not v.strip()) for v in row)


def _sheet_rows(ws):
    """``[(row number, values), ...]``: the first row, then the rows that are not blank; and
    whether the sheet has more than :data:`MAX_SHEET_ROWS` of those (reading stops there, so a
    million-row sheet costs no more than a full one)."""
    rows = []
    for r, row in enumerate(ws.iter_rows(values_only=True), 1):
        if r == 1 or not _blank(row):
            rows.append((r, row))
            if len(rows) > MAX_SHEET_ROWS + 1:
                return rows, True
    return rows, False


_ROW_WITH_CELLS = re.compile(rb"<(?:\w+:)?row(?:\s[^>]*[^/])?>\s*<(?:\w+:)?c[\s>/]")


def _long_sheets(z):
    """``{sheet title: rows}`` of the sheets with more than :data:`MAX_SHEET_ROWS` rows holding cells.

    Counted on the sheet's XML before openpyxl opens the workbook: openpyxl scans a whole sheet
    that does not declare its size, which for a million rows takes many seconds.
    """
    import posixpath
    from xml.etree import ElementTree

    names = set(z.namelist())
    if "xl/workbook.xml" not in names:
        return {}
    try:
        book = ElementTree.fromstring(z.read("xl/workbook.xml"))
        rels = ElementTree.fromstring(z.read("xl/_rels/workbook.xml.rels")) if "xl/_rels/workbook.xml.rels" in names \
            else None
    except ElementTree.ParseError:
        return {}  # openpyxl reports the damaged workbook
    targets = {r.get("Id"): r.get("Target", "") for r in (rels if rels is not None else [])}
    out = {}
    for sheet in book.iter():
        if not sheet.tag.endswith("}sheet") or sheet.get("name") is None:
            continue
        rid = next((v for k, v in sheet.attrib.items() if k.endswith("}id")), None)
        target = targets.get(rid, "")
        part = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
        if part in names:
            rows = len(_ROW_WITH_CELLS.findall(z.read(part)))
            if rows > MAX_SHEET_ROWS + 1:
                out[sheet.get("name")] = rows
    return out


def read_workbook(path):
    """Read a model workbook into the raw sections of a model file, and a cell locator.

    Refused, with a message naming the sheet: a macro-enabled workbook (``.xlsm`` content, even
    renamed ``.xlsx``), a model sheet that is hidden or very hidden (whoever edits the workbook
    could not see what cem reads), a sheet with more than :data:`MAX_SHEET_ROWS` rows. Text that
    :func:`write_workbook` quoted (``'=...``) is read back as the original text.

    Returns
    -------
    data : dict
        As a YAML model file holds it.
    locate : callable
        ``locate(path, key) -> "Steps!E7"``.

    Raises
    ------
    InputError
        Not an Excel workbook, too large once decompressed, macro-enabled, hidden or too long
        model sheets, no model sheets.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from cem.io import load_model
    >>> G = load_model("data/examples/solar")  # doctest: +SKIP
    >>> f = write_workbook(G, pathlib.Path(tempfile.mkdtemp()) / "model.xlsx")  # doctest: +SKIP
    >>> data, locate = read_workbook(f)  # doctest: +SKIP
    >>> locate(("steps", 0, "stage"), "stage")  # doctest: +SKIP
    'Steps!E2'
    """
    from .privacy import unquote_cell

    file = str(path)
    p = Path(path)
    if not p.is_file():
        raise InputError.single(file, "no such file")
    try:
        with zipfile.ZipFile(p) as z:
            size = sum(i.file_size for i in z.infolist())
            macros = _macro_parts(z) if size <= MAX_WORKBOOK_BYTES else []
            long_sheets = _long_sheets(z) if size <= MAX_WORKBOOK_BYTES and not macros else {}
    except zipfile.BadZipFile:
        raise InputError.single(file, "is not an Excel workbook (.xlsx); if it is a CSV, save it as a workbook "
                                "or write the model as model.yaml") from None
    if size > MAX_WORKBOOK_BYTES:
        raise InputError.single(file, f"expands to {size / 2**20:,.0f} MiB when opened; a model workbook may "
                                f"be at most {MAX_WORKBOOK_BYTES / 2**20:,.0f} MiB")
    if macros:
        raise InputError.single(file, f"is a macro-enabled workbook (.xlsm: {macros[0]}); cem reads no macros: "
                                "save it as 'Excel Workbook (.xlsx)'")
    if long_sheets:
        raise InputError([Problem(file, title, _too_long(rows)) for title, rows in long_sheets.items()])
    try:
        wb = load_workbook(p, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged file
        raise InputError.single(file, f"is not a readable Excel workbook ({type(exc).__name__})") from None
    cells = {}
    header_cells = {}  # section -> {column name: (sheet title, column letter)}
    row_numbers = {}  # (section, record index) -> sheet row
    data = {}
    found = False
    problems = []
    by_title = {v: k for k, v in SHEETS.items()}
    for ws in wb.worksheets:
        section = by_title.get(ws.title)
        if section is None:
            continue
        found = True
        state = getattr(ws, "sheet_state", "visible")
        if state != "visible":
            problems.append(Problem(file, ws.title, f"the sheet is {'very hidden' if state == 'veryHidden' else state}"
                                    "; a model table must be visible to whoever edits the workbook: unhide it "
                                    "(right-click a sheet tab > Unhide) or delete it"))
            continue
        try:
            rows, too_long = _sheet_rows(ws)
        except (ValueError, OverflowError) as exc:  # openpyxl converting a cell: a number past any plausible size
            problems.append(Problem(file, ws.title, "a cell holds a value that cannot be read as a number "
                                    f"({str(exc)[:80]}); write it as text or correct it"))
            continue
        if too_long:
            problems.append(Problem(file, ws.title, _too_long(None)))
            continue
        if not rows:
            continue
        if section == "model":
            meta = {}
            for r, row in rows[1:]:
                if row and row[0] is not None and len(row) > 1 and row[1] is not None:
                    key = str(unquote_cell(row[0])).strip()
                    meta[key] = unquote_cell(row[1])
                    cells[("model", key)] = f"Model!B{r}"
            data["model"] = meta
            continue
        header = [str(unquote_cell(h)).strip() if h is not None else None for h in rows[0][1]]
        header_cells[section] = {h: (ws.title, get_column_letter(c)) for c, h in enumerate(header, 1) if h}
        records = []
        for r, row in rows[1:]:
            rec = {}
            for c, (name, value) in enumerate(zip(header, row), 1):
                if name is None or value is None or (isinstance(value, str) and not value.strip()):
                    continue
                value = unquote_cell(value)  # the quote write_workbook put before formula-like text
                rec[name] = _split_ids(value) if name in ("step", "actor", "provided_by") else value
                cells[(section, len(records), name)] = f"{ws.title}!{get_column_letter(c)}{r}"
            cells[(section, len(records))] = f"{ws.title}!A{r}"
            row_numbers[(section, len(records))] = r
            records.append(rec)
        data[section] = records
    wb.close()
    if problems:
        raise InputError(problems)
    if not found:
        raise InputError.single(file, f"has none of the model's sheets ({', '.join(SHEETS.values())}); start "
                                "from the template of `cem new`")

    def locate(key_path, key):
        key_path = tuple(key_path)
        if len(key_path) >= 3 and key_path[:2] in row_numbers and key_path[2] in header_cells.get(key_path[0], {}):
            title, letter = header_cells[key_path[0]][key_path[2]]
            return f"{title}!{letter}{row_numbers[key_path[:2]]}"  # the cell, even when it is empty
        for n in range(len(key_path), 0, -1):
            where = cells.get(tuple(key_path[:n]))
            if where:
                return where
        return key

    return data, locate
