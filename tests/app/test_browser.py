"""The app (``stylekit.app``) in a real browser: Debian's Chromium driven by Playwright.

Screenshots go to ``artifacts/`` (kept by CI, ignored by git), to be looked at.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest

sync_api = pytest.importorskip("playwright.sync_api")

from stylekit.app import profile  # noqa: E402
from stylekit.app.stop import RUNNING  # noqa: E402
from stylekit.methods.fast import FAST_MODELS  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Offline machines: no background requests that the closed network would refuse.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update"]


@pytest.fixture(scope="module")
def page(live_app):
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1100})
        page.goto(live_app[1])
        yield page
        browser.close()


def test_fast_stylization_from_the_ui(page, content_path) -> None:
    page.get_by_role("tab", name="fast").click()
    # The model thumbnails are made when the page opens (building the app made none).
    thumbnails = page.locator("#fast-models img")
    thumbnails.first.wait_for(state="visible", timeout=120_000)
    sync_api.expect(thumbnails).to_have_count(len(FAST_MODELS.names()), timeout=30_000)
    page.locator("#fast-content input[type=file]").set_input_files(str(content_path))
    model = page.locator("#fast-model input")
    if not model.input_value():  # no shipped model yet: pick the test one
        model.click()
        page.get_by_role("option", name="tiny_test").click()
    page.locator("#fast-run").click()
    result = page.locator("#fast-result img")
    result.wait_for(state="visible", timeout=120_000)
    sync_api.expect(page.locator("#fast-status")).to_contain_text("done in", timeout=60_000)
    assert result.evaluate("img => img.naturalWidth") > 100
    page.screenshot(path=str(ARTIFACTS / "app-fast.png"), full_page=True)


def test_the_first_tab_paints_any_painting(page, content_path, style_path) -> None:
    """The arbitrary tab comes first: a photo and a painting, Stylize, a picture."""
    sync_api.expect(page.get_by_role("tab").first).to_have_text("arbitrary")
    page.get_by_role("tab", name="arbitrary").click()
    page.locator("#arbitrary-content input[type=file]").set_input_files(str(content_path))
    page.locator("#arbitrary-style input[type=file]").set_input_files(str(style_path))
    page.locator("#arbitrary-run").click()
    result = page.locator("#arbitrary-result img")
    result.wait_for(state="visible", timeout=120_000)
    sync_api.expect(page.locator("#arbitrary-status")).to_contain_text("done in",
                                                                        timeout=60_000)
    assert result.evaluate("img => img.naturalWidth") > 100
    page.screenshot(path=str(ARTIFACTS / "app-arbitrary.png"), full_page=True)


def start_gatys(page: Any, content_path: Path, style_path: Path, size: int, steps: int) -> None:
    """In the gatys tab: the two images, the size and the steps typed in, then Stylize."""
    page.get_by_role("tab", name="gatys").click()
    page.locator("#gatys-content input[type=file]").set_input_files(str(content_path))
    page.locator("#gatys-style input[type=file]").set_input_files(str(style_path))
    for name, value in (("size", size), ("steps", steps)):
        box = page.locator(f"#gatys-{name} input[type=number]")
        box.fill(str(value))
        box.press("Enter")
    page.locator("#gatys-run").click()


def test_gatys_streams_into_the_gallery_in_the_ui(page, content_path, style_path) -> None:
    # About 12 s on an idle 2-core CPU: long enough to see the progress (40 steps ended in
    # 3 s, before the test could), short enough for the suite.
    start_gatys(page, content_path, style_path, size=64, steps=150)
    # the progress bar counts steps and tells the time left while it runs
    sync_api.expect(page.get_by_text(re.compile(r"step \d+ · about \d+ s left")).first
                    ).to_be_visible(timeout=60_000)
    page.screenshot(path=str(ARTIFACTS / "app-gatys-running.png"), full_page=True)
    sync_api.expect(page.locator("#gatys-status")).to_contain_text("done in", timeout=180_000)
    assert page.locator("#gatys-gallery img").count() >= 2
    page.wait_for_timeout(1500)  # let the loss plot finish drawing
    page.screenshot(path=str(ARTIFACTS / "app-gatys.png"), full_page=True)


def test_the_optimiser_race_draws_both_curves_with_a_legend(page, content_path,
                                                            style_path) -> None:
    page.get_by_role("tab", name="Learn").click()
    page.get_by_role("tab", name="Where the optimiser starts").click()
    panel = page.locator("#learn-race")
    panel.locator("input[type=file]").nth(0).set_input_files(str(content_path))
    panel.locator("input[type=file]").nth(1).set_input_files(str(style_path))
    panel.get_by_role("button", name="Race noise against photo").click()
    plot = page.locator("#learn-race-curve")
    try:
        for term in ("from noise: total", "from content: total"):  # the legend names both
            sync_api.expect(plot.get_by_text(term)).to_be_visible(timeout=120_000)
    finally:
        page.screenshot(path=str(ARTIFACTS / "app-learn-race.png"), full_page=True)
    # Two lines: Vega draws each series as its own path in the plot's marks.
    page.wait_for_timeout(1500)
    lines = plot.locator("g.mark-line path")
    assert lines.count() == 2, lines.count()
    ticks = y_tick_labels(plot)
    assert ticks and all(re.fullmatch(r"[\d,.]+( million| billion)?", t) for t in ticks), ticks
    plot.screenshot(path=str(ARTIFACTS / "app-learn-race-curve.png"))
    page.screenshot(path=str(ARTIFACTS / "app-learn-race.png"), full_page=True)


def test_the_gatys_loss_plot_names_its_terms(page) -> None:
    """After the Gatys run above: the legend names every term, and the caption is in view."""
    page.get_by_role("tab", name="gatys").click()
    plot = page.locator("#gatys-curve")
    for term in ("total", "content", "style"):
        sync_api.expect(plot.get_by_text(term, exact=True)).to_be_visible(timeout=30_000)
    sync_api.expect(plot.get_by_text(re.compile(r"drawn up to step \d+ of \d+"))
                    ).to_be_visible()
    box, legend = plot.bounding_box(), plot.get_by_text("content", exact=True).bounding_box()
    assert box and legend and legend["y"] + legend["height"] <= box["y"] + box["height"]
    # A log axis whose ticks read as the loss ("10 million"), not as its power of ten ("7.0").
    ticks = y_tick_labels(plot)
    assert len(ticks) >= 3 and all(re.fullmatch(r"[\d,.]+( million| billion)?", t)
                                   for t in ticks), ticks
    assert any("," in t or "illion" in t for t in ticks), ticks
    assert "log" in (plot.locator("[aria-label^='Y-axis']").first.get_attribute("aria-label")
                     or "")
    plot.screenshot(path=str(ARTIFACTS / "app-gatys-curve.png"))


def y_tick_labels(plot: Any) -> list[str]:
    """The tick labels of a Vega plot's y axis, as drawn (SVG text)."""
    axis = plot.locator("[aria-label^='Y-axis']").first
    return [t.strip() for t in axis.locator(".role-axis-label text").all_text_contents()]


