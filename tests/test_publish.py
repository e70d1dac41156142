"""stylekit.publish against the real huggingface_hub client (create_repo, upload_folder) and the
local stand-in for the Hub (tests/hf_stand_in.py)."""

from __future__ import annotations

import hashlib
import re
import socket
import types
from pathlib import Path

import pytest
from hf_stand_in import HubStandIn, point_client_at
from huggingface_hub import constants, hf_hub_download
from huggingface_hub.errors import RepositoryNotFoundError

from stylekit import hub as hub_module
from stylekit.cli import main
from stylekit.errors import WeightsError
from stylekit.hub import WeightSpec
from stylekit.publish import publish

REPO = "org/stylekit-weights"
TOKEN = "hf_stand_in_token"
MODEL = b"\x00safetensors-ish\xff" * 64  # binary, so the Hub would normally want LFS/Xet for it
FILES = {
    "README.md": b"# stylekit weights\n",
    "fast/demo/model.safetensors": MODEL,
    "fast/demo/README.md": b"---\nlicense: mit\n---\n# demo\n",
    "fast/demo/config.json": b'{"channels": 16}\n',
}


@pytest.fixture
def hub():
    server = HubStandIn(token=TOKEN)
    yield server
    server.stop()


@pytest.fixture
def folder(tmp_path):
    root = tmp_path / "weights"
    for name, data in FILES.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    return root


@pytest.fixture
def home(tmp_path):
    return tmp_path / "hf-home"


@pytest.fixture
def logged_in(hub, home, monkeypatch):
    point_client_at(monkeypatch, hub.endpoint, home, token=TOKEN)
    return hub


def read(path: str) -> bytes:
    return Path(path).read_bytes()


def closed_port_endpoint() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.mark.parametrize("xet", [True, False], ids=["hf_xet-pipeline", "create_commit"])
def test_round_trip(logged_in, folder, monkeypatch, caplog, xet):
    # With hf_xet installed, upload_folder goes through its pipelined upload; without it (or with
    # HF_HUB_DISABLE_XET) through create_commit. Both must work against the stand-in.
    monkeypatch.setattr(constants, "HF_HUB_DISABLE_XET", not xet)
    with caplog.at_level("INFO", logger="stylekit.publish"):
        commit = publish(REPO, folder)

    assert re.fullmatch(r"[0-9a-f]{40}", commit)
    assert f"uploaded 4 files to {REPO} at commit {commit}" in caplog.text
    [record] = logged_in.commits
    assert (record.oid, record.branch) == (commit, "main")
    assert record.summary == "Upload stylekit weights"
    assert sorted(record.paths) == sorted(FILES)
    assert logged_in.files[(REPO, "main")] == FILES
    assert REPO not in logged_in.private

    path = hf_hub_download(REPO, "fast/demo/model.safetensors")
    assert read(path) == MODEL
    pinned = hf_hub_download(REPO, "fast/demo/config.json", revision=commit)
    assert f"/snapshots/{commit}/" in pinned
    assert read(pinned) == FILES["fast/demo/config.json"]


def test_publish_again(logged_in, folder):
    first = publish(REPO, folder)
    # Nothing changed: the client drops every file (same oid as on the Hub), makes no commit,
    # and reports the branch's head.
    assert publish(REPO, folder) == first
    assert len(logged_in.commits) == 1

    (folder / "fast/demo/config.json").write_bytes(b'{"channels": 32}\n')
    second = publish(REPO, folder)
    assert second != first
    assert logged_in.commits[-1].parent == first
    assert logged_in.commits[-1].paths == ("fast/demo/config.json",)
    config = "fast/demo/config.json"
    assert read(hf_hub_download(REPO, config)) == b'{"channels": 32}\n'
    old = hf_hub_download(REPO, config, revision=first)
    assert read(old) == FILES[config]


@pytest.mark.parametrize("token", [None, "hf_someone_elses"], ids=["no-token", "wrong-token"])
@pytest.mark.parametrize("exists", [False, True], ids=["new-repo", "existing-repo"])
def test_not_logged_in(hub, folder, home, monkeypatch, token, exists):
    if exists:  # public: create_repo's 401 is then followed by a (successful) repo_info
        hub.files[(REPO, "main")] = {"README.md": b"old"}
    point_client_at(monkeypatch, hub.endpoint, home, token=token)
    with pytest.raises(WeightsError, match="401") as caught:
        publish(REPO, folder)
    message = str(caught.value)
    assert message.startswith(f"upload to {REPO} failed")
    assert "hf auth login" in message and "HF_TOKEN" in message
    assert hub.commits == []
    assert hub.files.get((REPO, "main")) == ({"README.md": b"old"} if exists else None)


def test_model_folder_without_model_card(hub, folder, home, monkeypatch):
    point_client_at(monkeypatch, hub.endpoint, home, token=TOKEN)
    (folder / "fast/demo/README.md").unlink()
    with pytest.raises(WeightsError, match=r"demo: no README\.md model card"):
        publish(REPO, folder)
    assert hub.count() == 0


def test_pinned_sha256_is_checked_before_anything_is_sent(logged_in, folder, monkeypatch):
    wrong = WeightSpec(name="publish-test-demo", repo_id=REPO,
                       filename="fast/demo/model.safetensors", sha256="0" * 64,
                       local_path="fast/demo/model.safetensors")
    monkeypatch.setitem(hub_module.WEIGHTS, wrong.name, wrong)  # removed again after the test
    with pytest.raises(WeightsError, match="fast/demo/model.safetensors: sha256 .* pins 0{64}"):
        publish(REPO, folder)
    assert logged_in.count() == 0

    right = WeightSpec(**{**vars(wrong), "sha256": hashlib.sha256(MODEL).hexdigest()})
    monkeypatch.setitem(hub_module.WEIGHTS, right.name, right)
    assert publish(REPO, folder) == logged_in.commits[-1].oid


def test_hub_unreachable(folder, home, monkeypatch):
    endpoint = closed_port_endpoint()
    point_client_at(monkeypatch, endpoint, home, token=TOKEN)
    # create_repo does not retry, but the later calls would, sleeping 1+2+4+8+8 s: never sleep.
    from huggingface_hub.utils import _http

    monkeypatch.setattr(_http, "time", types.SimpleNamespace(sleep=lambda seconds: None))
    with pytest.raises(WeightsError, match="the Hub is unreachable"):
        publish(REPO, folder)


@pytest.mark.parametrize("private", [False, True], ids=["public", "private"])
def test_cli(logged_in, folder, capsys, private):
    argv = ["publish", "--repo", REPO, "--folder", str(folder)] + ["--private"] * private
    assert main(argv) == 0
    [record] = logged_in.commits
    printed = capsys.readouterr().out
    assert f"at commit {record.oid}" in printed
    assert f"STYLEKIT_HUB_REVISION = {record.oid!r}" in printed  # the commit to pin
    assert (REPO in logged_in.private) == private
    assert read(hf_hub_download(REPO, "fast/demo/model.safetensors")) == MODEL
    if private:  # hidden from anyone without the token
        with pytest.raises(RepositoryNotFoundError):
            hf_hub_download(REPO, "fast/demo/config.json", token=False)


def test_cli_error(hub, folder, home, monkeypatch, capsys):
    point_client_at(monkeypatch, hub.endpoint, home)  # no token
    assert main(["publish", "--repo", REPO, "--folder", str(folder)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("stylekit: error: upload to org/stylekit-weights failed")
    assert "HF_TOKEN" in err and "Traceback" not in err
