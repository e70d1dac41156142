"""The method registry: ``register_stylizer``, ``create_stylizer``, ``list_stylizers``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from .base import Stylizer
from .errors import ConfigError

S = TypeVar("S", bound=type[Stylizer])

_REGISTRY: dict[str, type[Stylizer]] = {}


def register_stylizer(name: str) -> Callable[[S], S]:
    """Class decorator that makes a :class:`Stylizer` available under ``name``."""

    def decorator(cls: S) -> S:
        if name in _REGISTRY and _REGISTRY[name] is not cls:
            raise ValueError(f"a stylizer named {name!r} is already registered")
        cls.name = name
        _REGISTRY[name] = cls
        return cls

    return decorator


def get_stylizer_class(name: str) -> type[Stylizer]:
    """The class registered as ``name``; unknown names raise a ``ValueError``
    (:class:`ConfigError`) listing valid ones."""
    try:
        return _REGISTRY[name]
    except KeyError:
        raise ConfigError(
            f"unknown style-transfer method {name!r}; available: {', '.join(list_stylizers())}"
        ) from None


def create_stylizer(name: str, **config: Any) -> Stylizer:
    """A new stylizer of method ``name`` with config fields overridden by ``config``."""
    return get_stylizer_class(name)(**config)


def list_stylizers() -> list[str]:
    """Names of the registered methods, sorted."""
    return sorted(_REGISTRY)
