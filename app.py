"""stylekit demo hub: a Gradio app (also a Hugging Face Space) over the stylekit library.

This file only wires widgets to the library: every method, parameter, default, range and
picture comes from ``stylekit``. A tab is built for each method in ``list_stylizers()`` from
its config dataclass, so a newly registered method shows up without editing this file.

    python app.py                 # http://127.0.0.1:7860
    python app.py --share         # plus a public *.gradio.live link, e.g. for a class
    python app.py --host 0.0.0.0 --port 8080 --max-queue 32
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import inspect
import logging
import math
import os
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import gradio as gr
import pandas as pd
import torch
from PIL import Image

import stylekit
from stylekit import examples, visualize
from stylekit.config import ParamSpec, describe
from stylekit.errors import ImageTooLargeError
from stylekit.methods.gatys import CONTENT_LAYER_PRESETS, STYLE_LAYER_PRESETS
from stylekit.nets.reconstruction import SHIPPED_DECODERS
from stylekit.vgg import LAYER_NAMES

logger = logging.getLogger("stylekit.app")

# --- hardware profile: the only place the app departs from the configs' defaults ---------------

ON_GPU = torch.cuda.is_available()
#: Per-method defaults for this hardware. A CPU Space has 2 slow cores: a Gatys run at the
#: library's 384 px / 200 steps takes minutes there, so the app starts smaller.
PROFILE: dict[str, dict[str, Any]] = (
    {"gatys": {"size": 512, "steps": 300}, "fast": {"size": 1024}, "adain": {"size": 1024},
     "wct": {"size": 1024}}
    if ON_GPU else
    {"gatys": {"size": 256, "steps": 100, "save_every": 5},
     "fast": {"size": 512}, "adain": {"size": 512}, "wct": {"size": 512}}
)
#: Uploads: at most this many bytes, and shrunk to this long side before any work.
MAX_UPLOAD = "20mb"
MAX_SIDE = 2048 if ON_GPU else 1024
#: Refused outright (before decoding): protects the server from decompression bombs. Below
#: this a photo is decoded and shrunk to MAX_SIDE (100 MP: about 300 MB while it is decoded).
MAX_UPLOAD_PIXELS = 100_000_000
#: Slider ends for parameters whose config range is open or far wider than a demo needs.
SLIDER_SPANS: dict[str, tuple[float, float, float]] = {
    "size": (64, MAX_SIDE, 32), "steps": (10, 1000, 10), "style_size": (128, 1024, 32),
    "content_weight": (0, 50, 0.5), "style_weight": (0, 2000, 10), "tv_weight": (0, 50, 0.5),
    "lr": (0.001, 0.2, 0.001), "style_scale": (0.25, 2.0, 0.05),
}
#: Shown at the top of a tab; the rest of the config goes into "More settings".
MAIN_PARAMS = ("model", "size", "steps", "alpha", "strength", "content_weight", "style_weight",
               "tv_weight", "content_layers", "style_layers", "init", "optimizer",
               "preserve_color")
#: Set by the app itself, or not meaningful in a browser (compile: a first result a minute
#: late is worse for a demo than every result 30% slower).
HIDDEN_PARAMS = ("device", "save_every", "mask", "max_tile_pixels", "tile_overlap", "compile",
                 "edge_margin", "decoders")
LAYER_PRESETS = {"content_layers": CONTENT_LAYER_PRESETS, "style_layers": STYLE_LAYER_PRESETS}

#: Runs at once per kind of work: optimisation (Gatys, Compare, the Learn grids) is long and
#: heavy, one-pass methods are quick; separate queues keep a Gatys run from blocking them.
CONCURRENCY = {"optimise": 1, "one_pass": 2}


def queue_slot(kind: str) -> dict[str, Any]:
    """The queue settings of an event doing ``kind`` of work."""
    return {"concurrency_id": kind, "concurrency_limit": CONCURRENCY[kind]}


def set_concurrency(blocks: gr.Blocks, **limits: int) -> None:
    """Change the per-kind limits before launch (Gradio reads them at the first request)."""
    CONCURRENCY.update(limits)
    for fn in blocks.fns.values():
        if fn.concurrency_id in limits:
            fn.concurrency_limit = limits[fn.concurrency_id]


#: Runs in progress per tab; a cancelled run leaves at once (tests watch this).
ACTIVE: Counter[str] = Counter()
_ACTIVE_LOCK = threading.Condition()


def on_zero_gpu(duration: int) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``@spaces.GPU`` on a ZeroGPU Space (the GPU is lent per call); a no-op elsewhere."""
    if os.environ.get("SPACES_ZERO_GPU"):
        import spaces

        return spaces.GPU(duration=duration)
    return lambda fn: fn


# --- inputs and errors --------------------------------------------------------------------------


