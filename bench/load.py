"""Load test: the real app under concurrent clients, as in a class.

Starts ``app.py`` in its own process on loopback (the queue bounded by ``--max-queue``, its
files in a folder of their own), then runs ``--clients`` gradio_client clients at once, each
sending a mix of fast, adain and gatys requests, some of the Gatys runs cancelled mid-run.
Reports, per method, how many requests were answered, refused by the queue limit (the page
says "come back later") or failed; the p50/p95 latency of the answered ones; then twelve
identical fast requests at once (each result must arrive whole: a file rewritten while it was
sent once cut some off); how long after a cancel a queued Gatys run starts (the cancelled run
must free its worker within a second or two); the server's peak memory; the disk its files
(uploads, results) take before and after; and every exception in the server's log. Then a
second server that keeps its files 10 s shows them go (the app's default is an hour:
``--keep-files``).

Nothing may be lost, and the logs must be clean: every request ends answered, refused or
cancelled, with its result whole.

Usage: python bench/load.py [--clients 8] [--rounds 2] [--max-queue 16]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
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


#: gradio_client's own time limits are a few seconds: on a busy 2-core machine eight clients
#: asking for the app's description at once wait longer than that for their turn.
CLIENT: dict[str, Any] = {"verbose": False, "httpx_kwargs": {"timeout": 120}}

#: Lines of the server's log that mean something went wrong (refusals of bad requests are
#: logged as one "refused a request" line each, not as errors).
PROBLEM = re.compile(r"Traceback|Exception|Error\b|error:")


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    url: str
    log: Path
    files: Path  # the server's Gradio folder (uploads, results)

    def problems(self) -> list[str]:
        """The lines of the server's log that report an exception or an error."""
        return [line for line in self.log.read_text(errors="replace").splitlines()
                if PROBLEM.search(line) and "refused a request" not in line]

    def files_mb(self) -> float:
        """Megabytes of the files in the server's Gradio folder."""
        return sum(f.stat().st_size for f in self.files.rglob("*") if f.is_file()) / 1e6

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
                 command: list[str] | None = None, keep_files: int | None = None) -> Server:
    """``python app.py`` (or ``command``, e.g. ``stylekit app``) on a free loopback port, its
    Gradio folder a new one beside ``log``; returns once it answers."""
    from gradio_client import Client

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    files = Path(tempfile.mkdtemp(prefix="gradio-", dir=log.parent))
    handle = open(log, "wb")  # noqa: SIM115  (closed with the process)
    process = subprocess.Popen(
        [*(command or [sys.executable, str(ROOT / "app.py")]), "--port", str(port),
         "--max-queue", str(max_queue),
         *(["--keep-files", str(keep_files)] if keep_files else [])],
        cwd=ROOT, stdout=handle, stderr=subprocess.STDOUT,
        env={**os.environ, "GRADIO_TEMP_DIR": str(files), **(env or {})})
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the app exited: {log.read_text()[-2000:]}")
        try:
            Client(url, **CLIENT)
            return Server(process, url, log, files)
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
        plan = PLAN[index % len(PLAN):] + PLAN[:index % len(PLAN)]  # not all in step
        try:
            client = Client(url, **CLIENT)
        except Exception as exc:  # counted, and the others still start together
            with lock:
                outcomes.extend(Outcome(m, "failed", 0.0, f"client: {exc}"[:200])
                                for _ in range(rounds) for m, _, _ in plan)
            return
        finally:
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
                    kind = "refused" if full else "failed"
                    detail = f"{type(exc).__name__}: {text}"[:200]
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


def identical_requests(url: str, photo: str, count: int = 12, size: int = 1024,
                       timeout: float = 600) -> dict[str, Any]:
    """``count`` identical fast requests at once (a class running the same example), each
    from its own client: how many results arrived whole (a picture that decodes, at ``size``
    px), and the failures."""
    from gradio_client import Client
    from PIL import Image

    gate = threading.Barrier(count)
    whole: list[bool] = []
    failures: list[str] = []

    def one() -> None:
        try:
            client = Client(url, **CLIENT)
            args = inputs(client, "fast", photo, photo, size=size)
        except Exception as exc:
            failures.append(f"client: {type(exc).__name__}: {str(exc)[:200]}")
            return
        finally:
            gate.wait()  # all at once, as a class does
        try:
            picture = Image.open(client.predict(*args, api_name="/fast")[0])
            picture.load()
            whole.append(max(picture.size) == size)
        except Exception as exc:  # a cut-off download, a truncated picture
            failures.append(f"{type(exc).__name__}: {str(exc)[:200]}")

    threads = [threading.Thread(target=one) for _ in range(count)]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    return {"sent": count, "whole": sum(whole), "failures": failures,
            "wall_seconds": round(time.monotonic() - began, 1)}


