"""Benchmark: stylekit's Gatys method against pastiche, on this machine, in one run.

Both optimise the same objective: pastiche's defaults (content ``relu4_2`` with weight 0.01,
style ``relu1_1..relu5_1`` with Gram MSE weighted 10/C^2 on Gram matrices normalised by H*W,
no total variation), which is stylekit's objective with ``content_weight=0.01``,
``style_weight=10`` (stylekit normalises Gram matrices by C*H*W). Same square content and style
pixels (``--size``, default 256), same original VGG-19 weights, L-BFGS.

Prints, for each photo/painting pair (``--pairs``):
* seconds per iteration at the size, single scale, both (target: stylekit <= 1.0x pastiche);
* pastiche's wall time for 300 steps and the style distance of its result (bench/metrics.py:
  relative Gram distance on relu1_1..relu5_1, 0 is a perfect match);
* the wall time stylekit's Gatys, started from a one-pass picture (``--start``: the default
  run's start, the arbitrary network's picture, unless told), needs to reach that style
  distance, and its content distance then (target: <= 0.2x pastiche's
  time): once with stylekit's default weights, once with pastiche's (its 0.01 content weight
  buys the low style distance). The clock includes loading the networks, as pastiche's
  includes building its artist; the time spent scoring snapshots is left out.
* with ``--from-content``, also the old race: stylekit's default schedule from the photo until
  its loss reaches pastiche's 300-step loss (target: <= 0.5x).

Usage: nice python bench/gatys_vs_pastiche.py [--pairs N] [--size PX] [--out DIR]
[--content PHOTO --style PAINTING] (defaults: Kodak photos and paintings from ../shared/data,
else the example images).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import torch
from metrics import Metric
from PIL import Image, ImageOps

import stylekit
from stylekit.examples import example_path
from stylekit.images import to_tensor
from stylekit.losses import PerceptualLoss
from stylekit.methods.gatys import ONE_PASS_STARTS, GatysConfig

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data"
SIZE = 256
PASTICHE_STEPS = 300
#: Photo/painting pairs of ../shared/data, in the order ``--pairs`` takes them.
PAIRS = (("eval/kodak/kodim23.png", "styles/starry_night.jpg"),
         ("eval/kodak/kodim01.png", "styles/the_scream.jpg"),
         ("eval/kodak/kodim05.png", "styles/great_wave.jpg"),
         ("eval/kodak/kodim15.png", "styles/composition_vii.jpg"))
#: stylekit's run from a one-pass picture: steps it may take, and how often it is scored.
START_STEPS = 200
SCORE_EVERY = 2
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


def square(path: Path, out: Path, size: int) -> Path:
    """Centre-crop and resize to size x size so both tools see identical pixels."""
    image = ImageOps.fit(Image.open(path).convert("RGB"), (size, size), Image.Resampling.LANCZOS)
    image.save(out)
    return out


def stylekit_loss(objective: PerceptualLoss, image: Image.Image) -> float:
    with torch.no_grad():
        return float(objective(to_tensor(image))["total"])


def pastiche_artist(content: Path, style: Path, size: int):
    from pastiche.pastiche import PasticheArtist

    torch.manual_seed(0)
    return PasticheArtist(str(content), [str(style)], device="cpu", size=size)


def pastiche_image(artist) -> Image.Image:
    from pastiche.pastiche import save_image

    with tempfile.TemporaryDirectory() as tmp:
        save_image(artist.pastiche, f"{tmp}/out.png")
        image = Image.open(f"{tmp}/out.png").convert("RGB")
        image.load()
    return image


def seconds_per_step(
    content: Path, style: Path, size: int, rounds: int = 2, steps: int = 10
) -> tuple[float, float]:
    """Per-step time of both at ``size``, single scale, measured alternately to share the
    noise of a busy machine."""
    artist = pastiche_artist(content, style, size)
    stylizer = stylekit.create_stylizer("gatys", size=size, **MATCHED)
    p_times, s_times = [], []
    for _ in range(rounds):
        for _ in range(2):  # warm-up
            artist.draw()
        t0 = time.perf_counter()
        for _ in range(steps):
            artist.draw()
        p_times.append((time.perf_counter() - t0) / steps)
        records = list(stylizer.iterate(content, style, scales=(size,), steps=steps + 2,
                                        save_every=0))
        s_times.append((records[-1].elapsed - records[1].elapsed) / steps)
    return min(p_times), min(s_times)


def run_pastiche(content: Path, style: Path, size: int, steps: int) -> tuple[Image.Image, float]:
    """pastiche's picture after ``steps`` steps and its wall time from construction."""
    t0 = time.perf_counter()
    artist = pastiche_artist(content, style, size)
    for _ in range(steps):
        artist.draw()
    return pastiche_image(artist), time.perf_counter() - t0


