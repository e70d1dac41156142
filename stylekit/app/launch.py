"""Serving the app: ``python app.py`` and ``stylekit app`` both end here."""

from __future__ import annotations

import argparse
import logging
import os
from collections.abc import Sequence

from stylekit.errors import StylekitError

from . import profile
from .profile import CONCURRENCY, MAX_UPLOAD, set_concurrency

#: What the app needs beyond the library: the ``app`` extra.
APP_EXTRA = ("gradio", "pandas")


def parser(prog: str | None = None) -> argparse.ArgumentParser:
    """The server's options (also those of ``stylekit app``)."""
    options = argparse.ArgumentParser(prog=prog, description="stylekit demo hub (Gradio)")
    add_options(options)
    return options


def add_options(options: argparse.ArgumentParser) -> None:
    """Add the server's options to ``options``."""
    options.add_argument("--share", action="store_true",
                         help="also serve a public *.gradio.live link (for 72 hours)")
    options.add_argument("--host", default=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"),
                         help="address to listen on (default: 127.0.0.1; 0.0.0.0 for all)")
    options.add_argument("--port", type=int,
                         default=int(os.environ.get("GRADIO_SERVER_PORT", "7860")),
                         help="port (default: 7860)")
    options.add_argument("--max-queue", type=int, default=16,
                         help="requests waiting at most; more are told to come back later")
    options.add_argument("--optimise-concurrency", type=int, default=CONCURRENCY["optimise"],
                         help="Gatys-type runs at once (each uses all cores on a CPU)")
    options.add_argument("--one-pass-concurrency", type=int, default=CONCURRENCY["one_pass"],
                         help="fast/AdaIN/Learn-map requests at once")
    options.add_argument("--keep-files", type=int, default=profile.KEEP_FILES, metavar="SECONDS",
                         help="remove uploads and results older than this (default: "
                              f"{profile.KEEP_FILES}, an hour)")


def serve(args: argparse.Namespace) -> None:
    """Build the app and serve it with the options parsed from :func:`add_options`.

    Raises:
        StylekitError: gradio (or another package of the ``app`` extra) is not installed.
    """
    try:
        from .layout import build
        from .results import keep_sweeping
    except ModuleNotFoundError as exc:
        if exc.name not in APP_EXTRA:
            raise
        raise StylekitError(f"the app needs {exc.name}, which is not installed here; install "
                            'the app extra: pip install "stylekit[app]"') from None
    # One line per refused request in the server log (the library logs under "stylekit").
    logging.basicConfig(format="%(asctime)s %(name)s: %(message)s")
    logging.getLogger("stylekit").setLevel(logging.INFO)
    profile.KEEP_FILES = max(1, args.keep_files)
    page = build()
    set_concurrency(page, optimise=args.optimise_concurrency,
                    one_pass=args.one_pass_concurrency)
    page.queue(max_size=args.max_queue, default_concurrency_limit=1)
    keep_sweeping()
    # Quiet: Gradio's own console lines tell the user to "set share=True in launch()";
    # this app's console names its own flag instead.
    _, local_url, share_url = page.launch(
        server_name=args.host, server_port=args.port, share=args.share,
        max_file_size=MAX_UPLOAD, show_error=True, quiet=True, prevent_thread_lock=True)
    log = logging.getLogger("stylekit.app")
    log.info("serving the app at %s", local_url)
    if args.share:  # Gradio prints the public link even when quiet, or why there is none
        if not share_url:
            log.info("no public link could be made (see above); the app is served locally")
    elif not os.environ.get("SPACE_ID"):  # a Space is public already
        log.info("add --share for a public link (a *.gradio.live address, for 72 hours)")
    page.block_thread()  # until Ctrl-C


def main(argv: Sequence[str] | None = None) -> None:
    """Parse ``argv`` (default: the command line) and serve the app until interrupted."""
    serve(parser().parse_args(argv))
