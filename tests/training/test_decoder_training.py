"""Training reconstruction decoders: tiny real runs, resume, stages, committed records."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from stylekit import ConfigError
from stylekit.nets.reconstruction import RECONSTRUCTION_DECODERS
from stylekit.training.checkpoint import load_checkpoint
from stylekit.training.reconstruction import TrainDecoderConfig, train_decoder

TINY = dict(layer="relu2_1", widths=(8,), crop=32, content_scale=(32, 48), batch=2,
            sample_every=0, checkpoint_every=2, device="cpu")


@pytest.fixture(scope="module")
def photos(tmp_path_factory) -> Path:
    """Six small synthetic photos (smooth gradients plus noise) in a folder ``photos/set``."""
    folder = tmp_path_factory.mktemp("data") / "photos" / "set"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for i in range(6):
        y, x = np.mgrid[0:60, 0:80]
        base = np.stack([x * 3 + i * 20, y * 4, (x + y) * 2], -1) % 256
        noisy = np.clip(base + rng.normal(0, 20, base.shape), 0, 255).astype(np.uint8)
        Image.fromarray(noisy).save(folder / f"photo_{i}.png")
    return folder


def _train(photos: Path, out: Path, **changes) -> list:
    cfg = TrainDecoderConfig(data=(str(photos),), out=str(out), **{**TINY, **changes})
    return list(train_decoder(cfg))


def test_a_tiny_run_learns_to_give_the_photo_back(photos: Path, tmp_path: Path) -> None:
    records = _train(photos, tmp_path, steps=30, lr=3e-3, sample_every=15)
    assert [r.step for r in records] == list(range(1, 31)) and records[-1].done
    first = np.mean([r.losses["pixel"] for r in records[:3]])
    last = np.mean([r.losses["pixel"] for r in records[-3:]])
    assert last < 0.5 * first, (first, last)
    decoder = RECONSTRUCTION_DECODERS.load(str(tmp_path))  # a folder holding model.safetensors
    assert decoder.layer == "relu2_1" and decoder.spec.widths == (8,)
    assert float(decoder.input_scale.min()) > 0  # the channels' mean activations
    config = json.loads((tmp_path / "config.json").read_text())
    assert config["steps_done"] == 30 and config["layer"] == "relu2_1"
    # Data folders are recorded relative to the data root, never as absolute paths.
    assert config["stages"][0]["data"] == [{"folder": "photos/set", "images": 6}]
    assert str(tmp_path.parent) not in (tmp_path / "config.json").read_text()
    card = (tmp_path / "README.md").read_text()
    assert "reconstruction decoder: relu2_1" in card and "photos/set (6)" in card
    assert sorted(p.name for p in (tmp_path / "samples").iterdir()) == [
        "step_000015.png", "step_000030.png"]


def test_resume_and_a_further_stage(photos: Path, tmp_path: Path) -> None:
    _train(photos, tmp_path / "a", steps=4)
    resumed = _train(photos, tmp_path / "a", steps=6, resume=True)
    assert [r.step for r in resumed] == [5, 6]
    assert len(load_checkpoint(tmp_path / "a" / "checkpoint.pt")["history"]) == 6
    _train(photos, tmp_path / "b", steps=3, init_from=str(tmp_path / "a"))
    config = json.loads((tmp_path / "b" / "config.json").read_text())
    assert [s["steps"] for s in config["stages"]] == [6, 3] and config["steps_done"] == 9
    with pytest.raises(ConfigError, match="inverts relu2_1, not relu3_1"):
        _train(photos, tmp_path / "c", steps=1, layer="relu3_1", widths=(8, 8),
               init_from=str(tmp_path / "a"))


def test_a_deeper_decoder_starts_from_the_shallower_one(photos: Path, tmp_path: Path) -> None:
    _train(photos, tmp_path / "relu1_1", steps=2, layer="relu1_1", widths=())
    shallow = RECONSTRUCTION_DECODERS.load(str(tmp_path / "relu1_1"))
    records = _train(photos, tmp_path / "relu2_1", steps=24, head_steps=20, lr=3e-3,
                     widths=(64,), tail_from=str(tmp_path / "relu1_1"))
    deep = RECONSTRUCTION_DECODERS.load(str(tmp_path / "relu2_1"))
    # The head learned to predict relu1_1 features (its loss fell) while the tail stayed
    # the shallower decoder; then the whole decoder trained on the image.
    head = [r.losses["feature"] for r in records[:20]]
    assert np.mean(head[-3:]) < 0.7 * np.mean(head[:3])
    assert all(r.losses["pixel"] == 0 for r in records[:20])
    assert all(r.losses["pixel"] > 0 for r in records[20:])
    last_conv, first_conv = deep.body[-1], shallow.body[-1]
    assert last_conv.weight.shape == first_conv.weight.shape
    config = json.loads((tmp_path / "relu2_1" / "config.json").read_text())
    assert config["stages"][0]["tail_from"] == "relu1_1"
    with pytest.raises(ConfigError, match="needs a relu2_1 decoder"):
        _train(photos, tmp_path / "bad", steps=1, layer="relu3_1", widths=(8, 8),
               tail_from=str(tmp_path / "relu1_1"))


def test_bad_settings(photos: Path, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="2 widths"):
        TrainDecoderConfig(data=(str(photos),), out=str(tmp_path), layer="relu3_1", widths=(8,))
    with pytest.raises(ConfigError, match="content_scale"):
        TrainDecoderConfig(data=(str(photos),), out=str(tmp_path), crop=64,
                           content_scale=(32, 48))
    with pytest.raises(ConfigError, match="training needs 'data'"):
        TrainDecoderConfig(out=str(tmp_path))


def test_records_name_the_data_not_the_machine() -> None:
    from stylekit.training.checkpoint import portable

    record = {"data": "/home/me/shared/data/photos/coco128", "out": "/tmp/runs/a",
              "styles": ["/x/styles/udnie.jpg", "relative/kept"], "steps": 3}
    assert portable(record) == {"data": "photos/coco128", "out": "runs/a",
                                "styles": ["styles/udnie.jpg", "relative/kept"], "steps": 3}


def test_no_committed_record_holds_an_absolute_path() -> None:
    import os

    from stylekit.hub import SHIPPED_WEIGHTS_DIR

    def strings(value):
        if isinstance(value, dict):
            for v in value.values():
                yield from strings(v)
        elif isinstance(value, list):
            for v in value:
                yield from strings(v)
        elif isinstance(value, str):
            yield value

    configs = list(SHIPPED_WEIGHTS_DIR.glob("*/*/config.json"))
    assert configs
    for config in configs:
        absolute = [s for s in strings(json.loads(config.read_text())) if os.path.isabs(s)]
        assert not absolute, (config, absolute[:3])
