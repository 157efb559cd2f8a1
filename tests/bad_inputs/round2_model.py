"""Round two, the model, study.yaml and the files around them: mappings of the wrong shape,
numbers no machine can hold, files reached from outside the study folder, CSV headers that
repeat, YAML that is legal but hostile, and what `cem new --from` and `cem export` make of
hostile names and ids. Each is refused with one located line (exit 2) or read correctly.

Large inputs (megabytes, tens of thousands of links) are not here: tests/test_scaling_model.py
makes them at test time.
"""
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from conftest import MINI  # noqa: E402

# make_corpus.py run as a script tests files against its own Link class (that of __main__),
# not that of a second import of the module: take that one when it is there.
_main = sys.modules.get("__main__")
if getattr(_main, "Link", None) is not None and hasattr(_main, "all_cases"):
    Link = _main.Link
else:
    from make_corpus import Link  # noqa: E402

SURVEY = "respondent_id,need_id,importance,satisfaction\nr1,N1,4,2\nr2,N1,5,3\n"
EVENTS = "customer_id,timestamp,step\nc1,2024-01-01T10:00:00,S1\nc1,2024-01-02T10:00:00,S2\n"
OUTSIDE = Link("../../conftest.py")  # a file of the repository, outside the case folder
BIG = "1" + "0" * 5000  # past Python's 4,300-digit limit for printing an integer
NEW = ["new", "{tmp}/s", "--from", "{case}"]
EXPORT = ["export", "{case}", "{tmp}/m.mmd"]


def model(old, new):
    """MINI with one piece replaced (the piece must be there: a silent no-op would test nothing)."""
    assert old in MINI, old
    return MINI.replace(old, new)


CLASHING_IDS = """\
model: {name: Clashing ids}
jobs:
  - {id: J, name: Get a bike repaired, performer: customer}
entities:
  - {id: hh, name: Household, type: customer}
steps:
  - {id: S-1, job: J, name: First, position: 1, stage: purchase}
  - {id: S_1, job: J, name: Second, position: 2, stage: purchase}
  - {id: S.1, job: J, name: Third, position: 3, stage: use}
  - {id: end, job: J, name: Last, position: 4, stage: use}
  - {id: order, job: J, name: After, position: 5, stage: renew}
"""

HOSTILE_LABELS = model("name: Book a repair,", "name: 'Book \"now\" #1 [fast] `x` <b>{y}</b> | a & b;',")

