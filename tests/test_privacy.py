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
