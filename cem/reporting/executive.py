"""The executive deliverable of a run: one HTML page and its PDF that a client reads in ten minutes.

:func:`write_executive` reads what the run already computed (``metrics.json``: the value model and
the summary's priorities; ``tables/fix_first.csv``; the journey map figure) and the study it was
made from, and writes ``executive.html`` and ``executive.pdf`` into the run's folder:

1. the client's name, logo and colours (study.yaml's ``client`` and ``brand:``, see
   :mod:`cem.readers.brand`), and a banner when the data is generated (``cem synth``);
2. the summary: the base value with its 95 % interval and the things to fix first;
3. the journey map (the run's ``figures/journey_map.png``, drawn anew when missing);
4. the top opportunities (needs, from the survey: :func:`cem.needs.opportunity`);
5. value at stake per step from the run's one value model, each with its 95 % interval: a step
   whose interval includes zero is shown as "no measurable effect", one whose interval is below
   zero as "no measurable gain", never as a negative amount;
6. what changed against an earlier model (:func:`cem.diff.diff_models`; elements of the model and
   links between them, by name) when one is given,
   otherwise one sentence saying no comparison was made;
7. the data it rests on (:func:`cem.provenance.data_provenance`), the model's version and hash
   and cem's version; a glossary of every term and abbreviation the page uses; the run's detailed
   reports as appendices (links).

Names, never ids: every step and need is shown by its name or statement. Money is in the study's
currency with thousands separators. The page is rendered from ``templates/executive.html.j2``
(autoescaped, the report pages' Content-Security-Policy, images embedded as data URIs) with a
print stylesheet (A4, the journey map on a landscape page, tables never cut inside a row), and
printed by headless Chromium (:func:`cem.reporting.browser.print_pdf`).
"""
from __future__ import annotations

import base64
import functools
import json
import math
import re
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from ..errors import CemError

if TYPE_CHECKING:
    from ..study import Study

__all__ = ["write_executive", "executive_content", "render_executive", "format_money", "stake_verdict", "score",
           "GLOSSARY", "EXECUTIVE_NAME"]

#: File name (without suffix) of the deliverable in a run's folder.
EXECUTIVE_NAME = "executive"

#: The detailed reports of a run, in a client's words, by notebook.
_REPORT_TITLES = {
    "00_summary": "What to fix first, with its evidence",
    "01_journey_model": "The journey model and the gaps in its design",
    "02_needs_opportunities": "Customer needs and opportunities (survey)",
    "03_value_by_step": "Experience and value step by step",
    "04_lifetime_value": "Customer lifetime value and value at stake",
    "05_actual_vs_designed": "The journey as customers live it, against the design",
}

#: cem's colours when study.yaml names none: primary, accent.
_DEFAULT_COLOURS = ["#1f4e79", "#e07b00"]

_SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥", "CHF": "CHF ", "INR": "₹"}

