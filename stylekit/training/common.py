"""What every trainer needs: photo crops, distributed set-up, checkpoints, exports, samples.

Training runs unchanged on one process or under ``torchrun`` (DistributedDataParallel with
``gloo`` on CPU and ``nccl`` on GPU): each process draws its own crops, gradients are averaged,
and rank 0 alone writes checkpoints, samples and the progress bar.
"""

from __future__ import annotations

import json
import os
import random
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import torch.distributed as dist
from PIL import Image

from ..errors import ConfigError, ImageError, StylekitError
from ..fileio import atomic_write
from ..images import load_image, resize_long_side, save_image, to_pil, to_tensor

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff"}


def list_images(folder: str | Path) -> list[Path]:
    """All image files below ``folder``, sorted; an error if there are none."""
    root = Path(folder)
    if not root.is_dir():
        raise ConfigError(f"image folder {root} does not exist; pass a folder of photos")
    files = sorted(p for p in root.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES)
    if not files:
        raise ConfigError(f"no images (.jpg, .png, ...) found under {root}")
    return files


def list_image_sources(sources: list[str] | tuple[str, ...]) -> list[Path]:
    """The images of several folders and single image files, in the order given."""
    files: list[Path] = []
    for source in sources:
        path = Path(source)
        if path.is_file() and path.suffix.lower() in IMAGE_SUFFIXES:
            files.append(path)
        else:
            files += list_images(path)
    return files


class RandomCrops:
    """An endless stream of random square crops from a folder of photos.

    Each photo is resized so its shorter side is a random size in ``short_side`` (default
    ``[crop, 1.5 * crop]``; the scale sets how large things look in a crop), then cropped at a
    random place to ``crop x crop`` and flipped left-right half the time. Files that cannot be
    read are skipped with a warning. Draws come from ``generator`` so a run can be reproduced
    and resumed.
    """

    def __init__(self, files: list[Path], crop: int, generator: torch.Generator,
                 short_side: tuple[int, int] | None = None) -> None:
        self.files = files
        self.crop = crop
        low, high = short_side or (crop, round(1.5 * crop))
        if not crop <= low <= high:
            raise ConfigError(f"crops of {crop} px need a short side range from at least "
                              f"{crop} px upwards, got {low}..{high}")
        self.short_side = (low, high)
        self.generator = generator
        self.skipped: set[Path] = set()

    def _uniform(self) -> float:
        return float(torch.rand((), generator=self.generator))

    def sample(self) -> torch.Tensor:
        """One crop ``(3, crop, crop)`` in [0, 1]."""
        for _ in range(100):
            index = int(torch.randint(len(self.files), (), generator=self.generator))
            path = self.files[index]
            try:
                image = load_image(path, min_side=16)
            except ImageError as exc:
                if path not in self.skipped:
                    warnings.warn(f"skipping unreadable training image: {exc}", stacklevel=2)
                    self.skipped.add(path)
                continue
            low, high = self.short_side
            short = low + (high - low) * self._uniform()
            scale = short / min(image.size)
            size = (max(self.crop, round(image.width * scale)),
                    max(self.crop, round(image.height * scale)))
            image = image.resize(size, Image.Resampling.BILINEAR, reducing_gap=2.0)
            left = int((size[0] - self.crop) * self._uniform())
            top = int((size[1] - self.crop) * self._uniform())
            tensor = to_tensor(image.crop((left, top, left + self.crop, top + self.crop)))[0]
            if self._uniform() < 0.5:
                tensor = tensor.flip(-1)
            return tensor
        raise StylekitError("could not read any training image after 100 tries")

    def batch(self, size: int) -> torch.Tensor:
        return torch.stack([self.sample() for _ in range(size)])


# --- distributed -----------------------------------------------------------------------------


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
    if place.world > 1:
        dist.barrier()


def shutdown(place: Dist) -> None:
    if place.world > 1 and dist.is_initialized():
        dist.destroy_process_group()


