"""A local stand-in for the Hugging Face Hub, enough for ``hf_hub_download`` of public repos.

The real client (``huggingface_hub.hf_hub_download``) first sends ``HEAD /{repo}/resolve/{rev}/
{file}`` and reads these response headers:

* ``X-Repo-Commit``: the 40-hex commit the revision points to (missing => FileMetadataError);
* ``X-Linked-Etag`` (preferred) or ``ETag``: names the blob in the cache (missing => error);
* ``X-Linked-Size`` (preferred) or ``Content-Length``: the expected size, checked after the GET;
* ``Location``: where to GET from; without it the client GETs the resolve URL itself.

It then GETs the file. Errors are told apart by the ``X-Error-Code`` header: ``RepoNotFound``,
``RevisionNotFound`` and ``EntryNotFound``. This server answers like the Hub does for LFS files
served directly (no CDN redirect): the ETag is the file's sha256.

Usage (in a test with pytest's ``monkeypatch`` and ``tmp_path``)::

    with HubStandIn({("org/repo", "main"): {"model.safetensors": data}}) as hub:
        point_client_at(monkeypatch, hub.endpoint, tmp_path / "hf-home")
        path = hf_hub_download("org/repo", "model.safetensors")
        assert hub.count("GET") == 1
"""

from __future__ import annotations

import functools
import hashlib
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote

Files = dict[tuple[str, str], dict[str, bytes]]


def commit_of(repo_id: str, revision: str) -> str:
    """The 40-hex commit a revision resolves to: itself if it already is one, else a fixed hash."""
    if len(revision) == 40 and all(c in "0123456789abcdef" for c in revision):
        return revision
    return hashlib.sha1(f"{repo_id}@{revision}".encode()).hexdigest()


