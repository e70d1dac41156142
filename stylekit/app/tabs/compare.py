"""The Compare tab: one photo and one painting through every method, with times."""

from __future__ import annotations

import gradio as gr

from ..handlers import compare, methods_with_models, named
from ..profile import on_zero_gpu, queue_slot
from ..stop import wire_run
from ..widgets import example_pairs, image_input, model_choice


def compare_tab() -> None:
    """Fill the current tab with the Compare page."""
    gr.Markdown("One photo and one painting through every method, with the time each took.")
    with gr.Row():
        with gr.Column():
            content = image_input("Photo")
            style = image_input("Style image")
            with_models = methods_with_models()
            models = [model_choice(method) for method in with_models]
            go = gr.Button("Compare", variant="primary")
            stop = gr.Button("Stop", variant="stop")
        with gr.Column():
            out = gr.Gallery(label="Results", columns=3, height=420)
            times = gr.Markdown(elem_id="compare-status")
    gr.Examples(example_pairs(), [content, style])
    handler = named(compare, ["photo", "style_image", *(f"{m}_model" for m in with_models)])
    # The run itself says "Stopped." below the times so far (see handlers.compare).
    wire_run("compare", go, stop, on_zero_gpu(120)(handler), [content, style, *models],
             [out, times], api_name="compare", **queue_slot("optimise"))
