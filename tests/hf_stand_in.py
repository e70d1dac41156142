"""A local stand-in for the Hugging Face Hub: enough for ``hf_hub_download``, ``HfApi.create_repo``
and ``HfApi.upload_folder`` (huggingface_hub 2.x) against model repos.

**Downloads.** The real client (``huggingface_hub.hf_hub_download``) first sends ``HEAD /{repo}/
resolve/{rev}/{file}`` and reads these response headers:

* ``X-Repo-Commit``: the 40-hex commit the revision points to (missing => FileMetadataError);
* ``X-Linked-Etag`` (preferred) or ``ETag``: names the blob in the cache (missing => error);
* ``X-Linked-Size`` (preferred) or ``Content-Length``: the expected size, checked after the GET;
* ``Location``: where to GET from; without it the client GETs the resolve URL itself.

It then GETs the file. Errors are told apart by the ``X-Error-Code`` header: ``RepoNotFound``,
``RevisionNotFound`` and ``EntryNotFound``. This server answers like the Hub does for LFS files
served directly (no CDN redirect): the ETag is the file's sha256.

**Uploads.** ``HfApi.create_repo`` and ``HfApi.upload_folder`` use these endpoints, all of which
need an ``Authorization: Bearer <token>`` header here (401 without one, as on the Hub):

* ``POST /api/repos/create`` with JSON ``{"name", "organization", "type", "visibility"}``:
  answers ``{"url": ...}``, or 409 if the repo exists (``exist_ok=True`` accepts that). When the
  answer is 401/403 and ``exist_ok=True``, the client asks ``GET /api/models/{repo}`` to see
  whether the repo exists anyway, so that read endpoint is served too (no token needed for a
  public repo). It answers ``{"id", "sha", "private", "siblings": [{"rfilename"}]}``.
* ``POST /api/validate-yaml`` (only when the folder has a top-level ``README.md``): the model
  card's metadata is accepted as is, ``{"errors": [], "warnings": []}``.
* ``POST /api/models/{repo}/preupload/{rev}`` with JSON ``{"files": [{"path", "sample",
  "size"}]}``: the server decides how each file travels. The answer here is ``"uploadMode":
  "regular"`` for every file, so the client inlines the contents, base64-encoded, in the commit
  and never opens an Xet (hf_xet installed) or Git LFS transfer: the client follows the server's
  choice and has no rule of its own that forces LFS, so those protocols are not implemented.
  ``"oid"`` is the git blob sha1 of the file already at that path, if any: the client then drops
  unchanged files and makes no empty commit (it asks ``GET /api/models/{repo}`` for the head
  instead).
* ``POST /api/models/{repo}/commit/{rev}`` with an NDJSON body (``Content-Type:
  application/x-ndjson``): one ``{"key": "header", "value": {"summary", "description"}}`` line,
  then one line per operation: ``file`` (``{"path", "content", "encoding": "base64"}``),
  ``deletedFile`` or ``deletedFolder`` (``{"path"}``). ``lfsFile`` lines (never asked for) and
  pull requests (``?create_pr=1``) are refused with 400; ``parentCommit`` is not checked. The
  answer is ``{"success", "commitOid", "commitUrl"}``; the branch then points at the new commit,
  and the files can be downloaded at the branch, at the new commit, and (as before the commit)
  at the parent commit.

The client's errors come from the status and the ``X-Error-Code`` / ``X-Error-Message`` headers
(and a JSON ``{"error": ...}`` body): a write without a token gets 401 "Invalid username or
password.", and a token other than the one the server was made with gets 401 "Invalid
credentials in Authorization header" on any endpoint. A private repo (``--private``) is hidden
from requests without a valid token: 401 ``RepoNotFound``, as for a repo that does not exist.

Usage (in a test with pytest's ``monkeypatch`` and ``tmp_path``)::

    with HubStandIn({("org/repo", "main"): {"model.safetensors": data}}) as hub:
        point_client_at(monkeypatch, hub.endpoint, tmp_path / "hf-home")
        path = hf_hub_download("org/repo", "model.safetensors")
        assert hub.count("GET") == 1

    with HubStandIn(token="hf_test") as hub:
        point_client_at(monkeypatch, hub.endpoint, tmp_path / "hf-home", token="hf_test")
        HfApi().create_repo("org/new")
        info = HfApi().upload_folder(repo_id="org/new", folder_path=folder)
        assert hub.files[("org/new", info.oid)] == hub.files[("org/new", "main")]
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import re
import threading
from collections import Counter
from dataclasses import dataclass
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

Files = dict[tuple[str, str], dict[str, bytes]]
Answer = tuple[int, dict[str, str], bytes]  # status, headers, body

_REPO = r"(?P<repo>[^/]+/[^/]+)"
_WRITE_PATH = re.compile(rf"^/api/models/{_REPO}/(?P<action>preupload|commit)/(?P<rev>[^/]+)$")
_INFO_PATH = re.compile(rf"^/api/models/{_REPO}(?:/revision/(?P<rev>[^/]+))?$")


def commit_of(repo_id: str, revision: str) -> str:
    """The 40-hex commit a revision resolves to: itself if it already is one, else a fixed hash.

    A branch that received a commit through the server points at that commit instead; see
    :meth:`HubStandIn.head`.
    """
    if _is_commit(revision):
        return revision
    return hashlib.sha1(f"{repo_id}@{revision}".encode()).hexdigest()


@dataclass(frozen=True)
class CommitRecord:
    """One commit received by ``POST /api/models/{repo}/commit/{branch}``."""

    repo_id: str
    branch: str
    oid: str
    parent: str
    summary: str
    paths: tuple[str, ...]  # the paths added or deleted, in the order sent


class HubStandIn:
    """Serves the Hub endpoints described in the module docstring on 127.0.0.1.

    ``files`` maps ``(repo_id, revision)`` to ``{filename: bytes}``; a revision can be a branch
    name or a 40-hex commit, and a branch's files can also be fetched by its commit (see
    :meth:`head`). A repo exists once it has at least one revision; ``create_repo`` gives it an
    empty ``main``. ``token``: the only token accepted for writes (and private reads); by default
    any bearer token is accepted.

    Kept for tests to look at: ``requests`` counts ``(method, path)`` pairs; ``commits`` lists
    the commits received; ``private`` holds the ids of private repos; ``corrupted`` holds
    ``(repo_id, filename)`` pairs whose GET returns damaged bytes of the right length.
    """

    def __init__(self, files: Files | None = None, token: str | None = None) -> None:
        self.files: Files = dict(files or {})
        self.token = token
        self.heads: dict[tuple[str, str], str] = {}  # (repo_id, branch) -> commit, once moved
        self.private: set[str] = set()
        self.commits: list[CommitRecord] = []
        self.corrupted: set[tuple[str, str]] = set()
        self.requests: Counter[tuple[str, str]] = Counter()
        self._lock = threading.RLock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    @property
    def endpoint(self) -> str:
        """The base URL to use as ``HF_ENDPOINT``."""
        return f"http://127.0.0.1:{self._server.server_port}"

    def count(self, method: str | None = None) -> int:
        """How many requests arrived (only those with ``method``, if given)."""
        with self._lock:
            return sum(n for (m, _), n in self.requests.items() if method in (None, m))

    def head(self, repo_id: str, revision: str) -> str:
        """The commit ``revision`` points to: the last commit received on that branch, if any."""
        with self._lock:
            return self.heads.get((repo_id, revision)) or commit_of(repo_id, revision)

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

    # --- downloads -----------------------------------------------------------------------------

    def lookup(self, path: str, authorized: bool = False) -> Answer:
        """Status, headers and body (the true bytes) for a resolve ``path``.

        An unknown repo gets 401 as on the real Hub (it does not tell anonymous users whether a
        private repo exists), and so does a private repo unless ``authorized``; an unknown
        revision or file gets 404.
        """
        repo_id, revision, filename = _parse(path)
        if not filename:
            return 404, {}, b""
        found = self._find(repo_id, revision, authorized)
        if isinstance(found, tuple):
            return found
        content, commit = found, self.head(repo_id, revision)
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

    def _find(self, repo_id: str, revision: str, authorized: bool) -> dict[str, bytes] | Answer:
        """The files of ``repo_id`` at ``revision`` (branch or commit), or the error answer."""
        with self._lock:
            known = {rev: content for (repo, rev), content in self.files.items() if repo == repo_id}
            if not known or (repo_id in self.private and not authorized):
                return 401, _error("RepoNotFound", "Repository not found"), b""
            for rev, content in known.items():
                if revision in (rev, self.head(repo_id, rev)):
                    return content
        return 404, _error("RevisionNotFound", "Invalid rev id: " + revision), b""

    def _model_info(self, repo_id: str, revision: str, authorized: bool) -> Answer:
        """``GET /api/models/{repo}[/revision/{rev}]``: the few fields the client reads."""
        found = self._find(repo_id, revision, authorized)
        if isinstance(found, tuple):
            return found
        return _json(200, {
            "id": repo_id,
            "sha": self.head(repo_id, revision),
            "private": repo_id in self.private,
            "siblings": [{"rfilename": name} for name in sorted(found)],
        })

    # --- uploads -------------------------------------------------------------------------------

    def check_token(self, authorization: str | None) -> Answer | None:
        """None if the ``Authorization`` header value is accepted, else the 401 answer."""
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return _json(401, {"error": "Invalid username or password."})
        if self.token is not None and token.strip() != self.token:
            return _json(401, {"error": "Invalid credentials in Authorization header"})
        return None

    def _create_repo(self, payload: dict[str, Any]) -> Answer:
        """``POST /api/repos/create``: a model repo with an empty ``main`` branch."""
        if payload.get("type", "model") != "model":
            return _json(400, {"error": "this stand-in only has model repos"})
        if not payload.get("organization") or not payload.get("name"):
            return _json(400, {"error": "give the repo id as namespace/name"})
        repo_id = f"{payload['organization']}/{payload['name']}"
        url = f"{self.endpoint}/{repo_id}"
        with self._lock:
            if any(repo == repo_id for repo, _ in self.files):
                return _json(409, {"error": "You already created this model repo", "url": url})
            self.files[(repo_id, "main")] = {}
            if payload.get("visibility") == "private":
                self.private.add(repo_id)
        return _json(200, {"url": url, "name": repo_id})

    def _branch(self, repo_id: str, revision: str) -> dict[str, bytes] | Answer:
        """The files on branch ``revision`` (writes go to branches only), or the error answer."""
        found = self._find(repo_id, revision, authorized=True)
        if isinstance(found, tuple):
            return found
        if (repo_id, revision) not in self.files or _is_commit(revision):
            return _json(400, {"error": f"can only commit to a branch, not {revision}"})
        return found

    def _preupload(self, repo_id: str, branch: str, payload: dict[str, Any]) -> Answer:
        """``POST .../preupload/{branch}``: every file is to be sent inline ("regular")."""
        tree = self._branch(repo_id, branch)
        if isinstance(tree, tuple):
            return tree
        answers = []
        for file in payload.get("files", []):
            current = tree.get(file["path"])
            answers.append({
                "path": file["path"],
                "uploadMode": "regular",
                "shouldIgnore": False,
                "oid": None if current is None else _git_blob_sha1(current),
            })
        return _json(200, {"files": answers})

    def _commit(self, repo_id: str, branch: str, body: bytes) -> Answer:
        """``POST .../commit/{branch}``: apply the NDJSON operations and move the branch."""
        try:
            lines = [json.loads(line) for line in body.splitlines() if line.strip()]
        except ValueError:
            return _json(400, {"error": "the commit body is not NDJSON"})
        if not lines or lines[0].get("key") != "header":
            return _json(400, {"error": "the commit body must start with a header line"})
        summary = lines[0]["value"].get("summary", "")
        with self._lock:
            tree = self._branch(repo_id, branch)
            if isinstance(tree, tuple):
                return tree
            tree = dict(tree)
            paths = []
            for line in lines[1:]:
                key, value = line.get("key"), line.get("value", {})
                path = value.get("path", "")
                if key == "file" and value.get("encoding") == "base64":
                    tree[path] = base64.b64decode(value["content"])
                elif key == "deletedFile":
                    tree.pop(path, None)
                elif key == "deletedFolder":
                    prefix = path.rstrip("/") + "/"
                    tree = {name: blob for name, blob in tree.items()
                            if not name.startswith(prefix)}
                else:
                    return _json(400, {"error": f"unsupported commit operation {key!r}"})
                paths.append(path)
            parent = self.head(repo_id, branch)
            digest = hashlib.sha1(f"{repo_id}\n{parent}\n{summary}\n".encode())
            for name in sorted(tree):
                digest.update(f"{name}\0{_git_blob_sha1(tree[name])}\n".encode())
            oid = digest.hexdigest()
            # The parent stays downloadable by its hash; the branch and the new hash get the tree.
            self.files.setdefault((repo_id, parent), self.files[(repo_id, branch)])
            self.files[(repo_id, branch)] = self.files[(repo_id, oid)] = tree
            self.heads[(repo_id, branch)] = oid
            self.commits.append(CommitRecord(repo_id, branch, oid, parent, summary, tuple(paths)))
        url = f"{self.endpoint}/{repo_id}/commit/{oid}"
        return _json(200, {"success": True, "commitOid": oid, "commitUrl": url, "hookOutput": ""})

    def answer_post(self, path: str, headers: Message, body: bytes) -> Answer:
        """Route a POST (the path may have a query string)."""
        parts = urlsplit(path)
        route = parts.path  # repo ids and revisions in it are still URL-quoted
        if route == "/api/validate-yaml":
            return _json(200, {"errors": [], "warnings": []})
        write = _WRITE_PATH.match(route)
        if route != "/api/repos/create" and not write:
            return _json(404, {"error": "Sorry, we can't find the page you are looking for."})
        refused = self.check_token(headers.get("Authorization"))
        if refused:
            return refused
        if "create_pr" in parse_qs(parts.query):
            return _json(400, {"error": "this stand-in does not do pull requests"})
        try:
            payload = json.loads(body) if write is None or write["action"] == "preupload" else {}
        except ValueError:
            return _json(400, {"error": "the body is not JSON"})
        if write is None:
            return self._create_repo(payload)
        repo_id, revision = unquote(write["repo"]), unquote(write["rev"])
        if write["action"] == "preupload":
            return self._preupload(repo_id, revision, payload)
        return self._commit(repo_id, revision, body)

    def answer_get(self, path: str, headers: Message) -> Answer:
        """Route a HEAD or GET: model info, or a file through the resolve endpoint.

        No token is needed to read a public repo, but a token that is sent must be valid.
        """
        refused = self.check_token(headers.get("Authorization"))
        if refused and headers.get("Authorization"):
            return refused
        authorized = refused is None
        info = _INFO_PATH.match(urlsplit(path).path)
        if info:
            revision = unquote(info["rev"] or "main")
            return self._model_info(unquote(info["repo"]), revision, authorized)
        return self.lookup(path, authorized)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        hub = self

        class Handler(BaseHTTPRequestHandler):
            def do_HEAD(self) -> None:  # noqa: N802 (http.server naming)
                self._answer(send_body=False)

            def do_GET(self) -> None:  # noqa: N802
                self._answer(send_body=True)

            def do_POST(self) -> None:  # noqa: N802
                with hub._lock:
                    hub.requests[(self.command, self.path)] += 1
                # Read the whole body before answering, even a refusal: the client is still
                # sending it, and closing early would turn a 401 into a broken connection.
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                self._send(*hub.answer_post(self.path, self.headers, body), send_body=True)

            def _answer(self, send_body: bool) -> None:
                with hub._lock:
                    hub.requests[(self.command, self.path)] += 1
                status, headers, body = hub.answer_get(self.path, self.headers)
                repo_id, _, filename = _parse(self.path)
                if send_body and status == 200 and (repo_id, filename) in hub.corrupted:
                    body = bytes(b ^ 0xFF for b in body[:64]) + body[64:]
                self._send(status, headers, body, send_body)

            def _send(self, status: int, headers: dict[str, str], body: bytes,
                      send_body: bool) -> None:
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


def point_client_at(monkeypatch: Any, endpoint: str, home: Path, offline: bool = False,
                    token: str | None = None) -> None:
    """Make the client (downloads and ``HfApi``) use ``endpoint`` and a private cache and token
    file under ``home``.

    ``huggingface_hub.constants`` reads ``HF_ENDPOINT``, ``HF_HOME``, ``HF_HUB_CACHE``,
    ``HF_HUB_OFFLINE`` and ``HF_HUB_DISABLE_IMPLICIT_TOKEN`` once, at import, and builds the
    resolve URL template from the endpoint then; so the module attributes are patched as well as
    the environment. ``HfApi()`` reads ``constants.ENDPOINT`` when it is made.

    Without ``token`` the client sends no token (as if nobody were logged in: ``HF_TOKEN`` is
    unset, the token file is in ``home`` and absent, and implicit tokens are off). With
    ``token``, ``HF_TOKEN`` is set to it and implicit tokens are on, so every request carries
    ``Authorization: Bearer <token>`` as for a user who ran ``hf auth login``.
    """
    from huggingface_hub import constants

    env = {"HF_ENDPOINT": endpoint, "HF_HOME": str(home), "HF_HUB_CACHE": str(home / "hub")}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1" if offline else "0")
    for name in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_OIDC_RESOURCE"):
        monkeypatch.delenv(name, raising=False)
    if token is not None:
        monkeypatch.setenv("HF_TOKEN", token)  # read at each request, not at import
    monkeypatch.setattr(constants, "ENDPOINT", endpoint)
    template = endpoint + "/{repo_id}/resolve/{revision}/{filename}"
    monkeypatch.setattr(constants, "HUGGINGFACE_CO_URL_TEMPLATE", template)
    monkeypatch.setattr(constants, "HF_HOME", str(home))
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(home / "hub"))
    monkeypatch.setattr(constants, "HF_TOKEN_PATH", str(home / "token"))
    monkeypatch.setattr(constants, "HF_STORED_TOKENS_PATH", str(home / "stored_tokens"))
    monkeypatch.setattr(constants, "HF_HUB_DISABLE_IMPLICIT_TOKEN", token is None)
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


def _git_blob_sha1(data: bytes) -> str:
    """The git object id of ``data`` as a blob (what ``git hash-object`` prints)."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def _is_commit(revision: str) -> bool:
    return len(revision) == 40 and all(c in "0123456789abcdef" for c in revision)


def _parse(path: str) -> tuple[str, str, str]:
    """``(repo_id, revision, filename)`` of ``/{repo_id}/resolve/{revision}/{filename}``."""
    repo_id, sep, rest = path.split("?")[0].lstrip("/").partition("/resolve/")
    revision, _, filename = rest.partition("/")  # the client quotes "/" inside a revision
    return (unquote(repo_id), unquote(revision), unquote(filename)) if sep else ("", "", "")


def _error(code: str, message: str) -> dict[str, str]:
    return {"X-Error-Code": code, "X-Error-Message": message}


def _json(status: int, content: object, headers: dict[str, str] | None = None) -> Answer:
    """A JSON answer; errors also carry ``X-Error-Message`` like the Hub's."""
    extra = dict(headers or {})
    if status >= 400 and isinstance(content, dict) and "error" in content:
        extra.setdefault("X-Error-Message", str(content["error"]))
    return status, {"Content-Type": "application/json", **extra}, json.dumps(content).encode()
