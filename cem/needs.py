"""Needs measured: importance, satisfaction and opportunity, by segment; outcome-based
segments; Kano; NPS, CSAT and CES; unmet need rolled up to steps and actors.

Formulas (Ulwick's outcome-driven innovation; Reichheld; Berger et al. 1993):

* Importance ``I`` and satisfaction ``S`` of a need, for a group of respondents: ten times the
  share of those who answered that rate it 4 or 5 on the 1-5 scale (top-two-box), so 0..10.
  Blank answers are left out of the share.
* Opportunity ``Opp = I + max(I - S, 0)``. ``Opp > 10`` underserved (``> 12`` high,
  ``> 15`` extreme); ``S > I`` overserved; otherwise appropriately served.
* Individual opportunity, for segmentation: a respondent's ratings put on the same 0..10 scale,
  ``i = 10 (importance - 1) / 4`` and ``s = 10 (satisfaction - 1) / 4``, then
  ``opp = i + max(i - s, 0)``.
* NPS = % promoters (9-10) - % detractors (0-6) of 0-10 answers. CSAT = % of ratings in the
  top two boxes of the scale (or the mean). CES = mean of the effort scale (scale stated).
* Kano: the category of each respondent's (functional, dysfunctional) answer pair from the
  standard evaluation table; a need's category is its most frequent one (ties broken
  M > O > A > I); Better = (A + O) / (A + O + M + I), Worse = -(O + M) / (A + O + M + I).
* Unmet need of a step or actor: ``sum(max(I - S, 0))`` over its needs; its experience score
  ``sum(I * S) / sum(I * 10)`` (0..1), the importance-weighted satisfaction.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .graph import journey_steps, nodes_of, related
from .schema import EXTREME_OPPORTUNITY, HIGH_OPPORTUNITY, UNDERSERVED

if TYPE_CHECKING:
    import networkx as nx

__all__ = [
    "survey_notes",
    "opportunity",
    "served_class",
    "priority_class",
    "need_table",
    "individual_opportunity",
    "segment_respondents",
    "Segmentation",
    "SILHOUETTE_SAMPLE",
    "segment_summary",
    "kano",
    "KANO_TABLE",
    "nps",
    "csat",
    "ces",
    "unmet_by_step",
    "unmet_by_actor",
    "statement_check",
    "survey_overview",
    "explain_opportunities",
    "needs_metrics",
]

TOP_BOX = (4, 5)



def served_class(importance: float, satisfaction: float) -> str:
    """'underserved' (Opp > 10), 'overserved' (S > I) or 'appropriately served'.

    Examples
    --------
    >>> served_class(7.41, 2.78), served_class(4.0, 6.0), served_class(5.0, 4.0)
    ('underserved', 'overserved', 'appropriately served')
    """
    opp = importance + max(importance - satisfaction, 0)
    if opp > UNDERSERVED:
        return "underserved"
    if satisfaction > importance:
        return "overserved"
    return "appropriately served"


def priority_class(opp: float) -> str:
    """'extreme' (> 15), 'high' (> 12), 'moderate' (> 10) or '' for an opportunity score."""
    return "extreme" if opp > EXTREME_OPPORTUNITY else "high" if opp > HIGH_OPPORTUNITY else "moderate" if opp > UNDERSERVED else ""


def need_table(G: nx.MultiDiGraph) -> pd.DataFrame:
    """One row per need: statement, step, actor, dimension, direction (from the graph).

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.MultiDiGraph()
    >>> G.add_node("S", kind="step"); G.add_node("a", kind="actor")
    >>> G.add_node("N", kind="need", statement="Minimize x", dimension="functional")
    >>> _ = G.add_edge("S", "N", key="has_need"); _ = G.add_edge("a", "N", key="has_need")
    >>> need_table(G).loc[0, ["need_id", "step", "actor"]].tolist()
    ['N', 'S', 'a']
    """
    rows = []
    for n in nodes_of(G, "need"):
        owners = related(G, n, "has_need", "in")
        steps = [o for o in owners if G.nodes[o].get("kind") == "step"]
        actors = [o for o in owners if G.nodes[o].get("kind") == "actor"]
        d = G.nodes[n]
        rows.append({"need_id": n, "statement": d.get("statement"), "step": steps[0] if steps else None,
                     "actor": actors[0] if actors else None, "dimension": d.get("dimension"),
                     "direction": d.get("direction")})
    return pd.DataFrame(rows, columns=["need_id", "statement", "step", "actor", "dimension", "direction"])


def opportunity(survey: pd.DataFrame, G: nx.MultiDiGraph | None = None, *, by: str | None = None,
                need: str = "need_id", importance: str = "importance", satisfaction: str = "satisfaction",
                box: tuple[int, ...] = TOP_BOX) -> pd.DataFrame:
    """Importance, satisfaction and opportunity of every need, overall or per segment.

    Parameters
    ----------
    survey : pandas.DataFrame
        Long form: one row per respondent x need with 1-5 ratings (NaN where blank).
    G : networkx.MultiDiGraph, optional
        Adds each need's statement, step, actor and dimension.
    by : str, optional
        A column of ``survey`` (a segment): one block of rows per value.
    need, importance, satisfaction : str
        Column names.
    box : tuple of int
        The ratings that count as "important" / "satisfied" (top-two-box).

    Returns
    -------
    pandas.DataFrame
        ``[by,] need_id, statement, step, actor, dimension, n, importance, satisfaction,
        opportunity, served, priority``; sorted by opportunity within each block. ``n`` counts
        respondents who rated the need's importance.

    Examples
    --------
    The hand-checkable case: 270 respondents, 200 rate importance 4 or 5, 75 satisfaction 4 or 5.

    >>> imp = [5] * 200 + [2] * 70
    >>> sat = [4] * 75 + [1] * 195
    >>> s = pd.DataFrame({"need_id": "N", "importance": imp, "satisfaction": sat})
    >>> opportunity(s)[["n", "importance", "satisfaction", "opportunity"]].round(2).iloc[0].tolist()
    [270.0, 7.41, 2.78, 12.04]
    """
    df = survey
    keys = [by, need] if by else [need]
    if by is not None and by not in df.columns:
        raise KeyError(f"segment column '{by}' is not in the survey; columns are {', '.join(map(str, df.columns))}")
    imp = df[importance] if importance in df else pd.Series(np.nan, index=df.index)
    sat = df[satisfaction] if satisfaction in df else pd.Series(np.nan, index=df.index)
    work = pd.DataFrame({k: df[k] for k in keys})
    work["n_i"] = imp.notna()
    work["top_i"] = imp.isin(box)
    work["n_s"] = sat.notna()
    work["top_s"] = sat.isin(box)
    g = work.groupby(keys, sort=False, observed=True, dropna=False)[["n_i", "top_i", "n_s", "top_s"]].sum()
    out = g.reset_index()
    with np.errstate(invalid="ignore", divide="ignore"):
        out["importance"] = 10 * out["top_i"] / out["n_i"].where(out["n_i"] > 0)
        out["satisfaction"] = 10 * out["top_s"] / out["n_s"].where(out["n_s"] > 0)
    out["opportunity"] = out["importance"] + (out["importance"] - out["satisfaction"]).clip(lower=0)
    out["n"] = out["n_i"].astype(float)
    out["served"] = [served_class(i, s) if pd.notna(i) and pd.notna(s) else "" for i, s in
                     zip(out["importance"], out["satisfaction"])]
    out["priority"] = [priority_class(o) if pd.notna(o) else "" for o in out["opportunity"]]
    info = need_table(G) if G is not None else pd.DataFrame(columns=["need_id", "statement", "step", "actor",
                                                                    "dimension"])
    info = info.rename(columns={"need_id": need})
    out = out.merge(info[[need, "statement", "step", "actor", "dimension"]], on=need, how="left")
    cols = ([by] if by else []) + [need, "statement", "step", "actor", "dimension", "n", "importance",
                                   "satisfaction", "opportunity", "served", "priority"]
    out = out[cols]
    sort = ([by] if by else []) + ["opportunity"]
    out = out.sort_values(sort, ascending=[True] * (len(sort) - 1) + [False], kind="stable", na_position="last")
    return out.reset_index(drop=True)


def individual_opportunity(survey: pd.DataFrame, *, need: str = "need_id", respondent: str = "respondent_id",
                           importance: str = "importance", satisfaction: str = "satisfaction") -> pd.DataFrame:
    """Each respondent's opportunity profile: respondents x needs, on the 0..20 scale.

    ``i = 10 (importance - 1) / 4``, ``s = 10 (satisfaction - 1) / 4``, ``opp = i + max(i - s, 0)``;
    NaN where the respondent left a rating blank.

    Examples
    --------
    >>> s = pd.DataFrame({"respondent_id": ["r"], "need_id": ["N"], "importance": [5], "satisfaction": [1]})
    >>> float(individual_opportunity(s).loc["r", "N"])
    20.0
    """
    i = 10 * (survey[importance] - 1) / 4
    s = 10 * (survey[satisfaction] - 1) / 4
    opp = i + (i - s).clip(lower=0)
    frame = pd.DataFrame({respondent: survey[respondent], need: survey[need], "opp": opp})
    return frame.pivot_table(index=respondent, columns=need, values="opp", aggfunc="mean", sort=False)


@dataclass
class Segmentation:
    """Outcome-based segments of respondents.

    Attributes
    ----------
    labels : pandas.Series
        Segment number (1..k) per respondent id, segment 1 the largest.
    k : int
        Number of segments chosen.
    scores : pandas.Series
        Silhouette score for every k tried (the criterion: the highest wins; a tie goes to the
        smaller k).
    centers : pandas.DataFrame
        Mean individual opportunity of each need, per segment.
    criterion : str
        How ``k`` was chosen, in words (with the sample the silhouette was computed on, when sampled).
    silhouette_respondents : int
        Respondents the silhouette scores were computed on: all of them, or a random sample of
        :data:`SILHOUETTE_SAMPLE` beyond that many (0 when ``k`` was given).
    """

    labels: pd.Series
    k: int
    scores: pd.Series
    centers: pd.DataFrame
    criterion: str
    silhouette_respondents: int = 0


#: Beyond this many respondents the silhouette score (quadratic in respondents: every pair's
#: distance) is computed on a random sample of this many (scikit-learn's ``sample_size``), the
#: same sample for every k (one ``random_state``); k-means itself is linear and uses everyone.
SILHOUETTE_SAMPLE = 5_000


def segment_respondents(survey: pd.DataFrame, *, k: int | None = None, ks: Iterable[int] = range(2, 7), seed: int = 0,
                        **columns: str) -> Segmentation:
    """Cluster respondents on their opportunity profiles (k-means, scikit-learn).

    Parameters
    ----------
    survey : pandas.DataFrame
        Long form with importance and satisfaction.
    k : int, optional
        Number of segments; chosen by the silhouette criterion over ``ks`` when None.
    ks : iterable of int
        Numbers of segments to try.
    seed : int
        Random state of k-means: the same seed gives the same segments.
    **columns
        Column names passed to :func:`individual_opportunity`.

    Returns
    -------
    Segmentation

    Notes
    -----
    Blank ratings are filled with the need's mean over respondents before clustering; needs
    nobody rated are dropped. Profiles are clustered as they are (0..20 scale, not
    standardised), so a need weighs by how much respondents disagree on it.
    """
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score

    X = individual_opportunity(survey, **columns)
    X = X.loc[:, X.notna().any()]
    X = X.fillna(X.mean())
    values = X.to_numpy(dtype=float)
    tried = [k] if k is not None else [j for j in ks if 2 <= j < len(X)]
    if not tried:
        raise ValueError(f"too few respondents ({len(X)}) to segment")
    scores, fits = {}, {}
    sample = SILHOUETTE_SAMPLE if len(values) > SILHOUETTE_SAMPLE else None
    for j in tried:
        model = KMeans(n_clusters=j, n_init=10, random_state=seed).fit(values)
        fits[j] = model.labels_
        scores[j] = (silhouette_score(values, model.labels_, sample_size=sample, random_state=seed) if j > 1
                     else np.nan)
    best = k if k is not None else max(tried, key=lambda j: (round(scores[j], 6), -j))
    raw = pd.Series(fits[best], index=X.index)
    order = raw.value_counts().index  # segment 1 is the largest
    labels = raw.map({c: i + 1 for i, c in enumerate(order)}).rename("outcome_segment")
    centers = X.groupby(labels).mean()
    criterion = (f"k = {best} given" if k is not None else
                 f"k = {best} of {', '.join(map(str, tried))}: the highest mean silhouette score "
                 f"({scores[best]:.3f}" + (f", on a random sample of {sample:,} of the {len(values):,} respondents"
                                           if sample else "") + ")")
    return Segmentation(labels=labels, k=best, scores=pd.Series(scores, name="silhouette"), centers=centers,
                        criterion=criterion, silhouette_respondents=0 if k is not None else (sample or len(values)))


def segment_summary(survey: pd.DataFrame, labels: pd.Series, G: nx.MultiDiGraph | None = None, *, top: int = 3,
                    respondent: str = "respondent_id") -> pd.DataFrame:
    """Size of each segment and the needs it finds underserved.

    Returns
    -------
    pandas.DataFrame
        ``segment, respondents, share, underserved`` (how many needs have Opp > 10),
        ``top_needs`` (ids of the ``top`` highest opportunities), ``top_statements``.
    """
    seg = survey.assign(outcome_segment=survey[respondent].map(labels))
    opp = opportunity(seg, G, by="outcome_segment")
    sizes = labels.value_counts()
    rows = []
    for s, block in opp.groupby("outcome_segment", sort=True):
        head = block.head(top)
        rows.append({"segment": s, "respondents": int(sizes.get(s, 0)), "share": sizes.get(s, 0) / sizes.sum(),
                     "underserved": int((block["opportunity"] > UNDERSERVED).sum()),
                     "top_needs": ", ".join(head["need_id"]),
                     "top_statements": " | ".join(head["statement"].fillna(head["need_id"]))})
    return pd.DataFrame(rows)


#: Standard Kano evaluation table: rows functional answer, columns dysfunctional answer,
#: answers 1 like, 2 expect, 3 neutral, 4 live with, 5 dislike. A attractive, O one-dimensional
#: (performance), M must-be, I indifferent, R reverse, Q questionable.
KANO_TABLE = pd.DataFrame(
    [["Q", "A", "A", "A", "O"],
     ["R", "I", "I", "I", "M"],
     ["R", "I", "I", "I", "M"],
     ["R", "I", "I", "I", "M"],
     ["R", "R", "R", "R", "Q"]],
    index=pd.Index([1, 2, 3, 4, 5], name="functional"), columns=pd.Index([1, 2, 3, 4, 5], name="dysfunctional"))

_KANO_TIE = ["M", "O", "A", "I", "R", "Q"]


def kano(survey: pd.DataFrame, *, need: str = "need_id", functional: str = "functional",
         dysfunctional: str = "dysfunctional", by: str | list[str] | None = None) -> pd.DataFrame:
    """Kano category of each need, with Better and Worse coefficients.

    Returns
    -------
    pandas.DataFrame
        ``[by,] need_id, n, A, O, M, I, R, Q`` (counts), ``category``, ``better``, ``worse``.

    Examples
    --------
    >>> s = pd.DataFrame({"need_id": ["N"] * 4, "functional": [1, 1, 2, 1], "dysfunctional": [5, 5, 5, 3]})
    >>> kano(s)[["category", "A", "O", "M", "better", "worse"]].iloc[0].to_dict()
    {'category': 'O', 'A': 1, 'O': 2, 'M': 1, 'better': 0.75, 'worse': -0.75}
    """
    keys = [by, need] if by else [need]
    valid = survey[functional].isin(KANO_TABLE.index) & survey[dysfunctional].isin(KANO_TABLE.columns)
    df = survey.loc[valid, keys].copy()
    df["cat"] = [KANO_TABLE.at[int(f), int(d)] for f, d in
                 zip(survey.loc[valid, functional], survey.loc[valid, dysfunctional])]
    counts = pd.crosstab([df[k] for k in keys], df["cat"]).reindex(columns=list("AOMIRQ"), fill_value=0)
    counts.columns.name = None
    out = counts.reset_index()
    out.insert(len(keys), "n", counts.sum(axis=1).to_numpy())
    out["category"] = [max(_KANO_TIE, key=lambda c: (row[c], -_KANO_TIE.index(c))) for _, row in out.iterrows()]
    base = (out["A"] + out["O"] + out["M"] + out["I"]).replace(0, np.nan)
    out["better"] = (out["A"] + out["O"]) / base
    out["worse"] = -(out["O"] + out["M"]) / base
    return out


def _group(df, by):
    return df.groupby(by, sort=True, observed=True) if by else df.groupby(lambda _: "all")


def nps(data: pd.DataFrame | pd.Series, *, score: str = "nps", by: str | list[str] | None = None) -> pd.DataFrame:
    """Net Promoter Score: % promoters (9-10) - % detractors (0-6) of 0-10 answers.

    Parameters
    ----------
    data : pandas.DataFrame or pandas.Series
    score : str
        Column of 0-10 answers (when ``data`` is a DataFrame).
    by : str or list, optional
        Columns to group by (a step, a touchpoint, a segment).

    Returns
    -------
    pandas.DataFrame
        ``n, promoters, passives, detractors`` (shares, %) and ``nps`` (-100..100) per group.

    Examples
    --------
    >>> nps(pd.Series([10, 9, 8, 7, 6, 0]))["nps"].item()
    0.0
    """
    df = data.to_frame(score) if isinstance(data, pd.Series) else data
    s = pd.to_numeric(df[score], errors="coerce")
    work = df.assign(_s=s).dropna(subset=["_s"])
    g = _group(work, by)["_s"]
    out = pd.DataFrame({"n": g.count(),
                        "promoters": g.apply(lambda x: 100 * (x >= 9).mean()),
                        "passives": g.apply(lambda x: 100 * x.between(7, 8).mean()),
                        "detractors": g.apply(lambda x: 100 * (x <= 6).mean())})
    out["nps"] = out["promoters"] - out["detractors"]
    return out


def csat(data: pd.DataFrame | pd.Series, *, rating: str = "rating", by: str | list[str] | None = None, scale: int = 5,
         method: str = "top2") -> pd.DataFrame:
    """Customer satisfaction: % of ratings in the top two boxes of the scale, or the mean.

    Examples
    --------
    >>> csat(pd.Series([5, 4, 3, 1]))["csat"].item()
    50.0
    >>> csat(pd.Series([5, 4, 3, 1]), method="mean")["csat"].item()
    3.25
    """
    df = data.to_frame(rating) if isinstance(data, pd.Series) else data
    work = df.assign(_r=pd.to_numeric(df[rating], errors="coerce")).dropna(subset=["_r"])
    g = _group(work, by)["_r"]
    if method == "top2":
        value = g.apply(lambda x: 100 * (x >= scale - 1).mean())
    elif method == "mean":
        value = g.mean()
    else:
        raise ValueError(f"method must be 'top2' or 'mean', not {method!r}")
    return pd.DataFrame({"n": g.count(), "csat": value, "scale": f"1-{scale}", "method": method})


def ces(data: pd.DataFrame | pd.Series, *, effort: str = "effort", by: str | list[str] | None = None,
        scale: int = 7) -> pd.DataFrame:
    """Customer effort score: the mean answer on the effort scale (stated with the result).

    Examples
    --------
    >>> r = ces(pd.Series([1, 2, 6])).iloc[0]
    >>> float(r["ces"]), r["scale"]
    (3.0, '1-7')
    """
    df = data.to_frame(effort) if isinstance(data, pd.Series) else data
    work = df.assign(_e=pd.to_numeric(df[effort], errors="coerce")).dropna(subset=["_e"])
    g = _group(work, by)["_e"]
    return pd.DataFrame({"n": g.count(), "ces": g.mean(), "scale": f"1-{scale}"})


def _rollup(opp, key):
    d = opp.dropna(subset=[key, "importance", "satisfaction"]).copy()
    d["unmet_part"] = (d["importance"] - d["satisfaction"]).clip(lower=0)
    d["is"] = d["importance"] * d["satisfaction"]
    d["i10"] = d["importance"] * 10
    g = d.groupby(key, sort=False)
    out = pd.DataFrame({
        "needs": g.size(),
        "importance": g["importance"].mean(),
        "satisfaction": g["satisfaction"].mean(),
        "unmet": g["unmet_part"].sum(),
        "experience": g["is"].sum() / g["i10"].sum().replace(0, np.nan),
        "max_opportunity": g["opportunity"].max(),
        "underserved": g["opportunity"].apply(lambda x: int((x > UNDERSERVED).sum())),
        "top_need": g.apply(lambda x: x.loc[x["opportunity"].idxmax(), "need_id"], include_groups=False),
    })
    total = out["unmet"].sum()
    out["unmet_share"] = out["unmet"] / total if total else 0.0
    return out


def unmet_by_step(opp: pd.DataFrame, G: nx.MultiDiGraph) -> pd.DataFrame:
    """Unmet need per step, in the journey's order.

    ``unmet = sum(max(I - S, 0))`` over the step's rated needs, ``experience =
    sum(I * S) / sum(I * 10)``; ``unmet_share`` is the step's part of the journey's unmet need.

    Parameters
    ----------
    opp : pandas.DataFrame
        From :func:`opportunity` (one block: filter a segment first).
    G : networkx.MultiDiGraph

    Returns
    -------
    pandas.DataFrame
        One row per customer step with rated needs (journey order), then company steps.
    """
    out = _rollup(opp, "step")
    order = journey_steps(G) + [s for s in nodes_of(G, "step") if s not in journey_steps(G)]
    out = out.reindex([s for s in order if s in out.index])
    out.insert(0, "name", [G.nodes[s].get("name") for s in out.index])
    out.insert(1, "stage", [G.nodes[s].get("stage") for s in out.index])
    out.index.name = "step"
    return out.reset_index()


def unmet_by_actor(opp: pd.DataFrame, G: nx.MultiDiGraph) -> pd.DataFrame:
    """Unmet need per actor (as :func:`unmet_by_step`), largest first."""
    out = _rollup(opp, "actor").sort_values("unmet", ascending=False)
    out.insert(0, "name", [G.nodes[a].get("name") for a in out.index])
    out.insert(1, "entity", [G.nodes[G.nodes[a].get("entity")].get("name") if G.nodes[a].get("entity") in G
                             else None for a in out.index])
    out.index.name = "actor"
    return out.reset_index()


def statement_check(G: nx.MultiDiGraph) -> pd.DataFrame:
    """Needs whose statement is not written as a desired outcome, with a suggested rewrite.

    Returns
    -------
    pandas.DataFrame
        ``need_id, statement, problem`` (one row per problem; empty when all are well written).
    """
    from .outcomes import check_outcome_statement

    rows = []
    for n in nodes_of(G, "need"):
        d = G.nodes[n]
        for p in check_outcome_statement(d.get("statement", ""), d.get("direction")):
            rows.append((n, d.get("statement"), p))
    return pd.DataFrame(rows, columns=["need_id", "statement", "problem"])


def survey_overview(survey: pd.DataFrame, *, respondent: str = "respondent_id", need: str = "need_id") -> dict:
    """How much the survey says: respondents, needs, answers and blanks.

    Returns
    -------
    dict
    """
    from .readers.survey import MEASURES

    blanks = {m: int(survey[m].isna().sum()) for m in MEASURES if m in survey.columns}
    return {"respondents": int(survey[respondent].nunique()), "needs": int(survey[need].nunique()),
            "rows": int(len(survey)), "blank_answers": blanks}


def survey_notes(warnings: Iterable[str], survey: pd.DataFrame, *, segment: object = None) -> list[str]:
    """The survey file's warnings as a page shows them: the blank-answer count is the shown rows'
    own (a segment's), not the whole file's.

    Parameters
    ----------
    warnings : iterable of str
        The reader's warnings (:meth:`cem.study.Study.data_warnings`).
    survey : pandas.DataFrame
        The rows the page analyses (a segment's, in a segment run).
    segment : optional
        The segment (``[column, value]``), named in the note.

    Examples
    --------
    >>> s = pd.DataFrame({"respondent_id": ["r1", "r2"], "need_id": ["N", "N"], "importance": [5.0, None],
    ...                   "satisfaction": [2.0, 3.0]})
    >>> survey_notes(["survey.csv: 101 answers are blank (importance: 101); blank answers are left out of every share",
    ...               "survey.csv:3: something else"], s, segment=["region", "north"])
    ['survey.csv: 1 answer of this segment (region = north) is blank (importance: 1); blank answers are left out of every share', 'survey.csv:3: something else']
    """
    from .readers.survey import MEASURES

    blanks = {m: int(survey[m].isna().sum()) for m in MEASURES if m in survey.columns}
    total = sum(blanks.values())
    who = "" if not segment else f" of this segment ({segment[0]} = {segment[1]})"
    out = []
    for w in warnings:
        if "blank answers are left out of every share" not in w:
            out.append(w)
        elif total:
            file = w.split(":", 1)[0]
            detail = ", ".join(f"{m}: {k}" for m, k in blanks.items() if k)
            out.append(f"{file}: {total} answer{'s' if total != 1 else ''}{who} {'are' if total != 1 else 'is'} "
                       f"blank ({detail}); blank answers are left out of every share")
    return out


def explain_opportunities(opp: pd.DataFrame, *, top: int = 5) -> str:
    """A plain-language reading of the opportunity table for a client, as Markdown.

    Statements and ids reach the Markdown as text only (:func:`cem.markup.md_escape`): no
    link, image, HTML or math.

    Examples
    --------
    >>> o = pd.DataFrame({"need_id": ["N1", "N2"], "statement": ["Minimize the time to <x> ($)", "Maximize y"],
    ...                   "n": [270, 270], "importance": [7.41, 3.0], "satisfaction": [2.78, 6.0],
    ...                   "opportunity": [12.04, 3.0], "served": ["underserved", "overserved"]})
    >>> print(explain_opportunities(o))
    Of **2 needs** rated, **1 is underserved** (opportunity above 10) and 1 is overserved.
    <BLANKLINE>
    The largest opportunities:
    <BLANKLINE>
    1. Minimize the time to \\<x\\> \\(\\$\\): importance 7.4, satisfaction 2.8, **opportunity 12.0**
    """
    from .markup import md_escape

    rated = opp.dropna(subset=["opportunity"])
    under = rated[rated["opportunity"] > UNDERSERVED]
    over = rated[rated["served"] == "overserved"]
    verb = "is" if len(under) == 1 else "are"
    lines = [f"Of **{len(rated)} needs** rated, **{len(under)} {verb} underserved** (opportunity above 10) "
             f"and {len(over)} {'is' if len(over) == 1 else 'are'} overserved.", ""]
    if len(under):
        lines += ["The largest opportunities:", ""]
        for i, row in enumerate(under.nlargest(top, "opportunity").itertuples(), 1):
            text = md_escape(row.statement if isinstance(row.statement, str) else row.need_id)
            lines.append(f"{i}. {text}: importance "
                         f"{row.importance:.1f}, satisfaction {row.satisfaction:.1f}, **opportunity {row.opportunity:.1f}**")
    else:
        lines.append("No need is underserved: the design meets what respondents find important.")
    return "\n".join(lines)


def needs_metrics(survey: pd.DataFrame, opp: pd.DataFrame, segmentation: Segmentation | None = None,
                  steps: pd.DataFrame | None = None) -> dict:
    """Key figures of the needs analysis, for ``metrics.json`` and the report index."""
    rated = opp.dropna(subset=["opportunity"])
    best = rated.nlargest(1, "opportunity")
    out = {**survey_overview(survey),
           "underserved": int((rated["opportunity"] > 10).sum()),
           "overserved": int((rated["served"] == "overserved").sum()),
           "top_opportunity": None}
    if len(best):
        row = best.iloc[0]
        out["top_opportunity"] = {"need_id": row["need_id"], "statement": row["statement"], "step": row["step"],
                                  "importance": round(float(row["importance"]), 2),
                                  "satisfaction": round(float(row["satisfaction"]), 2),
                                  "opportunity": round(float(row["opportunity"]), 2)}
    if segmentation is not None:
        out["outcome_segments"] = {"k": int(segmentation.k), "criterion": segmentation.criterion,
                                   "sizes": {str(k): int(v) for k, v in segmentation.labels.value_counts()
                                             .sort_index().items()}}
    if steps is not None and len(steps):
        worst = steps.loc[steps["unmet"].idxmax()]
        out["most_unmet_step"] = {"step": worst["step"], "name": worst["name"], "unmet": round(float(worst["unmet"]), 2),
                                  "experience": round(float(worst["experience"]), 3)}
    return out
