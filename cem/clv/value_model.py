"""One value model per study: the customer base's lifetime value and the value at stake at each
journey step, from one fitted customer-base model, with their intervals.

Every page of a report (the summary, value by step, lifetime value, the index) shows the figures
of one :class:`ValueModel`; :func:`cem.metrics.value_model` computes it once per run and saves it
in ``metrics.json`` (section ``value_model``).

How it is built (:func:`fit_value_model`):

1. **Choice of model.** BG/NBD, Pareto/NBD and MBG/NBD (when available) are fitted on the
   calibration period (the first ``1 - holdout_share`` of the observed time, weeks) and asked to
   predict each customer's purchases in the holdout. A fit on a boundary or ridge (its
   ``fit_warning``) is never used; of the others, the smallest absolute error of the holdout
   total wins. The table of candidates says each one's error and why it was or was not chosen.
2. **Base value.** The chosen model is fitted on the whole period, with each customer's
   experience at the journey's steps as covariates of the dropout process when the study has
   rated events (ratings centred on the step's mean; a customer who did not rate a step counts
   at the mean). Each customer's lifetime value is the discounted expected margin over the
   study's horizon (:func:`cem.clv.lifetime_value`: expected purchases x Gamma-Gamma spend x
   margin). Its 95 % interval comes from a parametric bootstrap: parameters drawn from the
   normal approximation at the maximum (mean the estimate, covariance the inverse Hessian).
3. **Value at stake** of a step: the change in the base's lifetime value when the customers
   who rated the step below ``target`` rate it ``target``, through the fitted effect; with its
   95 % interval from the same draws. Raising every step at once is computed as such (the
   effects compound through the dropout rate), never as the sum of the steps.
4. **Rework** (measured friction): each customer's count of returns to a step after leaving it
   (:func:`rework_covariates`) enters the model beside the ratings when at least ``min_rated``
   customers went through the step again; "what is it worth if this step's rework falls by
   x %" (:attr:`ValueModel.rework`) is the change in the base's value when the counts are cut by
   x %, through the fitted effect, with its interval from the same draws.
5. **Contractual customers** (``relationship: contractual`` in study.yaml, with its ``period``;
   and customers who buy at discrete occasions, at most once a ``period``, when study.yaml names
   a ``period`` for a non-contractual study: a yearly gala, a season ticket):
   the payments become renewal histories (:func:`cem.clv.renewal_histories`); the candidates are
   the sBG (Fader & Hardie 2007) and BG/BB (Fader, Hardie & Shang 2010), checked on the paid
   periods of a holdout (:func:`cem.clv.contractual_holdout`) and chosen by the same rule. The
   sBG is fitted customer by customer with the steps' experience as covariates of the churn
   probability (``alpha_i = alpha exp(gamma' x_i)``, :func:`cem.clv.fit_sbg_customers`); a
   customer's value is margin x spend per period x DERL over the horizon (Fader & Hardie 2010,
   :func:`cem.clv.contractual_values`). Intervals, the value at stake and rework as in 2 to 4.
6. **No transactions, no money.** A study without purchases gets no value model; its pages say
   so. (The retention formula of :func:`cem.clv.value_at_stake` needs each customer's margin,
   which only purchases give.)
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from ..study import Study

__all__ = ["ValueModel", "choose_model", "experience_covariates", "rework_covariates", "fit_value_model",
           "customer_values", "renewal_curves", "at_stake_table", "rework_table", "model_choice_table",
           "estimates_table", "lifetime_metrics"]

#: The candidates of the model choice, in the order they are tried.
CANDIDATES = ("BG/NBD", "Pareto/NBD", "MBG/NBD")


def _share(v):
    """A share for metrics.json: None when missing, else 4 decimals (0.1 % shown exactly)."""
    return None if v is None or not np.isfinite(v) else round(float(v), 4)


@dataclass
class ValueModel:
    """The value of a customer base and of each journey step's experience, from one model.

    Attributes
    ----------
    model : str
        The model that values the customers ("Pareto/NBD", "BG/NBD", "MBG/NBD"), or "none"
        when every candidate's fit is flagged.
    base_value : float
        Lifetime value of the customer base over the horizon, in ``currency``.
    base_low, base_high : float or None
        Its 95 % interval.
    currency : str
    horizon_years : float
    customers : int
        Customers valued.
    at_stake : pandas.DataFrame
        Per step: ``step, name, value, low, high, rated, below_target``; largest first.
    all_steps : dict or None
        ``value, low, high`` when every step is raised to the target at once.
    candidates : pandas.DataFrame
        Per candidate model: ``model, holdout_error, loglik, fit_warning, chosen``.
    reason : str
        Why the model was chosen, in a sentence.
    target : float
        The rating each step is raised to.
    notes : list of str
        What could not be done, said plainly.
    estimates : pandas.DataFrame
        The chosen model's parameters: ``parameter, estimate, std_error`` (``life.<step>``: the
        change in the log of the dropout rate per rating point of the step).
    spend : dict
        The Gamma-Gamma spend model's parameters (non-contractual).
    relationship : str
        "non-contractual" or "contractual" (study.yaml).
    period : str or None
        The renewal period of a contractual study.
    rework : pandas.DataFrame
        Rework scenarios, per step with rework in the model and share cut: ``step, name,
        reduction, value, low, high, customers`` ("what is it worth if this step's rework falls by
        x %": the change in the base's lifetime value when each customer's rework count there is
        multiplied by ``1 - x``, through the fitted effect, with its 95 % interval).
    """

    model: str
    base_value: float
    base_low: float | None
    base_high: float | None
    currency: str
    horizon_years: float
    customers: int
    at_stake: pd.DataFrame
    all_steps: dict | None
    candidates: pd.DataFrame
    reason: str
    target: float = 5.0
    notes: list = field(default_factory=list)
    estimates: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["parameter", "estimate",
                                                                                  "std_error"]))
    spend: dict = field(default_factory=dict)
    relationship: str = "non-contractual"
    period: str | None = None
    rework: pd.DataFrame = field(default_factory=lambda: _NO_REWORK.copy())

    def to_dict(self) -> dict:
        """The ``value_model`` section of ``metrics.json``: plain numbers and lists."""
        def num(v):
            return None if v is None or not np.isfinite(v) else round(float(v), 2)

        return {"model": self.model, "base_value": num(self.base_value), "base_low": num(self.base_low),
                "base_high": num(self.base_high), "currency": self.currency,
                "horizon_years": float(self.horizon_years), "customers": int(self.customers),
                "target": float(self.target), "reason": self.reason, "notes": list(self.notes),
                "at_stake": [{"step": r.step, "name": r.name, "value": num(r.value), "low": num(r.low),
                              "high": num(r.high), "rated": int(r.rated), "below_target": int(r.below_target)}
                             for r in self.at_stake.itertuples()],
                "all_steps": None if self.all_steps is None else {k: num(v) for k, v in self.all_steps.items()},
                # a share: 4 decimals, so the table shows the same -3.7 % the text does (2 gave -4.0 %)
                "candidates": [{"model": r.model, "holdout_error": _share(r.holdout_error), "loglik": num(r.loglik),
                                "fit_warning": r.fit_warning if isinstance(r.fit_warning, str) else None,
                                "chosen": bool(r.chosen)} for r in self.candidates.itertuples()],
                # Parameters in full precision: the per-customer values are computed from them again.
                "estimates": [{"parameter": r.parameter, "estimate": float(r.estimate),
                               "std_error": None if not np.isfinite(r.std_error) else float(r.std_error)}
                              for r in self.estimates.itertuples()],
                "spend": {k: float(v) for k, v in self.spend.items()},
                "relationship": self.relationship, "period": self.period,
                "rework": [{"step": r.step, "name": r.name, "reduction": float(r.reduction), "value": num(r.value),
                            "low": num(r.low), "high": num(r.high), "customers": int(r.customers)}
                           for r in self.rework.itertuples()]}

    @classmethod
    def from_dict(cls, data: dict) -> "ValueModel":
        """The model back from its ``metrics.json`` section (:meth:`to_dict`)."""
        nan = float("nan")
        at_stake = pd.DataFrame(data.get("at_stake") or [], columns=["step", "name", "value", "low", "high", "rated",
                                                                      "below_target"])
        for column in ("value", "low", "high"):
            at_stake[column] = at_stake[column].astype(float)
        candidates = pd.DataFrame(data.get("candidates") or [],
                                  columns=["model", "holdout_error", "loglik", "fit_warning", "chosen"])
        return cls(model=data["model"], base_value=nan if data["base_value"] is None else data["base_value"],
                   base_low=data.get("base_low"), base_high=data.get("base_high"), currency=data.get("currency", ""),
                   horizon_years=data["horizon_years"], customers=data["customers"], at_stake=at_stake,
                   all_steps=data.get("all_steps"), candidates=candidates, reason=data.get("reason", ""),
                   target=data.get("target", 5.0), notes=list(data.get("notes") or []),
                   estimates=pd.DataFrame(data.get("estimates") or [], columns=["parameter", "estimate", "std_error"])
                   .astype({"estimate": float, "std_error": float}),
                   spend=dict(data.get("spend") or {}), relationship=data.get("relationship", "non-contractual"),
                   period=data.get("period"),
                   rework=pd.DataFrame(data.get("rework") or [], columns=_NO_REWORK.columns)
                   .astype({"reduction": float, "value": float, "low": float, "high": float}))


def _fitters():
    from .bgnbd import fit_bgnbd
    from .pareto_nbd import fit_pareto_nbd

    fitters = {"BG/NBD": fit_bgnbd, "Pareto/NBD": fit_pareto_nbd}
    try:
        from .mbgnbd import fit_mbgnbd
    except ImportError:  # not every version of the package has it
        return fitters
    return fitters | {"MBG/NBD": fit_mbgnbd}


def choose_model(calibration: pd.DataFrame, *, source: str = "transactions") -> tuple[str | None, pd.DataFrame, str]:
    """Fit each candidate on the calibration period and choose by holdout error; flagged fits never win.

    Parameters
    ----------
    calibration : pandas.DataFrame
        From :func:`cem.clv.calibration_holdout`.
    source : str
        The transactions file, named in errors.

    Returns
    -------
    chosen : str or None
        None when every candidate's fit is flagged or fails.
    table : pandas.DataFrame
        ``model, holdout_error, loglik, fit_warning, chosen``.
    reason : str

    Examples
    --------
    >>> from cem.clv import calibration_holdout
    >>> from cem.synth import transactions
    >>> tx = transactions(n_customers=400, seed=1)  # doctest: +SKIP
    >>> chosen, table, reason = choose_model(calibration_holdout(tx, "2024-06-30", unit="W"))  # doctest: +SKIP
    """
    from ..errors import InputError
    from .lifetime import holdout_error

    rows = []
    for name, fit in _fitters().items():
        try:
            model = fit(calibration, source=source)
        except InputError:
            raise
        except (ValueError, FloatingPointError, np.linalg.LinAlgError) as exc:
            rows.append({"model": name, "holdout_error": np.nan, "loglik": np.nan,
                         "fit_warning": f"the fit failed ({exc})", "chosen": False})
            continue
        error = holdout_error(model, calibration)["total_error"]
        rows.append({"model": name, "holdout_error": error, "loglik": model.loglik,
                     "fit_warning": getattr(model, "fit_warning", None), "chosen": False})
    table = pd.DataFrame(rows, columns=["model", "holdout_error", "loglik", "fit_warning", "chosen"])
    chosen, reason = _choose(table, "purchases")
    return chosen, table, reason


def _fit(fit, summary, source, **options):
    """Call a fitter with the file's name for its errors when it takes one."""
    import inspect

    if "source" in inspect.signature(fit).parameters:
        options["source"] = source
    return fit(summary, **options)


