"""Stopping runs: the page's Stop button ends the run it was pressed for, cooperatively.

A run checks an event at each step and ends normally with its pictures so far (Gradio's own
``cancels`` would mark the output with an "Error" badge). Each click of a tab's run button is
numbered in the page (a ``gr.State``) before the run is sent, and the run carries its number:
Stop ends this page's runs of that tab numbered up to the one it sees, whether they are
painting or still waiting in the queue, and never a run clicked after it. A run the queue
refused, or one whose upload was refused, simply never starts: a Stop pressed after it stops
nothing later. API clients cancel their jobs instead.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from typing import Any

import gradio as gr

STOPPED = "**Stopped.** The run was ended; the last picture above is where it got to."
#: The runs in progress, by (browser session, tab): each click number with the event that
#: asks its run to stop.
RUNNING: dict[tuple[str, str], dict[int, threading.Event]] = {}
#: Per (browser session, tab): the runs numbered up to this were stopped (those still waiting
#: in the queue end as soon as they start); and the highest number that has started.
STOPPED_UP_TO: dict[tuple[str, str], int] = {}
STARTED_UP_TO: dict[tuple[str, str], int] = {}
_LOCK = threading.Condition()


def run_key(request: Any, tab: str) -> tuple[str, str] | None:
    """Whose run or Stop it is: the browser session and the tab (None without a session)."""
    session = getattr(request, "session_hash", None)
    return (session, tab) if session else None


def next_click(click: int | None) -> int:
    """The number of a new click of a run button (kept in the page)."""
    return (click or 0) + 1


@contextlib.contextmanager
def stoppable(key: tuple[str, str] | None, click: int | None) -> Iterator[threading.Event]:
    """The run of ``key`` sent by click number ``click``: the event is set when a Stop is
    pressed for it (already set if one was pressed while it waited in the queue)."""
    event = threading.Event()
    number = click or 0
    with _LOCK:
        if key:
            STARTED_UP_TO[key] = max(number, STARTED_UP_TO.get(key, 0))
            if number and number <= STOPPED_UP_TO.get(key, 0):
                event.set()
            RUNNING.setdefault(key, {})[number] = event
    try:
        yield event
    finally:
        with _LOCK:
            runs = RUNNING.get(key, {}) if key else {}
            if runs.get(number) is event:
                del runs[number]
                if not runs:
                    del RUNNING[key]  # type: ignore[arg-type]
            _LOCK.notify_all()


def request_stop(key: tuple[str, str] | None, click: int | None, wait: float = 10.0) -> Any:
    """Stop the runs of ``key`` numbered up to ``click``: each ends at its next step, normally,
    with its last picture. The reply ("Stopped.") waits for those painting to end, so their
    last status update cannot land over it; a run still waiting in the queue ends as soon as it
    starts. With nothing of this page's running or waiting, nothing changes."""
    number = click or 0
    if not key or not number:
        return gr.skip()  # this page has sent no run
    with _LOCK:
        STOPPED_UP_TO[key] = max(number, STOPPED_UP_TO.get(key, 0))
        events = [e for n, e in RUNNING.get(key, {}).items() if n <= number]
        for event in events:
            event.set()
        _LOCK.wait_for(lambda: not any(e in RUNNING.get(key, {}).values() for e in events),
                       timeout=wait)
        # The last click has started and ended: nothing to stop, the page keeps its status.
        if not events and STARTED_UP_TO.get(key, 0) >= number:
            return gr.skip()
    return STOPPED


def forget_page(request: gr.Request) -> None:
    """A page was closed: its runs' numbers are no longer needed."""
    with _LOCK:
        for table in (STOPPED_UP_TO, STARTED_UP_TO):
            for key in [k for k in table if k[0] == request.session_hash]:
                del table[key]


def wire_run(tab: str, run: gr.Button, stop: gr.Button, fn: Callable[..., Any],
             inputs: list[Any], outputs: list[Any], status: Any = None,
             **event: Any) -> Any:
    """Connect a tab's run button to ``fn`` (called with the click number, then ``inputs``)
    and its Stop button to that run; Stop writes "Stopped." to ``status`` (if any) once the
    run has ended. ``event``: the run's own event settings (``api_name``, queue...).
    Returns the run's event (to chain what follows a finished run)."""
    clicks = gr.State(0)

    def stop_run(click: int, request: gr.Request) -> Any:
        said = request_stop(run_key(request, tab), click)
        return said if status is not None else None

    # The number is in the page before the run is sent with it (the run follows the click).
    numbered = run.click(next_click, clicks, clicks, queue=False, api_visibility="private")
    ran = numbered.then(fn, [clicks, *inputs], outputs, **event)
    stop.click(stop_run, clicks, status, queue=False, api_visibility="private")
    return ran
