"""The customer-base analyses of a loaded study: its money terms from study.yaml, and the
lifetime value at stake per journey step from its events, customers and transactions.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from .churn import StepEffects, experience_matrix, step_effects, value_at_stake

if TYPE_CHECKING:
    import pandas as pd

    from ..study import Study

__all__ = ["study_terms", "study_value_at_stake"]


def study_terms(study: Study) -> dict:
    """The money terms of a study from study.yaml: margin, yearly discount rate, horizon in years,
    currency, the relationship with customers and its renewal period.

    Defaults when a study says nothing: margin 0.3, discount rate 0.1, horizon 3 years,
    non-contractual; a contractual study without a period renews by month (``period_given``
    says whether study.yaml named it).

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> import networkx as nx
    >>> study_terms(SimpleNamespace(config={"margin": 0.4}, graph=nx.MultiDiGraph(currency="EUR")))  # doctest: +NORMALIZE_WHITESPACE
    {'margin': 0.4, 'discount_rate': 0.1, 'horizon': 3.0, 'currency': 'EUR', 'relationship': 'non-contractual',
     'period': None, 'period_given': False}
    >>> study_terms(SimpleNamespace(config={"relationship": "contractual"}, graph=nx.MultiDiGraph()))["period"]
    'month'
    """
    G = study.graph
    relationship = str(study.config.get("relationship", "non-contractual"))
    period = study.config.get("period")
    return {"margin": float(study.config.get("margin", 0.3)),
            "discount_rate": float(study.config.get("discount_rate", 0.1)),
            "horizon": float(study.config.get("horizon", 3)),
            "currency": str(study.config.get("currency", G.graph.get("currency", ""))),
            "relationship": relationship,
            "period": period if period else ("month" if relationship == "contractual" else None),
            "period_given": bool(period)}


def study_value_at_stake(study: Study, target: float = 5.0, transactions: pd.DataFrame | None = None,
                         events: pd.DataFrame | None = None) -> tuple[StepEffects, pd.DataFrame] | None:
    """Step effects on churn and the lifetime value at stake per step, for a loaded study.

    Needs touchpoint events with ratings, ``customers.csv`` with a ``churned`` column and
    transactions. A customer's yearly margin is their spend over the observed years times the
    study's margin; values run over the study's horizon at its discount rate
    (:func:`value_at_stake`).

    Returns
    -------
    (StepEffects, pandas.DataFrame) or None
        The effects and the value-at-stake table (with the step names), or None when the study
        lacks one of the inputs.
    """
    if not {"events", "customers", "transactions"} <= set(study.files):
        return None
    customers = study.customers()
    if "churned" not in customers.columns:
        return None
    events = study.events() if events is None else events
    if "rating" not in events.columns:
        return None
    tx = study.transactions() if transactions is None else transactions
    terms = study_terms(study)
    experience = experience_matrix(events).reindex(customers.index).dropna(how="all")
    effects = step_effects(experience, customers["churned"])
    years = max((tx["date"].max() - tx["date"].min()).days / 365.25, 1 / 12)
    yearly = tx.groupby("customer_id")["amount"].sum() / years * terms["margin"]
    stake = value_at_stake(effects, experience, yearly, terms["discount_rate"], target=target,
                           horizon=terms["horizon"])
    stake.insert(1, "name", stake["step"].map(lambda s: study.graph.nodes[s].get("name", s)))
    return effects, stake
