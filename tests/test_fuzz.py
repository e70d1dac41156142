"""Fuzzing the inputs: every odd file either works or is refused with a clear message.

A corpus of awkward uploads (random bytes, truncated PNG and JPEG, a decompression bomb, 1x1,
1x5000, 16-bit grey, CMYK, palette with transparency, EXIF-rotated, animated GIF) and byte
mutations of valid files go through the library's loader, the CLI and the running app. Each
gets a result or an :class:`ImageError` (one line from the CLI, a message in the page); nothing
else escapes, nothing is half written, and the app keeps serving.
"""

from __future__ import annotations

import io
import random
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from stylekit import ImageError, load_image
from stylekit.cli import main

#: name -> (file name, whether stylekit can use it)
USABLE = {"grey16": True, "cmyk": True, "palette": True, "exif_rotated": True,
          "animated_gif": True, "random_bytes": False, "truncated_png": False,
          "truncated_jpeg": False, "bomb": False, "one_pixel": False, "strip_1x5000": False}


def _photo(size: tuple[int, int] = (96, 64)) -> Image.Image:
    y, x = np.mgrid[0:size[1], 0:size[0]]
    return Image.fromarray(np.stack([x * 2 % 256, y * 3 % 256, (x + y) % 256], -1)
                           .astype(np.uint8))


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("corpus")
    files: dict[str, Path] = {}

    def put(name: str, suffix: str, data: bytes) -> None:
        files[name] = folder / f"{name}{suffix}"
        files[name].write_bytes(data)

    def encoded(image: Image.Image, fmt: str, **args) -> bytes:
        buffer = io.BytesIO()
        image.save(buffer, fmt, **args)
        return buffer.getvalue()

    rng = random.Random(0)
    put("random_bytes", ".png", bytes(rng.randrange(256) for _ in range(4096)))
    png, jpeg = encoded(_photo(), "PNG"), encoded(_photo(), "JPEG")
    put("truncated_png", ".png", png[: len(png) // 2])
    put("truncated_jpeg", ".jpg", jpeg[: len(jpeg) // 2])
    put("bomb", ".png", encoded(Image.new("1", (12000, 12000)), "PNG"))  # 144 MP, a few KB
    put("one_pixel", ".png", encoded(Image.new("RGB", (1, 1), "red"), "PNG"))
    put("strip_1x5000", ".png", encoded(Image.new("RGB", (1, 5000), "blue"), "PNG"))
    ramp = np.tile(np.linspace(0, 65535, 96, dtype=np.uint16), (64, 1))
    put("grey16", ".png", encoded(Image.fromarray(ramp), "PNG"))
    put("cmyk", ".jpg", encoded(_photo().convert("CMYK"), "JPEG"))
    palette = _photo().convert("P", palette=Image.Palette.ADAPTIVE, colors=16)
    put("palette", ".png", encoded(palette, "PNG", transparency=0))
    rotated = _photo()
    exif = rotated.getexif()
    exif[0x0112] = 6  # orientation: rotate 90 degrees clockwise to view
    put("exif_rotated", ".jpg", encoded(rotated, "JPEG", exif=exif))
    frames = [_photo(), _photo().transpose(Image.Transpose.FLIP_LEFT_RIGHT)]
    put("animated_gif", ".gif", encoded(frames[0], "GIF", save_all=True,
                                        append_images=frames[1:], duration=100, loop=0))
    return files


def test_the_loader_uses_or_refuses_each_file(corpus: dict[str, Path]) -> None:
    for name, path in corpus.items():
        if USABLE[name]:
            image = load_image(path)
            assert image.mode == "RGB", name
        else:
            with pytest.raises(ImageError):
                load_image(path)
    assert load_image(corpus["exif_rotated"]).size == (64, 96)  # upright
    grey = np.asarray(load_image(corpus["grey16"]).convert("L"), dtype=float)
    assert grey[:, 0].mean() < 5 and grey[:, -1].mean() > 250  # scaled, not clipped


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "GIF"])
def test_mutated_files_never_escape_as_other_errors(fmt: str, tmp_path: Path) -> None:
    """200 random byte mutations of a valid file: each loads or raises ImageError."""
    buffer = io.BytesIO()
    _photo().save(buffer, fmt)
    original = buffer.getvalue()
    rng = random.Random(fmt)
    outcomes = {"loaded": 0, "refused": 0}
    path = tmp_path / f"mutant.{fmt.lower()}"
    for _ in range(200):
        data = bytearray(original)
        for _ in range(rng.randint(1, 8)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        if rng.random() < 0.3:
            data = data[: rng.randrange(1, len(data))]
        path.write_bytes(bytes(data))
        try:
            load_image(path)
            outcomes["loaded"] += 1
        except ImageError:
            outcomes["refused"] += 1
    assert sum(outcomes.values()) == 200 and outcomes["refused"] > 0


def test_the_cli_answers_each_file_in_one_line(corpus: dict[str, Path], tmp_path: Path,
                                               tiny_fast_model: Path, capsys) -> None:
    for name, path in corpus.items():
        out = tmp_path / f"{name}-out.png"
        code = main(["stylize", str(path), "--method", "fast", "--model", str(tiny_fast_model),
                     "--size", "64", "-q", "-o", str(out)])
        err = capsys.readouterr().err
        if USABLE[name]:
            assert code == 0 and out.is_file(), (name, err)
        else:
            assert code == 1 and err.count("\n") == 1 and err.startswith("stylekit: error:"), \
                (name, err)
            assert not out.exists(), name
    assert not list(tmp_path.glob(".*.tmp")), "a temporary file was left behind"


def test_the_app_answers_each_upload_and_keeps_serving(live_app, corpus: dict[str, Path],
                                                      content_path: Path) -> None:
    from gradio_client import Client, handle_file

    from stylekit.app.widgets import visible_params, widget_value

    client = Client(live_app[1], verbose=False)
    values = {s.name: widget_value("fast", s) for s in visible_params("fast")}
    values.update(size=64, model="tiny_test")

    def run(path: Path) -> str:
        result = client.predict(handle_file(str(path)), None, None, None, *values.values(),
                                api_name="/fast")
        return result[0]

    for name, path in corpus.items():
        if USABLE[name]:
            assert Image.open(run(path)).size[0] > 0, name
        else:
            with pytest.raises(Exception) as caught:
                run(path)
            message = str(caught.value)
            assert "photo" in message.lower() or "image" in message.lower(), (name, message)
            assert "Traceback" not in message
    assert Image.open(run(content_path)).size[0] > 0  # still serving
