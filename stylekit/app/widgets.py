"""Config fields to widgets, and widgets whose refusals read well.

Every setting widget is made from a :class:`~stylekit.config.ParamSpec`: its type, choices,
range, presets and help text pick the widget, and its ``advanced`` and ``hidden`` flags where it
goes. A new method's config gives it a tab with no change here.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import re
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import gradio as gr
from PIL import Image

import stylekit
from stylekit import examples
from stylekit.config import ParamSpec, describe

from . import results
from .profile import PROFILE, SLIDER_SPANS

logger = logging.getLogger("stylekit.app")


# --- refusals -----------------------------------------------------------------------------------


def user_error(message: str) -> gr.Error:
    """A mistake of the user's, shown in the page; the server logs one line for it, not a
    traceback (those are for the server's own faults). A file is named as the user knows it:
    the server's folders are left out (Gradio keeps an upload under its own name)."""
    message = server_folders().sub("", message)
    logger.info("refused a request: %s", message)
    return gr.Error(message, print_exception=False)


def server_folders() -> re.Pattern[str]:
    """The folders a message must not show: Gradio's (uploads) and the temporary one, each up to
    the file's own name.

    Example:
        >>> from gradio.utils import get_upload_folder
        >>> server_folders().sub("", repr(get_upload_folder() + "/3f9a/my clip.mp4") + " is bad")
        "'my clip.mp4' is bad"
    """
    from gradio.utils import get_upload_folder

    roots = sorted({get_upload_folder(), tempfile.gettempdir()}, key=len, reverse=True)
    return re.compile("(?:" + "|".join(re.escape(r) for r in roots) + r")/(?:[^/\s'\"]+/)*")


def checked(preprocess: Callable[[Any], Any], label: object, payload: Any) -> Any:
    """Gradio's own checks of a sent value (out of a slider's range, not one of the choices)
    are user mistakes: the message names the field, the log gets one line, not a traceback."""
    try:
        return preprocess(payload)
    except gr.Error as error:
        raise user_error(f"{label}: {error.message}") from None


#: Any component: :func:`quiet` and :func:`readable_upload` return what they are given.
C = TypeVar("C", bound=gr.components.Component)


def quiet(component: C) -> C:
    """``component`` (a slider, number box or dropdown) whose refusals of a sent value are
    :func:`checked`: a message naming the field and one log line, not a traceback."""
    # Wrapped on the instance, not in a subclass: Gradio writes a .pyi stub next to the
    # module of every component subclass it meets (in site-packages, for an installed app).
    component.preprocess = functools.partial(  # type: ignore[method-assign]
        checked, component.preprocess, component.label)
    return component


def readable_upload(image: gr.Image) -> gr.Image:
    """``image`` whose unreadable uploads become a readable message in the page.

    Gradio opens every upload with Pillow before the handler runs; a text file renamed
    ``.png`` would otherwise end as a bare "Error". Sizes and pixel counts are checked later,
    by the library (:func:`stylekit.app.handlers.upload`).
    """
    preprocess = image.preprocess

    def readable(payload: Any) -> Any:
        try:
            return preprocess(payload)
        except (OSError, ValueError, Image.DecompressionBombError) as exc:
            name = getattr(payload, "orig_name", None) or "the upload"
            raise user_error(
                f"{image.label}: {name} is not an image that can be read "
                f"({exc.__class__.__name__}). Upload a PNG, JPEG or WebP picture.") from None

    image.preprocess = readable  # type: ignore[method-assign]
    return image


def image_input(label: str, visible: bool = True, elem_id: str | None = None,
                webcam: bool = False, height: int = 260) -> gr.Image:
    """An upload box for a photo, a painting or a mask; the handler gets the file's path.
    ``webcam``: the box can also take a picture with the camera (for a photo)."""
    # image_mode=None: the handler gets the uploaded file itself, not Gradio's RGB conversion
    # of it, so the library's loader decides (transparency composited on white, 16-bit greys
    # scaled, not clipped, the pixel cap applied to every mode).
    return readable_upload(gr.Image(type="filepath", image_mode=None, label=label,
                                    sources=["upload", "webcam", "clipboard"] if webcam
                                    else ["upload", "clipboard"], height=height,
                                    visible=visible, elem_id=elem_id))


# --- settings from config metadata --------------------------------------------------------------

#: What a layer name means, said where the page shows one (the Learn tab teaches them).
LAYER_NAMES_SAID = ("Layer names such as relu4_1 count the network's blocks: relu4_1 is the "
                    "first layer of VGG-19's fourth block; a deeper block sees larger shapes.")

#: Help texts said for the page where the config's own (written for Python and the command
#: line) cite files, commands or bare layer names. Keyed by ``(method, field)``; ``*``: any.
PAGE_HELP: dict[tuple[str, str], str] = {
    ("*", "deep_scale"): "Size of the picture at the deepest layers (where the large shapes "
                         "are) relative to the output; 0.5 quarters their cost. The painting "
                         "is read at the same scale there, so its strokes keep their size.",
    ("adain", "levels"): "Which depths of the network are transformed, in this order "
                         "(default: the model's own; relu4_1 alone is the paper's form). "
                         + LAYER_NAMES_SAID,
    ("adain", "model"): "Decoder: 'default' (the decoders that ship, painting back at two "
                        "depths; they scored best in our quality tests) or 'trained' (one "
                        "decoder trained with the paper's style loss).",
    ("fast", "model"): "Style: one of the networks trained on a painting (click a picture "
                       "below to pick it); a 'johnson:' name is the same painting with the "
                       "network design of Johnson et al. 2016.",
    ("arbitrary", "model"): "Network: 'default' is the one that ships; others are networks "
                            "trained on this machine.",
    ("gatys", "content_layers"): "Where the photo's layout is matched, or a preset; a deeper "
                                 "layer lets the layout move more. " + LAYER_NAMES_SAID,
    ("gatys", "style_layers"): "Where the painting's textures are matched, or a preset: "
                               "shallow layers copy colour and fine texture, deep ones larger "
                               "motifs. " + LAYER_NAMES_SAID,
    ("wct", "levels"): "Depths of the network transformed in this order, each painted back "
                       "into a picture and read again (the paper's: deepest first, coarse to "
                       "fine), or a preset: coarse_to_fine, fine_to_coarse. "
                       + LAYER_NAMES_SAID,
}


def page_help(method: str, spec: ParamSpec) -> str:
    """The help text of a field as the page shows it: :data:`PAGE_HELP` where the config's
    cites files or commands, else the config's own with any benchmark script left out.

    Example:
        >>> from stylekit.video import VideoConfig
        >>> spec = next(s for s in describe(VideoConfig) if s.name == "flow_blend")
        >>> "bench/" in spec.help, "bench/" in page_help("video", spec)
        (True, False)
    """
    said = PAGE_HELP.get((method, spec.name)) or PAGE_HELP.get(("*", spec.name))
    if said:
        return said
    text = re.sub(r" \((?:see )?bench/[\w/.]+\)", "", spec.help or "")
    return re.sub(r"bench/[\w/.]+", "our benchmarks", text)


def visible_params(method: str) -> list[ParamSpec]:
    """The fields of ``method``'s config the page offers, in declaration order."""
    specs = describe(stylekit.get_stylizer_class(method).config_class)
    return [s for s in specs if not s.hidden]


def default_for(method: str, spec: ParamSpec) -> Any:
    """The field's default on this hardware (:data:`~stylekit.app.profile.PROFILE`)."""
    return PROFILE.get(method, {}).get(spec.name, spec.default)


def _is_model(method: str, spec: ParamSpec) -> bool:
    return spec.name == "model" and stylekit.get_stylizer_class(method).model_kind is not None


def widget_value(method: str, spec: ParamSpec) -> Any:
    """The starting value of a field's widget (what :func:`params_from` turns back)."""
    default = default_for(method, spec)
    if _is_model(method, spec):
        kind = stylekit.get_stylizer_class(method).model_kind
        return default if default in kind.names() else None  # type: ignore[union-attr]
    if spec.presets:  # before choices: a field may have both (wct's levels), as control()
        return spec.preset_name(tuple(default)) or ",".join(default)
    if spec.choices and spec.is_sequence:
        return [] if default is None else [str(v) for v in default]
    if spec.choices:
        return None if default is None else str(default)
    if spec.is_sequence:
        return "" if default is None else ",".join(str(v) for v in default)
    return default


def control(method: str, spec: ParamSpec, tab: str = "") -> gr.components.Component:
    """The widget for one config field: slider, dropdown, checkbox, number or text.

    ``method`` owns the config: a method's name, or another config's (``video`` for
    :class:`~stylekit.video.VideoConfig`); ``tab`` prefixes the element id where a second
    tab shows the same field (the Video tab)."""
    value = widget_value(method, spec)
    # elem_id: for the browser tests and custom CSS
    common: dict[str, Any] = {"label": spec.name.replace("_", " "),
                              "info": page_help(method, spec),
                              "elem_id": f"{tab}{method}-{spec.name}"}
    if _is_model(method, spec):
        names = stylekit.get_stylizer_class(method).model_kind.names()  # type: ignore[union-attr]
        return quiet(gr.Dropdown(names, value=value, **common))
    if spec.presets:
        common["info"] += " Or type layer names, comma-separated."
        return quiet(gr.Dropdown(list(spec.presets), value=value, allow_custom_value=True,
                                 **common))
    if spec.choices:
        # As strings: the API advertises the choices as strings, and the config turns "2"
        # back into 2 (numbers here would make Gradio refuse the "2" it advertises).
        if spec.is_sequence:
            common["info"] += " Several may be picked; none: the default."
        return quiet(gr.Dropdown([str(c) for c in spec.choices], value=value,
                                 multiselect=spec.is_sequence, **common))
    if spec.base_type is bool:
        return gr.Checkbox(value=value, **common)
    if spec.is_sequence:
        common["info"] += " Comma-separated; empty: default."
        return gr.Textbox(value, **common)
    if spec.base_type in (int, float):
        low, high, step = SLIDER_SPANS.get(spec.name, (spec.min, spec.max, None))
        if low is not None and high is not None and value is not None:
            step = step or (1 if spec.base_type is int else 0.01)
            return quiet(gr.Slider(low, high, value=value, step=step, **common))
        return quiet(gr.Number(value, precision=0 if spec.base_type is int else None, **common))
    return gr.Textbox(value or "", **common)


def params_from(method: str, values: tuple[Any, ...]) -> dict[str, Any]:
    """Widget values back to config fields (the config coerces and checks them)."""
    specs = visible_params(method)
    params = {s.name: v for s, v in zip(specs, values, strict=True)}
    for spec in specs:
        value = params[spec.name]
        if isinstance(value, str) and "," in value and spec.presets:
            params[spec.name] = tuple(v.strip() for v in value.split(",") if v.strip())
        elif spec.is_sequence and spec.choices and not value:  # nothing picked: the default
            params[spec.name] = spec.default
    params.update({k: v for k, v in PROFILE.get(method, {}).items() if k == "save_every"})
    return params


def model_choice(method: str) -> gr.Dropdown:
    """A model picker for ``method`` on its own (the Compare tab), starting at its default."""
    spec = next(s for s in visible_params(method) if s.name == "model")
    names = stylekit.get_stylizer_class(method).model_kind.names()  # type: ignore[union-attr]
    value = widget_value(method, spec) or (names[0] if names else None)
    return quiet(gr.Dropdown(names, value=value, label=f"{method} model",
                             elem_id=f"compare-{method}-model"))


# --- examples -----------------------------------------------------------------------------------


def example_paths(kind: str) -> list[str]:
    """Example images of ``kind`` (``photo`` or ``style``) whose packages are installed here."""
    paths = []
    for example in examples.EXAMPLES.values():
        if example.kind == kind:
            # e.g. without scikit-image the photos are left out
            with contextlib.suppress(stylekit.StylekitError):
                paths.append(str(examples.example_path(example.name)))
    return paths


def pair_inputs() -> tuple[gr.Image, gr.Image]:
    """A photo and a style image side by side (the caller adds :func:`example_pickers`)."""
    with gr.Row():
        content = image_input("Photo", webcam=True)
        style = image_input("Style image")
    return content, style


@functools.cache
def example_choices(kind: str) -> list[tuple[str, str, str]]:
    """The example images of ``kind`` (``photo`` or ``style``) for a picker: a small thumbnail,
    a copy of the image to hand to an input, and its name in plain words.

    Copied once (outside the installed package, which Gradio would not serve) to a folder of
    their own; the thumbnails keep the page light.
    """
    folder = Path(tempfile.mkdtemp(prefix=f"stylekit-examples-{kind}-"))
    choices = []
    for path in map(Path, example_paths(kind)):
        copy = folder / path.name
        shutil.copyfile(path, copy)
        with Image.open(path) as image:
            thumb = image.convert("RGB")
        thumb.thumbnail((192, 192))
        small = folder / f"{path.stem}-thumb.webp"
        thumb.save(small, "WEBP", quality=85)
        choices.append((str(small), str(copy), short_name(path.stem)))
    return choices


def short_name(name: str) -> str:
    """What a picker calls an example: a painting by its painter's surname, short enough not
    to be cut off under a thumbnail; another image by the first word of its name.

    Example:
        >>> short_name("starry_night"), short_name("great_wave"), short_name("hubble_deep_field")
        ('van Gogh', 'Hokusai', 'hubble')
    """
    if name not in examples.PAINTINGS:
        return name.split("_")[0]
    words = examples.PAINTINGS[name].split(",")[0].split()
    # "Vincent van Gogh": from the first particle; otherwise the last word
    particle = next((i for i, word in enumerate(words) if word.islower()), len(words) - 1)
    return " ".join(words[particle:])


def example_picker(kind: str, target: gr.Image, elem_id: str | None = None,
                   columns: int = 5, height: int | str = "auto") -> gr.Gallery:
    """A gallery of the shipped example photos (``kind="photo"``) or paintings
    (``"style"``); clicking one puts it in ``target``, as if it had been uploaded."""
    choices = example_choices(kind)
    what = "photo" if kind == "photo" else "painting"
    picker = gr.Gallery([(thumb, name) for thumb, _, name in choices],
                        label=f"Or click an example {what}", columns=columns, rows=None,
                        height=height, allow_preview=False, object_fit="cover",
                        show_label=True, elem_id=elem_id)

    def pick(evt: gr.SelectData) -> str:
        """The full-size example that was clicked."""
        return choices[evt.index][1]

    picker.select(pick, None, target, api_visibility="private", queue=False)
    return picker


def drawn_mask(value: dict[str, Any] | None) -> str | None:
    """The mask drawn in the page's editor as a file for the library's ``mask``: white where
    the first style goes (the white brush), black elsewhere (the black brush, or nothing
    drawn); ``None`` while nothing is drawn.

    Example:
        >>> layer = Image.new("RGBA", (8, 8))
        >>> layer.paste((255, 255, 255, 255), (0, 0, 4, 8))
        >>> mask = Image.open(drawn_mask({"background": None, "layers": [layer]}))
        >>> mask.getpixel((1, 1)), mask.getpixel((6, 1))
        (255, 0)
        >>> drawn_mask({"background": None, "layers": []}) is None
        True
    """
    layers = [layer for layer in (value or {}).get("layers") or [] if layer is not None]
    strokes = [layer.convert("RGBA") for layer in layers]
    if not strokes or not any(layer.getchannel("A").getbbox() for layer in strokes):
        return None
    canvas = Image.new("L", strokes[0].size, 0)
    for layer in strokes:
        canvas.paste(layer.convert("L"), (0, 0), layer.getchannel("A"))
    return results.picture(canvas, "mask", "png")


def example_pickers(prefix: str, photo: gr.Image | None, painting: gr.Image | None,
                    open: bool = True) -> gr.Gallery | None:
    """The example photo and painting galleries of a tab (in an accordion), filling ``photo``
    and ``painting`` (either may be ``None``); element ids ``<prefix>-photos`` and
    ``<prefix>-paintings``. Returns the painting gallery, if any."""
    paintings = None
    with gr.Accordion("Example photos and paintings" if photo and painting else
                      "Example photos" if photo else "Example paintings", open=open):
        if photo is not None:
            example_picker("photo", photo, f"{prefix}-photos", columns=4, height=150)
        if painting is not None:
            paintings = example_picker("style", painting, f"{prefix}-paintings", columns=5,
                                       height=260)
    return paintings
