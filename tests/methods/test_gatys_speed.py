"""Cheaper Gatys steps: only the layers that count are run, and a painting is encoded once.

Real VGG-19 weights; layers run and forward passes are counted with hooks on the real modules.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from stylekit import ConfigError, create_stylizer
from stylekit.losses import GramCache, PerceptualLoss
from stylekit.methods.gatys import GatysConfig
from stylekit.vgg import VGG19Features

GATYS_STYLE = ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1")


def _layers_run(vgg: VGG19Features, call) -> list[str]:
    """The names of ``vgg``'s modules that ran during ``call()``, in order."""
    ran: list[str] = []
    handles = [module.register_forward_hook(lambda *_, name=name: ran.append(name))
               for name, module in vgg.body.named_children()]
    try:
        call()
    finally:
        for handle in handles:
            handle.remove()
    return ran


@pytest.fixture(scope="module")
def full_vgg() -> VGG19Features:
    return VGG19Features(("relu4_2", *GATYS_STYLE))


def test_zero_weight_layers_and_terms_are_not_run(full_vgg) -> None:
    photo, painting = torch.rand(1, 3, 32, 32), torch.rand(1, 3, 32, 32)

    def deepest(style_weights: dict[str, float], content_weight: float) -> str:
        loss = PerceptualLoss(full_vgg, {"relu4_2": 1.0}, style_weights,
                              content_weight=content_weight, style_weight=10.0)
        loss.set_content(photo)
        loss.set_style([painting])
        return _layers_run(full_vgg, lambda: loss(photo))[-1]

    everything = dict.fromkeys(GATYS_STYLE, 1.0)
    assert deepest(everything, 1.0) == "relu5_1"
    assert deepest({**everything, "relu5_1": 0.0}, 1.0) == "relu4_2"
    assert deepest({**everything, "relu5_1": 0.0}, 0.0) == "relu4_1"
    assert deepest({"relu1_1": 1.0, "relu2_1": 0.0}, 0.0) == "relu1_1"


def test_a_zero_weight_layer_does_not_change_the_loss(full_vgg) -> None:
    photo, painting = torch.rand(1, 3, 32, 32), torch.rand(1, 3, 32, 32)
    terms = []
    for style in ({"relu1_1": 1.0, "relu3_1": 1.0}, {"relu1_1": 1.0, "relu3_1": 1.0,
                                                     "relu5_1": 0.0}):
        loss = PerceptualLoss(full_vgg, {"relu4_2": 1.0}, style, style_weight=10.0)
        loss.set_content(photo)
        loss.set_style([painting])
        terms.append(loss(photo)["total"].item())
    assert terms[0] == terms[1]


def test_gatys_builds_its_network_to_the_deepest_layer_that_counts() -> None:
    gatys = create_stylizer("gatys", device="cpu", init="content")
    cut = GatysConfig(style_layer_weights=(1, 1, 1, 1, 0))
    assert list(gatys.feature_extractor(cut).body.named_children())[-1][0] == "relu4_2"
    no_content = GatysConfig(content_weight=0.0, style_layer_weights=(1, 1, 1, 1, 0))
    assert list(gatys.feature_extractor(no_content).body.named_children())[-1][0] == "relu4_1"


def _painting_passes(vgg: VGG19Features, painting_hw: tuple[int, int], call) -> int:
    """How many forward passes of ``vgg`` during ``call()`` take an input of the painting's
    size (the photo's differs)."""
    shapes: list[tuple[int, int]] = []
    handle = vgg.register_forward_pre_hook(
        lambda _, inputs: shapes.append(tuple(inputs[0].shape[-2:])))
    try:
        call()
    finally:
        handle.remove()
    return shapes.count(painting_hw)


def test_the_painting_is_encoded_once_across_calls(content_path, style_path) -> None:
    # chelsea is 451x300 (64x43 at 64 px), hubble 1000x872 (64x56): the painting's passes
    # are those of its shape.
    gatys = create_stylizer("gatys", device="cpu", init="content", size=64, scales=(64,), steps=2)
    vgg = gatys.feature_extractor(gatys.config)
    first = _painting_passes(vgg, (56, 64), lambda: gatys.stylize(content_path, style_path))
    again = _painting_passes(vgg, (56, 64), lambda: gatys.stylize(content_path, style_path))
    assert (first, again) == (1, 0)
    # Another size of the painting is another entry; the result is the same with the cache.
    smaller = _painting_passes(vgg, (28, 32), lambda: gatys.stylize(
        content_path, style_path, style_scale=0.5))
    assert smaller == 1
    fresh = create_stylizer("gatys", device="cpu", init="content", size=64, scales=(64,), steps=2)
    assert np.array_equal(np.asarray(fresh.stylize(content_path, style_path)),
                          np.asarray(gatys.stylize(content_path, style_path)))


