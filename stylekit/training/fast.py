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

import dataclasses
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from ..config import MethodConfig, param
from ..device import resolve_device
from ..errors import ConfigError
from ..losses import PerceptualLoss
from ..nets.transformer import TransformerNet
from ..vgg import VGG19Features, check_layers
from . import common
from .cards import FAST_RECIPE_NOTES, fast_model_card


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
                raise ConfigError(f"training needs --{name}")
        check_layers(self.content_layers)
        check_layers(self.style_layers)


@dataclass
class StepRecord:
    """What one training step reports (rank 0)."""

    step: int
    total_steps: int
    losses: dict[str, float]
    seconds: float  # wall time of the whole run so far, over all sessions
    done: bool = False


def train_fast(cfg: TrainFastConfig) -> Iterator[StepRecord]:
    """Run (or resume) a training; yields a record per step and writes the output folder."""
    from ..examples import resolve_image_argument

    place = common.init_distributed(resolve_device(cfg.device))
    device = common.training_device(resolve_device(cfg.device), place)
    out = Path(cfg.out)
    checkpoint_path = out / "checkpoint.pt"
    files = common.list_images(cfg.data)

    torch.manual_seed(cfg.seed)
    net = TransformerNet(cfg.width, cfg.blocks).to(device)
    optimiser = torch.optim.Adam(net.parameters(), lr=cfg.lr)
    start_step, seconds_before, history = 0, 0.0, []
    if cfg.resume and checkpoint_path.is_file():
        state = common.load_checkpoint(checkpoint_path)
        net.load_state_dict(state["model"])
        optimiser.load_state_dict(state["optimizer"])
        start_step, seconds_before = int(state["step"]), float(state["seconds"])
        history = list(state.get("history", []))
    elif cfg.resume and place.main:
        print(f"no checkpoint at {checkpoint_path}; starting a new run")
    generator = common.seed_everything(cfg.seed + start_step, place)
    crops = common.RandomCrops(files, cfg.crop, generator)

    layers = tuple(dict.fromkeys(cfg.content_layers + cfg.style_layers))
    vgg = VGG19Features(layers).to(device)
    objective = PerceptualLoss(
        vgg, dict.fromkeys(cfg.content_layers, 1.0), dict.fromkeys(cfg.style_layers, 1.0),
        content_weight=cfg.content_weight, style_weight=cfg.style_weight,
        tv_weight=cfg.tv_weight,
    )
    objective.set_style([common.style_tensor(resolve_image_argument(cfg.style), cfg.style_size)
                         .to(device)])
    objective.style_weight = effective_style_weight(objective, files, cfg, device)
    model: torch.nn.Module = net
    if place.world > 1:
        model = torch.nn.parallel.DistributedDataParallel(
            net, device_ids=[device.index] if device.type == "cuda" else None
        )
    samples = common.fixed_samples(files, 4, cfg.crop).to(device) if place.main else None

    started = time.perf_counter()
    net.train()
    if start_step == 0 and cfg.warmup_steps:
        _identity_warmup(model, optimiser, crops, cfg, device)
    for step in range(start_step + 1, cfg.steps + 1):
        batch = crops.batch(cfg.batch).to(device)
        objective.set_content(batch)
        terms = objective(model(batch))
        optimiser.zero_grad(set_to_none=True)
        terms["total"].backward()
        optimiser.step()

        seconds = seconds_before + time.perf_counter() - started
        losses = {k: float(v.detach()) for k, v in terms.items()}
        history.append([step, round(seconds, 1)] + [losses[k] for k in
                                                      ("total", "content", "style", "tv")])
        # Every rank must stop at the same step (its own clock could say otherwise).
        out_of_time = common.any_rank(common.out_of_time(cfg.max_minutes, seconds), place)
        last = step == cfg.steps or out_of_time
        if place.main:
            if step % cfg.checkpoint_every == 0 or last:
                common.save_checkpoint(checkpoint_path, {
                    "model": net.state_dict(), "optimizer": optimiser.state_dict(),
                    "step": step, "seconds": seconds, "history": history,
                })
            if samples is not None and cfg.sample_every and (step % cfg.sample_every == 0
                                                             or last):
                with torch.no_grad():
                    net.eval()
                    common.save_grid([samples, net(samples)],
                                     out / "samples" / f"step_{step:06d}.png")
                    net.train()
            if last:
                _export(net, cfg, out, step, seconds, losses, history, objective.style_weight,
                        common.describe_hardware(device, place))
            yield StepRecord(step, cfg.steps, losses, seconds, done=last)
        if out_of_time:
            break
    common.barrier(place)
    common.shutdown(place)


