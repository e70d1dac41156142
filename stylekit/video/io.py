"""Reading and writing video files with PyAV, frame by frame, audio copied.

Frames are RGB uint8 arrays ``(H, W, 3)``; only the current frame is held, so a long clip
needs no more memory than a short one. The output is H.264 (``yuv420p``, so even sides) in
MP4, MOV or Matroska; the input's audio is copied packet by packet when the container takes
its codec, re-encoded as AAC otherwise.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import StylekitError
from .deps import require

log = logging.getLogger(__name__)

#: Output file endings and their FFmpeg muxers.
OUTPUT_FORMATS = {".mp4": "mp4", ".mov": "mov", ".m4v": "mp4", ".mkv": "matroska"}
#: Audio codecs MP4 and MOV take as they are (Matroska takes any).
MP4_AUDIO = {"aac", "mp3", "ac3", "eac3", "alac", "opus", "flac"}
#: Frame rate assumed when a file does not state one.
DEFAULT_FPS = Fraction(25)


class VideoError(StylekitError, ValueError):
    """A video file cannot be used: missing, not a video, damaged, or a bad output name."""


@dataclass(frozen=True)
class VideoInfo:
    """What :func:`probe` learns about a video file.

    Attributes:
        width, height: frame size in pixels.
        fps: frames per second (exact, e.g. ``Fraction(30000, 1001)``).
        frames: the number of frames the file declares, or ``None`` when it does not.
        audio: the codec of the first audio stream, or ``None``.
    """

    width: int
    height: int
    fps: Fraction
    frames: int | None
    audio: str | None


def output_format(path: str | os.PathLike[str]) -> str:
    """The FFmpeg muxer for an output name.

    Args:
        path: the output file.

    Returns:
        The muxer's name; an unknown ending raises a :class:`VideoError` naming the usable ones.

    Example:
        >>> output_format("clip.mp4")
        'mp4'
    """
    suffix = Path(path).suffix.lower()
    if suffix not in OUTPUT_FORMATS:
        raise VideoError(f"cannot tell the video format of output {str(path)!r}; end its name "
                         f"with {', '.join(OUTPUT_FORMATS)}")
    return OUTPUT_FORMATS[suffix]


def open_input(path: str | os.PathLike[str]) -> Any:
    """Open a video file for reading, with a clear error when it is not there, not a video,
    or has no video stream.

    Args:
        path: the video file.

    Returns:
        The open PyAV input container (close it, or use it in a ``with`` block).
    """
    av = require("av")
    source = Path(path)
    if not source.is_file():
        raise VideoError(f"video file {str(source)!r} does not exist; check the path")
    try:
        container = av.open(str(source))
    except (av.FFmpegError, OSError, ValueError) as exc:
        raise VideoError(f"{str(source)!r} is not a video file FFmpeg can read ({exc}); "
                         "give an MP4, MOV, AVI, MKV or WebM file") from None
    if not container.streams.video:
        container.close()
        raise VideoError(f"{str(source)!r} has no video stream (only "
                         f"{', '.join(s.type for s in container.streams) or 'nothing'}); "
                         "give a file with pictures")
    return container


def _fps(stream: Any) -> Fraction:
    rate = stream.average_rate or stream.guessed_rate or stream.base_rate
    if not rate or rate <= 0:
        log.warning("the video does not state its frame rate; writing %s fps", DEFAULT_FPS)
        return DEFAULT_FPS
    return Fraction(rate)


def probe(path: str | os.PathLike[str]) -> VideoInfo:
    """Size, frame rate, frame count and audio codec of a video file.

    Args:
        path: the video file.

    Returns:
        A :class:`VideoInfo`.

    Example:
        >>> import tempfile, numpy as np
        >>> path = tempfile.mkdtemp() + "/grey.mp4"
        >>> write_video(path, (np.full((32, 48, 3), 128, np.uint8) for _ in range(3)), fps=10)
        3
        >>> info = probe(path); (info.width, info.height, info.fps, info.frames, info.audio)
        (48, 32, Fraction(10, 1), 3, None)
    """
    with open_input(path) as container:
        video = container.streams.video[0]
        audio = container.streams.audio[0].codec_context.name if container.streams.audio \
            else None
        return VideoInfo(video.codec_context.width, video.codec_context.height, _fps(video),
                         video.frames or None, audio)


def _decoded(container: Any, path: str, on_audio: Callable[[Any], None] | None
             ) -> Iterator[tuple[np.ndarray, Fraction | None]]:
    """RGB frames of the first video stream with their times in seconds (``None`` when the
    file gives none); audio packets go to ``on_audio``."""
    av = require("av")
    video = container.streams.video[0]
    video.thread_type = "AUTO"
    streams = [video] + ([container.streams.audio[0]]
                         if on_audio and container.streams.audio else [])
    count = 0
    try:
        for packet in container.demux(*streams):
            if packet.stream.type == "audio":
                if on_audio is not None and packet.dts is not None:
                    on_audio(packet)
                continue
            for frame in packet.decode():
                count += 1
                time = None if frame.pts is None or frame.time_base is None \
                    else frame.pts * Fraction(frame.time_base)
                yield frame.to_ndarray(format="rgb24"), time
    except (av.FFmpegError, OSError) as exc:
        raise VideoError(f"{path!r} is damaged after {count} frame(s) ({exc}); repair or "
                         "re-encode it (e.g. ffmpeg -i IN -c:v libx264 OUT.mp4)") from None
    if count == 0:
        raise VideoError(f"no frame could be decoded from {path!r}; the file is empty or "
                         "damaged")


def read_frames(path: str | os.PathLike[str], max_frames: int | None = None
                ) -> Iterator[np.ndarray]:
    """The frames of a video file, one at a time.

    Args:
        path: the video file.
        max_frames: stop after this many (``None``: all).

    Returns:
        An iterator of RGB uint8 arrays ``(H, W, 3)``.

    Example:
        >>> import tempfile, numpy as np
        >>> path = tempfile.mkdtemp() + "/ramp.mkv"
        >>> write_video(path, (np.full((32, 48, 3), v, np.uint8) for v in (50, 200)), fps=5)
        2
        >>> [int(f.mean()) for f in read_frames(path)]  # lossy, but close
        [50, 200]
    """
    with open_input(path) as container:
        for index, (frame, _) in enumerate(_decoded(container, str(path), None)):
            if max_frames is not None and index >= max_frames:
                return
            yield frame


class _Output:
    """An open output file: an H.264 stream, and the input's audio if any."""

    def __init__(self, tmp: str, fmt: str, fps: Fraction, crf: int, audio_from: Any) -> None:
        av = require("av")
        self.container = av.open(tmp, "w", format=fmt)
        self.fps, self.crf = fps, crf
        self.video: Any = None
        self.audio: Any = None
        self.audio_in = audio_from
        self.transcode = False
        if audio_from is not None:
            codec = audio_from.codec_context.name
            if fmt == "matroska" or codec in MP4_AUDIO:
                self.audio = self.container.add_stream_from_template(audio_from)
            else:  # e.g. PCM from an AVI: MP4 cannot hold it
                self.transcode = True
                self.audio = self.container.add_stream("aac", rate=audio_from.rate)
        self.frames = 0
        #: The input's time in seconds that becomes 0 in the output: its first frame's.
        #: Sources that start late (MPEG-TS, trimmed clips) have their audio moved by it too.
        self.origin = Fraction(0)
        #: The last audio packet before the first frame: the decoder may need it, and it may
        #: hold the first samples heard.
        self.lead_in: Any = None
        self.samples = 0  # audio samples encoded (re-encoding only)

    def write(self, frame: np.ndarray) -> None:
        av = require("av")
        if self.video is None:  # the size is known at the first frame
            height, width = frame.shape[:2]
            if width % 2 or height % 2:
                raise VideoError(f"frames of {width}x{height} cannot be written as yuv420p "
                                 "H.264; both sides must be even")
            self.video = self.container.add_stream("libx264", rate=self.fps)
            self.video.width, self.video.height, self.video.pix_fmt = width, height, "yuv420p"
            self.video.options = {"crf": str(self.crf), "preset": "veryfast"}
        out = av.VideoFrame.from_ndarray(np.ascontiguousarray(frame), format="rgb24")
        out.pts = self.frames
        out.time_base = 1 / self.fps
        self.container.mux(self.video.encode(out))
        self.frames += 1

    def add_audio(self, packet: Any) -> None:
        """Mux an audio packet of the input, on the output's clock (see :attr:`origin`)."""
        if not self.transcode:
            shift = round(self.origin / packet.time_base)  # in the packet's ticks
            packet.dts -= shift  # (held packets all have one)
            if packet.pts is not None:
                packet.pts -= shift
            packet.stream = self.audio
            self.container.mux(packet)
            return
        for decoded in packet.decode():
            if self.samples == 0:  # the first samples heard go where they were
                when = _time(decoded) if decoded.pts is not None else _time(packet)
                start = round((when - self.origin) * decoded.sample_rate)
                if start > 0:  # the sound starts after the picture: silence until then
                    self._encode(_silence(decoded, start))
                elif start < 0:  # before the picture: cut
                    decoded = _trimmed(decoded, -start)
                    if decoded is None:
                        continue
            self._encode(decoded)

    def _encode(self, frame: Any) -> None:
        """Encode the next samples. Their timestamps count samples, as the encoder wants,
        so it can mark its own start-up delay (AAC's 1024 samples) for players to skip."""
        frame.pts, frame.time_base = self.samples, Fraction(1, frame.sample_rate)
        self.samples += frame.samples
        self.container.mux(self.audio.encode(frame))

    def close(self, duration: float) -> None:
        if self.video is not None:
            self.container.mux(self.video.encode())
        if self.transcode:
            self.container.mux(self.audio.encode())
        self.container.close()
        log.debug("wrote %d frames, %.2f s", self.frames, duration)


