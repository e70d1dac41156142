"""The page a teacher uses in front of a class, in a real browser (Debian's Chromium driven by
Playwright) at 1400x1000: the result and its status in view after Stylize on every method tab,
the example galleries filling the inputs, and a mask drawn in the page reaching the library.

Screenshots go to ``artifacts/`` (kept by CI, ignored by git), to be looked at.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

sync_api = pytest.importorskip("playwright.sync_api")

import stylekit  # noqa: E402
from stylekit.app import profile  # noqa: E402
from stylekit.app.layout import tab_order  # noqa: E402
from stylekit.app.widgets import example_choices  # noqa: E402
from stylekit.images import shape_for_long_side  # noqa: E402

from .test_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS  # noqa: E402

VIEWPORT = {"width": 1400, "height": 1000}
#: The long side the one-pass runs are made at here: small, so the module takes about two
#: minutes on a CPU (Gatys runs at the test profile's size).
SIZE = 160
METHODS = tab_order(stylekit.list_stylizers())


@pytest.fixture(scope="module")
def playwright(live_app):
    """Playwright for this module (one per thread: the webcam test's browser shares it)."""
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_api.sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="module")
def page(playwright, live_app):
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    page = browser.new_page(viewport=VIEWPORT)
    page.goto(live_app[1])
    page.get_by_role("tab").first.wait_for()
    yield page
    browser.close()


def in_view(locator: Any) -> bool:
    """Whether the element is drawn, whole, inside the browser's window (no scrolling)."""
    box = locator.bounding_box()
    return bool(box and box["height"] > 0 and box["y"] >= 0 and box["x"] >= 0
                and box["y"] + box["height"] <= VIEWPORT["height"]
                and box["x"] + box["width"] <= VIEWPORT["width"])


def pick(page: Any, gallery: str, index: int, target: str) -> None:
    """Click picture ``index`` of ``gallery`` and wait for a new picture in ``target``."""
    shown = page.locator(f"{target} img")
    before = shown.first.get_attribute("src") if shown.count() else None
    page.locator(f"{gallery} .thumbnail-item").nth(index).click()
    shown.first.wait_for(state="visible", timeout=30_000)
    page.wait_for_function(
        "([target, before]) => { const img = document.querySelector(target + ' img');"
        " return img && img.getAttribute('src') !== before; }", arg=[target, before],
        timeout=30_000)


def pick_examples(page: Any, method: str, photo: int = 0, painting: int = 2) -> None:
    """Click an example photo (and painting, where the tab takes one) in the galleries and
    wait for them to show in the inputs."""
    pick(page, f"#{method}-photos", photo, f"#{method}-content")
    if stylekit.get_stylizer_class(method).needs_style:
        pick(page, f"#{method}-paintings", painting, f"#{method}-style")


def small_size(page: Any, method: str) -> int:
    """Type :data:`SIZE` into ``method``'s size box (not Gatys': the test profile's is
    smaller); the size the run will be made at."""
    if method == "gatys":
        return int(profile.PROFILE[method]["size"])
    box = page.locator(f"#{method}-size input[type=number]")
    box.fill(str(SIZE))
    box.press("Enter")
    return SIZE


def expected_size(size: int, photo: int = 0) -> str:
    """The ``WxH`` a run at ``size`` reports for the example photo number ``photo``."""
    with Image.open(example_choices("photo")[photo][1]) as image:
        height, width = shape_for_long_side(image.height, image.width, size)
    return f"{width}x{height}"


def result_pixels(page: Any, method: str) -> np.ndarray:
    """The result picture the page shows, as it was served."""
    src = page.locator(f"#{method}-result img").first.get_attribute("src")
    body = page.request.get(src).body()
    return np.asarray(Image.open(io.BytesIO(body)).convert("RGB"), dtype=np.float32)


