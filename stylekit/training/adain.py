"""Training the AdaIN decoder (Huang & Belongie 2017, section 6), designed for a CPU.

Loss (the paper's): ``content + style_weight * style`` where the content loss is the MSE
between the ``relu4_1`` features of the decoded image and the AdaIN target ``t`` it was
decoded from, and the style loss compares the channel mean and standard deviation of the
decoded image's ``relu1_1..relu4_1`` features with the style image's (MSE, summed over layers).

What does not change is computed once (``precompute``): the encoder is frozen, so the
``relu4_1`` features of a fixed set of content crops and the feature statistics of a fixed set
of style crops are stored (fp16) in ``OUT/cache/``. A training step then only runs the decoder
and one VGG pass (with gradient) on its output: about half the work of the paper's step.

``stylekit train adain --content-data DIR --style-data DIR [--style-data DIR2] --out DIR``;
``--resume`` continues from ``OUT/checkpoint.pt``; ``--init-from`` starts from a decoder file;
``torchrun`` works as for the fast networks.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import torch

from ..config import MethodConfig, param
from ..device import resolve_device
from ..errors import ConfigError
from ..methods.adain import decoder_metadata, load_decoder
from ..nets.adain import ENCODER_LAYER, Decoder, adain_from_stats, mean_std
from ..vgg import VGG19Features
from . import common

STYLE_LAYERS = ("relu1_1", "relu2_1", "relu3_1", "relu4_1")


@dataclass(frozen=True)
class TrainAdaINConfig(MethodConfig):
    """Settings of an AdaIN decoder training run (defaults: this project's CPU recipe)."""

    content_data: str = param("", "Folder of content photos (searched recursively).")
    style_data: tuple[str, ...] = param((), "Folder(s) of style images; repeat for several.")
    out: str = param("", "Output folder for the cache, checkpoints, samples and decoder.")
    widths: tuple[int, ...] = param(
        (128, 64, 32), "Decoder widths of its three stages (the paper's: 256,128,64).", min=4
    )
    crop: int = param(192, "Side of the content and style crops.", min=64, max=1024)
    content_crops: int = param(2000, "Content crops precomputed (relu4_1 features).", min=8)
    style_crops: int = param(2000, "Style crops precomputed (feature statistics).", min=8)
    batch: int = param(8, "Pairs per step (per process under torchrun).", min=1, max=256)
    steps: int = param(5000, "Optimiser steps.", min=1, max=10_000_000)
    lr: float = param(1e-4, "Adam learning rate (the paper's).", min=0.0)
    lr_decay: float = param(5e-5, "Learning-rate decay: lr / (1 + decay * step).", min=0.0)
    style_weight: float = param(10.0, "lambda: weight of the style loss (the paper's 10).",
                                min=0.0)
    checkpoint_every: int = param(50, "Steps between checkpoints.", min=1)
    sample_every: int = param(250, "Steps between sample grids (0: never).", min=0)
    max_minutes: float | None = param(
        None, "Stop (with a checkpoint and a decoder) once the run has taken this much wall "
        "time in all, counting earlier sessions of a resumed run.", min=0.0
    )
    resume: bool = param(False, "Continue from OUT/checkpoint.pt.")
    init_from: str | None = param(None, "Start from this decoder (name or file).")
    seed: int = param(0, "Seed of crops, pairing and initial weights.")
    device: str = param("auto", "Device: auto, cpu, cuda or mps.")

    def __post_init__(self) -> None:
        super().__post_init__()
        if not self.content_data or not self.style_data or not self.out:
            raise ConfigError("training needs --content-data, --style-data and --out")
        if len(self.widths) != 3:
            raise ConfigError(f"widths needs three values, got {self.widths}")


@dataclass
class StepRecord:
    step: int
    total_steps: int
    losses: dict[str, float]
    seconds: float
    done: bool = False


def precompute(cfg: TrainAdaINConfig, encoder: VGG19Features, device: torch.device,
               place: common.Dist) -> dict[str, torch.Tensor]:
    """Encode the fixed content and style crops once (rank 0 writes, the others read)."""
    from safetensors.torch import load_file, save_file

    path = Path(cfg.out) / "cache" / f"crops{cfg.crop}_c{cfg.content_crops}_s{cfg.style_crops}" \
                                     f"_seed{cfg.seed}.safetensors"
    if place.main and not path.is_file():
        generator = torch.Generator().manual_seed(cfg.seed)
        content = common.RandomCrops(common.list_images(cfg.content_data), cfg.crop, generator)
        style_files = [f for folder in cfg.style_data for f in common.list_images(folder)]
        style = common.RandomCrops(style_files, cfg.crop, generator)
        tensors: dict[str, list[torch.Tensor]] = {"content": []}
        tensors.update({f"{layer}_{s}": [] for layer in STYLE_LAYERS for s in ("mean", "std")})
        with torch.no_grad():
            for start in range(0, max(cfg.content_crops, cfg.style_crops), 16):
                if start < cfg.content_crops:
                    batch = content.batch(min(16, cfg.content_crops - start)).to(device)
                    tensors["content"].append(encoder.encode(batch, [ENCODER_LAYER])
                                              [ENCODER_LAYER].half().cpu())
                if start < cfg.style_crops:
                    batch = style.batch(min(16, cfg.style_crops - start)).to(device)
                    features = encoder.encode(batch, STYLE_LAYERS)
                    for layer in STYLE_LAYERS:
                        m, s = mean_std(features[layer])
                        tensors[f"{layer}_mean"].append(m.flatten(1).cpu())
                        tensors[f"{layer}_std"].append(s.flatten(1).cpu())
        common.atomic_write(path, lambda tmp: save_file(
            {k: torch.cat(v).contiguous() for k, v in tensors.items()}, tmp))
    common.barrier(place)
    return load_file(str(path))


def train_adain(cfg: TrainAdaINConfig) -> Iterator[StepRecord]:
    """Run (or resume) a decoder training; yields a record per step (rank 0)."""
    place = common.init_distributed(resolve_device(cfg.device))
    device = common.training_device(resolve_device(cfg.device), place)
    out = Path(cfg.out)
    checkpoint_path = out / "checkpoint.pt"
    encoder = VGG19Features(STYLE_LAYERS).to(device)
    cache = precompute(cfg, encoder, device, place)

    torch.manual_seed(cfg.seed)
    decoder = (load_decoder(cfg.init_from).train().requires_grad_(True) if cfg.init_from
               else Decoder(tuple(cfg.widths))).to(device)  # type: ignore[arg-type]
    optimiser = torch.optim.Adam(decoder.parameters(), lr=cfg.lr)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda step: 1.0 / (1.0 + cfg.lr_decay * step))
    start_step, seconds_before, history = 0, 0.0, []
    if cfg.resume and checkpoint_path.is_file():
        state = common.load_checkpoint(checkpoint_path)
        decoder.load_state_dict(state["model"])
        optimiser.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        start_step, seconds_before = int(state["step"]), float(state["seconds"])
        history = list(state.get("history", []))
    generator = common.seed_everything(cfg.seed + start_step, place)
    model: torch.nn.Module = decoder
    if place.world > 1:
        model = torch.nn.parallel.DistributedDataParallel(
            decoder, device_ids=[device.index] if device.type == "cuda" else None)
    n_content, n_style = cache["content"].shape[0], cache["relu4_1_mean"].shape[0]

    started = time.perf_counter()
    for step in range(start_step + 1, cfg.steps + 1):
        ci = torch.randint(n_content, (cfg.batch,), generator=generator)
        si = torch.randint(n_style, (cfg.batch,), generator=generator)
        content = cache["content"][ci].to(device).float()
        style = {k: cache[k][si].to(device).float()[..., None, None]
                 for k in cache if k != "content"}
        target = adain_from_stats(content, style["relu4_1_mean"], style["relu4_1_std"])
        decoded = model(target)
        features = encoder.encode(decoded, STYLE_LAYERS)
        content_loss = torch.nn.functional.mse_loss(features[ENCODER_LAYER], target)
        style_loss = torch.stack([
            torch.nn.functional.mse_loss(m, style[f"{layer}_mean"])
            + torch.nn.functional.mse_loss(s, style[f"{layer}_std"])
            for layer in STYLE_LAYERS for m, s in [mean_std(features[layer])]]).sum()
        total = content_loss + cfg.style_weight * style_loss
        optimiser.zero_grad(set_to_none=True)
        total.backward()
        optimiser.step()
        scheduler.step()

        seconds = seconds_before + time.perf_counter() - started
        losses = {"total": float(total.detach()), "content": float(content_loss.detach()),
                  "style": float(style_loss.detach())}
        history.append([step, round(seconds, 1), losses["total"], losses["content"],
                        losses["style"]])
        out_of_time = common.out_of_time(cfg.max_minutes, seconds)
        last = step == cfg.steps or out_of_time
        if place.main:
            if step % cfg.checkpoint_every == 0 or last:
                common.save_checkpoint(checkpoint_path, {
                    "model": decoder.state_dict(), "optimizer": optimiser.state_dict(),
                    "scheduler": scheduler.state_dict(), "step": step, "seconds": seconds,
                    "history": history,
                })
            if cfg.sample_every and (step % cfg.sample_every == 0 or last):
                with torch.no_grad():
                    decoder.eval()
                    # Top: the content crops decoded as they are; bottom: stylized.
                    common.save_grid([decoder(content[:4]), decoder(target[:4])],
                                     out / "samples" / f"step_{step:06d}.png")
                    decoder.train()
            if last:
                _export(decoder, cfg, out, step, seconds, history)
            yield StepRecord(step, cfg.steps, losses, seconds, done=last)
        if out_of_time:
            break
    common.barrier(place)
    common.shutdown(place)


def _export(decoder: Decoder, cfg: TrainAdaINConfig, out: Path, step: int, seconds: float,
            history: list[list[float]]) -> None:
    common.export_safetensors(decoder.state_dict(), out / "model.safetensors",
                              decoder_metadata(decoder, steps=str(step)))
    window = history[-50:]
    mean = {k: sum(h[i] for h in window) / len(window)
            for i, k in enumerate(("total", "content", "style"), start=2)}
    common.write_json(out / "config.json", {
        "method": "adain", "architecture": "adain-decoder", "widths": list(cfg.widths),
        "training": cfg.to_dict(), "steps_done": step, "wall_seconds": round(seconds, 1),
        "final_losses_mean_of_last_50_steps": mean,
    })
