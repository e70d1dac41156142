"""The blind panel's bench script (bench/panel.py): tallies, settings per painting, levers."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
import panel  # noqa: E402

from stylekit.examples import example_path  # noqa: E402
from stylekit.images import load_image, resize_long_side  # noqa: E402


def test_tally_counts_each_judge_line_against_the_key() -> None:
    key = {"01": "left", "02": "right", "03": "left"}
    text = "01 left\n02 LEFT\n3 tie\nthe left ones were cleaner\n04 left\n"
    assert panel.tally(key, text) == (1, 1, 1)


def test_a_setting_can_name_the_case_painting(tiny_fast_model, tmp_path) -> None:
    """``{painting}`` in a setting becomes the case's painting: how the built-in styles are
    put against the per-style networks, painting by painting."""
    models = tmp_path / "nets"
    (models / "johnson_udnie").mkdir(parents=True)
    (models / "johnson_udnie" / "model.safetensors").write_bytes(tiny_fast_model.read_bytes())
    render = panel.Renderer("old=fast", {"old": {"model": f"{models}/johnson_{{painting}}",
                                                 "size": "64"}})
    photo = resize_long_side(load_image(example_path("chelsea")), 64)
    picture = render(photo, load_image(example_path("udnie")), "udnie")
    assert picture.size == photo.size
    with pytest.raises(Exception, match="does not exist"):
        render(photo, load_image(example_path("mondrian")), "mondrian")


def test_levers_keep_the_size_and_unknown_ones_are_refused() -> None:
    photo = resize_long_side(load_image(example_path("chelsea")), 64)
    painting = load_image(example_path("udnie"))
    render = panel.Renderer("wct+palette+detail", {"wct": {"size": "64", "style_size": "64"}})
    assert render(photo, painting, "udnie").size == photo.size
    with pytest.raises(SystemExit, match="unknown lever"):
        panel.Renderer("wct+sparkle", {})


def test_the_cache_renders_a_side_once_per_spec_settings_and_size(tmp_path) -> None:
    """A slow reference (a 200-step Gatys run) is rendered once and reused by later panels;
    other settings or another size render afresh."""
    photo = resize_long_side(load_image(example_path("chelsea")), 64)
    painting = load_image(example_path("udnie"))
    args = type("Args", (), {"cache": str(tmp_path), "size": 64})()

    def picture(settings: dict[str, str]):
        render = panel.Renderer("ref=adain", {"ref": {"size": "64", **settings}})
        return panel.cached(render, photo, painting, "udnie", "chelsea__udnie", args)

    first = picture({"alpha": "0.5"})
    files = list(tmp_path.glob("*/chelsea__udnie.png"))
    assert len(files) == 1 and first.size == photo.size
    files[0].write_bytes(b"")  # a reused picture is read back, not rendered again ...
    with pytest.raises(Exception, match="cannot identify"):
        picture({"alpha": "0.5"})
    assert picture({"alpha": "1.0"}).size == photo.size  # ... other settings render afresh
    assert len(list(tmp_path.glob("*/chelsea__udnie.png"))) == 2


def test_the_cache_renders_afresh_when_the_shipped_weights_change(tmp_path, monkeypatch) -> None:
    """A picture cached before a new network shipped is not reused for the new one."""
    from stylekit.hub import WEIGHTS

    photo = resize_long_side(load_image(example_path("chelsea")), 64)
    painting = load_image(example_path("udnie"))
    args = type("Args", (), {"cache": str(tmp_path), "size": 64})()
    render = panel.Renderer("ref=adain", {"ref": {"size": "64"}})
    panel.cached(render, photo, painting, "udnie", "chelsea__udnie", args)
    name = next(n for n in WEIGHTS if n.startswith("arbitrary/"))
    monkeypatch.setitem(WEIGHTS, name, replace(WEIGHTS[name], sha256="0" * 64))
    panel.cached(render, photo, painting, "udnie", "chelsea__udnie", args)
    assert len(list(tmp_path.glob("*/chelsea__udnie.png"))) == 2


def test_the_cache_renders_afresh_when_a_method_s_defaults_change(tmp_path) -> None:
    """A picture cached before a method's default changed (say a new finishing filter) is
    not reused under the same spec and settings."""
    photo = resize_long_side(load_image(example_path("chelsea")), 64)
    painting = load_image(example_path("udnie"))
    args = type("Args", (), {"cache": str(tmp_path), "size": 64})()
    render = panel.Renderer("ref=adain", {"ref": {"size": "64"}})
    panel.cached(render, photo, painting, "udnie", "chelsea__udnie", args)
    assert render.stylizer is not None
    render.stylizer.config = render.stylizer.config.replace(alpha=0.5)
    panel.cached(render, photo, painting, "udnie", "chelsea__udnie", args)
    assert len(list(tmp_path.glob("*/chelsea__udnie.png"))) == 2