def user_error(message: str) -> gr.Error:
    """A mistake of the user's, shown in the page; the server logs one line for it, not a
    traceback (those are for the server's own faults)."""
    logger.info("refused a request: %s", message)
    return gr.Error(message, print_exception=False)


def checked(preprocess: Callable[[Any], Any], label: object, payload: Any) -> Any:
    """Gradio's own checks of a sent value (out of a slider's range, not one of the choices)
    are user mistakes: the message names the field, the log gets one line, not a traceback."""
    try:
        return preprocess(payload)
    except gr.Error as error:
        raise user_error(f"{label}: {error.message}") from None


class Slider(gr.Slider):
    """``gr.Slider`` whose refusals are :func:`checked`."""

    is_template = True  # same widget in the browser

    def preprocess(self, payload: Any) -> Any:
        return checked(super().preprocess, self.label, payload)


class Number(gr.Number):
    """``gr.Number`` whose refusals are :func:`checked`."""

    is_template = True

    def preprocess(self, payload: Any) -> Any:
        return checked(super().preprocess, self.label, payload)


class Dropdown(gr.Dropdown):
    """``gr.Dropdown`` whose refusals are :func:`checked`."""

    is_template = True

    def preprocess(self, payload: Any) -> Any:
        return checked(super().preprocess, self.label, payload)


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


@functools.cache
def stylizer(method: str) -> stylekit.Stylizer:
    """One stylizer per method for the whole app, so networks and style encodings stay loaded."""
    return stylekit.create_stylizer(method)


def track(tab: str) -> Callable[[Callable[..., Iterator[Any]]], Callable[..., Iterator[Any]]]:
    """Count the runs of ``tab`` in progress; the count drops when a run ends or is stopped."""
    def decorate(fn: Callable[..., Iterator[Any]]) -> Callable[..., Iterator[Any]]:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Iterator[Any]:
            with _ACTIVE_LOCK:
                ACTIVE[tab] += 1
            try:
                yield from fn(*args, **kwargs)
            finally:  # also when a client cancels: Gradio closes the generator, which lands here
                with _ACTIVE_LOCK:
                    ACTIVE[tab] -= 1
        return wrapper
    return decorate


# --- widgets from config metadata ----------------------------------------------------------------


def default_for(method: str, spec: ParamSpec) -> Any:
    return PROFILE.get(method, {}).get(spec.name, spec.default)


def widget_value(method: str, spec: ParamSpec) -> Any:
    """The starting value of a field's widget (what :func:`params_from` turns back)."""
    default = default_for(method, spec)
    kind = get_stylizer_class(method).model_kind
    if spec.name == "model" and kind is not None:
        return default if default in kind.names() else None
    if spec.choices and spec.is_sequence:
        return [] if default is None else [str(v) for v in default]
    if spec.choices:
        return None if default is None else str(default)
    if spec.name in LAYER_PRESETS:
        presets = LAYER_PRESETS[spec.name]
        return next((k for k, v in presets.items() if v == tuple(default)), ",".join(default))
    if spec.is_sequence:
        return "" if default is None else ",".join(str(v) for v in default)
    return default


def control(method: str, spec: ParamSpec) -> gr.components.Component:
    """The widget for one config field: slider, dropdown, checkbox, number or text."""
    value = widget_value(method, spec)
    kind = get_stylizer_class(method).model_kind
    # elem_id: for the browser tests and custom CSS
    common: dict[str, Any] = {"label": spec.name.replace("_", " "), "info": spec.help,
                              "elem_id": f"{method}-{spec.name}"}
    if spec.name == "model" and kind is not None:
        return Dropdown(kind.names(), value=value, **common)
    if spec.name in LAYER_PRESETS:
        common["info"] += " Or type layer names, comma-separated."
        return Dropdown(list(LAYER_PRESETS[spec.name]), value=value, allow_custom_value=True,
                           **common)
    if spec.choices:
        # As strings: the API advertises the choices as strings, and the config turns "2"
        # back into 2 (numbers here would make Gradio refuse the "2" it advertises).
        if spec.is_sequence:
            common["info"] += " Several may be picked; none: the default."
        return Dropdown([str(c) for c in spec.choices], value=value,
                           multiselect=spec.is_sequence, **common)
    if spec.base_type is bool:
        return gr.Checkbox(value=value, **common)
    if spec.is_sequence:
        common["info"] += " Comma-separated; empty: default."
        return gr.Textbox(value, **common)
    if spec.base_type in (int, float):
        low, high, step = SLIDER_SPANS.get(spec.name, (spec.min, spec.max, None))
        if low is not None and high is not None and value is not None:
            step = step or (1 if spec.base_type is int else 0.01)
            return Slider(low, high, value=value, step=step, **common)
        return Number(value, precision=0 if spec.base_type is int else None, **common)
    return gr.Textbox(value or "", **common)


def get_stylizer_class(method: str) -> type[stylekit.Stylizer]:
    return stylekit.get_stylizer_class(method)


