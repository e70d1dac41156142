"""The ``stylekit`` command line.

    stylekit stylize CONTENT --method gatys --style STYLE [--style STYLE2 --style-weights 0.7 0.3]
                     --size 384 --steps 300 --seed 0 -o OUT.png
    stylekit list

Each method's options are generated from its config dataclass, so defaults and help text are
written once. The output is written atomically: on any error nothing is written at ``-o``, the
exit status is non-zero and the reason is printed on one line.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from PIL import Image

from . import __version__, examples
from .app.launch import add_options as add_app_options
from .app.launch import serve as serve_app
from .base import Progress
from .config import MethodConfig, describe
from .errors import StylekitError
from .hub import SHIPPED_WEIGHTS_DIR, STYLEKIT_HUB_REPO
from .images import load_image, output_format, save_image
from .options import (
    add_config_options,
    check_output,
    option_for,
    sequence_options_as_strings,
)
from .registry import get_stylizer_class, list_stylizers
from .tiling import tile_progress
from .video.command import add_video_parser, run_video


def _base_parser() -> tuple[argparse.ArgumentParser, argparse.ArgumentParser,
                            argparse.ArgumentParser]:
    """The top-level parser and its ``stylize`` and ``video`` sub-parsers."""
    parser = argparse.ArgumentParser(
        prog="stylekit",
        description=f"Neural style transfer: {', '.join(list_stylizers())} behind one "
        "interface.",
    )
    parser.add_argument("--version", action="version", version=f"stylekit {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="list the methods, example images and example clips")
    stylize = sub.add_parser(
        "stylize",
        help="stylize a photo",
        description="Stylize CONTENT. Images are paths or example:NAME (see `stylekit list`). "
        "The options below the general ones are those of the method chosen with --method "
        "(gatys unless given): `stylekit stylize --method fast --help` shows the fast "
        "method's.",
    )
    stylize.add_argument("content", help="content photo (path or example:NAME)")
    stylize.add_argument(
        "--method", default="gatys", choices=list_stylizers(), help="method (default: gatys)"
    )
    stylize.add_argument(
        "--style", action="append", default=[],
        help="style image (path or example:NAME); repeat to blend several. fast takes a "
        "shipped painting (example:starry_night, ...) as its built-in style")
    stylize.add_argument("-o", "--output", help="output image (default: CONTENT-METHOD.png)")
    stylize.add_argument(
        "--save-every", type=int, default=0, metavar="K", help="save every K-th step's image"
    )
    stylize.add_argument("--save-dir", type=Path, help="folder for the intermediate images")
    stylize.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    app = sub.add_parser("app", help="serve the demo app in a browser (needs stylekit[app])",
                         description="Serve the Gradio app (the same as `python app.py`).")
    add_app_options(app)
    publish = sub.add_parser("publish", help="upload weights/ with its model cards to the Hub")
    publish.add_argument("--repo", default=STYLEKIT_HUB_REPO,
                         help=f"Hub model repository (default: {STYLEKIT_HUB_REPO})")
    publish.add_argument("--folder", type=Path, default=SHIPPED_WEIGHTS_DIR,
                         help="folder to upload (default: this repository's weights/)")
    publish.add_argument("--private", action="store_true", help="create the repo as private")
    train = sub.add_parser("train", help="train a network (see `stylekit train fast --help`)")
    trainers = train.add_subparsers(dest="trainer", required=True)
    for name, (config_cls, _) in _trainers().items():
        trainer = trainers.add_parser(name, help=f"train a {name} model",
                                      description=(config_cls.__doc__ or "").strip())
        add_config_options(trainer, config_cls, f"{name} training")
        trainer.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    video = add_video_parser(sub)
    return parser, stylize, video


def _trainers() -> dict[str, tuple[type[MethodConfig], Any]]:
    """Trainer name -> (config class, function yielding step records)."""
    from .training.adain import TrainAdaINConfig, train_adain
    from .training.arbitrary import TrainArbitraryConfig, train_arbitrary
    from .training.fast import TrainFastConfig, train_fast
    from .training.reconstruction import TrainDecoderConfig, train_decoder

    return {"fast": (TrainFastConfig, train_fast), "adain": (TrainAdaINConfig, train_adain),
            "decoder": (TrainDecoderConfig, train_decoder),
            "arbitrary": (TrainArbitraryConfig, train_arbitrary)}


def _build_parser(argv: Sequence[str]) -> argparse.ArgumentParser:
    """The full parser, with the options of the method named by ``--method`` (if any)."""
    parser, stylize, video = _base_parser()
    probe = argparse.ArgumentParser(add_help=False)
    probe.add_argument("--method")
    known, _ = probe.parse_known_args(argv)
    for command, target, default in (("stylize", stylize, "gatys"), ("video", video, "fast")):
        method = known.method or default
        if command in argv and method in list_stylizers():
            stylizer_cls = get_stylizer_class(method)
            others = ", ".join(m for m in list_stylizers() if m != method)
            add_config_options(target, stylizer_cls.config_class,
                                f"{method} parameters (for {others}: add --method NAME "
                                "before --help)")
    return parser


def table(rows: Sequence[Sequence[str]], indent: int = 2, gap: int = 2) -> list[str]:
    """Rows of text as aligned columns, each as wide as its widest entry (the last one free).

    Args:
        rows: the cells, row by row.
        indent: spaces before each row.
        gap: spaces between columns.

    Returns:
        One line per row.

    Example:
        >>> for line in table([("udnie", "style", "Picabia"),
        ...                    ("composition_vii", "style", "Kandinsky")]):
        ...     print(line)
          udnie            style  Picabia
          composition_vii  style  Kandinsky
    """
    columns = max((len(row) for row in rows), default=0)
    widths = [max((len(row[i]) for row in rows if i < len(row)), default=0)
              for i in range(columns - 1)]
    lines = []
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        lines.append(" " * indent + (" " * gap).join([*cells, *row[len(cells):]]).rstrip())
    return lines


def _print_list() -> None:
    lines = ["methods:", *table([(name, get_stylizer_class(name).description)
                                 for name in list_stylizers()])]
    for name in list_stylizers():
        kind = get_stylizer_class(name).model_kind
        if kind is None:
            continue
        lines += ["", f"{kind.what}s (use as --method {name} --model NAME):",
                  *(table([(model, kind.source(model)) for model in kind.names()])
                    or ["  (none yet)"])]
    from .video.examples import CLIP_NAMES

    lines += ["", "example clips (use as stylekit video example:NAME):",
              *table(list(CLIP_NAMES.items()))]
    lines += ["", "example images (use as example:NAME):",
              *table([(e.name, e.kind, f"{e.credit}; {e.license}")
                      for e in examples.EXAMPLES.values()])]
    print("\n".join(lines))


def _stylize(args: argparse.Namespace, params: dict[str, Any]) -> int:
    stylizer_cls = get_stylizer_class(args.method)
    # The library reads example:NAME itself (and says it so in its messages); resolving it
    # here checks the names before any work and gives the output its default name.
    content = args.content
    styles = list(args.style)
    for image in (content, *styles):
        examples.resolve_image_argument(image)
    stem = Path(examples.resolve_image_argument(content)).stem
    output = Path(args.output or f"{stem}-{args.method}.png")
    output_format(output)  # a bad extension or place fails now, not after minutes of work
    check_output(output)
    saves = {s.name: s.default for s in describe(stylizer_cls.config_class)}.get("save_every")
    if args.save_every:
        if saves is None:
            raise StylekitError(f"the {args.method} method paints in one pass, with no steps "
                                "to save; drop --save-every (it is for gatys)")
        if not args.save_dir:
            raise StylekitError("--save-every needs --save-dir DIR to know where to save")
    # Steps whose picture goes to --save-dir: as asked, else the method's default (one-pass
    # methods: each record, e.g. each level of wct).
    save_every = args.save_every or saves or 1
    if saves is not None:  # the picture of every step, so that Ctrl-C can keep the latest
        params["save_every"] = 1
    sequence_options_as_strings(stylizer_cls.config_class, params)
    stylizer = stylizer_cls(**params)  # a missing style is the method's to say, at its start
    if not args.quiet:
        _say_if_enlarged(stylizer.config, content)

    from tqdm import tqdm

    bar = None  # created at the first record, so an early error prints only its reason
    tiles: Any = None
    latest = None  # the last record with a picture: written if the run is interrupted
    step = 0  # the last step done
    interrupted = finished = False

    def on_tile(done: int, total: int) -> None:
        nonlocal tiles
        if tiles is None:
            tiles = tqdm(total=total, disable=args.quiet, unit="tile", desc="tiles",
                         dynamic_ncols=True, leave=False)
        tiles.update(done - tiles.n)
        if done == total:
            tiles.close()
            tiles = None

    try:
        with tile_progress(on_tile):
            for record in stylizer.iterate(content, styles or None):
                if bar is None:
                    # The method's own ETA replaces tqdm's, which assumes steps of equal cost.
                    bar = tqdm(total=record.total_steps, disable=args.quiet, unit="step",
                               dynamic_ncols=True, bar_format="{l_bar}{bar}| {n_fmt}/"
                               "{total_fmt} [{elapsed}{postfix}]")
                step = record.step
                bar.update(step - bar.n)
                bar.set_postfix(_postfix(record))
                if record.image is not None:
                    latest = record
                    if args.save_dir and (record.done or record.step % save_every == 0):
                        save_image(record.image,
                                   args.save_dir / f"{output.stem}_step{record.step:05d}.png")
        finished = True
    except KeyboardInterrupt:
        if latest is None:
            raise
        interrupted = True
    finally:
        for progress in (tiles, bar):
            if progress is not None:
                # A failed run's bar is cleared: its error is then the command's one line.
                progress.leave = progress.leave and (finished or interrupted)
                progress.close()
    if interrupted and latest is not None and latest.image is not None:
        _write(latest.image, output)
        print(f"stylekit: interrupted at step {step} of {latest.total_steps}; wrote "
              f"the picture of step {latest.step} ({latest.image.width}x"
              f"{latest.image.height}) to {output}", file=sys.stderr)
        return 130
    if latest is None or not latest.done or latest.image is None:
        raise StylekitError("the run ended without a result")
    _write(latest.image, output)
    if not args.quiet:
        print(f"wrote {output} ({latest.image.width}x{latest.image.height}, "
              f"{latest.elapsed:.1f} s)")
    return 0


def _postfix(record: Progress) -> dict[str, str]:
    """What the progress bar shows besides the steps: ETA, loss, working size."""
    postfix = {}
    if record.eta is not None:
        postfix["eta"] = f"{record.eta:.0f}s"
    if record.losses:
        postfix["loss"] = f"{record.losses.get('total', 0):.4g}"
    if record.scale:
        postfix["size"] = str(record.scale)
    return postfix


def _write(image: Image.Image, output: Path) -> None:
    """Save the result atomically; a failure names the user's file, not the temporary one."""
    try:
        save_image(image, output)
    except OSError as exc:
        raise StylekitError(f"cannot write {output}: {exc.strerror or exc}; nothing was "
                            "written") from None


