"""The page: a tab per registered method, then Video, Compare and Learn."""

from __future__ import annotations

import gradio as gr

import stylekit
from stylekit import examples

from . import profile
from .profile import MAX_SIDE, MAX_UPLOAD, ON_GPU
from .stop import forget_page
from .tabs import compare_tab, learn_tab, method_tab, video_tab

#: The tabs a visitor meets first: any painting in one pass (the method people preferred in a
#: blind panel), the built-in styles, Gatys, then the other any-painting methods (WCT, whose
#: whitening the Learn tab shows, before AdaIN); other methods follow by name.
FIRST_TABS = ("arbitrary", "fast", "gatys", "wct", "adain")

#: The page's own style rules (added to the page's head by :func:`build`): a result smaller
#: than its box (a Gatys run at 256 px) fills the box instead of sitting in it as a stamp; a
#: loss plot (a Vega-Lite chart drawn at a fixed size as SVG, see plots.py) is scaled to the
#: width of its column like a picture. Not sized by the browser's Vega: that measures its box
#: only when the window resizes, and a box in a hidden tab measures zero.
CSS = """
.stylekit-result img {
  width: 100% !important; height: 100% !important; object-fit: contain !important;
}
.stylekit-loss [data-testid="altair"] > div, .stylekit-loss .vega-embed {
  width: 100%; align-self: stretch;
}
.stylekit-loss .vega-embed svg.marks { width: 100%; height: auto; }
"""


def tab_order(methods: list[str]) -> list[str]:
    """The methods in the order of their tabs.

    Example:
        >>> tab_order(["adain", "arbitrary", "fast", "gatys", "wct", "zeta"])
        ['arbitrary', 'fast', 'gatys', 'wct', 'adain', 'zeta']
    """
    return [m for m in FIRST_TABS if m in methods] + [m for m in methods if m not in FIRST_TABS]


def example_credits() -> str:
    """Where the example pictures come from, for the page: who made each and its licence (the
    files' places are in the documentation, not on the page).

    Example:
        >>> example_credits().splitlines()[2]
        '| picture | by | licence |'
    """
    lines = ["The example photos come with scikit-image; the paintings are photographs of "
             "public-domain works, as found in public style-transfer projects.", "",
             "| picture | by | licence |", "|---|---|---|"]
    lines += [f"| {e.name.replace('_', ' ')} | {e.credit} | {e.license} |"
              for e in examples.EXAMPLES.values()]
    return "\n".join(lines) + "\n"


def build() -> gr.Blocks:
    """The whole app, ready to ``queue()`` and ``launch()``; builds widgets only (no model
    work: the thumbnails are made when a page first opens)."""
    # No usage analytics: classrooms and offline machines should not phone home.
    # delete_cache: uploads and results older than KEEP_FILES go (checked a few times as often).
    keep = profile.KEEP_FILES
    with gr.Blocks(title="stylekit: neural style transfer", analytics_enabled=False,
                   delete_cache=(max(1, min(600, keep // 4)), keep)) as page:
        methods = tab_order(stylekit.list_stylizers())
        # The largest default size of a method on this hardware (none: the photo's, up to
        # MAX_SIDE); methods without a size do not count.
        configs = [stylekit.get_stylizer_class(m).config_class().replace(
            **profile.PROFILE.get(m, {})) for m in methods]
        largest = max((getattr(c, "size", None) or MAX_SIDE for c in configs
                       if hasattr(c, "size")), default=MAX_SIDE)
        hardware = "a GPU" if ON_GPU else f"a CPU (pictures start at {largest} px or less)"
        # In the page, not in launch(): the Space, the CLI and the tests all serve it so.
        gr.HTML("", head=f"<style>{CSS}</style>", container=False, padding=False,
                js_on_load=None, elem_id="stylekit-style")
        gr.Markdown(
            "# stylekit\nPaint a photo in the style of a painting, "
            f"{len(methods)} ways. Running on {hardware}. Uploads up to {MAX_UPLOAD.upper()}; "
            f"larger than {MAX_SIDE} px on the long side are shrunk first.")
        for method in methods:
            with gr.Tab(method, id=method):
                method_tab(method, page)
        # Then a clip painted the same ways, all methods side by side, and the lessons.
        with gr.Tab("Video", elem_id="video"):
            video_tab()
        with gr.Tab("Compare", elem_id="compare"):
            compare_tab()
        with gr.Tab("Learn"):
            learn_tab()
        with gr.Accordion("About the example images", open=False):
            gr.Markdown(example_credits())
        page.unload(forget_page)
    return page
