"""Read and write models and study folders.

Reading is defensive: a model file is refused with a clear :class:`cem.errors.InputError`
when it is missing, empty, binary, too large, not UTF-8, malformed YAML, or expanded by YAML
aliases past a million values (a "billion laughs" document); YAML is parsed with the safe loader only. Every
problem of a readable model is collected by :mod:`cem.validate` and raised once.

A *study folder* holds ``model.yaml`` (or ``model.yml``), an optional ``study.yaml`` with
the study's settings, and optional measured data (``survey.csv``, ``events.csv``,
``transactions.csv``, ``customers.csv``), see :data:`DATA_FILES`.
"""
from __future__ import annotations

import json
import re
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import networkx as nx
import yaml

from . import validate
from .errors import InputError, Problem
from .graph import build_graph
from .schema import suggest

__all__ = [
    "Study",
    "load_model",
    "load_study",
    "check_study",
    "try_load_study",
    "problems_table",
    "problems_markdown",
    "read_yaml",
    "find_model_file",
    "write_graphml",
    "write_node_link",
    "to_mermaid",
    "write_mermaid",
    "read_csv",
    "line_list",
    "decode_text",
    "max_data_bytes",
    "MODEL_FILES",
    "DATA_FILES",
    "MAX_MODEL_BYTES",
    "MAX_YAML_NODES",
]

#: File names a study folder's model may have, in order of preference.
MODEL_FILES = ("model.yaml", "model.yml", "model.xlsx")

#: Optional measured data of a study: key -> accepted file names.
DATA_FILES = {
    "survey": ("survey.csv",),
    "events": ("events.csv", "events.parquet", "events.xes", "events.xes.gz"),
    "transactions": ("transactions.csv",),
    "customers": ("customers.csv",),
}

#: Model files above this size are refused before parsing (a model is a few hundred rows).
MAX_MODEL_BYTES = 20 * 1024 * 1024

#: Data files (survey, events, transactions) above this size are refused before reading;
#: the environment variable CEM_MAX_INPUT_BYTES sets another limit.
MAX_DATA_BYTES = 2 * 1024 ** 3


def max_data_bytes():
    """The size limit of data files: ``CEM_MAX_INPUT_BYTES`` if set, else :data:`MAX_DATA_BYTES`."""
    value = os.environ.get("CEM_MAX_INPUT_BYTES", "")
    return int(value) if value.strip().isdigit() else MAX_DATA_BYTES


def check_size(path, size, what):
    """Refuse a data file (or its decompressed content) larger than :func:`max_data_bytes`."""
    limit = max_data_bytes()
    if size > limit:
        raise InputError.single(str(path), f"is {size / 2**20:,.0f} MiB{' decompressed' if what == 'xes' else ''}; "
                                f"data files may be at most {limit / 2**20:,.0f} MiB (set CEM_MAX_INPUT_BYTES to "
                                "allow more, or split the file)")


#: A document whose aliases expand it past this many nodes is refused (a "billion laughs").
MAX_YAML_NODES = 1_000_000

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
        the data loaders keep the rows of those customers (see :mod:`cem.segments`).
    """

    path: Path
    name: str
    graph: nx.MultiDiGraph
    config: dict = field(default_factory=dict)
    files: dict = field(default_factory=dict)
    warnings: list = field(default_factory=list)
    segment: tuple | None = None

    @property
    def title(self):
        """The study's title: study.yaml's title, else the model's name; and the segment, if any."""
        title = self.config.get("title") or self.graph.graph.get("name") or self.name
        return f"{title} ({self.segment[0]} = {self.segment[1]})" if self.segment else title

    def missing(self):
        """Keys of :data:`DATA_FILES` this study has no file for."""
        return [k for k in DATA_FILES if k not in self.files]


