"""The shipped arbitrary-style network (weights/arbitrary/default) and the fast method's
built-in styles, which it paints: files, checksums, stored styles, real stylizations."""

from __future__ import annotations

import json

import pytest
import torch

import stylekit
from stylekit import ConfigError
from stylekit.examples import example_path
from stylekit.hub import SHIPPED_WEIGHTS_DIR, WEIGHTS, sha256_of
from stylekit.images import load_image, resize_long_side, to_tensor
from stylekit.losses import gram_matrix
from stylekit.methods.fast import BUILTIN_STYLES, available_models
from stylekit.nets.conditional import ARBITRARY_MODELS, SHIPPED_MODELS
from stylekit.vgg import VGG19Features

FOLDER = SHIPPED_WEIGHTS_DIR / "arbitrary" / "default"
LAYERS = ("relu1_1", "relu2_1", "relu3_1", "relu4_1")


def test_the_file_is_complete_small_and_pinned() -> None:
    model = FOLDER / "model.safetensors"
    assert model.stat().st_size < 8 * 1024 * 1024
    assert sha256_of(model) == SHIPPED_MODELS["default"] == WEIGHTS["arbitrary/default"].sha256
    config = json.loads((FOLDER / "config.json").read_text())
    assert config["steps_done"] > 0 and config["paintings"] >= 100
    card = (FOLDER / "README.md").read_text()
    for needed in ("## Training data", "Never seen in training", "## Training", "## Licence",
                   " steps in "):
        assert needed in card, f"the model card lacks {needed!r}"


def test_every_shipped_painting_is_a_stored_style() -> None:
    net = ARBITRARY_MODELS.load("default")
    assert set(net.styles) == set(BUILTIN_STYLES)
    assert set(BUILTIN_STYLES) <= set(available_models())
    # Stored vectors are the network's own measure of the painting.
    vectors = torch.cat([net.stored_style(n) for n in BUILTIN_STYLES])
    assert torch.isfinite(vectors).all() and vectors.std(0).mean() > 0.01


@pytest.fixture(scope="module")
def style_distance():
    """Relative Gram distance to a painting (bench/metrics.py's, without relu5_1)."""
    vgg = VGG19Features(LAYERS)

    def distance(image, painting) -> float:
        with torch.no_grad():
            a = vgg.encode(to_tensor(image))
            b = vgg.encode(to_tensor(resize_long_side(painting, max(image.size))))
        return sum(float((gram_matrix(a[k]) - gram_matrix(b[k])).square().sum()
                         / gram_matrix(b[k]).square().sum()) for k in LAYERS) / len(LAYERS)

    return distance


@pytest.mark.slow
@pytest.mark.parametrize("name", ["great_wave", "woman_with_hat"])
def test_an_unseen_painting_is_painted(name, content_path, style_distance) -> None:
    """Paintings it never trained on: the picture is at most half as far from the painting's
    style as the photo (the issue's guard), and nearer its own painting than another."""
    photo = resize_long_side(load_image(content_path), 256)
    painting = load_image(example_path(name))
    out = stylekit.create_stylizer("arbitrary", size=256).stylize(photo, painting)
    assert out.size == photo.size
    before, after = style_distance(photo, painting), style_distance(out, painting)
    assert after < 0.5 * before, (before, after)
    other = load_image(example_path("composition_vii"))
    assert after < style_distance(out, other)


