"""stylekit.hub against the real huggingface_hub client and a local stand-in for the Hub."""

from __future__ import annotations

import hashlib
import socket
import types
from pathlib import Path

import pytest
from hf_stand_in import HubStandIn, commit_of, point_client_at

from stylekit import hub as hub_module
from stylekit.errors import WeightsError
from stylekit.hub import WeightSpec, resolve_weights

REPO = "stylekit-test/demo"
DATA = b"weights, version 2 " * 100
OLD_DATA = b"weights, version 1 " * 100
OLD_COMMIT = "0123456789abcdef0123456789abcdef01234567"


def spec(**changes: object) -> WeightSpec:
    fields: dict = dict(name="demo", repo_id=REPO, filename="weights.bin",
                        local_path="demo/weights.bin")
    fields.update(changes)
    return WeightSpec(**fields)


@pytest.fixture
def hub():
    server = HubStandIn({
        (REPO, "main"): {"weights.bin": DATA},
        (REPO, OLD_COMMIT): {"weights.bin": OLD_DATA},
    })
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    """No local weights folders, and an empty Hub cache of our own."""
    monkeypatch.delenv("STYLEKIT_WEIGHTS_DIR", raising=False)
    monkeypatch.setattr(hub_module, "SHIPPED_WEIGHTS_DIR", tmp_path / "repo-weights")


@pytest.fixture
def home(tmp_path):
    return tmp_path / "hf-home"


@pytest.fixture
def online(hub, home, monkeypatch):
    point_client_at(monkeypatch, hub.endpoint, home)
    return hub


def closed_port_endpoint() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def test_download_is_cached(online, home):
    path = resolve_weights(spec())
    assert path.read_bytes() == DATA
    assert path.is_relative_to(home / "hub")
    assert (online.count("HEAD"), online.count("GET")) == (1, 1)

    again = resolve_weights(spec())
    assert again == path
    # A branch is re-resolved with one HEAD, but the file is not fetched again.
    assert (online.count("HEAD"), online.count("GET")) == (2, 1)


def test_pinned_revision(online):
    path = resolve_weights(spec(revision=OLD_COMMIT))
    assert path.read_bytes() == OLD_DATA
    assert path.parent.name == OLD_COMMIT
    before = online.count()
    # A cached commit is returned without asking the Hub at all.
    assert resolve_weights(spec(revision=OLD_COMMIT)) == path
    assert online.count() == before
    # The branch, and the branch's commit, give the new file.
    assert resolve_weights(spec()).read_bytes() == DATA
    assert resolve_weights(spec(revision=commit_of(REPO, "main"))).read_bytes() == DATA


def test_sha256_good(online):
    good = hashlib.sha256(DATA).hexdigest()
    assert resolve_weights(spec(sha256=good)).read_bytes() == DATA


def test_corrupted_download_is_removed_then_fetched_again(online, home):
    good = hashlib.sha256(DATA).hexdigest()
    online.corrupt(REPO, "weights.bin")
    with pytest.raises(WeightsError, match="sha256") as caught:
        resolve_weights(spec(sha256=good))
    assert "removed from the cache" in str(caught.value)
    repo_cache = home / "hub" / "models--stylekit-test--demo"
    assert list((repo_cache / "blobs").iterdir()) == []
    assert not (repo_cache / "snapshots" / commit_of(REPO, "main") / "weights.bin").exists()

    online.corrupt(REPO, "weights.bin", on=False)
    path = resolve_weights(spec(sha256=good))
    assert path.read_bytes() == DATA
    assert online.count("GET") == 2


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"repo_id": "stylekit-test/missing"}, "RepositoryNotFoundError"),
        ({"filename": "missing.bin"}, "RemoteEntryNotFoundError"),
        ({"revision": "no-such-branch"}, "RevisionNotFoundError"),
    ],
)
def test_not_found(online, changes, error):
    wanted = spec(**changes)
    with pytest.raises(WeightsError) as caught:
        resolve_weights(wanted)
    message = str(caught.value)
    assert f"{wanted.repo_id}/{wanted.filename}@{wanted.revision}" in message
    assert online.endpoint in message
    assert f"not found there ({error})" in message
    assert "local file" in message and "demo/weights.bin (absent)" in message


