"""Gatys optimisation: the image itself is optimised to match content and style features.

Gatys, Ecker & Bethge, "A Neural Algorithm of Artistic Style" (2015) and "Image Style Transfer
Using Convolutional Neural Networks" (CVPR 2016); colour preservation from Gatys et al.,
"Preserving Color in Neural Artistic Style Transfer" (2016); coarse-to-fine optimisation as in
Gatys et al., "Controlling Perceptual Factors in Neural Style Transfer" (CVPR 2017).
"""

from __future__ import annotations

import dataclasses
import logging
import math
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from PIL import Image

from .. import color
from ..base import Progress, StyleInput, Stylizer, style_list
from ..config import MethodConfig, param
from ..device import resolve_device
from ..errors import ConfigError
from ..examples import example_path
from ..images import (
    ImageInput,
    load_image,
    resize_long_side,
    shape_for_long_side,
    to_pil,
    to_tensor,
)
from ..losses import GramCache, PerceptualLoss, active_layers
from ..optim import LBFGS
from ..registry import get_stylizer_class, register_stylizer
from ..vgg import LAYER_NAMES, WEIGHT_SOURCES, VGG19Features, check_layers

#: Named layer sets. Content: Gatys et al. use ``relu4_2``; ``relu5_2`` lets the style move
#: more of the layout. Style: the paper's five layers, or only the shallow ones (fine texture,
#: colour) or only the deep ones (larger motifs).
CONTENT_LAYER_PRESETS: dict[str, tuple[str, ...]] = {
    "relu4_2": ("relu4_2",),
    "relu5_2": ("relu5_2",),
}
STYLE_LAYER_PRESETS: dict[str, tuple[str, ...]] = {
    "gatys": ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"),
    "shallow": ("relu1_1", "relu2_1", "relu3_1"),
    "deep": ("relu3_1", "relu4_1", "relu5_1"),
}

log = logging.getLogger(__name__)

#: One-pass methods a run can start from: their picture is the first image optimised.
ONE_PASS_STARTS: tuple[str, ...] = ("adain", "wct", "arbitrary")
#: Every start: the photo, noise, the painting, or a one-pass picture.
INIT_CHOICES: tuple[str, ...] = ("content", "noise", "style", *ONE_PASS_STARTS)
#: Fields of a one-pass method that its start takes from the Gatys run, not from
#: ``init_settings``.
START_FIELDS_FROM_GATYS = frozenset({"device"})

#: The arbitrary network a Gatys run starts from (``init_settings`` may name another): the
#: previous default, whose pictures refined better than the current one's (a blind panel
#: preferred the runs from it on 40 of 72 answers).
START_MODEL = "gatys-start"
#: The smallest scale of the default coarse-to-fine schedule.
MIN_SCALE = 128
#: Longest side a one-pass start is painted at (``init_scale`` stops growing it here).
MAX_START_SIDE = 2048
#: VGG-19s a stylizer keeps, one per set of layers (25 to 60 MB each with the caffe weights):
#: six, so every content preset x style preset of :func:`stylekit.lessons.layer_grid` stays
#: loaded; layer sets typed freely (a server) cannot grow memory past them.
VGG_CACHE_SIZE = 6
#: Paintings (at one size and layer set each) whose Gram matrices a stylizer keeps: about
#: 2.4 MB each with the five Gatys layers, so 24 hold a few paintings at every scale.
GRAM_CACHE_SIZE = 24
#: Curvature pairs L-BFGS keeps: 50 converge as well as 100 here at half the memory
#: (2 * 50 * 3 * H * W floats: 300 MB at 1024 px).
LBFGS_HISTORY = 50


