"""Quality of the one-pass methods: stylekit's own losses on Kodak photos, next to Gatys.

For each painting and each photo (long side ``--size``, 512 px by default), every method's
output is scored with the Gatys objective's terms: the content loss (MSE of ``relu4_2``
features against the photo) and the style loss (Gram MSE summed over ``relu1_1..relu5_1``
against the painting at the same size). Lower is better for both; Gatys optimises exactly
these, so it is the reference the one-pass methods approximate. The photo itself is scored
too: its style loss is what "no style at all" costs.

Gatys is by far the slowest (minutes per photo on a CPU), so it runs on the first
``--gatys-photos`` photos only. Its pictures are cached under ``--out`` (an interrupted run
continues where it stopped) and its scores are recorded in ``bench/results/gatys.json``, which
is committed: a later run (another session, a fresh clone) reuses a recorded score instead of
painting the pair again, and leaves that pair's Gatys picture out of the contact sheet.
(Delete the file when the losses change.) The table gives each method's means over all
photos and, for a like-for-like comparison, over the Gatys photos. Outputs and a contact sheet per
painting (photo | each method) are written to ``--out`` to be looked at.

``--write-cards`` records the figures in the shipped models' ``config.json`` (each fast network
gets its painting's, the AdaIN decoder every painting's) and rewrites their model cards.

Usage: python bench/quality.py [--methods fast adain] [--styles starry_night ...]
       [--photos 24] [--gatys-photos 4] [--size 512] [--write-cards]
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from PIL import Image

import stylekit
from stylekit.hub import REPO_WEIGHTS_DIR
from stylekit.images import load_image, resize_long_side, to_tensor
from stylekit.methods.fast import available_models
from stylekit.methods.gatys import GatysConfig
from stylekit.training.common import write_text

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data"
GATYS_RECORD = ROOT / "bench" / "results" / "gatys.json"


def scorer(style: Path, size: int) -> Callable[[Image.Image, Image.Image], tuple[float, float]]:
    """A function (output, photo) -> (content loss, style loss), unweighted."""
    cfg = GatysConfig(size=size)
    gatys = stylekit.create_stylizer("gatys")
    objective = gatys.perceptual_loss(cfg)  # type: ignore[attr-defined]
    objective.set_style([to_tensor(resize_long_side(load_image(style), size))])

    def score(output: Image.Image, photo: Image.Image) -> tuple[float, float]:
        objective.set_content(to_tensor(photo))
        with torch.no_grad():
            terms = objective(to_tensor(output.resize(photo.size)))
        return (float(terms["content"]) / cfg.content_weight,
                float(terms["style"]) / cfg.style_weight)

    return score


def run(method: str, stylizers: dict[str, stylekit.Stylizer], style: str, painting: Path,
        photo: Image.Image, cache: Path, steps: int) -> tuple[Image.Image, float] | None:
    """One method's output for a photo, with its seconds; None where it does not apply."""
    if method == "fast":
        if style not in available_models():
            return None
        start = time.perf_counter()
        return stylizers[method].stylize(photo, model=style), time.perf_counter() - start
    if method == "gatys" and cache.is_file():
        return Image.open(cache).convert("RGB"), float("nan")
    start = time.perf_counter()
    params: dict[str, Any] = {"steps": steps} if method == "gatys" else {}
    out = stylizers[method].stylize(photo, painting, **params)
    seconds = time.perf_counter() - start
    if method == "gatys":
        out.save(cache)
    return out, seconds


