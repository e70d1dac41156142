"""The files the page serves: each picture written once, whole, to a file of its own.

Gradio saves a returned picture under a name made from its content, so two identical results
(a class running the same example) share one file, which the second request rewrites while the
first is still being sent ("Too little data for declared Content-Length" in the server log, a
cut-off picture in the page). The handlers give Gradio files instead: written atomically under
a new name in Gradio's own folder (which it then serves as they are) and never written again.

Gradio's ``delete_cache`` removes old uploads, but not these (it loses track of files a
streamed output hands it), so :func:`keep_sweeping` removes them once they are
:data:`~.profile.KEEP_FILES` seconds old, but those a run in progress still shows
(:func:`showing`).
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

from gradio.utils import get_upload_folder
from PIL import Image

from stylekit.fileio import atomic_write

from . import profile

_LOCK = threading.Lock()
#: The galleries of the runs in progress.
_SHOWING: list[list[tuple[str, str]]] = []


def folder() -> Path:
    """Where the app's own files go: a folder inside Gradio's (``GRADIO_TEMP_DIR``)."""
    return Path(get_upload_folder()) / "stylekit"


def new_path(name: str, suffix: str) -> Path:
    """A file name no other run has: ``name-<random>.suffix`` in :func:`folder`."""
    return folder() / f"{name}-{uuid.uuid4().hex[:12]}{suffix}"


def picture(image: Image.Image, name: str, fmt: str = "webp") -> str:
    """``image`` written whole to a new file (WebP, or PNG for a result to keep); its path.

    Example:
        >>> path = picture(Image.new("RGB", (8, 8)), "doctest")
        >>> path.endswith(".webp"), Image.open(path).size
        (True, (8, 8))
    """
    return str(atomic_write(new_path(name, f".{fmt}"), lambda tmp: save(image, tmp, fmt)))


def save(image: Image.Image, path: str, fmt: str = "webp") -> None:
    """Write ``image`` to ``path`` as ``fmt`` (``webp``: lossy, small; ``png``: exact)."""
    if fmt == "webp":
        image.save(path, "WEBP", quality=90)
    else:
        image.save(path, fmt.upper())


@contextlib.contextmanager
def showing(gallery: list[tuple[str, str]]) -> Iterator[list[tuple[str, str]]]:
    """While a run goes on, however long its steps, the pictures of its ``gallery`` (paths and
    captions, added to as it goes) are not swept; from its end they age like any file."""
    with _LOCK:
        _SHOWING.append(gallery)
    try:
        yield gallery
    finally:
        with _LOCK:
            # By identity: two galleries with the same pictures (or both still empty) are
            # equal, and list.remove would take the other run's.
            _SHOWING[:] = [shown for shown in _SHOWING if shown is not gallery]
        for path, _ in gallery:
            with contextlib.suppress(OSError):
                os.utime(path)  # last used now: the page is about to fetch them


def sweep() -> None:
    """Remove the files of :func:`folder` last used more than ``KEEP_FILES`` seconds ago, but
    those a run still shows (:func:`showing`)."""
    now = time.time()
    with _LOCK:
        shown = {path for gallery in _SHOWING for path, _ in gallery}
    for old in folder().glob("*"):
        with contextlib.suppress(OSError):  # gone already (another sweep)
            if now - old.stat().st_mtime > profile.KEEP_FILES and str(old) not in shown:
                old.unlink()


def keep_sweeping() -> threading.Thread:
    """Sweep in the background while the server runs, every quarter of ``KEEP_FILES`` (at
    most a minute apart)."""
    def loop() -> None:
        while True:
            time.sleep(max(1, min(60, profile.KEEP_FILES // 4)))
            sweep()

    thread = threading.Thread(target=loop, name="stylekit-sweep", daemon=True)
    thread.start()
    return thread