def test_hub_unreachable(home, monkeypatch):
    endpoint = closed_port_endpoint()
    point_client_at(monkeypatch, endpoint, home)
    # With no cached copy the client retries a refused connection 5 times, sleeping 1+2+4+8+8 s;
    # skip the sleeping (only in huggingface_hub's HTTP module).
    from huggingface_hub.utils import _http

    sleeps: list[float] = []
    monkeypatch.setattr(_http, "time", types.SimpleNamespace(sleep=sleeps.append))
    with pytest.raises(WeightsError, match="could not be reached") as caught:
        resolve_weights(spec())
    assert endpoint in str(caught.value)
    assert len(sleeps) == 5


def test_offline_uses_prepared_cache(online, home, monkeypatch):
    path = resolve_weights(spec())
    before = online.count()
    point_client_at(monkeypatch, online.endpoint, home, offline=True)
    assert resolve_weights(spec()) == path
    assert online.count() == before  # offline: not even a HEAD
    online.stop()
    assert resolve_weights(spec()) == path
    assert path.read_bytes() == DATA


def test_offline_with_empty_cache(hub, home, monkeypatch):
    point_client_at(monkeypatch, hub.endpoint, home, offline=True)
    with pytest.raises(WeightsError, match="HF_HUB_OFFLINE is set and no cached copy exists"):
        resolve_weights(spec())
    assert hub.count() == 0


def test_local_folder_comes_first(online, tmp_path, monkeypatch):
    folder = tmp_path / "local"
    (folder / "demo").mkdir(parents=True)
    (folder / "demo" / "weights.bin").write_bytes(OLD_DATA)
    monkeypatch.setenv("STYLEKIT_WEIGHTS_DIR", str(folder))
    good = hashlib.sha256(OLD_DATA).hexdigest()
    assert resolve_weights(spec(sha256=good)) == folder / "demo" / "weights.bin"
    assert online.count() == 0


def test_repo_weights_folder_is_second(online, tmp_path, monkeypatch):
    monkeypatch.setenv("STYLEKIT_WEIGHTS_DIR", str(tmp_path / "empty"))
    file = Path(hub_module.SHIPPED_WEIGHTS_DIR) / "demo" / "weights.bin"
    file.parent.mkdir(parents=True)
    file.write_bytes(OLD_DATA)
    assert resolve_weights(spec()) == file
    assert online.count() == 0


def test_bad_local_file_is_reported_and_kept(online, tmp_path, monkeypatch):
    folder = tmp_path / "local"
    (folder / "demo").mkdir(parents=True)
    bad = folder / "demo" / "weights.bin"
    bad.write_bytes(b"not the weights")
    monkeypatch.setenv("STYLEKIT_WEIGHTS_DIR", str(folder))
    with pytest.raises(WeightsError, match="sha256 .* does not match"):
        resolve_weights(spec(sha256=hashlib.sha256(DATA).hexdigest()))
    assert bad.exists()
    assert online.count() == 0


def test_unpublished_weights_say_so_and_download_nothing(online, tmp_path):
    with pytest.raises(WeightsError) as caught:
        resolve_weights(spec(revision=None))
    message = str(caught.value)
    assert "local file" in message and "not published on the Hub" in message
    assert "pip install --force-reinstall stylekit" in message and "STYLEKIT_WEIGHTS_DIR" in message
    assert online.count("HEAD") == online.count("GET") == 0
    assert hub_module.describe_source(spec(revision=None)).startswith("missing")


def test_shipped_specs_are_honest_about_the_hub() -> None:
    from stylekit.methods.fast import FAST_MODELS  # noqa: F401  (registers the fast models)

    shipped = [s for s in hub_module.WEIGHTS.values() if s.repo_id == hub_module.STYLEKIT_HUB_REPO]
    assert shipped
    assert {s.revision for s in shipped} == {hub_module.STYLEKIT_HUB_REVISION}
    if hub_module.STYLEKIT_HUB_REVISION is not None:  # once published: a pinned commit
        assert len(hub_module.STYLEKIT_HUB_REVISION) == 40
