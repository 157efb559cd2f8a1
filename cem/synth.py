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
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .errors import InputError
from .graph import journey_steps, nodes_of, related

if TYPE_CHECKING:
    import networkx as nx

__all__ = ["survey", "customer_needs", "write_study_data", "check_options", "transactions", "journey_events", "dropout_transactions", "contractual_transactions", "event_log", "write_event_log"]

#: Share of customers who go through an after-sales stage at all (the rest skip its steps).
_OPTIONAL_STAGES = {"get_help": 0.45, "maintain": 0.6, "renew": 0.5, "dispose": 0.08, "next_cycle": 0.05}

_KANO_PAIRS = {  # category -> (functional answers, dysfunctional answers) that produce it
    "M": ([2, 3, 4], [5]),
    "O": ([1], [5]),
    "A": ([1], [2, 3, 4]),
    "I": ([2, 3, 4], [2, 3, 4]),
}


def customer_needs(G: nx.MultiDiGraph) -> list[str]:
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


def survey(G: nx.MultiDiGraph, *, n: int = 400, seed: int = 0, underserved: Sequence[str] | None = None,
           segment_needs: Sequence[str] | None = None, segment_share: float = 0.3,
           segment_names: tuple[str, str] = ("mainstream", "demanding"), blank: float = 0.02,
           kano: bool = True) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
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
    >>> G = cem.load_model("cem/examples/solar")  # doctest: +SKIP
    >>> answers, customers, truth = survey(G, n=300, seed=1)  # doctest: +SKIP
    """
    rng = np.random.default_rng(seed)
    needs = customer_needs(G)
    if len(needs) < 2:
        # A model cem new starts with has one need: bad input for cem synth (exit 2), not a crash.
        raise InputError.single(str(G.graph.get("source", "model")), f"has {len(needs)} need(s) of customers' "
                                "actors; cem synth needs at least two to make a survey: add needs to the model")
    pool = [str(x) for x in rng.permutation(needs)]
    underserved = list(underserved) if underserved is not None else sorted(pool[:3])
    rest = [x for x in pool if x not in underserved]
    segment_needs = list(segment_needs) if segment_needs is not None else sorted(rest[:3])
    for x in underserved + segment_needs:
        if x not in needs:
            raise ValueError(f"'{x}' is not a customer need of the model")

    ids = [f"C{i:05d}" for i in range(1, n + 1)]
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


def _check_count(option, value, least=1):
    """Refuse a count that is not a whole number of at least ``least``, naming the option."""
    ok = isinstance(value, (int, np.integer)) and not isinstance(value, bool) and value >= least
    if not ok:
        what = "a positive whole number" if least == 1 else f"a whole number of at least {least}"
        raise InputError.single(option, f"must be {what}; got {value!r}")


def check_options(G: nx.MultiDiGraph | None = None, *, respondents: int = 400, customers: int = 2000,
                  prospects: int = 1000, planted_step: str | None = None, purchase_value: float = 1000.0,
                  seed: int = 0, log_events: int | None = None) -> None:
    """Refuse generator options that cannot make data, each named as its command-line option.

    Called before anything is written, so a bad option leaves no half-written study.

    Raises
    ------
    InputError
        ``--respondents`` or ``--customers`` below 1, ``--prospects`` below 0, ``--log-events``
        below 1 (when given), ``--seed`` below 0, ``--purchase-value`` not a positive finite
        number, ``--planted-step`` not a customer step of the model (the closest suggested).

    Examples
    --------
    >>> check_options(respondents=-5)
    Traceback (most recent call last):
    ...
    cem.errors.InputError: --respondents: must be a positive whole number; got -5
    """
    _check_count("--respondents", respondents)
    _check_count("--customers", customers)
    _check_count("--prospects", prospects, least=0)
    _check_count("--seed", seed, least=0)
    if log_events is not None:
        _check_count("--log-events", log_events)
    try:
        value_ok = np.isfinite(float(purchase_value)) and float(purchase_value) > 0
    except (TypeError, ValueError):
        value_ok = False
    if not value_ok:
        raise InputError.single("--purchase-value", f"must be a positive amount; got {purchase_value!r}")
    if G is not None and planted_step is not None:
        from .schema import suggest

        steps = journey_steps(G)
        if planted_step not in steps:
            hint = suggest(str(planted_step), steps)
            kind = G.nodes[planted_step].get("kind") if planted_step in G else None
            raise InputError.single("--planted-step", f"'{planted_step}' is not a customer step of the model"
                                    + (f" (it is a {kind})" if kind and kind != "step" else "")
                                    + (f"; did you mean '{hint}'?" if hint else
                                       f"; the customer steps are {', '.join(steps[:12])}"))


def write_study_data(study: str | Path, out: str | Path | None = None, *, n: int = 400, seed: int = 0,
                     force: bool = False, customers: int = 2000, prospects: int = 1000,
                     planted_step: str | None = None, effect: float = -0.9, purchase_value: float = 1000.0,
                     **options: object) -> list[Path]:
    """Write a study's generated data: survey, customers, events and transactions, and the truth.

    The first ``n`` of ``customers`` answered the survey; ``prospects`` more people appear in
    the events only (they never bought). Customers buy and leave as a Pareto/NBD with
    Gamma-Gamma spend whose dropout rate is multiplied by ``exp(effect)`` per point of their
    rating of ``planted_step`` (:func:`dropout_transactions`). A contractual study
    (``relationship: contractual`` in its study.yaml) gets payments each ``period`` until the
    customer cancels, a fee of a year's ``purchase_value`` spread over the year's periods, and a
    churn probability whose sBG alpha is multiplied by ``exp(effect)`` per rating point
    (:func:`contractual_transactions`). ``churned`` in customers.csv says who left before the
    end of the period. ``synth_truth.json`` records the planted effect.

    Parameters
    ----------
    study : str or Path
        A study folder (its model is read and validated).
    out : str or Path, optional
        Folder to write to; the study folder itself when None. A different folder becomes a
        complete study: the model and study.yaml are copied there.
    n : int
        Survey respondents.
    force : bool
        Overwrite data files that already exist. Without it, existing files are an error and
        nothing is written.
    **options
        Passed to :func:`survey`.

    Returns
    -------
    list of Path
        The files written.
    """
    from .convert import load_model
    from .readers import find_model_file

    given = dict(respondents=n, customers=customers, prospects=prospects, planted_step=planted_step,
                 purchase_value=purchase_value, seed=seed)
    check_options(**given)  # before the model is read: a bad count is said at once
    study = Path(study)
    model_file = find_model_file(study)
    G = load_model(model_file)
    check_options(G, **given)
    out = Path(out) if out is not None else model_file.parent
    names = ["survey.csv", "customers.csv", "events.csv", "transactions.csv", "synth_truth.json"]
    existing = [out / x for x in names if (out / x).exists()]
    if existing and not force:
        raise InputError.single(str(existing[0]), "exists already; pass --force to overwrite the generated data")
    customers = max(customers, n)
    answers, people, truth = survey(G, n=n, seed=seed, **options)
    rng = np.random.default_rng(seed + 1)
    share = truth["segment_share"]
    extra = customers - n
    more = pd.DataFrame({
        "customer_id": [f"C{i:05d}" for i in range(n + 1, customers + 1)],
        "segment": np.where(rng.random(extra) < share, truth["segment_names"][1], truth["segment_names"][0]),
        "region": rng.choice(["north", "south", "east", "west"], extra),
        "opt_in": np.where(rng.random(extra) < 0.85, "yes", "no"),
        "nps": rng.integers(0, 11, extra),
    })
    people = pd.concat([people, more], ignore_index=True)
    events, _, ev_truth = journey_events(G, people["customer_id"], prospects=prospects, seed=seed + 2,
                                               planted_step=planted_step, effect=effect,
                                               purchase_value=purchase_value)
    # Purchases and dropout in the customer-base model's own terms: each customer's dropout rate
    # is multiplied by exp(effect) per point of their rating of the planted step (centred as
    # cem.clv.experience_covariates centres it, so the fitted coefficient estimates `effect`).
    from .clv.value_model import experience_covariates

    ids = pd.Index(people["customer_id"])
    covariates, _ = experience_covariates(events[events["customer_id"].isin(ids)], ids, min_rated=1)
    x = covariates[planted].to_numpy() if (planted := ev_truth["planted_step"]) in covariates else np.zeros(len(ids))
    relationship, period = _relationship(model_file.parent / "study.yaml")
    start = str(events["timestamp"].min().date())
    if relationship == "contractual":
        per_year = {"week": 52, "month": 12, "quarter": 4, "year": 1}[period]
        sbg, fee = (1.0, 12.0), (4.0, round(purchase_value / per_year, 2))
        tx, alive = contractual_transactions(x, effect=effect, sbg=sbg, fee=fee, period=period, seed=seed + 3,
                                             weeks=78, start=start)
        planted_in = {"relationship": "contractual", "period": period, "sbg": {"alpha": sbg[0], "beta": sbg[1]},
                      "fee": {"shape": fee[0], "mean": fee[1]},
                      "dropout_effect": {"step": planted, "per_rating_point": effect,
                                         "note": "each customer's churn probability per period is theta_i ~ Beta(alpha "
                                                 "exp(per_rating_point x_i), beta), x_i their rating of the step above "
                                                 "the step's mean rating (0 when not rated): a rating point multiplies "
                                                 "alpha, and so (alpha small beside beta) the expected churn "
                                                 "probability, by about exp(per_rating_point)"}}
    else:
        pnbd, gg = (0.6, 8.0, 1.5, 60.0), (6.0, 4.0, 15.0 * purchase_value / 30.0)
        tx, alive = dropout_transactions(x, effect=effect, pareto_nbd=pnbd, gamma_gamma=gg, seed=seed + 3, weeks=78,
                                         start=start)
        planted_in = {"pareto_nbd": dict(zip(["r", "alpha", "s", "beta"], pnbd)),
                      "gamma_gamma": dict(zip(["p", "q", "gamma"], gg)),
                      "dropout_effect": {"step": planted, "per_rating_point": effect,
                                         "note": "each customer's dropout rate is multiplied by exp(per_rating_point) "
                                                 "per point of their rating of the step above the step's mean rating "
                                                 "(0 when not rated)"}}
    tx["customer_id"] = ids.to_numpy()[tx["customer_id"].to_numpy()]
    people["churned"] = (~alive).astype(int)
    truth.update({"customers": int(len(people)), "prospects": prospects,
                  "transactions": {**planted_in, "weeks": 78}, **ev_truth})
    truth.pop("effect", None)
    truth.pop("base_churn", None)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    if out.resolve() != model_file.parent.resolve():
        for src in [model_file, model_file.parent / "study.yaml"]:
            if src.exists():
                shutil.copyfile(src, out / src.name)
                shutil.copymode(src, out / src.name)  # a study.yaml holding the pseudonym key stays owner-only
                written.append(out / src.name)
    answers.to_csv(out / "survey.csv", index=False, float_format="%g")
    people.to_csv(out / "customers.csv", index=False)
    events.assign(timestamp=events["timestamp"].dt.strftime("%Y-%m-%dT%H:%M:%S")).to_csv(
        out / "events.csv", index=False, float_format="%.4g")
    tx.to_csv(out / "transactions.csv", index=False, date_format="%Y-%m-%d")
    (out / "synth_truth.json").write_text(json.dumps(truth, indent=2) + "\n", encoding="utf-8")
    return written + [out / x for x in names]


def _relationship(config: Path) -> tuple[str, str]:
    """A study's relationship with its customers and renewal period from its study.yaml (none: non-contractual)."""
    if not config.is_file():
        return "non-contractual", "month"
    from .readers.study_config import read_study_config

    settings, _, _ = read_study_config(config)
    return settings.get("relationship", "non-contractual"), settings.get("period", "month")


