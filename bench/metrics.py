"""The quality metric of the benchmarks: relative Gram and feature distances on VGG-19.

- style distance = mean over relu1_1..relu5_1 of ||G(out) - G(painting)||^2 / ||G(painting)||^2,
  with G = F F^T / HW per layer, the painting resized to the output's long side;
- content distance = ||F(out) - F(photo)||^2 / ||F(photo)||^2 at relu4_2.

Both on the original (Caffe) VGG-19, both relative, so they mean the same for every painting
and photo: 0 is a perfect match; the photo itself scores content 0 and some style distance
(what "no style at all" costs). ``bench/quality.py`` and ``bench/decoders.py`` use them.
"""

from __future__ import annotations

import hashlib

import torch
from PIL import Image

from stylekit.images import resize_long_side, to_tensor
from stylekit.vgg import VGG19Features

STYLE_LAYERS = ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1")
CONTENT_LAYER = "relu4_2"


def gram(features: torch.Tensor) -> torch.Tensor:
    """``F F^T / HW`` of ``(1, C, H, W)`` features, in float64: ``(C, C)``."""
    _, c, h, w = features.shape
    flat = features.reshape(c, h * w).double()
    return flat @ flat.T / (h * w)


def relative_distance(value: torch.Tensor, target: torch.Tensor) -> float:
    """``||value - target||^2 / ||target||^2``."""
    return float((value.double() - target.double()).square().sum()
                 / target.double().square().sum())


class Metric:
    """Scores pictures against a photo (content) and a painting (style)."""

    def __init__(self, device: str = "cpu") -> None:
        self.vgg = VGG19Features((*STYLE_LAYERS, CONTENT_LAYER)).to(device)
        self.device = device
        self._paintings: dict[tuple[int, int], dict[str, torch.Tensor]] = {}

    @torch.no_grad()
    def features(self, image: Image.Image) -> dict[str, torch.Tensor]:
        return self.vgg.encode(to_tensor(image, self.device))

    @torch.no_grad()
    def painting_grams(self, painting: Image.Image, long_side: int) -> dict[str, torch.Tensor]:
        """Gram matrices of the painting resized to ``long_side`` (cached by content: an
        ``id()`` key was reused by the next painting once the last one was freed, which
        scored a whole painting of bench/quality.py against the one before)."""
        key = (hashlib.sha256(painting.tobytes()).hexdigest(), painting.size, long_side)
        if key not in self._paintings:
            features = self.features(resize_long_side(painting, long_side))
            self._paintings[key] = {layer: gram(features[layer]) for layer in STYLE_LAYERS}
        return self._paintings[key]

    @torch.no_grad()
    def score(self, output: Image.Image, photo: Image.Image, painting: Image.Image
              ) -> tuple[float, float]:
        """``(content distance, style distance)`` of ``output`` (resized to the photo)."""
        if output.size != photo.size:
            output = output.resize(photo.size, Image.Resampling.LANCZOS)
        out = self.features(output)
        content = relative_distance(out[CONTENT_LAYER],
                                    self.features(photo)[CONTENT_LAYER])
        targets = self.painting_grams(painting, max(photo.size))
        style = sum(relative_distance(gram(out[layer]), targets[layer])
                    for layer in STYLE_LAYERS) / len(STYLE_LAYERS)
        return content, style


def parse_overrides(items: list[str]) -> dict[str, dict[str, str]]:
    """``--set METHOD.PARAM=VALUE`` arguments as ``{method: {param: value}}`` (the config
    parses the values).

    >>> parse_overrides(["wct.alpha=0.5", "wct.levels=relu4_1", "adain.size=256"])
    {'wct': {'alpha': '0.5', 'levels': 'relu4_1'}, 'adain': {'size': '256'}}
    """
    overrides: dict[str, dict[str, str]] = {}
    for item in items:
        key, _, value = item.partition("=")
        method, _, name = key.partition(".")
        overrides.setdefault(method, {})[name] = value
    return overrides
