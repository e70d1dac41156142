"""Benchmark: stylekit's Gatys method against pastiche, on this machine, in one run.

Both optimise the same objective: pastiche's defaults (content ``relu4_2`` with weight 0.01,
style ``relu1_1..relu5_1`` with Gram MSE weighted 10/C^2 on Gram matrices normalised by H*W,
no total variation), which is stylekit's objective with ``content_weight=0.01``,
``style_weight=10`` (stylekit normalises Gram matrices by C*H*W). Same 256x256 content and style
pixels, same original VGG-19 weights, L-BFGS.

Prints:
* seconds per iteration at 256 px, single scale, both (target: stylekit <= 1.0x pastiche);
* time to quality: pastiche's wall time for 300 steps, and the wall time stylekit's default
  coarse-to-fine schedule needs to reach a loss at or below pastiche's 300-step result, both
  measured by stylekit's loss on the saved 8-bit outputs (target: <= 0.5x).

Usage: python bench/gatys_vs_pastiche.py [--content PHOTO] [--style PAINTING] [--out DIR]
(defaults: a Kodak photo and The Starry Night from ../shared/data, else the example images).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import torch
from PIL import Image, ImageOps

import stylekit
from stylekit.examples import example_path
from stylekit.images import to_tensor
from stylekit.losses import PerceptualLoss

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data"
SIZE = 256
PASTICHE_STEPS = 300
# pastiche's defaults expressed in stylekit's conventions (see the module docstring).
MATCHED = dict(
    content_weight=0.01,
    style_weight=10.0,
    tv_weight=0.0,
    content_layers=("relu4_2",),
    style_layers=("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"),
    optimizer="lbfgs",
    init="content",
    device="cpu",
)


def square(path: Path, out: Path) -> Path:
    """Centre-crop and resize to SIZE x SIZE so both tools see identical pixels."""
    image = ImageOps.fit(Image.open(path).convert("RGB"), (SIZE, SIZE), Image.Resampling.LANCZOS)
    image.save(out)
    return out


def stylekit_loss(objective: PerceptualLoss, image: Image.Image) -> float:
    with torch.no_grad():
        return float(objective(to_tensor(image))["total"])


def pastiche_artist(content: Path, style: Path):
    from pastiche.pastiche import PasticheArtist

    torch.manual_seed(0)
    return PasticheArtist(str(content), [str(style)], device="cpu", size=SIZE)


def pastiche_image(artist) -> Image.Image:
    from pastiche.pastiche import save_image

    with tempfile.TemporaryDirectory() as tmp:
        save_image(artist.pastiche, f"{tmp}/out.png")
        image = Image.open(f"{tmp}/out.png").convert("RGB")
        image.load()
    return image


def seconds_per_step(
    content: Path, style: Path, rounds: int = 2, steps: int = 10
) -> tuple[float, float]:
    """Per-step time of both at SIZE, single scale, measured alternately to share the noise."""
    artist = pastiche_artist(content, style)
    stylizer = stylekit.create_stylizer("gatys", size=SIZE, **MATCHED)
    p_times, s_times = [], []
    for _ in range(rounds):
        for _ in range(2):  # warm-up
            artist.draw()
        t0 = time.perf_counter()
        for _ in range(steps):
            artist.draw()
        p_times.append((time.perf_counter() - t0) / steps)
        records = list(stylizer.iterate(content, style, scales=(SIZE,), steps=steps + 2,
                                        save_every=0))
        s_times.append((records[-1].elapsed - records[1].elapsed) / steps)
    return min(p_times), min(s_times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    shared = SHARED.is_dir()
    parser.add_argument("--content", type=Path, default=SHARED / "eval/kodak/kodim23.png"
                        if shared else example_path("chelsea"))
    parser.add_argument("--style", type=Path, default=SHARED / "styles/starry_night.jpg"
                        if shared else example_path("starry_night"))
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    parser.add_argument("--pastiche-steps", type=int, default=PASTICHE_STEPS)
    args = parser.parse_args()
    for path in (args.content, args.style):
        if not path.is_file():
            print(f"missing input {path}; pass --content/--style", file=sys.stderr)
            return 2
    args.out.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(torch.get_num_threads())
    content = square(args.content, args.out / "content.png")
    style = square(args.style, args.out / "style.png")
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {SIZE}x{SIZE} px")

    stylizer = stylekit.create_stylizer("gatys", size=SIZE, **MATCHED)
    objective = stylizer.perceptual_loss(stylizer.config)  # type: ignore[attr-defined]
    objective.set_content(to_tensor(Image.open(content).convert("RGB")))
    objective.set_style([to_tensor(Image.open(style).convert("RGB"))])
    print(f"loss of the content photo itself: {stylekit_loss(objective, Image.open(content)):.1f}")

    # 1. Seconds per iteration, single scale, same objective.
    p_step, sk_step = seconds_per_step(content, style)
    print(f"seconds per iteration at {SIZE} px (single scale, L-BFGS):")
    print(f"  pastiche {p_step:.3f} s, stylekit {sk_step:.3f} s, ratio {sk_step / p_step:.2f}x "
          "(target <= 1.0x)", flush=True)

    # 2. pastiche, 300 steps, timed from construction (stylekit's clock includes loading too).
    t0 = time.perf_counter()
    artist = pastiche_artist(content, style)
    for _ in range(args.pastiche_steps):
        artist.draw()
    p_wall = time.perf_counter() - t0
    p_image = pastiche_image(artist)
    p_image.save(args.out / "pastiche.png")
    target = stylekit_loss(objective, p_image)
    print(f"\npastiche: {args.pastiche_steps} steps in {p_wall:.1f} s, loss {target:.1f}",
          flush=True)

    # 3. stylekit defaults (coarse to fine), snapshots checked against pastiche's loss. The
    #    time spent measuring snapshots is excluded from the clock.
    reached, overhead, last = None, 0.0, None
    for record in stylizer.iterate(content, style, save_every=5):
        last = record
        if record.image is not None and record.scale == SIZE:
            t_eval = time.perf_counter()
            loss = stylekit_loss(objective, record.image)
            overhead += time.perf_counter() - t_eval
            if loss <= target:
                reached = (record.step, record.elapsed - overhead, loss)
                record.image.save(args.out / "stylekit.png")
                break
    assert last is not None

    print(f"stylekit schedule: {stylizer.config.schedule()}")
    if reached is None:
        print(f"stylekit did NOT reach {target:.1f} within its default {last.total_steps} steps "
              f"({last.elapsed - overhead:.1f} s; last loss {last.losses.get('total', 0):.1f})")
        return 1
    step, seconds, loss = reached
    print(f"stylekit reached {loss:.1f} <= {target:.1f} at step {step} in {seconds:.1f} s")
    print(f"time to quality ratio {seconds / p_wall:.2f}x (target <= 0.5x)")
    print(f"images in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
