"""Training data: image lists, endless random crops, fixed sample crops, style images.

Every trainer reads photos the same way: :func:`list_images` finds them, :class:`RandomCrops`
draws reproducible random crops from them (skipping unreadable files with a warning), and
:func:`fixed_samples` picks the crops a run shows its progress on.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import torch
from PIL import Image

from ..errors import ConfigError, ImageError, StylekitError
from ..images import load_image, resize_long_side, to_tensor

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
