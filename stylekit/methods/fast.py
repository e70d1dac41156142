"""Fast feed-forward style transfer: one forward pass per photo, in a style chosen by name.

Two kinds of network paint it:

* the **built-in styles** (every painting shipped in ``example_images/``): one network for
  all of them, the arbitrary-style network of :mod:`stylekit.methods.arbitrary` (Ghiasi et
  al. 2017), with each painting's style vector stored in its file. Styles blend by mixing
  their vectors (``blend_with``, ``blend``), or by region with a mask. A shipped painting
  given as the style (``example:NAME`` or its file) chooses its built-in style, as the
  other methods take their style;
* **per-style networks** (``johnson:NAME``, or a ``model.safetensors`` path): Johnson, Alahi &
  Fei-Fei, "Perceptual Losses for Real-Time Style Transfer and Super-Resolution" (ECCV 2016),
  with instance normalisation (Ulyanov et al. 2016), one trained network per painting
  (:mod:`stylekit.nets.transformer`, trained by :mod:`stylekit.training.fast`).
"""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import torch

from .. import color
from ..base import Progress, StyleInput, Stylizer, style_list
from ..config import MethodConfig, param
from ..device import CompiledModule, resolve_device
from ..errors import ConfigError, WeightsError
from ..examples import PAINTINGS, PREFIX, example_path
from ..filters import kuwahara
from ..images import (
    DEFAULT_MIN_SIDE,
    ImageInput,
    load_image,
    resize_long_side,
    to_pil,
    to_tensor,
)
from ..nets.conditional import ARBITRARY_MODELS, STYLE_SIZE, ConditionalTransformerNet
from ..nets.transformer import (  # noqa: F401  (SHIPPED_MODELS: part of this module's API)
    FAST_MODELS,
    SHIPPED_MODELS,
    SHIPPED_PREFIX,
    TransformerNet,
    frozen_statistics,
)
from ..registry import register_stylizer
from ..tiling import reference_crops, run_tiled
from .arbitrary import DEFAULT_MODEL, PATCH_RADIUS, paint
from .wct import load_mask

#: The built-in styles: the shipped paintings, painted by the shipped arbitrary network with
#: the style vectors stored in its file.
BUILTIN_STYLES = tuple(PAINTINGS)


def _builtin_source() -> str:
    """Where a built-in style comes from: the arbitrary network's file."""
    return f"{ARBITRARY_MODELS.source(DEFAULT_MODEL)} (a built-in style of it)"


for _name in BUILTIN_STYLES:
    FAST_MODELS.virtual[_name] = _builtin_source


@functools.cache
def builtin_painting(name: str) -> torch.Tensor:
    """The shipped painting of a built-in style, ``(1, 3, h, w)`` at ``STYLE_SIZE`` on its
    long side (read once)."""
    return to_tensor(resize_long_side(load_image(example_path(name)), STYLE_SIZE))


def builtin_style_of(image: Any) -> str | None:
    """The built-in style a shipped painting stands for.

    Args:
        image: a style input: ``"example:NAME"``, a path, or anything else.

    Returns:
        The style's name if ``image`` names a shipped painting (``example:NAME`` or the
        painting's file), else ``None``.

    Example:
        >>> builtin_style_of("example:great_wave"), builtin_style_of(example_path("udnie"))
        ('great_wave', 'udnie')
        >>> builtin_style_of("example:hubble"), builtin_style_of("my_painting.jpg")
        (None, None)
    """
    if isinstance(image, str) and image.startswith(PREFIX):
        name = image[len(PREFIX):]
        return name if name in BUILTIN_STYLES else None
    if not isinstance(image, (str, os.PathLike)):
        return None
    path = Path(image)
    for name in BUILTIN_STYLES:
        shipped = example_path(name)
        if path.name == shipped.name and path.is_file() and path.samefile(shipped):
            return name
    return None


def available_models() -> list[str]:
    """Names of the fast models stylekit knows: the built-in styles and the per-style
    networks (shipped or on the Hub)."""
    return FAST_MODELS.names()


def load_transformer(model: str) -> TransformerNet:
    """A per-style :class:`TransformerNet` with the weights of ``model`` (``johnson:NAME`` or
    a path), in eval mode; width and depth come from the file's metadata."""
    if model in BUILTIN_STYLES:
        raise ConfigError(f"{model!r} is a built-in style of the arbitrary network, not a "
                          f"per-style network (those are {SHIPPED_PREFIX}NAME)")
    return FAST_MODELS.load(model)  # type: ignore[return-value]


