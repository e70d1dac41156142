"""Quality of the fast models: stylekit's own losses on Kodak photos, next to Gatys.

For each style and each photo (long side 512 px) the fast network's output and a Gatys result
(stylekit defaults, same size) are scored with the Gatys objective's terms: the content loss
(MSE of ``relu4_2`` features against the photo) and the style loss (Gram MSE summed over
``relu1_1..relu5_1`` against the painting at the same size). Lower is better for both; Gatys
optimises exactly these, so it is the reference the networks approximate. Outputs (and a
contact sheet per style) are written to ``--out`` so they can be looked at; Gatys results
are cached there, so an interrupted run continues where it stopped.

Usage: python bench/fast_quality.py [--styles starry_night ...] [--limit 24] [--gatys-steps 200]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import torch
from PIL import Image

import stylekit
from stylekit.images import load_image, resize_long_side, to_tensor
from stylekit.methods.gatys import GatysConfig

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data"
STYLES = ("starry_night", "great_wave", "the_scream", "composition_vii")


def scorer(gatys: stylekit.Stylizer, style: Path, size: int):  # type: ignore[no-untyped-def]
    """A function image -> (content loss, style loss) for photos at ``size``."""
    cfg = GatysConfig(size=size)
    objective = gatys.perceptual_loss(cfg)  # type: ignore[attr-defined]
    objective.set_style([to_tensor(resize_long_side(load_image(style), size))])

    def score(output: Image.Image, photo: Image.Image) -> tuple[float, float]:
        objective.set_content(to_tensor(photo))
        with torch.no_grad():
            terms = objective(to_tensor(output))
        return (float(terms["content"]) / cfg.content_weight,
                float(terms["style"]) / cfg.style_weight)

    return score


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--styles", nargs="+", default=list(STYLES))
    parser.add_argument("--photos", type=Path, default=SHARED / "eval" / "kodak")
    parser.add_argument("--style-dir", type=Path, default=SHARED / "styles")
    parser.add_argument("--limit", type=int, default=24, help="number of photos")
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--gatys-steps", type=int, default=GatysConfig().steps)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "fast_quality")
    args = parser.parse_args()
    if not args.photos.is_dir():
        print(f"no photos at {args.photos}", file=sys.stderr)
        return 2
    photos = sorted(args.photos.glob("*.png"))[: args.limit]
    gatys = stylekit.create_stylizer("gatys", size=args.size, steps=args.gatys_steps)
    report = {}
    for style in args.styles:
        painting = args.style_dir / f"{style}.jpg"
        fast = stylekit.create_stylizer("fast", model=style)
        score = scorer(gatys, painting, args.size)
        folder = args.out / style
        folder.mkdir(parents=True, exist_ok=True)
        rows, sheet = [], []
        for path in photos:
            photo = resize_long_side(load_image(path), args.size)
            start = time.perf_counter()
            fast_out = fast.stylize(photo)
            fast_seconds = time.perf_counter() - start
            cached = folder / f"{path.stem}_gatys{args.gatys_steps}.png"
            if cached.is_file():
                gatys_out = Image.open(cached).convert("RGB")
            else:
                gatys_out = gatys.stylize(photo, painting)
                gatys_out.save(cached)
            fast_out.save(folder / f"{path.stem}_fast.png")
            rows.append({"photo": path.stem, "fast_seconds": fast_seconds,
                         "fast": score(fast_out, photo), "gatys": score(gatys_out, photo),
                         "photo_itself": score(photo, photo)})
            sheet.append((photo, fast_out, gatys_out))
            print(style, path.stem, rows[-1], flush=True)
        mean = {k: [sum(r[k][i] for r in rows) / len(rows) for i in (0, 1)]
                for k in ("fast", "gatys", "photo_itself")}
        report[style] = {"photos": len(rows), "mean": mean,
                         "fast_seconds": sum(r["fast_seconds"] for r in rows) / len(rows),
                         "rows": rows}
        _contact_sheet(sheet[:6], folder / "sheet.jpg")
    (args.out / "report.json").write_text(json.dumps(report, indent=1))
    print(f"\nmean losses at {args.size} px over {len(photos)} photos (content, style):")
    print("| style | fast content | fast style | Gatys content | Gatys style | photo style |")
    print("|---|---|---|---|---|---|")
    for style, entry in report.items():
        m = entry["mean"]
        print(f"| {style} | {m['fast'][0]:.4g} | {m['fast'][1]:.4g} | {m['gatys'][0]:.4g} | "
              f"{m['gatys'][1]:.4g} | {m['photo_itself'][1]:.4g} |")
    return 0


def _contact_sheet(triples: list[tuple[Image.Image, ...]], path: Path) -> None:
    """Rows of photo | fast | Gatys."""
    width, height = triples[0][0].size
    sheet = Image.new("RGB", (3 * width, len(triples) * height), "white")
    for row, images in enumerate(triples):
        for col, image in enumerate(images):
            sheet.paste(image.resize((width, height)), (col * width, row * height))
    sheet.save(path, quality=85)


if __name__ == "__main__":
    sys.exit(main())
