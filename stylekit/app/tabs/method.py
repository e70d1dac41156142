"""A method's tab: inputs, settings and outputs, all derived from its class and config."""

from __future__ import annotations

import functools

import gradio as gr

import stylekit
from stylekit.config import describe
from stylekit.lessons import is_iterative

from ..handlers import (
    before_after,
    model_thumbnails,
    named,
    readable_errors,
    run_method,
    snapshots_gif,
)
from ..profile import on_zero_gpu, queue_slot
from ..stop import wire_run
from ..widgets import control, drawn_mask, example_pickers, image_input, visible_params


def method_tab(method: str, page: gr.Blocks) -> None:
    """Fill the current tab with ``method``'s page; ``page`` gets the thumbnails' load event."""
    cls = stylekit.get_stylizer_class(method)
    specs = visible_params(method)
    iterative = is_iterative(method)
    has_mask = any(s.name == "mask" for s in describe(cls.config_class))
    gr.Markdown(f"**{cls.description}**")
    # The run button sits right under the pictures and the result column starts at the top:
    # at a 1400x1000 screen both the button and the result (with its progress) are in view.
    with gr.Row(equal_height=False):
        with gr.Column():
            with gr.Row():
                content = image_input("Photo", elem_id=f"{method}-content", webcam=True,
                                      height=230)
                # Every tab takes the same four images (hidden where unused): one API shape.
                style = image_input("Style image", visible=cls.needs_style,
                                    elem_id=f"{method}-style", height=230)
            with gr.Row():
                run = gr.Button("Stylize", variant="primary", elem_id=f"{method}-run")
                stop = gr.Button("Stop", variant="stop", visible=iterative)
            example_pickers(method, content, style if cls.needs_style else None)
            with gr.Accordion("Blend a second style", open=False, visible=cls.needs_style,
                              elem_id=f"{method}-blend"):
                style2 = image_input("Second style image (optional)", elem_id=f"{method}-style2")
                mask = image_input("Mask: white takes the first style, black the second",
                                   visible=has_mask, elem_id=f"{method}-mask")
                if has_mask:
                    mask_editor(content, mask, method)
            with gr.Accordion("Settings", open=True):
                widgets = {s.name: control(method, s) for s in specs if not s.advanced}
                if cls.model_kind is not None and not cls.needs_style and "model" in widgets:
                    model_picker(method, page, widgets["model"])
            with gr.Accordion("More settings", open=False):
                widgets.update({s.name: control(method, s) for s in specs if s.advanced})
        with gr.Column():
            with gr.Tabs():
                with gr.Tab("Result"):
                    result = gr.Image(label="Result", type="pil", interactive=False,
                                      format="png", elem_id=f"{method}-result", height=440,
                                      elem_classes="stylekit-result")
                with gr.Tab("Before and after", elem_id=f"{method}-compare-tab"):
                    slider = gr.ImageSlider(label="Photo and result: drag the handle",
                                            type="pil", interactive=False, height=440,
                                            elem_id=f"{method}-slider")
            status = gr.Markdown(elem_id=f"{method}-status")
            gallery = gr.Gallery(label="Intermediate iterations", columns=4, height=260,
                                 visible=iterative, elem_id=f"{method}-gallery")
            # A gr.Plot, not a gr.LinePlot: the loss needs a log axis (see plots.py), drawn
            # with its colours and caption by every update the run sends.
            curve = gr.Plot(label="Loss curve", visible=iterative, elem_id=f"{method}-curve",
                            elem_classes="stylekit-loss")
            snapshots = gr.File(label="The snapshots as an animated GIF (for a slide)",
                                visible=iterative, interactive=False,
                                elem_id=f"{method}-gif")
    ordered = [widgets[s.name] for s in specs]
    handler = on_zero_gpu(120 if iterative else 30)(readable_errors(named(
        functools.partial(run_method, method),
        ["photo", "style_image", "second_style_image", "mask", *(s.name for s in specs)])))
    # Stop ends the page's own run (see stop.wire_run); API clients cancel their job.
    ran = wire_run(method, run, stop, handler, [content, style, style2, mask, *ordered],
             [result, gallery, curve, status], status, api_name=method,
             **queue_slot("optimise" if iterative else "one_pass"),
             # Not on the status line, which it would cover.
             show_progress_on=[gallery] if iterative else [result])
    ran.success(before_after, [content, result], slider, api_visibility="private",
                queue=False, show_progress="hidden")
    if iterative:
        ran.success(functools.partial(snapshots_gif, method=method), [gallery, result],
                    snapshots, api_visibility="private", show_progress="hidden")


def mask_editor(content: gr.Image, mask: gr.Image, method: str) -> gr.ImageEditor:
    """A canvas to draw the two-style mask on, over the photo; each stroke puts the drawn mask
    in ``mask`` (what the library gets)."""
    gr.Markdown("Or draw the mask over the photo below: the white brush paints where the "
                "first style goes, the black brush (or nothing) the second.")
    editor = gr.ImageEditor(
        label="Draw the mask",
        type="pil", image_mode="RGBA", sources=["upload"], layers=False, transforms=[],
        brush=gr.Brush(colors=["#ffffff", "#000000"], default_color="#ffffff",
                       color_mode="fixed"),
        height=320, elem_id=f"{method}-mask-editor")
    content.change(lambda photo: photo, content, editor, api_visibility="private",
                   queue=False, show_progress="hidden")
    # input: the visitor's strokes (not the photo put in as the background)
    editor.input(lambda drawn: drawn_mask(drawn) or gr.skip(), editor, mask,
                  api_visibility="private", trigger_mode="always_last",
                  show_progress="hidden")
    return editor


def model_picker(method: str, page: gr.Blocks, model: gr.components.Component) -> None:
    """Thumbnails of the models on an example photo; clicking one picks it in ``model``.

    The thumbnails are made when a page first opens (then cached), not when the app is built.
    """
    picker = gr.Gallery(label="The models on an example photo: click one to pick it",
                        columns=4, height=170, allow_preview=False, fit_columns=False,
                        object_fit="cover", elem_id=f"{method}-models")

    def thumbnails() -> list:
        return model_thumbnails(method)

    def pick(evt: gr.SelectData) -> str:
        """The model name of the clicked thumbnail."""
        return model_thumbnails(method)[evt.index][1]

    page.load(thumbnails, None, picker, api_visibility="private", **queue_slot("one_pass"))
    picker.select(pick, None, model)
