"""Pictures of what VGG-19 sees, for teaching: feature maps, Gram matrices, captions, grids.

The library side of the app's "Learn" tab. Every picture is an RGB PIL image; every function is
deterministic, runs without gradients and is quick enough on a CPU for an interactive page.
Only torch, NumPy and Pillow are used (no plotting library), so the app decides the layout.

Networks built here are cached: one whole VGG-19 per (weights, device) serves every layer,
because a forward pass stops at the layer asked for. It uses no in-place ReLU, so concurrent
calls (Gradio runs handlers in threads) can share it.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence

import torch
from PIL import Image, ImageDraw, ImageFont

from .device import resolve_device
from .errors import ConfigError, ImageError
from .images import ImageInput, load_image, resize_long_side, to_pil, to_tensor
from .losses import gram_matrix
from .vgg import LAYER_CHANNELS, LAYER_NAMES, LAYER_STRIDES, VGG19Features, check_layers

#: Anchor colours of the heat map, 8-bit sRGB, evenly spaced over [0, 1]: nine points close to
#: matplotlib's viridis (dark violet, blue, teal, green, yellow). Their luma rises strictly, so
#: brighter always means a larger value, also in greyscale and for colour-blind readers.
COLORMAP_ANCHORS: tuple[tuple[int, int, int], ...] = (
    (68, 1, 84),
    (72, 40, 120),
    (62, 74, 137),
    (49, 104, 142),
    (38, 130, 142),
    (31, 158, 137),
    (53, 183, 121),
    (109, 205, 89),
    (253, 231, 37),
)

#: Signed values, blue (negative) through near white (zero) to red (positive): a diverging
#: map, so a covariance's sign and size both show and zero stands out.
DIVERGING_ANCHORS: tuple[tuple[int, int, int], ...] = (
    (49, 54, 149), (116, 173, 209), (247, 247, 247), (244, 109, 67), (165, 0, 38))
#: Height in pixels of the colour bar under a signed heat map.
COLOUR_BAR = 14

#: Feature-map tiles are enlarged (by a whole factor, nearest) until their shorter side reaches
#: this many pixels, unless that would push the longer side past :data:`MAX_TILE`.
MIN_TILE = 96
MAX_TILE = 384
#: Pixels between feature-map tiles.
FEATURE_GAP = 2
#: Side the Gram heat map is enlarged to, approximately (a whole factor of the channel count).
HEATMAP_SIDE = 384
#: Background and text colours of the grids.
BACKGROUND = (255, 255, 255)
CAPTION_COLOUR = (24, 24, 24)
CAPTION_FONT_SIZE = 14
#: Space between an image and its caption, and between caption lines.
CAPTION_PAD = 4

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


# --- colours ------------------------------------------------------------------------------------


def colormap(values: torch.Tensor) -> torch.Tensor:
    """Colour values in [0, 1] dark to bright: ``(H, W) -> (3, H, W)`` RGB float32 in [0, 1].

    Linear interpolation between :data:`COLORMAP_ANCHORS`: 0 is the first anchor, 1 the last.
    Values outside [0, 1] are clamped and NaN shows as 0. Any shape works: ``S -> (3, *S)``.
    """
    anchors = torch.tensor(COLORMAP_ANCHORS, dtype=torch.float32, device=values.device) / 255.0
    steps = len(COLORMAP_ANCHORS) - 1
    position = torch.nan_to_num(values.float(), nan=0.0).clamp(0, 1) * steps
    # 1.0 falls in the last interval (with fraction 1), not past the end of the table.
    lower = position.floor().long().clamp(max=steps - 1)
    fraction = (position - lower).unsqueeze(-1)
    rgb = anchors[lower] * (1 - fraction) + anchors[lower + 1] * fraction
    return rgb.movedim(-1, 0)


def diverging_colormap(values: torch.Tensor) -> torch.Tensor:
    """Colour signed values in [-1, 1]: ``S -> (3, *S)`` RGB float32 in [0, 1], -1 blue, 0 near
    white, +1 red (:data:`DIVERGING_ANCHORS`). Values outside are clamped, NaN shows as 0.

    Args:
        values: any shape ``S``.

    Returns:
        ``(3, *S)`` colours.

    Example:
        >>> rgb = diverging_colormap(torch.tensor([-1.0, 0.0, 1.0]))
        >>> [tuple(round(float(c) * 255) for c in rgb[:, i]) for i in range(3)]
        [(49, 54, 149), (247, 247, 247), (165, 0, 38)]
    """
    anchors = torch.tensor(DIVERGING_ANCHORS, dtype=torch.float32, device=values.device) / 255
    steps = len(DIVERGING_ANCHORS) - 1
    position = (torch.nan_to_num(values.float(), nan=0.0).clamp(-1, 1) + 1) / 2 * steps
    lower = position.floor().long().clamp(max=steps - 1)
    fraction = (position - lower).unsqueeze(-1)
    return (anchors[lower] * (1 - fraction) + anchors[lower + 1] * fraction).movedim(-1, 0)


def signed_scale(values: torch.Tensor, quantile: float = 0.98) -> float:
    """The size a signed heat map of ``values`` calls full colour: the ``quantile`` of their
    absolute values (a few large entries, such as a covariance's diagonal, then saturate
    instead of turning everything else white).

    Args:
        values: any signed tensor.
        quantile: in [0, 1]; 1 is the largest size.

    Returns:
        A positive number (1 when every value is 0).

    Example:
        >>> signed_scale(torch.eye(4) * 3)  # the identity: its diagonal is what shows
        3.0
    """
    sizes = values.detach().abs().float().flatten()
    scale = float(torch.quantile(sizes, quantile)) if sizes.numel() else 0.0
    if scale <= 0:
        scale = float(sizes.max()) if sizes.numel() else 0.0
    return scale if scale > 0 else 1.0


def signed_heatmap(matrix: torch.Tensor, side: int = HEATMAP_SIDE) -> Image.Image:
    """A signed ``(N, N)`` (or any 2-D) matrix as a heat map with a colour bar under it.

    Colours are :func:`diverging_colormap` of the entries divided by :func:`signed_scale`
    (larger ones saturate); each entry is a square block, the map about ``side`` pixels wide.
    The bar runs from minus that scale through 0 to plus it, its ends labelled.

    Args:
        matrix: a 2-D tensor.
        side: about how wide the map is drawn, in pixels.

    Returns:
        The heat map with its colour bar, RGB.

    Example:
        >>> image = signed_heatmap(torch.eye(8) - 0.25)
        >>> image.width, image.height > image.width
        (384, True)
    """
    scale = signed_scale(matrix)
    heat = _enlarge(diverging_colormap(matrix.float() / scale),
                    max(1, round(side / max(matrix.shape[-2:]))))
    map_image = to_pil(heat)
    font = _caption_font()
    label_height = round(CAPTION_FONT_SIZE * 1.4)
    canvas = Image.new("RGB", (map_image.width, map_image.height + CAPTION_PAD + COLOUR_BAR
                               + label_height), BACKGROUND)
    canvas.paste(map_image, (0, 0))
    ramp = torch.linspace(-1, 1, map_image.width).view(1, -1).expand(COLOUR_BAR, -1)
    canvas.paste(to_pil(diverging_colormap(ramp)), (0, map_image.height + CAPTION_PAD))
    draw = ImageDraw.Draw(canvas)
    top = map_image.height + CAPTION_PAD + COLOUR_BAR + 2
    for text, anchor_x in ((f"-{scale:.2g}", 0.0), ("0", 0.5), (f"+{scale:.2g}", 1.0)):
        width = font.getlength(text)
        left = min(max(0.0, anchor_x * map_image.width - width / 2), map_image.width - width)
        draw.text((left, top), text, fill=CAPTION_COLOUR, font=font)
    return canvas


def signed_feature_grid(features: torch.Tensor, count: int = 9) -> Image.Image:
    """The first ``count`` channels of ``(C, H, W)`` (or ``(1, C, H, W)``) signed features as
    a near-square grid of :func:`diverging_colormap` tiles, each channel scaled by its own
    largest size: what features look like to the network, not a picture decoded from them.

    Args:
        features: the feature maps.
        count: how many channels are shown (the first ones).

    Returns:
        The grid, RGB, each tile enlarged by a whole factor.

    Example:
        >>> signed_feature_grid(torch.randn(1, 16, 8, 12), count=4).size
        (290, 194)
    """
    maps = features.reshape(-1, *features.shape[-2:])[:count].float()
    peak = maps.abs().amax(dim=(-2, -1), keepdim=True).clamp_min(torch.finfo(torch.float32).tiny)
    tiles = diverging_colormap(maps / peak).movedim(0, 1)
    tiles = _enlarge(tiles, _tile_scale(*tiles.shape[-2:]))
    return to_pil(_tile(tiles, columns=math.ceil(math.sqrt(len(tiles))), gap=FEATURE_GAP))


def _scale_by_max(maps: torch.Tensor) -> torch.Tensor:
    """Each ``(..., H, W)`` map divided by its own maximum, into [0, 1].

    Negative values (only conv layers, before their ReLU, have them) become 0, which is what
    the ReLU would pass on; a map with nothing positive stays all 0.
    """
    positive = maps.clamp_min(0)
    peak = positive.amax(dim=(-2, -1), keepdim=True)
    return positive / peak.clamp_min(torch.finfo(positive.dtype).tiny)


# --- layer facts --------------------------------------------------------------------------------


def _one_layer(layer: str) -> str:
    # check_layers takes an iterable; a bare string would be checked letter by letter.
    return check_layers([layer])[0]


def receptive_field(layer: str) -> int:
    """Side in input pixels of the square one unit of ``layer`` sees (padding ignored).

    A 3x3 convolution widens the field by two steps of the current stride; a 2x2 pooling
    widens it by one step, then doubles the stride. ReLUs change nothing. So conv1_1 sees 3,
    conv1_2 5, pool1 6, conv2_1 10, relu3_1 24, relu4_2 84, relu5_1 156 and pool5 268 pixels.
    """
    target = LAYER_NAMES.index(_one_layer(layer))
    size, step = 1, 1
    for name in LAYER_NAMES[: target + 1]:
        if name.startswith("conv"):
            size += 2 * step
        elif name.startswith("pool"):
            size += step
            step *= 2
    return size


def layer_summary(layer: str) -> str:
    """One caption line: ``"relu3_1: 256 channels, 1/4 resolution, receptive field 24 px"``."""
    layer = _one_layer(layer)
    stride = LAYER_STRIDES[layer]
    resolution = "full resolution" if stride == 1 else f"1/{stride} resolution"
    return (
        f"{layer}: {LAYER_CHANNELS[layer]} channels, {resolution}, "
        f"receptive field {receptive_field(layer)} px"
    )


# --- features -----------------------------------------------------------------------------------


@functools.lru_cache(maxsize=2)
def _shared_network(weights: str, device: str) -> VGG19Features:
    """The whole VGG-19, every layer an output, for one weight source and device (cached)."""
    return VGG19Features(LAYER_NAMES, weights=weights).to(device)


def _network_for(
    layer: str, weights: str, device: str | torch.device, vgg: VGG19Features | None
) -> VGG19Features:
    if vgg is None:
        return _shared_network(weights, str(resolve_device(device)))
    if layer not in vgg.layers:
        raise ConfigError(
            f"the VGG module passed as vgg= does not output {layer} (it outputs "
            f"{', '.join(vgg.layers)}); build it with VGG19Features([{layer!r}]) or leave vgg unset"
        )
    return vgg


def _check_at_least_one(name: str, value: int) -> None:
    if value < 1:
        raise ConfigError(f"{name} must be at least 1, got {value}")


def _check_fits(picture: Image.Image, layer: str, size: int) -> None:
    """Refuse an image whose shorter side the layer's poolings would reduce to nothing."""
    stride = LAYER_STRIDES[layer]
    width, height = picture.size
    if min(width, height) < stride:
        raise ImageError(
            f"at size {size} the image is {width}x{height} pixels, too small for {layer}, which "
            f"divides each side by {stride}; raise size or use a less elongated image"
        )


