"""Customer lifetime value: RFM summaries, the customer-base models, value over a horizon.

One model per module, each with its formula and sources:

* :mod:`cem.clv.rfm`: recency, frequency and monetary value per customer (:func:`rfm`,
  :func:`calibration_holdout`) and whether there are enough customers to fit (:func:`too_few_to_fit`);
* :mod:`cem.clv.bgnbd`: BG/NBD (Fader, Hardie & Lee 2005), :func:`fit_bgnbd`;
* :mod:`cem.clv.pareto_nbd`: Pareto/NBD (Schmittlein, Morrison & Colombo 1987), :func:`fit_pareto_nbd`;
* :mod:`cem.clv.mbgnbd`: MBG/NBD (Batislam, Denizel & Filiztekin 2007), :func:`fit_mbgnbd`;
* :mod:`cem.clv.sbg`: the shifted-beta-geometric retention model (Fader & Hardie 2007), :func:`fit_sbg`;
* :mod:`cem.clv.renewals`: contractual customers' renewal histories from their payments
  (:func:`renewal_histories`), the sBG/BG/BB holdout check and their residual lifetime values;
* :mod:`cem.clv.bgbb`: BG/BB for discrete purchase opportunities (Fader, Hardie & Shang 2010), :func:`fit_bgbb`;
* :mod:`cem.clv.gamma_gamma`: the Gamma-Gamma spend model (Fader, Hardie & Lee 2005; Fader &
  Hardie 2013), :func:`fit_gamma_gamma`;
* :mod:`cem.clv._mle`: the maximum-likelihood search they share (parameters on the log scale);
* :mod:`cem.clv.lifetime`: :func:`lifetime_value` over a horizon, :func:`retention_clv` from
  retention alone, :func:`holdout_error` of a purchase model;
* :mod:`cem.clv.churn`: each journey step's effect on churn (:func:`step_effects`) and the
  lifetime value at stake per step (:func:`value_at_stake`);
* :mod:`cem.clv.study`: the same for a loaded study (:func:`study_value_at_stake`).

The transactions files are read by :mod:`cem.readers.transactions` (:func:`read_transactions`,
:func:`read_cdnow`), which also holds the rules for refunds and dates and the thresholds below
which the models are not fitted; they are named here too. The CDNOW sample reproduces the
published estimates (see tests/clv/).

Examples
--------
>>> tx = pd.DataFrame({"customer_id": ["a", "a", "b"], "amount": [10.0, 20.0, 7.0],
...                    "date": pd.to_datetime(["2024-01-01", "2024-01-08", "2024-01-03"])})
>>> rfm(tx, unit="W")[["frequency", "recency", "T"]].to_dict("index")
{'a': {'frequency': 1, 'recency': 1.0, 'T': 1.0}, 'b': {'frequency': 0, 'recency': 0.0, 'T': 0.7142857142857143}}
"""
import pandas as pd

from ..readers.transactions import read_cdnow, read_transactions
from .bgbb import BGBB, fit_bgbb
from .bgnbd import BGNBD, fit_bgnbd
from .churn import StepEffects, experience_matrix, step_effects, value_at_stake
from .gamma_gamma import GammaGamma, fit_gamma_gamma
from .lifetime import holdout_error, lifetime_value, retention_clv
from .mbgnbd import MBGNBD, fit_mbgnbd
from .pareto_nbd import ParetoNBD, fit_pareto_nbd
from .rfm import (
    MAX_AMOUNT,
    MIN_DATE,
    MIN_FIT_CUSTOMERS,
    MIN_REPEAT_CUSTOMERS,
    MIN_SPEND_CUSTOMERS,
    calibration_holdout,
    rfm,
    too_few_to_fit,
)
from .renewals import PERIODS, contractual_holdout, contractual_values, renewal_histories, retention_table
from .sbg import SBG, fit_sbg, fit_sbg_customers
from .study import study_terms, study_value_at_stake
from .value_model import (
    ValueModel,
    choose_model,
    customer_values,
    experience_covariates,
    fit_value_model,
    renewal_curves,
    rework_covariates,
)

__all__ = [
    "MAX_AMOUNT",
    "MIN_DATE",
    "MIN_SPEND_CUSTOMERS",
    "MIN_FIT_CUSTOMERS",
    "MIN_REPEAT_CUSTOMERS",
    "too_few_to_fit",
    "rfm",
    "calibration_holdout",
    "fit_bgnbd",
    "fit_pareto_nbd",
    "fit_gamma_gamma",
    "BGNBD",
    "ParetoNBD",
    "GammaGamma",
    "fit_mbgnbd",
    "fit_sbg",
    "fit_sbg_customers",
    "PERIODS",
    "renewal_histories",
    "contractual_holdout",
    "contractual_values",
    "retention_table",
    "renewal_curves",
    "rework_covariates",
    "fit_bgbb",
    "MBGNBD",
    "SBG",
    "BGBB",
    "holdout_error",
    "lifetime_value",
    "retention_clv",
    "read_cdnow",
    "experience_matrix",
    "step_effects",
    "StepEffects",
    "value_at_stake",
    "read_transactions",
    "study_terms",
    "study_value_at_stake",
    "ValueModel",
    "choose_model",
    "experience_covariates",
    "fit_value_model",
    "customer_values",
]
