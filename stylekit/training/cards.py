"""Model cards: the ``README.md`` (with Hub metadata) of a trained model, rendered from data.

This module holds no wording of its own; it fills in text kept as data:

- ``card_text/<method>.md``: the card of each kind of model (``fast``, ``adain``,
  ``decoder``), a template filled from the model's ``config.json``, so that every figure in
  a card is the one the training recorded;
- ``card_text/text.json``: what cards share (the training data and its terms, the licence,
  the paintings' credits, the labels of the quality table);
- ``card_text/fast_recipe.md``: why the fast recipe is what it is, for the cards of runs that
  used it (the settings it explains are listed in ``text.json``);
- ``notes.md`` next to a model's weights: its own history (stages, what was tried, what went
  wrong), written by hand and shown after its figures.
"""

from __future__ import annotations

import functools
import json
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..errors import StylekitError
from .checkpoint import write_text

#: The folder of the card templates and shared wording.
CARD_TEXT = Path(__file__).with_name("card_text")


@functools.cache
def card_text() -> dict[str, Any]:
    """The wording cards share (``card_text/text.json``)."""
    return dict(json.loads((CARD_TEXT / "text.json").read_text(encoding="utf-8")))


def render_card(config: dict[str, Any], notes: str = "") -> str:
    """The model card of a trained model.

    Args:
        config: the model's ``config.json`` as written by its trainer (``method`` names the
            kind: ``fast``, ``adain`` or ``decoder``), with ``quality`` if ``bench/quality.py``
            or ``bench/decoders.py`` recorded figures.
        notes: the model's own history, markdown with its own headings (its ``notes.md``);
            shown after the figures.

    Returns:
        The card, markdown with Hub front matter.

    Example:
        >>> config = {"method": "decoder", "layer": "relu1_1", "widths": [], "steps_done": 300,
        ...           "wall_seconds": 600.0, "stages": []}
        >>> card = render_card(config, notes="## Notes on this run\\n- Fitted, then trained.")
        >>> card.splitlines()[0], card.splitlines()[7]
        ('---', '# stylekit reconstruction decoder: relu1_1')
        >>> "300 steps in 10 min" in card and card.index("Notes on") < card.index("## Licence")
        True
    """
    method = config.get("method")
    if method not in _FIELDS:
        raise StylekitError(f"config.json has method {method!r}; model cards exist for "
                            f"{', '.join(_FIELDS)}")
    text = card_text()
    fields = {**text, **config, **_FIELDS[method](config, text)}
    template = (CARD_TEXT / f"{method}.md").read_text(encoding="utf-8")
    sections = [template.format_map(fields), *fields["sections"], notes,
                text["licence_section"]]
    return "\n\n".join(s.strip("\n") for s in sections if s.strip()) + "\n"


def write_card(folder: Path) -> None:
    """(Re)write ``folder/README.md`` from ``folder/config.json`` and, if present,
    ``folder/notes.md`` (after training, and after ``bench/quality.py --write-cards`` or
    ``bench/decoders.py --write-cards`` adds the quality figures)."""
    config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    notes = folder / "notes.md"
    write_text(folder / "README.md",
               render_card(config, notes.read_text(encoding="utf-8") if notes.is_file() else ""))


def quality_section(quality: dict[str, Any], first: str) -> str:
    """The card's "Quality" section from ``bench/quality.py``'s figures.

    ``quality`` maps each painting to its entry in the benchmark's report: ``size``,
    ``photos`` and, under ``methods``, each method's mean ``content`` and ``style``
    distances; ``first`` is the method the card is about (listed first).
    """
    text = card_text()
    entry0 = next(iter(quality.values()))
    lines = ["## Quality", text["quality_intro"].format(**entry0), "",
             "| painting | method | style distance | content distance |", "|---|---|---|---|"]
    for painting, entry in quality.items():
        name = text["style_credits"].get(painting, painting).split(",")[-1].split("(")[0].strip()
        methods = entry["methods"]
        for method in [first, *(m for m in methods if m != first)]:
            values = methods.get(method)
            if not values:
                continue
            label = text["method_labels"].get(method, method)
            lines.append(f"| {name} | {label} | {values['style']:.3f} | "
                         f"{values['content']:.3f} |")
            name = ""
    return "\n".join(lines)


