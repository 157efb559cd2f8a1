"""The summary's figure: what to fix first."""
import matplotlib.pyplot as plt
import pandas as pd

from cem.plots import priority_chart
from cem.summary import Priorities


def test_priority_chart_stacks_the_two_shares():
    table = pd.DataFrame({"rank": [1, 2], "name": ["Approve", "Install"], "priority": [0.9, 0.4],
                          "stake_share": [0.6, 0.0], "unmet_share": [0.3, 0.4]})
    ax = priority_chart(Priorities(table, basis="lifetime value at stake and unmet need"))
    widths = sorted(round(p.get_width(), 3) for p in ax.patches)
    assert widths == [0.0, 0.3, 0.4, 0.6]  # value at stake and unmet need, one bar each per step
    ends = sorted(round(p.get_x() + p.get_width(), 3) for p in ax.patches)
    assert ends[-1] == 0.9  # the stacked bar reaches the priority
    plt.close(ax.figure)


def test_without_measured_shares_the_bar_is_named_by_the_basis():
    table = pd.DataFrame({"rank": [1], "name": ["Approve"], "priority": [1.0]})
    ax = priority_chart(Priorities(table, basis="rework in the event log"))
    legend = ax.figure.legends[0]  # under the chart, placed by the layout engine
    assert legend.get_texts()[0].get_text() == "share of the rework in the event log"
    plt.close(ax.figure)
