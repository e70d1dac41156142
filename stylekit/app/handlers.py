"""What the buttons do: each handler turns widget values into a library call and its results
into widget updates. The work itself is in the library (the stylizers, :mod:`stylekit.lessons`,
:mod:`stylekit.visualize`, :mod:`stylekit.video`, imported only when a video is made)."""

from __future__ import annotations

import functools
import inspect
import math
import queue
import re
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import gradio as gr
from PIL import Image, ImageDraw

import stylekit
from stylekit import lessons, visualize
from stylekit.config import ParamSpec, describe
from stylekit.errors import ImageTooLargeError
from stylekit.fileio import atomic_write
from stylekit.lessons import is_iterative
from stylekit.methods.gatys import measure_pace
from stylekit.vgg import LAYER_CHANNELS

from . import results
from .plots import RACE_COLOURS, loss_plot, loss_rows
from .profile import (
    LEARN_RUN,
    MAX_SIDE,
    MAX_UPLOAD_PIXELS,
    PROFILE,
    VIDEO_LIMITS,
    over_limits,
)
from .stop import STOPPED, run_key, stoppable
from .widgets import example_paths, params_from, user_error, visible_params

T = TypeVar("T")

# --- common -------------------------------------------------------------------------------------


def readable_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Show the library's errors (bad image, bad parameter, missing weights) in the page."""
    if inspect.isgeneratorfunction(fn):
        @functools.wraps(fn)
        def gen_wrapper(*args: Any, **kwargs: Any) -> Iterator[Any]:
            try:
                yield from fn(*args, **kwargs)
            except stylekit.StylekitError as exc:
                raise user_error(str(exc)) from None
        return gen_wrapper

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except stylekit.StylekitError as exc:
            raise user_error(str(exc)) from None
    return wrapper


def upload(path: str | None, what: str) -> tuple[Image.Image, str]:
    """An uploaded file as an RGB image no larger than ``MAX_SIDE``, and a note if shrunk."""
    if path is None:
        raise user_error(f"Please add a {what}.")
    try:
        image = stylekit.load_image(path, max_pixels=MAX_UPLOAD_PIXELS, what=what)
    except ImageTooLargeError as exc:  # the library's message names a path and a setting
        raise user_error(                # that mean nothing in the page
            f"The {what} is {exc.width}x{exc.height} pixels ({exc.width * exc.height / 1e6:.0f} "
            f"megapixels); this page takes up to {exc.limit / 1e6:.0f} megapixels. Downscale "
            "it and upload it again.") from None
    if max(image.size) <= MAX_SIDE:
        return image, ""
    width, height = image.size
    image = stylekit.resize_long_side(image, MAX_SIDE)
    return image, f"The {what} ({width}x{height}) was resized to {image.width}x{image.height}. "


def upload_pair(content: str | None, style: str | None) -> tuple[Image.Image, Image.Image, str]:
    """The photo and the style image uploaded, with the notes of any shrinking."""
    photo, notes = upload(content, "photo")
    painting, note = upload(style, "style image")
    return photo, painting, notes + note


@functools.cache
def stylizer(method: str) -> stylekit.Stylizer:
    """One stylizer per method for the whole app, so networks and style encodings stay loaded."""
    return stylekit.create_stylizer(method)


def methods_with_models() -> list[str]:
    """The methods with a model picker (the order of the Compare tab's model inputs)."""
    return [m for m in stylekit.list_stylizers()
            if stylekit.get_stylizer_class(m).model_kind is not None]


# --- the method tabs ----------------------------------------------------------------------------


