"""The ``cem`` command: argument parsing only; the work is done by the modules.

Exit codes: 0 success, 1 some work failed (a report run), 2 bad input (one line per
problem on stderr, no traceback). ``--debug`` shows the traceback of an unexpected error.
"""
from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from .errors import CemError, InputError

__all__ = ["main"]


def _plural(n, word):
    """'1 step', '3 steps', '2 entities'."""
    if n == 1:
        return f"{n} {word}"
    return f"{n} {word[:-1]}ies" if word.endswith("y") else f"{n} {word}s"


def _cmd_validate(args):
    from .graph import summary
    from .study import check_study

    failed = False
    for path in args.paths:
        try:
            study, warnings = check_study(path)
        except InputError as exc:
            failed = True
            for p in exc.problems:
                print(p, file=sys.stderr)
            for w in exc.warnings:
                print(w, file=sys.stderr)
            continue
        for w in warnings:
            print(w, file=sys.stderr)
        counts = summary(study.graph).query("what == 'kind'")
        text = ", ".join(_plural(c, k) for k, c in zip(counts["name"], counts["count"]))
        data = ", ".join(study.files) or "no data files"
        print(f"{path}: valid: {text}; {data}")
    return 2 if failed else 0


def _cmd_report(args):
    import os

    from .reporting import run_report

    missing = [p for p in args.studies if not Path(p).exists()]
    if missing:
        raise InputError.single(missing[0], "no such study folder or model file")
    if args.scheduler and args.executor != "dask":
        raise CemError("--scheduler is for --executor dask")
    if args.by is not None and not args.by.strip():
        raise CemError("--by: names a column of the studies' data; got an empty name")
    jobs = args.jobs if args.jobs is not None else (os.cpu_count() or 1)
    results = run_report(args.studies, args.out, notebooks_dir=args.notebooks, kernel_name=args.kernel,
                         timeout=args.timeout, echo=lambda line: print(line, file=sys.stderr, flush=True),
                         jobs=jobs, force=args.force, by=args.by, executor=args.executor,
                         scheduler=args.scheduler, pdf=args.pdf, into_existing=args.into_existing)
    failed = [r for r in results if r.status != "ok"]
    print(f"{len(results) - len(failed)} of {len(results)} runs ok; index: {Path(args.out) / 'index.html'}")
    for r in failed:
        print(f"failed: {r.run}: {r.errors[0] if r.errors else 'see its log'}", file=sys.stderr)
    return 1 if failed else 0


def _cmd_export(args):
    from .convert import load_model, write_graphml, write_mermaid, write_node_link
    from .convert import write_model_yaml, write_workbook

    writers = {".graphml": write_graphml, ".json": write_node_link, ".mmd": write_mermaid, ".md": write_mermaid,
               ".xlsx": lambda G, path: write_workbook(G, path), ".yaml": write_model_yaml, ".yml": write_model_yaml}
    suffix = Path(args.file).suffix.lower()
    if suffix not in writers:
        raise InputError.single(args.file, f"unknown export format '{suffix or '(none)'}'; "
                                f"use one of {', '.join(writers)}")
    if _same_file(args.model, args.file) and not args.force:
        raise InputError.single(args.file, "is the model being exported: writing it would replace the source; "
                                "name another file, or pass --force")
    if Path(args.file).exists() and not Path(args.file).is_file():
        raise InputError.single(args.file, "is a folder, not a file")
    G = load_model(args.model)
    path = writers[suffix](G, args.file)
    print(f"wrote {path}")
    return 0


def _same_file(model, target):
    """Whether exporting ``model`` to ``target`` would write over the model's own file."""
    from .readers import find_model_file

    target = Path(target)
    if not target.exists():
        return False
    try:
        source = find_model_file(model)
    except (InputError, OSError):
        return False
    try:
        return Path(source).resolve() == target.resolve() or Path(source).samefile(target)
    except OSError:
        return False


