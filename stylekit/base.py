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
    """One style image, several, or none, as a list.

    Args:
        style: one image (path, PIL image, array, tensor), a list or tuple of them, or None.

    Returns:
        A list, empty for ``None``.

    Example:
        >>> style_list(None), style_list("a.jpg"), style_list(("a.jpg", "b.jpg"))
        ([], ['a.jpg'], ['a.jpg', 'b.jpg'])
    """
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

    Example:
        >>> record = Progress(step=50, total_steps=200, image=None, losses={"total": 3.5},
        ...                   elapsed=12.0, eta=36.0)
        >>> f"{record.step}/{record.total_steps}: loss {record.losses['total']}", record.done
        ('50/200: loss 3.5', False)
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
    parameter with its default) and implements :meth:`iterate`; registered with
    :func:`~stylekit.registry.register_stylizer`, it is a method of the CLI and the app.
    Parameters given to the constructor change the stylizer's config; those given to
    :meth:`stylize` or :meth:`iterate` apply to that call only.

    Args:
        config: a whole config (default: ``config_class()``).
        **overrides: config fields to change; a bad value raises :class:`ConfigError`.

    Example:
        A complete method, unregistered, that inverts the photo:

        >>> from dataclasses import dataclass
        >>> from stylekit.config import MethodConfig, param
        >>> from stylekit.images import load_image, to_pil, to_tensor
        >>> @dataclass(frozen=True)
        ... class InvertConfig(MethodConfig):
        ...     amount: float = param(1.0, "How far to invert: 0 keeps the photo.", min=0, max=1)
        >>> class Invert(Stylizer[InvertConfig]):
        ...     config_class = InvertConfig
        ...     needs_style = False
        ...     def iterate(self, content, style=None, **params):
        ...         config = self.config.replace(**params)
        ...         photo = to_tensor(load_image(content))
        ...         result = photo + config.amount * (1 - 2 * photo)
        ...         yield Progress(step=1, total_steps=1, image=to_pil(result), done=True)
        >>> black = torch.zeros(3, 32, 32)
        >>> Invert().stylize(black).getpixel((0, 0)), Invert(amount=0.2).config.amount
        ((255, 255, 255), 0.2)
        >>> Invert().stylize(black, amount=0.0).getpixel((0, 0))  # for this call only
        (0, 0, 0)
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
        """Where the method runs: the config's ``device`` (``"auto"`` if it has none)."""
        return resolve_device(getattr(self.config, "device", "auto"))

    def stylize(self, content: ImageInput, style: StyleInput = None, **params: Any) -> Image.Image:
        """Stylize ``content`` and return the result (the last record of :meth:`iterate`).

        Args:
            content: the photo: a path, PIL image, NumPy array or tensor (see
                :func:`~stylekit.images.load_image`).
            style: the painting, several paintings, or ``None`` for methods that need none.
            **params: config fields for this call only.

        Returns:
            An RGB PIL image.
        """
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
        """Run the method, yielding :class:`Progress` records; the last has ``done=True``
        and the final image. Arguments as for :meth:`stylize`."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.config})"
