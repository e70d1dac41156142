"""Tiled inference: coverage, blending, no seams."""

from __future__ import annotations

from itertools import pairwise

import pytest
import torch
from torch import nn

from stylekit.nets.transformer import TransformerNet, frozen_statistics
from stylekit.tiling import _starts, run_tiled, tile_size


@pytest.mark.parametrize(("length", "tile", "overlap"), [(100, 40, 8), (1000, 256, 64),
                                                         (41, 40, 8), (40, 40, 8)])
def test_tiles_cover_the_axis_with_enough_overlap(length, tile, overlap) -> None:
    starts = _starts(length, tile, overlap)
    assert starts[0] == 0 and starts[-1] + tile >= length
    assert all(b - a <= tile - overlap for a, b in pairwise(starts))


def test_identity_is_reconstructed_exactly() -> None:
    x = torch.rand(1, 3, 130, 97)
    calls = []

    def identity(t: torch.Tensor) -> torch.Tensor:
        calls.append(t.shape)
        return t

    torch.testing.assert_close(run_tiled(identity, x, max_pixels=40 * 40, overlap=8), x)
    assert len(calls) > 4 and all(h * w <= 40 * 40 for *_, h, w in calls)


def test_local_operation_has_no_seams() -> None:
    """A 3x3 convolution sees padding at tile borders; the blending hides it."""
    torch.manual_seed(0)
    conv = nn.Conv2d(3, 3, 3, padding=1)
    x = torch.rand(1, 3, 120, 150)
    with torch.no_grad():
        whole = conv(x)
        tiled = run_tiled(conv, x, max_pixels=48 * 48, overlap=16)
    error = (tiled - whole).abs()
    assert error.mean() < 1e-3 and error.max() < 0.05


def test_network_tiles_share_statistics() -> None:
    torch.manual_seed(0)
    net = TransformerNet(4, 1).eval()
    x = torch.rand(1, 3, 192, 256)
    with torch.no_grad(), frozen_statistics(net, x):
        whole = net(x)
        tiled = run_tiled(net, x, max_pixels=128 * 128, overlap=64)
    # Only the tiles' borders differ (their convolutions saw padding), and they fade out.
    assert (tiled - whole).abs().mean() < 0.05 * whole.std()


def test_tile_size() -> None:
    assert tile_size(1024 * 1024) == 1024
    assert tile_size(1000) == 28