def decode_text(raw, file):
    """Text of a file's bytes, and a warning when it was not plain UTF-8.

    UTF-8 (with or without a byte-order mark) is read as is; UTF-16 with its byte-order mark is
    read with a warning; anything else that is not UTF-8 is read as Latin-1 with a warning. A
    file with NUL bytes and no UTF-16 mark is binary: None.

    Examples
    --------
    >>> decode_text("café".encode("latin-1"), "f.csv")[1][0].message
    'is not UTF-8 (byte 3); read as Latin-1: check accented names'
    """
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return raw.decode("utf-16"), [Problem(file, "", "is UTF-16; read it as such (save as UTF-8 to "
                                                  "avoid this warning)", "warning")]
        except UnicodeDecodeError:
            return None, []
    if b"\x00" in raw[:8192]:
        return None, []
    try:
        return raw.decode("utf-8-sig"), []
    except UnicodeDecodeError as exc:
        return raw.decode("latin-1"), [Problem(file, "", f"is not UTF-8 (byte {exc.start}); read as Latin-1: "
                                               "check accented names", "warning")]


def _read_text(path, what="model"):
    """The text of a file and its warnings, or an InputError saying plainly why it cannot be read."""
    p = Path(path)
    if not p.exists():
        raise InputError.single(str(path), "no such file or folder")
    if p.is_dir():
        raise InputError.single(str(path), f"is a folder; expected a {what} file")
    size = p.stat().st_size
    if size > MAX_MODEL_BYTES:
        raise InputError.single(str(path), f"is {size / 2**20:.0f} MiB; a {what} file may be at most "
                                f"{MAX_MODEL_BYTES / 2**20:.0f} MiB")
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise InputError.single(str(path), f"cannot be read: {exc.strerror}") from None
    text, warnings = decode_text(raw, str(path))
    if text is None:
        raise InputError.single(str(path), f"is a binary file, not a YAML {what}")
    if not text.strip():
        raise InputError.single(str(path), f"is empty; expected a YAML {what}")
    return text, warnings


def _expanded_size(node, memo):
    """Number of nodes the document has once every alias is expanded (memoised, so cheap)."""
    key = id(node)
    if key not in memo:
        memo[key] = 0  # a cycle counts once; PyYAML's safe loader builds it as a shared object
        if isinstance(node, yaml.MappingNode):
            children = [n for pair in node.value for n in pair]
        elif isinstance(node, yaml.SequenceNode):
            children = node.value
        else:
            children = []
        total = 1
        for child in children:
            total += _expanded_size(child, memo)
            if total > MAX_YAML_NODES:
                break
        memo[key] = total
    return memo[key]


def _line_index(node, path=(), out=None):
    """Map each key path of a composed YAML document to its 1-based line."""
    if out is None:
        out = {}
    out.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            key = k.value if isinstance(k, yaml.ScalarNode) else str(k.start_mark.line)
            out[path + (key,)] = k.start_mark.line + 1
            _line_index(v, path + (key,), out)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _line_index(item, path + (i,), out)
    return out


def read_yaml(path, what="model"):
    """Read a YAML file safely, keeping the line of every key.

    Parameters
    ----------
    path : str or Path
    what : str
        What the file should hold, for messages.

    Returns
    -------
    data : object
        The parsed document.
    locate : callable
        ``locate(path, key) -> "line: key"``, the locator :mod:`cem.validate` uses.
    warnings : list of Problem
        About the file's encoding, when it was not UTF-8.

    Raises
    ------
    InputError
        Missing, empty, binary or malformed file.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "m.yaml"
    >>> _ = f.write_text("model:\\n  name: Demo\\njobs:\\n  - {id: J, name: x}\\n")
    >>> data, locate, warnings = read_yaml(f)
    >>> locate(("jobs", 0, "name"), "jobs[J].name")
    '4: jobs[J].name'
    """
    text, warnings = _read_text(path, what)
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        if node is not None and _expanded_size(node, {}) > MAX_YAML_NODES:
            raise InputError.single(str(path), f"expands to more than {MAX_YAML_NODES:,} values through YAML "
                                    "aliases (&anchor / *alias); write the values out instead")
        data = yaml.SafeLoader(text).get_single_data() if node is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = str(mark.line + 1) if mark is not None else ""
        what_wrong = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        context = getattr(exc, "context", None)
        cmark = getattr(exc, "context_mark", None)
        if context and cmark is not None and mark is not None and cmark.line != mark.line:
            context = f"{context} that starts at line {cmark.line + 1}"
        detail = f"{what_wrong} ({context})" if context else what_wrong
        raise InputError.single(str(path), f"malformed YAML: {detail}", line) from None
    except RecursionError:
        raise InputError.single(str(path), "YAML nested too deeply") from None
    lines = _line_index(node) if node is not None else {}

    def locate(key_path, key):
        for n in range(len(key_path), -1, -1):
            line = lines.get(tuple(key_path[:n]))
            if line is not None:
                return f"{line}: {key}" if key else str(line)
        return key

    return data, locate, warnings


