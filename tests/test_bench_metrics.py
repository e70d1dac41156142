"""The benchmarks' quality metric (bench/metrics.py) on small images."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from metrics import Metric  # noqa: E402


def test_painting_grams_are_cached_by_content_not_by_object() -> None:
    """An id() key let a freed painting's Grams answer for the next painting of the run."""
    metric = Metric()
    rng = np.random.default_rng(0)
    first = rng.integers(0, 255, (64, 64, 3), dtype=np.uint8)
    second = 255 - first
    a = metric.painting_grams(Image.fromarray(first), 64)
    again = metric.painting_grams(Image.fromarray(first.copy()), 64)  # another object
    b = metric.painting_grams(Image.fromarray(second), 64)
    assert len(metric._paintings) == 2
    assert all(a[k] is again[k] for k in a)
    assert all(not np.allclose(a[k].numpy(), b[k].numpy()) for k in a)


def test_the_photo_scores_content_zero_and_a_painting_scores_style_zero() -> None:
    metric = Metric()
    photo = Image.fromarray(np.random.default_rng(1).integers(0, 255, (64, 96, 3),
                                                              dtype=np.uint8))
    content, style = metric.score(photo, photo, photo)
    assert content == 0 and style < 1e-6