#: Terms and abbreviations the page may use -> (what triggers it in the page's text, its explanation).
#: Only those the page uses are printed.
GLOSSARY = {
    "Customer lifetime value (CLV)": (
        r"lifetime value|\bCLV\b",
        "The margin a customer is expected to bring over the study's horizon, discounted to today's money."),
    "Base value": (
        r"base value",
        "The lifetime value of the whole customer base as it is today: the sum over all customers."),
    "Value at stake": (
        r"value at stake",
        "How much the base value would grow if every customer who rated a step below the target rated it at the "
        "target, through the effect of that step's experience on how long customers stay, as fitted on the data."),
    "95 % interval": (
        r"interval",
        "The range that holds the true figure with 95 % confidence, given the data; a wide range means the data "
        "pins the figure down only loosely."),
    "No measurable effect": (
        r"no measurable effect",
        "The 95 % interval of a value at stake includes zero: the data cannot tell whether improving the step "
        "changes how long customers stay."),
    "No measurable gain": (
        r"no measurable gain",
        "The whole 95 % interval is below zero: in the fitted model better ratings go with customers leaving "
        "sooner. With many steps, one such result can arise by chance; it is not a reason to act on the step."),
    "Step": (r"\bsteps?\b", "One stage of the job the customer is trying to get done, in the order it is done."),
    "Stage": (r"\bstage\b", "Where a step sits in the customer's life with the product: awareness, search, evaluate, "
              "purchase, receive, set-up, use, get help, maintain, renew, dispose, next cycle."),
    "Touchpoint": (r"touchpoint", "A point of contact between the customer and the company: a web page, a call, "
                   "a visit, a letter."),
    "Journey map": (r"journey map", "The customer's steps from left to right, with the company's supporting steps, "
                    "the people involved and the touchpoints below each step."),
    "Need (desired outcome)": (r"\bneeds?\b", "What a customer wants from a step, written as a measurable outcome "
                               "such as 'Minimize the time it takes to get a firm price'."),
    "Importance (I)": (r"importance", "10 x the share of respondents who rate a need 4 or 5 on a 1-5 importance "
                       "scale (0 to 10)."),
    "Satisfaction (S)": (r"satisfaction", "10 x the share of respondents who rate their satisfaction with a need "
                         "4 or 5 on a 1-5 scale (0 to 10)."),
    "Opportunity score (Opp)": (
        r"opportunity",
        "Importance + the part of importance that satisfaction does not reach: I + max(I - S, 0), from 0 to 20. "
        "Above 10 a need is underserved, above 12 a high opportunity, above 15 an extreme one."),
    "Overserved": (r"overserved", "A need whose satisfaction is above its importance: more is done than customers ask."),
    "Underserved": (r"underserved", "A need with an opportunity score above 10: important and not well met."),
    "Unmet need": (r"unmet need", "How far satisfaction falls short of importance at a step, as a share of the "
                   "shortfall over the whole journey."),
    "Drop-off": (r"drop.off", "The share of customers seen at a step who are not seen at the next step of the "
                 "designed journey."),
    "Rework": (r"rework", "The share of cases that go through the same step more than once."),
    "Design gap": (r"design gap|\bgaps?\b", "Something missing in the journey as designed: a step without a "
                   "touchpoint, a need nothing addresses, a customer step no company step supports. "
                   "High, medium and low say how much it matters."),
    "n": (r"\bn\b", "The number of respondents or customers a figure rests on."),
    "Pareto/NBD": (r"Pareto/NBD", "A model of customers who buy at their own pace until they quietly leave "
                   "(Schmittlein, Morrison and Colombo, 1987); NBD is the negative binomial distribution."),
    "BG/NBD": (r"\bBG/NBD", "Beta-geometric/NBD: like Pareto/NBD, with leaving possible only just after a purchase "
               "(Fader, Hardie and Lee, 2005)."),
    "MBG/NBD": (r"MBG/NBD", "Modified BG/NBD: BG/NBD that also lets customers leave before their first repeat "
                "purchase (Batislam, Denizel and Filiztekin, 2007)."),
    "sBG": (r"\bsBG\b", "Shifted beta-geometric: a model of customers under contract who renew each period or leave, "
            "each with their own chance of leaving (Fader and Hardie, 2007)."),
    "BG/BB": (r"BG/BB", "Beta-geometric/beta-binomial: a model of customers who may act at each of a series of fixed "
              "occasions until they leave (Fader, Hardie and Shang, 2010)."),
    "Holdout": (r"holdout", "The last part of the observed period, kept aside: each candidate model predicts it "
                "from the earlier part, and the best prediction chooses the model."),
    "Generated data": (r"generated data", "Data made up by cem's generator (cem synth) to show the method, with "
                       "effects planted in it: its figures describe no real customer."),
    "Segment": (r"\bsegment", "A group of customers that share a value of one column of the data, such as a region."),
    "Hash (SHA-256)": (r"SHA-256|\bhash\b", "A fingerprint of a file's exact contents: two reports with the same "
                       "hash rest on the very same model file."),
    "Value model fingerprint": (r"fingerprint \w", "A short code for exactly what the value model was computed from "
                                "(the data files, the settings, the options, cem's version): the run's pages that show "
                                "the same code show figures of the very same model."),
    "PDF": (r"\bPDF\b", "Portable Document Format: this document as printed pages."),
}


