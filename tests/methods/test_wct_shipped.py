"""The shipped reconstruction decoders: files, checksums, and what they do with real photos."""

from __future__ import annotations

import json

import pytest
import torch

import stylekit
from stylekit.examples import example_path
from stylekit.hub import SHIPPED_WEIGHTS_DIR, WEIGHTS, sha256_of
from stylekit.images import load_image, resize_long_side, to_tensor
from stylekit.losses import gram_matrix
from stylekit.methods.wct import DEFAULT_LEVELS
from stylekit.nets.adain import pad_to_multiple
from stylekit.nets.reconstruction import RECONSTRUCTION_DECODERS, SHIPPED_DECODERS
from stylekit.vgg import VGG19Features

SHIPPED = sorted(SHIPPED_DECODERS)
MAX_BYTES = 16 * 1024 * 1024


def test_the_default_levels_all_ship() -> None:
    assert set(DEFAULT_LEVELS) <= set(SHIPPED)


@pytest.mark.parametrize("layer", SHIPPED)
def test_shipped_files_are_complete_small_and_pinned(layer: str) -> None:
    folder = SHIPPED_WEIGHTS_DIR / "decoders" / layer
    model = folder / "model.safetensors"
    assert model.stat().st_size < MAX_BYTES
    assert sha256_of(model) == SHIPPED_DECODERS[layer] == WEIGHTS[f"decoders/{layer}"].sha256
    config = json.loads((folder / "config.json").read_text())
    assert config["layer"] == layer and config["steps_done"] > 0
    card = (folder / "README.md").read_text()
    for needed in ("## Training", "- Data:", "## Licence", "license: other", " steps in "):
        assert needed in card, f"model card of {layer} lacks {needed!r}"


@pytest.fixture(scope="module")
def vgg() -> VGG19Features:
    return VGG19Features(("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu4_2", "relu5_1"))


@pytest.mark.parametrize("layer", SHIPPED)
def test_each_decoder_gives_the_photo_back(layer: str, vgg) -> None:
    """Encoded at its layer and decoded, a photo it never saw comes back: relu4_2 features
    near the photo's (relative distance; measured on Kodak in the card)."""
    decoder = RECONSTRUCTION_DECODERS.load(layer)
    photo = to_tensor(resize_long_side(load_image(example_path("astronaut")), 256))
    with torch.no_grad():
        back = decoder(vgg.encode(pad_to_multiple(photo, 16), [layer])[layer]).clamp(0, 1)
        a, b = vgg.encode(back)["relu4_2"], vgg.encode(photo)["relu4_2"]
    distance = float((a - b).square().sum() / b.square().sum())
    # Measured on this photo: 0.002, 0.024, 0.051, 0.196; a decoder that lost the photo's
    # layout scores near 1.
    limit = {"relu1_1": 0.01, "relu2_1": 0.06, "relu3_1": 0.12, "relu4_1": 0.35,
             "relu5_1": 0.6}[layer]
    assert distance < limit, (layer, distance)


@pytest.mark.slow
def test_wct_moves_every_layer_toward_the_painting(vgg) -> None:
    photo = resize_long_side(load_image(example_path("chelsea")), 256)
    painting = load_image(example_path("starry_night"))
    out = stylekit.create_stylizer("wct", size=256).stylize(photo, painting)
    target = vgg.encode(to_tensor(resize_long_side(painting, 256)))

    def distances(image) -> list[float]:
        features = vgg.encode(to_tensor(image))
        return [float((gram_matrix(features[k]) - gram_matrix(target[k])).square().sum()
                      / gram_matrix(target[k]).square().sum())
                for k in ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1")]

    before, after = distances(photo), distances(out)
    # Every layer nearer the painting, and on average less than half as far as the photo.
    assert all(a < b for a, b in zip(after, before, strict=True)), (before, after)
    assert sum(after) < 0.5 * sum(before), (before, after)