def named(fn: Callable[..., Iterator[Any]], names: list[str]) -> Callable[..., Iterator[Any]]:
    """``fn(*inputs, progress=...)`` with one named parameter per input: Gradio names the API's
    parameters after the handler's signature (``param_4`` otherwise). The first input is the
    page's click number (see :func:`~stylekit.app.stop.wire_run`), not part of the API."""
    @functools.wraps(fn)
    def wrapper(*args: Any, progress: gr.Progress = gr.Progress()) -> Iterator[Any]:
        *inputs, request = args  # Gradio puts the request after the inputs (see below)
        yield from fn(*inputs, progress=progress, request=request)

    parameters = [inspect.Parameter(n, inspect.Parameter.POSITIONAL_OR_KEYWORD)
                  for n in ["click", *names, "request"]]
    parameters.append(inspect.Parameter("progress", inspect.Parameter.KEYWORD_ONLY,
                                        default=gr.Progress()))
    wrapper.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    # Gradio fills in a positional parameter annotated gr.Request (the browser session, for
    # Stop), found from evaluated annotations (this module's are strings); not an API input.
    wrapper.__annotations__ = {"progress": gr.Progress, "request": gr.Request}
    return wrapper


def run_method(method: str, click: int | None, content: str | None, style: str | None,
               style2: str | None, mask: str | None, *values: Any,
               progress: gr.Progress = gr.Progress(), request: Any = None
               ) -> Iterator[tuple[Any, ...]]:
    """Stream one method's run: (current image, gallery, loss curve, status) as it goes."""
    with stoppable(run_key(request, method), click) as stop, results.showing([]) as gallery:
        yield from _run_method(method, content, style, style2, mask, *values,
                               progress=progress, stop=stop, gallery=gallery)


#: Seconds per megapixel-step of each optimising method on this server: measured once by a
#: short run before the first estimate, then the pace of the last run here.
PACE: dict[str, float] = {}


def learn_pace(method: str, config: Any, photo: Image.Image, record: Any) -> None:
    """Keep the pace of a finished run (of a method with a schedule) for :func:`estimate`."""
    work = config.work(photo.height, photo.width) if hasattr(config, "work") else 0.0
    if is_iterative(method) and record.elapsed and work > 0:
        PACE[method] = record.elapsed / work


def estimate(method: str, config: Any, photo: Image.Image) -> str:
    """``"; expected about N s"`` for a run of ``method`` with ``config`` on ``photo``: the
    work of its schedule (:meth:`~stylekit.methods.gatys.GatysConfig.work`) at the pace of
    the last run here, or, before any, of a short run measured now (about a second); empty
    for a method without a schedule.

    Example:
        >>> PACE["doctest"] = 2.0  # seconds per megapixel-step
        >>> from types import SimpleNamespace
        >>> config = SimpleNamespace(work=lambda height, width: height * width * 10 / 1e6)
        >>> estimate("doctest", config, Image.new("RGB", (1000, 1000)))
        '; expected about 20 s, judging by the last run here'
    """
    if not hasattr(config, "work"):
        return ""
    source = "judging by the last run here"
    if method not in PACE:
        PACE[method] = measure_pace(stylizer(method))
        source = "measured on this server"
    seconds = PACE[method] * config.work(photo.height, photo.width)
    return f"; expected about {seconds:.0f} s, {source}"


def within_limits(config: Any, side: int = MAX_SIDE) -> None:
    """Refuse a run whose final config (what the widgets, an API client and the config's own
    rules such as Gatys' ``scales`` overriding ``size`` made of it) is over this server's
    limits (:func:`~stylekit.app.profile.over_limits`)."""
    problem = over_limits(config, side)
    if problem:
        raise user_error(problem)


