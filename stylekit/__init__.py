"""stylekit: neural style transfer behind one interface.

>>> import stylekit
>>> stylekit.list_stylizers()
['adain', 'arbitrary', 'fast', 'gatys', 'wct']
>>> wct = stylekit.create_stylizer("wct", size=128)
>>> wct.stylize("example:chelsea", "example:starry_night").size  # paths, or examples by name
(128, 85)
>>> fast = stylekit.create_stylizer("fast", size=128)  # a shipped painting: its built-in style
>>> fast.stylize("example:chelsea", "example:great_wave").size
(128, 85)
"""

from typing import TYPE_CHECKING, Any

from . import methods  # noqa: F401  (registers the methods)
from .base import Progress, Stylizer
from .config import MethodConfig, ParamSpec, describe
from .device import resolve_device
from .errors import ConfigError, ImageError, StylekitError, WeightsError
from .images import load_image, resize_long_side, save_image, to_pil, to_tensor
from .registry import create_stylizer, get_stylizer_class, list_stylizers, register_stylizer

if TYPE_CHECKING:
    from .video import stylize_video

__version__ = "0.1.0"

__all__ = [
    "ConfigError",
    "ImageError",
    "MethodConfig",
    "ParamSpec",
    "Progress",
    "Stylizer",
    "StylekitError",
    "WeightsError",
    "create_stylizer",
    "describe",
    "get_stylizer_class",
    "list_stylizers",
    "load_image",
    "register_stylizer",
    "resize_long_side",
    "resolve_device",
    "save_image",
    "stylize_video",
    "to_pil",
    "to_tensor",
]


def __getattr__(name: str) -> Any:
    # stylekit.stylize_video loads the video package on first use only, so `import stylekit`
    # needs neither PyAV nor OpenCV.
    if name == "stylize_video":
        from .video import stylize_video

        return stylize_video
    raise AttributeError(f"module 'stylekit' has no attribute {name!r}")
