"""Errors stylekit raises for problems the user can fix.

Every message names the problem and the fix. The CLI prints them as one line without a
traceback; the app shows them in the page. Anything else that escapes is a bug.
"""

from __future__ import annotations


class StylekitError(Exception):
    """Base class for user-facing errors (bad input, bad parameters, missing weights)."""


class ImageError(StylekitError, ValueError):
    """An input image cannot be used: not an image, truncated, too large or too small."""


class ConfigError(StylekitError, ValueError):
    """A parameter is out of range, of the wrong type, or unknown."""


class WeightsError(StylekitError):
    """Weights are missing, corrupted, of the wrong shape, or cannot be downloaded."""


class ImageTooLargeError(ImageError):
    """An image has more pixels than the caller accepts (checked before decoding)."""

    def __init__(self, message: str, width: int, height: int, limit: int) -> None:
        super().__init__(message)
        self.width, self.height, self.limit = width, height, limit
