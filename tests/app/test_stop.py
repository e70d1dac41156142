"""The Stop buttons' machinery (``stylekit.app.stop``): a Stop ends the run it was pressed for,
at its next step, normally, and nothing else."""

from __future__ import annotations

import threading
import time

import pytest

pytest.importorskip("gradio")

from stylekit.app import stop as stopping  # noqa: E402

KEY = ("stop-test-session", "stop-test")


def test_stop_ends_the_pages_run_and_answers_after_it() -> None:
    """The reply ("Stopped.") comes only once the run has ended, so the run's last update
    cannot land over it (seen in CI: it did)."""
    ended: list[float] = []
    started = threading.Event()

    def run() -> None:
        with stopping.stoppable(KEY, 1) as stop:
            started.set()
            while not stop.wait(0.05):
                pass
            time.sleep(0.2)  # the rest of a step
            ended.append(time.monotonic())

    worker = threading.Thread(target=run)
    worker.start()
    assert started.wait(5) and 1 in stopping.RUNNING[KEY]
    assert stopping.request_stop(KEY, 1) == stopping.STOPPED
    assert ended and ended[0] <= time.monotonic() and KEY not in stopping.RUNNING
    worker.join()
    # That run has ended: Stop again changes nothing.
    assert stopping.request_stop(KEY, 1) is not stopping.STOPPED


def test_a_stop_while_the_run_waits_ends_it_as_it_starts_and_no_later_run() -> None:
    key = ("stop-test-session", "queued")
    assert stopping.request_stop(key, 1) == stopping.STOPPED  # click 1 waits in the queue
    with stopping.stoppable(key, 1) as stop:
        assert stop.is_set()
    with stopping.stoppable(key, 2) as stop:  # the next click is not stopped by that press
        assert not stop.is_set()


def test_a_stop_after_a_run_that_never_started_stops_nothing_later() -> None:
    """Click 1 was refused (queue full, a bad upload) and never starts; Stop is pressed; the
    next click runs. Before, the pending Stop ended that next run before it began."""
    key = ("stop-test-session", "refused")
    stopping.request_stop(key, 1)
    with stopping.stoppable(key, 2) as stop:
        assert not stop.is_set()
    # Nothing of this page's sent yet (click 0): Stop changes nothing.
    assert stopping.request_stop(("another-page", "refused"), 0) is not stopping.STOPPED


def test_api_runs_are_not_stopped_by_a_page() -> None:
    """API clients send no click number (0): their runs are never stopped on start."""
    key = ("stop-test-session", "api")
    stopping.request_stop(key, 3)
    with stopping.stoppable(key, 0) as stop:
        assert not stop.is_set()
