"""One network for any painting: a transformation network whose instance norms take their
scale and shift from the painting.

Ghiasi, Lee, Kudlur, Dumoulin & Shlens, "Exploring the structure of a real-time, arbitrary
neural artistic stylization network" (BMVC 2017), built on the conditional instance norm of
Dumoulin, Shlens & Kudlur, "A Learned Representation for Artistic Style" (ICLR 2017). The
layout is Johnson et al.'s (:mod:`stylekit.nets.transformer`); every instance norm is
conditional: its per-channel scale ``gamma`` and shift ``beta`` are a linear function of a
*style vector* ``s`` of ``style_dim`` numbers.

Where Ghiasi et al. learn an Inception-v3 style predictor, this network embeds the painting with
frozen VGG-19 statistics, so that a CPU can train it: the channel means and standard
deviations of the painting's ``relu1_1 .. relu4_1`` features (:func:`painting_statistics`,
1920 numbers, the statistics AdaIN transfers), standardised, go through a small two-layer
bottleneck to ``s``. Blending paintings is mixing their style vectors; spatial control gives
each pixel its own mix of ``gamma`` and ``beta`` (Dumoulin et al., section 4).

Input and output as :class:`~stylekit.nets.transformer.TransformerNet`, RGB ``(B, 3, H, W)``
in [0, 1] of any size, except that the output ends in a sigmoid.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from ..models import ModelKind
from ..vgg import LAYER_CHANNELS
from .adain import mean_std
from .transformer import normalise

#: The VGG-19 layers whose channel statistics describe a painting.
STATS_LAYERS = ("relu1_1", "relu2_1", "relu3_1", "relu4_1")
#: The long side, in pixels, at which a painting is measured unless told otherwise (the middle
#: of the sizes the shipped network was trained with).
STYLE_SIZE = 384
#: The length of :func:`painting_statistics`' vector: a mean and a deviation per channel.
STATS_DIM = 2 * sum(LAYER_CHANNELS[layer] for layer in STATS_LAYERS)

#: The tag in the metadata of this network's files.
ARCHITECTURE = "conditional-transformer"


def painting_statistics(features: Mapping[str, torch.Tensor],
                        layers: tuple[str, ...] = STATS_LAYERS) -> torch.Tensor:
    """What the network knows of a painting: ``log(1 + x)`` of the channel means and standard
    deviations of its VGG-19 features, layer after layer.

    Args:
        features: ``{layer: (B, C, H, W)}`` of the painting (Caffe VGG-19, non-negative).
        layers: the layers, in this order (default :data:`STATS_LAYERS`).

    Returns:
        ``(B, 2 * sum C)``: for each layer its ``C`` means then its ``C`` deviations; the log
        keeps the deep layers' large activations from drowning the shallow ones.

    Example:
        One channel whose pixels are 0 and 2: mean 1, deviation 1, ``log(2)`` each.

        >>> painting_statistics({"relu1_1": torch.tensor([[[[0.0, 2.0]]]])}, ("relu1_1",))
        tensor([[0.6931, 0.6931]])
    """
    parts: list[torch.Tensor] = []
    for layer in layers:
        mean, std = mean_std(features[layer], eps=0.0)
        parts += [mean.flatten(1), std.flatten(1)]
    return torch.log1p(torch.cat(parts, dim=1))


@dataclass(frozen=True)
class ConditionalSpec:
    """Architecture of a :class:`ConditionalTransformerNet`.

    Args:
        width: base width ``w`` of the transformation network (channels ``w, 2w, 4w``).
        blocks: residual blocks.
        style_dim: length of the style vector (Ghiasi et al. use 100).
        hidden: width of the embedding's hidden layer.

    Example:
        >>> spec = ConditionalSpec(8, 2, 16, 32)
        >>> ConditionalSpec.from_metadata(spec.to_metadata()) == spec
        True
    """

    width: int = 32
    blocks: int = 5
    style_dim: int = 100
    hidden: int = 256

    def to_metadata(self) -> dict[str, str]:
        """The safetensors metadata that rebuilds this network.

        >>> ConditionalSpec().to_metadata()["architecture"]
        'conditional-transformer'
        """
        return {"architecture": ARCHITECTURE, "output": "sigmoid", "width": str(self.width),
                "blocks": str(self.blocks), "style_dim": str(self.style_dim),
                "hidden": str(self.hidden), "stats_layers": ",".join(STATS_LAYERS)}

    @classmethod
    def from_metadata(cls, meta: dict[str, str]) -> ConditionalSpec:
        """The spec recorded by :meth:`to_metadata` (extra keys are ignored)."""
        if meta.get("architecture") != ARCHITECTURE:
            raise ValueError(f"architecture {meta.get('architecture')!r} is not {ARCHITECTURE!r}")
        if meta.get("stats_layers", ",".join(STATS_LAYERS)) != ",".join(STATS_LAYERS):
            raise ValueError(f"the file embeds paintings at {meta['stats_layers']}, this "
                             f"version of stylekit at {','.join(STATS_LAYERS)}")
        return cls(int(meta["width"]), int(meta["blocks"]), int(meta["style_dim"]),
                   int(meta["hidden"]))

    @property
    def norm_channels(self) -> list[int]:
        """Channels of each conditional instance norm, in the order the network runs them.

        >>> ConditionalSpec(8, 2).norm_channels
        [8, 16, 32, 32, 32, 32, 32, 16, 8]
        """
        w = self.width
        return [w, 2 * w, 4 * w, *([4 * w] * (2 * self.blocks)), 2 * w, w]


#: Scale and shift of every conditional norm, ``[(gamma, beta), ...]``, each ``(B, C, 1, 1)``
#: or, under spatial control, ``(1, C, h, w)``.
NormParams = list[tuple[torch.Tensor, torch.Tensor]]


def _conv(c_in: int, c_out: int, kernel: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.ReflectionPad2d(kernel // 2),
                         nn.Conv2d(c_in, c_out, kernel, stride=stride))


def _condition(x: torch.Tensor, gamma: torch.Tensor, beta: torch.Tensor,
               module: nn.Module) -> torch.Tensor:
    """The conditional instance norm: ``gamma * normalise(x) + beta`` (Dumoulin et al. 2017).
    Spatial ``gamma``/``beta`` are resized to ``x`` first."""
    y = normalise(module, x)
    if gamma.shape[-1] > 1 and gamma.shape[-2:] != y.shape[-2:]:
        gamma = F.interpolate(gamma, size=y.shape[-2:], mode="bilinear", align_corners=False)
        beta = F.interpolate(beta, size=y.shape[-2:], mode="bilinear", align_corners=False)
    return y * gamma + beta


class ConditionalTransformerNet(nn.Module):
    """Johnson et al.'s transformation network with conditional instance norms, and the
    embedding of a painting's statistics into a style vector (see the module docstring).

    Args:
        width, blocks, style_dim, hidden: see :class:`ConditionalSpec`.

    Returns (forward):
        RGB ``(B, 3, H, W)`` in [0, 1] for RGB ``(B, 3, H, W)`` in [0, 1] of any size and
        style vectors ``(B, style_dim)`` (or ``(1, style_dim)`` for all).

    Example:
        >>> net = ConditionalTransformerNet(width=4, blocks=1, style_dim=8, hidden=16)
        >>> style = net.embed(torch.rand(2, STATS_DIM))  # two paintings' statistics
        >>> style.shape
        torch.Size([2, 8])
        >>> net(torch.rand(2, 3, 30, 45), style).shape
        torch.Size([2, 3, 30, 45])
    """

    stats_center: torch.Tensor
    stats_scale: torch.Tensor
    stored_styles: torch.Tensor

    @classmethod
    def from_metadata(cls, meta: dict[str, str]) -> ConditionalTransformerNet:
        """An untrained network of the architecture a file's metadata records (with room
        for the style vectors it names)."""
        spec = ConditionalSpec.from_metadata(meta)
        styles = tuple(n for n in meta.get("styles", "").split(",") if n)
        return cls(spec.width, spec.blocks, spec.style_dim, spec.hidden, styles)

    def metadata(self) -> dict[str, str]:
        """What a file of this network records: its spec and the names of its stored
        styles."""
        return {**self.spec.to_metadata(), "styles": ",".join(self.styles)}

    def store_styles(self, vectors: dict[str, torch.Tensor]) -> None:
        """Keep ``{name: (style_dim,) or (1, style_dim)}`` style vectors with the weights,
        instead of any stored before (they are saved and loaded with the network)."""
        self.styles = tuple(vectors)
        self.register_buffer("stored_styles", torch.stack(
            [v.detach().reshape(-1) for v in vectors.values()]).to(self.stored_styles),
            persistent=bool(vectors))

    def stored_style(self, name: str) -> torch.Tensor:
        """The stored style vector ``(1, style_dim)`` called ``name``.

        Example:
            >>> net = ConditionalTransformerNet(width=4, blocks=1, style_dim=3, hidden=4)
            >>> net.store_styles({"ochre": torch.tensor([1.0, 2.0, 3.0])})
            >>> net.stored_style("ochre")
            tensor([[1., 2., 3.]])
            >>> net.stored_style("teal")
            Traceback (most recent call last):
            ...
            KeyError: "no stored style 'teal'; this network has: ochre"
        """
        if name not in self.styles:
            raise KeyError(f"no stored style {name!r}; this network has: "
                           f"{', '.join(self.styles) or 'none'}")
        return self.stored_styles[self.styles.index(name)][None]

    def __init__(self, width: int = 32, blocks: int = 5, style_dim: int = 100,
                 hidden: int = 256, styles: tuple[str, ...] = ()) -> None:
        super().__init__()
        self.spec = ConditionalSpec(width, blocks, style_dim, hidden)
        #: The names of the style vectors stored with the weights (built-in styles).
        self.styles = tuple(styles)
        # Saved with the weights only when there are some (a file without stored styles has
        # no such tensor).
        self.register_buffer("stored_styles", torch.zeros(len(styles), style_dim),
                             persistent=bool(styles))
        w = width
        self.encoder = nn.ModuleList([_conv(3, w, 9), _conv(w, 2 * w, 3, 2),
                                      _conv(2 * w, 4 * w, 3, 2)])
        self.residuals = nn.ModuleList([_conv(4 * w, 4 * w, 3) for _ in range(2 * blocks)])
        self.upsample = nn.ModuleList([_conv(4 * w, 2 * w, 3), _conv(2 * w, w, 3)])
        self.output = _conv(w, 3, 9)
        # One module per norm: under frozen statistics (tiling) each records its own.
        self.norms = nn.ModuleList([nn.Identity() for _ in self.spec.norm_channels])
        # The painting's statistics, standardised with the training paintings' (set by the
        # trainer, saved with the weights), through a small bottleneck to the style vector.
        self.register_buffer("stats_center", torch.zeros(STATS_DIM))
        self.register_buffer("stats_scale", torch.ones(STATS_DIM))
        self.embedding = nn.Sequential(nn.Linear(STATS_DIM, hidden), nn.ReLU(),
                                       nn.Linear(hidden, style_dim))
        # All norms' gamma and beta from the style vector at once; it starts at gamma 1,
        # beta 0 (a plain instance norm) whatever the painting.
        total = sum(self.spec.norm_channels)
        self.to_norm_params = nn.Linear(style_dim, 2 * total)
        with torch.no_grad():
            self.to_norm_params.weight.normal_(0.0, 0.01)
            self.to_norm_params.bias.copy_(torch.cat([torch.ones(total), torch.zeros(total)]))

    def embed(self, stats: torch.Tensor) -> torch.Tensor:
        """Style vectors ``(B, style_dim)`` of paintings' :func:`painting_statistics`
        ``(B, STATS_DIM)``."""
        return self.embedding((stats - self.stats_center) / self.stats_scale)

    def norm_params(self, style: torch.Tensor, regions: torch.Tensor | None = None
                    ) -> NormParams:
        """The scale and shift of every conditional norm for ``style``.

        Args:
            style: ``(B, style_dim)``, one vector per image; with ``regions``, ``(K,
                style_dim)``, one per region.
            regions: ``(1, K, H, W)`` weights of the K styles at each pixel (summing to 1),
                or ``None``.

        Returns:
            ``[(gamma, beta), ...]`` in the order the network runs its norms: ``(B, C, 1, 1)``
            each, or ``(1, C, H, W)`` with ``regions``.
        """
        total = sum(self.spec.norm_channels)
        flat = self.to_norm_params(style)  # (B or K, 2 * total)
        params: NormParams = []
        start = 0
        for channels in self.spec.norm_channels:
            gamma = flat[:, start:start + channels]
            beta = flat[:, total + start:total + start + channels]
            start += channels
            if regions is None:
                params.append((gamma[..., None, None], beta[..., None, None]))
            else:  # each pixel's mix of the K styles' parameters
                params.append((torch.einsum("kc,bkhw->bchw", gamma, regions),
                               torch.einsum("kc,bkhw->bchw", beta, regions)))
        return params

    def forward(self, x: torch.Tensor, style: torch.Tensor,
                regions: torch.Tensor | None = None) -> torch.Tensor:
        """The stylized image; ``style`` and ``regions`` as for :meth:`norm_params`."""
        return self.run(x, self.norm_params(style, regions))

    def run(self, x: torch.Tensor, params: NormParams) -> torch.Tensor:
        """The stylized image with norm parameters computed beforehand (:meth:`norm_params`),
        e.g. once for all the tiles of a large image."""
        h, w = x.shape[-2:]
        pad_h, pad_w = -(-h // 4) * 4 - h, -(-w // 4) * 4 - w
        mode = "reflect" if min(h, w) > 3 else "replicate"
        y = F.pad(x, (0, pad_w, 0, pad_h), mode=mode)
        given: Iterator[tuple[torch.Tensor, torch.Tensor]] = iter(params)
        norms = iter(self.norms)

        def norm(t: torch.Tensor) -> torch.Tensor:
            return _condition(t, *next(given), next(norms))

        for conv in self.encoder:
            y = F.relu(norm(conv(y)))
        for first, second in zip(self.residuals[::2], self.residuals[1::2], strict=True):
            y = y + norm(second(F.relu(norm(first(y)))))
        for conv in self.upsample:
            y = F.relu(norm(conv(F.interpolate(y, scale_factor=2.0, mode="nearest"))))
        # A sigmoid keeps the output in [0, 1] (as Ghiasi et al.'s network): an unbounded
        # output can run away under the style loss before the network has learnt anything.
        return torch.sigmoid(self.output(y)[..., :h, :w]).contiguous()


#: The networks trained for this project (weights/arbitrary/<name>/), with the sha256 of
#: each file.
SHIPPED_MODELS: dict[str, str | None] = {
    "default": "496c2093ff1f965078210e92f8d8f1db600fb09efa167aacf7f28bbfd7dda3b9",
    # The step-3485 network (the default two networks ago): Gatys starts from its picture,
    # which judges preferred there over the step-3785 network's (40 of 72 answers).
    "gatys-start": "bb0448302a8f4aa6c92cd027f1dab78955059a97807cccd0efa9a75979788bc8",
}

#: The model files of this network: a shipped name or a ``model.safetensors`` path.
ARBITRARY_MODELS = ModelKind(prefix="arbitrary", architecture=ARCHITECTURE,
                             what="arbitrary-style model",
                             build=ConditionalTransformerNet.from_metadata)
ARBITRARY_MODELS.register_shipped(SHIPPED_MODELS)
