"""Training the arbitrary-style network (Ghiasi et al. 2017), designed for a CPU.

One :class:`~stylekit.nets.conditional.ConditionalTransformerNet` learns every painting of a
collection at once: each crop of a batch is painted in the style of a different painting,
the network being told which by the painting's VGG-19 statistics. The loss is relative, so
that every painting and layer pulls about as hard as the others whatever its scale:

    content_weight * |F(out) - F(photo)|² / |F(photo)|²          at relu4_2
  + style_weight * mean over layers of |G(out) - G(painting)| / |G(painting)|   (style_error)
  + tv_weight * total variation
  + palette_weight * palette_error (colour mean and covariance against the painting's)
  + colour_weight * sliced_colour_distance (the whole colour distribution against the view's)

(the distances ``bench/quality.py`` reports, the style one without relu5_1 and its square
root taken per layer and painting, so that no painting takes over the gradient).

Designed for a CPU:

- What does not change is computed once (``OUT/cache/``): the *style bank*, several views of
  each painting (a random crop of 60-100% of each side, resized to a random long side in
  ``style_size``, half of them with their hues turned, so that palettes the collection lacks
  are seen too) with their statistics and Gram matrices; and a fixed set of content crops
  with their ``relu4_2`` features. A step then runs the network and one VGG pass, with
  gradient, on its output.
- The paintings of ``styles_extra`` are reduced to 16 colours with dithering; each is blurred
  (``blur`` pixels, at its own resolution) before anything is measured, so that the network
  learns the painting rather than the dither.
- The collection is mostly old masters in muted colours: ``vivid_views`` raises the
  saturation of a share of the views, so that vivid paintings are not strangers to the
  embedding; the colour distribution term then asks for their colours, not only their mean.
- A warm-up first teaches the network to give the photo back (L1 pixel loss, no VGG), for
  random paintings, so style training starts from the photo instead of from noise.

``stylekit train arbitrary --style-data DIR --content-data DIR --out DIR``; ``--resume``
continues from ``OUT/checkpoint.pt``; ``torchrun`` works as for the other trainers.
"""

from __future__ import annotations

import fnmatch
import hashlib
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image, ImageEnhance, ImageFilter

from ..color import luminance
from ..config import MethodConfig, param
from ..errors import ConfigError, ImageError
from ..fileio import atomic_write
from ..filters import box_filter
from ..images import load_image, to_tensor
from ..losses import gram_matrix, total_variation
from ..nets.conditional import (
    STATS_LAYERS,
    STYLE_SIZE,
    ConditionalTransformerNet,
    painting_statistics,
)
from ..vgg import VGG19Features
from .cards import write_card
from .checkpoint import export_safetensors, load_mapped, save_grid, write_json
from .data import RandomCrops, list_image_sources
from .distributed import Dist, barrier, describe_hardware
from .loop import StepRecord, Trainer, train

logger = logging.getLogger(__name__)

CONTENT_LAYER = "relu4_2"


