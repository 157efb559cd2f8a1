"""cem: Jobs-to-be-Done customer-experience modelling.

The customer's job and the company's jobs, their steps, the actors of every party, the
touchpoints, resources and needs are held as one networkx graph (:mod:`cem.graph`), read and
validated from a study folder (:mod:`cem.io`, :mod:`cem.validate`), analysed by plain
functions (:mod:`cem.gaps`, ...), drawn (:mod:`cem.plots`) and reported through
parameterized notebooks (:mod:`cem.report`).

Examples
--------
>>> import cem
>>> study = cem.load_study("data/examples/solar")  # doctest: +SKIP
>>> cem.find_gaps(study.graph).head()  # doctest: +SKIP
>>> cem.plots.journey_map(study.graph)  # doctest: +SKIP
"""
from . import (  # the modules, as networkx exposes its own: cem.plots.journey_map(G), ...
    clv,
    browser,
    diff,
    gaps,
    graph,
    io,
    journeys,
    kernels,
    needs,
    plots,
    privacy,
    report,
    segments,
    summary,
    schema,
    survey,
    synth,
    validate,
    value,
)
from .errors import CemError, InputError, Problem
from .gaps import find_gaps
from .io import Study, load_model, load_study

__version__ = "0.1.0"

__all__ = ["load_model", "load_study", "find_gaps", "Study", "InputError", "Problem", "CemError", "__version__",
           "clv", "diff", "gaps", "graph", "io", "journeys", "needs", "plots", "privacy", "report", "schema", "survey",
           "synth", "validate", "value"]
