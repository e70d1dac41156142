"""Screenshots of the app's tabs for the docs: ``docs/screenshots/<tab>.png``.

Serves the app in-process with the weights that ship, opens it in Debian's Chromium (headless,
as the browser tests do) at 1400x1000, and in each method tab picks an example photo and
painting from the page's galleries and presses Stylize, then keeps what the screen shows.
Each picture is shrunk and reduced to a palette so that it stays under about 150 KB.

    python bench/screenshots.py                  # every tab
    python bench/screenshots.py --tabs fast gatys --out /tmp/shots

Gatys runs at a small size and few steps here, so the whole script takes a minute or two on a
CPU.
"""

from __future__ import annotations

import argparse
import io
import logging
import shutil
import socket
import sys
from pathlib import Path
from typing import Any

from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking", "--disable-component-update"]
VIEWPORT = {"width": 1400, "height": 1000}
MAX_BYTES = 150_000

logger = logging.getLogger("stylekit.bench.screenshots")


def small_png(png: bytes, limit: int = MAX_BYTES) -> bytes:
    """``png`` as a palette PNG, shrunk until it is at most ``limit`` bytes."""
    image = Image.open(io.BytesIO(png)).convert("RGB")
    width = image.width
    while True:
        shot = image.resize((width, round(image.height * width / image.width)),
                            Image.Resampling.LANCZOS) if width != image.width else image
        out = io.BytesIO()
        shot.quantize(colors=128, method=Image.Quantize.MEDIANCUT).save(out, "PNG",
                                                                         optimize=True)
        if out.tell() <= limit or width < 500:
            return out.getvalue()
        width = int(width * 0.85)


def serve() -> tuple[Any, str]:
    """The app served on a free local port, with small Gatys runs; (the Blocks, its URL)."""
    from stylekit.app import build, profile

    profile.PROFILE["gatys"].update(size=128, steps=30, save_every=5)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    page = build()
    page.queue(default_concurrency_limit=1)
    page.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True,
                quiet=True)
    return page, f"http://127.0.0.1:{port}/"


def run_method_tab(page: Any, method: str, timeout: float = 180_000) -> None:
    """In ``method``'s tab: an example photo and painting from the galleries, then Stylize,
    waiting for the run to end."""
    page.get_by_role("tab", name=method, exact=True).click()
    page.locator(f"#{method}-photos .thumbnail-item").first.click()
    page.locator(f"#{method}-content img").first.wait_for(
        state="visible", timeout=30_000)
    paintings = page.locator(f"#{method}-paintings .thumbnail-item")
    if paintings.count():
        paintings.nth(2).click()
        page.locator(f"#{method}-style img").first.wait_for(
            state="visible", timeout=30_000)
    page.locator(f"#{method}-run").click()
    status = page.locator(f"#{method}-status")
    status.get_by_text("done in").wait_for(timeout=timeout)
    page.wait_for_timeout(1500)


def run_compare(page: Any, timeout: float = 300_000) -> None:
    """In the Compare tab: an example photo and Hokusai's Great Wave, then Compare."""
    page.get_by_role("tab", name="Compare", exact=True).click()
    page.locator("#compare-photos .thumbnail-item").first.click()
    page.locator("#compare-paintings .thumbnail-item").nth(2).click()
    page.wait_for_timeout(1000)
    page.locator("#compare-run").click()
    status = page.locator("#compare-status")
    status.get_by_text("All").wait_for(timeout=timeout)
    page.wait_for_timeout(1500)


def run_whitening(page: Any, timeout: float = 120_000) -> None:
    """In the Learn tab, the whitening experiment on an example photo and painting."""
    page.get_by_role("tab", name="Learn", exact=True).click()
    page.get_by_role("tab", name="Whitening and colouring").click()
    page.get_by_text("Example photos and paintings").locator(
        "visible=true").first.click()
    page.locator("#learn-whitening-photos .thumbnail-item").first.click()
    page.locator("#learn-whitening-paintings .thumbnail-item").nth(
        2).click()
    page.wait_for_timeout(1000)
    page.get_by_role("button", name="Whiten and colour").click()
    page.locator("#learn-whitening img").first.wait_for(timeout=timeout)
    page.wait_for_timeout(1500)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--tabs", nargs="*", help="tab names (default: all)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    from playwright.sync_api import sync_playwright

    import stylekit
    from stylekit.app.layout import tab_order

    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    methods = tab_order(stylekit.list_stylizers())
    tabs = args.tabs or [*methods, "Compare", "Learn", "Video"]
    args.out.mkdir(parents=True, exist_ok=True)
    app, url = serve()
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport=VIEWPORT)
            page.goto(url)
            page.get_by_role("tab").first.wait_for()
            for tab in tabs:
                if tab in methods:
                    run_method_tab(page, tab)
                elif tab == "Compare":
                    run_compare(page)
                elif tab == "Learn":
                    run_whitening(page)
                else:
                    page.get_by_role("tab", name=tab, exact=True).click()
                    page.wait_for_timeout(1000)
                page.evaluate("window.scrollTo(0, 0)")
                png = small_png(page.screenshot())
                name = tab.lower()
                (args.out / f"{name}.png").write_bytes(png)
                logger.info("%s: %d KB", name, len(png) // 1024)
            browser.close()
    finally:
        app.close()


if __name__ == "__main__":
    main()
