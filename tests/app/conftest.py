"""Helpers of the app's tests (the served app itself is the ``live_app`` fixture in
``tests/conftest.py``, shared with the fuzz test)."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest


def poll(condition: Callable[[], bool], timeout: float) -> bool:
    """Whether ``condition()`` became true within ``timeout`` seconds (checked every 50 ms)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.05)
    return False


@pytest.fixture()
def wait_for() -> Callable[[Callable[[], bool], float], bool]:
    """:func:`poll`, for a test to wait on the server's state."""
    return poll
