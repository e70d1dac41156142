"""Feature transforms that carry a painting's statistics onto a photo's features.

Both one-pass arbitrary-style methods move the photo's VGG features ``f`` (channels ``C``) to
the painting's statistics with an affine map ``T (f - mu_c) + mu_s``:

* **WCT** (whitening and colouring, Li et al. 2017, *Universal Style Transfer via Feature
  Transforms*): ``T = Cov_s^(1/2) Cov_c^(-1/2)``, so the result has the painting's full channel
  covariance (its Gram matrix, up to the mean), not only its per-channel spread;
* **AdaIN** (Huang & Belongie 2017): ``T = diag(sigma_s / sigma_c)``, the diagonal special case.

Because the map is affine, several paintings blend by blending their maps, and the map of a
large image is computed once from the whole image and applied tile by tile.

Matrix square roots are taken by eigendecomposition in float64 (covariances of 512 channels
are badly conditioned). Eigenvalues at or below :data:`EIG_FLOOR` times the largest count as
zero: their directions are dropped, which keeps whitening finite where the photo's features
span fewer directions than there are channels. The cut-off is relative, unlike the absolute
``1e-5`` of Li et al.'s code, so that it does not depend on the features' scale (the Caffe
VGG-19's features are 255 times those of a network fed pixels in [0, 1]). It bounds, it does
not prevent, the amplification of weak directions: whitening scales a kept direction by up to
``EIG_FLOOR ** -0.5``, about 316, times the factor of the strongest one.

Example:
    Variances 1, 2e-5 and 1e-5 (the floor): the weak direction is amplified 224 times more
    than the strong one; the one at the floor is dropped.

    >>> whitening = matrix_power(torch.diag(torch.tensor([1.0, 2e-5, 1e-5])), -0.5)
    >>> [round(gain) for gain in whitening.diagonal().tolist()]
    [1, 224, 0]
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from .device import float64_device

#: Eigenvalues at or below this fraction of the largest count as zero (see the module's
#: text): whitening amplifies the directions kept at most ``EIG_FLOOR ** -0.5`` (316) times
#: more than the strongest.
EIG_FLOOR = 1e-5
TRANSFORMS = ("wct", "adain")


def feature_stats(features: torch.Tensor, weights: torch.Tensor | None = None
                  ) -> tuple[torch.Tensor, torch.Tensor]:
    """Channel mean and covariance of feature maps, in float64.

    Args:
        features: ``(B, C, H, W)``; all ``B`` maps are pooled (crops of one image).
        weights: optional ``(B, 1, H, W)`` non-negative pixel weights (a soft region).

    Returns:
        ``mean`` ``(C, 1)`` and ``cov`` ``(C, C)`` (divided by the total weight).

    Example:
        >>> f = torch.tensor([[[[1.0, 3.0]], [[2.0, 2.0]]]])  # two channels, two pixels
        >>> mean, cov = feature_stats(f)
        >>> mean.flatten().tolist(), cov.tolist()
        ([2.0, 2.0], [[1.0, 0.0], [0.0, 0.0]])
    """
    b, c = features.shape[:2]
    where = float64_device(features.device)  # MPS has no float64: the CPU does it there
    flat = features.to(where, torch.float64).transpose(0, 1).reshape(c, -1)
    if weights is None:
        w = torch.ones(1, flat.shape[1], dtype=torch.float64, device=flat.device)
    else:
        w = weights.to(where, torch.float64).expand(b, 1, *features.shape[2:]) \
            .transpose(0, 1).reshape(1, -1)
    total = w.sum().clamp_min(1e-12)
    mean = (flat * w).sum(1, keepdim=True) / total
    centred = flat - mean
    cov = (centred * w) @ centred.T / total
    return mean, cov


def matrix_power(cov: torch.Tensor, power: float, floor: float | None = None) -> torch.Tensor:
    """``cov ** power`` of a symmetric positive semi-definite matrix ``(C, C)``, float64.

    Eigenvalues at or below ``floor`` times the largest are dropped (their directions map to
    zero), which keeps ``power=-0.5`` (whitening) finite on rank-deficient covariances; the
    others are raised to ``power`` as they are, however small.

    Args:
        cov: ``(C, C)`` symmetric positive semi-definite.
        power: e.g. 0.5 (colouring) or -0.5 (whitening).
        floor: relative eigenvalue cut-off (default :data:`EIG_FLOOR`).

    Returns:
        ``(C, C)`` float64.

    Example:
        >>> matrix_power(torch.tensor([[4.0, 0.0], [0.0, 9.0]]), 0.5).tolist()
        [[2.0, 0.0], [0.0, 3.0]]
    """
    values, vectors = torch.linalg.eigh(cov.double())
    floor = EIG_FLOOR if floor is None else floor
    keep = values > floor * values.max().clamp_min(1e-30)
    scaled = torch.where(keep, values.clamp_min(1e-30) ** power, torch.zeros_like(values))
    return (vectors * scaled) @ vectors.T


@dataclass(frozen=True)
class StyleStats:
    """A painting's statistics at one layer: channel mean ``(C, 1)`` and either the colouring
    matrix ``Cov^(1/2)`` (WCT) or the standard deviations as a diagonal ``(C, C)`` (AdaIN).
    Made by :func:`style_stats`.

    Attributes:
        mean: ``(C, 1)`` float64.
        matrix: ``(C, C)`` float64.

    Example:
        Two uncorrelated channels, ``[1, 3, 1, 3]`` (variance 1) and ``[0, 0, 4, 4]``
        (variance 4): the colouring matrix ``Cov^(1/2)`` is ``diag(1, 2)``.

        >>> stats = style_stats(torch.tensor([[[[1.0, 3, 1, 3]], [[0.0, 0, 4, 4]]]]), "wct")
        >>> stats.mean.flatten().tolist(), stats.matrix.tolist()
        ([2.0, 2.0], [[1.0, 0.0], [0.0, 2.0]])
    """

    mean: torch.Tensor
    matrix: torch.Tensor


def style_stats(features: torch.Tensor, transform: str, eps: float = 1e-5) -> StyleStats:
    """What :func:`content_map` needs of a painting's features (cache it: it is the same for
    every photo).

    Args:
        features: ``(B, C, H, W)``, pooled over ``B``.
        transform: ``"wct"`` or ``"adain"``.
        eps: added to the variances (AdaIN).

    Returns:
        :class:`StyleStats`, float64.

    Example:
        Channels ``[1, 3]`` (std 1) and ``[2, 6]`` (std 2):

        >>> stats = style_stats(torch.tensor([[[[1.0, 3.0]], [[2.0, 6.0]]]]), "adain", eps=0.0)
        >>> stats.mean.flatten().tolist(), stats.matrix.tolist()
        ([2.0, 4.0], [[1.0, 0.0], [0.0, 2.0]])
    """
    mean, cov = feature_stats(features)
    if transform == "wct":
        return StyleStats(mean, matrix_power(cov, 0.5))
    return StyleStats(mean, torch.diag((cov.diagonal() + eps).sqrt()))


def blend_style_stats(stats: list[StyleStats], weights: list[float]) -> StyleStats:
    """The weighted mean of several paintings' maps (their results blend linearly).

    Args:
        stats: one :class:`StyleStats` per painting.
        weights: one weight per painting, normally summing to 1.

    Returns:
        :class:`StyleStats`.

    Example:
        >>> a = StyleStats(torch.zeros(1, 1), torch.ones(1, 1))
        >>> b = StyleStats(torch.ones(1, 1), 3 * torch.ones(1, 1))
        >>> blended = blend_style_stats([a, b], [0.5, 0.5])
        >>> blended.mean.item(), blended.matrix.item()
        (0.5, 2.0)
    """
    return StyleStats(sum(w * s.mean for w, s in zip(weights, stats, strict=True)),  # type: ignore[arg-type]
                      sum(w * s.matrix for w, s in zip(weights, stats, strict=True)))  # type: ignore[arg-type]


@dataclass(frozen=True)
class ContentMap:
    """The affine map ``f -> matrix @ (f - mean) + shift`` for one photo and one painting,
    made by :func:`content_map`.

    Attributes:
        matrix: ``(C, C)``, float64.
        mean: ``(C, 1)``, the photo's channel mean.
        shift: ``(C, 1)``, the painting's channel mean.

    Call it on features ``(B, C, H, W)`` (any size: tiles of the photo too) to get the
    transformed features, same shape and dtype.

    Example:
        >>> double = ContentMap(2 * torch.eye(1), torch.ones(1, 1), torch.zeros(1, 1))
        >>> double(torch.tensor([[[[1.0, 2.0]]]]))  # 2 * (f - 1) + 0
        tensor([[[[0., 2.]]]])
    """

    matrix: torch.Tensor  # (C, C)
    mean: torch.Tensor  # (C, 1) the photo's mean
    shift: torch.Tensor  # (C, 1) the painting's mean

    def __call__(self, features: torch.Tensor) -> torch.Tensor:
        """Apply to ``(B, C, H, W)`` features (any size: tiles of the photo too)."""
        b, c, h, w = features.shape
        flat = features.reshape(b, c, h * w)
        def like(t: torch.Tensor) -> torch.Tensor:
            return t.to(device=features.device, dtype=features.dtype)

        out = like(self.matrix) @ (flat - like(self.mean)) + like(self.shift)
        return out.reshape(b, c, h, w)


def content_map(features: torch.Tensor, style: StyleStats, transform: str,
                weights: torch.Tensor | None = None, eps: float = 1e-5) -> ContentMap:
    """The map taking the photo's ``features`` (or the region ``weights`` of them) to the
    painting's statistics ``style``.

    WCT: ``Cov_s^(1/2) Cov_c^(-1/2)``; AdaIN: ``diag(sigma_s / sigma_c)``.

    Args:
        features: ``(B, C, H, W)`` features of the photo.
        style: the painting's :func:`style_stats` for the same ``transform``.
        transform: ``"wct"`` or ``"adain"``.
        weights: ``(B, 1, H, W)`` non-negative pixel weights: the map of a region.
        eps: added to the photo's variances (AdaIN).

    Returns:
        The :class:`ContentMap`; apply it to the photo's features (or tiles of them).

    Example:
        The photo's channel ``[0, 4]`` (mean 2, std 2) onto a painting's ``[9, 11]``:

        >>> photo = torch.tensor([[[[0.0, 4.0]]]])
        >>> style = style_stats(torch.tensor([[[[9.0, 11.0]]]]), "adain", eps=0.0)
        >>> content_map(photo, style, "adain", eps=0.0)(photo)
        tensor([[[[ 9., 11.]]]])
    """
    mean, cov = feature_stats(features, weights)
    if transform == "wct":
        whiten = matrix_power(cov, -0.5)
    elif transform == "adain":
        whiten = torch.diag((cov.diagonal() + eps).rsqrt())
    else:
        raise ValueError(f"unknown transform {transform!r}; choose one of {', '.join(TRANSFORMS)}")
    return ContentMap(style.matrix @ whiten, mean, style.mean)


def whiten(features: torch.Tensor) -> torch.Tensor:
    """The whitening half of WCT: ``Cov^(-1/2) (f - mean)``, features without their own
    correlations (channel covariance the identity, on the directions :func:`matrix_power`
    keeps) and mean 0. Colouring them with a painting's statistics is :func:`wct`.

    Args:
        features: ``(B, C, H, W)``, pooled over ``B``.

    Returns:
        The whitened features, same shape and dtype.

    Example:
        >>> white = whiten(torch.randn(1, 3, 32, 32) * torch.tensor([1.0, 5, 9]).view(1, 3, 1, 1))
        >>> mean, cov = feature_stats(white)
        >>> torch.allclose(cov, torch.eye(3, dtype=cov.dtype), atol=1e-5), mean.abs().max() < 1e-6
        (True, tensor(True))
    """
    mean, cov = feature_stats(features)
    return ContentMap(matrix_power(cov, -0.5), mean, torch.zeros_like(mean))(features)


def wct(content: torch.Tensor, style: torch.Tensor, alpha: float = 1.0) -> torch.Tensor:
    """Whitening and colouring transform of ``content`` features to ``style``'s mean and
    covariance, blended with the original by ``alpha`` (Li et al. 2017, eq. 1-3): one level
    of the ``wct`` method on features, as the Learn tab's whitening lesson shows it.

    Args:
        content: ``(1, C, H, W)`` features of the photo.
        style: ``(1, C, H', W')`` features of the painting.
        alpha: 1 is the full transform, 0 gives ``content`` back.

    Returns:
        ``(1, C, H, W)`` features whose channel covariance is ``style``'s (where the photo's
        features span enough directions).

    Example:
        >>> content = torch.randn(1, 4, 16, 16)
        >>> style = torch.randn(1, 4, 8, 8) * torch.tensor([1.0, 2, 3, 4]).view(1, 4, 1, 1) + 5
        >>> out = wct(content, style)
        >>> _, cov_out = feature_stats(out)
        >>> _, cov_style = feature_stats(style)
        >>> torch.allclose(cov_out, cov_style, atol=1e-4)
        True
    """
    stats = style_stats(style, "wct")
    out = content_map(content, stats, "wct")(content)
    return alpha * out + (1 - alpha) * content
