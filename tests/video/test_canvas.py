"""StrokeCanvas: strokes follow the flow and are resampled once."""

from __future__ import annotations

import numpy as np
import pytest
from video_clips import affine_flow, texture

from stylekit.video.canvas import StrokeCanvas
from stylekit.video.consistency import masked_mse
from stylekit.video.warp import inside, warp


def sharp_picture(height: int = 64, width: int = 80) -> np.ndarray:
    """Fine strokes: a texture with most of its energy near the pixel scale."""
    return texture(height, width, seed=3).astype(np.float32) / 255.0 * 0.5 + np.random.default_rng(
        4).random((height, width, 3)).astype(np.float32) * 0.5


def test_a_slow_turn_stays_as_sharp_as_one_resampling() -> None:
    """Eight turns of 1 degree: the canvas equals the picture turned 8 degrees at once,
    while warping the previous output each time blurs it."""
    picture = sharp_picture()
    step = affine_flow(64, 80, 1.0, 1.0)
    canvas, warped = StrokeCanvas(), picture
    canvas.paint(picture)
    keep = np.ones((64, 80), bool)
    for _ in range(8):
        out = canvas.carry(np.zeros_like(picture), step, keep)
        warped = warp(warped, step, "lanczos").clip(0, 1)
    once = warp(picture, affine_flow(64, 80, 1.0, 8.0), "lanczos").clip(0, 1)
    middle = np.zeros((64, 80), bool)
    middle[16:48, 20:60] = True
    assert masked_mse(out, once, middle) < 1e-4
    assert masked_mse(warped, once, middle) > 10 * masked_mse(out, once, middle)
    assert out[middle].std() == pytest.approx(once[middle].std(), rel=0.02)


def test_new_pixels_come_from_the_new_picture_and_seams_mix_nothing() -> None:
    """A pan of 1.5 px a frame: what comes in is the new frame's; every other pixel is the
    first picture's at its place, never an average of two pictures."""
    first = sharp_picture()
    canvas = StrokeCanvas()
    canvas.paint(first)
    back = np.zeros((64, 80, 2), np.float32)
    back[..., 0] = -1.5
    keep = inside(back)
    new = np.full_like(first, 0.5)
    out = canvas.carry(new, back, keep)
    np.testing.assert_allclose(out[~keep], 0.5)
    out = canvas.carry(new, back, keep)
    # after 3 px, columns 4.. are the first picture's columns 1.. exactly
    np.testing.assert_allclose(out[:, 4:], first[:, 1:77], atol=1e-5)
    assert set(np.unique(canvas.source).tolist()) <= {0, 1, 2}


def test_pictures_are_bounded_and_flattening_changes_nothing() -> None:
    """A new strip every frame would keep a picture per frame; beyond max_sources the least
    used are drawn into one, and the frame looks the same."""
    canvas = StrokeCanvas(max_sources=3)
    rng = np.random.default_rng(0)
    canvas.paint(sharp_picture())
    back = np.zeros((64, 80, 2), np.float32)
    back[..., 0] = -2.0
    keep = inside(back)
    for _ in range(6):
        before = warp(canvas.draw(), back, "linear")  # integer shift: exact
        out = canvas.carry(rng.random((64, 80, 3)).astype(np.float32), back, keep)
        assert len(canvas.sources) <= 3
        np.testing.assert_allclose(out[keep], before[keep], atol=1e-5)


def test_a_new_size_starts_again() -> None:
    canvas = StrokeCanvas()
    canvas.paint(np.zeros((8, 8, 3), np.float32))
    bigger = np.ones((10, 12, 3), np.float32)
    out = canvas.carry(bigger, np.zeros((10, 12, 2), np.float32), np.ones((10, 12), bool))
    np.testing.assert_allclose(out, 1.0)
    with pytest.raises(ValueError, match="at least 2"):
        StrokeCanvas(max_sources=1)
