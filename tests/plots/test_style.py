"""cem's figure style: applied per figure (matplotlib's settings untouched on import and after a
chart), money and shares written as a client reads them, names instead of ids."""
import subprocess
import sys

import matplotlib
import matplotlib.pyplot as plt
import pandas as pd
import pytest

from cem.plots import SIZES, experience_curve, figure_style, format_money, format_percent, value_waterfall


def test_importing_cem_changes_no_matplotlib_setting():
    code = ("import matplotlib; before = dict(matplotlib.rcParams); import cem, cem.plots, cem.plots.style; "
            "after = dict(matplotlib.rcParams); "
            "print(sorted(k for k in before if str(before[k]) != str(after[k])))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_a_chart_leaves_matplotlib_settings_as_they_were_and_keeps_its_own():
    before = {k: str(v) for k, v in matplotlib.rcParams.items()}
    values = pd.DataFrame({"step": ["S1", "S2", "S3"], "name": ["Agree", "Pay", "Use"],
                           "net": [-2e5, 1.29e7, -4e5]})
    ax = value_waterfall(values, currency="EUR", size="print")
    after = {k: str(v) for k, v in matplotlib.rcParams.items()}
    assert {k for k in before if before[k] != after[k]} == set()
    # Drawn after the style's context has ended: tick labels still at the print size, in money.
    ax.figure.canvas.draw()
    labels = [t for t in ax.get_xticklabels() if t.get_text()]
    assert {t.get_fontsize() for t in labels} == {SIZES["print"].small}
    assert "10 M EUR" in [t.get_text() for t in labels]
    assert ax.xaxis.get_offset_text().get_text() == ""
    assert [t.get_text() for t in ax.get_yticklabels()] == ["Agree", "Pay", "Use"]  # names, not ids
    plt.close(ax.figure)


def test_bars_of_the_waterfall_stay_inside_its_axes():
    values = pd.DataFrame({"step": ["A", "B", "C"], "name": ["A", "B", "C"], "net": [-1e6, 2.5e7, -3e6]})
    ax = value_waterfall(values)
    low, high = ax.get_xlim()
    assert low < -1e6 and high > 2.4e7  # the tallest bar (24 M at its end) is whole
    plt.close(ax.figure)


def test_experience_curve_names_its_steps_at_both_sizes():
    values = pd.DataFrame({"step": ["S1", "S2"], "name": ["Agree on the price", None],
                           "experience": [0.6, 0.4], "cum_experience": [0.6, 0.5]})
    for size in SIZES:
        ax = experience_curve(values, size=size)
        assert [t.get_text() for t in ax.get_yticklabels()] == ["Agree on the price", "S2"]  # id: no name
        assert tuple(ax.figure.get_size_inches())[0] == SIZES[size].width
        plt.close(ax.figure)


@pytest.mark.parametrize(("value", "text"), [(12_926_755.17, "12.9 M EUR"), (810_165.6, "810 k EUR"),
                                             (-84_700.3, "-84.7 k EUR"), (999_999, "1 M EUR"), (0, "0 EUR"),
                                             (950.4, "950 EUR"), (1_250, "1.25 k EUR"), (3.4e9, "3.4 bn EUR")])
def test_money_reads_as_a_client_reads_it(value, text):
    assert format_money(value, "EUR") == text


def test_shares_read_with_a_space_before_the_sign():
    assert (format_percent(0.45), format_percent(0.0312, places=1), format_percent(float("nan"))) == \
        ("45 %", "3.1 %", "n/a")


def test_unknown_size_is_a_clear_error():
    with pytest.raises(ValueError, match="size must be one of 'screen', 'print'"):
        with figure_style("poster"):
            pass
