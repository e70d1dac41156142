"""Training reconstruction decoders: invert the frozen VGG-19 at one layer (Li et al. 2017).

Loss (section 3.1 of the paper): ``pixel + feature_weight * feature``, the mean squared error
of the decoded image against the photo, plus that of its re-encoded features against the
photo's, every channel divided by its mean activation (the decoder's ``input_scale``) so that
all channels count alike whatever the size of their raw Caffe activations. No style image and
no style loss: a decoder that only inverts the encoder learns far faster than one that must
also learn to paint, and one decoder serves every painting (the transforms between encoder and
decoder, WCT and AdaIN, carry the style).

``stylekit train decoder --layer relu3_1 --data photos/ --out runs/relu3_1``; ``--resume``
continues from ``OUT/checkpoint.pt``; ``--init-from`` starts a further stage from a decoder;
``torchrun`` works as for the other trainers.

Output folder: ``checkpoint.pt``, ``samples/`` (photo crops above their reconstructions),
and at the end ``model.safetensors`` (fp16), ``config.json`` (settings, losses, stages, wall
time) and a ``README.md`` model card.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F

from ..config import MethodConfig, param
from ..errors import ConfigError
from ..nets.reconstruction import (
    LEVELS,
    RECONSTRUCTION_DECODERS,
    ReconstructionDecoder,
    paper_widths,
)
from ..vgg import LAYER_CHANNELS, VGG19Features
from .cards import write_card
from .checkpoint import earlier_stages, export_safetensors, save_grid, totals, write_json
from .data import RandomCrops, fixed_samples, list_images
from .distributed import Dist, describe_hardware
from .loop import StepRecord, Trainer, train

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainDecoderConfig(MethodConfig):
    """Settings of a reconstruction-decoder training run (defaults: this project's CPU recipe)."""

    layer: str = param("relu3_1", "The VGG-19 layer the decoder inverts.", choices=LEVELS)
    data: tuple[str, ...] = param((), "Folders of training photos (searched recursively).")
    out: str = param("", "Output folder for checkpoints, samples and the decoder.")
    widths: tuple[int, ...] | None = param(
        None, "Widths of the decoder's upsampling stages, deepest first (default: the paper's, "
        "VGG-19's own: 512,256,128,64 for relu5_1).", min=1)
    crop: int = param(128, "Side of the random photo crops.", min=32, max=1024)
    content_scale: tuple[int, ...] = param(
        (160, 384), "Short side range photos are resized to before a crop is taken (about the "
        "scale photos are stylized at).", min=32)
    batch: int = param(8, "Crops per step (per process under torchrun).", min=1, max=256)
    steps: int = param(2000, "Optimiser steps.", min=1, max=10_000_000)
    lr: float = param(1e-3, "Adam learning rate at the start; cosine decay to lr_final.",
                      min=0.0)
    lr_final: float = param(1e-5, "Learning rate at the last step.", min=0.0)
    batch_norm: bool = param(
        False, "Train with batch normalisation after each hidden convolution (better "
        "conditioned), folded into the convolutions in the exported file.")
    feature_weight: float = param(
        1.0, "Weight of the feature loss (channels divided by their mean activation) against "
        "the pixel loss (RGB in [0, 1]).", min=0.0)
    init_from: str | None = param(
        None, "Start from this decoder (a model.safetensors path or folder) instead of from "
        "scratch: a further stage of its training.")
    tail_from: str | None = param(
        None, "Start from scratch, but with the trained decoder of the next shallower level "
        "as this decoder's tail (the architectures nest: a relu4_1 decoder is a head that "
        "maps relu4_1 to relu3_1 features, then a relu3_1 decoder).")
    head_steps: int = param(
        0, "With tail_from: first steps that train the head alone to predict the shallower "
        "level's features (no VGG pass with gradient: cheap), before the whole decoder "
        "trains on the image.", min=0)
    checkpoint_every: int = param(100, "Steps between checkpoints.", min=1)
    sample_every: int = param(500, "Steps between sample grids (0: never).", min=0)
    export_every: int = param(
        0, "Steps between exports of the decoder so far (model, config, card), so a long run "
        "always has a usable decoder (0: only at the end).", min=0)
    max_minutes: float | None = param(
        None, "Stop (with a checkpoint and a model) once the run has taken this much wall "
        "time in all, counting earlier sessions of a resumed run.", min=0.0)
    resume: bool = param(False, "Continue from OUT/checkpoint.pt.")
    seed: int = param(0, "Seed of the crops and the initial weights.")
    device: str = param("auto", "Device: auto, cpu, cuda or mps.")

    def __post_init__(self) -> None:
        super().__post_init__()
        for name in ("data", "out"):
            if not getattr(self, name):
                raise ConfigError(f"training needs {{{name}}}")
        if len(self.content_scale) != 2 or not self.crop <= self.content_scale[0] \
                <= self.content_scale[1]:
            raise ConfigError(f"{{content_scale}} must be two sizes from {{crop}} ({self.crop}) "
                              f"upwards, low to high; got {self.content_scale}")
        if self.tail_from and (self.init_from or self.layer == LEVELS[0]):
            raise ConfigError("{tail_from} starts a new decoder of relu2_1 or deeper from the "
                              "next shallower one; it cannot be combined with {init_from}")
        if self.head_steps and not self.tail_from:
            raise ConfigError("{head_steps} needs {tail_from} (the decoder the head feeds)")
        if self.widths is not None and len(self.widths) != len(paper_widths(self.layer)):
            raise ConfigError(
                f"a {self.layer} decoder has {len(paper_widths(self.layer))} widths (one per "
                f"upsampling stage), got {len(self.widths)}: {self.widths}")


def reconstruction_losses(encoder: VGG19Features, decoded: torch.Tensor, photo: torch.Tensor,
                          features: torch.Tensor, scale: torch.Tensor, layer: str,
                          feature_weight: float) -> dict[str, torch.Tensor]:
    """The paper's loss: pixel MSE plus ``feature_weight`` times the MSE of the re-encoded
    features, channels divided by ``scale`` ``(1, C, 1, 1)``.

    Args:
        decoded, photo: RGB ``(B, 3, H, W)``; ``photo`` in [0, 1].
        features: ``layer`` features of ``photo`` ``(B, C, H/s, W/s)`` (no gradient needed).

    Returns: ``total``, ``pixel`` and ``feature`` (scalars).
    """
    pixel = F.mse_loss(decoded, photo)
    if not feature_weight:
        return {"total": pixel, "pixel": pixel, "feature": pixel.new_zeros(())}
    again = encoder.encode(decoded, [layer])[layer]
    feature = F.mse_loss(again / scale, features / scale)
    return {"total": pixel + feature_weight * feature, "pixel": pixel, "feature": feature}


@torch.no_grad()
def mean_activations(encoder: VGG19Features, crops: RandomCrops, layer: str,
                     device: torch.device, batches: int = 8) -> torch.Tensor:
    """Each channel's mean activation at ``layer`` over ``batches`` batches of 8 crops, floored
    at a tenth of the layer's average (a nearly silent channel must not be magnified)."""
    total = None
    for _ in range(batches):
        features = encoder.encode(crops.batch(8).to(device), [layer])[layer]
        mean = features.mean((0, 2, 3))
        total = mean if total is None else total + mean
    assert total is not None
    total = total / batches
    return total.clamp_min(0.1 * float(total.mean())).view(1, -1, 1, 1)


@torch.no_grad()
def fit_linear_decoder(decoder: ReconstructionDecoder, encoder: VGG19Features,
                       crops: RandomCrops, device: torch.device,
                       batches: int = 4) -> float:
    """Set a single-convolution decoder (``relu1_1``) to the least-squares inverse of the
    encoder on ``batches`` batches of 8 crops; returns its pixel MSE on them.

    The ``relu1_1`` decoder is linear, so its best weights solve a least-squares problem
    exactly; gradient descent gets there slowly, since the 3x3 neighbourhoods of 64 edge
    filters are strongly correlated (measured: 300 Adam steps left a pixel MSE of 0.07 where
    the exact solution gives 0.0002).
    """
    conv = decoder.body[-1]
    assert isinstance(conv, torch.nn.Conv2d) and len(decoder.body) == 2, "a one-layer decoder"
    gram = torch.zeros(conv.in_channels * 9 + 1, conv.in_channels * 9 + 1, dtype=torch.float64)
    cross = torch.zeros(conv.in_channels * 9 + 1, 3, dtype=torch.float64)
    for _ in range(batches):
        photo = crops.batch(8).to(device)
        features = encoder.encode(photo, [decoder.layer])[decoder.layer] / decoder.input_scale
        patches = F.unfold(decoder.body[0](features), 3)  # the same reflection padding
        x = patches.transpose(1, 2).reshape(-1, patches.shape[1]).double().cpu()
        x = torch.cat([x, torch.ones(x.shape[0], 1, dtype=x.dtype)], 1)
        y = photo.permute(0, 2, 3, 1).reshape(-1, 3).double().cpu()
        gram += x.T @ x
        cross += x.T @ y
    ridge = 1e-6 * gram.diagonal().mean() * torch.eye(gram.shape[0], dtype=gram.dtype)
    solution = torch.linalg.solve(gram + ridge, cross)  # (in*9 + 1, 3)
    conv.weight.copy_(solution[:-1].T.reshape(conv.weight.shape).to(conv.weight))
    conv.bias.copy_(solution[-1].to(conv.bias))  # type: ignore[union-attr]
    return float(F.mse_loss(decoder(features), photo))  # on the last batch


def _lr_factor(cfg: TrainDecoderConfig, step: int) -> float:
    """Cosine decay from ``lr`` to ``lr_final`` over the run (``step`` counted from 0)."""
    if not cfg.lr:
        return 0.0
    floor = cfg.lr_final / cfg.lr
    return floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * min(step / cfg.steps, 1.0)))


