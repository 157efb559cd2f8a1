"""cem's own figure style: type, colours, the sizes of a figure on screen and in print, and how money
and shares read on an axis.

Nothing here changes matplotlib's global settings. A chart draws inside :func:`figure_style`
(``matplotlib.rc_context``: the settings hold while the chart is drawn, and are restored after),
makes its figure with :func:`new_figure` (the "constrained" layout engine, so labels are never cut
at the edges), and sets the sizes of the texts matplotlib makes later (tick labels at draw time)
on the axes themselves (:func:`finish_axes`), so a figure saved outside the context looks the same.

The two sizes (:data:`SIZES`):

- ``"screen"``: an HTML report, about 10 inches wide at 110 dpi;
- ``"print"``: the text width of an A4 page (160 mm = 6.3 inches) at 300 dpi. No text is smaller
  than 7 pt, the smallest size that stays readable on paper.

Money reads as "12.9 M EUR", "850 k EUR" (:func:`format_money`), shares as "45 %"
(:func:`format_percent`); a money axis never shows an offset such as "1e7".
"""
from __future__ import annotations

import contextlib
import functools
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import networkx as nx
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.ticker import Formatter

__all__ = ["Medium", "SIZES", "PALETTE", "figure_style", "style_rc", "new_figure", "money_formatter",
           "percent_formatter", "format_money", "format_percent", "step_names"]


@dataclass(frozen=True)
class Medium:
    """Where a figure is shown: its full width (inches), resolution and font sizes (points).

    ``small`` is for tick labels, annotations and legends, ``font`` for axis labels, ``title`` for
    titles; ``min_font`` is the smallest text a chart may draw at this size.
    """

    name: str
    width: float
    dpi: int
    font: float
    small: float
    title: float
    min_font: float = 7.0


#: The sizes every chart supports: an HTML report on screen, an A4 page in print.
SIZES: dict[str, Medium] = {
    "screen": Medium("screen", width=10.0, dpi=110, font=9.0, small=8.0, title=11.0),
    "print": Medium("print", width=6.3, dpi=300, font=8.0, small=7.0, title=9.5),
}

#: cem's colours: ink for text, one primary blue, an accent, and the meanings good / bad / neutral.
PALETTE: dict[str, str] = {
    "ink": "#1f2a36", "muted": "#5d6d7e", "grid": "#e5e8eb", "primary": "#1f4e79", "secondary": "#2e86c1",
    "light": "#85c1e9", "accent": "#e67e22", "good": "#27ae60", "bad": "#c0392b", "neutral": "#bdc3c7",
    "teal": "#48c9b0",
}

#: The type, best first; the first one installed is used (DejaVu Sans ships with matplotlib).
FONTS = ("Liberation Sans", "Arial", "Helvetica", "DejaVu Sans")


@functools.cache
def _font() -> str:
    """The first of :data:`FONTS` installed (looked up once)."""
    from matplotlib import font_manager

    installed = {f.name for f in font_manager.fontManager.ttflist}
    return next((f for f in FONTS if f in installed), "DejaVu Sans")


def medium(size: str | Medium) -> Medium:
    """The :class:`Medium` of a size name ("screen", "print"), or the medium itself.

    Examples
    --------
    >>> medium("print").width
    6.3
    >>> medium("poster")
    Traceback (most recent call last):
    ...
    ValueError: size must be one of 'screen', 'print', not 'poster'
    """
    if isinstance(size, Medium):
        return size
    if size not in SIZES:
        raise ValueError(f"size must be one of {', '.join(map(repr, SIZES))}, not {size!r}")
    return SIZES[size]


def style_rc(size: str | Medium = "screen") -> dict[str, object]:
    """The matplotlib settings of cem's style at a size, to pass to ``matplotlib.rc_context``.

    Examples
    --------
    >>> rc = style_rc("print")
    >>> rc["font.size"], rc["axes.formatter.useoffset"], rc["figure.constrained_layout.use"]
    (8.0, False, True)
    """
    from cycler import cycler

    m = medium(size)
    return {
        "font.family": "sans-serif", "font.sans-serif": [_font(), "DejaVu Sans"], "font.size": m.font,
        "axes.titlesize": m.title, "axes.labelsize": m.font, "xtick.labelsize": m.small, "ytick.labelsize": m.small,
        "legend.fontsize": m.small, "legend.title_fontsize": m.small, "legend.frameon": False,
        "figure.titlesize": m.title + 1, "figure.dpi": m.dpi, "savefig.dpi": m.dpi,
        "figure.constrained_layout.use": True,
        "axes.edgecolor": PALETTE["muted"], "axes.labelcolor": PALETTE["ink"], "text.color": PALETTE["ink"],
        "xtick.color": PALETTE["muted"], "ytick.color": PALETTE["muted"],
        "xtick.labelcolor": PALETTE["ink"], "ytick.labelcolor": PALETTE["ink"],
        "axes.spines.top": False, "axes.spines.right": False, "axes.titlelocation": "left",
        "axes.prop_cycle": cycler(color=[PALETTE[c] for c in ("primary", "accent", "secondary", "good", "bad",
                                                                "teal", "muted")]),
        "axes.formatter.useoffset": False, "axes.formatter.limits": (-9, 12),
    }


