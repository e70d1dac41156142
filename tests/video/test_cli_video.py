"""``stylekit video`` end to end: a synthetic clip with audio, a real clip, bad files."""

from __future__ import annotations

import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import pytest
from video_clips import pan_frames, write_clip

from stylekit.cli import main
from stylekit.video import probe, read_frames


def test_cli_writes_a_consistent_video_with_its_audio(tmp_path: Path, pan_clip: Path,
                                                      capsys) -> None:
    out = tmp_path / "styled.mp4"
    code = main(["video", str(pan_clip), "--method", "fast", "--model", "the_scream",
                 "--max-frames", "4", "--crf", "23", "-o", str(out)])
    assert code == 0
    info = probe(out)
    assert (info.width, info.height, info.fps, info.frames, info.audio) == (
        96, 64, Fraction(12), 4, "aac")
    said = capsys.readouterr().out
    assert "wrote" in said and "4 frames" in said and "warping error" in said


def test_cli_copies_the_ac3_audio_of_an_avi(tmp_path: Path) -> None:
    """An AVI with AC-3 sound, made here (MPEG-4 part 2 video, as in opencv-doc's clips), so
    the path runs wherever the tests do."""
    source = write_clip(tmp_path / "clip.avi", pan_frames(6), audio="ac3", video="mpeg4")
    assert probe(source).audio == "ac3"
    for name in ("styled.mkv", "styled.mp4"):  # both take AC-3 as it is
        out = tmp_path / name
        code = main(["video", str(source), "--method", "fast", "--model", "the_scream",
                     "--max-frames", "4", "-q", "-o", str(out)])
        assert code == 0
        info = probe(out)
        assert (info.width, info.height, info.fps, info.audio) == (96, 64, Fraction(12), "ac3")
        assert len(list(read_frames(out))) == 4


def test_cli_on_a_real_clip_copies_its_ac3_audio(tmp_path: Path, real_clip: Path) -> None:
    out = tmp_path / "megamind.mkv"
    code = main(["video", str(real_clip), "--method", "adain", "--style",
                 "example:starry_night", "--size", "128", "--max-frames", "5", "-q",
                 "-o", str(out)])
    assert code == 0
    info = probe(out)
    assert (info.width, info.height, info.fps, info.audio) == (128, 94, Fraction(2997, 125),
                                                               "ac3")


@pytest.mark.parametrize("content, message", [
    (None, "does not exist; check the path"),
    (b"\x00\x01 definitely not a video " * 100, "is not a video file FFmpeg can read"),
])
def test_cli_explains_a_missing_or_corrupt_file(tmp_path: Path, capsys, content: bytes | None,
                                                message: str) -> None:
    source = tmp_path / "in.mp4"
    if content is not None:
        source.write_bytes(content)
    out = tmp_path / "out.mp4"
    assert main(["video", str(source), "-q", "-o", str(out)]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("stylekit: error:") and message in err and "\n" not in err
    assert not out.exists()


def test_cli_rejects_a_bad_output_name_and_a_missing_style(tmp_path: Path, pan_clip: Path,
                                                           capsys) -> None:
    assert main(["video", str(pan_clip), "-q", "-o", str(tmp_path / "out.gif")]) == 1
    assert "end its name with .mp4" in capsys.readouterr().err
    assert main(["video", str(pan_clip), "--method", "wct", "-q",
                 "-o", str(tmp_path / "out.mp4")]) == 1
    err = capsys.readouterr().err
    assert "needs a style image: pass --style PATH" in err and "style=" not in err


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux's /proc")
def test_cli_refuses_an_unwritable_output_naming_it(pan_clip: Path, capsys) -> None:
    assert main(["video", str(pan_clip), "-q", "-o", "/proc/out.mp4"]) == 1
    err = capsys.readouterr().err
    assert "cannot write /proc/out.mp4: " in err and ".tmp" not in err


def test_method_and_video_options_in_help() -> None:
    result = subprocess.run([sys.executable, "-m", "stylekit", "video", "--method", "wct",
                             "--help"], capture_output=True, text=True, check=True)
    for option in ("--flow-blend", "--max-frames", "--side-by-side", "--alpha", "--levels"):
        assert option in result.stdout


def test_import_stylekit_needs_no_video_package() -> None:
    code = ("import sys, stylekit; assert 'av' not in sys.modules and 'cv2' not in sys.modules;"
            " stylekit.stylize_video; assert 'stylekit.video' in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_cli_stylizes_an_example_clip_by_name(tmp_path: Path, monkeypatch, capsys) -> None:
    """``stylekit video example:NAME``, run as a user would, in a folder of its own: the clip
    is made (4 s long) and the output is named after it."""
    from stylekit.video.examples import CLIP_NAMES, example_clip_path

    source = probe(example_clip_path(CLIP_NAMES["great_wave_pan"]))
    assert source.frames / source.fps >= 4
    monkeypatch.chdir(tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "stylekit", "video", "example:great_wave_pan", "--method", "fast",
         "--model", "the_scream", "--max-side", "64", "--max-frames", "3", "--side-by-side"],
        capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    info = probe(tmp_path / "great_wave_pan-fast.mp4")
    assert (info.width, info.height, info.frames) == (128, 40, 3)
    assert "wrote great_wave_pan-fast.mp4" in result.stdout


def test_cli_names_the_example_clips_for_an_unknown_one(tmp_path: Path, capsys) -> None:
    from stylekit.video.examples import CLIP_NAMES

    out = tmp_path / "out.mp4"
    assert main(["video", "example:chelsea", "-q", "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert "no example clip 'chelsea'" in err and "is an example image" in err
    assert all(f"example:{name}" in err for name in CLIP_NAMES) and "\n" not in err.strip()
    assert not out.exists()
    assert main(["list"]) == 0
    listing = capsys.readouterr().out
    assert "example clips (use as stylekit video example:NAME):" in listing
    assert all(name in listing for name in CLIP_NAMES)