def experience_covariates(events: pd.DataFrame, customers: pd.Index, *, min_rated: int = 30) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Each customer's experience at each rated step, centred on the step's mean: the covariates.

    Steps rated by fewer than ``min_rated`` customers are left out (their effect cannot be
    estimated). A customer who did not rate a step counts at the step's mean (0 after centring).

    Returns
    -------
    covariates : pandas.DataFrame
        customers x steps, centred ratings (0 where not rated).
    ratings : pandas.DataFrame
        customers x steps, the ratings themselves (NaN where not rated).

    Examples
    --------
    >>> e = pd.DataFrame({"customer_id": ["a", "b", "c"], "step": ["S1"] * 3, "rating": [2.0, 4.0, None]})
    >>> x, r = experience_covariates(e, pd.Index(["a", "b", "c"]), min_rated=2)
    >>> x["S1"].tolist(), r["S1"].tolist()
    ([-1.0, 1.0, 0.0], [2.0, 4.0, nan])
    """
    from .churn import experience_matrix

    ratings = experience_matrix(events).reindex(customers)
    ratings = ratings.loc[:, ratings.notna().sum() >= min_rated]
    centred = (ratings - ratings.mean()).fillna(0.0)
    return centred, ratings


def _draws(model, n, rng):
    """Parameter sets drawn from the normal approximation at the maximum, on the search scale
    (log of the positive parameters; ``model.covariance``, the inverse Hessian); [] without one."""
    import dataclasses

    cov = getattr(model, "covariance", None)
    if cov is None or n <= 0:
        return []
    names = list(cov.index)
    coefficient = np.array([str(k).startswith(("life.", "trans.")) for k in names])
    centre = np.array([model.params[k] for k in names], dtype=float)
    centre = np.where(coefficient, centre, np.log(np.where(coefficient, 1.0, centre)))
    try:
        sample = rng.multivariate_normal(centre, cov.to_numpy(dtype=float), size=n, method="eigh")
    except (ValueError, np.linalg.LinAlgError):
        return []
    sample = np.where(coefficient, sample, np.exp(sample))
    return [dataclasses.replace(model, params={**model.params, **dict(zip(names, map(float, row)))})
            for row in sample]


class _Given:
    """A fitted model bound to its customers' covariates, so :func:`cem.clv.lifetime_value` can use it."""

    def __init__(self, model, covariates):
        self.model, self.covariates = model, covariates
        self.given = {} if covariates is None else {"covariates": covariates}
        if hasattr(model, "purchases_curve"):
            self.purchases_curve = lambda x, tx, T: model.purchases_curve(x, tx, T, **self.given)

    def expected_purchases(self, t, frequency=None, recency=None, T=None):
        return self.model.expected_purchases(t, frequency, recency, T, **self.given)


