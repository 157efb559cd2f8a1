"""Gamma-Gamma: the model of a customer's spend per purchase.

Fader, Hardie & Lee (2005), "RFM and CLV: using iso-value curves for customer base analysis",
Journal of Marketing Research 42(4); Fader & Hardie (2013), "The Gamma-Gamma model of monetary
value". A customer's transaction values are ``Gamma(p, nu)``, with ``nu ~ Gamma(q, gamma)``
across customers; fitted on customers with repeat purchases, ``x`` of them with mean value ``m``::

    L = Gamma(p x + q) / (Gamma(p x) Gamma(q)) * gamma^q * m^(p x - 1) * x^(p x)
        / (gamma + m x)^(p x + q)

Expected mean spend ``E[M | x, m] = (gamma + m x) p / (p x + q - 1)``. The likelihood needs
``m > 0``: customers without repeat purchases or with a spend of zero or less are left out of
the fit and get the model's expected spend given their ``x`` and ``m``. The CDNOW sample's 946
repeat buyers give the published p = 6.25, q = 3.74, gamma = 15.44 (tests/clv/test_gamma_gamma.py).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from scipy import special

from ._mle import _compress, _maximum_likelihood, _Model, _refuse_if_too_few

__all__ = ["GammaGamma", "fit_gamma_gamma"]


def _gg_ll(params, x, m):
    """Log-likelihood of each customer (the formula of the module docstring)."""
    p, q, g = params
    return (special.gammaln(p * x + q) - special.gammaln(p * x) - special.gammaln(q) + q * np.log(g)
            + (p * x - 1) * np.log(m) + p * x * np.log(x) - (p * x + q) * np.log(g + m * x))


def _gg_ll_grad(params, x, m):
    """Log-likelihood of each customer and its partial derivatives in ``p, q, gamma``::

        d/dp     = x [psi(p x + q) - psi(p x) + log m + log x - log(gamma + m x)]
        d/dq     = psi(p x + q) - psi(q) + log gamma - log(gamma + m x)
        d/dgamma = q / gamma - (p x + q) / (gamma + m x)
    """
    p, q, g = params
    psi_pxq = special.digamma(p * x + q)
    log_gmx = np.log(g + m * x)
    grad = (x * (psi_pxq - special.digamma(p * x) + np.log(m) + np.log(x) - log_gmx),
            psi_pxq - special.digamma(q) + np.log(g) - log_gmx, q / g - (p * x + q) / (g + m * x))
    return _gg_ll(params, x, m), grad


def _objective(x, m, w):
    """Negative log-likelihood and gradient in ``(log p, log q, log gamma)``."""
    def negll(v):
        theta = np.exp(v)
        ll, grad = _gg_ll_grad(theta, x, m)
        return -float(np.sum(w * ll)), -theta * np.array([np.sum(w * d) for d in grad])
    return negll


class GammaGamma(_Model):
    """A fitted Gamma-Gamma spend model: ``params`` p, q, gamma; ``loglik``; expected spend.

    Examples
    --------
    >>> m = GammaGamma(params={"p": 6.25, "q": 3.74, "gamma": 15.44}, loglik=0.0, n=946)
    >>> round(m.mean_spend, 2)
    35.22
    >>> [round(float(v), 2) for v in m.expected_spend([0, 4], [0.0, 50.0])]  # x = 0: the population mean
    [35.22, 48.54]
    """

    def expected_spend(self, frequency, monetary_value):
        """``E[M | x, m] = (gamma + m x) p / (p x + q - 1)``; the population mean where x = 0."""
        p, q, g = self.params["p"], self.params["q"], self.params["gamma"]
        x = np.asarray(frequency, dtype=float)
        m = np.asarray(monetary_value, dtype=float)
        return (g + m * x) * p / (p * x + q - 1)

    @property
    def mean_spend(self):
        """Population mean transaction value ``p gamma / (q - 1)``."""
        return self.params["p"] * self.params["gamma"] / (self.params["q"] - 1)


def fit_gamma_gamma(summary: pd.DataFrame, frequency: str = "frequency", monetary: str = "monetary_value",
                    source: str | Path = "transactions") -> GammaGamma:
    """Fit the Gamma-Gamma spend model on customers with repeat purchases and positive spend.

    Parameters
    ----------
    summary : pandas.DataFrame
        From :func:`cem.clv.rfm` (or any table with frequency and monetary value).
    frequency, monetary : str
        Column names.
    source : str or path
        What the summary was made from (the transactions file), named when the fit refuses.

    Returns
    -------
    GammaGamma
        With ``std_errors`` from the Hessian (analytic gradient, :mod:`cem.clv._mle`), the
        ``optimizer``'s report and ``fit_warning``; ``extra["frequency_spend_correlation"]``: the
        model assumes spend independent of frequency; a correlation far from 0 says it is not.

    Raises
    ------
    InputError
        Too few customers overall, or with repeat purchases of a positive value
        (:func:`cem.clv.too_few_to_fit` with ``spend``).

    Examples
    --------
    >>> from cem.clv import read_cdnow, rfm
    >>> cdnow = rfm(read_cdnow("data/external/cdnow/CDNOW_sample.txt"), end="1997-09-30", unit="W")  # doctest: +SKIP
    >>> {k: round(float(v), 4) for k, v in fit_gamma_gamma(cdnow).params.items()}  # doctest: +SKIP
    {'p': 6.2496, 'q': 3.7442, 'gamma': 15.4436}
    """
    _refuse_if_too_few(summary, frequency, monetary, spend=True, source=source)
    keep = (summary[frequency] > 0) & (summary[monetary] > 0)
    (x, m), w = _compress(summary.loc[keep, frequency], summary.loc[keep, monetary])

    fitted = _maximum_likelihood(_objective(x, m, w), [(1, 1, 1), (5, 3, 15)], ["p", "q", "gamma"])
    corr = float(np.corrcoef(summary.loc[keep, frequency], summary.loc[keep, monetary])[0, 1]) if keep.sum() > 2 else np.nan
    return GammaGamma(n=int(w.sum()), **fitted, extra={"frequency_spend_correlation": corr})
