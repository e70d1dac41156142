"""Trained networks as files: naming, resolution and loading, shared by the one-pass methods.

A model file is a safetensors file whose metadata names its architecture and the
hyper-parameters needed to build it, so the file alone describes the network. A model is
given as a shipped name (resolved through the weight table of :mod:`stylekit.hub`: local
``weights/`` folder first, then the Hub), as a ``.safetensors`` path, or as a folder holding
``model.safetensors`` (what ``stylekit train`` writes).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from torch import nn

from .errors import ConfigError, WeightsError
from .hub import (
    STYLEKIT_HUB_REPO,
    STYLEKIT_HUB_REVISION,
    WEIGHTS,
    WeightSpec,
    describe_source,
    register_weights,
    resolve_weights,
)

#: Licence line of every network this project trains (see the model cards).
TRAINED_LICENSE = ("research and non-commercial use (trained on COCO/BSDS500 photos, whose terms "
                   "these weights inherit); stylekit's code: MIT")


@dataclass(frozen=True)
class ModelKind:
    """One family of model files: ``fast`` networks, ``adain`` or reconstruction decoders.

    Each network module declares its kind (e.g. :data:`stylekit.nets.transformer.FAST_MODELS`)
    and registers its shipped files with :meth:`register_shipped`.

    Attributes:
        prefix: the folder under ``weights/`` and the name prefix in the weight table.
        architecture: the metadata tag files of this kind carry.
        what: how messages name it ("fast model").
        build: makes an untrained network from a file's metadata.
        virtual: names the method builds from other files rather than one file of this
            kind (AdaIN's ``default``), each with a function saying where it would load from.
        trainer: the ``stylekit train`` command that makes such files (default: ``prefix``).

    Example:
        >>> from stylekit.nets.transformer import FAST_MODELS
        >>> {"johnson:starry_night", "johnson:the_scream"} <= set(FAST_MODELS.names())
        True
        >>> net = FAST_MODELS.load("johnson:starry_night")  # the shipped file, no download
        >>> type(net).__name__, net.training
        ('TransformerNet', False)
    """

    prefix: str  # folder under weights/ and name prefix in the weight table
    architecture: str  # the metadata tag files of this kind carry
    what: str  # how messages name it
    build: Callable[[dict[str, str]], nn.Module]  # an untrained network from the metadata
    #: Names the method builds from other files rather than one file of this kind (AdaIN's
    #: ``default``: the shipped reconstruction decoders), each with a function that says
    #: where it would be loaded from (as :meth:`source` does).
    virtual: dict[str, Callable[[], str]] = field(default_factory=dict, hash=False,
                                                  compare=False)
    #: The ``stylekit train`` command that makes files of this kind (default: ``prefix``).
    trainer: str = ""

    def register_shipped(self, shipped: dict[str, str | None], name_prefix: str = "") -> None:
        """Add ``{name: sha256}`` of files in ``weights/<prefix>/<name>/`` to the table, each
        known as ``name_prefix + name`` (the fast method's per-style networks are
        ``johnson:<name>``: the plain names are its built-in styles)."""
        for name, sha256 in shipped.items():
            register_weights(WeightSpec(
                name=f"{self.prefix}/{name_prefix}{name}", repo_id=STYLEKIT_HUB_REPO,
                filename=f"{self.prefix}/{name}/model.safetensors", sha256=sha256,
                revision=STYLEKIT_HUB_REVISION,
                license=TRAINED_LICENSE, local_path=f"{self.prefix}/{name}/model.safetensors",
            ))

    def names(self) -> list[str]:
        """The shipped (or Hub) names of this kind."""
        return sorted([*self.virtual, *(n.split("/", 1)[1] for n in WEIGHTS
                                        if n.startswith(self.prefix + "/"))])

    def source(self, name: str) -> str:
        """Where a shipped name would be loaded from (``local <path>`` or ``Hub <repo>/<file>``),
        without downloading anything."""
        if name in self.virtual:
            return self.virtual[name]()
        return describe_source(WEIGHTS[f"{self.prefix}/{name}"])

    def is_local(self, name: str) -> bool:
        """Whether a shipped name is on disk already (no download needed to use it)."""
        return self.source(name).startswith("local ")

    def file(self, model: str) -> Path:
        """The file of a name, a ``.safetensors`` path, or a folder holding one."""
        path = Path(model).expanduser()
        if path.suffix == ".safetensors" or path.is_dir() or "/" in model or "\\" in model:
            file = path / "model.safetensors" if path.is_dir() else path
            if not file.is_file():
                raise WeightsError(f"{self.what} file {file} does not exist; check the path")
            return file
        if f"{self.prefix}/{model}" not in WEIGHTS:
            command = f"stylekit train {self.trainer or self.prefix}"
            raise ConfigError(
                f"unknown {self.what} {model!r}; available: {', '.join(self.names()) or 'none'}"
                f" (or the path of a model.safetensors from `{command}`)"
            )
        return resolve_weights(WEIGHTS[f"{self.prefix}/{model}"])

    def load(self, model: str) -> nn.Module:
        """The network of ``model`` with its weights, in eval mode, without gradients."""
        from safetensors import SafetensorError, safe_open

        file = self.file(model)
        try:
            with safe_open(str(file), framework="pt") as handle:
                meta = handle.metadata() or {}
                state = {key: handle.get_tensor(key) for key in handle.keys()}  # noqa: SIM118
        except (SafetensorError, OSError, ValueError) as exc:
            raise WeightsError(
                f"{self.what} file {file} is not a readable safetensors file ({exc}); delete "
                "it or download it again"
            ) from None
        if meta.get("architecture") != self.architecture:
            raise WeightsError(
                f"{file} is not a stylekit {self.what} (metadata architecture="
                f"{meta.get('architecture')!r}, expected {self.architecture!r})"
            )
        try:
            net = self.build(meta)
            net.load_state_dict({k: v.float() for k, v in state.items()})
        except (KeyError, ValueError, TypeError, RuntimeError) as exc:
            raise WeightsError(
                f"{self.what} file {file} does not match its architecture: {exc}"
            ) from None
        return net.eval().requires_grad_(False)
