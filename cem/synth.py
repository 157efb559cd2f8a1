"""Seeded generator of example data from a model, with planted effects.

The data is made up, on purpose and in the open: every effect the analysis should find is
planted and written to ``synth_truth.json`` beside the data, so a test (or a sceptical reader)
can check that the analysis recovers it. The same model and seed give the same files.

Survey answers (``survey``):

* every need of a customer-side actor is rated for importance and satisfaction (1-5) by every
  respondent; ratings are a need's mean plus a respondent's own lean plus noise, rounded and
  clipped to 1-5;
* ``underserved`` needs get high importance (mean 4.5) and low satisfaction (mean 1.9), so
  they rank first by opportunity;
* a share of respondents (the planted segment) rates ``segment_needs`` as very important and
  poorly satisfied, which the rest rate as unimportant: outcome-based segmentation should find
  this group;
* Kano answer pairs follow a planted category per need (75 % of answers, the rest random);
* a share of answers is left blank.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import InputError
from .graph import nodes_of, related

__all__ = ["survey", "customer_needs", "write_study_data", "transactions"]

_KANO_PAIRS = {  # category -> (functional answers, dysfunctional answers) that produce it
    "M": ([2, 3, 4], [5]),
    "O": ([1], [5]),
    "A": ([1], [2, 3, 4]),
    "I": ([2, 3, 4], [2, 3, 4]),
}


def customer_needs(G):
    """Needs a customer survey asks about: those of actors of customer entities, or of
    customer steps when no actor is named."""
    out = []
    for n in nodes_of(G, "need"):
        owners = related(G, n, "has_need", "in")
        actors = [o for o in owners if G.nodes[o].get("kind") == "actor"]
        if actors:
            ent = G.nodes[actors[0]].get("entity")
            if ent in G and G.nodes[ent].get("type") == "customer":
                out.append(n)
        else:
            steps = [o for o in owners if G.nodes[o].get("kind") == "step"]
            if steps and G.nodes[G.nodes[steps[0]].get("job")].get("performer") == "customer":
                out.append(n)
    return out


def _ratings(rng, mean, lean, size, sd=0.75):
    return np.clip(np.rint(mean + lean + rng.normal(0, sd, size)), 1, 5)


def survey(G, n=400, seed=0, underserved=None, segment_needs=None, segment_share=0.3,
           segment_names=("mainstream", "demanding"), blank=0.02, kano=True):
    """Generate survey answers and customers with planted effects.

    Parameters
    ----------
    G : networkx.MultiDiGraph
    n : int
        Respondents.
    seed : int
    underserved : list of str, optional
        Needs to plant as underserved; three chosen by the seed when None.
    segment_needs : list of str, optional
        The planted segment's own priorities; three others chosen by the seed when None.
    segment_share : float
        Share of respondents in the planted segment.
    segment_names : (str, str)
        Names of the rest and of the planted segment in ``customers.segment``.
    blank : float
        Share of ratings left blank.
    kano : bool
        Add Kano answer pairs (``functional``, ``dysfunctional``).

    Returns
    -------
    survey : pandas.DataFrame
        Long form: ``respondent_id, need_id, importance, satisfaction[, functional, dysfunctional]``.
    customers : pandas.DataFrame
        ``customer_id`` (= respondent id), ``segment``, ``region``, ``opt_in``, ``nps``.
    truth : dict
        What was planted.

    Examples
    --------
    >>> import cem
    >>> G = cem.load_model("data/examples/solar")  # doctest: +SKIP
    >>> answers, customers, truth = survey(G, n=300, seed=1)  # doctest: +SKIP
    """
    rng = np.random.default_rng(seed)
    needs = customer_needs(G)
    if len(needs) < 2:
        raise ValueError("the model has fewer than two customer needs to survey")
    pool = [str(x) for x in rng.permutation(needs)]
    underserved = list(underserved) if underserved is not None else sorted(pool[:3])
    rest = [x for x in pool if x not in underserved]
    segment_needs = list(segment_needs) if segment_needs is not None else sorted(rest[:3])
    for x in underserved + segment_needs:
        if x not in needs:
            raise ValueError(f"'{x}' is not a customer need of the model")

    ids = [f"R{i:05d}" for i in range(1, n + 1)]
    in_segment = rng.random(n) < segment_share
    lean = rng.normal(0, 0.3, n)  # some respondents rate everything a little higher
    imp_mu = {x: rng.uniform(2.3, 3.6) for x in needs}
    sat_mu = {x: rng.uniform(3.2, 4.2) for x in needs}
    for x in underserved:
        imp_mu[x], sat_mu[x] = 4.5, 1.9
    frames = []
    for x in needs:
        im = np.full(n, imp_mu[x])
        sm = np.full(n, sat_mu[x])
        if x in segment_needs:
            im = np.where(in_segment, 4.6, 1.8)
            sm = np.where(in_segment, 1.7, 3.9)
        frame = pd.DataFrame({"respondent_id": ids, "need_id": x,
                              "importance": _ratings(rng, im, lean, n), "satisfaction": _ratings(rng, sm, lean, n)})
        frames.append(frame)
    answers = pd.concat(frames, ignore_index=True)
    for col in ("importance", "satisfaction"):
        answers.loc[rng.random(len(answers)) < blank, col] = np.nan

    kano_truth = {}
    if kano:
        cats = list(_KANO_PAIRS)
        kano_truth = {str(x): cats[i % len(cats)] for i, x in enumerate(rng.permutation(needs))}
        f, d = [], []
        for x in answers["need_id"]:
            if rng.random() < 0.75:
                fs, ds = _KANO_PAIRS[kano_truth[x]]
                f.append(rng.choice(fs))
                d.append(rng.choice(ds))
            else:
                f.append(rng.integers(1, 6))
                d.append(rng.integers(1, 6))
        answers["functional"] = f
        answers["dysfunctional"] = d

    # Customers: the planted segment, and an NPS that follows how satisfied each respondent is.
    mean_sat = answers.groupby("respondent_id", sort=False)["satisfaction"].mean().reindex(ids)
    nps_score = np.clip(np.rint(3.0 + 1.8 * (mean_sat.fillna(3).to_numpy() - 1) + rng.normal(0, 1.2, n)), 0, 10)
    customers = pd.DataFrame({
        "customer_id": ids,
        "segment": np.where(in_segment, segment_names[1], segment_names[0]),
        "region": rng.choice(["north", "south", "east", "west"], n),
        "opt_in": np.where(rng.random(n) < 0.85, "yes", "no"),
        "nps": nps_score.astype(int),
    })
    truth = {"seed": seed, "respondents": n, "underserved": underserved, "segment_needs": segment_needs,
             "segment_share": segment_share, "segment_column": "segment", "segment_names": list(segment_names),
             "planted_segment": segment_names[1], "kano": kano_truth}
    return answers, customers, truth


def write_study_data(study, out=None, n=400, seed=0, force=False, **options):
    """Write ``survey.csv``, ``customers.csv`` and ``synth_truth.json`` for a study.

    Parameters
    ----------
    study : str or Path
        A study folder (its model is read and validated).
    out : str or Path, optional
        Folder to write to; the study folder itself when None. A different folder becomes a
        complete study: the model and study.yaml are copied there.
    n, seed, **options
        Passed to :func:`survey`.
    force : bool
        Overwrite data files that already exist. Without it, existing files are an error and
        nothing is written.

    Returns
    -------
    list of Path
        The files written.
    """
    from .io import find_model_file, load_model

    study = Path(study)
    model_file = find_model_file(study)
    G = load_model(model_file)
    out = Path(out) if out is not None else model_file.parent
    names = ["survey.csv", "customers.csv", "synth_truth.json"]
    existing = [out / x for x in names if (out / x).exists()]
    if existing and not force:
        raise InputError.single(str(existing[0]), "exists already; pass --force to overwrite the generated data")
    answers, customers, truth = survey(G, n=n, seed=seed, **options)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    if out.resolve() != model_file.parent.resolve():
        for src in [model_file, model_file.parent / "study.yaml"]:
            if src.exists():
                shutil.copyfile(src, out / src.name)
                written.append(out / src.name)
    answers.to_csv(out / "survey.csv", index=False, float_format="%g")
    customers.to_csv(out / "customers.csv", index=False)
    (out / "synth_truth.json").write_text(json.dumps(truth, indent=2) + "\n", encoding="utf-8")
    return written + [out / x for x in names]


def transactions(n_customers=2000, bgnbd=(0.25, 4.0, 0.8, 2.5), gamma_gamma=(6.0, 4.0, 15.0), start="2024-01-01",
                 acquisition_weeks=12, weeks=78, seed=0, id_prefix="C"):
    """Purchases drawn from known BG/NBD and Gamma-Gamma parameters.

    Each customer is born (first purchase) at a uniform time in the first ``acquisition_weeks``,
    buys at rate ``lambda ~ Gamma(r, alpha)`` per week while alive, and after each repeat purchase
    drops out with probability ``p ~ Beta(a, b)`` (as the model has it: never after the first). Each purchase's value is ``Gamma(p_s, nu)`` with
    ``nu ~ Gamma(q, gamma)`` per customer. Vectorised over customers, so millions of rows are
    quick.

    Parameters
    ----------
    n_customers : int
    bgnbd : (r, alpha, a, b)
        Time unit: weeks.
    gamma_gamma : (p, q, gamma)
    start : str
        Date of week 0.
    acquisition_weeks, weeks : float
        Window of first purchases; length of the whole period.
    seed : int

    Returns
    -------
    pandas.DataFrame
        ``customer_id, date, amount``, sorted by customer and date.
    """
    rng = np.random.default_rng(seed)
    r, alpha, a, b = bgnbd
    ps, q, g = gamma_gamma
    lam = rng.gamma(r, 1 / alpha, n_customers)
    drop = rng.beta(a, b, n_customers)
    nu = rng.gamma(q, 1 / g, n_customers)
    t = rng.uniform(0, acquisition_weeks, n_customers)
    who = [np.arange(n_customers)]
    when = [t.copy()]
    idx = np.arange(n_customers)  # BG/NBD: drop-out happens only after repeat purchases
    while idx.size:
        t[idx] += rng.exponential(1 / np.maximum(lam[idx], 1e-12))
        idx = idx[t[idx] <= weeks]
        who.append(idx.copy())
        when.append(t[idx].copy())
        idx = idx[rng.random(idx.size) >= drop[idx]]
    cust = np.concatenate(who)
    weeks_at = np.concatenate(when)
    amount = rng.gamma(ps, 1 / nu[cust])
    order = np.lexsort((weeks_at, cust))
    dates = pd.Timestamp(start) + pd.to_timedelta(np.floor(weeks_at[order] * 7), unit="D")
    width = len(str(n_customers))
    ids = np.char.add(id_prefix, np.char.zfill(cust[order].astype(str), width))
    return pd.DataFrame({"customer_id": ids, "date": dates, "amount": np.round(amount[order], 2)})
