"""Strokes carried along the flow and resampled once, so that they stay sharp.

Warping the previous output into each new frame resamples every carried stroke once per
frame: over a rotation or any motion by fractions of a pixel the strokes soften a little
more every time (bench/video.py: The Starry Night's style distance 1.12 times frame by frame
after 16 frames of a slow turn, even with Lanczos). A :class:`StrokeCanvas` instead remembers,
for each pixel, which frame painted it and where in that frame's picture, follows that
position along the flow, and resamples the picture once when the frame is drawn.
"""

from __future__ import annotations

import numpy as np

from .deps import require
from .warp import sample_grid

#: Pictures a canvas keeps at most; beyond, the least used are drawn into one picture.
MAX_SOURCES = 8


class StrokeCanvas:
    """The output of a one-pass method as strokes that move with the scene.

    Args:
        max_sources: pictures kept at most (each is a frame's ``(H, W, 3)`` float32 picture);
            when more are in use the least used are flattened into one, which resamples their
            pixels once more.

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

    def __init__(self, max_sources: int = MAX_SOURCES) -> None:
        if max_sources < 2:
            raise ValueError("a canvas needs at least 2 pictures (the old and the new)")
        self.max_sources = max_sources
        self.sources: dict[int, np.ndarray] = {}
        self.source = np.zeros((0, 0), np.int32)  # which picture each pixel comes from
        self.coords = np.zeros((0, 0, 2), np.float32)  # where in it (x, y)
        self.grid = np.zeros((0, 0, 2), np.float32)  # each pixel's own place (x, y)
        self._next = 0

    def paint(self, picture: np.ndarray) -> np.ndarray:
        """Start again from ``picture`` (float32 ``(H, W, 3)``); returns it."""
        height, width = picture.shape[:2]
        self.sources = {}
        self.source = np.zeros((height, width), np.int32)
        self.grid = np.stack(sample_grid(np.zeros((height, width, 2), np.float32)), axis=-1)
        self.coords = self.grid.copy()
        self._add(picture, np.ones((height, width), bool))
        return self.draw()

    def carry(self, picture: np.ndarray, backward: np.ndarray, keep: np.ndarray) -> np.ndarray:
        """The next frame: where ``keep``, the strokes of the previous frame moved along
        ``backward`` (flow from this frame to the previous one); elsewhere ``picture``.

        Args:
            picture: this frame painted on its own, float32 ``(H, W, 3)`` in [0, 1].
            backward: flow ``(H, W, 2)`` to the previous frame, in pixels.
            keep: ``(H, W)`` bool, the pixels that carry strokes over.

        Returns:
            The frame, float32 ``(H, W, 3)`` in [0, 1].
        """
        if self.source.shape != picture.shape[:2]:
            return self.paint(picture)
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
        self._add(picture, ~keep)
        self._forget()
        return self.draw()

    def draw(self) -> np.ndarray:
        """The frame: each pixel resampled (Lanczos) from its picture."""
        cv2 = require("cv2")
        out = np.zeros((*self.source.shape, 3), np.float32)
        for index, picture in self.sources.items():
            mask = self.source == index
            rows, cols = np.nonzero(mask.any(axis=1))[0], np.nonzero(mask.any(axis=0))[0]
            box = slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1)
            part = cv2.remap(picture, self.coords[box][..., 0], self.coords[box][..., 1],
                             cv2.INTER_LANCZOS4, borderMode=cv2.BORDER_REPLICATE)
            np.copyto(out[box], part, where=mask[box][..., None])
        return out.clip(0.0, 1.0)

    def _add(self, picture: np.ndarray, where: np.ndarray) -> None:
        """``picture`` paints the pixels ``where``, at their own place."""
        if not where.any():
            return
        index, self._next = self._next, self._next + 1
        self.sources[index] = picture.astype(np.float32, copy=False)
        self.source[where] = index
        self.coords[where] = self.grid[where]

    def _forget(self) -> None:
        """Drop pictures no pixel uses; flatten the least used when too many are left."""
        used, counts = np.unique(self.source, return_counts=True)
        self.sources = {i: self.sources[i] for i in used.tolist()}
        if len(used) <= self.max_sources:
            return
        flat = self.draw()
        least = used[np.argsort(counts)[: len(used) - self.max_sources + 1]]
        self._add(flat, np.isin(self.source, least))
        self.sources = {i: p for i, p in self.sources.items() if i not in set(least.tolist())}

