"""Distributed training: one process or several under ``torchrun``, with the same code.

Under ``torchrun`` (``WORLD_SIZE`` > 1) every process joins a process group (``gloo`` on CPU,
``nccl`` on GPU), draws its own crops and averages gradients through DistributedDataParallel;
rank 0 alone writes checkpoints, samples and exports. Alone, every function here is a no-op
or returns the single-process answer.
"""

from __future__ import annotations

import os
import random
from dataclasses import dataclass

import torch
import torch.distributed as dist


@dataclass(frozen=True)
class Dist:
    """This process's place in a (possibly single-process) training run."""

    rank: int = 0
    world: int = 1
    local_rank: int = 0

    @property
    def main(self) -> bool:
        return self.rank == 0


def describe_hardware(device: torch.device, place: Dist) -> str:
    """What a run trained on, for its model card: "a 2-core CPU (no GPU), 1 process of 2
    threads" or "2 x NVIDIA A100 (CUDA)"."""
    if device.type == "cuda":
        return f"{place.world} x {torch.cuda.get_device_name(device)} (CUDA)"
    threads = torch.get_num_threads()
    return (f"a {os.cpu_count()}-core CPU (no GPU), {place.world} "
            f"process{'es' if place.world > 1 else ''} of {threads} "
            f"thread{'s' if threads > 1 else ''}")


def init_distributed(device: torch.device) -> Dist:
    """Join the process group when started by ``torchrun`` (``WORLD_SIZE`` > 1)."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return Dist()
    if not dist.is_initialized():
        dist.init_process_group(backend="nccl" if device.type == "cuda" else "gloo")
    return Dist(dist.get_rank(), dist.get_world_size(), int(os.environ.get("LOCAL_RANK", "0")))


def training_device(device: torch.device, place: Dist) -> torch.device:
    """The device of this process: ``cuda:LOCAL_RANK`` under torchrun with GPUs."""
    if device.type == "cuda" and place.world > 1 and device.index is None:
        device = torch.device("cuda", place.local_rank)
        torch.cuda.set_device(device)
    return device


def any_rank(flag: bool, place: Dist) -> bool:
    """Whether ``flag`` is true on any process of the run (all of them get the same answer).

    Decisions that end a run, such as running out of time, must be taken together: a rank
    that stops alone leaves the others waiting forever at the next collective operation.
    """
    if place.world <= 1:
        return flag
    tensor = torch.tensor([1 if flag else 0], dtype=torch.int32)
    if dist.get_backend() == "nccl":
        tensor = tensor.cuda()
    dist.all_reduce(tensor, op=dist.ReduceOp.MAX)
    return bool(tensor.item())


def barrier(place: Dist) -> None:
    """Wait until every process of the run gets here (nothing to wait for alone)."""
    if place.world > 1:
        dist.barrier()


def shutdown(place: Dist) -> None:
    """Leave the process group, if this run joined one."""
    if place.world > 1 and dist.is_initialized():
        dist.destroy_process_group()


def data_parallel(net: torch.nn.Module, device: torch.device, place: Dist) -> torch.nn.Module:
    """``net`` wrapped in DistributedDataParallel when the run has several processes (its
    gradients are then averaged over them in ``backward``); ``net`` itself when alone."""
    if place.world <= 1:
        return net
    return torch.nn.parallel.DistributedDataParallel(
        net, device_ids=[device.index] if device.type == "cuda" else None)


def seed_everything(seed: int, place: Dist) -> torch.Generator:
    """Seed torch and Python for this rank; returns the data generator of this rank."""
    torch.manual_seed(seed)
    random.seed(seed)
    return torch.Generator().manual_seed(seed * 1000 + place.rank)


