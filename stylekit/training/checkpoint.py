"""What a run writes: resumable checkpoints, exported weights, training records, sample grids.

Everything is written atomically (a reader sees the old file or the whole new one), and read
back without unpickling arbitrary objects (``torch.load(..., weights_only=True)``).
"""

from __future__ import annotations

import json
import os
import warnings
from pathlib import Path
from typing import Any

import torch

from ..errors import StylekitError
from ..fileio import atomic_write
from ..images import save_image, to_pil
from ..models import ModelKind


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


#: safetensors dtype names and their NumPy types (what the training caches hold).
_MAPPED_DTYPES = {"U8": "uint8", "I64": "int64", "F16": "float16", "F32": "float32",
                  "F64": "float64", "I32": "int32"}


def load_mapped(path: Path | str) -> dict[str, torch.Tensor]:
    """The tensors of a safetensors file, mapped from disk instead of read into memory.

    Two runs on one machine (an A/B) can then share one multi-gigabyte cache in the page
    cache instead of each holding its own copy; the tensors are read-only views.

    Args:
        path: a safetensors file of the dtypes in ``_MAPPED_DTYPES``.

    Returns:
        ``{name: tensor}``, as ``safetensors.torch.load_file`` gives, on the CPU.

    Example:
        >>> import tempfile
        >>> from safetensors.torch import save_file
        >>> file = Path(tempfile.mkdtemp()) / "cache.safetensors"
        >>> save_file({"a": torch.arange(6, dtype=torch.uint8).view(2, 3),
        ...            "b": torch.tensor([0.5, 2.0], dtype=torch.float16)}, str(file))
        >>> mapped = load_mapped(file)
        >>> mapped["a"].tolist(), mapped["b"].tolist()
        ([[0, 1, 2], [3, 4, 5]], [0.5, 2.0])
    """
    import numpy as np

    with open(path, "rb") as handle:
        size = int.from_bytes(handle.read(8), "little")
        header = json.loads(handle.read(size))
    header.pop("__metadata__", None)
    data = np.memmap(path, dtype=np.uint8, mode="r", offset=8 + size)
    tensors = {}
    for name, entry in header.items():
        start, end = entry["data_offsets"]
        array = data[start:end].view(_MAPPED_DTYPES[entry["dtype"]]).reshape(entry["shape"])
        with warnings.catch_warnings():  # read-only by design: nothing writes to a cache
            warnings.simplefilter("ignore", UserWarning)
            tensors[name] = torch.from_numpy(array)
    return tensors


def write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically."""
    atomic_write(path, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))


def portable(value: Any) -> Any:
    """``value`` with every absolute path in it (in strings, lists and dicts) cut to its last
    two parts. Training records are committed next to the weights; they must name the data,
    not a machine's folders.

    Args:
        value: a training record or any part of it (JSON-like data).

    Returns:
        The same structure, tuples as lists, absolute paths cut; nothing else changes.

    Example:
        >>> portable({"data": "/home/me/data/photos/coco128", "out": "runs/a", "steps": [1, 2]})
        {'data': 'photos/coco128', 'out': 'runs/a', 'steps': [1, 2]}
    """
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


def earlier_stages(kind: ModelKind, init_from: str | None) -> list[dict[str, Any]]:
    """The training stages recorded in the ``config.json`` next to the model a run starts
    from, to be kept in the new run's record.

    Args:
        kind: the kind of model (its names and folders).
        init_from: the model the run starts from (a name or a path), or ``None``.

    Returns:
        The recorded stages; none for a new run; one ``note`` for a model without a record
        (e.g. a file downloaded alone).
    """
    if not init_from:
        return []
    config = kind.file(init_from).parent / "config.json"
    if not config.is_file():
        return [{"note": f"started from {init_from}, whose training is not recorded"}]
    return list(json.loads(config.read_text()).get("stages", []))


def totals(stages: list[dict[str, Any]]) -> dict[str, Any]:
    """``steps_done`` and ``wall_seconds`` of all ``stages`` together.

    Example:
        >>> totals([{"steps": 3, "wall_seconds": 1.25}, {"note": "no record"},
        ...         {"steps": 2, "wall_seconds": 2.0}])
        {'steps_done': 5, 'wall_seconds': 3.2}
    """
    return {"steps_done": sum(s.get("steps", 0) for s in stages),
            "wall_seconds": round(sum(s.get("wall_seconds", 0.0) for s in stages), 1)}


def image_grid(rows: list[torch.Tensor], padding: int = 2, fill: float = 1.0) -> torch.Tensor:
    """Image rows ``[(N, C, H, W), ...]`` (same N, C, H, W) as one picture ``(C, H', W')``:
    row i of the grid is ``rows[i]``, every image framed by ``padding`` pixels of ``fill``.

    Args:
        rows: one batch of images per row.
        padding: pixels between images and around the grid.
        fill: the value of those pixels.

    Returns:
        ``(C, len(rows) * (H + padding) + padding, N * (W + padding) + padding)``.

    Example:
        Two rows of two 1x1 grey pictures, one pixel apart:

        >>> grid = image_grid([torch.zeros(2, 1, 1, 1), torch.full((2, 1, 1, 1), 0.5)], 1)
        >>> for line in grid[0].tolist():
        ...     print(line)
        [1.0, 1.0, 1.0, 1.0, 1.0]
        [1.0, 0.0, 1.0, 0.0, 1.0]
        [1.0, 1.0, 1.0, 1.0, 1.0]
        [1.0, 0.5, 1.0, 0.5, 1.0]
        [1.0, 1.0, 1.0, 1.0, 1.0]
    """
    count, channels, height, width = rows[0].shape
    step_y, step_x = height + padding, width + padding
    grid = torch.full((channels, len(rows) * step_y + padding, count * step_x + padding), fill,
                      dtype=rows[0].dtype)
    for y, row in enumerate(rows):
        for x, image in enumerate(row):
            top, left = y * step_y + padding, x * step_x + padding
            grid[:, top:top + height, left:left + width] = image
    return grid


def save_grid(rows: list[torch.Tensor], path: Path) -> None:
    """Save image rows ``[(N, 3, H, W), ...]`` (same N, H, W) as one picture (the training
    sample grids; :func:`image_grid`)."""
    images = [r.detach().float().clamp(0, 1).cpu() for r in rows]
    save_image(to_pil(image_grid(images)), path)