@pytest.mark.slow
def test_builtin_styles_blend_and_split_by_mask(content_path, tmp_path) -> None:
    import numpy as np
    from PIL import Image

    fast = stylekit.create_stylizer("fast", size=128)
    night = to_tensor(fast.stylize(content_path, model="starry_night"))
    scream = to_tensor(fast.stylize(content_path, model="the_scream"))
    assert (night - scream).abs().mean() > 0.05
    none = to_tensor(fast.stylize(content_path, model="starry_night", blend_with="the_scream",
                                  blend=0.0))
    full = to_tensor(fast.stylize(content_path, model="starry_night", blend_with="the_scream",
                                  blend=1.0))
    assert torch.allclose(none, night, atol=1 / 255) and torch.allclose(full, scream,
                                                                        atol=1 / 255)
    mask = np.zeros((85, 128), np.uint8)
    mask[:, :64] = 255
    Image.fromarray(mask).save(tmp_path / "mask.png")
    split = to_tensor(fast.stylize(content_path, model="starry_night", blend_with="the_scream",
                                   mask=str(tmp_path / "mask.png")))
    # A masked run keeps the network's colours: compare with the styles' own.
    night, scream = (to_tensor(fast.stylize(content_path, model=name, match_palette=False))
                     for name in ("starry_night", "the_scream"))
    left, right = (..., slice(8, 48)), (..., slice(80, 120))
    assert (split[left] - night[left]).abs().mean() < (split[left] - scream[left]).abs().mean()
    assert (split[right] - scream[right]).abs().mean() < (split[right] - night[right]).abs(
        ).mean()


def test_builtin_style_errors(content_path, tiny_fast_model) -> None:
    fast = stylekit.create_stylizer("fast", size=64)
    with pytest.raises(ConfigError, match="blending and masks take built-in styles"):
        fast.stylize(content_path, model=str(tiny_fast_model), blend_with="udnie")
    with pytest.raises(ConfigError, match="a mask needs a second style"):
        fast.stylize(content_path, model="udnie", mask=str(example_path("ihc")))
    with pytest.raises(ConfigError, match="blend_with"):
        stylekit.create_stylizer("fast", blend_with="picasso")
    with pytest.raises(ConfigError, match="arbitrary method for any style image"):
        fast.stylize(content_path, example_path("hubble"))  # not a shipped painting
    with pytest.raises(ConfigError, match="but 'model' chooses 'johnson:udnie'"):
        fast.stylize(content_path, "example:udnie", model="johnson:udnie")
    with pytest.raises(ConfigError, match="at most two built-in styles"):
        fast.stylize(content_path, ["example:udnie", "example:mondrian", "example:shipwreck"])


def test_a_shipped_painting_as_the_style_paints_its_builtin_style(content_path) -> None:
    """As the other methods take their style: by example:NAME or the painting's file; the
    default model gives way, the same name agrees, two paintings blend."""
    fast = stylekit.create_stylizer("fast", size=64)
    wave = to_tensor(fast.stylize(content_path, model="great_wave"))
    for style, params in (("example:great_wave", {}), (example_path("great_wave"), {}),
                          (str(example_path("great_wave")), {"model": "great_wave"})):
        assert torch.equal(to_tensor(fast.stylize("example:chelsea", style, **params)), wave)
    mixed = fast.stylize(content_path, model="great_wave", blend_with="udnie", blend=0.3)
    assert torch.equal(to_tensor(fast.stylize(content_path, ["example:great_wave",
                                                             "example:udnie"], blend=0.3)),
                       to_tensor(mixed))


def test_builtin_styles_take_the_painterly_finish(content_path) -> None:
    """The built-in styles get the arbitrary method's finish (the Kuwahara filter); the
    per-style networks do not."""
    from stylekit.filters import kuwahara
    from stylekit.methods.arbitrary import PATCH_RADIUS

    fast = stylekit.create_stylizer("fast", size=128)
    raw = to_tensor(fast.stylize(content_path, model="udnie", patch_radius=0))
    finished = to_tensor(fast.stylize(content_path, model="udnie"))
    # (the filter picks sharply between sectors, so a rounded input can move a few pixels more)
    gap = (finished - kuwahara(raw, PATCH_RADIUS)).abs()
    assert gap.mean() < 0.5 / 255 and gap.max() < 6 / 255
    assert (finished - raw).abs().mean() > 2 / 255
    johnson = [fast.stylize(content_path, model="johnson:the_scream", patch_radius=radius)
               for radius in (0, PATCH_RADIUS)]
    assert torch.equal(to_tensor(johnson[0]), to_tensor(johnson[1]))
