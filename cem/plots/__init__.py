"""Every figure of cem. Each takes ``ax=`` (a new figure when None) and returns the axes.

One module per topic:

- :mod:`~cem.plots.journey_layout` and :mod:`~cem.plots.journey_draw`: the journey map, laid
  out (columns, lanes, wrapped texts and sizes, computed without drawing) and drawn;
- :mod:`~cem.plots.gaps`: the design gaps, and customer against company steps;
- :mod:`~cem.plots.needs`: opportunity landscapes, unmet need, needs by step and actor;
- :mod:`~cem.plots.value`: the experience curve, value per step, churn effects, lifetime value;
- :mod:`~cem.plots.journeys`: the observed flow, the funnel and the variants of an event log;
- :mod:`~cem.plots.summary`: what to fix first;
- :mod:`~cem.plots.figures`: saving a figure, and the journey map as a poster;
- :mod:`~cem.plots.style`: cem's figure style (type, colours, sizes for screen and print, applied
  per figure, never globally) and how money and shares read ("12.9 M EUR", "45 %");
- :mod:`~cem.plots._style`: the journey map's sizes, and model text made safe to draw.

Every text from a model or data (names, ids, currency, segment values) is drawn as plain text:
matplotlib reads text between two ``$`` as mathtext, so "Pay $50 now, $20 later" would come
out garbled (or fail to draw). :func:`~cem.plots._style._plain` escapes ``$`` as ``\\$``, which
matplotlib draws as a dollar sign; the escape lives in the string itself, so it also holds for
tick labels matplotlib makes afresh at draw time (``parse_math=False`` would not carry over to
those).

The figures import only from the layers below them (errors, schema, graph and the analyses);
never from the readers, the reports or the command line.
"""
from __future__ import annotations

from ._style import SEVERITY_COLORS, _plain, _wrap  # noqa: F401  (_plain, _wrap: as before the split)
from .figures import A3_LANDSCAPE, poster, save_figure
from .gaps import alignment_chart, gap_chart
from .journey_draw import draw_journey, journey_map
from .journey_layout import JourneyLayout, Lane, journey_layout, touchpoints_at_all  # noqa: F401
from .journeys import flow_map, funnel_chart, pd_notna, variants_chart  # noqa: F401
from .needs import needs_heatmap, opportunity_landscape, opportunity_landscapes, unmet_chart
from .style import (  # noqa: F401  (figure_style ... the style's parts, in __all__ below)
    PALETTE,
    SIZES,
    Medium,
    figure_style,
    format_money,
    format_percent,
    money_formatter,
    new_figure,
    percent_formatter,
    step_names,
    style_rc,
)
from .summary import priority_chart
from .value import at_stake_chart, clv_distribution, experience_curve, holdout_chart, step_effects_chart, value_waterfall

__all__ = ["journey_map", "gap_chart", "opportunity_landscape", "opportunity_landscapes", "unmet_chart",
           "experience_curve", "value_waterfall", "step_effects_chart", "at_stake_chart", "clv_distribution", "holdout_chart",
           "flow_map", "funnel_chart", "variants_chart", "needs_heatmap", "alignment_chart", "poster",
           "priority_chart", "save_figure", "SEVERITY_COLORS",
           # new with the split into topics:
           "journey_layout", "draw_journey", "JourneyLayout", "Lane", "A3_LANDSCAPE",
           # cem's figure style (issue #15): sizes for screen and print, colours, money and shares
           "SIZES", "PALETTE", "Medium", "figure_style", "style_rc", "new_figure", "money_formatter",
           "percent_formatter", "format_money", "format_percent", "step_names"]
# Importable from cem.plots as before the split, but not in __all__ (as before): the helpers
# touchpoints_at_all and pd_notna, and the text helpers _plain and _wrap.