@dataclass(frozen=True)
class TrainArbitraryConfig(MethodConfig):
    """Settings of an arbitrary-style training run (defaults: this project's CPU recipe)."""

    style_data: tuple[str, ...] = param(
        (), "Paintings: folders (searched recursively) and/or single image files.")
    content_data: tuple[str, ...] = param(
        (), "Photos: folders (searched recursively) and/or single image files.")
    exclude: tuple[str, ...] = param(
        (), "File name patterns left out of both (held-out photos and paintings), e.g. "
        "'test_*' 'artic_24645.*'.")
    out: str = param("", "Output folder for the cache, checkpoints, samples and the model.")
    width: int = param(32, "Base width w of the network (channels w, 2w, 4w).", min=4,
                       max=128)
    blocks: int = param(5, "Residual blocks.", min=1, max=16)
    style_dim: int = param(100, "Length of the style vector.", min=2, max=1024)
    hidden: int = param(256, "Width of the embedding's hidden layer.", min=2, max=4096)
    crop: int = param(128, "Side of the content crops.", min=32, max=1024)
    content_scale: tuple[int, ...] = param(
        (192, 384), "Short side range photos are resized to before a crop is taken.", min=32)
    content_crops: int = param(8000, "Content crops precomputed (pixels and relu4_2).", min=8)
    views: int = param(8, "Views of each painting in the style bank.", min=1, max=256)
    style_size: tuple[int, ...] = param(
        (256, 512), "Long side range of the painting views (the method measures paintings "
        f"at {STYLE_SIZE} unless told otherwise).", min=64)
    blur: float = param(1.0, "Gaussian blur (pixels, at the painting's own resolution) "
                        "before a painting is measured.", min=0.0, max=16.0)
    hue_views: float = param(0.5, "Share of the views whose hues are turned by a random "
                             "angle.", min=0.0, max=1.0)
    vivid_views: float = param(
        0.0, "Share of the views whose colour saturation is raised (by 1.5 to 3 times), so that "
        "vivid paintings, which collections of old masters lack, are seen too.", min=0.0,
        max=1.0)
    batch: int = param(8, "Crops per step (per process under torchrun).", min=1, max=256)
    steps: int = param(30000, "Optimiser steps, warm-up included.", min=1, max=10_000_000)
    warmup_steps: int = param(300, "First steps that teach the network to give the photo "
                              "back (L1 pixel loss, no VGG).", min=0)
    lr: float = param(5e-4, "Adam learning rate (a resumed run takes the one given).",
                      min=0.0)
    clip_grad_norm: float | None = param(
        10.0, "Largest gradient norm of a step (none: unclipped; typical steps measured 5-15, "
        "the first ones up to 70).", min=0.0)
    content_weight: float = param(1.0, "Weight of the relative content distance.", min=0.0)
    style_weight: float = param(4.0, "Weight of the relative style distance.", min=0.0)
    style_layer_weights: tuple[float, ...] = param(
        (1.0, 1.0, 1.0, 1.0), "Multiplies the style distance at each of "
        f"{', '.join(STATS_LAYERS)} (the finest layer carries the finest texture); the style "
        "term is the mean of the four, so lowering one also lowers the whole term.", min=0.0)
    tv_weight: float = param(0.0, "Weight of total variation (L1, on [0, 1] pixels).",
                             min=0.0)
    palette_weight: float = param(
        1.0, "Weight of the palette error: the colour mean and covariance against the "
        "painting's (see palette_error).", min=0.0)
    colour_weight: float = param(
        0.0, "Weight of the colour distribution distance against the painting's (see "
        "sliced_colour_distance): several colours in the painting's proportions rather than "
        "their mean.", min=0.0)
    tone_weight: float = param(
        0.0, "Weight of the tone error against the photo (see tone_error): the picture's "
        "light and dark layout, blurred and standardised, kept close to the photo's, against "
        "glowing halos beside the subject's edges.", min=0.0)
    stored_styles: tuple[str, ...] = param(
        (), "Paintings (paths) whose style vectors are stored with the exported model, as its "
        "built-in styles (named after their files; measured, not trained on).")
    samples: tuple[str, ...] = param(
        (), "Paintings (paths) the sample grids show, besides two of the training ones.")
    checkpoint_every: int = param(50, "Steps between checkpoints.", min=1)
    sample_every: int = param(250, "Steps between sample grids (0: never).", min=0)
    export_every: int = param(500, "Steps between exports of the model so far (0: at the "
                              "end only).", min=0)
    max_minutes: float | None = param(
        None, "Stop (with a checkpoint and a model) once the run has taken this much wall "
        "time in all, counting earlier sessions of a resumed run.", min=0.0)
    resume: bool = param(False, "Continue from OUT/checkpoint.pt.")
    init: str = param(
        "", "Start a new run from this model's weights (a shipped name such as 'default' or a "
        "model.safetensors path) instead of from scratch, with a fresh optimiser; its "
        "architecture must match width, blocks, style_dim and hidden. Steps count from 0. The "
        "fresh optimiser costs quality at first (300 such steps lost to their start on 27 of 36 "
        "panel answers): to go on training a run, --resume from its checkpoint instead.")
    seed: int = param(0, "Seed of the views, crops, pairing and initial weights.")
    device: str = param("auto", "Device: auto, cpu, cuda or mps.")

    def __post_init__(self) -> None:
        super().__post_init__()
        if not self.style_data or not self.content_data or not self.out:
            raise ConfigError("training needs {style_data}, {content_data} and {out}")
        for name, low_bound in (("content_scale", self.crop), ("style_size", 64)):
            low, *rest = getattr(self, name)
            if len(rest) != 1 or not low_bound <= low <= rest[0]:
                raise ConfigError(f"{{{name}}} needs two sizes LOW HIGH with {low_bound} <= LOW <= "
                                  f"HIGH, got {getattr(self, name)}")
        if not any(self.style_layer_weights):
            raise ConfigError("{style_layer_weights} are all 0, which would drop the style "
                              "term: give at least one layer a positive weight")
        if len(self.style_layer_weights) != len(STATS_LAYERS):
            raise ConfigError(f"{{style_layer_weights}} needs {len(STATS_LAYERS)} numbers, one "
                              f"per layer of {', '.join(STATS_LAYERS)}; got "
                              f"{self.style_layer_weights}")