@dataclass(frozen=True)
class FastConfig(MethodConfig):
    """Parameters of the fast method."""

    model: str = param(
        "starry_night", "Style: a built-in style (one network for all), a per-style network "
        f"({SHIPPED_PREFIX}NAME) or a model path.")
    blend_with: str | None = param(
        None, "A second built-in style to mix in (their style vectors are mixed).",
        choices=BUILTIN_STYLES, advanced=True)
    blend: float = param(
        0.5, "Share of blend_with in the mix: 0 is the first style alone, 1 the second.",
        min=0.0, max=1.0, advanced=True)
    mask: str | None = param(
        None, "Spatial control: a mask image; the style paints where the mask is light and "
        "blend_with where it is dark.",
        hidden=True)  # the app has an image input for it
    match_palette: bool = param(
        True, "Built-in styles: give the picture the painting's colour mean and covariance at "
        "the end, as the arbitrary method does. Not with preserve_color or a mask.",
        advanced=True)
    patch_radius: int = param(
        PATCH_RADIUS, "Built-in styles: the painterly finish of the arbitrary method (a "
        "Kuwahara filter of this radius in pixels melts fine grid texture into flat patches). "
        "0 turns it off.", min=0, max=8, advanced=True)
    size: int | None = param(
        None, "Long side of the output in pixels (default: the photo's own size).",
        min=32, max=16384,
    )
    strength: float = param(
        1.0, "How much style: 1 is the network's output, 0 the photo.", min=0.0, max=1.0
    )
    preserve_color: str = param(
        "none", "Keep the photo's colours: luminance (style on brightness only) or histogram "
        "(match the result's colour statistics to the photo).", choices=color.COLOR_MODES,
    )
    max_tile_pixels: int = param(
        1024 * 1024, "Largest area stylized in one pass; larger images are tiled.",
        min=64 * 64, max=64 * 1024 * 1024, hidden=True,
    )
    tile_overlap: int = param(64, "Pixels shared by neighbouring tiles.", min=8, max=512,
                              hidden=True)
    compile: bool = param(
        False, "Compile the network with torch.compile: later photos run 1.3-1.5x faster on a CPU, "
        "but the first waits for the compiler (a minute on a 2-core CPU, seconds once its "
        "disk cache has the kernels; once for all sizes). For batches and servers; tiled "
        "images run uncompiled.",
        # Hidden in the app: a first result a minute late is worse for a demo than every
        # result 30% slower.
        hidden=True,
    )
    device: str = param("auto", "Device: auto, cpu, cuda, cuda:N or mps.", hidden=True)