class DecoderTrainer(Trainer[TrainDecoderConfig]):
    """A reconstruction decoder for one layer, trained on random photo crops (see the
    module)."""

    history_terms = ("total", "pixel", "feature")
    net: ReconstructionDecoder

    def __init__(self, cfg: TrainDecoderConfig, place: Dist, device: torch.device) -> None:
        super().__init__(cfg, place, device)
        self.export_every = cfg.export_every
        self.files = [f for folder in cfg.data for f in list_images(folder)]
        self.shallower = LEVELS[max(0, LEVELS.index(cfg.layer) - 1)]
        self.encoder = VGG19Features([self.shallower, cfg.layer]).to(device)
        torch.manual_seed(cfg.seed)
        if cfg.init_from:
            decoder: ReconstructionDecoder = RECONSTRUCTION_DECODERS.load(cfg.init_from)  # type: ignore[assignment]
            if decoder.layer != cfg.layer:
                raise ConfigError(f"{{init_from}} {cfg.init_from!r} inverts {decoder.layer}, not "
                                  f"{cfg.layer}")
            decoder = decoder.train().requires_grad_(True).to(device)
        else:
            decoder = ReconstructionDecoder(cfg.layer, cfg.widths, cfg.batch_norm).to(device)
            probe = RandomCrops(self.files, cfg.crop, torch.Generator().manual_seed(cfg.seed),
                                short_side=tuple(cfg.content_scale))  # type: ignore[arg-type]
            decoder.input_scale.copy_(mean_activations(self.encoder, probe, cfg.layer, device))
            if cfg.layer == LEVELS[0]:
                fit = fit_linear_decoder(decoder, self.encoder, probe, device)
                logger.info("relu1_1 decoder set to the least-squares inverse: pixel MSE %.5f",
                            fit)
        self.tail = _attach_tail(decoder, cfg.tail_from) if cfg.tail_from else None
        self.net = decoder.to(memory_format=torch.channels_last)
        self.optimiser = torch.optim.Adam(decoder.parameters(), lr=cfg.lr)
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(self.optimiser,
                                                           lambda s: _lr_factor(cfg, s))

    def start(self, start_step: int, generator: torch.Generator) -> None:
        cfg = self.cfg
        self.crops = RandomCrops(self.files, cfg.crop, generator,
                                 short_side=tuple(cfg.content_scale))  # type: ignore[arg-type]
        self.samples = (fixed_samples(self.files, 4, cfg.crop).to(self.device)
                        if self.place.main else None)
        # The channel divisors of the feature loss: those of the decoder's input, as resumed.
        self.scale = self.net.input_scale.detach().clone()

    def loss(self, step: int, model: torch.nn.Module) -> dict[str, torch.Tensor]:
        cfg, decoder = self.cfg, self.net
        photo = self.crops.batch(cfg.batch).to(self.device)
        head_only = step <= cfg.head_steps
        with torch.no_grad():
            encoded = self.encoder.encode(
                photo, [self.shallower, cfg.layer] if head_only else [cfg.layer])
            features = encoded[cfg.layer]
        if head_only:
            assert self.tail is not None
            # The head alone learns the shallower level's features, as its decoder expects them.
            head = decoder.body[: len(decoder.body) - self.tail.length]
            loss = F.mse_loss(head(features / decoder.input_scale),
                              encoded[self.shallower] / self.tail.input_scale)
            return {"total": loss, "pixel": loss.new_zeros(()), "feature": loss}
        if step == cfg.head_steps + 1 and cfg.head_steps:
            self.optimiser.state.clear()  # moments of another loss, on other parameters
        return reconstruction_losses(self.encoder, model(features), photo, features, self.scale,
                                     cfg.layer, cfg.feature_weight)

    def save_samples(self, path: Path) -> None:
        assert self.samples is not None  # rank 0's
        layer = self.cfg.layer
        again = self.net(self.encoder.encode(self.samples, [layer])[layer])
        save_grid([self.samples, again], path)

    def export(self, record: StepRecord, history: list[list[Any]]) -> None:
        cfg = self.cfg
        decoder = self.net.fused()  # the plain architecture, whatever trained
        export_safetensors(decoder.state_dict(), self.out / "model.safetensors",
                           {**decoder.spec.to_metadata(), "steps": str(record.step)})
        window = history[-50:]
        stage: dict[str, Any] = {
            # Starting points by folder name only: committed files hold no machine's paths.
            "init_from": _name(cfg.init_from), "tail_from": _name(cfg.tail_from),
            "steps": record.step - (history[0][0] - 1 if history else 0),
            "wall_seconds": round(record.seconds, 1),
            "hardware": describe_hardware(self.device, self.place),
            "settings": {k: v for k, v in cfg.to_dict().items() if k not in (
                "out", "resume", "init_from", "tail_from", "device", "data")},
            "data": [_data_name(folder) for folder in cfg.data],
            "final_losses_mean_of_last_50_steps": {
                k: sum(h[i] for h in window) / len(window)
                for i, k in enumerate(self.history_terms, start=2)},
        }
        stages = [*earlier_stages(RECONSTRUCTION_DECODERS, cfg.init_from), stage]
        write_json(self.out / "config.json", {
            "method": "decoder", **decoder.spec.to_metadata(),
            "widths": list(decoder.spec.widths), **totals(stages), "stages": stages,
        })
        write_card(self.out)