def visible_params(method: str) -> list[ParamSpec]:
    specs = describe(get_stylizer_class(method).config_class)
    return [s for s in specs if s.name not in HIDDEN_PARAMS]


def params_from(method: str, values: tuple[Any, ...]) -> dict[str, Any]:
    """Widget values back to config fields (the config coerces and checks them)."""
    specs = visible_params(method)
    params = {s.name: v for s, v in zip(specs, values, strict=True)}
    for spec in specs:
        value = params[spec.name]
        if isinstance(value, str) and "," in value and spec.name in LAYER_PRESETS:
            params[spec.name] = tuple(v.strip() for v in value.split(",") if v.strip())
        elif spec.is_sequence and spec.choices and not value:  # nothing picked: the default
            params[spec.name] = spec.default
    params.update({k: v for k, v in PROFILE.get(method, {}).items() if k == "save_every"})
    return params


# --- running a method ----------------------------------------------------------------------------


def named(fn: Callable[..., Iterator[Any]], names: list[str]) -> Callable[..., Iterator[Any]]:
    """``fn(*inputs, progress=...)`` with one named parameter per input: Gradio names the API's
    parameters after the handler's signature (``param_4`` otherwise)."""
    @functools.wraps(fn)
    def wrapper(*args: Any, progress: gr.Progress = gr.Progress()) -> Iterator[Any]:
        *inputs, request = args  # Gradio puts the request after the inputs (see below)
        yield from fn(*inputs, progress=progress, request=request)

    parameters = [inspect.Parameter(n, inspect.Parameter.POSITIONAL_OR_KEYWORD)
                  for n in [*names, "request"]]
    parameters.append(inspect.Parameter("progress", inspect.Parameter.KEYWORD_ONLY,
                                        default=gr.Progress()))
    wrapper.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    # Gradio fills in a positional parameter annotated gr.Request (the browser session, for
    # Stop), found from evaluated annotations (this module's are strings); not an API input.
    wrapper.__annotations__ = {"progress": gr.Progress, "request": gr.Request}
    return wrapper


#: Colours of the loss terms in the plots (also what makes their legends show every term).
LOSS_COLOURS = {"total": "#222222", "content": "#1f77b4", "style": "#d62728", "tv": "#2ca02c"}
RACE_COLOURS = {"from noise: total": "#d62728", "from content: total": "#1f77b4"}


def loss_table(rows: list[dict[str, Any]]) -> pd.DataFrame:
    # Typed columns even when empty: the plot picks its axis kind from the first frame.
    table = pd.DataFrame(rows, columns=["step", "log10 loss", "term"])
    return table.astype({"step": "int64", "log10 loss": "float64", "term": "str"})


def loss_plot(rows: list[dict[str, Any]], caption: str) -> gr.LinePlot:
    """A loss-plot update. The caption changes with every update, which makes the browser
    rebuild the plot: a plot only updated with new data keeps the colour scale of its first
    frame, and a term that appears later (the second run of a race) would not be drawn."""
    return gr.LinePlot(value=loss_table(rows), caption=caption)


def loss_rows(step: int, losses: dict[str, float], label: str = "") -> list[dict[str, Any]]:
    """One row per loss term, on a log scale (style and content differ by orders)."""
    return [{"step": step, "log10 loss": math.log10(max(value, 1e-12)),
             "term": f"{label}{term}"} for term, value in losses.items() if value > 0]


def run_method(method: str, content: str | None, style: str | None, style2: str | None,
               mask: str | None, *values: Any, progress: gr.Progress = gr.Progress(),
               request: Any = None) -> Iterator[tuple[Any, ...]]:
    """Stream one method's run: (current image, gallery, loss curve, status) as it goes."""
    with stoppable(run_key(request, method)) as stop:
        yield from _run_method(method, content, style, style2, mask, *values,
                               progress=progress, stop=stop)


