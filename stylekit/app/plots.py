"""Loss curves: rows of (step, log10 loss, term) and the plot updates that show them."""

from __future__ import annotations

import math
from typing import Any

import gradio as gr
import pandas as pd

#: Colours of the loss terms in the plots (also what makes their legends show every term).
LOSS_COLOURS = {"total": "#222222", "content": "#1f77b4", "style": "#d62728", "tv": "#2ca02c"}
RACE_COLOURS = {"from noise: total": "#d62728", "from content: total": "#1f77b4"}
#: The y axis of the loss plots: the loss spans orders of magnitude, so the plots show its
#: power of ten, and say so.
LOG_AXIS = "loss, as a power of ten (6 = 1,000,000)"


def loss_table(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """The rows as a frame with typed columns, also when empty (the plot picks its axis kind
    from the first frame)."""
    table = pd.DataFrame(rows, columns=["step", "log10 loss", "term"])
    return table.astype({"step": "int64", "log10 loss": "float64", "term": "str"})


def loss_plot(rows: list[dict[str, Any]], caption: str) -> gr.LinePlot:
    """A loss-plot update. The caption changes with every update, which makes the browser
    rebuild the plot: a plot only updated with new data keeps the colour scale of its first
    frame, and a term that appears later (the second run of a race) would not be drawn."""
    return gr.LinePlot(value=loss_table(rows), caption=caption)


def loss_rows(step: int, losses: dict[str, float], label: str = "") -> list[dict[str, Any]]:
    """One row per loss term, on a log scale (style and content differ by orders)."""
    return [{"step": step, "log10 loss": math.log10(max(value, 1e-12)),
             "term": f"{label}{term}"} for term, value in losses.items() if value > 0]
