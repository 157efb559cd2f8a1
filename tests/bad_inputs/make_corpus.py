"""Write the bad-input corpus: one study folder per case, and cases.yaml saying what each must give.

Run from the project root: python tests/bad_inputs/make_corpus.py. The files it writes are
committed; rerunning it rewrites them identically. Each case is a small study (the valid model
of tests/conftest.py) with one file broken or hostile, or a model file that is itself the case.
"""
import gzip
import io
import shutil
import sys
import zipfile
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from conftest import MINI  # noqa: E402

GOOD_SURVEY = "respondent_id,need_id,importance,satisfaction\nr1,N1,4,2\nr2,N1,5,3\n"
GOOD_EVENTS = "customer_id,timestamp,step\nc1,2024-01-01T10:00:00,S1\nc1,2024-01-02T10:00:00,S2\n"
GOOD_TX = "customer_id,date,amount\nc1,2024-01-01,10.5\nc1,2024-02-01,12\n"
BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{c}: &{c} [{', '.join(['*' + p] * 9)}]\n" for p, c in zip("abcdefgh", "bcdefghi"))
XXE = (b'<?xml version="1.0"?><!DOCTYPE log [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
       b'<log><trace><event><string key="concept:name" value="&x;"/></event></trace></log>')
LAUGHS = (b'<?xml version="1.0"?><!DOCTYPE log [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">'
          b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;">]><log><trace><event><string key="concept:name" value="&c;"/>'
          b'</event></trace></log>')


def xlsx_bytes():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        fixed = (2024, 1, 1, 0, 0, 0)  # a fixed date: the corpus is rewritten byte for byte
        z.writestr(zipfile.ZipInfo("[Content_Types].xml", fixed), "<Types/>")
        z.writestr(zipfile.ZipInfo("xl/worksheets/sheet1.xml", fixed), "0" * 60_000_000, zipfile.ZIP_DEFLATED)
    return buf.getvalue()


