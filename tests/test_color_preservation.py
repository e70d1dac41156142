"""Histogram colour preservation, for every method that offers it, with its real networks.

What the mode promises differs by method: ``fast`` and ``arbitrary`` recolour their output
to the photo's colour mean and covariance; ``gatys``, ``adain`` and ``wct`` recolour the
painting to the photo's before painting with it. Both must show in the result: its colour
statistics end much nearer the photo's than without the mode (on a photo and a painting of
very different colours).
"""

from __future__ import annotations

import pytest
import torch

import stylekit
from stylekit import create_stylizer, load_image, resize_long_side, to_tensor
from stylekit.examples import example_path

pytestmark = pytest.mark.slow

METHODS = [m for m in stylekit.list_stylizers()
           if any(s.name == "preserve_color" and "histogram" in (s.choices or ())
                  for s in stylekit.describe(stylekit.get_stylizer_class(m).config_class))]
QUICK = {"gatys": {"size": 96, "scales": (96,), "steps": 30}, "fast": {"size": 128},
         "adain": {"size": 128}, "wct": {"size": 128}, "arbitrary": {"size": 128}}


def colour_stats(image) -> tuple[torch.Tensor, torch.Tensor]:
    flat = to_tensor(image).double().reshape(3, -1)
    return flat.mean(1), torch.cov(flat)


def distance(image, photo) -> float:
    (m1, c1), (m2, c2) = colour_stats(image), colour_stats(photo)
    return float((m1 - m2).norm() + (c1 - c2).norm())


@pytest.mark.parametrize("method", METHODS)
def test_histogram_mode_keeps_the_photo_colours(method: str) -> None:
    photo = resize_long_side(load_image(example_path("chelsea")), QUICK[method]["size"])
    painting = example_path("starry_night")  # deep blues against a brown cat
    stylizer = create_stylizer(method, device="cpu", **QUICK[method])
    style = None if method == "fast" else painting
    plain = stylizer.stylize(photo, style)
    kept = stylizer.stylize(photo, style, preserve_color="histogram")
    assert distance(kept, photo) < 0.5 * distance(plain, photo), method
    if method in ("fast", "arbitrary"):  # recoloured output: the photo's, up to clipping
        (m1, c1), (m2, c2) = colour_stats(kept), colour_stats(photo)
        torch.testing.assert_close(m1, m2, atol=0.03, rtol=0)
        torch.testing.assert_close(c1, c2, atol=0.01, rtol=0)
