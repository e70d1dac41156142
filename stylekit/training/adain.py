"""Training the AdaIN decoder (Huang & Belongie 2017, section 6), designed for a CPU.

Loss (the paper's): ``content + style_weight * style`` where the content loss is the MSE
between the ``relu4_1`` features of the decoded image and the AdaIN target ``t`` it was
decoded from, and the style loss compares the channel mean and standard deviation of the
decoded image's ``relu1_1..relu4_1`` features with the style image's (MSE, summed over layers).
As in the paper, which used the normalised VGG-19 of Gatys et al. (each filter scaled to a mean
activation of one), every channel is divided by its mean activation (here measured on the style
crops): with the raw Caffe weights ``relu4_1`` activations are ~20 times ``relu1_1``'s, so the
fine-scale statistics (colour, brush texture) would hardly count and the decoder paints blotches.

Designed for a CPU (the paper trained 160k steps on a GPU):

- What does not change is computed once (``precompute``): the encoder is frozen, so the
  ``relu4_1`` features (fp16) and pixels (uint8) of a fixed set of content crops, and the
  feature statistics of a fixed set of style crops, are stored in ``OUT/cache/``. A step then
  runs only the decoder and one VGG pass (with gradient) on its output: about half the work
  of the paper's step.
- Content crops are small (128 px: a step costs a quarter of one at 256 px) while the style
  statistics come from larger crops of the paintings at the scale they are used at (256 px
  crops of paintings about 512 px high): only the content side costs per step.
- A warm-up first teaches the decoder to invert the encoder (pixel loss on the cached crops, no
  VGG pass: several times cheaper per image), so style training starts from a decoder that
  already paints the photo back instead of from noise.

Each run is a stage: ``--init-from`` continues from a decoder (a shipped name or a folder
written by a run), and the stages before it, read from the ``config.json`` next to it, are
kept in the new ``config.json`` and the model card, with their wall time.

``stylekit train adain --content-data DIR --style-data DIR [--style-data DIR2] --out DIR``;
``--resume`` continues from ``OUT/checkpoint.pt``; ``--init-from`` starts from a decoder file;
``torchrun`` works as for the fast networks.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F

from ..config import MethodConfig, param
from ..errors import ConfigError
from ..fileio import atomic_write
from ..nets.adain import DECODERS, ENCODER_LAYER, Decoder, adain_from_stats, mean_std
from ..vgg import VGG19Features
from .cards import write_card
from .checkpoint import earlier_stages, export_safetensors, save_grid, totals, write_json
from .data import RandomCrops, list_image_sources, list_images
from .distributed import Dist, barrier, describe_hardware
from .loop import StepRecord, Trainer, train

logger = logging.getLogger(__name__)

STYLE_LAYERS = ("relu1_1", "relu2_1", "relu3_1", "relu4_1")
LAYER_SCALES = ("mean-activation", "none")


@dataclass(frozen=True)
class TrainAdaINConfig(MethodConfig):
    """Settings of an AdaIN decoder training run (defaults: this project's CPU recipe)."""

    content_data: str = param("", "Folder of content photos (searched recursively).")
    style_data: tuple[str, ...] = param(
        (), "Style images: folders (searched recursively) and/or single image files.")
    out: str = param("", "Output folder for the cache, checkpoints, samples and decoder.")
    widths: tuple[int, ...] = param(
        (128, 64, 32), "Decoder widths of its three stages (the paper's: 256,128,64).", min=4
    )
    crop: int = param(128, "Side of the content crops (the cost of a step grows with it).",
                      min=64, max=1024)
    content_scale: tuple[int, ...] = param(
        (256, 512), "Short side range photos are resized to before a content crop is taken "
        "(about what photos are stylized at).", min=64)
    style_crop: int = param(256, "Side of the style crops (the paper's 256).", min=64,
                            max=1024)
    style_scale: tuple[int, ...] = param(
        (256, 384), "Short side range style images are resized to before a style crop is "
        "taken (the paper's 512; the shipped decoder's last stage used 256-384, where the "
        "blocky 16-colour museum scans are smoothed).", min=64)
    content_crops: int = param(6000, "Content crops precomputed (features and pixels).", min=8)
    style_crops: int = param(2000, "Style crops precomputed (feature statistics).", min=8)
    batch: int = param(8, "Pairs per step (per process under torchrun).", min=1, max=256)
    steps: int = param(12000, "Optimiser steps, warm-up included.", min=1, max=10_000_000)
    warmup_steps: int = param(
        1500, "First steps that teach the decoder to invert the encoder (L1 pixel loss, no VGG "
        "pass). Only when starting from scratch, not with --init-from.", min=0)
    warmup_lr: float = param(1e-3, "Adam learning rate of the warm-up.", min=0.0)
    lr: float = param(1e-4, "Adam learning rate (the paper's).", min=0.0)
    lr_decay: float = param(5e-5, "Learning-rate decay after the warm-up: "
                            "lr / (1 + decay * step).", min=0.0)
    style_weight: float = param(10.0, "lambda: weight of the style loss (the paper's 10).",
                                min=0.0)
    layer_scale: str = param(
        "mean-activation", "How VGG channels are scaled in the losses: mean-activation divides "
        "each by its mean activation on the style crops (the normalised VGG the paper used); "
        "none leaves the raw network, where relu4_1 outweighs relu1_1 about 500 times.",
        choices=LAYER_SCALES,
    )
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
            raise ConfigError("training needs {content_data}, {style_data} and {out}")
        if len(self.widths) != 3:
            raise ConfigError(f"widths needs three values, got {self.widths}")
        for name, crop in (("content_scale", self.crop), ("style_scale", self.style_crop)):
            low, *rest = getattr(self, name)
            if len(rest) != 1 or not crop <= low <= rest[0]:
                raise ConfigError(f"{{{name}}} needs two sizes LOW HIGH with {crop} <= LOW <= HIGH "
                                  f"(the crop must fit), got {getattr(self, name)}")

    @property
    def warmup(self) -> int:
        """Warm-up steps of this run: none when it continues from a decoder."""
        return 0 if self.init_from else self.warmup_steps


def precompute(cfg: TrainAdaINConfig, encoder: VGG19Features, device: torch.device,
               place: Dist) -> dict[str, torch.Tensor]:
    """Encode the fixed content and style crops once (rank 0 writes, the others read).

    Returns ``content`` ``(N, 512, crop/8, crop/8)`` fp16 ``relu4_1`` features, ``pixels``
    ``(N, 3, crop, crop)`` uint8, and ``<layer>_mean`` / ``<layer>_std`` ``(M, C)`` fp32
    statistics of the style crops for ``relu1_1..relu4_1``.
    """
    from safetensors.torch import load_file, save_file

    content_files = list_images(cfg.content_data)
    style_files = list_image_sources(cfg.style_data)
    # The name holds everything the crops depend on, the image lists included, so a changed
    # setting or data folder encodes afresh instead of reusing crops of other images.
    files = hashlib.sha1("\n".join(map(str, content_files + style_files)).encode()).hexdigest()
    name = (f"c{cfg.content_crops}x{cfg.crop}@{cfg.content_scale[0]}-{cfg.content_scale[1]}_"
            f"s{cfg.style_crops}x{cfg.style_crop}@{cfg.style_scale[0]}-{cfg.style_scale[1]}_"
            f"seed{cfg.seed}_{files[:10]}")
    path = Path(cfg.out) / "cache" / f"{name}.safetensors"
    if place.main and not path.is_file():
        logger.info("encoding %d content crops and %d style crops once, into %s (the steps "
                    "start after it)", cfg.content_crops, cfg.style_crops, path)
        generator = torch.Generator().manual_seed(cfg.seed)
        content = RandomCrops(content_files, cfg.crop, generator,
                                     short_side=tuple(cfg.content_scale))  # type: ignore[arg-type]
        style = RandomCrops(style_files, cfg.style_crop, generator,
                                   short_side=tuple(cfg.style_scale))  # type: ignore[arg-type]
        tensors: dict[str, list[torch.Tensor]] = {"content": [], "pixels": []}
        tensors.update({f"{layer}_{s}": [] for layer in STYLE_LAYERS for s in ("mean", "std")})
        with torch.no_grad():
            for start in range(0, max(cfg.content_crops, cfg.style_crops), 16):
                if start < cfg.content_crops:
                    batch = content.batch(min(16, cfg.content_crops - start))
                    tensors["pixels"].append((batch * 255).round().to(torch.uint8))
                    tensors["content"].append(encoder.encode(batch.to(device), [ENCODER_LAYER])
                                              [ENCODER_LAYER].half().cpu())
                if start < cfg.style_crops:
                    batch = style.batch(min(16, cfg.style_crops - start)).to(device)
                    features = encoder.encode(batch, STYLE_LAYERS)
                    for layer in STYLE_LAYERS:
                        m, s = mean_std(features[layer])
                        tensors[f"{layer}_mean"].append(m.flatten(1).cpu())
                        tensors[f"{layer}_std"].append(s.flatten(1).cpu())
        atomic_write(path, lambda tmp: save_file(
            {k: torch.cat(v).contiguous() for k, v in tensors.items()}, tmp))
    barrier(place)
    return load_file(str(path))


class AdaINTrainer(Trainer[TrainAdaINConfig]):
    """The AdaIN decoder, trained on the precomputed crops (see the module)."""

    history_terms = ("total", "content", "style", "pixel")
    net: Decoder

    def __init__(self, cfg: TrainAdaINConfig, place: Dist, device: torch.device) -> None:
        super().__init__(cfg, place, device)
        self.encoder = VGG19Features(STYLE_LAYERS).to(device)
        started = time.perf_counter()
        self.cache = precompute(cfg, self.encoder, device, place)
        # Part of the run's wall time, on resume too (a cache encoded again costs time).
        self.setup_seconds = time.perf_counter() - started
        torch.manual_seed(cfg.seed)
        decoder: Decoder = (DECODERS.load(cfg.init_from).train().requires_grad_(True)  # type: ignore[assignment]
                            if cfg.init_from else Decoder(tuple(cfg.widths))).to(device)  # type: ignore[arg-type]
        self.scales = layer_scales(self.cache, cfg.layer_scale, device)
        if cfg.layer_scale == "mean-activation":
            # On AdaIN targets, what the decoder is trained on (overwritten by a resumed state).
            condition_decoder(decoder, self.scales[ENCODER_LAYER], _sample_targets(
                self.cache, min(32, self.cache["content"].shape[0]), device))
        self.net = decoder
        self.optimiser = torch.optim.Adam(decoder.parameters(), lr=cfg.lr)
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(self.optimiser,
                                                           lambda step: _lr_factor(cfg, step))

    def start(self, start_step: int, generator: torch.Generator) -> None:
        self.generator = generator  # draws the pairs of cached crops

    def loss(self, step: int, model: torch.nn.Module) -> dict[str, torch.Tensor]:
        cfg, cache, device = self.cfg, self.cache, self.device
        ci = torch.randint(cache["content"].shape[0], (cfg.batch,), generator=self.generator)
        content = cache["content"][ci].to(device).float()
        if step <= cfg.warmup:
            # Inversion: decode the photo's own features back to its pixels.
            pixel_loss = F.l1_loss(model(content), cache["pixels"][ci].to(device).float() / 255)
            return {"total": pixel_loss, "pixel": pixel_loss}
        if step == cfg.warmup + 1 and cfg.warmup:
            # Adam's moments hold the pixel loss's gradient scale, orders of magnitude below
            # the VGG loss's: kept, they would make the first style steps too big.
            self.optimiser.state.clear()
        si = torch.randint(cache["relu4_1_mean"].shape[0], (cfg.batch,),
                           generator=self.generator)
        style = {k: cache[k][si].to(device)[..., None, None]
                 for k in cache if k.endswith(("_mean", "_std"))}
        target = adain_from_stats(content, style["relu4_1_mean"], style["relu4_1_std"])
        return paper_losses(self.encoder, model(target), target, style, cfg.style_weight,
                            self.scales)

    def save_samples(self, path: Path) -> None:
        """Four cached crops: as photographed, decoded back, and stylized with four styles."""
        cache, device = self.cache, self.device
        save_grid([cache["pixels"][:4].float().to(device) / 255,
                   self.net(cache["content"][:4].to(device).float()),
                   self.net(_sample_targets(cache, 4, device))], path)

    def export(self, record: StepRecord, history: list[list[Any]]) -> None:
        cfg, decoder = self.cfg, self.net
        export_safetensors(decoder.state_dict(), self.out / "model.safetensors",
                           {**decoder.spec.to_metadata(), "steps": str(record.step)})
        style_rows = [h for h in history if h[4] is not None][-50:]
        warmup_rows = [h for h in history if h[5] is not None][-50:]
        stage: dict[str, Any] = {
            "init_from": cfg.init_from, "steps": record.step, "warmup_steps": cfg.warmup,
            "wall_seconds": round(record.seconds, 1),
            "hardware": describe_hardware(self.device, self.place),
            "settings": {k: v for k, v in cfg.to_dict().items()
                         if k not in ("out", "resume", "init_from", "device")},
        }
        if style_rows:
            stage["final_losses_mean_of_last_50_steps"] = {
                k: sum(h[i] for h in style_rows) / len(style_rows)
                for i, k in ((2, "total"), (3, "content"), (4, "style"))}
        if warmup_rows:
            stage["final_warmup_pixel_l1"] = sum(h[5] for h in warmup_rows) / len(warmup_rows)
        stages = [*earlier_stages(DECODERS, cfg.init_from), stage]
        write_json(self.out / "config.json", {
            "method": "adain", "architecture": "adain-decoder",
            "widths": list(decoder.spec.widths), "training": cfg.to_dict(), **totals(stages),
            "stages": stages,
        })
        write_card(self.out)


def train_adain(cfg: TrainAdaINConfig) -> Iterator[StepRecord]:
    """Run (or resume) the training of an AdaIN decoder: :func:`.loop.train` with
    :class:`AdaINTrainer`; yields a record per step (rank 0)."""
    return train(cfg, AdaINTrainer)


def _lr_factor(cfg: TrainAdaINConfig, step: int) -> float:
    """Learning rate of ``step`` (counted from 0) relative to ``cfg.lr``."""
    if step < cfg.warmup:
        return cfg.warmup_lr / cfg.lr if cfg.lr else 0.0
    return 1.0 / (1.0 + cfg.lr_decay * (step - cfg.warmup))


def layer_scales(cache: dict[str, torch.Tensor], how: str, device: torch.device
                 ) -> dict[str, torch.Tensor]:
    """Per-channel divisors ``(1, C, 1, 1)`` for each of :data:`STYLE_LAYERS`.

    ``"mean-activation"``: each channel's mean activation over the cached style crops (from
    their ``<layer>_mean`` statistics), floored at a tenth of its layer's average so that a
    nearly silent channel does not dominate; ``"none"``: ones.
    """
    scales = {}
    for layer in STYLE_LAYERS:
        mean = cache[f"{layer}_mean"].float().mean(0)
        scale = (mean.clamp_min(0.1 * float(mean.mean())) if how == "mean-activation"
                 else torch.ones_like(mean))
        scales[layer] = scale.view(1, -1, 1, 1).to(device)
    return scales


@torch.no_grad()
def condition_decoder(decoder: Decoder, input_scale: torch.Tensor, features: torch.Tensor
                      ) -> None:
    """Reparametrise ``decoder`` in place without changing what it computes: its input divided
    by ``input_scale`` ``(1, 512, 1, 1)``, and each convolution's output scaled to unit
    root-mean-square on ``features`` ``(B, 512, h, w)`` (the next convolution's weights
    scaled up to match; ReLU, padding and nearest upsampling commute with positive scales).

    Why: PyTorch's initialisation assumes unit-size inputs, and Adam moves every weight by about
    the learning rate, which suits layers whose activations are of comparable size. Our decoder
    of stages 1-3, trained on the raw Caffe features, had activations from ~1000 after its
    first layer down to ~0.2 before its last. (Measured: continuing it for 200 steps on the
    same batches gave the same losses with and without this, mean total 18.50 vs 18.42; it
    is a sound starting point, not a cure.)
    """
    first = next(m for m in decoder.body if isinstance(m, torch.nn.Conv2d))
    first.weight.mul_((input_scale / decoder.input_scale).view(1, -1, 1, 1))
    decoder.input_scale.copy_(input_scale)
    x, carried = features / decoder.input_scale, 1.0
    for layer in decoder.body:
        if isinstance(layer, torch.nn.Conv2d):
            layer.weight.mul_(carried)  # its input was divided by ``carried``
            conv = layer
        x = layer(x)
        if isinstance(layer, torch.nn.ReLU):
            carried = float(x.square().mean().sqrt().clamp_min(1e-12))
            conv.weight.div_(carried)
            if conv.bias is not None:
                conv.bias.div_(carried)
            x = x / carried


def paper_losses(encoder: VGG19Features, decoded: torch.Tensor, target: torch.Tensor,
                 style: dict[str, torch.Tensor], style_weight: float,
                 scales: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Section 6 of the paper: content loss on the AdaIN target at ``relu4_1`` and style loss on
    the feature mean and standard deviation at ``relu1_1..relu4_1`` (MSE, summed), with every
    channel divided by ``scales[layer]`` (see :func:`layer_scales`; means and deviations scale
    with their features)."""
    features = encoder.encode(decoded, STYLE_LAYERS)
    s4 = scales[ENCODER_LAYER]
    content_loss = F.mse_loss(features[ENCODER_LAYER] / s4, target / s4)
    style_loss = torch.stack([
        F.mse_loss(m / k, style[f"{layer}_mean"] / k) + F.mse_loss(s / k, style[f"{layer}_std"] / k)
        for layer in STYLE_LAYERS
        for m, s, k in [(*mean_std(features[layer]), scales[layer])]]).sum()
    return {"total": content_loss + style_weight * style_loss, "content": content_loss,
            "style": style_loss}


def _sample_targets(cache: dict[str, torch.Tensor], count: int, device: torch.device
                    ) -> torch.Tensor:
    """AdaIN targets of the first ``count`` cached content crops, each with a style crop
    (spread evenly over the cached ones)."""
    spread = torch.linspace(0, cache["relu4_1_mean"].shape[0] - 1, count).long()
    return adain_from_stats(cache["content"][:count].to(device).float(),
                            cache["relu4_1_mean"][spread, :, None, None].to(device),
                            cache["relu4_1_std"][spread, :, None, None].to(device))
