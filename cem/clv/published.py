"""cem's customer-base models on real published data, beside the estimates the papers print.

The method evidence of cem's methods notebook (``cem/notebooks/methods/real_data.ipynb``), kept
out of client reports: no other company's data appear in a client's report. Each check fits a
model to the data a paper used, as the paper set it up, and sets the printed figure beside cem's,
rounded to the printed digits:

* CDNOW sample (2,357 customers, calibration to 1997-09-30, weeks): BG/NBD and its log-likelihood
  (Fader, Hardie & Lee 2005, "Counting your customers the easy way", Marketing Science 24(2));
  Pareto/NBD (Fader, Hardie & Lee 2005, "RFM and CLV", J. Marketing Research 42(4)); Gamma-Gamma
  spend (Fader & Hardie 2013, "The Gamma-Gamma model of monetary value"); MBG/NBD log-likelihood
  (Platzer & Reutterer's replication script of their 2016 paper, with BTYDplus);
* online grocery (BTYDplus ``groceryElog``, 1,525 customers, calibration to 2006-12-31, weeks):
  MBG/NBD log-likelihood (same script); BG/NBD and Pareto/NBD shown without a printed figure;
* the "regular" and "high end" cohorts of Fader & Hardie (2007), "How to project customer
  retention", J. Interactive Marketing 21(1), Table 1 (years 0-7): sBG;
* the 1995 donor cohort of Fader, Hardie & Shang (2010), "Customer-base analysis in a
  discrete-time noncontractual setting", Marketing Science 29(6) (11,104 donors, 6 repeat
  opportunities): BG/BB and its log-likelihood.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["SBG_COHORTS", "PUBLISHED", "real_data_checks", "cdnow_holdout"]

#: Fader & Hardie (2007), Table 1: survivors of two cohorts of 1,000 customers, years 0-12 (the
#: paper fits years 0-7 and projects 8-12).
SBG_COHORTS = {
    "sBG regular": [1000, 631, 468, 382, 326, 289, 262, 241, 223, 207, 194, 183, 173],
    "sBG high end": [1000, 869, 743, 653, 593, 551, 517, 491, 468, 445, 427, 409, 394],
}

#: The printed figures: (data, model) -> {quantity: (value, decimal places printed)}.
PUBLISHED = {
    ("CDNOW", "BG/NBD"): {"r": (0.243, 3), "alpha": (4.414, 3), "a": (0.793, 3), "b": (2.426, 3),
                          "loglik": (-9582.4, 1)},
    ("CDNOW", "Pareto/NBD"): {"r": (0.553, 3), "alpha": (10.578, 3), "s": (0.606, 3), "beta": (11.669, 3),
                              "loglik": (-9595.0, 1)},
    ("CDNOW", "Gamma-Gamma"): {"p": (6.25, 2), "q": (3.74, 2), "gamma": (15.44, 2)},
    ("CDNOW", "MBG/NBD"): {"loglik": (-9582.136, 3)},
    ("grocery", "MBG/NBD"): {"loglik": (-15781.939, 3)},
    ("sBG regular", "sBG"): {"alpha": (0.704, 3), "beta": (1.182, 3)},
    ("sBG high end", "sBG"): {"alpha": (0.668, 3), "beta": (3.806, 3)},
    ("donations", "BG/BB"): {"alpha": (1.204, 3), "beta": (0.750, 3), "gamma": (0.657, 3), "delta": (2.783, 3),
                             "loglik": (-33225.6, 1)},
}


def _fits(cdnow, grocery, donations):
    """Each (data, model)'s fitted cem model, set up as its paper did."""
    from ..readers.transactions import read_cdnow
    from .bgbb import fit_bgbb
    from .bgnbd import fit_bgnbd
    from .gamma_gamma import fit_gamma_gamma
    from .mbgnbd import fit_mbgnbd
    from .pareto_nbd import fit_pareto_nbd
    from .rfm import rfm
    from .sbg import fit_sbg

    cd = rfm(read_cdnow(cdnow), end="1997-09-30", unit="W")
    groceries = pd.read_csv(grocery, parse_dates=["date"])
    gr = rfm(groceries, customer="cust", date="date", amount=None, end="2006-12-31", unit="W")
    gifts = pd.read_csv(donations)
    fits = {("CDNOW", "BG/NBD"): fit_bgnbd(cd), ("CDNOW", "Pareto/NBD"): fit_pareto_nbd(cd),
            ("CDNOW", "Gamma-Gamma"): fit_gamma_gamma(cd), ("CDNOW", "MBG/NBD"): fit_mbgnbd(cd),
            ("grocery", "MBG/NBD"): fit_mbgnbd(gr), ("grocery", "BG/NBD"): fit_bgnbd(gr),
            ("grocery", "Pareto/NBD"): fit_pareto_nbd(gr),
            ("donations", "BG/BB"): fit_bgbb(gifts, n_periods="periods", weights="weights", source=str(donations))}
    for name, cohort in SBG_COHORTS.items():
        fits[(name, "sBG")] = fit_sbg(cohort[:8], source=name)
    return fits, {"CDNOW": len(cd), "grocery": len(gr), "donations": int(gifts["weights"].sum()),
                  **{name: cohort[0] for name, cohort in SBG_COHORTS.items()}}