def _same(a: Any, b: Any) -> bool:
    """Equal, as JSON records them (tuples are lists there)."""
    return bool(json.loads(json.dumps(a)) == json.loads(json.dumps(b)))


def uses_recipe(training: dict[str, Any], recipe: dict[str, Any]) -> bool:
    """Whether a run's settings (``config.json``'s ``training``) are those a recipe's notes
    explain (paths, seeds and schedules are not part of a recipe)."""
    return all(_same(training.get(name), value) for name, value in recipe.items())


def _beta(config: dict[str, Any]) -> str:
    """beta as given, and as used if it was scaled to the painting (``style_reference``)."""
    given = config["training"]["style_weight"]
    used = config.get("effective_style_weight")
    if used is None or config["training"].get("style_reference", 0) == 0:
        return f"{given:g}"
    return f"{given:g} (scaled to this painting's Gram distance: {used:.3g})"


def _fast(config: dict[str, Any], text: dict[str, Any]) -> dict[str, Any]:
    training, style = config["training"], config["style"]
    sections = []
    if uses_recipe(training, text["fast_recipe"]["settings"]):
        sections.append((CARD_TEXT / text["fast_recipe"]["notes"]).read_text(encoding="utf-8"))
    if config.get("quality"):
        sections.append(quality_section({style: config["quality"]}, "fast"))
    return {"credit": text["style_credits"].get(style, style), "beta": _beta(config),
            "content_layers": ", ".join(training["content_layers"]),
            "style_layers": ", ".join(training["style_layers"]),
            "minutes": config["wall_seconds"] / 60,
            "hardware": config.get("hardware", text["first_machine"]), "sections": sections}


def _started_from(init_from: str | None, number: int) -> str:
    """A stage's starting point: the previous stage's decoder (whatever folder held it then)."""
    if not init_from:
        return "scratch"
    return f"stage {number - 1}" if number > 1 else init_from


def _adain_styles(stages: list[dict[str, Any]], text: dict[str, Any]) -> str:
    """The "Styles" lines: the style sources of every stage, and the credited paintings that
    none of them saw."""
    credits, sources = text["style_credits"], text["style_sources"]
    entries = list(dict.fromkeys(e for s in stages for e in s["settings"]["style_data"]))
    paintings = [Path(e).stem for e in entries if Path(e).stem in credits]
    folders = [sources.get(Path(e).name, f"the images of the folder {Path(e).name}")
               for e in entries if not Path(e).suffix]
    # Single files that are not credited paintings (e.g. photos as extra style sources):
    # counted per folder rather than listed one by one.
    others = Counter(Path(e).parent.name for e in entries
                     if Path(e).suffix and Path(e).stem not in credits)
    seen = list(dict.fromkeys(folders + [credits[p] for p in paintings] + [
        f"{count} image{'s' if count > 1 else ''} of the folder {folder}"
        for folder, count in others.items()]))
    lines = [f"- Styles: {'; '.join(seen)}."]
    unseen = [credit for name, credit in credits.items() if name not in paintings]
    if unseen:
        lines.append(f"- Never seen in training (to test arbitrary style): {'; '.join(unseen)}.")
    return "\n".join(lines)


def _unrecorded(number: int, stage: dict[str, Any], columns: int) -> str:
    """The table row of a stage known only by a note (its training was not recorded)."""
    return f"| {number} | {stage.get('note', '')} |" + " |" * (columns - 2)


def _adain(config: dict[str, Any], text: dict[str, Any]) -> dict[str, Any]:
    stages = [s for s in config["stages"] if "settings" in s]
    rows = []
    for number, stage in enumerate(config["stages"], start=1):
        if "settings" not in stage:
            rows.append(_unrecorded(number, stage, 9))
            continue
        settings = stage["settings"]
        final = stage.get("final_losses_mean_of_last_50_steps")
        losses = f"{final['content']:.3g} / {final['style']:.3g}" if final else "-"
        rows.append(
            f"| {number} | {_started_from(stage['init_from'], number)} | {stage['steps']} "
            f"({stage['warmup_steps']}) | {settings['crop']} px | {settings['batch']} | "
            f"{settings['lr']:g} | {settings.get('layer_scale', 'none')} | "
            f"{stage['wall_seconds'] / 60:.0f} min | {losses} |")
    machines = dict.fromkeys(s.get("hardware", text["first_machine"]) for s in stages)
    sections = ([quality_section(config["quality"], "adain:trained")]
                if config.get("quality") else [])
    return {"widths": ", ".join(str(w) for w in config["widths"]),
            "styles": _adain_styles(stages, text), "hours": config["wall_seconds"] / 3600,
            "hardware": "; ".join(machines), "stage_rows": "\n".join(rows),
            "sections": sections}