class HubStandIn:
    """Serves registered files at ``/{repo_id}/resolve/{revision}/{filename}`` on 127.0.0.1.

    ``files`` maps ``(repo_id, revision)`` to ``{filename: bytes}``; a revision can be a branch
    name or a 40-hex commit, and a branch's files can also be fetched by its commit (see
    :func:`commit_of`). ``requests`` counts ``(method, path)`` pairs; ``corrupted`` holds
    ``(repo_id, filename)`` pairs whose GET returns damaged bytes of the right length.
    """

    def __init__(self, files: Files | None = None) -> None:
        self.files: Files = dict(files or {})
        self.corrupted: set[tuple[str, str]] = set()
        self.requests: Counter[tuple[str, str]] = Counter()
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    @property
    def endpoint(self) -> str:
        """The base URL to use as ``HF_ENDPOINT``."""
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def count(self, method: str | None = None) -> int:
        """How many requests arrived (only those with ``method``, if given)."""
        with self._lock:
            return sum(n for (m, _), n in self.requests.items() if method in (None, m))

    def corrupt(self, repo_id: str, filename: str, on: bool = True) -> None:
        """Serve damaged bytes for this file on GET (``on=False`` repairs it)."""
        (self.corrupted.add if on else self.corrupted.discard)((repo_id, filename))

    def stop(self) -> None:
        """Stop serving and close the port (later connections are refused)."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> HubStandIn:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # --- request handling ----------------------------------------------------------------------

    def lookup(self, path: str) -> tuple[int, dict[str, str], bytes]:
        """Status, headers and body (the true bytes) for a resolve ``path``.

        An unknown repo gets 401 as on the real Hub (it does not tell anonymous users whether a
        private repo exists); an unknown revision or file gets 404.
        """
        repo_id, revision, filename = _parse(path)
        if not filename:
            return 404, {}, b""
        known = {rev: content for (repo, rev), content in self.files.items() if repo == repo_id}
        if not known:
            return 401, _error("RepoNotFound", "Repository not found"), b""
        matches = [rev for rev in known if revision in (rev, commit_of(repo_id, rev))]
        if not matches:
            return 404, _error("RevisionNotFound", "Invalid rev id: " + revision), b""
        content, commit = known[matches[0]], commit_of(repo_id, matches[0])
        if filename not in content:
            headers = _error("EntryNotFound", "Entry not found")
            return 404, {**headers, "X-Repo-Commit": commit}, b""
        data = content[filename]
        etag = _sha256(data)
        headers = {
            "X-Repo-Commit": commit,
            "ETag": f'"{etag}"',
            "X-Linked-Etag": f'"{etag}"',
            "X-Linked-Size": str(len(data)),
        }
        return 200, headers, data

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        hub = self

        class Handler(BaseHTTPRequestHandler):
            def do_HEAD(self) -> None:  # noqa: N802 (http.server naming)
                self._answer(send_body=False)

            def do_GET(self) -> None:  # noqa: N802
                self._answer(send_body=True)

            def _answer(self, send_body: bool) -> None:
                with hub._lock:
                    hub.requests[(self.command, self.path)] += 1
                status, headers, body = hub.lookup(self.path)
                repo_id, _, filename = _parse(self.path)
                if send_body and status == 200 and (repo_id, filename) in hub.corrupted:
                    body = bytes(b ^ 0xFF for b in body[:64]) + body[64:]
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if send_body:
                    self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass  # keep pytest output clean

        return Handler


def point_client_at(monkeypatch: Any, endpoint: str, home: Path, offline: bool = False) -> None:
    """Make ``hf_hub_download`` use ``endpoint`` and a private cache under ``home``.

    ``huggingface_hub.constants`` reads ``HF_ENDPOINT``, ``HF_HOME``, ``HF_HUB_CACHE`` and
    ``HF_HUB_OFFLINE`` once, at import, and builds the resolve URL template from the endpoint
    then; so the module attributes are patched as well as the environment.
    """
    from huggingface_hub import constants

    env = {"HF_ENDPOINT": endpoint, "HF_HOME": str(home), "HF_HUB_CACHE": str(home / "hub")}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1" if offline else "0")
    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.setattr(constants, "ENDPOINT", endpoint)
    template = endpoint + "/{repo_id}/resolve/{revision}/{filename}"
    monkeypatch.setattr(constants, "HUGGINGFACE_CO_URL_TEMPLATE", template)
    monkeypatch.setattr(constants, "HF_HOME", str(home))
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(home / "hub"))
    monkeypatch.setattr(constants, "HF_TOKEN_PATH", str(home / "token"))
    monkeypatch.setattr(constants, "HF_HUB_DISABLE_IMPLICIT_TOKEN", True)
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", offline)
    # Telemetry includes a once-a-process GET {endpoint}/api/agent-harnesses (agent detection for
    # the user agent) cached in HF_HOME: turn it off so that only file requests reach the server.
    monkeypatch.setenv("HF_HUB_DISABLE_TELEMETRY", "1")
    monkeypatch.setattr(constants, "HF_HUB_DISABLE_TELEMETRY", True)
    monkeypatch.setattr(constants, "AGENT_HARNESSES_PATH", str(home / ".agent_harnesses.json"))


@functools.lru_cache(maxsize=16)
def _sha256(data: bytes) -> str:
    """sha256 of a served file, remembered: model files are tens of MB and asked for twice."""
    return hashlib.sha256(data).hexdigest()


def _parse(path: str) -> tuple[str, str, str]:
    """``(repo_id, revision, filename)`` of ``/{repo_id}/resolve/{revision}/{filename}``."""
    repo_id, sep, rest = path.split("?")[0].lstrip("/").partition("/resolve/")
    revision, _, filename = rest.partition("/")  # the client quotes "/" inside a revision
    return (unquote(repo_id), unquote(revision), unquote(filename)) if sep else ("", "", "")


def _error(code: str, message: str) -> dict[str, str]:
    return {"X-Error-Code": code, "X-Error-Message": message}
