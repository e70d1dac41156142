"""The one training loop: every trainer plugs its network, data and loss into :func:`train`.

What differs between the fast networks, the AdaIN decoder and the reconstruction decoders
lives in a :class:`Trainer`: the network and its optimiser, the data, the loss of one step,
the sample grid and the export. What is the same lives here: joining the process group under
``torchrun``, resuming from ``OUT/checkpoint.pt``, seeding, DistributedDataParallel, the
optimiser step, the time budget (decided by all ranks together) and the cadence of
checkpoints, samples and exports, which rank 0 alone writes.

A checkpoint holds ``model``, ``optimizer``, ``scheduler`` (if the trainer has one), ``step``,
``seconds`` (wall time over every session of the run) and ``history`` (one row per step:
step, seconds, then the losses the trainer names in :attr:`Trainer.history_terms`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar

import torch

from ..device import resolve_device
from .checkpoint import load_checkpoint, save_checkpoint
from .distributed import (
    Dist,
    any_rank,
    barrier,
    data_parallel,
    init_distributed,
    seed_everything,
    shutdown,
    training_device,
)

logger = logging.getLogger(__name__)


class LoopConfig(Protocol):
    """The settings every trainer's config has and the loop reads."""

    @property
    def out(self) -> str: ...
    @property
    def steps(self) -> int: ...
    @property
    def checkpoint_every(self) -> int: ...
    @property
    def sample_every(self) -> int: ...
    @property
    def max_minutes(self) -> float | None: ...
    @property
    def resume(self) -> bool: ...
    @property
    def seed(self) -> int: ...
    @property
    def device(self) -> str: ...


C = TypeVar("C", bound=LoopConfig)


@dataclass
class StepRecord:
    """What one training step reports (on rank 0)."""

    step: int
    total_steps: int
    losses: dict[str, float]
    seconds: float  # wall time of the whole run so far, over all sessions
    done: bool = False


class Trainer(Generic[C]):
    """What one kind of training brings to the loop; subclasses set :attr:`net` and
    :attr:`optimiser` (and :attr:`scheduler`, if any) in ``__init__`` and define
    :meth:`loss` and :meth:`export`.

    The loop calls, in order: ``__init__`` (build; a resumed state is loaded after it),
    :meth:`start` (the data, now that the first step is known), then per step :meth:`loss`,
    and on rank 0 :meth:`save_samples` and :meth:`export` at their cadence.
    """

    #: The losses a history row records after the step and the seconds, in this order
    #: (``None`` for a loss a step did not compute).
    history_terms: tuple[str, ...] = ("total",)
    net: torch.nn.Module
    optimiser: torch.optim.Optimizer
    scheduler: torch.optim.lr_scheduler.LRScheduler | None = None
    #: Set-up time that counts as training time (e.g. encoding a cache), in seconds.
    setup_seconds: float = 0.0
    #: Steps between exports of the model so far (0: only at the end).
    export_every: int = 0
    #: Largest gradient norm a step may apply (``None``: unclipped); rarer steps with huge
    #: gradients are scaled down instead of throwing the network off.
    clip_grad_norm: float | None = None

    def __init__(self, cfg: C, place: Dist, device: torch.device) -> None:
        self.cfg, self.place, self.device = cfg, place, device
        self.out = Path(cfg.out)

    def start(self, start_step: int, generator: torch.Generator) -> None:
        """Set up what depends on where the run starts: ``generator`` is this rank's, seeded
        from the seed and ``start_step`` (0 for a new run)."""

    def loss(self, step: int, model: torch.nn.Module) -> dict[str, torch.Tensor]:
        """The loss terms of ``step`` (counted from 1), ``total`` among them; ``model`` is
        :attr:`net`, wrapped for DistributedDataParallel when the run has several ranks."""
        raise NotImplementedError

    def save_samples(self, path: Path) -> None:
        """Save a picture of the progress so far to ``path`` (rank 0)."""

    def export(self, record: StepRecord, history: list[list[Any]]) -> None:
        """Write the model so far to :attr:`out` after the step of ``record`` (rank 0):
        ``model.safetensors``, ``config.json`` and the model card rendered from it."""
        raise NotImplementedError

    def checkpoint(self, step: int, seconds: float, history: list[list[Any]]) -> dict[str, Any]:
        """The resumable state after ``step``."""
        state: dict[str, Any] = {"model": self.net.state_dict(),
                                 "optimizer": self.optimiser.state_dict()}
        if self.scheduler is not None:
            state["scheduler"] = self.scheduler.state_dict()
        return {**state, "step": step, "seconds": seconds, "history": history}

    def restore(self, state: dict[str, Any]) -> None:
        """Load a state written by :meth:`checkpoint`."""
        self.net.load_state_dict(state["model"])
        self.optimiser.load_state_dict(state["optimizer"])
        if self.scheduler is not None:
            self.scheduler.load_state_dict(state["scheduler"])


