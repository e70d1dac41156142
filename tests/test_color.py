"""Colour-space conversions and colour preservation."""

from __future__ import annotations

import torch

from stylekit.color import (
    grey,
    luminance,
    match_color_histogram,
    match_luminance,
    recombine_luminance,
    rgb_to_yiq,
    yiq_to_rgb,
)


def test_yiq_by_hand_and_round_trip() -> None:
    white = torch.ones(1, 3, 1, 1)
    torch.testing.assert_close(rgb_to_yiq(white).flatten(), torch.tensor([1.0, 0.0, 0.0]),
                               atol=1e-5, rtol=0)
    red = torch.tensor([1.0, 0.0, 0.0]).view(1, 3, 1, 1)
    torch.testing.assert_close(rgb_to_yiq(red).flatten(),
                               torch.tensor([0.299, 0.595716, 0.211456]))
    image = torch.rand(2, 3, 8, 9)
    torch.testing.assert_close(yiq_to_rgb(rgb_to_yiq(image)), image, atol=1e-5, rtol=0)
    assert luminance(image).shape == (2, 1, 8, 9)
    g = grey(image)
    assert g.shape == image.shape and torch.equal(g[:, 0], g[:, 2])


def test_recombine_keeps_result_luminance_and_content_chroma() -> None:
    result, content = torch.rand(1, 3, 16, 16), torch.rand(1, 3, 16, 16)
    mixed = rgb_to_yiq(recombine_luminance(result, content))
    torch.testing.assert_close(mixed[:, 0], rgb_to_yiq(result)[:, 0], atol=1e-5, rtol=0)
    torch.testing.assert_close(mixed[:, 1:], rgb_to_yiq(content)[:, 1:], atol=1e-5, rtol=0)


def test_match_luminance_matches_mean_and_spread() -> None:
    style = torch.rand(1, 3, 20, 20) * 0.3
    content = torch.rand(1, 3, 24, 24) * 0.8 + 0.1
    matched = luminance(match_luminance(style, content))
    assert abs(matched.mean() - luminance(content).mean()) < 1e-5
    assert abs(matched.std() - luminance(content).std()) < 1e-4


def test_match_color_histogram_matches_mean_and_covariance() -> None:
    torch.manual_seed(0)
    style = torch.rand(1, 3, 30, 30) * torch.tensor([1.0, 0.2, 0.5]).view(1, 3, 1, 1)
    content = torch.rand(1, 3, 25, 25)
    content[:, 2] = 0.5 * content[:, 0] + 0.2  # correlated channels
    out = match_color_histogram(style, content).reshape(3, -1).double()
    c = content.reshape(3, -1).double()
    torch.testing.assert_close(out.mean(1), c.mean(1), atol=1e-6, rtol=0)
    torch.testing.assert_close(torch.cov(out), torch.cov(c), atol=1e-4, rtol=0)
