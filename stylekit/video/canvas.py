"""Strokes carried along the flow and resampled once, so that they stay sharp.

Warping the previous output into each new frame resamples every carried stroke once per
frame: over a rotation or any motion by fractions of a pixel the strokes soften a little
more every time (bench/video.py: The Starry Night's style distance 1.12 times frame by frame
after 16 frames of a slow turn, even with Lanczos). A :class:`StrokeCanvas` instead remembers,
for each pixel, which frame painted it and where in that frame's picture, follows that
position along the flow, and resamples the picture once when the frame is drawn.

Two kinds of carried paint are stale, and the canvas paints them anew from the new frame
(issue 24): paint that came from near the border of its picture, where a network's strokes
are bent by the padding (within ``margin``: in a pan, every column that came in would otherwise
be a strip of some frame's border, stretched strokes side by side); and paint whose picture no
longer shows what the frame shows there (``tolerance``): small errors of the flow at the
outlines of moving things add up from frame to frame, which a test of one frame against the
previous cannot see, until strokes of a walker trail behind it over the pavement.
"""

from __future__ import annotations

import numpy as np

from .deps import require
from .warp import border_distance, sample_grid

#: Pictures a canvas keeps at most; beyond, the least used are drawn into one picture.
MAX_SOURCES = 8


