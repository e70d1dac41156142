"""Experiments for teaching: every method on one pair, and what each Gatys choice changes.

The library side of the app's Compare and Learn tabs (the pictures of features, Gram matrices
and whitening are in :mod:`stylekit.visualize`). Each experiment is a generator of progress,
so a caller can show it live, stop it between two steps, or just keep the last records.
Nothing here imports gradio.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from PIL import Image

from . import visualize
from .base import Progress, Stylizer
from .config import describe
from .errors import ConfigError, StylekitError
from .images import ImageInput, load_image
from .methods.gatys import GatysConfig
from .registry import create_stylizer, get_stylizer_class, list_stylizers

#: The two starting points :func:`init_race` compares.
RACE_INITS = ("noise", "content")


def _presets(field: str) -> dict[str, tuple[str, ...]]:
    spec = next(s for s in describe(GatysConfig) if s.name == field)
    return dict(spec.presets or {})


def content_layer_presets() -> dict[str, tuple[str, ...]]:
    """Gatys's named content layer sets, from its config's metadata.

    Example:
        >>> list(content_layer_presets())
        ['relu4_2', 'relu5_2']
    """
    return _presets("content_layers")


def style_layer_presets() -> dict[str, tuple[str, ...]]:
    """Gatys's named style layer sets, from its config's metadata.

    Example:
        >>> style_layer_presets()["shallow"]
        ('relu1_1', 'relu2_1', 'relu3_1')
    """
    return _presets("style_layers")


def is_iterative(method: str) -> bool:
    """Whether ``method`` optimises over steps (it has a ``steps`` setting) or paints in one pass.

    Example:
        >>> is_iterative("gatys"), is_iterative("wct")
        (True, False)
    """
    return any(s.name == "steps" for s in describe(get_stylizer_class(method).config_class))


def one_pass_first(methods: Sequence[str] | None = None) -> list[str]:
    """The registered methods (or ``methods``): one-pass ones first, optimising ones last,
    each group by name.

    Example:
        >>> one_pass_first()
        ['adain', 'arbitrary', 'fast', 'wct', 'gatys']
    """
    return sorted(list_stylizers() if methods is None else methods,
                  key=lambda m: (is_iterative(m), m))


@dataclass(frozen=True)
class Attempt:
    """One update of :func:`compare`.

    Attributes:
        method: the method's registry name.
        label: the method, with its model when it has one: ``"fast (starry_night)"``.
        record: the method's progress record; ``record.done`` on its final picture. ``None``
            when the method was skipped or failed.
        problem: why it was skipped or failed (``None`` otherwise).
    """

    method: str
    label: str
    record: Progress | None = None
    problem: str | None = None


def compare(
    photo: ImageInput,
    painting: ImageInput,
    *,
    models: Mapping[str, str | None] | None = None,
    settings: Mapping[str, Mapping[str, Any]] | None = None,
    methods: Sequence[str] | None = None,
    stylizer_for: Callable[[str], Stylizer] = create_stylizer,
) -> Iterator[Attempt]:
    """The same photo and painting through every method, the one-pass methods first.

    A method that fails (a missing model file, a photo too small for it) is reported and the
    others go on; the progress records carry each method's time (``record.elapsed``).

    Args:
        photo, painting: anything :func:`stylekit.load_image` reads.
        models: the model of each method that has models (``fast``, ``adain``); a method
            named here with no model (``None`` or ``""``) is skipped; one not named uses its
            default model.
        settings: extra parameters per method, e.g. ``{"gatys": {"size": 128}}``.
        methods: which methods (default: every registered one).
        stylizer_for: the stylizer to run a method with (default: a new one per call; a
            server passes its cached ones, so networks stay loaded).

    Returns:
        An iterator of :class:`Attempt`: each method's progress records, in order, or one
        attempt saying why the method was skipped or failed.

    Example:
        >>> from stylekit.examples import example_path
        >>> done = [a for a in compare(example_path("chelsea"), example_path("starry_night"),
        ...                            methods=["wct", "fast"], models={"fast": None},
        ...                            settings={"wct": {"size": 64}})
        ...         if a.problem or a.record.done]
        >>> [(a.label, a.problem or a.record.image.size) for a in done]
        [('fast', 'skipped (no model picked)'), ('wct', (64, 43))]
    """
    models = models or {}
    # Decoded once here, not once per method.
    photo, painting = load_image(photo, what="photo"), load_image(painting, what="painting")
    for method in one_pass_first(methods):
        cls = get_stylizer_class(method)
        params = dict((settings or {}).get(method, {}))
        label = method
        if cls.model_kind is not None and method in models:
            if not models[method]:
                yield Attempt(method, label, problem="skipped (no model picked)")
                continue
            params["model"] = models[method]
            label = f"{method} ({models[method]})"
        try:
            for record in stylizer_for(method).iterate(
                    photo, painting if cls.needs_style else None, **params):
                yield Attempt(method, label, record)
        except StylekitError as exc:
            yield Attempt(method, label, problem=f"failed: {exc}")


def layer_grid(
    photo: ImageInput,
    painting: ImageInput,
    *,
    size: int = 112,
    steps: int = 20,
    stylizer: Stylizer | None = None,
) -> Iterator[tuple[str, str, Progress]]:
    """Gatys with each content layer preset x each style layer preset: what each set brings.

    Row by row: one content preset per row, one style preset per column. Small by default,
    so the six cells take seconds on a CPU (the cells differ clearly by 20 L-BFGS steps).

    Args:
        photo, painting: anything :func:`stylekit.load_image` reads.
        size, steps: of each run.
        stylizer: a Gatys stylizer to reuse (default: a new one).

    Returns:
        An iterator of ``(content preset, style preset, progress record)``; the record with
        ``done`` set carries the cell's picture.

    Example:
        >>> from stylekit.examples import example_path
        >>> cells = [(c, s) for c, s, record in layer_grid(
        ...     example_path("chelsea"), example_path("starry_night"), size=32, steps=1)
        ...     if record.done]
        >>> cells[:4]
        [('relu4_2', 'gatys'), ('relu4_2', 'shallow'), ('relu4_2', 'deep'), ('relu5_2', 'gatys')]
    """
    runner = stylizer or create_stylizer("gatys")
    photo, painting = load_image(photo, what="photo"), load_image(painting, what="painting")
    for content_set in content_layer_presets():
        for style_set in style_layer_presets():
            # From the photo: what each layer set builds by itself, not a finished picture's
            # touch-up.
            for record in runner.iterate(photo, painting, size=size, steps=steps, save_every=0,
                                         init="content", content_layers=(content_set,),
                                         style_layers=(style_set,)):
                yield content_set, style_set, record


def init_race(
    photo: ImageInput,
    painting: ImageInput,
    *,
    size: int = 112,
    steps: int = 20,
    snapshots: int = 3,
    stylizer: Stylizer | None = None,
) -> Iterator[tuple[str, Progress]]:
    """Gatys started from noise, then from the photo, same steps: where the optimiser starts
    matters (from noise it must build the picture, from the photo only repaint it).

    Args:
        photo, painting: anything :func:`stylekit.load_image` reads.
        size, steps: of each run (a single scale, so the two loss curves line up).
        snapshots: about how many intermediate pictures each run carries.
        stylizer: a Gatys stylizer to reuse (default: a new one).

    Returns:
        An iterator of ``(init, progress record)``, ``init`` being ``"noise"`` then
        ``"content"``; every record has the total loss, some a snapshot.

    Example:
        >>> from stylekit.examples import example_path
        >>> race = list(init_race(example_path("chelsea"), example_path("starry_night"),
        ...                       size=32, steps=4, snapshots=2))
        >>> [(init, r.step) for init, r in race if r.image is not None]
        [('noise', 2), ('noise', 4), ('content', 2), ('content', 4)]
    """
    runner = stylizer or create_stylizer("gatys")
    photo, painting = load_image(photo, what="photo"), load_image(painting, what="painting")
    for init in RACE_INITS:
        for record in runner.iterate(photo, painting, init=init, size=size, steps=steps,
                                     scales=(size,), save_every=max(1, steps // snapshots)):
            yield init, record


def gram_gallery(picture: ImageInput, layers: Sequence[str]) -> list[tuple[Image.Image, str]]:
    """The Gram matrix of ``picture`` at each of ``layers`` as a heat map, with a caption.

    Args:
        picture: anything :func:`stylekit.load_image` reads (usually a painting).
        layers: VGG-19 layer names, at least one.

    Returns:
        One ``(heat map, caption)`` per layer, in order.

    Example:
        >>> from stylekit.examples import example_path
        >>> [caption for _, caption in gram_gallery(example_path("starry_night"), ["relu1_1"])]
        ['relu1_1: 64 channels, full resolution, receptive field 3 px']
    """
    if not layers:
        raise ConfigError("pick at least one layer to show its Gram matrix")
    picture = load_image(picture, what="painting")
    return [(visualize.gram_heatmap(picture, layer), visualize.layer_summary(layer))
            for layer in layers]
