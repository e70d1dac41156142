"""Load test: the real app under concurrent clients, as in a class.

Starts ``app.py`` in its own process on loopback (the queue bounded by ``--max-queue``), then
runs ``--clients`` gradio_client clients at once, each sending a mix of fast, adain and gatys
requests, some of the Gatys runs cancelled mid-run. Reports, per method, how many requests
were answered, refused by the queue limit (the page says "come back later") or failed; the
p50/p95 latency of the answered ones; the server's peak memory; and how long after a cancel a
queued Gatys run starts (the cancelled run must free its worker within a second or two).

Nothing may be lost: every request ends answered, refused or cancelled.

Usage: python bench/load.py [--clients 8] [--rounds 3] [--max-queue 6]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Outcome:
    method: str
    kind: str  # answered, refused, cancelled, failed
    seconds: float
    detail: str = ""


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    url: str
    log: Path

    def peak_memory_mb(self) -> float:
        """The process's resident-set high-water mark (Linux ``VmHWM``)."""
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        line = next(line for line in status.splitlines() if line.startswith("VmHWM"))
        return int(line.split()[1]) / 1024

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()


def start_server(max_queue: int, log: Path, env: dict[str, str] | None = None,
                 command: list[str] | None = None) -> Server:
    """``python app.py`` (or ``command``, e.g. ``stylekit app``) on a free loopback port;
    returns once it answers."""
    from gradio_client import Client

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    handle = open(log, "wb")  # noqa: SIM115  (closed with the process)
    process = subprocess.Popen(
        [*(command or [sys.executable, str(ROOT / "app.py")]), "--port", str(port),
         "--max-queue", str(max_queue)], cwd=ROOT, stdout=handle, stderr=subprocess.STDOUT,
        env={**os.environ, **(env or {})})
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the app exited: {log.read_text()[-2000:]}")
        try:
            Client(url, verbose=False)
            return Server(process, url, log)
        except Exception:  # not up yet
            time.sleep(1)
    process.kill()
    raise RuntimeError("the app did not start within 240 s")


def inputs(client: Any, method: str, photo: str, painting: str, **overrides: Any) -> list[Any]:
    """The positional inputs of a method tab, from the app's own API description."""
    from gradio_client import handle_file

    params = client.view_api(return_format="dict", print_info=False)[
        "named_endpoints"][f"/{method}"]["parameters"]
    values = []
    for p in params:
        name = p["parameter_name"]
        if name == "photo":
            values.append(handle_file(photo))
        elif name == "style_image":
            values.append(handle_file(painting) if method != "fast" else None)
        elif name in overrides:
            values.append(overrides[name])
        else:
            values.append(p.get("parameter_default"))
    return values


#: Each client's requests, in order: method, overrides, cancel after this many seconds.
PLAN: list[tuple[str, dict[str, Any], float | None]] = [
    ("fast", {"size": 512}, None),
    ("adain", {"size": 512}, None),
    ("gatys", {"size": 128, "steps": 20}, None),
    ("gatys", {"size": 256, "steps": 500}, 3.0),  # a long run, stopped by its user
]


def run_load(url: str, photo: str, painting: str, clients: int, rounds: int,
             timeout: float = 600) -> dict[str, Any]:
    """``clients`` threads, each ``rounds`` times through :data:`PLAN`; every outcome."""
    from gradio_client import Client

    outcomes: list[Outcome] = []
    lock = threading.Lock()
    start_gate = threading.Barrier(clients)

    def client_thread(index: int) -> None:
        client = Client(url, verbose=False)
        plan = PLAN[index % len(PLAN):] + PLAN[:index % len(PLAN)]  # not all in step
        start_gate.wait()
        for _ in range(rounds):
            for method, overrides, cancel_after in plan:
                args = inputs(client, method, photo, painting, **overrides)
                begun = time.monotonic()
                job = client.submit(*args, api_name=f"/{method}")
                try:
                    if cancel_after is not None:
                        time.sleep(cancel_after)
                        job.cancel()
                        kind, detail = "cancelled", ""
                    else:
                        job.result(timeout=timeout)
                        kind, detail = "answered", ""
                except Exception as exc:
                    text = str(exc)
                    full = "queue is full" in text.lower() or "too many" in text.lower()
                    kind, detail = ("refused" if full else "failed"), text[:200]
                with lock:
                    outcomes.append(Outcome(method, kind, time.monotonic() - begun, detail))

    threads = [threading.Thread(target=client_thread, args=(i,)) for i in range(clients)]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout + 60)
    report: dict[str, Any] = {"clients": clients, "rounds": rounds,
                              "sent": clients * rounds * len(PLAN),
                              "wall_seconds": round(time.monotonic() - began, 1),
                              "methods": {}, "failures": []}
    for method in sorted({o.method for o in outcomes}):
        mine = [o for o in outcomes if o.method == method]
        answered = sorted(o.seconds for o in mine if o.kind == "answered")
        entry: dict[str, Any] = {k: sum(o.kind == k for o in mine)
                                 for k in ("answered", "refused", "cancelled", "failed")}
        if answered:
            entry["p50_s"] = round(statistics.median(answered), 2)
            entry["p95_s"] = round(answered[min(len(answered) - 1,
                                                 int(0.95 * len(answered)))], 2)
        report["methods"][method] = entry
    report["failures"] = [o.detail for o in outcomes if o.kind == "failed"]
    report["received"] = len(outcomes)
    return report


def cancel_frees_the_worker(url: str, photo: str, painting: str) -> float:
    """Seconds from cancelling a long Gatys run until a short one queued behind it has run,
    less the short one's own time: how long the cancelled run kept the worker."""
    from gradio_client import Client

    client = Client(url, verbose=False)
    short = inputs(client, "gatys", photo, painting, size=64, steps=10)
    start = time.monotonic()
    client.predict(*short, api_name="/gatys")
    alone = time.monotonic() - start
    long_job = client.submit(*inputs(client, "gatys", photo, painting, size=256, steps=1000),
                             api_name="/gatys")
    time.sleep(4.0)  # it is running now
    queued = client.submit(*short, api_name="/gatys")
    time.sleep(0.5)
    cancelled = time.monotonic()
    long_job.cancel()
    queued.result(timeout=120)
    return max(0.0, time.monotonic() - cancelled - alone)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--max-queue", type=int, default=6)
    args = parser.parse_args()
    from stylekit.examples import example_path

    photo, painting = str(example_path("chelsea")), str(example_path("starry_night"))
    log = Path("/tmp") / "stylekit-load-server.log"
    server = start_server(args.max_queue, log)
    try:
        report = run_load(server.url, photo, painting, args.clients, args.rounds)
        print(json.dumps(report, indent=1), flush=True)
        report["cancel_frees_worker_s"] = round(cancel_frees_the_worker(server.url, photo,
                                                                        painting), 2)
        report["server_peak_memory_mb"] = round(server.peak_memory_mb())
    finally:
        server.stop()
    print(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