def transactions(n_customers: int = 2000, *, bgnbd: tuple[float, float, float, float] = (0.25, 4.0, 0.8, 2.5),
                 gamma_gamma: tuple[float, float, float] = (6.0, 4.0, 15.0), start: str = "2024-01-01",
                 acquisition_weeks: int = 12, weeks: int = 78, seed: int = 0, id_prefix: str = "C") -> pd.DataFrame:
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


def dropout_transactions(experience: Sequence[float] | np.ndarray, *, effect: float = -0.9,
                         pareto_nbd: tuple[float, float, float, float] = (0.6, 8.0, 1.5, 60.0),
                         gamma_gamma: tuple[float, float, float] = (6.0, 4.0, 15.0), start: str = "2024-01-01",
                         acquisition_weeks: float = 12, weeks: float = 78, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """Purchases from a Pareto/NBD whose dropout rate follows each customer's experience.

    Customer ``i`` is born (first purchase) at a uniform time in the first ``acquisition_weeks``,
    buys at rate ``lambda_i ~ Gamma(r, alpha)`` per week while alive, and leaves after an
    exponential lifetime of rate ``mu_i = mu0_i exp(effect x_i)`` with ``mu0_i ~ Gamma(s, beta)``:
    each point of experience ``x_i`` multiplies the dropout rate by ``exp(effect)``. This is the
    Pareto/NBD with a time-invariant covariate in the dropout process (Fader & Hardie 2007,
    "Incorporating time-invariant covariates into the Pareto/NBD and BG/NBD models"):
    ``mu_i ~ Gamma(s, beta exp(-effect x_i))``. Each purchase's value is ``Gamma(p, nu_i)``,
    ``nu_i ~ Gamma(q, gamma)``.

    Parameters
    ----------
    experience : array of float
        One value per customer (a centred rating; 0 for the average customer).
    effect : float
        Log of the factor one point of experience multiplies the dropout rate by.
    pareto_nbd : (r, alpha, s, beta)
        Weeks.
    gamma_gamma : (p, q, gamma)
    start : str
        Date of week 0.
    acquisition_weeks, weeks : float
        Window of first purchases; length of the observed period.
    seed : int

    Returns
    -------
    transactions : pandas.DataFrame
        ``customer_id`` (the customer's position in ``experience``), ``date``, ``amount``.
    alive : numpy.ndarray of bool
        Whether each customer is still alive at the end of the period.

    Examples
    --------
    >>> tx, alive = dropout_transactions(np.r_[np.full(3000, -1.0), np.full(3000, 1.0)], effect=-1.0, seed=2)
    >>> bool(alive[3000:].mean() > alive[:3000].mean())  # a better experience keeps customers longer
    True
    """
    rng = np.random.default_rng(seed)
    x = np.asarray(experience, dtype=float)
    n = len(x)
    r, alpha, s, beta = pareto_nbd
    ps, q, g = gamma_gamma
    lam = rng.gamma(r, 1 / alpha, n)
    mu = rng.gamma(s, 1 / beta, n) * np.exp(effect * x)
    nu = rng.gamma(q, 1 / g, n)
    birth = rng.uniform(0, acquisition_weeks, n)
    death = birth + rng.exponential(1 / mu)
    until = np.minimum(death, weeks)
    # Repeat purchases: a Poisson process on (birth, until]; given their count, uniform times.
    repeats = rng.poisson(lam * (until - birth))
    cust = np.r_[np.arange(n), np.repeat(np.arange(n), repeats)]
    at = np.r_[birth, birth[cust[n:]] + rng.random(int(repeats.sum())) * (until - birth)[cust[n:]]]
    amount = rng.gamma(ps, 1 / nu[cust])
    order = np.lexsort((at, cust))
    dates = pd.Timestamp(start) + pd.to_timedelta(np.floor(at[order] * 7), unit="D")
    tx = pd.DataFrame({"customer_id": cust[order], "date": dates, "amount": np.round(amount[order], 2)})
    return tx, death > weeks


def contractual_transactions(experience: Sequence[float] | np.ndarray, *, effect: float = -0.9,
                             sbg: tuple[float, float] = (1.0, 12.0), fee: tuple[float, float] = (4.0, 1000.0),
                             period: str = "month", start: str = "2024-01-01", acquisition_weeks: float = 12,
                             weeks: float = 78, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """Payments of contractual customers (a subscription) who cancel as an sBG whose churn
    probability follows each customer's experience.

    Customer ``i`` signs at a uniform time in the first ``acquisition_weeks`` and pays a fee at
    the start of each period (every 7 days for ``week``; the same day of the month for ``month``,
    ``quarter`` or ``year``)
    until they cancel. After each paid period they cancel with probability ``theta_i ~
    Beta(alpha exp(effect x_i), beta)``: the sBG of Fader & Hardie (2007) with the covariate in
    the parameterisation of :func:`cem.clv.fit_sbg_customers`. Each point of experience ``x_i``
    multiplies alpha by ``exp(effect)``, and so, alpha being small beside beta, the expected
    churn probability by about as much. The fee is ``Gamma(shape, mean / shape)`` per customer,
    with 5 % variation from period to period (headcount, usage).

    Parameters
    ----------
    experience : array of float
        One value per customer (a centred rating; 0 for the average customer).
    effect : float
        Log of the factor one point of experience multiplies alpha by.
    sbg : (alpha, beta)
    fee : (shape, mean)
        The fee per period across customers.
    period : str
    start : str
        Date of week 0.
    acquisition_weeks, weeks : float
        Window of sign-ups; length of the observed period.
    seed : int

    Returns
    -------
    transactions : pandas.DataFrame
        ``customer_id`` (the customer's position in ``experience``), ``date``, ``amount``.
    alive : numpy.ndarray of bool
        Whether each customer is still under contract at the end of the period.

    Examples
    --------
    >>> tx, alive = contractual_transactions(np.r_[np.full(3000, -1.0), np.full(3000, 1.0)], effect=-1.0, seed=2)
    >>> bool(alive[3000:].mean() > alive[:3000].mean())  # a better experience keeps customers longer
    True
    """
    months = {"week": None, "month": 1, "quarter": 3, "year": 12}
    if period not in months:
        raise ValueError(f"contractual data are generated by week, month, quarter or year; got {period!r}")
    rng = np.random.default_rng(seed)
    x = np.asarray(experience, dtype=float)
    n = len(x)
    alpha, beta = sbg
    theta = rng.beta(alpha * np.exp(effect * x), beta)
    paid_for = rng.geometric(np.clip(theta, 1e-12, 1.0))  # periods paid before cancelling
    shape, mean = fee
    price = rng.gamma(shape, mean / shape, n)
    t0 = pd.Timestamp(start)
    signed = t0 + pd.to_timedelta(np.floor(rng.uniform(0, acquisition_weeks, n) * 7), unit="D")
    end = t0 + pd.Timedelta(weeks=weeks)
    if months[period] is None:  # every 7 days from the signing
        due = ((end - signed).days.to_numpy() // 7) + 1
    else:
        first_month = (signed.year * 12 + signed.month - 1).to_numpy()
        day = np.minimum(signed.day.to_numpy(), 28) - 1
        last_month = end.year * 12 + end.month - 1
        due = (last_month - first_month) // months[period] + 1  # periods whose month starts by the end
    count = np.minimum(paid_for, due)
    cust = np.repeat(np.arange(n), count)
    k = np.arange(len(cust)) - np.repeat(np.cumsum(count) - count, count)
    if months[period] is None:
        dates = pd.DatetimeIndex(signed[cust]) + pd.to_timedelta(7 * k, unit="D")
    else:
        month = first_month[cust] + k * months[period]
        dates = (pd.to_datetime({"year": month // 12, "month": month % 12 + 1, "day": 1})
                 + pd.to_timedelta(day[cust], unit="D"))
    keep = np.asarray(dates <= end)
    amount = price[cust] * rng.lognormal(0.0, 0.05, len(cust))
    tx = pd.DataFrame({"customer_id": cust[keep], "date": dates[keep].to_numpy(), "amount": np.round(amount[keep], 2)})
    paid = np.bincount(cust[keep], minlength=n)
    return tx.reset_index(drop=True), paid_for > paid


def journey_events(G: nx.MultiDiGraph, customer_ids: Iterable[str], *, prospects: int = 0, seed: int = 0,
                   planted_step: str | None = None, effect: float = -0.9, base_churn: float = 0.2,
                   rated: float = 0.7, purchase_value: float = 1000.0,
                   start: str = "2024-01-01") -> tuple[pd.DataFrame, pd.Series, dict]:
    """Touchpoint events along the designed journey, with a planted effect of one step on churn.

    Prospects walk the steps before purchase and drop off (a quarter at each step); customers
    go through every step to the use stage, then through after-sales stages with the shares of
    ``_OPTIONAL_STAGES``. At each step they interact one to three times with its touchpoints
    (cost: the touchpoint's cost), and rate the last interaction (1-5) with probability ``rated``.
    A customer's rating is the step's mean plus their own lean plus noise. Whether a customer
    churns depends only on their experience of ``planted_step``:
    ``logit P(churn) = logit(base_churn) + effect * (rating - the step's mean rating)``.

    Returns
    -------
    events : pandas.DataFrame
        ``customer_id, timestamp, step, touchpoint, rating, cost, revenue``.
    churned : pandas.Series
        1 for customers who churned, indexed by customer id.
    truth : dict
    """
    rng = np.random.default_rng(seed)
    steps = journey_steps(G)
    if not steps:
        raise ValueError("the model has no customer steps")
    stages = [G.nodes[s].get("stage") for s in steps]
    buy = next((i for i, st in enumerate(stages) if st == "purchase"), 0)
    if planted_step is None:
        planted_step = next((s for s, st in zip(steps, stages) if st in ("setup", "receive", "use")), steps[-1])
    if planted_step not in steps:
        raise ValueError(f"'{planted_step}' is not a customer step of the model")
    means = {s: rng.uniform(3.3, 4.3) for s in steps}
    means[planted_step] = 3.0
    tps = {s: [t for t in related(G, s, "serves", "in")] for s in steps}
    cost = {t: float(G.nodes[t].get("cost", 0.0)) for t in nodes_of(G, "touchpoint")}
    t0 = pd.Timestamp(start)
    rows = []
    latent = {}
    people = [(c, True) for c in customer_ids] + [(f"P{i:05d}", False) for i in range(1, prospects + 1)]
    for cid, is_customer in people:
        lean = rng.normal(0, 0.5)
        when = t0 + pd.Timedelta(days=float(rng.uniform(0, 90)))
        for i, (s, st) in enumerate(zip(steps, stages)):
            if not is_customer and (i >= buy or (i > 0 and rng.random() < 0.25)):
                break
            if is_customer and st in _OPTIONAL_STAGES and rng.random() > _OPTIONAL_STAGES[st]:
                continue
            rating = float(np.clip(np.rint(means[s] + lean + rng.normal(0, 0.8)), 1, 5))
            if s == planted_step:
                latent[cid] = rating
            when += pd.Timedelta(days=float(rng.exponential(7)))
            n = int(rng.integers(1, 4))
            for k in range(n):
                tp = tps[s][int(rng.integers(len(tps[s])))] if tps[s] else None
                rows.append((cid, when + pd.Timedelta(hours=3 * k), s, tp,
                             rating if k == n - 1 and rng.random() < rated else np.nan,
                             cost.get(tp, 0.0) if tp else 0.0,
                             float(rng.lognormal(np.log(purchase_value), 0.3)) if st == "purchase" and k == 0
                             and is_customer and i == buy else np.nan))
            when += pd.Timedelta(hours=3 * n)  # the next step starts after this one's interactions
    events = pd.DataFrame(rows, columns=["customer_id", "timestamp", "step", "touchpoint", "rating", "cost", "revenue"])
    b0 = np.log(base_churn / (1 - base_churn))
    ids = list(customer_ids)
    x = np.array([latent.get(c, means[planted_step]) for c in ids]) - means[planted_step]
    churned = pd.Series((rng.random(len(ids)) < 1 / (1 + np.exp(-(b0 + effect * x)))).astype(int), index=ids,
                        name="churned")
    truth = {"planted_step": planted_step, "effect": effect, "base_churn": base_churn,
             "step_mean_rating": {k: round(v, 3) for k, v in means.items()}}
    return events, churned, truth


def event_log(G: nx.MultiDiGraph, n_events: int = 1_000_000, *, seed: int = 0,
              start: str = "2024-01-01") -> pd.DataFrame:
    """A large event log along the designed journey, generated vectorised (for scale tests).

    Cases start at the first customer step and move on: to the designed next step (80 %),
    stay at the step for another interaction (8 %), skip one step (5 %), go back one step
    (2 %), or stop (5 %). Roughly ``n_events`` events are made (cases are added until then).

    Returns
    -------
    pandas.DataFrame
        ``customer_id``, ``timestamp`` (UTC), ``step``, sorted by case and time.
    """
    rng = np.random.default_rng(seed)
    steps = np.array(journey_steps(G))
    m = len(steps)
    n_cases = max(1, n_events // 9)
    case_parts, step_parts, time_parts = [], [], []
    total = 0
    t0 = np.datetime64(pd.Timestamp(start).tz_localize(None), "s").astype(np.int64)
    offset = 0
    while total < n_events:
        ids = np.arange(offset, offset + n_cases)
        offset += n_cases
        pos = np.zeros(n_cases, dtype=np.int64)
        clock = t0 + rng.integers(0, 365 * 86400, n_cases)
        alive = np.ones(n_cases, dtype=bool)
        while alive.any() and total < n_events:
            idx = np.flatnonzero(alive)
            case_parts.append(ids[idx])
            step_parts.append(pos[idx].astype(np.int16))
            time_parts.append(clock[idx].copy())
            total += idx.size
            u = rng.random(idx.size)
            move = np.select([u < 0.80, u < 0.88, u < 0.93, u < 0.95], [1, 0, 2, -1], default=99)
            nxt = pos[idx] + move
            stop = (move == 99) | (nxt >= m) | (nxt < 0)
            pos[idx] = np.clip(nxt, 0, m - 1)
            clock[idx] += rng.exponential(2 * 86400, idx.size).astype(np.int64) + 60
            alive[idx[stop]] = False
    case = np.concatenate(case_parts)[:n_events]
    step = np.concatenate(step_parts)[:n_events]
    when = np.concatenate(time_parts)[:n_events]
    order = np.lexsort((when, case))
    width = len(str(offset))
    return pd.DataFrame({
        "customer_id": pd.Series(np.char.add("C", np.char.zfill(case[order].astype(str), width))),
        "timestamp": pd.to_datetime(when[order], unit="s", utc=True),
        "step": pd.Categorical.from_codes(step[order], categories=steps),
    })


def write_event_log(study: str | Path, out: str | Path, n_events: int, *, seed: int = 0,
                    force: bool = False) -> list[Path]:
    """Write a large generated event log, ``events.parquet``, as a study of its own in ``out``.

    The study's model and study.yaml are copied beside it, so ``out`` is a complete study folder
    whose events are :func:`event_log`'s.

    Returns
    -------
    list of Path
    """
    from .convert import load_model
    from .readers import find_model_file

    check_options(seed=seed, log_events=n_events)
    model_file = find_model_file(study)
    G = load_model(model_file)
    out = Path(out)
    target = out / "events.parquet"
    if target.exists() and not force:
        raise InputError.single(str(target), "exists already; pass --force to overwrite the generated data")
    if out.resolve() == model_file.parent.resolve():
        raise InputError.single(str(out), "is the study folder itself; write a large log to a folder of its own")
    log = event_log(G, n_events, seed=seed)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for src in [model_file, model_file.parent / "study.yaml"]:
        if src.exists():
            shutil.copyfile(src, out / src.name)
            shutil.copymode(src, out / src.name)  # a study.yaml holding the pseudonym key stays owner-only
            written.append(out / src.name)
    log.to_parquet(target)
    return written + [target]
