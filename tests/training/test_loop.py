"""The one training loop, with a trainer of its own: cadence, resume, budget, process group."""

from __future__ import annotations

import json
import os
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from stylekit.training.checkpoint import load_checkpoint, write_json
from stylekit.training.distributed import Dist
from stylekit.training.loop import StepRecord, Trainer, train


@dataclass(frozen=True)
class LineConfig:
    """Fit y = 3x + 1 with one linear unit: a trainer with no images and no VGG."""

    out: str
    steps: int = 6
    checkpoint_every: int = 2
    sample_every: int = 0
    max_minutes: float | None = None
    resume: bool = False
    seed: int = 0
    device: str = "cpu"
    fail_at: int = 0  # raise in this step (0: never)


class LineTrainer(Trainer[LineConfig]):
    history_terms = ("total",)

    def __init__(self, cfg: LineConfig, place: Dist, device: torch.device) -> None:
        super().__init__(cfg, place, device)
        torch.manual_seed(cfg.seed)
        self.net = torch.nn.Linear(1, 1)
        self.optimiser = torch.optim.SGD(self.net.parameters(), lr=0.1)
        self.exported: list[int] = []
        self.samples: list[str] = []

    def start(self, start_step: int, generator: torch.Generator) -> None:
        self.generator = generator

    def loss(self, step: int, model: torch.nn.Module) -> dict[str, torch.Tensor]:
        if step == self.cfg.fail_at:
            raise RuntimeError(f"step {step} fails")
        assert model.training  # the loop trains in training mode
        x = torch.rand(16, 1, generator=self.generator)
        loss = torch.nn.functional.mse_loss(model(x), 3 * x + 1)
        return {"total": loss}

    def save_samples(self, path: Path) -> None:
        assert not self.net.training and not torch.is_grad_enabled()
        self.samples.append(path.name)

    def export(self, record: StepRecord, history: list[list[Any]]) -> None:
        self.exported.append(record.step)
        write_json(self.out / "config.json", {"steps_done": record.step})


def _run(cfg: LineConfig) -> tuple[list[StepRecord], LineTrainer]:
    made: list[LineTrainer] = []

    def make(cfg: LineConfig, place: Dist, device: torch.device) -> LineTrainer:
        made.append(LineTrainer(cfg, place, device))
        return made[-1]

    records = list(train(cfg, make))
    return records, made[0]


def test_cadence_checkpoint_and_export(tmp_path: Path) -> None:
    records, trainer = _run(LineConfig(out=str(tmp_path), steps=5, sample_every=2))
    assert [r.step for r in records] == [1, 2, 3, 4, 5] and records[-1].done
    assert not any(r.done for r in records[:-1])
    assert records[-1].losses["total"] < records[0].losses["total"]  # it learns
    assert trainer.samples == ["step_000002.png", "step_000004.png", "step_000005.png"]
    assert trainer.exported == [5]  # at the end only (export_every 0)
    state = load_checkpoint(tmp_path / "checkpoint.pt")
    # The format every trainer's checkpoints have had (no scheduler: this trainer has none).
    assert list(state) == ["model", "optimizer", "step", "seconds", "history"]
    assert state["step"] == 5 and [h[0] for h in state["history"]] == [1, 2, 3, 4, 5]
    assert len(state["history"][0]) == 3  # step, seconds, total
    assert json.loads((tmp_path / "config.json").read_text()) == {"steps_done": 5}


def test_resume_continues_the_network_and_its_history(tmp_path: Path) -> None:
    whole, _ = _run(LineConfig(out=str(tmp_path / "whole"), steps=6))
    _run(LineConfig(out=str(tmp_path / "split"), steps=3))
    resumed, _ = _run(LineConfig(out=str(tmp_path / "split"), steps=6, resume=True))
    assert [r.step for r in resumed] == [4, 5, 6]
    state = load_checkpoint(tmp_path / "split" / "checkpoint.pt")
    assert len(state["history"]) == 6 and state["seconds"] >= state["history"][2][1]
    # The network continues from the checkpoint, not from scratch (a resumed run draws other
    # batches than an uninterrupted one: its generator is seeded from the step).
    assert resumed[0].losses["total"] < 0.5 * whole[0].losses["total"]


def test_resume_without_a_checkpoint_starts_afresh(tmp_path: Path, caplog) -> None:
    with caplog.at_level("WARNING", logger="stylekit.training.loop"):
        records, _ = _run(LineConfig(out=str(tmp_path), steps=2, resume=True))
    assert [r.step for r in records] == [1, 2]
    assert "no checkpoint at" in caplog.text and "starting a new run" in caplog.text


def test_time_budget_and_export_cadence(tmp_path: Path) -> None:
    class Every2(LineTrainer):
        export_every = 2

    records = list(train(LineConfig(out=str(tmp_path), steps=5), Every2))
    assert records[-1].step == 5
    stopped = list(train(LineConfig(out=str(tmp_path / "b"), steps=100, max_minutes=0.0),
                         LineTrainer))
    assert [r.step for r in stopped] == [1] and stopped[0].done


def _failing_rank(rank: int, port: int, out: str, results) -> None:
    os.environ.update(WORLD_SIZE="2", RANK=str(rank), LOCAL_RANK=str(rank),
                      MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    import torch.distributed as dist

    try:
        list(train(LineConfig(out=out, steps=5, fail_at=3), LineTrainer))
    except RuntimeError as exc:
        # The loop left the process group on its way out: no rank is left holding it.
        results[rank] = (str(exc), dist.is_initialized())


def test_an_error_leaves_the_process_group(tmp_path: Path) -> None:
    import torch.multiprocessing as mp

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with mp.Manager() as manager:
        results = manager.dict()
        mp.spawn(_failing_rank, args=(port, str(tmp_path), results), nprocs=2, join=True)
        assert dict(results) == {0: ("step 3 fails", False), 1: ("step 3 fails", False)}
    assert load_checkpoint(tmp_path / "checkpoint.pt")["step"] == 2  # rank 0's, before