def race_from_start(content: Path, style: Path, size: int, target_style: float,
                    metric: Metric, start: str, **settings: object
                    ) -> tuple[bool, int, float, float, float]:
    """stylekit's Gatys from the ``start`` method's picture (``settings`` over the defaults; a
    fresh stylizer, so that loading counts) until its style distance is at most
    ``target_style``.

    Returns ``(reached, step, seconds, style distance, content distance)``: the first snapshot
    that gets there (step 0 is the start picture itself), else the closest one.
    """
    photo, painting = Image.open(content).convert("RGB"), Image.open(style).convert("RGB")
    stylizer = stylekit.create_stylizer("gatys", **{"size": size, "init": start,
                                                    "device": "cpu", "steps": START_STEPS,
                                                    **settings})
    overhead = 0.0
    best = (False, 0, 0.0, float("inf"), 0.0)
    for record in stylizer.iterate(content, style, save_every=SCORE_EVERY):
        if record.image is None:
            continue
        t_eval = time.perf_counter()
        content_distance, style_distance = metric.score(record.image, photo, painting)
        overhead += time.perf_counter() - t_eval
        seen = (style_distance <= target_style, record.step, record.elapsed - overhead,
                style_distance, content_distance)
        if seen[0]:
            return seen
        if style_distance < best[3]:
            best = seen
    return best


