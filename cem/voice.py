"""The voice of the customer on the job map: each feedback sentence placed on a step and a need,
with a confidence and a sentiment; volumes, shares negative and ratings per step; quotes.

How a sentence is placed (:func:`place`):

1. **Sentences and clauses.** Each text is split into sentences (after ``. ! ?`` and ``;``, at
   line breaks) and, with ``clauses=True``, into clauses (after commas and colons, at dashes,
   before a contrasting conjunction: *but, however, although, while, and the ...*): "the food
   was great but the bill was wrong" holds two opinions on two steps, so it is two pieces.
   Only the first :data:`LONG_TEXT` characters of a text are read.
2. **Words.** Lower case, inflections stripped (*served, serving, serves, serve* -> *serv*;
   *waiter* stays), English stop words and the words of every outcome statement's grammar
   (*minimize, likelihood, time, ...*) left out.
3. **Similarity.** Each step is a document: its name, its description and the statements of
   its needs. Word uni- and bigrams weighted by TF-IDF (the inverse document frequency from
   the feedback itself, so words every review uses count little), cosine similarity between
   each clause and each step (Salton & Buckley 1988). The cue words and phrases the consultant
   adds per step and need (``cues=``, or a ``cues`` text attribute of the step or need in the
   model: phrases separated by commas) found in the clause add ``cue_weight`` (default
   :data:`CUE_WEIGHT`) times the square root of their number; ties go to the step whose cues
   the feedback mentions most (at most :data:`TIE_BREAK`). The step with the highest score is
   the clause's step when its score (the ``confidence``, clipped to 0..1) reaches
   ``threshold``; below, the clause stays unplaced and is counted. A clause with no word about
   any step ("..., terrible.") takes the step of the clause before it in its sentence (else
   the one after), keeping its own low confidence. The need is chosen the same way among the
   step's needs (``need_threshold``).
4. **Sentiment.** A lexicon of opinion words (:data:`LEXICON`, valences -3..3 in the manner of
   AFINN and VADER), summed per clause with negation ("not good", "never very good": the word
   after a negator, fillers skipped, counts times :data:`NEGATION`), normalised
   to -1..1 as VADER does: ``x / sqrt(x^2 + 15)`` (Hutto & Gilbert 2014, eq. in
   ``vaderSentiment.normalize``).

Everything is sparse matrix algebra over all sentences at once (scikit-learn vectorisers,
SciPy products), in batches of :data:`BATCH` sentences to bound memory; there is no Python
loop over sentences or steps.

Why this and not a model: see docs/design.md ("Voice of the customer"). In short: nothing may
be downloaded at run time; the maintained lexicon packages either download their lexicons
(NLTK's VADER) or are unmaintained; a lexicon of a few hundred words in the package, applied
with scikit-learn (already a dependency), is small, documented, fast, and measured on human-
labelled text (tests/test_voice.py).
"""
from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import networkx as nx
import numpy as np
import pandas as pd

from .graph import journey_steps, needs_at
from .privacy import pseudonymise, scrub_ids

__all__ = ["place", "voice_by_step", "themes", "quotes", "evaluate", "baseline", "sentiment", "split_sentences",
           "scrub_personal", "wilson", "LEXICON", "LONG_TEXT", "CUE_WEIGHT", "TIE_BREAK", "NEGATION", "BATCH",
           "NEGATIVE", "POSITIVE"]

#: Only the first this many characters of a text are split and placed (the reader warns of longer ones).
LONG_TEXT = 100_000

#: Added to a step's (or need's) score when one of its cue words or phrases is in the sentence.
CUE_WEIGHT = 0.6

#: At most this is added to a step's score for how often its cues occur in the feedback (ties only).
TIE_BREAK = 0.05

#: A negated opinion word counts with this factor (VADER's N_SCALAR is -0.74).
NEGATION = -0.74

#: Sentences scored per batch (memory, not speed).
BATCH = 200_000

#: A sentence with a sentiment below this is negative, above :data:`POSITIVE` positive, else neutral.
NEGATIVE = -0.05
POSITIVE = 0.05

_WORDS = {
    3: "amazing awesome delicious excellent exceptional fantastic incredible outstanding perfect superb wonderful "
       "phenomenal divine heavenly best love loved",
    2: "great good nice friendly attentive lovely tasty pleasant helpful happy enjoy enjoyed enjoyable fresh "
       "beautiful impressive impressed recommend recommended favorite favourite fun cozy cosy charming courteous "
       "gracious welcoming accommodating generous reasonable fast quick quickly efficient easy smooth polite "
       "professional knowledgeable glad satisfied pleased thanks thank fair clean comfortable warm fabulous "
       "yummy terrific worth solved resolved prompt promptly kind cheap affordable flavorful",
    1: "ok okay decent fine well like liked better hot cool interesting solid adequate helped "
       "correct correctly simple",
    -1: "slow expensive pricey small loud noisy cold crowded bland salty wait waited waiting late confusing "
        "confused problem problems issue issues mistake error errors charge charged fee fees difficult hard "
        "unclear complaint dispute disputed denied declined limited lacking mediocre average overpriced "
        "cramped long tiny dry greasy busy stale",
    -2: "bad poor rude dirty wrong worse unhelpful disappointing disappointed disappointment unfriendly "
        "annoyed annoying frustrating frustrated angry upset ignored ignoring inattentive overcooked "
        "undercooked burnt burned inedible soggy tasteless unacceptable unprofessional incorrect incorrectly "
        "refused failed fail fails failure lost unable unfair harassed harassment threatened threatening "
        "scam fraud fraudulent stolen unauthorized negligent careless sloppy sick forgot forgotten "
        "unresponsive hidden misleading deceptive lied lie lies never",
    -3: "terrible horrible awful worst disgusting inexcusable nightmare pathetic atrocious appalling "
        "outrageous ridiculous abysmal useless hate hated illegal criminal",
}

