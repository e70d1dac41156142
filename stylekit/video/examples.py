"""Example clips for the video lessons: a window moving over an example photo with a known
motion (a pan or a zoom), so anyone can try video style transfer without a clip of their own,
and the true flow is known. Made on first use and kept in the temporary folder. The command
line and :func:`~.runner.stylize_video` take them as ``example:NAME`` (:data:`CLIP_NAMES`)."""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from PIL import Image

from .. import examples
from ..errors import ConfigError, StylekitError
from ..images import load_image

#: The example clips, by name: (example photo, zoom factor per frame, pan in pixels per frame).
EXAMPLE_CLIPS: dict[str, tuple[str, float, tuple[float, float]]] = {
    "slow pan over Chelsea the cat": ("chelsea", 1.0, (1.25, 0.5)),
    "slow zoom into a cup of coffee": ("coffee", 1.012, (0.0, 0.0)),
    "slow pan over The Great Wave": ("great_wave", 1.0, (1.5, 0.0)),
}
#: The example clips' short names, as ``example:NAME`` on the command line.
CLIP_NAMES: dict[str, str] = {
    "chelsea_pan": "slow pan over Chelsea the cat",
    "coffee_zoom": "slow zoom into a cup of coffee",
    "great_wave_pan": "slow pan over The Great Wave",
}
#: The example clips' frame size, frame rate and length: 4 s (long enough to see the flicker
#: come and go), small enough for any CPU. Over 4 s the pans stay inside their photos.
CLIP_SIZE, CLIP_FPS, CLIP_FRAMES = (256, 160), 12, 48


def example_clip_names() -> list[str]:
    """The example clips whose photo is installed here (scikit-image's photos may not be)."""
    names = []
    for name, (photo, _, _) in EXAMPLE_CLIPS.items():
        with contextlib.suppress(StylekitError):
            examples.example_path(photo)
            names.append(name)
    return names


def moving_window(photo: Image.Image, size: tuple[int, int], frames: int, zoom: float,
                  pan: tuple[float, float]) -> Iterator[np.ndarray]:
    """Frames of ``size`` seen through a window over ``photo``: each frame ``zoom`` times
    closer than the one before and moved by ``pan`` pixels, so the motion is known.

    The first window covers 80% of the photo as it fits the frames (room to pan); a larger
    photo is shrunk to it first, with antialiasing, so the clip itself does not shimmer.

    Args:
        photo: the still picture.
        size: ``(width, height)`` of the frames.
        frames: how many.
        zoom: magnification from one frame to the next (1: none).
        pan: ``(dx, dy)`` move of the window per frame, in pixels of the first frame.

    Returns:
        An iterator of RGB uint8 arrays ``(height, width, 3)``.

    Example:
        >>> photo = Image.linear_gradient("L")  # 256x256: row y has the value y
        >>> clip = list(moving_window(photo, (256, 128), 3, 1.0, (0.0, 10.0)))
        >>> clip[0].shape  # 0.8 photo rows a pixel: rows 77 to 179 seen, then 8 rows lower
        (128, 256, 3)
        >>> [int(f.mean()) for f in clip]
        [119, 127, 135]
    """
    width, height = size
    start = 0.8 * min(photo.width / width, photo.height / height)  # photo px per frame px
    photo = photo.convert("RGB")
    if start > 1:
        photo = photo.resize((round(photo.width / start), round(photo.height / start)),
                             Image.Resampling.LANCZOS)
        start = 1.0
    for t in range(frames):
        scale = start / zoom**t
        middle = t - (frames - 1) / 2  # the pan is centred on the photo's middle
        x = photo.width / 2 + pan[0] * start * middle - scale * width / 2
        y = photo.height / 2 + pan[1] * start * middle - scale * height / 2
        frame = photo.transform(size, Image.Transform.AFFINE, (scale, 0, x, 0, scale, y),
                                resample=Image.Resampling.BICUBIC)
        yield np.asarray(frame)


def example_clip_path(name: str) -> Path:
    """The example clip ``name`` (one of :data:`EXAMPLE_CLIPS`) as an MP4 file, written on
    first use (atomically: a reader sees it whole) and then reused.

    Args:
        name: the clip's name, e.g. ``"slow pan over The Great Wave"``.

    Returns:
        The path of the MP4 file (``CLIP_SIZE``, ``CLIP_FPS``, ``CLIP_FRAMES``).

    Example:
        >>> from stylekit.video import probe
        >>> info = probe(example_clip_path("slow pan over The Great Wave"))
        >>> info.width, info.height, info.frames
        (256, 160, 48)
    """
    if name not in EXAMPLE_CLIPS:
        raise ConfigError(f"no example clip {name!r}; choose one of {', '.join(EXAMPLE_CLIPS)}")
    from .io import write_video

    photo, zoom, pan = EXAMPLE_CLIPS[name]
    folder = Path(tempfile.gettempdir()) / "stylekit-clips"
    path = folder / f"{photo}-x{zoom}-{pan[0]}-{pan[1]}-{CLIP_SIZE[0]}-{CLIP_FRAMES}.mp4"
    if not path.is_file():
        folder.mkdir(parents=True, exist_ok=True)
        picture = load_image(examples.example_path(photo))
        write_video(path, moving_window(picture, CLIP_SIZE, CLIP_FRAMES, zoom, pan),
                    fps=CLIP_FPS, crf=20)
    return path


def clip_argument(value: str) -> str:
    """A video argument as a file: ``example:NAME`` (a key of :data:`CLIP_NAMES`) becomes the
    example clip's path, made if need be; anything else stays as it is.

    Args:
        value: what the user gave as the input video.

    Returns:
        A path string, or ``value`` unchanged.

    Example:
        >>> clip_argument("holiday.mp4")
        'holiday.mp4'
        >>> clip_argument("example:great_wave_pan").endswith(".mp4")
        True
    """
    if not value.startswith(examples.PREFIX):
        return value
    name = value[len(examples.PREFIX):]
    if name in EXAMPLE_CLIPS:  # the app's title of a clip is fine too
        return str(example_clip_path(name))
    if name not in CLIP_NAMES:
        photo = (f"; example:{name} is an example image, for stylekit stylize"
                 if name in examples.EXAMPLES else "")
        raise ConfigError(f"no example clip {name!r}{photo}; the example clips are "
                          f"{', '.join('example:' + n for n in CLIP_NAMES)} (stylekit list "
                          "shows them), or give a video file")
    return str(example_clip_path(CLIP_NAMES[name]))
