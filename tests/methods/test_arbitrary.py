"""The arbitrary method with a tiny random network: shapes, blending, masks, tiling, caching,
bad input. The shipped network is tested in test_arbitrary_shipped.py."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

import stylekit
from stylekit import ConfigError, ImageError, WeightsError
from stylekit.images import load_image, resize_long_side, to_tensor
from stylekit.nets.conditional import ConditionalTransformerNet
from stylekit.training.checkpoint import export_safetensors


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    """A random tiny network whose norms do depend on the style (the head is not zero)."""
    torch.manual_seed(0)
    net = ConditionalTransformerNet(width=4, blocks=1, style_dim=6, hidden=8)
    with torch.no_grad():
        net.to_norm_params.weight.normal_(0, 0.5)
    path = tmp_path_factory.mktemp("arbitrary") / "model.safetensors"
    export_safetensors(net.state_dict(), path, net.metadata())
    return path


@pytest.fixture()
def stylizer(tiny_model):
    return stylekit.create_stylizer("arbitrary", model=str(tiny_model), size=96, device="cpu")


def test_keeps_the_size_and_strength_zero_is_the_photo(stylizer, content_path, style_path):
    out = stylizer.stylize(content_path, style_path)
    assert out.size == (96, 64)
    photo = resize_long_side(load_image(content_path), 96)
    same = stylizer.stylize(content_path, style_path, strength=0.0)
    assert np.abs(np.asarray(same, float) - np.asarray(photo, float)).max() <= 1


def test_the_painting_changes_the_picture_and_is_measured_once(stylizer, content_path,
                                                               style_path, second_style_path):
    a = to_tensor(stylizer.stylize(content_path, style_path))
    b = to_tensor(stylizer.stylize(content_path, second_style_path))
    assert (a - b).abs().mean() > 0.01
    stylizer.stylize(content_path, style_path)
    assert stylizer.style_encodings == 2  # the first painting's vector came from the cache


def test_blend_weights_mix_the_style_vectors(stylizer, content_path, style_path,
                                             second_style_path):
    both = [style_path, second_style_path]
    only_first = to_tensor(stylizer.stylize(content_path, both, style_blend_weights=(1, 0)))
    first = to_tensor(stylizer.stylize(content_path, style_path))
    assert torch.allclose(only_first, first, atol=1 / 255)
    half = to_tensor(stylizer.stylize(content_path, both))
    assert (half - first).abs().mean() > 0.005
    with pytest.raises(ConfigError, match="one weight per style image"):
        stylizer.stylize(content_path, both, style_blend_weights=(1, 2, 3))


def test_a_mask_paints_each_style_in_its_region(stylizer, content_path, style_path,
                                                second_style_path, tmp_path):
    mask = np.zeros((64, 96), np.uint8)
    mask[:, :48] = 255
    Image.fromarray(mask).save(tmp_path / "mask.png")
    both = to_tensor(stylizer.stylize(content_path, [style_path, second_style_path],
                                      mask=str(tmp_path / "mask.png")))
    # Without the painting's palette, which a masked run does not take either.
    first = to_tensor(stylizer.stylize(content_path, style_path, match_palette=False))
    second = to_tensor(stylizer.stylize(content_path, second_style_path, match_palette=False))

    def gap(a, b, cols):
        return float((a[..., 8:-8, cols] - b[..., 8:-8, cols]).abs().mean())

    left, right = slice(4, 36), slice(60, -4)
    assert gap(both, first, left) < gap(both, second, left)
    assert gap(both, second, right) < gap(both, first, right)
    with pytest.raises(ConfigError, match="exactly two style images"):
        stylizer.stylize(content_path, style_path, mask=str(tmp_path / "mask.png"))
    Image.fromarray(np.full((64, 96), 128, np.uint8)).save(tmp_path / "flat.png")
    with pytest.raises(ImageError, match="uniform"):
        stylizer.stylize(content_path, [style_path, second_style_path],
                         mask=str(tmp_path / "flat.png"))


@pytest.mark.parametrize("with_mask", [False, True])
def test_tiled_result_has_no_seams(stylizer, content_path, style_path, second_style_path,
                                   with_mask, tmp_path):
    """Every tile is normalised with statistics pooled over crops of the whole picture, so the
    tiled picture is the whole one (values shift a little, much more for this random network
    than for a trained one) without seams."""
    styles = [style_path, second_style_path] if with_mask else style_path
    params = {}
    if with_mask:
        mask = np.zeros((200, 300), np.uint8)
        mask[:100] = 255
        Image.fromarray(mask).save(tmp_path / "mask.png")
        params["mask"] = str(tmp_path / "mask.png")
    whole = to_tensor(stylizer.stylize(content_path, styles, size=300, **params))
    tiled = to_tensor(stylizer.stylize(content_path, styles, size=300, **params,
                                       max_tile_pixels=160 * 160, tile_overlap=32))
    assert whole.shape == tiled.shape == (1, 3, 200, 300)
    assert torch.corrcoef(torch.stack([tiled.flatten(), whole.flatten()]))[0, 1] > 0.7
    for dim in (1, 2):
        steps = tiled[0].diff(dim=dim).abs().mean((0, 3 - dim))
        assert steps.max() < 4 * steps.median()


def test_the_picture_takes_the_painting_palette(stylizer, content_path, style_path):
    painting = to_tensor(resize_long_side(load_image(style_path), 384))
    picture = to_tensor(stylizer.stylize(content_path, style_path))
    unmatched = to_tensor(stylizer.stylize(content_path, style_path, match_palette=False))
    error = (picture.mean((2, 3)) - painting.mean((2, 3))).abs().max()
    assert error < 0.04 and error < 0.5 * (unmatched.mean((2, 3)) - painting.mean((2, 3))
                                           ).abs().max()


def test_bad_input(stylizer, content_path, style_path, tmp_path, tiny_fast_model):
    with pytest.raises(ConfigError, match="needs a style image"):
        stylizer.stylize(content_path)
    with pytest.raises(WeightsError, match="not a stylekit arbitrary-style model"):
        stylizer.stylize(content_path, style_path, model=str(tiny_fast_model))
    with pytest.raises(WeightsError, match="does not exist"):
        stylizer.stylize(content_path, style_path, model=str(tmp_path / "none.safetensors"))
    with pytest.raises(ConfigError, match="style_size"):
        stylekit.create_stylizer("arbitrary", style_size=16)


def test_the_painterly_finish_is_the_kuwahara_filter_of_the_picture(stylizer, content_path,
                                                                    style_path):
    """By default the picture goes through the Kuwahara filter (radius PATCH_RADIUS), which
    flattens fine texture; patch_radius=0 gives the network's picture as it was."""
    from stylekit.filters import kuwahara
    from stylekit.methods.arbitrary import PATCH_RADIUS

    raw = to_tensor(stylizer.stylize(content_path, style_path, patch_radius=0))
    finished = to_tensor(stylizer.stylize(content_path, style_path))
    assert stylizer.config.patch_radius == PATCH_RADIUS > 0
    # The same up to the 8-bit rounding of the picture the filter was given here
    # (the filter picks sharply between sectors, so a rounded input can move a few pixels more)
    gap = (finished - kuwahara(raw, PATCH_RADIUS)).abs()
    assert gap.mean() < 0.5 / 255 and gap.max() < 6 / 255

    def texture(x: torch.Tensor) -> float:
        return float(x.diff(dim=-1).abs().mean() + x.diff(dim=-2).abs().mean())

    assert texture(finished) < 0.9 * texture(raw)
    # The finish comes before the blend with the photo (strength), not after it.
    from stylekit import color

    photo = to_tensor(resize_long_side(load_image(content_path), 96))
    half = to_tensor(stylizer.stylize(content_path, style_path, strength=0.5))
    expected = color.finish(kuwahara(raw, PATCH_RADIUS), photo, "none", 0.5)
    assert (half - expected).abs().mean() < 1 / 255
    assert (half - kuwahara(color.finish(raw, photo, "none", 0.5), PATCH_RADIUS)).abs().mean(
        ) > (half - expected).abs().mean()
