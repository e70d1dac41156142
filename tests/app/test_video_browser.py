"""The Video tab in a real browser (Debian's Chromium driven by Playwright): an example clip
through the fast method, side by side. The screenshot goes to ``artifacts/app-video.png``."""

from __future__ import annotations

import pytest

pytest.importorskip("av")
pytest.importorskip("cv2")
sync_api = pytest.importorskip("playwright.sync_api")

from stylekit.video.examples import CLIP_FRAMES  # noqa: E402

from .test_browser import ARTIFACTS, page  # noqa: E402, F401 -- the browser fixture


def test_an_example_clip_through_the_fast_method_in_the_ui(page) -> None:  # noqa: F811
    page.get_by_role("tab", name="Video").click()
    page.locator("#video-example input").click()
    page.get_by_role("option", name="slow pan over The Great Wave").click()
    # The clip is made on first use and shown in the upload box.
    page.locator("#video-source video").wait_for(state="attached", timeout=60_000)
    model = page.locator("#video-fast-model input")
    model.click()
    page.get_by_role("option", name="tiny_test").click()
    size = page.locator("#video-long-side input[type=number]")
    size.fill("128")
    size.press("Enter")
    page.locator("#video-run").click()
    status = page.locator("#video-status")
    sync_api.expect(status).to_contain_text("frames/s", timeout=120_000)
    sync_api.expect(status).to_contain_text(f"{CLIP_FRAMES} frames of 256x80", timeout=120_000)
    sync_api.expect(status).to_contain_text("warping error")
    # The halves are named on the player.
    sync_api.expect(page.locator("#video-result")).to_contain_text(
        "left, each frame painted alone")
    video = page.locator("#video-result video")
    video.wait_for(state="attached", timeout=30_000)
    assert video.evaluate("v => new Promise(done => v.readyState >= 1 ? done(v.videoWidth) : "
                          "v.addEventListener('loadedmetadata', () => done(v.videoWidth)))"
                          ) == 256
    page.screenshot(path=str(ARTIFACTS / "app-video.png"), full_page=True)