@contextlib.contextmanager
def figure_style(size: str | Medium = "screen") -> Iterator[Medium]:
    """Draw in cem's style at a size; matplotlib's own settings are back as they were afterwards.

    Examples
    --------
    >>> import matplotlib
    >>> before = matplotlib.rcParams["font.size"]
    >>> with figure_style("print") as m:
    ...     inside = matplotlib.rcParams["font.size"]
    >>> inside, m.name, matplotlib.rcParams["font.size"] == before
    (8.0, 'print', True)
    """
    import matplotlib

    m = medium(size)
    with matplotlib.rc_context(style_rc(m)):
        yield m


def new_figure(size: str | Medium, height: float, *, width: float | None = None, nrows: int = 1,
               ncols: int = 1, **kwargs: object) -> tuple[Figure, Axes]:
    """A figure of the medium's width (or ``width``) and ``height`` inches, with the constrained
    layout engine (nothing cut at the edges); call inside :func:`figure_style`.

    Examples
    --------
    >>> with figure_style("print") as m:
    ...     fig, ax = new_figure(m, 3)
    >>> [float(v) for v in fig.get_size_inches()], fig.get_layout_engine().__class__.__name__
    ([6.3, 3.0], 'ConstrainedLayoutEngine')
    """
    import matplotlib.pyplot as plt

    m = medium(size)
    return plt.subplots(nrows, ncols, figsize=(width or m.width, height), layout="constrained", **kwargs)


def finish_axes(ax: Axes, size: str | Medium, *, grid: str | None = None) -> Axes:
    """Fix the style of texts matplotlib makes when it draws (tick labels) on the axes, so a
    figure saved outside :func:`figure_style` keeps it; and a light grid along ``grid`` ("x", "y").
    """
    m = medium(size)
    ax.tick_params(labelsize=m.small, labelcolor=PALETTE["ink"], color=PALETTE["muted"], labelfontfamily=_font())
    for axis in (ax.xaxis, ax.yaxis):
        axis.get_offset_text().set_fontsize(m.small)
    if grid:
        ax.grid(axis=grid, color=PALETTE["grid"], lw=0.6)
        ax.set_axisbelow(True)
    return ax


def legend_below(ax: Axes, handles: list, *, ncol: int = 3, **kwargs):
    """The legend under the chart: the figure's own, placed by the layout engine below everything
    (``"outside lower center"``) when the chart has the figure to itself; else the axes' legend
    where it covers the least.
    """
    fig = ax.figure
    alone = len({id(a) for a in fig.axes if a.get_visible() and a is not ax
                 and not (a.bbox.bounds == ax.bbox.bounds)}) == 0
    if alone and fig.get_layout_engine() is not None and \
            type(fig.get_layout_engine()).__name__ == "ConstrainedLayoutEngine":
        return fig.legend(handles=handles, loc="outside lower center", ncol=ncol, **kwargs)
    return ax.legend(handles=handles, loc="best", **kwargs)


def format_money(value: float, currency: str = "", *, digits: int = 3) -> str:
    """An amount as a client reads it: thousands as "k", millions as "M", billions as "bn",
    to about ``digits`` significant figures, with the currency after it.

    Examples
    --------
    >>> format_money(12_926_755.17, "EUR"), format_money(810_165, "EUR"), format_money(-84_700, "EUR")
    ('12.9 M EUR', '810 k EUR', '-84.7 k EUR')
    >>> format_money(0, "EUR"), format_money(950), format_money(2.5e9, "USD")
    ('0 EUR', '950', '2.5 bn USD')
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    value = float(value)
    size = abs(value)
    for unit, scale in (("bn", 1e9), ("M", 1e6), ("k", 1e3), ("", 1.0)):
        if size >= scale * 0.9995 or scale == 1.0:
            break
    scaled = value / scale
    places = max(0, digits - 1 - int(math.floor(math.log10(abs(scaled))))) if scaled else 0
    text = f"{scaled:,.{places}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    if text in ("-0", ""):
        text = "0"
    return " ".join(p for p in (text, unit, currency) if p)


def format_percent(share: float, *, places: int = 0) -> str:
    """A share (0..1) as a percentage with a space before the sign, as cem writes it.

    Examples
    --------
    >>> format_percent(0.4512), format_percent(0.4512, places=1), format_percent(1)
    ('45 %', '45.1 %', '100 %')
    """
    if share is None or (isinstance(share, float) and math.isnan(share)):
        return "n/a"
    return f"{100 * float(share):.{places}f} %"


def money_formatter(currency: str = "") -> Formatter:
    """A tick formatter for a money axis: "12.9 M EUR" (no "1e7" offset).

    Examples
    --------
    >>> money_formatter("EUR")(2_500_000, 0)
    '2.5 M EUR'
    """
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda v, _pos: format_money(v, currency))


def percent_formatter(scale: float = 1.0, places: int = 0) -> Formatter:
    """A tick formatter for a share axis: "45 %" (``scale`` 100 when the data are already percent).

    Examples
    --------
    >>> percent_formatter()(0.25, 0), percent_formatter(scale=100)(25, 0)
    ('25 %', '25 %')
    """
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda v, _pos: format_percent(v / scale, places=places))


def step_names(source: nx.MultiDiGraph | Mapping[str, str] | None) -> dict[str, str]:
    """Names by id from a model graph (its nodes' ``name``) or a mapping; empty for None.

    A chart labels a step, need or actor with its name, and with its id only where it has none.

    Examples
    --------
    >>> step_names({"S1": "Book a repair"})["S1"]
    'Book a repair'
    >>> step_names(None)
    {}
    """
    if source is None:
        return {}
    if hasattr(source, "nodes"):
        return {n: str(d.get("name") or d.get("statement") or n) for n, d in source.nodes(data=True)}
    return {str(k): str(v) for k, v in source.items()}
