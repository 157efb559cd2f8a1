"""study.yaml: a study's settings, checked (known keys, plausible numbers, column mappings of the right shape)."""
from __future__ import annotations

import datetime
import math
from collections.abc import Callable
from pathlib import Path

from .._files import inside
from ..errors import Problem, shorten
from ..schema import SURVEY_MEASURES, suggest
from .brand import check_brand
from .yaml import read_yaml

__all__ = ["read_study_config", "check_study_config", "STUDY_KEYS", "STUDY_RANGES", "STUDY_CHOICES", "MAPPING_SECTIONS"]


#: Settings a study.yaml may hold: key -> (type, doc).
STUDY_KEYS = {
    "title": ("str", "title shown on the report"),
    "client": ("str", "client name"),
    "description": ("str", "what the study is about"),
    "currency": ("str", "currency code of money figures, e.g. EUR"),
    "discount_rate": ("rate", "yearly discount rate for lifetime value, 0..1"),
    "horizon": ("number", "lifetime value horizon, in years"),
    "margin": ("rate", "gross margin on revenue, 0..1"),
    "segment": ("str", "column of customers.csv or survey.csv that names the segment"),
    "mappings": ("mapping", "column mappings of the data files"),
    "pseudonym_key": ("str", "key of the customer pseudonyms in reports (CEM_PSEUDONYM_KEY wins)"),
    "generated": ("flag", "true or false: whether the study's data is generated (cem synth) rather than measured; "
                  "reports of generated data say so"),
    "brand": ("brand", "the client's logo and colours on the executive deliverable: {logo: file, colours: [hex, ...]}"),
    "relationship": ("choice", "how customers stay: contractual (they renew each period, churn is seen) or "
                     "non-contractual (they buy when they please, leaving is unseen); non-contractual by default"),
    "period": ("choice", "the renewal period of a contractual study, or of a non-contractual one whose customers "
               "buy at discrete occasions, at most once a period (valued with BG/BB or sBG): week, month, quarter "
               "or year"),
}


#: The values a choice setting of study.yaml may take: key -> allowed values (the first is the default).
STUDY_CHOICES = {
    "relationship": ("non-contractual", "contractual"),
    "period": ("month", "week", "quarter", "year"),
}


#: Plausible ranges of study.yaml's numbers: key -> (lowest, highest, what it is). A horizon
#: of 10,000 years is a typo, and would keep a notebook computing until its timeout.
STUDY_RANGES = {
    "discount_rate": (0.0, 1.0, "a yearly rate from 0 to 1 (0.1 is 10%)"),
    "margin": (0.0, 1.0, "a share of revenue from 0 to 1 (0.3 is 30%)"),
    "horizon": (0.0, 50.0, "a number of years above 0 and at most 50"),
}


#: The data files study.yaml may map columns of, and what each mapping may hold beside renames
#: (``name cem expects: column in the file``): see cem.survey and cem.journeys.
MAPPING_SECTIONS = {"survey": ("wide",), "events": ("activities", "activities_file")}


def _text_setting(value):
    """A column name or id as text; None when it is not a single value."""
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return None


def _kind_of(value):
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing"
    if isinstance(value, (str, int, float)):
        return shorten(repr(value), 40)
    return f"{type(value).__name__} {shorten(repr(value), 40)}"


def _check_mappings(value, file, locate, folder):
    """``mappings:`` of study.yaml checked to the last level: the shapes the readers expect.

    Returns the clean mappings (column names as text) and the problems, each located on its key.
    """
    problems, clean = [], {}

    def bad(path, message):
        problems.append(Problem(file, locate(path, ".".join(map(str, path))), message))

    if not isinstance(value, dict):
        bad(("mappings",), "mappings must be a mapping of data files to their columns, such as "
            f"survey: {{respondent_id: ResponseId}}; got {_kind_of(value)}")
        return clean, problems
    for section, entries in value.items():
        path = ("mappings", section)
        if section not in MAPPING_SECTIONS:
            hint = suggest(str(section), MAPPING_SECTIONS)
            bad(path, f"unknown data file '{section}'; mappings are read for {', '.join(MAPPING_SECTIONS)}"
                + (f"; did you mean '{hint}'?" if hint else ""))
            continue
        if entries is None:
            continue
        if not isinstance(entries, dict):
            bad(path, f"mappings.{section} must be a mapping such as {{customer_id: CustomerID}} (the name cem "
                f"expects: the column of your file); got {_kind_of(entries)}")
            continue
        out = {}
        for key, item in entries.items():
            where = path + (key,)
            name = f"mappings.{section}.{key}"
            if not isinstance(key, str):
                bad(where, f"{name}: a name cem expects must be text; got {_kind_of(key)}")
            elif key == "wide":
                out[key] = _check_wide(item, where, bad)
            elif key == "activities":
                out[key] = _check_pairs(item, where, bad, "an activity of the log", "a step id of the model",
                                        "{Resolve ticket: S_fix}")
            elif key == "activities_file":
                if _text_setting(item) is None or not str(item).strip():
                    bad(where, f"{name} must be the name of a CSV file in the study folder (columns activity, "
                        f"step); got {_kind_of(item)}")
                elif folder is not None and not inside(Path(folder) / str(item), folder):
                    bad(where, f"{name} '{item}' is outside the study folder; put the file in the study folder "
                        "and name it relative to it")
                elif folder is not None and not (Path(folder) / str(item)).is_file():
                    bad(where, f"{name} '{item}' is not a file in the study folder")
                else:
                    out[key] = str(item)
            else:
                column = _text_setting(item)
                if column is None or not column.strip():
                    bad(where, f"{name} must be the name of one column of {section}.csv; got {_kind_of(item)}")
                else:
                    out[key] = column
        clean[section] = out
    return clean, problems


