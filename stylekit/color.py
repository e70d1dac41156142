"""Colour preservation (Gatys, Bethge, Hertzmann, Shechtman 2016, "Preserving Color in Neural
Artistic Style Transfer").

Two ways to keep the content photo's colours:

* ``luminance``: transfer style on luminance only. Content and style are turned into grey
  images (the style's luminance matched to the content's mean and spread), the result's
  luminance is recombined with the content's chroma in YIQ space.
* ``histogram``: recolour the style image so its mean and colour covariance match the content's
  before optimising.

All functions take and return RGB tensors ``(B, 3, H, W)`` in [0, 1] (not clamped).
"""

from __future__ import annotations

import torch

from .device import float64_device

# NTSC YIQ, the colour space used by Gatys et al. for luminance-only transfer.
_RGB_TO_YIQ = torch.tensor(
    [[0.299, 0.587, 0.114], [0.595716, -0.274453, -0.321263], [0.211456, -0.522591, 0.311135]],
    dtype=torch.float64,
)
_YIQ_TO_RGB = torch.linalg.inv(_RGB_TO_YIQ)

COLOR_MODES = ("none", "luminance", "histogram")


def _apply(matrix: torch.Tensor, image: torch.Tensor) -> torch.Tensor:
    m = matrix.to(device=image.device, dtype=image.dtype)
    return torch.einsum("ij,bjhw->bihw", m, image)


def rgb_to_yiq(rgb: torch.Tensor) -> torch.Tensor:
    """RGB ``(B, 3, H, W)`` to YIQ (Y in [0, 1], I and Q signed chroma), NTSC's matrix.

    Args:
        rgb: ``(B, 3, H, W)`` RGB in [0, 1].

    Returns:
        ``(B, 3, H, W)``: Y in [0, 1], I in about +-0.6, Q in about +-0.52.

    Example:
        >>> rgb_to_yiq(torch.tensor([1.0, 0.0, 0.0]).view(1, 3, 1, 1)).flatten()  # pure red
        tensor([0.2990, 0.5957, 0.2115])
    """
    return _apply(_RGB_TO_YIQ, rgb)


def yiq_to_rgb(yiq: torch.Tensor) -> torch.Tensor:
    """Inverse of :func:`rgb_to_yiq`: YIQ ``(B, 3, H, W)`` to RGB (not clamped).

    Args:
        yiq: ``(B, 3, H, W)`` as :func:`rgb_to_yiq` gives it.

    Returns:
        ``(B, 3, H, W)`` RGB.

    Example:
        >>> rgb = torch.rand(1, 3, 2, 2)
        >>> torch.allclose(yiq_to_rgb(rgb_to_yiq(rgb)), rgb, atol=1e-6)
        True
    """
    return _apply(_YIQ_TO_RGB, yiq)


def luminance(rgb: torch.Tensor) -> torch.Tensor:
    """The Y channel ``(B, 1, H, W)`` of an RGB image ``(B, 3, H, W)``:
    ``0.299 R + 0.587 G + 0.114 B``.

    Args:
        rgb: ``(B, 3, H, W)`` RGB in [0, 1].

    Returns:
        ``(B, 1, H, W)`` in [0, 1].

    Example:
        >>> luminance(torch.tensor([0.0, 1.0, 0.0]).view(1, 3, 1, 1))  # pure green
        tensor([[[[0.5870]]]])
    """
    return rgb_to_yiq(rgb)[:, :1]


def grey(rgb: torch.Tensor) -> torch.Tensor:
    """Luminance repeated on three channels ``(B, 3, H, W)``, the input VGG sees in
    ``luminance`` mode.

    Args:
        rgb: ``(B, 3, H, W)`` RGB in [0, 1].

    Returns:
        ``(B, 3, H, W)``, three equal channels.

    Example:
        >>> grey(torch.tensor([0.0, 1.0, 0.0]).view(1, 3, 1, 1)).flatten()
        tensor([0.5870, 0.5870, 0.5870])
    """
    return luminance(rgb).expand(-1, 3, -1, -1).contiguous()


def match_luminance(style: torch.Tensor, content: torch.Tensor) -> torch.Tensor:
    """Style luminance shifted and scaled to the content's mean and std, as grey RGB.

    Args:
        style: ``(1, 3, H, W)`` RGB in [0, 1].
        content: ``(1, 3, H', W')`` RGB in [0, 1].

    Returns:
        ``(1, 3, H, W)`` grey (three equal channels).

    Example:
        A style with luminance ``[0, 1]`` takes the content's mean 0.5 and its narrower
        spread:

        >>> style = torch.tensor([0.0, 1.0]).view(1, 1, 1, 2).expand(1, 3, 1, 2)
        >>> content = torch.tensor([0.4, 0.6]).view(1, 1, 1, 2).expand(1, 3, 1, 2)
        >>> match_luminance(style, content)[0, 0]
        tensor([[0.4000, 0.6000]])
    """
    ys, yc = luminance(style), luminance(content)
    matched = (ys - ys.mean()) * (yc.std() / ys.std().clamp_min(1e-6)) + yc.mean()
    return matched.expand(-1, 3, -1, -1).contiguous()


def recombine_luminance(result: torch.Tensor, content: torch.Tensor) -> torch.Tensor:
    """The luminance of ``result`` with the chroma (I, Q) of ``content``.

    Args:
        result: ``(B, 3, H, W)`` RGB, the stylized image.
        content: ``(B, 3, H, W)`` RGB, the photo.

    Returns:
        ``(B, 3, H, W)`` RGB (not clamped).

    Example:
        White's brightness on pure red's colour:

        >>> white, red = torch.ones(1, 3, 1, 1), torch.tensor([1.0, 0.0, 0.0]).view(1, 3, 1, 1)
        >>> luminance(recombine_luminance(white, red)).item() == luminance(white).item()
        True
    """
    y = luminance(result)
    iq = rgb_to_yiq(content)[:, 1:]
    return yiq_to_rgb(torch.cat([y, iq], dim=1))


