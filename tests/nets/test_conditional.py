"""The arbitrary-style network: conditional instance norms set by a painting's statistics."""

from __future__ import annotations

import pytest
import torch

from stylekit.errors import WeightsError
from stylekit.nets.conditional import (
    ARBITRARY_MODELS,
    STATS_DIM,
    ConditionalSpec,
    ConditionalTransformerNet,
    painting_statistics,
)
from stylekit.nets.transformer import frozen_statistics
from stylekit.training.checkpoint import export_safetensors


@pytest.fixture()
def net() -> ConditionalTransformerNet:
    torch.manual_seed(0)
    return ConditionalTransformerNet(width=4, blocks=1, style_dim=6, hidden=8).eval()


def test_statistics_are_log_means_then_deviations_per_layer():
    # Two channels: constant 3 (mean 3, deviation 0) and pixels 0, 4 (mean 2, deviation 2).
    features = torch.tensor([[[[3.0, 3.0]], [[0.0, 4.0]]]])
    stats = painting_statistics({"relu1_1": features}, ("relu1_1",))
    expected = torch.log1p(torch.tensor([[3.0, 2.0, 0.0, 2.0]]))
    assert torch.allclose(stats, expected)
    assert STATS_DIM == 2 * (64 + 128 + 256 + 512)


def test_a_new_network_is_a_plain_instance_norm_network_for_every_style(net):
    params = net.norm_params(torch.randn(3, 6))
    assert len(params) == len(net.spec.norm_channels) == 3 + 2 + 2
    for (gamma, beta), channels in zip(params, net.spec.norm_channels, strict=True):
        assert gamma.shape == beta.shape == (3, channels, 1, 1)
        assert torch.allclose(gamma, torch.ones_like(gamma), atol=0.1)
        assert torch.allclose(beta, torch.zeros_like(beta), atol=0.1)


def test_the_style_vector_changes_the_picture(net):
    with torch.no_grad():
        net.to_norm_params.weight.normal_(0, 0.5)
        x = torch.rand(1, 3, 24, 24)
        a, b = net(x, torch.randn(1, 6)), net(x, torch.randn(1, 6))
    assert a.shape == x.shape
    assert (a - b).abs().mean() > 1e-2


def test_a_region_of_ones_paints_that_style_alone(net):
    with torch.no_grad():
        net.to_norm_params.weight.normal_(0, 0.5)
        x, styles = torch.rand(1, 3, 20, 28), torch.randn(2, 6)
        first = torch.zeros(1, 2, 20, 28)
        first[:, 0] = 1.0
        assert torch.allclose(net(x, styles, first), net(x, styles[:1]), atol=1e-5)
        # Half and half: each half close to its own style away from the seam.
        split = torch.zeros(1, 2, 20, 28)
        split[:, 0, :, :14], split[:, 1, :, 14:] = 1.0, 1.0
        mixed = net(x, styles, split)
        left, right = net(x, styles[:1]), net(x, styles[1:])

    def gap(a, b, side):
        return (a[side] - b[side]).abs().mean()

    west, east = (..., slice(None, 6)), (..., slice(-6, None))
    assert gap(mixed, left, west) < gap(mixed, right, west)
    assert gap(mixed, right, east) < gap(mixed, left, east)


def test_frozen_statistics_hold_across_tiles(net):
    x, style = torch.rand(1, 3, 32, 32), torch.randn(1, 6)
    with torch.no_grad(), frozen_statistics(lambda t: net(t, style), x):
        whole, corner = net(x, style), net(x[..., :16, :16], style)
    assert torch.allclose(whole, net(x, style), atol=1e-5)
    assert not torch.allclose(corner, net(x[..., :16, :16], style), atol=1e-4)


def test_embedding_standardises_with_the_stored_statistics(net):
    stats = torch.rand(2, STATS_DIM)
    before = net.embed(stats)
    with torch.no_grad():
        net.stats_center.copy_(stats[0])
    assert not torch.allclose(net.embed(stats), before)
    assert torch.allclose(net.embed(stats[:1]), net.embedding[2].bias + net.embedding[0].bias
                          .relu() @ net.embedding[2].weight.T, atol=1e-5)


def test_file_round_trip_and_wrong_files(tmp_path, net, tiny_fast_model):
    path = tmp_path / "model.safetensors"
    export_safetensors(net.state_dict(), path, net.spec.to_metadata())
    loaded = ARBITRARY_MODELS.load(str(path))
    assert loaded.spec == ConditionalSpec(4, 1, 6, 8)
    x, style = torch.rand(1, 3, 16, 16), torch.randn(1, 6)
    assert torch.allclose(loaded(x, style), net(x, style), atol=2e-2)  # fp16 weights
    with pytest.raises(WeightsError, match="not a stylekit arbitrary-style model"):
        ARBITRARY_MODELS.load(str(tiny_fast_model))
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(WeightsError, match="not a readable safetensors"):
        ARBITRARY_MODELS.load(str(path))
