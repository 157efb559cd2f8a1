"""A model workbook (xlsx) read into the raw sections of a model file, with a cell locator.

One sheet per kind of node (``Jobs``, ``Steps``, ``Entities``, ``Actors``, ``Touchpoints``,
``Needs``, ``Resources``), one of ``Links``, one ``Model`` sheet of settings. Columns holding
several ids take them separated by commas. Problems found in a workbook point at the sheet and
cell: ``model.xlsx:Steps!E7: stage 'instal' is not one of ...; did you mean 'setup'?``.
:func:`cem.convert.write_workbook` writes one.
"""
from __future__ import annotations

import re
import zipfile
from collections.abc import Callable
from pathlib import Path

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from ..errors import InputError, Problem
from ..schema import SECTIONS

__all__ = ["read_workbook", "SHEETS", "MAX_WORKBOOK_BYTES", "MAX_SHEET_ROWS"]


#: Sheet name of each section.
SHEETS = {section: section.capitalize() for section in SECTIONS} | {"links": "Links", "model": "Model"}


#: Rows a model sheet may have (header included, plus one): a model is a few hundred rows, and a
#: million-row sheet would give millions of error lines. Longer sheets are refused, named.
MAX_SHEET_ROWS = 20_000


#: Decompressed size above which a workbook is refused (a zip bomb stops here).
MAX_WORKBOOK_BYTES = 50 * 1024 * 1024


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


def read_workbook(path: str | Path) -> tuple[dict, Callable[[tuple, str], str]]:
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
    >>> from cem.convert import load_model
    >>> G = load_model("cem/examples/solar")  # doctest: +SKIP
    >>> f = write_workbook(G, pathlib.Path(tempfile.mkdtemp()) / "model.xlsx")  # doctest: +SKIP
    >>> data, locate = read_workbook(f)  # doctest: +SKIP
    >>> locate(("steps", 0, "stage"), "stage")  # doctest: +SKIP
    'Steps!E2'
    """
    from ..privacy import unquote_cell

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