def find_model_file(path):
    """The model file of a study folder, or the path itself when it is a file.

    Raises
    ------
    InputError
        The path does not exist, or the folder holds no model file.
    """
    p = Path(path)
    if not p.exists():
        raise InputError.single(str(path), "no such file or folder")
    if p.is_file():
        return p
    for name in MODEL_FILES:
        if (p / name).is_file():
            return p / name
    raise InputError.single(str(path), f"holds no model: expected one of {', '.join(MODEL_FILES)}")


def _model_from_file(path):
    """Graph and warnings of a model file; raises InputError with every problem."""
    path = Path(path)
    if path.suffix.lower() == ".xlsx":
        from .workbook import read_workbook

        data, locate = read_workbook(path)
        read_warnings = []
    else:
        data, locate, read_warnings = read_yaml(path)
    file = str(path)
    tables, problems, warnings = validate.check_tables(data, file, locate, default_name=path.parent.name
                                                       if path.stem == "model" else path.stem)
    warnings = read_warnings + warnings
    if problems:
        raise InputError(problems, warnings)
    G = build_graph(tables, source=file)
    problems = validate.check_structure(G, tables, file, locate)
    if problems:
        raise InputError(problems, warnings)
    return G, warnings


def load_model(path):
    """Read and validate a model; return its graph.

    Parameters
    ----------
    path : str or Path
        A model YAML file, or a study folder holding one.

    Returns
    -------
    networkx.MultiDiGraph
        Every node has ``kind``, every edge ``relation`` (also its key).

    Raises
    ------
    InputError
        With every problem of the model, one per line ``file:line: key: what is wrong``.

    Examples
    --------
    >>> import cem
    >>> G = cem.load_model("data/examples/solar")  # doctest: +SKIP
    >>> G.nodes["S_quote"]["stage"]  # doctest: +SKIP
    'evaluate'
    """
    G, _ = _model_from_file(find_model_file(path))
    return G


def _check_study_config(data, file, locate):
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
        if kind == "mapping":
            ok = isinstance(value, dict)
        elif kind == "str":
            ok = isinstance(value, (str, int, float)) and not isinstance(value, bool)
            value = str(value) if ok else value
        else:
            ok = isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0 and (
                kind != "rate" or value <= 1)
        if not ok:
            problems.append(Problem(file, where, f"{key} must be {doc}; got {value!r}"))
            continue
        clean[key] = value
    return clean, problems


def load_study(path, segment=None):
    """Load a study folder: its model (validated), its settings and which data files it has.

    Parameters
    ----------
    path : str or Path
        A study folder, or a model file (a study of the model alone).
    segment : str or tuple, optional
        ``"column=value"`` or ``(column, value)``: look at the customers of one segment only
        (a column of customers.csv, or of the survey or events). None: every customer.

    Returns
    -------
    Study

    Raises
    ------
    InputError
        Every problem of the model and of study.yaml, together.
    """
    p = Path(path)
    model_file = find_model_file(p)
    folder = p if p.is_dir() else model_file.parent
    problems, warnings = [], []
    G = None
    try:
        G, warnings = _model_from_file(model_file)
    except InputError as exc:
        problems += exc.problems
        warnings += exc.warnings
    config = {}
    study_file = folder / "study.yaml"
    if p.is_dir() and study_file.exists():
        try:
            data, locate, more_warnings = read_yaml(study_file, what="study settings")
            warnings += more_warnings
            config, more = _check_study_config(data, str(study_file), locate)
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
    from .segments import parse_segment

    return Study(path=folder, name=folder.name if p.is_dir() else model_file.stem, graph=G,
                 config=config, files=files, warnings=warnings, segment=parse_segment(segment))


