"""The summary's figure: what to fix first."""
import matplotlib.pyplot as plt
import pandas as pd

from cem.plots import priority_chart


def test_priority_chart_stacks_the_two_shares():
    table = pd.DataFrame({"rank": [1, 2], "name": ["Approve", "Install"], "priority": [0.9, 0.4],
                          "stake_share": [0.6, 0.0], "unmet_share": [0.3, 0.4]})
    ax = priority_chart(table)
    widths = sorted(round(p.get_width(), 3) for p in ax.patches)
    assert widths == [0.0, 0.3, 0.4, 0.6]  # value at stake and unmet need, one bar each per step
    ends = sorted(round(p.get_x() + p.get_width(), 3) for p in ax.patches)
    assert ends[-1] == 0.9  # the stacked bar reaches the priority
    plt.close(ax.figure)