def format_money(value: float | None, currency: str = "", *, signed: bool = False) -> str:
    """A money figure for a client: the currency's symbol (or code), thousands separators, no decimals.

    Examples
    --------
    >>> format_money(19869155.75, "EUR"), format_money(1234.4, "NOK"), format_money(None, "EUR")
    ('€19,869,156', 'NOK 1,234', '–')
    """
    if value is None or not isinstance(value, (int, float)) or not math.isfinite(value):
        return "–"
    sign = "-" if value < 0 else ("+" if signed and value > 0 else "")
    symbol = _SYMBOLS.get(currency.upper(), f"{currency} " if currency else "")
    return f"{sign}{symbol}{abs(value):,.0f}"


def stake_verdict(low: float | None, high: float | None) -> str:
    """What a value at stake means, from its 95 % interval.

    ``"at stake"`` when the whole interval is above zero, ``"no measurable gain"`` when it is below
    zero (better ratings go with customers leaving sooner in the fitted model: not a reason to
    act), ``"no measurable effect"`` when it includes zero or is unknown.

    Examples
    --------
    >>> stake_verdict(8.7e6, 1.6e7), stake_verdict(-4.7e5, 1.5e6), stake_verdict(-1.7e6, -6.7e4)
    ('at stake', 'no measurable effect', 'no measurable gain')
    """
    ok = all(isinstance(v, (int, float)) and math.isfinite(v) for v in (low, high))
    if ok and low > 0:
        return "at stake"
    if ok and high < 0:
        return "no measurable gain"
    return "no measurable effect"


def _read_json(path):
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise CemError(f"{path}: cannot be read as JSON ({exc})") from None


def _data_uri(path):
    from ..readers.brand import LOGO_TYPES

    kind = LOGO_TYPES.get(Path(path).suffix.lower(), "image/png")
    return f"data:{kind};base64," + base64.b64encode(Path(path).read_bytes()).decode("ascii")


def _brand(study):
    """Client name, logo (data URI) and colours of the study."""
    brand = study.config.get("brand") or {}
    logo = ""
    if brand.get("logo"):
        path = Path(study.path) / brand["logo"]
        if not path.is_file():
            raise CemError(f"{Path(study.path) / 'study.yaml'}: brand.logo '{brand['logo']}' is not a file in the "
                           "study folder")
        logo = _data_uri(path)
    colours = list(brand.get("colours") or []) + _DEFAULT_COLOURS[len(brand.get("colours") or []):]
    client = study.config.get("client") or study.graph.graph.get("client") or ""
    return {"client": str(client), "logo": logo, "primary": colours[0], "accent": colours[1],
            "ink": _readable_on(colours[0])}


def _readable_on(colour):
    """Black or white, whichever reads better on ``colour`` (WCAG relative luminance)."""
    rgb = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    luminance = 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]
    return "#ffffff" if luminance < 0.4 else "#111111"