def check_study(path, segment=None):
    """Load a study and check every data file in it that cem reads; raise once with all problems.

    With ``segment`` (see :func:`load_study`), also check that the segment has customers.

    Returns
    -------
    study : Study
    warnings : list of Problem
        The model's warnings and those of the data files.

    Raises
    ------
    InputError
    """
    from . import clv as _clv, journeys as _journeys, survey as _survey

    study = load_study(path, segment)
    maps = study.config.get("mappings") or {}
    problems, warnings = [], list(study.warnings)
    readers = {
        "survey": lambda f: _survey.read_survey(f, study.graph, maps.get("survey")),
        "customers": _survey.read_customers,
        "events": lambda f: _journeys.read_events(f, study.graph, maps.get("events")),
        "transactions": _clv.read_transactions,
    }
    for key, reader in readers.items():
        if key in study.files:
            try:
                warnings += reader(study.files[key])[1]
            except InputError as exc:
                problems += exc.problems
                warnings += exc.warnings
    if study.segment and not problems:
        from .segments import segment_values

        column, value = study.segment
        try:
            values = segment_values(study, column)
            if value not in values:
                problems.append(Problem(str(study.path), column, f"no customer has {column} = '{value}'; its values "
                                        f"are {', '.join(values[:12])}" + (" ..." if len(values) > 12 else "")))
        except InputError as exc:
            problems += exc.problems
    if problems:
        raise InputError(problems, warnings)
    return study, warnings


def try_load_study(path):
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


def problems_table(problems):
    """Problems as a DataFrame (file, where, what, severity) to show in a notebook."""
    import pandas as pd

    return pd.DataFrame([(Path(p.file).name, p.location, p.message, p.severity) for p in problems],
                        columns=["file", "where", "what", "severity"])


def problems_markdown(problems):
    """Problems as a Markdown list, in full and HTML-escaped, for a workshop notebook.

    Examples
    --------
    >>> print(problems_markdown([Problem("m.xlsx", "Steps!E3", "stage 'x' is not one of ...")]))
    - **m.xlsx, Steps!E3**: stage 'x' is not one of ...
    """
    import html

    return "\n".join(f"- **{html.escape(Path(p.file).name)}, {html.escape(p.location)}**: "
                      f"{html.escape(p.message, quote=False)}" for p in problems)


