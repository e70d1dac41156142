"""Training the AdaIN decoder: a tiny real run, the feature cache, resume, init-from."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from stylekit import ConfigError
from stylekit.methods.adain import load_decoder
from stylekit.training.adain import TrainAdaINConfig, train_adain
from stylekit.training.common import load_checkpoint

TINY = dict(widths=(4, 4, 4), crop=64, content_crops=8, style_crops=8, batch=2,
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
    cfg = TrainAdaINConfig(content_data=str(folders[0]), style_data=(str(folders[1]),),
                           out=str(out), **{**TINY, **changes})
    return list(train_adain(cfg))


def test_tiny_run_writes_a_usable_decoder(folders, tmp_path: Path) -> None:
    records = _run(folders, tmp_path, steps=4, sample_every=4)
    assert [r.step for r in records] == [1, 2, 3, 4] and records[-1].done
    assert set(records[0].losses) == {"total", "content", "style"}
    assert load_decoder(str(tmp_path / "model.safetensors")).spec.widths == (4, 4, 4)
    config = json.loads((tmp_path / "config.json").read_text())
    assert config["steps_done"] == 4 and config["widths"] == [4, 4, 4]
    assert len(list((tmp_path / "cache").iterdir())) == 1
    assert (tmp_path / "samples" / "step_000004.png").is_file()


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


def test_bad_settings(folders, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="--style-data"):
        TrainAdaINConfig(content_data=str(folders[0]), out=str(tmp_path))
    with pytest.raises(ConfigError, match="three values"):
        TrainAdaINConfig(content_data="a", style_data=("b",), out="c", widths=(4, 4))


@pytest.mark.slow
def test_torchrun_two_cpu_processes(folders, tmp_path: Path) -> None:
    """The same DistributedDataParallel path as the fast trainer: gloo, two processes."""
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2",
         "--master_port", "29518", "-m", "stylekit", "train", "adain", "--content-data",
         str(folders[0]), "--style-data", str(folders[1]), "--out", str(tmp_path),
         "--steps", "3", "--widths", "4,4,4", "--crop", "64", "--content-crops", "8",
         "--style-crops", "8", "--batch", "1", "--device", "cpu", "-q"],
        capture_output=True, text=True, timeout=300, env=env,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert load_checkpoint(tmp_path / "checkpoint.pt")["step"] == 3
    assert load_decoder(str(tmp_path / "model.safetensors")).spec.widths == (4, 4, 4)