def test_stop_says_so_and_the_progress_does_not_cover_the_status(page, content_path,
                                                                 style_path) -> None:
    start_gatys(page, content_path, style_path, size=128, steps=profile.LIMITS["steps"])
    status = page.locator("#gatys-status")
    sync_api.expect(status).to_contain_text("step", timeout=60_000)
    # The progress text is drawn on the gallery, the status line stays readable.
    sync_api.expect(page.locator("#gatys-gallery").get_by_text(re.compile(r"step \d+"))
                    .first).to_be_visible(timeout=30_000)
    page.get_by_role("button", name="Stop").first.click()
    sync_api.expect(status).to_contain_text("Stopped.", timeout=10_000)
    page.wait_for_timeout(1000)
    sync_api.expect(status).to_contain_text("Stopped.")  # and it stays so
    # Stopping is not an error: no error badge on the gallery the run was drawing on.
    sync_api.expect(page.locator("#gatys-gallery").get_by_text("Error", exact=True)
                    ).to_have_count(0)
    page.screenshot(path=str(ARTIFACTS / "app-gatys-stopped.png"), full_page=True)


def runs_of(tab: str) -> int:
    """The page runs of ``tab`` in progress (the server's own record, which Stop uses)."""
    return sum(len(runs) for (_, name), runs in list(RUNNING.items()) if name == tab)


