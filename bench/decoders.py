"""How well the reconstruction decoders give a photo back, on the Kodak photos.

For each decoder (a level's shipped decoder, or any model.safetensors / training folder): every
photo at ``--size`` is encoded at the decoder's layer and decoded; the result is scored with
the content distance of ``bench/metrics.py`` (relu4_2, relative; 0 is perfect) and its pixel
MSE. ``--cascade`` also scores the whole chain the ``wct`` method runs at alpha 0 (each
level decoded and encoded again), which is what a photo goes through with no style at all.

``--write-cards`` records the figures in each shipped decoder's ``config.json`` and model card.

Usage: python bench/decoders.py [relu3_1 runs/relu3_1 ...] [--photos 24] [--size 512]
       [--cascade] [--write-cards]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import torch
from metrics import Metric

import stylekit
from stylekit.images import load_image, resize_long_side, to_pil, to_tensor
from stylekit.nets.adain import pad_to_multiple
from stylekit.nets.reconstruction import (
    LEVELS,
    RECONSTRUCTION_DECODERS,
    SHIPPED_DECODERS,
    ReconstructionDecoder,
)
from stylekit.vgg import VGG19Features

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data"


def summary(values: list[float]) -> dict[str, float]:
    return {"mean": statistics.fmean(values), "min": min(values), "max": max(values)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("decoders", nargs="*", default=sorted(SHIPPED_DECODERS),
                        help="shipped layer names or model paths (default: every shipped one)")
    parser.add_argument("--photo-dir", type=Path, default=SHARED / "eval" / "kodak")
    parser.add_argument("--photos", type=int, default=24)
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--cascade", action="store_true",
                        help="also score the wct method at alpha 0 (all levels chained)")
    parser.add_argument("--decoder-set", default="default",
                        help="decoders of the cascade: 'default' or a folder of <layer>/")
    parser.add_argument("--write-cards", action="store_true")
    args = parser.parse_args()
    if not args.photo_dir.is_dir():
        print(f"no photos at {args.photo_dir} (the shared data is not here)", file=sys.stderr)
        return 2
    photos = [resize_long_side(load_image(p), args.size)
              for p in sorted(args.photo_dir.glob("*.png"))[: args.photos]]
    metric = Metric()
    encoder = VGG19Features(LEVELS)
    results: dict[str, dict[str, Any]] = {}
    for name in args.decoders:
        decoder: ReconstructionDecoder = RECONSTRUCTION_DECODERS.load(name)  # type: ignore[assignment]
        contents, pixels, seconds = [], [], 0.0
        for photo in photos:
            x = to_tensor(photo)
            start = time.perf_counter()
            with torch.inference_mode():
                padded = pad_to_multiple(x, decoder.stride)
                y = decoder(encoder.encode(padded, [decoder.layer])[decoder.layer])
                y = y[..., : x.shape[-2], : x.shape[-1]].clamp(0, 1)
            seconds += time.perf_counter() - start
            contents.append(metric.score(to_pil(y), photo, photo)[0])
            pixels.append(float((y - x).square().mean()))
        results[name] = {"layer": decoder.layer, "photos": len(photos), "size": args.size,
                         "content": summary(contents), "pixel_mse": summary(pixels),
                         "seconds_per_photo": seconds / len(photos)}
        print(f"{name:>30} ({decoder.layer}): content {statistics.fmean(contents):.3f} "
              f"({min(contents):.3f}-{max(contents):.3f}), pixel MSE "
              f"{statistics.fmean(pixels):.4f}, {seconds / len(photos):.2f} s/photo", flush=True)
    if args.cascade:
        wct = stylekit.create_stylizer("wct", alpha=0.0, size=args.size,
                                       decoders=args.decoder_set)
        contents = [metric.score(wct.stylize(photo, photo), photo, photo)[0] for photo in photos]
        print(f"{'wct cascade, alpha 0':>30}: content {statistics.fmean(contents):.3f} "
              f"({min(contents):.3f}-{max(contents):.3f})")
    if args.write_cards:
        write_cards(results)
    return 0


def write_cards(results: dict[str, dict[str, Any]]) -> None:
    """Put each shipped decoder's figures in its config.json and rewrite its card."""
    from stylekit.training.cards import write_card

    for name, result in results.items():
        if name not in LEVELS or not RECONSTRUCTION_DECODERS.is_local(name):
            continue
        folder = RECONSTRUCTION_DECODERS.file(name).parent
        config = json.loads((folder / "config.json").read_text())
        config["quality"] = {
            "photos": result["photos"], "size": result["size"],
            "content_mean": result["content"]["mean"], "content_min": result["content"]["min"],
            "content_max": result["content"]["max"],
            "pixel_mse_mean": result["pixel_mse"]["mean"]}
        (folder / "config.json").write_text(json.dumps(config, indent=2) + "\n")
        write_card(folder)
        print(f"wrote the figures into {folder}")


if __name__ == "__main__":
    sys.exit(main())
