"""The image transformation network."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from stylekit.nets.transformer import InstanceNorm, TransformerNet, frozen_statistics


@pytest.mark.parametrize("shape", [(64, 64), (37, 50), (33, 129), (5, 7)])
def test_any_size_in_same_size_out(shape) -> None:
    net = TransformerNet(width=4, blocks=1)
    x = torch.rand(2, 3, *shape)
    assert net(x).shape == x.shape


def test_parameter_counts_match_the_johnson_layout() -> None:
    def count(net: nn.Module) -> int:
        return sum(p.numel() for p in net.parameters())

    # Width 32 with 5 residual blocks is Johnson et al.'s network: about 1.68 M parameters.
    assert 1.6e6 < count(TransformerNet(32, 5)) < 1.8e6
    assert 0.38e6 < count(TransformerNet(16, 5)) < 0.46e6
    assert count(TransformerNet(16, 3)) < count(TransformerNet(16, 5))


def test_no_transposed_convolutions_and_reflection_padding() -> None:
    net = TransformerNet(8, 2)
    assert not any(isinstance(m, nn.ConvTranspose2d) for m in net.modules())
    convs = [m for m in net.modules() if isinstance(m, nn.Conv2d)]
    assert convs and all(c.padding == (0, 0) for c in convs)  # padding is done by reflection
    assert sum(isinstance(m, nn.ReflectionPad2d) for m in net.modules()) == len(convs)


def test_instance_norm_matches_torch_and_freezes() -> None:
    norm = InstanceNorm(3)
    with torch.no_grad():
        norm.weight.copy_(torch.tensor([1.0, 2.0, 0.5]))
        norm.bias.copy_(torch.tensor([0.0, -1.0, 3.0]))
    x = torch.randn(2, 3, 8, 9)
    expected = F.instance_norm(x, weight=norm.weight, bias=norm.bias, eps=1e-5)
    torch.testing.assert_close(norm(x), expected)
    # Hand-computed: a constant-plus-ramp channel normalises to zero mean, unit variance.
    y = norm(x)[:, 0]
    torch.testing.assert_close(y.mean((1, 2)), torch.zeros(2), atol=1e-5, rtol=0)


def test_frozen_statistics_of_the_same_image_change_nothing() -> None:
    torch.manual_seed(0)
    net = TransformerNet(4, 1).eval()
    x = torch.rand(1, 3, 32, 40)
    with torch.no_grad():
        free = net(x)
        with frozen_statistics(net, x):
            frozen = net(x)
            half = net(x[..., :16, :])  # a part, normalised with the whole image's statistics
    torch.testing.assert_close(frozen, free, atol=1e-5, rtol=1e-5)
    # Outside the block the network normalises each input by itself again.
    assert not torch.allclose(half, net(x[..., :16, :]))


def test_frozen_statistics_belong_to_the_thread_not_the_network() -> None:
    """Two threads tile different images through one network at once: each gets what it gets
    alone (the statistics of the one must not leak into the other)."""
    import threading

    torch.manual_seed(1)
    net = TransformerNet(4, 1).eval()
    images = [torch.rand(1, 3, 32, 40), torch.rand(1, 3, 32, 40) * 0.3 + 0.6]
    with torch.no_grad():
        alone = []
        for image in images:
            with frozen_statistics(net, image):
                alone.append(net(image[..., :16, :]))
    inside = threading.Barrier(2)
    results: dict[int, torch.Tensor] = {}

    def run(index: int) -> None:
        with torch.no_grad(), frozen_statistics(net, images[index]):
            inside.wait()  # both threads have recorded their statistics before either tiles
            results[index] = net(images[index][..., :16, :])
            inside.wait()

    threads = [threading.Thread(target=run, args=(i,)) for i in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for index in (0, 1):
        torch.testing.assert_close(results[index], alone[index])


def test_gradients_reach_every_parameter() -> None:
    net = TransformerNet(4, 2)
    net(torch.rand(2, 3, 24, 24)).square().mean().backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in net.parameters())


def test_the_network_is_rebuilt_from_its_metadata() -> None:
    from stylekit.nets.transformer import TransformerSpec

    net = TransformerNet(width=8, blocks=2)
    meta = {**net.spec.to_metadata(), "style": "ignored"}
    again = TransformerNet.from_metadata(meta)
    assert again.spec == net.spec == TransformerSpec(8, 2)
    assert again.state_dict().keys() == net.state_dict().keys()
    with pytest.raises(ValueError, match="adain-decoder"):
        TransformerSpec.from_metadata({**meta, "architecture": "adain-decoder"})
