"""The real app under load: concurrent clients, a bounded queue, cancellations (bench/load.py).

Marked ``load`` (deselect with ``-m "not load"``): it starts the app in its own process and
keeps both cores busy for about a minute.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

pytest.importorskip("gradio_client")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
import load  # noqa: E402

from stylekit.examples import example_path  # noqa: E402

pytestmark = pytest.mark.load


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    running = load.start_server(max_queue=6, log=tmp_path_factory.mktemp("load") / "app.log")
    yield running
    running.stop()


def test_eight_clients_nothing_lost(server) -> None:
    photo, painting = str(example_path("chelsea")), str(example_path("starry_night"))
    report = load.run_load(server.url, photo, painting, clients=8, rounds=1, timeout=300)
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


def test_a_cancelled_gatys_run_frees_its_worker(server) -> None:
    photo, painting = str(example_path("chelsea")), str(example_path("starry_night"))
    assert load.cancel_frees_the_worker(server.url, photo, painting) < 2.0
