"""The inputs of every public chart of cem.plots, from real studies: the solar example (survey,
events, transactions, customers), the payroll example and the help-desk ticket log.

:data:`CHARTS` maps each public chart's name to a function ``draw(inputs, size)`` that draws it at
one of the style's sizes and returns the figure. tests/plots/test_chart_quality.py checks that every
name of ``cem.plots.__all__`` is either there or in :data:`NOT_CHARTS`, so no new chart escapes.
"""
from __future__ import annotations

import functools
from pathlib import Path

import cem
from cem import clv, journeys, needs, summary, value
from cem.gaps import find_gaps
from conftest import EXAMPLES, HELPDESK

#: Public names of cem.plots that draw nothing (helpers, constants, the layout without drawing).
NOT_CHARTS = {"save_figure", "SEVERITY_COLORS", "journey_layout", "JourneyLayout", "Lane", "A3_LANDSCAPE",
              "SIZES", "PALETTE", "Medium", "figure_style", "style_rc", "new_figure", "money_formatter",
              "percent_formatter", "format_money", "format_percent", "step_names"}


@functools.cache
def inputs():
    """Everything the charts draw, computed once per test session (the value model with 10 draws)."""
    solar = cem.load_study(EXAMPLES / "solar")
    G = solar.graph
    answers = solar.survey()
    events = solar.events()
    opp = needs.opportunity(answers, G)
    by_segment = needs.opportunity(answers, G, by="segment")
    values = value.step_value(G, needs=opp, events=events)
    model = clv.fit_value_model(solar, draws=10)
    per_customer = clv.customer_values(solar, model)
    effects = model.estimates[model.estimates["parameter"].str.startswith("life.")]
    effects = effects.assign(step=effects["parameter"].str[len("life."):], coef=effects["estimate"],
                             ci_low=effects["estimate"] - 1.96 * effects["std_error"],
                             ci_high=effects["estimate"] + 1.96 * effects["std_error"])
    tx = solar.transactions()
    cal = clv.calibration_holdout(tx, tx["date"].min() + (tx["date"].max() - tx["date"].min()) * 0.67,
                                  tx["date"].max(), unit="W")
    check = clv.holdout_error(clv.fit_bgnbd(cal), cal)
    helpdesk = cem.load_study(HELPDESK)
    hd_events = helpdesk.events()
    payroll = cem.load_model(EXAMPLES / "payroll")
    return {
        "G": G, "names": {n: d.get("name", n) for n, d in G.nodes(data=True)}, "gaps": find_gaps(G),
        "opp": opp, "by_segment": by_segment, "unmet": needs.unmet_by_step(opp, G), "values": values,
        "model": model, "clv": per_customer["clv"], "effects": effects.reset_index(drop=True),
        "holdout": check["by_frequency"], "plan": summary.priorities(solar, model),
        "payroll": payroll, "payroll_gaps": find_gaps(payroll),
        "hd": helpdesk.graph, "hd_flows": journeys.dfg(hd_events, activity="step"),
        "hd_funnel": journeys.funnel(hd_events, helpdesk.graph),
        "hd_variants": journeys.variants(hd_events, activity="activity"),
        "hd_step_variants": journeys.variants(hd_events, activity="step"),
        "solar_flows": journeys.dfg(events, activity="step"), "solar_funnel": journeys.funnel(events, G),
        "renewals": _renewals(),
    }


def _renewals():
    """Survival and retention of the payroll example (a contractual study), when cem computes them."""
    if not hasattr(clv, "renewal_curves"):
        return None
    payroll = cem.load_study(EXAMPLES / "payroll")
    return clv.renewal_curves(payroll, clv.fit_value_model(payroll, draws=10))


def _fig(obj):
    """The figure of what a chart returned (an axes, an array of axes or a figure)."""
    if hasattr(obj, "flat"):
        obj = obj.flat[0]
    return obj if not hasattr(obj, "get_figure") or obj.get_figure() is None else obj.get_figure()


