"""Reading, checking, converting and writing images.

Inside stylekit an image is a float32 tensor of shape ``(B, 3, H, W)`` holding RGB values in
``[0, 1]``; at the edges it is a PIL image. :func:`load_image` accepts a path, a PIL image, a
NumPy array or a tensor, applies the EXIF orientation, converts every mode Pillow knows (RGBA,
LA, P, CMYK, 16-bit grey, float) to 8-bit RGB, and refuses with an :class:`ImageError` what it
cannot use: a file that is not an image, a truncated file, more pixels than ``max_pixels``
(decompression bombs) or fewer than a method needs.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any, Union

import numpy as np
import torch
from PIL import Image, ImageOps, UnidentifiedImageError

from .errors import ImageError, ImageTooLargeError
from .examples import PREFIX, example_path
from .fileio import atomic_write

ImageInput = Union[str, "os.PathLike[str]", Image.Image, np.ndarray, torch.Tensor]

#: Default cap on the pixels of an input image: 50 megapixels (a 7000x7000 photo). Larger
#: files are refused before they are decoded, so a decompression bomb costs nothing.
DEFAULT_MAX_PIXELS = 50_000_000

#: The shortest side VGG-19 can take down to ``relu5_*`` (four 2x poolings) and still see more
#: than a single position.
DEFAULT_MIN_SIDE = 32


def load_image(
    source: ImageInput,
    *,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    min_side: int = DEFAULT_MIN_SIDE,
    what: str = "image",
) -> Image.Image:
    """Read any supported input as an 8-bit RGB PIL image, upright.

    Args:
        source: a file path, an example image as ``"example:NAME"`` (see
            :mod:`stylekit.examples`, as on the command line), a PIL image, a NumPy array
            (``HxW``, ``HxWxC`` or ``CxHxW`` with
            C in 1, 3, 4; uint8 in 0..255, uint16 in 0..65535, float in [0, 1]) or a tensor
            (``CxHxW`` or ``1xCxHxW``, same value conventions).
        max_pixels: refuse images with more pixels than this (checked before decoding).
        min_side: refuse images whose shorter side is below this many pixels.
        what: how the image is named in error messages ("content image", "style image").

    Returns:
        An RGB PIL image, EXIF orientation applied, transparency composited over white.
        What cannot be used raises :class:`ImageError` saying why and what to do.

    Example:
        >>> import numpy as np
        >>> image = load_image(np.zeros((40, 60, 4), np.uint8))  # transparent black
        >>> image.size, image.mode, image.getpixel((0, 0))
        ((60, 40), 'RGB', (255, 255, 255))
        >>> load_image("example:chelsea").size  # the example images, by name
        (451, 300)
        >>> load_image(np.zeros((8, 8, 3), np.uint8), what="style image")
        Traceback (most recent call last):
        ...
        stylekit.errors.ImageError: style image is 8x8 pixels, too small for the network: its \