def race_from_content(content: Path, style: Path, size: int, p_image: Image.Image,
                      out: Path) -> tuple[int, float, float, float] | None:
    """The old race: stylekit's default schedule (matched objective, from the photo) until its
    loss is at most that of pastiche's picture. Returns ``(step, seconds, loss, target)``."""
    stylizer = stylekit.create_stylizer("gatys", size=size, **MATCHED)
    objective = stylizer.perceptual_loss(stylizer.config)  # type: ignore[attr-defined]
    objective.set_content(to_tensor(Image.open(content).convert("RGB")))
    objective.set_style([to_tensor(Image.open(style).convert("RGB"))])
    target = stylekit_loss(objective, p_image)
    overhead = 0.0
    for record in stylizer.iterate(content, style, save_every=5):
        if record.image is not None and record.scale == size:
            t_eval = time.perf_counter()
            loss = stylekit_loss(objective, record.image)
            overhead += time.perf_counter() - t_eval
            if loss <= target:
                record.image.save(out / "stylekit_from_content.png")
                return record.step, record.elapsed - overhead, loss, target
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--content", type=Path, help="one photo (instead of --pairs)")
    parser.add_argument("--style", type=Path, help="one painting (with --content)")
    parser.add_argument("--data", type=Path, default=SHARED,
                        help="the shared data folder the pairs come from")
    parser.add_argument("--pairs", type=int, default=1,
                        help=f"pairs of ../shared/data to run (at most {len(PAIRS)})")
    parser.add_argument("--size", type=int, default=SIZE, help="side of the square pictures")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    parser.add_argument("--pastiche-steps", type=int, default=PASTICHE_STEPS)
    parser.add_argument("--threads", type=int, default=0,
                        help="torch threads for both (default: torch's choice); on a shared, "
                        "busy machine 1 avoids threads waiting for each other")
    parser.add_argument("--start", default=GatysConfig().init, choices=ONE_PASS_STARTS,
                        help="the one-pass picture the race starts from (default: the "
                        "default run's)")
    parser.add_argument("--scales", help="the race's schedule from the start, e.g. "
                        "64,128,256 (default: the output size alone)")
    parser.add_argument("--scale-steps", help="steps at each of --scales, e.g. 100,100,50")
    parser.add_argument("--from-content", action="store_true",
                        help="also race stylekit's default schedule from the photo, by loss")
    args = parser.parse_args()
    if args.content or args.style:
        pairs = [(args.content or example_path("chelsea"), args.style
                  or example_path("starry_night"))]
    elif args.data.is_dir():
        pairs = [(args.data / c, args.data / s) for c, s in PAIRS[: max(1, args.pairs)]]
    else:
        pairs = [(example_path("chelsea"), example_path("starry_night"))]
    for content, style in pairs:
        for path in (content, style):
            if not Path(path).is_file():
                print(f"missing input {path}; pass --content/--style", file=sys.stderr)
                return 2
    args.out.mkdir(parents=True, exist_ok=True)
    if args.threads:
        torch.set_num_threads(args.threads)
    size = args.size
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {size}x{size} px, "
          f"{len(pairs)} pair(s)", flush=True)
    metric = Metric("cpu")
    ratios, failures = [], 0
    for index, (content_file, style_file) in enumerate(pairs):
        name = f"{Path(content_file).stem}+{Path(style_file).stem}"
        content = square(Path(content_file), args.out / f"content{index}.png", size)
        style = square(Path(style_file), args.out / f"style{index}.png", size)
        photo, painting = Image.open(content).convert("RGB"), Image.open(style).convert("RGB")
        print(f"\n== {name}", flush=True)

        # 1. Seconds per iteration, single scale, same objective.
        p_step, sk_step = seconds_per_step(content, style, size)
        print(f"seconds per iteration at {size} px (single scale, L-BFGS): pastiche "
              f"{p_step:.3f} s, stylekit {sk_step:.3f} s, ratio {sk_step / p_step:.2f}x "
              "(target <= 1.0x)", flush=True)

        # 2. pastiche, 300 steps, timed from construction.
        p_image, p_wall = run_pastiche(content, style, size, args.pastiche_steps)
        p_image.save(args.out / f"pastiche{index}.png")
        p_content, p_style = metric.score(p_image, photo, painting)
        a_content, a_style = metric.score(photo, photo, painting)
        print(f"pastiche: {args.pastiche_steps} steps in {p_wall:.1f} s, style distance "
              f"{p_style:.3f}, content distance {p_content:.3f} (the photo itself: style "
              f"{a_style:.3f})", flush=True)

        # 3. stylekit from a one-pass picture, to pastiche's style distance: with its default
        #    weights, and with pastiche's objective.
        weights = {"content_weight": MATCHED["content_weight"],
                   "style_weight": MATCHED["style_weight"]}
        schedule = {name: value for name, value in (("scales", args.scales),
                                                    ("scale_steps", args.scale_steps)) if value}
        for label, settings in (("defaults", {}), ("pastiche's weights", weights)):
            reached, step, seconds, s_style, s_content = race_from_start(
                content, style, size, p_style, metric, args.start, **settings, **schedule)
            if not reached:
                failures += 1
                print(f"stylekit from {args.start} ({label}) did NOT reach style distance "
                      f"{p_style:.3f} within {START_STEPS} steps: closest {s_style:.3f} at step "
                      f"{step}, {seconds:.1f} s (content distance {s_content:.3f})", flush=True)
                continue
            ratios.append(seconds / p_wall)
            print(f"stylekit from {args.start} ({label}): style distance {s_style:.3f} <= "
                  f"{p_style:.3f} at step {step} in {seconds:.1f} s (content distance "
                  f"{s_content:.3f}); time ratio {seconds / p_wall:.2f}x (target <= 0.2x)",
                  flush=True)

        if args.from_content:
            old = race_from_content(content, style, size, p_image, args.out)
            if old is None:
                failures += 1
                print("stylekit's default schedule from the photo did NOT reach pastiche's loss")
            else:
                step, seconds, loss, target = old
                print(f"stylekit from the photo (default schedule): loss {loss:.1f} <= "
                      f"{target:.1f} at step {step} in {seconds:.1f} s; time ratio "
                      f"{seconds / p_wall:.2f}x (target <= 0.5x)", flush=True)
    if ratios:
        print(f"\ntime to pastiche's style distance from {args.start}: ratios "
              f"{', '.join(f'{r:.2f}x' for r in ratios)} (worst {max(ratios):.2f}x)")
    print(f"images in {args.out}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