def write_video(path: str | os.PathLike[str], frames: Iterator[np.ndarray], fps: float | Fraction,
                *, crf: int = 18, audio_from: str | os.PathLike[str] | None = None) -> int:
    """Write RGB frames as H.264 atomically (nothing at ``path`` unless all went well).

    Args:
        path: output file, ``.mp4``, ``.mov``, ``.m4v`` or ``.mkv``.
        frames: RGB uint8 arrays ``(H, W, 3)`` of one size with even sides.
        fps: frames per second.
        crf: H.264 quality, 0 (lossless) to 51; 18 looks like the input.
        audio_from: a video file whose audio is copied (cut to the frames written).

    Returns:
        The number of frames written.

    Example:
        >>> import tempfile, numpy as np
        >>> write_video(tempfile.mkdtemp() + "/black.mp4", iter([np.zeros((16, 16, 3),
        ...             np.uint8)]), fps=25)
        1
    """
    return transcode(path, lambda _: frames, fps=fps, crf=crf, audio_from=audio_from)


def transcode(path: str | os.PathLike[str],
              process: Callable[[Iterator[np.ndarray]], Iterator[np.ndarray]],
              *, source: str | os.PathLike[str] | None = None, fps: float | Fraction | None = None,
              crf: int = 18, audio_from: str | os.PathLike[str] | None = None,
              max_frames: int | None = None) -> int:
    """Stream ``source``'s frames through ``process`` into ``path``, atomically.

    The input is read while the output is written, one frame at a time; audio from
    ``audio_from`` (normally ``source``) is copied as its packets come and cut where the
    video ends.

    Args:
        path: output file (see :data:`OUTPUT_FORMATS`).
        process: takes the iterator of input frames (empty without ``source``) and yields
            output frames.
        source: input video, or ``None`` when ``process`` makes its own frames.
        fps: output frame rate (default: the source's).
        crf: H.264 quality, 0 to 51.
        audio_from: file whose audio is copied, or ``None`` for none.
        max_frames: read at most this many frames of ``source``.

    Returns:
        The number of frames written.

    Example:
        >>> import tempfile, numpy as np
        >>> folder = tempfile.mkdtemp()
        >>> write_video(folder + "/in.mp4", (np.full((16, 16, 3), 40, np.uint8)
        ...             for _ in range(3)), fps=8)
        3
        >>> transcode(folder + "/out.mp4", lambda frames: (255 - f for f in frames),
        ...           source=folder + "/in.mp4")  # a negative, at the source's rate
        3
        >>> [abs(int(f.mean()) - 215) < 3 for f in read_frames(folder + "/out.mp4")]  # lossy
        [True, True, True]
    """
    from ..fileio import atomic_write

    fmt = output_format(path)
    written = 0

    def write(tmp: str) -> None:
        nonlocal written
        inputs: list[Any] = []
        try:
            if source is not None:
                inputs.append(open_input(source))
            if audio_from is not None and (source is None or Path(audio_from) != Path(source)):
                inputs.append(open_input(audio_from))
            rate = Fraction(fps) if fps is not None else _fps(inputs[0].streams.video[0])
            audio_container = inputs[-1] if audio_from is not None else None
            audio_stream = (audio_container.streams.audio[0]
                            if audio_container is not None and audio_container.streams.audio
                            else None)
            output = _Output(tmp, fmt, rate, crf, audio_stream)
            pending: list[Any] = []  # audio packets, held until the video's length is known
            # The source's own audio is read with its frames, another file's at the end.
            along = audio_stream is not None and source is not None and \
                audio_container is inputs[0]

            if audio_container is not None and not along:
                output.origin = _video_start(audio_container)

            def frames() -> Iterator[np.ndarray]:
                if source is None:
                    return
                own_audio = pending.append if along else None
                for index, (frame, time) in enumerate(_decoded(inputs[0], str(source),
                                                               own_audio)):
                    if max_frames is not None and index >= max_frames:
                        return
                    if index == 0 and along:
                        output.origin = time if time is not None else _video_start(inputs[0])
                    yield frame
                    _flush_audio(output, pending, output.frames / rate)

            for frame in process(frames()):
                output.write(frame)
            if output.frames == 0:
                raise VideoError("no frame was produced, so no video was written")
            duration = output.frames / rate
            if audio_container is not None and audio_stream is not None and not along:
                pending.extend(p for p in audio_container.demux(audio_stream)
                               if p.dts is not None)
            _flush_audio(output, pending, duration, final=True)
            output.close(float(duration))
            written = output.frames
        finally:
            for container in inputs:
                container.close()

    atomic_write(path, write)
    return written