def training_files(sources: tuple[str, ...], exclude: tuple[str, ...]) -> list[Path]:
    """The images of ``sources`` whose names match none of ``exclude``.

    Example:
        >>> import tempfile
        >>> folder = Path(tempfile.mkdtemp())
        >>> for name in ("train_1.jpg", "test_2.jpg", "notes.txt"):
        ...     _ = (folder / name).write_bytes(b"")
        >>> [p.name for p in training_files((str(folder),), ("test_*",))]
        ['train_1.jpg']
    """
    files = [p for p in list_image_sources(sources)
             if not any(fnmatch.fnmatch(p.name, pattern) for pattern in exclude)]
    if not files:
        raise ConfigError(f"no images left in {', '.join(sources)} after excluding "
                          f"{', '.join(exclude)}")
    return files


def turn_hue(image: Image.Image, turn: float) -> Image.Image:
    """``image`` with every hue turned by ``turn`` (a fraction of the colour circle).

    Example:
        >>> red = Image.new("RGB", (1, 1), (255, 0, 0))
        >>> turn_hue(red, 1 / 3).getpixel((0, 0))  # a third of the way round: green
        (0, 255, 0)
    """
    hsv = np.asarray(image.convert("HSV")).copy()
    hsv[..., 0] = (hsv[..., 0].astype(np.int32) + round(turn * 256)) % 256
    return Image.fromarray(hsv, "HSV").convert("RGB")


def painting_view(image: Image.Image, generator: torch.Generator, size: tuple[int, int],
                  hue_share: float, vivid_share: float = 0.0) -> Image.Image:
    """One random view of a painting for the style bank: a crop of 60-100% of each side, its
    long side resized to a random size in ``size``, its hues turned with chance
    ``hue_share``, its saturation raised 1.5-3 times with chance ``vivid_share``."""
    def uniform(low: float, high: float) -> float:
        return low + (high - low) * float(torch.rand((), generator=generator))

    w, h = image.size
    cw, ch = round(w * uniform(0.6, 1.0)), round(h * uniform(0.6, 1.0))
    left, top = round((w - cw) * uniform(0, 1)), round((h - ch) * uniform(0, 1))
    view = image.crop((left, top, left + cw, top + ch))
    long_side = round(uniform(*size))
    k = long_side / max(cw, ch)
    view = view.resize((max(16, round(cw * k)), max(16, round(ch * k))),
                       Image.Resampling.LANCZOS)
    if uniform(0, 1) < hue_share:
        view = turn_hue(view, uniform(0.1, 0.9))
    # Drawn only when asked for, so that banks made without it keep their views.
    if vivid_share and uniform(0, 1) < vivid_share:
        view = ImageEnhance.Color(view).enhance(uniform(1.5, 3.0))
    return view


def _cache_path(cfg: TrainArbitraryConfig, kind: str, files: list[Path], settings: str) -> Path:
    digest = hashlib.sha1(("\n".join(map(str, files)) + settings).encode()).hexdigest()[:12]
    return Path(cfg.out) / "cache" / f"{kind}_{digest}.safetensors"


def bank_views(cfg: TrainArbitraryConfig, files: list[Path]
               ) -> Iterator[tuple[int, Image.Image]]:
    """The style bank's views, ``(index of the painting, view)``, ``cfg.views`` per painting
    (blurred first), always the same for the same settings: the bank and the colour samples
    are made from them."""
    generator = torch.Generator().manual_seed(cfg.seed)
    for index, file in enumerate(files):
        try:
            image = load_image(file, what="painting")
        except ImageError as exc:
            raise ConfigError(f"cannot read training painting: {exc}") from None
        if cfg.blur:
            image = image.filter(ImageFilter.GaussianBlur(cfg.blur))
        for _ in range(cfg.views):
            yield index, painting_view(image, generator, tuple(cfg.style_size),  # type: ignore[arg-type]
                                       cfg.hue_views, cfg.vivid_views)


