"""Temporal consistency: what ties a stylized frame to the previous one.

Both forms follow Ruder et al. 2016. One-pass methods (fast, adain, wct) get
:func:`blend`: the previous stylized frame, warped along the flow, replaces part of the new
output where the flow is reliable, so strokes move with the scene instead of being painted
anew. Gatys gets :class:`TemporalLoss`: the optimisation starts from the warped previous frame
and is pulled towards it on reliable pixels. :func:`warping_error` measures the result.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

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
