"""``stylekit video IN --method fast [method options] [video options] -o OUT.mp4``.

The video options come from :class:`~.runner.VideoConfig`, the method's from its config, as
for ``stylekit stylize``; a tqdm bar shows frames per second.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ..options import add_config_options, check_output, sequence_options_as_strings
from ..registry import list_stylizers

#: The method when ``--method`` is not given: the fastest.
DEFAULT_METHOD = "fast"
#: Arguments the command handles itself (everything else is a config field).
_OWN = {"command", "input", "method", "style", "output", "quiet"}


def add_video_parser(sub: Any) -> argparse.ArgumentParser:
    """Add the ``video`` sub-command to the ``stylekit`` sub-parsers ``sub``; returns it."""
    from .runner import VideoConfig

    video = sub.add_parser(
        "video",
        help="stylize a video, frames tied together along the optical flow",
        description="Stylize the video IN (any file FFmpeg reads) into an H.264 MP4/MOV/MKV, "
        "keeping its frame rate and audio. Needs the video extra: pip install "
        "\"stylekit[video]\". Method options follow the video options: `stylekit video "
        "--method adain --help` shows adain's.",
    )
    video.add_argument("input", help="input video file, or an example clip as example:NAME "
                       "(see `stylekit list`)")
    video.add_argument("--method", default=DEFAULT_METHOD, choices=list_stylizers(),
                       help=f"method (default: {DEFAULT_METHOD})")
    video.add_argument("--style", action="append", default=[],
                       help="style image (path or example:NAME); repeat to blend several. "
                       "fast takes a shipped painting as its built-in style")
    video.add_argument("-o", "--output", help="output video (default: IN-METHOD.mp4)")
    video.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    add_config_options(video, VideoConfig, "video options")
    return video


def run_video(args: argparse.Namespace) -> int:
    """Run the parsed ``stylekit video`` command; errors propagate to the CLI's handler."""
    from tqdm import tqdm

    from .. import examples
    from ..registry import get_stylizer_class
    from .examples import clip_argument
    from .runner import VideoConfig, VideoProgress, split_params, stylize_video

    params = {k: v for k, v in vars(args).items() if k not in _OWN}
    video_params, method_params = split_params(params)
    sequence_options_as_strings(get_stylizer_class(args.method).config_class, method_params)
    styles = list(args.style)  # example:NAME is read by the library
    for style in styles:
        examples.resolve_image_argument(style)  # an unknown name fails before any work
    example = args.input.startswith(examples.PREFIX)
    stem = args.input[len(examples.PREFIX):] if example else Path(args.input).stem
    output = Path(args.output or f"{stem}-{args.method}.mp4")
    check_output(output)  # before any work
    source = Path(clip_argument(args.input))  # an example clip is made here if need be
    bar: Any = None

    def progress(record: VideoProgress) -> None:
        nonlocal bar
        if bar is None:
            bar = tqdm(total=record.total, disable=args.quiet, unit="frame", dynamic_ncols=True)
        bar.update(record.frame - bar.n)

    try:
        result = stylize_video(source, output, args.method, styles or None,
                               config=VideoConfig(**video_params), progress=progress,
                               **method_params)
    finally:
        if bar is not None:
            bar.close()
    if not args.quiet:
        error = "" if result.warping_error is None else \
            f", warping error {result.warping_error:.2g}"
        if result.frame_by_frame_warping_error is not None:
            error += f" (frame by frame {result.frame_by_frame_warping_error:.2g})"
        print(f"wrote {result.output} ({result.frames} frames, {result.width}x{result.height} "
              f"at {float(result.fps):.3g} fps, {result.seconds:.1f} s, "
              f"{result.frames / result.seconds:.2f} frames/s{error})")
    return 0
