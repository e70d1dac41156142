"""The Video tab: a clip through any method, tied together along the optical flow, with the
frame-by-frame result beside it (the flicker is the lesson)."""

from __future__ import annotations

import re

import gradio as gr

import stylekit
from stylekit.video.deps import MissingDependencyError, require
from stylekit.video.examples import example_clip_names

from ..handlers import (
    VIDEO_MORE,
    example_clip,
    named,
    readable_errors,
    run_video,
    video_label,
    video_method_settings,
    video_settings,
)
from ..profile import ON_GPU, VIDEO_LIMITS, on_zero_gpu, queue_slot
from ..stop import wire_run
from ..widgets import control, example_pickers, image_input, quiet


def video_tab() -> None:
    """Fill the current tab with the Video page, or say how to install the video extra."""
    try:
        require("av")
        require("cv2")
    except MissingDependencyError:
        gr.Markdown('**Video needs the video extra**, which is not installed here: '
                    '`pip install "stylekit[video]"` (PyAV and OpenCV), then restart the app.',
                    elem_id="video-missing")
        return
    seconds, side = VIDEO_LIMITS["seconds"], int(VIDEO_LIMITS["side"])
    hardware = "a GPU" if ON_GPU else "a CPU"
    gr.Markdown(
        "Paint a clip with any method. Each frame on its own flickers: small changes in a "
        "frame change its strokes. Tied to the frame before along the optical flow (Ruder et "
        "al. 2016), the strokes move with the scene. "
        f"On {hardware} only the first {seconds:g} s of a clip are painted, at most {side} px "
        "on the long side.")
    methods = stylekit.list_stylizers()
    first = "fast" if "fast" in methods else methods[0]
    with gr.Row():
        with gr.Column():
            clip = gr.Video(label="Clip", sources=["upload"], height=260,
                            elem_id="video-source")
            example = gr.Dropdown(example_clip_names(), value=None,
                                  label="Or pick an example clip (made from a still photo)",
                                  elem_id="video-example")
            method = quiet(gr.Dropdown(methods, value=first, label="method",
                                       elem_id="video-method"))
            with gr.Column(visible=needs_style(first)) as style_box:
                style = image_input("Style image", elem_id="video-style")
            # Right under the inputs: the result column (at the top) stays in view.
            with gr.Row():
                run = gr.Button("Stylize video", variant="primary", elem_id="video-run")
                stop = gr.Button("Stop", variant="stop")
            with gr.Column(visible=needs_style(first)) as pickers:
                example_pickers("video", None, style, open=False)
            long_side = quiet(gr.Slider(
                64, side, value=min(256, side), step=16, label="long side",
                info=f"Frames are painted this many pixels on the long side (at most {side}).",
                elem_id="video-long-side"))
            side_by_side = gr.Checkbox(
                True, label="side by side",
                info="Left: every frame painted on its own; right: tied along the optical "
                     "flow (one-pass methods).", elem_id="video-side-by-side")
            settings = {s.name: control("video", s) for s in video_settings()
                        if s.name not in VIDEO_MORE}
            groups, method_widgets = [], []
            for name in methods:  # each method's settings, shown while it is picked
                with gr.Column(visible=name == first) as group:
                    specs = video_method_settings(name)
                    widgets = {s.name: control(name, s, tab="video-") for s in specs
                               if not s.advanced}
                    if any(s.advanced for s in specs):
                        with gr.Accordion(f"More {name} settings", open=False):
                            widgets.update({s.name: control(name, s, tab="video-")
                                            for s in specs if s.advanced})
                groups.append(group)
                method_widgets += [widgets[s.name] for s in specs]
            with gr.Accordion("More video settings", open=False):
                settings.update({s.name: control("video", s) for s in video_settings()
                                 if s.name in VIDEO_MORE})
        with gr.Column():
            result = gr.Video(label=video_label(True), interactive=False, autoplay=True,
                              loop=True,
                              height=320, elem_id="video-result")
            frame = gr.Image(label="The frame just painted", type="numpy", interactive=False,
                             height=200, elem_id="video-frame")
            status = gr.Markdown(elem_id="video-status")

    def show_method(picked: str) -> list[dict]:
        return [gr.update(visible=picked == name) for name in methods] + [
            gr.update(visible=needs_style(picked))] * 2

    method.change(show_method, method, [*groups, style_box, pickers],
                  api_visibility="private")
    side_by_side.change(lambda on: gr.update(label=video_label(on)), side_by_side, result,
                        api_visibility="private", queue=False, show_progress="hidden")
    example.change(readable_errors(example_clip), example, clip, api_name="video_example")
    ordered = [settings[s.name] for s in video_settings()]
    names = ["clip", "method", "style_image", "long_side", "side_by_side",
             *(s.name for s in video_settings()),
             # Parameter names of the API: a method's name may have a "-" in it.
             *(re.sub(r"\W", "_", f"{name}_{s.name}") for name in methods
               for s in video_method_settings(name))]
    wire_run("video", run, stop, on_zero_gpu(300)(named(run_video, names)),
             [clip, method, style, long_side, side_by_side, *ordered, *method_widgets],
             [result, frame, status], status, api_name="video", **queue_slot("video"),
             show_progress_on=[frame])


def needs_style(method: str) -> bool:
    """Whether ``method`` takes a style image (the fast method's networks carry theirs)."""
    return stylekit.get_stylizer_class(method).needs_style
