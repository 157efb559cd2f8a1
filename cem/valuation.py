"""The value model of a report run: computed once, saved in ``metrics.json``, read by every page.

The summary (00), value by step (03), lifetime value (04) and the report index all show the base
value and the value at stake of one :class:`cem.clv.ValueModel`. The first notebook of a run
that asks for it (:func:`value_model`) fits it and saves it as the ``value_model`` section of
``output_dir/metrics.json``, with a fingerprint of what it was computed from (the study's data
files, the segment and the options); every later notebook of the run reads it back instead of
fitting again, so two pages can never show two values of one thing. A changed data file or
option changes the fingerprint, and the model is fitted anew.

Examples
--------
>>> from cem import load_study, valuation           # doctest: +SKIP
>>> vm = valuation.value_model(load_study("cem/examples/solar"), "out")  # doctest: +SKIP
>>> vm.base_value, vm.at_stake.head(3)               # doctest: +SKIP
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING

from .clv.value_model import ValueModel, fit_value_model
from .metrics import save_metrics

if TYPE_CHECKING:
    from .study import Study

__all__ = ["value_model", "fingerprint", "SECTION"]

#: The section of metrics.json that holds the run's value model.
SECTION = "value_model"


def fingerprint(study: Study, **options: object) -> str:
    """What a value model is computed from, hashed: the study's files (its data, study.yaml and
    the model: name, size, modification time), the segment, the options with the defaults of
    :func:`cem.clv.fit_value_model` filled in, and cem's version.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> s = SimpleNamespace(files={}, segment=None, path=".", graph=SimpleNamespace(graph={}))
    >>> fingerprint(s, target=5.0) == fingerprint(s)  # the default, said or not
    True
    >>> fingerprint(s, target=4.0) == fingerprint(s)
    False
    """
    import inspect
    from importlib.metadata import PackageNotFoundError, version

    defaults = {name: p.default for name, p in inspect.signature(fit_value_model).parameters.items()
                if p.kind is p.KEYWORD_ONLY}
    files = dict(study.files)
    files["settings"] = Path(study.path) / "study.yaml"
    if study.graph.graph.get("source"):
        files["model"] = Path(study.graph.graph["source"])
    parts = [[key, Path(path).name, Path(path).stat().st_size, Path(path).stat().st_mtime_ns]
             for key, path in sorted(files.items()) if Path(path).is_file()]
    try:
        cem_version = version("cem")
    except PackageNotFoundError:
        cem_version = "source"
    text = json.dumps({"files": parts, "segment": study.segment, "options": defaults | options, "cem": cem_version},
                      sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def value_model(study: Study, output_dir: str | Path, **options: float) -> ValueModel | None:
    """The run's value model: read from ``output_dir/metrics.json`` when it was computed there
    from the same inputs, else fitted (:func:`cem.clv.fit_value_model`) and saved there.

    Parameters
    ----------
    study : cem.study.Study
    output_dir : str or Path
        The run's folder (a notebook's ``output_dir``).
    **options
        Passed to :func:`cem.clv.fit_value_model` (``target``, ``holdout_share``, ``draws``, ...).

    Returns
    -------
    ValueModel or None
        None when the study has no transactions (nothing to value in money).
    """
    inputs = fingerprint(study, **options)
    path = Path(output_dir) / "metrics.json"
    if path.is_file():
        try:
            saved = json.loads(path.read_text(encoding="utf-8")).get(SECTION)
        except (OSError, ValueError):
            saved = None
        if isinstance(saved, dict) and saved.get("inputs") == inputs:
            return None if saved.get("model") is None else ValueModel.from_dict(saved)
    model = fit_value_model(study, **options)
    save_metrics(output_dir, SECTION, {"inputs": inputs, **(model.to_dict() if model else {"model": None})})
    return model
