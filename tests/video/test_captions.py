"""Captions burned into side-by-side video frames."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import stylekit
from stylekit.video import read_frames, stylize_frames
from stylekit.video.captions import (
    ALONE_CAPTION,
    FLOW_CAPTION,
    burn_caption,
    caption_box,
    side_by_side,
)


def noisy_frame(height: int, width: int) -> np.ndarray:
    return np.random.default_rng(0).integers(0, 256, (height, width, 3), dtype=np.uint8)


@pytest.mark.parametrize("height, width", [(40, 64), (160, 256), (512, 768)])
def test_the_caption_changes_its_box_and_nothing_else(height: int, width: int) -> None:
    frame = noisy_frame(height, width)
    before = frame.copy()
    labelled = burn_caption(frame, FLOW_CAPTION)
    assert np.array_equal(frame, before)  # the input is left alone
    left, top, right, bottom = caption_box(height, width, FLOW_CAPTION)
    outside = np.ones((height, width), bool)
    outside[top:bottom, left:right] = False
    assert np.array_equal(labelled[outside], frame[outside])
    box, plain = labelled[top:bottom, left:right], frame[top:bottom, left:right]
    assert (box != plain).mean() > 0.9  # the band darkens the whole box
    assert box.mean() < plain.mean()
    assert (box.max(axis=-1) > 200).sum() > 10  # and white text is written on it
    # small: a corner of the frame (all its width only on a thumbnail), yet tall enough to read
    assert bottom - top <= max(height / 5, 16)
    assert right - left < (0.95 * width if width >= 128 else width + 1)
    assert bottom - top >= min(height, 12)


def test_the_font_grows_with_the_frame() -> None:
    heights = [caption_box(h, 2 * h, ALONE_CAPTION)[3] for h in (80, 240, 720)]
    assert heights[0] < heights[1] < heights[2]


def test_a_caption_needs_an_rgb_frame() -> None:
    with pytest.raises(ValueError, match="RGB uint8"):
        burn_caption(np.zeros((32, 32), np.uint8), "x")


def test_each_half_carries_its_own_caption() -> None:
    left, right = noisy_frame(64, 96), noisy_frame(64, 96)[::-1].copy()
    both = side_by_side(left, right)
    assert np.array_equal(both[:, :96], burn_caption(left, ALONE_CAPTION))
    assert np.array_equal(both[:, 96:], burn_caption(right, FLOW_CAPTION))


def test_stylize_video_side_by_side_burns_the_captions(tmp_path: Path, pan_clip: Path) -> None:
    """The frames written are the two results with their captions: each half changed in its
    caption box only."""
    records: list[stylekit.video.VideoProgress] = []
    fast = stylekit.create_stylizer("fast", model="starry_night")
    stylekit.stylize_video(pan_clip, tmp_path / "out.mp4", fast, side_by_side=True,
                           max_frames=3, progress=records.append)
    frames = list(stylize_frames(list(read_frames(pan_clip))[:3], fast))
    last = frames[-1]
    to_uint8 = lambda a: np.rint(np.clip(a, 0, 1) * 255).astype(np.uint8)  # noqa: E731
    plain = np.concatenate([to_uint8(last.alone), to_uint8(last.output)], axis=1)
    written = records[-1].image
    left, top, right, bottom = caption_box(64, 96, ALONE_CAPTION)
    changed = (written != plain).any(axis=-1)
    assert changed[top:bottom, left:right].any()
    flow_box = caption_box(64, 96, FLOW_CAPTION)
    assert changed[flow_box[1]:flow_box[3], 96 + flow_box[0]:96 + flow_box[2]].any()
    changed[top:bottom, left:right] = False
    changed[flow_box[1]:flow_box[3], 96 + flow_box[0]:96 + flow_box[2]] = False
    assert not changed.any()