# case -> (files {name: text or bytes}, expect: error | warning | ok, what stderr must say)
CASES = {
    "model_malformed_yaml": ({"model.yaml": "jobs: [\n  - {id: J\n"}, "error", "malformed YAML"),
    "model_alias_bomb": ({"model.yaml": BOMB}, "error", "through YAML aliases"),
    "model_deep_nesting": ({"model.yaml": "jobs: " + "[" * 5000 + "]" * 5000 + "\n"}, "error", "nested too deeply"),
    "model_wrong_types": ({"model.yaml": MINI.replace("position: 2", "position: second")}, "error",
                          "must be a whole number"),
    "model_empty": ({"model.yaml": ""}, "error", "is empty"),
    "model_whitespace_only": ({"model.yaml": "\n   \n\t\n"}, "error", "is empty"),
    "model_binary": ({"model.yaml": bytes(range(256)) * 4}, "error", "is a binary file"),
    "model_latin1": ({"model.yaml": MINI.replace("Bike shop", "Vélo shop").encode("latin-1")}, "warning",
                     "read as Latin-1"),
    "model_utf8_bom": ({"model.yaml": b"\xef\xbb\xbf" + MINI.encode()}, "ok", "valid:"),
    "model_utf16": ({"model.yaml": MINI.encode("utf-16")}, "warning", "is UTF-16"),
    "model_nan_cost": ({"model.yaml": MINI.replace("cost: 0.5", "cost: .nan")}, "error", "must be a finite number"),
    "model_inf_cost": ({"model.yaml": MINI.replace("cost: 0.5", "cost: .inf")}, "error", "must be a finite number"),
    "model_absurd_position": ({"model.yaml": MINI.replace("position: 2", "position: 99999999999")}, "error",
                              "must be between 0 and"),
    "model_absurd_cost": ({"model.yaml": MINI.replace("cost: 0.5", "cost: 1e20")}, "error", "is not plausible"),
    "model_duplicate_ids": ({"model.yaml": MINI.replace("{id: R1,", "{id: T1,")}, "error", "duplicate id 'T1'"),
    "model_stray_whitespace_ids": ({"model.yaml": MINI.replace("{id: R1,", "{id: ' T1 ',")}, "error",
                                   "duplicate id 'T1'"),
    "model_lookalike_id": ({"model.yaml": MINI.replace("step: S1, owner", "step: Ѕ1, owner")}, "error",
                           "look-alike characters 'Ѕ' (U+0405): did you mean 'S1'?"),
    "model_unknown_stage": ({"model.yaml": MINI.replace("stage: purchase}", "stage: instal}")}, "error",
                            "did you mean 'setup'?"),
    "model_dangling_reference": ({"model.yaml": MINI.replace("provided_by: shop", "provided_by: garage")},
                                 "error", "entity 'garage' does not exist"),
    "model_wrong_kind_relation": ({"model.yaml": MINI.replace("{relation: performs, from: rider",
                                                              "{relation: performs, from: T1")}, "error",
                                  "performs links actor -> step"),
    "model_not_a_mapping": ({"model.yaml": "- a\n- b\n"}, "error", "expected a mapping with sections"),
    "model_missing_required": ({"model.yaml": MINI.replace("name: Book a repair, ", "")}, "error",
                               "name is required for every step"),
    "model_workbook_is_csv": ({"model.xlsx": "id,name\nJ,x\n"}, "error", "is not an Excel workbook"),
    "model_workbook_zip_bomb": ({"model.xlsx": xlsx_bytes()}, "error", "expands to 57 MiB when opened"),
    "study_unknown_key": ({"study.yaml": "title: x\ndiscount_rte: 0.1\n"}, "error", "unknown setting 'discount_rte'"),
    "study_rate_out_of_range": ({"study.yaml": "discount_rate: 5\n"}, "error", "discount_rate must be"),
    "study_malformed": ({"study.yaml": "title: [x\n"}, "error", "malformed YAML"),
    "study_a_list": ({"study.yaml": "- title\n"}, "error", "must be a mapping of settings"),
    "survey_out_of_range": ({"survey.csv": GOOD_SURVEY + "r3,N1,9,2\n"}, "error", "importance is outside 1-5"),
    "survey_unknown_need": ({"survey.csv": GOOD_SURVEY + "r3,N_nope,4,2\n"}, "error", "is not a need of the model"),
    "survey_duplicate_rows": ({"survey.csv": GOOD_SURVEY + "r1,N1,4,2\n"}, "error", "answered more than once"),
    "survey_semicolons": ({"survey.csv": GOOD_SURVEY.replace(",", ";")}, "warning", "separates fields with semicolons"),
    "survey_headers_only": ({"survey.csv": "respondent_id,need_id,importance,satisfaction\n"}, "error",
                            "has a header but no answers"),
    "survey_empty": ({"survey.csv": ""}, "error", "is empty"),
    "survey_utf16": ({"survey.csv": GOOD_SURVEY.encode("utf-16")}, "warning", "is UTF-16"),
    "survey_latin1": ({"survey.csv": (GOOD_SURVEY.replace("r2", "rène")).encode("latin-1")}, "warning",
                      "read as Latin-1"),
    "survey_nan_and_inf": ({"survey.csv": GOOD_SURVEY + "r3,N1,nan,inf\n"}, "error", "must be a rating"),
    "survey_no_respondent_column": ({"survey.csv": "resp,need_id,importance\nr1,N1,4\n"}, "error",
                                    "no 'respondent_id' column"),
    "survey_spreadsheet_renamed": ({"survey.csv": xlsx_bytes()}, "error", "is a binary file"),
    "events_bad_timestamps": ({"events.csv": "customer_id,timestamp,step\nc1,yesterday,S1\nc2,soon,S2\n"}, "error",
                              "no timestamp can be read"),
    "events_missing_columns": ({"events.csv": "customer_id,step\nc1,S1\n"}, "error", "no 'timestamp' column"),
    "events_truncated_gzip": ({"events.xes.gz": gzip.compress(b"<log><trace><event>" * 2000, mtime=0)[:300]}, "error",
                              "truncated"),
    "events_malformed_xml": ({"events.xes": b"<log><trace><event><string key='a' value='b'></event></log>"},
                             "error", "not well-formed"),
    "events_external_entity": ({"events.xes": XXE}, "error", "DTD or entities"),
    "events_entity_expansion": ({"events.xes": LAUGHS}, "error", "DTD or entities"),
    "events_future_dates": ({"events.csv": GOOD_EVENTS + "c1,2999-01-01T00:00:00,S2\n"}, "error", "in the future"),
    "events_parquet_is_csv": ({"events.parquet": GOOD_EVENTS}, "error", "not a readable Parquet file"),
    "events_unknown_step": ({"events.csv": GOOD_EVENTS + "c1,2024-01-03,S9\n"}, "error", "is not a step of the model"),
    "events_text_rating": ({"events.csv": "customer_id,timestamp,step,rating\nc1,2024-01-01,S1,great\n"}, "error",
                           "rating must be a number"),
    "transactions_bad_dates": ({"transactions.csv": GOOD_TX + "c2,31/02/2024x,5\n"}, "error",
                               "cannot be read as a date"),
    "transactions_missing_columns": ({"transactions.csv": "customer_id,date\nc1,2024-01-01\n"}, "error",
                                     "missing column(s) amount"),
    "transactions_nan_amount": ({"transactions.csv": GOOD_TX + "c2,2024-01-05,nan\n"}, "error",
                                "amount must be a number"),
    "transactions_inf_amount": ({"transactions.csv": GOOD_TX + "c2,2024-01-05,inf\n"}, "error",
                                "not a plausible purchase"),
    "transactions_absurd_amount": ({"transactions.csv": GOOD_TX + "c2,2024-01-05,1e20\n"}, "error",
                                   "not a plausible purchase"),
    "transactions_future_dates": ({"transactions.csv": GOOD_TX + "c2,2999-01-01,5\n"}, "error", "in the future"),
    "transactions_empty": ({"transactions.csv": ""}, "error", "is empty"),
    "customers_duplicate_ids": ({"customers.csv": "customer_id,segment\nc1,a\nc1,b\n"}, "error",
                                "customer_id repeated"),
    "customers_blank_ids": ({"customers.csv": "customer_id,segment\n,a\n"}, "error", "customer_id is blank"),
}


