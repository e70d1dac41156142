"""The ``torchvision`` VGG-19 weight source, downloaded through the real huggingface_hub client.

A stand-in for ``timm/vgg19.tv_in1k``'s ``model.safetensors`` is served by a local stand-in for
the Hub. It holds the original Caffe VGG-19 convolutions re-laid out as timm stores torchvision's
VGG-19 (``features.{i}.weight`` at torchvision's indices; first layer taking RGB), plus a few
classifier tensors that the loader must ignore.
"""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F  # noqa: N812
from hf_stand_in import HubStandIn, point_client_at
from safetensors.torch import save

from stylekit import hub as hub_module
from stylekit import vgg_weights
from stylekit.errors import WeightsError
from stylekit.vgg import VGG19Features
from stylekit.vgg_weights import (
    CONV_LAYERS,
    TORCHVISION_VGG19,
    torchvision_postprocess,
    torchvision_preprocess,
)

#: Where torchvision's ``vgg19().features`` keeps its 16 convolutions.
TV_CONV_INDICES = (0, 2, 5, 7, 10, 12, 14, 16, 19, 21, 23, 25, 28, 30, 32, 34)
REPO_KEY = (TORCHVISION_VGG19.repo_id, TORCHVISION_VGG19.revision)


def timm_layout(convs: list[tuple[torch.Tensor, torch.Tensor]]) -> dict[str, torch.Tensor]:
    """``features.{i}.weight/bias`` at torchvision's indices, plus small non-feature tensors."""
    state = {"pre_logits.fc1.weight": torch.zeros(4, 5, 1, 1), "head.fc.weight": torch.zeros(3, 4),
             "head.fc.bias": torch.zeros(3)}
    for index, (weight, bias) in zip(TV_CONV_INDICES, convs, strict=False):
        state[f"features.{index}.weight"] = weight.contiguous()
        state[f"features.{index}.bias"] = bias.contiguous()
    return state


@pytest.fixture(scope="module")
def tv_state() -> dict[str, torch.Tensor]:
    """The Caffe weights in timm's layout; conv1_1's input channels turned from BGR to RGB."""
    caffe = vgg_weights.load_caffe_weights()
    convs = [caffe[name] for name in CONV_LAYERS]
    convs[0] = (convs[0][0].flip(1), convs[0][1])
    return timm_layout(convs)


@pytest.fixture(scope="module")
def tv_file(tv_state) -> bytes:
    return save(tv_state)


@pytest.fixture(autouse=True)
def fresh_weights_cache(tmp_path, monkeypatch):
    """No local weights folders and no weights remembered from earlier tests."""
    monkeypatch.delenv("STYLEKIT_WEIGHTS_DIR", raising=False)
    monkeypatch.setattr(hub_module, "SHIPPED_WEIGHTS_DIR", tmp_path / "repo-weights")
    vgg_weights.load_torchvision_weights.cache_clear()
    yield
    vgg_weights.load_torchvision_weights.cache_clear()


@pytest.fixture
def hub(tmp_path, monkeypatch):
    server = HubStandIn()
    point_client_at(monkeypatch, server.endpoint, tmp_path / "hf-home")
    yield server
    server.stop()


def serve(hub: HubStandIn, data: bytes) -> None:
    hub.files[REPO_KEY] = {TORCHVISION_VGG19.filename: data}


