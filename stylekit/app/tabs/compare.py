"""The Compare tab: one photo and one painting through every method, like for like (the same
size; with a shipped painting, the fast network trained on it), with times."""

from __future__ import annotations

import dataclasses

import gradio as gr

from stylekit import get_stylizer_class

from ..handlers import compare, methods_with_models, named, painting_network
from ..profile import LIMITS, MAX_SIDE, PROFILE, on_zero_gpu, queue_slot
from ..stop import wire_run
from ..widgets import example_pickers, image_input, model_choice, quiet


def compare_tab() -> None:
    """Fill the current tab with the Compare page."""
    gr.Markdown("One photo and one painting through every method at the same size, with the "
                "time each took. Pick one of the example paintings and the fast method uses "
                "the network trained on it.")
    with gr.Row(equal_height=False):
        with gr.Column():
            with gr.Row():
                content = image_input("Photo", elem_id="compare-content", webcam=True,
                                      height=230)
                style = image_input("Style image", elem_id="compare-style", height=230)
            with gr.Row():
                go = gr.Button("Compare", variant="primary", elem_id="compare-run")
                stop = gr.Button("Stop", variant="stop")
            paintings = example_pickers("compare", content, style)
            with gr.Accordion("Settings", open=True):
                # Gatys' own defaults (the profile's, else the library's): the one run
                # that takes a while sets the size every method is shown at.
                gatys = {**dataclasses.asdict(get_stylizer_class("gatys").config_class()),
                         **PROFILE.get("gatys", {})}
                size = quiet(gr.Slider(
                    64, MAX_SIDE, value=int(gatys["size"]), step=32,
                    label="size (every method)", elem_id="compare-size",
                    info="Long side of every result, so they compare like for like. Gatys "
                         "takes four times as long at twice the size."))
                steps = quiet(gr.Slider(
                    5, LIMITS["steps"], value=int(gatys["steps"]), step=5,
                    label="Gatys steps", elem_id="compare-gatys-steps",
                    info="Optimisation steps of the Gatys run, refining the arbitrary "
                         "network's picture (the one-pass methods have none): fewer is "
                         "quicker and rougher."))
                with_models = methods_with_models()
                models = [model_choice(method) for method in with_models]
        with gr.Column():
            out = gr.Gallery(label="Results", columns=3, height=440, object_fit="contain",
                             elem_id="compare-results")
            times = gr.Markdown(elem_id="compare-status")
    if "fast" in with_models and paintings is not None:
        fast = models[with_models.index("fast")]
        # A shipped painting with a network of its own: fast uses that network.
        paintings.select(painting_network, None, fast, api_visibility="private",
                         queue=False)
    handler = named(compare, ["photo", "style_image", *(f"{m}_model" for m in with_models),
                              "size", "gatys_steps"])
    # The run itself says "Stopped." below the times so far (see handlers.compare).
    wire_run("compare", go, stop, on_zero_gpu(120)(handler),
             [content, style, *models, size, steps], [out, times], api_name="compare",
             **queue_slot("optimise"))