def stylize_and_wait(page: Any, method: str) -> None:
    """Press Stylize and wait for this run (not an earlier one) to be done."""
    page.evaluate("window.scrollTo(0, 0)")
    # A fast run can finish between two polls of the status, so polling may never see it
    # "not done": watch the box from the click and note whether it ever left "done in".
    page.evaluate(
        """(id) => {
            // One observer per page at a time: an earlier call's must not set this flag.
            if (window.__statusObserver) window.__statusObserver.disconnect();
            const box = document.getElementById(id);
            window.__statusBefore = box.innerText;
            window.__statusLeftDone = false;
            window.__statusObserver = new MutationObserver(() => {
                if (!box.innerText.includes("done in")) window.__statusLeftDone = true;
            });
            window.__statusObserver.observe(box, {subtree: true, childList: true,
                                                  characterData: true, attributes: true});
        }""",
        f"{method}-status",
    )
    page.locator(f"#{method}-run").click()
    page.wait_for_function(
        """(id) => {
            const text = document.getElementById(id).innerText;
            return text.includes("done in")
                && (window.__statusLeftDone || text !== window.__statusBefore);
        }""",
        arg=f"{method}-status",
        timeout=180_000,
    )


@pytest.mark.parametrize("method", METHODS)
def test_the_result_and_its_status_are_in_view_after_stylize(page, method) -> None:
    """Photo and painting picked from the galleries, Stylize pressed: without any scrolling,
    the result box and the status are in the window while the run goes and once it is done,
    and the run got the picked photo (the size it reports is that photo's shape)."""
    page.evaluate("window.scrollTo(0, 0)")
    page.get_by_role("tab", name=method, exact=True).click()
    pick_examples(page, method)
    size = small_size(page, method)
    if method == "fast":  # the tiny test network where no shipped one is installed
        model = page.locator("#fast-model input")
        if not model.input_value():
            model.click()
            page.get_by_role("option", name="tiny_test").click()
    page.evaluate("window.scrollTo(0, 0)")
    run = page.locator(f"#{method}-run")
    assert in_view(run), f"{method}: the Stylize button is below the window"
    run.click()
    result, status = page.locator(f"#{method}-result"), page.locator(f"#{method}-status")
    sync_api.expect(status).to_contain_text(method, timeout=60_000)  # started
    assert in_view(result) and in_view(status), f"{method}: the run is out of view"
    sync_api.expect(status).to_contain_text("done in", timeout=180_000)
    picture = page.locator(f"#{method}-result img").first
    picture.wait_for(state="visible", timeout=30_000)
    assert page.evaluate("window.scrollY") == 0
    assert in_view(result) and in_view(status) and in_view(picture)
    sync_api.expect(status).to_contain_text(f"({expected_size(size)})")
    # The picture fills its box (a small Gatys result is not a stamp in a large box).
    box, shown = result.bounding_box(), picture.bounding_box()
    assert shown and box and shown["width"] >= 0.9 * box["width"], (shown, box)
    page.screenshot(path=str(ARTIFACTS / f"page-{method}.png"))


def test_a_drawn_mask_reaches_the_library(page) -> None:
    """Two paintings blended evenly, then with a mask drawn in the page over the photo: the
    drawn mask becomes the mask input, and the result changes."""
    method = next(m for m in METHODS if m in ("arbitrary", "wct"))
    page.evaluate("window.scrollTo(0, 0)")
    page.get_by_role("tab", name=method, exact=True).click()
    pick_examples(page, method, photo=1, painting=0)
    small_size(page, method)
    page.locator(f"#{method}-blend").get_by_text("Blend a second style").click()
    with Image.open(example_choices("style")[2][1]) as wave:
        second = ARTIFACTS / "second-style.png"
        wave.save(second)
    page.locator(f"#{method}-style2 input[type=file]").set_input_files(str(second))
    page.locator(f"#{method}-style2 img").first.wait_for(state="visible", timeout=30_000)
    stylize_and_wait(page, method)
    blended = result_pixels(page, method)

    editor = page.locator(f"#{method}-mask-editor")
    editor.scroll_into_view_if_needed()
    canvas = editor.locator("canvas").first
    canvas.wait_for(state="visible", timeout=30_000)
    page.wait_for_timeout(500)  # the photo drawn as the editor's background
    box = canvas.bounding_box()
    assert box
    # A thick white stroke down the left of the photo.
    x, top = box["x"] + box["width"] * 0.35, box["y"] + box["height"] * 0.15
    page.mouse.move(x, top)
    page.mouse.down()
    for i in range(1, 21):
        page.mouse.move(x, top + i * box["height"] * 0.035)
    page.mouse.up()
    page.locator(f"#{method}-mask img").first.wait_for(state="visible", timeout=30_000)
    stylize_and_wait(page, method)
    masked = result_pixels(page, method)
    assert masked.shape == blended.shape
    assert np.abs(masked - blended).mean() > 2.0, np.abs(masked - blended).mean()
    page.screenshot(path=str(ARTIFACTS / f"page-{method}-mask.png"), full_page=True)