def _synth_folder(args):
    """Where ``cem synth`` writes, checked before anything is generated (issue #15).

    By default a new folder beside the study, ``<study>-synth``, made a complete study (model and
    study.yaml copied in), so a client's data is never mixed with generated data; ``--beside-data``
    writes into the study folder itself, ``--out DIR`` anywhere. A file that would be written over
    (a data file, or a model or study.yaml that differs from the study's own) is refused, naming
    it, unless ``--force``; so is another data file the generated one would shadow
    (events.parquet beside a generated events.csv).
    """
    import filecmp

    from .readers import MODEL_FILES, find_model_file
    from .study import DATA_FILES

    if args.beside_data and args.out is not None:
        raise InputError.single("--beside-data", "writes into the study folder itself; leave out --out DIR")
    model_file = find_model_file(args.study)
    folder = model_file.parent.resolve()
    if args.beside_data:
        if args.log_events:
            raise InputError.single("--beside-data", "a large log is written as a study of its own: name a new "
                                    "folder with --out DIR, or leave both out for a folder beside the study")
        out = model_file.parent
    else:
        out = Path(args.out) if args.out is not None else folder.parent / f"{folder.name}-synth"
        if out.exists() and not out.is_dir():
            raise InputError.single(str(out), "is a file, not a folder; name a folder for the generated data")
    if args.force:
        return out
    generated = ["events.parquet"] if args.log_events else [
        "survey.csv", "customers.csv", "events.csv", "transactions.csv", "synth_truth.json"]
    kinds = {name: key for key, names in DATA_FILES.items() for name in names}
    for name in generated:
        if (out / name).exists():
            raise InputError.single(str(out / name), "exists already: cem synth does not write over data files; "
                                    "name a new folder with --out DIR, or pass --force to replace it")
        key = kinds.get(name)
        for other in DATA_FILES.get(key, ()):
            if other != name and (out / other).exists():
                raise InputError.single(str(out / other), f"is this folder's {key} data; generated {name} beside "
                                        "it would be a second one: name a new folder with --out DIR, or remove it")
    if out.is_dir() and out.resolve() != folder:
        for src in [model_file, folder / "study.yaml"]:
            target = out / src.name
            if target.exists() and src.exists() and not filecmp.cmp(src, target, shallow=False):
                raise InputError.single(str(target), f"exists already and differs from {src}: cem synth copies "
                                        "the study's model and settings there; name a new folder with --out DIR, "
                                        "or pass --force to replace it")
        others = [out / n for n in MODEL_FILES if n != model_file.name and (out / n).exists()]
        if others:
            raise InputError.single(str(others[0]), f"is another model than {model_file.name}: name a new folder "
                                    "with --out DIR")
    return out


def _cmd_synth(args):
    from .synth import write_event_log, write_study_data

    if args.log_events:
        out = _synth_folder(args)
        for p in write_event_log(args.study, out, args.log_events, seed=args.seed, force=args.force):
            print(f"wrote {p}")
        return 0

    names = [x.strip() for x in args.segments.split(",")]
    if len(names) != 2 or not all(names):
        raise InputError.single("--segments", f"expects two names separated by a comma; got '{args.segments}'")
    out = _synth_folder(args)
    paths = write_study_data(args.study, out, n=args.respondents, seed=args.seed, force=args.force,
                             segment_names=tuple(names), customers=args.customers, prospects=args.prospects,
                             purchase_value=args.purchase_value, planted_step=args.planted_step)
    for p in paths:
        print(f"wrote {p}")
    print(f"generated data (not measured: reports of it say so) in {out}")
    return 0


def _cmd_new(args):
    from .scaffold import new_study

    for p in new_study(args.dir, example=args.from_example):
        print(f"wrote {p}")
    return 0


