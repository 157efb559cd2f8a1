"""Client tables (#15): names for ids, numbers as a reader writes them, no index, one missing marker, escaped."""
import networkx as nx
import numpy as np
import pandas as pd

from cem.tables import MISSING, client_table, format_number


def test_numbers_read_as_a_client_writes_them():
    assert [format_number(v) for v in (25200657.0, 394.0, 68285466, 0.5312, -1234.5)] == [
        "25,200,657", "394", "68,285,466", "0.53", "-1,234"]
    assert [format_number(v) for v in (np.nan, None, pd.NA, "", "nan")] == [MISSING] * 5
    assert format_number(0.071, percent=True) == "7 %" and format_number(True) == "yes"


def test_ids_become_names_the_index_goes_and_every_shown_column_is_explained():
    G = nx.MultiDiGraph()
    G.add_node("S_permit", name="Get the grid connection approved")
    G.add_node("N_price_time", statement="Minimize the time it takes to get a firm price")
    G.add_node("N_show", statement="Maximize the pride")
    table = pd.DataFrame({"need_id": ["N_price_time"], "step": ["S_permit"], "n": [394.0], "A": [3], "R": [1],
                          "Q": [0], "top_needs": ["N_price_time, N_show"], "rating": [np.nan]}, index=[7])
    shown = client_table(table, G)
    html = shown.to_html()
    for text in ("S_permit", "N_price_time", "394.0", ">7<", "NaN"):
        assert text not in html, text
    assert shown.data.iloc[0].tolist() == ["Minimize the time it takes to get a firm price", "Get the grid connection approved",
                                           "394", "3", "1", "0",
                                           "Minimize the time it takes to get a firm price, Maximize the pride", MISSING]
    for said in ("R: reverse", "Q: questionable", "A: attractive", f"{MISSING} : no value"):
        assert said in shown.caption


def test_model_text_is_escaped():
    shown = client_table(pd.DataFrame({"name": ["<script>alert(1)</script>"]}))
    assert "<script>" not in shown.to_html() and "&lt;script&gt;" in shown.to_html()