def real_data_checks(cdnow: str | Path, grocery: str | Path, donations: str | Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Fit cem's models to the published data sets and set each printed figure beside cem's.

    Parameters
    ----------
    cdnow : str or Path
        ``CDNOW_sample.txt`` (data/external/cdnow).
    grocery : str or Path
        ``groceryElog.csv`` (tests/data/grocery).
    donations : str or Path
        ``donations.csv`` (tests/data/donations).

    Returns
    -------
    checks : pandas.DataFrame
        One row per printed figure: ``data, model, quantity, published, cem`` (rounded to the
        printed digits), ``cem_exact``, ``std_error`` and ``matches``.
    fits : pandas.DataFrame
        Every fit: ``data, model, customers, loglik, fit_warning`` and its parameters, the fits
        without a printed figure (grocery BG/NBD and Pareto/NBD) included.

    Examples
    --------
    >>> checks, fits = real_data_checks("data/external/cdnow/CDNOW_sample.txt",
    ...     "tests/data/grocery/groceryElog.csv", "tests/data/donations/donations.csv")  # doctest: +SKIP
    >>> bool(checks["matches"].all())  # doctest: +SKIP
    True
    """
    fitted, customers = _fits(cdnow, grocery, donations)
    rows = []
    for (data, model), printed in PUBLISHED.items():
        m = fitted[(data, model)]
        for quantity, (value, digits) in printed.items():
            exact = m.loglik if quantity == "loglik" else m.params[quantity]
            rows.append({"data": data, "model": model, "quantity": quantity, "published": value,
                         "cem": round(float(exact), digits), "cem_exact": float(exact),
                         "std_error": np.nan if quantity == "loglik" else float(m.std_errors.get(quantity, np.nan)),
                         "matches": round(float(exact), digits) == value})
    fits = pd.DataFrame([{"data": data, "model": model, "customers": customers[data], "loglik": m.loglik,
                          "fit_warning": m.fit_warning, **m.params} for (data, model), m in fitted.items()])
    return pd.DataFrame(rows), fits


def cdnow_holdout(cdnow: str | Path) -> dict:
    """BG/NBD on CDNOW's 39 calibration weeks, asked to predict the 39 holdout weeks to
    1998-06-30 (the papers' check): :func:`cem.clv.holdout_error`.

    Examples
    --------
    >>> check = cdnow_holdout("data/external/cdnow/CDNOW_sample.txt")  # doctest: +SKIP
    >>> round(check["actual_total"])  # doctest: +SKIP
    1788
    """
    from ..readers.transactions import read_cdnow
    from .bgnbd import fit_bgnbd
    from .lifetime import holdout_error
    from .rfm import calibration_holdout

    data = calibration_holdout(read_cdnow(cdnow), "1997-09-30", "1998-06-30", unit="W")
    return holdout_error(fit_bgnbd(data), data)