def _run_method(method: str, content: str | None, style: str | None, style2: str | None,
                mask: str | None, *values: Any, progress: gr.Progress,
                stop: threading.Event) -> Iterator[tuple[Any, ...]]:
    if stop.is_set():  # Stop was pressed while the run waited in the queue
        yield gr.skip(), gr.skip(), gr.skip(), STOPPED
        return
    photo, notes = upload(content, "photo")
    cls = get_stylizer_class(method)
    styles: list[Image.Image] = []
    given = ((style, "style image"), (style2, "second style image")) if cls.needs_style else ()
    for path, what in given:
        if path is not None or not styles:  # the second style is optional
            image, note = upload(path, what)
            styles.append(image)
            notes += note
    params = params_from(method, values)
    if mask is not None:
        params["mask"] = mask
    gallery: list[tuple[Image.Image, str]] = []
    curve: list[dict[str, Any]] = []
    scales: list[int] = []
    # Yield at once and then at every step: Gradio can only close (Stop) a generator that has
    # yielded, and closes it between two yields, so a stopped run ends within one step.
    yield gr.skip(), [], gr.skip(), f"{notes}**{method}**: starting"
    runner = stylizer(method)
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
                  f"{record.elapsed:.1f} s" + (f", loss {total:.4g}" if total else ""))
        if record.image is not None and not record.done:
            gallery.append((record.image, f"step {record.step}"
                            + (f" · loss {total:.3g}" if total else "")))
        shown = record.image
        if shown is not None and params.get("size") and max(shown.size) < params["size"]:
            # The coarse scales' pictures are small: shown at the final size, not as a stamp
            # in the middle of the box.
            shown = shown.resize(stylekit.images.shape_for_long_side(
                shown.height, shown.width, int(params["size"]))[::-1],
                Image.Resampling.LANCZOS)
        if record.scale and record.scale not in scales:
            scales.append(record.scale)
        caption = (f"log10 of each weighted loss term, step {record.step} of "
                   f"{record.total_steps}" + (
                       f". Coarse to fine ({', '.join(f'{s} px' for s in scales)}): the loss "
                       "jumps where the picture grows, since a larger picture has more detail "
                       "to match; within a size it falls." if len(scales) > 1 else "."))
        if record.done:
            status = (f"{notes}**{method}**: done in {record.elapsed:.2f} s "
                      f"({record.image.width}x{record.image.height})"  # type: ignore[union-attr]
                      + (f", final loss {total:.4g}" if total else ""))
            yield shown, gallery, loss_plot(curve, caption), status
        elif record.image is not None:
            yield shown, gallery, loss_plot(curve, caption), status
        else:  # the plot is redrawn every few steps only: cheaper for the browser
            yield (gr.skip(), gr.skip(),
                   loss_plot(curve, caption) if record.step % 5 == 0 else gr.skip(), status)


STOPPED = "**Stopped.** The run was ended; the last picture above is where it got to."
#: The runs in progress, by (browser session, tab): each with the event that asks it to stop.
RUNNING: dict[tuple[str, str], threading.Event] = {}
#: Runs sent but not started yet (waiting in the queue), and those asked to stop on starting.
SUBMITTED: Counter[tuple[str, str]] = Counter()
STOP_ON_START: set[tuple[str, str]] = set()


def run_key(request: Any, tab: str) -> tuple[str, str] | None:
    """Who a run or a Stop belongs to: the browser session and the tab (None from the API)."""
    session = getattr(request, "session_hash", None)
    return (session, tab) if session else None


def note_submitted(tab: str, request: Any) -> None:
    """A run was sent from the page (it may wait in the queue before it starts)."""
    key = run_key(request, tab)
    if key:
        with _ACTIVE_LOCK:
            SUBMITTED[key] += 1


@contextlib.contextmanager
def stoppable(key: tuple[str, str] | None) -> Iterator[threading.Event]:
    """The run of ``key``: the event is set when its Stop is pressed."""
    event = threading.Event()
    with _ACTIVE_LOCK:
        if key:
            SUBMITTED[key] = max(0, SUBMITTED[key] - 1)
            if key in STOP_ON_START:
                STOP_ON_START.discard(key)
                event.set()
            RUNNING[key] = event
    try:
        yield event
    finally:
        with _ACTIVE_LOCK:
            if key and RUNNING.get(key) is event:
                del RUNNING[key]
            _ACTIVE_LOCK.notify_all()


def request_stop(tab: str, request: Any, wait: float = 10.0) -> Any:
    """Stop the page's run of ``tab``: the run ends at its next step, normally, with its last
    picture (Gradio's own cancel would mark it as an error). The reply waits for that end, so
    the run's last status update cannot land over it; a run still waiting in the queue ends
    as soon as it starts."""
    key = run_key(request, tab)
    with _ACTIVE_LOCK:
        event = RUNNING.get(key) if key else None
        if event is not None:
            event.set()
            _ACTIVE_LOCK.wait_for(lambda: RUNNING.get(key) is not event,  # type: ignore[arg-type]
                                  timeout=wait)
        elif key and SUBMITTED[key] > 0:
            STOP_ON_START.add(key)
        else:
            return gr.skip()  # nothing of this page's is running
    return STOPPED


# --- the page ------------------------------------------------------------------------------------


def example_paths(kind: str) -> list[str]:
    """Example images of ``kind`` whose packages are installed here."""
    paths = []
    for example in examples.EXAMPLES.values():
        if example.kind == kind:
            # e.g. without scikit-image the photos are left out
            with contextlib.suppress(stylekit.StylekitError):
                paths.append(str(examples.example_path(example.name)))
    return paths


def example_pairs() -> list[list[str]]:
    photos, styles = example_paths("photo"), example_paths("style")
    return [[photo, styles[i % len(styles)]] for i, photo in enumerate(photos)] if styles else []