CASES = {
    # 1. study.yaml mappings of the wrong shape, at every level
    "study_mappings_a_list": ({"study.yaml": "mappings: [survey, events]\n"}, "error",
                              "mappings must be a mapping of data files to their columns"),
    "study_mappings_events_a_string": ({"study.yaml": "mappings:\n  events: activity\n"}, "error",
                                       "mappings.events must be a mapping"),
    "study_mappings_wide_a_list": ({"study.yaml": "mappings:\n  survey:\n    wide: [N1]\n"}, "error",
                                   "mappings.survey.wide must be a mapping of need ids"),
    "study_mappings_wide_need_a_string": ({"study.yaml": "mappings:\n  survey:\n    wide: {N1: Q5}\n"}, "error",
                                          "mappings.survey.wide.N1 must map measures to columns"),
    "study_mappings_wide_column_a_list": ({"study.yaml": "mappings:\n  survey:\n    wide: {N1: {importance: [Q5]}}\n"},
                                          "error", "mappings.survey.wide.N1.importance must be the name of one column"),
    "study_mappings_wide_unknown_measure": ({"study.yaml": "mappings:\n  survey:\n    wide: {N1: {importence: Q5}}\n"},
                                            "error", "unknown measure 'importence'"),
    "study_mappings_rename_a_mapping": ({"study.yaml": "mappings:\n  survey:\n    respondent_id: {column: Q1}\n"},
                                        "error", "mappings.survey.respondent_id must be the name of one column"),
    "study_mappings_activities_a_list": ({"study.yaml": "mappings:\n  events:\n    activities: [Open, Close]\n"},
                                         "error", "mappings.events.activities must be a mapping of an activity"),
    "study_mappings_activities_file_a_list": ({"study.yaml": "mappings:\n  events:\n    activities_file: [a.csv]\n"},
                                              "error", "activities_file must be the name of a CSV file"),
    "study_mappings_unknown_data_file": ({"study.yaml": "mappings:\n  transactions: {amount: Amt}\n"}, "error",
                                         "unknown data file 'transactions'"),
    "study_mappings_key_a_list": ({"study.yaml": "mappings:\n  ? [survey]\n  : {respondent_id: Q1}\n"}, "error",
                                  "a mapping key must be text or a number"),
    # 2. numbers: no machine number, implausible settings
    "study_horizon_10000_years": ({"study.yaml": "horizon: 10000\n"}, "error",
                                  "horizon must be a number of years above 0 and at most 50"),
    "study_horizon_zero": ({"study.yaml": "horizon: 0\n"}, "error", "horizon must be a number of years above 0"),
    "study_horizon_nan": ({"study.yaml": "horizon: .nan\n"}, "error", "horizon must be a number of years"),
    "study_margin_nan_text": ({"study.yaml": "margin: nan\n"}, "error", "margin must be a share of revenue"),
    "study_discount_rate_inf": ({"study.yaml": "discount_rate: .inf\n"}, "error",
                                "discount_rate must be a yearly rate from 0 to 1"),
    "study_horizon_past_1e308": ({"study.yaml": "horizon: 1" + "0" * 400 + "\n"}, "error",
                                 "is not a plausible number (401 digits"),
    "study_title_5000_digits": ({"study.yaml": f"title: {BIG}\n"}, "error", "is not a plausible number (5,001 digits"),
    "model_position_5000_digits": ({"model.yaml": model("position: 2", f"position: {BIG}")}, "error",
                                   "is not a plausible number (5,001 digits"),
    "model_cost_past_1e308": ({"model.yaml": model("cost: 0.5", "cost: 1" + "0" * 309)}, "error",
                              "is not a plausible number (310 digits"),
    "model_hex_cost_past_1e308": ({"model.yaml": model("cost: 0.5", "cost: 0x" + "F" * 400)}, "error",
                                  "is not a plausible number"),
    "model_sexagesimal_position_huge": ({"model.yaml": model("position: 2", "position: 1" + ":59" * 400)}, "error",
                                        "is not a plausible number"),
    "model_quoted_position_5000_digits": ({"model.yaml": model("position: 2", f"position: '{BIG}'")}, "error",
                                          "position is not a plausible number"),
    "model_id_5000_digits_unquoted": ({"model.yaml": model("{id: R1,", f"{{id: {BIG},")}, "error",
                                      "quote it if it is text, such as an id"),
    # 3. files outside the study folder: refused, their content never echoed
    "study_activities_file_parent": ({"study.yaml": "mappings:\n  events:\n    activities_file: ../../../etc/passwd\n"},
                                     "error", "is outside the study folder"),
    "study_activities_file_absolute": ({"study.yaml": "mappings:\n  events:\n    activities_file: /etc/passwd\n"},
                                       "error", "is outside the study folder"),
    "study_activities_file_link_outside": ({"study.yaml": "mappings:\n  events:\n    activities_file: map.csv\n",
                                            "map.csv": OUTSIDE}, "error", "is outside the study folder"),
    "study_activities_file_missing": ({"study.yaml": "mappings:\n  events:\n    activities_file: nope.csv\n"}, "error",
                                      "is not a file in the study folder"),
    "survey_link_outside": ({"survey.csv": OUTSIDE}, "error", "is a symbolic link to a file outside the study folder"),
    "events_link_outside": ({"events.csv": Link("../make_corpus.py")}, "error",
                            "is a symbolic link to a file outside the study folder"),
    "model_link_outside": ({"model.yaml": OUTSIDE}, "error", "is a symbolic link to a file outside the study folder"),
    "study_yaml_link_outside": ({"study.yaml": OUTSIDE}, "error",
                                "is a symbolic link to a file outside the study folder"),
    "survey_link_inside": ({"answers/2024.csv": SURVEY, "survey.csv": Link("answers/2024.csv")}, "ok", "valid:"),
    # 4. CSV headers and cells
    "csv_repeated_header": ({"survey.csv": "respondent_id,need_id,importance,importance\nr1,N1,4,2\n"}, "error",
                            "column 'importance' appears 2 times (columns 3, 4)"),
    "csv_repeated_header_after_spaces": ({"survey.csv": "respondent_id,need_id ,need_id,importance\nr1,N1,N1,4\n"},
                                         "error", "column 'need_id' appears 2 times (columns 2, 3)"),
    "csv_repeated_header_nfc_nfd": ({"customers.csv": "customer_id,r\u00e9gion,re\u0301gion\nc1,a,b\n"}, "error",
                                    "column 'r\u00e9gion' appears 2 times"),
    "csv_nfd_step_ids_match_the_model": ({"model.yaml": MINI.replace("S2", "S\u00e9"),
                                          "events.csv": EVENTS.replace("S2", "Se\u0301")}, "ok", "valid:"),
    "csv_huge_cell_echo_capped": ({"survey.csv": SURVEY + "r3,N" + "x" * 20_000 + ",4,2\n"}, "error",
                                  "is not a need of the model"),
    "csv_many_unknown_needs_capped": ({"survey.csv": SURVEY + "".join(f"r{i},N_no{i},4,2\n" for i in range(200))},
                                      "error", "more like this"),
    # 5. YAML that parses but must not be believed
    "model_alias_cycle": ({"model.yaml": MINI + "extra: &loop [1, *loop]\n"}, "error", "(a cycle)"),
    "model_undefined_alias": ({"model.yaml": MINI.replace("performer: company}", "performer: *nobody}")}, "error",
                              "names no anchor"),
    "model_two_documents": ({"model.yaml": MINI + "---\n" + MINI}, "error", "more than one YAML document"),
    "model_set_tag": ({"model.yaml": MINI + "extra: !!set {a, b}\n"}, "error", "is not supported"),
    "model_python_tag": ({"model.yaml": model("name: Mini,", "name: !!python/name:os.system ls,")},
                         "error", "could not determine a constructor"),
    "model_deep_block_nesting": ({"model.yaml": "jobs:\n" + "- " * 200 + "x\n"}, "error", "nested too deeply"),
    "model_merge_keys": ({"model.yaml": model("  - {id: S2, job: J, name: Ride the bike again, position: 2, stage: use}",
                                              "  - &s2 {id: S2, job: J, name: Ride the bike again, position: 2, stage: use}")
                          .replace("  - {id: C1, job: K, name: Repair the bike, position: 1, stage: use}",
                                   "  - {<<: *s2, id: C1, job: K, name: Repair the bike, position: 1}")}, "ok", "valid:"),
    "model_merge_of_a_list": ({"model.yaml": model("{id: K, name: Repair bikes,", "{<<: [1, 2], id: K, name: Repair bikes,")},
                              "error", "a << merge key takes a mapping"),
    "model_many_dangling_links": ({"model.yaml": MINI + "".join(f"  - {{relation: performs, from: ghost{i}, to: S1}}\n"
                                                                for i in range(300))}, "error", "more like this"),
    "model_long_id_reference": ({"model.yaml": model("provided_by: shop", "provided_by: " + "g" * 20_000)}, "error",
                                "does not exist"),
    "model_line_break_in_value": ({"model.yaml": model("stage: use}", 'stage: "use\\nhorizon: 1"}')}, "error",
                                  "is not one of"),
    "model_impossible_date": ({"model.yaml": model("{id: J, name: Get a bike repaired,",
                                                   "{id: J, description: 2024-13-45, name: Get a bike repaired,")},
                              "error", "'2024-13-45' cannot be read as a date (month must be in 1..12)"),
    "study_tagged_bool": ({"study.yaml": "title: !!bool maybe\n"}, "error", "'maybe' cannot be read as true or false"),
    # 6. cem new --from and cem export with hostile names and ids
    "scaffold_hostile_model_name": ({"model.yaml": model("name: Mini,", "name: \"Acme: the journey\\nhorizon: 10000 # x\",")},
                                    "ok", "wrote", {"argv": NEW}),
    "scaffold_formula_cells": ({"model.yaml": model("statement: Minimize the time it takes to get a slot",
                                                    "statement: '=HYPERLINK(\"http://example.invalid\",\"x\")'")},
                               "ok", "wrote", {"argv": NEW}),
    "scaffold_from_a_broken_model": ({"model.yaml": model("provided_by: shop", "provided_by: garage")}, "error",
                                     "entity 'garage' does not exist", {"argv": NEW}),
    "export_mermaid_clashing_ids": ({"model.yaml": CLASHING_IDS}, "ok", "wrote", {"argv": EXPORT}),
    "export_mermaid_hostile_labels": ({"model.yaml": HOSTILE_LABELS}, "ok", "wrote", {"argv": EXPORT}),
}