def effective_style_weight(objective: PerceptualLoss, files: list[Path], cfg: TrainFastConfig,
                           device: torch.device) -> float:
    """beta, scaled by ``style_reference`` over the unweighted style loss of 16 fixed training
    crops against the painting (the same on every rank: the crops come from ``cfg.seed``)."""
    if not cfg.style_reference:
        return cfg.style_weight
    probe = common.RandomCrops(files, cfg.crop, torch.Generator().manual_seed(cfg.seed))
    distance = 0.0
    with torch.no_grad():
        for _ in range(4):
            batch = probe.batch(4).to(device)
            objective.set_content(batch)
            distance += float(objective(batch)["style"]) / objective.style_weight / 4
    return cfg.style_weight * cfg.style_reference / max(distance, 1e-12)


def _identity_warmup(model: torch.nn.Module, optimiser: torch.optim.Optimizer,
                     crops: common.RandomCrops, cfg: TrainFastConfig,
                     device: torch.device) -> None:
    """Teach the network the identity with an L1 pixel loss: a few seconds per hundred steps
    (no VGG), after which content is preserved from the first style step on."""
    for _ in range(cfg.warmup_steps):
        batch = crops.batch(cfg.batch).to(device)
        loss = (model(batch) - batch).abs().mean()
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        optimiser.step()


def _export(net: TransformerNet, cfg: TrainFastConfig, out: Path, step: int, seconds: float,
            losses: dict[str, float], history: list[Any], style_weight: float,
            hardware: str) -> None:
    style = Path(cfg.style.removeprefix("example:")).stem
    meta = {**net.spec.to_metadata(), "style": style, "steps": str(step)}
    common.export_safetensors(net.state_dict(), out / "model.safetensors", meta)
    window = history[-50:]
    mean = {k: sum(h[i] for h in window) / len(window)
            for i, k in enumerate(("total", "content", "style", "tv"), start=2)}
    common.write_json(out / "config.json", {
        "method": "fast",
        "architecture": "johnson-transformer",
        "width": cfg.width,
        "blocks": cfg.blocks,
        "style": style,
        "training": cfg.to_dict(),
        "effective_style_weight": style_weight,
        "steps_done": step,
        "wall_seconds": round(seconds, 1),
        "hardware": hardware,
        "final_losses_last_step": losses,
        "final_losses_mean_of_last_50_steps": mean,
    })
    write_model_card(out)


def write_model_card(folder: Path) -> None:
    """(Re)write ``folder/README.md`` from ``folder/config.json`` (after training, and after
    ``bench/quality.py --write-cards`` adds the quality figures)."""
    import json

    settings = json.loads((folder / "config.json").read_text())["training"]
    common.write_text(folder / "README.md",
                      fast_model_card(folder, recipe_notes=_recipe_notes(settings)))


#: The fields that make up the recipe the card notes explain (not paths, seeds or schedules).
_RECIPE_FIELDS = ("width", "blocks", "crop", "batch", "lr", "content_weight", "style_weight",
                  "tv_weight", "content_layers", "style_layers", "style_size", "warmup_steps")


def _recipe_notes(settings: dict[str, Any]) -> str:
    """The default recipe's rationale, if a run with these settings (``cfg.to_dict()``, as
    recorded in ``config.json``) used the default recipe."""
    def plain(value: Any) -> Any:
        return list(value) if isinstance(value, (list, tuple)) else value

    defaults = {f.name: f.default for f in dataclasses.fields(TrainFastConfig)}
    same = all(plain(settings[name]) == plain(defaults[name]) for name in _RECIPE_FIELDS)
    return FAST_RECIPE_NOTES if same else ""