def _atomic_write_text(path, text):
    """Write a file through a temporary file in the same folder, so a crash leaves no half file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_graphml(G, path):
    """Write the graph as GraphML (for Gephi, yEd, Cytoscape).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> G = nx.MultiDiGraph(name="demo"); _ = G.add_edge("t", "s", key="serves", relation="serves")
    >>> p = write_graphml(G, pathlib.Path(tempfile.mkdtemp()) / "m.graphml")
    >>> sorted(nx.read_graphml(p, force_multigraph=True).edges(keys=True))
    [('t', 's', 'serves')]
    """
    lines = nx.generate_graphml(G, named_key_ids=True)
    return _atomic_write_text(path, "\n".join(lines) + "\n")


def write_node_link(G, path):
    """Write the graph as node-link JSON (d3, networkx ``node_link_graph``)."""
    data = nx.node_link_data(G, edges="edges")
    return _atomic_write_text(path, json.dumps(data, indent=1, ensure_ascii=False) + "\n")


def line_list(lines, limit=5):
    """File lines named in a problem: the first ``limit``, then how many more.

    Examples
    --------
    >>> line_list([9, 2, 3, 4, 5, 6, 7])
    '2,3,4,5,6 (+2 more)'
    """
    lines = sorted(int(x) for x in lines)
    head = ",".join(str(x) for x in lines[:limit])
    return head + (f" (+{len(lines) - limit} more)" if len(lines) > limit else "")


def read_csv(path, what="table"):
    """Read a CSV file as text cells, refusing plainly what cannot be read.

    Every cell is kept as a string (blank cells as ""), so validation sees exactly what the
    file holds: ``"4"``, ``"four"`` and ``""`` are different problems. UTF-8 (with or
    without a byte-order mark) is read as is; UTF-16 with its mark, Latin-1, and files separated
    by semicolons or tabs are read with a warning saying so (:func:`decode_text`).

    Parameters
    ----------
    path : str or Path
    what : str
        What the file should hold, for messages.

    Returns
    -------
    table : pandas.DataFrame
        Column names stripped of surrounding spaces.
    warnings : list of Problem

    Raises
    ------
    InputError
        Missing, empty, binary or unparseable file.
    """
    import io as _io

    import pandas as pd

    p = Path(path)
    if not p.is_file():
        raise InputError.single(str(path), "no such file" if not p.exists() else f"is a folder; expected a {what} CSV file")
    check_size(path, p.stat().st_size, what)
    raw = p.read_bytes()
    if not raw.strip():
        raise InputError.single(str(path), f"is empty; expected a {what} CSV file with a header row")
    text, warnings = decode_text(raw, str(path))
    if text is None:
        raise InputError.single(str(path), f"is a binary file, not a {what} CSV file (a spreadsheet? save it as "
                                "CSV UTF-8)")
    header = text.lstrip("\ufeff").split("\n", 1)[0]
    sep = ","
    if "," not in header:
        for other, name in ((";", "semicolons"), ("\t", "tabs")):
            if other in header:
                sep = other
                warnings.append(Problem(str(path), "1", f"separates fields with {name}, not commas; read it so",
                                        "warning"))
                break
    try:
        table = pd.read_csv(_io.StringIO(text), dtype=str, keep_default_na=False, skipinitialspace=True, sep=sep)
    except pd.errors.ParserError as exc:
        line = re.search(r"line (\d+)", str(exc))
        raise InputError.single(str(path), f"is not a well-formed CSV file: {str(exc).strip()}",
                                line.group(1) if line else "") from None
    except pd.errors.EmptyDataError:
        raise InputError.single(str(path), f"is empty; expected a {what} CSV file with a header row") from None
    table.columns = [str(c).strip() for c in table.columns]
    return table, warnings


def to_mermaid(G, direction="LR"):
    """The journey as a Mermaid flowchart, for Markdown docs (JupyterLab and GitHub render it).

    Customer steps are grouped by lifecycle stage in subgraphs and joined by the designed order;
    company steps are joined to the customer steps they support with dotted links. Labels are
    quoted and stripped of characters Mermaid would read as syntax.

    Examples
    --------
    >>> G = nx.MultiDiGraph()
    >>> G.add_node("J", kind="job", performer="customer")
    >>> G.add_node("S1", kind="step", job="J", position=1, stage="use", name='Ride "fast"')
    >>> _ = G.add_edge("J", "S1", key="has_step")
    >>> print(to_mermaid(G))
    flowchart LR
      subgraph use["use"]
        S1["Ride 'fast'"]
      end
    """
    from .graph import company_jobs, job_steps, journey_steps

    def label(n):
        text = str(G.nodes[n].get("name") or G.nodes[n].get("statement") or n)
        return text.replace('"', "'").replace("\n", " ").replace("<", "(").replace(">", ")")

    def ident(n):
        return re.sub(r"\W", "_", str(n))

    lines = [f"flowchart {direction}"]
    steps = journey_steps(G)
    stages = []
    for s in steps:
        st = G.nodes[s].get("stage", "")
        if not stages or stages[-1][0] != st:
            stages.append((st, []))
        stages[-1][1].append(s)
    for i, (st, members) in enumerate(stages):
        lines.append(f'  subgraph {ident(st)}{"_" + str(i) if [x for x, _ in stages].count(st) > 1 else ""}["{st}"]')
        lines += [f'    {ident(s)}["{label(s)}"]' for s in members]
        lines.append("  end")
    for u, v, k in G.edges(keys=True):
        if k == "next" and u in steps and v in steps:
            lines.append(f"  {ident(u)} --> {ident(v)}")
    for job in company_jobs(G):
        for c in job_steps(G, job):
            lines.append(f'  {ident(c)}(["{label(c)}"])')
            for _, v, k in G.out_edges(c, keys=True):
                if k == "supports":
                    lines.append(f"  {ident(c)} -.-> {ident(v)}")
    return "\n".join(lines)


def write_mermaid(G, path):
    """Write :func:`to_mermaid` to a file (``.mmd``; ``.md`` gets a fenced block)."""
    text = to_mermaid(G)
    if str(path).endswith(".md"):
        text = f"```mermaid\n{text}\n```"
    return _atomic_write_text(path, text + "\n")
