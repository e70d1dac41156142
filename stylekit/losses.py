"""The losses of neural style transfer, as small functions, and the perceptual loss built on them.

Conventions (those of Gatys et al. 2016 as implemented by jcjohnson/neural-style, so weights
carry over): the content loss is the mean squared error between feature maps; the Gram matrix
is normalised by the number of elements ``C * H * W`` of the feature map; the style loss of a
layer is the mean squared error between Gram matrices; total variation is the mean absolute
(L1, the default) or squared (L2) difference between neighbouring pixels.

The functions come with a module for the whole objective, :class:`PerceptualLoss` (and
:class:`TotalVariation` for the regulariser alone), as kornia pairs its functions and modules.
"""

from __future__ import annotations

import hashlib
import logging
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from .errors import ConfigError
from .vgg import VGG19Features

log = logging.getLogger(__name__)


def content_loss(features: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """The content loss of Gatys et al. (2016): mean squared error between feature maps.

    Args:
        features: ``(B, C, H, W)`` features of the image being optimised.
        target: the content image's features, the same shape.

    Returns:
        A scalar, ``mean((features - target) ** 2)``.

    Example:
        >>> content_loss(torch.zeros(1, 1, 2, 2), torch.full((1, 1, 2, 2), 2.0))
        tensor(4.)
    """
    return F.mse_loss(features, target)


class _Gram(torch.autograd.Function):
    """``F Fᵀ / n`` with a one-product backward.

    Autograd would differentiate ``bmm(F, Fᵀ)`` with two matrix products; since the result is
    symmetric, ``dF = (dG + dGᵀ) F / n`` needs one. That saves a third of the Gram cost, a few
    percent of each Gatys step.
    """

    @staticmethod
    def forward(ctx: Any, flat: torch.Tensor, n: int) -> torch.Tensor:
        ctx.save_for_backward(flat)
        ctx.n = n
        return torch.bmm(flat, flat.transpose(1, 2)) / n

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> tuple[torch.Tensor, None]:
        (flat,) = ctx.saved_tensors
        return torch.bmm(grad + grad.transpose(1, 2), flat) / ctx.n, None


def gram_matrix(features: torch.Tensor) -> torch.Tensor:
    """Channel correlations of feature maps, the style representation of Gatys et al. (2016).

    ``G[b, i, j] = sum_{h, w} F[b, i, h, w] * F[b, j, h, w] / (C * H * W)``. The normalisation
    makes the value independent of the image size, so one style weight fits every size. The
    backward pass takes one matrix product instead of autograd's two.

    Args:
        features: ``(B, C, H, W)``.

    Returns:
        ``(B, C, C)``, symmetric and positive semi-definite.

    Example:
        Two channels over two pixels, ``[1, 2]`` and ``[3, 4]``; ``C * H * W = 4``:

        >>> gram_matrix(torch.tensor([[[[1.0, 2.0]], [[3.0, 4.0]]]])).tolist()
        [[[1.25, 2.75], [2.75, 6.25]]]
    """
    b, c, h, w = features.shape
    flat = features.reshape(b, c, h * w)
    return _Gram.apply(flat, c * h * w)


def layer_style_loss(features: torch.Tensor, target_gram: torch.Tensor) -> torch.Tensor:
    """The style loss of one layer: mean squared error between Gram matrices.

    Args:
        features: ``(B, C, H, W)`` features of the image being optimised.
        target_gram: ``(1, C, C)`` or ``(B, C, C)``, the style's :func:`gram_matrix`.

    Returns:
        A scalar.

    Example:
        The Gram matrix above, ``[[1.25, 2.75], [2.75, 6.25]]``, against zeros:
        ``(1.25² + 2 * 2.75² + 6.25²) / 4``.

        >>> layer_style_loss(torch.tensor([[[[1.0, 2.0]], [[3.0, 4.0]]]]), torch.zeros(1, 2, 2))
        tensor(13.9375)
    """
    gram = gram_matrix(features)
    return F.mse_loss(gram, target_gram.expand_as(gram))


def style_loss(
    features: Mapping[str, torch.Tensor],
    target_grams: Mapping[str, torch.Tensor],
    layer_weights: Mapping[str, float] | None = None,
) -> torch.Tensor:
    """The style loss of Gatys et al. (2016): a weighted sum of :func:`layer_style_loss`.

    Args:
        features: ``{layer: (B, C, H, W)}``, at least every layer of ``target_grams``.
        target_grams: ``{layer: (1 or B, C, C)}``, the style's Gram matrices.
        layer_weights: ``{layer: weight}``; a layer not listed (or ``None``) weighs 1.

    Returns:
        A scalar.

    Example:
        A one-channel layer of ones has Gram matrix ``[[1]]``, one of twos on a single pixel
        ``[[4]]``; against zeros their losses are 1 and 16, weighted 0.5 and 1:

        >>> features = {"relu1_1": torch.ones(1, 1, 2, 2), "relu2_1": torch.full((1, 1, 1, 1), 2.0)}
        >>> zeros = {"relu1_1": torch.zeros(1, 1, 1), "relu2_1": torch.zeros(1, 1, 1)}
        >>> style_loss(features, zeros, {"relu1_1": 0.5})
        tensor(16.5000)
    """
    terms = [
        (1.0 if layer_weights is None else layer_weights.get(layer, 1.0))
        * layer_style_loss(features[layer], target)
        for layer, target in target_grams.items()
    ]
    return torch.stack(terms).sum()


def total_variation(image: torch.Tensor, power: int = 1) -> torch.Tensor:
    """Total variation: mean ``|difference| ** power`` between vertical plus horizontal
    neighbours, the smoothness term of Gatys et al. and Johnson et al.

    Args:
        image: ``(B, C, H, W)``.
        power: 1 for the L1 form (edges stay sharp), 2 for the squared form of Mahendran &
            Vedaldi, "Understanding Deep Image Representations by Inverting Them" (CVPR 2015).

    Returns:
        A scalar, ``mean(|dy| ** power) + mean(|dx| ** power)``; 0 for a flat image.

    Example:
        Columns of 0 and 2: no vertical change, every horizontal step is 2.

        >>> image = torch.tensor([[[[0.0, 2.0], [0.0, 2.0]]]])
        >>> total_variation(image), total_variation(image, power=2)
        (tensor(2.), tensor(4.))
    """
    if power not in (1, 2):
        raise ConfigError(f"total variation power must be 1 or 2, got {power}")
    dy = image[:, :, 1:, :] - image[:, :, :-1, :]
    dx = image[:, :, :, 1:] - image[:, :, :, :-1]
    if power == 1:
        return dy.abs().mean() + dx.abs().mean()
    return dy.square().mean() + dx.square().mean()


class TotalVariation(nn.Module):
    """Module form of :func:`total_variation`.

    Args:
        power: 1 (L1) or 2 (squared).

    Returns (forward):
        A scalar for an image ``(B, C, H, W)``.

    Example:
        >>> TotalVariation(power=2)(torch.tensor([[[[0.0, 2.0], [0.0, 2.0]]]]))
        tensor(4.)
    """

    def __init__(self, power: int = 1) -> None:
        super().__init__()
        self.power = power

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        return total_variation(image, self.power)


def _normalised(weights: Sequence[float] | None, count: int, what: str) -> list[float]:
    if weights is None:
        return [1.0 / count] * count
    if len(weights) != count:
        raise ConfigError(f"{what}: got {len(weights)} weights for {count} style images")
    if any(w < 0 for w in weights) or sum(weights) <= 0:
        raise ConfigError(f"{what} must be non-negative and not all zero, got {list(weights)}")
    total = float(sum(weights))
    return [w / total for w in weights]


def active_layers(layers: Mapping[str, float], term_weight: float) -> dict[str, float]:
    """The layers of a loss term that count: those of non-zero weight, none if the term's
    own weight is zero.

    Args:
        layers: ``{layer: weight}`` of the term.
        term_weight: the term's weight (alpha or beta).

    Returns:
        ``{layer: weight}`` of the layers the VGG pass has to compute for this term.

    Example:
        >>> active_layers({"relu1_1": 1.0, "relu5_1": 0.0}, 100.0)
        {'relu1_1': 1.0}
        >>> active_layers({"relu4_2": 1.0}, 0.0)
        {}
    """
    if not term_weight:
        return {}
    return {layer: w for layer, w in layers.items() if w}


def tensor_digest(tensor: torch.Tensor) -> str:
    """A hash of a tensor's values, shape and type: equal digests mean the same pixels.

    Args:
        tensor: any tensor (copied to the CPU to be hashed).

    Returns:
        A hexadecimal string.

    Example:
        >>> tensor_digest(torch.zeros(2, 3)) == tensor_digest(torch.zeros(2, 3))
        True
        >>> tensor_digest(torch.zeros(2, 3)) == tensor_digest(torch.zeros(3, 2))
        False
    """
    data = tensor.detach().cpu().contiguous()
    digest = hashlib.blake2b(digest_size=16)
    digest.update(f"{tuple(data.shape)}{data.dtype}".encode())
    digest.update(data.numpy().tobytes())
    return digest.hexdigest()


class GramCache:
    """The style targets of paintings already seen: a bounded store of Gram matrices, so a
    painting is encoded once per size and layer set and reused across runs and video frames.

    The key is what the matrices depend on: the exact pixels given to VGG (a hash of the
    tensor, so a resized or recoloured painting is another entry), the layers, and the
    network (weights, their file, pooling, device); a randomly initialised network is known
    by its identity. The least recently used entry goes first.

    Args:
        capacity: entries kept (one painting at one size and layer set each; the five
            Gatys layers take about 2.4 MB).

    Returns (lookup):
        :meth:`grams` returns ``{layer: (B, C, C)}``.

    Example:
        >>> vgg = VGG19Features(["relu1_1"], weights=None)
        >>> cache = GramCache(capacity=2)
        >>> painting = torch.rand(1, 3, 32, 32)
        >>> first = cache.grams(vgg, ["relu1_1"], painting)
        >>> again = cache.grams(vgg, ["relu1_1"], painting.clone())  # same pixels: no VGG run
        >>> again["relu1_1"] is first["relu1_1"], cache.hits, cache.misses
        (True, 1, 1)
    """

    def __init__(self, capacity: int = 16) -> None:
        if capacity < 1:
            raise ConfigError(f"a Gram cache holds at least one entry, got capacity {capacity}")
        self.capacity = capacity
        self.hits = 0
        self.misses = 0
        self._entries: OrderedDict[tuple[Any, ...], dict[str, torch.Tensor]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    @torch.no_grad()
    def grams(self, vgg: VGG19Features, layers: Iterable[str],
              rgb: torch.Tensor) -> dict[str, torch.Tensor]:
        """Gram matrices of ``rgb`` ``(B, 3, H, W)`` in [0, 1] at ``layers``: from the cache,
        or computed with ``vgg`` and kept."""
        layers = tuple(layers)
        network = (vgg.weights_name, vgg.weights_path, vgg.pooling,
                   str(rgb.device)) if vgg.weights_name is not None else (id(vgg),)
        key = (*network, tuple(sorted(layers)), tensor_digest(rgb))
        found = self._entries.get(key)
        if found is not None:
            self.hits += 1
            self._entries.move_to_end(key)
            log.debug("style Gram matrices from the cache (%dx%d)", rgb.shape[-1], rgb.shape[-2])
            return {layer: found[layer] for layer in layers}
        self.misses += 1
        features = vgg.encode(rgb, layers)
        grams = {layer: gram_matrix(features[layer]) for layer in layers}
        self._entries[key] = grams
        while len(self._entries) > self.capacity:
            self._entries.popitem(last=False)
        return dict(grams)


class PerceptualLoss(nn.Module):
    """``alpha * content + beta * style + gamma * TV`` on VGG-19 features.

    The objective of Gatys, Ecker & Bethge, "Image Style Transfer Using Convolutional Neural
    Networks" (CVPR 2016), also the training loss of Johnson et al.'s feed-forward networks
    (their "perceptual loss", ECCV 2016). Set the targets with :meth:`set_content` and
    :meth:`set_style`, then call the module on images.

    Args:
        vgg: the encoder; it must output every content and style layer.
        content_layers: ``{layer: weight}`` of the content loss.
        style_layers: ``{layer: weight}`` of the style loss.
        content_weight, style_weight, tv_weight: alpha, beta and gamma.
        tv_power: 1 or 2, see :func:`total_variation`.
        gram_cache: where the style images' Gram matrices are kept between calls (default:
            computed on every :meth:`set_style`).

    Layers of zero weight, and every layer of a term of zero weight, are not computed: the
    VGG pass stops at the deepest layer that counts (see :func:`active_layers`).

    Returns (forward):
        For RGB ``(B, 3, H, W)`` in [0, 1]: the weighted scalar terms ``content``, ``style``,
        ``tv`` and their sum ``total``.

    Example:
        >>> vgg = VGG19Features(["relu1_1", "relu2_1"], weights=None)  # random: fast
        >>> loss = PerceptualLoss(vgg, {"relu2_1": 1.0}, {"relu1_1": 1.0, "relu2_1": 1.0},
        ...                       style_weight=10.0)
        >>> photo, painting = torch.rand(1, 3, 32, 32), torch.rand(1, 3, 32, 32)
        >>> loss.set_content(photo)
        >>> loss.set_style([painting])
        >>> terms = loss(photo)  # the photo itself: no content loss, some style loss
        >>> sorted(terms), terms["content"].item(), terms["style"].item() > 0
        (['content', 'style', 'total', 'tv'], 0.0, True)
    """

    def __init__(
        self,
        vgg: VGG19Features,
        content_layers: Mapping[str, float],
        style_layers: Mapping[str, float],
        content_weight: float = 1.0,
        style_weight: float = 1.0,
        tv_weight: float = 0.0,
        tv_power: int = 1,
        gram_cache: GramCache | None = None,
    ) -> None:
        super().__init__()
        missing = set(active_layers(content_layers, content_weight))
        missing |= set(active_layers(style_layers, style_weight))
        missing -= set(vgg.layers)
        if missing:
            raise ConfigError(f"the VGG module does not output layer(s) {sorted(missing)}")
        self.vgg = vgg
        self.content_layers = dict(content_layers)
        self.style_layers = dict(style_layers)
        self.content_weight = content_weight
        self.style_weight = style_weight
        self.tv_weight = tv_weight
        self.tv_power = tv_power
        self.gram_cache = gram_cache
        self.content_targets: dict[str, torch.Tensor] = {}
        self.style_targets: dict[str, torch.Tensor] = {}

    def computed_layers(self) -> tuple[str, ...]:
        """The layers a call computes: those of non-zero weight in terms of non-zero weight."""
        return tuple(dict.fromkeys([*active_layers(self.content_layers, self.content_weight),
                                    *active_layers(self.style_layers, self.style_weight)]))

    @torch.no_grad()
    def set_content(self, rgb: torch.Tensor) -> None:
        """Record the content features of ``rgb`` ``(B, 3, H, W)`` in [0, 1] as targets."""
        layers = active_layers(self.content_layers, self.content_weight)
        if not layers:
            self.content_targets = {}
            return
        features = self.vgg.encode(rgb, layers)  # stops at the deepest of them
        self.content_targets = {k: features[k].detach() for k in layers}

    @torch.no_grad()
    def style_grams(self, rgb: torch.Tensor) -> dict[str, torch.Tensor]:
        """Gram matrices ``(B, C, C)`` of style images ``(B, 3, H, W)`` in [0, 1] at every
        style layer that counts (from the :class:`GramCache` if there is one)."""
        layers = active_layers(self.style_layers, self.style_weight)
        if not layers:
            return {}
        if self.gram_cache is not None:
            return self.gram_cache.grams(self.vgg, layers, rgb)
        features = self.vgg.encode(rgb, layers)
        return {k: gram_matrix(features[k]) for k in layers}

    @torch.no_grad()
    def set_style(
        self, images: Iterable[torch.Tensor], blend: Sequence[float] | None = None
    ) -> None:
        """Record the style targets of one or more style images ``(1, 3, H, W)`` in [0, 1],
        blended with the weights ``blend`` (default: equal; normalised to sum to 1).

        Matching the weighted mean of the Gram matrices has the same gradient as the weighted
        sum of per-image style losses (they differ by a constant), at the cost of one loss.
        """
        grams = [self.style_grams(image) for image in images]
        if not grams:
            raise ConfigError("at least one style image is needed")
        weights = _normalised(blend, len(grams), "style blend weights")
        self.style_targets = {
            layer: torch.stack([w * g[layer] for w, g in zip(weights, grams, strict=True)]).sum(0)
            for layer in grams[0]
        }

    def forward(self, rgb: torch.Tensor) -> dict[str, torch.Tensor]:
        """The weighted loss terms of RGB ``(B, 3, H, W)`` in [0, 1] (see the class)."""
        style_layers = active_layers(self.style_layers, self.style_weight)
        if style_layers and not all(k in self.style_targets for k in style_layers):
            raise RuntimeError("set_style() must be called before computing the loss")
        content_layers = active_layers(self.content_layers, self.content_weight)
        if not self.content_targets:
            content_layers = {}
        layers = [*content_layers, *style_layers]
        features = self.vgg.encode(rgb, layers) if layers else {}
        zero = rgb.new_zeros(())
        content = zero
        if content_layers:
            content = torch.stack([
                w * content_loss(features[k], self.content_targets[k].expand_as(features[k]))
                for k, w in content_layers.items()
            ]).sum()
        style = zero
        if style_layers:
            style = style_loss(features, {k: self.style_targets[k] for k in style_layers},
                               style_layers)
        tv = total_variation(rgb, self.tv_power) if self.tv_weight else zero
        terms = {
            "content": self.content_weight * content,
            "style": self.style_weight * style,
            "tv": self.tv_weight * tv,
        }
        terms["total"] = terms["content"] + terms["style"] + terms["tv"]
        return terms