@functools.cache
def model_thumbnails(method: str) -> list[tuple[Image.Image, str]]:
    """Each local model of ``method`` applied to an example photo: what picking it gives."""
    kind = get_stylizer_class(method).model_kind
    photos = example_paths("photo")
    if kind is None or not photos:
        return []
    thumbs = []
    for name in kind.names():
        if not kind.is_local(name):  # not downloaded here just for a thumbnail
            thumbs.append((placeholder(name, "on the Hub: downloads when used"), name))
            continue
        try:
            thumbs.append((stylizer(method).stylize(photos[0], model=name, size=192), name))
        except stylekit.StylekitError as exc:  # a broken file shows as such, the app goes on
            thumbs.append((placeholder(name, f"cannot load: {exc}"[:60]), name))
    return thumbs


def placeholder(title: str, note: str) -> Image.Image:
    """A grey 192x128 card standing in for a picture that is not available."""
    from PIL import ImageDraw

    card = Image.new("RGB", (192, 128), (90, 90, 100))
    draw = ImageDraw.Draw(card)
    draw.text((10, 45), title, fill=(255, 255, 255))
    draw.text((10, 70), note, fill=(220, 220, 220))
    return card


class ImageUpload(gr.Image):
    """``gr.Image`` whose unreadable uploads become a readable message in the page.

    Gradio opens every upload with Pillow before the handler runs; a text file renamed
    ``.png`` would otherwise end as a bare "Error". Sizes and pixel counts are checked later,
    by the library (:func:`upload`).
    """

    is_template = True  # same widget in the browser as gr.Image

    def preprocess(self, payload: Any) -> Any:
        try:
            return super().preprocess(payload)
        except (OSError, ValueError, Image.DecompressionBombError) as exc:
            name = getattr(payload, "orig_name", None) or "the upload"
            raise user_error(
                f"{self.label}: {name} is not an image that can be read ({exc.__class__.__name__})."
                " Upload a PNG, JPEG or WebP picture.") from None


def image_input(label: str, visible: bool = True, elem_id: str | None = None) -> gr.Image:
    # image_mode=None: the handler gets the uploaded file itself, not Gradio's RGB conversion
    # of it, so the library's loader decides (transparency composited on white, 16-bit greys
    # scaled, not clipped, the pixel cap applied to every mode).
    return ImageUpload(type="filepath", image_mode=None, label=label,
                       sources=["upload", "clipboard"], height=260, visible=visible,
                       elem_id=elem_id)


def method_tab(method: str) -> None:
    """Inputs, settings and outputs of one method, all derived from its class and config."""
    cls = get_stylizer_class(method)
    specs = visible_params(method)
    iterative = any(s.name == "steps" for s in specs)
    has_mask = any(s.name == "mask" for s in describe(cls.config_class))
    gr.Markdown(f"**{cls.description}**")
    with gr.Row():
        with gr.Column():
            content = image_input("Photo", elem_id=f"{method}-content")
            # Every tab takes the same four images (hidden where unused): one API shape.
            style = image_input("Style image", visible=cls.needs_style,
                                elem_id=f"{method}-style")
            with gr.Accordion("Blend a second style", open=False, visible=cls.needs_style):
                style2 = image_input("Second style image (optional)")
                mask = image_input("Mask: white takes the first style, black the second",
                                   visible=has_mask)
            widgets: dict[str, gr.components.Component] = {}
            main = [s for s in specs if s.name in MAIN_PARAMS]
            more = [s for s in specs if s.name not in MAIN_PARAMS]
            for spec in main:
                widgets[spec.name] = control(method, spec)
            thumbs = model_thumbnails(method) if not cls.needs_style else []
            if thumbs and "model" in widgets:
                picker = gr.Gallery(thumbs, label="The models on an example photo: click one "
                                    "to pick it", columns=4, height=170, allow_preview=False,
                                    fit_columns=False, object_fit="cover")

                def pick(evt: gr.SelectData) -> str:
                    """The model name of the clicked thumbnail."""
                    return thumbs[evt.index][1]

                picker.select(pick, None, widgets["model"])
            with gr.Accordion("More settings", open=False):
                for spec in more:
                    widgets[spec.name] = control(method, spec)
            with gr.Row():
                run = gr.Button("Stylize", variant="primary",
                                elem_id=f"{method}-run")
                stop = gr.Button("Stop", variant="stop", visible=iterative)
        with gr.Column():
            result = gr.Image(label="Result", type="pil", interactive=False, format="png",
                              elem_id=f"{method}-result",
                              height=420)
            status = gr.Markdown(elem_id=f"{method}-status")
            gallery = gr.Gallery(label="Intermediate iterations", columns=5, height=240,
                                 visible=iterative, elem_id=f"{method}-gallery")
            # The colours are named up front: a plot that starts empty would otherwise fix its
            # colour scale (and legend) before the first term arrives.
            # No fixed height: the legend and the caption below the plot must stay in view.
            curve = gr.LinePlot(x="step", y="log10 loss", color="term", label="Loss curve",
                                color_map=LOSS_COLOURS, visible=iterative,
                                elem_id=f"{method}-curve")
    gr.Examples(example_pairs() if cls.needs_style else [[p] for p in example_paths("photo")],
                [content, style] if cls.needs_style else [content])
    ordered = [widgets[s.name] for s in specs]
    handler = on_zero_gpu(120 if iterative else 30)(readable_errors(track(method)(named(
        functools.partial(run_method, method),
        ["photo", "style_image", "second_style_image", "mask", *(s.name for s in specs)]))))
    run.click(handler, [content, style, style2, mask, *ordered],
              [result, gallery, curve, status], api_name=method,
              **queue_slot("optimise" if iterative else "one_pass"),
              # Not on the status line, which it would cover.
              show_progress_on=[gallery] if iterative else [result])

    # Stop asks the page's own run to end (see request_stop); API clients cancel their job.
    def submitted(request: gr.Request) -> None:
        note_submitted(method, request)

    def stop_run(request: gr.Request) -> Any:
        return request_stop(method, request)

    run.click(submitted, None, None, queue=False, api_visibility="private")
    stop.click(stop_run, None, status, queue=False, api_visibility="private")


