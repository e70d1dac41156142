"""stylekit: neural style transfer behind one interface.

>>> import stylekit
>>> stylekit.list_stylizers()
['adain', 'fast', 'gatys', 'wct']
>>> from stylekit.examples import example_path
>>> wct = stylekit.create_stylizer("wct", size=128)
>>> wct.stylize(example_path("chelsea"), example_path("starry_night")).size
(128, 85)
"""

from . import methods  # noqa: F401  (registers the methods)
from .base import Progress, Stylizer
from .config import MethodConfig, ParamSpec, describe
from .device import resolve_device
from .errors import ConfigError, ImageError, StylekitError, WeightsError
from .images import load_image, resize_long_side, save_image, to_pil, to_tensor
from .registry import create_stylizer, get_stylizer_class, list_stylizers, register_stylizer

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
    "to_pil",
    "to_tensor",
]
