"""The contract every style-transfer method fulfils."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, TypeVar

import torch
from PIL import Image

from .config import MethodConfig
from .device import resolve_device
from .errors import StylekitError
from .images import ImageInput
from .models import ModelKind

C = TypeVar("C", bound=MethodConfig)

#: One style image or several (blended with the method's blend weights).
StyleInput = ImageInput | Sequence[ImageInput] | None


def style_list(style: StyleInput) -> list[ImageInput]:
    """One style image, several, or none, as a list."""
    if style is None:
        return []
    if isinstance(style, (list, tuple)):
        return list(style)
    return [style]  # type: ignore[list-item]


@dataclass
class Progress:
    """One progress record from :meth:`Stylizer.iterate`.

    Attributes:
        step: steps done so far (1-based; for one-pass methods, 1).
        total_steps: steps the run will take.
        image: the current result, or ``None`` on records without a snapshot.
        losses: loss terms of this step (weighted, as the optimiser sees them), may be empty.
        elapsed: seconds since the run started, including loading.
        scale: long side in pixels of the image being worked on.
        eta: estimated seconds until the run ends, or ``None`` when unknown.
        done: ``True`` on the last record, which always carries the final image.
    """

    step: int
    total_steps: int
    image: Image.Image | None
    losses: dict[str, float] = field(default_factory=dict)
    elapsed: float = 0.0
    scale: int | None = None
    eta: float | None = None
    done: bool = False


class Stylizer(ABC, Generic[C]):
    """Base class of style-transfer methods.

    A subclass sets ``config_class`` (a frozen :class:`MethodConfig` dataclass holding every
    parameter with its default) and implements :meth:`iterate`. Parameters given to the
    constructor change the stylizer's config; those given to :meth:`stylize` or
    :meth:`iterate` apply to that call only.
    """

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    config_class: ClassVar[type[MethodConfig]]
    #: Whether :meth:`iterate` needs a style image (per-style networks do not).
    needs_style: ClassVar[bool] = True
    #: The family of trained model files the method loads (its ``model`` parameter), if any.
    model_kind: ClassVar[ModelKind | None] = None

    def __init__(self, config: C | None = None, **overrides: Any) -> None:
        base = config if config is not None else self.config_class()
        self.config: C = base.replace(**overrides) if overrides else base  # type: ignore[assignment]

    @property
    def device(self) -> torch.device:
        return resolve_device(getattr(self.config, "device", "auto"))

    def stylize(self, content: ImageInput, style: StyleInput = None, **params: Any) -> Image.Image:
        """Stylize ``content`` and return the result as an RGB PIL image."""
        last: Progress | None = None
        for record in self.iterate(content, style, **params):
            last = record
        if last is None or last.image is None:
            raise StylekitError(f"{self.name}: the run produced no image")
        return last.image

    @abstractmethod
    def iterate(
        self, content: ImageInput, style: StyleInput = None, **params: Any
    ) -> Iterator[Progress]:
        """Run the method, yielding :class:`Progress` records; the last has ``done=True``."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.config})"