def _customer_values(model, spend, summary, covariates, terms):
    """Each customer's lifetime value under a model (and its covariates, when it has them)."""
    from .lifetime import lifetime_value

    fitted = _Given(model, None if covariates is None else {"dropout": covariates})
    return lifetime_value(fitted, spend, summary, horizon=52 * terms["horizon"], margin=terms["margin"],
                          discount_rate=terms["discount_rate"], periods_per_year=52)


def fit_value_model(study: Study, *, target: float = 5.0, holdout_share: float = 0.33, draws: int = 100,
                    seed: int = 0, min_rated: int = 30, reductions: tuple[float, ...] = (0.25, 0.5)) -> ValueModel | None:
    """The one value model of a study: base value, value at stake per step, with intervals.

    Parameters
    ----------
    study : cem.study.Study
    target : float
        The rating each step is raised to for its value at stake.
    holdout_share : float
        Last share of the observed period kept aside to choose the model.
    draws : int
        Parameter draws of the parametric bootstrap (the intervals).
    seed : int
        Seed of the draws: the same study gives the same figures.
    min_rated : int
        A step's effect is estimated only when at least this many customers rated it (or, for
        its rework, went through it again).
    reductions : tuple of float
        The shares by which each step's rework is cut in its scenarios (:attr:`ValueModel.rework`).

    Returns
    -------
    ValueModel or None
        None when the study has no transactions: there is nothing to value in money.
    """
    from .gamma_gamma import fit_gamma_gamma
    from .rfm import calibration_holdout, rfm
    from .study import study_terms

    from ..errors import InputError

    terms = study_terms(study)
    if "transactions" not in study.files:
        return None
    source = str(study.files["transactions"])
    tx = study.transactions()
    empty = pd.DataFrame(columns=["step", "name", "value", "low", "high", "rated", "below_target"])

    def nothing(reason, candidates=None, customers=0):
        """A value model that values nothing, and says why."""
        table = candidates if candidates is not None else pd.DataFrame(
            columns=["model", "holdout_error", "loglik", "fit_warning", "chosen"])
        return ValueModel("none", float("nan"), None, None, terms["currency"], terms["horizon"], customers, empty,
                          None, table, reason, target, [f"No lifetime value is shown: {reason}."],
                          relationship=terms["relationship"], period=terms["period"])

    if tx.empty:
        return nothing("there are no purchases to value (in this segment)")
    if terms["relationship"] == "contractual" or terms["period_given"]:  # periods: renewals or discrete occasions
        return _fit_contractual(study, tx, terms, nothing, target=target, holdout_share=holdout_share, draws=draws,
                                seed=seed, min_rated=min_rated, reductions=reductions)
    start, end = tx["date"].min(), tx["date"].max()
    split = start + (end - start) * (1 - holdout_share)
    summary = rfm(tx, unit="W")
    try:
        chosen, candidates, reason = choose_model(calibration_holdout(tx, split, end, unit="W"), source=source)
        spend = fit_gamma_gamma(summary, source=source)
    except InputError as exc:  # too few customers to fit: said, not a crash of every page
        return nothing(exc.problems[0].message if exc.problems else str(exc), customers=len(summary))
    if chosen is None:
        return nothing(reason, candidates, len(summary))
    notes = []
    events = study.events() if "events" in study.files else None
    covariates, ratings = _study_covariates(events, summary.index, min_rated)
    fit = _fitters()[chosen]
    model = None
    import inspect

    if covariates is not None and "covariates" not in inspect.signature(fit).parameters:
        notes.append(f"{chosen} takes no covariates: the steps' experience is not valued.")
    elif covariates is not None:
        try:
            model = _fit(fit, summary, source, covariates={"dropout": covariates})
        except (ValueError, FloatingPointError, np.linalg.LinAlgError) as exc:
            notes.append(f"The fit with the steps' experience failed ({exc}); the value at stake is not shown.")
        else:
            if getattr(model, "fit_warning", None):
                notes.append(f"The fit with the steps' experience is flagged ({model.fit_warning}); the value at "
                             "stake is not shown and the base is valued without it.")
                model = None
    if model is None:
        covariates = None
        model = _fit(fit, summary, source)
        if getattr(model, "fit_warning", None):  # a flagged fit is never used for money
            return nothing(f"the {chosen} fit on the whole period is flagged ({model.fit_warning})", candidates,
                           len(summary))
    rng = np.random.default_rng(seed)
    values = _customer_values(model, spend, summary, covariates, terms)
    base = float(values.sum())
    sampled = _draws(model, draws, rng)
    base_draws = _finite([float(_customer_values(m, spend, summary, covariates, terms).sum()) for m in sampled],
                         "base value", notes)
    low, high = np.percentile(base_draws, [2.5, 97.5]) if base_draws else (None, None)
    if not sampled:
        notes.append("The fit gives no covariance of its parameters: the figures carry no interval.")
    at_stake, all_steps, rework = empty, None, _NO_REWORK
    if covariates is not None:
        at_stake, all_steps, rework = _at_stake(study, model, sampled,
                                                lambda m, rows, cov: _customer_values(m, spend, rows, cov, terms),
                                                summary, covariates, ratings, target, values, notes, reductions)
    estimates = pd.DataFrame({"parameter": list(model.params), "estimate": [float(v) for v in model.params.values()],
                              "std_error": [float(model.std_errors.get(k, np.nan)) for k in model.params]})
    fitted = ValueModel(chosen, base, None if low is None else float(low), None if high is None else float(high),
                        terms["currency"], terms["horizon"], len(summary), at_stake, all_steps, candidates, reason,
                        target, notes, estimates, dict(spend.params), rework=rework)
    # As every page of a run will read it back from metrics.json: the page that fits shows the same.
    return ValueModel.from_dict(fitted.to_dict())


