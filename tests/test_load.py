"""The real app under load: concurrent clients, a bounded queue, cancellations, identical
requests at once, its files on disk and its log (bench/load.py).

Marked ``load`` (deselect with ``-m "not load"``): it starts the app in its own process (and
a second one that keeps its files 10 s) and keeps both cores busy for about two minutes.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("gradio_client")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
import load  # noqa: E402

from stylekit.examples import example_path  # noqa: E402

pytestmark = pytest.mark.load


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    # The app's own queue bound (16), as the Space runs it: a class's twelve identical
    # requests must all fit; refusals past the bound are tested in test_launch.py.
    running = load.start_server(max_queue=16, log=tmp_path_factory.mktemp("load") / "app.log")
    yield running
    running.stop()


@pytest.fixture(scope="module")
def pair() -> tuple[str, str]:
    return str(example_path("chelsea")), str(example_path("starry_night"))


@pytest.fixture(scope="module")
def loaded(server, pair) -> dict[str, Any]:
    """Eight clients at once, once through the plan: the report, and the megabytes of the
    server's files before and after."""
    before = server.files_mb()
    report = load.run_load(server.url, *pair, clients=8, rounds=1, timeout=300)
    return {"report": report, "before_mb": before, "after_mb": server.files_mb()}


def test_eight_clients_nothing_lost(server, loaded) -> None:
    report = loaded["report"]
    assert report["received"] == report["sent"] == 8 * len(load.PLAN), report
    assert not report["failures"], report["failures"]
    for method in ("fast", "adain", "gatys"):
        entry = report["methods"][method]
        assert entry["answered"] >= 1, (method, entry)
        # Refusals come from the queue limit only, and some requests always get through.
        assert entry["answered"] + entry["refused"] + entry["cancelled"] == \
            sum(1 for m, _, _ in load.PLAN if m == method) * 8
    assert report["methods"]["gatys"]["cancelled"] >= 1
    # The server survived and its memory stayed bounded (two runs at once on a CPU).
    assert server.process.poll() is None
    assert server.peak_memory_mb() < 6000
    # Its files grew by the uploads and results, and no more than a few MB per request.
    assert 0.1 < loaded["after_mb"] - loaded["before_mb"] < 5 * report["sent"]


def test_twelve_identical_requests_all_get_whole_results(server, loaded, pair) -> None:
    """A class running the same example: before, one result file was rewritten while it was
    being sent ("Too little data for declared Content-Length" in the log, 11 of 12 whole)."""
    report = load.identical_requests(server.url, pair[0], count=12, size=1024)
    assert report["whole"] == 12, report


def test_a_cancelled_gatys_run_frees_its_worker(server, loaded, pair) -> None:
    assert load.cancel_frees_the_worker(server.url, *pair) < 2.0


def test_the_server_log_has_no_exception(server, loaded) -> None:
    """After the tests above: none may have logged an exception, even if every client got
    through (before, the server logged h11's LocalProtocolError in 2 of 3 load runs)."""
    assert not server.problems(), "\n".join(server.problems()[:40])


def test_files_go_after_keep_files(tmp_path, pair) -> None:
    """Uploads and results older than --keep-files are removed while the server runs (before,
    Gradio kept every upload, picture and video until it stopped)."""
    report = load.files_go(tmp_path / "app.log", *pair, keep_files=10)
    made = report["made"]
    assert "upload.png" in made and {"fast", "adain", "gatys", "gatys-step0"} <= {
        name.rsplit("-", 1)[0] for name in made}, made
    assert not report["left"], report
    assert not report["problems"], report["problems"]
