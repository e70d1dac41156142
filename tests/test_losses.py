"""Each loss against values computed by hand."""

from __future__ import annotations

import pytest
import torch

from stylekit.errors import ConfigError
from stylekit.losses import (
    PerceptualLoss,
    TotalVariation,
    content_loss,
    gram_matrix,
    layer_style_loss,
    style_loss,
    total_variation,
)
from stylekit.vgg import VGG19Features


def test_content_loss_is_mean_squared_error() -> None:
    a = torch.tensor([[[[1.0, 2.0], [3.0, 4.0]]]])
    assert content_loss(a, torch.zeros_like(a)).item() == pytest.approx((1 + 4 + 9 + 16) / 4)
    assert content_loss(a, a).item() == 0.0


def test_gram_matrix_hand_computed() -> None:
    # Two channels over two pixels: [1, 2] and [3, 4]; C * H * W = 2 * 1 * 2 = 4.
    f = torch.tensor([[[[1.0, 2.0]], [[3.0, 4.0]]]])
    expected = torch.tensor([[[5.0, 11.0], [11.0, 25.0]]]) / 4
    torch.testing.assert_close(gram_matrix(f), expected)


def test_gram_matrix_gradient_matches_autograd() -> None:
    f = torch.randn(2, 3, 4, 5, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(gram_matrix, (f,))
    weights = torch.randn(2, 3, 3, dtype=torch.float64)
    (gram_matrix(f) * weights).sum().backward()
    ours = f.grad.clone()
    f.grad = None
    flat = f.reshape(2, 3, 20)
    (torch.bmm(flat, flat.transpose(1, 2)) / 60 * weights).sum().backward()
    torch.testing.assert_close(ours, f.grad)


def test_gram_matrix_is_invariant_to_pixel_permutation() -> None:
    torch.manual_seed(0)
    f = torch.randn(2, 8, 5, 7)
    perm = torch.randperm(35)
    shuffled = f.reshape(2, 8, 35)[:, :, perm].reshape(2, 8, 5, 7)
    torch.testing.assert_close(gram_matrix(shuffled), gram_matrix(f))
    # ... but not to a permutation of channels, which moves entries.
    assert not torch.allclose(gram_matrix(f[:, torch.randperm(8)]), gram_matrix(f))


def test_gram_matrix_does_not_depend_on_image_size() -> None:
    f = torch.ones(1, 3, 4, 4)
    big = torch.ones(1, 3, 8, 8)
    torch.testing.assert_close(gram_matrix(f), gram_matrix(big))


def test_layer_and_weighted_style_loss() -> None:
    f = torch.tensor([[[[1.0, 2.0]], [[3.0, 4.0]]]])
    zero = torch.zeros(1, 2, 2)
    # Gram entries 1.25, 2.75, 2.75, 6.25 -> mean of squares.
    one = (1.25**2 + 2 * 2.75**2 + 6.25**2) / 4
    assert layer_style_loss(f, zero).item() == pytest.approx(one)
    loss = style_loss({"a": f, "b": 2 * f}, {"a": zero, "b": zero}, {"a": 2.0, "b": 0.5})
    # Doubling the features multiplies the Gram matrix by 4 and its square error by 16.
    assert loss.item() == pytest.approx(2.0 * one + 0.5 * 16 * one)


def test_total_variation_l1_and_l2() -> None:
    image = torch.tensor([[[[0.0, 1.0], [3.0, 5.0]]]])
    # vertical differences 3, 4; horizontal 1, 2
    assert total_variation(image).item() == pytest.approx(3.5 + 1.5)
    assert total_variation(image, power=2).item() == pytest.approx(12.5 + 2.5)
    assert TotalVariation(2)(image).item() == pytest.approx(15.0)
    assert total_variation(torch.ones(1, 3, 5, 5)).item() == 0.0
    with pytest.raises(ConfigError, match="power"):
        total_variation(image, power=3)


def _tiny_loss(**weights: float) -> PerceptualLoss:
    torch.manual_seed(0)
    vgg = VGG19Features(["relu1_1", "relu2_1"], weights=None)
    return PerceptualLoss(vgg, {"relu2_1": 1.0}, {"relu1_1": 1.0, "relu2_1": 1.0}, **weights)


def test_perceptual_loss_is_zero_at_its_targets_and_weights_terms() -> None:
    loss = _tiny_loss(content_weight=2.0, style_weight=3.0, tv_weight=0.5)
    image = torch.rand(1, 3, 32, 32)
    loss.set_content(image)
    loss.set_style([image])
    terms = loss(image)
    assert terms["content"].item() == pytest.approx(0.0, abs=1e-6)
    assert terms["style"].item() == pytest.approx(0.0, abs=1e-6)
    assert terms["tv"].item() == pytest.approx(0.5 * total_variation(image).item())
    other = torch.rand(1, 3, 32, 32)
    terms = loss(other)
    assert terms["content"] > 0 and terms["style"] > 0
    assert terms["total"].item() == pytest.approx(
        (terms["content"] + terms["style"] + terms["tv"]).item()
    )


def test_blended_style_targets_are_the_weighted_gram_mean() -> None:
    loss = _tiny_loss()
    a, b = torch.rand(1, 3, 32, 32), torch.rand(1, 3, 32, 32)
    ga, gb = loss.style_grams(a), loss.style_grams(b)
    loss.set_style([a, b], [3.0, 1.0])
    for layer in ga:
        torch.testing.assert_close(loss.style_targets[layer], 0.75 * ga[layer] + 0.25 * gb[layer])
    with pytest.raises(ConfigError, match="weights"):
        loss.set_style([a, b], [1.0])
    with pytest.raises(ConfigError, match="non-negative"):
        loss.set_style([a, b], [1.0, -1.0])


def test_perceptual_loss_gradient_flows_to_the_image() -> None:
    loss = _tiny_loss()
    loss.set_content(torch.rand(1, 3, 32, 32))
    loss.set_style([torch.rand(1, 3, 32, 32)])
    image = torch.rand(1, 3, 32, 32, requires_grad=True)
    loss(image)["total"].backward()
    assert image.grad is not None and image.grad.abs().sum() > 0
