"""Edge-aware filtering with the photo as guide: the subject's outlines back in a painted
picture.

One-pass methods can smear the photo's edges (a face's outline, a cup's rim) into the
painting's texture. The guided filter of He, Sun & Tang ("Guided Image Filtering", ECCV 2010;
TPAMI 2013) rebuilds the picture, in each small window, as a linear function of the photo's
luminance: colours and broad strokes stay the picture's, edges follow the photo's.

All functions take and return tensors ``(B, C, H, W)``; images are RGB in [0, 1].
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from .color import luminance


def box_filter(x: torch.Tensor, radius: int) -> torch.Tensor:
    """The mean over each ``(2 radius + 1)``-square window, the window shrunk at the borders
    to the pixels inside the image.

    Args:
        x: ``(B, C, H, W)``.
        radius: window radius in pixels (0 gives ``x`` back).

    Returns:
        ``(B, C, H, W)``.

    Example:
        >>> box_filter(torch.tensor([[[[0.0, 3.0, 6.0]]]]), 1)
        tensor([[[[1.5000, 3.0000, 4.5000]]]])
    """
    if radius <= 0:
        return x
    size = 2 * radius + 1
    return F.avg_pool2d(x, size, stride=1, padding=radius, count_include_pad=False)


def guided_filter(guide: torch.Tensor, source: torch.Tensor, radius: int = 4,
                  eps: float = 1e-3) -> torch.Tensor:
    """He et al.'s guided filter: ``source`` smoothed where ``guide`` is flat and following
    ``guide``'s edges where it has them.

    In every window ``source ≈ a * guide + b`` by least squares with ridge ``eps``; the output
    is that fit, averaged over the windows covering each pixel.

    Args:
        guide: ``(B, 1, H, W)`` (e.g. the photo's luminance, in [0, 1]).
        source: ``(B, C, H, W)``, the picture to filter.
        radius: window radius in pixels.
        eps: how flat a window must be before it is smoothed; larger smooths more (in squared
            units of ``guide``: 1e-3 is a local deviation of about 0.03).

    Returns:
        ``(B, C, H, W)``.

    Example:
        A source that is already a linear function of the guide comes back unchanged:

        >>> guide = torch.tensor([[[[0.0, 0.0, 1.0, 1.0]]]])
        >>> guided_filter(guide, 2 * guide + 0.5, radius=1, eps=1e-9).squeeze().round(decimals=3)
        tensor([0.5000, 0.5000, 2.5000, 2.5000])
    """
    mean_g = box_filter(guide, radius)
    mean_s = box_filter(source, radius)
    var_g = box_filter(guide * guide, radius) - mean_g * mean_g
    cov = box_filter(guide * source, radius) - mean_g * mean_s
    a = cov / (var_g + eps)
    b = mean_s - a * mean_g
    return box_filter(a, radius) * guide + box_filter(b, radius)


def smooth_with_guide(picture: torch.Tensor, photo: torch.Tensor, radius: int = 4,
                      eps: float = 1e-3) -> torch.Tensor:
    """``picture`` guided-filtered with the photo's luminance as guide (see
    :func:`guided_filter`): its colours and broad strokes, its fine texture (grids, checkers,
    hatching) smoothed away except where it follows the photo's edges.

    Args:
        picture: ``(B, 3, H, W)`` the stylized result, RGB in [0, 1].
        photo: ``(B, 3, H, W)`` the photo it was made from, RGB in [0, 1].
        radius, eps: as for :func:`guided_filter`.

    Returns:
        ``(B, 3, H, W)`` RGB, clamped to [0, 1].

    Example:
        A checkerboard on a flat photo is smoothed to its mean:

        >>> picture = (torch.arange(64).view(8, 8) % 2 + torch.arange(8).view(8, 1)) % 2
        >>> picture = picture.float().expand(1, 3, 8, 8)
        >>> out = smooth_with_guide(picture, torch.full((1, 3, 8, 8), 0.5), radius=1)
        >>> round(picture.std().item(), 2), round(out.std().item(), 2)
        (0.5, 0.01)
    """
    return guided_filter(luminance(photo), picture, radius, eps).clamp(0, 1)


def add_detail(picture: torch.Tensor, photo: torch.Tensor, amount: float = 1.0,
               radius: int = 2) -> torch.Tensor:
    """``picture`` plus the photo's fine detail: the luminance minus its local mean over
    ``(2 radius + 1)``-square windows, times ``amount``, added to every channel, so that the
    photo's outlines show crisply through the painted picture.

    Args:
        picture: ``(B, 3, H, W)`` the stylized result, RGB in [0, 1].
        photo: ``(B, 3, H, W)`` the photo it was made from, RGB in [0, 1].
        amount: 0 gives ``picture`` back.
        radius: the scale of what counts as detail.

    Returns:
        ``(B, 3, H, W)`` RGB, clamped to [0, 1].

    Example:
        A step in the photo becomes a step in a flat grey picture:

        >>> photo = torch.tensor([0.0, 0.0, 1.0, 1.0]).view(1, 1, 1, 4).expand(1, 3, 1, 4)
        >>> add_detail(torch.full((1, 3, 1, 4), 0.5), photo, radius=1)[0, 0].round(decimals=3)
        tensor([[0.5000, 0.1670, 0.8330, 0.5000]])
    """
    grey = luminance(photo)
    return (picture + amount * (grey - box_filter(grey, radius))).clamp(0, 1)


def kuwahara(picture: torch.Tensor, radius: int = 2, sharpness: float = 8.0) -> torch.Tensor:
    """Painterly smoothing (the generalised Kuwahara filter of Papari, Petkov & Campisi,
    "Artistic edge and corner enhancing smoothing", IEEE TIP 2007, on four square sectors):
    each pixel becomes the mean of the four ``(radius + 1)``-square windows that have it as a
    corner, each weighted by its colour spread to the power ``-sharpness / 2``. Flat windows
    dominate, so fine hatching and grid texture melt into patches of flat colour while edges
    between patches stay sharp (no window straddling an edge wins).

    Args:
        picture: ``(B, C, H, W)`` floats, e.g. RGB in [0, 1].
        radius: sector size minus one, in pixels (0 gives ``picture`` back).
        sharpness: how strongly the flattest sector wins (Papari's ``q``; 0 averages the four).

    Returns:
        ``(B, C, H, W)``.

    Example:
        A step edge stays a step, where a box blur would smear it:

        >>> step = torch.tensor([0.0, 0.0, 0.0, 1.0, 1.0, 1.0]).view(1, 1, 1, 6)
        >>> kuwahara(step, radius=1).round(decimals=3)
        tensor([[[[0., 0., 0., 1., 1., 1.]]]])
        >>> box_filter(step, 1)
        tensor([[[[0.0000, 0.0000, 0.3333, 0.6667, 1.0000, 1.0000]]]])
    """
    if picture.ndim != 4 or not picture.is_floating_point():
        raise ValueError(f"kuwahara needs a float tensor (B, C, H, W), got {picture.dtype} "
                         f"{tuple(picture.shape)}: add the batch dimension with [None] and "
                         "convert with .float()")
    if radius <= 0:
        return picture
    height = picture.shape[-2]
    rows = max(1, STRIP_PIXELS // max(1, picture.shape[-1]))
    if height <= rows:
        return _kuwahara_whole(picture, radius, sharpness)
    # Large pictures go in strips of rows, each with `radius` rows of the picture around it, so
    # that the result is the same and memory stays bounded.
    strips = []
    for top in range(0, height, rows):
        start, stop = max(0, top - radius), min(height, top + rows + radius)
        out = _kuwahara_whole(picture[..., start:stop, :], radius, sharpness)
        strips.append(out[..., top - start:top - start + min(rows, height - top), :])
    return torch.cat(strips, dim=-2)


#: Largest area :func:`kuwahara` filters at once (larger pictures go in strips of rows).
STRIP_PIXELS = 1 << 21


def _kuwahara_whole(picture: torch.Tensor, radius: int, sharpness: float) -> torch.Tensor:
    height, width = picture.shape[-2:]
    size = radius + 1
    # The spread is a difference of two means: half precision would lose it.
    padded = F.pad(picture.float(), (radius, radius, radius, radius), mode="replicate")
    mean = F.avg_pool2d(padded, size, stride=1)
    spread = (F.avg_pool2d(padded * padded, size, stride=1) - mean * mean).clamp_min(0)
    spread = spread.sum(1, keepdim=True)
    corners = [(top, left) for top in (0, radius) for left in (0, radius)]
    # weights spread^(-q/2), normalised in log space so flat sectors (spread 0) cannot overflow
    logs = [-0.5 * sharpness * torch.log(spread[..., t:t + height, s:s + width] + 1e-6)
            for t, s in corners]
    top_log = torch.maximum(torch.maximum(logs[0], logs[1]), torch.maximum(logs[2], logs[3]))
    total = torch.zeros_like(top_log)
    result = torch.zeros_like(padded[..., :height, :width])
    for (t, s), log in zip(corners, logs, strict=True):
        weight = torch.exp(log - top_log)
        total += weight
        result += weight * mean[..., t:t + height, s:s + width]
    return (result / total).to(picture.dtype)
