"""The page: a tab per registered method, then Compare, Learn and Video."""

from __future__ import annotations

import gradio as gr

import stylekit
from stylekit import examples

from .profile import MAX_SIDE, MAX_UPLOAD, ON_GPU
from .tabs import compare_tab, learn_tab, method_tab, video_tab


def build() -> gr.Blocks:
    """The whole app, ready to ``queue()`` and ``launch()``; builds widgets only (no model
    work: the thumbnails are made when a page first opens)."""
    # No usage analytics: classrooms and offline machines should not phone home.
    with gr.Blocks(title="stylekit: neural style transfer", analytics_enabled=False) as page:
        hardware = "a GPU" if ON_GPU else "a CPU (sizes and steps start small)"
        methods = stylekit.list_stylizers()
        gr.Markdown(
            "# stylekit\nPaint a photo in the style of a painting, "
            f"{len(methods)} ways. Running on {hardware}. Uploads up to {MAX_UPLOAD.upper()}; "
            f"larger than {MAX_SIDE} px on the long side are shrunk first.")
        for method in methods:
            with gr.Tab(method, id=method):
                method_tab(method, page)
        with gr.Tab("Compare", elem_id="compare"):
            compare_tab()
        with gr.Tab("Learn"):
            learn_tab()
        with gr.Tab("Video", elem_id="video"):
            video_tab()
        with gr.Accordion("About the example images", open=False):
            gr.Markdown(examples.sources_markdown())
    return page
