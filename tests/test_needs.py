"""Needs measured: hand-checked scores, and effects planted in generated data recovered."""
import json

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from cem import load_model
from cem.needs import (
    KANO_TABLE,
    ces,
    csat,
    kano,
    needs_metrics,
    nps,
    opportunity,
    segment_respondents,
    segment_summary,
    statement_check,
    unmet_by_actor,
    unmet_by_step,
)
from cem.synth import survey as synth_survey
from conftest import EXAMPLES, MINI


def ratings(need, imp, sat):
    return pd.DataFrame({"respondent_id": [f"r{i}" for i in range(len(imp))], "need_id": need,
                         "importance": imp, "satisfaction": sat})


def test_hand_checkable_opportunity():
    # 270 respondents: 200 rate importance 4 or 5, 75 rate satisfaction 4 or 5.
    s = ratings("N", [5] * 120 + [4] * 80 + [3] * 40 + [1] * 30, [4] * 75 + [3] * 100 + [2] * 95)
    row = opportunity(s).iloc[0]
    assert row["n"] == 270
    assert round(row["importance"], 2) == 7.41
    assert round(row["satisfaction"], 2) == 2.78
    assert round(row["opportunity"], 2) == 12.04
    assert row["served"] == "underserved" and row["priority"] == "high"


def test_satisfaction_above_importance_gives_opportunity_equal_to_importance():
    s = ratings("N", [5] * 30 + [2] * 70, [5] * 80 + [1] * 20)  # I = 3, S = 8
    row = opportunity(s).iloc[0]
    assert row["opportunity"] == pytest.approx(3.0) == row["importance"]
    assert row["served"] == "overserved"


def test_blank_answers_are_left_out_of_shares():
    s = ratings("N", [5, 5, np.nan, 1], [np.nan, np.nan, 5, 1])
    row = opportunity(s).iloc[0]
    assert row["importance"] == pytest.approx(10 * 2 / 3) and row["satisfaction"] == pytest.approx(5.0)
    assert row["n"] == 3


def test_blocks_per_segment_and_model_columns(write_model):
    G = load_model(write_model(MINI))
    s = pd.concat([ratings("N1", [5] * 10, [1] * 10).assign(seg="a"),
                   ratings("N1", [1] * 10, [5] * 10).assign(seg="b")])
    out = opportunity(s, G, by="seg")
    assert list(out["seg"]) == ["a", "b"]
    assert list(out["opportunity"]) == [20.0, 0.0]
    assert out.loc[0, "statement"].startswith("Minimize the time") and out.loc[0, "step"] == "S1"
    assert out.loc[0, "actor"] == "rider" and out.loc[0, "dimension"] == "functional"
    with pytest.raises(KeyError, match="segment column 'region'"):
        opportunity(s, by="region")


@pytest.fixture(scope="module")
def planted():
    G = load_model(EXAMPLES / "solar")
    answers, customers, truth = synth_survey(G, n=400, seed=3)
    return G, answers.merge(customers, left_on="respondent_id", right_on="customer_id"), truth


def test_planted_underserved_needs_rank_first(planted):
    G, answers, truth = planted
    opp = opportunity(answers, G)
    assert set(opp["need_id"].head(3)) == set(truth["underserved"])
    assert (opp.head(3)["opportunity"] > 15).all()


def test_planted_segment_has_its_own_priorities(planted):
    G, answers, truth = planted
    opp = opportunity(answers, G, by="segment")
    own = opp[opp["segment"] == truth["planted_segment"]]
    top = set(own["need_id"].head(6))
    assert set(truth["segment_needs"]) <= top
    rest = opp[opp["segment"] != truth["planted_segment"]].set_index("need_id")
    assert (rest.loc[truth["segment_needs"], "opportunity"] < 5).all()


def test_outcome_segmentation_recovers_the_planted_segment(planted):
    G, answers, truth = planted
    seg = segment_respondents(answers, seed=0)
    assert seg.k == 2 and "silhouette" in seg.criterion
    planted_labels = answers.drop_duplicates("respondent_id").set_index("respondent_id")["segment"]
    ari = adjusted_rand_score(planted_labels.reindex(seg.labels.index), seg.labels)
    assert ari >= 0.8
    again = segment_respondents(answers, seed=0)
    assert again.labels.equals(seg.labels)  # deterministic for a seed
    summary = segment_summary(answers, seg.labels, G, top=6)
    assert summary["respondents"].sum() == 400 and summary["share"].sum() == pytest.approx(1)
    small = summary.loc[summary["respondents"].idxmin()]
    assert set(truth["segment_needs"]) <= set(small["top_needs"].split(", "))


def test_kano_table_is_the_standard_one():
    assert KANO_TABLE.at[1, 5] == "O" and KANO_TABLE.at[2, 5] == "M" and KANO_TABLE.at[1, 3] == "A"
    assert KANO_TABLE.at[3, 3] == "I" and KANO_TABLE.at[5, 1] == "R" and KANO_TABLE.at[1, 1] == "Q"
    assert (KANO_TABLE.values == "Q").sum() == 2 and (KANO_TABLE.values == "I").sum() == 9


def test_kano_recovers_planted_categories(planted):
    _, answers, truth = planted
    k = kano(answers).set_index("need_id")
    agree = (k["category"] == pd.Series(truth["kano"]).reindex(k.index)).mean()
    assert agree == 1.0
    must = k[k["category"] == "M"]
    assert (must["worse"] < -0.5).all() and (must["better"] < 0.4).all()


