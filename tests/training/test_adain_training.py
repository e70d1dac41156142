"""Training the AdaIN decoder: a tiny real run, the feature cache, resume, init-from."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from stylekit import ConfigError
from stylekit.methods.adain import load_decoder
from stylekit.nets.adain import Decoder
from stylekit.training.adain import (
    STYLE_LAYERS,
    TrainAdaINConfig,
    condition_decoder,
    layer_scales,
    paper_losses,
    train_adain,
)
from stylekit.training.checkpoint import load_checkpoint
from stylekit.vgg import VGG19Features

TINY = dict(widths=(4, 4, 4), crop=64, content_scale=(64, 80), style_crop=64,
            style_scale=(64, 80), content_crops=8, style_crops=8, batch=2, warmup_steps=0,
            checkpoint_every=2, sample_every=0, device="cpu")


@pytest.fixture(scope="module")
def folders(tmp_path_factory) -> tuple[Path, Path]:
    rng = np.random.default_rng(1)
    content, style = tmp_path_factory.mktemp("content"), tmp_path_factory.mktemp("style")
    for i in range(4):
        Image.fromarray(rng.integers(0, 255, (70, 90, 3), dtype=np.uint8)).save(
            content / f"c{i}.png")
        y, x = np.mgrid[0:80, 0:80]
        stripes = np.stack([(x * (i + 1)) % 255, (y * 3) % 255, (x + y) % 255], -1)
        Image.fromarray(stripes.astype(np.uint8)).save(style / f"s{i}.png")
    return content, style


def _run(folders, out: Path, **changes) -> list:
    settings = {"content_data": str(folders[0]), "style_data": (str(folders[1]),), **TINY,
                **changes}
    cfg = TrainAdaINConfig(out=str(out), **settings)
    return list(train_adain(cfg))


def test_tiny_run_writes_a_usable_decoder(folders, tmp_path: Path) -> None:
    records = _run(folders, tmp_path, steps=4, sample_every=4)
    assert [r.step for r in records] == [1, 2, 3, 4] and records[-1].done
    assert set(records[0].losses) == {"total", "content", "style"}
    assert load_decoder(str(tmp_path / "model.safetensors")).spec.widths == (4, 4, 4)
    config = json.loads((tmp_path / "config.json").read_text())
    assert config["steps_done"] == 4 and config["widths"] == [4, 4, 4]
    assert len(config["stages"]) == 1
    assert set(config["stages"][0]["final_losses_mean_of_last_50_steps"]) == {
        "total", "content", "style"}
    assert len(list((tmp_path / "cache").iterdir())) == 1
    # Rows: the crops, decoded back, stylized.
    assert Image.open(tmp_path / "samples" / "step_000004.png").height == 3 * 64 + 4 * 2
    card = (tmp_path / "README.md").read_text()
    assert "## Training stages" in card and "| 1 | scratch | 4 (0) | 64 px |" in card
    assert config["stages"][0]["hardware"] in card and "-core CPU (no GPU)" in card


def test_the_cache_holds_crop_features_pixels_and_style_statistics(folders, tmp_path) -> None:
    from safetensors.torch import load_file

    _run(folders, tmp_path, steps=1, style_crop=72, style_scale=(72, 90))
    cache = load_file(next((tmp_path / "cache").iterdir()))
    assert cache["content"].shape == (8, 512, 8, 8) and cache["content"].dtype == torch.float16
    assert cache["pixels"].shape == (8, 3, 64, 64) and cache["pixels"].dtype == torch.uint8
    assert cache["relu1_1_mean"].shape == (8, 64) and cache["relu4_1_std"].shape == (8, 512)
    assert bool((cache["relu4_1_std"] > 0).all())


def test_warmup_inverts_the_encoder_with_a_pixel_loss(folders, tmp_path: Path) -> None:
    records = _run(folders, tmp_path, steps=30, warmup_steps=28, warmup_lr=3e-3,
                   widths=(16, 16, 16))
    warmup, style = records[:28], records[28:]
    assert all(set(r.losses) == {"total", "pixel"} for r in warmup)
    assert all(set(r.losses) == {"total", "content", "style"} for r in style)
    first = sum(r.losses["pixel"] for r in warmup[:3]) / 3
    last = sum(r.losses["pixel"] for r in warmup[-3:]) / 3
    assert last < 0.7 * first  # it learns to paint the crops back
    # Adam restarts at the switch: its step count covers the two style steps only.
    adam = load_checkpoint(tmp_path / "checkpoint.pt")["optimizer"]["state"]
    assert {int(s["step"]) for s in adam.values()} == {2}
    stage = json.loads((tmp_path / "config.json").read_text())["stages"][0]
    assert stage["warmup_steps"] == 28 and 0 < stage["final_warmup_pixel_l1"] < first


def test_learning_rate_schedule() -> None:
    from stylekit.training.adain import _lr_factor

    cfg = TrainAdaINConfig(content_data="a", style_data=("b",), out="c", warmup_steps=10,
                           warmup_lr=1e-3, lr=1e-4, lr_decay=0.5)
    assert _lr_factor(cfg, 0) == pytest.approx(10.0) and _lr_factor(cfg, 9) == pytest.approx(10)
    assert _lr_factor(cfg, 10) == 1.0 and _lr_factor(cfg, 12) == pytest.approx(0.5)
    resumed = cfg.replace(init_from="trained")  # no warm-up when continuing a decoder
    assert resumed.warmup == 0 and _lr_factor(resumed, 0) == 1.0


def test_other_style_images_are_encoded_afresh(folders, tmp_path: Path) -> None:
    _run(folders, tmp_path, steps=1)
    _run(folders, tmp_path, steps=2, resume=True, style_data=(str(folders[1] / "s0.png"),))
    assert len(list((tmp_path / "cache").iterdir())) == 2  # not the first run's crops


def test_style_sources_can_be_single_files(folders, tmp_path: Path) -> None:
    from stylekit.training.data import list_image_sources

    one = folders[1] / "s0.png"
    files = list_image_sources([str(one), str(folders[1])])
    assert files[0] == one and len(files) == 5
    records = _run(folders, tmp_path, steps=1, style_data=(str(one),))
    assert records[-1].done


def test_resume_and_reuse_the_cache(folders, tmp_path: Path) -> None:
    _run(folders, tmp_path, steps=2)
    cache = next((tmp_path / "cache").iterdir())
    stamp = cache.stat().st_mtime_ns
    resumed = _run(folders, tmp_path, steps=4, resume=True)
    assert [r.step for r in resumed] == [3, 4]
    assert cache.stat().st_mtime_ns == stamp  # not encoded again
    assert load_checkpoint(tmp_path / "checkpoint.pt")["step"] == 4


def test_init_from_a_decoder(folders, tmp_path: Path, tiny_decoder: Path) -> None:
    records = _run(folders, tmp_path, steps=1, init_from=str(tiny_decoder), widths=(8, 8, 8))
    assert records[-1].done
    assert load_decoder(str(tmp_path / "model.safetensors")).spec.widths == (8, 8, 8)


def test_stages_carry_over_to_the_next_run(folders, tmp_path: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    _run(folders, first, steps=3, warmup_steps=2)
    records = _run(folders, second, steps=2, warmup_steps=2, init_from=str(first))
    assert all("pixel" not in r.losses for r in records)  # no warm-up when continuing
    config = json.loads((second / "config.json").read_text())
    assert [s["steps"] for s in config["stages"]] == [3, 2]
    # Recorded without the machine's folders (committed files hold no absolute paths).
    assert [s["init_from"] for s in config["stages"]] == [None, "/".join(first.parts[-2:])]
    assert config["steps_done"] == 5
    assert config["wall_seconds"] == pytest.approx(
        sum(s["wall_seconds"] for s in config["stages"]), abs=0.2)
    card = (second / "README.md").read_text()
    assert "| 1 | scratch | 3 (2) |" in card and "| 2 | stage 1 | 2 (0) |" in card


def test_bad_settings(folders, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="'style_data'"):
        TrainAdaINConfig(content_data=str(folders[0]), out=str(tmp_path))
    with pytest.raises(ConfigError, match="three values"):
        TrainAdaINConfig(content_data="a", style_data=("b",), out="c", widths=(4, 4))
    with pytest.raises(ConfigError, match="content_scale"):
        TrainAdaINConfig(content_data="a", style_data=("b",), out="c", crop=128,
                         content_scale=(100, 200))
    with pytest.raises(ConfigError, match="style_scale"):
        TrainAdaINConfig(content_data="a", style_data=("b",), out="c", style_scale=(512,))


@pytest.mark.slow
def test_torchrun_two_cpu_processes(folders, tmp_path: Path, free_port: int) -> None:
    """The same DistributedDataParallel path as the fast trainer: gloo, two processes."""
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2",
         "--master_port", str(free_port), "-m", "stylekit", "train", "adain", "--content-data",
         str(folders[0]), "--style-data", str(folders[1]), "--out", str(tmp_path),
         "--steps", "3", "--widths", "4,4,4", "--crop", "64", "--content-scale", "64", "80",
         "--style-crop", "64", "--style-scale", "64", "80", "--content-crops", "8",
         "--style-crops", "8", "--batch", "1", "--warmup-steps", "1", "--device", "cpu", "-q"],
        capture_output=True, text=True, timeout=300, env=env,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert load_checkpoint(tmp_path / "checkpoint.pt")["step"] == 3
    assert load_decoder(str(tmp_path / "model.safetensors")).spec.widths == (4, 4, 4)


def test_layer_scales_are_mean_activations_with_a_floor() -> None:
    cache = {f"{layer}_mean": torch.tensor([[2.0, 0.1, 5.0], [4.0, 0.1, 7.0]])
             for layer in STYLE_LAYERS}
    scales = layer_scales(cache, "mean-activation", torch.device("cpu"))
    # channel means 3, 0.1, 6; layer average 3.0333; floor 0.30333
    assert scales["relu1_1"].shape == (1, 3, 1, 1)
    assert torch.allclose(scales["relu2_1"].flatten(), torch.tensor([3.0, 0.30333, 6.0]),
                          atol=1e-5)
    assert torch.equal(layer_scales(cache, "none", torch.device("cpu"))["relu4_1"],
                       torch.ones(1, 3, 1, 1))


def test_paper_losses_scale_with_the_channel_divisors() -> None:
    torch.manual_seed(0)
    encoder = VGG19Features(STYLE_LAYERS)
    decoded = torch.rand(2, 3, 32, 32)
    target = encoder.encode(torch.rand(2, 3, 32, 32), STYLE_LAYERS)["relu4_1"]
    style = {f"{layer}_{stat}": torch.rand(2, width, 1, 1) * 50
             for layer, width in zip(STYLE_LAYERS, (64, 128, 256, 512), strict=True)
             for stat in ("mean", "std")}
    ones = {layer: torch.ones(1) for layer in STYLE_LAYERS}
    with torch.no_grad():
        raw = paper_losses(encoder, decoded, target, style, 10.0, ones)
        halved = paper_losses(encoder, decoded, target, style, 10.0,
                              {layer: torch.full((1,), 2.0) for layer in STYLE_LAYERS})
        only_first = paper_losses(encoder, decoded, target, style, 10.0,
                                  {**ones, "relu1_1": torch.full((1,), 2.0)})
        first_alone = paper_losses(encoder, decoded, target, style, 10.0,
                                   {**ones, "relu1_1": torch.full((1,), 1e9)})
    # MSE of quantities divided by 2 is a quarter of the MSE
    for term in ("content", "style", "total"):
        assert float(halved[term]) == pytest.approx(float(raw[term]) / 4, rel=1e-5)
    assert float(raw["total"]) == pytest.approx(float(raw["content"] + 10 * raw["style"]),
                                                rel=1e-6)
    # dividing relu1_1 only: its share of the style loss drops to a quarter, nothing else moves
    relu1_share = float(raw["style"]) - float(first_alone["style"])
    assert relu1_share > 0
    assert float(only_first["style"]) == pytest.approx(
        float(first_alone["style"]) + relu1_share / 4, rel=1e-4)
    assert float(only_first["content"]) == pytest.approx(float(raw["content"]), rel=1e-6)


def test_conditioning_keeps_the_decoder_function_and_evens_its_activations() -> None:
    torch.manual_seed(0)
    decoder = Decoder((8, 8, 4))
    with torch.no_grad():  # a badly scaled decoder, as one trained on raw features
        decoder.body[1].weight.mul_(30.0)
        decoder.body[5].weight.mul_(0.1)
    features = torch.rand(2, 512, 4, 4) * 300
    before = decoder(features)
    scale = torch.rand(1, 512, 1, 1) * 500 + 1
    condition_decoder(decoder, scale, features)
    assert torch.equal(decoder.input_scale, scale)
    torch.testing.assert_close(decoder(features), before, rtol=1e-4, atol=1e-5)
    rms = []
    x = features / scale
    with torch.no_grad():
        for layer in decoder.body:
            x = layer(x)
            if isinstance(layer, torch.nn.ReLU):
                rms.append(float(x.square().mean().sqrt()))
    assert rms == pytest.approx([1.0] * 8, rel=1e-4)  # after each of the 8 hidden layers
    # a decoder file written before input_scale existed loads with a scale of one
    state = {k: v for k, v in decoder.state_dict().items() if k != "input_scale"}
    fresh = Decoder((8, 8, 4))
    fresh.load_state_dict(state)
    assert torch.equal(fresh.input_scale, torch.ones(1, 512, 1, 1))


def test_training_conditions_the_decoder_on_its_targets(folders, tmp_path: Path) -> None:
    _run(folders, tmp_path, steps=1)
    scaled = load_decoder(str(tmp_path / "model.safetensors")).input_scale
    assert scaled.shape == (1, 512, 1, 1) and float(scaled.min()) > 0
    assert not torch.equal(scaled, torch.ones_like(scaled))
    _run(folders, tmp_path / "raw", steps=1, layer_scale="none")
    raw = load_decoder(str(tmp_path / "raw" / "model.safetensors")).input_scale
    assert torch.equal(raw, torch.ones_like(raw))


def test_model_card_names_paintings_and_counts_other_single_images() -> None:
    from stylekit.training.cards import render_card

    settings = {"crop": 128, "batch": 8, "lr": 1e-4, "style_data": [
        "/data/styles_extra", "/data/styles/udnie.jpg", "/data/photos/coco128/a.jpg",
        "/data/photos/coco128/b.jpg", "/data/photos/bsds500/c.jpg"]}
    stage = {"init_from": None, "steps": 10, "warmup_steps": 0, "wall_seconds": 60.0,
             "settings": settings}
    card = render_card({
        "method": "adain", "widths": [8, 8, 8], "steps_done": 20, "wall_seconds": 120.0,
        "stages": [stage, {**stage, "init_from": "x"}]})
    styles = next(line for line in card.splitlines() if line.startswith("- Styles:"))
    assert "128 public-domain artworks" in styles and "*Udnie*" in styles
    assert "2 images of the folder coco128; 1 image of the folder bsds500." in styles
    assert "a.jpg" not in card and "Starry Night" in card  # unseen paintings still listed
