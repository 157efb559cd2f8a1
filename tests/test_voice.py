"""cem.voice: feedback placed on steps and needs, sentiment, per-step figures, quotes.

Known answers: real sentences labelled by people (MAMS restaurant reviews, CFPB complaints, in
data/external/restaurant and data/external/bank) against a majority-class and a keyword-only
baseline, with the measured figures pinned; generated feedback with planted steps, needs and
sentiment; hand-computed Wilson intervals.
"""
import numpy as np
import pandas as pd
import pytest

from cem import voice
from cem.convert import model_from_file
from conftest import ROOT

RESTAURANT = ROOT / "data" / "external" / "restaurant"
BANK = ROOT / "data" / "external" / "bank"

#: MAMS aspect categories -> steps of the restaurant journey (miscellaneous has no step).
ASPECT_STEP = {"food": "R_eat", "staff": "R_served", "service": "R_served", "menu": "R_order", "price": "R_pay",
               "place": "R_choose", "ambience": "R_seated"}


def model_cues(G):
    return {n: [c.strip() for c in G.nodes[n]["cues"].split(",")] for n in G.nodes if G.nodes[n].get("cues")}


def scores(feedback, truth, G):
    """cem, majority and keyword placements of the feedback, evaluated against the truth."""
    out = {"cem": voice.evaluate(voice.place(feedback, G), truth)}
    for kind in ("majority", "keyword"):
        out[kind] = voice.evaluate(voice.baseline(feedback, kind, truth=truth, cues=model_cues(G), G=G), truth)
    return out


@pytest.fixture(scope="module")
def mams():
    G, _ = model_from_file(RESTAURANT / "journey.yaml")
    labels = pd.read_csv(RESTAURANT / "mams_acsa.csv")
    labels = labels[labels["split"] == "test"]  # the cues were written looking at the training split only
    sentences = labels.drop_duplicates("sentence_id").reset_index(drop=True)
    row_of = dict(zip(sentences["sentence_id"], sentences.index))
    truth = (labels[labels["aspect"].isin(ASPECT_STEP)]
             .assign(row=lambda d: d["sentence_id"].map(row_of), step=lambda d: d["aspect"].map(ASPECT_STEP))
             .drop_duplicates(["row", "step"])[["row", "step", "sentiment"]])
    return scores(sentences[["text"]], truth, G)


def test_mams_placement_beats_both_baselines(mams):
    """Every MAMS sentence names two or more aspects, so placement is scored as F1 over (sentence, step)
    pairs; measured on the 400 test sentences (747 labelled pairs): cem 0.662, keyword 0.625, majority 0.507."""
    cem, keyword, majority = mams["cem"], mams["keyword"], mams["majority"]
    assert (cem["n_rows"], cem["n_pairs"]) == (400, 747)
    assert cem["f1"] == pytest.approx(0.662, abs=0.01)
    assert cem["f1"] >= keyword["f1"] + 0.025
    assert cem["f1"] >= majority["f1"] + 0.10
    assert cem["recall"] >= keyword["recall"] + 0.03


def test_mams_sentiment_per_step(mams):
    """Sentiment (negative/neutral/positive) of each labelled (sentence, aspect step): cem 0.521 against
    the majority class 0.400. The lexicon without negation (keyword baseline) reaches 0.531: on these
    sentences cem's sentiment is no better than the plain lexicon (said so in the README); what it adds
    (negation, a clause's opinion given to the step it follows) shows on the planted feedback below.
    For scale: the MAMS paper's TextCNN reaches 48.9 % on its (finer) aspect-category task."""
    cem, keyword, majority = mams["cem"], mams["keyword"], mams["majority"]
    assert cem["sentiment_accuracy"] == pytest.approx(0.521, abs=0.01)
    assert cem["sentiment_accuracy"] >= majority["sentiment_accuracy"] + 0.10
    assert abs(cem["sentiment_accuracy"] - keyword["sentiment_accuracy"]) < 0.02
    per_step = cem["per_step"].set_index("step")
    # Service is what these reviewers complain about most, and cem ranks it so too.
    assert per_step["label_negative"].idxmax() == "R_served"
    assert per_step["predicted_negative"].idxmax() == "R_served"