def style_bank(cfg: TrainArbitraryConfig, vgg: VGG19Features, device: torch.device,
               place: Dist) -> tuple[list[Path], dict[str, torch.Tensor]]:
    """The paintings and their views' ``stats`` ``(N, STATS_DIM)``, ``painting`` ``(N,)``
    (index into the list), ``gram_<layer>`` ``(N, C, C)`` (fp32: relu4_1's overflow fp16) and
    ``colour_mean`` ``(N, 3)`` and ``colour_cov`` ``(N, 3, 3)`` (see :func:`colour_stats`),
    computed once."""
    from safetensors.torch import save_file

    files = training_files(cfg.style_data, cfg.exclude)
    path = _cache_path(cfg, "styles", files, f"{cfg.views}{cfg.style_size}{cfg.blur}"
                       f"{cfg.hue_views}{cfg.seed}fp32colour"
                       + (f"vivid{cfg.vivid_views}" if cfg.vivid_views else ""))
    if place.main and not path.is_file():
        logger.info("measuring %d views of %d paintings once, into %s", cfg.views * len(files),
                    len(files), path)
        rows: dict[str, list[torch.Tensor]] = {"stats": [], "painting": [], "colour_mean": [],
                                               "colour_cov": []}
        rows.update({f"gram_{layer}": [] for layer in STATS_LAYERS})
        for index, view in bank_views(cfg, files):
            with torch.no_grad():
                features = vgg.encode(to_tensor(view, device), STATS_LAYERS)
            rows["stats"].append(painting_statistics(features).cpu())
            rows["painting"].append(torch.tensor([index]))
            mean, cov = colour_stats(to_tensor(view))
            rows["colour_mean"].append(mean)
            rows["colour_cov"].append(cov)
            for layer in STATS_LAYERS:
                rows[f"gram_{layer}"].append(gram_matrix(features[layer]).cpu())
        atomic_write(path, lambda tmp: save_file(
            {k: torch.cat(v).contiguous() for k, v in rows.items()}, tmp))
    barrier(place)
    return files, load_mapped(path)


def content_cache(cfg: TrainArbitraryConfig, vgg: VGG19Features, device: torch.device,
                  place: Dist) -> dict[str, torch.Tensor]:
    """Fixed content crops, ``pixels`` ``(N, 3, crop, crop)`` uint8, and their ``features``
    at relu4_2 ``(N, 512, crop/8, crop/8)`` fp16, computed once."""
    from safetensors.torch import save_file

    files = training_files(cfg.content_data, cfg.exclude)
    path = _cache_path(cfg, "photos", files, f"{cfg.content_crops}{cfg.crop}"
                       f"{cfg.content_scale}{cfg.seed}")
    if place.main and not path.is_file():
        logger.info("encoding %d content crops once, into %s", cfg.content_crops, path)
        crops = RandomCrops(files, cfg.crop, torch.Generator().manual_seed(cfg.seed + 1),
                            short_side=tuple(cfg.content_scale))  # type: ignore[arg-type]
        pixels, features = [], []
        with torch.no_grad():
            for start in range(0, cfg.content_crops, 16):
                batch = crops.batch(min(16, cfg.content_crops - start))
                pixels.append((batch * 255).round().to(torch.uint8))
                features.append(vgg.encode(batch.to(device), [CONTENT_LAYER])[CONTENT_LAYER]
                                .half().cpu())
        atomic_write(path, lambda tmp: save_file(
            {"pixels": torch.cat(pixels).contiguous(),
             "features": torch.cat(features).contiguous()}, tmp))
    barrier(place)
    return load_mapped(path)