def upload_pair(panel: Any, content_path: Path, style_path: Path) -> None:
    panel.locator("input[type=file]").nth(0).set_input_files(str(content_path))
    panel.locator("input[type=file]").nth(1).set_input_files(str(style_path))


def no_error_badge(panel: Any) -> None:
    """Stopping is not an error: Gradio's cancel would have put an "Error" badge here."""
    sync_api.expect(panel.get_by_text("Error", exact=True)).to_have_count(0)


def test_compare_stops_cooperatively_and_keeps_its_results(page, content_path, style_path,
                                                           wait_for) -> None:
    page.get_by_role("tab", name="Compare").click()
    panel = page.locator("#compare")
    upload_pair(panel, content_path, style_path)
    # Gatys comes last: made minutes long with the tab's own settings.
    for name, value in (("size", 128), ("gatys-steps", profile.LIMITS["steps"])):
        box = page.locator(f"#compare-{name} input[type=number]")
        box.fill(str(value))
        box.press("Enter")
    panel.get_by_role("button", name="Compare").click()
    status = page.locator("#compare-status")
    sync_api.expect(status).to_contain_text("gatys: step", timeout=120_000)
    panel.get_by_role("button", name="Stop").click()
    sync_api.expect(status).to_contain_text("Stopped.", timeout=10_000)
    assert wait_for(lambda: runs_of("compare") == 0, 5), "the run kept computing"
    # The one-pass methods' results stay.
    assert page.locator("#compare-results img").count() >= 3
    no_error_badge(panel)
    page.screenshot(path=str(ARTIFACTS / "app-compare-stopped.png"), full_page=True)


def test_a_stop_after_a_refused_run_leaves_the_next_run_alone(page, content_path,
                                                              style_path) -> None:
    """A run refused before it starts (here: no pictures yet; or a full queue), then Stop,
    then a real run: it paints its whole grid. Before, the refused run stayed counted as
    waiting, and the Stop ended the next run as soon as it began."""
    page.get_by_role("tab", name="Learn").click()
    page.get_by_role("tab", name="Layer choices").click()
    panel = page.locator("#learn-layers")
    panel.get_by_role("button", name="Run the grid").click()
    sync_api.expect(page.get_by_text("Please add a photo.").first).to_be_visible(timeout=30_000)
    panel.get_by_role("button", name="Stop").click()
    page.wait_for_timeout(1000)
    upload_pair(panel, content_path, style_path)
    panel.get_by_role("button", name="Run the grid").click()
    cells = page.locator("#learn-grid img")
    sync_api.expect(cells).to_have_count(6, timeout=180_000)


def test_the_layer_grid_stops_cooperatively(page, content_path, style_path, wait_for) -> None:
    saved = dict(profile.LEARN_RUN)
    profile.LEARN_RUN.update(size=96, steps=1000)
    try:
        page.get_by_role("tab", name="Learn").click()
        page.get_by_role("tab", name="Layer choices").click()
        panel = page.locator("#learn-layers")
        upload_pair(panel, content_path, style_path)
        panel.get_by_role("button", name="Run the grid").click()
        assert wait_for(lambda: runs_of("layer_grid") == 1, 60), "the grid never started"
        page.wait_for_timeout(1000)
        panel.get_by_role("button", name="Stop").click()
        assert wait_for(lambda: runs_of("layer_grid") == 0, 10), "the grid kept computing"
        page.wait_for_timeout(500)
        no_error_badge(panel)
    finally:
        profile.LEARN_RUN.clear()
        profile.LEARN_RUN.update(saved)

