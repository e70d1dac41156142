"""The Stop buttons' machinery (``stylekit.app.stop``): a run ends at its next step, normally."""

from __future__ import annotations

import threading
import time

import pytest

pytest.importorskip("gradio")

from stylekit.app import stop as stopping  # noqa: E402


def test_stop_ends_the_pages_run_and_answers_after_it() -> None:
    """Stop asks the run of its own page and tab to end; the reply ("Stopped.") comes only once
    it has ended, so the run's last update cannot land over it (seen in CI: it did)."""
    class Page:
        session_hash = "stop-test-session"

    key = stopping.run_key(Page(), "stop-test")
    ended: list[float] = []
    started = threading.Event()

    def run() -> None:
        with stopping.stoppable(key) as stop:
            started.set()
            while not stop.wait(0.05):
                pass
            time.sleep(0.2)  # the rest of a step
            ended.append(time.monotonic())

    worker = threading.Thread(target=run)
    worker.start()
    assert started.wait(5) and key in stopping.RUNNING
    assert stopping.request_stop("stop-test", Page()) == stopping.STOPPED
    assert ended and ended[0] <= time.monotonic() and key not in stopping.RUNNING
    worker.join()
    # Nothing of this page's running: Stop changes nothing.
    assert stopping.request_stop("stop-test", Page()) is not stopping.STOPPED
    # Pressed while the run waits in the queue: the run ends as soon as it starts.
    stopping.note_submitted("stop-test", Page())
    assert stopping.request_stop("stop-test", Page()) == stopping.STOPPED
    with stopping.stoppable(key) as stop:
        assert stop.is_set()
    with stopping.stoppable(key) as stop:  # the next run is not stopped by an old press
        assert not stop.is_set()
