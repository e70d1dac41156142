"""The WCT method with tiny random decoders and the real VGG-19 encoder."""

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
    color,
    create_stylizer,
    load_image,
    resize_long_side,
    to_tensor,
)
from stylekit.color import rgb_to_yiq
from stylekit.nets.reconstruction import LEVELS

#: Two levels keep these tests quick; the full cascade runs in the first test.
SMALL = dict(size=96, style_size=96, device="cpu", levels=("relu4_1", "relu2_1"))


@pytest.fixture()
def stylizer(tiny_decoder_set: Path):
    return create_stylizer("wct", decoders=str(tiny_decoder_set), **SMALL)


def pixels(image: Image.Image) -> np.ndarray:
    return np.asarray(image, dtype=np.float64)


def test_output_size_levels_and_style_cache(stylizer, content_path, style_path,
                                            second_style_path) -> None:
    records = list(stylizer.iterate(content_path, style_path, levels=LEVELS[::-1]))
    assert [r.step for r in records] == [1, 2, 3, 4, 5]  # one record per level, coarse to fine
    assert records[-1].done and records[-1].image.size == (96, 64)
    stylizer.stylize(load_image(content_path).rotate(90, expand=True), style_path)
    assert stylizer.style_encodings == 1  # the second photo reused the painting's statistics
    stylizer.stylize(content_path, second_style_path)
    assert stylizer.style_encodings == 2
    single = list(stylizer.iterate(content_path, style_path, levels=("relu3_1",)))
    assert len(single) == 1


def test_alpha_zero_ignores_the_style(stylizer, content_path, style_path, second_style_path):
    a = stylizer.stylize(content_path, style_path, alpha=0.0)
    b = stylizer.stylize(content_path, second_style_path, alpha=0.0)
    assert np.array_equal(pixels(a), pixels(b))
    c = stylizer.stylize(content_path, style_path)
    assert not np.array_equal(pixels(a), pixels(c))


def test_alpha_zero_with_the_photo_gives_what_the_finest_decoder_gives(
        stylizer, content_path, style_path) -> None:
    # Mixing with the photo's own features: at alpha 0 the coarse levels leave no trace.
    cascade = stylizer.stylize(content_path, style_path, alpha=0.0)
    finest = stylizer.stylize(content_path, style_path, alpha=0.0, levels=("relu2_1",))
    assert np.array_equal(pixels(cascade), pixels(finest))
    # Mixing with the picture so far (the paper's code): each level's decoder leaves its mark.
    chained = stylizer.stylize(content_path, style_path, alpha=0.0, blend_with="picture")
    assert not np.array_equal(pixels(chained), pixels(finest))


def test_deep_levels_at_a_smaller_scale(stylizer, content_path, style_path) -> None:
    out = stylizer.stylize(content_path, style_path, deep_scale=0.5)
    assert out.size == (96, 64)
    # The painting is encoded twice: at full size for relu2_1, at half size for relu4_1.
    assert stylizer.style_encodings == 2
    full = stylizer.stylize(content_path, style_path)
    assert not np.array_equal(pixels(out), pixels(full))


def test_blend_weights(stylizer, content_path, style_path, second_style_path) -> None:
    single = stylizer.stylize(content_path, style_path)
    weighted = stylizer.stylize(content_path, [style_path, second_style_path],
                                style_blend_weights=(1, 0))
    assert np.abs(pixels(single) - pixels(weighted)).max() <= 1
    mixed = stylizer.stylize(content_path, [style_path, second_style_path])
    assert np.abs(pixels(single) - pixels(mixed)).mean() > 1
    with pytest.raises(ConfigError, match="one weight per style image"):
        stylizer.stylize(content_path, [style_path, second_style_path],
                         style_blend_weights=(1,))


def test_spatial_control_with_a_mask(stylizer, content_path, style_path, second_style_path,
                                     tmp_path) -> None:
    mask = np.zeros((64, 96), dtype=np.uint8)
    mask[:, :48] = 255
    Image.fromarray(mask).save(tmp_path / "mask.png")
    levels = ("relu2_1",)  # one shallow level: regions stay where the mask puts them
    both = to_tensor(stylizer.stylize(content_path, [style_path, second_style_path],
                                      mask=str(tmp_path / "mask.png"), levels=levels))
    # Without the painting's palette, which a masked run does not take either.
    first = to_tensor(stylizer.stylize(content_path, style_path, levels=levels,
                                       match_palette=False))
    second = to_tensor(stylizer.stylize(content_path, second_style_path, levels=levels,
                                        match_palette=False))

    def distance(a, b, cols: slice) -> float:
        return float((a[..., 8:-8, cols] - b[..., 8:-8, cols]).abs().mean())

    left, right = slice(8, 40), slice(56, -8)
    assert distance(both, first, left) < distance(both, second, left)
    assert distance(both, second, right) < distance(both, first, right)
    with pytest.raises(ConfigError, match="exactly two style images"):
        stylizer.stylize(content_path, style_path, mask=str(tmp_path / "mask.png"))
    Image.fromarray(np.full((64, 96), 255, np.uint8)).save(tmp_path / "flat.png")
    with pytest.raises(ImageError, match="uniform"):
        stylizer.stylize(content_path, [style_path, second_style_path],
                         mask=str(tmp_path / "flat.png"))