def _stake_rows(vm):
    """Value at stake per step, best first, with its verdict and a bar's geometry (percent of the widest high)."""
    currency = vm.get("currency", "")
    steps = [s for s in vm.get("at_stake") or [] if isinstance(s, dict)]
    top = max([s["high"] for s in steps if stake_verdict(s.get("low"), s.get("high")) == "at stake"] or [0])
    rows = []
    for s in steps:
        verdict = stake_verdict(s.get("low"), s.get("high"))
        row = {"name": s.get("name") or "", "rated": _count(s.get("rated")), "verdict": verdict,
               "value": "", "interval": "", "bar": None}
        if verdict == "at stake":
            row["value"] = format_money(s["value"], currency)
            row["interval"] = f"{format_money(s['low'], currency)} to {format_money(s['high'], currency)}"
            if top > 0:
                row["bar"] = {"low": 100 * s["low"] / top, "value": 100 * s["value"] / top, "high": 100 * s["high"] / top}
        rows.append(row)
    order = {"at stake": 0, "no measurable effect": 1, "no measurable gain": 2}
    rows.sort(key=lambda r: order[r["verdict"]])  # stable: the value model's order within each group
    return rows


def _count(value):
    """A count with thousands separators; "–" when it is not a number."""
    import numbers

    ok = isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)
    return f"{int(value):,}" if ok else "–"


def _priorities(run_dir, vm, metrics):
    """The things to fix first, from the run's ``tables/fix_first.csv`` (else metrics.json's summary)."""
    currency = vm.get("currency", "")
    path = Path(run_dir) / "tables" / "fix_first.csv"
    summary = metrics.get("summary") or {}
    if path.is_file():
        table = pd.read_csv(path)
    else:
        table = pd.DataFrame(summary.get("fix_first") or [])
    rows = []
    for _, r in table.iterrows():
        reasons = []
        low, high = r.get("at_stake_low"), r.get("at_stake_high")
        if pd.notna(r.get("at_stake")) and stake_verdict(low, high) == "at stake":
            reasons.append(f"{format_money(r['at_stake'], currency)} of lifetime value at stake "
                           f"(95 % interval {format_money(low, currency)} to {format_money(high, currency)})")
        elif pd.notna(r.get("at_stake")) and pd.notna(low):
            reasons.append("no measurable effect of its experience on lifetime value")
        unmet = r.get("unmet_share")
        if pd.notna(unmet) and unmet > 0:
            need = r.get("top_need")
            reasons.append(f"{unmet:.0%} of the journey's unmet need"
                           + (f"; most underserved: “{need}”" if isinstance(need, str) and need else ""))
        drop, again = r.get("drop_off"), r.get("rework")
        flow = []
        if pd.notna(drop) and drop > 0:
            flow.append(f"{drop:.0%} of customers seen here are not seen at the next step (drop-off)")
        if pd.notna(again) and again > 0:
            # What ranked the steps comes first: rework, when the event log's rework ranked them.
            flow.insert(0 if "rework" in str(summary.get("basis", "")) else len(flow),
                        f"{again:.0%} of cases go through it more than once (rework)")
        reasons += flow
        gaps = r.get("gaps")
        if isinstance(gaps, str) and gaps:
            counts = {s: len(re.findall(rf"(?:^|; ){s}:", gaps)) for s in ("high", "medium", "low")}
            said = ", ".join(f"{n} {s}" for s, n in counts.items() if n)
            if said:
                reasons.append(f"design gaps: {said}")
        stage = r.get("stage")
        headline = next((x for x in reasons if not x.startswith("no measurable")), reasons[0] if reasons else "")
        rows.append({"rank": int(r["rank"]), "name": str(r.get("name", "")), "headline": headline,
                     "stage": str(stage).replace("_", " ") if isinstance(stage, str) else "",
                     "reasons": reasons,
                     "who": str(r["actors"]) if isinstance(r.get("actors"), str) else "",
                     "touchpoints": str(r["touchpoints"]) if isinstance(r.get("touchpoints"), str) else ""})
    return rows, summary.get("basis", ""), list(summary.get("missing") or [])


