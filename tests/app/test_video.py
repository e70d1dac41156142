"""The app's Video tab through its real HTTP API (gradio_client against the served app, with the
tiny test models of the ``live_app`` fixture), and its Stop and missing-extra paths."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

pytest.importorskip("av")
pytest.importorskip("cv2")
gradio_client = pytest.importorskip("gradio_client")
from gradio_client import Client, handle_file  # noqa: E402
from gradio_client.exceptions import AppError  # noqa: E402

import stylekit  # noqa: E402
from stylekit.app import handlers, profile  # noqa: E402
from stylekit.app.stop import ACTIVE, RUNNING, STOPPED, request_stop  # noqa: E402
from stylekit.app.widgets import widget_value  # noqa: E402
from stylekit.video import examples as clips  # noqa: E402
from stylekit.video import probe, read_frames, write_video  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def client(live_app) -> Client:
    return Client(live_app[1], verbose=False)


@pytest.fixture(scope="module")
def tiny_clip(tmp_path_factory, content_path) -> Path:
    """12 frames of 128x80 at 12 fps: a window panning over the cat, 3 px a frame."""
    path = tmp_path_factory.mktemp("clips") / "pan.mp4"
    photo = Image.open(content_path)
    write_video(path, clips.moving_window(photo, (128, 80), 12, 1.0, (3.0, 0.0)), fps=12)
    return path


def video_args(clip: Path | str | None, method: str = "fast", style: Path | None = None,
               long_side: int = 64, side_by_side: bool = True, **overrides: Any) -> list[Any]:
    """The positional inputs of the Video tab: clip, method, style, long side, side by side,
    the video settings, then every method's settings (named ``method_field``)."""
    values = {s.name: widget_value("video", s) for s in handlers.video_settings()}
    for name in stylekit.list_stylizers():
        values.update({f"{name}_{s.name}": widget_value(name, s)
                       for s in handlers.video_method_settings(name)})
    values.update(overrides)
    files = [handle_file(str(p)) if p else None for p in (clip, style)]
    return [files[0], method, files[1], long_side, side_by_side, *values.values()]


def video_path(value: Any) -> str:
    """The file of a Video output (a path, or a dict with one)."""
    return value["video"] if isinstance(value, dict) else value


def test_a_clip_through_the_fast_method_side_by_side(client, tiny_clip) -> None:
    video, frame, status = client.predict(*video_args(tiny_clip, fast_model="tiny_test"),
                                          api_name="/video")
    info = probe(video_path(video))
    # 128x80 at 64 px on the long side: 64x40; side by side: two of them.
    assert (info.width, info.height, info.frames, info.fps) == (128, 40, 12, 12)
    frames = list(read_frames(video_path(video)))
    assert len(frames) == 12
    assert np.asarray(Image.open(frame)).shape == (40, 128, 3)  # the last frame painted
    assert "12 frames of 128x40" in status and "Left:" in status
    assert "warping error" in status
    assert ACTIVE["video"] == 0


def test_the_limits_cut_and_shrink_the_clip_and_say_so(client, tiny_clip) -> None:
    saved = dict(profile.VIDEO_LIMITS)
    profile.VIDEO_LIMITS.update(seconds=0.25, side=64)  # read at each run
    try:
        video, _frame, status = client.predict(
            *video_args(tiny_clip, long_side=128, side_by_side=False, consistency="none",
                        fast_model="tiny_test"), api_name="/video")
    finally:
        profile.VIDEO_LIMITS.update(saved)
    info = probe(video_path(video))
    assert (info.width, info.height, info.frames) == (64, 40, 3)  # 0.25 s at 12 fps
    assert "first 0.25 s (3 frames)" in status and "at most 64 px" in status
    assert "warping error" not in status  # frame by frame: no flow to measure along


def test_gatys_paints_a_clip_tied_along_the_flow_without_side_by_side(
        client, tiny_clip, style_path, monkeypatch) -> None:
    monkeypatch.setitem(profile.VIDEO_LIMITS, "seconds", 0.25)  # 3 frames
    video, _frame, status = client.predict(
        *video_args(tiny_clip, method="gatys", style=style_path, gatys_steps=10),
        api_name="/video")
    info = probe(video_path(video))
    assert (info.width, info.height, info.frames) == (64, 40, 3)  # one picture, not two
    assert "Side by side is for the one-pass methods" in status and "warping error" in status