def _say_if_enlarged(config: MethodConfig, content: str) -> None:
    """A note on stderr when the output's long side (``size``, or Gatys' last scale) is
    larger than the photo's: enlarging adds time and memory, not detail."""
    scales = getattr(config, "scales", None)
    long_side = max(scales) if scales else getattr(config, "size", None)
    photo = load_image(content, what="content image")
    if long_side is None or long_side <= max(photo.size):
        return
    factor = long_side / max(photo.size)
    option = "the last of --scales" if scales else "--size"
    print(f"stylekit: note: the output's long side, {long_side} px ({option}), enlarges the "
          f"{photo.width}x{photo.height} photo {factor:.3g} times: more time and memory, no "
          "more detail", file=sys.stderr)


def _train(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    config_cls, run = _trainers()[args.trainer]
    params = {k: v for k, v in vars(args).items() if k not in {"command", "trainer", "quiet"}}
    sequence_options_as_strings(config_cls, params)
    cfg = config_cls(**params)
    log = logging.getLogger("stylekit.training")
    if not args.quiet and not log.handlers:  # what a trainer says besides its steps
        log.addHandler(logging.StreamHandler())
        log.setLevel(logging.INFO)
    bar = None
    for record in run(cfg):
        if bar is None:
            bar = tqdm(total=record.total_steps, initial=record.step - 1, disable=args.quiet,
                       unit="step", dynamic_ncols=True)
        bar.update(record.step - bar.n)
        bar.set_postfix({k: f"{v:.4g}" for k, v in record.losses.items() if v})
        if record.done:
            bar.close()
            out = getattr(cfg, "out", "")
            print(f"wrote {out}/model.safetensors after {record.step} steps "
                  f"({record.seconds / 60:.1f} min of training)")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = _build_parser(argv)
    args = parser.parse_args(argv)
    try:
        if args.command == "list":
            _print_list()
            return 0
        if args.command == "train":
            return _train(args)
        if args.command == "app":
            serve_app(args)
            return 0
        if args.command == "publish":
            from .publish import publish

            commit = publish(args.repo, args.folder, private=args.private)
            print(f"uploaded {args.folder} to {args.repo} at commit {commit}.\n"
                  f"Pin it: set STYLEKIT_HUB_REVISION = {commit!r} in stylekit/hub.py, so "
                  "installs that lack a file download exactly this version.")
            return 0
        if args.command == "video":
            return run_video(args)
        own = {"command", "content", "method", "style", "output", "save_every", "save_dir", "quiet"}
        params = {k: v for k, v in vars(args).items() if k not in own}
        return _stylize(args, params)
    except StylekitError as exc:  # its parameters said as options: --model NAME, not model=NAME
        return _fail(exc.render(option_for))
    except KeyboardInterrupt:
        print("stylekit: interrupted; nothing was written", file=sys.stderr)
        return 130
    except (MemoryError, torch.OutOfMemoryError):
        return _fail("out of memory; use a smaller --size (or --max-tile-pixels for the "
                     "one-pass methods); nothing was written")
    except FloatingPointError as exc:
        return _fail(f"the computation diverged ({exc}); lower --lr or the style weight; "
                     "nothing was written")
    except OSError as exc:  # a failed read or write: full disk, no permission, ...
        # A failed rename names the temporary file first and the real one second.
        where = exc.filename2 or exc.filename
        return _fail(f"cannot write {where}: {exc.strerror or exc}; nothing was written"
                     if where else f"{exc}; nothing was written")
    except Exception as exc:  # the promise is one line, whatever happened
        return _fail(f"unexpected {type(exc).__name__}: {exc} (please report this); "
                     "nothing was written")


def _fail(message: str) -> int:
    print(f"stylekit: error: {message}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
