"""Arbitrary style in one pass with one trained network (Ghiasi et al. 2017).

Any painting, no per-style training, no feature transform: VGG-19 measures the painting
(the channel statistics of :func:`~stylekit.nets.conditional.painting_statistics`), the
network's embedding turns them into a style vector, and the style vector sets the scale and
shift of every instance norm of a feed-forward transformation network
(:mod:`stylekit.nets.conditional`), trained on many paintings with the perceptual loss of
Johnson et al. (:mod:`stylekit.training.arbitrary`). The photo goes through that network once.

Several paintings are blended by mixing their style vectors; with a mask, each pixel gets its
own mix of the two paintings' norm parameters (Dumoulin et al. 2017). Large images run in
tiles that share the whole picture's statistics, as the fast method's do.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import torch

from .. import color
from ..base import Progress, StyleInput, Stylizer, style_list
from ..config import MethodConfig, param
from ..device import resolve_device
from ..errors import ConfigError
from ..filters import kuwahara
from ..images import (
    DEFAULT_MIN_SIDE,
    ImageInput,
    load_image,
    resize_long_side,
    to_pil,
    to_tensor,
)
from ..losses import tensor_digest
from ..nets.conditional import (
    ARBITRARY_MODELS,
    STATS_LAYERS,
    STYLE_SIZE,
    ConditionalTransformerNet,
    painting_statistics,
)
from ..registry import register_stylizer
from ..tiling import reference_crops, run_tiled
from ..vgg import VGG19Features
from .wct import blend_weights, load_mask

#: The shipped network.
DEFAULT_MODEL = "default"
#: Radius of the painterly finish (:func:`~stylekit.filters.kuwahara`) on the network's picture.
PATCH_RADIUS = 2


@dataclass(frozen=True)
class ArbitraryConfig(MethodConfig):
    """Parameters of the arbitrary method."""

    model: str = param(
        DEFAULT_MODEL, "Network: 'default' (shipped) or the path of a model.safetensors "
        "from `stylekit train arbitrary`.", advanced=True)
    size: int | None = param(
        512, "Long side of the output in pixels (none: the photo's own size).",
        min=64, max=16384)
    strength: float = param(
        1.0, "How much style: 1 is the network's output, 0 the photo.", min=0.0, max=1.0)
    style_size: int = param(
        STYLE_SIZE, "Long side at which the painting is measured: smaller paints larger "
        "strokes.",
        min=128, max=1024, advanced=True)
    style_blend_weights: tuple[float, ...] | None = param(
        None, "One weight per style image when several are given (default equal).", min=0.0,
        advanced=True)
    mask: str | None = param(
        None, "Spatial control: a mask image; with two styles, the first paints where the "
        "mask is light and the second where it is dark.",
        hidden=True)  # the app has an image input for it
    preserve_color: str = param(
        "none", "Keep the photo's colours: luminance (style on brightness only) or histogram "
        "(match the result's colour statistics to the photo).", choices=color.COLOR_MODES)
    match_palette: bool = param(
        True, "Give the picture the painting's colour mean and covariance at the end (a "
        "blind panel preferred it on 24 of 24 answers). Not with preserve_color or a mask.",
        advanced=True)
    patch_radius: int = param(
        PATCH_RADIUS, "Painterly finish: the radius in pixels of the Kuwahara filter run over "
        "the picture, which melts the network's fine grid texture into flat patches of paint "
        "(preferred on 32 of 36 panel answers). 0 turns it off.", min=0, max=8)
    max_tile_pixels: int = param(
        1024 * 1024, "Largest area stylized in one pass; larger images are tiled.",
        min=64 * 64, max=64 * 1024 * 1024, hidden=True)
    tile_overlap: int = param(64, "Pixels shared by neighbouring tiles.", min=8, max=512,
                              hidden=True)
    device: str = param("auto", "Device: auto, cpu, cuda, cuda:N or mps.", hidden=True)


@register_stylizer("arbitrary")
class ArbitraryStylizer(Stylizer[ArbitraryConfig]):
    """Any painting in one pass of one network whose norms the painting sets."""

    description = ("Ghiasi et al. 2017: one network trained on many paintings (instant, any "
                   "style image)")
    config_class = ArbitraryConfig
    model_kind = ARBITRARY_MODELS

    def __init__(self, config: ArbitraryConfig | None = None, **overrides: Any) -> None:
        super().__init__(config, **overrides)
        self._nets: dict[tuple[str, str], ConditionalTransformerNet] = {}
        self._encoders: dict[str, VGG19Features] = {}
        self._lock = threading.Lock()
        #: Style vectors by painting pixels, model and device: a second photo in the same
        #: style skips the painting's VGG pass. Least recently used beyond 32 are dropped.
        self.style_cache: OrderedDict[str, torch.Tensor] = OrderedDict()
        self.style_encodings = 0  # how many paintings were actually measured

    def network(self, model: str, device: torch.device) -> ConditionalTransformerNet:
        """The network of ``model`` on ``device``, loaded once per stylizer."""
        key = (model, str(device))
        with self._lock:
            if key not in self._nets:
                net: ConditionalTransformerNet = ARBITRARY_MODELS.load(model)  # type: ignore[assignment]
                self._nets[key] = net.to(device)
            return self._nets[key]

    def encoder(self, device: torch.device) -> VGG19Features:
        """VGG-19 up to relu4_1 on ``device``, built once per stylizer."""
        with self._lock:
            if str(device) not in self._encoders:
                self._encoders[str(device)] = VGG19Features(STATS_LAYERS).to(device)
            return self._encoders[str(device)]

    def style_vector(self, painting: torch.Tensor, model: str, device: torch.device
                     ) -> torch.Tensor:
        """The style vector ``(1, style_dim)`` of a painting ``(1, 3, H, W)`` in [0, 1],
        cached by its pixels."""
        key = tensor_digest(painting) + f"{model}{device}"
        with self._lock:
            cached = self.style_cache.get(key)
            if cached is not None:
                self.style_cache.move_to_end(key)
                return cached
        net = self.network(model, device)
        with torch.inference_mode():
            features = self.encoder(device).encode(painting.to(device), STATS_LAYERS)
            vector = net.embed(painting_statistics(features))
        with self._lock:
            self.style_encodings += 1
            self.style_cache[key] = vector
            if len(self.style_cache) > 32:
                self.style_cache.popitem(last=False)
        return vector

    @staticmethod
    def paintings(styles: Sequence[ImageInput], cfg: ArbitraryConfig) -> list[torch.Tensor]:
        """The paintings given, ``(1, 3, h, w)`` each, at ``style_size`` on the long side."""
        names = [f"style image {i + 1}" if len(styles) > 1 else "style image"
                 for i in range(len(styles))]
        return [to_tensor(resize_long_side(load_image(s, what=name), cfg.style_size,
                                           min_side=DEFAULT_MIN_SIDE, what=name))
                for s, name in zip(styles, names, strict=True)]

    def iterate(self, content: ImageInput, style: StyleInput = None, **params: Any
                ) -> Iterator[Progress]:
        cfg = self.config.replace(**params) if params else self.config
        start = time.perf_counter()
        styles = style_list(style)
        if not styles:
            raise ConfigError("the arbitrary method needs a style image: pass a painting, "
                              "{style=PATH}")
        weights = blend_weights(cfg.style_blend_weights, len(styles), cfg.mask)
        device = resolve_device(cfg.device)
        net = self.network(cfg.model, device)  # load and check the weights first
        photo = load_image(content, what="content image")
        if cfg.size is not None:
            photo = resize_long_side(photo, cfg.size, min_side=DEFAULT_MIN_SIDE,
                                     what="content image")
        x = to_tensor(photo, device)
        paintings = self.paintings(styles, cfg)
        vectors = torch.cat([self.style_vector(p, cfg.model, device) for p in paintings])
        with torch.inference_mode():
            if cfg.mask is not None:
                region = load_mask(cfg.mask, photo.size, device)
                y = paint(net, x, vectors, torch.cat([region, 1 - region], dim=1),
                          cfg.max_tile_pixels, cfg.tile_overlap)
            else:
                mixed = (torch.tensor(weights, device=device)[:, None] * vectors).sum(0, True)
                y = paint(net, x, mixed, None, cfg.max_tile_pixels, cfg.tile_overlap)
            y = y.clamp(0, 1)
            if cfg.match_palette and cfg.preserve_color == "none" and cfg.mask is None:
                target = color.palette([p.to(device) for p in paintings], weights)
                y = color.match_palette(y, *target).clamp(0, 1)
            y = kuwahara(y, cfg.patch_radius)
            y = color.finish(y, x, cfg.preserve_color, cfg.strength)
            picture = to_pil(y)
        yield Progress(step=1, total_steps=1, image=picture, elapsed=time.perf_counter() - start,
                       scale=max(photo.size), eta=0.0, done=True)


def paint(net: ConditionalTransformerNet, x: torch.Tensor, style: torch.Tensor,
          regions: torch.Tensor | None, max_pixels: int, overlap: int) -> torch.Tensor:
    """Run ``net`` on the photo ``x`` ``(1, 3, H, W)`` with style vectors ``style`` (one, or
    one per region of ``regions`` ``(1, K, H, W)``). Beyond ``max_pixels`` it runs in tiles
    normalised with statistics pooled over full-resolution crops of the whole image."""
    from ..nets.transformer import frozen_statistics

    def run(patch: torch.Tensor) -> torch.Tensor:
        if regions is None:
            return net(patch, style.expand(patch.shape[0], -1))
        return net(patch[:, :3], style, patch[:, 3:])

    framed = x if regions is None else torch.cat([x, regions], dim=1)
    height, width = x.shape[-2:]
    if height * width <= max_pixels:
        return run(framed)
    with frozen_statistics(run, reference_crops(framed, max_pixels)):
        return run_tiled(run, framed, max_pixels, overlap)
