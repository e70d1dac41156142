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
               audio: str | None = None, *, start: float = 0.0, audio_start: float | None = None,
               video: str = "libx264", container_format: str | None = None) -> Path:
    """Write ``frames`` (H.264, or the ``video`` codec) and, if ``audio`` names a codec, a
    440 Hz tone as long as the video, to ``path`` (the container from the file name, or
    ``container_format``). The video starts at ``start`` seconds of the file's clock and the
    audio at ``audio_start`` (default: the same), as in a clip cut from a longer one."""
    audio_start = start if audio_start is None else audio_start
    with av.open(str(path), "w", format=container_format) as container:
        picture = container.add_stream(video, rate=fps)
        picture.height, picture.width = frames[0].shape[:2]
        picture.pix_fmt = "yuv420p"
        rate = 8000 if audio in ("aac", "pcm_s16le") else 48000  # mp2 and ac3 need 32 kHz+
        sound = container.add_stream(audio, rate=rate, layout="mono") if audio else None

        def mux(packets: list[av.Packet], seconds: float) -> None:
            """Packets encoded from time 0, moved to ``seconds`` on the file's clock."""
            for packet in packets:
                shift = round(seconds / packet.time_base)
                packet.pts = None if packet.pts is None else packet.pts + shift
                packet.dts = None if packet.dts is None else packet.dts + shift
                container.mux(packet)

        for index, frame in enumerate(frames):
            out = av.VideoFrame.from_ndarray(frame, format="rgb24")
            out.pts = index
            mux(picture.encode(out), start)
        mux(picture.encode(), start)
        if sound is not None:
            samples = rate * len(frames) // fps
            tone = (np.sin(np.arange(samples) * 2 * np.pi * 440 / rate) * 8000).astype(np.int16)
            chunk = sound.codec_context.frame_size or 1024
            for first in range(0, samples, chunk):
                piece = av.AudioFrame.from_ndarray(tone[None, first:first + chunk],
                                                   format="s16", layout="mono")
                piece.sample_rate, piece.pts = rate, first
                mux(sound.encode(piece), audio_start)
            mux(sound.encode(), audio_start)
    return path
