"""Image input: every mode converted correctly, every bad input refused clearly."""

from __future__ import annotations

import io
import os
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from stylekit.errors import ImageError
from stylekit.images import (
    load_image,
    output_format,
    resize_long_side,
    save_image,
    shape_for_long_side,
    to_pil,
    to_tensor,
)


def _save(image: Image.Image, path: Path, **kwargs) -> Path:
    image.save(path, **kwargs)
    return path


def test_reads_a_real_photo(content_path: Path) -> None:
    image = load_image(content_path)
    assert image.mode == "RGB" and image.size == (451, 300)


def test_reads_example_images_by_name_as_the_command_line_does(content_path: Path,
                                                               tmp_path: Path) -> None:
    """The Python API takes "example:NAME" wherever the CLI does; a file of that name wins."""
    assert np.array_equal(np.asarray(load_image("example:chelsea")),
                          np.asarray(load_image(content_path)))
    with pytest.raises(ImageError, match="unknown example image 'nope'; available: chelsea"):
        load_image("example:nope")
    os.chdir(tmp_path)
    try:
        Image.new("RGB", (40, 40), "red").save(tmp_path / "example:chelsea", format="PNG")
        assert load_image("example:chelsea").size == (40, 40)
    finally:
        os.chdir(Path(__file__).parent)


def test_not_an_image(tmp_path: Path) -> None:
    path = tmp_path / "notes.png"
    path.write_text("this is text, not pixels")
    with pytest.raises(ImageError, match="not an image"):
        load_image(path)


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_truncated_file(tmp_path: Path, content_path: Path, fmt: str) -> None:
    buffer = io.BytesIO()
    Image.open(content_path).save(buffer, format=fmt)
    data = buffer.getvalue()
    path = tmp_path / f"cut.{fmt.lower()}"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ImageError, match="truncated or corrupted"):
        load_image(path)


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(ImageError, match="does not exist"):
        load_image(tmp_path / "absent.jpg")
    with pytest.raises(ImageError, match="directory"):
        load_image(tmp_path)


def test_too_many_pixels_refused_before_decoding(tmp_path: Path) -> None:
    # 12000 x 12000 one-bit pixels: a tiny file that would decode to 144 megapixels.
    path = _save(Image.new("1", (12000, 12000)), tmp_path / "bomb.png")
    assert path.stat().st_size < 200_000
    start = time.perf_counter()
    with pytest.raises(ImageError, match="more than the limit"):
        load_image(path)
    assert time.perf_counter() - start < 1.0  # refused from the header, not decoded
    with pytest.raises(ImageError, match="more than the limit"):
        load_image(Image.new("RGB", (200, 200)), max_pixels=10_000)


def test_pillow_bomb_limit_is_reported_as_image_error(tmp_path: Path) -> None:
    path = _save(Image.new("1", (20000, 20000)), tmp_path / "huge.png")
    with pytest.raises(ImageError, match="too large|more than the limit"):
        load_image(path, max_pixels=10**9)


def test_too_small(tmp_path: Path) -> None:
    path = _save(Image.new("RGB", (20, 50)), tmp_path / "small.png")
    with pytest.raises(ImageError, match="20x50.*at least 32"):
        load_image(path)
    assert load_image(path, min_side=16).size == (20, 50)


def test_transparency_is_composited_over_white(tmp_path: Path) -> None:
    rgba = Image.new("RGBA", (40, 40), (255, 0, 0, 0))
    rgba.paste((0, 0, 255, 255), (0, 0, 20, 40))
    out = load_image(_save(rgba, tmp_path / "a.png"))
    assert out.getpixel((30, 5)) == (255, 255, 255)
    assert out.getpixel((5, 5)) == (0, 0, 255)
    la = Image.new("LA", (40, 40), (100, 128))
    # alpha 128/255: 100 * 0.502 + 255 * 0.498 = 177.2
    assert load_image(la).getpixel((0, 0)) == (177, 177, 177)
    palette = Image.new("P", (40, 40), 0)
    palette.putpalette([10, 20, 30] + [0, 0, 0] * 255)
    palette.info["transparency"] = 1
    assert load_image(palette).getpixel((0, 0)) == (10, 20, 30)


def test_cmyk_and_one_bit(tmp_path: Path) -> None:
    cmyk = Image.new("CMYK", (40, 40), (0, 255, 255, 0))  # pure red ink
    out = load_image(_save(cmyk, tmp_path / "c.jpg", quality=100))
    r, g, b = out.getpixel((10, 10))
    assert r > 240 and g < 15 and b < 15
    assert load_image(Image.new("1", (40, 40), 1)).getpixel((0, 0)) == (255, 255, 255)


def test_sixteen_bit_grey_is_scaled_not_clipped(tmp_path: Path) -> None:
    values = np.full((40, 40), 32896, dtype=np.uint16)  # half of 65535, 128 in 8 bits
    values[:, :10] = 65535
    path = _save(Image.fromarray(values), tmp_path / "grey16.png")
    out = load_image(path)
    assert out.getpixel((20, 20)) == (128, 128, 128)
    assert out.getpixel((0, 0)) == (255, 255, 255)