def colour_samples(cfg: TrainArbitraryConfig, files: list[Path], place: Dist,
                   count: int = 4096) -> torch.Tensor:
    """``count`` random pixels of each view of the style bank, ``(N, 3, count)`` uint8, in the
    bank's order: the bank's views made again (:func:`bank_views`, no VGG), computed once."""
    from safetensors.torch import save_file

    path = _cache_path(cfg, "colours", files, f"{cfg.views}{cfg.style_size}{cfg.blur}"
                       f"{cfg.hue_views}{cfg.vivid_views}{cfg.seed}{count}")
    if place.main and not path.is_file():
        logger.info("sampling the colours of %d views once, into %s", cfg.views * len(files),
                    path)
        picks = torch.Generator().manual_seed(cfg.seed + 2)
        rows = []
        for _, view in bank_views(cfg, files):
            pixels = torch.from_numpy(np.asarray(view.convert("RGB")).copy()).reshape(-1, 3)
            rows.append(pixels[torch.randint(len(pixels), (count,), generator=picks)].T)
        atomic_write(path, lambda tmp: save_file({"colours": torch.stack(rows).contiguous()},
                                                 tmp))
    barrier(place)
    return load_mapped(path)["colours"]


def sliced_colour_distance(images: torch.Tensor, targets: torch.Tensor,
                           directions: torch.Tensor) -> torch.Tensor:
    """How far images' colour distributions are from targets': the sliced Wasserstein-1
    distance (Rabin et al. 2011), the mean gap between sorted projections of the colours on
    unit ``directions``; ``(B, 3, H, W)`` and ``(B, 3, K)`` in 0..1 to ``(B,)``.

    The palette error matches a colour mean and covariance, which a painting of many bright
    colours shares with an even brown wash; this one asks for the colours themselves, in the
    painting's proportions. With more pixels than ``K``, the images' sorted projections are
    read at the targets' ``K`` quantiles.

    Example:
        Half black, half white against all mid grey: every projected pixel is off by half
        the direction's sum (here 1), so the distance is 0.5.

        >>> images = torch.tensor([0.0, 1.0]).view(1, 1, 1, 2).expand(1, 3, 1, 2)
        >>> targets = torch.full((1, 3, 2), 0.5)
        >>> sliced_colour_distance(images, targets, torch.tensor([[1.0, 0.0, 0.0]]))
        tensor([0.5000])
    """
    flat = images.flatten(2)
    n, k = flat.shape[2], targets.shape[2]
    own = (directions @ flat).sort(dim=2).values
    if n != k:
        quantiles = (torch.arange(k, device=flat.device) + 0.5) / k
        own = own[:, :, (quantiles * n - 0.5).round().long().clamp(0, n - 1)]
    wanted = (directions @ targets).sort(dim=2).values
    return (own - wanted).abs().mean((1, 2))


