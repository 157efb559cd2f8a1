"""cem: Jobs-to-be-Done customer-experience modelling.

The customer's job and the company's jobs, their steps, the actors of every party, the
touchpoints, resources and needs are held as one networkx graph (:mod:`cem.graph`). Files are
read and validated by :mod:`cem.readers`, converted to and from the graph by :mod:`cem.convert`,
and held, each read once, by a :class:`cem.study.Study`. Plain functions analyse it
(:mod:`cem.gaps`, :mod:`cem.needs`, :mod:`cem.value`, :mod:`cem.journeys`, :mod:`cem.clv`,
:mod:`cem.summary`), :mod:`cem.plots` draws it, and :mod:`cem.reporting` runs the notebook
suite into reports. The layers import only downward: see docs/design.md.

Examples
--------
>>> import cem
>>> study = cem.load_study("cem/examples/solar")  # doctest: +SKIP
>>> cem.find_gaps(study.graph).head()  # doctest: +SKIP
>>> cem.plots.journey_map(study.graph)  # doctest: +SKIP
"""
from importlib.metadata import PackageNotFoundError, version as _version

from . import (  # the modules, as networkx exposes its own: cem.plots.journey_map(G), ...
    clv,
    convert,
    diff,
    gaps,
    graph,
    journeys,
    metrics,
    narrative,
    needs,
    plots,
    privacy,
    readers,
    reporting,
    schema,
    study,
    summary,
    synth,
    valuation,
    value,
    voice,
)
from .convert import load_model
from .errors import CemError, InputError, Problem
from .gaps import find_gaps
from .study import Study, check_study, load_study, try_load_study

try:
    __version__ = _version("cem")
except PackageNotFoundError:  # a source tree that was never installed
    __version__ = "0+unknown"

__all__ = ["load_model", "load_study", "check_study", "try_load_study", "find_gaps", "Study", "InputError",
           "Problem", "CemError", "__version__", "clv", "convert", "diff", "gaps", "graph", "journeys", "metrics",
           "narrative", "needs", "plots", "privacy", "readers", "reporting", "schema", "study", "summary", "synth",
           "valuation", "value", "voice"]