shorter side must be at least 32 pixels; use a larger image
    """
    if isinstance(source, str) and source.startswith(PREFIX) and not Path(source).exists():
        image = _open_path(example_path(source), max_pixels, what)
    elif isinstance(source, (str, os.PathLike)):
        image = _open_path(Path(source), max_pixels, what)
    elif isinstance(source, Image.Image):
        _check_pixels(source.size, max_pixels, what)
        image = source
    elif isinstance(source, np.ndarray):
        image = _from_array(source, what)
    elif isinstance(source, torch.Tensor):
        image = _from_array(_tensor_to_hwc(source, what), what)
    else:
        raise ImageError(
            f"{what}: cannot read an object of type {type(source).__name__}; pass a file path, "
            "a PIL image, a NumPy array or a torch tensor"
        )
    _check_pixels(image.size, max_pixels, what)
    image = _to_rgb(ImageOps.exif_transpose(image) or image, what)
    width, height = image.size
    if min(width, height) < min_side:
        raise ImageError(
            f"{what} is {width}x{height} pixels, too small for the network: its shorter side "
            f"must be at least {min_side} pixels; use a larger image"
        )
    return image


def _open_path(path: Path, max_pixels: int, what: str) -> Image.Image:
    if not path.exists():
        raise ImageError(f"{what} {str(path)!r} does not exist; check the path")
    if path.is_dir():
        raise ImageError(f"{what} {str(path)!r} is a directory; give an image file")
    try:
        with warnings.catch_warnings():
            # Our own cap (checked next, before decoding) replaces Pillow's warning.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(path)
    except Image.DecompressionBombError as exc:
        raise ImageError(
            f"{what} {str(path)!r} is far too large to decode safely ({exc}); "
            "use a smaller image"
        ) from None
    except UnidentifiedImageError:
        raise ImageError(
            f"{what} {str(path)!r} is not an image stylekit can read; give a PNG, JPEG, WebP, "
            "TIFF, BMP or GIF file"
        ) from None
    except OSError as exc:
        raise ImageError(f"{what} {str(path)!r} cannot be opened: {exc}") from None
    _check_pixels(image.size, max_pixels, what, path)
    try:
        image.load()
    except (OSError, SyntaxError, ValueError) as exc:
        raise ImageError(
            f"{what} {str(path)!r} is truncated or corrupted ({exc}); re-download or re-export it"
        ) from None
    return image


def _check_pixels(
    size: tuple[int, int], max_pixels: int, what: str, path: Path | None = None
) -> None:
    width, height = size
    if width * height > max_pixels:
        name = f" {str(path)!r}" if path else ""
        raise ImageTooLargeError(
            f"{what}{name} is {width}x{height} = {width * height:,} pixels, more than the limit of "
            f"{max_pixels:,}; downscale it first or raise max_pixels", width, height, max_pixels)


def _to_rgb(image: Image.Image, what: str) -> Image.Image:
    """Convert any Pillow mode to 8-bit RGB, compositing transparency over white."""
    mode = image.mode
    if mode == "RGB":
        return image
    if mode.startswith("I;16") or mode == "I":
        values = np.asarray(image).astype(np.float64)
        # "I" holds 16-bit PNGs on older Pillow; 8-bit content there stays as it is.
        scale = 65535.0 if mode.startswith("I;16") or values.max(initial=0) > 255 else 255.0
        grey = np.clip(np.rint(values / scale * 255.0), 0, 255).astype(np.uint8)
        return Image.fromarray(grey).convert("RGB")
    if mode == "F":
        values = np.asarray(image).astype(np.float64)
        if values.max(initial=0) <= 1.0:
            values = values * 255.0
        return Image.fromarray(np.clip(np.rint(values), 0, 255).astype(np.uint8)).convert("RGB")
    if mode in ("RGBA", "LA", "PA", "RGBa", "La") or (
        mode == "P" and "transparency" in image.info
    ):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    try:
        return image.convert("RGB")
    except (ValueError, OSError) as exc:
        raise ImageError(
            f"{what} has colour mode {mode!r}, which cannot be converted to RGB ({exc}); "
            "save it as an RGB PNG or JPEG"
        ) from None


def _tensor_to_hwc(tensor: torch.Tensor, what: str) -> np.ndarray:
    t = tensor.detach().to("cpu")
    if t.ndim == 4:
        if t.shape[0] != 1:
            raise ImageError(f"{what}: expected one image, got a batch of {t.shape[0]}")
        t = t[0]
    if t.ndim == 3 and t.shape[0] in (1, 3, 4):
        t = t.permute(1, 2, 0)
    elif t.ndim != 2:
        raise ImageError(
            f"{what}: expected a tensor of shape (C, H, W) or (1, C, H, W), "
            f"got {tuple(tensor.shape)}"
        )
    if t.dtype in (torch.float16, torch.bfloat16):
        t = t.float()
    return t.numpy()


def _from_array(array: np.ndarray, what: str) -> Image.Image:
    a = np.asarray(array)
    if a.ndim == 3 and a.shape[0] in (1, 3, 4) and a.shape[-1] not in (1, 3, 4):
        a = np.transpose(a, (1, 2, 0))  # channels-first to channels-last
    if a.ndim == 3 and a.shape[-1] == 1:
        a = a[..., 0]
    if not (a.ndim == 2 or (a.ndim == 3 and a.shape[-1] in (3, 4))):
        raise ImageError(
            f"{what}: expected an array of shape (H, W), (H, W, 3) or (H, W, 4), got {array.shape}"
        )
    if a.dtype == np.uint8:
        pixels = a
    elif a.dtype == bool:
        pixels = a.astype(np.uint8) * 255
    elif a.dtype == np.uint16:
        pixels = np.rint(a / 257.0).astype(np.uint8)
    elif np.issubdtype(a.dtype, np.floating):
        if not np.isfinite(a).all():
            raise ImageError(f"{what}: the array holds NaN or infinite values")
        low, high = float(a.min(initial=0)), float(a.max(initial=0))
        if low < -1e-3 or high > 1 + 1e-3:
            raise ImageError(
                f"{what}: float arrays must hold values in [0, 1], got {low:.3g}..{high:.3g}; "
                "divide 8-bit values by 255"
            )
        pixels = np.rint(np.clip(a, 0, 1) * 255).astype(np.uint8)
    elif np.issubdtype(a.dtype, np.integer):
        if a.min(initial=0) < 0 or a.max(initial=0) > 255:
            raise ImageError(f"{what}: integer arrays must hold values in 0..255 (or be uint16)")
        pixels = a.astype(np.uint8)
    else:
        raise ImageError(f"{what}: unsupported array dtype {a.dtype}")
    mode = "L" if pixels.ndim == 2 else ("RGB" if pixels.shape[-1] == 3 else "RGBA")
    return Image.fromarray(np.ascontiguousarray(pixels), mode=mode)


# --- conversions between PIL and tensors -------------------------------------------------------


def to_tensor(image: Image.Image, device: torch.device | str = "cpu") -> torch.Tensor:
    """An RGB PIL image as a tensor, stylekit's internal form of an image.

    Args:
        image: a PIL image (converted to RGB first).
        device: where the tensor goes.

    Returns:
        float32 ``(1, 3, H, W)`` in [0, 1] (8-bit values divided by 255).

    Example:
        >>> from PIL import Image
        >>> t = to_tensor(Image.new("RGB", (4, 2), (255, 0, 51)))
        >>> t.shape, t[0, :, 0, 0]
        (torch.Size([1, 3, 2, 4]), tensor([1.0000, 0.0000, 0.2000]))
    """
    array = np.asarray(image.convert("RGB"), dtype=np.uint8)
    tensor = torch.from_numpy(array.copy()).permute(2, 0, 1).unsqueeze(0).contiguous()
    return tensor.to(device=device, dtype=torch.float32).div_(255.0)


def to_pil(tensor: torch.Tensor) -> Image.Image:
    """A tensor as an RGB PIL image, the inverse of :func:`to_tensor`.

    Args:
        tensor: ``(1, 3, H, W)`` or ``(3, H, W)`` RGB in [0, 1]; values outside are clamped.

    Returns:
        An 8-bit RGB PIL image of ``W x H`` pixels (values times 255, rounded).

    Example:
        >>> grey = to_pil(torch.full((3, 2, 4), 0.5))
        >>> grey.size, grey.getpixel((0, 0)), to_pil(torch.full((1, 3, 2, 4), 2.0)).getpixel((0, 0))
        ((4, 2), (128, 128, 128), (255, 255, 255))
    """
    t = tensor.detach()
    if t.ndim == 4:
        t = t[0]
    array = t.clamp(0, 1).mul(255).round().to(torch.uint8).permute(1, 2, 0).cpu().numpy()
    return Image.fromarray(array, mode="RGB")


def resize_long_side(image: Image.Image, size: int, *, min_side: int = 1,
                     what: str = "image") -> Image.Image:
    """Resize so the longer side is ``size`` pixels, keeping the aspect ratio (Lanczos).

    Args:
        image: a PIL image.
        size: the new long side in pixels.
        min_side: the shortest short side allowed. A very elongated image can end with a
            short side of a few pixels, which the networks cannot take: below ``min_side`` an
            :class:`ImageError` says so and how to fix it.
        what: how the image is named in error messages.

    Returns:
        The resized image (``image`` itself if the size is right already).

    Example:
        >>> from PIL import Image
        >>> resize_long_side(Image.new("RGB", (400, 300)), 200).size
        (200, 150)
    """
    width, height = image.size
    scale = size / max(width, height)
    new = (max(1, round(width * scale)), max(1, round(height * scale)))
    if min(new) < min_side:
        raise ImageError(
            f"{what} is {width}x{height} pixels; at {size} px on its long side its short side "
            f"would be {min(new)} px, below the {min_side} px the network needs. Use a larger "
            "size, or crop the image to a less elongated shape"
        )
    if new == (width, height):
        return image
    return image.resize(new, Image.Resampling.LANCZOS)


def shape_for_long_side(height: int, width: int, size: int) -> tuple[int, int]:
    """``(H, W)`` with the longer side equal to ``size`` and the aspect ratio kept.

    Args:
        height, width: the current size.
        size: the new long side.

    Returns:
        ``(H, W)``, each at least 1.

    Example:
        >>> shape_for_long_side(300, 400, 200)
        (150, 200)
    """
    scale = size / max(height, width)
    return max(1, round(height * scale)), max(1, round(width * scale))


# --- writing ------------------------------------------------------------------------------------


def output_format(path: str | os.PathLike[str]) -> str:
    """The Pillow format for a file name, or an :class:`ImageError` naming the usable ones.

    Args:
        path: the output file's name; its ending (any case) decides.

    Returns:
        ``"PNG"``, ``"JPEG"``, ``"WEBP"``, ``"BMP"`` or ``"TIFF"``.

    Example:
        >>> output_format("out.JPG"), output_format("out.webp")
        ('JPEG', 'WEBP')
    """
    suffix = Path(path).suffix.lower()
    formats = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".webp": "WEBP", ".bmp": "BMP",
               ".tif": "TIFF", ".tiff": "TIFF"}
    if suffix not in formats:
        raise ImageError(
            f"cannot tell the image format of output {str(path)!r}; end its name with "
            ".png, .jpg, .webp, .bmp or .tif"
        )
    return formats[suffix]


def save_image(image: Image.Image, path: str | os.PathLike[str], **save_args: Any) -> Path:
    """Write ``image`` atomically (see :func:`stylekit.fileio.atomic_write`).

    Args:
        image: a PIL image.
        path: where to write; the format comes from its ending (``.png``, ``.jpg``, ``.webp``,
            ``.bmp``, ``.tif``), missing folders are created.
        **save_args: passed to :meth:`PIL.Image.Image.save` (e.g. ``quality=90``).

    Returns:
        The path written.

    Example:
        >>> import tempfile
        >>> from PIL import Image
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     path = save_image(Image.new("RGB", (4, 2)), Path(folder) / "new" / "out.png")
        ...     path.name, Image.open(path).size
        ('out.png', (4, 2))
        >>> save_image(Image.new("RGB", (4, 2)), "out.gif")
        Traceback (most recent call last):
        ...
        stylekit.errors.ImageError: cannot tell the image format of output 'out.gif'; end its \
name with .png, .jpg, .webp, .bmp or .tif
    """
    fmt = output_format(path)

    def write(tmp: str) -> None:
        with open(tmp, "wb") as handle:
            image.save(handle, format=fmt, **save_args)
            handle.flush()
            os.fsync(handle.fileno())

    return atomic_write(path, write)