def out_of_time(max_minutes: float | None, seconds: float) -> bool:
    """Whether a run has used its time budget.

    Args:
        max_minutes: the budget, for the whole run; ``None``: no budget.
        seconds: wall time the run has taken in all, over every session of a resumed run (a
            time limit is per run, not per session).

    Returns:
        True once ``seconds`` reaches the budget.

    Example:
        >>> out_of_time(115, 60 * 60 + 55 * 60)  # 60 min in one session, 55 in the next
        True
        >>> out_of_time(None, 1e9)
        False
    """
    return max_minutes is not None and seconds >= 60 * max_minutes


def train(cfg: C, make: Callable[[C, Dist, torch.device], Trainer[C]]) -> Iterator[StepRecord]:
    """Run (or, with ``cfg.resume``, continue) a training; yields a record per step on rank 0.

    Args:
        cfg: the trainer's settings (see :class:`LoopConfig` for what the loop reads).
        make: builds the trainer for this process: ``make(cfg, place, device)``.

    Returns:
        An iterator of :class:`StepRecord`; the last has ``done`` set, and by then
        ``cfg.out`` holds the checkpoint, the model, its ``config.json`` and model card.
        Other ranks yield nothing.
    """
    place = init_distributed(resolve_device(cfg.device))
    finished = False
    try:
        device = training_device(resolve_device(cfg.device), place)
        trainer = make(cfg, place, device)
        start_step, seconds_before, history = _resume(trainer)
        seconds_before += trainer.setup_seconds
        trainer.start(start_step, seed_everything(cfg.seed + start_step, place))
        model = data_parallel(trainer.net, device, place)
        trainer.net.train()
        yield from _steps(trainer, model, start_step, seconds_before, history)
        finished = True
    finally:
        # Together at the end; after an error, no barrier: the other ranks may be waiting in
        # a collective operation of their own, and torchrun stops them when this one exits.
        if finished:
            barrier(place)
        shutdown(place)


def _resume(trainer: Trainer[Any]) -> tuple[int, float, list[list[Any]]]:
    """Load ``OUT/checkpoint.pt`` if the run resumes; returns its step, seconds and history."""
    path = trainer.out / "checkpoint.pt"
    if not trainer.cfg.resume:
        return 0, 0.0, []
    if not path.is_file():
        if trainer.place.main:
            logger.warning("no checkpoint at %s; starting a new run", path)
        return 0, 0.0, []
    state = load_checkpoint(path)
    trainer.restore(state)
    return int(state["step"]), float(state["seconds"]), list(state.get("history", []))


def _steps(trainer: Trainer[Any], model: torch.nn.Module, start_step: int,
           seconds_before: float, history: list[list[Any]]) -> Iterator[StepRecord]:
    cfg, place, out = trainer.cfg, trainer.place, trainer.out
    started = time.perf_counter()
    for step in range(start_step + 1, cfg.steps + 1):
        terms = trainer.loss(step, model)
        trainer.optimiser.zero_grad(set_to_none=True)
        terms["total"].backward()
        if trainer.clip_grad_norm is not None:
            torch.nn.utils.clip_grad_norm_(trainer.net.parameters(), trainer.clip_grad_norm)
        trainer.optimiser.step()
        if trainer.scheduler is not None:
            trainer.scheduler.step()

        seconds = seconds_before + time.perf_counter() - started
        losses = {k: float(v.detach()) for k, v in terms.items()}
        history.append([step, round(seconds, 1),
                        *(losses.get(k) for k in trainer.history_terms)])
        # Every rank must stop at the same step (its own clock could say otherwise).
        stop = any_rank(out_of_time(cfg.max_minutes, seconds), place)
        last = step == cfg.steps or stop
        if place.main:
            if step % cfg.checkpoint_every == 0 or last:
                save_checkpoint(out / "checkpoint.pt", trainer.checkpoint(step, seconds, history))
            if cfg.sample_every and (step % cfg.sample_every == 0 or last):
                with torch.no_grad():
                    trainer.net.eval()
                    trainer.save_samples(out / "samples" / f"step_{step:06d}.png")
                    trainer.net.train()
            record = StepRecord(step, cfg.steps, losses, seconds, done=last)
            if last or (trainer.export_every and step % trainer.export_every == 0):
                trainer.export(record, history)
            yield record
        if stop:
            break