class Link(str):
    """A file of a case that is a symbolic link to this target (relative to the case folder)."""


def all_cases():
    """The first round's cases and those of round two, by area (round2_*.py beside this file).

    A case is ``(files, expect, says)`` or ``(files, expect, says, options)``; ``options`` may give
    ``argv`` (the cem command to run instead of ``validate``; ``{case}`` is the case folder, ``{tmp}`` a
    fresh temporary folder) and ``model: False`` (no model written unless the files hold one).
    """
    import importlib

    cases = dict(CASES)
    for module in sorted(p.stem for p in HERE.glob("round2_*.py")):
        extra = importlib.import_module(module).CASES
        clash = set(extra) & set(cases)
        if clash:
            raise SystemExit(f"{module}: case names used twice: {sorted(clash)}")
        cases.update(extra)
    return cases


def main():
    sys.path.insert(0, str(HERE))
    for old in HERE.iterdir():
        if old.is_dir() and not old.name.startswith("__"):
            shutil.rmtree(old)
    manifest = {}
    for case, (files, expect, says, *more) in all_cases().items():
        options = more[0] if more else {}
        folder = HERE / case
        folder.mkdir()
        if options.get("model", True) and "model.yaml" not in files and "model.xlsx" not in files:
            (folder / "model.yaml").write_text(MINI, encoding="utf-8")
        for name, content in files.items():
            path = folder / name
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, Link):
                path.symlink_to(str(content))
            elif isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content, encoding="utf-8")
        manifest[case] = {"expect": expect, "says": says}
        if options.get("argv"):
            manifest[case]["argv"] = list(options["argv"])
    (HERE / "cases.yaml").write_text("# Written by make_corpus.py: what `cem validate` (or argv) must give for each case.\n"
                                     + yaml.safe_dump(manifest, sort_keys=True, allow_unicode=True), encoding="utf-8")
    print(f"{len(manifest)} cases written")


if __name__ == "__main__":
    main()
