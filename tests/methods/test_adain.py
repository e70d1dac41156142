"""The AdaIN method with a tiny random decoder and the real VGG-19 encoder."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from stylekit import (
    ConfigError,
    ImageError,
    WeightsError,
    create_stylizer,
    describe,
    load_image,
    resize_long_side,
    to_tensor,
)
from stylekit.color import rgb_to_yiq
from stylekit.methods.adain import load_decoder

SMALL = dict(size=96, style_size=96, device="cpu")


@pytest.fixture()
def stylizer(tiny_decoder: Path):
    return create_stylizer("adain", model=str(tiny_decoder), **SMALL)


def test_decoder_files(tiny_decoder: Path, tmp_path: Path) -> None:
    assert load_decoder(str(tiny_decoder)).spec.widths == (8, 8, 8)
    with pytest.raises(WeightsError, match="does not exist"):
        load_decoder(str(tmp_path / "missing.safetensors"))
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"\x00" * 64)
    with pytest.raises(WeightsError, match="not a readable"):
        load_decoder(str(bad))
    with pytest.raises(ConfigError, match="unknown AdaIN decoder"):
        load_decoder("no-such-decoder")


def test_output_size_and_style_cache(stylizer, content_path, style_path, second_style_path):
    out = stylizer.stylize(content_path, style_path)
    assert out.size == (96, 64)
    stylizer.stylize(example_photo := load_image(content_path).rotate(90, expand=True),
                     style_path)
    assert stylizer.style_encodings == 1  # the second photo reused the style's statistics
    stylizer.stylize(example_photo, second_style_path)
    assert stylizer.style_encodings == 2


def test_alpha_zero_ignores_the_style(stylizer, content_path, style_path, second_style_path):
    a = stylizer.stylize(content_path, style_path, alpha=0.0)
    b = stylizer.stylize(content_path, second_style_path, alpha=0.0)
    assert np.array_equal(np.asarray(a), np.asarray(b))
    c = stylizer.stylize(content_path, style_path, alpha=1.0)
    assert not np.array_equal(np.asarray(a), np.asarray(c))


def test_interpolation_weights(stylizer, content_path, style_path, second_style_path):
    single = stylizer.stylize(content_path, style_path)
    weighted = stylizer.stylize(content_path, [style_path, second_style_path],
                                style_blend_weights=(1, 0))
    assert np.abs(np.asarray(single, float) - np.asarray(weighted, float)).max() <= 1
    with pytest.raises(ConfigError, match="one weight per style image"):
        stylizer.stylize(content_path, [style_path, second_style_path],
                         style_blend_weights=(1,))


def test_spatial_control_with_a_mask(stylizer, content_path, style_path, second_style_path,
                                     tmp_path):
    mask = np.zeros((64, 96), dtype=np.uint8)
    mask[:, :48] = 255
    mask_path = tmp_path / "mask.png"
    Image.fromarray(mask).save(mask_path)
    both = to_tensor(stylizer.stylize(content_path, [style_path, second_style_path],
                                      mask=str(mask_path)))
    # Without the painting's palette, which a masked run does not take either.
    first = to_tensor(stylizer.stylize(content_path, style_path, match_palette=False))
    second = to_tensor(stylizer.stylize(content_path, second_style_path, match_palette=False))

    def distance(a, b, cols: slice) -> float:
        return float((a[..., 8:-8, cols] - b[..., 8:-8, cols]).abs().mean())

    # Each half is closer to the style painted there than to the other style.
    left, right = slice(8, 40), slice(56, -8)
    assert distance(both, first, left) < distance(both, second, left)
    assert distance(both, second, right) < distance(both, first, right)
    with pytest.raises(ConfigError, match="exactly two style images"):
        stylizer.stylize(content_path, style_path, mask=str(mask_path))
    Image.fromarray(np.full((64, 96), 255, np.uint8)).save(tmp_path / "flat.png")
    with pytest.raises(ImageError, match="uniform"):
        stylizer.stylize(content_path, [style_path, second_style_path],
                         mask=str(tmp_path / "flat.png"))


def test_colour_preservation(stylizer, content_path, style_path):
    photo = to_tensor(resize_long_side(load_image(content_path), 96))
    def chroma_error(image) -> float:
        yiq = rgb_to_yiq(to_tensor(image))
        # Where this random decoder's output is near black or white, gamut clipping changes
        # the chroma whatever the method does: only the pixels in between count.
        inside = ((yiq[:, :1] > 0.1) & (yiq[:, :1] < 0.9)).expand(-1, 2, -1, -1)
        return float((yiq[:, 1:] - rgb_to_yiq(photo)[:, 1:]).abs()[inside].mean())

    kept = chroma_error(stylizer.stylize(content_path, style_path, preserve_color="luminance"))
    plain = chroma_error(stylizer.stylize(content_path, style_path))
    assert kept < 0.25 * plain, (kept, plain)
    assert stylizer.stylize(content_path, style_path, preserve_color="histogram").size == (96, 64)


def test_large_images_are_tiled(stylizer, content_path, style_path):
    out = stylizer.stylize(content_path, style_path, size=300, max_tile_pixels=128 * 128,
                           tile_overlap=32)
    assert out.size == (300, 200)


def test_needs_a_style(stylizer, content_path):
    with pytest.raises(ConfigError, match="needs a style image"):
        stylizer.stylize(content_path)


def test_tensor_inputs(stylizer):
    torch.manual_seed(0)
    out = stylizer.stylize(torch.rand(3, 80, 120), torch.rand(3, 64, 64))
    assert out.size == (96, 64)


def test_edge_margin_paints_the_borders_from_a_mirrored_surround(stylizer, content_path,
                                                                 style_path):
    photo = to_tensor(resize_long_side(load_image(content_path), 96))  # (1, 3, 64, 96)
    mirrored = torch.nn.functional.pad(photo, (16, 16, 16, 16), mode="reflect")
    # Without the palette matching, which measures the mirrored picture's colours too.
    by_hand = stylizer.stylize(mirrored, style_path, size=None, edge_margin=0,
                               match_palette=False)
    with_margin = stylizer.stylize(photo, style_path, size=None, edge_margin=16,
                                   match_palette=False)
    assert with_margin.size == (96, 64)
    np.testing.assert_array_equal(np.asarray(with_margin),
                                  np.asarray(by_hand)[16:-16, 16:-16])
    without = stylizer.stylize(photo, style_path, size=None, edge_margin=0)
    assert not np.array_equal(np.asarray(without), np.asarray(with_margin))


def test_adain_and_wct_share_one_cascade_config() -> None:
    """One declaration of the cascade's fields: AdaINConfig restated 11 of WCTConfig's, with
    help texts that had drifted apart. Only the levels (their defaults differ) and the
    decoders are each method's own."""
    from stylekit.methods.adain import AdaINConfig
    from stylekit.methods.wct import WCTConfig

    wct = {spec.name: spec for spec in describe(WCTConfig)}
    adain = {spec.name: spec for spec in describe(AdaINConfig)}
    assert set(wct) - set(adain) == {"decoders"} and set(adain) - set(wct) == {"model"}
    shared = set(wct) & set(adain) - {"levels"}
    assert len(shared) == 13
    assert [name for name in sorted(shared) if wct[name] != adain[name]] == []
    with pytest.raises(ConfigError, match="must not repeat a layer"):
        AdaINConfig(levels=("relu4_1", "relu4_1"))
