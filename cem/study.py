"""A study: the model, its settings and each data table, read once and handed to every analysis.

A *study folder* holds ``model.yaml`` (or ``model.yml`` or ``model.xlsx``), an optional
``study.yaml`` with the study's settings, and optional measured data (``survey.csv``,
``events.csv``, ``transactions.csv``, ``customers.csv``), see :data:`DATA_FILES`.

:func:`load_study` reads the model and the settings; each data file is read (and validated)
the first time an analysis asks for it, then kept: :meth:`Study.survey`, :meth:`Study.events`,
:meth:`Study.transactions` and :meth:`Study.customers` hand every analysis the same validated
table, joined with the customers' columns and cut to the study's segment here, in one place.

Files of a study folder are read from inside it only: a symbolic link out of the folder, or a
setting naming a file outside it (:func:`cem._files.study_file`), is refused without reading it.

A *segment* is a column of the study's data and one of its values, written ``"column=value"``
(``region=north``). The column is looked up in ``customers.csv`` first, then in the survey and
the events. ``cem report --by COLUMN`` makes one run per value; in a run the notebooks load the
study with ``load_study(path, segment=...)`` and every table keeps the rows of that segment's
customers only (:func:`select_segment`).

A report run's notebooks each load the study in a kernel of their own. With ``cache_dir`` (the
suite passes one inside the run's folder), each data file's checked table is kept there as
Parquet with its warnings, under a hash of the file's content and of what its reader depends on
(:func:`read_key`): the first load of the run reads the file, the later ones read the Parquet
file (a few times faster than parsing and checking the file again) and show the same warnings.
"""
from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import networkx as nx
import pandas as pd

from ._files import inside
from ._text import yes_no
from .convert import model_from_file
from .errors import InputError, Problem
from .readers.customers import read_customers
from .readers.events import read_events
from .readers.model import find_model_file
from .readers.study_config import read_study_config
from .readers.survey import read_survey
from .readers.transactions import read_transactions
from .schema import suggest

__all__ = ["Study", "load_study", "check_study", "try_load_study", "DATA_FILES", "parse_segment",
           "segment_values", "select_segment", "join_customers", "file_digest", "read_key"]

#: Optional measured data of a study: key -> accepted file names.
DATA_FILES = {
    "survey": ("survey.csv",),
    "events": ("events.csv", "events.parquet", "events.xes", "events.xes.gz"),
    "transactions": ("transactions.csv",),
    "customers": ("customers.csv",),
}


