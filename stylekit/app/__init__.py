"""The Gradio app (also a Hugging Face Space) over the stylekit library; needs the ``app`` extra.

It only wires widgets to the library: every method, parameter, default, range and picture
comes from ``stylekit``, and a tab is built for each registered method from its config, so a
new method shows up with no change here. Where to look:

- :mod:`~stylekit.app.profile`: hardware profile and limits (sizes, uploads, queues);
- :mod:`~stylekit.app.widgets`: config fields to widgets, and widgets whose refusals read well;
- :mod:`~stylekit.app.handlers`: what the buttons do (library calls in, widget updates out);
- :mod:`~stylekit.app.stop`: the Stop buttons (runs end cooperatively, at their next step);
- :mod:`~stylekit.app.plots`: the loss curves;
- :mod:`~stylekit.app.tabs` and :mod:`~stylekit.app.layout`: the page;
- :mod:`~stylekit.app.launch`: the server and its options.

    python app.py                 # http://127.0.0.1:7860
    stylekit app --share          # plus a public *.gradio.live link, e.g. for a class
    stylekit app --host 0.0.0.0 --port 8080 --max-queue 32

Importing this package does not import gradio (only :func:`build` and :func:`main` do), so
``stylekit app`` can say what is missing when the ``app`` extra is not installed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import gradio as gr

__all__ = ["build", "main"]


def build() -> gr.Blocks:
    """The whole app as a ``gr.Blocks``, ready to ``queue()`` and ``launch()``.

    Building does no model work (the model thumbnails are made when a page first opens).
    """
    from .layout import build as build_page

    return build_page()


def main(argv: Sequence[str] | None = None) -> None:
    """Serve the app with the command-line options in ``argv`` (default: ``sys.argv``)."""
    from .launch import main as serve_main

    serve_main(argv)