def train_decoder(cfg: TrainDecoderConfig) -> Iterator[StepRecord]:
    """Run (or resume) the training of a reconstruction decoder: :func:`.loop.train` with
    :class:`DecoderTrainer`; yields a record per step (rank 0)."""
    return train(cfg, DecoderTrainer)


@dataclass(frozen=True)
class _Tail:
    length: int  # modules of the decoder's body that came from the shallower decoder
    input_scale: torch.Tensor  # what the shallower decoder divides its input by


def _attach_tail(decoder: ReconstructionDecoder, source: str) -> _Tail:
    """Copy the next shallower level's decoder into the last layers of ``decoder``."""
    shallower: ReconstructionDecoder = RECONSTRUCTION_DECODERS.load(source)  # type: ignore[assignment]
    expected = LEVELS[LEVELS.index(decoder.layer) - 1]
    # The tail reads the shallower level's features: the head must output its channels.
    fits = decoder.spec.widths[0] == LAYER_CHANNELS[expected]
    if shallower.layer != expected or shallower.spec.widths != decoder.spec.widths[1:] \
            or not fits:
        raise ConfigError(
            f"{{tail_from}} {source!r} is a {shallower.layer} decoder with widths "
            f"{shallower.spec.widths}; a {decoder.layer} decoder of widths "
            f"{decoder.spec.widths} needs a {expected} decoder of widths "
            f"{decoder.spec.widths[1:]}, and its first width must be {expected}'s "
            f"{LAYER_CHANNELS[expected]} channels")
    length = len(shallower.body)
    for mine, theirs in zip(decoder.body[len(decoder.body) - length:], shallower.body,
                            strict=True):
        mine.load_state_dict(theirs.state_dict())
    return _Tail(length, shallower.input_scale.to(decoder.input_scale.device))


def _name(model: str | None) -> str | None:
    """A decoder a run started from, as its folder's name (``runs/relu3_1`` -> ``relu3_1``)."""
    if model is None:
        return None
    path = Path(model)
    return (path.parent.name if path.suffix == ".safetensors" else path.name) or model


def _data_name(folder: str) -> dict[str, Any]:
    """A data folder as committed files may record it: its last two path parts (relative to
    the data root, never a machine's absolute path) and how many images it holds."""
    path = Path(folder).resolve()
    return {"folder": "/".join(path.parts[-2:]), "images": len(list_images(path))}