def test_compare_is_like_for_like(page) -> None:
    """Compare with an example photo and Hokusai's Great Wave picked from the galleries: fast
    uses the Great Wave network, every method paints the same size, the results and status
    are in view, and the times are said once (under the pictures)."""
    page.evaluate("window.scrollTo(0, 0)")
    page.get_by_role("tab", name="Compare", exact=True).click()
    pick(page, "#compare-photos", 0, "#compare-content")
    wave = [Path(copy).stem for _, copy, _ in example_choices("style")].index("great_wave")
    pick(page, "#compare-paintings", wave, "#compare-style")
    sync_api.expect(page.locator("#compare-fast-model input")).to_have_value("great_wave")
    page.evaluate("window.scrollTo(0, 0)")
    page.locator("#compare-run").click()
    status = page.locator("#compare-status")
    sync_api.expect(status).to_contain_text("All", timeout=240_000)
    results = page.locator("#compare-results")
    assert in_view(results) and in_view(status)
    captions = results.locator(".caption-label, figcaption, span").all_inner_texts()
    assert any("fast (great_wave)" in c for c in captions), captions
    assert "step 1 " not in status.inner_text()
    page.screenshot(path=str(ARTIFACTS / "page-compare.png"))


def test_gatys_offers_a_gif_and_estimates_the_next_run(page) -> None:
    """After a Gatys run (the in-view test's): its snapshots as a GIF to download, and the
    next run says how long it should take before it starts."""
    page.evaluate("window.scrollTo(0, 0)")
    page.get_by_role("tab", name="gatys", exact=True).click()
    if not page.locator("#gatys-content img").count():
        pick_examples(page, "gatys")
        stylize_and_wait(page, "gatys")
    sync_api.expect(page.locator("#gatys-gif")).to_contain_text(".gif", timeout=30_000)
    page.evaluate("window.scrollTo(0, 0)")
    page.locator("#gatys-run").click()
    status = page.locator("#gatys-status")
    sync_api.expect(status).to_contain_text("judging by the last run", timeout=30_000)
    sync_api.expect(status).to_contain_text("done in", timeout=180_000)


def test_a_webcam_photo_reaches_the_library(playwright, live_app) -> None:
    """The photo taken with the camera (Chromium's fake one: a 640x480 test pattern) is
    what the run paints."""
    fake_camera = ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream"]
    browser = playwright.chromium.launch(executable_path=CHROMIUM,
                                         args=CHROMIUM_ARGS + fake_camera)
    try:
        page = browser.new_context(viewport=VIEWPORT, permissions=["camera"]).new_page()
        page.goto(live_app[1])
        method = METHODS[0]
        page.get_by_role("tab", name=method, exact=True).click()
        photo = page.locator(f"#{method}-content")
        photo.get_by_role("button", name="Capture from camera").click()
        photo.get_by_text("Click to Access Webcam").click()
        # Capture only once the camera's stream plays: a click before that takes no photo.
        stream = photo.locator("video").first
        stream.wait_for(state="visible", timeout=30_000)
        page.wait_for_function("v => v.readyState >= 2 && v.videoWidth > 0",
                               arg=stream.element_handle(), timeout=30_000)
        photo.get_by_role("button", name="capture photo").click()
        photo.locator("img").first.wait_for(state="visible", timeout=30_000)
        if stylekit.get_stylizer_class(method).needs_style:
            pick(page, f"#{method}-paintings", 0, f"#{method}-style")
        size = small_size(page, method)
        stylize_and_wait(page, method)
        height, width = shape_for_long_side(480, 640, size)
        sync_api.expect(page.locator(f"#{method}-status")).to_contain_text(
            f"({width}x{height})")
        page.screenshot(path=str(ARTIFACTS / "page-webcam.png"))
    finally:
        browser.close()