def test_the_cache_is_bounded_and_keyed_by_pixels() -> None:
    vgg = VGG19Features(["relu1_1"])
    cache = GramCache(capacity=2)
    paintings = [torch.full((1, 3, 16, 16), v) for v in (0.1, 0.2, 0.3)]
    for painting in paintings:
        cache.grams(vgg, ["relu1_1"], painting)
    assert len(cache) == 2 and cache.misses == 3
    cache.grams(vgg, ["relu1_1"], paintings[0])  # let go: computed again
    assert cache.misses == 4
    cache.grams(vgg, ["relu1_1"], paintings[2].clone())  # same pixels, another tensor
    assert cache.hits == 1


def test_a_video_encodes_the_painting_once(style_path) -> None:
    from stylekit.video.runner import VideoConfig, stylize_frames

    ramp = np.tile(np.linspace(0, 255, 64, dtype=np.uint8), (48, 1))
    clip = [np.stack([np.roll(ramp, 2 * t, axis=1)] * 3, axis=-1) for t in range(3)]
    gatys = create_stylizer("gatys", device="cpu", init="content", size=64, scales=(64,), steps=2)
    vgg = gatys.feature_extractor(gatys.config)
    passes = _painting_passes(vgg, (56, 64), lambda: list(stylize_frames(
        clip, gatys, style_path, VideoConfig(frame_steps=2))))
    assert passes == 1


def test_the_run_stops_when_the_loss_stops_moving(content_path, style_path, caplog) -> None:
    # A loose tolerance, so that the tiny run stops within a few steps.
    gatys = create_stylizer("gatys", device="cpu", init="content", size=48, scales=(48,), steps=40)
    with caplog.at_level("INFO", logger="stylekit.methods.gatys"):
        stopped = list(gatys.iterate(content_path, style_path, stop_tolerance=0.3,
                                     stop_window=3))
    assert stopped[-1].done and stopped[-1].image is not None
    assert [r.done for r in stopped].count(True) == 1
    assert 3 < stopped[-1].step < 40
    assert "changed by" in caplog.text and "done after" in caplog.text
    totals = [r.losses["total"] for r in stopped]
    assert abs(totals[-4] - totals[-1]) / totals[-4] < 0.3  # the rule, on the records
    assert all(abs(totals[i - 3] - totals[i]) / totals[i - 3] >= 0.3
               for i in range(3, len(totals) - 1))
    # Off by default: every step is taken.
    assert GatysConfig().stop_tolerance == 0
    assert len(list(gatys.iterate(content_path, style_path, steps=5))) == 5


def test_a_coarse_scale_that_stops_moving_hands_over_to_the_next(content_path,
                                                                 style_path) -> None:
    records = list(create_stylizer("gatys", device="cpu", init="content").iterate(
        content_path, style_path, scales=(32, 48), scale_steps=(40, 2), stop_tolerance=0.3,
        stop_window=3))
    coarse = [r for r in records if r.scale == 32]
    assert 3 < len(coarse) < 40 and not any(r.done for r in coarse)
    assert [r.scale for r in records[len(coarse):]] == [48] * 2 and records[-1].done


def test_steps_per_scale(content_path, style_path) -> None:
    cfg = GatysConfig(scales=(32, 64), scale_steps=(6, 2))
    assert cfg.schedule() == [(32, 6), (64, 2)] and cfg.steps == 8
    assert GatysConfig(size=384, scale_steps="30,5", init="content").schedule() == [
        (192, 30), (384, 5)]
    assert GatysConfig().scale_steps is None  # default: steps shared equally
    records = list(create_stylizer("gatys", device="cpu", init="content").iterate(
        content_path, style_path, scales=(32, 64), scale_steps=(6, 2)))
    assert [r.scale for r in records] == [32] * 6 + [64] * 2
    with pytest.raises(ConfigError, match=r"scale_steps has 3 values for the 2 scales 192, 384"):
        GatysConfig(size=384, scale_steps=(10, 5, 1), init="content")
