"""Reading and writing video files: round trip, audio, atomic output, clear errors."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from video_clips import pan_frames, write_clip

from stylekit.video.deps import MissingDependencyError, require
from stylekit.video.io import VideoError, probe, read_frames, transcode, write_video


def test_round_trip_keeps_size_rate_and_pictures(tmp_path: Path) -> None:
    frames = pan_frames(5)
    path = tmp_path / "clip.mp4"
    assert write_video(path, iter(frames), fps=Fraction(30000, 1001), crf=0) == 5
    info = probe(path)
    assert (info.width, info.height, info.fps, info.frames, info.audio) == (
        96, 64, Fraction(30000, 1001), 5, None)
    back = list(read_frames(path))
    assert len(back) == 5
    # crf 0 is lossless in YUV; the RGB <-> YUV 4:2:0 round trip costs a little colour
    assert max(np.abs(a.astype(int) - b).mean() for a, b in zip(back, frames, strict=True)) < 3
    assert len(list(read_frames(path, max_frames=2))) == 2


def test_pcm_audio_is_reencoded_for_mp4_and_cut_to_the_video(tmp_path: Path,
                                                            pan_clip: Path) -> None:
    out = tmp_path / "out.mp4"
    assert transcode(out, lambda frames: frames, source=pan_clip, audio_from=pan_clip,
                     max_frames=3) == 3
    with av.open(str(out)) as container:
        audio = container.streams.audio[0]
        assert audio.codec_context.name == "aac"
        seconds = sum(float(p.duration * p.time_base) for p in container.demux(audio)
                      if p.duration)
    assert 0.2 <= seconds <= 0.3 + 0.13  # 3 frames at 12 fps, give or take an AAC frame


def test_audio_is_copied_when_the_container_takes_it(tmp_path: Path) -> None:
    source = write_clip(tmp_path / "in.mp4", pan_frames(4), audio="aac")
    out = tmp_path / "out.mkv"
    transcode(out, lambda frames: frames, source=source, audio_from=source)
    with av.open(str(source)) as a, av.open(str(out)) as b:
        packets = [bytes(p) for p in a.demux(a.streams.audio[0]) if p.size]
        copied = [bytes(p) for p in b.demux(b.streams.audio[0]) if p.size]
    assert copied == packets[:len(copied)] and len(copied) >= len(packets) - 1


def _audio_onset(path: Path) -> float | None:
    """When the tone of ``write_clip`` becomes audible in ``path``, in seconds of its clock
    (``None``: no audio)."""
    with av.open(str(path)) as container:
        if not container.streams.audio:
            return None
        for frame in container.decode(container.streams.audio[0]):
            samples = frame.to_ndarray().astype(np.float64)
            if frame.format.name.startswith(("flt", "dbl")):
                samples *= 32768
            loud = np.flatnonzero(np.abs(samples).max(axis=0) > 2000)
            if loud.size:
                return float(frame.pts * frame.time_base) + loud[0] / frame.sample_rate
    return None


@pytest.mark.parametrize("ending, codec, audio_delay", [
    (".mkv", "pcm_s16le", 0.0),  # a trimmed clip: both streams start at 2 s
    (".ts", "mp2", 0.5),  # MPEG-TS, the sound starting half a second after the picture
])
@pytest.mark.parametrize("output", ["out.mkv", "out.mp4"])  # audio copied; re-encoded as AAC
def test_audio_of_a_source_that_starts_late_keeps_its_place(
        tmp_path: Path, ending: str, codec: str, audio_delay: float, output: str) -> None:
    """The output's picture starts at 0; the audio is moved by the same amount. Before, an
    MKV starting at 2 s came out silent (its audio "started" after the video ended)."""
    source = write_clip(tmp_path / f"late{ending}", pan_frames(18), audio=codec, start=2.0,
                        audio_start=2.0 + audio_delay)  # 1.5 s of picture
    onset = _audio_onset(source)
    assert onset is not None and abs(onset - (2.0 + audio_delay)) < 0.02
    out = tmp_path / output
    assert transcode(out, lambda frames: frames, source=source, audio_from=source) == 18
    with av.open(str(out)) as container:
        first = next(container.decode(container.streams.video[0]))
        assert float(first.pts * first.time_base) == 0.0
    onset = _audio_onset(out)
    assert onset is not None, "the audio was dropped"
    assert abs(onset - audio_delay) < 0.04  # within an audio frame or so


def test_missing_and_unreadable_files_get_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(VideoError, match="does not exist; check the path"):
        probe(tmp_path / "nothing.mp4")
    garbage = tmp_path / "garbage.mp4"
    garbage.write_bytes(np.random.default_rng(0).bytes(5000))
    with pytest.raises(VideoError, match="not a video file FFmpeg can read"):
        probe(garbage)
    good = write_video(tmp_path / "good.mp4", iter(pan_frames(4)), fps=12)
    assert good == 4
    truncated = tmp_path / "truncated.mp4"
    truncated.write_bytes((tmp_path / "good.mp4").read_bytes()[:600])
    with pytest.raises(VideoError, match="truncated.mp4"):
        list(read_frames(truncated))
    sound_only = tmp_path / "tone.mka"
    with av.open(str(sound_only), "w") as container:
        stream = container.add_stream("pcm_s16le", rate=8000, layout="mono")
        frame = av.AudioFrame.from_ndarray(np.zeros((1, 800), np.int16), format="s16",
                                           layout="mono")
        frame.sample_rate = 8000
        container.mux(stream.encode(frame))
        container.mux(stream.encode())
    with pytest.raises(VideoError, match="has no video stream"):
        probe(sound_only)


def test_output_is_atomic_and_named_by_its_ending(tmp_path: Path) -> None:
    with pytest.raises(VideoError, match="end its name with .mp4"):
        write_video(tmp_path / "clip.gif", iter(pan_frames(2)), fps=12)

    def broken(frames):
        yield from pan_frames(2)
        raise RuntimeError("stopped")

    target = tmp_path / "clip.mp4"
    with pytest.raises(RuntimeError, match="stopped"):
        transcode(target, lambda _: broken(None), fps=12)
    assert list(tmp_path.iterdir()) == []  # neither the file nor a temporary one
    with pytest.raises(VideoError, match="both sides must be even"):
        write_video(target, iter([np.zeros((33, 48, 3), np.uint8)]), fps=12)
    assert not target.exists()


def test_a_missing_package_names_the_extra() -> None:
    with pytest.raises(MissingDependencyError, match=r'pip install "stylekit\[video\]"'):
        require("no_such_module_for_video")


def test_audio_from_another_file(tmp_path: Path, pan_clip: Path) -> None:
    out = tmp_path / "new.mp4"
    write_video(out, iter(pan_frames(3)), fps=12, audio_from=pan_clip)
    assert probe(out).audio == "aac"