def _sqrtm(cov: torch.Tensor, inverse: bool = False) -> torch.Tensor:
    values, vectors = torch.linalg.eigh(cov)
    values = values.clamp_min(1e-8)
    scale = values.rsqrt() if inverse else values.sqrt()
    return vectors @ torch.diag(scale) @ vectors.T


def palette(images: list[torch.Tensor], weights: list[float] | None = None
            ) -> tuple[torch.Tensor, torch.Tensor]:
    """The colour mean ``(3, 1)`` and covariance ``(3, 3)`` of one or more images, as a
    mixture weighted by ``weights`` (default equal), in float64.

    Args:
        images: RGB ``(1, 3, H, W)`` each.
        weights: one per image, summing to 1.

    Returns:
        ``(mean, cov)``, float64 on a device that has it.

    Example:
        Half the pixels black, half white: mean 0.5, variance 0.25 in every channel.

        >>> mean, cov = palette([torch.zeros(1, 3, 1, 1), torch.ones(1, 3, 1, 1)])
        >>> mean.flatten().tolist(), cov.diagonal().tolist()
        ([0.5, 0.5, 0.5], [0.25, 0.25, 0.25])
    """
    weights = weights or [1.0 / len(images)] * len(images)
    where = float64_device(images[0].device)  # MPS has no float64
    mean = torch.zeros(3, 1, dtype=torch.float64, device=where)
    second = torch.zeros(3, 3, dtype=torch.float64, device=where)
    for image, weight in zip(images, weights, strict=True):
        x = image.to(where, torch.float64).reshape(3, -1)
        mu = x.mean(1, keepdim=True)
        mean += weight * mu
        second += weight * (torch.cov(x, correction=0) + mu @ mu.T)
    return mean, second - mean @ mean.T


def match_palette(image: torch.Tensor, mean: torch.Tensor, cov: torch.Tensor) -> torch.Tensor:
    """Recolour ``image`` so its colour mean and covariance are ``mean`` and ``cov`` (from
    :func:`palette`): ``x' = C^(1/2) C_x^(-1/2) (x - mu_x) + mu``, the symmetric "image
    analogies" colour transfer of Gatys et al. 2016, section 2.1. Computed in float64.

    Args:
        image: ``(1, 3, H, W)`` RGB.
        mean, cov: the target's ``(3, 1)`` and ``(3, 3)``.

    Returns:
        ``(1, 3, H, W)`` RGB (not clamped), the dtype and device of ``image``.

    Example:
        >>> image = torch.rand(1, 3, 8, 8)
        >>> target = palette([torch.rand(1, 3, 6, 6) * 0.5])
        >>> moved = match_palette(image, *target)
        >>> torch.allclose(palette([moved])[0], target[0], atol=1e-5)
        True
    """
    own_mean, own_cov = palette([image])
    x = image.to(own_mean.device, torch.float64).reshape(3, -1)
    # _sqrtm clamps eigenvalues, so a flat (singular) channel does not blow up.
    transform = _sqrtm(cov.to(x.device)) @ _sqrtm(own_cov, inverse=True)
    out = transform @ (x - own_mean) + mean.to(x.device)
    return out.reshape(image.shape).to(image.device, image.dtype)


def match_color_histogram(style: torch.Tensor, content: torch.Tensor) -> torch.Tensor:
    """Recolour ``style`` so its colour mean and covariance equal ``content``'s
    (:func:`match_palette` with ``content``'s :func:`palette`).

    Args:
        style: ``(1, 3, H, W)`` RGB.
        content: ``(1, 3, H', W')`` RGB.

    Returns:
        ``(1, 3, H, W)`` RGB (not clamped), the dtype and device of ``style``.

    Example:
        >>> style, content = torch.rand(1, 3, 8, 8), torch.rand(1, 3, 6, 6) * 0.5
        >>> moved = match_color_histogram(style, content)
        >>> torch.allclose(moved.mean((2, 3)), content.mean((2, 3)), atol=1e-5)
        True
    """
    return match_palette(style, *palette([content]))


def finish(result: torch.Tensor, photo: torch.Tensor, preserve_color: str = "none",
           strength: float = 1.0) -> torch.Tensor:
    """The one-pass methods' last step: colour preservation, then ``strength``.

    Args:
        result: ``(B, 3, H, W)`` stylized RGB in 0..1.
        photo: ``(B, 3, H, W)`` the photo it was made from, RGB in 0..1.
        preserve_color: ``none``, ``luminance`` (the result's luminance on the photo's
            colours, Gatys et al. 2016) or ``histogram`` (the result's colours moved to the
            photo's mean and covariance).
        strength: 1 keeps the result, 0 gives the photo back; in between, a pixel blend.

    Returns:
        ``(B, 3, H, W)`` RGB in 0..1.

    Example:
        >>> result, photo = torch.ones(1, 3, 2, 2), torch.zeros(1, 3, 2, 2)
        >>> finish(result, photo, strength=0.25).unique().tolist()
        [0.25]
    """
    if preserve_color == "luminance":
        result = recombine_luminance(result, photo).clamp(0, 1)
    elif preserve_color == "histogram":
        result = match_color_histogram(result, photo).clamp(0, 1)
    if strength < 1.0:
        result = strength * result + (1.0 - strength) * photo
    return result
