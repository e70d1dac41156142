"""Stopping runs: the page's Stop button ends its own run cooperatively.

A run checks a per-session, per-tab event at each step and ends normally with its pictures so
far (Gradio's own ``cancels`` would mark the output with an "Error" badge). API clients cancel
their jobs instead; :func:`track` counts the runs in progress either way.
"""

from __future__ import annotations

import contextlib
import functools
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import gradio as gr

STOPPED = "**Stopped.** The run was ended; the last picture above is where it got to."
#: Runs in progress per tab; a cancelled run leaves at once (tests watch this).
ACTIVE: Counter[str] = Counter()
#: The runs in progress, by (browser session, tab): each with the event that asks it to stop.
RUNNING: dict[tuple[str, str], threading.Event] = {}
#: Runs sent but not started yet (waiting in the queue), and those asked to stop on starting.
SUBMITTED: Counter[tuple[str, str]] = Counter()
STOP_ON_START: set[tuple[str, str]] = set()
_LOCK = threading.Condition()


def track(tab: str) -> Callable[[Callable[..., Iterator[Any]]], Callable[..., Iterator[Any]]]:
    """Count the runs of ``tab`` in progress; the count drops when a run ends or is stopped."""
    def decorate(fn: Callable[..., Iterator[Any]]) -> Callable[..., Iterator[Any]]:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Iterator[Any]:
            with _LOCK:
                ACTIVE[tab] += 1
            try:
                yield from fn(*args, **kwargs)
            finally:  # also when a client cancels: Gradio closes the generator, which lands here
                with _LOCK:
                    ACTIVE[tab] -= 1
        return wrapper
    return decorate


def run_key(request: Any, tab: str) -> tuple[str, str] | None:
    """Who a run or a Stop belongs to: the browser session and the tab (None from the API)."""
    session = getattr(request, "session_hash", None)
    return (session, tab) if session else None


def note_submitted(tab: str, request: Any) -> None:
    """A run was sent from the page (it may wait in the queue before it starts)."""
    key = run_key(request, tab)
    if key:
        with _LOCK:
            SUBMITTED[key] += 1


@contextlib.contextmanager
def stoppable(key: tuple[str, str] | None) -> Iterator[threading.Event]:
    """The run of ``key``: the event is set when its Stop is pressed."""
    event = threading.Event()
    with _LOCK:
        if key:
            SUBMITTED[key] = max(0, SUBMITTED[key] - 1)
            if key in STOP_ON_START:
                STOP_ON_START.discard(key)
                event.set()
            RUNNING[key] = event
    try:
        yield event
    finally:
        with _LOCK:
            if key and RUNNING.get(key) is event:
                del RUNNING[key]
            _LOCK.notify_all()


def request_stop(tab: str, request: Any, wait: float = 10.0) -> Any:
    """Stop the page's run of ``tab``: the run ends at its next step, normally, with its last
    picture. The reply waits for that end, so the run's last status update cannot land over
    it; a run still waiting in the queue ends as soon as it starts."""
    key = run_key(request, tab)
    with _LOCK:
        event = RUNNING.get(key) if key else None
        if event is not None:
            event.set()
            _LOCK.wait_for(lambda: RUNNING.get(key) is not event,  # type: ignore[arg-type]
                           timeout=wait)
        elif key and SUBMITTED[key] > 0:
            STOP_ON_START.add(key)
        else:
            return gr.skip()  # nothing of this page's is running
    return STOPPED


def wire_stop(tab: str, run: gr.Button, stop: gr.Button,
              status: gr.components.Component | None = None) -> None:
    """Connect a tab's Stop button to its runs: each click of ``run`` is noted (the run may
    wait in the queue), and Stop asks the page's run to end, writing "Stopped." to
    ``status`` once it has."""
    def submitted(request: gr.Request) -> None:
        note_submitted(tab, request)

    def stop_run(request: gr.Request) -> Any:
        said = request_stop(tab, request)
        return said if status is not None else None

    run.click(submitted, None, None, queue=False, api_visibility="private")
    stop.click(stop_run, None, status, queue=False, api_visibility="private")