@torch.no_grad()
def layer_features(
    image: ImageInput,
    layer: str,
    *,
    size: int = 256,
    weights: str = "caffe",
    device: str | torch.device = "cpu",
    vgg: VGG19Features | None = None,
) -> torch.Tensor:
    """Activations of ``layer`` for ``image``: ``(C, H / stride, W / stride)`` float32 on the CPU.

    ``image`` is anything :func:`stylekit.images.load_image` reads; its long side is resized to
    ``size`` first. ``vgg`` reuses a network the caller built (it must output ``layer``; it
    runs on its own device with its own weights, and ``weights`` and ``device`` are ignored);
    without it the cached whole VGG-19 for ``weights`` on ``device`` is used.
    """
    layer = _one_layer(layer)
    _check_at_least_one("size", size)
    picture = resize_long_side(load_image(image), size)
    _check_fits(picture, layer, size)
    network = _network_for(layer, weights, device, vgg)
    on = next(network.parameters()).device
    features = network.encode(to_tensor(picture, on), [layer])[layer]
    return features[0].float().cpu().contiguous()


def strongest_channels(features: torch.Tensor, count: int) -> torch.Tensor:
    """Indices of the ``count`` channels of ``features`` ``(C, H, W)`` with the largest mean
    activation, strongest first; ties keep channel order (so the choice is deterministic).
    All ``C`` when ``count > C``."""
    means = features.mean(dim=(-2, -1))
    return torch.sort(means, descending=True, stable=True).indices[:count]


