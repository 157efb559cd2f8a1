"""Experience and churn: how each journey step's rating moves churn, and the lifetime value at stake.

A logistic regression of churn on each customer's mean rating per step
(``logit P(churn) = b0 + sum_s b_s * rating_s``, statsmodels); each customer's yearly retention
``1 - P(churn)`` valued with :func:`cem.clv.retention_clv`, with each step's rating raised to a
target, gives the value at stake per step.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .lifetime import retention_clv

__all__ = ["experience_matrix", "StepEffects", "step_effects", "value_at_stake"]


def experience_matrix(events: pd.DataFrame, rating: str = "rating", customer: str = "customer_id",
                      step: str = "step") -> pd.DataFrame:
    """Each customer's experience at each step: the mean of their ratings there (customers x steps).

    Examples
    --------
    >>> e = pd.DataFrame({"customer_id": ["a", "a", "b"], "step": ["S1", "S1", "S2"], "rating": [4, 2, 5]})
    >>> experience_matrix(e).to_dict()
    {'S1': {'a': 3.0, 'b': nan}, 'S2': {'a': nan, 'b': 5.0}}
    """
    rated = events.dropna(subset=[rating, step])
    return rated.pivot_table(index=customer, columns=step, values=rating, aggfunc="mean", sort=False)


@dataclass
class StepEffects:
    """How each step's experience moves churn: a logistic regression, one coefficient per step.

    Attributes
    ----------
    table : pandas.DataFrame
        Per step: ``coef`` (change in the log-odds of churning per rating point), ``se``,
        ``ci_low``, ``ci_high`` (95 %), ``p_value``, ``odds_ratio``, ``rated`` (customers who
        rated it), ``mean_rating``; sorted by how much a point of rating cuts churn.
    intercept : float
    coefs : pandas.Series
    fill : pandas.Series
        Step means used for customers who did not rate a step.
    n : int
        Customers in the regression.
    churn_rate : float
    """

    table: pd.DataFrame
    intercept: float
    coefs: pd.Series
    fill: pd.Series
    n: int
    churn_rate: float

    def churn_probability(self, experience, coefs=None):
        """Predicted churn probability of each customer (missing ratings at the step mean)."""
        X = experience.reindex(columns=self.coefs.index).fillna(self.fill)
        b = self.coefs if coefs is None else coefs
        return 1 / (1 + np.exp(-(self.intercept + X.to_numpy() @ b.to_numpy())))


def step_effects(experience: pd.DataFrame, churned: pd.Series, min_rated: int = 30) -> StepEffects:
    """Estimate each step's effect on churn, with its uncertainty (statsmodels logistic regression).

    ``logit P(churn) = b0 + sum_s b_s * rating_s``: ``b_s`` is the step's effect, holding the other
    steps' experience fixed. A customer who did not rate a step gets the step's mean rating, so
    the missing rating carries no effect.

    Parameters
    ----------
    experience : pandas.DataFrame
        Customers x steps, from :func:`experience_matrix`.
    churned : pandas.Series
        1 (or True) for customers who left, indexed by customer id.
    min_rated : int
        Steps rated by fewer customers are left out (too little to estimate from).

    Returns
    -------
    StepEffects

    Examples
    --------
    Customers who rated step S1 low leave more often; S2 does not matter:

    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame({"S1": rng.integers(1, 6, 400), "S2": rng.integers(1, 6, 400)}).astype(float)
    >>> churned = pd.Series(rng.random(400) < 1 / (1 + np.exp(-(2 - 0.8 * X["S1"]))), index=X.index)
    >>> fx = step_effects(X, churned)
    >>> fx.table["step"].tolist(), bool(fx.table.loc[0, "p_value"] < 0.001)
    (['S1', 'S2'], True)
    """
    import statsmodels.api as sm

    y = pd.Series(churned).astype(float)
    common = experience.index.intersection(y.index)
    X = experience.loc[common]
    X = X.loc[:, X.notna().sum() >= min_rated]
    fill = X.mean()
    Xf = X.fillna(fill)
    fit = sm.Logit(y.loc[common].to_numpy(), sm.add_constant(Xf.to_numpy(), has_constant="add")).fit(disp=0)
    params, bse = np.asarray(fit.params), np.asarray(fit.bse)
    ci = np.asarray(fit.conf_int(0.05))
    table = pd.DataFrame({"step": X.columns, "coef": params[1:], "se": bse[1:], "ci_low": ci[1:, 0],
                          "ci_high": ci[1:, 1], "p_value": np.asarray(fit.pvalues)[1:],
                          "odds_ratio": np.exp(params[1:]), "rated": X.notna().sum().to_numpy(),
                          "mean_rating": fill.to_numpy()})
    table = table.sort_values("coef").reset_index(drop=True)
    return StepEffects(table=table, intercept=float(params[0]), coefs=pd.Series(params[1:], index=X.columns),
                       fill=fill, n=int(len(common)), churn_rate=float(y.loc[common].mean()))


def value_at_stake(effects: StepEffects, experience: pd.DataFrame, margin: float | pd.Series, discount_rate: float,
                   target: float = 5.0, horizon: float | None = None) -> pd.DataFrame:
    """Lifetime value at stake per step: what the customer base would be worth if the step's
    experience reached ``target`` for everyone below it, all else equal.

    Each customer's yearly retention is ``r = 1 - P(churn)`` from the fitted effects, their value
    :func:`retention_clv` (over ``horizon`` years, or without end); the value at stake of a step
    is the sum over customers of the value with the step's rating raised to ``target`` minus the
    value now. ``at_stake_low`` and
    ``at_stake_high`` use the ends of the step coefficient's 95 % interval.

    Parameters
    ----------
    effects : StepEffects
    experience : pandas.DataFrame
        Customers x steps (the customers to value).
    margin : float or pandas.Series
        Yearly margin per customer (a Series indexed by customer, or one value for all).
    discount_rate : float
        Yearly.
    target : float
        Rating the step is raised to.
    horizon : float, optional
        Years valued, as for the lifetime value it is compared with; None: without end.

    Returns
    -------
    pandas.DataFrame
        ``step, below_target`` (customers), ``value_now``, ``value_at_target``, ``at_stake``,
        ``at_stake_low``, ``at_stake_high``, largest first.

    Examples
    --------
    A step whose better rating cuts churn (coefficient -0.5 per point): raising it to 5 for the
    two customers below adds value over three years:

    >>> fx = StepEffects(table=pd.DataFrame({"step": ["S1"], "ci_low": [-0.7], "ci_high": [-0.3]}), intercept=0.0,
    ...                  coefs=pd.Series({"S1": -0.5}), fill=pd.Series({"S1": 3.0}), n=3, churn_rate=0.3)
    >>> X = pd.DataFrame({"S1": [2.0, 4.0, 5.0]}, index=["a", "b", "c"])
    >>> stake = value_at_stake(fx, X, 100.0, 0.1, horizon=3)
    >>> int(stake.loc[0, "below_target"]), round(float(stake.loc[0, "at_stake"]), 2)
    (2, 92.27)
    """
    X = experience.reindex(columns=effects.coefs.index).fillna(effects.fill)
    if isinstance(margin, pd.Series):  # value only the customers the margins are for
        X = X.loc[X.index.intersection(margin.index)]
        m = margin.reindex(X.index).fillna(margin.mean()).to_numpy()
    else:
        m = margin
    now = retention_clv(m, 1 - effects.churn_probability(X), discount_rate, horizon)
    rows = []
    for step in effects.coefs.index:
        raised = X.copy()
        raised[step] = np.maximum(raised[step], target)
        row = effects.table.set_index("step").loc[step]
        values = []
        for coef in (effects.coefs[step], row["ci_low"], row["ci_high"]):
            b = effects.coefs.copy()
            b[step] = coef
            base = retention_clv(m, 1 - effects.churn_probability(X, b), discount_rate, horizon)
            better = retention_clv(m, 1 - effects.churn_probability(raised, b), discount_rate, horizon)
            values.append(float(np.sum(better - base)))
        rows.append({"step": step, "below_target": int((X[step] < target).sum()), "value_now": float(np.sum(now)),
                     "value_at_target": float(np.sum(now)) + values[0], "at_stake": values[0],
                     "at_stake_low": min(values[1:]), "at_stake_high": max(values[1:])})
    return pd.DataFrame(rows).sort_values("at_stake", ascending=False).reset_index(drop=True)
