"""Reconstruction decoders: architecture per level, metadata, files."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from stylekit import WeightsError
from stylekit.nets.reconstruction import (
    LEVELS,
    RECONSTRUCTION_DECODERS,
    ReconstructionDecoder,
    ReconstructionSpec,
    paper_widths,
)
from stylekit.training.checkpoint import export_safetensors


@pytest.mark.parametrize(("layer", "channels", "stride"), [
    ("relu1_1", 64, 1), ("relu2_1", 128, 2), ("relu3_1", 256, 4), ("relu4_1", 512, 8),
    ("relu5_1", 512, 16)])
def test_each_level_mirrors_the_encoder(layer: str, channels: int, stride: int) -> None:
    decoder = ReconstructionDecoder(layer, widths=tuple(4 for _ in paper_widths(layer)))
    assert decoder.stride == stride
    assert decoder(torch.rand(2, channels, 3, 5)).shape == (2, 3, 3 * stride, 5 * stride)


def test_paper_widths_and_sizes() -> None:
    assert paper_widths("relu5_1") == (512, 256, 128, 64)
    assert paper_widths("relu1_1") == ()
    # relu1_1: a single 3x3 convolution 64 -> 3.
    assert sum(p.numel() for p in ReconstructionDecoder("relu1_1").parameters()) == 64 * 27 + 3
    # relu4_1 at the paper's widths is the AdaIN paper's decoder (3.5 M parameters).
    assert 3.4e6 < sum(p.numel() for p in ReconstructionDecoder("relu4_1").parameters()) < 3.6e6
    convs = [m for m in ReconstructionDecoder("relu5_1").modules()
             if isinstance(m, torch.nn.Conv2d)]
    assert len(convs) == 13  # as many as VGG-19 has up to relu5_1


def test_metadata_round_trip() -> None:
    spec = ReconstructionSpec("relu3_1", (32, 16))
    assert ReconstructionSpec.from_metadata(spec.to_metadata()) == spec
    with pytest.raises(ValueError, match="architecture"):
        ReconstructionSpec.from_metadata({"architecture": "adain-decoder", "layer": "relu4_1"})
    with pytest.raises(ValueError, match="2 positive widths"):
        ReconstructionSpec("relu3_1", (32,))
    with pytest.raises(ValueError, match="relu1_1, relu2_1"):
        ReconstructionSpec("relu6_1", ())


def test_files_load_with_their_architecture(tmp_path: Path) -> None:
    decoder = ReconstructionDecoder("relu2_1", widths=(8,))
    decoder.input_scale.fill_(3.0)
    path = tmp_path / "model.safetensors"
    export_safetensors(decoder.state_dict(), path, decoder.spec.to_metadata(), half=False)
    loaded = RECONSTRUCTION_DECODERS.load(str(path))
    assert isinstance(loaded, ReconstructionDecoder) and loaded.spec == decoder.spec
    x = torch.rand(1, 128, 4, 4)
    torch.testing.assert_close(loaded(x), decoder(x))
    other = tmp_path / "other.safetensors"
    export_safetensors(decoder.state_dict(), other, {"architecture": "adain-decoder"})
    with pytest.raises(WeightsError, match="not a stylekit reconstruction decoder"):
        RECONSTRUCTION_DECODERS.load(str(other))
    wrong = tmp_path / "wrong.safetensors"
    export_safetensors(decoder.state_dict(), wrong, {**decoder.spec.to_metadata(),
                                                     "widths": "16"})
    with pytest.raises(WeightsError, match="does not match"):
        RECONSTRUCTION_DECODERS.load(str(wrong))


def test_levels_are_ordered_shallow_to_deep() -> None:
    assert LEVELS == ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1")