def cancel_frees_the_worker(url: str, photo: str, painting: str) -> float:
    """Seconds from cancelling a long Gatys run until a short one queued behind it has run,
    less the short one's own time: how long the cancelled run kept the worker."""
    from gradio_client import Client

    client = Client(url, **CLIENT)
    short = inputs(client, "gatys", photo, painting, size=64, steps=10)
    start = time.monotonic()
    client.predict(*short, api_name="/gatys")
    alone = time.monotonic() - start
    long_job = client.submit(*inputs(client, "gatys", photo, painting, size=256, steps=500),
                             api_name="/gatys")
    time.sleep(4.0)  # it is running now
    queued = client.submit(*short, api_name="/gatys")
    time.sleep(0.5)
    cancelled = time.monotonic()
    long_job.cancel()
    queued.result(timeout=120)
    return max(0.0, time.monotonic() - cancelled - alone)


def files_go(log: Path, photo: str, painting: str, keep_files: int = 10) -> dict[str, Any]:
    """A server of its own that keeps its files ``keep_files`` seconds: a few requests, then
    how many of the files they left (uploads, results) are still there once that time has
    passed, and its log's problems."""
    from gradio_client import Client
    from PIL import Image

    # A photo of its own: an upload of an example is the page's copy of it, kept for the page.
    upload = log.parent / "upload.png"
    Image.open(photo).convert("RGB").rotate(180).save(upload)
    server = start_server(max_queue=4, log=log, keep_files=keep_files)
    try:
        before = set(server.files.rglob("*.*"))  # the examples
        client = Client(server.url, **CLIENT)
        made: set[Path] = set()
        for method, size in (("fast", 256), ("adain", 256), ("gatys", 64)):
            client.predict(*inputs(client, method, str(upload), painting, size=size,
                                   **({"steps": 10} if method == "gatys" else {})),
                           api_name=f"/{method}")
            made |= set(server.files.rglob("*.*")) - before
        deadline = time.monotonic() + keep_files + 2 * max(1, keep_files // 4) + 10
        while any(f.exists() for f in made) and time.monotonic() < deadline:
            time.sleep(0.5)
        return {"made": sorted(f.name for f in made),
                "left": sorted(f.name for f in made if f.exists()),
                "problems": server.problems()}
    finally:
        server.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--max-queue", type=int, default=16)
    args = parser.parse_args()
    from stylekit.examples import example_path

    photo, painting = str(example_path("chelsea")), str(example_path("starry_night"))
    folder = Path(tempfile.mkdtemp(prefix="stylekit-load-"))
    server = start_server(args.max_queue, folder / "server.log")
    try:
        began_mb = server.files_mb()
        report = run_load(server.url, photo, painting, args.clients, args.rounds)
        print(json.dumps(report, indent=1), flush=True)
        report["gradio_files_mb"] = {"before": round(began_mb, 1),
                                     "after the load": round(server.files_mb(), 1)}
        report["identical_fast_requests"] = identical_requests(server.url, photo)
        report["cancel_frees_worker_s"] = round(cancel_frees_the_worker(server.url, photo,
                                                                        painting), 2)
        report["server_peak_memory_mb"] = round(server.peak_memory_mb())
        report["gradio_files_mb"]["at the end"] = round(server.files_mb(), 1)
        report["server_log_problems"] = server.problems()
    finally:
        server.stop()
    # The files go once they are older than --keep-files (an hour by default; 10 s here).
    report["files_go_after_keep_files"] = files_go(folder / "keep.log", photo, painting)
    print(json.dumps(report, indent=1))
    print(f"server logs: {folder}")
    sweep = report["files_go_after_keep_files"]
    clean = not (report["server_log_problems"] or report["failures"] or sweep["left"]
                 or sweep["problems"]) and report["identical_fast_requests"]["whole"] == \
        report["identical_fast_requests"]["sent"]
    return 0 if clean else 1


if __name__ == "__main__":
    sys.exit(main())