def manual_features(rgb: torch.Tensor, state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """relu1_1 and relu3_1 by hand: ImageNet normalisation, then conv/relu/max-pool."""
    mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
    std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
    x = (rgb - mean) / std

    def conv_relu(x: torch.Tensor, index: int) -> torch.Tensor:
        w, b = state[f"features.{index}.weight"], state[f"features.{index}.bias"]
        return F.relu(F.conv2d(x, w, b, padding=1))

    relu1_1 = conv_relu(x, 0)
    x = F.max_pool2d(conv_relu(relu1_1, 2), 2)
    x = F.max_pool2d(conv_relu(conv_relu(x, 5), 7), 2)
    return {"relu1_1": relu1_1, "relu3_1": conv_relu(x, 10)}


def test_features_from_the_hub_match_a_manual_forward(hub, tv_file, tv_state):
    serve(hub, tv_file)
    model = VGG19Features(["relu1_1", "relu3_1"], weights="torchvision")
    assert hub.count("GET") == 1

    rgb = torch.rand(1, 3, 32, 32, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        features = model(torchvision_preprocess(rgb))
        expected = manual_features(rgb, tv_state)
    assert set(features) == {"relu1_1", "relu3_1"}
    assert features["relu1_1"].shape == (1, 64, 32, 32)
    assert features["relu3_1"].shape == (1, 256, 8, 8)
    for name in expected:
        torch.testing.assert_close(features[name], expected[name], rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(model.encode(rgb)["relu3_1"], expected["relu3_1"],
                               rtol=1e-4, atol=1e-4)

    # A new model (weights forgotten in-process) reuses the Hub cache: no second download.
    vgg_weights.load_torchvision_weights.cache_clear()
    VGG19Features(["relu1_1"], weights="torchvision")
    assert hub.count("GET") == 1


def test_preprocess_matches_imagenet_mean_std_by_hand():
    rgb = torch.empty(1, 3, 2, 2)
    rgb[:, 0], rgb[:, 1], rgb[:, 2] = 1.0, 0.0, 0.5
    x = torchvision_preprocess(rgb)
    # (1 - 0.485) / 0.229, (0 - 0.456) / 0.224, (0.5 - 0.406) / 0.225; channels stay RGB
    for channel, value in enumerate((2.2489083, -2.0357143, 0.4177778)):
        torch.testing.assert_close(x[:, channel], torch.full((1, 2, 2), value))


def test_preprocess_round_trip():
    rgb = torch.rand(2, 3, 5, 7, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    x = torchvision_preprocess(rgb)
    assert x.dtype == torch.float64
    torch.testing.assert_close(torchvision_postprocess(x), rgb)
    torch.testing.assert_close(torchvision_preprocess(torchvision_postprocess(x)), x)


def tiny_convs(count: int = 16) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Correctly shaped conv1_1, then tiny stand-ins (the checks stop at the first bad layer)."""
    first = (torch.zeros(64, 3, 3, 3), torch.zeros(64))
    return [first] + [(torch.zeros(1, 1, 1, 1), torch.zeros(1)) for _ in range(count - 1)]


def wrong_shape() -> bytes:
    convs = tiny_convs()
    convs[0] = (torch.zeros(64, 3, 5, 5), torch.zeros(64))
    return save(timm_layout(convs))


def no_bias() -> bytes:
    state = timm_layout(tiny_convs())
    del state["features.0.bias"]
    return save(state)


def nan() -> bytes:
    convs = tiny_convs()
    convs[0] = (torch.full((64, 3, 3, 3), float("nan")), torch.zeros(64))
    return save(timm_layout(convs))


BAD_FILES = {
    "wrong shape": (
        wrong_shape,
        r"wrong weights for conv1_1: shape \(64, 3, 5, 5\) .*expected \(64, 3, 3, 3\)",
    ),
    "too few convs": (
        lambda: save(timm_layout(tiny_convs(15))),
        "has 15 convolutions under 'features.', expected 16",
    ),
    "no bias": (no_bias, "has no features.0.bias for conv1_1"),
    "NaN": (nan, "NaN or infinite values in conv1_1"),
    "garbage": (lambda: b"<html>not a safetensors file</html>" * 10, "not a readable safetensors"),
    "empty": (lambda: b"", "not a readable safetensors"),
}


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_bad_file_from_the_hub(hub, case):
    build, message = BAD_FILES[case]
    serve(hub, build())
    with pytest.raises(WeightsError, match=message) as caught:
        VGG19Features(["relu1_1"], weights="torchvision")
    assert "models--timm--vgg19.tv_in1k" in str(caught.value)  # names the cached file


def test_unreadable_download_is_dropped_from_the_hub_cache(hub, tmp_path):
    serve(hub, b"garbage " * 10)
    with pytest.raises(WeightsError, match="removed from the Hub cache; run again"):
        VGG19Features(["relu1_1"], weights="torchvision")
    repo_cache = tmp_path / "hf-home" / "hub" / "models--timm--vgg19.tv_in1k"
    assert list((repo_cache / "blobs").iterdir()) == []
    assert list(repo_cache.glob("snapshots/*/*")) == []
    # Same file, same ETag: only a dropped blob makes the client fetch it again.
    with pytest.raises(WeightsError):
        VGG19Features(["relu1_1"], weights="torchvision")
    assert hub.count("GET") == 2


def test_unreadable_local_file_is_kept(hub, tmp_path, monkeypatch):
    file = tmp_path / "local" / TORCHVISION_VGG19.local_path
    file.parent.mkdir(parents=True)
    file.write_bytes(b"\x00" * 100)
    monkeypatch.setenv("STYLEKIT_WEIGHTS_DIR", str(tmp_path / "local"))
    with pytest.raises(WeightsError, match=f"{file} is not a readable safetensors file.*delete"):
        VGG19Features(["relu1_1"], weights="torchvision")
    assert file.exists()
    assert hub.count() == 0


def test_bad_file_given_by_path(tmp_path):
    file = tmp_path / "vgg19.safetensors"
    file.write_bytes(b"\x00" * 100)
    with pytest.raises(WeightsError, match=f"{file} is not a readable safetensors file"):
        VGG19Features(["relu1_1"], weights="torchvision", weights_path=str(file))
    assert file.exists()