@readable_errors
@track("compare")
def compare(content: str | None, style: str | None, *models: str | None,
            progress: gr.Progress = gr.Progress()) -> Iterator[tuple[Any, str]]:
    """The same photo and style through every method, fastest first, with times."""
    photo, notes = upload(content, "photo")
    painting, note = upload(style, "style image")
    notes += note
    results: list[tuple[Image.Image, str]] = []
    lines: list[str] = []
    yield [], notes + "starting"  # from here on, Stop can close the run (see run_method)
    methods = sorted(stylekit.list_stylizers(),
                     key=lambda m: any(s.name == "steps" for s in visible_params(m)))
    for method in methods:
        cls = get_stylizer_class(method)
        params = dict(PROFILE.get(method, {}))
        if "save_every" in params:
            params["save_every"] = 0  # only the final images are compared
        label = method
        if cls.model_kind is not None:
            model = dict(zip(methods_with_models(), models, strict=True))[method]
            if not model:
                lines.append(f"- **{method}**: skipped (no model picked)")
                continue
            params["model"] = model
            label = f"{method} ({model})"
        try:
            for record in stylizer(method).iterate(
                    photo, painting if cls.needs_style else None, **params):
                progress((record.step, record.total_steps), desc=label)
                if record.done and record.image is not None:
                    results.append((record.image, f"{label} · {record.elapsed:.2f} s"))
                    lines.append(f"- **{label}**: {record.elapsed:.2f} s")
                    yield results, notes + "\n".join(lines)
                else:
                    yield gr.skip(), notes + "\n".join([*lines, f"- {label}: step {record.step}"])
        except stylekit.StylekitError as exc:
            lines.append(f"- **{label}**: failed: {exc}")
    yield results, notes + "\n".join(lines)


@readable_errors
def show_features(image: str | None, layer: str, count: float) -> tuple[Image.Image, str]:
    photo, note = upload(image, "image")
    grid = visualize.feature_maps(photo, layer, count=int(count))
    return grid, note + visualize.layer_summary(layer)


@readable_errors
def show_grams(image: str | None, layers: list[str]) -> list[tuple[Image.Image, str]]:
    picture, _ = upload(image, "style image")
    if not layers:
        raise user_error("Pick at least one layer.")
    return [(visualize.gram_heatmap(picture, layer), visualize.layer_summary(layer))
            for layer in layers]


@readable_errors
def show_whitening(content: str | None, style: str | None, layer: str
                   ) -> list[tuple[Image.Image, str]]:
    photo, painting = _pair(content, style)
    return visualize.whitening_and_colouring(photo, painting, layer)


#: The Learn tab's side-by-side Gatys runs: small, so a class waits seconds, not minutes.
#: On a CPU the six-cell layer grid must take well under 30 s: 112 px, 20 L-BFGS steps from the
#: photo (the cells differ clearly by then).
LEARN_RUN: dict[str, Any] = {"size": 256, "steps": 150} if ON_GPU else {"size": 112, "steps": 20}


def small_gatys(**params: Any) -> dict[str, Any]:
    return {**LEARN_RUN, "save_every": 0, **params}


def _pair(content: str | None, style: str | None) -> tuple[Image.Image, Image.Image]:
    photo, _ = upload(content, "photo")
    painting, _ = upload(style, "style image")
    return photo, painting