def _opportunities(study, top):
    """The top needs by opportunity score, by statement and step name (the survey's, as notebook 02 measures them)."""
    if "survey" not in study.files:
        return None
    from ..needs import opportunity

    opp = opportunity(study.survey(), study.graph).head(top)
    G = study.graph
    return [{"statement": r.statement, "step": G.nodes[r.step].get("name", "") if r.step in G else "",
             "importance": score(r.importance), "satisfaction": score(r.satisfaction),
             "opportunity": score(r.opportunity), "n": _count(r.n), "few": bool(r.n < 30),
             "class": str(r.priority or ("overserved" if r.served == "overserved" else ""))}
            for r in opp.itertuples()]


def score(value: float) -> str:
    """A 0-10 or 0-20 score as a client reads it: one decimal, a whole score without one.

    Examples
    --------
    >>> score(8.83), score(4.0), score(17.46)
    ('8.8', '4', '17.5')
    """
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _journey_map(run_dir, study):
    """The run's journey map as a data URI (its SVG, else its PNG); drawn from the model when the run has none."""
    for name in ("journey_map.svg", "journey_map.png"):  # the drawing itself prints sharpest
        path = Path(run_dir) / "figures" / name
        if path.is_file():
            return _data_uri(path)
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ..gaps import find_gaps
    from ..plots import journey_map

    ax = journey_map(study.graph, find_gaps(study.graph))
    buffer = io.BytesIO()
    ax.figure.savefig(buffer, format="png", dpi=150, bbox_inches="tight")
    plt.close(ax.figure)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _changes(study, previous):
    """What changed in the model since ``previous`` (a model file or study folder), in names."""
    if previous is None:
        return None
    from ..convert import load_model
    from ..diff import diff_models

    before = load_model(previous)
    diff = diff_models(before, study.graph)

    def name(G, node):
        data = G.nodes[node] if node in G else {}
        return data.get("name") or data.get("statement") or ""

    def link_name(text):
        relation, _, ends = text.partition(": ")
        a, _, b = ends.partition(" -> ")
        after_or_before = study.graph if a in study.graph else before
        return (f"{name(after_or_before, a) or 'an element'} → {name(after_or_before, b) or 'an element'} "
                f"({relation.replace('_', ' ')})")

    rows = []
    for r in diff.itertuples():
        if r.what == "node":
            G = before if r.change == "removed" else study.graph
            what = f"{str(r.kind).replace('_', ' ')} “{name(G, r.id) or 'unnamed'}”"
        else:
            what = link_name(r.id)
        detail = ""
        if r.change == "changed" and r.attribute not in ("source",):
            # A value that is an id (a step's job, a touchpoint's step) is shown by the node's name.
            old_value = name(before, r.before) if isinstance(r.before, str) and r.before in before else r.before
            new_value = (name(study.graph, r.after) if isinstance(r.after, str) and r.after in study.graph
                         else r.after)
            detail = f"{str(r.attribute).replace('_', ' ')}: {_plain(old_value)} → {_plain(new_value)}"
        elif r.change == "changed":
            continue
        rows.append({"change": r.change, "what": what, "detail": detail})
    return {"summary": _diff_words(diff), "rows": rows[:40], "more": max(len(rows) - 40, 0),
            "previous": Path(previous).name}


def _diff_words(diff):
    """What a model diff counts, in a client's words: elements (steps, needs, ...) and the links between them."""
    if diff.empty:
        return "no differences"
    parts = []
    for what, word in (("node", "element"), ("link", "link")):
        d = diff[diff["what"] == what]
        counts = [(int((d["change"] == "added").sum()), "added"), (int((d["change"] == "removed").sum()), "removed"),
                  (int(d[d["change"] == "changed"]["id"].nunique()), "changed")]
        said = [f"{n:,} {word}{'s' if n != 1 else ''} {change}" for n, change in counts if n]
        parts += said
    return ", ".join(parts)


def _plain(value):
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "(none)"
    return str(value)


