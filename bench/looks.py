"""What separates the looks: simple measures of the pictures of a panel (bench/panel.py).

For each case of a panel folder, and each side (the candidate ``a``, the reference ``b``):

- saturation: mean HSV saturation, as a multiple of the painting's;
- contrast: standard deviation of the luminance, as a multiple of the painting's;
- palette distance: how far the picture's colour mean and covariance are from the
  painting's (Frobenius distance of the covariances plus distance of the means);
- outlines: correlation between the picture's and the photo's edge strength (Sobel
  magnitude of the luminance, both blurred over 2 px): how much of the photo's outlines the
  picture keeps;
- stroke size: the median length, in pixels, over which the luminance's autocorrelation
  falls to half (larger: broader strokes and shapes).

Usage: python bench/looks.py bench/out/PANEL [bench/out/PANEL ...]
"""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path

import torch
import torch.nn.functional as F
from PIL import Image

from stylekit.color import luminance, palette
from stylekit.images import to_tensor


def _load(path: str, size: tuple[int, int] | None = None) -> torch.Tensor:
    image = Image.open(path).convert("RGB")
    if size is not None and image.size != size:
        image = image.resize(size, Image.Resampling.LANCZOS)
    return to_tensor(image)


def saturation(x: torch.Tensor) -> float:
    high, low = x.amax(1), x.amin(1)
    return float(((high - low) / high.clamp_min(1e-6)).mean())


def contrast(x: torch.Tensor) -> float:
    return float(luminance(x).std())


def palette_distance(x: torch.Tensor, painting: torch.Tensor) -> float:
    (m1, c1), (m2, c2) = palette([x]), palette([painting])
    return float((m1 - m2).norm() + (c1 - c2).norm())


def edges(x: torch.Tensor) -> torch.Tensor:
    grey = luminance(x)
    kx = torch.tensor([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]]).view(1, 1, 3, 3)
    gx = F.conv2d(grey, kx, padding=1)
    gy = F.conv2d(grey, kx.transpose(-1, -2), padding=1)
    return F.avg_pool2d((gx.square() + gy.square()).sqrt(), 5, 1, 2)


def outline_kept(x: torch.Tensor, photo: torch.Tensor) -> float:
    a, b = edges(x).flatten(), edges(photo).flatten()
    return float(torch.corrcoef(torch.stack([a, b]))[0, 1])


def stroke_size(x: torch.Tensor) -> float:
    grey = luminance(x)[0, 0]
    grey = grey - grey.mean()
    spectrum = torch.fft.rfft2(grey)
    corr = torch.fft.irfft2(spectrum.abs().square(), s=grey.shape)
    corr = corr / corr[0, 0]
    lengths = []
    for line in (corr[0, : grey.shape[1] // 2], corr[: grey.shape[0] // 2, 0]):
        below = (line < 0.5).nonzero()
        lengths.append(float(below[0, 0]) if len(below) else float(len(line)))
    return statistics.fmean(lengths)


def measure(folder: Path) -> dict[str, dict[str, float]]:
    cases = json.loads((folder / "pairs.json").read_text())
    rows: dict[str, list[dict[str, float]]] = {"a": [], "b": [], "photo": []}
    for case in cases:
        photo = _load(case["photo"])
        size = (photo.shape[-1], photo.shape[-2])
        painting = _load(case["painting"])
        sat_p, con_p = saturation(painting), contrast(painting)
        for side in ("a", "b", "photo"):
            x = photo if side == "photo" else _load(case[side], size)
            rows[side].append({
                "saturation": saturation(x) / sat_p, "contrast": contrast(x) / con_p,
                "palette distance": palette_distance(x, painting),
                "outlines kept": outline_kept(x, photo), "stroke size": stroke_size(x)})
    return {side: {k: statistics.fmean(r[k] for r in values) for k in values[0]}
            for side, values in rows.items()}


def main() -> int:
    for name in sys.argv[1:]:
        folder = Path(name)
        labels = {}
        guard = folder / "guard.json"
        if guard.is_file():
            first = json.loads(guard.read_text())[0]
            labels = {"a": first["a"]["label"], "b": first["b"]["label"]}
        print(f"{folder.name}:")
        for side, values in measure(folder).items():
            text = ", ".join(f"{k} {v:.2f}" for k, v in values.items())
            print(f"  {labels.get(side, side):24s} {text}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