@dataclass(frozen=True)
class GatysConfig(MethodConfig):
    """Parameters of the Gatys method. Weights follow the conventions of :mod:`stylekit.losses`
    with the ``caffe`` weights. The defaults refine the arbitrary network's picture (painted at
    twice the size) for 15 steps at the output size: chosen by blind panels (README, "What people
    prefer"); ``init="content", steps=200`` is the classic run from the photo."""

    size: int = param(384, "Long side of the output in pixels.", min=32, max=4096)
    steps: int = param(
        15,
        "Objective evaluations (forward + gradient) over all scales; each scale gets a share.",
        min=1, max=100_000,
    )
    scales: tuple[int, ...] | None = param(
        None,
        "Coarse-to-fine schedule of long sides, e.g. 128,256,384; one value means a single "
        "scale. Its last value is the output size (overrides size). Default: from a one-pass "
        "start, the output size alone (short runs at a coarse size smear its strokes); from "
        f"the photo, noise or the painting, halve size down to about {MIN_SCALE} px.",
        min=32, max=4096, advanced=True,
    )
    scale_steps: tuple[int, ...] | None = param(
        None,
        "Steps at each scale of the schedule, e.g. 60,30,10: most steps where they are cheap. "
        "One count per scale; their sum replaces steps (default: steps shared equally).",
        min=1, max=100_000, advanced=True,
    )
    stop_tolerance: float = param(
        0.0,
        "End a scale early when the loss changed by less than this fraction over the last "
        "stop_window steps, e.g. 0.01 (default: 0, every step is taken).",
        min=0.0, max=1.0, advanced=True,
    )
    stop_window: int = param(
        10, "Steps over which stop_tolerance measures the change of the loss.", min=1,
        max=10_000, advanced=True,
    )
    content_weight: float = param(5.0, "alpha: weight of the content loss.", min=0.0)
    style_weight: float = param(100.0, "beta: weight of the style loss.", min=0.0)
    tv_weight: float = param(0.0, "gamma: weight of the total-variation loss.", min=0.0)
    tv_power: int = param(1, "Total variation form: 1 (L1) or 2 (squared).", choices=(1, 2),
                         advanced=True)
    content_layers: tuple[str, ...] = param(
        CONTENT_LAYER_PRESETS["relu4_2"],
        f"Content layers, or a preset: {', '.join(CONTENT_LAYER_PRESETS)}.",
        presets=CONTENT_LAYER_PRESETS,
    )
    style_layers: tuple[str, ...] = param(
        STYLE_LAYER_PRESETS["gatys"],
        f"Style layers, or a preset: {', '.join(STYLE_LAYER_PRESETS)}.",
        presets=STYLE_LAYER_PRESETS,
    )
    content_layer_weights: tuple[float, ...] | None = param(
        None, "One weight per content layer (default 1 each).", min=0.0, advanced=True
    )
    style_layer_weights: tuple[float, ...] | None = param(
        None, "One weight per style layer (default 1 each).", min=0.0, advanced=True
    )
    init: str = param(
        "arbitrary", "Start image: the photo, noise, the painting, or the picture of a one-pass "
        f"method ({', '.join(ONE_PASS_STARTS)}), which is then the first snapshot.",
        choices=INIT_CHOICES,
    )
    init_scale: float = param(
        2.0, "A one-pass start is painted at this multiple of the output size (growing to at "
        f"most {MAX_START_SIDE} px) and resized to it: above 1, finer strokes and crisper "
        "edges; below 1, broader strokes.",
        min=0.25, max=4.0, advanced=True,
    )
    init_settings: tuple[str, ...] = param(
        (), "Settings of a one-pass start as name=value, e.g. alpha=0.8 (that method's "
        "options; its size is this run's unless given). Python also takes a mapping "
        "(default: none).",
        advanced=True,
    )
    optimizer: str = param("lbfgs", "Optimiser.", choices=("lbfgs", "adam"))
    lr: float = param(0.02, "Adam learning rate (pixel values are in [0, 1]).", min=0.0,
                       advanced=True)
    seed: int = param(0, "Seed of the noise init; same seed and device give the same image.",
                      advanced=True)
    style_scale: float = param(
        1.0, "Style image size relative to the output (long side).", min=0.05, max=8.0,
        advanced=True,
    )
    style_blend_weights: tuple[float, ...] | None = param(
        None, "One weight per style image when several are given (default equal).", min=0.0,
        advanced=True,
    )
    preserve_color: str = param(
        "none", "Keep the content's colours.", choices=color.COLOR_MODES
    )
    pooling: str = param("max", "VGG pooling.", choices=("max", "avg"), advanced=True)
    weights: str = param("caffe", "VGG-19 weight source.", choices=tuple(WEIGHT_SOURCES),
                         advanced=True)
    device: str = param("auto", "Device: auto, cpu, cuda, cuda:N or mps.", hidden=True)
    save_every: int = param(
        10, "Put the current image on every k-th progress record (0: final only).", min=0,
        hidden=True,
    )

    def __post_init__(self) -> None:
        if isinstance(self.init_settings, Mapping):
            object.__setattr__(self, "init_settings", settings_items(self.init_settings))
        super().__post_init__()
        self.start_settings()  # bad settings fail here, before any work
        for name in ("content_layers", "style_layers"):  # presets expanded by the base
            check_layers(getattr(self, name))
        for layers, weights in (("content_layers", "content_layer_weights"),
                                ("style_layers", "style_layer_weights")):
            given = getattr(self, weights)
            if given is not None and len(given) != len(getattr(self, layers)):
                raise ConfigError(
                    f"{weights} has {len(given)} values for {len(getattr(self, layers))} "
                    f"{layers}; give one weight per layer"
                )
        if self.scales is not None:
            if list(self.scales) != sorted(set(self.scales)):
                raise ConfigError(f"scales must be strictly increasing, got {self.scales}")
            object.__setattr__(self, "size", self.scales[-1])
        if self.scale_steps is not None:
            scales = self.scale_list()
            if len(self.scale_steps) != len(scales):
                raise ConfigError(
                    f"scale_steps has {len(self.scale_steps)} values for the "
                    f"{len(scales)} scales {', '.join(map(str, scales))}; give one count per "
                    "scale (or set scales to match)"
                )
            object.__setattr__(self, "steps", sum(self.scale_steps))

    def start_settings(self) -> dict[str, str]:
        """The one-pass start's settings from ``init_settings``, by name, checked against
        that method's config (values are still strings; the config coerces them).

        Returns:
            ``{name: value}``, empty for a start that is not a one-pass method. Settings for
            such a start, unknown names or bad values raise :class:`ConfigError`.

        Example:
            >>> GatysConfig(init="adain", init_settings={"alpha": 0.5}).start_settings()
            {'alpha': '0.5'}
            >>> GatysConfig(init="adain", init_settings=("alphaa=0.5",))  # doctest: +ELLIPSIS
            Traceback (most recent call last):
            ...
            stylekit.errors.ConfigError: init_settings: unknown setting(s) alphaa for the \
adain start; valid ones are: alpha, ...
        """
        settings = parse_settings(self.init_settings)
        if self.init not in ONE_PASS_STARTS:
            if settings:
                raise ConfigError(
                    f"init_settings apply to a one-pass start ({', '.join(ONE_PASS_STARTS)}), "
                    f"not to init={self.init!r}; drop them or choose such an init"
                )
            return settings
        config_class = get_stylizer_class(self.init).config_class
        valid = sorted(f.name for f in dataclasses.fields(config_class)
                       if f.name not in START_FIELDS_FROM_GATYS)
        unknown = sorted(set(settings) - set(valid))
        if unknown:
            raise ConfigError(
                f"init_settings: unknown setting(s) {', '.join(unknown)} for the {self.init} "
                f"start; valid ones are: {', '.join(valid)}"
            )
        try:
            config_class(**settings)
        except ConfigError as exc:
            raise ConfigError(f"init_settings of the {self.init} start: {exc}") from None
        return settings

    def scale_list(self) -> list[int]:
        """The long sides optimised at, coarse to fine: ``scales`` if given; else the output
        size alone from a one-pass start (its strokes are painted already; a short run at a
        coarse size leaves smears and ghosted edges, tuning panels of 2026-12-07), else
        :func:`default_scales`.

        Example:
            >>> GatysConfig(size=512).scale_list()
            [512]
            >>> GatysConfig(size=512, init="content").scale_list()
            [128, 256, 512]
        """
        if self.scales:
            return list(self.scales)
        return [self.size] if self.init in ONE_PASS_STARTS else default_scales(self.size)

    def schedule(self) -> list[tuple[int, int]]:
        """``(long side, steps)`` for each scale of the coarse-to-fine optimisation."""
        scales = self.scale_list()
        steps = list(self.scale_steps) if self.scale_steps else split_steps(self.steps, scales)
        return list(zip(scales, steps, strict=True))

    def work(self, height: int, width: int) -> float:
        """Megapixel-steps of the schedule on a photo of ``height`` x ``width``: a step costs
        about the same per pixel at every scale, so a run's time is this times a pace
        (:func:`measure_pace`).

        Example:
            >>> round(GatysConfig(scales=(100, 200), scale_steps=(10, 5)).work(100, 200), 6)
            0.15
        """
        return sum(n * math.prod(shape_for_long_side(height, width, scale)) / 1e6
                   for scale, n in self.schedule())