def _appendices(run_dir):
    """The run's detailed reports: title, HTML link and PDF link (relative to the run's folder)."""
    from urllib.parse import quote

    run = _read_json(Path(run_dir) / "run.json")
    pages = [nb.get("html") for nb in run.get("notebooks") or [] if isinstance(nb, dict) and nb.get("html")]
    if not pages:
        pages = sorted(p.name for p in Path(run_dir).glob("[0-9]*.html"))
    out = []
    for page in pages:
        stem = Path(page).stem
        pdf = Path(run_dir) / f"{stem}.pdf"
        out.append({"title": _REPORT_TITLES.get(stem, stem.split("_", 1)[-1].replace("_", " ").capitalize()),
                    "file": page, "href": quote(page), "pdf": quote(pdf.name) if pdf.is_file() else ""})
    return out, run


def _provenance_rows(study):
    from ..provenance import data_provenance

    table = data_provenance(study)
    rows = []
    for r in table.itertuples():
        if pd.notna(r.first):
            dates = (f"{r.first:%d %b %Y} to {r.last:%d %b %Y}" if r.first.date() != r.last.date()
                     else f"{r.first:%d %b %Y}")
        else:
            dates = "not dated"
        rows.append({"data": r.data, "file": r.file, "rows": _count(r.rows),
                     "rows_in_file": _count(r.rows_in_file) if r.rows_in_file != r.rows else "",
                     "dates": dates, "customers": _count(r.customers) if pd.notna(r.customers) else "–"})
    return rows, bool(table["generated"].any()) if len(table) else False


def executive_content(run_dir: str | Path, study: Study, *, previous: str | Path | None = None, top: int = 5) -> dict:
    """Everything the executive page shows, as texts and small records ready for the template.

    Parameters
    ----------
    run_dir : str or Path
        A finished run's folder (``metrics.json``, ``run.json``, ``figures/``, ``tables/``).
    study : cem.study.Study
        The study the run was made from (with its segment, for a segment run).
    previous : str or Path, optional
        An earlier version of the model (a model file or a study folder): the page says what changed.
    top : int
        Opportunities listed.

    Returns
    -------
    dict
        The template's variables (see ``templates/executive.html.j2``).

    Examples
    --------
    >>> from cem import load_study                                          # doctest: +SKIP
    >>> c = executive_content("reports/solar/solar", load_study("cem/examples/solar"))  # doctest: +SKIP
    >>> c["base_value"]                                                     # doctest: +SKIP
    '€19,869,156'
    """
    from ..provenance import cem_version, model_version

    run_dir = Path(run_dir)
    metrics = _read_json(run_dir / "metrics.json")
    if not metrics:
        raise CemError(f"{run_dir}: no metrics.json; is it the folder of a finished cem report run?")
    vm = metrics.get("value_model") or {}
    currency = vm.get("currency") or study.config.get("currency") or study.graph.graph.get("currency") or ""
    has_value = isinstance(vm.get("base_value"), (int, float))
    priorities, basis, missing = _priorities(run_dir, vm, metrics)
    appendices, run = _appendices(run_dir)
    sources, generated = _provenance_rows(study)
    model = model_version(study)
    stakes = _stake_rows(vm) if has_value else []
    all_steps = vm.get("all_steps") or {}
    content = {
        "brand": _brand(study),
        "title": study.config.get("title") or study.graph.graph.get("name") or study.name,
        "segment": (f"{str(study.segment[0]).replace('_', ' ')}: {str(study.segment[1]).replace('_', ' ')}"
                    if study.segment else ""),
        "description": study.config.get("description", ""),
        "date": (run.get("finished") or "")[:10] or time.strftime("%Y-%m-%d"),
        "generated_data": generated,
        "has_value": has_value,
        "currency": currency,
        "base_value": format_money(vm.get("base_value"), currency) if has_value else "",
        "base_interval": (f"{format_money(vm.get('base_low'), currency)} to {format_money(vm.get('base_high'), currency)}"
                          if has_value and vm.get("base_low") is not None else ""),
        "customers": _count(vm.get("customers")),
        "horizon": f"{vm['horizon_years']:g}" if isinstance(vm.get("horizon_years"), (int, float)) else "",
        "value_model": vm.get("model", ""),
        "value_reason": vm.get("reason", ""),
        "value_notes": list(vm.get("notes") or []),
        "no_value_reason": "" if has_value else (vm.get("reason") or "The study has no purchases (transactions.csv), "
                                                 "so no figure is given in money."),
        "all_steps": ({"value": format_money(all_steps.get("value"), currency),
                       "interval": f"{format_money(all_steps.get('low'), currency)} to "
                                   f"{format_money(all_steps.get('high'), currency)}",
                       "verdict": stake_verdict(all_steps.get("low"), all_steps.get("high"))}
                      if has_value and all_steps else None),
        "stakes": stakes,
        "n_at_stake": sum(s["verdict"] == "at stake" for s in stakes),
        "target": f"{vm['target']:g}" if isinstance(vm.get("target"), (int, float)) else "",
        "priorities": priorities,
        "basis": basis,
        "missing": missing,
        "opportunities": _opportunities(study, top),
        "respondents": _count(study.survey()["respondent_id"].nunique()) if "survey" in study.files else "–",
        "journey_map": _journey_map(run_dir, study),
        "poster": "figures/journey_poster.pdf" if (run_dir / "figures" / "journey_poster.pdf").is_file() else "",
        "changes": _changes(study, previous),
        "sources": sources,
        # The data file that names the most customers: the size of the study at a glance.
        "widest": max(sources, key=lambda r: int(r["customers"].replace(",", "")) if r["customers"] != "–" else -1,
                      default=None),
        "model": model,
        "cem_version": cem_version(),
        "value_inputs": vm.get("inputs", ""),
        "appendices": appendices,
    }
    return content


