"""Model cards: rendered from data (config.json, notes.md, card_text/), never hand-edited."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from stylekit import StylekitError
from stylekit.hub import SHIPPED_WEIGHTS_DIR
from stylekit.training.cards import card_text, render_card, write_card

SHIPPED = sorted(p.parent for p in SHIPPED_WEIGHTS_DIR.glob("*/*/config.json"))


@pytest.mark.parametrize("folder", SHIPPED, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_shipped_cards_are_what_their_data_renders(folder: Path) -> None:
    """A card edited by hand, or data changed without rendering again, fails here: run
    ``write_card(folder)`` (or bench/quality.py --write-cards) to bring them together."""
    notes = folder / "notes.md"
    config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    card = render_card(config, notes.read_text(encoding="utf-8") if notes.is_file() else "")
    assert card == (folder / "README.md").read_text(encoding="utf-8")
    assert "{" not in card and "}" not in card  # no field left unfilled


def test_the_history_of_a_model_is_data_next_to_it(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text(json.dumps({
        "method": "decoder", "layer": "relu2_1", "widths": [64], "steps_done": 10,
        "wall_seconds": 120.0, "stages": [{"note": "started from x, whose training is not "
                                                   "recorded"}]}))
    write_card(tmp_path)
    card = (tmp_path / "README.md").read_text()
    assert "| 1 | started from x, whose training is not recorded | | | | | | | | | |" in card
    assert "## Notes" not in card and card.endswith("stylekit's code is MIT.\n")
    (tmp_path / "notes.md").write_text("## Notes on this run\n- The first try diverged.\n")
    write_card(tmp_path)
    card = (tmp_path / "README.md").read_text()
    # After the figures, before the licence.
    assert card.index("## Training") < card.index("- The first try diverged.") < card.index(
        "## Licence")


def test_the_adain_card_tells_its_recipe_only_through_its_notes(tmp_path: Path) -> None:
    """The shipped decoder's stages 1-5 are its own history: a new run's card does not
    claim them."""
    stage = {"init_from": None, "steps": 4, "warmup_steps": 0, "wall_seconds": 6.0,
             "hardware": "a test machine", "settings": {
                 "crop": 64, "batch": 2, "lr": 1e-4, "style_data": ["/x/styles"]}}
    card = render_card({"method": "adain", "widths": [4, 4, 4], "steps_done": 4,
                        "wall_seconds": 6.0, "stages": [stage]})
    assert "## Why this recipe" not in card and "Stage 5" not in card
    assert "| 1 | scratch | 4 (0) | 64 px | 2 | 0.0001 | none | 0 min | - |" in card
    assert "- Styles: photographs of eight public-domain paintings." in card
    shipped = (SHIPPED_WEIGHTS_DIR / "adain" / "trained" / "notes.md").read_text()
    assert shipped.startswith("## Why this recipe") and "**Stage 5" in shipped


def test_shared_wording_is_data() -> None:
    text = card_text()
    assert set(text["style_credits"]) >= {"starry_night", "great_wave", "the_scream",
                                          "composition_vii"}
    assert text["licence_front_matter"].startswith("license: other")


def test_an_unknown_kind_of_model_is_named() -> None:
    with pytest.raises(StylekitError, match="method 'gatys'; model cards exist for fast, adain"):
        render_card({"method": "gatys"})
