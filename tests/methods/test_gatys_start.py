"""Gatys started from a one-pass picture (adain, wct, arbitrary): real networks, tiny sizes."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from stylekit import ConfigError, create_stylizer, to_tensor
from stylekit.cli import main
from stylekit.examples import example_path
from stylekit.methods.gatys import ONE_PASS_STARTS, GatysConfig


@pytest.fixture(scope="module")
def gatys():
    """One Gatys stylizer for the module: it keeps the one-pass networks it loads."""
    return create_stylizer("gatys", device="cpu", size=64, scales=(64,))


@pytest.fixture(scope="module")
def adain():
    return create_stylizer("adain", device="cpu")


def _reduced(picture: Image.Image, size: tuple[int, int]) -> Image.Image:
    return picture.resize(size, Image.Resampling.BICUBIC)


def test_starts_from_exactly_the_adain_picture(gatys, adain, content_path, style_path) -> None:
    # Painted at twice the output size (init_scale), then reduced to it.
    picture = _reduced(adain.stylize(content_path, style_path, size=128, alpha=0.7), (64, 43))
    seen: list[torch.Tensor] = []

    def first_point(x: torch.Tensor) -> torch.Tensor:
        if not seen:
            seen.append(x.detach().clone())
        return x.sum() * 0.0

    records = list(gatys.iterate(content_path, style_path, extra_loss=first_point, steps=1,
                                 init="adain", init_settings={"alpha": 0.7}, save_every=1))
    assert [r.step for r in records] == [0, 1]
    assert records[0].image is not None and not records[0].done
    assert np.array_equal(np.asarray(records[0].image), np.asarray(picture))
    # The optimisation's first point is that picture, pixel for pixel.
    assert torch.equal(seen[0], to_tensor(picture))
    assert records[-1].done and records[-1].image.size == picture.size


@pytest.mark.parametrize("init_scale", [1.0, 1.5])
def test_init_scale_sets_the_size_the_start_is_painted_at(gatys, adain, content_path,
                                                          style_path, init_scale) -> None:
    painted = adain.stylize(content_path, style_path, size=round(64 * init_scale))
    records = list(gatys.iterate(content_path, style_path, steps=1, init="adain",
                                 init_scale=init_scale, save_every=1))
    assert records[0].image.size == (64, 43)
    assert np.array_equal(np.asarray(records[0].image),
                          np.asarray(_reduced(painted, (64, 43))))


def test_the_default_refines_an_arbitrary_picture_at_the_output_size_alone() -> None:
    cfg = GatysConfig()
    assert cfg.init == "arbitrary" and cfg.init_scale == 2.0
    assert cfg.schedule() == [(cfg.size, cfg.steps)]  # a single scale: no coarse smears
    assert GatysConfig(init="content").schedule() == [(192, 7), (384, 8)]
    assert GatysConfig(init="adain", scales=(32, 64)).scale_list() == [32, 64]  # as given


def test_the_start_is_coarse_to_fine_too(gatys, content_path, style_path) -> None:
    records = list(gatys.iterate(content_path, style_path, scales=(32, 64), steps=4,
                                 init="adain", save_every=2))
    assert records[0].step == 0 and max(records[0].image.size) == 64  # at the output size
    assert [r.scale for r in records[1:]] == [32, 32, 64, 64]


def test_no_start_record_when_only_the_final_image_is_wanted(gatys, content_path,
                                                             style_path) -> None:
    records = list(gatys.iterate(content_path, style_path, steps=2, init="adain",
                                 save_every=0))
    assert [r.step for r in records] == [1, 2]


def test_the_start_lowers_the_style_loss_below_the_photos(gatys, content_path,
                                                          style_path) -> None:
    photo = list(gatys.iterate(content_path, style_path, steps=1, init="content"))
    started = list(gatys.iterate(content_path, style_path, steps=1, init="adain"))
    assert started[-1].losses["style"] < photo[-1].losses["style"]


@pytest.mark.slow
@pytest.mark.parametrize("init", ["wct", "arbitrary"])
def test_other_one_pass_starts(content_path, style_path, init) -> None:
    from stylekit.methods.gatys import START_MODEL

    # The arbitrary start paints with its own network (START_MODEL), without the painterly
    # finish (the start Gatys was judged with).
    extra = {"model": START_MODEL, "patch_radius": 0} if init == "arbitrary" else {}
    direct = create_stylizer(init, device="cpu").stylize(content_path, style_path, size=128,
                                                          **extra)
    records = list(create_stylizer("gatys", device="cpu", size=64, scales=(64,), steps=1,
                                   init=init).iterate(content_path, style_path))
    assert np.array_equal(np.asarray(records[0].image),
                          np.asarray(_reduced(direct, records[0].image.size)))


def test_settings_are_checked_and_named() -> None:
    assert set(ONE_PASS_STARTS) <= set(GatysConfig.__dataclass_fields__["init"].metadata[
        "choices"])
    cfg = GatysConfig(init="adain", init_settings=("alpha=0.5", "levels=relu4_1", "relu3_1"))
    assert cfg.start_settings() == {"alpha": "0.5", "levels": "relu4_1,relu3_1"}
    assert GatysConfig(init="adain", init_settings={"levels": ("relu4_1",)}).init_settings == (
        "levels=relu4_1",)
    with pytest.raises(ConfigError, match=r"unknown setting\(s\) alfa .*valid ones are: alpha"):
        GatysConfig(init="adain", init_settings={"alfa": 0.5})
    with pytest.raises(ConfigError, match="init_settings of the adain start.*alpha"):
        GatysConfig(init="adain", init_settings={"alpha": 3})
    with pytest.raises(ConfigError, match="device"):  # the run's own device applies
        GatysConfig(init="wct", init_settings={"device": "cpu"})
    with pytest.raises(ConfigError, match="one-pass start"):
        GatysConfig(init="content", init_settings={"alpha": 0.5})
    with pytest.raises(ConfigError, match="name=value"):
        GatysConfig(init="adain", init_settings=("0.5",))


@pytest.mark.slow
def test_the_command_line_takes_the_start(adain, tmp_path) -> None:
    out, steps = tmp_path / "result.png", tmp_path / "steps"
    code = main(["stylize", "example:chelsea", "--style", "example:hubble", "--size", "64",
                 "--scales", "64", "--steps", "2", "--init", "adain", "--init-settings",
                 "alpha=0.6", "levels=relu4_1,relu3_1", "-q", "--save-every", "2",
                 "--save-dir", str(steps), "-o", str(out)])
    assert code == 0 and Image.open(out).size == (64, 43)
    start = _reduced(adain.stylize(
        example_path("chelsea"), example_path("hubble"), size=128, alpha=0.6,
        levels=("relu4_1", "relu3_1")), (64, 43))
    saved = sorted(p.name for p in steps.iterdir())
    assert saved == ["result_step00000.png", "result_step00002.png"]
    assert np.array_equal(np.asarray(Image.open(steps / saved[0]).convert("RGB")),
                          np.asarray(start))


def test_a_size_the_start_cannot_paint_is_named(gatys, content_path, style_path) -> None:
    with pytest.raises(ConfigError, match=r"the adain start of gatys: .*'size' must be >= 64"):
        gatys.stylize(content_path, style_path, size=48, scales=(48,), init="adain",
                      init_scale=1.0)


def test_the_arbitrary_start_paints_with_the_gatys_start_network_unless_told():
    from stylekit.methods.gatys import START_MODEL, GatysStylizer

    gatys = GatysStylizer(init="arbitrary", size=64, device="cpu")
    start = gatys.one_pass_start(gatys.config, example_path("chelsea"), [example_path("udnie")])
    assert [model for model, _ in gatys._starters["arbitrary"]._nets] == [START_MODEL]
    other = gatys.one_pass_start(gatys.config.replace(init_settings=("model=default",)),
                                 example_path("chelsea"), [example_path("udnie")])
    assert {model for model, _ in gatys._starters["arbitrary"]._nets} == {START_MODEL, "default"}
    assert start.size == other.size and start.tobytes() != other.tobytes()