#: Opinion words and their valence, -3 (very negative) to 3 (very positive); written for reviews
#: of services and complaints, in the manner of AFINN (Nielsen 2011) and VADER's lexicon.
LEXICON: dict[str, float] = {w: float(v) for v, words in _WORDS.items() for w in words.split()}

_NEGATORS = (r"not|no|never|without|hardly|barely|nothing|nobody|none|neither|nor|cannot|"
             r"\w+n't|dont|didnt|doesnt|isnt|wasnt|werent|wont|cant|couldnt|wouldnt|havent|hasnt")
_FILLER = r"(?:very|so|too|really|that|be|been|at|all|the|a|an|quite|exactly|particularly|even|as|very|remotely)"
_NEGATED = re.compile(rf"\b(?:{_NEGATORS})\s+(?:{_FILLER}\s+)*([a-z]+)")
_CONTRAST = (r"but|however|although|though|whereas|yet|except|while|"
             r"and the|and our|and my|and their|and it|and they|and we")
_SPLIT = re.compile(rf"(?<=[.!?;,:])\s+|[\r\n]+|\s+-+\s+|\s+(?=(?:{_CONTRAST})\b)", flags=re.IGNORECASE)
#: The words of every outcome statement's grammar (Ulwick), which say nothing of the step.
_STATEMENT_WORDS = ("minimize", "maximize", "minimise", "maximise", "likelihood", "time", "takes", "effort",
                    "number", "amount", "chance", "risk", "ability", "way", "able")
_SENTENCE_SPLIT = re.compile(r"(?<=[.!?;])\s+|[\r\n]+")
_SUFFIX = re.compile(r"\b([a-z]{3,}?)(?:ings|ing|es|ed|e|s)\b")
_TOKEN = r"(?u)\b[a-z][a-z0-9_]+\b"


def split_sentences(feedback: pd.DataFrame, *, clauses: bool = True, carry: Sequence[str] = (
        "source", "date", "customer_id", "rating", "product", "language")) -> pd.DataFrame:
    """One row per sentence (or clause) of the feedback's ``text``, with the feedback row it came from.

    Parameters
    ----------
    feedback : pandas.DataFrame
        A ``text`` column, and optionally the ``carry`` columns.
    clauses : bool
        Also split before a contrasting conjunction (*but, however, although, ...*).
    carry : sequence of str
        Columns of ``feedback`` copied onto each of its sentences, when present.

    Returns
    -------
    pandas.DataFrame
        ``row`` (position of the feedback row), ``sentence`` (its number within the row, from
        0), ``clause`` (the piece's number within its sentence, from 0), ``text``, and the
        carried columns. Blank pieces are left out; a row with no text has no sentence.

    Examples
    --------
    >>> s = split_sentences(pd.DataFrame({"text": ["Food was great but the bill was wrong. Loved it!"]}))
    >>> s[["row", "sentence", "clause", "text"]].values.tolist()
    [[0, 0, 0, 'Food was great'], [0, 0, 1, 'but the bill was wrong.'], [0, 1, 0, 'Loved it!']]
    """
    text = feedback["text"].fillna("").astype(str).str.slice(0, LONG_TEXT).reset_index(drop=True)
    sentences = text.str.split(_SENTENCE_SPLIT, regex=True).explode().str.strip()
    sentences = sentences[sentences.notna() & (sentences != "")]
    rows = sentences.index.to_numpy()
    number = pd.Series(rows).groupby(rows).cumcount().to_numpy()
    if clauses:
        pieces = pd.Series(sentences.to_numpy(dtype=object)).str.split(_SPLIT, regex=True).explode().str.strip()
        keep = pieces.notna() & (pieces != "")
        pieces = pieces[keep]
        at = pieces.index.to_numpy()
        rows, number, values = rows[at], number[at], pieces.to_numpy(dtype=object)
        clause = pd.Series(at).groupby(at).cumcount().to_numpy()
    else:
        values, clause = sentences.to_numpy(dtype=object), np.zeros(len(rows), dtype=int)
    out = pd.DataFrame({"row": rows, "sentence": number, "clause": clause, "text": values})
    for column in carry:
        if column in feedback.columns:
            out[column] = feedback[column].to_numpy()[rows]
    return out


def _normalise(text: pd.Series) -> pd.Series:
    """Lower case, light suffix stripping: what the placement compares."""
    return text.astype(str).str.lower().str.replace(_SUFFIX, r"\1", regex=True)