def _run_method(method: str, content: str | None, style: str | None, style2: str | None,
                mask: str | None, *values: Any, progress: gr.Progress,
                stop: threading.Event, gallery: list[tuple[str, str]]
                ) -> Iterator[tuple[Any, ...]]:
    if stop.is_set():  # Stop was pressed while the run waited in the queue
        yield gr.skip(), gr.skip(), gr.skip(), STOPPED
        return
    photo, notes = upload(content, "photo")
    cls = stylekit.get_stylizer_class(method)
    styles: list[Image.Image] = []
    given = ((style, "style image"), (style2, "second style image")) if cls.needs_style else ()
    for path, what in given:
        if path is not None or not styles:  # the second style is optional
            image, note = upload(path, what)
            styles.append(image)
            notes += note
    params = params_from(method, values)
    if mask is not None:
        stylekit.load_image(mask, max_pixels=MAX_UPLOAD_PIXELS, min_side=8, what="mask image")
        params["mask"] = mask
    runner = stylizer(method)
    within_limits(runner.config.replace(**params))
    curve: list[dict[str, Any]] = []
    scales: list[int] = []
    # Yield at once and then at every step: Gradio can only close (Stop) a generator that has
    # yielded, and closes it between two yields, so a stopped run ends within one step.
    guess = estimate(method, runner.config.replace(**params), photo)
    yield gr.skip(), [], gr.skip(), f"{notes}**{method}**: starting{guess}"
    for record in runner.iterate(photo, styles or None, **params):
        if stop.is_set():
            yield gr.skip(), gr.skip(), gr.skip(), notes + STOPPED
            return
        total = record.losses.get("total")
        if record.losses:
            curve += loss_rows(record.step, record.losses)
        eta = f" · about {record.eta:.0f} s left" if record.eta else ""
        progress((record.step, record.total_steps), desc=f"step {record.step}{eta}")
        status = (f"{notes}**{method}**: step {record.step} of {record.total_steps}, "
                  f"{record.elapsed:.1f} s" + (f", loss {total:.4g}" if total else "") + guess)
        snapshot = None
        if record.image is not None and not record.done:
            snapshot = results.picture(record.image, f"{method}-step{record.step}")
            # Short: a longer caption is cut off under a thumbnail (the loss is in the plot).
            gallery.append((snapshot, f"step {record.step}"))
        shown: str | None = None
        if record.done:
            shown = results.picture(record.image, method, "png")  # type: ignore[arg-type]
        elif record.image is not None:
            shown = snapshot
            if params.get("size") and max(record.image.size) < params["size"]:
                # The coarse scales' pictures are small: shown at the final size, not as a
                # stamp in the middle of the box.
                shown = results.picture(record.image.resize(
                    stylekit.images.shape_for_long_side(
                        record.image.height, record.image.width, int(params["size"]))[::-1],
                    Image.Resampling.LANCZOS), f"{method}-step{record.step}")
        if record.scale and record.scale not in scales:
            scales.append(record.scale)
        # Said as what the plot holds: it is redrawn every few steps, the status every step.
        caption = (f"Each weighted loss term, drawn up to step {record.step} of "
                   f"{record.total_steps}" + (
                       f". Coarse to fine ({', '.join(f'{s} px' for s in scales)}): the loss "
                       "jumps where the picture grows, since a larger picture has more detail "
                       "to match; within a size it falls." if len(scales) > 1 else "."))
        # No curve before the first step (a one-pass start is step 0): the plot waits for it.
        plot = loss_plot(curve, caption) if curve else gr.skip()
        if record.done:
            learn_pace(method, runner.config.replace(**params), photo, record)
            status = (f"{notes}**{method}**: done in {record.elapsed:.2f} s "
                      f"({record.image.width}x{record.image.height})"  # type: ignore[union-attr]
                      + (f", final loss {total:.4g}" if total else "") + guess)
            yield shown, gallery, plot, status
        elif record.image is not None:
            yield shown, gallery, plot, status
        else:  # the plot is redrawn every few steps only: cheaper for the browser
            yield gr.skip(), gr.skip(), plot if record.step % 5 == 0 else gr.skip(), status


def snapshots_gif(gallery: list[tuple[Any, Any]] | None, result: Image.Image | None,
                  method: str = "gatys") -> Any:
    """The run's snapshots, then its result, as an animated GIF to download (for a slide);
    nothing without snapshots."""
    frames = []
    for item, _ in gallery or []:
        with Image.open(item) as snapshot:
            frames.append(snapshot.convert("RGB"))
    if not frames:
        return None
    if result is not None:
        frames.append(result.convert("RGB"))
    size = frames[-1].size
    frames = [f.resize(size, Image.Resampling.LANCZOS) if f.size != size else f for f in frames]
    path = results.new_path(f"{method}-snapshots", ".gif")
    # Each snapshot a third of a second, the result two seconds, then again.
    atomic_write(path, lambda tmp: frames[0].save(
        tmp, "GIF", save_all=True, append_images=frames[1:], loop=0,
        duration=[300] * (len(frames) - 1) + [2000]))
    return str(path)