def test_kano_better_worse_by_hand():
    s = pd.DataFrame({"need_id": "N", "functional": [1, 1, 1, 2, 3, 5], "dysfunctional": [5, 3, 3, 5, 3, 1]})
    row = kano(s).iloc[0]  # O, A, A, M, I, R
    assert (row["O"], row["A"], row["M"], row["I"], row["R"]) == (1, 2, 1, 1, 1)
    assert row["category"] == "A"
    assert row["better"] == pytest.approx(3 / 5) and row["worse"] == pytest.approx(-2 / 5)


def test_nps_csat_ces_known_answers():
    data = pd.DataFrame({"step": ["a"] * 5 + ["b"] * 5, "nps": [10, 9, 9, 7, 3, 0, 1, 2, 10, 8],
                         "rating": [5, 4, 3, 2, 1, 5, 5, 5, 4, 4], "effort": [1, 2, 3, 4, 5, 7, 7, 7, 7, 7]})
    by = nps(data, by="step")
    assert by.loc["a", "nps"] == pytest.approx(60 - 20) and by.loc["b", "nps"] == pytest.approx(20 - 60)
    assert csat(data, by="step").loc["a", "csat"] == pytest.approx(40.0)
    assert csat(data, by="step").loc["b", "csat"] == pytest.approx(100.0)
    assert csat(data, by="step", method="mean").loc["b", "csat"] == pytest.approx(4.6)
    assert ces(data, by="step").loc["a", "ces"] == pytest.approx(3.0)
    assert ces(data, by="step").loc["a", "scale"] == "1-7"


def test_unmet_roll_up_by_hand(write_model):
    G = load_model(write_model(MINI.replace("needs:\n", "needs:\n  - {id: N2, step: S1, actor: rider, "
                                            "dimension: emotional, statement: Minimize the worry of a flat tyre}\n")))
    opp = pd.DataFrame({"need_id": ["N1", "N2"], "step": ["S1", "S1"], "actor": ["rider", "rider"],
                        "importance": [8.0, 4.0], "satisfaction": [2.0, 6.0], "opportunity": [14.0, 4.0]})
    steps = unmet_by_step(opp, G).set_index("step")
    assert steps.loc["S1", "unmet"] == pytest.approx(6.0)  # max(8-2,0) + max(4-6,0)
    assert steps.loc["S1", "experience"] == pytest.approx((8 * 2 + 4 * 6) / (8 * 10 + 4 * 10))
    assert steps.loc["S1", "underserved"] == 1 and steps.loc["S1", "top_need"] == "N1"
    actors = unmet_by_actor(opp, G)
    assert actors.loc[0, "actor"] == "rider" and actors.loc[0, "entity"] == "Household"


def test_statement_check_flags_and_suggests(write_model):
    text = MINI.replace("statement: Minimize the time it takes to get a slot", "statement: A quicker booking page")
    G = load_model(write_model(text))
    check = statement_check(G)
    assert list(check["need_id"]) == ["N1"] and "Minimize|Maximize the <metric" in check.loc[0, "problem"]
    assert statement_check(load_model(EXAMPLES / "solar")).empty


def test_metrics(planted):
    G, answers, truth = planted
    opp = opportunity(answers, G)
    m = needs_metrics(answers, opp, segment_respondents(answers, seed=0), unmet_by_step(opp, G))
    assert m["respondents"] == 400 and m["top_opportunity"]["need_id"] in truth["underserved"]
    assert m["outcome_segments"]["k"] == 2
    json.dumps(m)  # serialisable as it is


def test_a_segment_run_shows_its_own_blank_answers():
    """#15: a segment of 96 respondents was shown the whole survey's 101 blank answers."""
    from cem import load_study
    from cem.needs import survey_notes

    whole = load_study(EXAMPLES / "solar")
    blank = next((w for w in whole.data_warnings("survey") if "blank answers" in w), None)
    assert blank is not None
    value = whole.survey()["segment"].dropna().iloc[0]
    part = load_study(EXAMPLES / "solar", segment=["segment", value])
    answers = part.survey()
    own = int(answers[["importance", "satisfaction"]].isna().sum().sum())
    notes = survey_notes(part.data_warnings("survey"), answers, segment=["segment", value])
    line = next(w for w in notes if "blank answers" in w)
    import re

    assert re.search(rf"\b{own} answers? of this segment \(segment = {re.escape(str(value))}\)", line), line
    assert own < int(re.search(r"(\d+) answers? (?:is|are) blank", blank).group(1))


def test_silhouette_on_a_sample_beyond_a_size_recovers_the_planted_segment(planted, monkeypatch):
    # The silhouette is quadratic in respondents: beyond SILHOUETTE_SAMPLE it is computed on a
    # random sample (the same for every k), and the criterion says so.
    import cem.needs

    G, answers, truth = planted
    assert segment_respondents(answers, seed=0).silhouette_respondents == 400
    monkeypatch.setattr(cem.needs, "SILHOUETTE_SAMPLE", 100)
    seg = segment_respondents(answers, seed=0)
    assert seg.k == 2 and seg.silhouette_respondents == 100
    assert "on a random sample of 100 of the 400 respondents" in seg.criterion
    planted_labels = answers.drop_duplicates("respondent_id").set_index("respondent_id")["segment"]
    assert adjusted_rand_score(planted_labels.reindex(seg.labels.index), seg.labels) >= 0.8