@readable_errors
@track("learn")
def layer_grid(content: str | None, style: str | None, progress: gr.Progress = gr.Progress()
               ) -> Iterator[Any]:
    """The same pair with each content preset x style preset: what each layer set brings."""
    photo, painting = _pair(content, style)
    cells: list[tuple[Image.Image, str]] = []
    yield cells
    # Row by row: one content layer per row, one style preset per column (three columns).
    combos = [(c, s) for c in CONTENT_LAYER_PRESETS for s in STYLE_LAYER_PRESETS]
    for i, (content_set, style_set) in enumerate(combos):
        desc = f"content {content_set}, style {style_set} ({i + 1} of {len(combos)})"
        for record in stylizer("gatys").iterate(photo, painting, **small_gatys(
                content_layers=(content_set,), style_layers=(style_set,))):
            progress((record.step, record.total_steps), desc=desc)
            if record.done:
                cells.append((record.image,  # type: ignore[arg-type]
                              f"content {content_set} · style {style_set}"))
            yield cells if record.done else gr.skip()


@readable_errors
@track("learn")
def init_race(content: str | None, style: str | None, progress: gr.Progress = gr.Progress()
              ) -> Iterator[Any]:
    """Gatys from noise and from the photo, same steps: where the optimiser starts matters."""
    photo, painting = _pair(content, style)
    cells: list[tuple[Image.Image, str]] = []
    rows: list[dict[str, Any]] = []
    yield cells, gr.skip()  # an empty first frame would leave the plot without lines
    for init in ("noise", "content"):
        params = small_gatys(init=init, scales=(LEARN_RUN["size"],),
                             save_every=max(1, LEARN_RUN["steps"] // 3))
        for record in stylizer("gatys").iterate(photo, painting, **params):
            rows += loss_rows(record.step, {"total": record.losses.get("total", 0.0)},
                              f"from {init}: ")
            progress((record.step, record.total_steps), desc=f"init {init}")
            if record.image is not None:
                cells.append((record.image, f"from {init}, step {record.step}"))
                yield cells, loss_plot(rows, f"log10 of the total loss; from {init}: step "
                                             f"{record.step} of {record.total_steps}")
            else:
                yield gr.skip(), gr.skip()


def learn_tab() -> None:
    gr.Markdown("What the network sees, and what each choice changes. Small sizes, so it is "
                "quick enough to run live in a class.")
    with gr.Tab("What each VGG layer sees"):
        with gr.Row():
            with gr.Column():
                image = image_input("Image")
                layer = Dropdown(list(LAYER_NAMES), value="relu2_1", label="VGG-19 layer")
                count = Slider(4, 64, value=16, step=4, label="channels shown (most active)")
                go = gr.Button("Show feature maps", variant="primary")
            with gr.Column():
                maps = gr.Image(label="Feature maps", type="pil", interactive=False)
                summary = gr.Markdown()
        gr.Examples([[p] for p in example_paths("photo")], [image])
        go.click(show_features, [image, layer, count], [maps, summary], api_name="features",
                 **queue_slot("one_pass"))
    with gr.Tab("Gram matrices"):
        gr.Markdown("A Gram matrix holds how often two channels fire together, wherever in "
                    "the picture: texture and colour without layout. Gatys matches these.")
        with gr.Row():
            with gr.Column():
                picture = image_input("Style image")
                layers = gr.CheckboxGroup(list(STYLE_LAYER_PRESETS["gatys"]),
                                          value=["relu1_1", "relu3_1", "relu5_1"],
                                          label="layers")
                go = gr.Button("Show Gram matrices", variant="primary")
            grams = gr.Gallery(label="Gram matrices (first 64 channels)", columns=3)
        gr.Examples([[p] for p in example_paths("style")], [picture])
        go.click(show_grams, [picture, layers], grams, api_name="grams",
                 **queue_slot("one_pass"))
    with gr.Tab("Whitening and colouring"):
        gr.Markdown("WCT (the `wct` tab) in one layer. Whitening removes the correlations "
                    "between a photo's feature channels, its colours and textures, and keeps "
                    "where things are; colouring gives the features the painting's "
                    "correlations. Top: each set of features painted back by the layer's "
                    "decoder; bottom: their covariance (the first 32 channels).")
        with gr.Row():
            with gr.Column():
                content = image_input("Photo")
                style = image_input("Style image")
                # The layers with a shipped decoder to paint the features back.
                wct_layer = Dropdown(sorted(SHIPPED_DECODERS), value="relu3_1",
                                     label="VGG-19 layer")
                go = gr.Button("Whiten and colour", variant="primary")
            whitening = gr.Gallery(label="photo, whitened, coloured, painting", columns=4)
        gr.Examples(example_pairs(), [content, style])
        go.click(show_whitening, [content, style, wct_layer], whitening, api_name="whitening",
                 **queue_slot("one_pass"))
    with gr.Tab("Layer choices"):
        gr.Markdown("The same photo and painting with each set of content and style layers. "
                    "Shallow style layers copy colour and fine texture, deep ones larger "
                    "motifs; a deeper content layer lets the layout move more. Style sets: "
                    + "; ".join(f"**{name}** {', '.join(layers)}"
                                for name, layers in STYLE_LAYER_PRESETS.items()) + ".")
        with gr.Row():
            content = image_input("Photo")
            style = image_input("Style image")
        go = gr.Button("Run the grid", variant="primary")
        grid = gr.Gallery(label="rows: content layer; columns: style layers", columns=3,
                          height="auto",
                          object_fit="contain", elem_id="learn-grid")
        gr.Examples(example_pairs(), [content, style])
        event = go.click(layer_grid, [content, style], grid, api_name="layer_grid",
                         **queue_slot("optimise"))
        gr.Button("Stop", variant="stop").click(None, None, None, cancels=[event])
    with gr.Tab("Where the optimiser starts", elem_id="learn-race"):
        gr.Markdown("Gatys optimises the pixels themselves. From noise it must build the "
                    "picture; from the photo it only has to repaint it.")
        with gr.Row():
            content = image_input("Photo")
            style = image_input("Style image")
        go = gr.Button("Race noise against photo", variant="primary")
        with gr.Row():
            race = gr.Gallery(label="snapshots", columns=4)
            race_curve = gr.LinePlot(x="step", y="log10 loss", color="term", label="total loss",
                                     color_map=RACE_COLOURS, elem_id="learn-race-curve")
        gr.Examples(example_pairs(), [content, style])
        event = go.click(init_race, [content, style], [race, race_curve], api_name="init_race",
                         **queue_slot("optimise"))
        gr.Button("Stop", variant="stop").click(None, None, None, cancels=[event])


def methods_with_models() -> list[str]:
    return [m for m in stylekit.list_stylizers() if get_stylizer_class(m).model_kind is not None]


def compare_tab() -> None:
    gr.Markdown("One photo and one painting through every method, with the time each took.")
    with gr.Row():
        with gr.Column():
            content = image_input("Photo")
            style = image_input("Style image")
            models = []
            for method in methods_with_models():
                spec = next(s for s in visible_params(method) if s.name == "model")
                names = get_stylizer_class(method).model_kind.names()  # type: ignore[union-attr]
                value = widget_value(method, spec) or (names[0] if names else None)
                models.append(Dropdown(names, value=value, label=f"{method} model"))
            go = gr.Button("Compare", variant="primary")
        with gr.Column():
            out = gr.Gallery(label="Results", columns=3, height=420)
            times = gr.Markdown()
    gr.Examples(example_pairs(), [content, style])
    event = go.click(on_zero_gpu(120)(compare), [content, style, *models], [out, times],
                     api_name="compare", **queue_slot("optimise"))
    gr.Button("Stop", variant="stop").click(None, None, None, cancels=[event])


def build() -> gr.Blocks:
    # No usage analytics: classrooms and offline machines should not phone home.
    with gr.Blocks(title="stylekit: neural style transfer", analytics_enabled=False) as blocks:
        hardware = "a GPU" if ON_GPU else "a CPU (sizes and steps start small)"
        methods = stylekit.list_stylizers()
        gr.Markdown(
            "# stylekit\nPaint a photo in the style of a painting, "
            f"{len(methods)} ways. Running on {hardware}. Uploads up to {MAX_UPLOAD.upper()}; "
            f"larger than {MAX_SIDE} px on the long side are shrunk first.")
        for method in methods:
            with gr.Tab(method, id=method):
                method_tab(method)
        with gr.Tab("Compare"):
            compare_tab()
        with gr.Tab("Learn"):
            learn_tab()
        with gr.Accordion("About the example images", open=False):
            gr.Markdown(examples.sources_markdown())
    return blocks


demo = build()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="stylekit demo hub (Gradio)")
    parser.add_argument("--share", action="store_true", help="also serve a public link")
    parser.add_argument("--host", default=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"))
    parser.add_argument("--port", type=int,
                        default=int(os.environ.get("GRADIO_SERVER_PORT", "7860")))
    parser.add_argument("--max-queue", type=int, default=16,
                        help="requests waiting at most; more are told to come back later")
    parser.add_argument("--optimise-concurrency", type=int, default=CONCURRENCY["optimise"],
                        help="Gatys-type runs at once (each uses all cores on a CPU)")
    parser.add_argument("--one-pass-concurrency", type=int, default=CONCURRENCY["one_pass"],
                        help="fast/AdaIN/Learn-map requests at once")
    args = parser.parse_args(argv)
    # One line per refused request in the server log (the library logs under "stylekit").
    logging.basicConfig(format="%(asctime)s %(name)s: %(message)s")
    logging.getLogger("stylekit").setLevel(logging.INFO)
    set_concurrency(demo, optimise=args.optimise_concurrency,
                    one_pass=args.one_pass_concurrency)
    demo.queue(max_size=args.max_queue, default_concurrency_limit=1)
    demo.launch(server_name=args.host, server_port=args.port, share=args.share,
                max_file_size=MAX_UPLOAD, show_error=True)


if __name__ == "__main__":
    main()