def before_after(content: str | None, result: Image.Image | None) -> Any:
    """The photo and the result for the before/after slider, the photo at the result's size
    (nothing to show before a result)."""
    if content is None or result is None:
        return gr.skip()
    try:
        photo, _ = upload(content, "photo")
    except gr.Error:  # the run said why already
        return gr.skip()
    return photo.convert("RGB").resize(result.size, Image.Resampling.LANCZOS), result


@functools.cache
def model_thumbnails(method: str) -> list[tuple[str, str]]:
    """Each local model of ``method`` applied to an example photo (a file), with its name:
    what picking it gives.

    Made on first use (a page's first visit), then kept: building the page does no model
    work. The files are written once, outside Gradio's folder: every page gets Gradio's copy
    of them, made once and never rewritten."""
    kind = stylekit.get_stylizer_class(method).model_kind
    photos = example_paths("photo")
    if kind is None or not photos:
        return []
    folder = Path(tempfile.mkdtemp(prefix=f"stylekit-{method}-thumbnails-"))
    thumbs: list[tuple[str, str]] = []
    for name in kind.names():
        if not kind.is_local(name):  # not downloaded here just for a thumbnail
            thumb = placeholder(name, "on the Hub: downloads when used")
        else:
            try:
                thumb = stylizer(method).stylize(photos[0], model=name, size=192)
            except stylekit.StylekitError as exc:  # a broken file shows as such, the app goes on
                thumb = placeholder(name, f"cannot load: {exc}"[:60])
        path = folder / f"{len(thumbs)}-{re.sub(r'[^A-Za-z0-9_.-]', '_', name)}.webp"
        thumbs.append((str(atomic_write(path, functools.partial(results.save, thumb))), name))
    return thumbs


def placeholder(title: str, note: str) -> Image.Image:
    """A grey 192x128 card standing in for a picture that is not available."""
    card = Image.new("RGB", (192, 128), (90, 90, 100))
    draw = ImageDraw.Draw(card)
    draw.text((10, 45), title, fill=(255, 255, 255))
    draw.text((10, 70), note, fill=(220, 220, 220))
    return card


# --- Compare ------------------------------------------------------------------------------------


def painting_network(evt: gr.SelectData) -> Any:
    """The fast network trained on the example painting just picked (Compare's gallery), if
    one is on this machine; else the model stays as it is."""
    from stylekit.methods.fast import FAST_MODELS

    from .widgets import example_choices

    name = Path(example_choices("style")[evt.index][1]).stem
    return name if name in FAST_MODELS.names() and FAST_MODELS.is_local(name) else gr.skip()


