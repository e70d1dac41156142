"""Teaching pictures: colours and layer facts by hand, feature maps and Gram heat maps on
hand-built networks, grids, and one check with the real caffe weights."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from stylekit.errors import ConfigError, ImageError
from stylekit.vgg import VGG19Features
from stylekit.visualize import (
    COLORMAP_ANCHORS,
    _shared_network,
    colormap,
    feature_maps,
    gram_heatmap,
    image_grid,
    layer_features,
    layer_summary,
    receptive_field,
    strongest_channels,
)

WHITE = (255, 255, 255)


@pytest.fixture(scope="module")
def random_vgg() -> VGG19Features:
    torch.manual_seed(0)
    return VGG19Features(["relu1_1", "relu2_1", "pool2"], weights=None)


def _constant_vgg(biases: torch.Tensor) -> VGG19Features:
    """conv1_1 with zero kernels: channel ``c`` of relu1_1 is ``max(biases[c], 0)`` everywhere,
    whatever the image."""
    vgg = VGG19Features(["relu1_1"], weights=None)
    conv = vgg.body.conv1_1
    with torch.no_grad():
        conv.weight.zero_()
        conv.bias.copy_(biases)
    return vgg


@pytest.fixture(scope="module")
def tiny_image() -> Image.Image:
    """32 rows by 48 columns of seeded noise."""
    pixels = np.random.default_rng(0).integers(0, 256, (32, 48, 3), dtype=np.uint8)
    return Image.fromarray(pixels, "RGB")


def _rgb(image: Image.Image, x: int, y: int) -> tuple[int, ...]:
    return tuple(int(v) for v in np.asarray(image)[y, x])


def _colour_of(value: float) -> np.ndarray:
    """The 8-bit colour a value in [0, 1] gets."""
    return (colormap(torch.tensor([[value]]))[:, 0, 0] * 255).round().numpy()


# --- colours and layer facts --------------------------------------------------------------------


def test_colormap_ends_are_the_first_and_last_anchors() -> None:
    values = torch.tensor([[0.0, 1.0], [-3.0, 7.0]])  # out of range is clamped
    rgb = colormap(values)
    assert rgb.shape == (3, 2, 2) and rgb.dtype == torch.float32
    first = torch.tensor(COLORMAP_ANCHORS[0]) / 255.0
    last = torch.tensor(COLORMAP_ANCHORS[-1]) / 255.0
    torch.testing.assert_close(rgb[:, 0, 0], first)
    torch.testing.assert_close(rgb[:, 0, 1], last)
    torch.testing.assert_close(rgb[:, 1, 0], first)
    torch.testing.assert_close(rgb[:, 1, 1], last)


def test_colormap_interpolates_between_anchors_by_hand() -> None:
    # Nine anchors at 0, 1/8, ..., 1: 0.5 is anchor 4; 1/16 is halfway between anchors 0 and 1.
    rgb = colormap(torch.tensor([[0.5, 1 / 16]]))
    torch.testing.assert_close(rgb[:, 0, 0], torch.tensor([38.0, 130.0, 142.0]) / 255)
    torch.testing.assert_close(rgb[:, 0, 1], torch.tensor([70.0, 20.5, 102.0]) / 255)


def test_colormap_luminance_rises_monotonically() -> None:
    rgb = colormap(torch.linspace(0, 1, 1001).view(1, -1))[:, 0, :]
    luma = torch.tensor([0.2126, 0.7152, 0.0722]) @ rgb
    assert (luma.diff() > 0).all()
    assert luma[0] < 0.1 < 0.8 < luma[-1]  # dark to bright


@pytest.mark.parametrize(
    ("layer", "pixels"),
    [
        ("conv1_1", 3), ("relu1_1", 3), ("conv1_2", 5), ("pool1", 6), ("conv2_1", 10),
        ("conv2_2", 14), ("pool2", 16), ("relu3_1", 24), ("conv3_4", 48), ("pool3", 52),
        ("relu4_1", 68), ("relu4_2", 84), ("pool4", 124), ("relu5_1", 156), ("pool5", 268),
    ],
)
def test_receptive_field_by_hand(layer: str, pixels: int) -> None:
    # field += 2 * stride per 3x3 conv; += stride per 2x2 pool, then stride doubles.
    assert receptive_field(layer) == pixels


def test_layer_summary() -> None:
    assert layer_summary("relu3_1") == (
        "relu3_1: 256 channels, 1/4 resolution, receptive field 24 px"
    )
    assert layer_summary("conv1_1") == (
        "conv1_1: 64 channels, full resolution, receptive field 3 px"
    )
    assert layer_summary("pool5") == (
        "pool5: 512 channels, 1/32 resolution, receptive field 268 px"
    )


@pytest.mark.parametrize(
    "call",
    [
        lambda layer, image, vgg: layer_summary(layer),
        lambda layer, image, vgg: receptive_field(layer),
        lambda layer, image, vgg: feature_maps(image, layer, vgg=vgg),
        lambda layer, image, vgg: gram_heatmap(image, layer, vgg=vgg),
    ],
    ids=["layer_summary", "receptive_field", "feature_maps", "gram_heatmap"],
)
def test_bad_layer_name_names_the_valid_ones(call, tiny_image, random_vgg) -> None:
    with pytest.raises(ConfigError, match=r"relu9_9.*valid names are conv1_1.*relu4_2"):
        call("relu9_9", tiny_image, random_vgg)


# --- feature maps -------------------------------------------------------------------------------


def test_strongest_channels_rank_by_mean_not_by_peak() -> None:
    features = torch.zeros(4, 2, 2)
    features[0] = torch.tensor([[9.0, 0.0], [0.0, 0.0]])  # highest peak, mean 2.25
    features[1] = 3.0  # mean 3
    features[2] = 1.0  # mean 1
    features[3] = torch.tensor([[3.0, 3.0], [3.0, 0.0]])  # mean 2.25, ties with channel 0
    assert strongest_channels(features, 3).tolist() == [1, 0, 3]
    assert strongest_channels(features, 10).tolist() == [1, 0, 3, 2]


def test_feature_maps_show_the_highest_mean_channels(tiny_image) -> None:
    biases = torch.zeros(64)
    biases[[5, 17, 42]] = torch.tensor([3.0, 2.0, 1.0])
    biases[0] = -1.0  # 0 after the ReLU
    vgg = _constant_vgg(biases)
    features = layer_features(tiny_image, "relu1_1", size=48, vgg=vgg)
    assert strongest_channels(features, 4).tolist() == [5, 17, 42, 0]
    # Four tiles of 32x48 enlarged 3x, two by two: the three biased channels are uniform and
    # their own maximum, so the brightest colour; the fourth is a zero channel, the darkest.
    grid = feature_maps(tiny_image, "relu1_1", count=4, size=48, vgg=vgg)
    assert grid.size == (2 * 144 + 2, 2 * 96 + 2)
    centres = [(72, 48), (146 + 72, 48), (72, 98 + 48), (146 + 72, 98 + 48)]
    assert [_rgb(grid, x, y) for x, y in centres] == [COLORMAP_ANCHORS[-1]] * 3 + [
        COLORMAP_ANCHORS[0]
    ]


def test_feature_map_grid_sizes_and_determinism(tiny_image, random_vgg) -> None:
    # relu1_1 is 32x48, enlarged 3x to 96x144; 16 tiles in 4x4 with 2-px gaps.
    grid = feature_maps(tiny_image, "relu1_1", size=48, vgg=random_vgg)
    assert grid.mode == "RGB" and grid.size == (4 * 144 + 3 * 2, 4 * 96 + 3 * 2)
    assert _rgb(grid, 144, 10) == WHITE and _rgb(grid, 10, 96) == WHITE  # the gaps
    again = feature_maps(tiny_image, "relu1_1", size=48, vgg=random_vgg)
    assert np.array_equal(np.asarray(grid), np.asarray(again))
    # pool2 is 8x12, enlarged 12x to 96x144; five tiles in 3 columns, 2 rows.
    assert feature_maps(tiny_image, "pool2", count=5, size=48, vgg=random_vgg).size == (436, 194)
    # More tiles than channels: every channel once (relu1_1 has 64, an 8x8 grid).
    assert feature_maps(tiny_image, "relu1_1", count=100, size=48, vgg=random_vgg).size == (
        8 * 144 + 7 * 2, 8 * 96 + 7 * 2
    )


def test_feature_maps_refusals(tiny_image, random_vgg) -> None:
    with pytest.raises(ConfigError, match="does not output relu1_2"):
        feature_maps(tiny_image, "relu1_2", vgg=random_vgg)
    with pytest.raises(ConfigError, match="count must be at least 1"):
        feature_maps(tiny_image, "relu1_1", count=0, vgg=random_vgg)
    with pytest.raises(ImageError, match="too small for pool2"):
        feature_maps(tiny_image, "pool2", size=3, vgg=random_vgg)  # 3x2 pixels, stride 4


# --- Gram matrices ------------------------------------------------------------------------------


def test_gram_heatmap_by_hand(tiny_image) -> None:
    # Channel c is (c + 1) / 64 everywhere, so G[i, j] = b_i b_j / C and, scaled by the
    # maximum, shows (i + 1)(j + 1) / 64**2; each entry is a 6x6 block of the 384-px picture.
    vgg = _constant_vgg(torch.arange(1, 65) / 64)
    heat = gram_heatmap(tiny_image, "relu1_1", size=48, vgg=vgg)
    assert heat.size == (384, 384)
    for i, j in [(63, 63), (0, 0), (0, 63), (63, 0), (10, 20), (31, 31)]:
        got = np.array(_rgb(heat, 6 * j + 3, 6 * i + 3))
        assert np.abs(got - _colour_of((i + 1) * (j + 1) / 64**2)).max() <= 1, (i, j)
    # Only the first 8 channels: 8x8 entries of 48 px, scaled by the largest of them.
    small = gram_heatmap(tiny_image, "relu1_1", channels=8, size=48, vgg=vgg)
    assert small.size == (384, 384)
    assert _rgb(small, 7 * 48 + 24, 7 * 48 + 24) == COLORMAP_ANCHORS[-1]
    assert np.abs(np.array(_rgb(small, 24, 24)) - _colour_of(1 / 64)).max() <= 1


def test_gram_heatmap_sizes_and_determinism(tiny_image, random_vgg) -> None:
    heat = gram_heatmap(tiny_image, "relu2_1", channels=100, size=48, vgg=random_vgg)
    assert heat.mode == "RGB" and heat.size == (400, 400)  # 100 entries, 4 px each
    again = gram_heatmap(tiny_image, "relu2_1", channels=100, size=48, vgg=random_vgg)
    assert np.array_equal(np.asarray(heat), np.asarray(again))
    # relu1_1 has only 64 channels: all of them, 6 px each.
    assert gram_heatmap(tiny_image, "relu1_1", channels=300, size=48, vgg=random_vgg).size == (
        384, 384
    )
    with pytest.raises(ConfigError, match="channels must be at least 1"):
        gram_heatmap(tiny_image, "relu1_1", channels=0, vgg=random_vgg)


# --- grids --------------------------------------------------------------------------------------


def test_image_grid_scales_to_a_common_height_and_captions() -> None:
    red = Image.new("RGB", (40, 20), (255, 0, 0))  # scaled to 60x30
    blue = Image.new("RGB", (30, 30), (0, 0, 255))
    bare = image_grid([red, blue])
    assert bare.size == (60 + 4 + 30, 30)
    assert _rgb(bare, 30, 15) == (255, 0, 0) and _rgb(bare, 62, 15) == WHITE
    assert _rgb(bare, 64 + 15, 15) == (0, 0, 255)

    captioned = image_grid([red, blue], ["noise init", "content init"])
    assert captioned.width == 94 and captioned.height > 30
    below = np.asarray(captioned)[31:, :60]
    assert (below != 255).any()  # some text was drawn under the first picture
    assert np.array_equal(np.asarray(captioned)[:30], np.asarray(bare))

    # Two columns, two rows; the empty fourth cell stays white.
    stacked = image_grid([red, blue, blue], columns=2, gap=2, height=10)
    assert stacked.size == (20 + 2 + 10, 10 + 2 + 10)
    assert _rgb(stacked, 5, 17) == (0, 0, 255) and _rgb(stacked, 27, 17) == WHITE


def test_image_grid_wraps_long_captions_and_is_deterministic() -> None:
    image = Image.new("RGB", (60, 40), (0, 128, 0))
    short = image_grid([image], ["relu1_1"])
    long = image_grid([image], ["relu1_1: 64 channels, full resolution, receptive field 3 px"])
    assert long.width == 60 and long.height > short.height  # wrapped onto more lines
    again = image_grid([image], ["relu1_1: 64 channels, full resolution, receptive field 3 px"])
    assert np.array_equal(np.asarray(long), np.asarray(again))


def test_image_grid_refusals() -> None:
    image = Image.new("RGB", (8, 8))
    with pytest.raises(ConfigError, match="at least one image"):
        image_grid([])
    with pytest.raises(ConfigError, match="2 captions for 1 images"):
        image_grid([image], ["a", "b"])
    with pytest.raises(ConfigError, match="columns"):
        image_grid([image], columns=0)
    with pytest.raises(ConfigError, match="gap"):
        image_grid([image], gap=-1)


# --- the real network ---------------------------------------------------------------------------


@pytest.mark.slow
def test_caffe_conv1_1_sees_stripe_orientation() -> None:
    columns = (np.arange(64) // 4) % 2 * 255
    vertical = np.tile(columns, (64, 1)).astype(np.uint8)
    horizontal = np.ascontiguousarray(vertical.T)
    before = _shared_network.cache_info().hits
    maps = [
        np.asarray(feature_maps(stripes, "conv1_1", size=64, weights="caffe"), dtype=np.int16)
        for stripes in (vertical, horizontal)
    ]
    assert maps[0].shape == maps[1].shape == (4 * 128 + 6, 4 * 128 + 6, 3)
    assert np.abs(maps[0] - maps[1]).mean() > 20
    # Another layer reuses the cached network.
    gram_heatmap(vertical, "relu2_1", size=64, weights="caffe")
    assert _shared_network.cache_info().hits >= before + 2


def test_whitening_and_colouring_view(tiny_decoder_set, content_path, style_path) -> None:
    from stylekit import visualize

    pairs = visualize.whitening_and_colouring(content_path, style_path, "relu2_1", size=64,
                                              channels=16, decoders=str(tiny_decoder_set))
    captions = [caption for _, caption in pairs]
    assert len(pairs) == 8 and "whitened" in captions[1] and "painting" in captions[3]
    assert pairs[0][0].size == (64, 42) and max(pairs[3][0].size) == 64
    # Heat maps of 16 channels, enlarged by a whole factor, a colour bar under them.
    heat_map = pairs[4][0]
    assert heat_map.size[0] % 16 == 0 and heat_map.size[1] > heat_map.size[0]
    # The whitened heat map is the identity's: red diagonal, near white (zero) elsewhere.
    heat = np.asarray(pairs[5][0], dtype=float)
    cell = heat.shape[1] // 16
    diagonal = np.array([heat[i * cell, i * cell] for i in range(16)])
    off = np.array([heat[i * cell, ((i + 3) % 16) * cell] for i in range(16)])
    # (a channel the photo never uses stays 0: whitening keeps the directions it has)
    red = (diagonal[:, 0] > 120) & (diagonal[:, 2] < 80)
    assert red.sum() >= 12, diagonal
    assert (off > 200).all(), off
    # The covariances are signed: the photo's has negative (blue) entries as well.
    photo = np.asarray(heat_map, dtype=float)[: heat_map.size[0]]
    assert ((photo[..., 2] - photo[..., 0]) > 60).any()
    # The whitened picture is the features themselves (a grid of signed maps), not a
    # photo-like picture decoded from them.
    grid = np.asarray(pairs[1][0], dtype=float)
    assert pairs[1][0].size != pairs[0][0].size and grid.std() > 20
    with pytest.raises(ConfigError, match="relu1_1"):
        visualize.whitening_and_colouring(content_path, style_path, "conv3_1",
                                          decoders=str(tiny_decoder_set))
