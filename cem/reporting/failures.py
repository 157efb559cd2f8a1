"""What a failed run says, and only what it may say.

Where a notebook failed (:func:`_cell_failure`: the cell with an error output, or the last cell
that started when the kernel died or a cell ran past its timeout), as one line for the index and
details for the log; and the customer ids a failure's text quotes, replaced by their pseudonyms
(:func:`_pseudonymise_failure`) before they reach index.html, run.json or log.txt.
"""
from __future__ import annotations

import re
from pathlib import Path

def _strip_ansi(text):
    return re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", text)


def _cell_failure(nb_path, exc=None):
    """Where an executed notebook failed: ``(summary line, details for the log)``.

    The cell with an error output when there is one; otherwise (a kernel that died, a cell past
    its timeout) the last cell that started, with the exception that stopped the run.
    """
    import nbformat

    reason = f"{type(exc).__name__}: {_last_line(exc)}" if exc is not None else "failed"
    if "DeadKernel" in type(exc).__name__:
        reason += " (the kernel was killed: by the system when it ran out of memory, or by a signal)"
    # A timeout interrupts the kernel, which leaves a KeyboardInterrupt in the cell: name the timeout.
    timed_out = isinstance(exc, TimeoutError) or "Timeout" in type(exc).__name__
    if timed_out:
        reason = f"{type(exc).__name__}: the cell ran past the time limit (--timeout)"
    try:
        nb = nbformat.read(str(nb_path), as_version=4)
    except Exception:  # the notebook may not have been written at all
        return reason, reason
    started = None
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error" and not timed_out:
                trace = _strip_ansi("\n".join(out.get("traceback", [])))
                first = _first_code_line(cell.source)
                what = _strip_ansi(str(out.get("evalue"))) or ("the notebook ran out of memory"
                                                                  if out.get("ename") == "MemoryError" else "")
                return (f"cell {i} ({first}): {out.get('ename')}: {what}",
                        f"cell {i}:\n{cell.source}\n\n{trace}")
        if (cell.metadata.get("papermill") or {}).get("start_time"):
            started = i
    if started is None:
        return reason, reason
    cell = nb.cells[started]
    return (f"cell {started} ({_first_code_line(cell.source)}): {reason}",
            f"cell {started}:\n{cell.source}\n\n{reason}")


def _first_code_line(source):
    lines = [ln.strip() for ln in source.splitlines() if ln.strip() and not ln.strip().startswith("#")]
    line = lines[0] if lines else ""
    return line if len(line) <= 60 else line[:57] + "..."


def _last_line(exc):
    lines = [ln for ln in _strip_ansi(str(exc)).strip().splitlines() if ln.strip()]
    return lines[-1].strip() if lines else type(exc).__name__


def _pseudonymise_failure(result, log_lines, study_path):
    """Replace the customer ids a failure's messages quote by their pseudonyms (:mod:`cem.privacy`).

    Error texts go to index.html, run.json and log.txt, which travel with the report; the
    pseudonym lets the consultant, who holds the key, find the row. Ids of every length are
    replaced (:func:`cem.privacy.scrub_ids`), from every data file, XES logs and the columns
    study.yaml maps to ``customer_id`` / ``respondent_id`` included.
    """
    from ..privacy import pseudonym_key, scrub_ids

    config = {}
    try:
        from ..readers import read_yaml

        sy = Path(study_path) / "study.yaml"
        config = (read_yaml(sy, "study settings")[0] or {}) if sy.is_file() else {}
    except Exception:  # unreadable settings: a random key still hides the ids
        config = {}
    config = config if isinstance(config, dict) else {}
    ids = _customer_ids(study_path, _mapped_id_columns(config))
    if not ids:
        return
    key, _ = pseudonym_key(config)
    result.errors = [scrub_ids(e, ids, key) for e in result.errors]
    log_lines[:] = [scrub_ids(line, ids, key) for line in log_lines]


#: Columns that hold the id of a customer or respondent in a study's data files.
_ID_COLUMNS = ("customer_id", "respondent_id", "case:concept:name", "case_id", "ResponseId")


def _mapped_id_columns(config):
    """The columns of the data files that study.yaml's ``mappings`` name as customer or respondent ids."""
    found = []
    mappings = config.get("mappings") if isinstance(config.get("mappings"), dict) else {}
    for section in mappings.values():
        if isinstance(section, dict):
            found += [str(v) for k, v in section.items() if k in ("customer_id", "respondent_id", "case_id")
                      and isinstance(v, (str, int))]
    return tuple(found)


def _customer_ids(study_path, more_columns=()):
    """Every customer or respondent id in a study's data files (a set of strings): the id columns
    (:data:`_ID_COLUMNS` and ``more_columns``) of its CSV and Parquet files, and the case ids
    (trace ``concept:name``) of its XES logs."""
    import pandas as pd

    columns = set(_ID_COLUMNS) | set(more_columns)

    folder = Path(study_path)
    folder = folder if folder.is_dir() else folder.parent
    ids = set()
    for path in folder.iterdir():
        name = path.name.lower()
        if path.is_symlink() or not path.is_file():
            continue
        try:
            if name.endswith(".csv"):
                table = pd.read_csv(path, dtype=str, sep=None, engine="python", encoding_errors="replace",
                                    usecols=lambda c: str(c).strip() in columns) \
                    if path.stat().st_size < 5_000_000 else \
                    pd.read_csv(path, dtype=str, encoding_errors="replace",
                                usecols=lambda c: str(c).strip() in columns)
            elif name.endswith(".parquet"):
                import pyarrow.parquet as pq

                cols = [c for c in pq.read_schema(path).names if c in columns]
                table = pq.read_table(path, columns=cols).to_pandas() if cols else None
            elif name.endswith((".xes", ".xes.gz")):
                from ..readers.xes import read_xes

                log = read_xes(path)[0]
                table = log[[c for c in log.columns if c in columns]]
            else:
                continue
        except Exception:  # a file the readers refused: its ids stay unknown
            continue
        if table is not None:
            for col in table.columns:
                ids.update(v.strip() for v in table[col].dropna().astype(str))
    ids.discard("")
    return ids