def _decoder_start(stage: dict[str, Any]) -> str:
    """What a decoder stage started from: a model, a shallower decoder as its tail, or nothing.

    Example:
        >>> _decoder_start({"init_from": None, "tail_from": "relu3_1",
        ...                 "settings": {"head_steps": 600}})
        'the relu3_1 decoder as its tail (new layers alone for the first 600 steps)'
    """
    if stage.get("init_from"):
        return str(stage["init_from"])
    tail = stage.get("tail_from")
    if not tail:
        return "scratch"
    head_steps = stage.get("settings", {}).get("head_steps", 0)
    alone = f" (new layers alone for the first {head_steps} steps)" if head_steps else ""
    return f"the {tail} decoder as its tail{alone}"


def _decoder(config: dict[str, Any], text: dict[str, Any]) -> dict[str, Any]:
    rows = []
    for number, stage in enumerate(config["stages"], start=1):
        if "settings" not in stage:
            rows.append(_unrecorded(number, stage, 11))
            continue
        s, losses = stage["settings"], stage["final_losses_mean_of_last_50_steps"]
        data = ", ".join(f"{d['folder']} ({d['images']})" for d in stage.get("data", []))
        rows.append(
            f"| {number} | {_decoder_start(stage)} | {stage['steps']} | "
            f"{stage['wall_seconds'] / 60:.0f} | {s['crop']} px of {data} | {s['batch']} | "
            f"{s['lr']:g} to {s['lr_final']:g} | {s['feature_weight']:g} | "
            f"{losses['pixel']:.4g} | {losses['feature']:.4g} | {stage['hardware']} |")
    quality = config.get("quality")
    sections = ([f"## Quality\n{text['decoder_quality'].format(**quality)}"] if quality else [])
    return {"widths": ", ".join(str(w) for w in config["widths"]) or "none",
            "minutes": config["wall_seconds"] / 60, "stage_rows": "\n".join(rows),
            "sections": sections}


def _arbitrary(config: dict[str, Any], text: dict[str, Any]) -> dict[str, Any]:
    training = config["training"]
    sources = [text["style_sources"].get(Path(e).name, f"the images of {Path(e).name}")
               for e in training["style_data"]]
    seen = {Path(e).stem for e in training["style_data"]}
    final = config.get("final_losses_mean_of_last_50_steps") or {}
    sections = ([quality_section(config["quality"], "arbitrary")]
                if config.get("quality") else [])
    return {
        "style_source_text": "; ".join(sources), "excluded": ", ".join(
            f"`{p}`" for p in training["exclude"]) or "none",
        "style_low": training["style_size"][0], "style_high": training["style_size"][1],
        "hue_percent": 100 * training["hue_views"], "blur": training["blur"],
        "unseen": "; ".join(c for n, c in text["style_credits"].items() if n not in seen),
        "content_low": training["content_scale"][0],
        "content_high": training["content_scale"][1],
        **{k: training[k] for k in ("content_weight", "style_weight", "tv_weight", "crop",
                                    "batch", "lr", "warmup_steps", "seed")},
        "palette_weight": training.get("palette_weight", 0.0),
        # Settings newer than some shipped cards: absent means off.
        "vivid_percent": 100 * training.get("vivid_views", 0.0),
        "colour_weight": training.get("colour_weight", 0.0),
        "tone_weight": training.get("tone_weight", 0.0),
        "layer_weights": ", ".join(f"{w:g}" for w in training.get("style_layer_weights",
                                                                  (1, 1, 1, 1))),
        "hours": config["wall_seconds"] / 3600,
        "hardware": config.get("hardware", text["first_machine"]),
        "final_losses": ", ".join(f"{k} {v:.4g}" for k, v in final.items()) or "-",
        "sections": sections}


#: How each kind of model's ``config.json`` becomes the fields of its template.
_FIELDS: dict[str, Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]]] = {
    "fast": _fast, "adain": _adain, "decoder": _decoder, "arbitrary": _arbitrary}