@dataclass
class Study:
    """A study folder, loaded: the model's graph, the settings, and the data files present.

    Attributes
    ----------
    path : pathlib.Path
        The study folder.
    name : str
        Short name of the study (the folder's name), used for its report run.
    graph : networkx.MultiDiGraph
        The validated model.
    config : dict
        Settings from study.yaml (empty when there is none).
    files : dict
        Data files present: key of :data:`DATA_FILES` -> path.
    warnings : list of Problem
        Things worth knowing that did not stop the load.
    segment : tuple of (str, str) or None
        ``(column, value)`` when the study is looked at for one segment of customers only:
        every table keeps the rows of those customers (:func:`select_segment`).
    cache_dir : pathlib.Path or None
        Where the checked tables are kept between the loads of one report run (see the module's
        notes); None: read from the files only.

    Examples
    --------
    >>> study = load_study("cem/examples/solar")  # doctest: +SKIP
    >>> study.survey() is not study.survey()  # a fresh copy each time, read once  # doctest: +SKIP
    True
    """

    path: Path
    name: str
    graph: nx.MultiDiGraph
    config: dict = field(default_factory=dict)
    files: dict = field(default_factory=dict)
    warnings: list = field(default_factory=list)
    segment: tuple | None = None
    cache_dir: Path | None = field(default=None, repr=False, compare=False)
    # Each data file as its reader returned it, (table, warnings): read at most once.
    _read: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def title(self):
        """The study's title: study.yaml's title, else the model's name; and the segment, if any."""
        title = self.config.get("title") or self.graph.graph.get("name") or self.name
        return f"{title} ({self.segment[0]} = {self.segment[1]})" if self.segment else title

    @property
    def generated(self):
        """Whether the study's data is generated, not measured: a ``synth_truth.json`` (written by
        ``cem synth``) is in the folder, or study.yaml says ``generated: true``. Reports say so."""
        return bool(self.config.get("generated")) or (Path(self.path) / "synth_truth.json").is_file()

    def missing(self):
        """Keys of :data:`DATA_FILES` this study has no file for."""
        return [k for k in DATA_FILES if k not in self.files]

    def mapping(self, key):
        """study.yaml's column mapping of one data file (``mappings: <key>:``), or None."""
        return (self.config.get("mappings") or {}).get(key)

    def read(self, key):
        """One data file of the study as its reader returns it, ``(table, warnings)``, read once.

        The whole file, before any segment; the table is the one kept: do not change it.

        Raises
        ------
        InputError
            The study has no such file, or the file has problems.
        """
        if key not in self._read:
            if key not in self.files:
                raise InputError.single(str(self.path), f"has no {DATA_FILES[key][0]}")
            if self.cache_dir is not None:
                self._read[key] = _cached_read(self, key, Path(self.cache_dir))
            else:
                self._read[key] = _read_file(self, key)
        return self._read[key]

    def data_warnings(self, key):
        """Warnings of one data file and of ``customers.csv`` when it is joined in, as text lines."""
        warnings = [str(w) for w in self.read(key)[1]]
        if key in ("survey", "events") and "customers" in self.files:
            warnings += [str(w) for w in self.read("customers")[1]]
        return warnings

    def rows_left_out(self, key):
        """Rows of one data file that its reader left out of every analysis (see its warnings)."""
        return sum(w.rows for w in self.read(key)[1])

    def customers(self):
        """``customers.csv`` by ``customer_id`` (the segment's rows), ``churned`` as 0/1 when present."""
        customers = select_segment(self.read("customers")[0], self).set_index("customer_id")
        if "churned" in customers.columns:
            customers["churned"] = yes_no(customers["churned"])
        return customers

    def survey(self):
        """The survey's long form (:func:`cem.readers.read_survey`) with the columns of
        ``customers.csv`` added (segment, region, ...); the segment's respondents only."""
        survey = self.read("survey")[0]
        if "customers" in self.files:
            survey = join_customers(survey, self.read("customers")[0])
        return select_segment(survey, self, id_column="respondent_id")

    def events(self):
        """The events placed on the model's steps (:func:`cem.readers.read_events`), the columns
        of ``customers.csv`` added (segment, churned, ...); the segment's customers only."""
        events = self.read("events")[0]
        if "customers" in self.files:
            events = join_customers(events, self.read("customers")[0], respondent="customer_id")
        return select_segment(events, self)

    def transactions(self):
        """The transactions (:func:`cem.readers.read_transactions`); the segment's customers only."""
        return select_segment(self.read("transactions")[0], self)


def _read_file(study, key):
    """One data file through its reader: ``(table, warnings)``."""
    file = study.files[key]
    if key == "survey":
        return read_survey(file, study.graph, study.mapping("survey"))
    if key == "events":
        return read_events(file, study.graph, study.mapping("events"))
    if key == "customers":
        return read_customers(file)
    return read_transactions(file)


def file_digest(path: str | Path) -> str:
    """SHA-256 of a file's content, read in chunks (a file of gigabytes is never held whole).

    Examples
    --------
    >>> import tempfile, os
    >>> f = tempfile.NamedTemporaryFile(delete=False); _ = f.write(b"abc"); f.close()
    >>> file_digest(f.name)[:16]
    'ba7816bf8f01cfea'
    >>> os.unlink(f.name)
    """
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def _cem_version():
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("cem")
    except PackageNotFoundError:  # a source tree used without installing it
        return "source"


#: Changes when the cache's layout changes: older entries are then never read.
_CACHE_FORMAT = 1


