"""The registry, the Stylizer contract and config-as-data, over every registered method."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import pytest
import torch

import stylekit
from stylekit import (
    ConfigError,
    MethodConfig,
    Progress,
    Stylizer,
    create_stylizer,
    describe,
    list_stylizers,
    register_stylizer,
)
from stylekit.config import param
from stylekit.device import resolve_device
from stylekit.registry import _REGISTRY

#: The smallest quick run of each method for the contract test. A new method adds its entry.
QUICK: dict[str, dict[str, Any]] = {
    "gatys": {"size": 48, "steps": 3, "scales": (48,), "save_every": 1},
    "fast": {"size": 48},  # plus the tiny model below
    "adain": {"size": 64, "style_size": 64},  # plus the tiny decoder below
    "wct": {"size": 64, "style_size": 64},  # plus the tiny decoders below
    "arbitrary": {"size": 64, "style_size": 128},  # plus the tiny network below
}


def test_registry_lists_and_creates() -> None:
    assert {"gatys", "fast", "adain"} <= set(list_stylizers())
    assert list_stylizers() == sorted(list_stylizers())
    stylizer = create_stylizer("gatys", steps=7)
    assert isinstance(stylizer, stylekit.methods.gatys.GatysStylizer)
    assert stylizer.config.steps == 7


def test_unknown_method_lists_the_valid_ones() -> None:
    with pytest.raises(ValueError, match="gatys"):
        create_stylizer("van-gogh-o-matic")


def test_register_a_new_method() -> None:
    @dataclasses.dataclass(frozen=True)
    class EchoConfig(MethodConfig):
        gain: float = param(1.0, "Multiply the content by this.", min=0.0)

    @register_stylizer("echo-test")
    class Echo(Stylizer[EchoConfig]):
        config_class = EchoConfig
        needs_style = False

        def iterate(self, content, style=None, **params) -> Iterator[Progress]:
            cfg = self.config.replace(**params)
            image = stylekit.load_image(content)
            t = stylekit.to_tensor(image) * cfg.gain
            yield Progress(step=1, total_steps=1, image=stylekit.to_pil(t), done=True)

    try:
        assert "echo-test" in list_stylizers()
        out = create_stylizer("echo-test", gain=0.0).stylize(torch.ones(3, 40, 40))
        assert out.getpixel((0, 0)) == (0, 0, 0)
        with pytest.raises(ValueError, match="already registered"):
            register_stylizer("echo-test")(type("Other", (Echo,), {}))
    finally:
        _REGISTRY.pop("echo-test", None)


@pytest.mark.parametrize("name", list_stylizers())
def test_config_is_frozen_documented_data(name: str) -> None:
    cls = stylekit.get_stylizer_class(name)
    config = cls.config_class()
    assert dataclasses.is_dataclass(config)
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.device = "cpu"  # type: ignore[misc]
    for spec in describe(cls.config_class):
        assert spec.help, f"{name}.{spec.name} has no help text"
    assert cls.description


@pytest.mark.parametrize("name", list_stylizers())
def test_contract_quick_run(name: str, content_path, style_path, tiny_fast_model,
                            tiny_decoder, tiny_decoder_set, tiny_arbitrary_model) -> None:
    params = dict(QUICK[name])
    params.update({"fast": {"model": str(tiny_fast_model)},
                   "adain": {"model": str(tiny_decoder)},
                   "arbitrary": {"model": str(tiny_arbitrary_model)},
                   "wct": {"decoders": str(tiny_decoder_set)}}.get(name, {}))
    stylizer = create_stylizer(name, device="cpu", **params)
    records = list(stylizer.iterate(content_path, style_path if stylizer.needs_style else None))
    assert records and records[-1].done and records[-1].image is not None
    assert all(not r.done for r in records[:-1])
    # Steps count up by one; a step 0 carries the start (Gatys from a one-pass picture).
    first = records[0].step
    assert first in (0, 1) and [r.step for r in records] == list(range(first, first + len(records)))
    assert first == 1 or (records[0].image is not None and not records[0].losses)
    assert records[-1].total_steps == records[-1].step
    assert all(r.elapsed >= 0 for r in records)
    image = stylizer.stylize(content_path, style_path if stylizer.needs_style else None)
    assert image.mode == "RGB" and max(image.size) == params["size"]


def test_config_coercion_and_validation() -> None:
    cfg = create_stylizer("gatys").config
    assert cfg.replace(steps=300.0).steps == 300  # sliders send floats
    assert cfg.replace(scales="64, 128").scales == (64, 128)
    assert cfg.replace(style_blend_weights=["0.7", "0.3"]).style_blend_weights == (0.7, 0.3)
    with pytest.raises(ConfigError, match="'steps'.*>= 1"):
        cfg.replace(steps=0)
    with pytest.raises(ConfigError, match="'steps' must be int"):
        cfg.replace(steps=2.5)
    with pytest.raises(ConfigError, match="'optimizer'.*lbfgs, adam"):
        cfg.replace(optimizer="sgd")
    with pytest.raises(ConfigError, match="unknown parameter.*valid ones are"):
        cfg.replace(stepz=3)
    with pytest.raises(ConfigError, match="cannot be None"):
        cfg.replace(size=None)


def test_resolve_device() -> None:
    assert resolve_device("cpu").type == "cpu"
    assert resolve_device("auto").type in ("cpu", "cuda", "mps")
    with pytest.raises(ConfigError, match="unknown device"):
        resolve_device("banana")
    if not torch.cuda.is_available():
        with pytest.raises(ConfigError, match="CUDA is not available"):
            resolve_device("cuda")


@pytest.mark.parametrize("name", list_stylizers())
def test_non_finite_numbers_are_refused(name: str) -> None:
    cfg = create_stylizer(name).config
    floats = [s.name for s in describe(type(cfg)) if s.base_type is float and not s.is_sequence]
    assert floats, name
    for value in (float("nan"), "inf", "-Infinity"):
        with pytest.raises(ConfigError, match=f"'{floats[0]}' must be a finite number"):
            cfg.replace(**{floats[0]: value})
