"""The hardware profile: where the app departs from the configs' defaults, and its limits.

Everything else in the app comes from the library's configs. On a CPU (a free Space has two
slow cores) runs start small; with CUDA, larger. Uploads, queues and the Learn tab's runs are
sized here too, so a deployment tunes one file.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import torch

if TYPE_CHECKING:
    import gradio as gr

ON_GPU = torch.cuda.is_available()
#: Per-method defaults for this hardware, where they depart from the library's. Gatys keeps
#: the library's default (384 px, 15 steps from the arbitrary picture: about 20 s on a CPU
#: Space's 2 cores), with a snapshot every 3 steps for the gallery.
PROFILE: dict[str, dict[str, Any]] = (
    {"gatys": {"size": 512, "save_every": 3}, "fast": {"size": 1024},
     "adain": {"size": 1024}, "wct": {"size": 1024}, "arbitrary": {"size": 1024}}
    if ON_GPU else
    {"gatys": {"save_every": 3},
     "fast": {"size": 512}, "adain": {"size": 512}, "wct": {"size": 512},
     "arbitrary": {"size": 512}}
)
#: Uploads: at most this many bytes, and shrunk to this long side before any work.
MAX_UPLOAD = "20mb"
MAX_SIDE = 2048 if ON_GPU else 1024
#: Refused outright (before decoding): protects the server from decompression bombs. Below
#: this a photo is decoded and shrunk to MAX_SIDE (100 MP: about 300 MB while it is decoded).
MAX_UPLOAD_PIXELS = 100_000_000
#: What the server runs at most, whatever a page or an API client sends (the widgets' ranges
#: only help): optimisation steps of a run, and of each video frame after the first.
#: Pictures are painted and measured at most ``MAX_SIDE`` px on the long side
#: (:func:`over_limits`).
LIMITS: dict[str, int] = (
    {"steps": 2000, "frame_steps": 500} if ON_GPU else {"steps": 500, "frame_steps": 100})
#: Slider ends for parameters whose config range is open or far wider than a demo needs.
SLIDER_SPANS: dict[str, tuple[float, float, float]] = {
    "size": (64, MAX_SIDE, 32), "steps": (5, LIMITS["steps"], 5),
    "style_size": (128, MAX_SIDE, 32),
    "content_weight": (0, 50, 0.5), "style_weight": (0, 2000, 10), "tv_weight": (0, 50, 0.5),
    "lr": (0.001, 0.2, 0.001), "style_scale": (0.25, 2.0, 0.05),
}
#: The Learn tab's side-by-side Gatys runs: small, so a class waits seconds, not minutes.
#: On a CPU the six-cell layer grid must take well under 30 s: 112 px, 20 L-BFGS steps from the
#: photo (the cells differ clearly by then).
LEARN_RUN: dict[str, Any] = {"size": 256, "steps": 150} if ON_GPU else {"size": 112, "steps": 20}

#: The Video tab: clips are cut to their first ``seconds``, and to ``frames`` frames whatever
#: frame rate the file claims, and painted at most ``side`` px on the long side (one CPU core
#: paints 360x240 frames with the fast method and their optical flow at 6 to 7 a second: a 4 s
#: clip at 25 fps takes about 15 s). Clips with frames over ``source_pixels`` (4K) are refused
#: before any is decoded, and a run that would take over ``budget`` seconds is ended (video
#: runs one at a time). Read at each run, so a deployment (or a test) can change it.
VIDEO_LIMITS: dict[str, float] = {
    **({"seconds": 20, "side": 720, "frames": 600} if ON_GPU else
       {"seconds": 4, "side": 360, "frames": 120}),
    "source_pixels": 3840 * 2160, "budget": 300}
#: Seconds the files the app serves (uploads, pictures, videos) are kept: Gradio's
#: ``delete_cache`` and :func:`stylekit.app.results.sweep` remove older ones, so a Space that
#: runs for weeks does not fill its disk. ``stylekit app --keep-files`` sets it.
KEEP_FILES = 3600

#: Runs at once per kind of work: optimisation (Gatys, Compare, the Learn grids) is long and
#: heavy, one-pass methods are quick; separate queues keep a Gatys run from blocking them.
#: A video (many frames) is long whatever the method: its own queue, one at a time.
CONCURRENCY = {"optimise": 1, "one_pass": 2, "video": 1}


def over_limits(config: Any, side: int = MAX_SIDE) -> str | None:
    """What in a run's final config is over this server's limits, said for the page, or
    ``None``: a picture painted over ``side`` px on the long side (``size``, Gatys'
    ``scales``), a style image measured over ``MAX_SIDE`` (``style_size``, Gatys' size x
    ``style_scale``), or more steps than :data:`LIMITS` (``steps``, ``frame_steps``). Any
    method's config, or the video's: fields are found by name.

    Example:
        >>> from stylekit.methods.gatys import GatysConfig
        >>> over_limits(GatysConfig(size=256, scales=(128, 1200)), side=1024)[:53]
        'scales: 1200 px is larger than this server paints (at'
        >>> over_limits(GatysConfig(size=256)) is None
        True
    """
    value = {name: getattr(config, name) for name in
             ("size", "scales", "style_size", "style_scale", "steps", "frame_steps")
             if getattr(config, name, None) is not None}
    painted = ("scales", max(value["scales"])) if "scales" in value else ("size", value.get("size"))
    if painted[1] is not None and painted[1] > side:
        return (f"{painted[0]}: {painted[1]} px is larger than this server paints (at most "
                f"{side} px on the long side). Give a smaller one.")
    measured = value.get("style_size")
    if measured is None and "style_scale" in value and "size" in value:
        measured = round(value["size"] * value["style_scale"])
    if measured is not None and measured > MAX_SIDE:
        return (f"style {'size' if 'style_size' in value else 'scale'}: the style image would be "
                f"measured at {measured} px, larger than this server allows (at most "
                f"{MAX_SIDE} px on the long side). Choose a smaller one.")
    for name in ("steps", "frame_steps"):
        if value.get(name, 0) > LIMITS[name]:
            return (f"{name.replace('_', ' ')}: {value[name]} is more than this server runs "
                    f"(at most {LIMITS[name]}). Choose fewer.")
    return None


def queue_slot(kind: str) -> dict[str, Any]:
    """The queue settings of an event doing ``kind`` of work (``optimise``, ``one_pass`` or
    ``video``)."""
    return {"concurrency_id": kind, "concurrency_limit": CONCURRENCY[kind]}


def set_concurrency(blocks: gr.Blocks, **limits: int) -> None:
    """Change the per-kind limits before launch (Gradio reads them at the first request)."""
    CONCURRENCY.update(limits)
    for fn in blocks.fns.values():
        if fn.concurrency_id in limits:
            fn.concurrency_limit = limits[fn.concurrency_id]


def on_zero_gpu(duration: int) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``@spaces.GPU`` on a ZeroGPU Space (the GPU is lent per call); a no-op elsewhere."""
    if os.environ.get("SPACES_ZERO_GPU"):
        import spaces

        return spaces.GPU(duration=duration)
    return lambda fn: fn
