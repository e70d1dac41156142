"""Loss curves: rows of (step, loss, term) and the plot updates that show them on a log axis.

The loss spans orders of magnitude (the style term starts near 1e8 and falls a hundredfold),
so the y axis is logarithmic, with ticks labelled as the loss itself ("1,000", "10 million").
``gr.LinePlot`` has no log scale, so the plots are ``gr.Plot`` components fed a Vega-Lite
spec written here: the browser draws it with the Vega that ships inside Gradio, so no plotting
package is needed and no picture file is made per update.
"""

from __future__ import annotations

import json
import math
import textwrap
from typing import Any

from gradio.components.plot import PlotData

#: Colours of the loss terms in the plots (terms not named here get :data:`SPARE_COLOURS`).
LOSS_COLOURS = {"total": "#222222", "content": "#1f77b4", "style": "#d62728", "tv": "#2ca02c"}
RACE_COLOURS = {"from noise: total": "#d62728", "from content: total": "#1f77b4"}
SPARE_COLOURS = ("#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf")
#: The y axis of the loss plots.
LOSS_AXIS = "loss (log scale)"
#: Plot size in pixels, legend above and caption below included (a column of the page at
#: 1400 px: the page scales it to its column's width).
WIDTH, HEIGHT = 620, 300
#: The page's font (Gradio's default theme), for the ticks, legend and caption.
FONT = "'Source Sans Pro', ui-sans-serif, system-ui, sans-serif"
#: Caption characters per line: a Vega title does not wrap by itself.
CAPTION_WIDTH = 90
#: Loss values below this are left out: a log axis has no zero (a term is 0 at step 1).
SMALLEST = 1e-12
_WORDS = ((1e12, "trillion"), (1e9, "billion"), (1e6, "million"))


def loss_rows(step: int, losses: dict[str, float], label: str = "") -> list[dict[str, Any]]:
    """One row per loss term that is above zero, the loss to four significant digits.

    Args:
        step: The optimisation step.
        losses: The loss terms at that step, by name.
        label: Put in front of every term's name (the race's "from noise: ").

    Returns:
        Rows of ``step``, ``loss`` and ``term``, as the plot's data.

    Example:
        >>> loss_rows(3, {"content": 0.0, "style": 21412345.6}, "from noise: ")
        [{'step': 3, 'loss': 21410000.0, 'term': 'from noise: style'}]
    """
    return [{"step": step, "loss": float(f"{value:.4g}"), "term": f"{label}{term}"}
            for term, value in losses.items() if value > SMALLEST]


def tick_label(value: float) -> str:
    """A tick of the loss axis as a number one reads aloud, not as a power of ten.

    Args:
        value: The tick's loss value.

    Returns:
        Digits with thousands separators below a million, words from a million up, and the
        exponent notation only for the very small or the astronomically large.

    Example:
        >>> [tick_label(v) for v in (0.01, 1, 500, 1e4, 2e5)]
        ['0.01', '1', '500', '10,000', '200,000']
        >>> [tick_label(v) for v in (1e6, 5e7, 1e9, 1e12)]
        ['1 million', '50 million', '1 billion', '1 trillion']
        >>> tick_label(1e-6), tick_label(1e16)
        ('1e-06', '1e+16')
    """
    if value >= 1e15 or value < 1e-4:
        return f"{value:.0e}"
    for size, word in _WORDS:
        if value >= size:
            return f"{value / size:,.4g} {word}"
    return f"{value:,.0f}" if value >= 1 else f"{value:g}"


def log_ticks(low: float, high: float) -> list[float]:
    """Tick values for a log axis from ``low`` to ``high``: each power of ten, and 2 and 5
    times it where the axis spans two decades or less (else it would have two or three ticks).

    Args:
        low: The smallest loss shown (above zero).
        high: The largest.

    Returns:
        The ticks in increasing order, the first at or below ``low`` and the last at or above
        ``high`` (the axis runs between them).

    Example:
        >>> log_ticks(2.1e6, 2.1e8)
        [1000000.0, 10000000.0, 100000000.0, 1000000000.0]
        >>> log_ticks(300, 4000)
        [100.0, 200.0, 500.0, 1000.0, 2000.0, 5000.0, 10000.0]
    """
    first, last = math.floor(math.log10(low)), math.ceil(math.log10(high))
    decades = max(last - first, 1)
    stride = math.ceil(decades / 10)  # at most ten labelled decades
    last = first + stride * math.ceil(decades / stride)  # the last tick is at or above high
    multiples = (1, 2, 5) if decades <= 2 else (1,)
    return [float(f"{m}e{power}") for power in range(first, last + 1, stride)
            for m in multiples if power < last or m == 1]