def read_key(study: Study, key: str) -> str:
    """What one data file's checked table depends on, hashed: the file's content, its full path
    (a load that names it otherwise finds the same entry), the model's content (survey and events are placed on its steps), the
    file's column mapping in study.yaml and the content of the files that mapping names, and
    cem's version.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from types import SimpleNamespace
    >>> d = pathlib.Path(tempfile.mkdtemp()); (d / "customers.csv").write_text("customer_id\\na\\n")
    14
    >>> s = SimpleNamespace(files={"customers": d / "customers.csv"}, graph=SimpleNamespace(graph={}),
    ...                     path=d, mapping=lambda key: None)
    >>> k = read_key(s, "customers"); (d / "customers.csv").write_text("customer_id\\nb\\n")
    14
    >>> read_key(s, "customers") == k
    False
    """
    file = Path(study.files[key])
    parts = {"format": _CACHE_FORMAT, "key": key, "file": str(file.resolve()), "content": file_digest(file),
             "cem": _cem_version()}
    if key in ("survey", "events"):
        source = study.graph.graph.get("source")
        parts["model"] = file_digest(source) if source and Path(source).is_file() else None
        mapping = study.mapping(key)
        parts["mapping"] = json.dumps(mapping, sort_keys=True, default=str)
        named = {}
        for value in _strings(mapping):
            f = Path(study.path) / value
            if f.is_file():
                named[value] = file_digest(f)
        parts["mapping_files"] = named
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode("utf-8", "surrogatepass")).hexdigest()[:24]


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _strings(v)


def _cached_read(study, key, cache_dir):
    """:func:`_read_file` through the run's cache: the Parquet table and its warnings when a load of
    the same inputs kept them, else the file read and the result kept for the next load.

    A file with problems raises as it does without the cache, and nothing is kept; a table that
    Parquet cannot hold as it is (mixed types in a column) is simply not kept.
    """
    import pyarrow  # noqa: F401  (pandas' Parquet engine)

    name = f"{key}-{read_key(study, key)}"
    table_path, meta_path = cache_dir / f"{name}.parquet", cache_dir / f"{name}.json"
    if table_path.is_file() and meta_path.is_file():
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            # The warnings name the file as this load does (a relative or a full path).
            named = str(study.files[key])
            warnings = [Problem(**(w | {"file": named} if w["file"] == meta["file"] else w)) for w in meta["warnings"]]
            table = pd.read_parquet(table_path)
            # Parquet gives text columns pandas' string dtype: those the reader left as objects stay objects.
            objects = [c for c in meta["object_columns"] if c in table.columns]
            if objects:
                table[objects] = table[objects].astype(object)
            return table, warnings
        except (OSError, ValueError, TypeError, KeyError):  # a damaged entry: read the file instead
            pass
    table, warnings = _read_file(study, key)
    tmp = cache_dir / f".{name}.parquet.tmp-{os.getpid()}"
    tmp_w = cache_dir / f".{name}.json.tmp-{os.getpid()}"
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        table.to_parquet(tmp)
        meta = {"file": str(study.files[key]), "warnings": [asdict(w) for w in warnings],
                "object_columns": [c for c in table.columns if table[c].dtype == object]}
        tmp_w.write_text(json.dumps(meta, default=str), encoding="utf-8")
        os.replace(tmp, table_path)
        os.replace(tmp_w, meta_path)  # last: an entry counts only once both files are in place
    except (OSError, ValueError, TypeError, NotImplementedError):  # pyarrow's errors derive from these
        tmp.unlink(missing_ok=True)
        tmp_w.unlink(missing_ok=True)
    return table, warnings