def sentiment(text: pd.Series | Sequence[str], *, negation: bool = True) -> np.ndarray:
    """Sentiment of each text, -1 (negative) to 1 (positive), from :data:`LEXICON` with negation.

    ``x / sqrt(x^2 + 15)`` of the summed valences ``x`` (VADER's normalisation, Hutto & Gilbert 2014).

    Examples
    --------
    >>> sentiment(["The waiter was rude.", "The waiter was not rude at all", "We ate."]).round(2).tolist()
    [-0.46, 0.36, 0.0]
    """
    from sklearn.feature_extraction.text import CountVectorizer

    text = pd.Series(list(text) if not isinstance(text, pd.Series) else text).astype(str).str.lower()
    text = text.str.replace("\u2019", "'", regex=False)
    if negation:
        text = text.str.replace(_NEGATED, r"not_\1", regex=True)
    words = list(LEXICON)
    vocabulary = {w: i for i, w in enumerate(words + [f"not_{w}" for w in words])}
    weights = np.array([LEXICON[w] for w in words] + [NEGATION * LEXICON[w] for w in words])
    counts = CountVectorizer(vocabulary=vocabulary, token_pattern=r"(?u)\b[a-z_']+\b", lowercase=False,
                             dtype=np.float32).transform(text)
    x = counts @ weights
    return x / np.sqrt(x * x + 15.0)


def _cues_of(G, node, cues):
    given = list((cues or {}).get(node, []))
    own = G.nodes[node].get("cues") or []
    own = re.split(r"[,;]", own) if isinstance(own, str) else list(own)
    return [str(c) for c in given + own if str(c).strip()]


def _targets(G, cues, steps):
    steps = list(steps) if steps is not None else journey_steps(G)
    needs, need_step = [], []
    for s in steps:
        for n in needs_at(G, s):
            needs.append(n)
            need_step.append(s)
    step_docs = [" ".join([str(G.nodes[s].get("name", "")), str(G.nodes[s].get("description", "") or "")]
                          + [str(G.nodes[n].get("statement", "")) for n in needs_at(G, s)])
                 for s in steps]
    need_docs = [str(G.nodes[n].get("statement", "")) for n in needs]
    step_cues = [_cues_of(G, s, cues) + [c for n in needs_at(G, s) for c in _cues_of(G, n, cues)] for s in steps]
    need_cues = [_cues_of(G, n, cues) for n in needs]
    return steps, needs, np.array([steps.index(s) for s in need_step], dtype=int), step_docs, need_docs, \
        step_cues, need_cues


def _cue_matrix(cue_lists, vocabulary):
    """Targets x cue phrases, 1 where the phrase is one of the target's cues."""
    import scipy.sparse as sp

    rows, cols = [], []
    for i, phrases in enumerate(cue_lists):
        for p in phrases:
            key = " ".join(_normalise(pd.Series([p])).iloc[0].split())
            if key in vocabulary:
                rows.append(i)
                cols.append(vocabulary[key])
    m = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(cue_lists), max(len(vocabulary), 1)))
    m.data[:] = 1.0
    return m


