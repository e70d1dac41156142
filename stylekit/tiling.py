"""Run an image-to-image network on a large image in overlapping tiles, blended seamlessly.

Memory then depends on the tile size, not on the image: a 4096x4096 photo is stylized as a
few dozen 1-megapixel tiles. Neighbouring tiles overlap; in the overlap each pixel is a
weighted mean of the tiles covering it, the weights ramping linearly from the tile's edge, so
a tile's border (where its convolutions saw padding) fades out instead of leaving a seam.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import torch

#: What :func:`run_tiled` reports to after each tile, in the context that set it.
_TILE_PROGRESS: ContextVar[Callable[[int, int], None] | None] = ContextVar(
    "tile_progress", default=None)


@contextmanager
def tile_progress(report: Callable[[int, int], None]) -> Iterator[None]:
    """Within the block, every tiled run calls ``report(tiles done, tiles in all)`` after each
    tile (a large picture can take minutes: the command line shows a bar over its tiles).
    Other threads and contexts are not affected.

    Args:
        report: called with two ints after each tile.

    Returns:
        A context manager; nothing is bound by ``as``.

    Example:
        >>> seen = []
        >>> with tile_progress(lambda done, total: seen.append(f"{done}/{total}")):
        ...     _ = run_tiled(lambda tile: tile, torch.ones(1, 1, 100, 60), max_pixels=2500)
        >>> seen
        ['1/8', '2/8', '3/8', '4/8', '5/8', '6/8', '7/8', '8/8']
    """
    token = _TILE_PROGRESS.set(report)
    try:
        yield
    finally:
        _TILE_PROGRESS.reset(token)


def _starts(length: int, tile: int, overlap: int) -> list[int]:
    """Tile origins along one axis so tiles of ``tile`` pixels cover ``length``."""
    if length <= tile:
        return [0]
    stride = tile - overlap
    count = math.ceil((length - overlap) / stride)
    # Spread the tiles evenly so every overlap is at least ``overlap`` pixels.
    return [round(i * (length - tile) / (count - 1)) for i in range(count)]


def _ramp(size: int, overlap: int, device: torch.device) -> torch.Tensor:
    """Weights ``(size,)``: rising over ``overlap`` pixels at both ends, 1 in the middle."""
    i = torch.arange(size, device=device, dtype=torch.float32)
    edge = torch.minimum(i + 0.5, size - i - 0.5) / max(overlap, 1)
    return edge.clamp(max=1.0)


def tile_size(max_pixels: int, multiple: int = 4) -> int:
    """The side of the largest square tile with at most ``max_pixels`` pixels, a multiple of
    ``multiple`` (at least ``multiple``).

    Args:
        max_pixels: the largest tile area.
        multiple: what the side is rounded down to (the networks' size step).

    Returns:
        The side in pixels.

    Example:
        >>> tile_size(1_000_000), tile_size(100, multiple=4)
        (1000, 8)
    """
    return max(multiple, int(math.isqrt(max_pixels)) // multiple * multiple)


def run_tiled(
    fn: Callable[[torch.Tensor], torch.Tensor],
    image: torch.Tensor,
    max_pixels: int,
    overlap: int = 64,
) -> torch.Tensor:
    """``fn(image)`` computed in tiles of at most ``max_pixels`` pixels when the image is larger.

    Args:
        fn: maps ``(1, C, h, w)`` to ``(1, C', h, w)`` (same spatial size).
        image: ``(1, C, H, W)``.
        max_pixels: largest tile area; an image up to this size is processed in one call.
        overlap: pixels shared by neighbouring tiles.

    Returns:
        ``(1, C', H, W)``, in the overlaps a weighted mean of the tiles covering each pixel.

    Example:
        A 100x100 image in tiles of at most 2500 pixels: each tile is doubled, and so is the
        whole, without seams.

        >>> run_tiled(lambda tile: 2 * tile, torch.ones(1, 1, 100, 100), max_pixels=2500).unique()
        tensor([2.])
    """
    _, _, height, width = image.shape
    if height * width <= max_pixels:
        return fn(image)
    side = tile_size(max_pixels)
    tile_h, tile_w = min(side, height), min(side, width)
    # For a long strip, spend the budget the short side leaves on longer tiles.
    if tile_h == height:
        tile_w = min(width, max(tile_w, max_pixels // height // 4 * 4))
    elif tile_w == width:
        tile_h = min(height, max(tile_h, max_pixels // width // 4 * 4))
    overlap = min(overlap, tile_h // 2, tile_w // 2)
    output: torch.Tensor | None = None
    total = torch.zeros(1, 1, height, width, device=image.device)
    origins = [(top, left) for top in _starts(height, tile_h, overlap)
               for left in _starts(width, tile_w, overlap)]
    report = _TILE_PROGRESS.get()
    for done, (top, left) in enumerate(origins, start=1):
        patch = image[..., top:top + tile_h, left:left + tile_w]
        result = fn(patch)
        if output is None:
            output = torch.zeros(1, result.shape[1], height, width, device=image.device,
                                 dtype=result.dtype)
        weight = (_ramp(patch.shape[-2], overlap, image.device)[:, None]
                  * _ramp(patch.shape[-1], overlap, image.device)[None, :])
        output[..., top:top + tile_h, left:left + tile_w] += result * weight
        total[..., top:top + tile_h, left:left + tile_w] += weight
        if report is not None:
            report(done, len(origins))
    assert output is not None
    return output / total


def reference_crops(
    image: torch.Tensor, max_pixels: int, grid: int = 2, multiple: int = 4
) -> torch.Tensor:
    """``grid x grid`` full-resolution crops spread evenly over ``image`` ``(1, C, H, W)``,
    ``max_pixels`` pixels in all, as a batch ``(grid * grid, C, s, s)``. Statistics pooled over
    them stand for the whole image at its own resolution (a downscaled copy would not).

    Args:
        image: ``(1, C, H, W)``.
        max_pixels: the pixels of all crops together.
        grid: crops per side.
        multiple: what the crop side is rounded down to.

    Returns:
        ``(grid * grid, C, s, s)``, from the corners inwards, evenly spaced.

    Example:
        >>> reference_crops(torch.rand(1, 3, 100, 60), max_pixels=1600).shape
        torch.Size([4, 3, 20, 20])
    """
    height, width = image.shape[-2:]
    side = min(tile_size(max_pixels // (grid * grid), multiple),
               height // multiple * multiple, width // multiple * multiple)
    tops = [round(i * (height - side) / (grid - 1)) for i in range(grid)]
    lefts = [round(i * (width - side) / (grid - 1)) for i in range(grid)]
    return torch.cat([image[..., t:t + side, left:left + side] for t in tops for left in lefts])
