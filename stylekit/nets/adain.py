"""Adaptive instance normalisation and the AdaIN decoder.

Huang & Belongie, "Arbitrary Style Transfer in Real-time with Adaptive Instance Normalization"
(ICCV 2017). VGG-19 up to ``relu4_1`` encodes content and style; AdaIN gives the content
features the channel-wise mean and standard deviation of the style features; a decoder that
mirrors the encoder (nearest upsampling + convolution, reflection padding) turns the result
back into an image.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ..models import ModelKind

ENCODER_LAYER = "relu4_1"
EPS = 1e-5


def mean_std(features: torch.Tensor, eps: float = EPS) -> tuple[torch.Tensor, torch.Tensor]:
    """Channel-wise mean and standard deviation over the pixels.

    Args:
        features: ``(B, C, H, W)``.
        eps: added to the (biased) variance before the square root, so the std is never 0.

    Returns:
        ``mean`` and ``std``, each ``(B, C, 1, 1)``.

    Example:
        >>> mean, std = mean_std(torch.tensor([[[[1.0, 3.0]]]]), eps=0.0)
        >>> mean.item(), std.item()
        (2.0, 1.0)
    """
    var, mean = torch.var_mean(features, dim=(2, 3), keepdim=True, unbiased=False)
    return mean, (var + eps).sqrt()


def adain_from_stats(
    content: torch.Tensor, style_mean: torch.Tensor, style_std: torch.Tensor,
    content_stats: tuple[torch.Tensor, torch.Tensor] | None = None,
) -> torch.Tensor:
    """``style_std * (content - mean(content)) / std(content) + style_mean``.

    Args:
        content: ``(B, C, H, W)`` features.
        style_mean, style_std: ``(B or 1, C, 1, 1)``, as :func:`mean_std` gives them.
        content_stats: ``(mean, std)`` used instead of those of ``content`` itself (for tiles
            of a large image, which must all use the statistics of the whole image).

    Returns:
        ``(B, C, H, W)`` with channel means ``style_mean`` and stds ``style_std``.

    Example:
        >>> content = torch.tensor([[[[0.0, 4.0]]]])  # mean 2, std 2
        >>> stats = (torch.tensor(2.0), torch.tensor(2.0))
        >>> adain_from_stats(content, torch.tensor(10.0), torch.tensor(3.0), stats).tolist()
        [[[[7.0, 13.0]]]]
    """
    c_mean, c_std = content_stats if content_stats is not None else mean_std(content)
    return (content - c_mean) / c_std * style_std + style_mean


def adain(content: torch.Tensor, style: torch.Tensor) -> torch.Tensor:
    """Adaptive instance normalisation (Huang & Belongie 2017, eq. 8).

    ``AdaIN(x, y) = std(y) * (x - mean(x)) / std(x) + mean(y)``, per channel: the content's
    features take the style's channel-wise mean and spread.

    Args:
        content: ``(B, C, H, W)`` features of the photo.
        style: ``(B or 1, C, H', W')`` features of the painting (any size).

    Returns:
        ``(B, C, H, W)``.

    Example:
        The style channel ``[9, 11]`` has mean 10 and std 1; the content ``[0, 4]`` (mean 2,
        std 2) is moved onto them:

        >>> adain(torch.tensor([[[[0.0, 4.0]]]]), torch.tensor([[[[9.0, 11.0]]]]))
        tensor([[[[ 9.0000, 11.0000]]]])
    """
    return adain_from_stats(content, *mean_std(style))


#: The tag in the metadata of this network's files.
ARCHITECTURE = "adain-decoder"


@dataclass(frozen=True)
class DecoderSpec:
    """Architecture of a :class:`Decoder`: the widths of its three stages.

    Args:
        widths: deepest first; the paper's are 256, 128, 64.

    Example:
        >>> spec = DecoderSpec((128, 64, 32))
        >>> DecoderSpec.from_metadata(spec.to_metadata()) == spec
        True
    """

    widths: tuple[int, int, int] = (256, 128, 64)

    def to_metadata(self) -> dict[str, str]:
        """The safetensors metadata that rebuilds this network (see :meth:`from_metadata`).

        >>> DecoderSpec((128, 64, 32)).to_metadata()
        {'architecture': 'adain-decoder', 'widths': '128,64,32'}
        """
        return {"architecture": ARCHITECTURE, "widths": ",".join(str(w) for w in self.widths)}

    @classmethod
    def from_metadata(cls, meta: dict[str, str]) -> DecoderSpec:
        """The spec recorded by :meth:`to_metadata` (extra keys are ignored)."""
        if meta.get("architecture") != ARCHITECTURE:
            raise ValueError(f"architecture {meta.get('architecture')!r} is not {ARCHITECTURE!r}")
        widths = tuple(int(w) for w in meta["widths"].split(","))
        if len(widths) != 3:
            raise ValueError(f"an AdaIN decoder has 3 widths, got {meta['widths']!r}")
        return cls(widths)


def _conv_relu(c_in: int, c_out: int) -> list[nn.Module]:
    return [nn.ReflectionPad2d(1), nn.Conv2d(c_in, c_out, 3), nn.ReLU(inplace=True)]


class Decoder(nn.Module):
    """Mirror of VGG-19 up to ``relu4_1``: ``(B, 512, H/8, W/8)`` -> RGB ``(B, 3, H, W)``.

    The output is RGB in [0, 1] (not clamped). With widths ``(a, b, c)``:
    conv 512->a, up, 3 x conv a->a, conv a->b, up, conv b->b, conv b->c, up, conv c->c,
    conv c->3; all 3x3 with reflection padding, ReLU after each but the last (Huang &
    Belongie 2017, section 6). The input is divided by ``input_scale`` first.

    Args:
        widths: see :class:`DecoderSpec`.

    Returns (forward):
        RGB ``(B, 3, 8h, 8w)`` for features ``(B, 512, h, w)``.

    Example:
        >>> Decoder((8, 8, 8))(torch.rand(1, 512, 4, 5)).shape
        torch.Size([1, 3, 32, 40])
    """

    input_scale: torch.Tensor

    @classmethod
    def from_metadata(cls, meta: dict[str, str]) -> Decoder:
        """An untrained decoder of the architecture a file's metadata records."""
        return cls(DecoderSpec.from_metadata(meta).widths)

    def __init__(self, widths: tuple[int, int, int] = (256, 128, 64)) -> None:
        super().__init__()
        a, b, c = widths
        self.spec = DecoderSpec(tuple(widths))  # type: ignore[arg-type]
        up = nn.Upsample(scale_factor=2.0, mode="nearest")
        layers: list[nn.Module] = [*_conv_relu(512, a), up]
        for _ in range(3):
            layers += _conv_relu(a, a)
        layers += [*_conv_relu(a, b), up, *_conv_relu(b, b), *_conv_relu(b, c), up,
                   *_conv_relu(c, c), nn.ReflectionPad2d(1), nn.Conv2d(c, 3, 3)]
        self.body = nn.Sequential(*layers)
        # Channel-wise divisor of the input features. Training sets it to the channels' mean
        # activations, so the decoder sees features of about unit size whatever the encoder's
        # weights (raw Caffe relu4_1 activations average ~340; the paper's normalised VGG ~1).
        self.register_buffer("input_scale", torch.ones(1, 512, 1, 1))

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        """RGB ``(B, 3, 8h, 8w)`` from ``relu4_1`` features ``(B, 512, h, w)``."""
        return self.body(features / self.input_scale)

    def _load_from_state_dict(self, state_dict: dict[str, Any], prefix: str,
                              *args: Any, **kwargs: Any) -> None:
        # Files written before ``input_scale`` existed decode raw features: a scale of one.
        state_dict.setdefault(prefix + "input_scale", torch.ones_like(self.input_scale))
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)