def test_a_file_that_is_not_a_video_gets_a_message(client, tmp_path) -> None:
    fake = tmp_path / "holiday.mp4"
    fake.write_text("not a video at all")
    with pytest.raises(AppError, match=r"holiday\.mp4 is not a video file that can be read"):
        client.predict(*video_args(fake, fast_model="tiny_test"), api_name="/video")
    with pytest.raises(AppError, match="Please add a video"):
        client.predict(*video_args(None, fast_model="tiny_test"), api_name="/video")


def test_a_method_that_needs_a_style_image_asks_for_one(client, tiny_clip) -> None:
    with pytest.raises(AppError, match="Please add a style image"):
        client.predict(*video_args(tiny_clip, method="adain", adain_model="tiny_test"),
                       api_name="/video")


def test_the_example_clips_are_made_from_example_photos(client) -> None:
    name = "slow pan over The Great Wave"  # a shipped painting: there without scikit-image
    assert name in clips.example_clip_names()
    clip = client.predict(name, api_name="/video_example")
    info = probe(video_path(clip))
    assert (info.width, info.height, info.frames) == (*clips.CLIP_SIZE, clips.CLIP_FRAMES)
    assert info.fps == clips.CLIP_FPS
    first, second = list(read_frames(video_path(clip), max_frames=2))
    assert np.abs(first.astype(int) - second.astype(int)).mean() > 1  # it moves


def test_stop_ends_a_video_run_at_its_next_frame(live_app, tmp_path, content_path,
                                                 monkeypatch) -> None:
    """The page's Stop: the run ends normally with "Stopped.", and writes no video."""
    class Page:
        session_hash = "video-stop-test"

    clip = tmp_path / "long.mp4"  # 20 s: far longer than the test waits
    write_video(clip, clips.moving_window(Image.open(content_path), (128, 80), 240, 1.0,
                                          (0.5, 0.0)), fps=12)
    args = video_args(None, long_side=128, fast_model="tiny_test")
    args[0] = str(clip)  # the handler gets the uploaded file's path
    monkeypatch.setitem(profile.VIDEO_LIMITS, "seconds", 60)
    updates: list[tuple[Any, ...]] = []
    painting = threading.Event()

    def run() -> None:
        for update in handlers.run_video(*args, request=Page()):
            updates.append(update)
            if "frame 2" in update[2]:
                painting.set()

    worker = threading.Thread(target=run)
    worker.start()
    assert painting.wait(60)
    assert request_stop("video", Page()) == STOPPED
    worker.join(30)
    assert not worker.is_alive() and ("video-stop-test", "video") not in RUNNING
    assert updates[-1][2].endswith(STOPPED)
    assert not any(isinstance(u[0], str) for u in updates)  # no video came out
    painted = [u[2] for u in updates if "frames/s" in u[2]]
    assert "of 240" in painted[-1] and "frame 240" not in painted[-1]


def test_without_the_video_extra_the_tab_says_how_to_install_it() -> None:
    # sys.modules["av"] = None makes `import av` fail as if PyAV were not installed.
    code = ("import sys; sys.modules['av'] = None; from stylekit.app import build; "
            "page = build(); print([c.value for c in page.blocks.values() "
            "if getattr(c, 'elem_id', None) == 'video-missing'])")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert 'pip install \\"stylekit[video]\\"' in done.stdout or \
        'pip install "stylekit[video]"' in done.stdout


def test_the_library_and_the_app_package_import_without_video_or_gradio() -> None:
    code = ("import sys, stylekit, stylekit.app; print(sorted({m.split('.')[0] for m in "
            "sys.modules} & {'av', 'cv2', 'gradio'}))")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_old_result_files_are_removed(tmp_path) -> None:
    first = handlers.video_output("fast")
    first.write_bytes(b"an old result")
    hours_ago = time.time() - 2 * 3600
    os.utime(first, (hours_ago, hours_ago))
    recent = handlers.video_output("fast")
    recent.write_bytes(b"a recent result")
    handlers.video_output("fast")
    assert not first.exists() and recent.exists()
    recent.unlink()