def _tile_scale(height: int, width: int) -> int:
    """Whole enlargement factor that makes a ``height x width`` tile readable."""
    factor = math.ceil(MIN_TILE / min(height, width))
    return max(1, min(factor, MAX_TILE // max(height, width)))


def _enlarge(pixels: torch.Tensor, factor: int) -> torch.Tensor:
    """Nearest-neighbour enlargement of ``(..., H, W)`` by a whole factor: crisp blocks."""
    return pixels.repeat_interleave(factor, dim=-2).repeat_interleave(factor, dim=-1)


def _tile(tiles: torch.Tensor, columns: int, gap: int) -> torch.Tensor:
    """Lay ``(N, 3, h, w)`` tiles out row by row on a white ``(3, H, W)`` canvas."""
    count, channels, height, width = tiles.shape
    rows = math.ceil(count / columns)
    canvas = tiles.new_ones(
        channels, rows * height + (rows - 1) * gap, columns * width + (columns - 1) * gap
    )
    for index, tile in enumerate(tiles):
        top = (index // columns) * (height + gap)
        left = (index % columns) * (width + gap)
        canvas[:, top : top + height, left : left + width] = tile
    return canvas


@torch.no_grad()
def feature_maps(
    image: ImageInput,
    layer: str,
    *,
    count: int = 16,
    size: int = 256,
    weights: str = "caffe",
    device: str | torch.device = "cpu",
    vgg: VGG19Features | None = None,
) -> Image.Image:
    """The ``count`` most active channels of ``layer`` as a near-square grid of heat maps.

    Channels are ranked by mean activation (strongest first, left to right, top to bottom);
    each is scaled by its own maximum (so the grid shows where a channel fires, not how
    strongly compared with the others) and coloured with :func:`colormap`. Tiles are enlarged
    by a whole factor (nearest, so every unit stays a visible square) to at least
    :data:`MIN_TILE` pixels on the shorter side, and separated by :data:`FEATURE_GAP` white
    pixels. See :func:`layer_features` for ``size``, ``weights``, ``device`` and ``vgg``.
    """
    layer = _one_layer(layer)
    _check_at_least_one("count", count)
    features = layer_features(image, layer, size=size, weights=weights, device=device, vgg=vgg)
    picked = features[strongest_channels(features, count)]
    tiles = colormap(_scale_by_max(picked)).movedim(0, 1)  # (N, 3, h, w)
    tiles = _enlarge(tiles, _tile_scale(*tiles.shape[-2:]))
    return to_pil(_tile(tiles, columns=math.ceil(math.sqrt(len(tiles))), gap=FEATURE_GAP))


@torch.no_grad()
def gram_heatmap(
    image: ImageInput,
    layer: str,
    *,
    channels: int = 64,
    size: int = 256,
    weights: str = "caffe",
    device: str | torch.device = "cpu",
    vgg: VGG19Features | None = None,
) -> Image.Image:
    """The Gram matrix of the first ``channels`` channels of ``layer`` as a square heat map.

    Pixel row ``i``, column ``j`` shows ``G[i, j]`` (:func:`stylekit.losses.gram_matrix`, the
    style statistic) divided by the matrix maximum; negative correlations, possible only at
    conv layers, show as 0. All the layer's channels are used when it has fewer than
    ``channels``. The matrix is enlarged by a whole factor (nearest) to about
    :data:`HEATMAP_SIDE` pixels. See :func:`layer_features` for the other arguments.
    """
    layer = _one_layer(layer)
    _check_at_least_one("channels", channels)
    features = layer_features(image, layer, size=size, weights=weights, device=device, vgg=vgg)
    gram = gram_matrix(features[None, :channels])[0]
    heat = colormap(_scale_by_max(gram))
    return to_pil(_enlarge(heat, max(1, round(HEATMAP_SIDE / gram.shape[0]))))


# --- grids of pictures --------------------------------------------------------------------------


def _caption_font() -> Font:
    try:
        return ImageFont.load_default(size=CAPTION_FONT_SIZE)
    except (TypeError, ImportError, OSError):  # Pillow < 10.1, or built without FreeType
        return ImageFont.load_default()


def _wrap(text: str, font: Font, width: int) -> list[str]:
    """Greedy word wrap to ``width`` pixels; a single word wider than that keeps its line."""
    lines: list[str] = []
    for paragraph in text.splitlines():
        line = ""
        for word in paragraph.split():
            candidate = f"{line} {word}" if line else word
            if line and font.getlength(candidate) > width:
                lines.append(line)
                line = word
            else:
                line = candidate
        lines.append(line)
    return lines


def _to_height(image: Image.Image, height: int) -> Image.Image:
    image = image.convert("RGB")
    if image.height == height:
        return image
    width = max(1, round(image.width * height / image.height))
    return image.resize((width, height), Image.Resampling.LANCZOS)


def _default_columns(count: int) -> int:
    """One row for a few pictures (side-by-side comparisons), near-square beyond."""
    return count if count <= 4 else math.ceil(math.sqrt(count))


def image_grid(
    images: Sequence[Image.Image],
    captions: Sequence[str] | None = None,
    columns: int | None = None,
    gap: int = 4,
    *,
    height: int | None = None,
) -> Image.Image:
    """Tile pictures into one, row by row, each with its caption underneath.

    Every picture is scaled (Lanczos) to a common ``height`` (default: the tallest one's) and
    centred in its column, which is as wide as its widest picture. Captions use Pillow's
    default font, are centred and wrapped to the column width. ``columns`` defaults to one row
    for up to four pictures and a near-square grid beyond; ``gap`` pixels separate cells.
    """
    if not images:
        raise ConfigError("image_grid needs at least one image")
    if captions is not None and len(captions) != len(images):
        raise ConfigError(
            f"image_grid got {len(captions)} captions for {len(images)} images; give one each"
        )
    if gap < 0:
        raise ConfigError(f"gap must not be negative, got {gap}")
    columns = _default_columns(len(images)) if columns is None else columns
    _check_at_least_one("columns", columns)
    columns = min(columns, len(images))
    height = max(image.height for image in images) if height is None else height
    _check_at_least_one("height", height)

    cells = [_to_height(image, height) for image in images]
    widths = [max(cell.width for cell in cells[c::columns]) for c in range(columns)]
    font = _caption_font()
    texts = [_wrap(text, font, widths[i % columns]) for i, text in enumerate(captions or [])]
    line_height = math.ceil(font.getbbox("Agy")[3]) + CAPTION_PAD
    most_lines = max((len(lines) for lines in texts), default=0)
    caption_height = CAPTION_PAD + most_lines * line_height if most_lines else 0
    rows = math.ceil(len(cells) / columns)
    row_height = height + caption_height

    canvas = Image.new(
        "RGB",
        (sum(widths) + (columns - 1) * gap, rows * row_height + (rows - 1) * gap),
        BACKGROUND,
    )
    draw = ImageDraw.Draw(canvas)
    lefts = [sum(widths[:c]) + c * gap for c in range(columns)]
    for index, cell in enumerate(cells):
        column = index % columns
        left, top = lefts[column], (index // columns) * (row_height + gap)
        canvas.paste(cell, (left + (widths[column] - cell.width) // 2, top))
        for number, line in enumerate(texts[index] if texts else []):
            x = left + (widths[column] - font.getlength(line)) / 2
            y = top + height + CAPTION_PAD + number * line_height
            draw.text((x, y), line, fill=CAPTION_COLOUR, font=font)
    return canvas


# --- feature transforms -------------------------------------------------------------------------


def covariance_heatmap(cov: torch.Tensor, channels: int = 32) -> Image.Image:
    """The covariance of the first ``channels`` channels as a signed heat map with a colour
    bar (:func:`signed_heatmap`): red where two channels rise together, blue where one rises
    as the other falls, near white where they are unrelated."""
    return signed_heatmap(cov[:channels, :channels].float())


@torch.no_grad()
def whitening_and_colouring(
    photo: ImageInput,
    painting: ImageInput,
    layer: str = "relu3_1",
    *,
    size: int = 256,
    channels: int = 32,
    decoders: str = "default",
    device: str | torch.device = "cpu",
) -> list[tuple[Image.Image, str]]:
    """What WCT (Li et al. 2017) does to a photo's features at one layer, as pictures.

    Each row pairs a picture decoded from ``layer``'s features (by that layer's reconstruction
    decoder) with the covariance of those features (first ``channels`` channels):

    1. the photo's own features: its content *and* its style (colour, texture);
    2. whitened (:func:`~stylekit.transforms.whiten`): the first channels of the whitened
       features themselves (:func:`signed_feature_grid`; decoded, they would still look much
       like the photo, since the decoder paints colour back from where edges are): each
       channel as strong as any other and unrelated to them, the covariance the identity;
       what is left is where things are, not how they look;
    3. coloured with the painting's covariance and mean (:func:`~stylekit.transforms.wct`):
       the photo's layout painted with the painting's correlations (one level of the ``wct``
       method);
    4. the painting's own features, for comparison.

    Args:
        photo, painting: anything :func:`stylekit.load_image` reads; resized to ``size``.
        layer: ``relu1_1`` .. ``relu5_1``.
        decoders: ``default`` (shipped) or a folder of ``<layer>/model.safetensors``.

    Returns:
        Four ``(image, caption)`` pairs and four ``(heat map, caption)`` pairs.
    """
    from .nets.reconstruction import LEVELS, RECONSTRUCTION_DECODERS
    from .transforms import feature_stats, wct, whiten

    if layer not in LEVELS:
        raise ConfigError(f"whitening is shown at {', '.join(LEVELS)}, not {layer!r}")
    _check_at_least_one("channels", channels)
    on = resolve_device(device)
    network = _shared_network("caffe", str(on))
    model = layer if decoders == "default" else f"{decoders.rstrip('/')}/{layer}"
    decoder = RECONSTRUCTION_DECODERS.load(model).to(on)
    pictures = [resize_long_side(load_image(p), size) for p in (photo, painting)]
    for picture in pictures:
        _check_fits(picture, layer, size)
    stride = LAYER_STRIDES[layer]
    tensors = [to_tensor(p, on) for p in pictures]
    f_photo, f_painting = (network.encode(t[..., : t.shape[-2] // stride * stride,
                                            : t.shape[-1] // stride * stride], [layer])[layer]
                           for t in tensors)
    cov_c = feature_stats(f_photo)[1]
    whitened = whiten(f_photo)
    coloured = wct(f_photo, f_painting)

    def decode(features: torch.Tensor) -> Image.Image:
        return to_pil(decoder(features).clamp(0, 1))

    def cov(features: torch.Tensor) -> torch.Tensor:
        return feature_stats(features)[1]

    return [
        # Short captions: a gallery shows one line under each picture.
        (decode(f_photo), "photo, decoded"),
        (signed_feature_grid(whitened), "whitened features"),
        (decode(coloured), "coloured (WCT), decoded"),
        (pictures[1], "the painting"),
        (covariance_heatmap(cov_c, channels), "photo: covariance"),
        (covariance_heatmap(cov(whitened), channels), "whitened: identity"),
        (covariance_heatmap(cov(coloured), channels), "coloured: covariance"),
        (covariance_heatmap(cov(f_painting), channels), "painting: covariance"),
    ]