def load_study(path: str | Path, segment: str | Sequence[str] | None = None, *,
               cache_dir: str | Path | None = None) -> Study:
    """Load a study folder: its model (validated), its settings and which data files it has.

    Parameters
    ----------
    path : str or Path
        A study folder, or a model file (a study of the model alone).
    segment : str or tuple, optional
        ``"column=value"`` or ``(column, value)``: look at the customers of one segment only
        (a column of customers.csv, or of the survey or events). None: every customer.
    cache_dir : str or Path, optional
        A folder where each data file's checked table is kept (Parquet, with its warnings) under
        a hash of its inputs (:func:`read_key`), and read from by the next load of the same
        inputs: the notebooks of a report run share one read of each file this way. None: the
        files are read.

    Returns
    -------
    Study

    Raises
    ------
    InputError
        Every problem of the model and of study.yaml, together; a segment value no customer has.

    Examples
    --------
    >>> load_study("no/such/folder")
    Traceback (most recent call last):
    ...
    cem.errors.InputError: no/such/folder: no such file or folder
    """
    p = Path(path)
    model_file = find_model_file(p)
    folder = p if p.is_dir() else model_file.parent
    if p.is_dir():
        # Every file of a study folder is read from inside it: a symbolic link out of the folder
        # (to a home directory, to /etc) is refused before anything is read, and its target's
        # content is never echoed.
        outside = [Problem(str(f), "", "is a symbolic link to a file outside the study folder; cem reads only "
                           "files inside the study folder: copy the file in instead")
                   for f in [model_file, folder / "study.yaml"] + [folder / n for names in DATA_FILES.values()
                                                                    for n in names]
                   if f.is_symlink() and not inside(f, folder)]
        if outside:
            raise InputError(outside)
    problems, warnings = [], []
    G = None
    try:
        G, warnings = model_from_file(model_file)
    except InputError as exc:
        problems += exc.problems
        warnings += exc.warnings
    config = {}
    settings = folder / "study.yaml"
    if p.is_dir() and settings.exists():
        try:
            config, more, more_warnings = read_study_config(settings, folder)
            warnings += more_warnings
            problems += more
        except InputError as exc:
            problems += exc.problems
    if problems:
        raise InputError(problems, warnings)
    files = {}
    if p.is_dir():
        for key, names in DATA_FILES.items():
            for name in names:
                if (folder / name).is_file():
                    files[key] = folder / name
                    break
    if "currency" in config:
        G.graph["currency"] = config["currency"]
    study = Study(path=folder, name=folder.name if p.is_dir() else model_file.stem, graph=G,
                  config=config, files=files, warnings=warnings, segment=parse_segment(segment),
                  cache_dir=Path(cache_dir) if cache_dir is not None else None)
    if study.segment:
        problems = _segment_problems(study)
        if problems:
            raise InputError(problems, warnings)
    return study


def check_study(path: str | Path, segment: str | Sequence[str] | None = None, *,
                cache_dir: str | Path | None = None) -> tuple[Study, list[Problem]]:
    """Load a study and check every data file in it that cem reads; raise once with all problems.

    With ``segment`` (see :func:`load_study`), also check that the segment has customers. The
    tables read stay in the study, so the analyses that follow do not read them again; with
    ``cache_dir`` they are also kept there for later loads (see :func:`load_study`).

    Returns
    -------
    study : Study
    warnings : list of Problem
        The model's warnings and those of the data files.

    Raises
    ------
    InputError
    """
    study = load_study(path, segment, cache_dir=cache_dir)
    problems, warnings = [], list(study.warnings)
    for key in DATA_FILES:
        if key in study.files:
            try:
                warnings += study.read(key)[1]
            except InputError as exc:
                problems += exc.problems
                warnings += exc.warnings
    if problems:
        raise InputError(problems, warnings)
    return study, warnings


def _segment_problems(study):
    """Problems of a study looked at for one segment: a value no customer has (an analysis of nobody)."""
    column, value = study.segment
    try:
        values = segment_values(study, column)
    except InputError as exc:
        return exc.problems
    if value in values:
        return []
    return [Problem(str(study.path), column, f"no customer has {column} = '{value}'; its values "
                    f"are {', '.join(values[:12])}" + (" ..." if len(values) > 12 else ""))]


def try_load_study(path: str | Path) -> tuple[Study | None, list[Problem], list[Problem]]:
    """Load and check a study without raising: ``(study, problems, warnings)``.

    For workshops, where a half-filled workbook is normal: the notebook shows the problems as a
    table instead of stopping. ``study`` is None when there are problems.

    Examples
    --------
    >>> study, problems, warnings = try_load_study("no/such/folder")
    >>> study is None, problems[0].message
    (True, 'no such file or folder')
    """
    try:
        study, warnings = check_study(path)
        return study, [], warnings
    except InputError as exc:
        return None, exc.problems, exc.warnings


