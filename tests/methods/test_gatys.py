"""The Gatys method with the real VGG-19 weights, at small sizes."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from stylekit import ConfigError, create_stylizer, load_image, resize_long_side, to_tensor
from stylekit.color import rgb_to_yiq
from stylekit.methods.gatys import (
    STYLE_LAYER_PRESETS,
    VGG_CACHE_SIZE,
    GatysConfig,
    default_scales,
    split_steps,
)


def _run(content, style, **params):
    # The optimisation's mechanics, from the photo (the default starts from a one-pass picture).
    params.setdefault("init", "content")
    stylizer = create_stylizer("gatys", device="cpu", **params)
    return list(stylizer.iterate(content, style))


def test_small_run_lowers_the_loss_clearly(content_path, style_path) -> None:
    records = _run(content_path, style_path, size=64, scales=(64,), steps=20, save_every=5)
    first, last = records[0].losses["total"], records[-1].losses["total"]
    assert last < 0.3 * first, (first, last)
    assert set(records[0].losses) == {"content", "style", "tv", "total"}
    assert [r.step for r in records if r.image is not None] == [5, 10, 15, 20]
    assert records[-1].image.size == (64, 43)  # 451x300 scaled to a long side of 64


def test_same_seed_same_image(content_path, style_path) -> None:
    params = dict(size=48, scales=(48,), steps=8, init="noise")
    a = create_stylizer("gatys", device="cpu", seed=3, **params).stylize(content_path, style_path)
    b = create_stylizer("gatys", device="cpu", seed=3, **params).stylize(content_path, style_path)
    c = create_stylizer("gatys", device="cpu", seed=4, **params).stylize(content_path, style_path)
    assert np.array_equal(np.asarray(a), np.asarray(b))
    assert not np.array_equal(np.asarray(a), np.asarray(c))


def test_coarse_to_fine_schedule(content_path, style_path) -> None:
    records = _run(content_path, style_path, scales=(32, 64), steps=10, save_every=1)
    assert [r.scale for r in records] == [32] * 5 + [64] * 5
    assert max(records[4].image.size) == 32 and max(records[-1].image.size) == 64
    # The finer scale starts from the coarse result, not from scratch: its first loss is
    # far below the loss of the content photo itself at that scale.
    fresh = _run(content_path, style_path, scales=(64,), steps=1)
    assert records[5].losses["total"] < fresh[0].losses["total"]


def test_default_schedule() -> None:
    assert default_scales(512) == [128, 256, 512]
    assert default_scales(384) == [192, 384]
    assert default_scales(100) == [100]
    assert sum(split_steps(300, [128, 256, 512])) == 300
    assert GatysConfig(size=256, steps=100).schedule()[-1][0] == 256
    assert GatysConfig(scales=(64, 96)).size == 96  # the schedule's last scale is the size


@pytest.mark.parametrize("init", ["content", "noise", "style"])
@pytest.mark.parametrize("optimizer", ["lbfgs", "adam"])
def test_inits_and_optimisers_improve(content_path, style_path, init, optimizer) -> None:
    records = _run(content_path, style_path, size=48, scales=(48,), steps=12, init=init,
                   optimizer=optimizer, lr=0.05)
    assert records[-1].losses["total"] < records[0].losses["total"]
    pixels = np.asarray(records[-1].image)
    assert pixels.std() > 5  # a real picture, not a flat one


def test_several_styles_are_blended(content_path, style_path, second_style_path) -> None:
    params = dict(size=48, scales=(48,), steps=6)
    only_first = create_stylizer("gatys", device="cpu", **params).stylize(
        content_path, [style_path, second_style_path], style_blend_weights=(1, 0))
    single = create_stylizer("gatys", device="cpu", **params).stylize(content_path, style_path)
    blend = create_stylizer("gatys", device="cpu", **params).stylize(
        content_path, [style_path, second_style_path], style_blend_weights=(0.5, 0.5))
    assert np.array_equal(np.asarray(only_first), np.asarray(single))
    assert not np.array_equal(np.asarray(blend), np.asarray(single))
    with pytest.raises(ConfigError, match="one weight per style image"):
        create_stylizer("gatys").stylize(content_path, [style_path, second_style_path],
                                         style_blend_weights=(1.0,))


def test_luminance_mode_keeps_the_content_chroma(content_path, style_path) -> None:
    params = dict(size=64, scales=(64,), steps=10, init="content")
    content = to_tensor(resize_long_side(load_image(content_path), 64))
    kept = create_stylizer("gatys", device="cpu", preserve_color="luminance", **params)
    plain = create_stylizer("gatys", device="cpu", **params)
    target_iq = rgb_to_yiq(content)[:, 1:]
    kept_iq = rgb_to_yiq(to_tensor(kept.stylize(content_path, style_path)))[:, 1:]
    plain_iq = rgb_to_yiq(to_tensor(plain.stylize(content_path, style_path)))[:, 1:]
    kept_err = (kept_iq - target_iq).abs().mean().item()
    plain_err = (plain_iq - target_iq).abs().mean().item()
    assert kept_err < 0.01, kept_err  # only 8-bit rounding and gamut clipping remain
    assert plain_err > 3 * kept_err


def test_histogram_mode_pulls_colours_toward_the_content(content_path, style_path) -> None:
    params = dict(size=64, scales=(64,), steps=10)
    content = to_tensor(resize_long_side(load_image(content_path), 64))
    mean_c = content.mean((2, 3))
    out_h = to_tensor(create_stylizer("gatys", device="cpu", preserve_color="histogram",
                                      **params).stylize(content_path, style_path))
    out_n = to_tensor(create_stylizer("gatys", device="cpu", **params).stylize(
        content_path, style_path))
    assert (out_h.mean((2, 3)) - mean_c).abs().sum() < (out_n.mean((2, 3)) - mean_c).abs().sum()


def test_layer_presets_and_weights() -> None:
    assert GatysConfig(content_layers="relu5_2").content_layers == ("relu5_2",)
    assert GatysConfig(style_layers="shallow").style_layers == STYLE_LAYER_PRESETS["shallow"]
    assert GatysConfig(style_layers="relu1_1,relu3_1").style_layers == ("relu1_1", "relu3_1")
    with pytest.raises(ConfigError, match="one weight per layer"):
        GatysConfig(style_layers="deep", style_layer_weights=(1.0, 2.0))
    with pytest.raises(ConfigError, match="unknown VGG-19 layer"):
        GatysConfig(content_layers="relu4_9")
    with pytest.raises(ConfigError, match="strictly increasing"):
        GatysConfig(scales=(128, 64))


def test_one_vgg_per_layer_set_whatever_the_order_and_a_bounded_few() -> None:
    """Layer sets are free text in the app: 12 orderings of the same layers once grew the
    server by ~700 MB, one VGG-19 each."""
    import itertools

    gatys = create_stylizer("gatys", device="cpu")
    layers = ("relu1_1", "relu2_1", "relu3_1")
    orders = [GatysConfig(content_layers=c, style_layers=",".join(s))
              for c in ("relu1_1", "relu2_1") for s in itertools.permutations(layers)]
    assert len(orders) == 12
    kept = {id(gatys.feature_extractor(cfg)) for cfg in orders}
    assert len(kept) == 1
    # Shallow sets (cheap to build), as many as the cache holds: the first is let go.
    first = gatys.feature_extractor(orders[0])
    others = ["relu1_2", "conv1_1", "conv1_2", "relu2_2", "conv2_1", "conv2_2", "relu2_1"]
    for layer in others[:VGG_CACHE_SIZE]:
        gatys.feature_extractor(GatysConfig(content_layers=layer, style_layers="relu1_1"))
    assert gatys.feature_extractor(orders[0]) is not first
    last = GatysConfig(content_layers=others[VGG_CACHE_SIZE - 1], style_layers="relu1_1")
    assert gatys.feature_extractor(last) is gatys.feature_extractor(last)


def test_layer_weights_change_the_objective(content_path, style_path) -> None:
    params = dict(size=48, scales=(48,), steps=1, style_layers="shallow")
    even = _run(content_path, style_path, **params)[0].losses["style"]
    heavy = _run(content_path, style_path, style_layer_weights=(2, 2, 2), **params)[0]
    assert heavy.losses["style"] == pytest.approx(2 * even, rel=1e-4)


def test_needs_a_style_image(content_path) -> None:
    with pytest.raises(ConfigError, match="needs a style image"):
        create_stylizer("gatys").stylize(content_path)


def test_style_scale_changes_the_targets(content_path, style_path) -> None:
    small = _run(content_path, style_path, size=64, scales=(64,), steps=1, style_scale=0.5)
    same = _run(content_path, style_path, size=64, scales=(64,), steps=1)
    assert small[0].losses["style"] != pytest.approx(same[0].losses["style"], rel=1e-3)


def test_runs_on_a_tensor_and_array(style_path) -> None:
    torch.manual_seed(0)
    content = torch.rand(3, 40, 60)
    out = create_stylizer("gatys", device="cpu", size=48, scales=(48,), steps=2).stylize(
        content, np.asarray(load_image(style_path)))
    assert out.size == (48, 32)


def test_eta_counts_down_to_zero(content_path, style_path) -> None:
    records = _run(content_path, style_path, scales=(32, 64), steps=6)
    etas = [r.eta for r in records]
    assert all(e is not None and e >= 0 for e in etas)
    assert etas[-1] == 0
    # The coarse steps are cheap, so the first ETA covers mostly the fine scale's steps.
    assert etas[0] > etas[3]