def render_executive(content: dict) -> str:
    """The executive page's HTML from :func:`executive_content`'s variables, with its glossary.

    The glossary lists every entry of :data:`GLOSSARY` whose term the page's text uses.

    Examples
    --------
    >>> page = render_executive(_example_content())
    >>> "<script" in page, "Acme &lt;Ltd&gt;" in page, "Generated data" in page, "Base value" in page
    (False, True, True, True)
    """
    from markupsafe import Markup

    from .pages import csp_meta

    template = _template()
    footer = _css_string(f"{content['brand']['client'] or content['title']} · executive summary")
    content = {**content, "footer_css": Markup(footer)}
    first = template.render(csp_meta=Markup(csp_meta()), glossary=[], **content)
    text = re.sub(r"<[^>]+>", " ", re.sub(r"<(style|head)\b.*?</\1>", " ", first, flags=re.S))
    glossary = [{"term": term, "meaning": meaning} for term, (pattern, meaning) in GLOSSARY.items()
                if re.search(pattern, text, flags=re.I if not re.search(r"[A-Z]{2}", pattern) else 0)]
    return template.render(csp_meta=Markup(csp_meta()), glossary=glossary, **content)


def _css_string(text):
    """``text`` as a quoted CSS string: every character that could end the string, the rule or the
    style element is written as a CSS escape (backslash, hex code, space).

    Examples
    --------
    >>> quoted = _css_string('Acme "B" </style>')
    >>> quoted[0] == quoted[-1] == '"', '"' in quoted[1:-1], "<" in quoted
    (True, False, False)
    """
    return '"' + "".join(c if c.isalnum() or c in " .,·-_()'" else "\\%06x " % ord(c) for c in str(text)) + '"'