def test_float_mode() -> None:
    image = Image.fromarray(np.full((40, 40), 0.5, dtype=np.float32), mode="F")
    assert load_image(image).getpixel((0, 0)) == (128, 128, 128)


def test_exif_orientation_is_applied(tmp_path: Path) -> None:
    image = Image.new("RGB", (80, 40), (0, 0, 0))
    image.paste((255, 255, 255), (0, 0, 10, 40))  # white stripe on the left
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to display
    path = _save(image, tmp_path / "rotated.jpg", exif=exif.tobytes(), quality=95)
    out = load_image(path)
    assert out.size == (40, 80)
    assert out.getpixel((20, 2))[0] > 200  # the stripe is now at the top


def test_numpy_inputs() -> None:
    rgb = np.zeros((40, 50, 3), dtype=np.uint8)
    rgb[..., 1] = 200
    assert load_image(rgb).getpixel((0, 0)) == (0, 200, 0)
    assert load_image(rgb.transpose(2, 0, 1)).size == (50, 40)  # channels first
    assert load_image(np.full((40, 50), 0.5)).getpixel((0, 0)) == (128, 128, 128)
    assert load_image(np.full((40, 50), 65535, dtype=np.uint16)).getpixel((0, 0)) == (255,) * 3
    with pytest.raises(ImageError, match=r"\[0, 1\]"):
        load_image(np.full((40, 50, 3), 255.0))
    with pytest.raises(ImageError, match="NaN"):
        load_image(np.full((40, 50), np.nan))
    with pytest.raises(ImageError, match="shape"):
        load_image(np.zeros((40, 50, 7), dtype=np.uint8))


def test_tensor_inputs() -> None:
    t = torch.zeros(1, 3, 40, 50)
    t[:, 0] = 1.0
    assert load_image(t).getpixel((0, 0)) == (255, 0, 0)
    assert load_image(t[0]).size == (50, 40)
    with pytest.raises(ImageError, match="batch"):
        load_image(torch.zeros(2, 3, 40, 50))


def test_unsupported_object() -> None:
    with pytest.raises(ImageError, match="file path, a PIL image"):
        load_image(12345)  # type: ignore[arg-type]


def test_tensor_round_trip(gradient_image: Image.Image) -> None:
    tensor = to_tensor(gradient_image)
    assert tensor.shape == (1, 3, 64, 96) and tensor.dtype == torch.float32
    assert tensor.is_contiguous() and tensor.min() >= 0.0 and tensor.max() <= 1.0
    assert np.array_equal(np.asarray(to_pil(tensor)), np.asarray(gradient_image))
    assert to_pil(tensor * 3 - 1).getextrema() == ((0, 255), (0, 255), (0, 255))


def test_resize_long_side(gradient_image: Image.Image) -> None:
    assert resize_long_side(gradient_image, 48).size == (48, 32)
    assert resize_long_side(gradient_image, 192).size == (192, 128)
    assert shape_for_long_side(64, 96, 48) == (32, 48)


def test_save_is_atomic(tmp_path: Path, gradient_image: Image.Image, monkeypatch) -> None:
    target = tmp_path / "out" / "result.png"
    save_image(gradient_image, target)
    before = target.read_bytes()
    umask = os.umask(0)
    os.umask(umask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~umask  # not mkstemp's 0600

    def broken_save(self, fp, format=None, **params):  # noqa: A002
        fp.write(b"partial")
        raise OSError("disk full")

    monkeypatch.setattr(Image.Image, "save", broken_save)
    with pytest.raises(OSError, match="disk full"):
        save_image(Image.new("RGB", (50, 50)), target)
    assert target.read_bytes() == before  # old file untouched
    assert [p.name for p in target.parent.iterdir()] == ["result.png"]  # no temp file left


def test_output_format() -> None:
    assert output_format("a.PNG") == "PNG" and output_format("b.jpeg") == "JPEG"
    with pytest.raises(ImageError, match=r"\.png"):
        output_format("result.gif2")


@pytest.mark.parametrize("method", ["fast", "wct", "adain", "gatys"])
def test_an_elongated_photo_is_refused_before_the_network(method, tmp_path,
                                                          tiny_fast_model, tiny_decoder_set):
    import stylekit

    strip = tmp_path / "strip.png"
    Image.new("RGB", (5000, 40), "grey").save(strip)
    params = {"fast": {"model": str(tiny_fast_model)}, "wct": {"decoders": str(tiny_decoder_set)},
              "adain": {"model": str(tiny_decoder_set)}, "gatys": {"steps": 1}}[method]
    stylizer = stylekit.create_stylizer(method, size=512, device="cpu", **params)
    style = None if method == "fast" else str(strip.parent / "style.png")
    if style:
        Image.new("RGB", (64, 64), "red").save(style)
    with pytest.raises(ImageError, match=r"5000x40 pixels; at \d+ px .* short side would be \d px"):
        stylizer.stylize(strip, style)