@readable_errors
def compare(click: int | None, content: str | None, style: str | None, *values: Any,
            progress: gr.Progress = gr.Progress(), request: gr.Request | None = None
            ) -> Iterator[tuple[Any, str]]:
    """The same photo and style through every method at one size, one-pass first, with
    times. ``values``: the model of each of :func:`methods_with_models`, then the size and
    Gatys' steps (either may be left out: the profile's)."""
    count = len(methods_with_models())
    models, rest = values[:count], list(values[count:]) + [None, None]
    size, steps = rest[0], rest[1]
    with stoppable(run_key(request, "compare"), click) as stop, results.showing([]) as done:
        if stop.is_set():
            yield gr.skip(), STOPPED
            return
        photo, painting, notes = upload_pair(content, style)
        settings: dict[str, dict[str, Any]] = {}
        for method, params in PROFILE.items():
            params = {**params, **({"size": int(size)} if size else {})}
            if "save_every" in params:
                params["save_every"] = 0  # final images only
            if method == "gatys" and steps:
                params["steps"] = int(steps)
            within_limits(stylizer(method).config.replace(**params))
            settings[method] = params
        lines: list[str] = []
        yield [], notes + "starting"  # from here on, Stop can end the run
        for attempt in lessons.compare(photo, painting, settings=settings,
                                       models=dict(zip(methods_with_models(), models,
                                                       strict=True)),
                                       stylizer_for=stylizer):
            record = attempt.record
            if stop.is_set():
                yield done, notes + "\n".join([*lines, STOPPED])
                return
            if record is None:
                lines.append(f"- **{attempt.label}**: {attempt.problem}")
                yield gr.skip(), notes + "\n".join(lines)
            elif record.done and record.image is not None:
                # The time is said once, under the picture.
                done.append((results.picture(record.image, attempt.label),
                             f"{attempt.label} · {record.elapsed:.2f} s"))
                yield done, notes + "\n".join([*lines, f"{len(done)} done"])
            else:
                progress((record.step, record.total_steps), desc=attempt.label)
                # One-pass methods have no steps to count.
                doing = (f"step {record.step} of {record.total_steps}"
                         if is_iterative(attempt.method) else "painting")
                yield gr.skip(), notes + "\n".join([*lines, f"- {attempt.label}: {doing}"])
        yield done, notes + "\n".join([*lines, f"All {len(done)} done; each picture's time "
                                                 "is under it."])


# --- Learn --------------------------------------------------------------------------------------


def until_stopped(tab: str, click: int | None, request: Any, records: Iterator[T],
                  pictures: list[tuple[str, str]]) -> Iterator[T]:
    """``records`` (a lazy experiment) until the page's Stop of ``tab`` is pressed; the run
    then ends normally, its ``pictures`` so far kept (and not swept while it goes on)."""
    with stoppable(run_key(request, tab), click) as stop, results.showing(pictures):
        for record in records:
            if stop.is_set():
                return
            yield record


@readable_errors
def show_features(image: str | None, layer: str, count: float) -> tuple[str, str]:
    photo, note = upload(image, "image")
    grid = visualize.feature_maps(photo, layer, count=int(count))
    return results.picture(grid, f"features-{layer}"), note + visualize.layer_summary(layer)


def _pictures(gallery: list[tuple[Image.Image, str]], name: str) -> list[tuple[str, str]]:
    return [(results.picture(image, name), caption) for image, caption in gallery]


@readable_errors
def show_grams(image: str | None, layers: list[str]) -> list[tuple[str, str]]:
    picture, _ = upload(image, "style image")
    # A caption short enough for one line under a picture.
    return [(path, f"{layer} · {LAYER_CHANNELS[layer]} channels · sees "
                   f"{visualize.receptive_field(layer)} px")
            for (path, _), layer in zip(_pictures(lessons.gram_gallery(picture, layers), "gram"),
                                        layers, strict=True)]


@readable_errors
def show_whitening(content: str | None, style: str | None, layer: str
                   ) -> list[tuple[str, str]]:
    photo, painting, _ = upload_pair(content, style)
    return _pictures(visualize.whitening_and_colouring(photo, painting, layer), "whitening")


@readable_errors
def layer_grid(click: int | None, content: str | None, style: str | None,
               progress: gr.Progress = gr.Progress(), request: gr.Request | None = None
               ) -> Iterator[Any]:
    """The same pair with each content preset x style preset: what each layer set brings."""
    photo, painting, _ = upload_pair(content, style)
    cells: list[tuple[str, str]] = []
    yield cells
    count = len(lessons.content_layer_presets()) * len(lessons.style_layer_presets())
    for content_set, style_set, record in until_stopped(
            "layer_grid", click, request, lessons.layer_grid(
                photo, painting, **LEARN_RUN, stylizer=stylizer("gatys")), cells):
        desc = f"content {content_set}, style {style_set} ({len(cells) + 1} of {count})"
        progress((record.step, record.total_steps), desc=desc)
        if record.done:
            cells.append((results.picture(record.image, "layer-grid"),  # type: ignore[arg-type]
                          f"content {content_set} · style {style_set}"))
        yield cells if record.done else gr.skip()


