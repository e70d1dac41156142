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