def _check_pairs(value, path, bad, left, right, example):
    """A mapping of text to text (``activities``), or the problems of one that is not."""
    if value is None:
        return {}
    name = ".".join(map(str, path))
    if not isinstance(value, dict):
        bad(path, f"{name} must be a mapping of {left} to {right}, such as {example}; got {_kind_of(value)}")
        return {}
    out = {}
    for k, v in value.items():
        text = _text_setting(v)
        if _text_setting(k) is None or text is None or not text.strip():
            bad(path + (k,), f"{name}: each entry maps {left} to {right}; got {_kind_of(k)} -> {_kind_of(v)}")
        else:
            out[_text_setting(k)] = text
    return out


def _check_wide(value, path, bad):
    """``wide:`` of the survey's mappings: need id -> {measure: column}."""
    if value is None:
        return {}
    name = ".".join(map(str, path))
    example = "{N_price: {importance: Q5_1, satisfaction: Q6_1}}"
    if not isinstance(value, dict):
        bad(path, f"{name} must be a mapping of need ids to their columns, such as {example}; got {_kind_of(value)}")
        return {}
    out = {}
    for need, columns in value.items():
        where = path + (need,)
        if _text_setting(need) is None:
            bad(where, f"{name}: a need id must be text; got {_kind_of(need)}")
            continue
        if not isinstance(columns, dict):
            bad(where, f"{name}.{need} must map measures to columns, such as {{importance: Q5_1, satisfaction: "
                f"Q6_1}}; got {_kind_of(columns)}")
            continue
        clean = {}
        for measure, column in columns.items():
            text = _text_setting(column)
            if measure not in SURVEY_MEASURES:
                hint = suggest(str(measure), SURVEY_MEASURES)
                bad(where + (measure,), f"{name}.{need}: unknown measure '{measure}'; expected "
                    f"{', '.join(SURVEY_MEASURES)}" + (f"; did you mean '{hint}'?" if hint else ""))
            elif text is None or not text.strip():
                bad(where + (measure,), f"{name}.{need}.{measure} must be the name of one column of survey.csv; "
                    f"got {_kind_of(column)}")
            else:
                clean[measure] = text
        out[_text_setting(need)] = clean
    return out


def check_study_config(data: object, file: str, locate: Callable[[tuple, str], str],
                       folder: str | Path | None = None) -> tuple[dict, list[Problem]]:
    """study.yaml's settings checked: known keys, plausible numbers, mappings of the right shape."""
    problems = []
    if data is None:
        return {}, problems
    if not isinstance(data, dict):
        return {}, [Problem(file, "", "study.yaml must be a mapping of settings such as title: ..., currency: EUR")]
    clean = {}
    for key, value in data.items():
        where = locate((key,), str(key))
        spec = STUDY_KEYS.get(key)
        if spec is None:
            hint = suggest(str(key), STUDY_KEYS)
            problems.append(Problem(file, where, f"unknown setting '{key}'; expected one of "
                                    f"{', '.join(STUDY_KEYS)}" + (f"; did you mean '{hint}'?" if hint else "")))
            continue
        kind, doc = spec
        if kind in ("mapping", "brand"):
            value, more = (_check_mappings if kind == "mapping" else check_brand)(value, file, locate, folder)
            problems += more
            if more:
                continue
            ok = True
        elif kind == "choice":
            allowed = STUDY_CHOICES[key]
            ok = isinstance(value, str) and value.strip().lower() in allowed
            if not ok:
                hint = suggest(str(value), allowed) if isinstance(value, str) else None
                problems.append(Problem(file, where, f"{key} must be one of {', '.join(allowed)}; got "
                                        f"{_kind_of(value)}" + (f"; did you mean '{hint}'?" if hint else "")))
                continue
            value = value.strip().lower()
        elif kind == "flag":
            ok = isinstance(value, bool)
        elif kind == "str":
            # A title written as 2024-05-01 or 12 is read by YAML as a date or a number: text all the same.
            ok = isinstance(value, (str, int, float, datetime.date)) and not isinstance(value, bool)
            value = str(value) if ok else value
        else:
            low, high, what = STUDY_RANGES.get(key, (0.0, float("inf"), doc))
            ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) \
                and low <= value <= high and not (key == "horizon" and value == 0)
            if not ok:
                problems.append(Problem(file, where, f"{key} must be {what}; got {_kind_of(value)}"))
                continue
        if not ok:
            problems.append(Problem(file, where, f"{key} must be {doc}; got {_kind_of(value)}"))
            continue
        clean[key] = value
    return clean, problems


def read_study_config(path: str | Path, folder: str | Path | None = None) -> tuple[dict, list[Problem], list[Problem]]:
    """Read and check a study.yaml: ``(settings, problems, warnings)``.

    Parameters
    ----------
    path : str or Path
        The study.yaml file.
    folder : str or Path, optional
        The study folder, against which files named in the settings are checked.

    Raises
    ------
    InputError
        The file cannot be read as YAML.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "study.yaml"
    >>> _ = f.write_text("currency: EUR\\nmargin: 3\\n")
    >>> settings, problems, warnings = read_study_config(f)
    >>> settings, problems[0].message
    ({'currency': 'EUR'}, 'margin must be a share of revenue from 0 to 1 (0.3 is 30%); got 3')
    """
    data, locate, warnings = read_yaml(path, what="study settings")
    settings, problems = check_study_config(data, str(path), locate, folder)
    return settings, problems, warnings
