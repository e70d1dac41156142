"""Shared fixtures. Images come from the scikit-image wheel or are drawn here; the shared
training data (../shared/data) is only used by tests that skip cleanly without it."""

from __future__ import annotations

import socket
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

    from stylekit.nets.transformer import TransformerNet
    from stylekit.training.checkpoint import export_safetensors

    torch.manual_seed(0)
    net = TransformerNet(width=4, blocks=1)
    path = tmp_path_factory.mktemp("fast") / "model.safetensors"
    export_safetensors(net.state_dict(), path, {**net.spec.to_metadata(), "style": "random"})
    return path


@pytest.fixture(scope="session")
def tiny_decoder(tmp_path_factory) -> Path:
    """A randomly initialised, narrow AdaIN decoder saved as a stylekit model file."""
    import torch

    from stylekit.nets.adain import Decoder
    from stylekit.training.checkpoint import export_safetensors

    torch.manual_seed(0)
    decoder = Decoder((8, 8, 8))
    path = tmp_path_factory.mktemp("adain") / "model.safetensors"
    export_safetensors(decoder.state_dict(), path, decoder.spec.to_metadata())
    return path


@pytest.fixture(scope="session")
def tiny_arbitrary_model(tmp_path_factory) -> Path:
    """A randomly initialised, very small arbitrary-style network saved as a stylekit model
    file, with the shipped paintings as stored styles."""
    import torch

    from stylekit.examples import PAINTINGS
    from stylekit.nets.conditional import ConditionalTransformerNet
    from stylekit.training.checkpoint import export_safetensors

    torch.manual_seed(0)
    net = ConditionalTransformerNet(width=4, blocks=1, style_dim=4, hidden=8)
    net.store_styles({name: torch.randn(4) for name in PAINTINGS})
    path = tmp_path_factory.mktemp("arbitrary") / "model.safetensors"
    export_safetensors(net.state_dict(), path, net.metadata())
    return path


@pytest.fixture(scope="session")
def tiny_decoder_set(tmp_path_factory) -> Path:
    """Randomly initialised, narrow reconstruction decoders for every level, in one folder
    (``<layer>/model.safetensors``, what ``stylekit train decoder`` writes per level)."""
    import torch

    from stylekit.nets.reconstruction import LEVELS, ReconstructionDecoder, paper_widths
    from stylekit.training.checkpoint import export_safetensors

    torch.manual_seed(0)
    folder = tmp_path_factory.mktemp("decoders")
    for layer in LEVELS:
        decoder = ReconstructionDecoder(layer, widths=tuple(8 for _ in paper_widths(layer)))
        export_safetensors(decoder.state_dict(), folder / layer / "model.safetensors",
                           decoder.spec.to_metadata())
    return folder


@pytest.fixture(scope="session")
def live_app(tmp_path_factory, tiny_fast_model, tiny_decoder, tiny_arbitrary_model):
    """The Gradio app (``stylekit.app``) served in-process on a free port, with tiny test models.

    The tiny networks are put in a local weights folder (``STYLEKIT_WEIGHTS_DIR``) and
    registered as shipped models, the same path real shipped weights take, before the app
    builds its model dropdowns. Yields ``(the stylekit.app package, url)``.
    """
    import os
    import shutil
    import socket

    from stylekit.hub import WEIGHTS
    from stylekit.methods.adain import DECODERS
    from stylekit.methods.fast import FAST_MODELS
    from stylekit.nets.conditional import ARBITRARY_MODELS

    kinds = ((FAST_MODELS, tiny_fast_model), (DECODERS, tiny_decoder),
             (ARBITRARY_MODELS, tiny_arbitrary_model))
    weights = tmp_path_factory.mktemp("weights")
    for kind, model in kinds:
        (weights / kind.prefix / "tiny_test").mkdir(parents=True)
        shutil.copy(model, weights / kind.prefix / "tiny_test" / "model.safetensors")
        kind.register_shipped({"tiny_test": None})
    saved_env = os.environ.get("STYLEKIT_WEIGHTS_DIR")
    os.environ["STYLEKIT_WEIGHTS_DIR"] = str(weights)

    from stylekit import app
    from stylekit.app import profile

    # Small runs, so each request takes seconds (the app's CPU profile is for people).
    profile.PROFILE["gatys"].update(size=64, steps=12, save_every=3)
    profile.LEARN_RUN.update(size=48, steps=6)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    page = app.build()
    page.queue(max_size=16, default_concurrency_limit=1)
    page.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True,
                max_file_size=profile.MAX_UPLOAD, quiet=True)
    try:
        yield app, f"http://127.0.0.1:{port}/"
    finally:
        page.close()
        for kind, _ in kinds:
            WEIGHTS.pop(f"{kind.prefix}/tiny_test", None)
        if saved_env is None:
            os.environ.pop("STYLEKIT_WEIGHTS_DIR", None)
        else:
            os.environ["STYLEKIT_WEIGHTS_DIR"] = saved_env


@pytest.fixture
def free_port() -> int:
    """A TCP port nothing listens on now: torchrun's rendezvous (a fixed one may still be
    held by an earlier run)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