@pytest.mark.parametrize("alpha", [1.0, 0.5])
def test_the_picture_takes_the_painting_palette(stylizer, content_path, style_path, alpha
                                                ) -> None:
    painting = to_tensor(resize_long_side(load_image(style_path), 96))
    photo = to_tensor(resize_long_side(load_image(content_path), 96))
    picture = to_tensor(stylizer.stylize(content_path, style_path, style_size=96, alpha=alpha))
    # The mixture of the painting's colours (share alpha) and the photo's.
    target = alpha * painting.mean((2, 3)) + (1 - alpha) * photo.mean((2, 3))
    unmatched = to_tensor(stylizer.stylize(content_path, style_path, style_size=96,
                                           alpha=alpha, match_palette=False))
    # Clamping to [0, 1] moves the mean a little.
    error = (picture.mean((2, 3)) - target).abs().max()
    assert error < 0.04 and error < 0.5 * (unmatched.mean((2, 3)) - target).abs().max()


def test_luminance_preservation_keeps_the_photo_chroma(stylizer, content_path, style_path):
    photo = to_tensor(resize_long_side(load_image(content_path), 96))

    def chroma_error(image) -> float:
        yiq = rgb_to_yiq(to_tensor(image))
        inside = ((yiq[:, :1] > 0.1) & (yiq[:, :1] < 0.9)).expand(-1, 2, -1, -1)
        return float((yiq[:, 1:] - rgb_to_yiq(photo)[:, 1:]).abs()[inside].mean())

    kept = chroma_error(stylizer.stylize(content_path, style_path, preserve_color="luminance"))
    plain = chroma_error(stylizer.stylize(content_path, style_path))
    assert kept < 0.25 * plain, (kept, plain)


def test_histogram_preservation_paints_with_the_recoloured_painting(stylizer, content_path,
                                                                   style_path) -> None:
    stylizer.stylize(content_path, style_path, preserve_color="histogram")
    photo = to_tensor(resize_long_side(load_image(content_path), 96))
    painting = to_tensor(resize_long_side(load_image(style_path), 96))
    recoloured = color.match_color_histogram(painting, photo).clamp(0, 1)
    # The painting whose statistics were used has the photo's colour mean and covariance
    # (up to the clipping to [0, 1])...
    flat_r, flat_p = recoloured.double().reshape(3, -1), photo.double().reshape(3, -1)
    torch.testing.assert_close(flat_r.mean(1), flat_p.mean(1), atol=0.02, rtol=0)
    torch.testing.assert_close(torch.cov(flat_r), torch.cov(flat_p), atol=0.01, rtol=0)
    # ... and it is the one the stylizer encoded: asking for it again hits the cache.
    stylizer.style_stats(recoloured, stylizer.config.levels, torch.device("cpu"))
    assert stylizer.style_encodings == 1


def test_large_images_are_tiled(stylizer, content_path, style_path) -> None:
    tiled = stylizer.stylize(content_path, style_path, size=256, max_tile_pixels=128 * 128,
                             tile_overlap=32)
    assert tiled.size == (256, 170)


def test_bad_settings_and_files(stylizer, content_path, style_path, tmp_path) -> None:
    with pytest.raises(ConfigError, match="needs a style image"):
        stylizer.stylize(content_path)
    with pytest.raises(ConfigError, match="'levels'.*relu1_1"):
        stylizer.stylize(content_path, style_path, levels=("relu6_1",))
    with pytest.raises(ConfigError, match="repeat"):
        stylizer.stylize(content_path, style_path, levels=("relu3_1", "relu3_1"))
    with pytest.raises(WeightsError, match="does not exist"):
        stylizer.stylize(content_path, style_path, decoders=str(tmp_path))


def test_level_presets_name_their_orders() -> None:
    from stylekit.methods.wct import DEFAULT_LEVELS, WCTConfig

    assert WCTConfig(levels="fine_to_coarse").levels == ("relu1_1", "relu2_1", "relu3_1",
                                                         "relu4_1") == DEFAULT_LEVELS
    assert WCTConfig(levels=("coarse_to_fine",)).levels == ("relu4_1", "relu3_1")  # as the CLI
    with pytest.raises(ConfigError, match="levels"):
        WCTConfig(levels="fine_to_coarser")


def test_a_paused_run_leaves_the_thread_with_gradients(stylizer, content_path, style_path):
    """A server runs a generator a step at a time, other requests in between on the same
    thread: between two records, gradients must be on as usual."""
    run = stylizer.iterate(content_path, style_path)
    next(run)
    assert torch.is_grad_enabled() and not torch.is_inference_mode_enabled()
    for _ in run:
        assert torch.is_grad_enabled()


def test_style_statistics_only_at_the_levels_used(stylizer, style_path) -> None:
    """adain's two levels measured the painting at all five (relu5_1's eigendecomposition
    included); now each level is measured when first asked for, then cached."""
    painting = to_tensor(load_image(style_path).resize((64, 48)))
    cpu = torch.device("cpu")
    stats = stylizer.style_stats(painting, ("relu4_1", "relu3_1"), cpu)
    assert set(stats) == {"relu4_1", "relu3_1"}
    [cached] = stylizer.style_cache.values()
    assert set(cached) == {"relu4_1", "relu3_1"}
    assert stylizer.style_stats(painting, ("relu3_1",), cpu)["relu3_1"] is stats["relu3_1"]
    assert stylizer.style_encodings == 1  # from the cache
    more = stylizer.style_stats(painting, ("relu1_1", "relu3_1"), cpu)
    assert more["relu3_1"] is stats["relu3_1"] and stylizer.style_encodings == 2
    assert set(stylizer.style_cache[next(iter(stylizer.style_cache))]) == {
        "relu1_1", "relu3_1", "relu4_1"}