@readable_errors
def init_race(click: int | None, content: str | None, style: str | None,
              progress: gr.Progress = gr.Progress(), request: gr.Request | None = None
              ) -> Iterator[Any]:
    """Gatys from noise and from the photo, same steps: where the optimiser starts matters."""
    photo, painting, _ = upload_pair(content, style)
    cells: list[tuple[str, str]] = []
    rows: list[dict[str, Any]] = []
    yield cells, gr.skip()  # an empty first frame would leave the plot without lines
    for init, record in until_stopped("init_race", click, request, lessons.init_race(
            photo, painting, **LEARN_RUN, stylizer=stylizer("gatys")), cells):
        rows += loss_rows(record.step, {"total": record.losses.get("total", 0.0)},
                          f"from {init}: ")
        progress((record.step, record.total_steps), desc=f"init {init}")
        if record.image is not None:
            cells.append((results.picture(record.image, f"race-{init}"),
                          f"from {init}, step {record.step}"))
            yield cells, loss_plot(
                rows, f"The total loss; from {init}: drawn up to step {record.step} of "
                      f"{record.total_steps}", RACE_COLOURS)
        else:
            yield gr.skip(), gr.skip()


# --- Video --------------------------------------------------------------------------------------

#: :class:`~stylekit.video.VideoConfig` fields the page sets itself (from the hardware profile
#: and its own widgets) or leaves at the library's default, and those under "More settings".
VIDEO_SET_BY_PAGE = {"max_frames", "max_side", "side_by_side", "crf"}
VIDEO_MORE = {"max_stroke_scale", "change_tolerance", "border_margin", "flow_preset",
              "temporal_weight", "frame_steps", "drop_audio"}


def video_settings() -> list[ParamSpec]:
    """The :class:`~stylekit.video.VideoConfig` fields the Video tab offers, in order."""
    from stylekit.video import VideoConfig

    return [s for s in describe(VideoConfig) if s.name not in VIDEO_SET_BY_PAGE]


def video_method_settings(method: str) -> list[ParamSpec]:
    """``method``'s fields in the Video tab: its tab's, but ``size`` (one slider for all)."""
    return [s for s in visible_params(method) if s.name != "size"]


def example_clip(name: str | None) -> Any:
    """The example clip ``name`` as a file (made on first use); no choice leaves the upload
    box as it is."""
    if not name:
        return gr.skip()
    from stylekit.video.examples import EXAMPLE_CLIPS, example_clip_path

    if name not in EXAMPLE_CLIPS:
        raise user_error(f"No example clip {name!r}; pick one of {', '.join(EXAMPLE_CLIPS)}.")
    return str(example_clip_path(name))


def video_label(side_by_side: bool) -> str:
    """The result player's label: with the side-by-side halves named where the eye is.

    Example:
        >>> video_label(False)
        'Result'
    """
    return ("Result (side by side: left, each frame painted alone; right, each frame tied "
            "to the one before along the flow)" if side_by_side else "Result")


class _Stopped(Exception):
    """Raised by a video run's progress callback when its Stop is pressed, or when the run
    would go past the server's time budget (the message says why)."""


