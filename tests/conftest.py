"""Shared fixtures. Images come from the scikit-image wheel or are drawn here; the shared
training data (../shared/data) is only used by tests that skip cleanly without it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from stylekit.examples import example_path

SHARED_DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data"


@pytest.fixture(scope="session")
def content_path() -> Path:
    """A real photo (Chelsea the cat, 451x300, from scikit-image)."""
    return example_path("chelsea")


@pytest.fixture(scope="session")
def style_path() -> Path:
    """A real colourful texture (Hubble deep field, from scikit-image)."""
    return example_path("hubble")


@pytest.fixture(scope="session")
def second_style_path() -> Path:
    return example_path("ihc")


@pytest.fixture()
def gradient_image() -> Image.Image:
    """A 96x64 RGB image with distinct values everywhere."""
    y, x = np.mgrid[0:64, 0:96]
    array = np.stack([x * 255 // 95, y * 255 // 63, (x + y) * 255 // 158], axis=-1)
    return Image.fromarray(array.astype(np.uint8), "RGB")


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The shared data folder, or skip (a fresh clone has none)."""
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is not present")
    return SHARED_DATA


@pytest.fixture(scope="session")
def tiny_fast_model(tmp_path_factory) -> Path:
    """A randomly initialised, very small fast-style network saved as a stylekit model file."""
    import torch

    from stylekit.methods.fast import model_metadata
    from stylekit.nets.transformer import TransformerNet
    from stylekit.training.common import export_safetensors

    torch.manual_seed(0)
    net = TransformerNet(width=4, blocks=1)
    path = tmp_path_factory.mktemp("fast") / "model.safetensors"
    export_safetensors(net.state_dict(), path, model_metadata(net, style="random"))
    return path


@pytest.fixture(scope="session")
def tiny_decoder(tmp_path_factory) -> Path:
    """A randomly initialised, narrow AdaIN decoder saved as a stylekit model file."""
    import torch

    from stylekit.methods.adain import decoder_metadata
    from stylekit.nets.adain import Decoder
    from stylekit.training.common import export_safetensors

    torch.manual_seed(0)
    decoder = Decoder((8, 8, 8))
    path = tmp_path_factory.mktemp("adain") / "model.safetensors"
    export_safetensors(decoder.state_dict(), path, decoder_metadata(decoder))
    return path
