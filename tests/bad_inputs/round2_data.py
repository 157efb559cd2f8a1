"""Round two, the data files: time zones, refunds, implausible dates, renames onto existing columns,
Unicode forms, XES limits, hostile workbooks, and `cem synth` options that cannot make data.

Every case is small (kilobytes, compressed where the content is large); workbooks are built here
with openpyxl and zipped again with fixed dates, so the corpus is rewritten byte for byte.
"""
import gzip
import io
import re
import sys
import zipfile
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from conftest import MINI  # noqa: E402

#: 25 customers with two purchases each: enough for the customer-base models (no "too few" warning).
TX_HEAD = "customer_id,date,amount\n"
TX_BASE = "".join(f"c{i:02d},2024-01-{1 + i:02d},{10 + i}\nc{i:02d},2024-02-{1 + i:02d},{20 + i}\n" for i in range(25))
EVENTS_HEAD = "customer_id,timestamp,step\n"
EVENTS = EVENTS_HEAD + "c1,2024-01-01T10:00:00,S1\nc1,2024-01-02T10:00:00,S2\n"
SURVEY = "respondent_id,need_id,importance,satisfaction\nr1,N1,4,2\nr2,N1,5,3\n"


def gz(data):
    return gzip.compress(data if isinstance(data, bytes) else data.encode(), mtime=0)


def xes(events, case_attrs='<string key="concept:name" value="c1"/>'):
    """An XES log of one trace; ``events`` is the XML of its events."""
    return f'<?xml version="1.0"?>\n<log><trace>{case_attrs}\n{events}</trace></log>\n'


def event(step="S1", day=1, extra=""):
    return (f'<event><string key="step" value="{step}"/><date key="time:timestamp" '
            f'value="2024-01-{day:02d}T10:00:00"/>{extra}</event>\n')


TRACE = '<trace><string key="concept:name" value="c1"/>' + event() + "</trace>"


def study_yaml(**mappings):
    return yaml.safe_dump({"mappings": mappings}, sort_keys=True)


