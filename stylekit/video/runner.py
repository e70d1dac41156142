"""Stylize a video with any registered method, frame by frame, tied together along the flow.

:func:`stylize_frames` is the core (frames in, stylized frames out, no files);
:func:`stylize_video` streams a file through it into another file. Per frame, for one-pass
methods (fast, adain, wct): stylize the frame on its own, then carry the previous output's
strokes along the optical flow wherever it is reliable (a :class:`~.canvas.StrokeCanvas`
resamples each stroke once, so they stay sharp); strokes that a zoom has grown or shrunk by
more than ``max_stroke_scale`` are painted anew. For Gatys: the first frame is optimised as a
still; each later one starts from the previous output warped, with a
:class:`~.consistency.TemporalLoss` on reliable pixels and fewer steps, at the output size only
(the warped start already has the layout a coarse scale would give).
"""

from __future__ import annotations

import dataclasses
import logging
import os
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image

from ..base import StyleInput, Stylizer, style_list
from ..config import MethodConfig, param
from ..errors import ConfigError
from ..images import load_image, shape_for_long_side
from ..registry import create_stylizer, get_stylizer_class
from .canvas import StrokeCanvas
from .captions import ALONE_CAPTION, FLOW_CAPTION, side_by_side
from .consistency import TemporalLoss, blend, magnification, masked_mse, warping_error
from .deps import require
from .flow import FLOW_PRESETS, FlowEstimator, Motion
from .io import output_format, probe, transcode
from .warp import from_border, warp

log = logging.getLogger(__name__)

#: ``consistency`` values: along the optical flow (Ruder et al. 2016), or each frame alone.
CONSISTENCY_MODES = ("flow", "none")


@dataclass(frozen=True)
class VideoConfig(MethodConfig):
    """How a video is stylized, besides the method's own parameters."""

    consistency: str = param(
        "flow", "flow: tie each frame to the previous one along the optical flow; none: "
        "stylize every frame on its own (flickers; for comparison).", choices=CONSISTENCY_MODES)
    flow_blend: float = param(
        1.0, "One-pass methods: share of the previous stylized frame, warped along the flow, "
        "kept where the flow is reliable (0: frame by frame). Below 1 the strokes of two "
        "frames are averaged, which washes them out (bench/video.py).", min=0.0, max=1.0)
    max_stroke_scale: float = param(
        1.1, "One-pass methods: carried strokes grow and shrink with the scene (a zoom); where "
        "they have grown or shrunk by more than this factor since they were painted, the pixel "
        "is painted anew. Lower repaints more often (each repaint flickers once), higher lets "
        "the strokes drift from the painting's scale (bench/video.py).", min=1.0)
    change_tolerance: float = param(
        0.1, "Mean difference (0 to 1) between a frame and the previous one warped above "
        "which a pixel counts as changed (a cut, a fade, a light) and is painted anew; "
        "one-pass methods also repaint carried strokes whose own frame differs this much "
        "from the frame where they are now (small flow errors at moving outlines add up).",
        min=0.0, max=1.0)
    border_margin: float = param(
        6.0, "One-pass methods: a network's strokes within this many pixels of its picture's "
        "border are bent by the padding; carried inwards (new content in a pan) they would "
        "show as stretched strokes, so they are painted anew once inside (0: never).",
        min=0.0)
    temporal_weight: float = param(
        2000.0, "Gatys: weight of the temporal loss pulling each frame towards the previous "
        "one warped.", min=0.0)
    frame_steps: int | None = param(
        None, "Gatys: steps for each frame after the first, which starts from the previous "
        "frame warped (default: a quarter of steps, at least 10).", min=1, max=100_000)
    flow_preset: str = param(
        "medium", "Optical flow (OpenCV DIS) quality: ultrafast, fast or medium.",
        choices=FLOW_PRESETS)
    max_frames: int | None = param(
        None, "Stylize at most this many frames from the start (default: all).", min=1)
    max_side: int | None = param(
        None, "Cap on the long side of the output in pixels (default: the method's size, or "
        "the input's).", min=32, max=8192)
    crf: int = param(18, "H.264 quality: 0 lossless, 18 looks like the input, 51 worst.",
                     min=0, max=51)
    drop_audio: bool = param(False, "Write no audio (by default the input's is copied).")
    side_by_side: bool = param(
        False, "One-pass methods: write frame-by-frame stylization on the left and the "
        "consistent result on the right, to see the flicker; each half says which it is "
        "in a caption burned into the frames.")