def _video_request(clip: str | None, method: str, style: str | None, long_side: float,
                   side_by_side: bool, values: tuple[Any, ...]
                   ) -> tuple[dict[str, Any], list[Image.Image], str]:
    """The stylize_video keyword arguments for the page's inputs, the style images and notes
    (the limits applied)."""
    from stylekit.video import VideoConfig, VideoError, probe

    if clip is None:
        raise user_error("Please add a video: upload a clip or pick an example clip.")
    try:
        info = probe(clip)
    except VideoError:  # the library's message names a server-side path
        raise user_error(
            f"The video: {Path(clip).name} is not a video file that can be read. Upload an "
            "MP4, MOV, AVI, MKV or WebM clip.") from None
    if info.width * info.height > VIDEO_LIMITS["source_pixels"]:
        # Refused before any frame is decoded (one 8K frame is 100 MB as RGB).
        raise user_error(
            f"The video: {Path(clip).name} has frames of {info.width}x{info.height}; this "
            f"page takes up to {VIDEO_LIMITS['source_pixels'] / 1e6:.1f} megapixels a frame "
            "(3840x2160). Make a smaller copy (e.g. ffmpeg -i IN -vf scale=-2:720 OUT.mp4) "
            "and upload that.")
    settings = video_settings()
    video = dict(zip((s.name for s in settings), values, strict=False))
    given = values[len(settings):]
    seconds, side = VIDEO_LIMITS["seconds"], int(VIDEO_LIMITS["side"])
    for name in stylekit.list_stylizers():  # each method's widgets, in the tab's order
        names = [s.name for s in video_method_settings(name)]
        if name == method:  # the long side is capped (and said so below), not refused
            chosen = {**dict(zip(names, given, strict=False)),
                      "size": min(int(long_side), side)}
        given = given[len(names):]
    params = params_from(method, tuple(chosen[s.name] for s in visible_params(method)))
    within_limits(stylizer(method).config.replace(**params), side)
    within_limits(VideoConfig().replace(**video))
    notes = ""
    # The frame rate is the file's own claim: the count is capped on its own too.
    max_frames = max(1, min(math.floor(seconds * info.fps), int(VIDEO_LIMITS["frames"])))
    if max_frames < seconds * info.fps and (info.frames is None or info.frames > max_frames):
        notes += (f"Only the first {max_frames} frames ({max_frames / float(info.fps):.2g} s "
                  f"at {float(info.fps):g} fps) are painted here. ")
    elif info.frames is None or info.frames > max_frames:
        notes += f"Only the first {seconds:g} s ({max_frames} frames) are painted here. "
    if max(info.width, info.height) > side:
        notes += f"Frames are painted at most {side} px on the long side. "
    if side_by_side and is_iterative(method):
        side_by_side = False  # Gatys with flow never paints a frame alone
        notes += ("Side by side is for the one-pass methods; for Gatys, run the clip with "
                  "consistency none, then flow. ")
    styles: list[Image.Image] = []
    if stylekit.get_stylizer_class(method).needs_style:
        image, note = upload(style, "style image")
        styles, notes = [image], notes + note
    video.update(max_frames=max_frames, max_side=side, side_by_side=side_by_side)
    return {**params, **video}, styles, notes


@readable_errors
def run_video(click: int | None, clip: str | None, method: str, style: str | None,
              long_side: float, side_by_side: bool, *values: Any,
              progress: gr.Progress = gr.Progress(), request: Any = None
              ) -> Iterator[tuple[Any, Any, str]]:
    """Stream a video run: (result video, the frame just painted, status) as it goes.

    ``values``: the tab's :func:`video_settings`, then every method's
    :func:`video_method_settings` (only ``method``'s are used)."""
    with stoppable(run_key(request, "video"), click) as stop:
        if stop.is_set():
            yield gr.skip(), gr.skip(), STOPPED
            return
        params, styles, notes = _video_request(clip, method, style, long_side, side_by_side,
                                               values)
        yield None, None, f"{notes}**{method}**: starting"
        yield from _watch_video(clip, method, styles, params, notes, stop,  # type: ignore[arg-type]
                                progress)


