"""The method registry: ``register_stylizer``, ``create_stylizer``, ``list_stylizers``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from .base import Stylizer
from .errors import ConfigError

S = TypeVar("S", bound=type[Stylizer])

_REGISTRY: dict[str, type[Stylizer]] = {}


def register_stylizer(name: str) -> Callable[[S], S]:
    """Class decorator that makes a :class:`Stylizer` available under ``name``.

    Importing the module that defines the class registers it; :func:`create_stylizer`, the
    CLI and the app then offer it (see :class:`Stylizer` for a complete method).

    Args:
        name: the method's name, e.g. ``"gatys"``; it becomes the class's ``name``.

    Returns:
        The decorator, which returns the class unchanged. Registering another class under a
        taken name raises ``ValueError``; registering the same class again does nothing.

    Example:
        >>> import stylekit
        >>> from stylekit.methods.wct import WCTStylizer
        >>> stylekit.register_stylizer("wct")(WCTStylizer) is WCTStylizer  # there already
        True
        >>> stylekit.register_stylizer("wct")(type("MyWCT", (WCTStylizer,), {}))
        Traceback (most recent call last):
        ...
        ValueError: a stylizer named 'wct' is already registered
    """

    def decorator(cls: S) -> S:
        if name in _REGISTRY and _REGISTRY[name] is not cls:
            raise ValueError(f"a stylizer named {name!r} is already registered")
        cls.name = name
        _REGISTRY[name] = cls
        return cls

    return decorator


def get_stylizer_class(name: str) -> type[Stylizer]:
    """The class registered as ``name``.

    Args:
        name: a method name from :func:`list_stylizers`.

    Returns:
        The :class:`Stylizer` subclass; an unknown name raises :class:`ConfigError` (a
        ``ValueError``) listing the valid ones.

    Example:
        >>> import stylekit
        >>> stylekit.get_stylizer_class("wct").__name__
        'WCTStylizer'
        >>> stylekit.get_stylizer_class("van_gogh")
        Traceback (most recent call last):
        ...
        stylekit.errors.ConfigError: unknown style-transfer method 'van_gogh'; available: \
adain, arbitrary, fast, gatys, wct
    """
    try:
        return _REGISTRY[name]
    except KeyError:
        raise ConfigError(
            f"unknown style-transfer method {name!r}; available: {', '.join(list_stylizers())}"
        ) from None


def create_stylizer(name: str, **config: Any) -> Stylizer:
    """A new stylizer of method ``name``.

    Args:
        name: a method name from :func:`list_stylizers`.
        **config: fields of the method's config class to change (e.g. ``size``, ``steps``);
            values are checked, so a bad one raises :class:`ConfigError` naming the field.

    Returns:
        The :class:`Stylizer`; nothing is loaded until it first runs.

    Example:
        >>> import stylekit
        >>> gatys = stylekit.create_stylizer("gatys", size=256, steps=50)
        >>> type(gatys).__name__, gatys.config.size, gatys.config.steps
        ('GatysStylizer', 256, 50)
        >>> stylekit.create_stylizer("gatys", steps=-1)
        Traceback (most recent call last):
        ...
        stylekit.errors.ConfigError: parameter 'steps' must be >= 1, got -1
    """
    return get_stylizer_class(name)(**config)


def list_stylizers() -> list[str]:
    """Names of the registered methods.

    Returns:
        The names, sorted.

    Example:
        >>> import stylekit
        >>> stylekit.list_stylizers()
        ['adain', 'arbitrary', 'fast', 'gatys', 'wct']
    """
    return sorted(_REGISTRY)