@dataclass
class StylizedFrame:
    """One frame through :func:`stylize_frames`.

    Attributes:
        index: 0-based frame number.
        frame: the input frame at the working size, RGB uint8 ``(H, W, 3)``.
        alone: the method's output for this frame alone, float32 ``(H, W, 3)`` in [0, 1]
            (for Gatys with flow, the same as ``output``: it never runs alone after frame 0).
        output: the frame written, float32 ``(H, W, 3)`` in [0, 1].
        motion: flow back to the previous frame and where it holds (``None`` for the first
            frame and without flow).
        warping_error: of ``output`` against the previous output (with ``motion``), or None.
        alone_warping_error: the same for ``alone`` against the previous ``alone``: what
            frame-by-frame stylization would flicker here (None for Gatys with flow).
        stroke_scale: float32 ``(H, W)``, how much larger the strokes of ``output`` are than
            when they were painted (1: painted in this frame; see ``max_stroke_scale``), or
            None for Gatys, whose optimisation repaints every frame.
    """

    index: int
    frame: np.ndarray
    alone: np.ndarray
    output: np.ndarray
    motion: Motion | None = None
    warping_error: float | None = None
    alone_warping_error: float | None = None
    stroke_scale: np.ndarray | None = None


@dataclass
class VideoProgress:
    """A progress report of :func:`stylize_video`, one per frame written.

    Attributes:
        frame: frames written so far.
        total: frames the run will write, or ``None`` when the file does not say.
        elapsed: seconds since the start.
        fps: frames stylized per second so far.
        image: the frame just written, RGB uint8 ``(H, W, 3)`` (side by side if asked).
    """

    frame: int
    total: int | None
    elapsed: float
    fps: float
    image: np.ndarray


@dataclass
class VideoResult:
    """What :func:`stylize_video` wrote.

    Attributes:
        output: the video file.
        frames: frames written.
        fps: its frame rate (the input's).
        width, height: its frame size.
        seconds: wall time of the run.
        warping_error: mean temporal warping error of the frames written, with the estimated
            flow (``None`` without flow). The one-pass methods keep the previous frame on the
            pixels this flow trusts, so along the same flow it is near 0 by construction
            (``bench/video.py`` measures it along an independent flow).
        frame_by_frame_warping_error: the same for each frame stylized on its own (the
            flicker that consistency removes; ``None`` without flow or for Gatys).
    """

    output: Path
    frames: int
    fps: Fraction
    width: int
    height: int
    seconds: float
    warping_error: float | None
    frame_by_frame_warping_error: float | None = None


