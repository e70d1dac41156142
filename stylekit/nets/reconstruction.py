"""Reconstruction decoders: networks that invert the frozen VGG-19 encoder at one layer.

Li et al., "Universal Style Transfer via Feature Transforms" (NeurIPS 2017), section 3.1: for
each of ``relu1_1`` .. ``relu5_1`` a decoder mirrors VGG-19 up to that layer (nearest
upsampling where the encoder pools, reflection padding) and is trained only to give the image
back from its features (pixel loss + feature loss). No style image is needed to train it: the
style lives entirely in the feature transform applied between encoder and decoder (WCT, AdaIN).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from ..models import ModelKind
from ..vgg import LAYER_CHANNELS

#: The layers a reconstruction decoder can start from, shallow to deep.
LEVELS = ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1")
#: Convolutions per VGG-19 block (blocks 1..5).
_BLOCK_DEPTHS = (2, 2, 4, 4, 4)
#: The architecture tag model files of this family carry in their metadata.
ARCHITECTURE = "vgg-inverse"


def paper_widths(layer: str) -> tuple[int, ...]:
    """The widths of Li et al.'s decoder for ``layer``: VGG-19's own, from the block below
    ``layer`` down to block 1 (``relu1_1``: none, a single convolution to RGB).

    Args:
        layer: one of :data:`LEVELS`.

    Returns:
        One width per upsampling stage, deepest first.

    Example:
        >>> paper_widths("relu3_1")
        (128, 64)
        >>> paper_widths("relu1_1")
        ()
    """
    level = _level(layer)
    return tuple(LAYER_CHANNELS[f"relu{block}_1"] for block in range(level - 1, 0, -1))


def _level(layer: str) -> int:
    if layer not in LEVELS:
        raise ValueError(f"no reconstruction decoder for layer {layer!r}; choose one of "
                         f"{', '.join(LEVELS)}")
    return LEVELS.index(layer) + 1


@dataclass(frozen=True)
class ReconstructionSpec:
    """What builds a :class:`ReconstructionDecoder`: the layer it inverts and its widths.

    Args:
        layer: one of :data:`LEVELS`.
        widths: one per upsampling stage, deepest first (``paper_widths(layer)`` is the
            paper's); a wrong count raises ``ValueError``.

    Example:
        >>> spec = ReconstructionSpec("relu2_1", (32,))
        >>> ReconstructionSpec.from_metadata(spec.to_metadata()) == spec
        True
    """

    layer: str
    widths: tuple[int, ...]

    def __post_init__(self) -> None:
        expected = _level(self.layer) - 1
        if len(self.widths) != expected or any(w < 1 for w in self.widths):
            raise ValueError(f"a {self.layer} decoder has {expected} positive widths (one per "
                             f"upsampling stage), got {self.widths}")

    def to_metadata(self) -> dict[str, str]:
        """The safetensors metadata that rebuilds this network (see :meth:`from_metadata`).

        >>> ReconstructionSpec("relu3_1", (128, 64)).to_metadata()
        {'architecture': 'vgg-inverse', 'layer': 'relu3_1', 'widths': '128,64'}
        """
        return {"architecture": ARCHITECTURE, "layer": self.layer,
                "widths": ",".join(str(w) for w in self.widths)}

    @classmethod
    def from_metadata(cls, meta: dict[str, str]) -> ReconstructionSpec:
        """The spec recorded by :meth:`to_metadata` (extra keys are ignored)."""
        if meta.get("architecture") != ARCHITECTURE:
            raise ValueError(f"architecture {meta.get('architecture')!r} is not {ARCHITECTURE!r}")
        widths = tuple(int(w) for w in meta.get("widths", "").split(",") if w)
        return cls(meta["layer"], widths)


def _conv(c_in: int, c_out: int, relu: bool = True, norm: bool = False) -> list[nn.Module]:
    layers: list[nn.Module] = [nn.ReflectionPad2d(1), nn.Conv2d(c_in, c_out, 3)]
    if norm:
        layers.append(nn.BatchNorm2d(c_out))
    return [*layers, nn.ReLU(inplace=True)] if relu else layers


class ReconstructionDecoder(nn.Module):
    """The mirror of VGG-19 up to ``layer``: features ``(B, C, H/s, W/s)`` -> RGB ``(B, 3, H, W)``.

    For each block below ``layer`` (deepest first): a convolution to that stage's width,
    nearest upsampling by 2, then as many more convolutions as VGG-19's block has minus one;
    finally a convolution to RGB. All 3x3 with reflection padding, ReLU after each but the
    last. The input is divided by ``input_scale`` (the channels' mean activations, set by
    training) so the first convolution sees features of about unit size.

    Args:
        layer: ``relu1_1`` .. ``relu5_1``; ``s`` is 1, 2, 4, 8, 16 for them.
        widths: one width per stage, deepest first (default: :func:`paper_widths`).

    Returns (forward): RGB in about [0, 1] (not clamped).

    ``batch_norm=True`` adds batch normalisation after each hidden convolution, for training
    only: it makes the optimisation far better conditioned, and :meth:`fused` folds it into
    the convolutions afterwards, so files always hold the plain architecture.

    Example:
        >>> decoder = ReconstructionDecoder("relu2_1", widths=(16,))
        >>> decoder(torch.rand(1, 128, 8, 8)).shape
        torch.Size([1, 3, 16, 16])
    """

    input_scale: torch.Tensor

    def __init__(self, layer: str = "relu3_1", widths: tuple[int, ...] | None = None,
                 batch_norm: bool = False) -> None:
        super().__init__()
        self.spec = ReconstructionSpec(layer, tuple(widths) if widths is not None
                                       else paper_widths(layer))
        level = _level(layer)
        channels = LAYER_CHANNELS[layer]
        layers: list[nn.Module] = []
        for width, block in zip(self.spec.widths, range(level - 1, 0, -1), strict=True):
            layers += [*_conv(channels, width, norm=batch_norm),
                       nn.Upsample(scale_factor=2.0, mode="nearest")]
            for _ in range(_BLOCK_DEPTHS[block - 1] - 1):
                layers += _conv(width, width, norm=batch_norm)
            channels = width
        layers += _conv(channels, 3, relu=False)
        self.body = nn.Sequential(*layers)
        self.register_buffer("input_scale", torch.ones(1, LAYER_CHANNELS[layer], 1, 1))

    @property
    def layer(self) -> str:
        """The VGG-19 layer whose features this decoder inverts."""
        return self.spec.layer

    @property
    def stride(self) -> int:
        """How many pixels of the image one feature stands for, along each side."""
        return 2 ** (_level(self.layer) - 1)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        """RGB ``(B, 3, H, W)`` from features ``(B, C, H / stride, W / stride)`` of
        :attr:`layer`."""
        return self.body(features / self.input_scale)

    @torch.no_grad()
    def fused(self) -> ReconstructionDecoder:
        """The same function (with batch norm in eval mode) as a plain decoder: each batch
        norm folded into the convolution before it."""
        plain = ReconstructionDecoder(self.layer, self.spec.widths).to(self.input_scale.device)
        plain.input_scale.copy_(self.input_scale)
        convs = [m for m in self.body if isinstance(m, nn.Conv2d)]
        modules = list(self.body)
        norms = {id(modules[i - 1]): m for i, m in enumerate(modules)
                 if isinstance(m, nn.BatchNorm2d)}  # keyed by the convolution before each
        targets = [m for m in plain.body if isinstance(m, nn.Conv2d)]
        for conv, target in zip(convs, targets, strict=True):
            weight, bias = conv.weight, conv.bias
            assert bias is not None
            norm = norms.get(id(conv))
            if norm is not None:
                assert norm.running_var is not None and norm.running_mean is not None
                factor = norm.weight / (norm.running_var + norm.eps).sqrt()
                weight = weight * factor.view(-1, 1, 1, 1)
                bias = (bias - norm.running_mean) * factor + norm.bias
            target.weight.copy_(weight)
            target.bias.copy_(bias)  # type: ignore[union-attr]
        return plain

    @classmethod
    def from_metadata(cls, meta: dict[str, Any]) -> ReconstructionDecoder:
        """An untrained decoder of the architecture a model file's metadata records."""
        spec = ReconstructionSpec.from_metadata(meta)
        return cls(spec.layer, spec.widths)


#: Shipped decoders (``weights/decoders/<layer>/model.safetensors``) and the sha256 of each.
SHIPPED_DECODERS: dict[str, str | None] = {
    "relu1_1": "263f0acf1a38152bbc32c31dcc41119dfa8b5ba5eddb8505dc880b1b5c882aff",
    "relu2_1": "4ff5796618836a666c84ed48d0742090ac5b318cc2216a46e688e6324b50ea1a",
    "relu3_1": "0e199f791ff7ae0447873c565e5d823b4127c33f59964a414feec9f5abe8436f",
    "relu4_1": "c554be2b5ca95881bf555bda86d4f56780067bf9306f8b5f9ef129b43a0a4732",
}

#: The model files of this family: a shipped layer name or a ``model.safetensors`` path.
RECONSTRUCTION_DECODERS = ModelKind(prefix="decoders", architecture=ARCHITECTURE,
                                    what="reconstruction decoder", trainer="decoder",
                                    build=ReconstructionDecoder.from_metadata)
RECONSTRUCTION_DECODERS.register_shipped(SHIPPED_DECODERS)