class _Sized:
    """cem.plots, with ``size=`` passed on only to charts that take it (the check that all of them
    do is in the test; this keeps the other checks running on a chart that does not yet)."""

    def __getattr__(self, name):
        import inspect

        from cem import plots

        fn = getattr(plots, name)
        if not callable(fn) or "size" in inspect.signature(fn).parameters:
            return fn

        def call(*args, size=None, **kwargs):
            kwargs = {k: v for k, v in kwargs.items() if k in inspect.signature(fn).parameters}
            return fn(*args, **kwargs)
        return call


def _charts():
    p = _Sized()

    def names(d):
        return d["names"]

    return {
        "journey_map": [lambda d, s: p.journey_map(d["G"], gaps=d["gaps"], size=s),
                        lambda d, s: p.journey_map(d["payroll"], gaps=d["payroll_gaps"], size=s)],
        "draw_journey": [lambda d, s: p.draw_journey(p.journey_layout(d["G"], gaps=d["gaps"]), size=s)],
        # a poster is a page of its own (A3 landscape): drawn at that size for either medium
        "poster": [lambda d, s: p.poster(d["G"], gaps=d["gaps"])],
        "gap_chart": [lambda d, s: p.gap_chart(d["gaps"], size=s),
                      lambda d, s: p.gap_chart(d["payroll_gaps"], size=s)],
        "alignment_chart": [lambda d, s: p.alignment_chart(d["G"], size=s),
                            lambda d, s: p.alignment_chart(d["payroll"], size=s)],
        "opportunity_landscape": [lambda d, s: p.opportunity_landscape(d["opp"], top=10, size=s)],
        "opportunity_landscapes": [lambda d, s: p.opportunity_landscapes(d["by_segment"], "segment", top=5, size=s)],
        "unmet_chart": [lambda d, s: p.unmet_chart(d["unmet"], size=s)],
        "needs_heatmap": [lambda d, s: p.needs_heatmap(d["G"], d["opp"], size=s),
                          lambda d, s: p.needs_heatmap(d["G"], size=s)],
        "experience_curve": [lambda d, s: p.experience_curve(d["values"], size=s)],
        "value_waterfall": [lambda d, s: p.value_waterfall(d["values"], currency="EUR", size=s)],
        "step_effects_chart": [lambda d, s: p.step_effects_chart(d["effects"], names=names(d), size=s)],
        "at_stake_chart": [lambda d, s: p.at_stake_chart(d["model"].at_stake, currency="EUR", size=s)],
        "clv_distribution": [lambda d, s: p.clv_distribution(d["clv"], currency="EUR", size=s)],
        "holdout_chart": [lambda d, s: p.holdout_chart(d["holdout"], size=s)],
        "priority_chart": [lambda d, s: p.priority_chart(d["plan"], size=s)],
        "flow_map": [lambda d, s: p.flow_map(d["hd"], d["hd_flows"], size=s),
                     lambda d, s: p.flow_map(d["G"], d["solar_flows"], size=s)],
        "funnel_chart": [lambda d, s: p.funnel_chart(d["hd_funnel"], size=s),
                         lambda d, s: p.funnel_chart(d["solar_funnel"], size=s)],
        "variants_chart": [lambda d, s: p.variants_chart(d["hd_variants"], top=10, size=s),
                           lambda d, s: p.variants_chart(d["hd_step_variants"], top=10, names=d["hd"], size=s)],
    }


def _submodule_charts():
    """Charts public in a module of cem.plots but not (yet) exported by cem.plots itself."""
    import importlib.util

    found = {}
    if importlib.util.find_spec("cem.plots.retention") is not None:
        from cem.plots import retention

        found["survival_chart"] = [lambda d, s: retention.survival_chart(d["renewals"], period="month", size=s)]
        found["retention_chart"] = [lambda d, s: retention.retention_chart(d["renewals"], period="month", size=s)]
    return found


#: Each public chart's ways of drawing it: ``draw(inputs(), size) -> axes | array of axes | figure``.
CHARTS = _charts() | _submodule_charts()


def figure_of(obj):
    return _fig(obj)


def out_dir() -> Path:
    path = Path("/tmp/cem_charts")
    path.mkdir(exist_ok=True)
    return path