def _choose(table, what):
    """Mark the unflagged candidate with the smallest absolute holdout error; its name and the reason."""
    usable = table[table["fit_warning"].isna() & table["holdout_error"].notna()]
    if usable.empty:
        return None, "every candidate's fit is on a boundary or ridge, or failed: no model values this base"
    best = usable["holdout_error"].abs().idxmin()
    table.loc[best, "chosen"] = True
    chosen = table.loc[best, "model"]
    others = [f"{r.model} {r.holdout_error:+.1%}" + (" (flagged: not used)" if isinstance(r.fit_warning, str) else "")
              for r in table.itertuples() if r.model != chosen]
    return chosen, (f"{chosen} predicts the holdout period's {what} best ({table.loc[best, 'holdout_error']:+.1%} on "
                    f"the total; {', '.join(others)})")


def _fit_contractual(study, tx, terms, nothing, *, target, holdout_share, draws, seed, min_rated, reductions):
    """The value model of a contractual study (module docstring, 4): renewal histories, sBG or
    BG/BB chosen on a holdout, the sBG with the steps' experience as covariates of churn."""
    from ..errors import InputError
    from .bgbb import fit_bgbb
    from .renewals import _bgbb_summary, contractual_holdout, contractual_values, renewal_histories
    from .sbg import fit_sbg_customers

    source = str(study.files["transactions"])
    period = terms["period"]
    notes = [] if terms.get("period_given", True) else [
        f"study.yaml names no renewal period: {period} is assumed (set period: week, month, quarter or year)."]
    histories, last = renewal_histories(tx, period)
    start, end = tx["date"].min(), tx["date"].max()
    split = start + (end - start) * (1 - holdout_share)
    try:
        candidates = contractual_holdout(tx, period, split, source=source)
    except InputError as exc:
        return nothing(exc.problems[0].message if exc.problems else str(exc), customers=len(histories))
    contract = terms["relationship"] == "contractual"
    chosen, reason = _choose(candidates, "paid periods" if contract else f"{period}s with a purchase")
    candidates = candidates[["model", "holdout_error", "loglik", "fit_warning", "chosen"]]
    if chosen is None:
        return nothing(reason, candidates, len(histories))
    active = int((histories["churned"] == 0).sum())
    reason += (f"; {active:,} of {len(histories):,} customers " + ("are still under contract" if contract else
                                                                   f"bought in the last whole {period}")
               + f" at the end of the data (whole {period}s to the one ending {_period_end(last, period):%Y-%m-%d})")
    events = study.events() if "events" in study.files else None
    covariates, ratings = _study_covariates(events, histories.index, min_rated)
    if chosen == "BG/BB" and covariates is not None:
        notes.append("BG/BB takes no covariates here: the steps' experience is not valued.")
        covariates = None
    model = None
    if covariates is not None:
        try:
            model = fit_sbg_customers(histories, covariates, source=source)
        except (ValueError, FloatingPointError, np.linalg.LinAlgError) as exc:
            notes.append(f"The fit with the steps' experience failed ({exc}); the value at stake is not shown.")
        else:
            if model.fit_warning:
                notes.append(f"The fit with the steps' experience is flagged ({model.fit_warning}); the value at "
                             "stake is not shown and the base is valued without it.")
                model = None
    if model is None:
        covariates = None
        model = (fit_sbg_customers(histories, source=source) if chosen == "sBG"
                 else fit_bgbb(_bgbb_summary(histories), source=source))
        if model.fit_warning:  # a flagged fit is never used for money
            return nothing(f"the {chosen} fit on the whole period is flagged ({model.fit_warning})", candidates,
                           len(histories))

    def value_of(m, rows, cov):
        return contractual_values(chosen, m, rows, terms, period, cov)

    rng = np.random.default_rng(seed)
    values = value_of(model, histories, covariates)
    sampled = _draws(model, draws, rng)
    base_draws = _finite([float(value_of(m, histories, covariates).sum()) for m in sampled], "base value", notes)
    low, high = np.percentile(base_draws, [2.5, 97.5]) if base_draws else (None, None)
    if not sampled:
        notes.append("The fit gives no covariance of its parameters: the figures carry no interval.")
    empty = pd.DataFrame(columns=["step", "name", "value", "low", "high", "rated", "below_target"])
    at_stake, all_steps, rework = empty, None, _NO_REWORK
    if covariates is not None:
        at_stake, all_steps, rework = _at_stake(study, model, sampled, value_of, histories, covariates, ratings,
                                                target, values, notes, reductions)
    estimates = pd.DataFrame({"parameter": list(model.params), "estimate": [float(v) for v in model.params.values()],
                              "std_error": [float(model.std_errors.get(k, np.nan)) for k in model.params]})
    fitted = ValueModel(chosen, float(values.sum()), None if low is None else float(low),
                        None if high is None else float(high), terms["currency"], terms["horizon"], len(histories),
                        at_stake, all_steps, candidates, reason, target, notes, estimates,
                        {"mean_per_period": float(histories["spend"].mean())}, terms["relationship"], period, rework)
    return ValueModel.from_dict(fitted.to_dict())