def test_cfpb_complaints_placed_on_the_bank_journey():
    """477 complaints whose consumer-chosen issue maps to a step (issues.csv): the complaint's top step
    (summed confidence of its sentences) is the issue's step for 55.1 %; keyword 53.5 %, majority 35.8 %."""
    G, _ = model_from_file(BANK / "journey.yaml")
    complaints = pd.read_csv(BANK / "complaints.csv", dtype=str, keep_default_na=False)
    issues = pd.read_csv(BANK / "issues.csv")
    truth = (complaints.reset_index(drop=True).reset_index().rename(columns={"index": "row"})
             .merge(issues, on="issue")[["row", "step"]])
    s = scores(complaints[["text"]], truth, G)
    assert s["cem"]["n_rows"] == 477
    assert s["cem"]["accuracy"] == pytest.approx(0.551, abs=0.01)
    assert s["cem"]["accuracy"] >= s["majority"]["accuracy"] + 0.15
    assert s["cem"]["accuracy"] > s["keyword"]["accuracy"]


# --- generated feedback with planted content ----------------------------------------------------

def planted_model(tmp_path):
    (tmp_path / "journey.yaml").write_text("""
model: {name: Planted}
jobs:
  - {id: J, name: Get a parcel delivered, performer: customer}
entities:
  - {id: me, name: Me, type: customer}
actors:
  - {id: buyer, name: Buyer, entity: me, role: job_executor}
steps:
  - {id: S_order, job: J, position: 1, stage: purchase, name: Place the order online, cues: "checkout, basket, cart"}
  - {id: S_track, job: J, position: 2, stage: receive, name: Track the delivery, cues: "tracking, courier"}
  - {id: S_return, job: J, position: 3, stage: dispose, name: Return an item for a refund, cues: "return, refund"}
needs:
  - {id: N_pay_methods, step: S_order, actor: buyer, dimension: functional, statement: Maximize the likelihood of paying with a preferred payment method, cues: "paypal, payment method"}
  - {id: N_order_time, step: S_order, actor: buyer, dimension: functional, statement: Minimize the time it takes to complete the order}
  - {id: N_where, step: S_track, actor: buyer, dimension: functional, statement: Minimize the uncertainty about when the parcel arrives, cues: "arrive, arrival"}
  - {id: N_refund_time, step: S_return, actor: buyer, dimension: functional, statement: Minimize the time until the refund is received}
""", encoding="utf-8")
    G, _ = model_from_file(tmp_path / "journey.yaml")
    return G


#: (step, need, sentiment sign, phrasings): several ways customers say the same thing.
PLANTED = [
    ("S_order", "N_pay_methods", -1, ["I could not pay with PayPal at checkout, terrible.",
                                      "Sadly my preferred payment method was refused.",
                                      "The payment method I use was not accepted, awful."]),
    ("S_order", "N_order_time", 1, ["Completing the order online took no time at all, great.",
                                    "Placing my order was quick and easy.",
                                    "The checkout was fast and smooth, excellent."]),
    ("S_track", "N_where", -1, ["The tracking never said when the parcel would arrive, frustrating.",
                                "No idea about the arrival of my parcel, the courier was useless.",
                                "I had no clue when the parcel arrives, very poor tracking."]),
    ("S_return", "N_refund_time", -1, ["Still waiting for my refund after a month, unacceptable.",
                                       "The refund took forever to be received, awful.",
                                       "Returning the item was a nightmare and the refund is slow."]),
    ("S_return", None, 1, ["Returning the jacket was simple, thank you.",
                           "The return label was included, lovely service."]),
]
NOISE = ["My cat likes the sun.", "Weather was nice yesterday.", "Hello there."]


def planted_feedback(n=600, seed=1):
    rng = np.random.default_rng(seed)
    pick = rng.integers(0, len(PLANTED), n)
    rows = []
    for i, k in enumerate(pick):
        step, need, sign, phrasings = PLANTED[k]
        rows.append({"text": phrasings[rng.integers(len(phrasings))], "source": rng.choice(["app", "web"]),
                     "date": pd.Timestamp("2024-01-01") + pd.Timedelta(days=int(rng.integers(0, 90))),
                     "customer_id": f"C{i:04d}", "rating": 1.0 if sign < 0 else 5.0,
                     "true_step": step, "true_need": need, "true_sign": sign})
    noise = [{"text": NOISE[j % len(NOISE)], "source": "web", "date": pd.Timestamp("2024-02-01"),
              "customer_id": f"N{j}", "rating": np.nan, "true_step": None, "true_need": None, "true_sign": 0}
             for j in range(30)]
    return pd.DataFrame(rows + noise)


