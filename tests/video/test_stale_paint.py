"""Stale paint (issue 24): what enters in a pan and what a moving thing uncovers or leaves
behind is painted from the fresh frame, not stretched or dragged from the previous output."""

from __future__ import annotations

import numpy as np
from video_clips import pan_frames, texture

import stylekit
from stylekit.video import VideoConfig, stylize_frames
from stylekit.video.canvas import StrokeCanvas
from stylekit.video.consistency import masked_mse
from stylekit.video.flow import FlowEstimator
from stylekit.video.warp import border_distance, inside, sample_grid


def _fast() -> stylekit.Stylizer:
    return stylekit.create_stylizer("fast", model="starry_night")


def test_a_pan_paints_the_entering_band_fresh() -> None:
    """A pan 2 px a frame to the right (new content on the left): the band of border_margin
    px at the entering edge is each frame's own painting; before, all but the 2 columns
    whose flow left the frame carried the previous output's border strokes."""
    frames = pan_frames(6, height=64, width=96, step=2)
    done = list(stylize_frames(frames, _fast()))
    margin = int(VideoConfig().border_margin)
    for f in done[1:]:
        np.testing.assert_allclose(f.output[8:-8, :margin], f.alone[8:-8, :margin], atol=1e-6)
        # further in, strokes are carried (the pan is not painted anew)
        assert np.mean(np.abs(f.output - f.alone)[8:-8, margin + 6:-8] > 1e-3) > 0.5


def test_carried_paint_comes_from_inside_its_picture() -> None:
    """Each frame's picture is its own distance from the border, so the canvas shows where
    its paint came from. Over a pan, paint that has moved inwards comes from at least
    ``margin`` px inside its picture; without the margin, from its picture's last columns."""
    height, width, margin = 40, 60, 6.0
    inset = border_distance(np.stack(sample_grid(np.zeros((height, width, 2), np.float32)),
                                     axis=-1), height, width)
    picture = np.repeat((inset / 100.0)[..., None], 3, axis=-1).astype(np.float32)
    back = np.zeros((height, width, 2), np.float32)
    back[..., 0] = 1.5  # the scene moves left 1.5 px a frame: new columns on the right
    keep = np.ones((height, width), bool)
    keep[:, -2:] = False
    for margin_used, expect_inside in ((margin, True), (0.0, False)):
        canvas = StrokeCanvas(margin=margin_used)
        canvas.paint(picture)
        for _ in range(12):
            out = canvas.carry(picture, back, keep)
        came_in = (slice(10, -10), slice(width - 16, width - 8))  # 8..16 px from the edge
        lowest = float(out[came_in][..., 0].min() * 100)
        assert (lowest >= margin - 1.0) == expect_inside, lowest


def test_a_picture_whose_pixels_all_left_the_frame_is_no_trouble() -> None:
    """A strip comes in on the left, then the scene moves 10 px left: no pixel shows the
    strip's picture when the canvas looks for stale paint (it used to fail there)."""
    rng = np.random.default_rng(0)
    canvas = StrokeCanvas(margin=6.0, tolerance=0.1)
    frame = texture(32, 48, seed=5)
    canvas.paint(rng.random((32, 48, 3)).astype(np.float32), frame)
    for shift in (-1.5, 10.0):
        back = np.zeros((32, 48, 2), np.float32)
        back[..., 0] = shift
        keep = inside(back)
        out = canvas.carry(rng.random((32, 48, 3)).astype(np.float32), back, keep, frame)
        assert out.shape == (32, 48, 3) and canvas.painted[~keep].all()


def test_paint_whose_frame_no_longer_matches_is_painted_anew() -> None:
    """A flow that missed a motion (here: none at all while a dark square moved 4 px right)
    carries paint that belongs elsewhere; with ``tolerance`` the canvas repaints where the
    frame the paint came from differs from this one, as far as it differs."""
    scene = np.full((32, 48, 3), 200, np.uint8)
    before, after = scene.copy(), scene.copy()
    before[8:24, 10:26] = 20
    after[8:24, 14:30] = 20
    old_paint, new_paint = np.zeros((32, 48, 3), np.float32), np.ones((32, 48, 3), np.float32)
    still, keep = np.zeros((32, 48, 2), np.float32), np.ones((32, 48), bool)
    for tolerance, expect_new in ((0.1, True), (None, False)):
        canvas = StrokeCanvas(tolerance=tolerance)
        canvas.paint(old_paint, before)
        out = canvas.carry(new_paint, still, keep, after)
        moved = (slice(10, 22), slice(26, 30))  # covered now, not before: stale
        assert bool((out[moved] > 0.99).all()) == expect_new
        assert (out[10:22, 16:24] < 0.01).all()  # covered before and now: kept
        assert (out[:, 36:] < 0.01).all()  # far from it: kept


def test_the_outline_of_a_moving_square_is_not_stale_paint() -> None:
    """A textured square moving 3 px a frame over a still texture: around its outline and
    where it was in the last 3 frames, the output is near each frame's own painting (it was
    the previous output dragged along: about 10 times further from it); far away, carried."""
    height, width, side, step = 64, 96, 24, 3
    ground, thing = texture(height, width, seed=1), texture(side, side, seed=2) // 2 + 128
    frames, masks = [], []
    for t in range(8):
        frame, mask = ground.copy(), np.zeros((height, width), bool)
        left = 12 + step * t
        frame[20:20 + side, left:left + side] = thing
        mask[20:20 + side, left:left + side] = True
        frames.append(frame)
        masks.append(mask)
    done = list(stylize_frames(frames, _fast()))
    near, far = [], []
    for f in done[2:]:
        t = f.index
        outline = _grow(masks[t], 2) & ~_shrink(masks[t], 2)
        left_behind = np.any(masks[t - 3:t], axis=0) & ~masks[t]
        near.append(masked_mse(f.output, f.alone, outline | left_behind))
        far.append(float(np.mean(np.abs(f.output - f.alone)[:, 80:] > 1e-3)))
    assert np.mean(near) < 0.0025, near
    assert min(far) > 0.5  # the still background is carried, not painted anew


def test_a_zoom_marks_no_motion_boundaries_in_the_middle() -> None:
    """Ruder's boundary test on the flow's change fires on a steady 5% zoom near its centre
    (a quarter of the middle, painted anew each frame: a flicker); on the change less its
    blur it does not."""
    from stylekit.video.examples import moving_window

    photo = stylekit.load_image(stylekit.examples.example_path("coffee"))
    frames = list(moving_window(photo, (160, 120), 2, 1.05, (0.0, 0.0)))
    motion = FlowEstimator("medium").motion(*frames)
    assert (~motion.reliable[40:80, 50:110]).mean() < 0.15


def _grow(mask: np.ndarray, radius: int) -> np.ndarray:
    import cv2

    return cv2.dilate(mask.astype(np.uint8), np.ones((2 * radius + 1,) * 2, np.uint8)) > 0


def _shrink(mask: np.ndarray, radius: int) -> np.ndarray:
    import cv2

    return cv2.erode(mask.astype(np.uint8), np.ones((2 * radius + 1,) * 2, np.uint8)) > 0