def loss_spec(rows: list[dict[str, Any]], caption: str,
              colours: dict[str, str] | None = None) -> dict[str, Any]:
    """The Vega-Lite spec of a loss plot: a line per term, the loss on a log y axis.

    Args:
        rows: Rows from :func:`loss_rows`.
        caption: Said under the plot (wrapped to lines of :data:`CAPTION_WIDTH` characters).
        colours: Colour by term (default :data:`LOSS_COLOURS`); its order is the legend's.

    Returns:
        The spec, as a dict to be sent as JSON.

    Example:
        >>> spec = loss_spec(loss_rows(5, {"style": 4.5e7, "content": 2e6}), "step 5 of 30")
        >>> spec["encoding"]["y"]["scale"]
        {'type': 'log', 'domain': [1000000.0, 100000000.0]}
        >>> spec["encoding"]["color"]["scale"]
        {'domain': ['content', 'style'], 'range': ['#1f77b4', '#d62728']}
    """
    colours = LOSS_COLOURS if colours is None else colours
    present = {row["term"] for row in rows}
    # Only the terms drawn are in the legend, in the order of ``colours`` (then any others).
    terms = [t for t in colours if t in present] + sorted(present - set(colours))
    spare = iter(SPARE_COLOURS * (1 + len(terms) // len(SPARE_COLOURS)))
    steps = max([1, *(row["step"] for row in rows)])
    y: dict[str, Any] = {"field": "loss", "type": "quantitative", "title": LOSS_AXIS,
                         "scale": {"type": "log"}}
    if rows:
        ticks = log_ticks(min(r["loss"] for r in rows), max(r["loss"] for r in rows))
        y["scale"]["domain"] = [ticks[0], ticks[-1]]  # from a labelled tick to a labelled tick
        # The labels are made here (tick_label), looked up by the tick's value in the browser.
        labels = [tick_label(t) for t in ticks]
        y["axis"] = {"values": ticks, "grid": True,
                     "labelExpr": f"{json.dumps(labels)}[indexof({json.dumps(ticks)}, "
                                  "datum.value)]"}
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "data": {"values": rows},
        # A fixed size, the page scaling the SVG to its column (stylekit.app.layout.CSS).
        "width": WIDTH,
        "height": HEIGHT,
        "autosize": {"type": "fit", "contains": "padding"},
        "config": {"font": FONT, "axis": {"labelFontSize": 12, "titleFontSize": 12,
                                          "titleFontWeight": "normal"},
                   "legend": {"labelFontSize": 12}},
        # Room above the legend for the component's label, which Gradio draws over the plot.
        "padding": {"top": 30, "left": 5, "right": 5, "bottom": 5},
        "title": {"text": textwrap.wrap(caption, CAPTION_WIDTH) or [""], "orient": "bottom",
                  "anchor": "start", "fontWeight": "normal", "fontSize": 12},
        "encoding": {
            # Steps are whole: at most one tick per step (Vega's own count would put ticks at
            # 1.5 in a short run), and the axis ends at the last step drawn, not past it.
            "x": {"field": "step", "type": "quantitative", "title": "step",
                  "scale": {"nice": False},
                  "axis": {"tickMinStep": 1, "tickCount": min(steps, 10), "labelFlush": True}},
            "y": y,
            "color": {"field": "term", "type": "nominal", "title": None,
                      "scale": {"domain": terms,
                                "range": [colours.get(t) or next(spare) for t in terms]},
                      "legend": {"orient": "top"}},
        },
        "mark": {"type": "line", "strokeWidth": 2},
        # SVG, not canvas: the page scales it to its column (a canvas would blur), and the
        # ticks and the legend are text a browser test can read.
        "usermeta": {"embedOptions": {"renderer": "svg", "actions": False}},
    }


def loss_plot(rows: list[dict[str, Any]], caption: str,
              colours: dict[str, str] | None = None) -> PlotData:
    """A ``gr.Plot`` value: the loss plot of :func:`loss_spec`, sent as a Vega-Lite chart.

    Args:
        rows: Rows from :func:`loss_rows`.
        caption: Said under the plot; a new caption (step) makes the browser redraw it.
        colours: Colour by term (default :data:`LOSS_COLOURS`).

    Returns:
        What ``gr.Plot`` sends as is, drawn by the browser's Vega-Lite. Deliberately without
        the ``chart`` kind of Gradio's own Altair charts: with it, Gradio sizes the chart
        itself, and a plot in a tab left and come back to stays zero pixels wide (Gradio
        6.31); it would also recolour the lines with its palette.

    Example:
        >>> plot = loss_plot(loss_rows(5, {"total": 2e7}), "step 5 of 30")
        >>> plot.type, json.loads(plot.plot)["encoding"]["y"]["scale"]["type"]
        ('altair', 'log')
    """
    return PlotData(type="altair", plot=json.dumps(loss_spec(rows, caption, colours)))
