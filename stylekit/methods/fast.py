"""Fast feed-forward style transfer: one network per style, one forward pass per photo.

Johnson, Alahi & Fei-Fei, "Perceptual Losses for Real-Time Style Transfer and
Super-Resolution" (ECCV 2016), with instance normalisation (Ulyanov et al. 2016). The network
is in :mod:`stylekit.nets.transformer`, its training in :mod:`stylekit.training.fast`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import torch

from .. import color
from ..base import Progress, StyleInput, Stylizer
from ..config import MethodConfig, param
from ..device import CompiledModule, resolve_device
from ..errors import ConfigError
from ..images import (
    DEFAULT_MIN_SIDE,
    ImageInput,
    load_image,
    resize_long_side,
    to_pil,
    to_tensor,
)
from ..nets.transformer import (  # noqa: F401  (SHIPPED_MODELS: part of this module's API)
    FAST_MODELS,
    SHIPPED_MODELS,
    TransformerNet,
    frozen_statistics,
)
from ..registry import register_stylizer
from ..tiling import reference_crops, run_tiled


def available_models() -> list[str]:
    """Names of the fast models stylekit knows (shipped or on the Hub)."""
    return FAST_MODELS.names()


def load_transformer(model: str) -> TransformerNet:
    """A :class:`TransformerNet` with the weights of ``model`` (name or path), in eval mode;
    width and depth come from the file's metadata."""
    return FAST_MODELS.load(model)  # type: ignore[return-value]


@dataclass(frozen=True)
class FastConfig(MethodConfig):
    """Parameters of the fast method."""

    model: str = param(
        "starry_night", "Style model: a shipped name (see `stylekit list`) or a model path."
    )
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
    """Stylizes with a network trained for one style: a single forward pass."""

    description = "Johnson et al. 2016: a trained network per style (instant, fixed styles)"
    config_class = FastConfig
    needs_style = False
    model_kind = FAST_MODELS

    def __init__(self, config: FastConfig | None = None, **overrides: Any) -> None:
        super().__init__(config, **overrides)
        self._nets: dict[tuple[str, str], TransformerNet] = {}
        self._compiled: dict[tuple[str, str], CompiledModule] = {}

    def network(self, model: str, device: torch.device) -> TransformerNet:
        """The network of ``model`` on ``device``, loaded once per stylizer."""
        key = (model, str(device))
        if key not in self._nets:
            self._nets[key] = load_transformer(model).to(device)
        return self._nets[key]

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
        if style is not None:
            raise ConfigError(
                "the fast method paints the style its model was trained on; choose it with "
                "model=NAME (or use the gatys method for an arbitrary style image)"
            )
        device = resolve_device(cfg.device)
        net = self.network(cfg.model, device)
        whole = self.compiled_network(cfg.model, device) if cfg.compile else None
        image = load_image(content, what="content image")
        if cfg.size is not None:
            image = resize_long_side(image, cfg.size, min_side=DEFAULT_MIN_SIDE,
                                     what="content image")
        x = to_tensor(image, device)
        with torch.inference_mode():
            y = stylize_tensor(net, x, cfg.max_tile_pixels, cfg.tile_overlap, whole).clamp(0, 1)
            y = color.finish(y, x, cfg.preserve_color, cfg.strength)
        yield Progress(step=1, total_steps=1, image=to_pil(y), elapsed=time.perf_counter() - start,
                       scale=max(image.size), eta=0.0, done=True)


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
