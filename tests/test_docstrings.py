"""The public API documents itself: Args / Returns and an Example that runs as a doctest.

pytest runs the examples (``--doctest-modules`` on the package); this test makes sure they
exist, so a new public function cannot arrive without one.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import pytest

import stylekit
from stylekit import (
    base,
    color,
    device,
    errors,
    examples,
    fileio,
    hub,
    images,
    losses,
    models,
    optim,
    registry,
    tiling,
    transforms,
    vgg,
    vgg_weights,
)
from stylekit.nets import adain, reconstruction, transformer

#: Modules whose public functions and classes are all documented with examples.
DOCUMENTED_MODULES: tuple[ModuleType, ...] = (
    base, color, device, errors, examples, fileio, hub, images, losses, models, optim,
    registry, tiling, transforms, vgg, vgg_weights, adain, reconstruction, transformer,
)
#: Documented, but an example would need the network, change a table every test shares, or
#: (torch.compile) take seconds.
NO_EXAMPLE = {"stylekit.hub.hub_download", "stylekit.hub.register_weights",
              "stylekit.device.CompiledModule"}


def _own_public(module: ModuleType) -> Iterator[tuple[str, Any]]:
    """The public functions and classes a module defines itself (not those it imports)."""
    for name, obj in vars(module).items():
        if name.startswith("_") or not (inspect.isfunction(obj) or inspect.isclass(obj)):
            continue
        if getattr(obj, "__module__", None) == module.__name__:
            yield f"{module.__name__}.{name}", obj


def _api() -> dict[str, Any]:
    # The config metadata (MethodConfig, ParamSpec, describe) and the methods are documented
    # with their own modules.
    exported = {
        f"stylekit.{name}": getattr(stylekit, name) for name in stylekit.__all__
        if not getattr(stylekit, name).__module__.startswith(("stylekit.config",
                                                              "stylekit.methods"))
    }
    for module in DOCUMENTED_MODULES:
        exported.update(_own_public(module))
    return exported


API = _api()


def _takes_arguments(obj: Any) -> bool:
    target = obj.__init__ if inspect.isclass(obj) else obj
    if target is object.__init__:
        return False
    params = [p for p in inspect.signature(target).parameters.values() if p.name != "self"]
    return bool(params)


def test_the_api_list_is_complete() -> None:
    """Guards the test itself: the names it checks include the main entry points."""
    for name in ("stylekit.create_stylizer", "stylekit.Stylizer", "stylekit.losses.gram_matrix",
                 "stylekit.vgg.VGG19Features", "stylekit.vgg_weights.get_weight_source",
                 "stylekit.nets.adain.adain", "stylekit.nets.transformer.TransformerNet"):
        assert name in API
    assert len(API) >= 90


@pytest.mark.parametrize("name", sorted(API))
def test_documented_with_an_example(name: str) -> None:
    obj = API[name]
    doc = inspect.getdoc(obj) or ""
    assert doc, f"{name} has no docstring"
    if name not in NO_EXAMPLE:
        assert ">>> " in doc, f"{name} has no Example (a doctest)"
    if inspect.isclass(obj) and issubclass(obj, BaseException):
        return  # exceptions take their message
    if _takes_arguments(obj):
        assert "Args:" in doc or "Attributes:" in doc, f"{name} does not describe its arguments"
    if inspect.isfunction(obj) and inspect.signature(obj).return_annotation not in ("None", None):
        assert "Returns" in doc, f"{name} does not say what it returns"
