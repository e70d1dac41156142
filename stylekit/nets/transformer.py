"""Image transformation network for feed-forward style transfer.

The layout of Johnson, Alahi & Fei-Fei, "Perceptual Losses for Real-Time Style Transfer and
Super-Resolution" (ECCV 2016), with instance normalisation instead of batch normalisation
(Ulyanov, Vedaldi & Lempitsky, "Instance Normalization: The Missing Ingredient for Fast
Stylization", 2016) and nearest-neighbour upsampling followed by a convolution instead of
transposed convolutions (Odena et al., "Deconvolution and Checkerboard Artifacts", 2016):

    9x9 conv (w) -> 3x3 conv stride 2 (2w) -> 3x3 conv stride 2 (4w) -> N residual blocks (4w)
    -> upsample + 3x3 conv (2w) -> upsample + 3x3 conv (w) -> 9x9 conv (3)

All convolutions use reflection padding. Input and output are RGB ``(B, 3, H, W)`` in [0, 1]
(the output is not clamped; the stylizer clamps). Any ``H, W`` works: the input is padded to a
multiple of 4 inside and the output cropped back.

Instance norm statistics can be *frozen* (see :func:`frozen_statistics`): large images are then
stylized in tiles that all share statistics measured on crops spread over the whole picture,
so tiles do not differ in colour or contrast and no seams appear.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

from ..models import ModelKind


@dataclass
class _Frozen:
    """Statistics of every :class:`InstanceNorm` for one tiled run: ``(mean, var)`` by module."""

    stats: dict[int, tuple[torch.Tensor, torch.Tensor]] = field(default_factory=dict)
    recording: bool = True


#: The frozen statistics of the run in progress, per thread (and per asyncio task): they live
#: here, not on the modules, so one network can serve concurrent tiled runs.
_FROZEN: ContextVar[_Frozen | None] = ContextVar("frozen_instance_norm", default=None)


class InstanceNorm(nn.Module):
    """Instance normalisation with learned scale and shift, and optionally frozen statistics.

    ``(B, C, H, W) -> (B, C, H, W)``; each channel of each image is normalised to zero mean and
    unit variance over its pixels, then scaled and shifted per channel (Ulyanov et al. 2016).
    Within :func:`frozen_statistics` the mean and variance are fixed ones instead.

    Args:
        channels: ``C``; the learned scale starts at 1, the shift at 0.
        eps: added to the variance.

    Example:
        >>> x = torch.tensor([[[[1.0, 3.0], [1.0, 3.0]]]])  # mean 2, variance 1
        >>> InstanceNorm(1, eps=0.0)(x).tolist()
        [[[[-1.0, 1.0], [-1.0, 1.0]]]]
    """

    def __init__(self, channels: int, eps: float = 1e-5) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.ones(channels))
        self.bias = nn.Parameter(torch.zeros(channels))
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if _FROZEN.get() is None:
            return F.instance_norm(x, weight=self.weight, bias=self.bias, eps=self.eps)
        return normalise(self, x, self.eps) * self.weight.view(1, -1, 1, 1) \
            + self.bias.view(1, -1, 1, 1)


def normalise(module: nn.Module, x: torch.Tensor, eps: float = 1e-5) -> torch.Tensor:
    """Each channel of each image at zero mean and unit variance, or, within
    :func:`frozen_statistics`, normalised with the statistics ``module`` recorded there.

    The normalisation of every instance norm layer (:class:`InstanceNorm` and the conditional
    one of :mod:`stylekit.nets.conditional`), without their scale and shift.

    Args:
        module: the norm layer (the key of its frozen statistics).
        x: ``(B, C, H, W)`` features.
        eps: added to the variance.

    Returns:
        ``(B, C, H, W)``.

    Example:
        >>> normalise(nn.Identity(), torch.tensor([[[[1.0, 3.0]]]]), eps=0.0).tolist()
        [[[[-1.0, 1.0]]]]
    """
    frozen = _FROZEN.get()
    if frozen is None:
        return F.instance_norm(x, eps=eps)
    if frozen.recording:  # statistics pooled over the whole batch of reference crops
        var, mean = torch.var_mean(x, dim=(0, 2, 3), keepdim=True, unbiased=False)
        frozen.stats[id(module)] = (mean.detach(), var.detach())
    else:
        mean, var = frozen.stats[id(module)]
    return (x - mean) * torch.rsqrt(var + eps)


def _conv(c_in: int, c_out: int, kernel: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(
        nn.ReflectionPad2d(kernel // 2), nn.Conv2d(c_in, c_out, kernel, stride=stride)
    )


def _conv_norm_relu(c_in: int, c_out: int, kernel: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(_conv(c_in, c_out, kernel, stride), InstanceNorm(c_out), nn.ReLU())


class ResidualBlock(nn.Module):
    """Two 3x3 conv + instance norm layers with an identity shortcut (He et al. 2016).

    Args:
        channels: input and output channels.

    Returns (forward):
        ``x + body(x)``, the same shape as ``x`` ``(B, channels, H, W)``.

    Example:
        >>> ResidualBlock(8)(torch.rand(1, 8, 5, 5)).shape
        torch.Size([1, 8, 5, 5])
    """

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.body = nn.Sequential(
            _conv_norm_relu(channels, channels, 3), _conv(channels, channels, 3),
            InstanceNorm(channels),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class Upsample(nn.Module):
    """Nearest-neighbour 2x upsampling, then conv + norm + ReLU: no checkerboard artefacts
    (Odena et al. 2016).

    Args:
        c_in, c_out: channels in and out.

    Returns (forward):
        ``(B, c_out, 2H, 2W)`` for ``(B, c_in, H, W)``, non-negative.

    Example:
        >>> Upsample(8, 4)(torch.rand(1, 8, 5, 6)).shape
        torch.Size([1, 4, 10, 12])
    """

    def __init__(self, c_in: int, c_out: int) -> None:
        super().__init__()
        self.conv = _conv_norm_relu(c_in, c_out, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(F.interpolate(x, scale_factor=2.0, mode="nearest"))


#: The tag in the metadata of this network's files.
ARCHITECTURE = "johnson-transformer"


@dataclass(frozen=True)
class TransformerSpec:
    """Architecture of a :class:`TransformerNet`.

    Args:
        width: the base width ``w`` (Johnson et al. use 32; 16 is the shipped networks').
        blocks: the number of residual blocks (Johnson et al. use 5).

    Example:
        >>> spec = TransformerSpec(8, 2)
        >>> TransformerSpec.from_metadata(spec.to_metadata()) == spec
        True
    """

    width: int = 16
    blocks: int = 5

    def to_metadata(self) -> dict[str, str]:
        """The safetensors metadata that rebuilds this network (see :meth:`from_metadata`).

        >>> TransformerSpec(32, 5).to_metadata()
        {'architecture': 'johnson-transformer', 'width': '32', 'blocks': '5'}
        """
        return {"architecture": ARCHITECTURE, "width": str(self.width),
                "blocks": str(self.blocks)}

    @classmethod
    def from_metadata(cls, meta: dict[str, str]) -> TransformerSpec:
        """The spec recorded by :meth:`to_metadata` (extra keys are ignored)."""
        if meta.get("architecture") != ARCHITECTURE:
            raise ValueError(f"architecture {meta.get('architecture')!r} is not {ARCHITECTURE!r}")
        return cls(int(meta["width"]), int(meta["blocks"]))


class TransformerNet(nn.Module):
    """Johnson et al.'s image transformation network (see the module docstring).

    Args:
        width: the base width ``w``.
        blocks: the number of residual blocks.

    Returns (forward):
        RGB ``(B, 3, H, W)``, about [0, 1] (not clamped), for RGB ``(B, 3, H, W)`` in [0, 1]
        of any size.

    Example:
        >>> net = TransformerNet(width=4, blocks=1)
        >>> net(torch.rand(1, 3, 30, 45)).shape  # not a multiple of 4: padded inside
        torch.Size([1, 3, 30, 45])
    """

    @classmethod
    def from_metadata(cls, meta: dict[str, str]) -> TransformerNet:
        """An untrained network of the architecture a file's metadata records."""
        spec = TransformerSpec.from_metadata(meta)
        return cls(spec.width, spec.blocks)

    def __init__(self, width: int = 16, blocks: int = 5) -> None:
        super().__init__()
        self.spec = TransformerSpec(width, blocks)
        w = width
        self.encoder = nn.Sequential(
            _conv_norm_relu(3, w, 9), _conv_norm_relu(w, 2 * w, 3, 2),
            _conv_norm_relu(2 * w, 4 * w, 3, 2),
        )
        self.residuals = nn.Sequential(*(ResidualBlock(4 * w) for _ in range(blocks)))
        self.decoder = nn.Sequential(Upsample(4 * w, 2 * w), Upsample(2 * w, w), _conv(w, 3, 9))
        # oneDNN runs the 3-channel 9x9 output convolution ~30% faster channels-last.
        self.decoder[-1].to(memory_format=torch.channels_last)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The stylized image: RGB ``(B, 3, H, W)`` in [0, 1] in, the same shape out."""
        h, w = x.shape[-2:]
        # Written with floor division and no branch on the pad, so torch.compile with dynamic
        # shapes traces it once for every size.
        pad_h, pad_w = -(-h // 4) * 4 - h, -(-w // 4) * 4 - w
        # Reflection padding needs the pad (at most 3) to be smaller than the side.
        mode = "reflect" if min(h, w) > 3 else "replicate"
        x = F.pad(x, (0, pad_w, 0, pad_h), mode=mode)
        features = self.decoder[:-1](self.residuals(self.encoder(x)))
        y = self.decoder[-1](features.contiguous(memory_format=torch.channels_last))
        return y[..., :h, :w].contiguous()


@contextlib.contextmanager
def frozen_statistics(net: Callable[[torch.Tensor], torch.Tensor], reference: torch.Tensor
                      ) -> Iterator[None]:
    """Within the block, every :class:`InstanceNorm` of ``net`` uses the statistics it saw on
    ``reference``: ``(N, 3, h, w)``, crops of one large image whose statistics are pooled over
    all N crops, so they stand for the whole image at its own resolution.

    The statistics belong to the calling thread (a context variable), never to the shared
    modules: other threads running the same network at the same time are unaffected.

    Args:
        net: a network with :class:`InstanceNorm` layers (or a function that runs one, e.g.
            with its style).
        reference: its input for measuring the statistics.

    Returns:
        A context manager; within it ``net`` runs with the statistics of ``reference``.

    Example:
        >>> net = TransformerNet(width=4, blocks=1)
        >>> image = torch.rand(1, 3, 32, 32)
        >>> with frozen_statistics(net, image):
        ...     whole, corner = net(image), net(image[..., :8, :8])
        >>> torch.allclose(whole, net(image), atol=1e-5)  # the image's own statistics
        True
        >>> torch.allclose(corner, net(image[..., :8, :8]), atol=1e-5)  # not the corner's
        False
    """
    frozen = _Frozen()
    token = _FROZEN.set(frozen)
    try:
        with torch.no_grad():
            net(reference)
        frozen.recording = False
        yield
    finally:
        _FROZEN.reset(token)


#: The styles trained for this project (weights/fast/<name>/), with the sha256 of each file.
SHIPPED_MODELS: dict[str, str | None] = {
    "starry_night": "e09e9a53f773b46d3259d52a4c21a5400d7b3d38f439eda5bc84694b4ea86ad8",
    "great_wave": "97fd2c7a68d4e5d385ea99c02f8a204da9846dc4724dc59399b3fc200f19826e",
    "the_scream": "3f6b0189c3a6cce43d96ba3d09dec49962c3a40846cfe382c4e7d550ed64868d",
    "composition_vii": "3b1cdb8d3196c8e68bbdd65622144006210b79f117dda40310d409b830b68630",
}

#: How the shipped per-style networks are named: the plain names are the fast method's built-in
#: styles (:mod:`stylekit.methods.fast`), painted by one network for every painting.
SHIPPED_PREFIX = "johnson:"

#: The model files of this network: a shipped style name or a ``model.safetensors`` path.
FAST_MODELS = ModelKind(prefix="fast", architecture=ARCHITECTURE, what="fast model",
                        build=TransformerNet.from_metadata)
FAST_MODELS.register_shipped(SHIPPED_MODELS, name_prefix=SHIPPED_PREFIX)
