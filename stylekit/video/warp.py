"""Backward warping along a dense flow field.

A flow is a float32 array ``(H, W, 2)`` of ``(dx, dy)`` in pixels. ``warp(image, flow)`` reads
``image`` at ``p + flow(p)`` for every pixel ``p``: with the flow from frame t to frame t-1, it
brings frame t-1 (or its stylized version) into frame t's geometry.
"""

from __future__ import annotations

import numpy as np

from .deps import require

#: Interpolations of :func:`warp`. Lanczos keeps fine brush strokes that bilinear smooths away
#: (each frame is warped again, so the loss would add up); flows are smooth, bilinear does.
INTERPOLATIONS = ("linear", "cubic", "lanczos")


def sample_grid(flow: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The coordinates ``p + flow(p)``.

    Args:
        flow: ``(H, W, 2)`` float32, in pixels.

    Returns:
        Two float32 maps ``(x, y)`` of shape ``(H, W)``.

    Example:
        >>> import numpy as np
        >>> xs, ys = sample_grid(np.full((2, 3, 2), 0.5, np.float32))
        >>> xs[1].tolist(), ys[1].tolist()
        ([0.5, 1.5, 2.5], [1.5, 1.5, 1.5])
    """
    height, width = flow.shape[:2]
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    return xs + flow[..., 0], ys + flow[..., 1]


def warp(image: np.ndarray, flow: np.ndarray, interpolation: str = "linear") -> np.ndarray:
    """``image`` sampled at ``p + flow(p)`` (outside the frame, the nearest edge).

    Args:
        image: ``(H, W)`` or ``(H, W, C)`` array (C at most 4), float32 or uint8.
        flow: ``(H, W, 2)`` float32, in pixels.
        interpolation: one of :data:`INTERPOLATIONS` (cubic and Lanczos may overshoot the
            input's range slightly).

    Returns:
        An array of ``image``'s shape and type.

    Example:
        >>> import numpy as np
        >>> image = np.arange(12, dtype=np.float32).reshape(3, 4)
        >>> shift = np.zeros((3, 4, 2), np.float32); shift[..., 0] = 1  # read one pixel right
        >>> warp(image, shift)[0].tolist()
        [1.0, 2.0, 3.0, 3.0]
    """
    cv2 = require("cv2")
    if interpolation not in INTERPOLATIONS:
        raise ValueError(f"interpolation must be one of {', '.join(INTERPOLATIONS)}")
    code = {"linear": cv2.INTER_LINEAR, "cubic": cv2.INTER_CUBIC,
            "lanczos": cv2.INTER_LANCZOS4}[interpolation]
    map_x, map_y = sample_grid(flow)
    return cv2.remap(image, map_x, map_y, interpolation=code, borderMode=cv2.BORDER_REPLICATE)


def inside(flow: np.ndarray) -> np.ndarray:
    """Where ``p + flow(p)`` falls inside the frame: ``(H, W)`` bool.

    Example:
        >>> import numpy as np
        >>> shift = np.zeros((2, 3, 2), np.float32); shift[..., 0] = -1  # read one pixel left
        >>> inside(shift)[0].tolist()
        [False, True, True]
    """
    height, width = flow.shape[:2]
    map_x, map_y = sample_grid(flow)
    return (map_x >= 0) & (map_x <= width - 1) & (map_y >= 0) & (map_y <= height - 1)


def border_distance(points: np.ndarray, height: int, width: int) -> np.ndarray:
    """How far each position ``(x, y)`` in ``points`` (``(..., 2)``) lies inside a ``height``
    x ``width`` frame, in pixels (negative outside).

    Example:
        >>> import numpy as np
        >>> border_distance(np.array([[0.0, 2.0], [3.0, 2.0], [5.5, 2.0]]), 5, 6).tolist()
        [0.0, 2.0, -0.5]
    """
    x, y = points[..., 0], points[..., 1]
    return np.minimum(np.minimum(x, width - 1 - x), np.minimum(y, height - 1 - y))


def from_border(flow: np.ndarray, margin: float) -> np.ndarray:
    """Where ``p + flow(p)`` lies nearer the frame's border than ``margin`` and than ``p``
    itself, by half a pixel (or outside the frame): ``(H, W)`` bool. A network's strokes
    there are bent by its padding, and a pixel that has moved inwards deserves better (one
    at the border gets nothing better; the half pixel spares a still camera's jitter).

    Example:
        >>> import numpy as np
        >>> shift = np.zeros((9, 12, 2), np.float32); shift[..., 0] = 2  # the scene moved left
        >>> from_border(shift, 3)[4].astype(int).tolist()  # came from near the right border
        [0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1]
    """
    height, width = flow.shape[:2]
    here = border_distance(np.stack(sample_grid(np.zeros_like(flow)), axis=-1), height, width)
    there = border_distance(np.stack(sample_grid(flow), axis=-1), height, width)
    return there < np.minimum(margin, here) - 0.5