@register_stylizer("fast")
class FastStylizer(Stylizer[FastConfig]):
    """Stylizes in a style chosen by name: a single forward pass."""

    description = "Johnson et al. 2016, Ghiasi et al. 2017: trained styles by name (instant)"
    config_class = FastConfig
    needs_style = False
    model_kind = FAST_MODELS

    def __init__(self, config: FastConfig | None = None, **overrides: Any) -> None:
        super().__init__(config, **overrides)
        self._nets: dict[tuple[str, str], torch.nn.Module] = {}
        self._compiled: dict[tuple[str, str], CompiledModule] = {}

    def network(self, model: str, device: torch.device) -> TransformerNet:
        """The per-style network of ``model`` on ``device``, loaded once per stylizer."""
        key = (model, str(device))
        if key not in self._nets:
            self._nets[key] = load_transformer(model).to(device)
        return self._nets[key]  # type: ignore[return-value]

    def builtin_network(self, device: torch.device) -> ConditionalTransformerNet:
        """The network of the built-in styles on ``device``, loaded once per stylizer."""
        key = (f"arbitrary/{DEFAULT_MODEL}", str(device))
        if key not in self._nets:
            self._nets[key] = ARBITRARY_MODELS.load(DEFAULT_MODEL).to(device)
        return self._nets[key]  # type: ignore[return-value]

    def compiled_network(self, model: str, device: torch.device) -> CompiledModule:
        """:meth:`network` compiled, once per stylizer (the compiler runs at its first call)."""
        key = (model, str(device))
        if key not in self._compiled:
            self._compiled[key] = CompiledModule(self.network(model, device))
        return self._compiled[key]

    def iterate(
        self, content: ImageInput, style: StyleInput = None, **params: Any
    ) -> Iterator[Progress]:
        cfg = self.config.replace(**params) if params else self.config
        start = time.perf_counter()
        if style_list(style):
            cfg = self.style_as_model(cfg, style)
        builtin = cfg.model in BUILTIN_STYLES
        if (cfg.blend_with or cfg.mask) and not builtin:
            raise ConfigError(f"blending and masks take built-in styles "
                              f"({', '.join(BUILTIN_STYLES)}), not {cfg.model!r}")
        if cfg.mask and not cfg.blend_with:
            raise ConfigError("a mask needs a second style: give {blend_with=NAME}")
        device = resolve_device(cfg.device)
        image = load_image(content, what="content image")
        if cfg.size is not None:
            image = resize_long_side(image, cfg.size, min_side=DEFAULT_MIN_SIDE,
                                     what="content image")
        x = to_tensor(image, device)
        if builtin:
            net = self.builtin_network(device)
            vectors = [self._stored(net, cfg.model)]
            if cfg.blend_with:
                vectors.append(self._stored(net, cfg.blend_with))
        else:
            legacy = self.network(cfg.model, device)
            whole = self.compiled_network(cfg.model, device) if cfg.compile else None
        with torch.inference_mode():
            if not builtin:
                y = stylize_tensor(legacy, x, cfg.max_tile_pixels, cfg.tile_overlap, whole)
            elif cfg.mask:
                region = load_mask(cfg.mask, image.size, device)
                y = paint(net, x, torch.cat(vectors), torch.cat([region, 1 - region], dim=1),
                          cfg.max_tile_pixels, cfg.tile_overlap)
            else:
                shares = [1.0] if len(vectors) == 1 else [1 - cfg.blend, cfg.blend]
                mixed = torch.stack([s * v for s, v in zip(shares, vectors, strict=True)]).sum(0)
                y = paint(net, x, mixed, None, cfg.max_tile_pixels, cfg.tile_overlap)
                if cfg.match_palette and cfg.preserve_color == "none":
                    names = [cfg.model, cfg.blend_with][:len(vectors)]
                    target = color.palette([builtin_painting(n).to(device) for n in names],
                                           shares)
                    y = color.match_palette(y.clamp(0, 1), *target)
            if builtin:
                y = kuwahara(y.clamp(0, 1), cfg.patch_radius)
            y = color.finish(y.clamp(0, 1), x, cfg.preserve_color, cfg.strength)
            picture = to_pil(y)
        yield Progress(step=1, total_steps=1, image=picture, elapsed=time.perf_counter() - start,
                       scale=max(image.size), eta=0.0, done=True)

    @staticmethod
    def style_as_model(cfg: FastConfig, style: StyleInput) -> FastConfig:
        """``cfg`` painting the shipped paintings given as ``style``: the first becomes
        ``model``, a second ``blend_with``.

        Args:
            cfg: the config of the call; a ``model`` (``blend_with``) left at its default gives
                way, one that names another style is a conflict.
            style: one or two shipped paintings, ``example:NAME`` or their files.

        Returns:
            The config to paint with. Anything else raises :class:`ConfigError` saying what
            to give instead.

        Example:
            >>> cfg = FastStylizer.style_as_model(FastConfig(), "example:great_wave")
            >>> cfg.model, cfg.blend_with
            ('great_wave', None)
            >>> FastStylizer.style_as_model(FastConfig(model="johnson:udnie"), "example:udnie")
            Traceback (most recent call last):
            ...
            stylekit.errors.ConfigError: the style image 'example:udnie' chooses the built-in \
style 'udnie', but 'model' chooses 'johnson:udnie'; give only one of them
        """
        styles = style_list(style)
        names = [builtin_style_of(s) for s in styles]
        if None in names:
            raise ConfigError(
                "the fast method paints built-in styles and trained networks: give a shipped "
                f"painting as the style ({', '.join(PREFIX + n for n in BUILTIN_STYLES)}) or "
                "choose one with {model=NAME}, or use the arbitrary method for any style image")
        if len(names) > 2:
            raise ConfigError("the fast method mixes at most two built-in styles; got "
                              f"{len(names)} style images")
        defaults = {f.name: f.default for f in fields(FastConfig)}
        chosen = {"model": names[0], "blend_with": names[1] if len(names) > 1 else None}
        for (field, name), given in zip(chosen.items(), styles, strict=False):
            value = getattr(cfg, field)
            if value not in (defaults[field], name):
                shown = str(given)  # a name or a path: nothing else names a painting
                raise ConfigError(f"the style image {shown!r} chooses the built-in style "
                                  f"{name!r}, but {{{field}}} chooses {value!r}; give only one "
                                  "of them")
        return cfg.replace(**{k: v for k, v in chosen.items() if v is not None})

    @staticmethod
    def _stored(net: ConditionalTransformerNet, name: str) -> torch.Tensor:
        try:
            return net.stored_style(name)
        except KeyError as exc:
            raise WeightsError(f"the arbitrary network's file has no stored style {name!r} "
                               f"({exc.args[0]}); use the shipped weights") from None


def stylize_tensor(
    net: torch.nn.Module,
    x: torch.Tensor,
    max_pixels: int,
    overlap: int,
    whole: Callable[[torch.Tensor], torch.Tensor] | None = None,
) -> torch.Tensor:
    """Run an image-to-image network on ``x`` ``(1, 3, H, W)``. Beyond ``max_pixels`` it runs
    in tiles, all normalised with statistics pooled over full-resolution crops spread across
    the image (a downscaled copy would have different statistics). ``whole``, if given, runs
    the untiled case instead of ``net`` (e.g. its compiled form)."""
    height, width = x.shape[-2:]
    if height * width <= max_pixels:
        return (whole or net)(x)
    with frozen_statistics(net, reference_crops(x, max_pixels)):
        return run_tiled(net, x, max_pixels, overlap)