def seed_everything(seed: int, place: Dist) -> torch.Generator:
    """Seed torch and Python for this rank; returns the data generator of this rank."""
    torch.manual_seed(seed)
    random.seed(seed)
    return torch.Generator().manual_seed(seed * 1000 + place.rank)


# --- files -----------------------------------------------------------------------------------


def save_checkpoint(path: Path, state: dict[str, Any]) -> None:
    """Write a resumable checkpoint (tensors and plain values only) atomically."""
    atomic_write(path, lambda tmp: torch.save(state, tmp))


def load_checkpoint(path: Path) -> dict[str, Any]:
    """Read a checkpoint with ``weights_only=True``: no arbitrary object is unpickled."""
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # a damaged file raises one of several types
        raise StylekitError(
            f"checkpoint {path} cannot be read ({type(exc).__name__}: {exc}); delete it to "
            "start afresh"
        ) from None
    if not isinstance(state, dict) or "step" not in state:
        raise StylekitError(f"{path} is not a stylekit training checkpoint")
    return state


def export_safetensors(
    state_dict: dict[str, torch.Tensor], path: Path, metadata: dict[str, str], half: bool = True
) -> None:
    """Save weights as safetensors (fp16 by default, to halve the file) atomically."""
    from safetensors.torch import save_file

    tensors = {k: (v.detach().half() if half and v.is_floating_point() else v.detach()).cpu()
               .contiguous() for k, v in state_dict.items()}
    atomic_write(path, lambda tmp: save_file(tensors, tmp, metadata=metadata))


def write_text(path: Path, text: str) -> None:
    atomic_write(path, lambda tmp: Path(tmp).write_text(text))


def portable(value: Any) -> Any:
    """``value`` with every absolute path in it (in strings, lists and dicts) cut to its last
    two parts: ``/home/me/data/photos/coco128`` -> ``photos/coco128``. Training records are
    committed next to the weights; they must name the data, not a machine's folders."""
    if isinstance(value, dict):
        return {k: portable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [portable(v) for v in value]
    if isinstance(value, str) and os.path.isabs(value):
        return "/".join(Path(value).parts[-2:])
    return value


def write_json(path: Path, data: dict[str, Any]) -> None:
    """Write a training record; absolute paths in it are cut (see :func:`portable`)."""
    write_text(path, json.dumps(portable(data), indent=2) + "\n")


def save_grid(rows: list[torch.Tensor], path: Path) -> None:
    """Save image rows ``[(N, 3, H, W), ...]`` (same N, H, W) as one picture."""
    from torchvision.utils import make_grid

    images = torch.cat([r.detach().float().clamp(0, 1).cpu() for r in rows])
    grid = make_grid(images, nrow=rows[0].shape[0], padding=2, pad_value=1.0)
    save_image(to_pil(grid), path)


def style_tensor(path: str | Path, size: int) -> torch.Tensor:
    """A style image as ``(1, 3, h, w)`` with its long side resized to ``size``."""
    return to_tensor(resize_long_side(load_image(path, what="style image"), size))


def fixed_samples(files: list[Path], count: int, size: int) -> torch.Tensor:
    """Centre crops of ``count`` photos spread over the list, to watch training progress."""
    crops: list[torch.Tensor] = []
    for path in files[:: max(1, len(files) // count)] + files:
        if len(crops) == count:
            break
        try:
            image = load_image(path, min_side=16)
        except ImageError:
            continue  # RandomCrops warns about it
        scale = size / min(image.size)
        image = image.resize((max(size, round(image.width * scale)),
                              max(size, round(image.height * scale))), Image.Resampling.LANCZOS)
        left, top = (image.width - size) // 2, (image.height - size) // 2
        crops.append(to_tensor(image.crop((left, top, left + size, top + size)))[0])
    if not crops:
        raise StylekitError("none of the training images can be read")
    return torch.stack(crops)


def out_of_time(max_minutes: float | None, seconds: float) -> bool:
    """Whether a run that has taken ``seconds`` of wall time in all (over every session of a
    resumed run) has used its budget: a time limit is per run, not per session."""
    return max_minutes is not None and seconds >= 60 * max_minutes
