"""Dense optical flow between frames, and which pixels it can be trusted on.

Flow: OpenCV's DIS (Kroeger et al., "Fast Optical Flow using Dense Inverse Search", ECCV
2016), a fraction of a second per 720p frame on one CPU core. Reliability follows Ruder,
Dosovitskiy & Brox, "Artistic Style Transfer for Videos" (GCPR 2016): a pixel of frame t is
trusted where the flow back to frame t-1 and the flow forward from there agree (elsewhere it
was hidden in frame t-1: disoccluded), away from motion boundaries, and where it lands inside
frame t-1. One test is added: the pixel must look the same in both frames once warped
(:func:`unchanged_pixels`), so a cut, a fade or a light switched on is painted anew instead of
carrying the previous picture along (flow is consistent on a black frame too).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .deps import require
from .warp import inside, warp

#: DIS presets, fastest first (OpenCV's ``DISOPTICAL_FLOW_PRESET_*``).
FLOW_PRESETS = ("ultrafast", "fast", "medium")
#: Pixels around the untrusted ones that :meth:`FlowEstimator.motion` does not trust either:
#: DIS smooths the flow across the outline of a moving thing, so the failing tests mark the
#: middle of a band a few pixels wide in which the flow is wrong; carried paint there smears
#: the outline (issue 24).
UNTRUSTED_RADIUS = 2
#: :func:`motion_boundaries` in :meth:`FlowEstimator.motion` looks at the change of the flow
#: less its blur over this many pixels: a zoom of 5% a frame otherwise marked a quarter of the
#: middle of the frame as boundaries, which are painted anew (a flicker).
BOUNDARY_SMOOTH = 8.0


def _squared_norm(flow: np.ndarray) -> np.ndarray:
    return np.square(flow).sum(axis=-1)


def reliable_pixels(backward: np.ndarray, forward: np.ndarray) -> np.ndarray:
    """Pixels of frame t whose flow to frame t-1 can be trusted: ``(H, W)`` bool.

    Ruder et al.'s tests, with their constants: forward-backward consistency
    (:func:`consistent_pixels`); no motion boundary (:func:`motion_boundaries`); and the
    target inside the frame.

    Args:
        backward: flow ``(H, W, 2)`` from frame t to frame t-1.
        forward: flow ``(H, W, 2)`` from frame t-1 to frame t.

    Returns:
        ``True`` where frame t-1, warped along ``backward``, may be trusted.

    Example:
        >>> import numpy as np
        >>> backward = np.zeros((4, 6, 2), np.float32); backward[..., 0] = -2  # moved right
        >>> forward = -backward
        >>> reliable_pixels(backward, forward)[0].astype(int).tolist()  # first 2 came in
        [0, 0, 1, 1, 1, 1]
    """
    return (consistent_pixels(backward, forward) & ~motion_boundaries(backward)
            & inside(backward))


def consistent_pixels(backward: np.ndarray, forward: np.ndarray) -> np.ndarray:
    """Where the flow back and the flow forward from there agree, ``|b + f~|² <= 0.01 (|b|² +
    |f~|²) + 0.5`` with ``f~`` the forward flow read at ``p + b(p)`` (Ruder et al.):
    elsewhere the pixel was hidden in frame t-1. ``(H, W)`` bool.

    Example:
        >>> import numpy as np
        >>> backward = np.zeros((2, 3, 2), np.float32); backward[..., 0] = -1
        >>> bool(consistent_pixels(backward, -backward).all())
        True
        >>> bool(consistent_pixels(backward, backward).any())  # both say "from the right"
        False
    """
    forward_there = warp(forward, backward)
    mismatch = _squared_norm(backward + forward_there)
    return mismatch <= 0.01 * (_squared_norm(backward) + _squared_norm(forward_there)) + 0.5


def motion_boundaries(backward: np.ndarray, smooth: float = 0.0) -> np.ndarray:
    """Where the flow changes steeply, ``|∇b_x|² + |∇b_y|² > 0.01 |b|² + 0.002`` (Ruder et
    al.): the edges of things that move differently from what is behind them. ``(H, W)``
    bool.

    Args:
        backward: flow ``(H, W, 2)`` from frame t to frame t-1.
        smooth: if above 0, the gradient less its Gaussian blur of this many pixels counts:
            a zoom or a turn changes the flow steadily everywhere (5% a frame is over the
            constant near the centre), an outline changes it at once.

    Example:
        >>> import numpy as np
        >>> backward = np.zeros((2, 6, 2), np.float32); backward[:, 3:, 0] = -2  # right half moved
        >>> motion_boundaries(backward)[0].astype(int).tolist()
        [0, 0, 1, 1, 0, 0]
        >>> ys, xs = np.mgrid[0:20, 0:30].astype(np.float32)
        >>> zoom = np.stack([-0.05 * (xs - 15), -0.05 * (ys - 10)], axis=-1)  # 5% a frame
        >>> int(motion_boundaries(zoom).sum()), int(motion_boundaries(zoom, smooth=4).sum())
        (364, 0)
    """
    # np.gradient: central differences inside, one-sided at the edges.
    gradients = [g for channel in (0, 1) for g in np.gradient(backward[..., channel])]
    if smooth > 0:
        cv2 = require("cv2")
        gradients = [g - cv2.GaussianBlur(g, (0, 0), smooth) for g in gradients]
    gradient = sum(np.square(g) for g in gradients)
    return gradient > 0.01 * _squared_norm(backward) + 0.002

def unchanged_pixels(previous: np.ndarray, current: np.ndarray, backward: np.ndarray,
                     tolerance: float) -> np.ndarray:
    """Where ``current`` matches ``previous`` warped along ``backward``: ``(H, W)`` bool.

    Args:
        previous, current: RGB uint8 frames ``(H, W, 3)``.
        backward: flow ``(H, W, 2)`` from ``current`` to ``previous``.
        tolerance: the largest mean absolute difference over the channels, in [0, 1], after a
            slight blur (so noise and compression do not count).

    Returns:
        ``True`` where the pixel did not change beyond the motion.

    Example:
        >>> import numpy as np
        >>> dark, light = np.zeros((4, 4, 3), np.uint8), np.full((4, 4, 3), 200, np.uint8)
        >>> still = np.zeros((4, 4, 2), np.float32)
        >>> bool(unchanged_pixels(dark, dark, still, 0.1).all())
        True
        >>> bool(unchanged_pixels(dark, light, still, 0.1).any())
        False
    """
    cv2 = require("cv2")
    warped = warp(previous.astype(np.float32) / 255.0, backward)
    difference = np.abs(current.astype(np.float32) / 255.0 - warped).mean(axis=-1)
    return cv2.GaussianBlur(difference, (0, 0), 1.0) <= tolerance


@dataclass(frozen=True)
class Motion:
    """What frame t needs from frame t-1: the flow back to it and where that flow holds.

    Attributes:
        backward: flow ``(H, W, 2)`` from frame t to frame t-1.
        reliable: ``(H, W)`` bool, see :func:`reliable_pixels`; motion boundaries are not
            (the runner paints them anew, as every untrusted pixel).
    """

    backward: np.ndarray
    reliable: np.ndarray


class FlowEstimator:
    """DIS optical flow between RGB frames of one size; ``tolerance`` is that of
    :func:`unchanged_pixels` in :meth:`motion`.

    Example:
        >>> import numpy as np
        >>> rng = np.random.default_rng(0)
        >>> texture = (rng.random((60, 80, 3)) * 255).astype(np.uint8)
        >>> import cv2; texture = cv2.GaussianBlur(texture, (0, 0), 2)
        >>> moved = np.roll(texture, 3, axis=1)  # the scene moved 3 px right
        >>> flow = FlowEstimator("medium")(moved, texture)  # from the moved frame back
        >>> round(float(np.median(flow[10:50, 20:60, 0])))
        -3
    """

    def __init__(self, preset: str = "medium", tolerance: float = 0.1) -> None:
        if preset not in FLOW_PRESETS:
            raise ValueError(f"flow preset must be one of {', '.join(FLOW_PRESETS)}")
        cv2 = require("cv2")
        self._cv2 = cv2
        self.tolerance = tolerance
        code = getattr(cv2, f"DISOPTICAL_FLOW_PRESET_{preset.upper()}")
        self._dis: Any = cv2.DISOpticalFlow_create(code)

    def grey(self, frame: np.ndarray) -> np.ndarray:
        """An RGB uint8 frame as the 8-bit grey image DIS takes."""
        return self._cv2.cvtColor(np.ascontiguousarray(frame), self._cv2.COLOR_RGB2GRAY)

    def __call__(self, source: np.ndarray, target: np.ndarray) -> np.ndarray:
        """Flow from ``source`` to ``target`` (RGB uint8 or grey): ``source(p) ~
        target(p + flow(p))``, float32 ``(H, W, 2)``."""
        grey_source = source if source.ndim == 2 else self.grey(source)
        grey_target = target if target.ndim == 2 else self.grey(target)
        return self._dis.calc(grey_source, grey_target, None)

    def motion(self, previous: np.ndarray, current: np.ndarray) -> Motion:
        """The flow from ``current`` back to ``previous`` and where it is reliable
        (:func:`reliable_pixels` and :func:`unchanged_pixels`, and not within
        :data:`UNTRUSTED_RADIUS` of a pixel that fails them)."""
        grey_previous, grey_current = self.grey(previous), self.grey(current)
        backward = self(grey_current, grey_previous)
        forward = self(grey_previous, grey_current)
        plausible = (consistent_pixels(backward, forward)
                     & unchanged_pixels(previous, current, backward, self.tolerance))
        boundaries = motion_boundaries(backward, BOUNDARY_SMOOTH)
        # Not grown from the frame's border: a still camera's flow points a hair outside
        # there now and then, which would repaint a band along the border every frame.
        inner = inside(backward)
        reliable = ~dilate(~plausible | boundaries, UNTRUSTED_RADIUS) & inner
        return Motion(backward, reliable)


def dilate(mask: np.ndarray, radius: int) -> np.ndarray:
    """``mask`` grown by ``radius`` pixels (a disc): ``(H, W)`` bool.

    Example:
        >>> import numpy as np
        >>> dot = np.zeros((1, 7), bool); dot[0, 3] = True
        >>> dilate(dot, 2).astype(int).tolist()
        [[0, 1, 1, 1, 1, 1, 0]]
    """
    if radius <= 0:
        return mask.copy()
    cv2 = require("cv2")
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
    return cv2.dilate(mask.astype(np.uint8), disc).astype(bool)
