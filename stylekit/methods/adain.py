"""AdaIN: arbitrary style transfer in one forward pass (Huang & Belongie 2017).

Any style image, no per-style training: VGG-19 (``relu4_1``) encodes photo and painting,
:func:`stylekit.nets.adain.adain` moves the photo's feature statistics to the painting's, and a
trained decoder paints the result. Controls from the paper: ``alpha`` (content-style trade-off
in feature space), several styles interpolated with weights, colour preservation, and spatial
control (two styles in the regions of a mask). The decoder is trained by
:mod:`stylekit.training.adain`.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from .. import color
from ..base import Progress, StyleInput, Stylizer, style_list
from ..config import MethodConfig, param
from ..device import resolve_device
from ..errors import ConfigError, ImageError
from ..images import ImageInput, load_image, resize_long_side, to_pil, to_tensor
from ..models import ModelKind
from ..nets.adain import ENCODER_LAYER, Decoder, adain_from_stats, mean_std, pad_to_multiple
from ..registry import register_stylizer
from ..tiling import reference_crops, run_tiled
from ..vgg import VGG19Features
from .fast import finish

#: Shipped decoders (weights/adain/<name>/model.safetensors) and the sha256 of each file.
SHIPPED_DECODERS: dict[str, str | None] = {
    "default": "32aad9b6524805dfd8897b11c6e46e3afb2d650c11e7dcc7a00a33ca9e45d9e0",
}

DECODERS = ModelKind(
    prefix="adain", architecture="adain-decoder", what="AdaIN decoder",
    build=lambda meta: Decoder(tuple(int(w) for w in meta["widths"].split(","))),  # type: ignore[arg-type]
)
DECODERS.register_shipped(SHIPPED_DECODERS)


def load_decoder(model: str) -> Decoder:
    """A :class:`Decoder` with the weights of ``model`` (widths from the file's metadata)."""
    return DECODERS.load(model)  # type: ignore[return-value]


def decoder_metadata(decoder: Decoder, **extra: str) -> dict[str, str]:
    """The safetensors metadata :func:`load_decoder` needs, plus ``extra``."""
    return {"architecture": "adain-decoder",
            "widths": ",".join(str(w) for w in decoder.spec.widths), **extra}


@dataclass(frozen=True)
class AdaINConfig(MethodConfig):
    """Parameters of the AdaIN method."""

    model: str = param("default", "Decoder: a shipped name or a model.safetensors path.")
    alpha: float = param(
        1.0, "Content-style trade-off: 1 is full style, 0 reconstructs the photo.",
        min=0.0, max=1.0,
    )
    size: int | None = param(
        512, "Long side of the output in pixels (none: the photo's own size).",
        min=64, max=16384,
    )
    style_size: int = param(512, "Long side at which style images are encoded.", min=64,
                            max=2048)
    style_blend_weights: tuple[float, ...] | None = param(
        None, "One weight per style image when several are given (default equal).", min=0.0
    )
    mask: str | None = param(
        None, "Spatial control: a mask image; with two styles, the first paints where the "
        "mask is light and the second where it is dark.",
    )
    preserve_color: str = param(
        "none", "Keep the photo's colours: luminance (style on brightness only) or histogram "
        "(recolour the style images to the photo's colour statistics first).",
        choices=color.COLOR_MODES,
    )
    max_tile_pixels: int = param(
        1024 * 1024, "Largest area processed in one pass; larger images are tiled.",
        min=128 * 128, max=64 * 1024 * 1024,
    )
    tile_overlap: int = param(128, "Pixels shared by neighbouring tiles.", min=16, max=1024)
    edge_margin: int = param(
        16, "Pixels of mirrored border added around the photo before encoding and cut off "
        "after decoding: the decoder paints the outermost pixels poorly (bands along the "
        "edges), so they are painted outside the picture. Costs about 6% at 1024 px.",
        min=0, max=64)
    device: str = param("auto", "Device: auto, cpu, cuda, cuda:N or mps.")


@register_stylizer("adain")
class AdaINStylizer(Stylizer[AdaINConfig]):
    """Any style image in one pass: VGG encoder, AdaIN, trained decoder."""

    description = "Huang & Belongie 2017: AdaIN (instant, any style image)"
    config_class = AdaINConfig
    model_kind = DECODERS

    def __init__(self, config: AdaINConfig | None = None, **overrides: Any) -> None:
        super().__init__(config, **overrides)
        self._decoders: dict[tuple[str, str], Decoder] = {}
        self._encoders: dict[str, VGG19Features] = {}
        #: Style statistics by image content: a second photo in the same style skips the
        #: style's VGG pass. Least recently used entries are dropped beyond 32.
        self.style_cache: OrderedDict[str, tuple[torch.Tensor, torch.Tensor]] = OrderedDict()
        self.style_encodings = 0  # how many style images were actually encoded
        self._cache_lock = threading.Lock()

    def encoder(self, device: torch.device) -> VGG19Features:
        if str(device) not in self._encoders:
            self._encoders[str(device)] = VGG19Features([ENCODER_LAYER]).to(device)
        return self._encoders[str(device)]

    def decoder(self, model: str, device: torch.device) -> Decoder:
        key = (model, str(device))
        if key not in self._decoders:
            self._decoders[key] = load_decoder(model).to(device)
        return self._decoders[key]

    def encode(self, rgb: torch.Tensor, device: torch.device) -> torch.Tensor:
        """``relu4_1`` features of RGB ``(B, 3, H, W)`` (H, W multiples of 8)."""
        return self.encoder(device).encode(rgb)[ENCODER_LAYER]

    def style_stats(self, image: torch.Tensor, device: torch.device
                    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Mean and std of a style image's features, cached by its pixels."""
        key = hashlib.sha1(image.cpu().numpy().tobytes()).hexdigest() + str(tuple(image.shape))
        with self._cache_lock:  # one stylizer may serve several threads (the app does)
            if key in self.style_cache:
                self.style_cache.move_to_end(key)
                return self.style_cache[key]
        stats = mean_std(self.encode(pad_to_multiple(image.to(device)), device))
        with self._cache_lock:
            self.style_encodings += 1
            self.style_cache[key] = stats
            if len(self.style_cache) > 32:
                self.style_cache.popitem(last=False)
        return stats

    def iterate(
        self, content: ImageInput, style: StyleInput = None, **params: Any
    ) -> Iterator[Progress]:
        cfg = self.config.replace(**params) if params else self.config
        start = time.perf_counter()
        styles = style_list(style)
        if not styles:
            raise ConfigError("the adain method needs a style image: pass style=PATH_OR_IMAGE")
        weights = _blend_weights(cfg.style_blend_weights, len(styles), cfg.mask)
        device = resolve_device(cfg.device)
        self.decoder(cfg.model, device)  # load and check the weights before any other work
        photo = load_image(content, what="content image")
        if cfg.size is not None:
            photo = resize_long_side(photo, cfg.size)
        x = to_tensor(photo, device)
        style_tensors = [to_tensor(resize_long_side(
            load_image(s, what=f"style image {i + 1}" if len(styles) > 1 else "style image"),
            cfg.style_size), device) for i, s in enumerate(styles)]
        if cfg.preserve_color == "histogram":
            style_tensors = [color.match_color_histogram(s, x).clamp(0, 1) for s in style_tensors]
        stats = [self.style_stats(s, device) for s in style_tensors]
        mask = _load_mask(cfg.mask, photo.size, device) if cfg.mask else None

        with torch.inference_mode():
            y = self._stylize(x, stats, weights, mask, cfg, device).clamp(0, 1)
            y = finish(y, x, "luminance" if cfg.preserve_color == "luminance" else "none", 1.0)
        yield Progress(step=1, total_steps=1, image=to_pil(y), elapsed=time.perf_counter() - start,
                       scale=max(photo.size), eta=0.0, done=True)

    def _stylize(self, x: torch.Tensor, stats: list[tuple[torch.Tensor, torch.Tensor]],
                 weights: list[float], mask: torch.Tensor | None, cfg: AdaINConfig,
                 device: torch.device) -> torch.Tensor:
        decoder = self.decoder(cfg.model, device)
        height, width = x.shape[-2:]
        # The picture's own edges only (tiles' inner edges overlap instead).
        margin = min(cfg.edge_margin, height - 1, width - 1)  # reflection needs < size
        image = x if mask is None else torch.cat([x, mask], dim=1)
        if margin:
            image = F.pad(image, (margin,) * 4, mode="reflect")
        tiled = height * width > cfg.max_tile_pixels  # the photo's area; the margin is small
        # Content statistics of the whole image; tiles must not use their own.
        global_stats = _pooled_stats(self.encode(
            reference_crops(x, cfg.max_tile_pixels, multiple=8), device)) \
            if tiled else None

        def run(patch: torch.Tensor) -> torch.Tensor:
            rgb = pad_to_multiple(patch[:, :3])
            features = self.encode(rgb, device)
            c_stats = global_stats or mean_std(features)
            if mask is None:
                target = sum(w * adain_from_stats(features, m, s, c_stats)
                             for w, (m, s) in zip(weights, stats, strict=True))
            else:
                region = F.interpolate(pad_to_multiple(patch[:, 3:]), size=features.shape[-2:],
                                       mode="bilinear", align_corners=False)
                target = (region * _masked_adain(features, region, *stats[0])
                          + (1 - region) * _masked_adain(features, 1 - region, *stats[1]))
            assert isinstance(target, torch.Tensor)
            blended = cfg.alpha * target + (1 - cfg.alpha) * features
            return decoder(blended)[..., : patch.shape[-2], : patch.shape[-1]]

        out = run_tiled(run, image, cfg.max_tile_pixels, cfg.tile_overlap) if tiled \
            else run(image)
        return out[..., margin:margin + height, margin:margin + width]


def _blend_weights(given: Sequence[float] | None, count: int, mask: str | None) -> list[float]:
    if mask is not None:
        if count != 2:
            raise ConfigError(f"spatial control with a mask needs exactly two style images, "
                              f"got {count}")
        return [1.0, 1.0]
    if given is None:
        return [1.0 / count] * count
    if len(given) != count:
        raise ConfigError(f"style_blend_weights has {len(given)} values for {count} style "
                          "images; give one weight per style image")
    if sum(given) <= 0:
        raise ConfigError("style_blend_weights must not all be zero")
    return [w / sum(given) for w in given]


def _load_mask(source: str, size: tuple[int, int], device: torch.device) -> torch.Tensor:
    """A mask image as ``(1, 1, H, W)`` in [0, 1], resized to the photo."""
    image = load_image(source, what="mask image", min_side=8).convert("L")
    if image.size != size:
        image = image.resize(size)
    values = np.asarray(image, dtype=np.float32) / 255.0
    if values.min() == values.max():
        raise ImageError("the mask image is uniform; it must mark two regions (light and dark)")
    return torch.from_numpy(values)[None, None].to(device)


def _masked_adain(features: torch.Tensor, region: torch.Tensor, style_mean: torch.Tensor,
                  style_std: torch.Tensor) -> torch.Tensor:
    """AdaIN using the content statistics inside ``region`` (weights ``(1, 1, h, w)``)."""
    weight = region.sum((2, 3), keepdim=True).clamp_min(1e-6)
    mean = (features * region).sum((2, 3), keepdim=True) / weight
    var = ((features - mean) ** 2 * region).sum((2, 3), keepdim=True) / weight
    return adain_from_stats(features, style_mean, style_std, (mean, (var + 1e-5).sqrt()))


def _pooled_stats(features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean and std over all pixels of all crops ``(N, C, h, w)``, as ``(1, C, 1, 1)``."""
    var, mean = torch.var_mean(features, dim=(0, 2, 3), keepdim=True, unbiased=False)
    return mean, (var + 1e-5).sqrt()