def relative_distance(x: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """``|x - target|² / |target|²`` per sample: ``(B, ...)`` to ``(B,)``.

    Example:
        >>> relative_distance(torch.tensor([[1.0, 1.0], [0.0, 0.0]]),
        ...                   torch.tensor([[1.0, 2.0], [2.0, 0.0]]))
        tensor([0.2000, 1.0000])
    """
    dims = tuple(range(1, x.dim()))
    return (x - target).square().sum(dims) / target.square().sum(dims).clamp_min(1e-12)


def colour_stats(images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The colour mean ``(B, 3)`` and covariance ``(B, 3, 3)`` of RGB images ``(B, 3, H, W)``.

    Example:
        Half the pixels black, half white: mean 0.5, variance 0.25 in every channel.

        >>> mean, cov = colour_stats(torch.tensor([0.0, 1.0]).view(1, 1, 1, 2).expand(1, 3, 1, 2))
        >>> mean.tolist(), cov[0].diagonal().tolist()
        ([[0.5, 0.5, 0.5]], [0.25, 0.25, 0.25])
    """
    flat = images.flatten(2)
    mean = flat.mean(2)
    centred = flat - mean[..., None]
    return mean, centred @ centred.transpose(1, 2) / flat.shape[2]


def palette_error(images: torch.Tensor, mean: torch.Tensor, cov: torch.Tensor,
                  floor: float) -> torch.Tensor:
    """How far images' colours are from a painting's: ``|mean - target mean| + |cov -
    target cov| / max(|target cov|, floor)`` per image, ``(B, 3, H, W)`` to ``(B,)``.

    What a blind panel picked first in one-pass pictures was the painting's palette (a
    final colour match was preferred on 21 of 24 answers); the Gram matrices carry colour
    only among much else.

    Example:
        Grey pixels 0 and 1 (mean 0.5, every covariance 0.25) against a target whose red mean
        is 1 higher, with the same covariance:

        >>> images = torch.tensor([0.0, 1.0]).view(1, 1, 1, 2).expand(1, 3, 1, 2)
        >>> palette_error(images, torch.tensor([[1.5, 0.5, 0.5]]), torch.full((1, 3, 3), 0.25),
        ...               floor=0.01)
        tensor([1.])
    """
    own_mean, own_cov = colour_stats(images)
    return (own_mean - mean).norm(dim=1) + (own_cov - cov).flatten(1).norm(dim=1) / cov.flatten(
        1).norm(dim=1).clamp_min(floor)


def tone_error(images: torch.Tensor, photos: torch.Tensor, radius: int = 4) -> torch.Tensor:
    """How far the pictures' light and dark layout is from the photos': the mean absolute
    difference of their luminance, box-blurred over ``(2 radius + 1)``-square windows and
    standardised per image (zero mean, unit spread), ``(B, 3, H, W)`` twice to ``(B,)``.

    The relu4_2 content distance leaves a network free to paint bright or dark bands beside
    the photo's edges (the "glowing halos" judges count against a picture); the painting's
    own brightness and contrast stay free, since each layout is standardised, and so do
    strokes finer than the window.

    Example:
        A lower-contrast copy has the same layout; the ramp turned upside down has the
        opposite one (a standardised ramp ``z`` against ``-z``: ``2 mean|z| = √3``):

        >>> photos = torch.linspace(0, 1, 16).view(1, 1, 16, 1).expand(1, 3, 16, 4)
        >>> tone_error(0.5 * photos + 0.25, photos, radius=1).round(decimals=4)
        tensor([0.])
        >>> tone_error(photos.flip(2), photos, radius=1).round(decimals=4)
        tensor([1.7323])
    """
    def layout(x: torch.Tensor) -> torch.Tensor:
        flat = box_filter(luminance(x), radius).flatten(1)
        # a floor on the spread: a nearly flat photo's layout is not magnified into noise
        return (flat - flat.mean(1, True)) / flat.std(1, keepdim=True).clamp_min(0.02)

    return (layout(images) - layout(photos)).abs().mean(1)


def style_error(gram: torch.Tensor, target: torch.Tensor, floor: float) -> torch.Tensor:
    """``|gram - target| / max(|target|, floor)`` per sample: ``(B, C, C)`` to ``(B,)``.

    The distance relative to the painting's own Gram norm, so that every painting pulls about
    as hard; not squared, and never divided by less than ``floor``, because views of dark or
    flat paintings have Gram norms 30 times below the median and would otherwise put photos
    at distances that take over the gradient.

    Example:
        >>> target = torch.tensor([[[3.0, 0.0], [0.0, 4.0]]])  # norm 5
        >>> style_error(torch.zeros(1, 2, 2), target, floor=1.0)
        tensor([1.])
        >>> style_error(torch.zeros(1, 2, 2), target, floor=10.0)
        tensor([0.5000])
    """
    return (gram - target).square().sum((1, 2)).sqrt() / target.square().sum(
        (1, 2)).sqrt().clamp_min(floor)


def style_vectors(net: ConditionalTransformerNet, vgg: VGG19Features,
                  paintings: tuple[str, ...] | list[str]) -> dict[str, torch.Tensor]:
    """The style vectors ``{name: (style_dim,)}`` of paintings (paths), measured as the
    arbitrary method measures a painting (whole, STYLE_SIZE on its long side), named after
    their files: what :meth:`ConditionalTransformerNet.store_styles` keeps as built-in
    styles."""
    from ..images import resize_long_side

    device = net.stats_center.device
    vectors = {}
    with torch.no_grad():
        for path in paintings:
            image = resize_long_side(load_image(path, what="stored style"), STYLE_SIZE)
            features = vgg.encode(to_tensor(image, device), STATS_LAYERS)
            vectors[Path(path).stem] = net.embed(painting_statistics(features))[0]
    return vectors


def store_styles(model: str | Path, paintings: list[str], out: str | Path) -> None:
    """Write ``model`` (a model file) to ``out`` with the style vectors of ``paintings``
    stored in it (see :func:`style_vectors`), e.g. to ship a run's network with the example
    paintings as its built-in styles."""
    from safetensors import safe_open

    from ..nets.conditional import ARBITRARY_MODELS

    net: ConditionalTransformerNet = ARBITRARY_MODELS.load(str(model))  # type: ignore[assignment]
    net.store_styles(style_vectors(net, VGG19Features(STATS_LAYERS), paintings))
    with safe_open(str(ARBITRARY_MODELS.file(str(model))), framework="pt") as handle:
        meta = handle.metadata() or {}
    export_safetensors(net.state_dict(), Path(out), {**meta, **net.metadata()})


class ArbitraryTrainer(Trainer[TrainArbitraryConfig]):
    """The arbitrary-style network, trained on the precomputed bank and crops."""

    history_terms = ("total", "content", "style", "tv", "palette", "colours", "tone")
    net: ConditionalTransformerNet

    def __init__(self, cfg: TrainArbitraryConfig, place: Dist, device: torch.device) -> None:
        super().__init__(cfg, place, device)
        self.export_every = cfg.export_every
        self.vgg = VGG19Features((*STATS_LAYERS, CONTENT_LAYER)).to(device)
        started = time.perf_counter()
        self.paintings, self.bank = style_bank(cfg, self.vgg, device, place)
        self.content = content_cache(cfg, self.vgg, device, place)
        self.colours = (colour_samples(cfg, self.paintings, place) if cfg.colour_weight
                        else None)
        self.setup_seconds = time.perf_counter() - started
        torch.manual_seed(cfg.seed)
        self.net = ConditionalTransformerNet(cfg.width, cfg.blocks, cfg.style_dim,
                                             cfg.hidden).to(device)
        stats = self.bank["stats"]
        self.net.stats_center.copy_(stats.mean(0))
        self.net.stats_scale.copy_(stats.std(0).clamp_min(1e-3))
        if cfg.init:
            self._start_from(cfg.init)
        self.optimiser = torch.optim.Adam(self.net.parameters(), lr=cfg.lr)
        self.clip_grad_norm = cfg.clip_grad_norm
        # A quarter of the median painting's Gram norm, per layer (see style_error).
        self.gram_floor = {layer: 0.25 * float(self.bank[f"gram_{layer}"].square().sum((1, 2))
                                               .sqrt().median()) for layer in STATS_LAYERS}
        self.colour_floor = 0.25 * float(self.bank["colour_cov"].flatten(1).norm(dim=1).median())
        self.sample_photos = self.content["pixels"][:4].float().div(255).to(device)
        self.sample_stats = self._sample_stats(device) if place.main else None

    def _start_from(self, model: str) -> None:
        """Take the weights of ``model`` (its statistics' centre and scale too, which its
        embedding was trained with); its stored styles are measured afresh at export."""
        from ..nets.conditional import ARBITRARY_MODELS

        start: ConditionalTransformerNet = ARBITRARY_MODELS.load(model)  # type: ignore[assignment]
        if start.spec != self.net.spec:
            raise ConfigError(f"{{init}} {model!r} is a {start.spec}, this run a "
                              f"{self.net.spec}: give the same {{width}}, {{blocks}}, "
                              "{style_dim} and {hidden}")
        state = {k: v.float() for k, v in start.state_dict().items() if k != "stored_styles"}
        self.net.load_state_dict(state)
        logger.info("starting from the weights of %s", model)

    def _sample_stats(self, device: torch.device) -> torch.Tensor:
        """Statistics of the paintings the sample grids show: the given ones, whole at STYLE_SIZE,
        and the first view of two training paintings."""
        from ..images import resize_long_side

        rows = []
        for path in self.cfg.samples:
            image = resize_long_side(load_image(path, what="sample painting"), STYLE_SIZE)
            with torch.no_grad():
                rows.append(painting_statistics(self.vgg.encode(to_tensor(image, device),
                                                                STATS_LAYERS)))
        first = self.bank["stats"][:: self.cfg.views * max(1, len(self.paintings) // 2)][:2]
        return torch.cat([*rows, first.to(device)])

    def restore(self, state: dict[str, Any]) -> None:
        # Stored styles are measured afresh at each export (the paintings may have changed).
        model = {k: v for k, v in state["model"].items() if k != "stored_styles"}
        super().restore({**state, "model": model})
        for group in self.optimiser.param_groups:  # a resumed run may lower the rate
            group["lr"] = self.cfg.lr

    def start(self, start_step: int, generator: torch.Generator) -> None:
        self.generator = generator

    def _draw(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """A batch: crops ``(B, 3, h, w)``, their features, and style view indices."""
        n = self.content["pixels"].shape[0]
        crops = torch.randint(n, (self.cfg.batch,), generator=self.generator)
        views = torch.randint(self.bank["stats"].shape[0], (self.cfg.batch,),
                              generator=self.generator)
        photos = self.content["pixels"][crops].float().div(255).to(self.device)
        features = self.content["features"][crops].float().to(self.device)
        return photos, features, views

    def loss(self, step: int, model: torch.nn.Module) -> dict[str, torch.Tensor]:
        cfg = self.cfg
        photos, targets, views = self._draw()
        stats = self.bank["stats"][views].to(self.device)
        net = self.net
        out = model(photos, net.embed(stats))
        zero = out.new_zeros(())
        if step <= cfg.warmup_steps:  # the photo back, whatever the painting
            pixel = (out - photos).abs().mean()
            return {"total": pixel, "content": zero, "style": zero, "tv": zero,
                    "palette": zero, "colours": zero, "tone": zero}
        features = self.vgg.encode(out)
        content = relative_distance(features[CONTENT_LAYER], targets).mean()
        style = torch.stack([
            weight * style_error(gram_matrix(features[layer]), self.bank[f"gram_{layer}"][views]
                                 .to(self.device), self.gram_floor[layer]).mean()
            for layer, weight in zip(STATS_LAYERS, cfg.style_layer_weights, strict=True)]).mean()
        tv = total_variation(out) if cfg.tv_weight else zero
        colour = palette_error(out, self.bank["colour_mean"][views].to(self.device),
                               self.bank["colour_cov"][views].to(self.device),
                               self.colour_floor).mean() if cfg.palette_weight else zero
        spread = zero
        if self.colours is not None:
            directions = torch.nn.functional.normalize(
                torch.randn(16, 3, generator=self.generator), dim=1).to(self.device)
            spread = sliced_colour_distance(out, self.colours[views].float().div(255).to(
                self.device), directions).mean()
        tone = tone_error(out, photos).mean() if cfg.tone_weight else zero
        terms = {"content": cfg.content_weight * content, "style": cfg.style_weight * style,
                 "tv": cfg.tv_weight * tv, "palette": cfg.palette_weight * colour,
                 "colours": cfg.colour_weight * spread, "tone": cfg.tone_weight * tone}
        terms["total"] = sum(terms.values(), zero)
        return terms

    def save_samples(self, path: Path) -> None:
        assert self.sample_stats is not None  # rank 0's
        rows = [self.sample_photos]
        for stats in self.sample_stats:
            style = self.net.embed(stats[None])
            rows.append(self.net(self.sample_photos, style.expand(len(self.sample_photos), -1)))
        save_grid(rows, path)

    def export(self, record: StepRecord, history: list[list[Any]]) -> None:
        cfg = self.cfg
        if cfg.stored_styles:
            self.net.store_styles(style_vectors(self.net, self.vgg, cfg.stored_styles))
        export_safetensors(self.net.state_dict(), self.out / "model.safetensors", {
            **self.net.metadata(), "steps": str(record.step)})
        # Rows of the style steps (not the warm-up's), with every term (earlier sessions of a
        # resumed run may have recorded fewer).
        window = [h for h in history[-50:] if h[3] is not None
                  and len(h) == 2 + len(self.history_terms)]
        mean = {k: sum(h[i] for h in window) / len(window)
                for i, k in enumerate(self.history_terms, start=2)} if window else {}
        write_json(self.out / "config.json", {
            "method": "arbitrary",
            "architecture": self.net.spec.to_metadata()["architecture"],
            "width": cfg.width,
            "blocks": cfg.blocks,
            "style_dim": cfg.style_dim,
            "hidden": cfg.hidden,
            "paintings": len(self.paintings),
            "style_views": int(self.bank["stats"].shape[0]),
            "photos": len(training_files(cfg.content_data, cfg.exclude)),
            "training": cfg.to_dict(),
            "steps_done": record.step,
            "wall_seconds": round(record.seconds, 1),
            "hardware": describe_hardware(self.device, self.place),
            "final_losses_last_step": record.losses,
            "final_losses_mean_of_last_50_steps": mean,
        })
        write_card(self.out)


def train_arbitrary(cfg: TrainArbitraryConfig) -> Iterator[StepRecord]:
    """Run (or resume) the training of the arbitrary-style network: :func:`.loop.train`
    with :class:`ArbitraryTrainer`; yields a record per step (rank 0)."""
    return train(cfg, ArbitraryTrainer)
