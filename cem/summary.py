"""The first page a client reads: what to fix first, with its evidence, from whatever the study has.

Every customer step of the journey is a candidate. Its evidence comes from each analysis the
study's inputs allow:

* lifetime value at stake (transactions and events with ratings: the run's one value model,
  :func:`cem.valuation.value_model`), the figure of notebooks 03 and 04 and of the index;
* unmet need (a survey: :func:`cem.needs.unmet_by_step`), notebook 02;
* drop-off and rework (events: :func:`cem.journeys.funnel`, :func:`cem.journeys.rework`), notebook 05;
* gaps in the design (the model alone: :func:`cem.gaps.find_gaps`), notebook 01.

The rank uses the measured evidence first. With ``stake_share`` a step's part of the total value
at stake (counting only steps whose value at stake stays positive across its 95 % interval) and ``unmet_share`` its part of the journey's unmet
need, the priority is

    priority = stake_share + unmet_share

(either term is 0 when the study cannot measure it). When it measures neither but has an event
log, the measured friction ranks the steps: ``priority = rework_share``, the step's part of the
summed rework shares (cases that go through the step more than once). With no measured data at
all the design gaps do: ``priority = (3 high + medium) / (3 all high + all medium)``. The page
says which rule ranked. Ties keep the journey's order.

A step is listed only with evidence above a stated threshold (:data:`MIN_UNMET_SHARE`,
:data:`MIN_REWORK`): a value at stake whose 95 % interval is above zero, at least 5 % of the
journey's unmet need, at least 5 % of its cases going through it again (when rework ranks), or a
high or medium design gap (when gaps rank). Drop-off is shown only where fewer customers reach a
step than the step before (:func:`defined_drop_off`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pandas as pd

from .gaps import find_gaps
from .graph import actors_at, journey_steps, touchpoints_at

if TYPE_CHECKING:
    from .clv import ValueModel
    from .study import Study

__all__ = ["Priorities", "priorities", "missing_inputs", "explain_priorities", "summary_metrics", "fix_first_table",
           "defined_drop_off", "MIN_UNMET_SHARE", "MIN_REWORK"]

#: Least share of the journey's unmet need that lists a step as a thing to fix.
MIN_UNMET_SHARE = 0.05
#: Least share of a step's cases going through it more than once that lists it (when rework ranks).
MIN_REWORK = 0.05

#: Where the evidence of each kind is shown in detail.
NOTEBOOKS = {"stake": "04_lifetime_value", "unmet": "02_needs_opportunities", "drop_off": "05_actual_vs_designed",
             "gaps": "01_journey_model"}


@dataclass
class Priorities:
    """The steps to fix first (:func:`priorities`), and how they were ranked.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per step, best first: ``rank, step, name, stage, priority, at_stake,
        at_stake_low, at_stake_high, base_value, significant, stake_share, unmet_share,
        top_need, drop_off, rework, gaps, actors, touchpoints, evidence, notebooks``.
    basis : str
        What ranked them, as a sentence's end ("lifetime value at stake and unmet need").
    missing : list of str
        What the study could not measure, one sentence each.
    currency : str
        Currency of the money columns.
    """

    table: pd.DataFrame
    basis: str
    missing: list = field(default_factory=list)
    currency: str = ""

    def __len__(self):
        return len(self.table)


def defined_drop_off(funnel: pd.DataFrame) -> pd.DataFrame:
    """A funnel (:func:`cem.journeys.funnel`) with drop-off only where it means something.

    Drop-off is the share of the previous step's customers not seen at this one; it is defined
    only where this step has no more customers than the previous one. Where more arrive (the
    previous step is optional, or customers enter the journey here: a help-desk log's tickets
    are reported by some and classified for all) it is set to NaN, as is a share of the first
    step above 1 for the same reason.

    Examples
    --------
    >>> f = pd.DataFrame({"step": ["A", "B", "C"], "customers": [118, 4495, 4285],
    ...                   "share": [1.0, 38.09, 36.31], "drop_off": [float("nan"), -37.09, 0.047]})
    >>> defined_drop_off(f)["drop_off"].round(3).tolist()
    [nan, nan, 0.047]
    """
    out = funnel.copy()
    if "drop_off" in out.columns:
        out["drop_off"] = out["drop_off"].where(out["drop_off"] >= 0)
    if "share" in out.columns:
        out["share"] = out["share"].where(out["share"] <= 1)
    return out


def missing_inputs(study: Study) -> list[str]:
    """What the study lacks for each kind of evidence, as sentences a client can act on.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> s = SimpleNamespace(files={}, config={})
    >>> missing_inputs(s)[0]
    'No survey (survey.csv): the needs are not measured, so unmet need cannot rank the steps.'
    """
    out = []
    files = set(study.files)
    if "survey" not in files:
        out.append("No survey (survey.csv): the needs are not measured, so unmet need cannot rank the steps.")
    if "events" not in files:
        out.append("No touchpoint events (events.csv): neither drop-off nor the experience of each step "
                   "is observed.")
    if "transactions" not in files:
        out.append("No transactions (transactions.csv): no lifetime value, so no value at stake.")
    if "customers" not in files:
        out.append("No customers.csv: no segments or contact permissions beyond what the other files say.")
    return out


def priorities(study: Study, value: ValueModel | None = None, *, top: int = 5) -> Priorities:
    """The steps to fix first, with their evidence, best first.

    Parameters
    ----------
    study : cem.study.Study
    value : cem.clv.ValueModel, optional
        The run's value model (:func:`cem.valuation.value_model`): its value at stake per step
        ranks the steps with unmet need. None: no money figure is shown.
    top : int
        Rows returned (3 to 5 make a first page).

    Returns
    -------
    Priorities
        The ranked table, what ranked it, what could not be measured, and the currency.
    """
    from .clv import study_terms

    G = study.graph
    steps = journey_steps(G)
    table = pd.DataFrame({"step": steps, "name": [G.nodes[s].get("name", s) for s in steps],
                          "stage": [G.nodes[s].get("stage") for s in steps]}).set_index("step")
    missing = missing_inputs(study)
    basis = []

    if value is not None:
        missing += [note for note in value.notes if note not in missing]
    stake = None if value is None or value.at_stake.empty else value.at_stake.set_index("step")
    if stake is not None:
        table["at_stake"] = stake["value"].reindex(table.index)
        table["at_stake_low"] = stake["low"].reindex(table.index)
        table["at_stake_high"] = stake["high"].reindex(table.index)
        table["base_value"] = value.base_value
        # Only a step whose value at stake is above zero across its 95 % interval counts towards
        # the priority, so noise never outranks a real unmet need.
        table["significant"] = (table["at_stake_low"] > 0) & (table["at_stake"] > 0)
        counted = table["at_stake"].where(table["significant"], 0.0).fillna(0.0)
        table["stake_share"] = counted / counted.sum() if counted.sum() > 0 else 0.0
        basis.append("lifetime value at stake")
    if "survey" in study.files:
        from .needs import opportunity, unmet_by_step

        opp = opportunity(study.survey(), G)
        unmet = unmet_by_step(opp, G).set_index("step")
        statements = opp.drop_duplicates("need_id").set_index("need_id")["statement"]
        table["unmet_share"] = unmet["unmet_share"].reindex(table.index).fillna(0.0)
        table["top_need"] = unmet["top_need"].reindex(table.index).map(statements)
        basis.append("unmet need")
    if "events" in study.files:
        from .journeys import funnel, rework

        events = study.events()
        flow = defined_drop_off(funnel(events, G)).set_index("step")
        table["drop_off"] = flow["drop_off"].reindex(table.index)
        again = rework(events, activity="step").set_index("activity")["share"]
        table["rework"] = again.reindex(table.index).fillna(0.0)

    gaps = find_gaps(G)
    gaps = gaps[gaps["step"].isin(table.index)]
    weight = gaps["severity"].map({"high": 3, "medium": 1}).fillna(0)
    table["gap_weight"] = weight.groupby(gaps["step"]).sum().reindex(table.index).fillna(0)
    table["gaps"] = [_gap_text(gaps[gaps["step"] == s]) for s in table.index]
    table["actors"] = [", ".join(G.nodes[a].get("name", a) for a in actors_at(G, s)) for s in table.index]
    table["touchpoints"] = [", ".join(G.nodes[t].get("name", t) for t in touchpoints_at(G, s)) for s in table.index]

    table["priority"] = table.get("stake_share", 0.0) + table.get("unmet_share", 0.0)
    # Listed only with evidence above its threshold: a value at stake above zero across its
    # interval, or enough of the journey's unmet need.
    table["listed"] = table.get("significant", False) | (table.get("unmet_share", 0.0) >= MIN_UNMET_SHARE)
    measured = " and ".join(basis)
    if basis and table["priority"].sum() > 0:
        basis = measured
    else:
        # Nothing measured ranks the steps, or nothing measured stands out: the next evidence does.
        lead = f"nothing stands out in the {measured}; ranked by " if basis else ""
        if "rework" in table and (table["rework"] >= MIN_REWORK).any():
            table["priority"] = table["rework"] / table["rework"].sum()
            table["listed"] = table["rework"] >= MIN_REWORK
            basis = lead + "rework in the event log" + (
                "" if lead else " (the study measures neither value at stake nor unmet need)")
        else:
            total = table["gap_weight"].sum()
            table["priority"] = table["gap_weight"] / total if total else 0.0
            table["listed"] = table["gap_weight"] > 0
            basis = lead + ("gaps in the design" if lead else "gaps in the design only (no measured data)")
    table["position"] = range(len(table))
    table = table.sort_values(["priority", "position"], ascending=[False, True])
    table = table[(table["priority"] > 0) & table["listed"]].head(top).reset_index()
    table.insert(0, "rank", range(1, len(table) + 1))
    model = value.model if value is not None else ""
    table["evidence"] = [_evidence(row, study_terms(study)["currency"], model) for _, row in table.iterrows()]
    table["notebooks"] = [", ".join(NOTEBOOKS[k] for k in ("stake", "unmet", "drop_off", "gaps")
                                    if _has(row, k)) for _, row in table.iterrows()]
    columns = ["rank", "step", "name", "stage", "priority", "at_stake", "at_stake_low", "at_stake_high",
               "base_value", "significant", "stake_share", "unmet_share", "top_need", "drop_off", "rework", "gaps",
               "actors", "touchpoints", "evidence", "notebooks"]
    return Priorities(table=table.reindex(columns=columns), basis=basis, missing=missing,
                      currency=study_terms(study)["currency"])


def _gap_text(rows):
    order = {"high": 0, "medium": 1, "low": 2}
    rows = rows.assign(o=rows["severity"].map(order)).sort_values("o", kind="stable")
    return "; ".join(f"{r.severity}: {r.explanation.rstrip('.')}" for r in rows.head(3).itertuples())


def _has(row, kind):
    if kind == "stake":
        return pd.notna(row.get("at_stake"))
    if kind == "unmet":
        return pd.notna(row.get("unmet_share")) and row.get("unmet_share", 0) > 0
    if kind == "drop_off":
        return pd.notna(row.get("drop_off"))
    return bool(row.get("gaps"))


def _interval(low, high, currency):
    return (f"95 % interval {low:,.0f} to {high:,.0f} {currency}".rstrip() if pd.notna(low) and pd.notna(high)
            else "no interval")


def _evidence(row, currency, model=""):
    parts = []
    if _has(row, "stake"):
        low, high = row["at_stake_low"], row["at_stake_high"]
        interval = _interval(low, high, currency)
        if row.get("significant"):
            parts.append(f"{row['at_stake']:,.0f} {currency} of lifetime value at stake ({interval}), on a customer "
                         f"base the {model} model values at {row['base_value']:,.0f} {currency}")
        elif pd.notna(high) and high < 0:
            parts.append(f"no measurable gain in lifetime value: in the fitted model, better ratings of this step go "
                         f"with customers leaving sooner ({interval}); with many steps one such interval can arise "
                         "by chance, so this is not a reason to fix the step")
        else:
            parts.append(f"no measurable effect on lifetime value: the step's experience has no clear effect on how "
                         f"long customers stay (the {interval} includes zero)")
    if _has(row, "unmet") and row["unmet_share"] >= MIN_UNMET_SHARE:
        need = f", most underserved need '{row['top_need']}'" if isinstance(row.get("top_need"), str) else ""
        parts.append(f"{row['unmet_share']:.0%} of the journey's unmet need{need}")
    if _has(row, "drop_off") and row["drop_off"] > 0:
        parts.append(f"{row['drop_off']:.0%} of the customers at the step before are not seen here")
    if pd.notna(row.get("rework")) and row["rework"] >= MIN_REWORK:
        parts.append(f"{row['rework']:.0%} of the cases that reach it go through it more than once")
    if row.get("gaps"):
        parts.append(f"In the design, {row['gaps']}")
    return ". ".join(p[0].upper() + p[1:] for p in parts)


def fix_first_table(plan: Priorities) -> pd.DataFrame:
    """The ranked steps as the summary page shows them: a value at stake whose 95 % interval is not
    above zero reads "no measurable effect" (never a negative amount), its interval as text;
    drop-off only where defined (:func:`defined_drop_off`).

    Returns
    -------
    pandas.DataFrame
        ``rank, name, stage, priority, at_stake, at_stake_interval, unmet_share, drop_off, rework,
        top_need`` (columns the study cannot measure left out), for :func:`cem.tables.client_table`.

    Examples
    --------
    >>> t = pd.DataFrame({"rank": [1, 2], "name": ["A", "B"], "stage": ["use", "use"], "priority": [0.9, 0.1],
    ...                   "at_stake": [1200.0, -50.0], "at_stake_low": [100.0, -900.0],
    ...                   "at_stake_high": [2000.0, 700.0], "significant": [True, False]})
    >>> fix_first_table(Priorities(t, "x", currency="EUR"))[["at_stake", "at_stake_interval"]].values.tolist()
    [[1200.0, '100 to 2,000'], ['no measurable effect', '-900 to 700']]
    """
    t = plan.table
    out = t[["rank", "name", "stage", "priority"]].copy()
    if "at_stake" in t.columns and t["at_stake"].notna().any():
        out["at_stake"] = [v if pd.notna(sig) and bool(sig) else ("no measurable effect" if pd.notna(v) else None)
                           for v, sig in zip(t["at_stake"], t["significant"])]
        out["at_stake"] = out["at_stake"].astype(object)
        out["at_stake_interval"] = [f"{lo:,.0f} to {hi:,.0f}" if pd.notna(lo) and pd.notna(hi) else None
                                    for lo, hi in zip(t["at_stake_low"], t["at_stake_high"])]
    for col in ("unmet_share", "drop_off", "rework", "top_need"):
        if col in t.columns and t[col].notna().any():
            out[col] = t[col]
    return out


def explain_priorities(plan: Priorities, *, links: bool = True) -> str:
    """The priorities as Markdown for the client: one numbered item each, with its evidence and links.

    Every text from the model or data reaches the Markdown as text only
    (:func:`cem.markup.md_escape`): no link, image, HTML or math. The links are cem's own, to
    the run's other pages.
    """
    from .markup import md_escape as e

    table = plan.table
    if table.empty:
        return "Nothing stands out: no step carries measured value at stake, unmet need or a design gap."
    # The basis and the missing inputs are cem's own sentences; every other text comes from the study.
    lines = [f"Ranked by {plan.basis}. A step is listed only with evidence above a threshold: a value at stake "
             f"whose 95 % interval is above zero, at least {MIN_UNMET_SHARE:.0%} of the journey's unmet need, "
             f"at least {MIN_REWORK:.0%} of its cases going through it again (when rework ranks), or a high or "
             "medium design gap (when the design ranks).", ""]
    for row in table.itertuples():
        who = f" Who is there: {e(row.actors)}." if row.actors else " Nobody is assigned to this step."
        where = f" Touchpoints: {e(row.touchpoints)}." if row.touchpoints else " No touchpoint serves it."
        see = ""
        if links and row.notebooks:
            see = " See " + ", ".join(f"[{n}]({n}.html)" for n in row.notebooks.split(", ")) + "."
        stage = e(str(row.stage).replace("_", " "))
        lines.append(f"{row.rank}. **{e(str(row.name))}** ({stage}). {e(row.evidence)}.{who}{where}{see}")
    if plan.missing:
        lines += ["", "**Not measured in this study:**", ""] + [f"- {m}" for m in plan.missing]
    return "\n".join(lines)


def summary_metrics(plan: Priorities) -> dict:
    """Key figures for ``metrics.json``: the ranked steps and what ranked them."""
    return {"basis": plan.basis, "missing": list(plan.missing),
            "fix_first": [{"rank": int(r["rank"]), "step": r["step"], "name": r["name"],
                           "priority": round(float(r["priority"]), 4),
                           "at_stake": None if pd.isna(r["at_stake"]) else round(float(r["at_stake"]), 2),
                           "unmet_share": None if pd.isna(r["unmet_share"]) else round(float(r["unmet_share"]), 4)}
                          for _, r in plan.table.iterrows()]}