def test_planted_steps_needs_and_sentiment_are_found(tmp_path):
    G = planted_model(tmp_path)
    fb = planted_feedback()
    placed = voice.place(fb, G)
    first = placed.sort_values("confidence", ascending=False).drop_duplicates("row").set_index("row").sort_index()
    truth_step = fb["true_step"]
    planted = truth_step.notna().to_numpy()
    got_step = first["step"].reindex(range(len(fb))).astype(object)
    step_accuracy = float((got_step[planted] == truth_step[planted]).mean())
    assert step_accuracy >= 0.95
    # Noise stays unplaced (and is counted as such).
    assert got_step[~planted].isna().all()
    need_rows = fb["true_need"].notna().to_numpy()
    needs_found = set(zip(placed["row"], placed["need_id"].astype(object)))
    need_hit = [(r, n) in needs_found for r, n in zip(np.flatnonzero(need_rows), fb["true_need"][need_rows])]
    assert float(np.mean(need_hit)) >= 0.85  # the planted need among the row's placed needs
    mean_sentiment = placed.groupby("row")["sentiment"].mean().reindex(range(len(fb)))
    sign_accuracy = float((np.sign(mean_sentiment[planted]) == fb["true_sign"][planted]).mean())
    assert sign_accuracy >= 0.9
    # Without negation ("could not pay", "never said") and without the clause's opinion, the lexicon misreads.
    plain = voice.baseline(fb, "keyword", cues=model_cues(G), G=G).groupby("row")["sentiment"].mean()
    plain_accuracy = float((np.sign(plain.reindex(range(len(fb)))[planted]) == fb["true_sign"][planted]).mean())
    assert sign_accuracy >= plain_accuracy
    # A keyword-only placement misses the phrasings without a cue word; cem's similarity finds them.
    truth = pd.DataFrame({"row": np.flatnonzero(planted), "step": truth_step[planted].to_numpy()})
    cem = voice.evaluate(placed, truth)
    keyword = voice.evaluate(voice.baseline(fb, "keyword", cues=model_cues(G), G=G), truth)
    assert cem["accuracy"] >= keyword["accuracy"] + 0.1


def test_voice_by_step_counts_shares_and_intervals(tmp_path):
    G = planted_model(tmp_path)
    fb = planted_feedback()
    placed = voice.place(fb, G)
    table = voice.voice_by_step(placed)
    steps = table[table["need_id"].isna() & table["step"].notna()].set_index("step")
    # Unplaced sentences have their own row: the noise, counted.
    assert table[table["step"].isna()]["n"].iloc[0] >= 30
    # Tracking was planted all negative; the return step mixes negative (refunds) and positive phrasings.
    track = steps.loc["S_track"]
    assert track["share_negative"] >= 0.9 and track["low"] <= track["share_negative"] <= track["high"]
    assert track["mean_rating"] == 1.0
    ret = steps.loc["S_return"]
    assert 0.3 < ret["share_negative"] < 0.9
    # The interval is Wilson's, computed by hand for k=1, n=4: (0.0456, 0.6994).
    low, high = voice.wilson(1, 4)
    assert (round(float(low), 4), round(float(high), 4)) == (0.0456, 0.6994)
    by_source = voice.voice_by_step(placed, by="source")
    assert set(by_source["source"].dropna()) == {"app", "web"}
    assert by_source[by_source["need_id"].isna()]["sentences"].sum() == len(placed)  # every sentence counted once
    by_month = voice.voice_by_step(placed, by="month")
    assert set(by_month["month"]) <= {"2024-01", "2024-02", "2024-03", "2024-04"}


