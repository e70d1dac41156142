"""Config as data: each method's parameters live in one frozen dataclass.

A field is declared once with :func:`param`, which records its default, help text, choices and
range. The CLI builds its options from :func:`describe`, the app builds its sliders and
dropdowns from it, and :class:`MethodConfig` validates every value with the same metadata, so a
default or a limit is written in exactly one place.
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar, Union

from .errors import ConfigError

C = TypeVar("C", bound="MethodConfig")


def param(
    default: Any,
    help: str,
    *,
    choices: Sequence[Any] | None = None,
    min: float | None = None,
    max: float | None = None,
    presets: Mapping[str, Any] | None = None,
    advanced: bool = False,
    hidden: bool = False,
) -> Any:
    """Declare a config field: its default, help text, allowed values and how to offer it.

    Args:
        default: the value when none is given.
        help: one or two sentences, shown by ``--help`` and under the app's widget.
        choices: the allowed values (of each item, for a tuple field).
        min, max: the allowed range, inclusive (of each item, for a tuple field).
        presets: named values of the field, e.g. ``{"shallow": ("relu1_1", "relu2_1")}``:
            the name alone stands for its value (the config expands it), and front ends
            offer the names.
        advanced: a setting most runs leave alone (the app puts it under "More settings").
        hidden: not offered in the app (it sets the field itself, or it means nothing in a
            browser); Python and the command line still take it.

    Returns:
        A dataclass field carrying that metadata, read back by :func:`describe`.

    Example:
        >>> @dataclass(frozen=True)
        ... class BlurConfig(MethodConfig):
        ...     radius: int = param(2, "Blur radius in pixels.", min=0, max=50)
        ...     layers: tuple[str, ...] = param(
        ...         ("relu1_1",), "Layers, or a preset.",
        ...         presets={"all": ("relu1_1", "relu2_1")}, advanced=True)
        ...     device: str = param("cpu", "Device.", hidden=True)
        >>> [(s.name, s.advanced, s.hidden) for s in describe(BlurConfig)]
        [('radius', False, False), ('layers', True, False), ('device', False, True)]
        >>> BlurConfig(layers="all").layers
        ('relu1_1', 'relu2_1')
        >>> describe(BlurConfig)[1].preset_name(("relu1_1", "relu2_1"))
        'all'
    """
    return dataclasses.field(
        default=default,
        metadata={
            "help": help,
            "choices": tuple(choices) if choices else None,
            "min": min,
            "max": max,
            "presets": dict(presets) if presets else None,
            "advanced": advanced,
            "hidden": hidden,
        },
    )


@dataclass(frozen=True)
class ParamSpec:
    """What the CLI, the app and the docs need to know about one config field."""

    name: str
    type: Any
    default: Any
    help: str
    choices: tuple[Any, ...] | None
    min: float | None
    max: float | None
    #: Named values (see :func:`param`); not hashed, a dict.
    presets: dict[str, Any] | None = dataclasses.field(default=None, hash=False)
    advanced: bool = False
    hidden: bool = False

    def preset_name(self, value: Any) -> str | None:
        """The name of the preset whose value is ``value``, or ``None``."""
        if not self.presets:
            return None
        return next((name for name, v in self.presets.items() if v == value), None)

    @property
    def base_type(self) -> type:
        """The scalar type: ``int`` for ``int | None``, ``str`` for ``tuple[str, ...]``."""
        return _scalar_type(self.type)

    @property
    def is_sequence(self) -> bool:
        return _is_tuple(_strip_optional(self.type))

    @property
    def optional(self) -> bool:
        return _strip_optional(self.type) is not self.type


def describe(config_cls: type[MethodConfig]) -> list[ParamSpec]:
    """The fields of a config class, in declaration order, with their metadata."""
    hints = typing.get_type_hints(config_cls)
    return [
        ParamSpec(
            name=f.name,
            type=hints[f.name],
            default=f.default,
            help=f.metadata.get("help", ""),
            choices=f.metadata.get("choices"),
            min=f.metadata.get("min"),
            max=f.metadata.get("max"),
            presets=f.metadata.get("presets"),
            advanced=f.metadata.get("advanced", False),
            hidden=f.metadata.get("hidden", False),
        )
        for f in dataclasses.fields(config_cls)
    ]


@dataclass(frozen=True)
class MethodConfig:
    """Base of every method's config: coerces and checks each field against its metadata.

    Values may come from Python, the CLI (strings) or the app (floats from sliders, lists), so
    they are coerced to the declared type: ``"0.5,0.5"`` becomes ``(0.5, 0.5)`` and ``300.0``
    becomes ``300``. Anything that cannot be used raises :class:`ConfigError` naming the field.
    """

    def __post_init__(self) -> None:
        for spec in describe(type(self)):
            value = _expand_preset(spec, _coerce(spec, getattr(self, spec.name)))
            _check(spec, value)
            object.__setattr__(self, spec.name, value)

    def replace(self: C, **overrides: Any) -> C:
        """A copy with some fields changed; unknown names raise :class:`ConfigError`."""
        known = {f.name for f in dataclasses.fields(self)}
        unknown = sorted(set(overrides) - known)
        if unknown:
            raise ConfigError(
                f"unknown parameter(s) {', '.join(unknown)} for {type(self).__name__}; "
                f"valid ones are: {', '.join(sorted(known))}"
            )
        return dataclasses.replace(self, **overrides)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


# --- coercion helpers -------------------------------------------------------------------------


def _strip_optional(hint: Any) -> Any:
    if typing.get_origin(hint) in (Union, types.UnionType):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return hint


def _is_tuple(hint: Any) -> bool:
    return typing.get_origin(hint) is tuple


def _scalar_type(hint: Any) -> type:
    hint = _strip_optional(hint)
    if _is_tuple(hint):
        hint = typing.get_args(hint)[0]
    if typing.get_origin(hint) is typing.Literal:
        return type(typing.get_args(hint)[0])
    return hint if isinstance(hint, type) else str


def _coerce_scalar(spec: ParamSpec, value: Any, kind: type) -> Any:
    def fail() -> ConfigError:
        return ConfigError(
            f"parameter {{{spec.name}}} must be {kind.__name__}, "
            f"got {value!r} ({type(value).__name__})"
        )

    if kind is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in ("true", "1", "yes", "on"):
            return True
        if isinstance(value, str) and value.strip().lower() in ("false", "0", "no", "off"):
            return False
        raise fail()
    if isinstance(value, bool):
        raise fail()
    if kind is int:
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str):
            try:
                return int(value.strip())
            except ValueError:
                raise fail() from None
        raise fail()
    if kind is float:
        if isinstance(value, (int, float)):
            number = float(value)
        elif isinstance(value, str):
            try:
                number = float(value.strip())
            except ValueError:
                raise fail() from None
        else:
            raise fail()
        if not math.isfinite(number):  # NaN passes every range check; infinity breaks maths
            raise ConfigError(f"parameter {{{spec.name}}} must be a finite number, got {value!r}")
        return number
    if kind is str:
        if isinstance(value, str):
            return value.strip()
        raise fail()
    return value


def _coerce(spec: ParamSpec, value: Any) -> Any:
    if value is None or (isinstance(value, str) and value.strip().lower() in ("", "none")):
        if spec.optional:
            return None
        if value is None:
            raise ConfigError(f"parameter {{{spec.name}}} cannot be None")
    kind = spec.base_type
    if spec.is_sequence:
        if isinstance(value, str):
            items: list[Any] = [v for v in value.replace(" ", ",").split(",") if v]
        elif isinstance(value, Sequence):
            items = list(value)
        else:
            items = [value]
        return tuple(_coerce_scalar(spec, v, kind) for v in items)
    return _coerce_scalar(spec, value, kind)


def _expand_preset(spec: ParamSpec, value: Any) -> Any:
    """A preset's name (alone, or as the one item of a tuple field) becomes its value."""
    if not spec.presets:
        return value
    name = value[0] if isinstance(value, tuple) and len(value) == 1 else value
    return spec.presets[name] if isinstance(name, str) and name in spec.presets else value


def _check(spec: ParamSpec, value: Any) -> None:
    if value is None:
        return
    values = value if isinstance(value, tuple) else (value,)
    for v in values:
        if spec.choices is not None and v not in spec.choices:
            raise ConfigError(
                f"parameter {{{spec.name}}} got {v!r}; choose one of: "
                f"{', '.join(str(c) for c in spec.choices)}"
            )
        if spec.min is not None and v < spec.min:
            raise ConfigError(f"parameter {{{spec.name}}} must be >= {spec.min}, got {v!r}")
        if spec.max is not None and v > spec.max:
            raise ConfigError(f"parameter {{{spec.name}}} must be <= {spec.max}, got {v!r}")
