"""Temporal consistency: what ties a stylized frame to the previous one.

Both forms follow Ruder et al. 2016. One-pass methods (fast, adain, wct) carry the previous
stylized frame's strokes along the flow where it is reliable (:class:`~.canvas.StrokeCanvas`,
or :func:`blend` for a partial share), so strokes move with the scene instead of being painted
anew, until :func:`magnification` says a zoom has changed their size too much. Gatys gets
:class:`TemporalLoss`: the optimisation starts from the warped previous frame and is pulled
towards it on reliable pixels. :func:`warping_error` measures the result.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from .deps import require
from .warp import warp


def blend(current: np.ndarray, warped_previous: np.ndarray, reliable: np.ndarray,
          strength: float) -> np.ndarray:
    """``current`` with ``strength`` of ``warped_previous`` mixed in on reliable pixels.

    Args:
        current: the new stylized frame, float32 ``(H, W, 3)`` in [0, 1].
        warped_previous: the previous output warped into this frame, same shape.
        reliable: ``(H, W)`` bool, where the flow holds.
        strength: 0 keeps ``current``, 1 copies the warped frame where reliable.

    Returns:
        The blended frame, float32 ``(H, W, 3)``.

    Example:
        >>> import numpy as np
        >>> new, old = np.ones((1, 2, 3), np.float32), np.zeros((1, 2, 3), np.float32)
        >>> blend(new, old, np.array([[True, False]]), 0.75)[0, :, 0].tolist()
        [0.25, 1.0]
    """
    weight = (strength * reliable.astype(np.float32))[..., None]
    return current + weight * (warped_previous - current)


def magnification(backward: np.ndarray, smooth: float = 2.0) -> np.ndarray:
    """How much larger the previous frame's strokes become when warped into this frame:
    ``1 / sqrt(det(I + grad flow))``, above 1 on a zoom in, below 1 on a zoom out.

    Carried strokes grow with the scene, so a long zoom would otherwise turn them into blobs;
    the runner adds this up along the flow and repaints pixels that drifted too far.

    Args:
        backward: flow ``(H, W, 2)`` from frame t to frame t-1, in pixels.
        smooth: Gaussian blur (pixels) of the local change of area, so that the noise of an
            estimated flow is not read as a change of scale.

    Returns:
        Float32 ``(H, W)``, 1 where the scene neither grew nor shrank.

    Example:
        >>> import numpy as np
        >>> ys, xs = np.mgrid[0:20, 0:30].astype(np.float32)
        >>> zoom_in = np.stack([-0.1 * (xs - 15), -0.1 * (ys - 10)], axis=-1)  # 10% per frame
        >>> round(float(magnification(zoom_in)[10, 15]), 3)  # 1 / 0.9
        1.111
    """
    dx_dy, dx_dx = np.gradient(backward[..., 0].astype(np.float32))
    dy_dy, dy_dx = np.gradient(backward[..., 1].astype(np.float32))
    area = np.asarray((1.0 + dx_dx) * (1.0 + dy_dy) - dx_dy * dy_dx, np.float32)
    if smooth:  # the area, not the flow: blurring a flow bends it at the frame's edges
        area = _blur(area, smooth)
    # A fold or a tear of the flow is no zoom: bound the factor (those pixels are unreliable).
    return (1.0 / np.sqrt(np.clip(area, 0.25, 4.0))).astype(np.float32)


def _blur(image: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian blur; a wide one on a smaller copy (the result is smooth anyway: 20 times
    faster for sigma 50 on a 720p frame)."""
    cv2 = require("cv2")
    factor = max(1, int(sigma // 4))
    height, width = image.shape[:2]
    if factor == 1 or min(height, width) < 8 * factor:
        return cv2.GaussianBlur(image, (0, 0), sigma)
    small = cv2.resize(image, (width // factor, height // factor), interpolation=cv2.INTER_AREA)
    small = cv2.GaussianBlur(small, (0, 0), sigma / factor)
    return cv2.resize(small, (width, height), interpolation=cv2.INTER_LINEAR)


def warping_error(current: np.ndarray, previous: np.ndarray, backward: np.ndarray,
                  reliable: np.ndarray) -> float:
    """Temporal warping error: the mean over reliable pixels of the squared difference
    between ``current`` and ``previous`` warped along ``backward`` (Lanczos; mean over
    channels).

    Args:
        current: frame t, float ``(H, W, C)`` in [0, 1].
        previous: frame t-1, same shape.
        backward: flow ``(H, W, 2)`` from frame t to frame t-1.
        reliable: ``(H, W)`` bool mask of the pixels that count.

    Returns:
        The error (0 for a perfectly consistent pair), or NaN when no pixel is reliable.

    Example:
        >>> import numpy as np
        >>> previous = np.zeros((2, 2, 3), np.float32); current = previous + 0.5
        >>> warping_error(current, previous, np.zeros((2, 2, 2), np.float32),
        ...               np.ones((2, 2), bool))
        0.25
    """
    return masked_mse(current, warp(previous.astype(np.float32), backward, "lanczos"), reliable)


def masked_mse(a: np.ndarray, b: np.ndarray, mask: np.ndarray) -> float:
    """The squared difference of two images, averaged over channels and then over the pixels
    of ``mask``: :func:`warping_error` once the previous frame is warped.

    Args:
        a, b: float images ``(H, W, C)``.
        mask: ``(H, W)`` bool.

    Returns:
        The mean, or NaN for an empty mask.

    Example:
        >>> import numpy as np
        >>> masked_mse(np.ones((1, 2, 3)), np.zeros((1, 2, 3)), np.array([[True, False]]))
        1.0
    """
    if not mask.any():
        return float("nan")
    squared = np.square(a.astype(np.float32) - b.astype(np.float32))
    return float(squared.mean(axis=-1)[mask].mean())


class TemporalLoss:
    """Ruder et al.'s short-term temporal loss for Gatys' optimisation:
    ``weight * mean(c * (x - w)²)`` with ``w`` the warped previous frame and ``c`` the
    reliable pixels. At a coarser scale than the frame both are resized to ``x``.

    Args:
        target: the warped previous stylized frame, ``(1, 3, H, W)`` in [0, 1].
        reliable: ``(1, 1, H, W)``, 1 where the flow holds, 0 elsewhere.
        weight: the loss weight.

    Example:
        >>> import torch
        >>> loss = TemporalLoss(torch.zeros(1, 3, 4, 4), torch.ones(1, 1, 4, 4), weight=2.0)
        >>> float(loss(torch.full((1, 3, 2, 2), 0.5)))
        0.5
    """

    def __init__(self, target: torch.Tensor, reliable: torch.Tensor, weight: float) -> None:
        self.target, self.reliable, self.weight = target, reliable, weight

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        target, reliable = self.target, self.reliable
        if target.shape[-2:] != x.shape[-2:]:
            target = F.interpolate(target, size=x.shape[-2:], mode="area")
            reliable = F.interpolate(reliable, size=x.shape[-2:], mode="area")
        return self.weight * (reliable * (x - target).square()).mean()