def place(feedback: pd.DataFrame, G: nx.MultiDiGraph, *, threshold: float = 0.15, need_threshold: float = 0.1,
          cues: Mapping[str, Sequence[str]] | None = None, steps: Sequence[str] | None = None,
          clauses: bool = True, cue_weight: float = CUE_WEIGHT) -> pd.DataFrame:
    """Each sentence of the feedback placed on a step and a need of the model, with a sentiment.

    Parameters
    ----------
    feedback : pandas.DataFrame
        A ``text`` column; ``source``, ``date``, ``customer_id``, ``rating``, ``product``,
        ``language`` are carried onto the sentences when present (as :func:`cem.readers.feedback.read_feedback`
        gives them).
    G : networkx.MultiDiGraph
        The journey model.
    threshold : float
        Lowest confidence (0..1) at which a sentence is placed on a step; below, unplaced.
    need_threshold : float
        Lowest score at which a placed sentence is given one of its step's needs.
    cues : mapping of step or need id to a list of words or phrases, optional
        Cue words the consultant adds; a ``cues`` attribute of a step or need in the model counts too.
    steps : sequence of str, optional
        The steps to place on (default: the customer journey's steps).
    clauses : bool
        Split sentences at contrasting conjunctions too (:func:`split_sentences`).
    cue_weight : float
        What the cue words found in a sentence add to a step's score (times the square root of
        their number).

    Returns
    -------
    pandas.DataFrame
        One row per sentence: ``row``, ``sentence``, ``text``, ``step`` (step id, missing when
        unplaced), ``need_id`` (missing when none), ``confidence`` (0..1), ``sentiment`` (-1..1),
        and the carried columns.

    Examples
    --------
    >>> from cem.graph import build_graph
    >>> G = build_graph({"model": {"name": "Demo"}, "nodes": {
    ...     "job": [{"id": "J", "name": "Eat out", "performer": "customer"}],
    ...     "step": [{"id": "S_order", "job": "J", "name": "Order food", "position": 1, "stage": "purchase"},
    ...              {"id": "S_pay", "job": "J", "name": "Pay the bill", "position": 2, "stage": "purchase"}],
    ...     "need": [{"id": "N_split", "dimension": "functional", "statement": "Minimize the effort to split the bill"}]},
    ...     "links": [{"from": "S_pay", "relation": "has_need", "to": "N_split"}]})
    >>> p = place(pd.DataFrame({"text": ["We could not split the bill, terrible.", "Nice weather."]}), G,
    ...           cues={"S_order": ["menu", "ordered"]})
    >>> for r in p.itertuples():
    ...     print(r.row, repr(r.text), r.step, r.need_id, round(r.sentiment, 2))
    0 'We could not split the bill,' S_pay N_split 0.0
    0 'terrible.' S_pay N_split -0.61
    1 'Nice weather.' <NA> <NA> 0.46
    """
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, CountVectorizer, TfidfVectorizer

    sentences = split_sentences(feedback, clauses=clauses)
    steps, needs, need_step, step_docs, need_docs, step_cues, need_cues = _targets(G, cues, steps)
    n = len(sentences)
    step_out = np.full(n, -1)
    need_out = np.full(n, -1)
    conf = np.zeros(n)
    norm_docs = _normalise(pd.Series(step_docs + need_docs))
    words = set(ENGLISH_STOP_WORDS) | set(_STATEMENT_WORDS)
    stop = sorted({_normalise(pd.Series([w])).iloc[0] for w in words} | words)
    vocab_maker = CountVectorizer(ngram_range=(1, 2), token_pattern=_TOKEN, stop_words=stop, lowercase=False)
    vocab_maker.fit(norm_docs)
    vocabulary = vocab_maker.vocabulary_
    all_cues = sorted({" ".join(_normalise(pd.Series([c])).iloc[0].split())
                       for lst in step_cues + need_cues for c in lst} - {""})
    cue_vocab = {c: i for i, c in enumerate(all_cues)}
    tfidf = TfidfVectorizer(vocabulary=vocabulary, ngram_range=(1, 2), token_pattern=_TOKEN, stop_words=stop,
                            lowercase=False, sublinear_tf=True, dtype=np.float32)
    norm_text = _normalise(sentences["text"]) if n else pd.Series([], dtype=str)
    if n:
        tfidf.fit(pd.concat([norm_text, norm_docs], ignore_index=True))
        D = tfidf.transform(norm_docs)
        Ds, Dn = D[:len(steps)], D[len(steps):]
        Cs, Cn = _cue_matrix(step_cues, cue_vocab), _cue_matrix(need_cues, cue_vocab)
        longest = max((len(c.split()) for c in all_cues), default=1)
        cue_counter = CountVectorizer(vocabulary=cue_vocab or {"\x00": 0}, ngram_range=(1, max(longest, 1)),
                                      token_pattern=_TOKEN, lowercase=False, binary=True, dtype=np.float32)
        on_step = np.zeros((len(needs), len(steps)), dtype=bool)
        on_step[np.arange(len(needs)), need_step] = True
        for start in range(0, n, BATCH):
            chunk = norm_text.iloc[start:start + BATCH]
            X = tfidf.transform(chunk)
            H = cue_counter.transform(chunk)
            hits = (H @ Cs.T).toarray()
            if start == 0:
                # How often each step's cues occur in the feedback (its first batch): breaks ties
                # between steps whose cues a sentence holds equally, towards the step customers
                # talk about more. From the feedback itself, no labels.
                prior = TIE_BREAK * (hits > 0).mean(axis=0)
            score = (X @ Ds.T).toarray() + cue_weight * np.sqrt(hits) + prior
            best = score.argmax(axis=1) if len(steps) else np.zeros(len(chunk), dtype=int)
            top = score[np.arange(len(chunk)), best] if len(steps) else np.zeros(len(chunk))
            placed = top >= threshold
            conf[start:start + len(chunk)] = np.clip(top, 0, 1)
            step_out[start:start + len(chunk)] = np.where(placed, best, -1)
            if len(needs):
                nscore = (X @ Dn.T).toarray() + cue_weight * np.sqrt((H @ Cn.T).toarray())
                nscore = np.where(on_step[:, best].T, nscore, -np.inf)
                nbest = nscore.argmax(axis=1)
                ntop = nscore[np.arange(len(chunk)), nbest]
                need_out[start:start + len(chunk)] = np.where(placed & (ntop >= need_threshold), nbest, -1)
    if n and clauses:
        # A clause with no word of its own about a step ("..., terrible.") speaks of the step of the
        # clause before it in its sentence (else of the one after it); its confidence stays its own
        # (low) score, so it adds nothing to how strongly the text speaks of the step.
        key = sentences["row"].to_numpy().astype(np.int64) * (int(sentences["sentence"].max()) + 1) \
            + sentences["sentence"].to_numpy()
        frame = pd.DataFrame({"key": key, "step": np.where(step_out >= 0, step_out, np.nan),
                              "need": np.where(step_out >= 0, need_out, np.nan),
                              "conf": np.where(step_out >= 0, conf, np.nan)})
        filled = frame.groupby("key", sort=False)[["step", "need", "conf"]].ffill()
        filled = filled.fillna(frame.assign(**filled).groupby("key", sort=False)[["step", "need", "conf"]].bfill())
        own = step_out >= 0
        inherit = ~own & filled["step"].notna().to_numpy()
        step_out = np.where(inherit, filled["step"].fillna(-1).to_numpy(), step_out).astype(int)
        need_out = np.where(inherit, filled["need"].fillna(-1).to_numpy(), need_out).astype(int)
    step_ids = pd.array(np.array(steps + [None], dtype=object)[step_out], dtype="string")
    need_ids = pd.array(np.array(needs + [None], dtype=object)[need_out], dtype="string")
    out = sentences[["row", "sentence", "clause", "text"]].copy()
    out["step"] = step_ids
    out["need_id"] = need_ids
    out["confidence"] = conf
    out["sentiment"] = sentiment(sentences["text"]) if n else np.zeros(0)
    for column in sentences.columns[4:]:
        out[column] = sentences[column]
    return out


