"""Short synthetic clips, written with PyAV: a textured picture panning at a known speed."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

av = pytest.importorskip("av", reason="the video extra is not installed")
cv2 = pytest.importorskip("cv2", reason="the video extra is not installed")

def texture(height: int, width: int, seed: int = 0) -> np.ndarray:
    """A smooth random RGB texture (DIS needs something to track)."""
    rng = np.random.default_rng(seed)
    noise = (rng.random((height, width, 3)) * 255).astype(np.uint8)
    return cv2.GaussianBlur(noise, (0, 0), 2.0)


def affine_flow(height: int, width: int, scale: float, degrees: float = 0.0) -> np.ndarray:
    """The backward flow of a zoom by ``scale`` and a turn about the frame's centre."""
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    x, y = xs - width / 2, ys - height / 2
    c, s = np.cos(np.radians(degrees)) / scale, np.sin(np.radians(degrees)) / scale
    return np.stack([c * x - s * y - x, s * x + c * y - y], axis=-1).astype(np.float32)


def pan_frames(count: int, height: int = 64, width: int = 96, step: int = 2) -> list[np.ndarray]:
    """Frames of a window moving ``step`` px right per frame over a wider texture."""
    scene = texture(height, width + step * count)
    return [np.ascontiguousarray(scene[:, step * (count - t): step * (count - t) + width])
            for t in range(count)]


def write_clip(path: Path, frames: list[np.ndarray], fps: int = 12,
               audio: str | None = None) -> Path:
    """Write ``frames`` (H.264) and, if ``audio`` names a codec, a 440 Hz tone as long as the
    video, to ``path`` (the container from the file name)."""
    with av.open(str(path), "w") as container:
        video = container.add_stream("libx264", rate=fps)
        video.height, video.width = frames[0].shape[:2]
        video.pix_fmt = "yuv420p"
        sound = container.add_stream(audio, rate=8000, layout="mono") if audio else None
        for index, frame in enumerate(frames):
            out = av.VideoFrame.from_ndarray(frame, format="rgb24")
            out.pts = index
            container.mux(video.encode(out))
        container.mux(video.encode())
        if sound is not None:
            samples = 8000 * len(frames) // fps
            tone = (np.sin(np.arange(samples) * 2 * np.pi * 440 / 8000) * 8000).astype(np.int16)
            chunk = 1024 if audio != "aac" else sound.codec_context.frame_size
            for start in range(0, samples, chunk):
                piece = av.AudioFrame.from_ndarray(tone[None, start:start + chunk],
                                                   format="s16", layout="mono")
                piece.sample_rate, piece.pts = 8000, start
                container.mux(sound.encode(piece))
            container.mux(sound.encode())
    return path
