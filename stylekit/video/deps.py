"""The optional video dependencies (``pip install "stylekit[video]"``), imported on demand.

PyAV reads and writes the files (FFmpeg's demuxers, decoders and encoders as a wheel, so audio
can be copied packet by packet); OpenCV's headless wheel computes the optical flow (DIS).
``import stylekit`` imports neither.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from ..errors import StylekitError

#: Module name -> the package that provides it.
PACKAGES = {"av": "av", "cv2": "opencv-python-headless"}


class MissingDependencyError(StylekitError, ImportError):
    """An optional package that video needs is not installed."""


def require(module: str) -> ModuleType:
    """Import ``module`` (``av`` or ``cv2``), or raise an error saying what to install.

    Args:
        module: the module name.

    Returns:
        The imported module.

    Example:
        >>> require("cv2").__name__
        'cv2'
    """
    try:
        return importlib.import_module(module)
    except ImportError:
        raise MissingDependencyError(
            f"video needs the {PACKAGES.get(module, module)} package, which is not installed; "
            'install the video extra: pip install "stylekit[video]"'
        ) from None
