"""The fast method with a tiny random network (the shipped models have their own tests)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from stylekit import ConfigError, WeightsError, create_stylizer, load_image, to_tensor
from stylekit.color import rgb_to_yiq
from stylekit.methods.fast import available_models, load_transformer
from stylekit.nets.transformer import TransformerNet
from stylekit.training.checkpoint import export_safetensors


def test_loads_a_model_file(tiny_fast_model: Path) -> None:
    net = load_transformer(str(tiny_fast_model))
    assert net.spec.width == 4 and net.spec.blocks == 1 and not net.training
    assert load_transformer(str(tiny_fast_model.parent)).spec.width == 4  # a folder works too


def test_bad_model_files(tmp_path: Path, tiny_fast_model: Path) -> None:
    with pytest.raises(WeightsError, match="does not exist"):
        load_transformer(str(tmp_path / "none.safetensors"))
    garbage = tmp_path / "garbage.safetensors"
    garbage.write_bytes(b"not a safetensors file at all")
    with pytest.raises(WeightsError, match="not a readable safetensors"):
        load_transformer(str(garbage))
    cut = tmp_path / "cut.safetensors"
    cut.write_bytes(tiny_fast_model.read_bytes()[:-100])
    with pytest.raises(WeightsError):
        load_transformer(str(cut))
    other = tmp_path / "other.safetensors"
    export_safetensors({"w": torch.zeros(2)}, other, {"architecture": "resnet"})
    with pytest.raises(WeightsError, match="not a stylekit fast model"):
        load_transformer(str(other))
    lying = tmp_path / "lying.safetensors"
    net = TransformerNet(4, 1)
    export_safetensors(net.state_dict(), lying, TransformerNet(8, 1).spec.to_metadata())
    with pytest.raises(WeightsError, match="does not match"):
        load_transformer(str(lying))


def test_unknown_model_name_lists_the_known_ones() -> None:
    with pytest.raises(ConfigError, match="unknown fast model 'picasso'"):
        load_transformer("picasso")
    assert isinstance(available_models(), list)


def test_stylize_keeps_size_and_strength_zero_is_the_photo(content_path, tiny_fast_model) -> None:
    stylizer = create_stylizer("fast", model=str(tiny_fast_model), device="cpu")
    photo = load_image(content_path)
    out = stylizer.stylize(content_path)
    assert out.size == photo.size
    assert create_stylizer("fast", model=str(tiny_fast_model), size=100).stylize(
        content_path).size == (100, 67)
    same = stylizer.stylize(content_path, strength=0.0)
    assert np.array_equal(np.asarray(same), np.asarray(photo))
    half = np.asarray(stylizer.stylize(content_path, strength=0.5), dtype=float)
    mid = (np.asarray(out, dtype=float) + np.asarray(photo, dtype=float)) / 2
    assert np.abs(half - mid).max() <= 1.0


def test_luminance_keeps_the_photo_chroma(content_path, tiny_fast_model) -> None:
    out = create_stylizer("fast", model=str(tiny_fast_model), preserve_color="luminance").stylize(
        content_path)
    photo = to_tensor(load_image(content_path))
    err = (rgb_to_yiq(to_tensor(out))[:, 1:] - rgb_to_yiq(photo)[:, 1:]).abs().mean()
    assert err < 0.02


def test_rejects_a_style_image(content_path, style_path, tiny_fast_model) -> None:
    with pytest.raises(ConfigError, match="model=NAME"):
        create_stylizer("fast", model=str(tiny_fast_model)).stylize(content_path, style_path)


def test_tiled_result_has_no_seams(content_path, tiny_fast_model) -> None:
    stylizer = create_stylizer("fast", model=str(tiny_fast_model), size=900)
    whole = to_tensor(stylizer.stylize(content_path))
    tiled = to_tensor(stylizer.stylize(content_path, max_tile_pixels=600 * 600, tile_overlap=64))
    # Tiles use statistics pooled over crops, not the whole image's, so values shift (much
    # more for this random network than for a trained one), but the picture is the same and
    # there is no seam: neighbouring rows and columns differ no more where tiles meet.
    corr = torch.corrcoef(torch.stack([tiled.flatten(), whole.flatten()]))[0, 1]
    assert corr > 0.8
    for dim in (1, 2):
        steps = tiled[0].diff(dim=dim).abs().mean((0, 3 - dim))
        assert steps.max() < 4 * steps.median()


def test_compiled_network_gives_the_same_image(content_path, tiny_fast_model) -> None:
    eager = create_stylizer("fast", model=str(tiny_fast_model), device="cpu")
    compiled = create_stylizer("fast", model=str(tiny_fast_model), device="cpu", compile=True)
    for size in (96, 130):  # one compilation serves both sizes
        a = np.asarray(eager.stylize(content_path, size=size), dtype=np.int16)
        b = np.asarray(compiled.stylize(content_path, size=size), dtype=np.int16)
        assert np.abs(a - b).max() <= 1  # float rounding may move a value across a step