def _example_content():
    """A small content record (the doctests' and the template's smallest case)."""
    return {"brand": {"client": "Acme <Ltd>", "logo": "", "primary": "#1f4e79", "accent": "#e07b00", "ink": "#ffffff"},
            "title": "A study", "segment": "", "description": "", "date": "2026-01-01", "generated_data": True,
            "has_value": True, "currency": "EUR", "base_value": "€1,000", "base_interval": "€900 to €1,100",
            "customers": "10", "horizon": "5", "value_model": "BG/NBD", "value_reason": "", "value_notes": [],
            "no_value_reason": "", "all_steps": None, "stakes": [], "n_at_stake": 0, "target": "5",
            "priorities": [], "basis": "", "missing": [], "opportunities": None, "respondents": "–",
            "journey_map": "", "poster": "", "changes": None, "sources": [], "widest": None, "model": {"name": "M", "version": "", "file": "",
                                                                         "sha256": ""},
            "cem_version": "0", "value_inputs": "", "appendices": []}


def _template():
    return _template_named("executive.html.j2")


@functools.lru_cache(maxsize=None)
def _template_named(name):
    """A page template from ``templates/`` beside this module: autoescaped, strict about undefined names."""
    import jinja2

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(Path(__file__).parent / "templates")),
                             autoescape=True, keep_trailing_newline=True, undefined=jinja2.StrictUndefined)
    return env.get_template(name)


def write_executive(run_dir: str | Path, study: Study | str | Path | None = None, *,
                    segment: tuple[str, str] | list | None = None, previous: str | Path | None = None,
                    pdf: bool = True, top: int = 5) -> tuple[Path, Path | None]:
    """Write the run's executive deliverable: ``run_dir/executive.html`` and ``run_dir/executive.pdf``.

    Parameters
    ----------
    run_dir : str or Path
        A finished run's folder.
    study : cem.study.Study, str or Path, optional
        The study the run was made from (a path is loaded, with the run's segment from ``run.json``);
        None: the study folder ``run.json`` names.
    segment : (column, value), optional
        The run's segment, when ``study`` is a path (default: the one ``run.json`` records; give it
        when the run's ``run.json`` is not written yet, as in a run's staging folder).
    previous : str or Path, optional
        An earlier version of the model: the page says what changed since.
    pdf : bool
        Also print the page to PDF (headless Chromium, :func:`cem.reporting.browser.print_pdf`); when
        False, an earlier ``executive.pdf`` of the run is removed (it would no longer match the page).
    top : int
        Opportunities listed.

    Returns
    -------
    tuple of (Path, Path or None)
        The HTML page and the PDF (None when ``pdf`` is False).

    Raises
    ------
    CemError
        The folder is not a finished run, the logo named in study.yaml is missing, or Chromium
        cannot print.

    Examples
    --------
    >>> html, pdf = write_executive("reports/solar/solar", "cem/examples/solar")  # doctest: +SKIP
    >>> html.name, pdf.name                                                      # doctest: +SKIP
    ('executive.html', 'executive.pdf')
    """
    from .._files import atomic_write_text

    run_dir = Path(run_dir)
    if not (run_dir / "metrics.json").is_file():
        raise CemError(f"{run_dir}: not the folder of a finished cem report run (it has no metrics.json)")
    if study is None or isinstance(study, (str, Path)):
        from ..study import load_study

        run = _read_json(run_dir / "run.json")
        if study is None:
            study = run.get("study")
            if not study or not Path(study).is_dir():
                raise CemError(f"{run_dir / 'run.json'}: the study folder it names ({study or 'none'}) is not a folder "
                               "here; name the study with --study")
        loaded = load_study(study, segment=segment or run.get("segment") or None)
    else:
        loaded = study
    page = render_executive(executive_content(run_dir, loaded, previous=previous, top=top))
    html_path = atomic_write_text(run_dir / f"{EXECUTIVE_NAME}.html", page)
    pdf_path = run_dir / f"{EXECUTIVE_NAME}.pdf"
    if pdf:
        from .browser import print_pdf

        return html_path, print_pdf(html_path, pdf_path)
    pdf_path.unlink(missing_ok=True)  # an earlier PDF would no longer match the page
    return html_path, None
