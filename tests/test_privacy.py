import pandas as pd

from cem.privacy import contactable, pseudonym_key, pseudonymise, spreadsheet_safe


def test_pseudonyms_are_keyed_stable_and_not_the_id():
    a = pseudonymise(["C00001", "C00002", "C00001"], "k1")
    assert a[0] == a[2] and a[0] != a[1] and "C00001" not in a[0]
    assert pseudonymise("C00001", "k2") != a[0]
    s = pseudonymise(pd.Series(["x"]), "k1")
    assert s.iloc[0] == pseudonymise("x", "k1")


def test_key_from_environment_then_study_then_random(monkeypatch):
    monkeypatch.setenv("CEM_PSEUDONYM_KEY", "env")
    assert pseudonym_key({"pseudonym_key": "yaml"}) == ("env", "environment")
    monkeypatch.delenv("CEM_PSEUDONYM_KEY")
    assert pseudonym_key({"pseudonym_key": "yaml"}) == ("yaml", "study.yaml")
    k1, src = pseudonym_key({})
    assert src == "random" and k1 != pseudonym_key({})[0]


def test_opted_out_and_unknown_customers_are_not_contactable():
    c = pd.DataFrame({"opt_in": ["yes", "no", "", "TRUE", "0"]}, index=list("abcde"))
    assert list(contactable(c).index) == ["a", "d"]
    assert contactable(pd.DataFrame(index=["a"])).empty  # no consent recorded: nobody


def test_spreadsheet_safe_cells_headers_and_index():
    t = pd.DataFrame({"=bad": ["+1+1", "@SUM(A1)", "-2", "ok", "\tx"]}, index=["=i", "b", "c", "d", "e"])
    safe = spreadsheet_safe(t)
    assert list(safe.columns) == ["'=bad"] and safe.index[0] == "'=i"
    assert safe.iloc[:, 0].tolist() == ["'+1+1", "'@SUM(A1)", "'-2", "ok", "'\tx"]


def test_safe_cells_read_back_as_the_original_text():
    from cem.privacy import safe_cell, unquote_cell

    for text in ["=1+1", "+x", "-3", "@a", "\tt", "\rr", "'=q", "''", "'", "'plain", "plain", ""]:
        written = safe_cell(text)
        assert not str(written).startswith(("=", "+", "-", "@", "\t", "\r"))
        assert unquote_cell(written) == text


XES = """<?xml version="1.0" encoding="UTF-8"?>
<log xes.version="1.0">
  <trace><string key="concept:name" value="K7"/>
    <event><string key="concept:name" value="Open"/><date key="time:timestamp" value="2024-01-01T10:00:00"/></event>
  </trace>
  <trace><string key="concept:name" value="case-000123"/>
    <event><string key="concept:name" value="Open"/><date key="time:timestamp" value="2024-01-02T10:00:00"/></event>
  </trace>
</log>
"""


def test_failure_texts_lose_short_ids_and_xes_case_ids(tmp_path, monkeypatch):
    """Issue #15: ids under four characters and the case ids of an XES log stayed in failure texts."""
    from types import SimpleNamespace

    from cem.reporting.failures import _pseudonymise_failure

    monkeypatch.setenv("CEM_PSEUDONYM_KEY", "k")
    (tmp_path / "customers.csv").write_text("customer_id,segment\n17,a\nA9,b\n")
    (tmp_path / "events.xes").write_text(XES)
    (tmp_path / "survey.csv").write_text("Resp,need_id\nR2,N1\n")
    (tmp_path / "study.yaml").write_text("mappings:\n  survey: {respondent_id: Resp}\n")
    result = SimpleNamespace(errors=["02_needs.ipynb: cell 17: KeyError: 'A9'",
                                     "customer 17 has no purchases (customers.csv:17).",
                                     "case K7 and case-000123 never closed; respondent R2 too"])
    log = ["traceback ... '17' ..."]
    _pseudonymise_failure(result, log, tmp_path)
    p = {i: pseudonymise(i, "k") for i in ("17", "A9", "K7", "case-000123", "R2")}
    assert result.errors == [f"02_needs.ipynb: cell 17: KeyError: '{p['A9']}'",
                             f"customer {p['17']} has no purchases (customers.csv:17).",
                             f"case {p['K7']} and {p['case-000123']} never closed; respondent {p['R2']} too"]
    assert log == [f"traceback ... '{p['17']}' ..."]


def test_scrub_ids_keeps_places_and_punctuation():
    from cem.privacy import scrub_ids

    ids = {"1", "C2", "x"}
    text = "survey.csv:1,9: importance of 1 is 1. cell 1, line 1: C2? x!"
    c = {i: pseudonymise(i, "k") for i in ids}
    assert scrub_ids(text, ids, "k") == (f"survey.csv:1,9: importance of {c['1']} is {c['1']}. cell 1, line 1: "
                                         f"{c['C2']}? {c['x']}!")
    assert scrub_ids("nothing to hide", set(), "k") == "nothing to hide"


def test_the_pseudonyms_of_a_list_map_back_in_the_runs_private_folder(tmp_path):
    """Issue #15: with a random key nobody could find the customers a win-back list shows."""
    import stat

    from cem.privacy import PRIVATE_FOLDER, save_pseudonym_map

    key, source = pseudonym_key({})
    assert source == "random"
    shown = pseudonymise(["C00042", "=cmd|x", "C00007"], key)
    path = save_pseudonym_map(tmp_path, "win_back", ["C00042", "=cmd|x", "C00007"], key)
    assert path == tmp_path / PRIVATE_FOLDER / "win_back_ids.csv"
    table = pd.read_csv(path, dtype=str)
    assert table["pseudonym"].tolist() == shown
    assert table["customer_id"].tolist() == ["C00042", "'=cmd|x", "C00007"]  # spreadsheet-safe
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert "not for the client" in (path.parent / "README.txt").read_text()


def test_the_page_says_where_the_key_came_from():
    from cem.privacy import key_note

    assert "differ from one run to the next" in key_note("random") and "pseudonym_key" in key_note("random")
    assert "every run" in key_note("study.yaml") and "CEM_PSEUDONYM_KEY" in key_note("environment")
