"""Fixtures of the video tests (skipped without the video extra)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

REAL_CLIPS = Path("/usr/share/doc/opencv-doc/examples/data")

if importlib.util.find_spec("av") is None or importlib.util.find_spec("cv2") is None:
    # Without the video extra (pip install ".[video]") this folder is not collected.
    collect_ignore_glob = ["*.py"]


@pytest.fixture()
def pan_clip(tmp_path: Path) -> Path:
    """Six 96x64 frames panning 2 px a frame at 12 fps, with a PCM tone, in Matroska."""
    from video_clips import pan_frames, write_clip

    return write_clip(tmp_path / "pan.mkv", pan_frames(6), audio="pcm_s16le")


@pytest.fixture()
def real_clip() -> Path:
    """Megamind.avi from Debian's opencv-doc (video and AC-3 audio), or skip."""
    path = REAL_CLIPS / "Megamind.avi"
    if not path.is_file():
        pytest.skip("opencv-doc's example clips are not installed (apt-get install opencv-doc)")
    return path