def _cmd_diff(args):
    from .diff import diff_models, diff_summary
    from .convert import load_model

    problems = []
    graphs = []
    for path in (args.a, args.b):
        try:
            graphs.append(load_model(path))
        except InputError as exc:
            problems += exc.problems
    if problems:
        raise InputError(problems)
    diff = diff_models(*graphs)
    if len(diff):
        import pandas as pd

        with pd.option_context("display.max_rows", None, "display.max_colwidth", 60, "display.width", 200):
            print(diff.fillna("").to_string(index=False))
    print(diff_summary(diff))
    return 0


def _cmd_executive(args):
    from .reporting.executive import write_executive

    html, pdf = write_executive(args.run_dir, args.study, previous=args.previous, pdf=not args.no_pdf)
    print(f"wrote {html}" + (f" and {pdf}" if pdf else ""))
    return 0


def _cmd_methods(args):
    from .reporting.methods import write_methods_report

    data = Path(args.data)
    page = write_methods_report(args.out, cdnow=data / "data/external/cdnow/CDNOW_sample.txt",
                                grocery=data / "tests/data/grocery/groceryElog.csv",
                                donations=data / "tests/data/donations/donations.csv", kernel_name=args.kernel)
    print(f"wrote {page}")
    return 0


def build_parser():
    """The argument parser of the ``cem`` command."""
    parser = argparse.ArgumentParser(prog="cem", description="Jobs-to-be-Done customer-experience modelling.")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of unexpected errors")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("validate", help="check a study folder or model file; list every problem")
    p.add_argument("paths", nargs="+", metavar="PATH", help="study folder or model.yaml")
    p.set_defaults(func=_cmd_validate)

    p = sub.add_parser("report", help="run the notebook suite on studies and write an HTML report folder")
    p.add_argument("studies", nargs="+", metavar="STUDY", help="study folders")
    p.add_argument("--out", required=True, metavar="DIR", help="report folder (index.html and one folder per run)")
    p.add_argument("--kernel", default="cem", help="Jupyter kernel name (default: cem, this environment's)")
    p.add_argument("--notebooks", default=None, metavar="DIR", help="folder of the notebook suite")
    p.add_argument("--by", default=None, metavar="COLUMN",
                   help="one run per value of this column of the studies' customers.csv (or survey, events)")
    p.add_argument("--timeout", type=float, default=600, metavar="SECONDS",
                   help="longest a cell may run, above 0; past it the run fails (default 600)")
    p.add_argument("--jobs", type=int, default=None, metavar="N", help="runs at once, 1 to 256 (default: the cores)")
    p.add_argument("--executor", choices=("local", "dask"), default="local",
                   help="local worker processes, or a Dask cluster (dask.distributed)")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="a running Dask scheduler, tcp://host:8786 (default: a local cluster of --jobs workers)")
    p.add_argument("--force", action="store_true",
                   help="run every run again; by default a run DIR holds, good and made from the same inputs "
                        "(by content: model, data, study.yaml, notebooks; cem's version), is reused")
    p.add_argument("--resume", action="store_true",
                   help="kept for old scripts: reusing what is complete and unchanged is the default now")
    p.add_argument("--pdf", action="store_true", help="also print every report to PDF (needs Chromium)")
    p.add_argument("--into-existing", action="store_true",
                   help="write into a non-empty folder that cem did not make (cem touches only what it writes)")
    p.set_defaults(func=_cmd_report)

    p = sub.add_parser("executive", help="write a run's executive summary for the client: one HTML page and its PDF")
    p.add_argument("run_dir", metavar="RUN_DIR", help="a finished run's folder (REPORT_DIR/<run>)")
    p.add_argument("--study", default=None, metavar="STUDY",
                   help="the study folder the run was made from (default: the one its run.json names)")
    p.add_argument("--previous", default=None, metavar="MODEL",
                   help="an earlier version of the model (model file or study folder): say what changed")
    p.add_argument("--no-pdf", action="store_true", help="write the HTML page only (no Chromium needed)")
    p.set_defaults(func=_cmd_executive)

    p = sub.add_parser("methods", help="cem's models on real published data (CDNOW, grocery, sBG cohorts, donors): "
                                       "the methods report, kept apart from client reports")
    p.add_argument("--out", required=True, metavar="DIR", help="the methods report's folder")
    p.add_argument("--data", default=".", metavar="DIR",
                   help="the cem source checkout holding the published data sets (default: the current folder)")
    p.add_argument("--kernel", default="cem", help="Jupyter kernel name (default: cem, this environment's)")
    p.set_defaults(func=_cmd_methods)

    p = sub.add_parser("new", help="start a study: a model workbook with dropdowns, study.yaml, a survey template")
    p.add_argument("dir", metavar="DIR", help="the new study folder (must not hold a model yet)")
    p.add_argument("--from", dest="from_example", default=None, metavar="EXAMPLE",
                   help="start from an example study (solar, payroll) or a study folder, instead of the starter")
    p.set_defaults(func=_cmd_new)

    p = sub.add_parser("diff", help="what changed between two versions of a model")
    p.add_argument("a", metavar="A", help="the model before (study folder or model.yaml)")
    p.add_argument("b", metavar="B", help="the model after")
    p.set_defaults(func=_cmd_diff)

    p = sub.add_parser("export", help="write a model as a workbook (.xlsx), YAML (.yaml), GraphML (.graphml), "
                                      "node-link JSON (.json) or Mermaid (.mmd, .md)")
    p.add_argument("model", metavar="MODEL", help="study folder or model.yaml")
    p.add_argument("file", metavar="FILE", help="output file; its extension picks the format")
    p.add_argument("--force", action="store_true", help="write over the model's own file")
    p.set_defaults(func=_cmd_export)
    p = sub.add_parser("synth", help="generate example data with planted effects for a study's model")
    p.add_argument("study", metavar="STUDY", help="study folder whose model the data is for")
    p.add_argument("--out", default=None, metavar="DIR",
                   help="the new study folder to write (default: STUDY-synth beside the study)")
    p.add_argument("--beside-data", action="store_true",
                   help="write into the study folder itself, beside its data (files that exist need --force)")
    p.add_argument("--respondents", type=int, default=400, help="survey respondents (default 400)")
    p.add_argument("--customers", type=int, default=2000, help="customers, respondents included (default 2000)")
    p.add_argument("--prospects", type=int, default=1000, help="people in the events who never buy (default 1000)")
    p.add_argument("--purchase-value", type=float, default=1000.0, help="typical first purchase (default 1000)")
    p.add_argument("--planted-step", default=None, metavar="STEP",
                   help="step whose experience drives churn (default: the first setup/receive/use step)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--segments", default="mainstream,demanding", metavar="REST,PLANTED",
                   help="names of the two segments in customers.csv (default mainstream,demanding)")
    p.add_argument("--log-events", type=int, default=0, metavar="N",
                   help="instead, write a large event log of N events (events.parquet) for scale tests")
    p.add_argument("--force", action="store_true", help="write over data files (and a model, study.yaml) that exist")
    p.set_defaults(func=_cmd_synth)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse has said what is wrong (usage and error, exit 2) or printed help
        return exc.code if isinstance(exc.code, int) else 2
    try:
        return args.func(args)
    except InputError as exc:
        for p in exc.problems:
            print(p, file=sys.stderr)
        return 2
    except CemError as exc:
        print(f"cem: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM/SIGHUP during a batch (reporting.Stopped)
        signum = getattr(exc, "signum", 2)
        print("cem: interrupted" if signum == 2 else f"cem: stopped by signal {signum}", file=sys.stderr)
        return 128 + signum
    except Exception as exc:  # a bug: say so in one line unless asked for the traceback
        if args.debug:
            raise
        print(f"cem: internal error: {type(exc).__name__}: {exc} (run with --debug for the traceback)",
              file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