def pad_to_multiple(image: torch.Tensor, multiple: int = 8) -> torch.Tensor:
    """Pad an image on the bottom and right so both sides are multiples of ``multiple``
    (the encoder halves the size three times); crop the decoder's output back.

    Args:
        image: ``(B, C, H, W)``.
        multiple: what ``H`` and ``W`` are rounded up to.

    Returns:
        ``(B, C, H', W')``, reflected (replicated where the pad exceeds the side), or
        ``image`` itself when it fits already.

    Example:
        >>> pad_to_multiple(torch.rand(1, 3, 10, 17)).shape
        torch.Size([1, 3, 16, 24])
    """
    h, w = image.shape[-2:]
    pad_h, pad_w = (-h) % multiple, (-w) % multiple
    if not (pad_h or pad_w):
        return image
    mode = "reflect" if pad_h < h and pad_w < w else "replicate"
    return F.pad(image, (0, pad_w, 0, pad_h), mode=mode)


#: Shipped decoders (weights/adain/<name>/model.safetensors) and the sha256 of each file.
SHIPPED_DECODERS: dict[str, str | None] = {
    "trained": "32aad9b6524805dfd8897b11c6e46e3afb2d650c11e7dcc7a00a33ca9e45d9e0",
}

#: The model files of this network: a shipped name or a ``model.safetensors`` path. The
#: ``adain`` method adds its virtual ``default`` (the reconstruction decoders).
DECODERS = ModelKind(prefix="adain", architecture=ARCHITECTURE, what="AdaIN decoder",
                     build=Decoder.from_metadata)
DECODERS.register_shipped(SHIPPED_DECODERS)
