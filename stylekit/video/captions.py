"""Captions burned into video frames, so a downloaded side-by-side clip explains itself: each
half says what it shows in plain words, whatever player shows it."""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
from PIL import Image, ImageDraw, ImageFont

#: The two halves of a side-by-side video (``side_by_side``): the method on each frame alone
#: (left), and each frame tied to the one before along the optical flow (right).
ALONE_CAPTION = "each frame alone"
FLOW_CAPTION = "along the flow"
#: Font height as a share of the frame's height, and the smallest font (in pixels).
CAPTION_SCALE, MIN_FONT = 1 / 14, 9
#: How dark the band behind the text is (0: invisible, 1: black).
BAND_OPACITY = 0.6


@lru_cache(maxsize=16)
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def _bbox(font: ImageFont.FreeTypeFont | ImageFont.ImageFont, text: str
          ) -> tuple[int, int, int, int]:
    left, top, right, bottom = font.getbbox(text)
    return math.floor(left), math.floor(top), math.ceil(right), math.ceil(bottom)


def _layout(height: int, width: int, text: str
            ) -> tuple[ImageFont.FreeTypeFont | ImageFont.ImageFont, tuple[int, int, int, int],
                       tuple[int, int]]:
    """The font, the band ``(left, top, right, bottom)`` and where the text starts."""
    size = max(MIN_FONT, round(height * CAPTION_SCALE))
    font = _font(size)
    left, top, right, bottom = _bbox(font, text)
    while right - left > 0.9 * width and size > MIN_FONT:  # a long caption on a narrow half
        size -= 1
        font = _font(size)
        left, top, right, bottom = _bbox(font, text)
    pad = max(2, size // 3)
    band = (0, 0, min(width, right - left + 2 * pad), min(height, bottom - top + 2 * pad))
    return font, band, (pad - left, pad - top)


def caption_box(height: int, width: int, text: str) -> tuple[int, int, int, int]:
    """Where :func:`burn_caption` draws on a frame of this size: its top-left corner.

    Args:
        height: the frame's height in pixels.
        width: the frame's width in pixels.
        text: the caption.

    Returns:
        ``(left, top, right, bottom)`` in pixels, right and bottom excluded; nothing outside
        it changes.

    Example:
        >>> left, top, right, bottom = caption_box(160, 256, "along the flow")
        >>> (left, top), 0 < right <= 256, 0 < bottom < 40
        ((0, 0), True, True)
    """
    return _layout(height, width, text)[1]


def burn_caption(frame: np.ndarray, text: str) -> np.ndarray:
    """``frame`` with ``text`` written into its top-left corner, in white on a dark
    translucent band, with Pillow's default font at a size scaled to the frame's height
    (a 14th of it; smaller if the text would not fit the width).

    Args:
        frame: an RGB uint8 array ``(H, W, 3)``; it is not changed.
        text: the caption, a few plain words.

    Returns:
        A new RGB uint8 array of the same shape, equal to ``frame`` outside
        :func:`caption_box`.

    Example:
        >>> grey = np.full((160, 256, 3), 128, np.uint8)
        >>> labelled = burn_caption(grey, "each frame alone")
        >>> left, top, right, bottom = caption_box(160, 256, "each frame alone")
        >>> bool((labelled[top:bottom, left:right] != 128).any())
        True
        >>> bool((labelled[bottom:] == 128).all() and (labelled[:, right:] == 128).all())
        True
    """
    if frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8:
        raise ValueError(f"a caption goes on an RGB uint8 frame (H, W, 3), not a "
                         f"{frame.dtype} array of shape {frame.shape}")
    height, width = frame.shape[:2]
    font, (left, top, right, bottom), origin = _layout(height, width, text)
    out = frame.copy()
    region = Image.fromarray(out[top:bottom, left:right])
    dark = Image.new("RGB", region.size, (0, 0, 0))
    region = Image.blend(region, dark, BAND_OPACITY)
    ImageDraw.Draw(region).text(origin, text, fill=(255, 255, 255), font=font)
    out[top:bottom, left:right] = np.asarray(region)
    return out


def side_by_side(left: np.ndarray, right: np.ndarray, left_caption: str = ALONE_CAPTION,
                 right_caption: str = FLOW_CAPTION) -> np.ndarray:
    """Two frames of one size next to each other, each with its caption burned in.

    Args:
        left: RGB uint8 ``(H, W, 3)``, shown on the left.
        right: RGB uint8 of the same shape, shown on the right.
        left_caption: what the left half shows.
        right_caption: what the right half shows.

    Returns:
        An RGB uint8 array ``(H, 2 W, 3)``.

    Example:
        >>> half = np.zeros((64, 96, 3), np.uint8)
        >>> side_by_side(half, half).shape
        (64, 192, 3)
    """
    return np.concatenate([burn_caption(left, left_caption),
                           burn_caption(right, right_caption)], axis=1)