def _flush_audio(output: _Output, pending: list[Any], until: Fraction,
                 final: bool = False) -> None:
    """Mux the held audio packets that start before ``until`` seconds of the output. Those
    before its first frame are dropped, but for the last one (:attr:`_Output.lead_in`); at
    the end, so are those after ``until`` (the video is shorter when ``max_frames`` cut it)."""
    keep = []
    for packet in pending:
        start = _time(packet) - output.origin
        if start < 0:
            output.lead_in = packet
        elif start < until:
            if output.lead_in is not None:
                output.add_audio(output.lead_in)
                output.lead_in = None
            output.add_audio(packet)
        elif not final:
            keep.append(packet)
    pending[:] = keep


def _time(item: Any) -> Fraction:
    """When a packet or a decoded frame starts, in seconds of its file (exact)."""
    ticks = item.pts if item.pts is not None else item.dts
    return Fraction(ticks or 0) * Fraction(item.time_base)


def _video_start(container: Any) -> Fraction:
    """When a file's video starts, in seconds (0 when it does not say)."""
    video = container.streams.video[0]
    if video.start_time is not None and video.time_base:
        return video.start_time * Fraction(video.time_base)
    return Fraction(0)


def _silence(like: Any, samples: int) -> Any:
    """``samples`` samples of silence in the format, layout and rate of the audio frame
    ``like``."""
    av = require("av")
    frame = av.AudioFrame(format=like.format.name, layout=like.layout.name, samples=samples)
    quiet = b"\x80" if like.format.name.startswith("u8") else b"\x00"  # u8's zero is 128
    for plane in frame.planes:
        plane.update(quiet * plane.buffer_size)
    frame.sample_rate = like.sample_rate
    return frame


def _trimmed(frame: Any, samples: int) -> Any:
    """The audio frame without its first ``samples`` samples (``None`` if nothing is left)."""
    if samples >= frame.samples:
        return None
    av = require("av")
    data = frame.to_ndarray()  # planar: (channels, samples); packed: (1, samples * channels)
    step = 1 if frame.format.is_planar else len(frame.layout.channels)
    out = av.AudioFrame.from_ndarray(np.ascontiguousarray(data[:, samples * step:]),
                                     format=frame.format.name, layout=frame.layout.name)
    out.sample_rate = frame.sample_rate
    return out