def test_planted_complaint_themes_are_found(tmp_path):
    """Two complaints planted in the return step (slow refunds, missing return labels), phrased
    several ways among praise: the negative mentions of the step fall into two themes, one per
    complaint, each named by its planted words."""
    G = planted_model(tmp_path)
    rng = np.random.default_rng(3)
    slow = ["The refund took weeks to arrive, awful.", "My refund is still pending after weeks, terrible.",
            "Waiting weeks for the refund is unacceptable."]
    label = ["The return label was missing from the box, annoying.", "No return label in the parcel, useless.",
             "I had to print the return label myself, poor."]
    praise = ["Returning the jacket was simple, thank you."]
    texts = [rng.choice(slow) for _ in range(60)] + [rng.choice(label) for _ in range(40)] + praise * 30
    placed = voice.place(pd.DataFrame({"text": texts}), G)
    found = voice.themes(placed, n_themes=2)
    ret = found[found["step"] == "S_return"].reset_index(drop=True)
    assert len(ret) == 2 and ret["theme"].tolist() == [1, 2]
    assert "refund" in ret.loc[0, "terms"] and "label" in ret.loc[1, "terms"]
    assert ret.loc[0, "n"] > ret.loc[1, "n"]
    on_return = placed[placed["step"] == "S_return"].groupby("row")["sentiment"].mean()
    assert ret["n"].sum() == int((on_return < voice.NEGATIVE).sum()) == 100  # every planted complaint, no praise


def test_quotes_hold_no_personal_data():
    placed = pd.DataFrame({
        "row": [0, 1, 2, 3], "step": ["S", "S", "S", "T"], "need_id": [None] * 4,
        "confidence": [0.9, 0.8, 0.7, 0.6], "sentiment": [-0.6, -0.2, 0.5, -0.3],
        "customer_id": ["C0001", "C0002", "C0003", "C0004"],
        "text": ["Write to anna.smith@example.org about it, awful", "Call me on +49 30 1234 5678 please",
                 "Card 4111-1111-1111-1111 was charged twice, says C0003", "Account number DE44500105175407324931"]})
    q = voice.quotes(placed, per_step=3, key="secret", names=["Anna Smith"])
    text = " ".join(q["text"])
    for raw in ("anna.smith@example.org", "1234 5678", "4111", "DE44500105175407324931", "C0003"):
        assert raw not in text
    assert q["customer_id"].str.startswith("c-").all() and "C0001" not in set(q["customer_id"])
    assert q.groupby("step").size().to_dict() == {"S": 3, "T": 1}
    assert q["step"].iloc[0] == "S" and q["sentiment"].iloc[0] < 0  # negative quotes first
    assert "customer_id" not in voice.quotes(placed).columns  # no key: no ids at all


def test_hostile_text_is_kept_as_text_and_placed(tmp_path):
    G = planted_model(tmp_path)
    long_line = "refund " * 200_000  # 1.4 MB on one line, no full stop
    fb = pd.DataFrame({"text": ["<script>alert('x')</script> The refund never came, awful.",
                                "=HYPERLINK(\"http://evil\";\"tracking\")", "bell\x07 the courier \x00 lost it",
                                long_line, "", "café naïve — ünïcödé 😀"]})
    placed = voice.place(fb, G)
    assert placed["text"].iloc[0] == "<script>alert('x')</script> The refund never came,"  # as written
    assert placed.loc[placed["row"] == 0, "step"].iloc[0] == "S_return"
    assert (placed["row"] == 4).sum() == 0  # a row without text has no sentence
    assert placed.loc[placed["row"] == 3, "text"].str.len().max() <= voice.LONG_TEXT
    assert placed["sentiment"].between(-1, 1).all() and placed["confidence"].between(0, 1).all()
    # Written for a spreadsheet, a quote that looks like a formula stays text.
    from cem.privacy import spreadsheet_safe
    formula = placed[placed["text"].str.startswith("=")].assign(step="S_track")
    written = spreadsheet_safe(voice.quotes(formula))
    assert written["text"].str.startswith("'=").all() and len(written) == 1


def test_place_names_and_types(tmp_path):
    G = planted_model(tmp_path)
    placed = voice.place(pd.DataFrame({"text": ["The courier lost my parcel."]}), G)
    assert {"text", "step", "need_id", "confidence", "sentiment"} <= set(placed.columns)
    assert placed["step"].iloc[0] == "S_track"
    missing = voice.place(pd.DataFrame({"text": [None, float("nan"), "The courier lost it."]}), G)
    assert missing["row"].tolist() == [2]  # a missing text is no sentence, not the word "nan"
    empty = voice.place(pd.DataFrame({"text": pd.Series([], dtype=str)}), G)
    assert len(empty) == 0 and {"step", "sentiment"} <= set(empty.columns)


def test_sentiment_negation_and_range():
    s = voice.sentiment(["good", "not good", "never good", "terrible terrible terrible", "the table"])
    assert s[0] > 0 > s[1] and s[2] < 0 and -1 < s[3] < -0.8 and s[4] == 0