def _period_end(index, period):
    """The last day of a period index of :func:`cem.clv.renewals.renewal_histories`."""
    from .renewals import PERIODS

    months, _ = PERIODS[period]
    if months is None:
        return pd.Timestamp("1970-01-05") + pd.Timedelta(weeks=int(index) + 1) - pd.Timedelta(days=1)
    first = (int(index) + 1) * months
    return pd.Timestamp(year=first // 12, month=first % 12 + 1, day=1) - pd.Timedelta(days=1)


def _finite(draws, what, notes):
    """The finite values of a bootstrap; a note when some were not (their share said)."""
    kept = [d for d in draws if np.isfinite(d)]
    if len(kept) < len(draws):
        notes.append(f"{len(draws) - len(kept)} of {len(draws)} parameter draws gave no finite {what}; the interval "
                     "rests on the others.")
    return kept


def _raised(covariates, ratings, steps, target):
    """Covariates with the ratings below ``target`` at ``steps`` raised to it (centred like the rest)."""
    raised = covariates.copy()
    for step in steps:
        below = (ratings[step] < target).to_numpy()
        raised.loc[below, step] = target - ratings[step].mean()
    return raised


def _gain(model, sampled, value_of, summary, changed, moved, values, base_by_draw, what, notes):
    """The change in the base's value when ``changed`` covariates apply to the ``moved`` customers
    (only they are recomputed), and its 95 % interval over the draws."""
    if not moved.any():
        return 0.0, 0.0, 0.0
    rows, cov = summary[moved], changed[moved]
    point = float(np.sum(value_of(model, rows, cov)) - np.asarray(values)[moved].sum())
    spread = _finite([float(np.sum(value_of(m, rows, cov)) - np.asarray(b)[moved].sum())
                      for m, b in zip(sampled, base_by_draw)], what, notes)
    low, high = np.percentile(spread, [2.5, 97.5]) if spread else (np.nan, np.nan)
    return point, float(low), float(high)


def _at_stake(study, model, sampled, value_of, summary, covariates, ratings, target, values, notes, reductions):
    """Value at stake per rated step and for all of them at once, and the rework scenarios, with
    percentile intervals over the draws; ``value_of(model, rows, covariates)`` gives those
    customers' values."""
    def name(step):
        return study.graph.nodes[step].get("name", step) if step in study.graph else step

    base_by_draw = [value_of(m, summary, covariates) for m in sampled]
    steps = [s for s in ratings.columns if s in covariates.columns] if ratings is not None else []
    rows = []
    for step in steps:
        moved = (ratings[step] < target).to_numpy()
        point, low, high = _gain(model, sampled, value_of, summary, _raised(covariates, ratings, [step], target), moved,
                                 values, base_by_draw, f"value at stake of {step}", notes)
        rows.append({"step": step, "name": name(step), "value": point, "low": low, "high": high,
                     "rated": int(ratings[step].notna().sum()), "below_target": int(moved.sum())})
    table = pd.DataFrame(rows, columns=["step", "name", "value", "low", "high", "rated", "below_target"])
    table = table.sort_values("value", ascending=False, kind="stable").reset_index(drop=True)
    every = None
    if steps:
        moved = (ratings[steps] < target).any(axis=1).to_numpy()
        point, low, high = _gain(model, sampled, value_of, summary, _raised(covariates, ratings, steps, target), moved,
                                 values, base_by_draw, "value at stake of all steps", notes)
        every = {"value": point, "low": low if np.isfinite(low) else None, "high": high if np.isfinite(high) else None}
    return table, every, _rework_scenarios(study, model, sampled, value_of, summary, covariates, values,
                                           base_by_draw, reductions, name, notes)


_NO_REWORK = pd.DataFrame(columns=["step", "name", "reduction", "value", "low", "high", "customers"])


def _rework_scenarios(study, model, sampled, value_of, summary, covariates, values, base_by_draw, reductions, name,
                      notes):
    """Per step with rework in the model and per share ``x`` of ``reductions``: the change in the
    base's value when every customer's rework at the step falls by ``x`` (their count times
    ``1 - x``), through the fitted effect, with its 95 % interval."""
    rows = []
    for column in [c for c in covariates.columns if str(c).startswith("rework.")]:
        step = column[len("rework."):]
        moved = (covariates[column] > 0).to_numpy()
        for x in reductions:
            changed = covariates.copy()
            changed[column] = covariates[column] * (1 - float(x))
            point, low, high = _gain(model, sampled, value_of, summary, changed, moved, values, base_by_draw,
                                     f"rework scenario of {step}", notes)
            rows.append({"step": step, "name": name(step), "reduction": float(x), "value": point, "low": low,
                         "high": high, "customers": int(moved.sum())})
    return pd.DataFrame(rows, columns=_NO_REWORK.columns) if rows else _NO_REWORK.copy()


def rework_covariates(events: pd.DataFrame, customers: pd.Index, *, min_customers: int = 30) -> pd.DataFrame:
    """Each customer's rework at each step: how many times they came back to the step after
    leaving it for another (``rework.<step>``, 0 for none), the measured friction the value model
    takes as a covariate beside the ratings.

    Steps where fewer than ``min_customers`` customers went through again are left out (their
    effect cannot be estimated). Interactions at a step in a row count as one visit.

    Returns
    -------
    pandas.DataFrame
        customers x ``rework.<step>``, counts as floats.

    Examples
    --------
    >>> e = pd.DataFrame({"customer_id": ["a"] * 4 + ["b"] * 2, "step": ["S1", "S1", "S2", "S1", "S1", "S2"],
    ...                   "timestamp": pd.to_datetime(["2024-01-0" + str(d) for d in (1, 2, 3, 4, 1, 2)])})
    >>> rework_covariates(e, pd.Index(["a", "b", "c"]), min_customers=1).to_dict("list")
    {'rework.S1': [1.0, 0.0, 0.0]}
    """
    frame = events.dropna(subset=["step"])[["customer_id", "step", "timestamp"]]
    frame = frame[frame["customer_id"].isin(customers)].sort_values(["customer_id", "timestamp"], kind="stable")
    who, step = frame["customer_id"].to_numpy(), frame["step"].astype(str).to_numpy()
    new = np.ones(len(frame), dtype=bool)
    new[1:] = (who[1:] != who[:-1]) | (step[1:] != step[:-1])
    visits = frame[new].groupby(["customer_id", "step"], observed=True).size() - 1
    visits = visits[visits > 0]
    if visits.empty:
        return pd.DataFrame(index=customers)
    wide = visits.unstack(fill_value=0).reindex(customers, fill_value=0)
    wide = wide.loc[:, (wide > 0).sum() >= min_customers]
    wide.columns = [f"rework.{c}" for c in wide.columns]
    wide.columns.name = None
    return wide.astype(float)


def _study_covariates(events, customers, min_rated):
    """The steps' ratings (centred) and rework counts as the model's covariates (None when there
    are neither), and the ratings themselves (for the value at stake)."""
    if events is None:
        return None, None
    parts, ratings = [], None
    if "rating" in events.columns:
        centred, ratings = experience_covariates(events, customers, min_rated=min_rated)
        parts.append(centred)
    if "timestamp" in events.columns:
        parts.append(rework_covariates(events, customers, min_customers=min_rated))
    covariates = pd.concat(parts, axis=1) if parts else None
    if covariates is None or covariates.shape[1] == 0:
        return None, ratings
    return covariates, ratings


def _named_covariates(events, customers, names):
    """The covariates a saved model names (ratings centred as in its fit, rework counts), in its order."""
    ratings, _ = experience_covariates(events, customers, min_rated=1)
    rework = (rework_covariates(events, customers, min_customers=1) if any(n.startswith("rework.") for n in names)
              else pd.DataFrame(index=customers))
    return pd.concat([ratings, rework], axis=1).reindex(columns=names, fill_value=0.0)


def _contract_model(value):
    """The value model's fitted sBG or BG/BB back from its saved parameters."""
    from .bgbb import BGBB
    from .sbg import SBG

    params = dict(zip(value.estimates["parameter"], value.estimates["estimate"]))
    steps = [k[len("life."):] for k in params if k.startswith("life.")]
    if value.model == "sBG":
        return SBG(params=params, loglik=float("nan"), n=value.customers,
                   extra={"covariates": {"dropout": steps}} if steps else {}), steps
    if value.model == "BG/BB":
        return BGBB(params=params, loglik=float("nan"), n=value.customers), []
    raise ValueError(f"no customer values from a '{value.model}' value model")


def _contract_histories(study, value, steps):
    """The study's renewal histories and, for the model's steps, its customers' covariates."""
    from .renewals import renewal_histories

    histories, _ = renewal_histories(study.transactions(), value.period or "month")
    covariates = None
    if steps:
        covariates = _named_covariates(study.events(), histories.index, steps)
    return histories, covariates


def _contract_values(study, value):
    """:func:`customer_values` of a contractual study."""
    from .renewals import PERIODS, _bgbb_summary, _expected_paid, contractual_values
    from .study import study_terms

    model, steps = _contract_model(value)
    histories, covariates = _contract_histories(study, value, steps)
    terms = study_terms(study)
    per_year = PERIODS[value.period or "month"][1]
    clv = contractual_values(value.model, model, histories, terms, value.period or "month", covariates)
    if value.model == "sBG":
        alive = (histories["churned"] == 0).to_numpy(dtype=float)
        rate = (1 + terms["discount_rate"]) ** (1 / per_year) - 1
        horizon = max(1, int(round(terms["horizon"] * per_year)))
        new = model.derl(rate, np.zeros(len(histories)), horizon=horizon, covariates=covariates)
        kept = terms["margin"] * histories["spend"].to_numpy() * np.asarray(new, dtype=float)
    else:
        s = _bgbb_summary(histories)
        alive = np.asarray(model.prob_alive(s["frequency"], s["recency"], s["n_periods"]), dtype=float)
        kept = clv
    unit = terms["margin"] * histories["spend"].to_numpy()
    return pd.DataFrame({"clv": clv, "p_alive": alive,
                         "derl": np.divide(clv, unit, out=np.zeros(len(histories)), where=unit > 0),
                         "next_year": _expected_paid(value.model, model, histories, int(per_year), covariates),
                         "frequency": histories["paid"] - 1, "periods": histories["periods"],
                         "spend": histories["spend"], "value_if_kept": kept}, index=histories.index)


def renewal_curves(study: Study, value: ValueModel) -> pd.DataFrame | None:
    """A contractual study's survival and retention by period, observed beside the sBG's, from the
    run's value model (nothing fitted again): :func:`cem.clv.retention_table`.

    Parameters
    ----------
    study : cem.study.Study
    value : ValueModel

    Returns
    -------
    pandas.DataFrame or None
        None unless the value model is an sBG.

    Examples
    --------
    >>> from cem import load_study, valuation  # doctest: +SKIP
    >>> s = load_study("cem/examples/payroll")  # doctest: +SKIP
    >>> renewal_curves(s, valuation.value_model(s, "out")).head()  # doctest: +SKIP
    """
    from .renewals import retention_table

    if value is None or value.model != "sBG":
        return None
    model, steps = _contract_model(value)
    histories, covariates = _contract_histories(study, value, steps)
    return retention_table(model, histories, covariates)


def customer_values(study: Study, value: ValueModel) -> pd.DataFrame:
    """Each customer's lifetime value, probability alive and expected purchases in the next year,
    from the run's value model's own parameters (nothing is fitted again): they add up to its base
    value.

    Parameters
    ----------
    study : cem.study.Study
    value : ValueModel
        From :func:`fit_value_model` (or read back from metrics.json).

    Returns
    -------
    pandas.DataFrame
        By customer: ``clv``, ``p_alive``, ``next_year`` (expected purchases), ``frequency``,
        ``value_if_kept`` (the ``clv`` at their last pace: what a quiet customer is worth back).
        A contractual study's (sBG, BG/BB): ``clv`` (residual value), ``p_alive`` (1 under
        contract, 0 cancelled; BG/BB's probability), ``next_year`` (expected paid periods in the
        next year), ``derl`` (discounted expected paid periods to come over the horizon; 0 once
        cancelled), ``frequency`` (paid periods after the first), ``periods``, ``spend`` (per
        period) and ``value_if_kept``: margin x spend x the DERL over the horizon of a customer like
        them (their covariates) who has just paid their first period: what winning back a
        cancelled customer would be worth.
    """
    from .bgnbd import BGNBD
    from .gamma_gamma import GammaGamma
    from .pareto_nbd import ParetoNBD
    from .rfm import rfm
    from .study import study_terms

    if value.model in ("sBG", "BG/BB"):  # customers by period: contracts, or discrete occasions
        return _contract_values(study, value)
    classes = {"BG/NBD": BGNBD, "Pareto/NBD": ParetoNBD}
    try:
        from .mbgnbd import MBGNBD
    except ImportError:  # not every version of the package has it
        pass
    else:
        classes["MBG/NBD"] = MBGNBD
    if value.model not in classes:
        raise ValueError(f"no customer values from a '{value.model}' value model")
    params = dict(zip(value.estimates["parameter"], value.estimates["estimate"]))
    steps = [k[len("life."):] for k in params if k.startswith("life.")]
    model = classes[value.model](params=params, loglik=float("nan"), n=value.customers,
                                 extra={"covariates": {"purchase": [], "dropout": steps}} if steps else {})
    summary = rfm(study.transactions(), unit="W")
    covariates = None
    if steps:
        covariates = _named_covariates(study.events(), summary.index, steps)
    spend = GammaGamma(params=value.spend, loglik=float("nan"), n=value.customers)
    terms = study_terms(study)
    given = _Given(model, None if covariates is None else {"dropout": covariates})
    alive = (model.prob_alive(summary["frequency"], summary["recency"], summary["T"], **given.given))
    clv = _customer_values(model, spend, summary, covariates, terms)
    return pd.DataFrame({"clv": clv, "p_alive": np.asarray(alive, dtype=float),
                         "next_year": np.asarray(given.expected_purchases(52, summary["frequency"], summary["recency"],
                                                                          summary["T"]), dtype=float),
                         "frequency": summary["frequency"], "value_if_kept": clv}, index=summary.index)


def _stake_cells(table: pd.DataFrame) -> tuple[list, list]:
    """A value at stake as a client reads it: the amount where its 95 % interval stays above zero,
    else "no measurable gain" (never a negative amount); the interval as text."""
    from ..tables import format_number

    amounts, intervals = [], []
    for v, lo, hi in zip(table["value"], table["low"], table["high"]):
        sure = pd.notna(v) and pd.notna(lo) and float(lo) > 0
        amounts.append(float(v) if sure else "no measurable gain" if pd.notna(v) else None)
        intervals.append(f"{format_number(lo, money=True)} to {format_number(hi, money=True)}"
                         if pd.notna(lo) and pd.notna(hi) else None)
    return amounts, intervals


def at_stake_table(value: ValueModel) -> pd.DataFrame:
    """The value at stake per step as a report page shows it (:func:`cem.tables.client_table`).

    A value at stake whose 95 % interval is not above zero reads "no measurable gain", never a
    negative amount (issue #15); its interval is text.

    Parameters
    ----------
    value : ValueModel

    Returns
    -------
    pandas.DataFrame
        ``name, at_stake, at_stake_interval, rated, below_target``, largest first.

    Examples
    --------
    >>> vm = ValueModel("BG/NBD", 1e6, 9e5, 1.1e6, "EUR", 3.0, 400, pd.DataFrame({
    ...     "step": ["S_a", "S_b"], "name": ["A", "B"], "value": [1200.0, -50.0], "low": [100.0, -900.0],
    ...     "high": [2000.0, 700.0], "rated": [300, 200], "below_target": [120, 80]}), None, pd.DataFrame(), "")
    >>> at_stake_table(vm)[["name", "at_stake", "at_stake_interval"]].values.tolist()
    [['A', 1200.0, '100 to 2,000'], ['B', 'no measurable gain', '-900 to 700']]
    """
    t = value.at_stake
    amounts, intervals = _stake_cells(t)
    return pd.DataFrame({"name": t["name"].tolist(), "at_stake": pd.Series(amounts, dtype=object),
                         "at_stake_interval": intervals, "rated": t["rated"].tolist(),
                         "below_target": t["below_target"].tolist()})


def rework_table(value: ValueModel) -> pd.DataFrame:
    """The rework scenarios as a report page shows them: per step and share of rework cut, the
    gain in lifetime value where its 95 % interval stays above zero, else "no measurable gain".

    Parameters
    ----------
    value : ValueModel

    Returns
    -------
    pandas.DataFrame
        ``name, reduction, rework_gain, at_stake_interval, rework_customers``.

    Examples
    --------
    >>> vm = ValueModel("BG/NBD", 1e6, 9e5, 1.1e6, "EUR", 3.0, 400, pd.DataFrame(), None, pd.DataFrame(), "",
    ...                 rework=pd.DataFrame({"step": ["S_a"], "name": ["A"], "reduction": [0.5], "value": [900.0],
    ...                                      "low": [10.0], "high": [1500.0], "customers": [40]}))
    >>> rework_table(vm).values.tolist()
    [['A', 0.5, 900.0, '10 to 1,500', 40]]
    """
    t = value.rework
    amounts, intervals = _stake_cells(t)
    return pd.DataFrame({"name": t["name"].tolist(), "reduction": t["reduction"].astype(float).tolist(),
                         "rework_gain": pd.Series(amounts, dtype=object), "at_stake_interval": intervals,
                         "rework_customers": t["customers"].tolist()})


def model_choice_table(value: ValueModel) -> pd.DataFrame:
    """The candidate models as a report page shows them: the holdout error as a signed percentage,
    a flagged fit said in words, which one values the customers.

    Parameters
    ----------
    value : ValueModel

    Returns
    -------
    pandas.DataFrame
        ``model, holdout_error`` (text, "+2.0 %"), ``loglik, fit_check`` (text), ``chosen`` (bool).

    Examples
    --------
    >>> vm = ValueModel("sBG", 1e6, 9e5, 1.1e6, "EUR", 3.0, 400, pd.DataFrame(), None, pd.DataFrame({
    ...     "model": ["sBG", "BG/BB"], "holdout_error": [-0.012, float("nan")], "loglik": [-3516.2, -3516.2],
    ...     "fit_warning": [None, "alpha ran to the edge"], "chosen": [True, False]}), "")
    >>> model_choice_table(vm)[["holdout_error", "fit_check"]].values.tolist()
    [['-1.2 %', 'sound'], [None, 'flagged, not used for money: alpha ran to the edge']]
    """
    c = value.candidates
    errors = [f"{float(e) * 100:+.1f} %" if pd.notna(e) else None for e in c["holdout_error"]]
    checks = [f"flagged, not used for money: {w}" if isinstance(w, str) and w else "sound" for w in c["fit_warning"]]
    return pd.DataFrame({"model": c["model"].tolist(), "holdout_error": pd.Series(errors, dtype=object),
                         "loglik": c["loglik"].astype(float).tolist(), "fit_check": checks,
                         "chosen": [bool(x) for x in c["chosen"]]})


def estimates_table(value: ValueModel, graph: object = None) -> pd.DataFrame:
    """The chosen model's parameters as a report page shows them: a step's effect named by the
    step ("experience at Get the permit"), not its id; the estimate, its standard error and 95 %
    interval (estimate +- 1.96 standard errors, the normal approximation at the maximum).

    Parameters
    ----------
    value : ValueModel
    graph : networkx.MultiDiGraph, optional
        The model, for the steps' names (else the names of the value at stake table).

    Returns
    -------
    pandas.DataFrame
        ``parameter, estimate, std_error, estimate_interval`` (numbers as text, 4 decimals).

    Examples
    --------
    >>> vm = ValueModel("sBG", 1e6, 9e5, 1.1e6, "EUR", 3.0, 400, pd.DataFrame({"step": ["S_a"], "name": ["A"]}),
    ...                 None, pd.DataFrame(), "", estimates=pd.DataFrame({"parameter": ["alpha", "life.S_a"],
    ...                 "estimate": [1.5, -0.2], "std_error": [0.1, 0.05]}))
    >>> estimates_table(vm).values.tolist()
    [['alpha', '1.5000', '0.1000', '1.3040 to 1.6960'], ['experience at A', '-0.2000', '0.0500', '-0.2980 to -0.1020']]
    """
    names = dict(zip(value.at_stake.get("step", []), value.at_stake.get("name", [])))
    names.update(dict(zip(value.rework.get("step", []), value.rework.get("name", []))))

    def name(step):
        if graph is not None and step in graph:
            return graph.nodes[step].get("name") or names.get(step, step)
        return names.get(step, step)

    def label(p):
        if p.startswith("life.rework."):
            return f"rework at {name(p[len('life.rework.'):])}"
        if p.startswith("life."):
            return f"experience at {name(p[len('life.'):])}"
        if p.startswith("rework."):
            return f"rework at {name(p[len('rework.'):])}"
        return p

    def num(v):
        return f"{float(v):,.4f}" if pd.notna(v) and np.isfinite(float(v)) else None

    e = value.estimates
    return pd.DataFrame({
        "parameter": [label(str(p)) for p in e["parameter"]],
        "estimate": [num(v) for v in e["estimate"]],
        "std_error": [num(s) for s in e["std_error"]],
        "estimate_interval": [f"{num(v - 1.96 * s)} to {num(v + 1.96 * s)}" if num(s) is not None else None
                              for v, s in zip(e["estimate"], e["std_error"])]})


def lifetime_metrics(value: ValueModel | None, relationship: str, currency: str,
                     curves: pd.DataFrame | None = None) -> dict:
    """Key figures of the lifetime value page for ``metrics.json`` (section ``lifetime_value``).

    Parameters
    ----------
    value : ValueModel or None
        The run's value model (None: the study has no purchases).
    relationship : str
        "contractual" or "non-contractual" (study.yaml).
    currency : str
    curves : pandas.DataFrame, optional
        :func:`renewal_curves` of a contractual study.

    Returns
    -------
    dict
        ``customers, total_clv, currency, model, top_step_at_stake`` (``step, name, at_stake``),
        ``step_effects`` (per step id: ``coef, ci_low, ci_high``, the 95 % interval estimate +-
        1.96 standard errors), ``relationship``, ``renewals`` (``period, customers,
        observed_survival_last, model_survival_last``; None unless ``curves``).

    Examples
    --------
    >>> vm = ValueModel("sBG", 1e6, 9e5, 1.1e6, "EUR", 3.0, 400, pd.DataFrame({
    ...     "step": ["S_a"], "name": ["A"], "value": [1200.0], "low": [100.0], "high": [2000.0], "rated": [300],
    ...     "below_target": [120]}), None, pd.DataFrame(), "", estimates=pd.DataFrame({
    ...     "parameter": ["alpha", "life.S_a"], "estimate": [1.5, -0.2], "std_error": [0.1, 0.05]}))
    >>> m = lifetime_metrics(vm, "contractual", "EUR")
    >>> m["total_clv"], m["top_step_at_stake"], m["step_effects"]
    (1000000.0, {'step': 'S_a', 'name': 'A', 'at_stake': 1200.0}, {'S_a': {'coef': -0.2, 'ci_low': -0.298, 'ci_high': -0.102}})
    """
    out = {"customers": None, "total_clv": None, "currency": currency, "model": None, "top_step_at_stake": None,
           "step_effects": {}, "relationship": relationship, "renewals": None}
    if value is None:
        return out
    out.update(customers=value.customers, total_clv=value.to_dict()["base_value"], model=value.model)
    if not value.at_stake.empty:
        top = value.at_stake.iloc[0]
        out["top_step_at_stake"] = {"step": top["step"], "name": top["name"], "at_stake": round(float(top["value"]), 2)}
    for p, e, se in zip(value.estimates["parameter"], value.estimates["estimate"], value.estimates["std_error"]):
        if str(p).startswith("life."):
            out["step_effects"][str(p)[len("life."):]] = {"coef": round(float(e), 4),
                                                          "ci_low": round(float(e - 1.96 * se), 4),
                                                          "ci_high": round(float(e + 1.96 * se), 4)}
    if curves is not None:
        out["renewals"] = {"period": value.period, "customers": int(curves["at_risk"].iloc[0]),
                           "observed_survival_last": round(float(curves["observed_survival"].iloc[-1]), 4),
                           "model_survival_last": round(float(curves["model_survival"].iloc[-1]), 4)}
    return out
