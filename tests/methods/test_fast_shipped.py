"""The fast-style networks shipped in weights/fast/: files, checksums, and real stylizations."""

from __future__ import annotations

import json

import pytest
import torch

import stylekit
from stylekit.examples import example_path
from stylekit.hub import SHIPPED_WEIGHTS_DIR, WEIGHTS, sha256_of
from stylekit.images import load_image, resize_long_side, to_tensor
from stylekit.methods.fast import SHIPPED_MODELS, load_transformer
from stylekit.vgg import VGG19Features

SHIPPED = sorted(SHIPPED_MODELS)
MAX_BYTES = 8 * 1024 * 1024

pytestmark = pytest.mark.skipif(not SHIPPED, reason="no fast models shipped yet")


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_files_are_complete_small_and_pinned(name: str) -> None:
    folder = SHIPPED_WEIGHTS_DIR / "fast" / name
    model = folder / "model.safetensors"
    assert model.stat().st_size < MAX_BYTES
    assert sha256_of(model) == SHIPPED_MODELS[name] == WEIGHTS[f"fast/{name}"].sha256
    config = json.loads((folder / "config.json").read_text())
    assert config["steps_done"] > 0 and config["wall_seconds"] <= 2 * 3600
    card = (folder / "README.md").read_text()
    for needed in ("## Training", "- Data:", "## Why this recipe", "## Licence", " steps in "):
        assert needed in card, f"model card of {name} lacks {needed!r}"


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_model_loads_with_its_architecture(name: str) -> None:
    net = load_transformer(name)
    assert not net.training
    assert all(p.dtype == torch.float32 for p in net.parameters())


@pytest.fixture(scope="module")
def content_features():
    vgg = VGG19Features(["relu4_2"])

    def features(image) -> torch.Tensor:
        with torch.no_grad():
            return vgg.encode(to_tensor(image))["relu4_2"]

    return features


@pytest.mark.slow
@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_model_paints_a_recognisable_photo(name: str, content_path, content_features
                                                   ) -> None:
    photo = resize_long_side(load_image(content_path), 256)
    out = stylekit.create_stylizer("fast", model=name).stylize(photo)
    assert out.size == photo.size
    x, y = to_tensor(photo), to_tensor(out)
    assert (x - y).abs().mean() > 0.05, "the output is (nearly) the photo: no style"
    # Content kept: the output's relu4_2 features are nearer to its own photo's than to
    # another photo's (resized to the same shape).
    other = load_image(example_path("astronaut")).resize(photo.size)
    own = torch.nn.functional.mse_loss(content_features(out), content_features(photo))
    foreign = torch.nn.functional.mse_loss(content_features(out), content_features(other))
    assert own < 0.8 * foreign, (float(own), float(foreign))
