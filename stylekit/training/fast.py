"""Training a fast style network for one style (Johnson et al. 2016).

The network learns to map any photo to the minimiser of the Gatys objective: for random
photo crops it is trained with Adam on ``alpha * content + beta * style + gamma * TV``
(:class:`stylekit.losses.PerceptualLoss`), the style targets being the Gram matrices of the
one style image. ``stylekit train fast --style STYLE --data PHOTOS --out DIR`` runs it;
``torchrun --nproc_per_node N -m stylekit train fast ...`` runs it on N processes.

Output folder: ``checkpoint.pt`` (resumable, read with ``weights_only=True``), ``samples/``
(a grid of fixed photos every ``sample_every`` steps), and at the end ``model.safetensors``
(fp16, architecture in its metadata), ``config.json`` (settings, losses, wall time) and a
``README.md`` model card.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from ..config import MethodConfig, param
from ..errors import ConfigError
from ..losses import PerceptualLoss
from ..nets.transformer import TransformerNet
from ..vgg import VGG19Features, check_layers
from .cards import write_card
from .checkpoint import export_safetensors, save_grid, write_json
from .data import RandomCrops, fixed_samples, list_images, style_tensor
from .distributed import Dist, describe_hardware
from .loop import StepRecord, Trainer, train


@dataclass(frozen=True)
class TrainFastConfig(MethodConfig):
    """Settings of a fast-network training run (defaults: this project's CPU recipe)."""

    style: str = param("", "Style image (path or example:NAME).")
    data: str = param("", "Folder of training photos (searched recursively).")
    out: str = param("", "Output folder for checkpoints, samples and the model.")
    width: int = param(8, "Base width w of the network (channels: w, 2w, 4w).", min=4, max=128)
    blocks: int = param(5, "Residual blocks.", min=1, max=16)
    crop: int = param(192, "Side of the random photo crops.", min=32, max=1024)
    batch: int = param(4, "Crops per step (per process under torchrun).", min=1, max=256)
    steps: int = param(1500, "Optimiser steps.", min=1, max=10_000_000)
    lr: float = param(1e-3, "Adam learning rate.", min=0.0)
    # Content at relu4_2, as Gatys: at relu3_1 (and relu2_2) a good Gatys result is further
    # from the photo than a flat grey image is, so a network trained there gives the photo up
    # for texture. alpha 50 (ten times Gatys's 5) makes a Gatys-like result 2.5x cheaper than
    # the painting's texture alone, a margin the network needs (measured on kodim23 + Starry
    # Night: content loss Gatys 3.5e5, grey 4.6e5, texture 9.9e5).
    content_weight: float = param(50.0, "alpha: weight of the content loss.", min=0.0)
    style_weight: float = param(100.0, "beta: weight of the style loss.", min=0.0)
    tv_weight: float = param(1e7, "gamma: weight of total variation (against the "
                             "high-frequency patterns small networks make early on).", min=0.0)
    content_layers: tuple[str, ...] = param(("relu4_2",), "Content layers.")
    style_layers: tuple[str, ...] = param(
        ("relu1_1", "relu2_1", "relu3_1", "relu4_1"), "Style layers."
    )
    style_size: int = param(384, "Long side of the style image for its Gram targets.", min=32)
    # Paintings differ in how far photos are from them in Gram space (measured on 16 training
    # crops: The Starry Night 1.3e6, The Great Wave 5e5, The Scream 4e5), so one beta pulls
    # some styles three times harder than others. Dividing by that distance makes beta mean
    # the same strength for every painting; the reference is The Starry Night's.
    style_reference: float = param(
        1.3e6, "Scale beta by this / (style loss of 16 training crops against the painting), "
        "so that beta means the same strength for every painting; 0: beta as given.", min=0.0)
    warmup_steps: int = param(
        200, "Steps that first teach the network to reproduce its input (pixel loss, no VGG: "
        "cheap), so that style training starts from the photo instead of from noise.", min=0,
    )
    checkpoint_every: int = param(50, "Steps between checkpoints.", min=1)
    sample_every: int = param(250, "Steps between sample grids (0: never).", min=0)
    max_minutes: float | None = param(
        None, "Stop (with a checkpoint and a model) once the run has taken this much wall "
        "time in all, counting earlier sessions of a resumed run.", min=0.0
    )
    resume: bool = param(False, "Continue from OUT/checkpoint.pt.")
    seed: int = param(0, "Seed of the crops and the initial weights.")
    device: str = param("auto", "Device: auto, cpu, cuda or mps.")

    def __post_init__(self) -> None:
        super().__post_init__()
        for name in ("style", "data", "out"):
            if not getattr(self, name):
                raise ConfigError(f"training needs {{{name}}}")
        check_layers(self.content_layers)
        check_layers(self.style_layers)


class FastTrainer(Trainer[TrainFastConfig]):
    """A fast network for one style, trained on random photo crops (see the module)."""

    history_terms = ("total", "content", "style", "tv")
    net: TransformerNet

    def __init__(self, cfg: TrainFastConfig, place: Dist, device: torch.device) -> None:
        from ..examples import resolve_image_argument

        super().__init__(cfg, place, device)
        self.files = list_images(cfg.data)
        torch.manual_seed(cfg.seed)
        self.net = TransformerNet(cfg.width, cfg.blocks).to(device)
        self.optimiser = torch.optim.Adam(self.net.parameters(), lr=cfg.lr)
        layers = tuple(dict.fromkeys(cfg.content_layers + cfg.style_layers))
        self.objective = PerceptualLoss(
            VGG19Features(layers).to(device), dict.fromkeys(cfg.content_layers, 1.0),
            dict.fromkeys(cfg.style_layers, 1.0), content_weight=cfg.content_weight,
            style_weight=cfg.style_weight, tv_weight=cfg.tv_weight,
        )
        self.objective.set_style([style_tensor(resolve_image_argument(cfg.style),
                                               cfg.style_size).to(device)])
        self.objective.style_weight = effective_style_weight(self.objective, self.files, cfg,
                                                             device)
        self.samples = fixed_samples(self.files, 4, cfg.crop).to(device) if place.main else None

    def start(self, start_step: int, generator: torch.Generator) -> None:
        self.crops = RandomCrops(self.files, self.cfg.crop, generator)

    def loss(self, step: int, model: torch.nn.Module) -> dict[str, torch.Tensor]:
        if step == 1 and self.cfg.warmup_steps:
            self._identity_warmup(model)
        batch = self.crops.batch(self.cfg.batch).to(self.device)
        self.objective.set_content(batch)
        return self.objective(model(batch))

    def _identity_warmup(self, model: torch.nn.Module) -> None:
        """Teach the network the identity with an L1 pixel loss: a few seconds per hundred
        steps (no VGG), after which content is preserved from the first style step on."""
        for _ in range(self.cfg.warmup_steps):
            batch = self.crops.batch(self.cfg.batch).to(self.device)
            loss = (model(batch) - batch).abs().mean()
            self.optimiser.zero_grad(set_to_none=True)
            loss.backward()
            self.optimiser.step()

    def save_samples(self, path: Path) -> None:
        assert self.samples is not None  # rank 0's
        save_grid([self.samples, self.net(self.samples)], path)

    def export(self, record: StepRecord, history: list[list[Any]]) -> None:
        cfg = self.cfg
        style = Path(cfg.style.removeprefix("example:")).stem
        export_safetensors(self.net.state_dict(), self.out / "model.safetensors", {
            **self.net.spec.to_metadata(), "style": style, "steps": str(record.step)})
        window = history[-50:]
        mean = {k: sum(h[i] for h in window) / len(window)
                for i, k in enumerate(self.history_terms, start=2)}
        write_json(self.out / "config.json", {
            "method": "fast",
            "architecture": "johnson-transformer",
            "width": cfg.width,
            "blocks": cfg.blocks,
            "style": style,
            "training": cfg.to_dict(),
            "effective_style_weight": self.objective.style_weight,
            "steps_done": record.step,
            "wall_seconds": round(record.seconds, 1),
            "hardware": describe_hardware(self.device, self.place),
            "final_losses_last_step": record.losses,
            "final_losses_mean_of_last_50_steps": mean,
        })
        write_card(self.out)


def train_fast(cfg: TrainFastConfig) -> Iterator[StepRecord]:
    """Run (or resume) the training of a fast network: :func:`.loop.train` with
    :class:`FastTrainer`; yields a record per step (rank 0)."""
    return train(cfg, FastTrainer)


def effective_style_weight(objective: PerceptualLoss, files: list[Path], cfg: TrainFastConfig,
                           device: torch.device) -> float:
    """beta, scaled by ``style_reference`` over the unweighted style loss of 16 fixed training
    crops against the painting (the same on every rank: the crops come from ``cfg.seed``)."""
    if not cfg.style_reference:
        return cfg.style_weight
    probe = RandomCrops(files, cfg.crop, torch.Generator().manual_seed(cfg.seed))
    distance = 0.0
    with torch.no_grad():
        for _ in range(4):
            batch = probe.batch(4).to(device)
            objective.set_content(batch)
            distance += float(objective(batch)["style"]) / objective.style_weight / 4
    return cfg.style_weight * cfg.style_reference / max(distance, 1e-12)