def wilson(k: np.ndarray | int, n: np.ndarray | int, z: float = 1.959964) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of a proportion ``k / n`` (Wilson 1927), 95 % by default; NaN where n is 0.

    ``(p + z^2/2n -+ z sqrt(p(1-p)/n + z^2/4n^2)) / (1 + z^2/n)``

    Examples
    --------
    >>> low, high = wilson(10, 100)
    >>> round(float(low), 4), round(float(high), 4)
    (0.0552, 0.1744)
    """
    k = np.asarray(k, dtype=float)
    n = np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k / n
        centre = (p + z * z / (2 * n)) / (1 + z * z / n)
        half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def voice_by_step(placed: pd.DataFrame, *, by: str | Sequence[str] | None = None,
                  negative: float = NEGATIVE) -> pd.DataFrame:
    """Per step and need (and ``by``): mentions, share negative with its Wilson interval, mean rating.

    The unit is a *mention*: one feedback row speaking of the step (or need), its sentiment the
    mean of its sentences placed there, so a review with three sentences on a step counts once
    and a neutral clause ("the parcel came on Monday,") does not dilute the opinion next to it.
    Each step has a row with ``need_id`` missing (all its mentions) and one per need; unplaced
    sentences are a row with ``step`` missing, so they are counted.

    Parameters
    ----------
    placed : pandas.DataFrame
        As :func:`place` returns it.
    by : str or sequence of str, optional
        Further columns to split by (``"source"``; ``"month"`` is the sentences' ``date`` by month).
    negative : float
        Mean sentiment below which a mention is negative.

    Returns
    -------
    pandas.DataFrame
        ``step``, ``need_id``, the ``by`` columns, ``n`` (mentions), ``negative`` (how many),
        ``share_negative``, ``low``, ``high`` (95 % Wilson interval), ``sentences``, ``n_rated``
        and ``mean_rating`` (of the mentions' feedback rows with a rating).

    Examples
    --------
    >>> p = pd.DataFrame({"row": [0, 0, 1, 2], "step": ["pay", "pay", "pay", None], "need_id": [None] * 4,
    ...                   "sentiment": [-0.5, 0.0, 0.6, -0.2], "rating": [2.0, 2.0, 5.0, 1.0]})
    >>> t = voice_by_step(p)
    >>> t[["n", "negative", "sentences", "mean_rating"]].astype(float).values.tolist()
    [[2.0, 1.0, 3.0, 3.5], [1.0, 1.0, 1.0, 1.0]]
    """
    by = [by] if isinstance(by, str) else list(by or [])
    frame = placed.copy()
    if "month" in by and "month" not in frame.columns:
        frame["month"] = pd.to_datetime(frame["date"]).dt.to_period("M").astype(str)
    if "rating" not in frame.columns:
        frame["rating"] = np.nan
    frame["step"] = frame["step"].astype(object).where(frame["step"].notna(), "")
    frame["need_id"] = frame["need_id"].astype(object).where(frame["need_id"].notna(), "")
    tables = []
    for keys in (["step"], ["step", "need_id"]):
        part = frame if keys == ["step"] else frame[frame["need_id"] != ""]
        mentions = (part.groupby(keys + by + ["row"], sort=False, dropna=False)
                    .agg(sentiment=("sentiment", "mean"), sentences=("sentiment", "size"), rating=("rating", "first"))
                    .reset_index())
        mentions["is_negative"] = mentions["sentiment"] < negative
        t = (mentions.groupby(keys + by, sort=True, dropna=False)
             .agg(n=("row", "size"), negative=("is_negative", "sum"), sentences=("sentences", "sum"),
                  n_rated=("rating", "count"), mean_rating=("rating", "mean")).reset_index())
        t = t.astype({"n": int, "negative": int, "sentences": int, "n_rated": int})
        if keys == ["step"]:
            t["need_id"] = ""
        tables.append(t)
    t = pd.concat(tables, ignore_index=True)
    t["share_negative"] = t["negative"] / t["n"]
    t["low"], t["high"] = wilson(t["negative"].to_numpy(), t["n"].to_numpy())
    t["unplaced"] = t["step"] == ""
    t = t.sort_values(["unplaced", "step", "need_id"] + by, kind="stable").drop(columns="unplaced")
    for column in ("step", "need_id"):
        t[column] = pd.array(t[column].where(t[column] != "", None), dtype="string")
    columns = ["step", "need_id"] + by + ["n", "negative", "share_negative", "low", "high", "sentences",
                                          "n_rated", "mean_rating"]
    return t[columns].reset_index(drop=True)


def themes(placed: pd.DataFrame, *, n_themes: int = 3, top_terms: int = 6, negative_only: bool = True,
           min_sentences: int = 20, random_state: int = 0) -> pd.DataFrame:
    """Themes inside each step: what its sentences are about, by non-negative matrix factorisation.

    The unit is a mention, as in :func:`voice_by_step`: a feedback row's clauses on one step,
    joined (only the negative mentions when ``negative_only``). Per step, the mentions' TF-IDF
    matrix ``X`` (English stop words and the opinion words of :data:`LEXICON` out, so themes say
    what customers speak of, not how they felt; words in at least two mentions) is factorised ``X ~ W H`` with
    ``k = n_themes`` non-negative components (NMF, Lee & Seung 1999; scikit-learn's
    coordinate descent, NNDSVDa start, so the result is reproducible); each mention belongs to
    its largest component, and a theme is named by the terms with the largest weights in ``H``.
    A step with fewer than ``min_sentences`` mentions is not factorised: the row says so. Themes
    are for the consultant to read and, where one is a need the model lacks, to write as an
    outcome statement; nothing is added to the model.

    Returns
    -------
    pandas.DataFrame
        ``step``, ``theme`` (1..k, largest first; 0 when too few mentions), ``terms`` (top terms,
        comma separated), ``n`` (mentions), ``share`` (of the step's mentions considered),
        ``example`` (the mention with the largest weight on the theme, personal data removed).

    Examples
    --------
    >>> text = ([f"the invoice was wrong {x}" for x in ("again", "twice", "today", "sadly")] * 5
    ...         + [f"card payment declined {x}" for x in ("again", "at the till", "online", "twice")] * 5)
    >>> t = themes(pd.DataFrame({"step": "pay", "sentiment": -0.5, "text": text}), n_themes=2)
    >>> sorted(("invoice" in terms, "card" in terms, n) for terms, n in zip(t["terms"], t["n"]))
    [(False, True, 20), (True, False, 20)]
    """
    from sklearn.decomposition import NMF
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer

    frame = placed[placed["step"].notna()]
    row = frame["row"] if "row" in frame.columns else pd.Series(np.arange(len(frame)), index=frame.index)
    frame = (frame.assign(row=row.to_numpy(), step=frame["step"].astype(str))
             .groupby(["step", "row"], sort=False).agg(text=("text", " ".join), sentiment=("sentiment", "mean"))
             .reset_index())
    if negative_only:
        frame = frame[frame["sentiment"] < NEGATIVE]
    stop = sorted(ENGLISH_STOP_WORDS | set(LEXICON))  # themes say what about, not how it felt
    rows = []
    for step, part in frame.groupby(frame["step"].astype(str), sort=True):  # one fit per step, steps are few
        if len(part) < min_sentences:
            rows.append({"step": step, "theme": 0, "terms": f"too few mentions to find themes ({len(part)})",
                         "n": len(part), "share": 1.0, "example": ""})
            continue
        vectorizer = TfidfVectorizer(stop_words=stop, min_df=2, sublinear_tf=True, token_pattern=_TOKEN)
        try:
            X = vectorizer.fit_transform(part["text"].str.lower())
        except ValueError:  # no word in two mentions
            rows.append({"step": step, "theme": 0, "terms": "no word shared by two mentions", "n": len(part),
                         "share": 1.0, "example": ""})
            continue
        k = max(1, min(n_themes, X.shape[1], len(part) - 1))
        model = NMF(n_components=k, init="nndsvda", random_state=random_state, max_iter=400)
        W = model.fit_transform(X)
        terms = np.array(vectorizer.get_feature_names_out())
        label = W.argmax(axis=1)
        texts = part["text"].to_numpy()
        for j in range(k):
            members = label == j
            if not members.any():
                continue
            best = int(np.argmax(np.where(members, W[:, j], -1)))
            weights = model.components_[j]
            top = [i for i in np.argsort(-weights)[:top_terms] if weights[i] > 0]
            rows.append({"step": step, "theme": j, "terms": ", ".join(terms[top]),
                         "n": int(members.sum()), "share": float(members.mean()),
                         "example": scrub_personal([texts[best]]).iloc[0]})
    out = pd.DataFrame(rows, columns=["step", "theme", "terms", "n", "share", "example"])
    if len(out):
        out = out.sort_values(["step", "n"], ascending=[True, False], kind="stable")
        ranked = out["example"] != ""  # a found theme (a row saying "too few" has no example)
        out.loc[ranked, "theme"] = out[ranked].groupby("step").cumcount().to_numpy() + 1
    return out.reset_index(drop=True)


_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_CARD = re.compile(r"\b(?:\d{4}[ -]?){3}\d{1,7}\b")
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){2,7}(?:[ ]?[A-Z0-9]{1,4})?\b")
_PHONE = re.compile(r"(?<![\w])(?:\+|00)?\d[\d ()./-]{6,}\d(?![\w])")
_ACCOUNT = re.compile(r"\b(?:account|acct|iban|policy|customer|member|order)\s*(?:no\.?|number|#|nr\.?)?\s*[:#]?\s*"
                      r"[A-Z0-9][A-Z0-9-]{3,}\b", flags=re.IGNORECASE)


def scrub_personal(text: pd.Series | Sequence[str], *, names: Sequence[str] = ()) -> pd.Series:
    """Personal data taken out of texts: e-mail addresses, card and account numbers (IBANs too),
    phone numbers, and the given ``names`` (e.g. from the customer table), each replaced by a tag.

    Examples
    --------
    >>> scrub_personal(["Mail me at jo.doe@example.com or +44 20 7946 0958, card 4111 1111 1111 1111.",
    ...                 "Account no. 12345678 of Jo Doe"], names=["Jo Doe"]).tolist()
    ['Mail me at [e-mail] or [phone], card [card number].', '[account number] of [name]']
    """
    s = pd.Series(list(text) if not isinstance(text, pd.Series) else text).astype(str)
    s = s.str.replace(_EMAIL, "[e-mail]", regex=True)
    s = s.str.replace(_CARD, "[card number]", regex=True)
    s = s.str.replace(_IBAN, "[account number]", regex=True)
    s = s.str.replace(_ACCOUNT, "[account number]", regex=True)
    s = s.str.replace(_PHONE, "[phone]", regex=True)
    names = sorted({str(n).strip() for n in names if len(str(n).strip()) >= 3}, key=len, reverse=True)
    if names:
        pattern = re.compile(r"\b(?:" + "|".join(re.escape(n) for n in names) + r")\b", flags=re.IGNORECASE)
        s = s.str.replace(pattern, "[name]", regex=True)
    return s


def quotes(placed: pd.DataFrame, per_step: int = 3, *, key: str | None = None, names: Sequence[str] = (),
           negative_first: bool = True) -> pd.DataFrame:
    """A few representative sentences per step, personal data removed, customer ids pseudonymised.

    Per step: the most confident sentences, the negative ones first (what to fix), then the
    rest; each text through :func:`scrub_personal`, known customer ids in the text through
    :func:`cem.privacy.scrub_ids`, the ``customer_id`` column through :func:`cem.privacy.pseudonymise`
    (``key``; without a key the column is left out).

    Examples
    --------
    >>> p = pd.DataFrame({"row": [0, 1, 2], "text": ["Rude waiter, call 0171 2345678", "Nice", "ok"],
    ...                   "step": ["serve", "serve", None], "need_id": [None] * 3,
    ...                   "confidence": [0.5, 0.9, 0.0], "sentiment": [-0.5, 0.4, 0.0], "customer_id": ["C1", "C2", "C3"]})
    >>> quotes(p, 2, key="k")[["step", "text", "customer_id"]].values.tolist()
    [['serve', 'Rude waiter, call [phone]', 'c-f6ab9ade5bc4'], ['serve', 'Nice', 'c-fd54076294a6']]
    """
    frame = placed[placed["step"].notna()].copy()
    frame["_neg"] = ~(frame["sentiment"] < NEGATIVE) if negative_first else False
    frame = frame.sort_values(["step", "_neg", "confidence"], ascending=[True, True, False], kind="stable")
    top = frame.groupby("step", sort=True).head(per_step).drop(columns="_neg")
    top["text"] = scrub_personal(top["text"], names=names).to_numpy()
    if "customer_id" in top.columns:
        ids = [str(v) for v in top["customer_id"].dropna().unique() if str(v)]
        if key is not None:
            if ids:
                top["text"] = [scrub_ids(t, ids, key) for t in top["text"]]
            top["customer_id"] = pseudonymise(top["customer_id"].astype(str), key)
        else:
            top = top.drop(columns="customer_id")
    return top.reset_index(drop=True)


def _label(values: np.ndarray) -> np.ndarray:
    return np.where(values < NEGATIVE, "negative", np.where(values > POSITIVE, "positive", "neutral"))


def evaluate(placed: pd.DataFrame, truth: pd.DataFrame) -> dict:
    """Placement and sentiment against human labels.

    Parameters
    ----------
    placed : pandas.DataFrame
        As :func:`place` returns it (``row``, ``step``, ``confidence``, ``sentiment``).
    truth : pandas.DataFrame
        One row per labelled (feedback row, step): ``row``, ``step``, and optionally
        ``sentiment`` (``negative``, ``neutral``, ``positive``).

    Returns
    -------
    dict
        ``accuracy``: share of labelled feedback rows whose top step (the step with the
        highest summed confidence of its sentences) is one of its labelled steps (unplaced
        counts as wrong); ``precision``, ``recall``, ``f1``: of the (row, step) pairs placed
        against those labelled; ``sentiment_accuracy``: share of labelled (row, step) pairs with
        a sentiment whose predicted class (mean sentiment of the row's sentences placed on the
        step, else of the row's sentences, as negative/neutral/positive) is the label;
        ``per_step``: a table of labelled and predicted share negative per step; ``n_rows``,
        ``n_pairs``.

    Examples
    --------
    >>> placed = pd.DataFrame({"row": [0, 1, 1], "step": ["eat", "pay", "eat"], "confidence": [0.5, 0.4, 0.2],
    ...                        "sentiment": [0.5, -0.4, 0.1]})
    >>> truth = pd.DataFrame({"row": [0, 1], "step": ["eat", "pay"], "sentiment": ["positive", "negative"]})
    >>> r = evaluate(placed, truth)
    >>> r["accuracy"], r["precision"], r["recall"], r["sentiment_accuracy"]
    (1.0, 0.6666666666666666, 1.0, 1.0)
    """
    p = placed[placed["step"].notna()]
    pairs_p = set(zip(p["row"], p["step"].astype(str)))
    pairs_t = set(zip(truth["row"], truth["step"].astype(str)))
    hit = len(pairs_p & pairs_t)
    precision = hit / len(pairs_p) if pairs_p else 0.0
    recall = hit / len(pairs_t) if pairs_t else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    top = (p.groupby(["row", "step"], sort=False)["confidence"].sum().reset_index()
           .sort_values(["row", "confidence"], ascending=[True, False], kind="stable").drop_duplicates("row"))
    top_of = dict(zip(top["row"], top["step"].astype(str)))
    rows = truth["row"].unique()
    accuracy = float(np.mean([(r, top_of.get(r)) in pairs_t for r in rows])) if len(rows) else 0.0
    result = {"accuracy": accuracy, "precision": precision, "recall": recall, "f1": f1,
              "n_rows": int(len(rows)), "n_pairs": int(len(pairs_t))}
    if "sentiment" in truth.columns and truth["sentiment"].notna().any():
        t = truth[truth["sentiment"].notna()][["row", "step", "sentiment"]].astype({"step": str})
        on_step = p.assign(step=p["step"].astype(str)).groupby(["row", "step"])["sentiment"].mean()
        on_row = placed.groupby("row")["sentiment"].mean()
        key = pd.MultiIndex.from_arrays([t["row"], t["step"]])
        predicted = on_step.reindex(key).to_numpy()
        fallback = on_row.reindex(t["row"]).fillna(0.0).to_numpy()
        predicted = np.where(np.isnan(predicted), fallback, predicted)
        t = t.assign(predicted=_label(predicted))
        result["sentiment_accuracy"] = float((t["predicted"] == t["sentiment"]).mean())
        result["per_step"] = (t.assign(label_negative=t["sentiment"] == "negative",
                                       predicted_negative=t["predicted"] == "negative")
                              .groupby("step").agg(n=("row", "size"), label_negative=("label_negative", "mean"),
                                                   predicted_negative=("predicted_negative", "mean")).reset_index())
    return result


def baseline(feedback: pd.DataFrame, kind: str, *, truth: pd.DataFrame | None = None,
             cues: Mapping[str, Sequence[str]] | None = None, G: nx.MultiDiGraph | None = None) -> pd.DataFrame:
    """What a simpler method places, in :func:`place`'s shape, to compare against.

    * ``"majority"``: every feedback row on the step most labelled in ``truth``, with the
      sentiment class most labelled there (-0.5, 0 or 0.5);
    * ``"keyword"``: each sentence (split as :func:`place` splits it) on the step with most cue
      words in it, exact words, no stemming, no similarity to the model's text (``cues`` of
      steps, and of needs counted for their step in ``G``), unplaced without one; sentiment by
      the lexicon without negation. Ties go to the earlier step of the journey.

    Examples
    --------
    >>> fb = pd.DataFrame({"text": ["The bill was wrong.", "Lovely food"]})
    >>> baseline(fb, "keyword", cues={"pay": ["bill"], "eat": ["food"]})["step"].tolist()
    ['pay', 'eat']
    """
    rows = np.arange(len(feedback))
    if kind == "majority":
        step = truth["step"].astype(str).value_counts().index[0]
        mood = truth["sentiment"].value_counts().index[0] if "sentiment" in truth.columns else "neutral"
        value = {"negative": -0.5, "neutral": 0.0, "positive": 0.5}[mood]
        return pd.DataFrame({"row": rows, "sentence": 0, "clause": 0, "text": feedback["text"].to_numpy(), "step": step,
                             "need_id": pd.NA, "confidence": 1.0, "sentiment": value})
    if kind != "keyword":
        raise ValueError(f"baseline kind must be 'majority' or 'keyword', not {kind!r}")
    cues = dict(cues or {})
    if G is not None:
        for s in journey_steps(G):
            cues[s] = list(cues.get(s, [])) + [c for n in needs_at(G, s) for c in cues.get(n, [])]
    cues = {k: [c for c in v if str(c).strip()] for k, v in cues.items()}
    # Ties go to the first step in the journey's order (the order of ``cues`` without a model).
    targets = journey_steps(G) if G is not None else list(cues)
    sentences = split_sentences(feedback, clauses=True)
    text = " " + sentences["text"].str.lower().str.replace(r"[^\w]+", " ", regex=True) + " "
    counts = np.column_stack([sum(text.str.count(rf" {re.escape(c.lower())} ").to_numpy() for c in cues[t])
                              if cues[t] else np.zeros(len(text)) for t in targets]) if targets else \
        np.zeros((len(text), 0))
    best = counts.argmax(axis=1) if targets else np.zeros(len(text), dtype=int)
    found = counts.max(axis=1) > 0 if targets else np.zeros(len(text), dtype=bool)
    out = sentences[["row", "sentence", "clause", "text"]].copy()
    out["step"] = pd.array(np.where(found, np.array(targets, dtype=object)[best] if targets else None, None),
                           dtype="string")
    out["need_id"] = pd.array([None] * len(out), dtype="string")
    out["confidence"] = found.astype(float)
    out["sentiment"] = sentiment(sentences["text"], negation=False)
    return out
