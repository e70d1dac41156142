"""Config fields to widgets (``stylekit.app.widgets``): every widget comes from a field's
metadata, so a new method gets a complete tab with no change to the app."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest

gr = pytest.importorskip("gradio")

import stylekit  # noqa: E402
from stylekit import MethodConfig, Progress, Stylizer, register_stylizer  # noqa: E402
from stylekit.app import build  # noqa: E402
from stylekit.app.profile import PROFILE  # noqa: E402
from stylekit.app.widgets import (  # noqa: E402
    control,
    params_from,
    visible_params,
    widget_value,
)
from stylekit.config import param  # noqa: E402
from stylekit.registry import _REGISTRY  # noqa: E402


@pytest.mark.parametrize("method", stylekit.list_stylizers())
def test_the_starting_widgets_give_the_profiles_config_back(method: str) -> None:
    config_class = stylekit.get_stylizer_class(method).config_class
    values = tuple(widget_value(method, spec) for spec in visible_params(method))
    assert config_class(**params_from(method, values)) == config_class(**PROFILE[method])


def test_gatys_layer_presets_are_offered_by_name_and_typed_layers_pass() -> None:
    style = next(s for s in visible_params("gatys") if s.name == "style_layers")
    widget = control("gatys", style)
    assert isinstance(widget, gr.Dropdown) and widget.allow_custom_value
    assert [c[0] for c in widget.choices] == ["gatys", "shallow", "deep"]
    assert widget.value == "gatys"
    specs = visible_params("gatys")
    values = [widget_value("gatys", s) for s in specs]
    values[specs.index(style)] = "relu1_1, relu3_1"
    params = params_from("gatys", tuple(values))
    assert stylekit.methods.gatys.GatysConfig(**params).style_layers == ("relu1_1", "relu3_1")


@pytest.mark.parametrize("method", stylekit.list_stylizers())
def test_preset_fields_start_on_a_name_their_dropdown_offers(method: str) -> None:
    """wct's levels have choices and presets: the widget shows the preset's name, not a list
    a single-choice dropdown cannot show."""
    for spec in [s for s in visible_params(method) if s.presets]:
        widget = control(method, spec)
        assert isinstance(widget, gr.Dropdown) and not widget.multiselect
        assert widget.value in [c[0] for c in widget.choices], (spec.name, widget.value)


@dataclasses.dataclass(frozen=True)
class BlurConfig(MethodConfig):
    radius: int = param(2, "Blur radius in pixels.", min=0, max=20)
    passes: tuple[str, ...] = param(("soft",), "Passes, or a preset.",
                                    presets={"soft": ("soft",), "both": ("soft", "hard")})
    gamma: float = param(1.0, "Gamma before blurring.", min=0.1, max=3.0, advanced=True)
    device: str = param("auto", "Device.", hidden=True)


@pytest.fixture()
def blur_method() -> Iterator[str]:
    """A method registered only for this test (it never runs)."""
    @register_stylizer("blur-test")
    class Blur(Stylizer[BlurConfig]):
        config_class = BlurConfig
        description = "a test method"

        def iterate(self, content, style=None, **params) -> Iterator[Progress]:
            raise NotImplementedError

    try:
        yield "blur-test"
    finally:
        _REGISTRY.pop("blur-test")


def test_a_new_method_gets_a_tab_from_its_config_metadata(blur_method: str) -> None:
    page = build().get_config_file()
    by_id = {c["props"].get("elem_id"): c for c in page["components"]}
    assert by_id[f"{blur_method}-radius"]["type"] == "slider"
    passes = by_id[f"{blur_method}-passes"]
    assert passes["type"] == "dropdown" and passes["props"]["value"] == "soft"
    assert [c[0] for c in passes["props"]["choices"]] == ["soft", "both"]
    assert f"{blur_method}-device" not in by_id  # hidden: the app sets it
    # The advanced field sits in the tab's "More settings" accordion, the others in the
    # (open) "Settings" one above it.
    ids = {c["id"]: c for c in page["components"]}
    parents = {child["id"]: node["id"] for node in _walk(page["layout"])
               for child in node.get("children", [])}

    def accordions(elem_id: str) -> list[str]:
        found, node = [], by_id[elem_id]["id"]
        while node in parents:
            node = parents[node]
            if ids.get(node, {}).get("type") == "accordion":
                found.append(ids[node]["props"]["label"])
        return found

    assert accordions(f"{blur_method}-gamma") == ["More settings"]
    assert accordions(f"{blur_method}-radius") == ["Settings"]


def _walk(node: dict) -> Iterator[dict]:
    yield node
    for child in node.get("children", []):
        yield from _walk(child)


def test_the_page_says_no_file_paths_commands_or_bare_layer_names() -> None:
    """What a class reads on the page: no repository paths or scripts, no commands to type,
    and a layer name (relu4_1) only where the text says what such names mean."""
    import re

    page = build()
    texts = []
    for block in page.blocks.values():
        for attr in ("info", "label"):
            texts.append(getattr(block, attr, None))
        if isinstance(block, gr.Markdown):
            texts.append(block.value)
    shown = [str(t) for t in texts if t]
    assert len(shown) > 50
    for text in shown:
        assert not re.search(r"bench/|\.py\b|\.safetensors|stylekit (list|train)|`stylekit|"
                             r"model path", text), text
        if re.search(r"relu\d", text):
            assert "block" in text, text


def test_a_class_lands_on_the_best_one_pass_method_first() -> None:
    """The tabs: any painting in one pass first, then the built-in styles, Gatys, the other
    methods, and Video, Compare and Learn last."""
    page = build()
    labels = [block.label for block in page.blocks.values() if isinstance(block, gr.Tab)]
    wanted = ["arbitrary", "fast", "gatys", "wct", "adain", "Video", "Compare", "Learn"]
    present = [w for w in wanted if w in stylekit.list_stylizers() or w[0].isupper()]
    assert [label for label in labels if label in present] == present