def parse_segment(segment: str | Sequence[str] | None) -> tuple[str, str] | None:
    """``(column, value)`` from ``"column=value"``, a pair, or None.

    Examples
    --------
    >>> parse_segment("region = north")
    ('region', 'north')
    >>> parse_segment(None) is None
    True
    """
    if segment is None or segment == "":
        return None
    if isinstance(segment, str):
        column, sep, value = segment.partition("=")
        if not sep or not column.strip():
            raise InputError.single("segment", f"'{segment}' is not column=value (for example region=north)")
        return column.strip(), value.strip()
    column, value = segment
    return str(column).strip(), str(value).strip()


def segment_values(study: Study, column: str) -> list[str]:
    """The values of ``column`` in the study's data, sorted, blanks left out.

    Raises
    ------
    InputError
        No data file of the study has the column; the message names the files looked in and
        the closest column name.
    """
    looked, names = [], []
    for key in ("customers", "survey", "events"):
        if key not in study.files:
            continue
        table = study.read(key)[0]
        if column in table.columns:
            values = table[column].dropna().astype(str).str.strip()
            return sorted(v for v in values.unique() if v)
        looked.append(str(study.files[key]))
        names += [str(c) for c in table.columns]
    hint = suggest(column, names)
    where = ", ".join(looked) if looked else f"{study.path} (it has no customers, survey or events file)"
    raise InputError([Problem(where, column, f"no column '{column}' to make segments of"
                              + (f"; did you mean '{hint}'?" if hint else ""))])


def select_segment(table: pd.DataFrame, study: Study, *, id_column: str = "customer_id") -> pd.DataFrame:
    """The rows of ``table`` that belong to the study's segment; a copy of all rows without one.

    The segment's column is used from ``table`` when it has it, else through the customer ids
    of ``customers.csv``. Always a new table, so the study's own tables are never changed.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> t = pd.DataFrame({"customer_id": ["a", "b", "c"], "region": ["n", "s", "n"]})
    >>> select_segment(t, SimpleNamespace(segment=("region", "n")))["customer_id"].tolist()
    ['a', 'c']
    """
    if getattr(study, "segment", None) is None:
        return table.copy(deep=False)  # copy-on-write: cheap, and the study keeps its own
    column, value = study.segment
    if column in table.columns:
        keep = table[column].astype(str).str.strip() == value
    else:
        ids = _segment_ids(study, column, value)
        keep = table[id_column].astype(str).isin(ids) if id_column in table.columns \
            else pd.Series(table.index.astype(str).isin(ids), index=table.index)
    return table[keep.to_numpy()]


def _segment_ids(study, column, value):
    """The ids of the customers in the segment ``column = value``, from the first of customers.csv,
    the survey (its respondents) and the events that has the column, as :func:`segment_values` looks."""
    files = getattr(study, "files", {})
    for key, id_column in (("customers", "customer_id"), ("survey", "respondent_id"), ("events", "customer_id")):
        if key in files:
            source = study.read(key)[0]
            if column in source.columns and id_column in source.columns:
                picked = source.loc[source[column].astype(str).str.strip() == value, id_column]
                return set(picked.dropna().astype(str))
    looked = ", ".join(str(files[k]) for k in ("customers", "survey", "events") if k in files)
    raise InputError.single(looked or str(study.path), f"no column '{column}' to make the segment of: the "
                            "segment column must be in customers.csv, the survey or the events")


def join_customers(table: pd.DataFrame, customers: pd.DataFrame, *, respondent: str = "respondent_id",
                   customer: str = "customer_id") -> pd.DataFrame:
    """Add the customers' columns (segment, region, ...) to each row of a survey or event table.

    Rows are matched to customers by id (``respondent`` in ``table``); columns the table already
    has are kept from the table. The one customers join of cem.

    Examples
    --------
    >>> s = pd.DataFrame({"respondent_id": ["a", "b"], "need_id": ["N", "N"]})
    >>> c = pd.DataFrame({"customer_id": ["a", "b"], "segment": ["x", "y"]})
    >>> join_customers(s, c)["segment"].tolist()
    ['x', 'y']
    """
    extra = [c for c in customers.columns if c not in table.columns and c != customer]
    # The key under a name the table cannot have, so a survey with its own customer_id column keeps it as is.
    key = "\0customer key"
    joined = table.merge(customers[[customer, *extra]].rename(columns={customer: key}), how="left",
                         left_on=respondent, right_on=key).drop(columns=key)
    return joined