def split_params(params: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Split keyword arguments into :class:`VideoConfig` fields and the method's.

    Example:
        >>> split_params({"flow_blend": 0.5, "model": "the_scream"})
        ({'flow_blend': 0.5}, {'model': 'the_scream'})
    """
    video_fields = {f.name for f in dataclasses.fields(VideoConfig)}
    video = {k: v for k, v in params.items() if k in video_fields}
    return video, {k: v for k, v in params.items() if k not in video_fields}


def working_shape(height: int, width: int, method: MethodConfig, config: VideoConfig
                  ) -> tuple[int, int]:
    """``(H, W)`` of the output: the method config's ``size`` (else the input's long side), capped
    by ``max_side`` and the input, with even sides (H.264 in yuv420p needs them).

    Example:
        >>> import stylekit
        >>> working_shape(360, 640, stylekit.create_stylizer("wct", size=300).config,
        ...               VideoConfig())
        (168, 300)
    """
    long_side = max(height, width)
    size = getattr(method, "size", None)
    if size is not None:
        long_side = min(long_side, size)
    if config.max_side is not None:
        long_side = min(long_side, config.max_side)
    out_h, out_w = shape_for_long_side(height, width, long_side)
    if min(out_h, out_w) < 32:
        raise ConfigError(f"frames of {width}x{height} at {long_side} px on the long side "
                          "would be under 32 px on the short side; use a larger size")
    return out_h - out_h % 2, out_w - out_w % 2


def _as_float(image: Image.Image, shape: tuple[int, int]) -> np.ndarray:
    if image.size != (shape[1], shape[0]):  # a method may round a side differently
        image = image.resize((shape[1], shape[0]), Image.Resampling.BICUBIC)
    return np.asarray(image, dtype=np.float32) / 255.0


def _as_uint8(image: np.ndarray) -> np.ndarray:
    return np.rint(np.clip(image, 0.0, 1.0) * 255.0).astype(np.uint8)


def _resize(frame: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    if frame.shape[:2] == shape:
        return frame
    cv2 = require("cv2")
    smaller = shape[0] * shape[1] < frame.shape[0] * frame.shape[1]
    return cv2.resize(frame, (shape[1], shape[0]),
                      interpolation=cv2.INTER_AREA if smaller else cv2.INTER_CUBIC)


def stylize_frames(frames: Iterable[np.ndarray], stylizer: Stylizer, style: StyleInput = None,
                   config: VideoConfig | None = None, params: Mapping[str, Any] | None = None
                   ) -> Iterator[StylizedFrame]:
    """Stylize a sequence of frames with temporal consistency; one frame in memory at a time.

    Args:
        frames: RGB uint8 arrays ``(H, W, 3)`` of one size.
        stylizer: any registered method (its config's ``size``, if any, sets the output size).
        style: the style image(s), for methods that need one (fast: a shipped painting, as
            ``example:NAME`` or its file, chooses its built-in style).
        config: the video settings (default: :class:`VideoConfig`).
        params: the method's parameters for this run (the stylizer, with its loaded networks,
            is kept).

    Returns:
        An iterator of :class:`StylizedFrame`.

    Example:
        >>> import numpy as np, stylekit
        >>> ramp = np.tile(np.linspace(0, 255, 96, dtype=np.uint8), (64, 1))
        >>> clip = [np.stack([np.roll(ramp, 2 * t, axis=1)] * 3, axis=-1) for t in range(3)]
        >>> fast = stylekit.create_stylizer("fast", model="starry_night")
        >>> frames = list(stylize_frames(clip, fast))
        >>> [f.output.shape for f in frames][-1], frames[1].motion is not None
        ((64, 96, 3), True)
    """
    cfg = config or VideoConfig()
    method_params = dict(params or {})
    effective = stylizer.config.replace(**method_params)  # unknown names fail here
    if type(stylizer).needs_style:  # read once, not once a frame
        styles = [load_image(s, what="style image") for s in style_list(style)]
        style_arg: StyleInput = (styles if len(styles) > 1 else styles[0]) if styles else None
    else:  # as given: fast reads a shipped painting's name or file as its built-in style
        style_arg = style
    fields = {f.name for f in dataclasses.fields(stylizer.config)}
    gatys = stylizer.name == "gatys"
    flow = (FlowEstimator(cfg.flow_preset, cfg.change_tolerance)
            if cfg.consistency == "flow" else None)
    shape: tuple[int, int] | None = None
    previous: StylizedFrame | None = None
    canvas = StrokeCanvas(margin=cfg.border_margin, tolerance=cfg.change_tolerance)
    for index, raw in enumerate(frames):
        if shape is None:
            shape = working_shape(raw.shape[0], raw.shape[1], effective, cfg)
            log.info("stylizing at %dx%d with %s", shape[1], shape[0], stylizer.name)
        frame = _resize(raw, shape)
        call = {**method_params, **({"size": max(shape)} if "size" in fields else {})}
        if gatys:
            call["save_every"] = 0  # only the final image of each frame is needed
        motion = flow.motion(previous.frame, frame) if flow and previous is not None else None
        warped = None
        if motion is not None and previous is not None:
            # Lanczos: bilinear would blur the strokes a little more at every frame.
            warped = warp(previous.output, motion.backward, "lanczos").clip(0.0, 1.0)
        if gatys and motion is not None and warped is not None:
            alone = output = _gatys_step(stylizer, frame, style_arg, warped, motion, cfg, shape,
                                         call)
            stroke_scale = None
        else:
            alone = _as_float(stylizer.stylize(Image.fromarray(frame), style_arg, **call), shape)
            output, stroke_scale = alone, None if gatys else np.ones(shape, np.float32)
            if motion is not None and warped is not None and previous is not None:
                output, stroke_scale = _carry(alone, frame, warped, previous, motion, cfg,
                                              canvas)
            elif flow is not None:
                canvas.paint(alone, frame)
        error = (masked_mse(output, warped, motion.reliable)
                 if motion is not None and warped is not None else None)
        alone_error = None
        if motion is not None and previous is not None and not gatys:
            alone_error = warping_error(alone, previous.alone, motion.backward, motion.reliable)
        previous = StylizedFrame(index, frame, alone, output, motion, error, alone_error,
                                 stroke_scale)
        yield previous


def _carry(alone: np.ndarray, frame: np.ndarray, warped: np.ndarray, previous: StylizedFrame,
           motion: Motion, cfg: VideoConfig, canvas: StrokeCanvas
           ) -> tuple[np.ndarray, np.ndarray]:
    """The output of a one-pass frame (``alone``, the painting of ``frame``) with the
    previous output carried in where the flow holds and the strokes kept their scale; and
    that scale. Motion boundaries are ``alone``'s: half of the previous output kept there
    was carried on as part of the next picture and added up into smeared outlines."""
    # Smoothed over a 24th of the frame: a zoom is smooth, and pixels that reach the limit
    # together are repainted together, instead of a speckle of new and old strokes.
    log_scale = np.log(magnification(motion.backward, smooth=max(alone.shape[:2]) / 24))
    if previous.stroke_scale is not None:
        log_scale += np.log(warp(previous.stroke_scale, motion.backward, "linear"))
    keep = motion.reliable & (np.abs(log_scale) <= np.log(cfg.max_stroke_scale))
    if cfg.flow_blend == 1.0:  # carried strokes resampled once, so they stay sharp
        output = canvas.carry(alone, motion.backward, keep, frame)
        keep = ~canvas.painted
    else:  # a mix is no single picture's pixel: warp the previous output
        keep &= ~from_border(motion.backward, cfg.border_margin)
        output = blend(alone, warped, keep, cfg.flow_blend)
    # A blend is part carried, part new: count its scale by the carried share.
    return output, np.exp(np.where(keep, cfg.flow_blend * log_scale, 0.0)).astype(np.float32)


def _gatys_step(stylizer: Stylizer, frame: np.ndarray, style: StyleInput, warped: np.ndarray,
                motion: Motion, cfg: VideoConfig, shape: tuple[int, int],
                params: dict[str, Any]) -> np.ndarray:
    """One Gatys frame after the first: start from the previous output ``warped`` into this
    frame, pulled towards it on reliable pixels."""
    target = torch.from_numpy(np.ascontiguousarray(warped.transpose(2, 0, 1)))[None]
    reliable = torch.from_numpy(motion.reliable.astype(np.float32))[None, None]
    device = stylizer.device
    loss = TemporalLoss(target.to(device), reliable.to(device), cfg.temporal_weight)
    steps = cfg.frame_steps or max(10, stylizer.config.replace(**params).steps // 4)
    call = {**params, "scales": (max(shape),), "scale_steps": None, "steps": steps}
    image = stylizer.stylize(Image.fromarray(frame), style, **call,
                             start_image=warped, extra_loss=loss)
    return _as_float(image, shape)


def stylize_video(source: str | os.PathLike[str], output: str | os.PathLike[str],
                  method: str | Stylizer = "fast", style: StyleInput = None, *,
                  config: VideoConfig | None = None,
                  progress: Callable[[VideoProgress], None] | None = None,
                  **params: Any) -> VideoResult:
    """Stylize a video file into another, streaming, with temporal consistency.

    The output keeps the input's frame rate and audio (copied), is H.264, and is written
    atomically: after an error, or an exception raised by ``progress`` to stop the run,
    nothing is at ``output``.

    Args:
        source: input video (anything FFmpeg reads: MP4, MOV, AVI, MKV, WebM...), or an
            example clip as ``"example:NAME"`` (see :data:`~.examples.CLIP_NAMES`).
        output: output file, ``.mp4``, ``.mov``, ``.m4v`` or ``.mkv``.
        method: a method name (see :func:`stylekit.list_stylizers`) or a stylizer.
        style: style image(s) for the methods that need one.
        config: video settings; ``params`` naming :class:`VideoConfig` fields override them.
        progress: called after each frame with a :class:`VideoProgress`.
        **params: :class:`VideoConfig` fields, and the method's parameters (with a name).

    Returns:
        A :class:`VideoResult`.

    Example:
        >>> import tempfile, numpy as np, stylekit
        >>> from stylekit.video.io import write_video
        >>> folder = tempfile.mkdtemp()
        >>> ramp = np.tile(np.linspace(0, 255, 96, dtype=np.uint8), (64, 1))
        >>> write_video(folder + "/in.mp4", (np.stack([np.roll(ramp, 2 * t, 1)] * 3, -1)
        ...             for t in range(4)), fps=12)
        4
        >>> result = stylekit.stylize_video(folder + "/in.mp4", folder + "/out.mp4", "fast",
        ...                                 model="starry_night")
        >>> result.frames, result.fps, (result.width, result.height)
        (4, Fraction(12, 1), (96, 64))
    """
    video_params, method_params = split_params(params)
    cfg = (config or VideoConfig()).replace(**video_params)
    if isinstance(method, Stylizer):  # kept, with its loaded networks; params per call
        stylizer = method
        method_params = dict(method_params)
        stylizer.config.replace(**method_params)  # unknown names fail before any work
    else:
        stylizer, method_params = create_stylizer(method, **method_params), {}
    if cfg.side_by_side and stylizer.name == "gatys" and cfg.consistency == "flow":
        raise ConfigError("{side_by_side} needs the frame-by-frame result, which gatys with "
                          "flow does not compute; run it twice, with {consistency=none} and "
                          "{consistency=flow}")
    if get_stylizer_class(stylizer.name).needs_style and not style_list(style):
        raise ConfigError(f"the {stylizer.name} method needs a style image: pass {{style=PATH}}")
    output_format(output)  # a bad ending fails now, not after the work
    if isinstance(source, str):
        from .examples import clip_argument

        source = clip_argument(source)
    info = probe(source)
    total = min(info.frames, cfg.max_frames or info.frames) if info.frames else cfg.max_frames
    start = time.perf_counter()
    errors: list[float] = []
    alone_errors: list[float] = []
    shape: list[int] = []

    # With consistency=none both halves are each frame alone: say so, not "along the flow".
    right_caption = FLOW_CAPTION if cfg.consistency == "flow" else ALONE_CAPTION

    def process(frames: Iterator[np.ndarray]) -> Iterator[np.ndarray]:
        for result in stylize_frames(frames, stylizer, style, cfg, method_params):
            picture = _as_uint8(result.output)
            if cfg.side_by_side:
                picture = side_by_side(_as_uint8(result.alone), picture,
                                       ALONE_CAPTION, right_caption)
            if result.warping_error is not None:
                errors.append(result.warping_error)
            if result.alone_warping_error is not None:
                alone_errors.append(result.alone_warping_error)
            shape[:] = picture.shape[:2]
            yield picture
            if progress is not None:
                elapsed = time.perf_counter() - start
                progress(VideoProgress(result.index + 1, total, elapsed,
                                       (result.index + 1) / max(elapsed, 1e-9), picture))

    frames = transcode(output, process, source=source, crf=cfg.crf,
                       audio_from=None if cfg.drop_audio else source, max_frames=cfg.max_frames)
    return VideoResult(Path(output), frames, info.fps, shape[1], shape[0],
                       time.perf_counter() - start,
                       float(np.nanmean(errors)) if errors else None,
                       float(np.nanmean(alone_errors)) if alone_errors else None)