def settings_items(settings: Mapping[str, Any]) -> tuple[str, ...]:
    """A mapping of settings as ``name=value`` items (a sequence value joined by commas), the
    form :attr:`GatysConfig.init_settings` keeps.

    Args:
        settings: ``{name: value}``.

    Returns:
        The items, in the mapping's order.

    Example:
        >>> settings_items({"alpha": 0.8, "levels": ("relu4_1", "relu3_1")})
        ('alpha=0.8', 'levels=relu4_1,relu3_1')
    """
    def text(value: Any) -> str:
        if isinstance(value, (list, tuple)):
            return ",".join(str(v) for v in value)
        return "none" if value is None else str(value)

    return tuple(f"{name}={text(value)}" for name, value in settings.items())


def parse_settings(items: Sequence[str]) -> dict[str, str]:
    """``name=value`` items as a mapping. An item without ``=`` continues the value before it
    (the command line and the config split values at commas).

    Args:
        items: e.g. ``("alpha=0.8", "levels=relu4_1", "relu3_1")``.

    Returns:
        ``{name: value}``; a first item without a name raises :class:`ConfigError`.

    Example:
        >>> parse_settings(("alpha=0.8", "levels=relu4_1", "relu3_1"))
        {'alpha': '0.8', 'levels': 'relu4_1,relu3_1'}
    """
    settings: dict[str, str] = {}
    last: str | None = None
    for item in items:
        name, equals, value = item.partition("=")
        if equals:
            last = name.strip().replace("-", "_")
            if not last:
                raise ConfigError(f"init_settings item {item!r} has no name; write name=value")
            settings[last] = value.strip()
        elif last is None:
            raise ConfigError(f"init_settings items are name=value, got {item!r}")
        else:
            settings[last] += "," + item.strip()
    return settings