def workbook(change=None, extra_parts=None):
    """The MINI model as a workbook, written by cem and zipped again with fixed dates.

    ``change(wb)`` edits the openpyxl workbook before saving, and may return ``{part name:
    function(bytes) -> bytes}`` to edit saved parts; ``extra_parts`` adds zip parts.
    """
    import tempfile

    from openpyxl import load_workbook

    from cem.convert import write_workbook

    with tempfile.TemporaryDirectory() as tmp:
        wb = load_workbook(write_workbook(path=Path(tmp) / "model.xlsx", tables=yaml.safe_load(MINI)))
    edits = change(wb) if change else None
    buf = io.BytesIO()
    wb.save(buf)
    fixed = (2024, 1, 1, 0, 0, 0)
    out = io.BytesIO()
    with zipfile.ZipFile(buf) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":  # creation and modification times: fixed
                data = re.sub(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", b"2024-01-01T00:00:00Z", data)
            if edits and info.filename in edits:
                data = edits[info.filename](data)
            dst.writestr(zipfile.ZipInfo(info.filename, fixed), data, zipfile.ZIP_DEFLATED)
        for name, data in (extra_parts or {}).items():
            dst.writestr(zipfile.ZipInfo(name, fixed), data, zipfile.ZIP_DEFLATED)
    return out.getvalue()


def hide(state, title="Needs"):
    def change(wb):
        wb[title].sheet_state = state
    return change


def long_steps(rows):
    """A Steps sheet of ``rows`` one-cell rows, written straight into the sheet's XML."""
    def change(wb):
        index = wb.sheetnames.index("Steps") + 1
        body = b'<row><c t="inlineStr"><is><t>S</t></is></c></row>' * rows  # alike rows: a small zip

        def edit(data):
            return re.sub(rb"<sheetData>.*</sheetData>", lambda m: b'<sheetData><row r="1"><c r="A1" '
                          b't="inlineStr"><is><t>id</t></is></c></row>' + body + b"</sheetData>", data, flags=re.S)
        return {f"xl/worksheets/sheet{index}.xml": edit}
    return change


def quoted_name(wb):
    wb["Model"].cell(2, 2, "'=HYPERLINK(1)")  # as cem export writes a formula-like name: read back as text


def macro_type(wb):
    return {"[Content_Types].xml": lambda d: d.replace(b"spreadsheetml.sheet.main+xml",
                                                       b"ms-excel.sheet.macroEnabled.main+xml")}


SYNTH = ["synth", "{case}", "--out", "{tmp}/o"]


def synth(*args):
    return {"argv": SYNTH + list(args)}


CASES = {
    # transactions.csv: time zones, implausible years, refunds, too few customers to fit.
    "transactions_zulu_dates": ({"transactions.csv": TX_HEAD + re.sub(r",(2024-\d\d-\d\d),", r",\1T23:30:00Z,",
                                                                     TX_BASE)}, "ok", "valid:"),
    "transactions_all_offsets": ({"transactions.csv": TX_HEAD + re.sub(r",(2024-\d\d-\d\d),", r",\1T10:00:00+02:00,",
                                                                      TX_BASE)}, "ok", "valid:"),
    "transactions_mixed_zones": ({"transactions.csv": TX_HEAD + "c00,2024-01-01T10:00:00Z,5\n"
                                  "c00,2024-01-03T10:00:00+01:00,6\n" + TX_BASE}, "warning", "taken as UTC"),
    "transactions_year_0001": ({"transactions.csv": TX_HEAD + TX_BASE + "c01,0001-01-01,5\n"}, "error",
                               "is not a plausible purchase date ('0001-01-01')"),
    "transactions_year_1677": ({"transactions.csv": TX_HEAD + TX_BASE + "c01,1677-09-21,5\n"}, "error",
                               "is not a plausible purchase date ('1677-09-21')"),
    "transactions_bad_offset": ({"transactions.csv": TX_HEAD + TX_BASE + "c01,2024-01-01T10:00:00+25:00,5\n"},
                                "error", "cannot be read as a date"),
    "transactions_same_day_refund": ({"transactions.csv": TX_HEAD + TX_BASE + "c01,2024-02-02,-5\n"}, "warning",
                                     "netted against the same customer's purchase of that day"),
    "transactions_refund_before_any_purchase": ({"transactions.csv": TX_HEAD + "c03,2023-12-01,-9\n" + TX_BASE},
                                                "warning", "1 with no earlier purchase are left out"),
    "transactions_full_return": ({"transactions.csv": TX_HEAD + TX_BASE + "c04,2024-02-20,-24\n"}, "warning",
                                 "1 purchase(s) netting to zero or less are returns, not purchases"),
    "transactions_only_refunds": ({"transactions.csv": TX_HEAD + TX_BASE + "z9,2024-01-03,-4\nz9,2024-01-04,-2\n"},
                                  "warning", "1 customer(s) are left with no purchase"),
    "transactions_zero_amounts": ({"transactions.csv": TX_HEAD + TX_BASE + "c05,2024-03-01,0\n"}, "ok", "valid:"),
    "transactions_one_customer_many_rows": ({"transactions.csv": TX_HEAD + "".join(
        f"c1,2024-{1 + i // 28:02d}-{1 + i % 28:02d},{5 + i % 7}\n" for i in range(300))}, "warning",
        "1 customer with purchases (1 with repeat purchases): too few to fit"),
    "transactions_no_repeat_buyers": ({"transactions.csv": TX_HEAD + "".join(
        f"c{i:02d},2024-01-{1 + i:02d},{10 + i}\n" for i in range(25))}, "warning",
        "25 customers with purchases (0 with repeat purchases): too few to fit"),
    "transactions_currency_symbol": ({"transactions.csv": TX_HEAD + TX_BASE + "c01,2024-03-01,€12\n"}, "error",
                                     "amount must be a number ('€12')"),
    "transactions_blank_customer": ({"transactions.csv": TX_HEAD + TX_BASE + ",2024-03-01,12\n"}, "error",
                                    "customer_id is blank"),
    # events: renames onto existing columns, implausible years, XES names beside cem's own.
    "events_rename_onto_existing": ({"events.csv": "customer_id,timestamp,date,step\nc1,2024-01-01,2024-01-02,S1\n",
                                     "study.yaml": study_yaml(events={"timestamp": "date"})}, "error",
                                    "maps timestamp to column 'date', but the file has a 'timestamp' column too"),
    "events_two_names_one_column": ({"events.csv": "who,timestamp,step\nc1,2024-01-01,S1\n",
                                     "study.yaml": study_yaml(events={"customer_id": "who", "activity": "who"})},
                                    "error", "onto the same column 'who'"),
    "events_year_0001": ({"events.csv": EVENTS + "c1,0001-01-01T00:00:00,S2\n"}, "error",
                         "timestamp is not a plausible date ('0001-01-01T00:00:00')"),
    "events_year_1677": ({"events.csv": EVENTS + "c2,1677-09-21,S1\n"}, "error", "timestamp is not a plausible date"),
    "events_xes_name_beside_column": ({"events.csv": "customer_id,case:concept:name,timestamp,step\n"
                                       "c1,x1,2024-01-01,S1\n"}, "warning",
                                      "'customer_id' is used and 'case:concept:name' kept under its own name"),
    "events_mixed_zones": ({"events.csv": EVENTS_HEAD + "c1,2024-01-01T10:00:00Z,S1\nc1,2024-01-02T10:00:00+01:00,S2\n"
                            "c2,2024-01-03 10:00,S1\n"}, "ok", "valid:"),
    # XES: caps on keys, values, items; gzip surprises.
    "xes_many_distinct_keys": ({"events.xes": xes(event(extra="".join(f'<string key="k{i}" value="v"/>'
                                                                    for i in range(300))))}, "warning",
                               "more than 256 distinct attribute keys"),
    "xes_long_extra_value": ({"events.xes": xes(event(extra=f'<string key="note" value="{"x" * 12_000}"/>'))},
                             "warning", "longer than 10,000 characters"),
    "xes_long_case_id": ({"events.xes": xes(event(), f'<string key="concept:name" value="{"c" * 12_000}"/>')},
                         "error", "'case:concept:name' holds 12,000 characters"),
    "xes_gzip_huge_comment": ({"events.xes.gz": gz("<log><!-- " + "a" * 3_000_000 + " -->" + TRACE + "</log>")},
                              "error", "holds one XML item (a comment, tag or text) of more than 1 MiB"),
    "xes_gzip_huge_text": ({"events.xes.gz": gz("<log>" + " " * 3_000_000 + TRACE + "</log>")}, "error",
                           "holds one XML item"),
    "xes_huge_start_tag": ({"events.xes.gz": gz('<log><trace a="' + "b" * 3_000_000 + '">' + event() +
                                                "</trace></log>")}, "error", "holds one XML item"),
    "xes_gzip_holds_csv": ({"events.xes.gz": gz(EVENTS)}, "error", "is not well-formed XES"),
    "xes_not_gzipped": ({"events.xes.gz": xes(event())}, "error", "is a damaged or truncated gzip file"),
    "xes_no_events": ({"events.xes": xes("")}, "error", "holds no events"),
    "xes_case_id_beside_customer_id": ({"events.xes": xes(event(extra='<string key="customer_id" value="c9"/>'))},
                                       "warning", "has both 'customer_id' and the XES attribute 'case:concept:name'"),
    "xes_nested_lists": ({"events.xes": xes(event(extra='<list key="parts"><string key="a" value="b"/></list>'))},
                         "ok", "valid:"),
    # survey: renames onto existing columns, Unicode forms, the wide mapping.
    "survey_rename_onto_existing": ({"survey.csv": "respondent_id,Q1,need_id,importance,satisfaction\nr1,x,N1,4,2\n",
                                     "study.yaml": study_yaml(survey={"respondent_id": "Q1"})}, "error",
                                    "maps respondent_id to column 'Q1', but the file has a 'respondent_id' column too"),
    "survey_two_names_one_column": ({"survey.csv": "Q1,importance,satisfaction\nr1,4,2\n",
                                     "study.yaml": study_yaml(survey={"respondent_id": "Q1", "need_id": "Q1"})},
                                    "error", "onto the same column 'Q1'"),
    "survey_nfc_and_nfd_ids": ({"survey.csv": SURVEY + "Ren\u00e9,N1,4,2\nRene\u0301,N1,5,3\n"}, "error",
                               "answered more than once"),
    "survey_wide_nfc_and_nfd_ids": ({"survey.csv": "respondent_id,N1_importance,N1_satisfaction\n"
                                     "Ren\u00e9,4,2\nRene\u0301,5,3\n"}, "error", "answered more than once"),
    "survey_wide_two_measures_one_column": ({"survey.csv": "respondent_id,Q5\nr1,4\n",
                                             "study.yaml": study_yaml(survey={"wide": {"N1": {"importance": "Q5",
                                                                                              "satisfaction": "Q5"}}})},
                                            "error", "which need 'N1' (importance) uses already"),
    "survey_wide_unknown_measure": ({"survey.csv": "respondent_id,Q5\nr1,4\n",
                                     "study.yaml": study_yaml(survey={"wide": {"N1": {"importanse": "Q5"}}})},
                                    "error", "unknown measure 'importanse'"),
    "survey_wide_missing_column": ({"survey.csv": "respondent_id,Q5\nr1,4\n",
                                    "study.yaml": study_yaml(survey={"wide": {"N1": {"importance": "Q6"}}})},
                                   "error", "column 'Q6' (need 'N1', importance) is not in the file"),
    # customers.csv
    "customers_nfc_and_nfd_ids": ({"customers.csv": "customer_id,segment\nRen\u00e9,a\nRene\u0301,b\n"}, "error",
                                  "customer_id repeated"),
    "customers_padded_duplicate_ids": ({"customers.csv": "customer_id,segment\nc1,a\n c1 ,b\n"}, "error",
                                       "customer_id repeated"),
    "customers_no_id_column": ({"customers.csv": "customer,segment\nc1,a\n"}, "error", "no 'customer_id' column"),
    # model workbooks
    "workbook_macro_content_type": ({"model.xlsx": workbook(macro_type)}, "error", "is a macro-enabled workbook"),
    "workbook_vba_project": ({"model.xlsx": workbook(extra_parts={"xl/vbaProject.bin": b"\x00" * 32})}, "error",
                             "is a macro-enabled workbook (.xlsm: xl/vbaProject.bin)"),
    "workbook_hidden_sheet": ({"model.xlsx": workbook(hide("hidden"))}, "error", "Needs: the sheet is hidden"),
    "workbook_very_hidden_sheet": ({"model.xlsx": workbook(hide("veryHidden", "Steps"))}, "error",
                                   "Steps: the sheet is very hidden"),
    "workbook_too_many_rows": ({"model.xlsx": workbook(long_steps(20_001))}, "error",
                               "Steps: the sheet has 20,001 rows; a model sheet may have at most 20,000"),
    "workbook_formula_text_round_trip": ({"model.xlsx": workbook(quoted_name)},
                                         "ok", "valid:"),
    # cem synth: options that cannot make data, refused before anything is written.
    "synth_respondents_negative": ({}, "error", "--respondents: must be a positive whole number; got -5",
                                   synth("--respondents", "-5")),
    "synth_respondents_zero": ({}, "error", "--respondents: must be a positive whole number; got 0",
                               synth("--respondents", "0")),
    "synth_respondents_text": ({}, "error", "invalid int value: 'many'", synth("--respondents", "many")),
    "synth_customers_zero": ({}, "error", "--customers: must be a positive whole number; got 0",
                             synth("--customers", "0")),
    "synth_customers_negative": ({}, "error", "--customers: must be a positive whole number; got -1",
                                 synth("--customers", "-1")),
    "synth_prospects_negative": ({}, "error", "--prospects: must be a whole number of at least 0; got -7",
                                 synth("--prospects", "-7")),
    "synth_seed_negative": ({}, "error", "--seed: must be a whole number of at least 0; got -1", synth("--seed", "-1")),
    "synth_purchase_value_negative": ({}, "error", "--purchase-value: must be a positive amount",
                                      synth("--purchase-value", "-10")),
    "synth_purchase_value_nan": ({}, "error", "--purchase-value: must be a positive amount",
                                 synth("--purchase-value", "nan")),
    "synth_planted_step_typo": ({}, "error", "--planted-step: 'S_1' is not a customer step of the model; did you "
                                "mean 'S1'?", synth("--planted-step", "S_1")),
    "synth_planted_step_company": ({}, "error", "--planted-step: 'C1' is not a customer step of the model",
                                   synth("--planted-step", "C1")),
    "synth_planted_step_touchpoint": ({}, "error", "'T1' is not a customer step of the model (it is a touchpoint)",
                                      synth("--planted-step", "T1")),
    "synth_log_events_negative": ({}, "error", "--log-events: must be a positive whole number; got -1",
                                  synth("--log-events", "-1")),
}
