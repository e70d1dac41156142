"""The loss plots' Vega-Lite spec (stylekit.app.plots): a log axis labelled with loss values."""

from __future__ import annotations

import json
import re

import pytest

pytest.importorskip("gradio")

from stylekit.app.plots import (  # noqa: E402
    LOSS_COLOURS,
    RACE_COLOURS,
    loss_plot,
    loss_rows,
    loss_spec,
)

#: What a Gatys run's weighted terms look like (measured: style from 2e8 down, content ~3e6).
STEPS = [(1, {"content": 0.0, "style": 2.14e8, "tv": 0.0, "total": 2.14e8}),
         (5, {"content": 2.08e6, "style": 4.54e7, "tv": 0.0, "total": 4.74e7}),
         (30, {"content": 3.86e6, "style": 7.59e6, "tv": 0.0, "total": 1.14e7})]


def gatys_rows() -> list[dict]:
    return [row for step, losses in STEPS for row in loss_rows(step, losses)]


def y_labels(spec: dict) -> dict[float, str]:
    """The y axis's tick labels by value, as the browser looks them up (``labelExpr``)."""
    axis = spec["encoding"]["y"]["axis"]
    labels, ticks = re.fullmatch(r"(\[.*\])\[indexof\((\[.*\]), datum\.value\)\]",
                                 axis["labelExpr"]).groups()
    assert json.loads(ticks) == axis["values"]
    return dict(zip(axis["values"], json.loads(labels), strict=True))


def test_the_loss_axis_is_logarithmic_and_reads_as_loss_values() -> None:
    spec = loss_spec(gatys_rows(), "drawn up to step 30 of 30")
    y = spec["encoding"]["y"]
    assert y["field"] == "loss" and y["scale"]["type"] == "log"
    assert "power" not in y["title"] and "log10" not in y["title"]
    # The data are the loss itself (a log axis), not its exponent.
    assert max(row["loss"] for row in spec["data"]["values"]) == pytest.approx(2.14e8)
    labels = y_labels(spec)
    # Every power of ten from below the smallest loss to above the largest, one tick each.
    assert list(labels) == [1e6, 1e7, 1e8, 1e9]
    assert y["scale"]["domain"] == [1e6, 1e9]
    assert list(labels.values()) == ["1 million", "10 million", "100 million", "1 billion"]


def test_small_losses_read_as_digits_and_a_narrow_range_gets_more_ticks() -> None:
    rows = loss_rows(1, {"total": 3000.0}) + loss_rows(2, {"total": 450.0})
    labels = y_labels(loss_spec(rows, "step 2 of 2"))
    assert list(labels.values()) == ["100", "200", "500", "1,000", "2,000", "5,000", "10,000"]


def test_the_colours_are_the_terms_and_only_drawn_terms_are_in_the_legend() -> None:
    spec = loss_spec(gatys_rows(), "step 30 of 30")
    scale = spec["encoding"]["color"]["scale"]
    assert scale["domain"] == ["total", "content", "style"]  # tv stays 0: not drawn
    assert scale["range"] == [LOSS_COLOURS[t] for t in scale["domain"]]
    race = loss_rows(3, {"total": 1e9}, "from noise: ") + loss_rows(3, {"total": 1e7},
                                                                    "from content: ")
    scale = loss_spec(race, "step 3", RACE_COLOURS)["encoding"]["color"]["scale"]
    assert dict(zip(scale["domain"], scale["range"], strict=True)) == RACE_COLOURS


def test_zero_terms_are_left_out_of_a_log_plot() -> None:
    assert {row["term"] for row in loss_rows(1, STEPS[0][1])} == {"style", "total"}


def test_the_caption_is_under_the_plot_in_lines_and_an_empty_plot_still_draws() -> None:
    caption = ("Each weighted loss term, drawn up to step 12 of 40. Coarse to fine (64 px, "
               "128 px): the loss jumps where the picture grows, since a larger picture has "
               "more detail to match; within a size it falls.")
    title = loss_spec(gatys_rows(), caption)["title"]
    assert title["orient"] == "bottom"
    assert " ".join(title["text"]) == caption and len(title["text"]) > 1
    empty = loss_spec([], "starting")
    assert empty["encoding"]["y"]["scale"] == {"type": "log"} and empty["data"]["values"] == []


def test_the_update_is_a_vega_lite_chart_gradio_sends_as_is() -> None:
    import gradio as gr

    plot = loss_plot(gatys_rows(), "drawn up to step 30 of 30")
    sent = gr.Plot().postprocess(plot)
    assert sent is not None and sent.type == "altair"
    spec = json.loads(sent.plot)
    assert spec["encoding"]["y"]["scale"]["type"] == "log"
    # Not one of Gradio's own chart kinds, which Gradio resizes (to nothing, in a tab left
    # and come back to) and recolours: a fixed size, scaled by the page's CSS.
    assert getattr(sent, "chart", None) is None and isinstance(spec["width"], int)
    assert spec["usermeta"]["embedOptions"]["renderer"] == "svg"
