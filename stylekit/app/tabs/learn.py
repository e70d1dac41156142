"""The Learn tab: what VGG-19 sees, Gram matrices, whitening, and what each Gatys choice
changes, each a small experiment from :mod:`stylekit.lessons` or :mod:`stylekit.visualize`."""

from __future__ import annotations

import gradio as gr

from stylekit.lessons import style_layer_presets
from stylekit.nets.reconstruction import SHIPPED_DECODERS
from stylekit.vgg import LAYER_NAMES

from ..handlers import init_race, layer_grid, show_features, show_grams, show_whitening
from ..profile import queue_slot
from ..stop import wire_run
from ..widgets import (
    LAYER_NAMES_SAID,
    example_pickers,
    image_input,
    pair_inputs,
    quiet,
)


def learn_tab() -> None:
    """Fill the current tab with the Learn page, one sub-tab per experiment."""
    gr.Markdown("What the network sees, and what each choice changes. Small sizes, so it is "
                "quick enough to run live in a class. The network is VGG-19, a picture "
                "classifier whose layers the methods use to compare pictures. "
                + LAYER_NAMES_SAID)
    with gr.Tab("What each VGG layer sees"):
        with gr.Row():
            with gr.Column():
                image = image_input("Image")
                layer = quiet(gr.Dropdown(list(LAYER_NAMES), value="relu2_1",
                                          label="VGG-19 layer"))
                count = quiet(gr.Slider(4, 64, value=16, step=4,
                                        label="channels shown (most active)"))
                go = gr.Button("Show feature maps", variant="primary")
                example_pickers("learn-features", image, None)
            with gr.Column():
                maps = gr.Image(label="Feature maps", type="pil", interactive=False)
                summary = gr.Markdown()
        go.click(show_features, [image, layer, count], [maps, summary], api_name="features",
                 **queue_slot("one_pass"))
    with gr.Tab("Gram matrices"):
        gr.Markdown("A Gram matrix holds how often two channels fire together, wherever in "
                    "the picture: texture and colour without layout. Gatys matches these. "
                    + LAYER_NAMES_SAID)
        with gr.Row():
            with gr.Column():
                picture = image_input("Style image")
                layers = gr.CheckboxGroup(list(style_layer_presets()["gatys"]),
                                          value=["relu1_1", "relu3_1", "relu5_1"],
                                          label="layers")
                go = gr.Button("Show Gram matrices", variant="primary")
                example_pickers("learn-grams", None, picture)
            grams = gr.Gallery(label="Gram matrices (first 64 channels)", columns=2,
                               height="auto", object_fit="contain", elem_id="learn-grams")
        go.click(show_grams, [picture, layers], grams, api_name="grams",
                 **queue_slot("one_pass"))
    with gr.Tab("Whitening and colouring"):
        gr.Markdown("WCT (the wct tab) at one layer. Whitening removes the correlations "
                    "between a photo's feature channels, its colours and textures, and keeps "
                    "where things are; colouring gives the features the painting's "
                    "correlations. Top: the photo's features painted back by the layer's "
                    "decoder; the whitened features themselves (9 channels; blue below zero, "
                    "red above); the coloured features painted back; the painting. Bottom: "
                    "the covariance of the first 32 channels of each, red where two channels "
                    "rise together, blue where one rises as the other falls, white where they "
                    "are unrelated (the bar under each gives the scale). "
                    + LAYER_NAMES_SAID)
        with gr.Row():
            with gr.Column():
                content = image_input("Photo")
                style = image_input("Style image")
                # The layers with a shipped decoder to paint the features back.
                wct_layer = quiet(gr.Dropdown(sorted(SHIPPED_DECODERS), value="relu3_1",
                                              label="VGG-19 layer"))
                go = gr.Button("Whiten and colour", variant="primary")
                example_pickers("learn-whitening", content, style, open=False)
            # Two columns: each caption on one line, and the heat maps' colour bars whole.
            whitening = gr.Gallery(label="photo, whitened, coloured, painting", columns=2,
                                   height="auto", object_fit="contain",
                                   elem_id="learn-whitening")
        go.click(show_whitening, [content, style, wct_layer], whitening, api_name="whitening",
                 **queue_slot("one_pass"))
    with gr.Tab("Layer choices", elem_id="learn-layers"):
        gr.Markdown("The same photo and painting with each set of content and style layers. "
                    "Shallow style layers copy colour and fine texture, deep ones larger "
                    "motifs; a deeper content layer lets the layout move more. "
                    + LAYER_NAMES_SAID + " Style sets: "
                    + "; ".join(f"**{name}** {', '.join(layers)}"
                                for name, layers in style_layer_presets().items()) + ".")
        content, style = pair_inputs()
        go, stop = run_and_stop("Run the grid")
        grid = gr.Gallery(label="rows: content layer; columns: style layers", columns=3,
                          height="auto", object_fit="contain", elem_id="learn-grid")
        example_pickers("learn-layers", content, style, open=False)
        wire_run("layer_grid", go, stop, layer_grid, [content, style], [grid],
                 api_name="layer_grid", **queue_slot("optimise"))
    with gr.Tab("Where the optimiser starts", elem_id="learn-race"):
        gr.Markdown("Gatys optimises the pixels themselves. From noise it must build the "
                    "picture; from the photo it only has to repaint it.")
        content, style = pair_inputs()
        go, stop = run_and_stop("Race noise against photo")
        with gr.Row():
            race = gr.Gallery(label="snapshots", columns=4)
            race_curve = gr.Plot(label="total loss", elem_id="learn-race-curve",
                                 elem_classes="stylekit-loss")
        example_pickers("learn-race", content, style, open=False)
        wire_run("init_race", go, stop, init_race, [content, style], [race, race_curve],
                 api_name="init_race", **queue_slot("optimise"))


def run_and_stop(label: str) -> tuple[gr.Button, gr.Button]:
    """A run button and its Stop, side by side."""
    with gr.Row():
        return (gr.Button(label, variant="primary"),
                gr.Button("Stop", variant="stop"))