def mean(rows: list[dict[str, Any]], key: str) -> list[float] | None:
    values = [r[key] for r in rows if r.get(key) is not None]
    if not values:
        return None
    return [sum(v[i] for v in values) / len(values) for i in (0, 1)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--methods", nargs="*", default=["fast", "adain"],
                        help="one-pass methods to score next to Gatys (none: Gatys only)")
    parser.add_argument("--styles", nargs="+", default=None,
                        help="paintings by name in --style-dir (default: all there)")
    parser.add_argument("--photo-dir", type=Path, default=SHARED / "eval" / "kodak")
    parser.add_argument("--style-dir", type=Path, default=SHARED / "styles")
    parser.add_argument("--photos", type=int, default=24, help="number of photos")
    parser.add_argument("--gatys-photos", type=int, default=4,
                        help="photos also painted by Gatys (the first ones)")
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--adain-model", default="default",
                        help="AdaIN decoder: a shipped name or a model.safetensors path")
    parser.add_argument("--gatys-steps", type=int, default=GatysConfig().steps)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "quality")
    parser.add_argument("--write-cards", action="store_true",
                        help="record the figures in weights/*/config.json and the model cards")
    args = parser.parse_args()
    if not args.photo_dir.is_dir():
        print(f"no photos at {args.photo_dir} (the shared data is not here)", file=sys.stderr)
        return 2
    photos = sorted(args.photo_dir.glob("*.png"))[: args.photos]
    styles = args.styles or sorted(p.stem for p in args.style_dir.glob("*.jpg"))
    methods = [*args.methods, "gatys"]
    chosen = {"adain": {"model": args.adain_model}}  # the other methods take their defaults
    stylizers = {m: stylekit.create_stylizer(m, size=args.size, **chosen.get(m, {}))
                 for m in methods}
    report: dict[str, Any] = {}
    recorded = json.loads(GATYS_RECORD.read_text()) if GATYS_RECORD.is_file() else {}
    for style in styles:
        painting = args.style_dir / f"{style}.jpg"
        score = scorer(painting, args.size)
        folder = args.out / style
        folder.mkdir(parents=True, exist_ok=True)
        rows: list[dict[str, Any]] = []
        sheet: list[list[Image.Image]] = []
        for index, path in enumerate(photos):
            photo = resize_long_side(load_image(path), args.size)
            row: dict[str, Any] = {"photo": path.stem, "photo_itself": score(photo, photo)}
            pictures = [photo]
            for method in methods:
                if method == "gatys" and index >= args.gatys_photos:
                    continue
                cache = folder / f"{path.stem}_gatys{args.gatys_steps}_{args.size}.png"
                key = f"{style}/{path.stem}/{args.size}px/{args.gatys_steps}steps"
                if method == "gatys" and not cache.is_file() and key in recorded:
                    row["gatys"], row["gatys_seconds"] = recorded[key]["losses"], float("nan")
                    continue
                result = run(method, stylizers, style, painting, photo, cache, args.gatys_steps)
                if result is None:
                    continue
                out, seconds = result
                if method != "gatys":
                    out.save(folder / f"{path.stem}_{method}.png")
                row[method] = score(out, photo)
                row[f"{method}_seconds"] = seconds
                pictures.append(out)
                if method == "gatys" and key not in recorded:
                    recorded[key] = {"losses": row[method],
                                     "seconds": None if math.isnan(seconds) else seconds}
                    # Atomic: an interrupted run must not leave the committed record cut short.
                    write_text(GATYS_RECORD, json.dumps(recorded, indent=1, sort_keys=True))
            rows.append(row)
            if index < args.gatys_photos:
                sheet.append(pictures)
            print(style, json.dumps(row), flush=True)
        subset = rows[: args.gatys_photos]
        report[style] = {
            "size": args.size, "gatys_steps": args.gatys_steps,
            "photos": len(rows), "gatys_photos": len(subset),
            "all": {k: mean(rows, k) for k in [*methods, "photo_itself"]},
            "gatys_subset": {k: mean(subset, k) for k in [*methods, "photo_itself"]},
        }
        if sheet:
            contact_sheet(sheet, folder / "sheet.jpg")
    (args.out / "report.json").write_text(json.dumps(report, indent=1))
    print_table(report, methods, args)
    if args.write_cards:
        write_cards(report, methods)
    return 0


def write_cards(report: dict[str, Any], methods: list[str]) -> None:
    """Put each model's figures in its config.json and rewrite its model card."""
    from stylekit.training.adain import write_model_card as write_adain_card
    from stylekit.training.fast import write_model_card as write_fast_card

    targets: list[tuple[Path, Any, Callable[[Path], None]]] = []
    if "fast" in methods:
        targets += [(REPO_WEIGHTS_DIR / "fast" / style, entry, write_fast_card)
                    for style, entry in report.items()]
    if "adain" in methods:
        targets.append((REPO_WEIGHTS_DIR / "adain" / "default", report, write_adain_card))
    for folder, quality, write in targets:
        config_path = folder / "config.json"
        if not config_path.is_file():
            continue
        config = json.loads(config_path.read_text())
        config["quality"] = quality
        config_path.write_text(json.dumps(config, indent=2) + "\n")
        write(folder)
        print(f"wrote the figures into {folder}/config.json and README.md")


def print_table(report: dict[str, Any], methods: list[str], args: argparse.Namespace) -> None:
    print(f"\nmean content / style loss at {args.size} px; 'all': {args.photos} photos, "
          f"'subset': the first {args.gatys_photos} (also painted by Gatys, "
          f"{args.gatys_steps} steps)")
    header = ["style", *(f"{m} {part}" for m in methods for part in ("all", "subset")),
              "photo itself"]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for style, entry in report.items():
        cells = [style]
        for method in methods:
            for part in ("all", "gatys_subset"):
                value = entry[part].get(method)
                cells.append("-" if value is None else f"{value[0]:.3g} / {value[1]:.3g}")
        itself = entry["all"]["photo_itself"]
        cells.append(f"{itself[0]:.3g} / {itself[1]:.3g}")
        print("| " + " | ".join(cells) + " |")


def contact_sheet(rows: list[list[Image.Image]], path: Path) -> None:
    """One row per photo: the photo, then each method's output."""
    width, height = rows[0][0].size
    columns = max(len(r) for r in rows)
    sheet = Image.new("RGB", (columns * width, len(rows) * height), "white")
    for y, images in enumerate(rows):
        for x, image in enumerate(images):
            sheet.paste(image.resize((width, height)), (x * width, y * height))
    sheet.save(path, quality=85)


if __name__ == "__main__":
    sys.exit(main())