class StrokeCanvas:
    """The output of a one-pass method as strokes that move with the scene.

    Args:
        max_sources: pictures kept at most (each is a frame's ``(H, W, 3)`` float32 picture);
            when more are in use the least used are flattened into one, which resamples their
            pixels once more.
        margin: paint from within this many pixels of its picture's border is painted anew
            once it has moved further from the frame's border than it was from its picture's
            (0: never).
        tolerance: with the frames given to :meth:`paint` and :meth:`carry`, paint whose
            frame, where the paint came from, differs from this frame by more than this mean
            absolute difference (in [0, 1], after a slight blur) is painted anew (``None``:
            never).

    Example:
        >>> import numpy as np
        >>> canvas = StrokeCanvas()
        >>> first = np.random.default_rng(0).random((8, 12, 3)).astype(np.float32)
        >>> _ = canvas.paint(first)
        >>> back = np.zeros((8, 12, 2), np.float32); back[..., 0] = -2.5  # moved 2.5 px right
        >>> keep = np.ones((8, 12), bool); keep[:, :3] = False  # came in on the left
        >>> out = canvas.carry(np.zeros_like(first), back, keep)
        >>> out = canvas.carry(np.zeros_like(first), back, keep)
        >>> bool(np.allclose(out[:, 6:], first[:, 1:7], atol=1e-5))  # 5 px, resampled once
        True
    """

    def __init__(self, max_sources: int = MAX_SOURCES, margin: float = 0.0,
                 tolerance: float | None = None) -> None:
        if max_sources < 2:
            raise ValueError("a canvas needs at least 2 pictures (the old and the new)")
        self.max_sources, self.margin, self.tolerance = max_sources, margin, tolerance
        self.sources: dict[int, np.ndarray] = {}
        # For each picture, where its paint came from: the frame it painted (RGB in [0, 1],
        # when given) and each pixel's distance from the border of the picture that first
        # painted it, as 4 channels (a flattened picture's pixels keep their own).
        self.origins: dict[int, np.ndarray] = {}
        self._framed: set[int] = set()  # the pictures whose frame is known
        self.painted = np.zeros((0, 0), bool)  # the pixels the last frame painted anew
        self.source = np.zeros((0, 0), np.int32)  # which picture each pixel comes from
        self.coords = np.zeros((0, 0, 2), np.float32)  # where in it (x, y)
        self.grid = np.zeros((0, 0, 2), np.float32)  # each pixel's own place (x, y)
        self._next = 0

    def paint(self, picture: np.ndarray, frame: np.ndarray | None = None) -> np.ndarray:
        """Start again from ``picture`` (float32 ``(H, W, 3)``), the painting of ``frame``
        (RGB uint8 ``(H, W, 3)``, for ``tolerance``); returns it."""
        height, width = picture.shape[:2]
        self.sources, self.origins, self._framed = {}, {}, set()
        self.source = np.zeros((height, width), np.int32)
        self.grid = np.stack(sample_grid(np.zeros((height, width, 2), np.float32)), axis=-1)
        self.coords = self.grid.copy()
        self.painted = np.ones((height, width), bool)
        self._add(picture, self.painted, frame)
        return self.draw()

    def carry(self, picture: np.ndarray, backward: np.ndarray, keep: np.ndarray,
              frame: np.ndarray | None = None) -> np.ndarray:
        """The next frame: where ``keep``, the strokes of the previous frame moved along
        ``backward`` (flow from this frame to the previous one); elsewhere, and where the
        carried paint is stale (``margin``, ``tolerance``), ``picture``.

        Args:
            picture: this frame painted on its own, float32 ``(H, W, 3)`` in [0, 1].
            backward: flow ``(H, W, 2)`` to the previous frame, in pixels.
            keep: ``(H, W)`` bool, the pixels that carry strokes over.
            frame: the frame ``picture`` paints, RGB uint8 ``(H, W, 3)`` (for ``tolerance``).

        Returns:
            The frame, float32 ``(H, W, 3)`` in [0, 1]; :attr:`painted` says which pixels
            are ``picture``'s.
        """
        if self.source.shape != picture.shape[:2]:
            return self.paint(picture, frame)
        cv2 = require("cv2")
        height, width = self.source.shape
        map_x, map_y = sample_grid(backward)
        # Each pixel takes the position its strokes had where it was in the previous frame.
        # Interpolated as an offset from the pixel: the offsets vary slowly, so OpenCV's 1/32
        # pixel rounding of remap weights costs far less than on the positions themselves
        # (which would drift from frame to frame), and a zoom or a turn keeps its scale and
        # angle exactly.
        offsets = cv2.remap(self.coords - self.grid, map_x, map_y, cv2.INTER_LINEAR,
                            borderMode=cv2.BORDER_REPLICATE)
        coords = np.stack([map_x, map_y], axis=-1) + offsets
        near_x = np.clip(np.rint(map_x), 0, width - 1).astype(np.intp)
        near_y = np.clip(np.rint(map_y), 0, height - 1).astype(np.intp)
        ids = self.source
        source = ids[near_y, near_x]
        if len(self.sources) > 1:
            # Where pictures meet, offsets of two pictures must not be averaged: take the
            # nearest pixel's position plus the remaining fraction of a pixel.
            seam = np.zeros(ids.shape, np.uint8)
            seam[:, :-1] |= ids[:, :-1] != ids[:, 1:]
            seam[:-1] |= ids[:-1] != ids[1:]
            seam = cv2.dilate(seam, np.ones((3, 3), np.uint8))  # every pixel next to a seam
            mixed = np.nonzero(seam[near_y, near_x])
            nx, ny = near_x[mixed], near_y[mixed]
            coords[mixed] = self.coords[ny, nx] + np.stack([map_x[mixed] - nx,
                                                            map_y[mixed] - ny], -1)
        self.source, self.coords = source, coords.astype(np.float32)
        self.painted = ~keep
        if self.margin or (self.tolerance is not None and frame is not None):
            origins = self._draw(self.origins, "linear")
            self.painted |= self._from_border(origins[..., 3]) | self._changed(
                origins[..., :3], frame)
        self._add(picture, self.painted, frame)
        self._forget()
        return self.draw()

    def draw(self) -> np.ndarray:
        """The frame: each pixel resampled (Lanczos) from its picture."""
        return self._draw(self.sources, "lanczos").clip(0.0, 1.0)

    def _draw(self, pictures: dict[int, np.ndarray], interpolation: str) -> np.ndarray:
        """Each pixel resampled from its picture in ``pictures`` (:attr:`sources` or
        :attr:`origins`)."""
        cv2 = require("cv2")
        code = cv2.INTER_LANCZOS4 if interpolation == "lanczos" else cv2.INTER_LINEAR
        first = next(iter(pictures.values()))
        out = np.zeros((*self.source.shape, first.shape[-1]), first.dtype)
        for index, picture in pictures.items():
            mask = self.source == index
            if not mask.any():  # its pixels all moved out of the frame in this carry
                continue
            rows, cols = np.nonzero(mask.any(axis=1))[0], np.nonzero(mask.any(axis=0))[0]
            box = slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1)
            part = cv2.remap(picture, self.coords[box][..., 0], self.coords[box][..., 1],
                             code, borderMode=cv2.BORDER_REPLICATE)
            np.copyto(out[box], part, where=mask[box][..., None])
        return out

    def _from_border(self, inset: np.ndarray) -> np.ndarray:
        """Carried paint that lies nearer its picture's border than ``margin`` and than this
        pixel lies to the frame's: ``(H, W)`` bool.

        A pixel at the frame's border can get nothing better (a fresh picture is bent there
        too), so only paint that has moved inwards counts; half a pixel of slack keeps a
        still camera's border, whose flow jitters, from being repainted every frame.

        Args:
            inset: ``(H, W)``, the distance of each pixel's paint from the border of the
                picture it first came from (the origins' fourth channel, drawn).
        """
        if not self.margin:
            return np.zeros(self.source.shape, bool)
        height, width = self.source.shape
        here = np.minimum(self.margin, border_distance(self.grid, height, width))
        # Where the paint's place left its picture, the distance goes below 0.
        inset = np.minimum(inset, border_distance(self.coords, height, width))
        return inset < here - 0.5

    def _changed(self, painted: np.ndarray, frame: np.ndarray | None) -> np.ndarray:
        """Where ``painted``, the frames the paint came from at the paint's place (the
        origins' first 3 channels, drawn), differ from ``frame`` by more than ``tolerance``:
        ``(H, W)`` bool (none without a frame, or while some paint's frame is unknown)."""
        if (frame is None or self.tolerance is None
                or not set(np.unique(self.source).tolist()) <= self._framed):
            return np.zeros(self.source.shape, bool)
        cv2 = require("cv2")
        difference = np.abs(_unit(frame) - painted).mean(axis=-1)
        return cv2.GaussianBlur(difference, (0, 0), 1.0) > self.tolerance

    def _add(self, picture: np.ndarray, where: np.ndarray, frame: np.ndarray | None = None,
             inset: np.ndarray | None = None) -> None:
        """``picture`` (the painting of ``frame``, if known) paints the pixels ``where``, at
        their own place; ``inset``: the distance of its pixels' paint from the border of the
        picture it first came from (default: of ``picture``)."""
        if not where.any():
            return
        index, self._next = self._next, self._next + 1
        self.sources[index] = picture.astype(np.float32, copy=False)
        height, width = where.shape
        if inset is None:
            inset = border_distance(self.grid, height, width)
        known = frame is not None
        colours = _unit(frame) if frame is not None else np.zeros((height, width, 3), np.float32)
        self.origins[index] = np.dstack([colours, inset]).astype(np.float32)
        if known:
            self._framed.add(index)
        self.source[where] = index
        self.coords[where] = self.grid[where]

    def _forget(self) -> None:
        """Drop pictures no pixel uses; flatten the least used when too many are left."""
        used, counts = np.unique(self.source, return_counts=True)
        self._keep_only(set(used.tolist()))
        if len(used) <= self.max_sources:
            return
        flat, origins = self.draw(), self._draw(self.origins, "linear")
        framed = set(used.tolist()) <= self._framed
        least = used[np.argsort(counts)[: len(used) - self.max_sources + 1]]
        self._add(flat, np.isin(self.source, least), origins[..., :3] if framed else None,
                  origins[..., 3])
        self._keep_only(set(self.sources) - set(least.tolist()))

    def _keep_only(self, indices: set[int]) -> None:
        self.sources = {i: p for i, p in self.sources.items() if i in indices}
        self.origins = {i: p for i, p in self.origins.items() if i in indices}
        self._framed &= indices


def _unit(frame: np.ndarray) -> np.ndarray:
    """A frame as float32 in [0, 1] (uint8 is divided by 255)."""
    if frame.dtype == np.uint8:
        return frame.astype(np.float32) / 255.0
    return frame.astype(np.float32, copy=False)