def loss_change(losses: Sequence[float], window: int) -> float | None:
    """How much the loss moved over the last ``window`` steps, relative to where it was: the
    measure of the stopping rule (``stop_tolerance``).

    Args:
        losses: the total loss after each step so far.
        window: steps to look back.

    Returns:
        ``|before - now| / |before|``, or ``None`` with fewer than ``window + 1`` losses.

    Example:
        >>> loss_change([10.0, 8.0, 6.0, 7.0], window=2)
        0.125
        >>> loss_change([10.0, 8.0], window=2) is None
        True
    """
    if window < 1 or len(losses) <= window:
        return None
    before, now = losses[-1 - window], losses[-1]
    return abs(before - now) / max(abs(before), 1e-12)


def default_scales(size: int) -> list[int]:
    """Halve ``size`` while the result stays at or above :data:`MIN_SCALE`: 512 -> 128, 256, 512."""
    scales = [size]
    while scales[0] // 2 >= MIN_SCALE:
        scales.insert(0, scales[0] // 2)
    return scales


def split_steps(steps: int, scales: Sequence[int]) -> list[int]:
    """Share ``steps`` between scales: the coarse scales cost a quarter per halving, and a
    few steps there settle the layout the finer ones refine."""
    if len(scales) == 1:
        return [steps]
    shares = [1.0] * len(scales)
    counts = [max(1, int(steps * s / sum(shares))) for s in shares]
    counts[-1] = max(1, steps - sum(counts[:-1]))
    return counts


@register_stylizer("gatys")
class GatysStylizer(Stylizer[GatysConfig]):
    """Optimises the output image with L-BFGS or Adam: from a one-pass picture at the output
    size (the default), or coarse to fine from the photo or noise (any style image)."""

    description = ("Gatys et al. 2016: optimise the image itself (from the arbitrary picture, "
                   "seconds to minutes, any style, best quality)")
    config_class = GatysConfig

    def __init__(self, config: GatysConfig | None = None, **overrides: Any) -> None:
        super().__init__(config, **overrides)
        self._vgg_cache: OrderedDict[tuple[Any, ...], VGG19Features] = OrderedDict()
        self._starters: dict[str, Stylizer[Any]] = {}
        #: The paintings' Gram matrices, by pixels, size and layers: a painting is encoded once
        #: per size and reused by later runs and video frames.
        self.gram_cache = GramCache(GRAM_CACHE_SIZE)

    def feature_extractor(self, cfg: GatysConfig) -> VGG19Features:
        """The VGG-19 for ``cfg``'s layers, pooling and weights: kept for the
        :data:`VGG_CACHE_SIZE` layer sets used last, whatever the order the layers are named in.
        Layers of zero weight (or in a term of zero weight) are left out, so the network ends
        at the deepest layer that counts."""
        weights = _layer_weights(cfg)
        used = [*active_layers(weights[0], cfg.content_weight),
                *active_layers(weights[1], cfg.style_weight)]
        # Nothing counts (total variation alone): the shallowest layer stands in, never run.
        layers = tuple(sorted(set(used), key=LAYER_NAMES.index)) or (LAYER_NAMES[1],)
        device = resolve_device(cfg.device)
        key = (layers, cfg.pooling, cfg.weights, str(device))
        if key in self._vgg_cache:
            self._vgg_cache.move_to_end(key)
        else:
            self._vgg_cache[key] = VGG19Features(
                layers, weights=cfg.weights, pooling=cfg.pooling
            ).to(device)
            while len(self._vgg_cache) > VGG_CACHE_SIZE:
                self._vgg_cache.popitem(last=False)
        return self._vgg_cache[key]

    def perceptual_loss(self, cfg: GatysConfig) -> PerceptualLoss:
        """The objective for ``cfg`` (targets not yet set)."""
        content_layers, style_layers = _layer_weights(cfg)
        return PerceptualLoss(
            self.feature_extractor(cfg),
            content_layers,
            style_layers,
            content_weight=cfg.content_weight,
            style_weight=cfg.style_weight,
            tv_weight=cfg.tv_weight,
            tv_power=cfg.tv_power,
            gram_cache=self.gram_cache,
        )

    def one_pass_start(
        self, cfg: GatysConfig, content: ImageInput, styles: Sequence[ImageInput]
    ) -> Image.Image:
        """The picture of ``cfg.init``'s one-pass method at the output size, the start of the
        optimisation.

        The one-pass method (kept, with its networks, for later runs) paints at ``init_scale``
        times this run's ``size`` (then reduced to it) and gets its ``device``,
        ``preserve_color`` and ``style_blend_weights`` where it has those settings;
        ``cfg.init_settings`` override them (except the device; a ``size`` given there is
        the size painted at).

        Args:
            cfg: a config whose ``init`` is one of :data:`ONE_PASS_STARTS`.
            content: the photo.
            styles: the painting(s).

        Returns:
            The one-pass method's RGB picture.

        Example:
            >>> from stylekit.examples import example_path
            >>> gatys = GatysStylizer(init="adain", size=64, device="cpu")
            >>> picture = gatys.one_pass_start(gatys.config, example_path("chelsea"),
            ...                                [example_path("hubble")])
            >>> picture.size
            (64, 43)
        """
        if cfg.init not in ONE_PASS_STARTS:
            raise ConfigError(f"init={cfg.init!r} is not a one-pass start; choose one of "
                              f"{', '.join(ONE_PASS_STARTS)}")
        starter = self._starters.get(cfg.init)
        if starter is None:
            starter = self._starters[cfg.init] = get_stylizer_class(cfg.init)()
        fields = {f.name for f in dataclasses.fields(starter.config)}
        # Painted larger and reduced: finer strokes and crisper edges than at the output size
        # (preferred over the peer on 18 of 24 answers, against 6 of 24 at the output size).
        start_side = max(16, min(round(cfg.size * cfg.init_scale), max(cfg.size, MAX_START_SIDE)))
        given: dict[str, Any] = {"size": start_side, "device": cfg.device,
                                 "preserve_color": cfg.preserve_color}
        if cfg.init == "arbitrary":
            # The start judged for Gatys: that network's picture without the painterly finish.
            given.update(model=START_MODEL, patch_radius=0)
        if len(styles) > 1:
            given["style_blend_weights"] = cfg.style_blend_weights
        params = {k: v for k, v in given.items() if k in fields}
        params.update(cfg.start_settings())
        style: StyleInput = list(styles) if len(styles) > 1 else styles[0]
        photo = load_image(content, what="content image")
        log.info("gatys: starting from the %s picture (%s)", cfg.init,
                 ", ".join(f"{k}={v}" for k, v in params.items()))
        try:
            picture = starter.stylize(photo, style, **params)
        except ConfigError as exc:
            raise ConfigError(f"the {cfg.init} start of gatys: {exc}") from None
        height, width = shape_for_long_side(photo.height, photo.width, cfg.size)
        return picture.resize((width, height), Image.Resampling.BICUBIC)

    def iterate(
        self,
        content: ImageInput,
        style: StyleInput = None,
        *,
        start_image: ImageInput | None = None,
        extra_loss: Callable[[torch.Tensor], torch.Tensor] | None = None,
        **params: Any,
    ) -> Iterator[Progress]:
        """Optimise, yielding progress records. ``start_image`` replaces ``init`` and
        ``extra_loss(x)`` is added to the objective as the term ``extra`` (video uses both:
        the previous frame warped, and a temporal loss). With a one-pass ``init`` the first
        record (step 0, unless ``save_every`` is 0) carries its picture, the start."""
        cfg = self.config.replace(**params) if params else self.config
        start = time.perf_counter()
        styles = style_list(style)
        if not styles:
            raise ConfigError("the gatys method needs a style image: pass {style=PATH}")
        if cfg.style_blend_weights is not None and len(cfg.style_blend_weights) != len(styles):
            raise ConfigError(
                f"{{style_blend_weights}} has {len(cfg.style_blend_weights)} values for "
                f"{len(styles)} style images; give one weight per style image"
            )
        content_image = load_image(content, what="content image")
        style_images = [
            load_image(s, what=f"style image {i + 1}" if len(styles) > 1 else "style image")
            for i, s in enumerate(styles)
        ]
        device = resolve_device(cfg.device)
        objective = self.perceptual_loss(cfg)
        plan = cfg.schedule()
        total = sum(n for _, n in plan)
        noise_gen = torch.Generator().manual_seed(cfg.seed)

        step = 0
        x: torch.Tensor | None = None
        if start_image is None and cfg.init in ONE_PASS_STARTS:
            start_image = self.one_pass_start(cfg, content_image, style_images)
            if cfg.save_every > 0:
                yield Progress(step=0, total_steps=total, image=start_image,
                               elapsed=time.perf_counter() - start,
                               scale=max(start_image.size))
        # A step costs about the same per pixel at every scale: the ETA counts pixel-steps.
        work = [n * scale * scale for scale, n in plan]
        for scale_index, (scale, n_steps) in enumerate(plan):
            # Four poolings before relu5_1: each side needs 16 pixels (the first, smallest
            # scale is checked before any step runs).
            target = to_tensor(resize_long_side(content_image, scale, min_side=16,
                                                what="content image"), device)
            style_size = max(16, round(scale * cfg.style_scale))
            style_tensors = [
                to_tensor(resize_long_side(s, style_size, min_side=16, what="style image"),
                          device) for s in style_images
            ]
            content_in, style_in = _colour_inputs(cfg.preserve_color, target, style_tensors)
            objective.set_content(content_in)
            objective.set_style(style_in, cfg.style_blend_weights)

            if x is None and start_image is not None:
                picture = load_image(start_image, what="start image")
                size = (target.shape[-1], target.shape[-2])
                if picture.size != size:
                    picture = picture.resize(size, Image.Resampling.BICUBIC)
                x = to_tensor(picture, device)
                if cfg.preserve_color == "luminance":  # optimised as luminance, as content_in
                    x = color.grey(x)
            elif x is None:
                x = _initial_image(cfg.init, content_in, style_in[0], noise_gen)
            else:
                x = F.interpolate(x, size=target.shape[-2:], mode="bicubic", align_corners=False)
            x = x.detach().clamp(0, 1).requires_grad_(True)
            last_scale = scale_index == len(plan) - 1
            scale_start = time.perf_counter()
            history: list[float] = []
            for i, terms in enumerate(_optimise(cfg, objective, x, n_steps, extra_loss)):
                step += 1
                per_step = (time.perf_counter() - scale_start) / (i + 1)
                if "total" in terms:
                    history.append(terms["total"])
                change = loss_change(history, cfg.stop_window)
                stalled = (change is not None and change < cfg.stop_tolerance
                           and i < n_steps - 1)
                if change is not None and stalled:
                    log.info("gatys: the loss changed by %.3g%% over the last %d steps at %d px "
                             "(stop_tolerance %.3g%%): %s after %d of %d steps", 100 * change,
                             cfg.stop_window, scale, 100 * cfg.stop_tolerance,
                             "done" if last_scale else "next scale", i + 1, n_steps)
                remaining = ((0 if stalled else n_steps - i - 1) * scale * scale
                             + sum(work[scale_index + 1:]))
                eta = per_step * remaining / (scale * scale)
                done = last_scale and (i == n_steps - 1 or stalled)
                snapshot = done or (cfg.save_every > 0 and step % cfg.save_every == 0)
                yield Progress(
                    step=step,
                    total_steps=total,
                    image=_result(cfg.preserve_color, x, target) if snapshot else None,
                    losses=terms,
                    elapsed=time.perf_counter() - start,
                    scale=scale,
                    eta=eta,
                    done=done,
                )
                if stalled:
                    break


def measure_pace(stylizer: Stylizer, size: int = 160, steps: int = 3) -> float:
    """Seconds per megapixel-step of ``stylizer`` on this machine, from a short run on the
    example images (setup left out): with :meth:`GatysConfig.work`, the time a run will take.
    Small sizes overstate it a little (fixed costs weigh more), so estimates err long.

    Example:
        >>> pace = measure_pace(GatysStylizer(device="cpu"), size=64, steps=2)
        >>> 0 < pace < 1000
        True
    """
    records = list(stylizer.iterate(example_path("chelsea"), example_path("starry_night"),
                                    size=size, scales=(size,), steps=steps, init="content",
                                    save_every=0))
    timed = [r for r in records if r.step >= 1]
    seconds = (timed[-1].elapsed - timed[0].elapsed) / max(1, len(timed) - 1)
    image = records[-1].image
    megapixels = image.width * image.height / 1e6 if image is not None else size * size / 1e6
    return max(seconds, 1e-6) / megapixels


def _layer_weights(cfg: GatysConfig) -> tuple[dict[str, float], dict[str, float]]:
    """``({content layer: weight}, {style layer: weight})`` of ``cfg`` (default 1 each)."""
    cw = cfg.content_layer_weights or (1.0,) * len(cfg.content_layers)
    sw = cfg.style_layer_weights or (1.0,) * len(cfg.style_layers)
    return (dict(zip(cfg.content_layers, cw, strict=True)),
            dict(zip(cfg.style_layers, sw, strict=True)))


def _optimise(
    cfg: GatysConfig, objective: PerceptualLoss, x: torch.Tensor, steps: int,
    extra_loss: Callable[[torch.Tensor], torch.Tensor] | None = None,
) -> Iterator[dict[str, float]]:
    """Take ``steps`` steps (one objective evaluation each) on ``x`` in place, yielding the loss
    terms of the image ``x`` holds after each."""
    evaluated: dict[str, float] = {}

    def closure() -> torch.Tensor:
        x.grad = None
        result = objective(x)
        if extra_loss is not None:
            result["extra"] = extra_loss(x)
            result["total"] = result["total"] + result["extra"]
        result["total"].backward()
        evaluated.update({k: float(v.detach()) for k, v in result.items()})
        return result["total"].detach()

    if cfg.optimizer == "adam":
        adam = torch.optim.Adam([x], lr=cfg.lr)
        for _ in range(steps):
            closure()
            adam.step()
            with torch.no_grad():
                x.clamp_(0, 1)
            yield dict(evaluated)  # Adam reports the loss before its update, as is usual
        return
    lbfgs = LBFGS(x, history=LBFGS_HISTORY)
    current: dict[str, float] = {}
    for _ in range(steps):
        lbfgs.step(closure)
        if lbfgs.accepted:
            current = dict(evaluated)
        yield current


def _colour_inputs(
    mode: str, content: torch.Tensor, styles: list[torch.Tensor]
) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """What VGG sees for each colour-preservation mode."""
    if mode == "luminance":
        return color.grey(content), [color.match_luminance(s, content) for s in styles]
    if mode == "histogram":
        return content, [color.match_color_histogram(s, content).clamp(0, 1) for s in styles]
    return content, styles


def _initial_image(
    init: str, content: torch.Tensor, style: torch.Tensor, generator: torch.Generator
) -> torch.Tensor:
    if init == "content":
        return content.clone()
    if init == "noise":
        # Drawn on the CPU so a seed gives the same start on every device.
        return torch.rand(content.shape, generator=generator).to(content.device)
    return F.interpolate(style, size=content.shape[-2:], mode="bicubic", align_corners=False)


def _result(mode: str, x: torch.Tensor, content: torch.Tensor) -> Image.Image:
    image = x.detach().clamp(0, 1)
    if mode == "luminance":
        image = color.recombine_luminance(image, content)
    return to_pil(image)