def _watch_video(clip: str, method: str, styles: list[Image.Image], params: dict[str, Any],
                 notes: str, stop: threading.Event, progress: gr.Progress
                 ) -> Iterator[tuple[Any, Any, str]]:
    """Run stylize_video in a thread and stream its progress; Stop (or a closed run) ends it
    at its next frame, and so does the server when the run would take longer than
    ``VIDEO_LIMITS["budget"]`` seconds."""
    from stylekit.video import VideoProgress, VideoResult, stylize_video

    updates: queue.Queue[Any] = queue.Queue()
    first: list[float] = []  # the first frame's time (it includes loading the networks)

    def report(record: VideoProgress) -> None:
        if stop.is_set():
            raise _Stopped  # stylize_video then writes nothing
        over = over_budget(record, first)
        if over:
            raise _Stopped(over)
        updates.put(record)

    def work() -> None:
        try:
            updates.put(stylize_video(clip, results.new_path(method, ".mp4"), stylizer(method),
                                      styles or None, progress=report, **params))
        except BaseException as exc:  # noqa: BLE001 -- handed to the page's thread
            updates.put(exc)

    threading.Thread(target=work, name="stylekit-video", daemon=True).start()
    latest, last = None, 0.0

    def frame() -> str | None:  # the frame just painted, as a file of its own
        return None if latest is None else results.picture(Image.fromarray(latest),
                                                           f"{method}-frame")

    try:
        while not isinstance(item := updates.get(), VideoResult):
            if isinstance(item, _Stopped):
                if item.args:  # over the time budget: said as a refusal
                    raise user_error(notes + item.args[0])
                yield gr.skip(), gr.skip(), notes + STOPPED
                return
            if isinstance(item, BaseException):
                raise item
            of = f" of {item.total}" if item.total else ""
            left = (f", about {(item.total - item.frame) / item.fps:.0f} s left"
                    if item.total and item.fps else "")
            progress((item.frame, item.total), desc=f"frame {item.frame}{of}")
            status = (f"{notes}**{method}**: frame {item.frame}{of}, {item.fps:.1f} frames/s, "
                      f"{item.elapsed:.1f} s{left}")
            latest = item.image
            if item.elapsed - last > 0.5:  # at most two pictures a second to the browser
                last = item.elapsed
                yield gr.skip(), frame(), status
            else:
                yield gr.skip(), gr.skip(), status
        yield str(item.output), frame(), notes + video_summary(method, item, params)
    finally:
        stop.set()  # a run closed by its client ends at its next frame


def over_budget(record: Any, first: list[float]) -> str | None:
    """Why a video run must end now (``None`` if it may go on): it has taken, or at the pace
    of its frames after the first will take, more than ``VIDEO_LIMITS["budget"]`` seconds."""
    budget = VIDEO_LIMITS["budget"]
    if record.frame == 1:
        first.append(record.elapsed)
    projected = record.elapsed
    if record.total and record.frame >= 3:  # the first frame also loads the networks
        pace = (record.elapsed - first[0]) / (record.frame - 1)
        projected = first[0] + pace * (record.total - 1)
    if projected <= budget:
        return None
    return (f"This clip would take about {projected:.3g} s to paint here (frame "
            f"{record.frame} of {record.total or '?'} after {record.elapsed:.3g} s), more than "
            f"the {budget:g} s this server gives a video, so the run was ended. Try a smaller "
            "long side, fewer steps, a faster method (fast, arbitrary) or a shorter clip.")


def video_summary(method: str, result: Any, params: dict[str, Any]) -> str:
    """The status line of a finished video run: size, speed and the measured flicker."""
    text = (f"**{method}**: {result.frames} frames of {result.width}x{result.height} at "
            f"{float(result.fps):g} fps in {result.seconds:.1f} s "
            f"({result.frames / max(result.seconds, 1e-9):.1f} frames/s).")
    if params.get("side_by_side"):
        text += (" **Left:** every frame painted on its own: the strokes boil. **Right:** each "
                 "frame tied to the one before along the optical flow: they move with the "
                 "scene.")
    alone, tied = result.frame_by_frame_warping_error, result.warping_error
    if alone is not None and tied is not None:
        text += (f" Flicker (temporal warping error: the mean squared difference between each "
                 f"frame and the one before moved along the optical flow, on the pixels the "
                 f"flow is sure of): frames painted alone **{alone:.2g}**, tied along the "
                 f"flow **{tied:.2g}**. The tied frames keep the previous painting where the "
                 "flow is sure, so along this same flow their flicker is near zero by design; "
                 "measured along an independent flow (in our video benchmark) it is 2 to 50 "
                 "times lower than frame by frame.")
    elif tied is not None:
        text += f" Temporal warping error along the optical flow: {tied:.2g}."
    return text
