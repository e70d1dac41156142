"""The teaching experiments (``stylekit.lessons``), with the real networks and no gradio."""

from __future__ import annotations

import pytest

from stylekit import ConfigError, list_stylizers
from stylekit.lessons import (
    compare,
    gram_gallery,
    init_race,
    layer_grid,
    one_pass_first,
    style_layer_presets,
)


def test_compare_runs_every_method_one_pass_first_with_times(
        content_path, style_path, tiny_fast_model, tiny_decoder, tiny_arbitrary_model) -> None:
    attempts = list(compare(
        content_path, style_path,
        models={"fast": str(tiny_fast_model), "adain": str(tiny_decoder),
                "arbitrary": str(tiny_arbitrary_model)},
        settings={"gatys": {"size": 48, "steps": 4}, "fast": {"size": 48},
                  "adain": {"size": 64, "style_size": 64}, "wct": {"size": 64, "style_size": 64},
                  "arbitrary": {"size": 64, "style_size": 128}}))
    finals = [a for a in attempts if a.record is not None and a.record.done]
    assert [a.method for a in finals] == one_pass_first() == [
        "adain", "arbitrary", "fast", "wct", "gatys"]
    assert all(a.record.image is not None and a.record.elapsed > 0 for a in finals)
    assert finals[2].label == f"fast ({tiny_fast_model})"
    # Gatys reports its steps on the way.
    assert [a.record.step for a in attempts if a.method == "gatys"][-1] == 4


def test_compare_reports_a_failure_and_goes_on(content_path, style_path, tmp_path) -> None:
    attempts = list(compare(content_path, style_path, methods=["fast", "wct"],
                            models={"fast": str(tmp_path / "missing.safetensors")},
                            settings={"wct": {"size": 64, "style_size": 64}}))
    assert attempts[0].method == "fast" and attempts[0].record is None
    assert attempts[0].problem.startswith("failed: ") and "missing.safetensors" in \
        attempts[0].problem
    assert attempts[-1].method == "wct" and attempts[-1].record.done


def test_the_layer_grid_has_a_cell_per_preset_pair_and_they_differ(content_path,
                                                                   style_path) -> None:
    import numpy as np

    cells = {(c, s): r.image for c, s, r in layer_grid(content_path, style_path, size=48,
                                                         steps=6) if r.done}
    assert len(cells) == 2 * len(style_layer_presets())
    shallow = np.asarray(cells["relu4_2", "shallow"], dtype=float)
    deep = np.asarray(cells["relu4_2", "deep"], dtype=float)
    assert np.abs(shallow - deep).mean() > 1.0  # different layers paint differently


def test_the_race_from_noise_starts_far_above_the_photo(content_path, style_path) -> None:
    race = list(init_race(content_path, style_path, size=48, steps=6, snapshots=3))
    first = {init: next(r.losses["total"] for i, r in race if i == init)
             for init in ("noise", "content")}
    assert first["noise"] > first["content"]
    snapshots = [(i, r.step) for i, r in race if r.image is not None]
    assert snapshots == [("noise", 2), ("noise", 4), ("noise", 6),
                         ("content", 2), ("content", 4), ("content", 6)]


def test_gram_gallery_needs_a_layer(style_path) -> None:
    with pytest.raises(ConfigError, match="at least one layer"):
        gram_gallery(style_path, [])
    (heat, caption), = gram_gallery(style_path, ["relu2_1"])
    assert caption.startswith("relu2_1: 128 channels") and min(heat.size) >= 64


def test_every_registered_method_is_ordered() -> None:
    assert sorted(one_pass_first()) == list_stylizers()
