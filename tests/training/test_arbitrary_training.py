"""Training the arbitrary-style network: tiny real runs, the caches, resume, bad input."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

import stylekit
from stylekit import ConfigError
from stylekit.cli import main
from stylekit.examples import example_path
from stylekit.training.arbitrary import TrainArbitraryConfig, train_arbitrary
from stylekit.training.checkpoint import load_checkpoint

TINY = dict(width=4, blocks=1, style_dim=4, hidden=8, crop=32, content_scale=(40, 64),
            content_crops=8, views=2, style_size=(64, 96), batch=2, sample_every=0,
            export_every=0, checkpoint_every=2, warmup_steps=1, device="cpu")


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> tuple[Path, Path]:
    """Four synthetic photos (one of them held out by name) and three paintings."""
    photos = tmp_path_factory.mktemp("photos")
    rng = np.random.default_rng(0)
    for i in range(4):
        y, x = np.mgrid[0:60, 0:80]
        base = np.stack([x * 3 + i * 20, y * 4, (x + y) * 2], -1) % 256
        noisy = np.clip(base + rng.normal(0, 20, base.shape), 0, 255).astype(np.uint8)
        Image.fromarray(noisy).save(photos / f"{'test' if i == 3 else 'train'}_{i}.png")
    paintings = tmp_path_factory.mktemp("paintings")
    for name in ("hubble", "ihc", "udnie"):
        shutil.copy(example_path(name), paintings / f"{name}{example_path(name).suffix}")
    return photos, paintings


def _train(data: tuple[Path, Path], out: Path, **changes) -> list:
    photos, paintings = data
    cfg = TrainArbitraryConfig(style_data=(str(paintings),), content_data=(str(photos),),
                               out=str(out), **{**TINY, **changes})
    return list(train_arbitrary(cfg))


def test_tiny_run_writes_a_model_the_method_uses(data, tmp_path):
    records = _train(data, tmp_path, steps=6, sample_every=3,
                     exclude=("test_*", "udnie.*"), samples=(str(example_path("udnie")),))
    assert [r.step for r in records] == list(range(1, 7)) and records[-1].done
    assert records[0].losses["style"] == 0.0 < records[-1].losses["style"]  # warm-up first
    config = json.loads((tmp_path / "config.json").read_text())
    # The held-out painting and photo were left out of both caches.
    assert config["paintings"] == 2 and config["style_views"] == 4 and config["photos"] == 3
    card = (tmp_path / "README.md").read_text()
    assert "6 steps" in card and "Francis Picabia, *Udnie* (1913)" in card.split(
        "Never seen in training")[1]
    assert sorted(p.name for p in (tmp_path / "samples").iterdir()) == [
        "step_000003.png", "step_000006.png"]
    # Two caches, reused by the next run with the same settings.
    caches = sorted(p.name for p in (tmp_path / "cache").iterdir())
    assert [c.split("_")[0] for c in caches] == ["photos", "styles"]
    out = stylekit.create_stylizer("arbitrary", model=str(tmp_path / "model.safetensors"),
                                   size=64).stylize(example_path("chelsea"),
                                                    example_path("udnie"))
    assert out.size == (64, 43)


def test_resume_continues_where_it_stopped(data, tmp_path):
    # Exports store the built-in styles in the network; the checkpoints after them too.
    stored = (str(example_path("udnie")), str(example_path("mondrian")))
    _train(data, tmp_path, steps=4, export_every=2, stored_styles=stored)
    resumed = _train(data, tmp_path, steps=6, resume=True, stored_styles=stored)
    assert [r.step for r in resumed] == [5, 6]
    state = load_checkpoint(tmp_path / "checkpoint.pt")
    assert state["step"] == 6 and len(state["history"]) == 6
    net = stylekit.create_stylizer("arbitrary", model=str(tmp_path / "model.safetensors")
                                   ).network(str(tmp_path / "model.safetensors"), "cpu")
    assert net.styles == ("udnie", "mondrian")


def test_bad_settings(data, tmp_path, capsys):
    with pytest.raises(ConfigError, match="needs 'style_data', 'content_data' and 'out'"):
        TrainArbitraryConfig(content_data=("x",), out="y")
    # The command line names its options.
    assert main(["train", "arbitrary", "--content-data", "x", "--out", "y", "-q"]) == 1
    assert "training needs --style-data, --content-data and --out" in capsys.readouterr().err
    with pytest.raises(ConfigError, match="'content_scale' needs two sizes"):
        TrainArbitraryConfig(style_data=("x",), content_data=("x",), out="y", crop=128,
                             content_scale=(64, 256))
    with pytest.raises(ConfigError, match="no images left"):
        _train(data, tmp_path, steps=1, exclude=("*.png", "*.jpg"))


def test_style_layer_weights_weigh_each_layer_s_style_distance(data, tmp_path):
    """At the first style step (the same network after the same warm-up, the same batch) the
    style term with the fine layers only plus the one with the coarse layers only is the
    term with all four."""
    def style(weights: tuple[float, ...], name: str) -> float:
        records = _train(data, tmp_path / name, steps=2, style_layer_weights=weights)
        return records[-1].losses["style"]

    whole, fine, coarse = (style((1, 1, 1, 1), "all"), style((1, 1, 0, 0), "fine"),
                           style((0, 0, 1, 1), "coarse"))
    assert fine > 0 and coarse > 0
    assert fine + coarse == pytest.approx(whole, rel=1e-4)
    with pytest.raises(ConfigError, match="'style_layer_weights' needs 4 numbers"):
        TrainArbitraryConfig(style_data=("x",), content_data=("x",), out="y",
                             style_layer_weights=(1.0, 1.0))


def test_init_starts_from_a_model_s_weights(data, tmp_path):
    from safetensors.torch import load_file

    _train(data, tmp_path / "first", steps=3)
    first = tmp_path / "first" / "model.safetensors"
    # lr 0: the one step changes nothing, so the export is the weights it started from.
    _train(data, tmp_path / "second", steps=1, warmup_steps=0, lr=0.0, init=str(first))
    before, after = load_file(str(first)), load_file(str(tmp_path / "second" / "model.safetensors"))
    assert before.keys() == after.keys()
    assert all(torch.equal(before[k], after[k]) for k in before)
    # A fresh run (same seed) starts elsewhere.
    _train(data, tmp_path / "fresh", steps=1, warmup_steps=0, lr=0.0)
    fresh = load_file(str(tmp_path / "fresh" / "model.safetensors"))
    assert not torch.equal(fresh["to_norm_params.weight"], before["to_norm_params.weight"])
    with pytest.raises(ConfigError, match="give the same 'width'"):
        _train(data, tmp_path / "wider", steps=1, width=8, init=str(first))


def test_vivid_views_raise_saturation_and_leave_other_views_alone():
    from stylekit.training.arbitrary import painting_view

    painting = Image.open(example_path("udnie")).convert("RGB")

    def view(vivid: float) -> Image.Image:
        return painting_view(painting, torch.Generator().manual_seed(3), (64, 96), 0.0, vivid)

    def saturation(image: Image.Image) -> float:
        return float(np.asarray(image.convert("HSV"))[..., 1].mean())

    plain, vivid = view(0.0), view(1.0)
    assert plain.size == vivid.size  # the same crop: only the colours differ
    assert saturation(vivid) > 1.3 * saturation(plain)
    # Without vivid views a view takes the six random numbers it always took, so the banks
    # made before vivid views existed keep their views.
    used = torch.Generator().manual_seed(3)
    painting_view(painting, used, (64, 96), 0.0)
    expected = torch.Generator().manual_seed(3)
    torch.rand(6, generator=expected)
    assert torch.equal(used.get_state(), expected.get_state())


def test_colour_weight_trains_on_samples_of_the_bank_s_own_views(data, tmp_path):
    from stylekit.training.arbitrary import colour_samples, training_files
    from stylekit.training.checkpoint import load_mapped
    from stylekit.training.distributed import Dist

    records = _train(data, tmp_path, steps=3, colour_weight=5.0, vivid_views=0.5)
    assert records[-1].losses["colours"] > 0
    cfg = TrainArbitraryConfig(style_data=(str(data[1]),), content_data=(str(data[0]),),
                               out=str(tmp_path), **{**TINY, "vivid_views": 0.5})
    paintings = training_files(cfg.style_data, cfg.exclude)
    samples = colour_samples(cfg, paintings, Dist())  # from the cache the run wrote
    bank = load_mapped(next((tmp_path / "cache").glob("styles_*.safetensors")))
    # The samples are of the bank's views: each view's sampled mean is its measured mean.
    sampled_mean = samples.float().div(255).mean(2)
    assert samples.shape == (len(paintings) * TINY["views"], 3, 4096)
    assert torch.allclose(sampled_mean, bank["colour_mean"], atol=0.03)
    assert not torch.allclose(sampled_mean, bank["colour_mean"].roll(1, 0), atol=0.03)


def test_tone_error_counts_halos_not_the_painting_s_brightness():
    from stylekit.training.arbitrary import tone_error

    y, x = torch.meshgrid(torch.arange(48.0), torch.arange(48.0), indexing="ij")
    subject = ((x - 24).abs() < 8) & ((y - 24).abs() < 8)
    photo = torch.where(subject, 0.2, 0.6).expand(1, 3, 48, 48).contiguous()
    # The painting's own brightness and contrast (a darker, flatter copy): no error.
    assert tone_error(0.5 * photo + 0.1, photo).item() < 1e-5
    # A bright band two to six pixels outside the subject: a halo, counted.
    ring = (((x - 24).abs() < 14) & ((y - 24).abs() < 14)) & ~(
        ((x - 24).abs() < 10) & ((y - 24).abs() < 10))
    halo = photo + 0.3 * ring
    assert tone_error(halo, photo).item() > 0.2
    # Strokes finer than the window hardly move it (a one-pixel checker of the same size).
    checker = photo + 0.3 * ((x + y) % 2 - 0.5)
    assert tone_error(checker.clamp(0, 1), photo).item() < 0.3 * tone_error(halo, photo).item()


def test_tone_weight_adds_the_tone_term(data, tmp_path):
    records = _train(data, tmp_path, steps=3, tone_weight=2.0)
    losses = records[-1].losses
    assert losses["tone"] > 0
    total = sum(losses[k] for k in ("content", "style", "tv", "palette", "colours", "tone"))
    assert losses["total"] == pytest.approx(total, rel=1e-5)
    assert _train(data, tmp_path / "off", steps=3)[-1].losses["tone"] == 0.0
