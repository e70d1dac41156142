"""Feature transforms (WCT and AdaIN as affine maps), against hand-computed values."""

from __future__ import annotations

import math

import pytest
import torch

from stylekit.nets.adain import adain
from stylekit.transforms import (
    EIG_FLOOR,
    blend_style_stats,
    content_map,
    feature_stats,
    matrix_power,
    style_stats,
    wct,
    whiten,
)


def test_feature_stats_by_hand() -> None:
    # channel 0: 1, 3, 5, 7; channel 1: 2, 2, 4, 4 (four pixels in a 2x2 map)
    f = torch.tensor([[[[1.0, 3.0], [5.0, 7.0]], [[2.0, 2.0], [4.0, 4.0]]]])
    mean, cov = feature_stats(f)
    assert mean.flatten().tolist() == [4.0, 3.0]
    # var0 = (9+1+1+9)/4 = 5; var1 = 1; cov01 = (-3*-1 + -1*-1 + 1*1 + 3*1)/4 = 2
    assert cov.tolist() == [[5.0, 2.0], [2.0, 1.0]]
    assert mean.dtype == torch.float64


def test_feature_stats_with_region_weights() -> None:
    f = torch.tensor([[[[1.0, 3.0], [5.0, 7.0]]]])
    weights = torch.tensor([[[[1.0, 1.0], [0.0, 0.0]]]])  # the top row only
    mean, cov = feature_stats(f, weights)
    assert mean.item() == 2.0 and cov.item() == 1.0


def test_matrix_power_of_a_rotated_matrix() -> None:
    angle = 0.3
    rotation = torch.tensor([[math.cos(angle), -math.sin(angle)],
                             [math.sin(angle), math.cos(angle)]], dtype=torch.float64)
    cov = rotation @ torch.diag(torch.tensor([16.0, 4.0], dtype=torch.float64)) @ rotation.T
    root = matrix_power(cov, 0.5)
    torch.testing.assert_close(root @ root, cov)
    torch.testing.assert_close(matrix_power(cov, -0.5) @ root, torch.eye(2, dtype=torch.float64))


def test_matrix_power_drops_directions_the_data_does_not_use() -> None:
    cov = torch.diag(torch.tensor([4.0, 1e-12]))
    whiten = matrix_power(cov, -0.5)
    assert torch.isfinite(whiten).all()
    assert whiten.tolist() == [[0.5, 0.0], [0.0, 0.0]]


def test_the_eigenvalue_floor_is_relative_and_bounds_the_gain() -> None:
    """As transforms.py says (it claimed the paper's cut-off, which is absolute): at or below
    EIG_FLOOR times the largest variance a direction is dropped, above it whitened however
    weak, so the gain is at most EIG_FLOOR ** -0.5 (316) times the strongest direction's."""
    for scale in (1.0, 255.0**2):  # the features' scale does not move the cut-off
        variances = scale * torch.tensor([1.0, 1.01 * EIG_FLOOR, EIG_FLOOR, 1e-9],
                                         dtype=torch.float64)
        gains = matrix_power(torch.diag(variances), -0.5).diagonal() * math.sqrt(scale)
        assert gains[2:].tolist() == [0.0, 0.0]
        assert gains[1] / gains[0] == pytest.approx((1.01 * EIG_FLOOR) ** -0.5)
        assert gains[1] / gains[0] <= EIG_FLOOR**-0.5 == pytest.approx(316.2, abs=0.1)


def test_whitening_then_colouring_is_wct() -> None:
    """The Learn tab's lesson shows the two halves; together they are one wct() level."""
    torch.manual_seed(0)
    mixing = torch.tensor([[1.0, 0.5, 0.0], [0.0, 2.0, 0.3], [0.2, 0.0, 3.0]])
    content = torch.einsum("ij,bjhw->bihw", mixing, torch.randn(1, 3, 24, 24)) + 4
    style = torch.randn(1, 3, 16, 16) * torch.tensor([2.0, 1, 0.5]).view(1, 3, 1, 1) - 1
    white = whiten(content)
    mean, cov = feature_stats(white)
    assert torch.allclose(cov, torch.eye(3, dtype=cov.dtype), atol=1e-5)
    assert mean.abs().max() < 1e-5
    colouring = style_stats(style, "wct")
    coloured = content_map(white, colouring, "wct")  # white is already white: identity map
    torch.testing.assert_close(coloured(white), wct(content, style), atol=1e-4, rtol=0)


def test_wct_gives_the_style_mean_and_covariance() -> None:
    torch.manual_seed(0)
    mixing = torch.randn(6, 6)
    content = torch.randn(1, 6, 20, 20)
    style = (mixing @ torch.randn(6, 300)).reshape(1, 6, 15, 20) + 3.0
    out = wct(content, style)
    out_mean, out_cov = feature_stats(out)
    style_mean, style_cov = feature_stats(style)
    torch.testing.assert_close(out_mean, style_mean, atol=1e-4, rtol=0)
    torch.testing.assert_close(out_cov, style_cov, atol=1e-3, rtol=1e-3)


def test_wct_alpha_and_own_style() -> None:
    torch.manual_seed(1)
    content = torch.randn(1, 4, 10, 10)
    style = torch.randn(1, 4, 8, 8) * 2
    torch.testing.assert_close(wct(content, style, alpha=0.0), content)
    # A photo in its own style is given back (whitening then colouring with the same matrix).
    torch.testing.assert_close(wct(content, content), content, atol=1e-4, rtol=1e-4)
    half = wct(content, style, alpha=0.5)
    torch.testing.assert_close(half, 0.5 * wct(content, style) + 0.5 * content)


def test_the_adain_map_is_adain() -> None:
    torch.manual_seed(2)
    content = torch.randn(1, 5, 9, 9) * 3 + 1
    style = torch.randn(1, 5, 7, 7) * 0.5 - 2
    mapped = content_map(content, style_stats(style, "adain"), "adain")(content)
    torch.testing.assert_close(mapped, adain(content, style), atol=1e-4, rtol=1e-4)


def test_blended_maps_blend_the_results() -> None:
    torch.manual_seed(3)
    content = torch.randn(1, 4, 8, 8)
    a, b = style_stats(torch.randn(1, 4, 6, 6), "wct"), style_stats(torch.randn(1, 4, 6, 6) + 1,
                                                                    "wct")
    blended = content_map(content, blend_style_stats([a, b], [0.25, 0.75]), "wct")(content)
    separate = (0.25 * content_map(content, a, "wct")(content)
                + 0.75 * content_map(content, b, "wct")(content))
    torch.testing.assert_close(blended, separate, atol=1e-5, rtol=1e-5)


def test_a_map_applies_to_tiles_as_to_the_whole() -> None:
    torch.manual_seed(4)
    content = torch.randn(1, 4, 8, 12)
    mapping = content_map(content, style_stats(torch.randn(1, 4, 5, 5), "wct"), "wct")
    whole = mapping(content)
    torch.testing.assert_close(mapping(content[..., :, :5]), whole[..., :, :5])


def test_unknown_transform() -> None:
    with pytest.raises(ValueError, match="wct, adain"):
        content_map(torch.randn(1, 2, 3, 3), style_stats(torch.randn(1, 2, 3, 3), "wct"), "x")
