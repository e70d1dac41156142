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
from stylekit.app import handlers, profile, results  # noqa: E402
from stylekit.app.stop import RUNNING, STOPPED, request_stop  # noqa: E402
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

    key = ("video-stop-test", "video")
    clip = tmp_path / "long.mp4"  # 20 s: far longer than the test waits
    write_video(clip, clips.moving_window(Image.open(content_path), (128, 80), 240, 1.0,
                                          (0.5, 0.0)), fps=12)
    args = video_args(None, long_side=128, fast_model="tiny_test")
    args[0] = str(clip)  # the handler gets the uploaded file's path
    monkeypatch.setitem(profile.VIDEO_LIMITS, "seconds", 60)
    monkeypatch.setitem(profile.VIDEO_LIMITS, "frames", 1000)
    updates: list[tuple[Any, ...]] = []
    painting = threading.Event()

    def run() -> None:
        for update in handlers.run_video(1, *args, request=Page()):  # the page's first click
            updates.append(update)
            if "frame 2" in update[2]:
                painting.set()

    worker = threading.Thread(target=run)
    worker.start()
    assert painting.wait(60)
    assert request_stop(key, 1) == STOPPED
    worker.join(30)
    assert not worker.is_alive() and key not in RUNNING
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


def test_old_result_files_are_removed(monkeypatch) -> None:
    old, recent = results.new_path("fast", ".mp4"), results.new_path("fast", ".mp4")
    old.parent.mkdir(parents=True, exist_ok=True)
    old.write_bytes(b"an old result")
    recent.write_bytes(b"a recent result")
    hours_ago = time.time() - 2 * profile.KEEP_FILES
    os.utime(old, (hours_ago, hours_ago))
    results.sweep()
    assert not old.exists() and recent.exists()
    recent.unlink()


def test_a_clip_claiming_a_high_frame_rate_is_cut_to_a_number_of_frames(
        client, tmp_path, content_path, monkeypatch) -> None:
    """The length cap was seconds x the fps the file claims: a clip declaring 1000 fps was
    allowed 4000 frames. The count is capped on its own."""
    clip = tmp_path / "fast camera.mp4"
    write_video(clip, clips.moving_window(Image.open(content_path), (128, 80), 12, 1.0,
                                          (3.0, 0.0)), fps=1000)
    monkeypatch.setitem(profile.VIDEO_LIMITS, "frames", 5)
    video, _frame, status = client.predict(
        *video_args(clip, side_by_side=False, consistency="none", fast_model="tiny_test"),
        api_name="/video")
    assert probe(video_path(video)).frames == 5
    assert "Only the first 5 frames" in status


def test_frames_too_large_are_refused_before_decoding(client, tiny_clip, monkeypatch) -> None:
    monkeypatch.setitem(profile.VIDEO_LIMITS, "source_pixels", 128 * 80 - 1)
    with pytest.raises(AppError, match=r"pan\.mp4 has frames of 128x80"):
        client.predict(*video_args(tiny_clip, fast_model="tiny_test"), api_name="/video")


def test_the_video_tab_checks_the_final_config(client, tiny_clip, style_path,
                                               monkeypatch) -> None:
    """Gatys' scales override the long side, and frame steps have no widget range."""
    monkeypatch.setitem(profile.VIDEO_LIMITS, "seconds", 0.25)  # 3 frames, if it ran
    side = int(profile.VIDEO_LIMITS["side"])
    with pytest.raises(AppError, match=rf"scales: {side + 40} px .*at most {side} px"):
        client.predict(*video_args(tiny_clip, method="gatys", style=style_path,
                                   side_by_side=False, gatys_steps=10,
                                   gatys_scales=str(side + 40)), api_name="/video")
    limit = profile.LIMITS["frame_steps"]
    with pytest.raises(AppError, match=rf"frame steps: {limit + 1} is more .*at most {limit}"):
        client.predict(*video_args(tiny_clip, method="gatys", style=style_path,
                                   side_by_side=False, gatys_steps=10, frame_steps=limit + 1),
                       api_name="/video")


def test_a_run_over_the_time_budget_is_ended_with_a_message(client, tiny_clip,
                                                            monkeypatch) -> None:
    monkeypatch.setitem(profile.VIDEO_LIMITS, "budget", 0.01)
    with pytest.raises(AppError, match=r"more than the 0\.01 s this server gives a video"):
        client.predict(*video_args(tiny_clip, fast_model="tiny_test"), api_name="/video")
    monkeypatch.undo()  # the worker is free again
    video, *_ = client.predict(*video_args(tiny_clip, side_by_side=False, consistency="none",
                                           fast_model="tiny_test"), api_name="/video")
    assert probe(video_path(video)).frames == 12


def test_a_clip_damaged_mid_run_is_named_as_the_user_named_it(client, tmp_path) -> None:
    rng = np.random.default_rng(0)
    clip = tmp_path / "holiday clip.mp4"
    write_video(clip, (rng.integers(0, 255, (80, 128, 3), dtype=np.uint8) for _ in range(24)),
                fps=12)
    data = bytearray(clip.read_bytes())
    middle = len(data) // 2
    data[middle:middle + len(data) // 4] = rng.integers(0, 255, len(data) // 4,
                                                       dtype=np.uint8).tobytes()
    clip.write_bytes(bytes(data))  # readable header, garbage from the middle on
    with pytest.raises(AppError) as caught:
        client.predict(*video_args(clip, side_by_side=False, consistency="none",
                                   fast_model="tiny_test"), api_name="/video")
    message = str(caught.value)
    assert "'holiday clip.mp4' is damaged after" in message, message
    assert "/tmp" not in message and "gradio" not in message, message


def test_two_runs_showing_equal_galleries_each_end_their_own() -> None:
    """Two runs start with equal (empty) galleries; the second to start ends first. Removing by
    equality took the first run's gallery, and the first run's end then raised ValueError
    (``list.remove(x): x not in list`` in the load test's server log)."""
    first, second = results.showing([]), results.showing([])
    first_gallery = first.__enter__()
    second_gallery = second.__enter__()
    second.__exit__(None, None, None)
    first_gallery.append((str(results.new_path("fast", ".webp")), "step 1"))
    first.__exit__(None, None, None)  # raised ValueError before
    assert second_gallery == []
    with results._LOCK:
        assert not any(shown is first_gallery or shown is second_gallery
                       for shown in results._SHOWING)
