"""Warping, reliability, blending and the warping error on flows with exact answers."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from video_clips import affine_flow, pan_frames, texture

from stylekit.video.consistency import TemporalLoss, blend, magnification, warping_error
from stylekit.video.flow import (
    BOUNDARY_SMOOTH,
    FlowEstimator,
    consistent_pixels,
    motion_boundaries,
    reliable_pixels,
)
from stylekit.video.warp import inside, warp


def uniform(height: int, width: int, dx: float, dy: float) -> np.ndarray:
    flow = np.zeros((height, width, 2), np.float32)
    flow[..., 0], flow[..., 1] = dx, dy
    return flow


@pytest.mark.parametrize("interpolation", ["linear", "cubic", "lanczos"])
def test_integer_shift_is_exact(interpolation: str) -> None:
    image = texture(40, 50).astype(np.float32) / 255
    moved = warp(image, uniform(40, 50, 3, -2), interpolation)
    # out(y, x) = image(y - 2, x + 3) wherever that is inside
    np.testing.assert_allclose(moved[2:, :-3], image[:-2, 3:], atol=1e-6)
    # outside, the nearest edge pixel
    np.testing.assert_allclose(moved[0, :-3], image[0, 3:], atol=1e-6)


def test_inside_marks_exactly_what_leaves_the_frame() -> None:
    mask = inside(uniform(10, 12, -3, 2))
    expected = np.zeros((10, 12), bool)
    expected[:8, 3:] = True
    np.testing.assert_array_equal(mask, expected)
    assert inside(uniform(10, 12, 0.5, 0)).sum() == 10 * 11  # x + 0.5 > 11 on the last column


def test_uniform_motion_is_reliable_except_where_it_came_in() -> None:
    backward = uniform(30, 40, -4, 0)  # the scene moved 4 px right: columns 0..3 are new
    reliable = reliable_pixels(backward, -backward)
    expected = np.ones((30, 40), bool)
    expected[:, :4] = False
    np.testing.assert_array_equal(reliable, expected)


def test_a_moving_square_marks_the_uncovered_background_and_its_edges() -> None:
    """A 10x10 square moves 5 px right over a still background, with the true flows."""
    height, width, step = 40, 60, 5
    top, left = 15, 20  # square in frame t-1 at rows 15..24, columns 20..29; at t, 25..34
    backward = np.zeros((height, width, 2), np.float32)
    backward[top:top + 10, left + step:left + step + 10, 0] = -step
    forward = np.zeros((height, width, 2), np.float32)
    forward[top:top + 10, left:left + 10, 0] = step
    reliable = reliable_pixels(backward, forward)
    # uncovered: where the square was and the background now shows, columns 20..24
    assert not reliable[top:top + 10, left:left + step].any()
    # the square's interior and the background far from it are trusted
    assert reliable[top + 2:top + 8, left + step + 2:left + step + 8].all()
    assert reliable[:top - 2].all() and reliable[top + 12:].all()
    # the square's left and right edges are motion boundaries
    assert not reliable[top + 5, left + step - 1:left + step + 1].any()
    assert not reliable[top + 5, left + step + 9:left + step + 11].any()
    # the right edge is a boundary whose flow holds (an edge: half carried); where the
    # background was uncovered nothing holds
    edges = consistent_pixels(backward, forward) & motion_boundaries(backward)
    assert edges[top + 5, left + step + 9:left + step + 11].all()
    assert not edges[top + 2:top + 8, left:left + step - 1].any()


def test_inconsistent_flows_are_not_trusted() -> None:
    backward = uniform(20, 20, -2, 0)
    assert not reliable_pixels(backward, uniform(20, 20, 0, 2)).any()  # forward disagrees


def test_dis_recovers_a_known_motion_and_trusts_it() -> None:
    """The real estimator on a panning texture: the flow back is -2 px, reliable inside."""
    previous, current = pan_frames(2, height=80, width=120, step=2)
    motion = FlowEstimator("medium").motion(previous, current)
    core = (slice(8, -8), slice(8, -8))
    assert abs(float(np.median(motion.backward[core][..., 0])) + 2) < 0.1
    assert abs(float(np.median(motion.backward[core][..., 1]))) < 0.1
    assert motion.reliable[core].mean() > 0.95
    assert not motion.reliable[:, :2].any()  # the 2 new columns on the left
    boundaries = motion_boundaries(motion.backward, BOUNDARY_SMOOTH)
    assert not (boundaries & motion.reliable).any()


def test_blend() -> None:
    current = np.full((2, 3, 3), 0.8, np.float32)
    warped = np.full((2, 3, 3), 0.2, np.float32)
    reliable = np.array([[True, False, True], [False, False, True]])
    out = blend(current, warped, reliable, 0.5)
    np.testing.assert_allclose(out[..., 0], np.where(reliable, 0.5, 0.8), atol=1e-6)
    np.testing.assert_array_equal(blend(current, warped, reliable, 0.0), current)
    np.testing.assert_allclose(blend(current, warped, reliable, 1.0)[..., 1],
                               np.where(reliable, 0.2, 0.8), atol=1e-6)


def test_warping_error_is_zero_along_the_true_flow_and_counts_only_reliable_pixels() -> None:
    frames = [f.astype(np.float32) / 255 for f in pan_frames(2, height=30, width=40, step=3)]
    backward = uniform(30, 40, -3, 0)
    reliable = inside(backward)
    assert warping_error(frames[1], frames[0], backward, reliable) < 1e-10
    # without the flow the pan shows up as error
    still = np.zeros_like(backward)
    assert warping_error(frames[1], frames[0], still, np.ones((30, 40), bool)) > 1e-3
    # a change in unreliable pixels does not count; in reliable ones, exactly its square
    changed = frames[1].copy()
    changed[:, :3] = 1.0
    assert warping_error(changed, frames[0], backward, reliable) < 1e-10
    changed[:, 10:20] += 0.1
    assert warping_error(changed, frames[0], backward, reliable) == pytest.approx(
        0.01 * 10 / 37, rel=1e-4)
    assert np.isnan(warping_error(changed, frames[0], backward, np.zeros((30, 40), bool)))


def test_temporal_loss_pulls_only_reliable_pixels_towards_the_target() -> None:
    target = torch.zeros(1, 3, 8, 8)
    reliable = torch.zeros(1, 1, 8, 8)
    reliable[..., :4] = 1
    x = torch.full((1, 3, 8, 8), 0.5, requires_grad=True)
    loss = TemporalLoss(target, reliable, weight=10.0)(x)
    assert float(loss.detach()) == pytest.approx(10 * 0.25 / 2)
    loss.backward()
    assert x.grad is not None
    assert (x.grad[..., :4] > 0).all() and (x.grad[..., 4:] == 0).all()


def test_a_cut_or_a_light_is_not_carried_over() -> None:
    """Flow is consistent on a black frame, yet what follows it must be painted anew."""
    black = np.zeros((40, 60, 3), np.uint8)
    scene = texture(40, 60)
    motion = FlowEstimator("medium").motion(black, scene)
    assert motion.reliable.mean() < 0.05
    brighter = np.clip(scene.astype(int) + 60, 0, 255).astype(np.uint8)
    assert not FlowEstimator("medium").motion(scene, brighter).reliable.any()
    assert FlowEstimator("medium").motion(scene, scene).reliable.all()


@pytest.mark.parametrize(("scale", "degrees"), [(1.0, 0.0), (1.05, 0.0), (0.9, 0.0),
                                                (1.0, 3.0), (1.02, -2.0)])
def test_magnification_of_a_zoom_is_the_zoom_everywhere(scale: float, degrees: float) -> None:
    """A turn changes no stroke's size; a zoom by s makes every stroke s times larger, up to
    the frame's edges (the blur of the area must not bend it there)."""
    factor = magnification(affine_flow(40, 60, scale, degrees))
    np.testing.assert_allclose(factor, scale, rtol=1e-4)


def test_magnification_of_a_pan_is_one_and_noise_is_smoothed() -> None:
    flow = np.zeros((50, 50, 2), np.float32)
    flow[..., 0] = 3.0
    assert np.allclose(magnification(flow), 1.0)
    noisy = flow + np.random.default_rng(0).normal(0, 0.2, flow.shape).astype(np.float32)
    assert abs(float(np.log(magnification(noisy)).mean())) < 0.01
    assert float(np.abs(np.log(magnification(noisy))).max()) < 0.1
